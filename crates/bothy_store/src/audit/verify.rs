//! `bothy audit verify`: walks every sealed event in position order, in
//! pages so that memory stays flat, inside one snapshot so that a sealer
//! committing meanwhile is not seen half-way; then, in the same snapshot,
//! compares every clinical record with its newest event (`records.rs`).

use super::records::{self, RecordsReport};
use super::{RECORD_COLUMNS, record, seal};
use crate::{Store, StoreError};
use bothy_domain::audit::{
    Anchor, LEGACY_CHECK_ACTION, LegacyCheck, SealBreak, SealHead, SealVerifier,
};

/// Sealed events read per round trip.
const PAGE: i64 = 5_000;

/// What `bothy audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Sealed events checked (all of them when there is no break).
    pub sealed: u64,
    /// The newest seal as recorded.
    pub head: SealHead,
    /// Events committed but not yet sealed: nothing vouches for them yet.
    pub unsealed: u64,
    /// The time of the oldest of them.
    pub oldest_unsealed_at_ms: Option<i64>,
    /// The recorded check of the earlier format's chains, if there was one.
    pub legacy: Option<LegacyFinding>,
    /// The first problem among the sealed events, if any.
    pub first_break: Option<SealBreak>,
    /// Clinical records against the digests their audit events hold.
    pub records: RecordsReport,
}

impl VerifyReport {
    /// No break among the sealed events, the earlier chains (if any) were
    /// intact when they were sealed, and no clinical record was changed or
    /// deleted outside Bothy.
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
            && self.legacy.as_ref().is_none_or(|l| l.check.is_intact())
            && self.records.breaks == 0
    }
}

/// The check of the earlier chains, as recorded in the sealed event `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyFinding {
    pub seq: i64,
    pub at_ms: i64,
    pub check: LegacyCheck,
}

impl Store {
    /// Checks every sealed event (every field, every link, no gap, nothing
    /// sealed removed, the walk ends at the head, and passes through every
    /// anchor) and counts the events not yet sealed.
    pub async fn verify_audit(&self, anchors: &[Anchor]) -> Result<VerifyReport, StoreError> {
        let mut tx = self.read().await?;
        let head = tx.audit_head().await?;
        let row = tx
            .query(
                "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM audit_events WHERE seal_pos IS NULL",
            )
            .fetch_one()
            .await?;
        let mut report = VerifyReport {
            sealed: 0,
            head,
            unsealed: u64::try_from(row.try_get::<i64>("n")?).unwrap_or(0),
            oldest_unsealed_at_ms: row.try_get("oldest")?,
            legacy: None,
            first_break: None,
            records: RecordsReport::default(),
        };
        let mut verifier = SealVerifier::new(anchors);
        let sql = format!(
            "SELECT seq, {RECORD_COLUMNS}, seal_pos, seal_hash, sealed_at FROM audit_events \
             WHERE seal_pos > $1 ORDER BY seal_pos LIMIT $2"
        );
        // From the lowest possible position, so that rows filed before
        // position 1 are walked (and found out of place) too.
        let mut after = i64::MIN;
        'pages: loop {
            let page = tx
                .query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(after)
                .bind(PAGE)
                .fetch_all()
                .await?;
            let Some(last) = page.last() else { break };
            after = last.try_get("seal_pos")?;
            for row in &page {
                let seq: i64 = row.try_get("seq")?;
                let record = record(row)?;
                let Some(seal) = seal(row)? else { continue };
                if let Err(b) = verifier.push(seq, &record, &seal) {
                    report.first_break = Some(b);
                    break 'pages;
                }
                report.sealed += 1;
                if record.action == LEGACY_CHECK_ACTION
                    && record.actor_kind == "system"
                    && let Some(check) = record.detail.as_deref().and_then(LegacyCheck::parse)
                {
                    // Should there be several, a broken one is the one to report.
                    if report.legacy.as_ref().is_none_or(|l| l.check.is_intact()) {
                        report.legacy = Some(LegacyFinding {
                            seq,
                            at_ms: record.at_ms,
                            check,
                        });
                    }
                }
            }
        }
        if report.first_break.is_none()
            && let Err(b) = verifier.finish(&report.head)
        {
            report.first_break = Some(b);
        }
        report.records = records::check(&mut tx).await?;
        tx.rollback().await?;
        Ok(report)
    }
}
