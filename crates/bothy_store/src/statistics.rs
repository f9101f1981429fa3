//! The planners' statistics: gathered after a bulk load, and kept in step
//! with SQLite's tables as they grow; and how PostgreSQL plans the
//! statements a connection has prepared.

use crate::{Pools, Store, StoreError, Tx};

/// How often PostgreSQL has planned one prepared statement of a connection.
#[derive(Debug, Clone)]
pub struct StatementPlans {
    pub statement: String,
    /// Executions that used the plan kept for any parameters.
    pub generic: i64,
    /// Executions planned afresh for their parameters.
    pub custom: i64,
}

impl Tx {
    /// The statements prepared on this transaction's connection and how
    /// each was planned (`pg_prepared_statements`); none on SQLite, which
    /// plans a statement once when it is prepared. PostgreSQL plans each of
    /// the first five executions afresh, then keeps a generic plan unless it
    /// looks dearer: a statement still planned afresh after that pays the
    /// planner on every run (a bound LIMIT, a bound array).
    pub async fn statement_plans(&mut self) -> Result<Vec<StatementPlans>, StoreError> {
        if self.dialect.backend != crate::Backend::Postgres {
            return Ok(Vec::new());
        }
        let rows = self
            .query(
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements \
                 WHERE from_sql = false",
            )
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok(StatementPlans {
                    statement: r.try_get("statement")?,
                    generic: r.try_get("generic_plans")?,
                    custom: r.try_get("custom_plans")?,
                })
            })
            .collect()
    }
}

impl Store {
    /// Refreshes the planner's statistics after a bulk load, as autovacuum
    /// would in time: PostgreSQL also sets the visibility map, so the
    /// covering indexes serve index-only scans at once.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        match &self.pools {
            Pools::Sqlite { write, .. } => {
                sqlx::query("ANALYZE").execute(write).await?;
            }
            Pools::Postgres(pool) => {
                sqlx::query("VACUUM ANALYZE").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Keeps SQLite's planner statistics in step with its tables as they
    /// grow, as SQLite advises for long-lived connections: `PRAGMA
    /// optimize` analyzes, within a bounded sample, only the tables whose
    /// size has changed enough since they were last analyzed (`0x10000`:
    /// every table, not only those this connection has read). Statistics
    /// taken while a table was empty (by `bothy synth`, say) would
    /// otherwise stay: with them, reading each listed person's enrolments
    /// scanned every supported enrolment instead of the person's own.
    /// PostgreSQL's autovacuum does this itself.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        if let Pools::Sqlite { write, .. } = &self.pools {
            sqlx::query("PRAGMA optimize = 0x10002")
                .execute(write)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    fn write_pool(store: &crate::Store) -> &sqlx::SqlitePool {
        let crate::Pools::Sqlite { write, .. } = &store.pools else {
            unreachable!("a SQLite store");
        };
        write
    }

    /// The rows SQLite's statistics record for `sessions`, if any.
    async fn rows_on_record(store: &crate::Store) -> Option<i64> {
        let stat: Option<String> = sqlx::query(
            "SELECT stat FROM sqlite_stat1 WHERE tbl = 'sessions' AND idx = 'sessions_by_expiry'",
        )
        .fetch_optional(write_pool(store))
        .await
        .unwrap()
        .map(|r| r.get("stat"));
        stat.and_then(|s| s.split(' ').next()?.parse().ok())
    }

    /// Statistics gathered while a table was empty are brought up to date
    /// once it has grown.
    #[tokio::test]
    async fn statistics_follow_a_table_that_grew() {
        let (store, dir) = crate::scratch::scratch_sqlite("statistics").await;
        store.analyze().await.unwrap();
        assert_eq!(rows_on_record(&store).await.unwrap_or(0), 0);
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) \
             INSERT INTO sessions (id, data, expires_at) SELECT 's' || i, '{}', i FROM n",
        )
        .execute(write_pool(&store))
        .await
        .unwrap();
        store.refresh_statistics().await.unwrap();
        let rows = rows_on_record(&store).await.expect("sessions analyzed");
        assert!(rows > 1000, "{rows} rows on record");
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
