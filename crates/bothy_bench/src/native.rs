//! The raw database's own figures, on connections of this process's own:
//! the store holds no benchmark SQL, so this module and `pgbench.rs` are the
//! only SQL outside `bothy_store` (ARCHITECTURE.md).
//!
//! - The durable-write baseline: one ~1.3 KB JSON row (a PHQ-9 as a FHIR
//!   QuestionnaireResponse) inserted per transaction into a scratch table.
//!   On PostgreSQL pgbench measures it (`pgbench.rs`); the same insert
//!   through sqlx here is the stand-in when pgbench is missing. On SQLite it
//!   is sqlx's native SQLite driver on one connection, one insert after
//!   another: SQLite has one writer at a time, so that is its limit at any
//!   number of clients (a queue in front of it only adds waiting).
//! - The read baselines: the SELECTs behind the staff pages and the FHIR
//!   search, on a pool of this process's own.

use bothy_domain::ids::GroupId;
use bothy_domain::{PatientId, ServiceId};
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// The scratch table, created before the write baselines and dropped after.
pub const TABLE: &str = "bench_native";

/// The row the write baselines insert: a PHQ-9 as a FHIR
/// QuestionnaireResponse, compact JSON of about 1.3 KB. Every value is a
/// string, so no `:` is followed by a name character (pgbench would read
/// `:name` as a variable) and there is no `'` to quote.
pub fn payload() -> String {
    let codes = [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3",
        "44260-8",
    ];
    let items: Vec<_> = codes
        .iter()
        .map(|code| {
            json!({
                "linkId": code,
                "answer": [{ "valueCoding": {
                    "system": "http://loinc.org", "code": "LA6569-3", "display": "Several days"
                }}]
            })
        })
        .collect();
    json!({
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "http://127.0.0.1/fhir/Questionnaire/phq9|1",
        "status": "completed",
        "subject": { "reference": "Patient/6f1c2a9e-4b7d-4c1e-9a2f-3d5e7b8c9d0e" },
        "authored": "2026-11-21",
        "item": items,
    })
    .to_string()
}

/// Which SELECTs a read baseline runs.
#[derive(Debug, Clone, Copy)]
pub enum RawRead {
    /// The staff home: 50 patients of the service by name.
    StaffHome(ServiceId),
    /// The patient page: the record, every response, every check-in.
    PatientPage(PatientId),
    /// The FHIR search: a patient's newest responses.
    Search(PatientId),
    /// A peer support group's first page for a member: their membership,
    /// then the 21 newest top-level posts they may see.
    PeerPage(GroupId, PatientId),
    /// The moderation queue: the first 200 waiting posts by priority then
    /// age, and the counts per priority.
    PeerQueue(ServiceId),
}

/// This process's own connections to the benchmarked database.
#[derive(Clone)]
pub enum Native {
    Sqlite {
        /// The one write connection.
        write: Arc<Mutex<SqliteConnection>>,
        read: SqlitePool,
    },
    Postgres {
        pool: PgPool,
        /// For pgbench.
        url: String,
    },
}

/// Runs `$body` with `$p` bound to whichever pool reads.
macro_rules! on_pool {
    ($self:expr, |$p:ident| $body:expr) => {
        match $self {
            Native::Sqlite { read: $p, .. } => $body,
            Native::Postgres { pool: $p, .. } => $body,
        }
    };
}

impl Native {
    /// Connects with the server's settings: on SQLite WAL, `synchronous=FULL`
    /// and a 5 s busy timeout; on PostgreSQL UTC and `connections` at most.
    pub async fn connect(url: &str, connections: u32) -> anyhow::Result<Native> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
                .disable_statement_logging();
            let write = options.connect().await?;
            let read = SqlitePoolOptions::new()
                .max_connections(connections.clamp(1, 4))
                .connect_with(options.pragma("query_only", "ON"))
                .await?;
            Ok(Native::Sqlite {
                write: Arc::new(Mutex::new(write)),
                read,
            })
        } else {
            let options = PgConnectOptions::from_str(url)?
                .options([("timezone", "UTC")])
                .disable_statement_logging();
            let pool = PgPoolOptions::new()
                .max_connections(connections.max(1))
                .connect_with(options)
                .await?;
            Ok(Native::Postgres {
                pool,
                url: url.to_string(),
            })
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Native::Postgres { .. })
    }

    /// Whether PostgreSQL's autovacuum is off (a test server's setting;
    /// SQLite has none, and its plans do not rest on gathered statistics).
    pub async fn autovacuum_off(&self) -> anyhow::Result<bool> {
        match self {
            Native::Sqlite { .. } => Ok(false),
            Native::Postgres { pool, .. } => {
                let on: String = sqlx::query_scalar("SHOW autovacuum")
                    .fetch_one(pool)
                    .await?;
                Ok(on != "on")
            }
        }
    }

    /// Gathers the planner's statistics anew, as autovacuum does once a
    /// table has grown by a tenth.
    pub async fn analyze(&self) -> anyhow::Result<()> {
        if let Native::Postgres { pool, .. } = self {
            sqlx::query("ANALYZE").execute(pool).await?;
        }
        Ok(())
    }

    /// Creates the scratch table, dropping a leftover one.
    pub async fn create_table(&self) -> anyhow::Result<()> {
        self.drop_table().await?;
        match self {
            Native::Sqlite { write, .. } => {
                sqlx::raw_sql(
                    "CREATE TABLE bench_native (id INTEGER PRIMARY KEY, \
                     patient_id TEXT NOT NULL, payload TEXT NOT NULL, at INTEGER NOT NULL)",
                )
                .execute(&mut *write.lock().await)
                .await?;
            }
            Native::Postgres { pool, .. } => {
                sqlx::raw_sql(
                    "CREATE TABLE bench_native (id BIGSERIAL PRIMARY KEY, \
                     patient_id TEXT NOT NULL, payload JSONB NOT NULL, at BIGINT NOT NULL)",
                )
                .execute(pool)
                .await?;
            }
        }
        Ok(())
    }

    pub async fn drop_table(&self) -> anyhow::Result<()> {
        let sql = "DROP TABLE IF EXISTS bench_native";
        match self {
            Native::Sqlite { write, .. } => {
                sqlx::raw_sql(sql).execute(&mut *write.lock().await).await?;
            }
            Native::Postgres { pool, .. } => {
                sqlx::raw_sql(sql).execute(pool).await?;
            }
        }
        Ok(())
    }

    /// One durable commit of one row: BEGIN (`IMMEDIATE` on SQLite, as the
    /// server's writes), the INSERT as a cached prepared statement, COMMIT.
    pub async fn insert(&self, patient: &str, payload: &str, at: i64) -> anyhow::Result<()> {
        match self {
            Native::Sqlite { write, .. } => {
                let mut conn = write.lock().await;
                let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
                sqlx::query(
                    "INSERT INTO bench_native (patient_id, payload, at) VALUES ($1, $2, $3)",
                )
                .bind(patient)
                .bind(payload)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
            Native::Postgres { pool, .. } => {
                let mut tx = pool.begin().await?;
                sqlx::query(
                    "INSERT INTO bench_native (patient_id, payload, at) VALUES ($1, $2::jsonb, $3)",
                )
                .bind(patient)
                .bind(payload)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Runs the SELECTs of `read` on a pooled connection; returns rows read.
    pub async fn read(&self, read: RawRead) -> anyhow::Result<usize> {
        let n = match read {
            RawRead::StaffHome(service) => on_pool!(self, |p| {
                sqlx::query(
                "SELECT id, given_name, family_name, date_of_birth, email, phone, supporter_id, created_at \
                 FROM patients WHERE service_id = $1 ORDER BY family_name, given_name, id LIMIT 50",
            )
            .bind(service.to_string())
            .fetch_all(p)
            .await?
            .len()
            }),
            RawRead::PatientPage(patient) => {
                let id = patient.to_string();
                on_pool!(self, |p| {
                    let mut conn = p.acquire().await?;
                    let mut n = sqlx::query(
                        "SELECT id, given_name, family_name, service_id FROM patients WHERE id = $1",
                    )
                    .bind(&id)
                    .fetch_all(&mut *conn)
                    .await?
                    .len();
                    n += sqlx::query(
                        "SELECT id, instrument_id, answers, total, band, risk_items, submitted_at \
                         FROM measure_responses WHERE patient_id = $1 ORDER BY submitted_at LIMIT 500",
                    )
                    .bind(&id)
                    .fetch_all(&mut *conn)
                    .await?
                    .len();
                    n += sqlx::query(
                        "SELECT id, mood, sleep_hours, activity, note, checked_in_at FROM check_ins \
                         WHERE patient_id = $1 ORDER BY checked_in_at DESC LIMIT 500",
                    )
                    .bind(&id)
                    .fetch_all(&mut *conn)
                    .await?
                    .len();
                    n
                })
            }
            RawRead::PeerPage(group, patient) => {
                let (group, patient) = (group.to_string(), patient.to_string());
                on_pool!(self, |p| {
                    let mut conn = p.acquire().await?;
                    let member: Option<String> = sqlx::query_scalar(
                        "SELECT id FROM peer_members WHERE group_id = $1 AND patient_id = $2",
                    )
                    .bind(&group)
                    .bind(&patient)
                    .fetch_optional(&mut *conn)
                    .await?;
                    sqlx::query(
                        "SELECT p.id, p.member_id, m.pseudonym, p.body, p.status, p.created_at \
                         FROM peer_posts p JOIN peer_members m ON m.id = p.member_id \
                         WHERE p.group_id = $1 AND p.parent_id IS NULL \
                         AND (p.status = 'visible' OR p.member_id = $2) \
                         ORDER BY p.created_at DESC, p.id DESC LIMIT 21",
                    )
                    .bind(&group)
                    .bind(member.unwrap_or_default())
                    .fetch_all(&mut *conn)
                    .await?
                    .len()
                })
            }
            RawRead::PeerQueue(service) => {
                let service = service.to_string();
                on_pool!(self, |p| {
                    let mut conn = p.acquire().await?;
                    let mut n = sqlx::query(
                        "SELECT p.id, p.group_id, m.pseudonym, p.body, p.priority, p.queued_at, \
                         p.deadline FROM peer_posts p JOIN peer_members m ON m.id = p.member_id \
                         WHERE p.service_id = $1 AND p.needs_review = 1 \
                         ORDER BY p.priority DESC, p.queued_at, p.id LIMIT 200",
                    )
                    .bind(&service)
                    .fetch_all(&mut *conn)
                    .await?
                    .len();
                    n += sqlx::query(
                        "SELECT priority, COUNT(*) FROM peer_posts \
                         WHERE service_id = $1 AND needs_review = 1 GROUP BY priority",
                    )
                    .bind(&service)
                    .fetch_all(&mut *conn)
                    .await?
                    .len();
                    n
                })
            }
            RawRead::Search(patient) => on_pool!(self, |p| sqlx::query(
                "SELECT id, instrument_id, instrument_version, answers, total, submitted_at \
                 FROM measure_responses WHERE patient_id = $1 ORDER BY submitted_at DESC LIMIT 11",
            )
            .bind(patient.to_string())
            .fetch_all(p)
            .await?
            .len()),
        };
        Ok(n)
    }

    pub async fn close(&self) {
        match self {
            Native::Sqlite { read, .. } => read.close().await,
            Native::Postgres { pool, .. } => pool.close().await,
        }
    }

    /// The URL pgbench connects to (PostgreSQL only).
    pub fn pg_url(&self) -> Option<&str> {
        match self {
            Native::Postgres { url, .. } => Some(url),
            Native::Sqlite { .. } => None,
        }
    }
}

/// A baseline client: inserts rows or runs reads.
pub struct NativeInsert {
    pub db: Native,
    pub patient: String,
    pub payload: Arc<str>,
}

impl crate::load::Client for NativeInsert {
    async fn call(&mut self, seq: u64) -> bool {
        self.db
            .insert(&self.patient, &self.payload, seq as i64)
            .await
            .is_ok()
    }
}

pub struct NativeSelect {
    pub db: Native,
    /// Read in turn, one a request.
    pub reads: Arc<[RawRead]>,
}

impl crate::load::Client for NativeSelect {
    async fn call(&mut self, seq: u64) -> bool {
        let read = self.reads[(seq as usize) % self.reads.len().max(1)];
        self.db.read(read).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_payload_is_a_pgbench_safe_kilobyte_and_a_third() {
        let p = super::payload();
        assert!((1200..=1400).contains(&p.len()), "{}", p.len());
        assert!(!p.contains('\''));
        let b = p.as_bytes();
        for (i, c) in b.iter().enumerate() {
            if *c == b':' {
                let next = b.get(i + 1).copied().unwrap_or(b' ');
                assert!(
                    !(next.is_ascii_alphanumeric() || next == b'_'),
                    "pgbench would read a variable at {i}: {p}"
                );
            }
        }
        serde_json::from_str::<serde_json::Value>(&p).unwrap();
    }
}
