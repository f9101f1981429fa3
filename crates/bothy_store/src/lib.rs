//! Bothy's storage: one port in domain terms over SQLite or PostgreSQL.
//!
//! The backend is chosen once, from the database URL, in [`Store::connect`].
//! Every query is written once in SQL that both dialects accept (`$1`
//! placeholders, `ON CONFLICT`, `RETURNING`) and runs through sqlx's `Any`
//! driver, so no call site knows which database it is talking to. The few
//! statements that must differ live in [`dialect`], chosen at start-up too.
//!
//! Error policy: this crate returns [`StoreError`]; constraint violations are
//! surfaced by name so that callers can turn them into 4xx answers.

mod alerts;
mod api_clients;
mod audit;
mod bench;
mod bulk;
mod check_ins;
mod dialect;
mod error;
mod jobs;
mod measures;
mod migrate;
mod monitoring;
mod patients;
mod referrals;
mod safety_plans;
mod scratch;
mod services;
mod sessions;
mod staff;

pub use alerts::NewAlert;
pub use audit::{AuditHead, VerifyReport};
pub use bench::{EpisodeScores, PatientHistory, ScoreRow};
pub use bulk::{Batch, DemographicsRow, PatientRow};
pub use error::StoreError;
pub use jobs::{AbandonedJob, ClaimedJob, JobCounts, JobRecord, JobState, NewJob};
pub use migrate::{MIGRATIONS, schema_columns};
pub use monitoring::{EngagementRow, FinishedEpisode};
pub use referrals::{EpisodeRow, MatchVerdict, PatientIdentity};
pub use scratch::{create_scratch_database, drop_scratch_database};
pub use sessions::SessionRow;
pub use staff::Enrolment;

use dialect::Dialect;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, ConnectOptions, Transaction};
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

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: &'static Dialect,
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://...`), creating a
    /// SQLite file if it does not exist. SQLite connections use WAL with
    /// `synchronous=FULL` (every commit durable) and foreign keys on.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Config(
                "the database URL must start with sqlite: or postgres:".into(),
            ));
        };
        let dialect = Dialect::for_backend(backend);
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Config(format!("the database URL is not valid: {e}")))?
            .disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                // One SQLite file has one writer; a few readers is all WAL can use well.
                Backend::Sqlite => settings.max_connections.min(4),
                Backend::Postgres => settings.max_connections,
            })
            .acquire_timeout(settings.acquire_timeout)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    for stmt in dialect.on_connect {
                        sqlx::raw_sql(*stmt).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(StoreError::from)?;
        Ok(Self { pool, dialect })
    }

    pub fn backend(&self) -> Backend {
        self.dialect.backend
    }

    /// Applies any migrations not yet applied, for this store's backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrate::run(&self.pool, self.dialect.backend).await
    }

    /// Starts a transaction that may write. On SQLite this takes the write
    /// lock at once (`BEGIN IMMEDIATE`) so that two writers queue instead of
    /// failing when one upgrades a read lock.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(Tx {
            tx: self.pool.begin_with(self.dialect.begin_write).await?,
            dialect: self.dialect,
        })
    }

    /// Starts a read-only transaction: a consistent snapshot, no write lock.
    pub async fn read(&self) -> Result<Tx, StoreError> {
        Ok(Tx {
            tx: self.pool.begin_with(self.dialect.begin_read).await?,
            dialect: self.dialect,
        })
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Pool statistics for `/metrics`.
    pub fn pool_size(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }
}

/// A transaction. Every change to patient data, its audit event and any job
/// it causes go through one `Tx` and commit together.
pub struct Tx {
    tx: Transaction<'static, Any>,
    dialect: &'static Dialect,
}

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await?;
        Ok(())
    }

    fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// Marks a point to roll back to without losing the work before it
    /// (`SAVEPOINT`, the same on both databases). `name` is a fixed word.
    pub async fn savepoint(&mut self, name: &'static str) -> Result<(), StoreError> {
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
        self.savepoint_sql(format!("ROLLBACK TO SAVEPOINT {name}"))
            .await
    }

    async fn savepoint_sql(&mut self, sql: String) -> Result<(), StoreError> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
