//! The audit trail: an event is appended in the caller's transaction with a
//! plain INSERT, so recording an access takes no shared lock; the sealer
//! chains committed events shortly after ([`Store::seal_audit`], in
//! `seal.rs`), and `verify.rs` checks the chain on demand. The rule itself
//! (hashing, verification) is `bothy_domain::audit`.

pub(crate) mod carried;
mod legacy;
pub(crate) mod records;
mod seal;
mod verify;

pub use records::RecordsReport;
pub use seal::SealPass;
pub use verify::{LegacyFinding, VerifyReport};

use crate::db::Row;
use crate::{Conn, Pools, Store, StoreError, Tx};
use bothy_domain::audit::{AuditRecord, RecordDigest, Seal, SealHead, StoredAuditEvent};

/// An event's content, in [`record`]'s order.
const RECORD_COLUMNS: &str = "at, actor_kind, actor_id, role, service_id, patient_id, action, \
                              purpose, request_id, detail, record_kind, record_id, record_digest";

/// An event as stored, for [`event`].
const EVENT_COLUMNS: &str = "seq, at, actor_kind, actor_id, role, service_id, patient_id, action, \
                             purpose, request_id, detail, record_kind, record_id, record_digest, \
                             seal_pos, seal_hash, sealed_at";

fn record(r: &Row) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
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
        // All three or none: a part missing (only tampering leaves one) reads
        // as none, which no longer matches the seal of an event that had them.
        record: match (
            r.try_get::<Option<String>>("record_kind")?,
            r.try_get::<Option<String>>("record_id")?,
            r.try_get::<Option<String>>("record_digest")?,
        ) {
            (Some(kind), Some(id), Some(digest)) => Some(RecordDigest { kind, id, digest }),
            _ => None,
        },
    })
}

/// The seal of a row that has a position. A missing hash or time (which
/// only tampering leaves) reads as empty, so that verification reports the
/// event as not matching its seal rather than failing to read it.
fn seal(r: &Row) -> Result<Option<Seal>, StoreError> {
    let pos: Option<i64> = r.try_get("seal_pos")?;
    Ok(match pos {
        None => None,
        Some(pos) => Some(Seal {
            pos,
            hash: r
                .try_get::<Option<String>>("seal_hash")?
                .unwrap_or_default(),
            sealed_at_ms: r.try_get::<Option<i64>>("sealed_at")?.unwrap_or_default(),
        }),
    })
}

fn event(r: &Row) -> Result<StoredAuditEvent, StoreError> {
    Ok(StoredAuditEvent {
        seq: r.try_get("seq")?,
        record: record(r)?,
        seal: seal(r)?,
    })
}

impl Tx {
    /// Appends an event in this transaction: a plain INSERT, so concurrent
    /// writers never wait for each other here. The event is durable when the
    /// transaction commits, and sealed into the chain shortly after. In a
    /// PostgreSQL transaction it is sent with the next statement
    /// (`carried.rs`), saving a round trip.
    pub async fn audit(&mut self, record: &AuditRecord) -> Result<(), StoreError> {
        if self.holds_audit() {
            self.audit_held.push(record.clone());
            return Ok(());
        }
        self.query(
            "INSERT INTO audit_events (at, actor_kind, actor_id, role, service_id, patient_id, \
             action, purpose, request_id, detail, record_kind, record_id, record_digest) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
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
        .bind(record.record.as_ref().map(|d| d.kind.clone()))
        .bind(record.record.as_ref().map(|d| d.id.clone()))
        .bind(record.record.as_ref().map(|d| d.digest.clone()))
        .execute()
        .await?;
        Ok(())
    }

    /// Appends several events in one statement, in their order: a read's
    /// events gathered with other reads' into one commit (`bothy_app`'s
    /// read audit). They are bound as one JSON array, so the statement's
    /// text is the same however many there are.
    pub async fn audit_all(&mut self, records: &[AuditRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let sql = sqlx::AssertSqlSafe(carried::insert_sql(self.dialect.audit_rows, 1));
        self.query(sql)
            .bind(carried::records_json(records))
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
            "SELECT {EVENT_COLUMNS} FROM audit_events WHERE patient_id = $1 ORDER BY seq DESC LIMIT {limit}"
        ));
        let rows = self.query(sql).bind(patient_id).fetch_all().await?;
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

    /// The newest seal, as the sealer recorded it.
    async fn audit_head(&mut self) -> Result<SealHead, StoreError> {
        let r = self
            .query("SELECT head_pos, head_hash, head_sealed_at FROM audit_sealer WHERE id = 1")
            .fetch_one()
            .await?;
        Ok(SealHead {
            pos: r.try_get("head_pos")?,
            hash: r.try_get("head_hash")?,
            sealed_at_ms: r.try_get("head_sealed_at")?,
        })
    }
}

impl Store {
    /// The newest seal (position, hash, time), to record outside the
    /// database as an anchor. Not verified: see [`Store::verify_audit`].
    pub async fn audit_head(&self) -> Result<SealHead, StoreError> {
        self.reader().await?.audit_head().await
    }

    /// Ends `read` and appends its events as [`Store::append_audit`] does.
    /// On PostgreSQL a read appends them on its own connection, after
    /// ending its snapshot if it has one: sqlx tests each connection with a
    /// round trip as it goes back to the pool, so a second connection would
    /// cost a round trip more than the insert.
    pub async fn end_read_and_append_audit(
        &self,
        mut read: Tx,
        records: &[AuditRecord],
    ) -> Result<(), StoreError> {
        if records.is_empty() {
            return read.rollback().await;
        }
        match &mut read.conn {
            Conn::Pg(_) => {}
            Conn::PgSnapshot(s) => s.end().await?,
            Conn::SqliteTx(_) | Conn::Sqlite(_) | Conn::PgTx(_) => {
                read.rollback().await?;
                return self.append_audit(records).await;
            }
        }
        read.audit_all(records).await
    }

    /// Appends events and commits them on their own, durable when this
    /// returns (a read's events, `bothy_app`'s read audit). On PostgreSQL
    /// one statement in autocommit: one round trip where `BEGIN`, the
    /// insert and `COMMIT` took three. On SQLite in a write transaction,
    /// which takes the write lock at once (see [`Store::begin`]).
    pub async fn append_audit(&self, records: &[AuditRecord]) -> Result<(), StoreError> {
        match &self.pools {
            Pools::Postgres(pool) => {
                let mut statement = self.tx(Conn::Pg(pool.acquire().await?));
                statement.audit_all(records).await
            }
            Pools::Sqlite { .. } => {
                let mut tx = self.begin().await?;
                tx.audit_all(records).await?;
                tx.commit().await
            }
        }
    }
}
