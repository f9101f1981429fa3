//! Moderation: the queue, a post with its group and author's group name,
//! the moves on a post, writing privately to its author, an alert to the
//! author's care team, suspending posting, and groups' administration.
//!
//! Moderators (and clinical leads, `Permission::Moderate`) act only in
//! their current service and never see a clinical record: the author is
//! known to them by group name; the care team's alert is raised with the
//! patient's record loaded inside the use case and never returned.
//!
//! A move is checked by the state machine (`peer::Action::apply`), then
//! written guarded by the status and review mark the moderator's page
//! showed, with the post's row locked: of two moderators acting at once,
//! the second finds the post moved and gets a 409 naming what it is now.
//! The same moderator's same move again (a double click) is answered as
//! done. Every action is stored with its reason (`peer_actions`) and
//! audited with ids only.

use super::Peer;
use crate::policy::Permission;
use crate::work::Work;
use crate::{Actor, AppError, AuditEvent, RequestContext};
use bothy_domain::StaffId;
use bothy_domain::alerts::Severity;
use bothy_domain::audit::Action;
use bothy_domain::detectors::{Cause, Signal};
use bothy_domain::ids::{GroupId, PostId};
use bothy_domain::peer::{self, Group, Member, Post, PostStatus, Priority};
use bothy_domain::time::Timestamp;
use jiff::SignedDuration;
use std::collections::HashMap;

/// The longest suspension, in days.
pub const SUSPEND_MAX_DAYS: i64 = 30;

/// One post in the queue, with its group's name.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub post: Post,
    pub group_name: String,
    pub overdue: bool,
}

/// The moderation queue of a service.
#[derive(Debug, Clone)]
pub struct Queue {
    pub items: Vec<QueueItem>,
    /// Per priority, most urgent first: waiting and overdue.
    pub counts: Vec<(Priority, i64, i64)>,
    pub now: Timestamp,
}

impl Queue {
    pub fn waiting(&self) -> i64 {
        self.counts.iter().map(|(_, n, _)| n).sum()
    }
    pub fn overdue(&self) -> i64 {
        self.counts.iter().map(|(_, _, n)| n).sum()
    }
}

pub(crate) fn moderator_of(actor: &Actor) -> Result<StaffId, AppError> {
    match actor {
        Actor::Staff(s) if s.has(Permission::Moderate) => Ok(s.id),
        _ => Err(AppError::Forbidden),
    }
}

/// A post of the moderator's service, with its group and author.
pub struct Moderating {
    pub post: Post,
    pub group: Group,
    pub member: Member,
}

impl Peer<'_> {
    /// The service's moderation queue: risk first, then oldest; the first
    /// 200, with counts of all.
    pub async fn queue(&self, actor: &Actor, ctx: &RequestContext) -> Result<Queue, AppError> {
        moderator_of(actor)?;
        let service = actor.service_id().ok_or(AppError::Forbidden)?;
        let now = self.app.clock.now();
        let mut work = self.app.look(actor, ctx).await?;
        let posts = work.tx().peer_queue(service, 200).await?;
        let counts = work.tx().peer_queue_counts(service, now).await?;
        let names: HashMap<GroupId, String> = work
            .tx()
            .peer_groups(service)
            .await?
            .into_iter()
            .map(|g| (g.id, g.name))
            .collect();
        work.audit(
            AuditEvent::new(Action::PeerRead)
                .service(service)
                .detail(format!("moderation queue of {}", posts.len())),
        )
        .await?;
        work.finish().await?;
        Ok(Queue {
            items: posts
                .into_iter()
                .map(|post| QueueItem {
                    group_name: names.get(&post.group_id).cloned().unwrap_or_default(),
                    overdue: post.deadline.is_some_and(|d| d < now),
                    post,
                })
                .collect(),
            counts,
            now,
        })
    }

    async fn moderating(
        work: &mut Work<'_>,
        actor: &Actor,
        id: PostId,
        lock: bool,
    ) -> Result<Moderating, AppError> {
        let post = work
            .tx()
            .peer_post(id, lock)
            .await?
            .filter(|p| Some(p.service_id) == actor.service_id())
            .ok_or(AppError::NotFound)?;
        let group = work
            .tx()
            .peer_group(post.group_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let member = work
            .tx()
            .peer_member(post.member_id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(Moderating {
            post,
            group,
            member,
        })
    }

    /// One post for a moderator, with its group and its author's group name.
    pub async fn moderation_post(
        &self,
        actor: &Actor,
        post: PostId,
        ctx: &RequestContext,
    ) -> Result<Moderating, AppError> {
        moderator_of(actor)?;
        let mut work = self.app.look(actor, ctx).await?;
        let found = Self::moderating(&mut work, actor, post, false).await?;
        work.audit(
            AuditEvent::new(Action::PeerRead)
                .service(found.post.service_id)
                .detail(format!("post {} for moderation", found.post.id)),
        )
        .await?;
        work.finish().await?;
        Ok(found)
    }

    /// Approves, edits (with a note everyone sees), hides (with a reason
    /// its author sees) or removes a post, from the status and review mark
    /// the moderator saw (`seen`). See the module notes.
    #[allow(clippy::too_many_arguments)]
    pub async fn moderate(
        &self,
        actor: &Actor,
        post: PostId,
        action: &str,
        seen: (&str, bool),
        reason: &str,
        new_body: &str,
        ctx: &RequestContext,
    ) -> Result<Post, AppError> {
        let by = moderator_of(actor)?;
        let action = peer::Action::parse(action)
            .ok_or_else(|| AppError::field("action", "Choose what to do with the post"))?;
        let seen_status = PostStatus::parse(seen.0)
            .ok_or_else(|| AppError::field("status", "The form is out of date: open it again"))?;
        let reason = if action == peer::Action::Approve && reason.trim().is_empty() {
            "Approved".to_string()
        } else {
            peer::parse_reason(reason).map_err(AppError::fields)?
        };
        let now = self.app.clock.now();
        let mut work = self.app.change(actor, ctx).await?;
        let Moderating { post, group, .. } = Self::moderating(&mut work, actor, post, true).await?;
        let body = match action {
            peer::Action::Edit => {
                Some(peer::parse_post(new_body, group.links_allowed).map_err(AppError::fields)?)
            }
            _ => None,
        };
        let to = action
            .apply(seen_status)
            .map_err(|e| AppError::Conflict(e.to_string()))?;
        if (post.status, post.needs_review) != (seen_status, seen.1) {
            // The same moderator's same move, sent twice: done already.
            let mine = post.status == to
                && !post.needs_review
                && work.tx().peer_post_reviewer(post.id).await? == Some(by);
            work.finish().await?;
            if mine {
                return Ok(post);
            }
            return Err(AppError::Conflict(format!(
                "Another moderator has already acted on this post: it is now {}.",
                post.status.as_str()
            )));
        }
        let (status_reason, edit_note) = match action {
            peer::Action::Hide | peer::Action::Remove => (Some(reason.as_str()), None),
            peer::Action::Edit => (None, Some(reason.as_str())),
            peer::Action::Approve => (None, None),
        };
        let moved = work
            .tx()
            .moderate_peer_post(&bothy_store::PeerMove {
                post: post.id,
                from: (seen_status, seen.1),
                to,
                body: body.as_deref(),
                status_reason,
                edit_note,
                by,
                at: now,
            })
            .await?;
        if !moved {
            return Err(AppError::Conflict(
                "Another moderator has already acted on this post.".into(),
            ));
        }
        self.record(&mut work, &post, by, action.as_str(), &reason, now)
            .await?;
        let after = work
            .tx()
            .peer_post(post.id, false)
            .await?
            .ok_or(AppError::NotFound)?;
        work.finish().await?;
        Ok(after)
    }

    async fn record(
        &self,
        work: &mut Work<'_>,
        post: &Post,
        by: StaffId,
        action: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), AppError> {
        work.tx()
            .insert_peer_action(
                post.service_id,
                Some(post.id),
                post.member_id,
                by,
                action,
                reason,
                now,
            )
            .await?;
        let kind = match action {
            "contact" => Action::PeerMemberContacted,
            "alert" => Action::PeerAlertRaised,
            "suspend" => Action::PeerSuspended,
            _ => Action::PeerModerated,
        };
        work.audit(
            AuditEvent::new(kind)
                .service(post.service_id)
                .detail(format!(
                    "{action} post {} member {}",
                    post.id, post.member_id
                )),
        )
        .await
    }

    /// Writes privately to a post's author: they see the note on the
    /// group's page, and only they do.
    pub async fn contact_author(
        &self,
        actor: &Actor,
        post: PostId,
        note: &str,
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        let by = moderator_of(actor)?;
        let note = peer::parse_reason(note).map_err(AppError::fields)?;
        let now = self.app.clock.now();
        let mut work = self.app.change(actor, ctx).await?;
        let found = Self::moderating(&mut work, actor, post, false).await?;
        work.tx()
            .insert_peer_note(found.member.id, by, &note, now)
            .await?;
        self.record(&mut work, &found.post, by, "contact", &note, now)
            .await?;
        work.finish().await
    }

    /// Raises an alert to the author's care team through the duty queue:
    /// the alert names the post, never quotes it; the moderator's reason is
    /// kept with the action.
    pub async fn alert_care_team(
        &self,
        actor: &Actor,
        post: PostId,
        reason: &str,
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        let by = moderator_of(actor)?;
        let reason = peer::parse_reason(reason).map_err(AppError::fields)?;
        let now = self.app.clock.now();
        let mut work = self.app.change(actor, ctx).await?;
        let found = Self::moderating(&mut work, actor, post, false).await?;
        // Loaded for the alert only; the moderator never sees it.
        let patient = work
            .tx()
            .patient(found.member.patient_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let signal = Signal {
            cause: Cause::RiskyText,
            severity: Severity::High,
            dedupe_key: format!("peer_post:{}", found.post.id),
            summary: "A peer support moderator asked the care team to look at this person's \
                      post in a group"
                .into(),
        };
        let id = found.post.id.to_string();
        self.app
            .alerts()
            .raise(
                work.tx(),
                actor,
                &patient,
                &[signal],
                ("peer_post", &id),
                ctx,
            )
            .await?;
        self.record(&mut work, &found.post, by, "alert", &reason, now)
            .await?;
        work.finish().await
    }

    /// Suspends the author's posting in the post's group for `days` (1 to
    /// 30); they can still read.
    pub async fn suspend(
        &self,
        actor: &Actor,
        post: PostId,
        days: &str,
        reason: &str,
        ctx: &RequestContext,
    ) -> Result<Timestamp, AppError> {
        let by = moderator_of(actor)?;
        let days: i64 = days
            .trim()
            .parse()
            .ok()
            .filter(|d| (1..=SUSPEND_MAX_DAYS).contains(d))
            .ok_or_else(|| {
                AppError::field(
                    "days",
                    format!("Enter a number of days from 1 to {SUSPEND_MAX_DAYS}"),
                )
            })?;
        let reason = peer::parse_reason(reason).map_err(AppError::fields)?;
        let now = self.app.clock.now();
        let until = now
            .checked_add(SignedDuration::from_hours(24 * days))
            .map_err(|e| AppError::Internal(Box::new(e)))?;
        let mut work = self.app.change(actor, ctx).await?;
        let found = Self::moderating(&mut work, actor, post, false).await?;
        work.tx()
            .set_peer_suspension(found.member.id, Some(until))
            .await?;
        self.record(&mut work, &found.post, by, "suspend", &reason, now)
            .await?;
        work.finish().await?;
        Ok(until)
    }

    /// The service's groups, for moderators' administration.
    pub async fn admin_groups(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
    ) -> Result<Vec<Group>, AppError> {
        moderator_of(actor)?;
        let service = actor.service_id().ok_or(AppError::Forbidden)?;
        let mut work = self.app.look(actor, ctx).await?;
        let groups = work.tx().peer_groups(service).await?;
        work.finish().await?;
        Ok(groups)
    }

    /// Creates a group (a closed one with a random invitation code).
    pub async fn create_group(
        &self,
        actor: &Actor,
        form: &peer::GroupForm<'_>,
        ctx: &RequestContext,
    ) -> Result<Group, AppError> {
        let by = moderator_of(actor)?;
        let service = actor.service_id().ok_or(AppError::Forbidden)?;
        let new = peer::parse_group(form).map_err(AppError::fields)?;
        let mut work = self.app.change(actor, ctx).await?;
        let group = new_group(service, new, self.app.clock.now());
        if !work.tx().insert_peer_group(&group, Some(by)).await? {
            return Err(AppError::field(
                "name",
                "The service already has a group of that name",
            ));
        }
        work.audit(
            AuditEvent::new(Action::PeerGroupCreated)
                .service(service)
                .detail(format!("group {} {}", group.id, group.kind.as_str())),
        )
        .await?;
        work.finish().await?;
        Ok(group)
    }
}

/// A group from its validated details.
pub(crate) fn new_group(
    service: bothy_domain::ServiceId,
    new: peer::NewGroup,
    now: Timestamp,
) -> Group {
    let invite_code = (new.kind == peer::GroupKind::Closed).then(|| {
        let id = uuid::Uuid::new_v4().simple().to_string();
        id[..8].to_uppercase()
    });
    Group {
        id: GroupId::random(),
        service_id: service,
        name: new.name,
        kind: new.kind,
        programme: new.programme,
        description: new.description,
        rules: new.rules,
        mode: new.mode,
        hours: new.hours,
        links_allowed: new.links_allowed,
        outside_hours: new.outside_hours,
        invite_code,
        created_at: now,
    }
}
