//! The postcode -> deprivation decile look-up, one edition at a time.

use crate::{StoreError, Tx};
use bothy_domain::identifiers::UkPostcode;
use bothy_domain::reports::{Decile, Edition};
use bothy_domain::time::{Timestamp, from_millis, to_millis};

/// Rows per INSERT: 3 parameters each stays far under either database's limit.
const CHUNK: usize = 500;

/// An imported edition.
#[derive(Debug, Clone, PartialEq)]
pub struct EditionImport {
    pub edition: String,
    pub postcodes: i64,
    pub imported_at: Timestamp,
}

impl Tx {
    /// Forgets an edition's postcodes, before importing it again.
    pub async fn clear_deprivation(&mut self, edition: Edition) -> Result<(), StoreError> {
        self.query("DELETE FROM deprivation_lookup WHERE edition = $1")
            .bind(edition.as_str())
            .execute()
            .await?;
        Ok(())
    }

    /// Adds postcodes to an edition; a postcode given twice keeps the
    /// later decile.
    pub async fn add_deprivation(
        &mut self,
        edition: Edition,
        rows: &[(UkPostcode, Decile)],
    ) -> Result<(), StoreError> {
        for chunk in rows.chunks(CHUNK) {
            // One statement cannot name a key twice in ON CONFLICT DO UPDATE.
            let mut seen = std::collections::HashMap::new();
            for (pc, d) in chunk {
                seen.insert(pc.as_str(), d.get());
            }
            let values: Vec<String> = (0..seen.len())
                .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect();
            let sql = format!(
                "INSERT INTO deprivation_lookup (edition, postcode, decile) VALUES {} \
                 ON CONFLICT (edition, postcode) DO UPDATE SET decile = excluded.decile",
                values.join(", ")
            );
            let mut q = self.query(sqlx::AssertSqlSafe(sql));
            for (pc, d) in seen {
                q = q
                    .bind(edition.as_str())
                    .bind(pc.to_string())
                    .bind(i64::from(d));
            }
            q.execute().await?;
        }
        Ok(())
    }

    /// Records that an edition was imported, with its size now, and
    /// rewrites every person's and referral's decile by that edition in
    /// the report tables (migration 36), which the write-time triggers
    /// keep for records but not for the look-up itself.
    pub async fn finish_deprivation_import(
        &mut self,
        edition: Edition,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        let column = super::people::decile_column(Some(edition));
        for table in ["report_people", "report_referrals"] {
            let sql = format!(
                "UPDATE {table} SET {column} = (SELECT l.decile FROM deprivation_lookup l \
                 WHERE l.edition = $1 AND l.postcode = {table}.postcode)"
            );
            self.query(sqlx::AssertSqlSafe(sql))
                .bind(edition.as_str())
                .execute()
                .await?;
        }
        for table in ["report_episodes", "report_alerts"] {
            let sql = format!(
                "UPDATE {table} SET {column} = (SELECT rp.{column} FROM report_people rp \
                 WHERE rp.patient_id = {table}.patient_id)"
            );
            self.query(sqlx::AssertSqlSafe(sql)).execute().await?;
        }
        let n: i64 = self
            .query("SELECT COUNT(*) AS n FROM deprivation_lookup WHERE edition = $1")
            .bind(edition.as_str())
            .fetch_one()
            .await?
            .try_get("n")?;
        self.query(
            "INSERT INTO deprivation_editions (edition, postcodes, imported_at) VALUES ($1, $2, $3) \
             ON CONFLICT (edition) DO UPDATE SET postcodes = excluded.postcodes, imported_at = excluded.imported_at",
        )
        .bind(edition.as_str())
        .bind(n)
        .bind(to_millis(at))
        .execute()
        .await?;
        Ok(n)
    }

    /// The imported editions, newest import first.
    pub async fn deprivation_editions(&mut self) -> Result<Vec<EditionImport>, StoreError> {
        let rows = self
            .query("SELECT edition, postcodes, imported_at FROM deprivation_editions ORDER BY imported_at DESC, edition")
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok(EditionImport {
                    edition: r.try_get("edition")?,
                    postcodes: r.try_get("postcodes")?,
                    imported_at: from_millis(r.try_get("imported_at")?),
                })
            })
            .collect()
    }
}
