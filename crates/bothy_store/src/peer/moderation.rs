//! Peer support's moderation side: the queue and its counts, moves
//! guarded by the status and review mark the moderator saw, reports,
//! actions with their reasons, moderators' notes, reactions, and the rows
//! the figures are counted from.

use super::{POST_COLUMNS, corrupt, post};
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::ids::{MemberId, PostId, ReportId};
use bothy_domain::peer::{Post, PostStatus, Priority, Reaction};
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{ServiceId, StaffId};

/// A moderation move as the store writes it.
#[derive(Debug, Clone)]
pub struct PeerMove<'a> {
    pub post: PostId,
    /// The status and review mark the moderator saw.
    pub from: (PostStatus, bool),
    pub to: PostStatus,
    /// A new body (an edit).
    pub body: Option<&'a str>,
    pub status_reason: Option<&'a str>,
    pub edit_note: Option<&'a str>,
    pub by: StaffId,
    pub at: Timestamp,
}

/// The rows the figures are counted from: each post's hold reasons,
/// status, when it was queued and reviewed, and its report count.
#[derive(Debug, Clone)]
pub struct PeerFigureRow {
    pub hold_reasons: String,
    pub status: String,
    pub queued_at: Option<i64>,
    pub reviewed_at: Option<i64>,
    pub reports: i64,
}

impl Tx {
    /// The service's moderation queue: risk first, then oldest.
    pub async fn peer_queue(
        &mut self,
        service: ServiceId,
        limit: i64,
    ) -> Result<Vec<Post>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {POST_COLUMNS} FROM peer_posts p JOIN peer_members m ON m.id = p.member_id \
             WHERE p.service_id = $1 AND p.needs_review = 1 \
             ORDER BY p.priority DESC, p.queued_at, p.id LIMIT {limit}"
        ));
        let rows = self
            .query(sql)
            .bind(service.to_string())
            .fetch_all()
            .await?;
        rows.iter().map(post).collect()
    }

    /// The queue's size per priority and how many are past their deadline
    /// at `now`: (priority, waiting, overdue).
    pub async fn peer_queue_counts(
        &mut self,
        service: ServiceId,
        now: Timestamp,
    ) -> Result<Vec<(Priority, i64, i64)>, StoreError> {
        let rows = self
            .query(
                "SELECT priority, COUNT(*) AS n, \
                 COALESCE(SUM(CASE WHEN deadline < $2 THEN 1 ELSE 0 END), 0) AS overdue \
                 FROM peer_posts WHERE service_id = $1 AND needs_review = 1 \
                 GROUP BY priority ORDER BY priority DESC",
            )
            .bind(service.to_string())
            .bind(to_millis(now))
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    Priority::from_rank(r.try_get("priority")?),
                    r.try_get("n")?,
                    r.try_get("overdue")?,
                ))
            })
            .collect()
    }

    /// Makes a moderation move if the post is still as the moderator saw
    /// it; false when someone else moved it first. A move takes the post
    /// out of the queue.
    pub async fn moderate_peer_post(&mut self, m: &PeerMove<'_>) -> Result<bool, StoreError> {
        let done = self
            .query(
                "UPDATE peer_posts SET status = $4, needs_review = 0, reviewed_at = $5, \
                 reviewed_by = $6, body = COALESCE($7, body), \
                 status_reason = CASE WHEN $8 = '' THEN status_reason ELSE $8 END, \
                 edit_note = COALESCE($9, edit_note) \
                 WHERE id = $1 AND status = $2 AND needs_review = $3",
            )
            .bind(m.post.to_string())
            .bind(m.from.0.as_str())
            .bind(i64::from(m.from.1))
            .bind(m.to.as_str())
            .bind(to_millis(m.at))
            .bind(m.by.to_string())
            .bind(m.body.map(str::to_string))
            .bind(m.status_reason.unwrap_or("").to_string())
            .bind(m.edit_note.map(str::to_string))
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a report; false when the member already reported the post.
    pub async fn insert_peer_report(
        &mut self,
        id: ReportId,
        post: &Post,
        member: MemberId,
        reason: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(self
            .query(
                "INSERT INTO peer_reports (id, post_id, service_id, member_id, reason, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (post_id, member_id) DO NOTHING \
                 RETURNING id",
            )
            .bind(id.to_string())
            .bind(post.id.to_string())
            .bind(post.service_id.to_string())
            .bind(member.to_string())
            .bind(reason)
            .bind(to_millis(at))
            .fetch_optional()
            .await?
            .is_some())
    }

    /// Puts a reported post in the queue (or keeps it there) with at least
    /// `priority`, counting the report.
    pub async fn queue_reported_peer_post(
        &mut self,
        post: PostId,
        priority: Priority,
        queued_at: Timestamp,
        deadline: Timestamp,
    ) -> Result<(), StoreError> {
        self.query(
            "UPDATE peer_posts SET report_count = report_count + 1, \
             hold_reasons = CASE WHEN hold_reasons LIKE '%reported%' THEN hold_reasons \
             WHEN hold_reasons = '' THEN 'reported' ELSE hold_reasons || ',reported' END, \
             priority = CASE WHEN priority < $2 THEN $2 ELSE priority END, \
             queued_at = CASE WHEN needs_review = 1 AND queued_at IS NOT NULL THEN queued_at ELSE $3 END, \
             deadline = CASE WHEN needs_review = 1 AND deadline IS NOT NULL AND deadline < $4 \
             THEN deadline ELSE $4 END, \
             escalated_at = CASE WHEN needs_review = 1 THEN escalated_at ELSE NULL END, \
             needs_review = 1 WHERE id = $1",
        )
        .bind(post.to_string())
        .bind(priority.rank())
        .bind(to_millis(queued_at))
        .bind(to_millis(deadline))
        .execute()
        .await?;
        Ok(())
    }

    /// Records a moderation action with its reason.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_peer_action(
        &mut self,
        service: ServiceId,
        post: Option<PostId>,
        member: MemberId,
        staff: StaffId,
        action: &str,
        reason: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO peer_actions (id, service_id, post_id, member_id, staff_id, action, \
             reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(service.to_string())
        .bind(post.map(|p| p.to_string()))
        .bind(member.to_string())
        .bind(staff.to_string())
        .bind(action)
        .bind(reason)
        .bind(to_millis(at))
        .execute()
        .await?;
        Ok(())
    }

    /// A moderator's private note to a member.
    pub async fn insert_peer_note(
        &mut self,
        member: MemberId,
        staff: StaffId,
        body: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO peer_notes (id, member_id, staff_id, body, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(member.to_string())
        .bind(staff.to_string())
        .bind(body)
        .bind(to_millis(at))
        .execute()
        .await?;
        Ok(())
    }

    /// A member's notes from moderators, newest first.
    pub async fn peer_notes(
        &mut self,
        member: MemberId,
    ) -> Result<Vec<(Timestamp, String)>, StoreError> {
        let rows = self
            .query(
                "SELECT created_at, body FROM peer_notes WHERE member_id = $1 \
                 ORDER BY created_at DESC, id LIMIT 20",
            )
            .bind(member.to_string())
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| Ok((from_millis(r.try_get("created_at")?), r.try_get("body")?)))
            .collect()
    }

    /// Leaves a reaction; nothing when the member already left that one.
    pub async fn insert_peer_reaction(
        &mut self,
        post: PostId,
        member: MemberId,
        reaction: Reaction,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO peer_reactions (post_id, member_id, reaction, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(post.to_string())
        .bind(member.to_string())
        .bind(reaction.as_str())
        .bind(to_millis(at))
        .execute()
        .await?;
        Ok(())
    }

    /// Reaction counts for some posts: (post, reaction, count).
    pub async fn peer_reaction_counts(
        &mut self,
        posts: &[PostId],
    ) -> Result<Vec<(PostId, Reaction, i64)>, StoreError> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .query_in(
                "SELECT post_id, reaction, COUNT(*) AS n FROM peer_reactions \
                 WHERE post_id IN ({ids}) GROUP BY post_id, reaction",
                posts,
            )
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse(&r.try_get::<String>("post_id")?, "post id")?,
                    Reaction::parse(&r.try_get::<String>("reaction")?)
                        .ok_or_else(|| corrupt("reaction"))?,
                    r.try_get("n")?,
                ))
            })
            .collect()
    }

    /// The rows a service's figures are counted from, since `since`.
    pub async fn peer_figure_rows(
        &mut self,
        service: ServiceId,
        since: Timestamp,
    ) -> Result<Vec<PeerFigureRow>, StoreError> {
        let rows = self
            .query(
                "SELECT hold_reasons, status, queued_at, reviewed_at, report_count \
                 FROM peer_posts WHERE service_id = $1 AND created_at >= $2",
            )
            .bind(service.to_string())
            .bind(to_millis(since))
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PeerFigureRow {
                    hold_reasons: r.try_get("hold_reasons")?,
                    status: r.try_get("status")?,
                    queued_at: r.try_get("queued_at")?,
                    reviewed_at: r.try_get("reviewed_at")?,
                    reports: r.try_get("report_count")?,
                })
            })
            .collect()
    }
}

impl Tx {
    /// Who last moved a post, if anyone.
    pub async fn peer_post_reviewer(
        &mut self,
        post: PostId,
    ) -> Result<Option<StaffId>, StoreError> {
        let row = self
            .query("SELECT reviewed_by FROM peer_posts WHERE id = $1")
            .bind(post.to_string())
            .fetch_optional()
            .await?;
        match row {
            Some(r) => r
                .try_get::<Option<String>>("reviewed_by")?
                .map(|s| parse(&s, "staff id"))
                .transpose(),
            None => Ok(None),
        }
    }
}

impl Tx {
    /// Posts still waiting for a moderator past their deadline at `now`
    /// and not escalated yet, in every service, the most overdue first.
    pub async fn peer_posts_to_escalate(
        &mut self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<Post>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {POST_COLUMNS} FROM peer_posts p JOIN peer_members m ON m.id = p.member_id \
             WHERE p.needs_review = 1 AND p.escalated_at IS NULL AND p.deadline < $1 \
             ORDER BY p.deadline, p.id LIMIT {limit}"
        ));
        let rows = self.query(sql).bind(to_millis(now)).fetch_all().await?;
        rows.iter().map(post).collect()
    }

    /// Marks a post escalated, unless it already was (another worker) or a
    /// moderator has seen it meanwhile. Returns whether this call marked it.
    pub async fn mark_peer_post_escalated(
        &mut self,
        post: PostId,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = self
            .query(
                "UPDATE peer_posts SET escalated_at = $2 WHERE id = $1 AND needs_review = 1 \
                 AND escalated_at IS NULL AND deadline < $2",
            )
            .bind(post.to_string())
            .bind(to_millis(at))
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
