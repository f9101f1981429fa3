//! The database as a whole, for backups and checks: an online copy of a
//! SQLite database, its integrity check, and the rows in each table (to
//! compare a restored copy with its source). Like `schema_columns`, these
//! are operations on the database rather than queries of the application, so
//! they may name the backend; nothing on a request's path calls them.

use crate::{Backend, Pools, Store, StoreError};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Tables that hold no records of their own: migration bookkeeping.
fn is_bookkeeping(table: &str) -> bool {
    table.starts_with("_sqlx") || table.starts_with("sqlite_")
}

/// The file a `sqlite:` URL names, or None for any other URL (or an
/// in-memory database).
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    // sqlx names an in-memory database like a file (`file:sqlx-in-memory-0`).
    if !url.starts_with("sqlite:") || url.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    Some(options.get_filename().to_path_buf())
}

/// Runs SQLite's own checks on a file without changing it (opened read-only,
/// so a backup is checked before anything is replaced): every problem found,
/// or none.
pub async fn check_sqlite_file(path: &Path) -> Result<Vec<String>, StoreError> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .disable_statement_logging()
        .connect()
        .await?;
    let problems = sqlite_problems(&mut conn).await;
    conn.close().await?;
    problems
}

/// `PRAGMA integrity_check` (pages, indexes, constraints) and
/// `PRAGMA foreign_key_check`, each problem as SQLite words it.
async fn sqlite_problems(conn: &mut sqlx::SqliteConnection) -> Result<Vec<String>, StoreError> {
    let mut problems: Vec<String> = sqlx::query("PRAGMA integrity_check")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|line| line != "ok")
        .collect();
    for r in sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut *conn)
        .await?
    {
        let table: String = r.try_get(0)?;
        let parent: String = r.try_get(2)?;
        problems.push(format!("a row of {table} refers to a missing {parent}"));
    }
    Ok(problems)
}

impl Store {
    /// Writes a consistent copy of this SQLite database to `dest`, which
    /// must not exist, while servers keep writing. `VACUUM INTO` reads one
    /// snapshot (a read transaction, which in WAL mode never blocks a
    /// writer) and writes a compacted file; a plain copy of the file could
    /// miss commits still in the WAL or catch a page half-written. It runs on
    /// this process's write connection because read-only connections
    /// (`query_only`) refuse to write even the new file; outside a
    /// transaction it takes no write lock on the source.
    pub async fn backup_sqlite_into(&self, dest: &Path) -> Result<(), StoreError> {
        let Pools::Sqlite { write, .. } = &self.pools else {
            return Err(StoreError::Config(
                "an online copy is for SQLite; use pg_dump for PostgreSQL".into(),
            ));
        };
        let dest = dest
            .to_str()
            .ok_or_else(|| StoreError::Config("the backup path is not valid UTF-8".into()))?;
        let mut conn = write.acquire().await?;
        sqlx::query("VACUUM INTO $1")
            .bind(dest)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// SQLite's integrity and foreign-key checks: every problem found, or
    /// none. None on PostgreSQL, which checks each page as it reads it and
    /// enforces foreign keys on every write; a deeper check there needs the
    /// `amcheck` extension, which an operator installs.
    pub async fn check_integrity(&self) -> Result<Option<Vec<String>>, StoreError> {
        match &self.pools {
            Pools::Sqlite { read, .. } => {
                let mut conn = read.acquire().await?;
                sqlite_problems(&mut conn).await.map(Some)
            }
            Pools::Postgres(_) => Ok(None),
        }
    }

    /// Every table and its row count, by name; bookkeeping tables left out.
    pub async fn table_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let list = match self.backend() {
            Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
            Backend::Postgres => {
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
                 ORDER BY table_name"
            }
        };
        // One snapshot, so the counts belong together.
        let mut tx = self.read().await?;
        let tables: Vec<String> = tx
            .query(list)
            .fetch_all()
            .await?
            .iter()
            .map(|r| r.try_get_at(0))
            .collect::<Result<_, _>>()?;
        let mut counts = Vec::new();
        for table in tables.into_iter().filter(|t| !is_bookkeeping(t)) {
            // Names read from the catalogue just now, quoted.
            let sql = format!(
                "SELECT COUNT(*) AS n FROM \"{}\"",
                table.replace('"', "\"\"")
            );
            let n: i64 = tx
                .query(sqlx::AssertSqlSafe(sql))
                .fetch_one()
                .await?
                .try_get("n")?;
            counts.push((table, n));
        }
        tx.rollback().await?;
        Ok(counts)
    }

    /// Whether any service or audit event is stored: a database that was
    /// only migrated (or never created) holds nothing a restore could lose.
    pub async fn holds_records(&self) -> Result<bool, StoreError> {
        let counts = self.table_counts().await?;
        Ok(counts
            .iter()
            .any(|(t, n)| (t == "services" || t == "audit_events") && *n > 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_file_of_a_sqlite_url() {
        assert_eq!(
            sqlite_file("sqlite:///var/lib/bothy/bothy.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/bothy/bothy.db"))
        );
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
        assert_eq!(sqlite_file("sqlite::memory:"), None);
    }
}
