//! Peer support: groups, memberships and posts (migration 30); the
//! moderation side is in `peer/moderation.rs`. Every insert that a double
//! tap could repeat is `ON CONFLICT DO NOTHING` on a unique index, and every
//! moderation move is a guarded write on the status and review mark the
//! moderator saw: the affected-row count tells the caller who won.

use crate::db::Row;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::ids::{GroupId, MemberId, PostId};
use bothy_domain::peer::moderation::{reasons_from_str, reasons_to_string};
use bothy_domain::peer::{
    Group, GroupKind, Member, ModerationMode, OutsideHours, Post, PostStatus, Priority,
};
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{PatientId, ServiceId, StaffId};

const GROUP_COLUMNS: &str = "id, service_id, name, kind, programme, description, rules, mode, \
     hours, links_allowed, outside_hours, invite_code, created_at";

const MEMBER_COLUMNS: &str =
    "id, group_id, service_id, patient_id, pseudonym, joined_at, suspended_until";

const POST_COLUMNS: &str = "p.id, p.group_id, p.service_id, p.member_id, m.pseudonym, \
     p.parent_id, p.body, p.status, p.needs_review, p.priority, p.hold_reasons, p.risk, \
     p.queued_at, p.deadline, p.created_at, p.reviewed_at, p.status_reason, p.edit_note, \
     p.report_count, p.escalated_at";

mod moderation;

pub use moderation::{PeerFigureRow, PeerMove};

fn corrupt(what: &str) -> StoreError {
    StoreError::corrupt(format!("peer {what}"))
}

fn group(r: &Row) -> Result<Group, StoreError> {
    let hours: String = r.try_get("hours")?;
    Ok(Group {
        id: parse(&r.try_get::<String>("id")?, "group id")?,
        service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
        name: r.try_get("name")?,
        kind: GroupKind::parse(&r.try_get::<String>("kind")?).ok_or_else(|| corrupt("kind"))?,
        programme: r.try_get("programme")?,
        description: r.try_get("description")?,
        rules: r.try_get("rules")?,
        mode: ModerationMode::parse(&r.try_get::<String>("mode")?)
            .ok_or_else(|| corrupt("mode"))?,
        hours: serde_json::from_str(&hours).map_err(|_| corrupt("hours"))?,
        links_allowed: r.try_get::<i64>("links_allowed")? != 0,
        outside_hours: OutsideHours::parse(&r.try_get::<String>("outside_hours")?)
            .ok_or_else(|| corrupt("outside hours"))?,
        invite_code: r.try_get("invite_code")?,
        created_at: from_millis(r.try_get("created_at")?),
    })
}

fn member(r: &Row) -> Result<Member, StoreError> {
    Ok(Member {
        id: parse(&r.try_get::<String>("id")?, "member id")?,
        group_id: parse(&r.try_get::<String>("group_id")?, "group id")?,
        service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
        patient_id: parse(&r.try_get::<String>("patient_id")?, "patient id")?,
        pseudonym: r.try_get("pseudonym")?,
        joined_at: from_millis(r.try_get("joined_at")?),
        suspended_until: r
            .try_get::<Option<i64>>("suspended_until")?
            .map(from_millis),
    })
}

fn post(r: &Row) -> Result<Post, StoreError> {
    Ok(Post {
        id: parse(&r.try_get::<String>("id")?, "post id")?,
        group_id: parse(&r.try_get::<String>("group_id")?, "group id")?,
        service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
        member_id: parse(&r.try_get::<String>("member_id")?, "member id")?,
        pseudonym: r.try_get("pseudonym")?,
        parent_id: r
            .try_get::<Option<String>>("parent_id")?
            .map(|p| parse(&p, "post id"))
            .transpose()?,
        body: r.try_get("body")?,
        status: PostStatus::parse(&r.try_get::<String>("status")?)
            .ok_or_else(|| corrupt("status"))?,
        needs_review: r.try_get::<i64>("needs_review")? != 0,
        priority: Priority::from_rank(r.try_get("priority")?),
        hold_reasons: reasons_from_str(&r.try_get::<String>("hold_reasons")?),
        risk: r.try_get::<Option<String>>("risk")?.is_some(),
        queued_at: r.try_get::<Option<i64>>("queued_at")?.map(from_millis),
        deadline: r.try_get::<Option<i64>>("deadline")?.map(from_millis),
        created_at: from_millis(r.try_get("created_at")?),
        reviewed_at: r.try_get::<Option<i64>>("reviewed_at")?.map(from_millis),
        status_reason: r.try_get("status_reason")?,
        edit_note: r.try_get("edit_note")?,
        report_count: r.try_get("report_count")?,
        escalated_at: r.try_get::<Option<i64>>("escalated_at")?.map(from_millis),
    })
}

/// A page of a group's posts: those after `after` (`created_at`, id) in
/// newest-first order.
pub type PostCursor = (Timestamp, PostId);

impl Tx {
    /// Makes a group; false when the service already has one of that name.
    pub async fn insert_peer_group(
        &mut self,
        g: &Group,
        by: Option<StaffId>,
    ) -> Result<bool, StoreError> {
        let hours = serde_json::to_string(&g.hours).map_err(|_| corrupt("hours"))?;
        Ok(self
            .query(
                "INSERT INTO peer_groups (id, service_id, name, kind, programme, description, \
                 rules, mode, hours, links_allowed, outside_hours, invite_code, created_by, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                 ON CONFLICT (service_id, name) DO NOTHING RETURNING id",
            )
            .bind(g.id.to_string())
            .bind(g.service_id.to_string())
            .bind(g.name.clone())
            .bind(g.kind.as_str())
            .bind(g.programme.clone())
            .bind(g.description.clone())
            .bind(g.rules.clone())
            .bind(g.mode.as_str())
            .bind(hours)
            .bind(i64::from(g.links_allowed))
            .bind(g.outside_hours.as_str())
            .bind(g.invite_code.clone())
            .bind(by.map(|s| s.to_string()))
            .bind(to_millis(g.created_at))
            .fetch_optional()
            .await?
            .is_some())
    }

    /// A service's groups, by name.
    pub async fn peer_groups(&mut self, service: ServiceId) -> Result<Vec<Group>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {GROUP_COLUMNS} FROM peer_groups WHERE service_id = $1 ORDER BY name, id"
        ));
        let rows = self
            .query(sql)
            .bind(service.to_string())
            .fetch_all()
            .await?;
        rows.iter().map(group).collect()
    }

    /// One group.
    pub async fn peer_group(&mut self, id: GroupId) -> Result<Option<Group>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {GROUP_COLUMNS} FROM peer_groups WHERE id = $1"
        ));
        let row = self
            .query(sql)
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(group).transpose()
    }

    /// Adds a member; false when the person is already a member or the
    /// group name is taken in the group (either unique index).
    pub async fn insert_peer_member(
        &mut self,
        m: &Member,
        pseudonym_key: &str,
    ) -> Result<bool, StoreError> {
        Ok(self
            .query(
                "INSERT INTO peer_members (id, group_id, service_id, patient_id, pseudonym, \
                 pseudonym_key, joined_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(m.id.to_string())
            .bind(m.group_id.to_string())
            .bind(m.service_id.to_string())
            .bind(m.patient_id.to_string())
            .bind(m.pseudonym.clone())
            .bind(pseudonym_key)
            .bind(to_millis(m.joined_at))
            .fetch_optional()
            .await?
            .is_some())
    }

    /// The person's membership of a group. With `lock`, the row is locked
    /// until the transaction ends, so one member's posts follow one another
    /// (their rate limits and duplicate checks see each other).
    pub async fn peer_member_of(
        &mut self,
        group: GroupId,
        patient: PatientId,
        lock: bool,
    ) -> Result<Option<Member>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER_COLUMNS} FROM peer_members WHERE group_id = $1 AND patient_id = $2{}",
            if lock { self.dialect.for_update } else { "" }
        ));
        let row = self
            .query(sql)
            .bind(group.to_string())
            .bind(patient.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(member).transpose()
    }

    /// One membership.
    pub async fn peer_member(&mut self, id: MemberId) -> Result<Option<Member>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER_COLUMNS} FROM peer_members WHERE id = $1"
        ));
        let row = self
            .query(sql)
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(member).transpose()
    }

    /// Every membership the person holds.
    pub async fn peer_memberships(
        &mut self,
        patient: PatientId,
    ) -> Result<Vec<Member>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER_COLUMNS} FROM peer_members WHERE patient_id = $1"
        ));
        let rows = self
            .query(sql)
            .bind(patient.to_string())
            .fetch_all()
            .await?;
        rows.iter().map(member).collect()
    }

    /// Whether a group name is taken in a group.
    pub async fn peer_pseudonym_taken(
        &mut self,
        group: GroupId,
        key: &str,
    ) -> Result<bool, StoreError> {
        Ok(self
            .query("SELECT id FROM peer_members WHERE group_id = $1 AND pseudonym_key = $2")
            .bind(group.to_string())
            .bind(key)
            .fetch_optional()
            .await?
            .is_some())
    }

    /// Suspends (or with `None`, restores) a member's posting.
    pub async fn set_peer_suspension(
        &mut self,
        member: MemberId,
        until: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        self.query("UPDATE peer_members SET suspended_until = $2 WHERE id = $1")
            .bind(member.to_string())
            .bind(until.map(to_millis))
            .execute()
            .await?;
        Ok(())
    }

    /// Stores a post; false when its member already sent one with this key.
    pub async fn insert_peer_post(&mut self, p: &Post, key: &str) -> Result<bool, StoreError> {
        Ok(self
            .query(
                "INSERT INTO peer_posts (id, group_id, service_id, member_id, parent_id, body, \
                 status, needs_review, priority, hold_reasons, risk, queued_at, deadline, \
                 created_at, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                 $11, $12, $13, $14, $15) ON CONFLICT (member_id, idempotency_key) DO NOTHING \
                 RETURNING id",
            )
            .bind(p.id.to_string())
            .bind(p.group_id.to_string())
            .bind(p.service_id.to_string())
            .bind(p.member_id.to_string())
            .bind(p.parent_id.map(|id| id.to_string()))
            .bind(p.body.clone())
            .bind(p.status.as_str())
            .bind(i64::from(p.needs_review))
            .bind(p.priority.rank())
            .bind(reasons_to_string(&p.hold_reasons))
            .bind(p.risk.then(|| "risk".to_string()))
            .bind(p.queued_at.map(to_millis))
            .bind(p.deadline.map(to_millis))
            .bind(to_millis(p.created_at))
            .bind(key)
            .fetch_optional()
            .await?
            .is_some())
    }

    /// The post a member sent with `key`.
    pub async fn peer_post_by_key(
        &mut self,
        member: MemberId,
        key: &str,
    ) -> Result<Option<Post>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {POST_COLUMNS} FROM peer_posts p JOIN peer_members m ON m.id = p.member_id \
             WHERE p.member_id = $1 AND p.idempotency_key = $2"
        ));
        let row = self
            .query(sql)
            .bind(member.to_string())
            .bind(key)
            .fetch_optional()
            .await?;
        row.as_ref().map(post).transpose()
    }

    /// One post. With `lock`, locked until the transaction ends.
    pub async fn peer_post(&mut self, id: PostId, lock: bool) -> Result<Option<Post>, StoreError> {
        // Only the post's row: the member's is locked by posting.
        let lock = if lock && !self.dialect.for_update.is_empty() {
            " FOR UPDATE OF p"
        } else {
            ""
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {POST_COLUMNS} FROM peer_posts p JOIN peer_members m ON m.id = p.member_id \
             WHERE p.id = $1{lock}"
        ));
        let row = self
            .query(sql)
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(post).transpose()
    }

    /// How many posts a member made since `since`, and whether one of them
    /// has this exact body.
    pub async fn peer_member_recent(
        &mut self,
        member: MemberId,
        since: Timestamp,
        body: &str,
    ) -> Result<(i64, bool), StoreError> {
        let row = self
            .query(
                "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN body = $3 THEN 1 ELSE 0 END), 0) \
                 AS same FROM peer_posts WHERE member_id = $1 AND created_at >= $2",
            )
            .bind(member.to_string())
            .bind(to_millis(since))
            .bind(body)
            .fetch_one()
            .await?;
        Ok((row.try_get("n")?, row.try_get::<i64>("same")? > 0))
    }

    /// How many posts a group had since `since`.
    pub async fn peer_group_recent(
        &mut self,
        group: GroupId,
        since: Timestamp,
    ) -> Result<i64, StoreError> {
        self.query("SELECT COUNT(*) AS n FROM peer_posts WHERE group_id = $1 AND created_at >= $2")
            .bind(group.to_string())
            .bind(to_millis(since))
            .fetch_one()
            .await?
            .try_get("n")
    }

    /// A page of a group's top-level posts, newest first: the visible ones,
    /// and the viewer's own whatever their status (so an author sees what
    /// is held and why something was hidden).
    pub async fn peer_posts_page(
        &mut self,
        group: GroupId,
        viewer: Option<MemberId>,
        after: Option<PostCursor>,
        limit: i64,
    ) -> Result<Vec<Post>, StoreError> {
        let (at, id) = after.map_or((i64::MAX, String::new()), |(at, id)| {
            (to_millis(at), id.to_string())
        });
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {POST_COLUMNS} FROM peer_posts p JOIN peer_members m ON m.id = p.member_id \
             WHERE p.group_id = $1 AND p.parent_id IS NULL \
             AND (p.status = 'visible' OR p.member_id = $2) \
             AND p.created_at <= $3 AND (p.created_at < $3 OR $4 = '' OR p.id < $4) \
             ORDER BY p.created_at DESC, p.id DESC LIMIT {limit}"
        ));
        let rows = self
            .query(sql)
            .bind(group.to_string())
            .bind(viewer.map(|v| v.to_string()).unwrap_or_default())
            .bind(at)
            .bind(id)
            .fetch_all()
            .await?;
        rows.iter().map(post).collect()
    }

    /// The replies to some posts, oldest first, visible or the viewer's own.
    pub async fn peer_replies(
        &mut self,
        parents: &[PostId],
        viewer: Option<MemberId>,
    ) -> Result<Vec<Post>, StoreError> {
        if parents.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM peer_posts p JOIN peer_members m ON m.id = p.member_id \
             WHERE p.parent_id IN ({{ids}}) AND (p.status = 'visible' OR p.member_id = $2) \
             ORDER BY p.created_at, p.id"
        );
        let rows = self
            .query_in(&sql, parents)
            .bind(viewer.map(|v| v.to_string()).unwrap_or_default())
            .fetch_all()
            .await?;
        rows.iter().map(post).collect()
    }
}
