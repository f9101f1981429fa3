//! Escalation of moderation past its deadline, like an overdue alert's
//! (`evaluation.rs`): the worker's every pass finds posts still waiting for
//! a moderator past their deadline (counted in the group's moderation hours
//! when the post was queued, `peer::deadline`) and not escalated yet, marks
//! each escalated with a guarded write (so of two workers one escalates)
//! and, in the same transaction, queues a message to each moderator and
//! clinical lead of the service.
//!
//! The message is the alerts' fixed "a task is past its deadline" text with
//! a link to the moderation queue: never the post's text, its group or its
//! author's group name. As for alerts, from [`ESCALATION_DIGEST_FROM`] posts
//! of one service at once the rest go in one message per recipient.

use super::Peer;
use crate::evaluation::ESCALATION_DIGEST_FROM;
use crate::jobs::{IdempotencyKey, MessageTemplate, Notification, Recipient};
use crate::{Actor, AppError, AuditEvent, RequestContext};
use bothy_domain::ServiceId;
use bothy_domain::audit::Action;
use bothy_domain::peer::Post;
use bothy_domain::role::Role;
use bothy_domain::time::{Timestamp, to_millis};
use bothy_store::Tx;

/// Overdue posts read and escalated per transaction.
const PAGE: i64 = 50;

impl Peer<'_> {
    /// Escalates every post waiting for a moderator past its deadline.
    /// Returns how many.
    pub async fn escalate_overdue(&self) -> Result<u32, AppError> {
        let now = self.app.clock.now();
        let mut escalated = 0;
        loop {
            let mut tx = self.app.store.begin().await?;
            let due = tx.peer_posts_to_escalate(now, PAGE).await?;
            if due.is_empty() {
                tx.rollback().await?;
                break;
            }
            let mut by_service: Vec<(ServiceId, Vec<&Post>)> = Vec::new();
            for post in &due {
                if !tx.mark_peer_post_escalated(post.id, now).await? {
                    continue;
                }
                let event = AuditEvent::new(Action::PeerEscalated)
                    .service(post.service_id)
                    .detail(format!(
                        "post {} in group {} unmoderated past its deadline {}",
                        post.id,
                        post.group_id,
                        post.deadline.map(|d| d.to_string()).unwrap_or_default()
                    ));
                self.app
                    .audit(&mut tx, &Actor::System, &RequestContext::default(), event)
                    .await?;
                escalated += 1;
                match by_service.iter_mut().find(|(s, _)| *s == post.service_id) {
                    Some((_, list)) => list.push(post),
                    None => by_service.push((post.service_id, vec![post])),
                }
            }
            for (service, posts) in &by_service {
                self.tell_overdue(&mut tx, *service, posts, now).await?;
            }
            tx.commit().await?;
        }
        Ok(escalated)
    }

    /// Queues the messages about `posts`, all of `service`, just escalated:
    /// to every moderator and clinical lead of the service (the group's
    /// moderator team is the service's moderators).
    async fn tell_overdue(
        &self,
        tx: &mut Tx,
        service: ServiceId,
        posts: &[&Post],
        now: Timestamp,
    ) -> Result<(), AppError> {
        let recipients: Vec<(String, Recipient)> = tx
            .staff_of_service(service)
            .await?
            .into_iter()
            .filter(|(m, roles)| {
                m.disabled_at.is_none()
                    && roles
                        .iter()
                        .any(|r| matches!(r, Role::Moderator | Role::ClinicalLead))
            })
            .map(|(m, _)| (format!("staff.{}", m.id), Recipient::Email(m.email)))
            .collect();
        if recipients.is_empty() {
            // Nobody to tell but the queue itself, where they show as escalated.
            tracing::warn!(
                posts = posts.len(),
                "overdue moderation: the service has no moderator and no clinical lead"
            );
            return Ok(());
        }
        let link = format!(
            "{}/staff/peer",
            self.app.settings.public_url.trim_end_matches('/')
        );
        // Keyed by the post and the escalation's time: a post reviewed, then
        // reported and overdue again, is told about again.
        let at = to_millis(now);
        let (one_by_one, digest) = posts.split_at(posts.len().min(ESCALATION_DIGEST_FROM - 1));
        let mut messages: Vec<(String, MessageTemplate)> = one_by_one
            .iter()
            .map(|p| {
                (
                    format!("peer-overdue.{}.{at}", p.id),
                    MessageTemplate::AlertOverdue,
                )
            })
            .collect();
        if let Some(first) = digest.first() {
            messages.push((
                format!("peer-posts-overdue.{}.{at}", first.id),
                MessageTemplate::AlertsOverdue,
            ));
        }
        for (key, template) in &messages {
            for (who, to) in &recipients {
                let key = IdempotencyKey::from_parts(&[key, who])?;
                let message = Notification {
                    to: to.clone(),
                    template: *template,
                    link: Some(link.clone()),
                    service: Some(service),
                    patient: None,
                    appointment: None,
                };
                self.app
                    .jobs()
                    .enqueue_notification(tx, &key, message)
                    .await?;
            }
        }
        Ok(())
    }
}
