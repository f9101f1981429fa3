//! Service reports: each dashboard figure as one grouped range scan over
//! indexed columns (migration 31), cut by one breakdown and optionally
//! restricted to one deprivation quintile or one supporter's caseload.
//! Counts only: no query here returns anything about a person.
//! The postcode look-up's import is in `reports/deprivation.rs`; the
//! rows of a pseudonymised extract in `reports/extract.rs`.

mod deprivation;
mod extract;
mod people;

pub use deprivation::EditionImport;
pub use extract::ExtractRow;
pub use people::ReportScope;

use crate::{StoreError, Tx};
use bothy_domain::time::to_millis;
use people::{Person, ScopeSql};

/// One group's counts, in the column order the method names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCounts {
    pub key: String,
    /// A second key where the figure has one (the referral's source).
    pub sub: String,
    pub counts: Vec<i64>,
}

const WEEK_MS: i64 = bothy_domain::referral::rtt::WEEK_SECS * 1000;

fn sum(cond: &str) -> String {
    format!("CAST(COALESCE(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END), 0) AS BIGINT)")
}

fn sum_of(value: &str) -> String {
    format!("CAST(COALESCE(SUM({value}), 0) AS BIGINT)")
}

impl Tx {
    async fn grouped(
        &mut self,
        scope: &ReportScope,
        sql: String,
        columns: usize,
        sub: bool,
    ) -> Result<Vec<GroupCounts>, StoreError> {
        let rows = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(scope.service.to_string())
            .bind(to_millis(scope.from))
            .bind(to_millis(scope.to))
            .bind(scope.supporter.map(|s| s.to_string()))
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok(GroupCounts {
                    key: r.try_get("k")?,
                    sub: if sub {
                        r.try_get("sub")?
                    } else {
                        String::new()
                    },
                    counts: (0..columns)
                        .map(|i| r.try_get::<i64>(&format!("c{i}")))
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect()
    }

    /// Referrals received in the period by group and source: one count per
    /// month of `month_starts` (millisecond bounds, the last the end).
    pub async fn report_referrals(
        &mut self,
        scope: &ReportScope,
        month_starts: &[i64],
    ) -> Result<Vec<GroupCounts>, StoreError> {
        let s = ScopeSql::new(scope, Person::Referral);
        let months: Vec<String> = month_starts
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                format!(
                    ", {} AS c{i}",
                    sum(&format!(
                        "r.received_at >= {} AND r.received_at < {}",
                        w[0], w[1]
                    ))
                )
            })
            .collect();
        let sql = format!(
            "SELECT {key} AS k, r.source AS sub{months} FROM referrals r {joins} \
             WHERE r.service_id = $1 AND r.received_at >= $2 AND r.received_at < $3 {filter} \
             GROUP BY 1, 2",
            key = s.key,
            joins = s.joins,
            filter = s.filter,
            months = months.concat(),
        );
        self.grouped(scope, sql, month_starts.len().saturating_sub(1), true)
            .await
    }

    /// People who started treatment in the period (the clock stopped):
    /// c0 started, c1 within 6 weeks of referral, c2 within 18 weeks,
    /// c3 the sum of their waits in days.
    pub async fn report_waits(
        &mut self,
        scope: &ReportScope,
    ) -> Result<Vec<GroupCounts>, StoreError> {
        let s = ScopeSql::new(scope, Person::Episode);
        let wait = "(e.first_treatment_at - e.referred_at)";
        let sql = format!(
            "SELECT {key} AS k, COUNT(*) AS c0, {w6} AS c1, {w18} AS c2, {days} AS c3 \
             FROM episodes e {joins} \
             WHERE e.service_id = $1 AND e.first_treatment_at >= $2 AND e.first_treatment_at < $3 {filter} \
             GROUP BY 1",
            key = s.key,
            joins = s.joins,
            filter = s.filter,
            w6 = sum(&format!("{wait} <= {}", 6 * WEEK_MS)),
            w18 = sum(&format!("{wait} <= {}", 18 * WEEK_MS)),
            days = sum_of(&format!("{wait} / 86400000")),
        );
        self.grouped(scope, sql, 4, false).await
    }

    /// The waiting list at the end of the period: accepted, not yet
    /// started and not discharged. c0 waiting, c1 waiting over 6 weeks,
    /// c2 over 18 weeks.
    pub async fn report_waiting_list(
        &mut self,
        scope: &ReportScope,
    ) -> Result<Vec<GroupCounts>, StoreError> {
        let s = ScopeSql::new(scope, Person::Episode);
        let sql = format!(
            "SELECT {key} AS k, COUNT(*) AS c0, {over6} AS c1, {over18} AS c2 \
             FROM episodes e {joins} \
             WHERE e.service_id = $1 AND e.referred_at < $3 AND $2 <= $3 \
             AND (e.first_treatment_at IS NULL OR e.first_treatment_at >= $3) \
             AND (e.discharged_at IS NULL OR e.discharged_at >= $3) {filter} \
             GROUP BY 1",
            key = s.key,
            joins = s.joins,
            filter = s.filter,
            over6 = sum(&format!("$3 - e.referred_at > {}", 6 * WEEK_MS)),
            over18 = sum(&format!("$3 - e.referred_at > {}", 18 * WEEK_MS)),
        );
        self.grouped(scope, sql, 3, false).await
    }

    /// Episodes discharged in the period, from their stored outcome flags
    /// (`rules` the fingerprint in force; the caller has classified any
    /// without). c0 ended, c1..c6 the six flag bits (finished, at caseness,
    /// recovered, reliable improvement, reliable recovery, reliable
    /// deterioration), c7 treatment sessions of those who finished, c8
    /// ended having had a treatment session, c9 ended after exactly one.
    pub async fn report_discharges(
        &mut self,
        scope: &ReportScope,
        rules: &str,
    ) -> Result<Vec<GroupCounts>, StoreError> {
        let s = ScopeSql::new(scope, Person::Episode);
        let bits: String = (0..bothy_domain::outcomes::FLAG_COUNT)
            .map(|i| {
                format!(
                    ", {} AS c{}",
                    sum_of(&format!("(e.outcome_flags >> {i}) & 1")),
                    i + 1
                )
            })
            .collect();
        let rules = rules.replace('\'', "");
        let sql = format!(
            "SELECT {key} AS k, COUNT(*) AS c0{bits}, \
             {sessions} AS c7, {entered} AS c8, {dropped} AS c9 \
             FROM episodes e {joins} \
             WHERE e.service_id = $1 AND e.discharged_at >= $2 AND e.discharged_at < $3 \
             AND e.outcome_rules = '{rules}' {filter} \
             GROUP BY 1",
            key = s.key,
            joins = s.joins,
            filter = s.filter,
            sessions = sum_of(
                "CASE WHEN (e.outcome_flags & 1) = 1 THEN e.treatment_appointments ELSE 0 END"
            ),
            entered = sum("e.treatment_appointments >= 1"),
            dropped = sum("e.treatment_appointments = 1"),
        );
        self.grouped(scope, sql, 10, false).await
    }

    /// Alerts raised in the period: c0 raised, c1 acknowledged, c2
    /// acknowledged by their deadline, c3 the sum of minutes to
    /// acknowledgement.
    pub async fn report_alerts(
        &mut self,
        scope: &ReportScope,
    ) -> Result<Vec<GroupCounts>, StoreError> {
        let s = ScopeSql::new(scope, Person::Alert);
        let sql = format!(
            "SELECT {key} AS k, COUNT(*) AS c0, {acked} AS c1, {in_time} AS c2, {minutes} AS c3 \
             FROM alerts a {joins} \
             WHERE a.service_id = $1 AND a.raised_at >= $2 AND a.raised_at < $3 {filter} \
             GROUP BY 1",
            key = s.key,
            joins = s.joins,
            filter = s.filter,
            acked = sum("a.acknowledged_at IS NOT NULL"),
            in_time = sum("a.acknowledged_at <= a.deadline_at"),
            minutes = sum_of("(a.acknowledged_at - a.raised_at) / 60000"),
        );
        self.grouped(scope, sql, 4, false).await
    }

    /// Digital engagement of the people whose episode opened in the
    /// period: c0 episodes, c1 activated their account, c2 enrolled on a
    /// programme, c3 completed a module, c4 checked in at least once.
    pub async fn report_engagement(
        &mut self,
        scope: &ReportScope,
    ) -> Result<Vec<GroupCounts>, StoreError> {
        let s = ScopeSql::new(scope, Person::Episode);
        // Joined to each set once (hash joins), not probed per person: on a
        // national database a year holds about a million episodes, and a
        // correlated EXISTS per person took 6.5 s of the dashboard's 11.
        let sql = format!(
            "SELECT {key} AS k, COUNT(*) AS c0, {active} AS c1, {enrolled} AS c2, {module} AS c3, {checked} AS c4 \
             FROM episodes e {joins} \
             LEFT JOIN (SELECT DISTINCT patient_id FROM enrolments) en ON en.patient_id = p.id \
             LEFT JOIN (SELECT DISTINCT n.patient_id FROM enrolments n JOIN module_progress m \
              ON m.enrolment_id = n.id WHERE m.completed_at IS NOT NULL) mo ON mo.patient_id = p.id \
             LEFT JOIN mood_summaries ms ON ms.patient_id = p.id \
             WHERE e.service_id = $1 AND e.opened_at >= $2 AND e.opened_at < $3 {filter} \
             GROUP BY 1",
            key = s.key,
            joins = s.joins,
            filter = s.filter,
            active = sum("p.password_hash IS NOT NULL"),
            enrolled = sum("en.patient_id IS NOT NULL"),
            module = sum("mo.patient_id IS NOT NULL"),
            checked = sum("ms.check_ins > 0"),
        );
        self.grouped(scope, sql, 5, false).await
    }
}
