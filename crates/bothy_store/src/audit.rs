//! The audit trail: append inside the caller's transaction, verify on demand.

use crate::db::Row;
use crate::{Store, StoreError, Tx};
use bothy_domain::audit::{
    AuditRecord, ChainBreak, ChainVerifier, StoredAuditEvent, chain_for, event_hash,
};

/// The recorded end of one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub chain: i64,
    pub last_seq: i64,
    pub last_hash: String,
}

/// What `bothy audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub events: u64,
    pub chains: usize,
    /// The first broken link, if any.
    pub first_break: Option<ChainBreak>,
}

const EVENT_COLUMNS: &str = "seq, chain, chain_seq, at, actor_kind, actor_id, role, service_id, patient_id, \
                             action, purpose, request_id, detail, prev_hash, hash";

fn event(r: &Row) -> Result<StoredAuditEvent, StoreError> {
    Ok(StoredAuditEvent {
        seq: r.try_get("seq")?,
        chain: r.try_get("chain")?,
        chain_seq: r.try_get("chain_seq")?,
        record: AuditRecord {
            at_ms: r.try_get("at")?,
            actor_kind: r.try_get("actor_kind")?,
            actor_id: r.try_get("actor_id")?,
            role: r.try_get("role")?,
            service_id: r.try_get("service_id")?,
            patient_id: r.try_get("patient_id")?,
            action: r.try_get("action")?,
            purpose: r.try_get("purpose")?,
            request_id: r.try_get("request_id")?,
            detail: r.try_get("detail")?,
        },
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

impl Tx {
    /// Appends an event to its chain. Claiming the next position is an
    /// UPDATE ... RETURNING, which takes the chain's row lock until commit,
    /// so concurrent writers to one chain queue and never fork it.
    pub async fn audit(&mut self, record: &AuditRecord) -> Result<(), StoreError> {
        let key = record
            .patient_id
            .as_deref()
            .or(record.actor_id.as_deref())
            .unwrap_or(&record.action);
        let chain = chain_for(key);
        let row = self.query(
            "UPDATE audit_chains SET last_seq = last_seq + 1 WHERE chain = $1 RETURNING last_seq, last_hash",
        )
        .bind(chain)
        .fetch_one()
        .await?;
        let chain_seq: i64 = row.try_get("last_seq")?;
        let prev_hash: String = row.try_get("last_hash")?;
        let hash = event_hash(&prev_hash, chain, chain_seq, record);
        self.query(
            "INSERT INTO audit_events (chain, chain_seq, at, actor_kind, actor_id, role, service_id, patient_id, \
             action, purpose, request_id, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(chain)
        .bind(chain_seq)
        .bind(record.at_ms)
        .bind(&record.actor_kind)
        .bind(record.actor_id.clone())
        .bind(record.role.clone())
        .bind(record.service_id.clone())
        .bind(record.patient_id.clone())
        .bind(&record.action)
        .bind(&record.purpose)
        .bind(record.request_id.clone())
        .bind(record.detail.clone())
        .bind(&prev_hash)
        .bind(&hash)
        .execute()
        .await?;
        self.query("UPDATE audit_chains SET last_hash = $2 WHERE chain = $1")
            .bind(chain)
            .bind(&hash)
            .execute()
            .await?;
        Ok(())
    }

    /// Events about one patient, newest first, at most `limit`.
    pub async fn audit_events_for_patient(
        &mut self,
        patient_id: &str,
        limit: i64,
    ) -> Result<Vec<StoredAuditEvent>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events WHERE patient_id = $1 ORDER BY seq DESC LIMIT $2"
        ));
        let rows = self
            .query(sql)
            .bind(patient_id)
            .bind(limit)
            .fetch_all()
            .await?;
        rows.iter().map(event).collect()
    }

    /// The most recent events, newest first.
    pub async fn recent_audit_events(
        &mut self,
        limit: i64,
    ) -> Result<Vec<StoredAuditEvent>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events ORDER BY seq DESC LIMIT $1"
        ));
        let rows = self.query(sql).bind(limit).fetch_all().await?;
        rows.iter().map(event).collect()
    }
}

impl Store {
    /// Walks every chain from its first event to its recorded head and
    /// reports the first broken link. Reads in pages so memory stays flat.
    pub async fn verify_audit(&self) -> Result<VerifyReport, StoreError> {
        let mut tx = self.read().await?;
        let heads: Vec<AuditHead> = tx
            .query("SELECT chain, last_seq, last_hash FROM audit_chains ORDER BY chain")
            .fetch_all()
            .await?
            .iter()
            .map(|r| {
                Ok(AuditHead {
                    chain: r.try_get("chain")?,
                    last_seq: r.try_get("last_seq")?,
                    last_hash: r.try_get("last_hash")?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let mut report = VerifyReport {
            events: 0,
            chains: heads.len(),
            first_break: None,
        };
        // Events whose chain has no head would escape a per-chain walk.
        let orphan = tx.query("SELECT seq, chain FROM audit_events WHERE chain NOT IN (SELECT chain FROM audit_chains) ORDER BY seq LIMIT 1")
            .fetch_optional()
            .await?;
        if let Some(r) = orphan {
            report.first_break = Some(ChainBreak::UnknownChain {
                seq: r.try_get("seq")?,
                chain: r.try_get("chain")?,
            });
            return Ok(report);
        }
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events WHERE chain = $1 AND chain_seq > $2 ORDER BY chain_seq LIMIT 5000"
        );
        'chains: for head in heads {
            let mut verifier = ChainVerifier::new(head.chain);
            let mut after: i64 = 0;
            loop {
                let page = tx
                    .query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(head.chain)
                    .bind(after)
                    .fetch_all()
                    .await?;
                let Some(last) = page.last() else { break };
                after = last.try_get("chain_seq")?;
                for row in &page {
                    if let Err(b) = verifier.push(&event(row)?) {
                        report.first_break = Some(b);
                        break 'chains;
                    }
                }
            }
            match verifier.finish(head.last_seq, &head.last_hash) {
                Ok(n) => report.events += n,
                Err(b) => {
                    report.first_break = Some(b);
                    break;
                }
            }
        }
        if report.first_break.is_none() {
            // Every stored event must have been walked: this catches events
            // filed before a chain's first position, where no walk looks.
            let row = tx
                .query("SELECT COUNT(*) AS n FROM audit_events")
                .fetch_one()
                .await?;
            let stored: i64 = row.try_get("n")?;
            let walked = i64::try_from(report.events).unwrap_or(i64::MAX);
            if stored != walked {
                report.first_break = Some(ChainBreak::Stray {
                    stray: stored - walked,
                });
            }
        }
        tx.rollback().await?;
        Ok(report)
    }
}
