//! The sealer: gives committed events their place in the one hash chain.
//!
//! A pass takes the sealer's lease (a row with a holder and an expiry on the
//! caller's clock), so that of several servers and workers only one seals at
//! a time and none waits for another; a holder that dies leaves the lease to
//! run out. Under the lease it checks the earlier format's chains once, then
//! seals in transactions of [`BATCH`] events: take the head row's lock (and
//! make sure the lease is still ours), read the oldest unsealed events by
//! `seq` through the partial index of unsealed events, give each the next
//! position and its hash, and move the head, all in one commit.
//!
//! Sealing selects "not yet sealed", never "seq above the last sealed": on
//! PostgreSQL `seq` is given at insert, so an event can commit after one with
//! a higher `seq` was sealed; it is sealed at the next pass, at the next
//! position. Two sealers never fork the chain or seal an event twice, even if
//! a lease runs out under a paused holder: every seal transaction first locks
//! the head row on the condition that it still holds the lease, moves the head
//! only from the position it read, and seals only rows still unsealed
//! (positions are unique, too).

use super::{RECORD_COLUMNS, record};
use crate::{Store, StoreError};
use bothy_domain::audit::{
    AuditRecord, LEGACY_CHECK_ACTION, LegacyCheck, Seal, SealHead, seal_next,
};
use bothy_domain::time::{Timestamp, to_millis};
use std::time::Duration;

/// Events sealed per transaction.
const BATCH: usize = 500;
/// Transactions per pass; a pass that reaches it says there is [`SealPass::more`].
const MAX_BATCHES: usize = 20;

/// What one sealing pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealPass {
    /// Events sealed.
    pub sealed: u64,
    /// Another sealer held the lease, so this pass did nothing.
    pub busy: bool,
    /// The lease ran out and another sealer took it during the pass, which
    /// then stopped (what it had sealed stays sealed).
    pub lease_lost: bool,
    /// Events are left for another pass, which may start at once.
    pub more: bool,
    /// The one check of the earlier format's chains, if this pass made it.
    pub legacy: Option<LegacyCheck>,
}

/// Seals one event, if still unsealed: SQLite's statement, found by `seq`
/// whatever the planner's statistics say.
const SEAL_ONE: &str = "UPDATE audit_events SET seal_pos = $1, seal_hash = $2, sealed_at = $3 \
                        WHERE seq = $4 AND seal_pos IS NULL";

impl crate::Tx {
    /// Writes a batch's seals; returns how many events were still unsealed.
    ///
    /// PostgreSQL: one statement for the batch, since a statement per event
    /// was a round trip per event, as many as the reads themselves. SQLite
    /// runs each statement in-process, so a statement per event costs no
    /// round trip, and each is a lookup by `seq`. One statement joining the
    /// batch's JSON to the events let SQLite's planner scan the unsealed
    /// events instead, and read the whole JSON again for each of them
    /// whenever its statistics showed the unsealed index empty (as the
    /// sealer keeps it): 1.7 s for a batch of 500 with 5,000 waiting, while
    /// every read waited for its audit commit (docs/benchmark-profiles-2.md,
    /// finding 16).
    async fn write_seals(&mut self, seals: &[(i64, Seal)]) -> Result<u64, StoreError> {
        if self.dialect.backend == crate::Backend::Sqlite {
            let mut sealed = 0;
            for (seq, seal) in seals {
                sealed += self
                    .query(SEAL_ONE)
                    .bind(seal.pos)
                    .bind(&seal.hash)
                    .bind(seal.sealed_at_ms)
                    .bind(*seq)
                    .execute()
                    .await?
                    .rows_affected();
            }
            return Ok(sealed);
        }
        let rows: Vec<serde_json::Value> = seals
            .iter()
            .map(|(seq, s)| {
                serde_json::json!({"seq": seq, "pos": s.pos, "hash": s.hash, "at": s.sealed_at_ms})
            })
            .collect();
        let done = self
            .query(
                "UPDATE audit_events SET seal_pos = s.pos, seal_hash = s.hash, sealed_at = s.at \
                 FROM jsonb_to_recordset($1::jsonb) AS s(seq BIGINT, pos BIGINT, hash TEXT, at BIGINT) \
                 WHERE audit_events.seq = s.seq AND audit_events.seal_pos IS NULL",
            )
            .bind(serde_json::Value::Array(rows).to_string())
            .execute()
            .await?;
        Ok(done.rows_affected())
    }

    /// How SQLite runs a seal (`EXPLAIN QUERY PLAN`, one line per step), for
    /// the conformance suite; none on PostgreSQL.
    pub async fn seal_plan(&mut self) -> Result<Vec<String>, StoreError> {
        if self.dialect.backend != crate::Backend::Sqlite {
            return Ok(Vec::new());
        }
        let rows = self
            .query(sqlx::AssertSqlSafe(format!(
                "EXPLAIN QUERY PLAN {SEAL_ONE}"
            )))
            .bind(0_i64)
            .bind("")
            .bind(0_i64)
            .bind(0_i64)
            .fetch_all()
            .await?;
        rows.iter().map(|r| r.try_get::<String>("detail")).collect()
    }
}

impl Store {
    /// Seals committed events that are not yet sealed, under the sealer's
    /// lease for `holder` (a name for operators) from `now` for `lease`.
    /// Safe to run from any number of processes at once.
    pub async fn seal_audit(
        &self,
        holder: &str,
        now: Timestamp,
        lease: Duration,
    ) -> Result<SealPass, StoreError> {
        let mut pass = SealPass::default();
        // Reads first, so that an idle sealer takes no write lock.
        let mut r = self.reader().await?;
        let legacy_unchecked = r
            .query("SELECT legacy_checked_at FROM audit_sealer WHERE id = 1")
            .fetch_one()
            .await?
            .try_get::<Option<i64>>("legacy_checked_at")?
            .is_none();
        let pending = r
            .query("SELECT seq FROM audit_events WHERE seal_pos IS NULL LIMIT 1")
            .fetch_optional()
            .await?
            .is_some();
        drop(r);
        if !pending && !legacy_unchecked {
            return Ok(pass);
        }

        let token = format!("{holder}/{}", uuid::Uuid::new_v4().simple());
        let now_ms = to_millis(now);
        let until = to_millis(now.checked_add(lease).unwrap_or(Timestamp::MAX));
        let mut tx = self.begin().await?;
        let took = tx
            .query(
                "UPDATE audit_sealer SET lease_holder = $1, lease_until = $2 \
                 WHERE id = 1 AND (lease_until IS NULL OR lease_until <= $3)",
            )
            .bind(&token)
            .bind(until)
            .bind(now_ms)
            .execute()
            .await?
            .rows_affected()
            == 1;
        tx.commit().await?;
        if !took {
            pass.busy = true;
            return Ok(pass);
        }

        let sealed = self
            .seal_under_lease(&token, now_ms, legacy_unchecked, &mut pass)
            .await;
        // Give the lease back whatever happened, so that the next pass need
        // not wait for it to run out.
        let released = self.release_seal_lease(&token).await;
        sealed?;
        released?;
        Ok(pass)
    }

    async fn release_seal_lease(&self, token: &str) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.query(
            "UPDATE audit_sealer SET lease_holder = NULL, lease_until = NULL \
             WHERE id = 1 AND lease_holder = $1",
        )
        .bind(token)
        .execute()
        .await?;
        tx.commit().await
    }

    async fn seal_under_lease(
        &self,
        token: &str,
        now_ms: i64,
        legacy_unchecked: bool,
        pass: &mut SealPass,
    ) -> Result<(), StoreError> {
        if legacy_unchecked {
            pass.legacy = self.check_legacy_once(now_ms).await?;
        }
        for _ in 0..MAX_BATCHES {
            match self.seal_batch(token, now_ms).await? {
                None => {
                    pass.lease_lost = true;
                    return Ok(());
                }
                Some(n) => {
                    pass.sealed += n as u64;
                    if n < BATCH {
                        return Ok(());
                    }
                }
            }
        }
        pass.more = true;
        Ok(())
    }

    /// Checks the earlier format's chains and records the outcome as an
    /// audit event (sealed with the others, so it cannot be removed
    /// unnoticed), once: the first sealer to mark the check done records it.
    async fn check_legacy_once(&self, now_ms: i64) -> Result<Option<LegacyCheck>, StoreError> {
        let check = super::legacy::check(self).await?;
        let mut tx = self.begin().await?;
        // Not conditional on the lease: should a long check outlast it, the
        // first sealer to finish the check records it, and no one starts over.
        let marked = tx
            .query(
                "UPDATE audit_sealer SET legacy_checked_at = $1 \
                 WHERE id = 1 AND legacy_checked_at IS NULL",
            )
            .bind(now_ms)
            .execute()
            .await?
            .rows_affected();
        if marked != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        if check.events > 0 || !check.is_intact() {
            tx.audit(&AuditRecord {
                at_ms: now_ms,
                actor_kind: "system".into(),
                actor_id: None,
                role: None,
                service_id: None,
                patient_id: None,
                action: LEGACY_CHECK_ACTION.into(),
                purpose: "security".into(),
                request_id: None,
                detail: Some(check.detail()),
                record: None,
            })
            .await?;
        }
        tx.commit().await?;
        Ok(Some(check))
    }

    /// Seals up to [`BATCH`] events in one transaction. `None` when the lease
    /// is no longer `token`'s.
    async fn seal_batch(&self, token: &str, now_ms: i64) -> Result<Option<usize>, StoreError> {
        let mut tx = self.begin().await?;
        // Locks the head row until commit (SQLite's write transaction already
        // excludes every other writer); a sealer that lost its lease stops here.
        let Some(row) = tx
            .query(
                "UPDATE audit_sealer SET lease_until = lease_until \
                 WHERE id = 1 AND lease_holder = $1 RETURNING head_pos, head_hash",
            )
            .bind(token)
            .fetch_optional()
            .await?
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        let start: i64 = row.try_get("head_pos")?;
        let mut head = SealHead {
            pos: start,
            hash: row.try_get("head_hash")?,
            sealed_at_ms: None,
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT seq, {RECORD_COLUMNS} FROM audit_events WHERE seal_pos IS NULL ORDER BY seq LIMIT {BATCH}"
        ));
        let rows = tx.query(sql).fetch_all().await?;
        if rows.is_empty() {
            tx.rollback().await?;
            return Ok(Some(0));
        }
        let mut seals = Vec::with_capacity(rows.len());
        for row in &rows {
            let seq: i64 = row.try_get("seq")?;
            let seal = seal_next(&head, seq, now_ms, &record(row)?);
            head = SealHead {
                pos: seal.pos,
                hash: seal.hash.clone(),
                sealed_at_ms: Some(seal.sealed_at_ms),
            };
            seals.push((seq, seal));
        }
        let done = tx.write_seals(&seals).await?;
        if done != rows.len() as u64 {
            // Dropping the transaction undoes this batch.
            return Err(StoreError::corrupt(format!(
                "{} of {} audit events were sealed meanwhile by someone without the head's lock",
                rows.len() as u64 - done,
                rows.len()
            )));
        }
        let moved = tx
            .query(
                "UPDATE audit_sealer SET head_pos = $1, head_hash = $2, head_sealed_at = $3 \
                 WHERE id = 1 AND head_pos = $4 AND lease_holder = $5",
            )
            .bind(head.pos)
            .bind(&head.hash)
            .bind(now_ms)
            .bind(start)
            .bind(token)
            .execute()
            .await?;
        if moved.rows_affected() != 1 {
            return Err(StoreError::corrupt(
                "the audit chain's head moved during sealing",
            ));
        }
        tx.commit().await?;
        Ok(Some(rows.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: i64) -> AuditRecord {
        AuditRecord {
            at_ms: n,
            actor_kind: "system".into(),
            actor_id: None,
            role: None,
            service_id: None,
            patient_id: None,
            action: format!("test.{n}"),
            purpose: "security".into(),
            request_id: None,
            detail: None,
            record: None,
        }
    }

    async fn holder(store: &Store) -> Option<String> {
        store
            .reader()
            .await
            .unwrap()
            .query("SELECT lease_holder FROM audit_sealer WHERE id = 1")
            .fetch_one()
            .await
            .unwrap()
            .try_get("lease_holder")
            .unwrap()
    }

    /// A sealer whose lease was taken over seals nothing more, and the
    /// new holder continues the chain from the head, not from a fork.
    #[tokio::test]
    async fn a_sealer_that_lost_its_lease_stops_and_the_chain_does_not_fork() {
        let (store, dir) = crate::scratch::scratch_sqlite("seal").await;
        let append = |n: i64| {
            let store = store.clone();
            async move {
                let mut tx = store.begin().await.unwrap();
                tx.audit(&record(n)).await.unwrap();
                tx.commit().await.unwrap();
            }
        };
        let take = |token: &'static str| {
            let store = store.clone();
            async move {
                let mut tx = store.begin().await.unwrap();
                tx.query("UPDATE audit_sealer SET lease_holder = $1, lease_until = 0 WHERE id = 1")
                    .bind(token)
                    .execute()
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
        };
        append(1).await;
        take("a").await;
        assert_eq!(store.seal_batch("a", 10).await.unwrap(), Some(1));
        append(2).await;
        append(3).await;
        // "b" takes the lease while "a" is between batches.
        take("b").await;
        assert_eq!(store.seal_batch("a", 10).await.unwrap(), None, "a stops");
        assert_eq!(store.seal_batch("b", 20).await.unwrap(), Some(2));
        assert_eq!(store.seal_batch("b", 20).await.unwrap(), Some(0));
        let report = store.verify_audit(&[]).await.unwrap();
        assert_eq!(
            (report.first_break, report.sealed, report.unsealed),
            (None, 3, 0)
        );
        // Giving back a lease one no longer holds leaves the holder's alone.
        store.release_seal_lease("a/x").await.unwrap();
        assert_eq!(holder(&store).await.as_deref(), Some("b"));
        store.release_seal_lease("b").await.unwrap();
        assert_eq!(holder(&store).await, None);
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
