//! The report tables (migration 36), and each person's last activity
//! (migration 40), against the records they are kept from: each table's
//! rows compared with its `*_source` view, which defines them. Nothing
//! should ever differ; a difference means a write path the triggers miss.

use crate::{Store, StoreError};

/// The tables kept by triggers, each beside the view that defines its rows.
const TABLES: [&str; 5] = [
    "report_people",
    "report_episodes",
    "report_referrals",
    "report_alerts",
    "patient_activity",
];

impl Store {
    /// Each report table with the rows it holds that its view does not,
    /// and the view's rows it lacks; tables that agree are left out.
    pub async fn report_facts_drift(&self) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let mut tx = self.read().await?;
        let mut drift = Vec::new();
        for table in TABLES {
            let count = |a: &str, b: &str| {
                format!("SELECT COUNT(*) AS n FROM (SELECT * FROM {a} EXCEPT SELECT * FROM {b}) d")
            };
            let mut n = [0i64; 2];
            for (i, sql) in [
                count(table, &format!("{table}_source")),
                count(&format!("{table}_source"), table),
            ]
            .into_iter()
            .enumerate()
            {
                n[i] = tx
                    .query(sqlx::AssertSqlSafe(sql))
                    .fetch_one()
                    .await?
                    .try_get("n")?;
            }
            if n != [0, 0] {
                drift.push((table.to_string(), n[0], n[1]));
            }
        }
        Ok(drift)
    }
}
