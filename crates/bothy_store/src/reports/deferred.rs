//! Report rows refreshed in bulk. A bulk write (a synthetic load, the
//! rebuild of every summary) changes thousands of people in one
//! transaction. Row by row the report tables' triggers rewrote each
//! person's rows once per record and, on PostgreSQL, held an advisory lock
//! per person to the commit: rebuilding the summaries of a 20,000-patient
//! service ran out of the shared lock table. Such a transaction defers the
//! triggers first and refreshes the rows of everyone it wrote before it
//! commits, with a few set-based statements (migration 38). Each person's
//! last activity (migration 40) is kept and refreshed the same way.

use crate::{StoreError, Tx};
use bothy_domain::PatientId;
use bothy_domain::ids::ReferralId;

/// Ids in one refreshing statement.
const CHUNK: usize = 1_000;

/// Which report rows a deferred transaction refreshes.
#[derive(Debug, Clone, Copy)]
pub enum ReportRows<'a> {
    /// Every row of every report table.
    All,
    /// The rows of these people, and of these referrals whoever they are
    /// about (a referral may have no person yet).
    Of {
        patients: &'a [PatientId],
        referrals: &'a [ReferralId],
    },
}

/// Each table, keyed by the person; people first, whose rows the others
/// copy their groups from. The last is not a report table but is kept by
/// triggers deferred the same way (migration 40): each person's last
/// activity, read by the staff home.
const BY_PERSON: [&str; 5] = [
    "report_people",
    "report_episodes",
    "report_referrals",
    "report_alerts",
    "patient_activity",
];

impl Tx {
    /// The report tables' triggers do nothing for the rest of this
    /// transaction, until [`Tx::refresh_report_rows`], which the caller
    /// must call before it commits: [`Tx::commit`] refuses otherwise.
    pub async fn defer_report_rows(&mut self) -> Result<(), StoreError> {
        self.query("INSERT INTO report_deferral (deferred) VALUES (1)")
            .execute()
            .await?;
        self.reports_deferred = true;
        Ok(())
    }

    /// Lets the triggers run again and rewrites `rows` from the records.
    pub async fn refresh_report_rows(&mut self, rows: ReportRows<'_>) -> Result<(), StoreError> {
        self.query("DELETE FROM report_deferral").execute().await?;
        let lock = self.dialect.lock_report_tables;
        if !lock.is_empty() {
            self.query(lock).execute().await?;
        }
        match rows {
            ReportRows::All => {
                for table in BY_PERSON {
                    self.query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                        .execute()
                        .await?;
                    self.query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO {table} SELECT * FROM {table}_source"
                    )))
                    .execute()
                    .await?;
                }
            }
            ReportRows::Of {
                patients,
                referrals,
            } => {
                for ids in patients.chunks(CHUNK) {
                    for table in BY_PERSON {
                        self.rewrite(table, "patient_id", ids).await?;
                    }
                }
                for ids in referrals.chunks(CHUNK) {
                    self.rewrite("report_referrals", "referral_id", ids).await?;
                }
            }
        }
        self.reports_deferred = false;
        Ok(())
    }

    /// Rewrites the rows of `table` whose `key` is one of `ids`.
    async fn rewrite<T: ToString>(
        &mut self,
        table: &str,
        key: &str,
        ids: &[T],
    ) -> Result<(), StoreError> {
        self.query_in(
            &format!("DELETE FROM {table} WHERE {key} IN ({{ids}})"),
            ids,
        )
        .execute()
        .await?;
        self.query_in(
            &format!("INSERT INTO {table} SELECT * FROM {table}_source WHERE {key} IN ({{ids}})"),
            ids,
        )
        .execute()
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Store, StoreError};

    async fn deferrals(store: &Store) -> i64 {
        let mut r = store.reader().await.unwrap();
        r.query("SELECT COUNT(*) AS n FROM report_deferral")
            .fetch_one()
            .await
            .unwrap()
            .try_get("n")
            .unwrap()
    }

    /// A transaction that deferred the triggers cannot commit without
    /// refreshing, so the deferral row never outlives it; once refreshed
    /// it commits and leaves no row behind.
    #[tokio::test]
    async fn a_deferred_transaction_commits_only_after_its_refresh() {
        let (store, dir) = crate::scratch::scratch_sqlite("deferred").await;

        let mut tx = store.begin().await.unwrap();
        tx.defer_report_rows().await.unwrap();
        assert!(matches!(
            tx.commit().await,
            Err(StoreError::ReportRowsDeferred)
        ));
        assert_eq!(deferrals(&store).await, 0);

        let mut tx = store.begin().await.unwrap();
        tx.defer_report_rows().await.unwrap();
        tx.refresh_report_rows(super::ReportRows::Of {
            patients: &[],
            referrals: &[],
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(deferrals(&store).await, 0);
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
