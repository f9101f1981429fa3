//! Rows of a reporting extract: one per episode active in the period
//! (referred before its end, not discharged before its start), a page at
//! a time in id order, with what the national datasets ask of it. The
//! caller pseudonymises the ids; the store hands over no name, address,
//! date of birth or identifier other than the internal ids.

use super::people::ReportScope;
use crate::{StoreError, Tx};
use bothy_domain::time::to_millis;

#[derive(Debug, Clone, PartialEq)]
pub struct ExtractRow {
    pub episode_id: String,
    pub patient_id: String,
    pub referral_id: String,
    pub source: String,
    pub received_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub opened_at: i64,
    pub first_treatment_at: Option<i64>,
    pub treatment_appointments: i64,
    pub discharged_at: Option<i64>,
    pub discharge_reason: Option<String>,
    pub problem_descriptor: String,
    pub outcome_flags: Option<i64>,
    /// Age band's lowest age ('' when unknown), on the period's last day.
    pub age_band: String,
    pub sex: Option<String>,
    pub ethnicity: Option<String>,
    pub decile: Option<i64>,
    pub sms: bool,
    pub phq9_first: Option<f64>,
    pub phq9_last: Option<f64>,
    pub gad7_first: Option<f64>,
    pub gad7_last: Option<f64>,
}

impl Tx {
    /// Up to `limit` rows after episode id `after`, for `scope`'s service
    /// and period (its breakdown and filters are ignored, bar the
    /// deprivation edition).
    pub async fn report_extract_page(
        &mut self,
        scope: &ReportScope,
        after: &str,
        limit: i64,
    ) -> Result<Vec<ExtractRow>, StoreError> {
        let s = super::people::ScopeSql::new(&ReportScope {
            by: bothy_domain::reports::Breakdown::AgeBand,
            quintile: None,
            supporter: None,
            ..scope.clone()
        });
        let decile = super::people::decile_column(scope.edition);
        let sql = format!(
            "SELECT e.id AS episode_id, e.patient_id, e.referral_id, r.source, r.received_at, r.decided_at, \
             e.opened_at, e.first_treatment_at, e.treatment_appointments, e.discharged_at, e.discharge_reason, \
             e.problem_descriptor, CAST(e.outcome_flags AS BIGINT) AS outcome_flags, {age} AS age_band, x.sex, x.ethnicity, x.{decile} AS decile, \
             x.sms, \
             m9.first_total AS phq9_first, m9.latest_total AS phq9_last, \
             m7.first_total AS gad7_first, m7.latest_total AS gad7_last \
             FROM episodes e JOIN report_episodes x ON x.episode_id = e.id \
             JOIN referrals r ON r.id = e.referral_id \
             LEFT JOIN measure_summaries m9 ON m9.patient_id = e.patient_id AND m9.episode_key = e.id AND m9.instrument_id = 'phq9' \
             LEFT JOIN measure_summaries m7 ON m7.patient_id = e.patient_id AND m7.episode_key = e.id AND m7.instrument_id = 'gad7' \
             WHERE e.service_id = $1 AND e.referred_at < $3 AND (e.discharged_at IS NULL OR e.discharged_at >= $2) \
             AND e.id > $4 ORDER BY e.id LIMIT $5",
            age = s.key,
        );
        let rows = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(scope.service.to_string())
            .bind(to_millis(scope.from))
            .bind(to_millis(scope.to))
            .bind(after)
            .bind(limit)
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ExtractRow {
                    episode_id: r.try_get("episode_id")?,
                    patient_id: r.try_get("patient_id")?,
                    referral_id: r.try_get("referral_id")?,
                    source: r.try_get("source")?,
                    received_at: r.try_get("received_at")?,
                    decided_at: r.try_get("decided_at")?,
                    opened_at: r.try_get("opened_at")?,
                    first_treatment_at: r.try_get("first_treatment_at")?,
                    treatment_appointments: r.try_get("treatment_appointments")?,
                    discharged_at: r.try_get("discharged_at")?,
                    discharge_reason: r.try_get("discharge_reason")?,
                    problem_descriptor: r.try_get("problem_descriptor")?,
                    outcome_flags: r.try_get::<Option<i64>>("outcome_flags")?,
                    age_band: r.try_get("age_band")?,
                    sex: r.try_get("sex")?,
                    ethnicity: r.try_get("ethnicity")?,
                    decile: r.try_get("decile")?,
                    sms: r.try_get::<i64>("sms")? == 1,
                    phq9_first: r.try_get("phq9_first")?,
                    phq9_last: r.try_get("phq9_last")?,
                    gad7_first: r.try_get("gad7_first")?,
                    gad7_last: r.try_get("gad7_last")?,
                })
            })
            .collect()
    }
}
