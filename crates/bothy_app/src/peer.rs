//! Moderated peer support (issue 17): people in a service join its groups
//! under a group name, post and reply, leave supportive reactions and
//! report posts; moderators work a queue ordered by risk, then age.
//!
//! Members are patients of the service (`Actor::Patient`): an open group
//! takes anyone, a programme group people with a current enrolment on its
//! programme, a closed group those given its invitation code. A group's
//! posts are read by its members only.
//!
//! Every post is screened on its folded text (`bothy_domain::peer`): risk
//! words, contact details, a self-harm method or someone else's identity
//! hold it whatever the group's mode, and risk words also raise an alert to
//! the author's care team in the post's own transaction (the one risk rule,
//! `Monitor::detect_on_peer_post`) and show the author the crisis contacts.
//! Nobody but its author and moderators sees a held post.
//!
//! Moderation (`peer/moderate.rs`) is for staff with `Permission::Moderate`
//! (moderators and clinical leads), who see group names and posts only,
//! never a clinical record. Reactions and reports are in `peer/reports.rs`,
//! figures in `peer/figures.rs`, escalation of posts unmoderated past
//! their deadline in `peer/escalate.rs`.
//!
//! Floods are limited per member (5 posts in 10 minutes) and per group
//! (120 in 10 minutes), counted in the database so that every `bothy
//! serve` process sees the same counts (the in-memory throttles are per
//! process), with the member's row locked so that a member's posts are
//! counted one after another. The same text from the same member within
//! a day is refused; the same form sent twice (its key) is one post.

mod escalate;
mod figures;
mod moderate;
mod reports;

pub use figures::{FIGURES_DAYS, Figures};
pub(crate) use moderate::new_group;
pub use moderate::{Moderating, Queue, QueueItem};

use crate::work::Work;
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::detectors::TextSource;
use bothy_domain::ids::{GroupId, MemberId, PostId};
use bothy_domain::peer::fold::{fold, fold_leet};
use bothy_domain::peer::{
    self, Group, HoldReason, Member, OwnDetails, Post, PostStatus, Posting, Priority, Reaction,
    Screening,
};
use bothy_domain::time::Timestamp;
use bothy_store::PostCursor;
use jiff::SignedDuration;
use std::collections::HashMap;

/// Peer support.
pub struct Peer<'a> {
    pub(crate) app: &'a App,
}

/// How many posts a member may make in [`FLOOD_WINDOW_MINUTES`].
pub const MEMBER_POSTS_PER_WINDOW: i64 = 5;
/// How many posts a group takes in [`FLOOD_WINDOW_MINUTES`].
pub const GROUP_POSTS_PER_WINDOW: i64 = 120;
pub const FLOOD_WINDOW_MINUTES: i64 = 10;
/// Posts on a group page.
pub const PAGE_SIZE: i64 = 20;

/// A group as the groups list shows it to a person.
#[derive(Debug, Clone)]
pub struct GroupListItem {
    pub group: Group,
    pub member: Option<Member>,
}

/// A post with its replies and reaction counts.
#[derive(Debug, Clone)]
pub struct PostView {
    pub post: Post,
    pub replies: Vec<Post>,
    pub reactions: Vec<(Reaction, i64)>,
}

/// A group's page for a person.
#[derive(Debug, Clone)]
pub struct GroupPage {
    pub group: Group,
    pub member: Option<Member>,
    pub posting: Posting,
    pub posts: Vec<PostView>,
    /// Where the next page starts, if there is one.
    pub next: Option<PostCursor>,
    /// Moderators' private notes to this member, newest first.
    pub notes: Vec<(Timestamp, String)>,
    pub now: Timestamp,
}

/// A post as sent.
#[derive(Debug, Clone)]
pub struct Posted {
    pub post: Post,
    pub duplicate: bool,
    /// Whether its words show the crisis contacts.
    pub risk: bool,
}

fn patient_actor(actor: &Actor) -> Result<&crate::policy::PatientActor, AppError> {
    match actor {
        Actor::Patient(p) => Ok(p),
        _ => Err(AppError::Forbidden),
    }
}

fn minutes(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}

impl Peer<'_> {
    /// Whether a post's words show the crisis contacts: the one rule for
    /// what a person sends, on the text folded both ways.
    pub fn body_has_risk(&self, body: &str) -> bool {
        let (plain, leet) = (fold(body), fold_leet(body));
        self.app
            .monitoring()
            .shows_crisis_contacts(TextSource::PeerPost, &[body, &plain, &leet])
    }

    /// Screens a post's text with the lexicon in use.
    pub fn screen(&self, body: &str) -> Screening {
        peer::screen_post(&self.app.service_monitoring.lexicon, body)
    }

    /// A group of the actor's service, or not found.
    async fn group_in_service(
        work: &mut Work<'_>,
        actor: &Actor,
        id: GroupId,
    ) -> Result<Group, AppError> {
        work.tx()
            .peer_group(id)
            .await?
            .filter(|g| Some(g.service_id) == actor.service_id())
            .ok_or(AppError::NotFound)
    }

    /// The groups of the person's service, with their memberships.
    pub async fn groups(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
    ) -> Result<Vec<GroupListItem>, AppError> {
        let p = patient_actor(actor)?;
        let mut work = self.app.look(actor, ctx).await?;
        let groups = work.tx().peer_groups(p.service_id).await?;
        let members: HashMap<GroupId, Member> = work
            .tx()
            .peer_memberships(p.id)
            .await?
            .into_iter()
            .map(|m| (m.group_id, m))
            .collect();
        work.finish().await?;
        Ok(groups
            .into_iter()
            .map(|group| GroupListItem {
                member: members.get(&group.id).cloned(),
                group,
            })
            .collect())
    }

    /// Joins a group under a group name. An open group takes anyone in the
    /// service, a programme group people currently on its programme, a
    /// closed group those with its invitation code.
    pub async fn join(
        &self,
        actor: &Actor,
        group: GroupId,
        pseudonym: &str,
        invite_code: &str,
        ctx: &RequestContext,
    ) -> Result<Member, AppError> {
        let p = patient_actor(actor)?;
        let mut work = self.app.change(actor, ctx).await?;
        let group = Self::group_in_service(&mut work, actor, group).await?;
        if let Some(m) = work.tx().peer_member_of(group.id, p.id, false).await? {
            work.finish().await?;
            return Ok(m);
        }
        let patient = work.patient(p.id).await?;
        match group.kind {
            peer::GroupKind::Open => {}
            peer::GroupKind::Programme => {
                let programme = group.programme.as_deref().unwrap_or("");
                if work
                    .tx()
                    .current_programme_enrolment(patient.id, programme)
                    .await?
                    .is_none()
                {
                    return Err(AppError::Forbidden);
                }
            }
            peer::GroupKind::Closed => {
                let code = invite_code.trim();
                if code.is_empty() || group.invite_code.as_deref() != Some(code) {
                    return Err(AppError::field(
                        "invite_code",
                        "Enter the invitation code you were given for this group",
                    ));
                }
            }
        }
        let own = OwnDetails {
            given_name: patient.given_name.as_str(),
            family_name: patient.family_name.as_str(),
            email: patient.email.as_ref().map(|e| e.as_str()),
            phone: patient.phone.as_ref().map(|p| p.as_str()),
        };
        let pseudonym = peer::parse_pseudonym(pseudonym, &own).map_err(AppError::fields)?;
        let key = peer::pseudonym_key(&pseudonym);
        let taken = || {
            AppError::field(
                "pseudonym",
                "Someone in this group already uses that name: choose another",
            )
        };
        if work.tx().peer_pseudonym_taken(group.id, &key).await? {
            return Err(taken());
        }
        let member = Member {
            id: MemberId::random(),
            group_id: group.id,
            service_id: group.service_id,
            patient_id: patient.id,
            pseudonym,
            joined_at: self.app.clock.now(),
            suspended_until: None,
        };
        if !work.tx().insert_peer_member(&member, &key).await? {
            // Joined at the same moment by another tab, or the name taken.
            if let Some(m) = work.tx().peer_member_of(group.id, p.id, false).await? {
                work.finish().await?;
                return Ok(m);
            }
            return Err(taken());
        }
        work.audit(
            AuditEvent::new(Action::PeerJoined)
                .patient(patient.id)
                .service(group.service_id)
                .detail(format!("member {} of group {}", member.id, group.id)),
        )
        .await?;
        work.finish().await?;
        Ok(member)
    }

    /// A group's page: its description and rules for anyone in the
    /// service; its posts, a page at a time, newest first, for members.
    pub async fn group_page(
        &self,
        actor: &Actor,
        group: GroupId,
        after: Option<PostCursor>,
        ctx: &RequestContext,
    ) -> Result<GroupPage, AppError> {
        let p = patient_actor(actor)?;
        let now = self.app.clock.now();
        let mut work = self.app.look(actor, ctx).await?;
        let group = Self::group_in_service(&mut work, actor, group).await?;
        let member = work.tx().peer_member_of(group.id, p.id, false).await?;
        let (mut posts, mut notes, mut next) = (Vec::new(), Vec::new(), None);
        if let Some(m) = &member {
            let mut page = work
                .tx()
                .peer_posts_page(group.id, Some(m.id), after, PAGE_SIZE + 1)
                .await?;
            if page.len() as i64 > PAGE_SIZE {
                page.truncate(PAGE_SIZE as usize);
                next = page.last().map(|p| (p.created_at, p.id));
            }
            let ids: Vec<PostId> = page.iter().map(|p| p.id).collect();
            let replies = work.tx().peer_replies(&ids, Some(m.id)).await?;
            let mut all: Vec<PostId> = ids.clone();
            all.extend(replies.iter().map(|r| r.id));
            let counts = work.tx().peer_reaction_counts(&all).await?;
            posts = page
                .into_iter()
                .map(|post| PostView {
                    replies: replies
                        .iter()
                        .filter(|r| r.parent_id == Some(post.id))
                        .cloned()
                        .collect(),
                    reactions: Reaction::ALL
                        .into_iter()
                        .filter_map(|r| {
                            counts
                                .iter()
                                .find(|(id, kind, _)| *id == post.id && *kind == r)
                                .map(|(_, _, n)| (r, *n))
                        })
                        .collect(),
                    post,
                })
                .collect();
            notes = work.tx().peer_notes(m.id).await?;
            work.audit(
                AuditEvent::new(Action::PeerRead)
                    .service(group.service_id)
                    .detail(format!("group {} page of {}", group.id, posts.len())),
            )
            .await?;
        }
        work.finish().await?;
        Ok(GroupPage {
            posting: group.posting(now),
            group,
            member,
            posts,
            next,
            notes,
            now,
        })
    }

    /// Posts (or, with `parent`, replies) in a group the person belongs to.
    /// See the module notes for what holds a post and what limits floods.
    pub async fn post(
        &self,
        actor: &Actor,
        group: GroupId,
        parent: Option<PostId>,
        body: &str,
        key: &str,
        ctx: &RequestContext,
    ) -> Result<Posted, AppError> {
        let p = patient_actor(actor)?;
        let key = AppError::form_key(key, "post")?;
        let now = self.app.clock.now();
        let mut work = self.app.change(actor, ctx).await?;
        let group = Self::group_in_service(&mut work, actor, group).await?;
        let member = work
            .tx()
            .peer_member_of(group.id, p.id, true)
            .await?
            .ok_or(AppError::Forbidden)?;
        if let Some(first) = work.tx().peer_post_by_key(member.id, key).await? {
            work.finish().await?;
            return Ok(Posted {
                risk: self.body_has_risk(&first.body),
                post: first,
                duplicate: true,
            });
        }
        let body = peer::parse_post(body, group.links_allowed).map_err(AppError::fields)?;
        if let Some(until) = member.suspended_until.filter(|u| *u > now) {
            return Err(AppError::field(
                "body",
                format!(
                    "A moderator has paused your posting in this group until {}. \
                     You can still read the group.",
                    until.strftime("%-d %B %Y, %H:%M UTC")
                ),
            ));
        }
        let posting = group.posting(now);
        if posting == Posting::ReadOnly {
            return Err(AppError::field(
                "body",
                "No moderator is on now, so this group is read-only until they are back.",
            ));
        }
        if let Some(parent) = parent {
            let ok = work.tx().peer_post(parent, false).await?.is_some_and(|pp| {
                pp.group_id == group.id
                    && pp.parent_id.is_none()
                    && (pp.status == PostStatus::Visible || pp.member_id == member.id)
            });
            if !ok {
                return Err(AppError::NotFound);
            }
        }
        let since = now
            .checked_sub(minutes(FLOOD_WINDOW_MINUTES))
            .unwrap_or(now);
        let (recent, _) = work
            .tx()
            .peer_member_recent(member.id, since, &body)
            .await?;
        let day = now.checked_sub(minutes(24 * 60)).unwrap_or(now);
        let (_, same) = work.tx().peer_member_recent(member.id, day, &body).await?;
        if same {
            return Err(AppError::field(
                "body",
                "You have already posted this. It is in the group, or waiting for a moderator.",
            ));
        }
        if recent >= MEMBER_POSTS_PER_WINDOW
            || work.tx().peer_group_recent(group.id, since).await? >= GROUP_POSTS_PER_WINDOW
        {
            return Err(AppError::TooManyRequests);
        }
        let screening = self.screen(&body);
        let mut reasons = screening.reasons.clone();
        match posting {
            Posting::Open(peer::ModerationMode::Pre) => reasons.push(HoldReason::PreModeration),
            Posting::HeldUntilMorning => reasons.push(HoldReason::OutsideHours),
            Posting::Open(peer::ModerationMode::Post) | Posting::ReadOnly => {}
        }
        let priority = Priority::of(&reasons, screening.risk);
        let post = Post {
            id: PostId::random(),
            group_id: group.id,
            service_id: group.service_id,
            member_id: member.id,
            pseudonym: member.pseudonym.clone(),
            parent_id: parent,
            body,
            status: if reasons.is_empty() {
                PostStatus::Visible
            } else {
                PostStatus::Held
            },
            // Post-moderation reviews every shown post too.
            needs_review: true,
            priority,
            hold_reasons: reasons,
            risk: screening.risk.is_some(),
            queued_at: Some(now),
            deadline: Some(peer::deadline(priority, now, &group.opening_hours())),
            created_at: now,
            reviewed_at: None,
            status_reason: None,
            edit_note: None,
            report_count: 0,
            escalated_at: None,
        };
        if !work.tx().insert_peer_post(&post, key).await? {
            let first = work
                .tx()
                .peer_post_by_key(member.id, key)
                .await?
                .ok_or_else(|| AppError::Internal("a duplicate post went missing".into()))?;
            work.finish().await?;
            return Ok(Posted {
                risk: self.body_has_risk(&first.body),
                post: first,
                duplicate: true,
            });
        }
        let patient = work.patient(p.id).await?;
        work.audit(
            AuditEvent::new(Action::PeerPosted)
                .patient(patient.id)
                .service(group.service_id)
                .detail(format!(
                    "post {} in group {} {} [{}]",
                    post.id,
                    group.id,
                    post.status.as_str(),
                    peer::moderation::reasons_to_string(&post.hold_reasons)
                )),
        )
        .await?;
        let (who, c) = work.who();
        self.app
            .monitoring()
            .detect_on_peer_post(work.tx(), who, &patient, &post, c)
            .await?;
        let risk = screening.risk.is_some() || self.body_has_risk(&post.body);
        work.finish().await?;
        Ok(Posted {
            post,
            duplicate: false,
            risk,
        })
    }
}
