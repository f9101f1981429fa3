//! Service reports: each dashboard figure read from the report tables of
//! migration 36, one narrow row per referral, episode and alert carrying
//! its person's groups, kept by triggers at every write. The episode
//! figures share one pass over the episodes; each is cut by one breakdown
//! and optionally restricted to one deprivation quintile or one
//! supporter's caseload. Counts only: no query here returns anything
//! about a person. The postcode look-up's import is in
//! `reports/deprivation.rs`; the rows of a pseudonymised extract in
//! `reports/extract.rs`; the check of the report tables against the
//! records in `reports/drift.rs`; bulk writes' rows refreshed in a few
//! statements in `reports/deferred.rs`.

mod deferred;
mod deprivation;
mod drift;
mod extract;
mod people;

pub use deferred::ReportRows;
pub use deprivation::EditionImport;
pub use extract::ExtractRow;
pub use people::ReportScope;

use crate::{StoreError, Tx};
use bothy_domain::time::to_millis;
use people::ScopeSql;

/// One group's counts, in the column order the method names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCounts {
    pub key: String,
    /// A second key where the figure has one (the referral's source).
    pub sub: String,
    pub counts: Vec<i64>,
}

/// The four figures read from episodes, each as its own groups (a group
/// appears only where the figure counts at least one episode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeFigures {
    /// People who started treatment in the period (the clock stopped):
    /// c0 started, c1 within 6 weeks of referral, c2 within 18 weeks,
    /// c3 the sum of their waits in days.
    pub waits: Vec<GroupCounts>,
    /// The waiting list at the end of the period: accepted, not yet
    /// started and not discharged. c0 waiting, c1 waiting over 6 weeks,
    /// c2 over 18 weeks.
    pub waiting: Vec<GroupCounts>,
    /// Episodes discharged in the period, from their stored outcome flags
    /// under the rules in force: c0 ended, c1..c6 the six flag bits
    /// (finished, at caseness, recovered, reliable improvement, reliable
    /// recovery, reliable deterioration), c7 treatment sessions of those
    /// who finished, c8 ended having had a treatment session, c9 ended
    /// after exactly one.
    pub discharges: Vec<GroupCounts>,
    /// Digital engagement of the people whose episode opened in the
    /// period: c0 episodes, c1 activated their account, c2 enrolled on a
    /// programme, c3 completed a module, c4 checked in at least once.
    pub engagement: Vec<GroupCounts>,
}

const WEEK_MS: i64 = bothy_domain::referral::rtt::WEEK_SECS * 1000;

/// The number of rows where `cond` holds.
fn sum(cond: &str) -> String {
    sum_where(cond, "1")
}

/// The sum of `value` over the rows where `cond` holds.
fn sum_where(cond: &str, value: &str) -> String {
    format!("CAST(COALESCE(SUM(CASE WHEN {cond} THEN {value} ELSE 0 END), 0) AS BIGINT)")
}

/// Each figure's columns in the one pass over episodes, in the order of
/// `EpisodeFigures`' fields, and the condition on a row for it to count.
fn episode_columns(rules: &str) -> [(String, Vec<String>); 4] {
    let started = "x.first_treatment_at >= $2 AND x.first_treatment_at < $3".to_string();
    let wait = "(x.first_treatment_at - x.referred_at)";
    let waiting =
        "x.referred_at < $3 AND (x.first_treatment_at IS NULL OR x.first_treatment_at >= $3) \
                   AND (x.discharged_at IS NULL OR x.discharged_at >= $3)"
            .to_string();
    let rules = rules.replace('\'', "");
    let ended =
        format!("x.discharged_at >= $2 AND x.discharged_at < $3 AND x.outcome_rules = '{rules}'");
    let opened = "x.opened_at >= $2 AND x.opened_at < $3".to_string();
    let mut discharges = vec![sum(&ended)];
    discharges.extend(
        (0..bothy_domain::outcomes::FLAG_COUNT)
            .map(|i| sum_where(&ended, &format!("((x.outcome_flags >> {i}) & 1)"))),
    );
    discharges.extend([
        sum_where(
            &format!("{ended} AND (x.outcome_flags & 1) = 1"),
            "x.treatment_appointments",
        ),
        sum(&format!("{ended} AND x.treatment_appointments >= 1")),
        sum(&format!("{ended} AND x.treatment_appointments = 1")),
    ]);
    [
        (
            started.clone(),
            vec![
                sum(&started),
                sum(&format!("{started} AND {wait} <= {}", 6 * WEEK_MS)),
                sum(&format!("{started} AND {wait} <= {}", 18 * WEEK_MS)),
                sum_where(&started, &format!("{wait} / 86400000")),
            ],
        ),
        (
            waiting.clone(),
            vec![
                sum(&waiting),
                sum(&format!(
                    "{waiting} AND $3 - x.referred_at > {}",
                    6 * WEEK_MS
                )),
                sum(&format!(
                    "{waiting} AND $3 - x.referred_at > {}",
                    18 * WEEK_MS
                )),
            ],
        ),
        (ended, discharges),
        (
            opened.clone(),
            [
                "1",
                "x.activated",
                "x.enrolled",
                "x.module_done",
                "x.checked_in",
            ]
            .iter()
            .map(|flag| sum_where(&opened, flag))
            .collect(),
        ),
    ]
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
        let s = ScopeSql::new(scope);
        let months: Vec<String> = month_starts
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                format!(
                    ", {} AS c{i}",
                    sum(&format!(
                        "x.received_at >= {} AND x.received_at < {}",
                        w[0], w[1]
                    ))
                )
            })
            .collect();
        let sql = format!(
            "SELECT {key} AS k, x.source AS sub{months} FROM report_referrals x \
             WHERE x.service_id = $1 AND x.received_at >= $2 AND x.received_at < $3 {filter} \
             GROUP BY 1, 2",
            key = s.key,
            filter = s.filter,
            months = months.concat(),
        );
        self.grouped(scope, sql, month_starts.len().saturating_sub(1), true)
            .await
    }

    /// The waits, waiting list, discharges and engagement, in one pass
    /// over the service's episodes (`rules` the outcome fingerprint in
    /// force; the caller has classified any episode ended without flags).
    pub async fn report_episodes(
        &mut self,
        scope: &ReportScope,
        rules: &str,
    ) -> Result<EpisodeFigures, StoreError> {
        let s = ScopeSql::new(scope);
        let figures = episode_columns(rules);
        let mut columns = Vec::new();
        for (_, cols) in &figures {
            columns.extend(cols.iter().cloned());
        }
        let any: Vec<String> = figures
            .iter()
            .map(|(cond, _)| format!("({cond})"))
            .collect();
        let sql = format!(
            "SELECT {key} AS k, {cols} FROM report_episodes x \
             WHERE x.service_id = $1 AND ({any}) {filter} GROUP BY 1",
            key = s.key,
            cols = columns
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} AS c{i}"))
                .collect::<Vec<_>>()
                .join(", "),
            any = any.join(" OR "),
            filter = s.filter,
        );
        let rows = self.grouped(scope, sql, columns.len(), false).await?;
        // Cut each row into its figures' columns; a group appears in a
        // figure only where the figure counts someone.
        let mut at = 0;
        let [waits, waiting, discharges, engagement] = figures.each_ref().map(|(_, cols)| {
            let range = at..at + cols.len();
            at = range.end;
            rows.iter()
                .filter(|r| r.counts[range.start] > 0)
                .map(|r| GroupCounts {
                    key: r.key.clone(),
                    sub: String::new(),
                    counts: r.counts[range.clone()].to_vec(),
                })
                .collect()
        });
        Ok(EpisodeFigures {
            waits,
            waiting,
            discharges,
            engagement,
        })
    }

    /// Alerts raised in the period: c0 raised, c1 acknowledged, c2
    /// acknowledged by their deadline, c3 the sum of minutes to
    /// acknowledgement.
    pub async fn report_alerts(
        &mut self,
        scope: &ReportScope,
    ) -> Result<Vec<GroupCounts>, StoreError> {
        let s = ScopeSql::new(scope);
        let sql = format!(
            "SELECT {key} AS k, COUNT(*) AS c0, {acked} AS c1, {in_time} AS c2, {minutes} AS c3 \
             FROM report_alerts x \
             WHERE x.service_id = $1 AND x.raised_at >= $2 AND x.raised_at < $3 {filter} \
             GROUP BY 1",
            key = s.key,
            filter = s.filter,
            acked = sum("x.acknowledged_at IS NOT NULL"),
            in_time = sum("x.acknowledged_at <= x.deadline_at"),
            minutes = sum_where(
                "x.acknowledged_at IS NOT NULL",
                "(x.acknowledged_at - x.raised_at) / 60000"
            ),
        );
        self.grouped(scope, sql, 4, false).await
    }
}
