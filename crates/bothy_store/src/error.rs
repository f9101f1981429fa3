use std::fmt;

/// How [`StoreError::Unavailable`] reads. A caller that receives the store's
/// errors only as text (the session store's, through tower-sessions) knows
/// an unavailable database by it.
pub const UNAVAILABLE: &str = "the database is unavailable";

/// Errors from the store, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique or foreign-key constraint refused the change; the name says which.
    #[error("constraint {0} refused the change")]
    Constraint(String),
    /// The database could not be reached or gave up (pool timeout, I/O).
    #[error("{}", UNAVAILABLE)]
    Unavailable(#[source] sqlx::Error),
    /// Stored data could not be read back into a domain value.
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("database configuration: {0}")]
    Config(String),
    #[error("migration failed: {0}")]
    Migrate(String),
    #[error("database error")]
    Db(#[source] sqlx::Error),
    /// A transaction deferred the report tables' triggers and did not
    /// refresh their rows before committing (a defect in its caller).
    #[error("report rows deferred and not refreshed")]
    ReportRowsDeferred,
}

impl StoreError {
    pub fn is_constraint(&self, name_part: &str) -> bool {
        matches!(self, StoreError::Constraint(n) if n.contains(name_part))
    }

    pub(crate) fn corrupt(what: impl fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db)
                if db.is_unique_violation() || db.is_foreign_key_violation() =>
            {
                // PostgreSQL names the constraint; SQLite names the columns in its message.
                let name = db
                    .constraint()
                    .map(str::to_string)
                    .unwrap_or_else(|| db.message().to_string());
                StoreError::Constraint(name)
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(e)
            }
            // PostgreSQL going away says so before it closes the connection:
            // class 08 (connection exception) and 57P01-57P03 (shutting
            // down, crashed, not yet accepting connections). A restart of the
            // database is then a 503, like a refused connection.
            sqlx::Error::Database(db)
                if db
                    .code()
                    .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")) =>
            {
                StoreError::Unavailable(e)
            }
            _ => StoreError::Db(e),
        }
    }
}
