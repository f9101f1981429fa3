//! A direct connection to the test database, beside the application's pool,
//! on the backend's native driver: tampering needs raw SQL, which the store
//! deliberately does not offer.

use crate::helpers::Db;
use bothy_domain::audit::AuditRecord;
use sqlx::{Connection, PgConnection, SqliteConnection};
use std::collections::BTreeMap;

/// A value to bind: both drivers take these.
#[derive(Debug, Clone)]
pub enum V {
    Int(Option<i64>),
    Text(Option<String>),
}

impl From<i64> for V {
    fn from(v: i64) -> Self {
        V::Int(Some(v))
    }
}
impl From<Option<i64>> for V {
    fn from(v: Option<i64>) -> Self {
        V::Int(v)
    }
}
impl From<&str> for V {
    fn from(v: &str) -> Self {
        V::Text(Some(v.to_string()))
    }
}
impl From<String> for V {
    fn from(v: String) -> Self {
        V::Text(Some(v))
    }
}
impl From<Option<String>> for V {
    fn from(v: Option<String>) -> Self {
        V::Text(v)
    }
}

/// An `audit_events` row, every column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    pub seq: i64,
    pub record: AuditRecord,
    pub chain: Option<i64>,
    pub chain_seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
    pub seal_pos: Option<i64>,
    pub seal_hash: Option<String>,
    pub sealed_at: Option<i64>,
}

/// Every column but `seq`, in the order [`RawEvent::values`] binds them.
const COLUMNS: &str = "at, actor_kind, actor_id, role, service_id, patient_id, action, purpose, \
                       request_id, detail, chain, chain_seq, prev_hash, hash, seal_pos, seal_hash, sealed_at, \
                       record_kind, record_id, record_digest";

impl RawEvent {
    fn values(&self) -> Vec<V> {
        let r = &self.record;
        vec![
            r.at_ms.into(),
            r.actor_kind.clone().into(),
            r.actor_id.clone().into(),
            r.role.clone().into(),
            r.service_id.clone().into(),
            r.patient_id.clone().into(),
            r.action.clone().into(),
            r.purpose.clone().into(),
            r.request_id.clone().into(),
            r.detail.clone().into(),
            self.chain.into(),
            self.chain_seq.into(),
            self.prev_hash.clone().into(),
            self.hash.clone().into(),
            self.seal_pos.into(),
            self.seal_hash.clone().into(),
            self.sealed_at.into(),
            r.record.as_ref().map(|d| d.kind.clone()).into(),
            r.record.as_ref().map(|d| d.id.clone()).into(),
            r.record.as_ref().map(|d| d.digest.clone()).into(),
        ]
    }

    /// A new, unsealed event of the current format.
    pub fn new(record: AuditRecord) -> Self {
        RawEvent {
            seq: 0,
            record,
            chain: None,
            chain_seq: None,
            prev_hash: None,
            hash: None,
            seal_pos: None,
            seal_hash: None,
            sealed_at: None,
        }
    }
}

/// The sealer's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSealer {
    pub head_pos: i64,
    pub head_hash: String,
    pub head_sealed_at: Option<i64>,
    pub lease_holder: Option<String>,
    pub lease_until: Option<i64>,
    pub legacy_checked_at: Option<i64>,
}

/// The audit tables as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trail {
    /// By `seq`.
    pub events: BTreeMap<i64, RawEvent>,
    pub sealer: RawSealer,
}

impl Trail {
    /// Sealed events by position.
    pub fn sealed(&self) -> Vec<&RawEvent> {
        let mut v: Vec<_> = self
            .events
            .values()
            .filter(|e| e.seal_pos.is_some())
            .collect();
        v.sort_by_key(|e| e.seal_pos);
        v
    }
}

enum Conn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

pub struct Raw {
    conn: Conn,
}

/// Binds `args` to a query of either backend.
macro_rules! bound {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                V::Int(v) => q.bind(*v),
                V::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }};
}

macro_rules! raw_event {
    ($r:expr) => {{
        use sqlx::Row as _;
        let r = $r;
        RawEvent {
            seq: r.get("seq"),
            record: AuditRecord {
                at_ms: r.get("at"),
                actor_kind: r.get("actor_kind"),
                actor_id: r.get("actor_id"),
                role: r.get("role"),
                service_id: r.get("service_id"),
                patient_id: r.get("patient_id"),
                action: r.get("action"),
                purpose: r.get("purpose"),
                request_id: r.get("request_id"),
                detail: r.get("detail"),
                // Absent before migration 13.
                record: match (
                    r.try_get::<Option<String>, _>("record_kind").ok().flatten(),
                    r.try_get::<Option<String>, _>("record_id").ok().flatten(),
                    r.try_get::<Option<String>, _>("record_digest")
                        .ok()
                        .flatten(),
                ) {
                    (Some(kind), Some(id), Some(digest)) => {
                        Some(bothy_domain::audit::RecordDigest { kind, id, digest })
                    }
                    _ => None,
                },
            },
            chain: r.get("chain"),
            chain_seq: r.get("chain_seq"),
            prev_hash: r.get("prev_hash"),
            hash: r.get("hash"),
            seal_pos: r.get("seal_pos"),
            seal_hash: r.get("seal_hash"),
            sealed_at: r.get("sealed_at"),
        }
    }};
}

macro_rules! raw_sealer {
    ($r:expr) => {{
        use sqlx::Row as _;
        let r = $r;
        RawSealer {
            head_pos: r.get("head_pos"),
            head_hash: r.get("head_hash"),
            head_sealed_at: r.get("head_sealed_at"),
            lease_holder: r.get("lease_holder"),
            lease_until: r.get("lease_until"),
            legacy_checked_at: r.get("legacy_checked_at"),
        }
    }};
}

impl Raw {
    pub async fn connect(url: &str, db: Db) -> Self {
        let conn = match db {
            Db::Sqlite => {
                let mut c = SqliteConnection::connect(url).await.unwrap();
                sqlx::raw_sql("PRAGMA busy_timeout = 5000")
                    .execute(&mut c)
                    .await
                    .unwrap();
                Conn::Sqlite(c)
            }
            Db::Postgres => Conn::Pg(PgConnection::connect(url).await.unwrap()),
        };
        Self { conn }
    }

    pub async fn close(self) {
        match self.conn {
            Conn::Sqlite(c) => c.close().await.unwrap(),
            Conn::Pg(c) => c.close().await.unwrap(),
        }
    }

    /// Runs one statement; returns the rows it changed.
    pub async fn execute(&mut self, sql: &str, args: &[V]) -> u64 {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match &mut self.conn {
            Conn::Sqlite(c) => bound!(sqlx::query(sql), args)
                .execute(&mut *c)
                .await
                .unwrap()
                .rows_affected(),
            Conn::Pg(c) => bound!(sqlx::query(sql), args)
                .execute(&mut *c)
                .await
                .unwrap()
                .rows_affected(),
        }
    }

    /// One BIGINT.
    pub async fn int(&mut self, sql: &str, args: &[V]) -> i64 {
        use sqlx::Row as _;
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match &mut self.conn {
            Conn::Sqlite(c) => bound!(sqlx::query(sql), args)
                .fetch_one(&mut *c)
                .await
                .unwrap()
                .get(0),
            Conn::Pg(c) => bound!(sqlx::query(sql), args)
                .fetch_one(&mut *c)
                .await
                .unwrap()
                .get(0),
        }
    }

    /// One TEXT.
    pub async fn text(&mut self, sql: &str, args: &[V]) -> String {
        use sqlx::Row as _;
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match &mut self.conn {
            Conn::Sqlite(c) => bound!(sqlx::query(sql), args)
                .fetch_one(&mut *c)
                .await
                .unwrap()
                .get(0),
            Conn::Pg(c) => bound!(sqlx::query(sql), args)
                .fetch_one(&mut *c)
                .await
                .unwrap()
                .get(0),
        }
    }

    pub async fn read(&mut self) -> Trail {
        let sql = format!("SELECT seq, {COLUMNS} FROM audit_events ORDER BY seq");
        let sql = sqlx::AssertSqlSafe(sql);
        let events: Vec<RawEvent> = match &mut self.conn {
            Conn::Sqlite(c) => sqlx::query(sql)
                .fetch_all(&mut *c)
                .await
                .unwrap()
                .iter()
                .map(|r| raw_event!(r))
                .collect(),
            Conn::Pg(c) => sqlx::query(sql)
                .fetch_all(&mut *c)
                .await
                .unwrap()
                .iter()
                .map(|r| raw_event!(r))
                .collect(),
        };
        let sql = "SELECT head_pos, head_hash, head_sealed_at, lease_holder, lease_until, legacy_checked_at \
                   FROM audit_sealer WHERE id = 1";
        let sealer = match &mut self.conn {
            Conn::Sqlite(c) => raw_sealer!(sqlx::query(sql).fetch_one(&mut *c).await.unwrap()),
            Conn::Pg(c) => raw_sealer!(sqlx::query(sql).fetch_one(&mut *c).await.unwrap()),
        };
        Trail {
            events: events.into_iter().map(|e| (e.seq, e)).collect(),
            sealer,
        }
    }

    /// Inserts `e` as a new row, numbered by the database; returns its `seq`.
    pub async fn insert(&mut self, e: &RawEvent) -> i64 {
        let n = COLUMNS.split(',').count();
        let values: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO audit_events ({COLUMNS}) VALUES ({}) RETURNING seq",
            values.join(", ")
        );
        self.int(&sql, &e.values()).await
    }

    /// Puts a row back at its own `seq`.
    pub async fn reinsert(&mut self, e: &RawEvent) {
        let n = COLUMNS.split(',').count();
        let values: Vec<String> = (1..=n + 1).map(|i| format!("${i}")).collect();
        let overriding = match self.conn {
            Conn::Sqlite(_) => "",
            Conn::Pg(_) => "OVERRIDING SYSTEM VALUE",
        };
        let sql = format!(
            "INSERT INTO audit_events ({COLUMNS}, seq) {overriding} VALUES ({})",
            values.join(", ")
        );
        let mut args = e.values();
        args.push(e.seq.into());
        assert_eq!(self.execute(&sql, &args).await, 1);
    }

    /// Rewrites every column of the row `e.seq`.
    pub async fn update(&mut self, e: &RawEvent) {
        let sets: Vec<String> = COLUMNS
            .split(',')
            .enumerate()
            .map(|(i, c)| format!("{} = ${}", c.trim(), i + 1))
            .collect();
        let n = sets.len();
        let sql = format!(
            "UPDATE audit_events SET {} WHERE seq = ${}",
            sets.join(", "),
            n + 1
        );
        let mut args = e.values();
        args.push(e.seq.into());
        assert_eq!(self.execute(&sql, &args).await, 1);
    }

    pub async fn delete(&mut self, seq: i64) {
        let done = self
            .execute("DELETE FROM audit_events WHERE seq = $1", &[seq.into()])
            .await;
        assert_eq!(done, 1);
    }

    pub async fn set_sealer(&mut self, s: &RawSealer) {
        let done = self
            .execute(
                "UPDATE audit_sealer SET head_pos = $1, head_hash = $2, head_sealed_at = $3, \
                 lease_holder = $4, lease_until = $5, legacy_checked_at = $6 WHERE id = 1",
                &[
                    s.head_pos.into(),
                    s.head_hash.clone().into(),
                    s.head_sealed_at.into(),
                    s.lease_holder.clone().into(),
                    s.lease_until.into(),
                    s.legacy_checked_at.into(),
                ],
            )
            .await;
        assert_eq!(done, 1);
    }

    /// Puts the tables back exactly as `original` was: rows that differ
    /// are deleted and put back whole, since positions are unique.
    pub async fn restore(&mut self, original: &Trail) {
        let now = self.read().await;
        for (seq, e) in &now.events {
            if original.events.get(seq) != Some(e) {
                self.delete(*seq).await;
            }
        }
        for (seq, e) in &original.events {
            if now.events.get(seq) != Some(e) {
                self.reinsert(e).await;
            }
        }
        self.set_sealer(&original.sealer).await;
        assert_eq!(&self.read().await, original, "the trail was not restored");
    }
}
