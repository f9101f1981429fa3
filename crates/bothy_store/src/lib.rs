//! Bothy's storage: one port in domain terms over SQLite or PostgreSQL.
//!
//! The backend is chosen once, from the database URL, in [`Store::connect`].
//! Every query is written once in SQL that both dialects accept (`$1`
//! placeholders, `ON CONFLICT`, `RETURNING`) and runs on the backend's native
//! sqlx driver through one small query API ([`db`]), so no call site knows
//! which database it is talking to. The few statements that must differ live
//! in [`dialect`], chosen at start-up too.
//!
//! Error policy: this crate returns [`StoreError`]; constraint violations are
//! surfaced by name so that callers can turn them into 4xx answers.

mod alerts;
mod api_clients;
mod appointments;
mod audit;
mod backup;
mod bulk;
mod bulk_export;
mod caseload;
mod check_ins;
mod contact;
mod db;
mod dialect;
mod enrolments;
mod episodes;
mod error;
mod fhir_search;
mod jobs;
mod listed;
mod measures;
mod messages;
mod migrate;
mod monitoring;
mod patients;
mod peer;
mod referrals;
mod reminders;
mod reports;
mod reviews;
mod safety_plans;
mod scratch;
mod services;
mod sessions;
mod smart;
mod sms;
mod staff;
mod statistics;
mod summaries;
mod tool_entries;

pub use alerts::{AlertSubject, NewAlert, OverdueAlert};
pub use appointments::Moved;
pub use audit::{LegacyFinding, RecordsReport, SealPass, VerifyReport};
pub use backup::{check_sqlite_file, sqlite_file};
pub use bulk::{Batch, DemographicsRow, PatientRow};
pub use bulk_export::{BulkExport, BulkFile};
pub use caseload::{FrontDoorCounts, ProgrammeProgress, SupporterLoad};
pub use contact::{DeliveryStatus, NotSentRecord, NotSentRow, SentRecord, SentRow};
pub use enrolments::NewEnrolment;
pub use error::{StoreError, UNAVAILABLE};
pub use fhir_search::{IdentifiedPatient, PatientSearch, ResponseOrder, ResponseSearch};
pub use jobs::{AbandonedJob, ClaimedJob, JobCounts, JobRecord, JobState, NewJob};
pub use listed::{Listed, OnCaseload};
pub use migrate::{MIGRATIONS, schema_columns};
pub use monitoring::{FinishedEpisode, FinishedEpisodeSummary, SweepRow};
pub use patients::SubmissionTarget;
pub use peer::{PeerFigureRow, PeerMove, PostCursor};
pub use referrals::{Activation, MatchVerdict, PatientIdentity, ReferralSearch};
pub use reports::{
    EditionImport, EpisodeFigures, ExtractRow, GroupCounts, ReportRows, ReportScope,
};
pub use reviews::ReviewQueueRow;
pub use scratch::{create_scratch_copy, create_scratch_database, drop_scratch_database};
pub use sessions::{SessionAccount, SessionHolder, SessionRow};
pub use smart::ClientKey;
pub use sms::StoredConversation;
pub use staff::{Enrolment, StaffPick};
pub use statistics::StatementPlans;
pub use summaries::{EpisodeScreening, NO_EPISODE};

use db::{Conn, Snapshot};
use dialect::Dialect;
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// Which database a store talks to. Read only at start-up and by diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Pool settings from configuration.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// The connections of one backend.
#[derive(Clone)]
enum Pools {
    /// One SQLite file has one writer at a time. Writers queue, in order, for
    /// the single write connection in the pool's async queue, instead of
    /// sleeping in SQLite's busy handler; reads run on their own read-only
    /// connections and see the last commit under WAL.
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
    },
    Postgres(PgPool),
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pools: Pools,
    dialect: &'static Dialect,
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://...`), creating a
    /// SQLite file if it does not exist. SQLite connections use WAL with
    /// `synchronous=FULL` (every commit durable) and foreign keys on.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        let invalid =
            |e: sqlx::Error| StoreError::Config(format!("the database URL is not valid: {e}"));
        // No ping before each acquire: a dead connection fails its statement,
        // which the caller sees as unavailable, and the pool replaces it.
        let pools = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(invalid)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a commit is on disk before it is acknowledged, as on PostgreSQL.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                // Only another process (an admin command) can hold the write
                // lock while a server's writer waits for it.
                .busy_timeout(Duration::from_secs(5))
                .disable_statement_logging();
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(settings.acquire_timeout)
                .test_before_acquire(false)
                .connect_with(options.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                // A few readers is all two cores and WAL can use well.
                .max_connections(settings.max_connections.clamp(1, 4))
                .acquire_timeout(settings.acquire_timeout)
                .test_before_acquire(false)
                .connect_with(options.pragma("query_only", "ON"))
                .await?;
            Pools::Sqlite { write, read }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)
                .map_err(invalid)?
                .options([("timezone", "UTC")])
                .disable_statement_logging();
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections)
                .acquire_timeout(settings.acquire_timeout)
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            Pools::Postgres(pool)
        } else {
            return Err(StoreError::Config(
                "the database URL must start with sqlite: or postgres:".into(),
            ));
        };
        let backend = match pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        };
        Ok(Self {
            pools,
            dialect: Dialect::for_backend(backend),
        })
    }

    pub fn backend(&self) -> Backend {
        self.dialect.backend
    }

    /// Whether reads should share the commits of their audit events: on
    /// SQLite, whose commits take turns and each sync the disk; not on
    /// PostgreSQL, whose concurrent commits already share a flush.
    pub fn audit_group_commit(&self) -> bool {
        self.dialect.audit_group_commit
    }

    /// Applies any migrations not yet applied, for this store's backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.migrate_to(i64::MAX).await
    }

    /// Applies the migrations not yet applied up to and including `version`
    /// only: for tests of what a migration does to data written before it.
    pub async fn migrate_to(&self, version: i64) -> Result<(), StoreError> {
        match &self.pools {
            Pools::Sqlite { write, .. } => migrate::run_sqlite(write, version).await,
            Pools::Postgres(pool) => migrate::run_postgres(pool, version).await,
        }
    }

    /// Starts a transaction that may write. On SQLite this takes the write
    /// lock at once (`BEGIN IMMEDIATE`) so that a writer in another process
    /// queues instead of failing when one upgrades a read lock.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let conn = match &self.pools {
            Pools::Sqlite { write, .. } => {
                Conn::SqliteTx(write.begin_with(self.dialect.begin_write).await?)
            }
            Pools::Postgres(pool) => Conn::PgTx(pool.begin().await?),
        };
        Ok(self.tx(conn))
    }

    /// Starts a read-only transaction: a consistent snapshot, no write lock.
    pub async fn read(&self) -> Result<Tx, StoreError> {
        let conn = match &self.pools {
            Pools::Sqlite { read, .. } => {
                Conn::SqliteTx(read.begin_with(self.dialect.begin_read).await?)
            }
            Pools::Postgres(pool) => Conn::PgSnapshot(
                Snapshot::begin(pool.acquire().await?, self.dialect.begin_read).await?,
            ),
        };
        Ok(self.tx(conn))
    }

    /// A connection for reads that need no snapshot (each statement sees the
    /// latest commit), without the round trips of BEGIN and COMMIT.
    pub async fn reader(&self) -> Result<Tx, StoreError> {
        let conn = match &self.pools {
            Pools::Sqlite { read, .. } => Conn::Sqlite(read.acquire().await?),
            Pools::Postgres(pool) => Conn::Pg(pool.acquire().await?),
        };
        Ok(self.tx(conn))
    }

    fn tx(&self, conn: Conn) -> Tx {
        Tx {
            conn,
            dialect: self.dialect,
            written: Vec::new(),
            audit_held: Vec::new(),
            reports_deferred: false,
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.reader().await?.query("SELECT 1").execute().await?;
        Ok(())
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { write, read } => {
                read.close().await;
                write.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }

    /// Pool statistics for `/metrics`: connections open, and idle.
    pub fn pool_size(&self) -> (u32, usize) {
        match &self.pools {
            Pools::Sqlite { write, read } => (
                write.size() + read.size(),
                write.num_idle() + read.num_idle(),
            ),
            Pools::Postgres(pool) => (pool.size(), pool.num_idle()),
        }
    }
}

/// A transaction. Every change to patient data, its audit event and any job
/// it causes go through one `Tx` and commit together.
pub struct Tx {
    conn: Conn,
    dialect: &'static Dialect,
    /// Digests of the clinical records written so far, until their audit
    /// event takes them (`audit/records.rs`).
    written: Vec<bothy_domain::audit::RecordDigest>,
    /// Audit events appended but not yet sent: the next statement carries
    /// them (`audit/carried.rs`).
    audit_held: Vec<bothy_domain::audit::AuditRecord>,
    /// The report tables' triggers are deferred and their rows not yet
    /// refreshed (`reports/deferred.rs`): such a transaction may not commit.
    reports_deferred: bool,
}

impl Tx {
    /// Commits a transaction (a plain reader has nothing to commit). One
    /// that deferred its report rows without refreshing them is refused and
    /// rolled back: its commit would leave the triggers off for every writer.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        if self.reports_deferred {
            return Err(StoreError::ReportRowsDeferred);
        }
        self.send_held_audit().await?;
        match self.conn {
            Conn::SqliteTx(t) => t.commit().await?,
            Conn::PgTx(t) => t.commit().await?,
            // Read only: nothing to commit.
            Conn::PgSnapshot(mut s) => s.end().await?,
            Conn::Sqlite(_) | Conn::Pg(_) => {}
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.conn {
            Conn::SqliteTx(t) => t.rollback().await?,
            Conn::PgTx(t) => t.rollback().await?,
            Conn::PgSnapshot(mut s) => s.end().await?,
            Conn::Sqlite(_) | Conn::Pg(_) => {}
        }
        Ok(())
    }

    /// Marks a point to roll back to without losing the work before it
    /// (`SAVEPOINT`, the same on both databases). `name` is a fixed word.
    pub async fn savepoint(&mut self, name: &'static str) -> Result<(), StoreError> {
        // An event held when the savepoint is rolled back is then one
        // appended after it (`audit/carried.rs`).
        self.send_held_audit().await?;
        self.savepoint_sql(format!("SAVEPOINT {name}")).await
    }

    /// Keeps the work since the savepoint.
    pub async fn release_savepoint(&mut self, name: &'static str) -> Result<(), StoreError> {
        self.savepoint_sql(format!("RELEASE SAVEPOINT {name}"))
            .await
    }

    /// Undoes the work since the savepoint (after an error, which on
    /// PostgreSQL would otherwise abort the whole transaction).
    pub async fn rollback_to_savepoint(&mut self, name: &'static str) -> Result<(), StoreError> {
        self.audit_held.clear();
        self.savepoint_sql(format!("ROLLBACK TO SAVEPOINT {name}"))
            .await
    }

    async fn savepoint_sql(&mut self, sql: String) -> Result<(), StoreError> {
        self.raw(sqlx::AssertSqlSafe(sql)).await
    }
}
