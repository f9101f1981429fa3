//! What members do with others' posts: supportive reactions and reports.

use super::{Peer, patient_actor};
use crate::work::Work;
use crate::{Actor, AppError, AuditEvent, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::ids::{GroupId, PostId, ReportId};
use bothy_domain::peer::{self, Member, Post, PostStatus, Priority, Reaction};

impl Peer<'_> {
    /// The member a person is in the post's group, and the post, which
    /// must be visible to them.
    async fn member_and_post(
        work: &mut Work<'_>,
        actor: &Actor,
        post: PostId,
    ) -> Result<(Member, Post), AppError> {
        let p = patient_actor(actor)?;
        let post = work
            .tx()
            .peer_post(post, false)
            .await?
            .filter(|post| Some(post.service_id) == actor.service_id())
            .ok_or(AppError::NotFound)?;
        let member = work
            .tx()
            .peer_member_of(post.group_id, p.id, false)
            .await?
            .ok_or(AppError::NotFound)?;
        if post.status != PostStatus::Visible && post.member_id != member.id {
            return Err(AppError::NotFound);
        }
        Ok((member, post))
    }

    /// The group of a post the person may report (a member who can see it).
    pub async fn reportable(
        &self,
        actor: &Actor,
        post: PostId,
        ctx: &RequestContext,
    ) -> Result<GroupId, AppError> {
        let mut work = self.app.look(actor, ctx).await?;
        let (_, post) = Self::member_and_post(&mut work, actor, post).await?;
        work.finish().await?;
        Ok(post.group_id)
    }

    /// Leaves a supportive reaction (once of each kind).
    pub async fn react(
        &self,
        actor: &Actor,
        post: PostId,
        reaction: &str,
        ctx: &RequestContext,
    ) -> Result<Post, AppError> {
        let reaction = Reaction::parse(reaction)
            .ok_or_else(|| AppError::field("reaction", "Choose one of the reactions"))?;
        let mut work = self.app.change(actor, ctx).await?;
        let (member, post) = Self::member_and_post(&mut work, actor, post).await?;
        if post.status != PostStatus::Visible {
            return Err(AppError::NotFound);
        }
        work.tx()
            .insert_peer_reaction(post.id, member.id, reaction, self.app.clock.now())
            .await?;
        work.audit(
            AuditEvent::new(Action::PeerReacted)
                .service(post.service_id)
                .detail(format!("post {} {}", post.id, reaction.as_str())),
        )
        .await?;
        work.finish().await?;
        Ok(post)
    }

    /// Reports a post to the moderators with a reason: it joins the queue
    /// (at least as a concern) and stays as it is until a moderator acts.
    /// A second report by the same member is answered as the first.
    pub async fn report(
        &self,
        actor: &Actor,
        post: PostId,
        reason: &str,
        ctx: &RequestContext,
    ) -> Result<Post, AppError> {
        let reason = peer::parse_reason(reason).map_err(AppError::fields)?;
        let now = self.app.clock.now();
        let mut work = self.app.change(actor, ctx).await?;
        let (member, post) = Self::member_and_post(&mut work, actor, post).await?;
        let id = ReportId::random();
        if work
            .tx()
            .insert_peer_report(id, &post, member.id, &reason, now)
            .await?
        {
            let group = work
                .tx()
                .peer_group(post.group_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let priority = post.priority.max(Priority::Concern);
            let deadline = peer::deadline(priority, now, &group.opening_hours());
            work.tx()
                .queue_reported_peer_post(post.id, priority, now, deadline)
                .await?;
            work.audit(
                AuditEvent::new(Action::PeerReported)
                    .service(post.service_id)
                    .detail(format!("report {id} of post {}", post.id)),
            )
            .await?;
        }
        work.finish().await?;
        Ok(post)
    }
}
