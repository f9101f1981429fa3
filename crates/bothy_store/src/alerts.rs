//! Alerts: raising (deduplicated by a partial unique index), the duty queue,
//! acknowledging and closing with guarded updates, escalation, and the
//! samples the alert-load statistics need.

use crate::audit::records::columns;
use crate::db::Row;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::alerts::{AlertSample, AlertState, Outcome, Severity};
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::detectors::Cause;
use bothy_domain::ids::{AlertId, ReferralId};
use bothy_domain::model::Alert;
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{PatientId, ServiceId, StaffId};

const COLUMNS: &str = "id, patient_id, service_id, cause, dedupe_key, severity, summary, source_kind, \
     source_id, assigned_to, raised_at, deadline_at, signal_count, last_signal_at, acknowledged_at, \
     acknowledged_by, closed_at, closed_by, outcome, outcome_note, escalated_at, referral_id";

/// An alert past its deadline, with whom it is with.
#[derive(Debug, Clone)]
pub struct OverdueAlert {
    pub alert: Alert,
    /// The practitioner it was assigned to when raised, by name.
    pub assigned_to: Option<String>,
    /// Who acknowledged it, by name, if anyone has.
    pub acknowledged_by: Option<String>,
}

/// Whom a new alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertSubject {
    Patient(PatientId),
    /// A referral nobody has accepted yet; the alert gains the patient when
    /// triage accepts it ([`Tx::attach_referral_alerts`]).
    Referral(ReferralId),
}

/// An alert to raise, or to merge into the open alert with the same key.
#[derive(Debug, Clone)]
pub struct NewAlert<'a> {
    pub id: AlertId,
    pub subject: AlertSubject,
    pub service_id: ServiceId,
    pub cause: Cause,
    pub dedupe_key: &'a str,
    pub severity: Severity,
    pub summary: &'a str,
    pub source_kind: &'a str,
    pub source_id: &'a str,
    pub assigned_to: Option<StaffId>,
    pub raised_at: Timestamp,
    pub deadline: Timestamp,
}

/// Ranks severities in SQL, so a merge keeps the higher one.
pub(crate) fn rank(s: Severity) -> i64 {
    match s {
        Severity::Low => 1,
        Severity::Moderate => 2,
        Severity::High => 3,
        Severity::Urgent => 4,
    }
}

fn millis(r: &Row, col: &str) -> Result<Option<Timestamp>, StoreError> {
    Ok(r.try_get::<Option<i64>>(col)?.map(from_millis))
}

fn staff(r: &Row, col: &str) -> Result<Option<StaffId>, StoreError> {
    r.try_get::<Option<String>>(col)?
        .map(|s| parse(&s, "staff id"))
        .transpose()
}

fn outcome(kind: &str, note: Option<String>) -> Result<Outcome, StoreError> {
    Ok(match kind {
        "contacted_person" => Outcome::ContactedPerson,
        "safety_plan_reviewed" => Outcome::SafetyPlanReviewed,
        "escalated_to_crisis_team" => Outcome::EscalatedToCrisisTeam,
        "appointment_offered" => Outcome::AppointmentOffered,
        "no_action_needed" => Outcome::NoActionNeeded {
            reason: note.unwrap_or_default(),
        },
        other => return Err(StoreError::corrupt(format!("alert outcome {other:?}"))),
    })
}

fn alert(r: &Row) -> Result<Alert, StoreError> {
    let cause: String = r.try_get("cause")?;
    let severity: String = r.try_get("severity")?;
    let acknowledged = match (staff(r, "acknowledged_by")?, millis(r, "acknowledged_at")?) {
        (Some(by), Some(at)) => Some((by, at)),
        _ => None,
    };
    let closed = (
        staff(r, "closed_by")?,
        millis(r, "closed_at")?,
        r.try_get::<Option<String>>("outcome")?,
    );
    let state = match (closed, acknowledged) {
        ((Some(by), Some(at), Some(kind)), _) => AlertState::Closed {
            by,
            at,
            outcome: outcome(&kind, r.try_get("outcome_note")?)?,
        },
        (_, Some((by, at))) => AlertState::Acknowledged { by, at },
        _ => AlertState::Open,
    };
    let count: i64 = r.try_get("signal_count")?;
    Ok(Alert {
        id: parse(&r.try_get::<String>("id")?, "alert id")?,
        patient_id: r
            .try_get::<Option<String>>("patient_id")?
            .map(|p| parse(&p, "patient id"))
            .transpose()?,
        referral_id: r
            .try_get::<Option<String>>("referral_id")?
            .map(|p| parse(&p, "referral id"))
            .transpose()?,
        close_note: r.try_get("outcome_note")?,
        service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
        cause: Cause::from_key(&cause)
            .ok_or_else(|| StoreError::corrupt(format!("alert cause {cause:?}")))?,
        dedupe_key: r.try_get("dedupe_key")?,
        severity: severity
            .parse()
            .map_err(|_| StoreError::corrupt(format!("alert severity {severity:?}")))?,
        summary: r.try_get("summary")?,
        source_kind: r.try_get("source_kind")?,
        source_id: r.try_get("source_id")?,
        assigned_to: staff(r, "assigned_to")?,
        raised_at: from_millis(r.try_get("raised_at")?),
        deadline: from_millis(r.try_get("deadline_at")?),
        signal_count: u32::try_from(count).unwrap_or(u32::MAX),
        last_signal_at: from_millis(r.try_get("last_signal_at")?),
        state,
        acknowledged,
        escalated_at: millis(r, "escalated_at")?,
    })
}

/// The most a count shown on every staff home counts to: beyond it, the
/// page says "1,000 or more".
pub const COUNT_CAP: i64 = 1000;

/// The service's open alerts (`$1`), to [`COUNT_CAP`] at most: a range of
/// the queue's index.
pub(crate) fn open_count() -> String {
    format!(
        "(SELECT COUNT(*) FROM (SELECT 1 FROM alerts \
         WHERE service_id = $1 AND closed_at IS NULL LIMIT {COUNT_CAP}) open_capped)"
    )
}

/// Those of them past their deadline at `$2`, to [`COUNT_CAP`] at most.
pub(crate) fn overdue_count() -> String {
    format!(
        "(SELECT COUNT(*) FROM (SELECT 1 FROM alerts WHERE service_id = $1 \
         AND closed_at IS NULL AND deadline_at < {} LIMIT {COUNT_CAP}) overdue_capped)",
        range_bound(2)
    )
}

/// The bound time `$n` as the end of a range, written as a scalar
/// subquery. PostgreSQL's plan for a prepared statement estimates a range
/// on a bound value from the value when made for it, and as a fixed
/// fraction of the index when kept for every value. Where the first looks
/// cheaper (few of many open alerts overdue, as on a real service) it
/// plans the statement afresh on every execution: 0.3 ms for the lead's
/// overdue alerts under load, half as long as reading them
/// (docs/benchmark-profiles-2.md, finding 14). A subquery's value is
/// unknown to both plans, so they agree and the plan is kept; the index
/// still serves the range, on SQLite too.
fn range_bound(n: u8) -> String {
    format!("(SELECT ${n})")
}

impl Tx {
    /// Raises an alert, or merges it into the patient's open alert with the
    /// same key: one more signal, the higher severity (with its summary) and
    /// the earlier deadline. Atomic under concurrency on both databases (an
    /// upsert on the partial unique index of open alerts). Returns the id of
    /// the alert it is now part of, and whether it is new.
    pub async fn raise_alert(&mut self, a: &NewAlert<'_>) -> Result<(AlertId, bool), StoreError> {
        // The conflict target names the partial unique index of the alert's subject.
        let (target, patient, referral) = match a.subject {
            AlertSubject::Patient(p) => (
                "(patient_id, dedupe_key) WHERE closed_at IS NULL",
                Some(p.to_string()),
                None,
            ),
            AlertSubject::Referral(r) => (
                "(referral_id, dedupe_key) WHERE closed_at IS NULL AND referral_id IS NOT NULL",
                None,
                Some(r.to_string()),
            ),
        };
        let sql = format!(
            "INSERT INTO alerts (id, patient_id, referral_id, service_id, cause, dedupe_key, severity, \
             severity_rank, summary, source_kind, source_id, assigned_to, raised_at, deadline_at, \
             signal_count, last_signal_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $13) \
             ON CONFLICT {target} DO UPDATE SET \
             signal_count = alerts.signal_count + 1, \
             last_signal_at = excluded.last_signal_at, \
             severity = CASE WHEN excluded.severity_rank > alerts.severity_rank \
                 THEN excluded.severity ELSE alerts.severity END, \
             summary = CASE WHEN excluded.severity_rank > alerts.severity_rank \
                 THEN excluded.summary ELSE alerts.summary END, \
             severity_rank = CASE WHEN excluded.severity_rank > alerts.severity_rank \
                 THEN excluded.severity_rank ELSE alerts.severity_rank END, \
             deadline_at = CASE WHEN excluded.deadline_at < alerts.deadline_at \
                 THEN excluded.deadline_at ELSE alerts.deadline_at END \
             RETURNING id, {}",
            columns(RecordKind::Alert)
        );
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(a.id.to_string())
            .bind(patient)
            .bind(referral)
            .bind(a.service_id.to_string())
            .bind(a.cause.key())
            .bind(a.dedupe_key)
            .bind(a.severity.as_str())
            .bind(rank(a.severity))
            .bind(a.summary)
            .bind(a.source_kind)
            .bind(a.source_id)
            .bind(a.assigned_to.map(|s| s.to_string()))
            .bind(to_millis(a.raised_at))
            .bind(to_millis(a.deadline))
            .fetch_one()
            .await?;
        let raw_id: String = row.try_get("id")?;
        self.wrote(RecordKind::Alert, &raw_id, &row)?;
        let id: AlertId = parse(&raw_id, "alert id")?;
        let new = id == a.id;
        Ok((id, new))
    }

    /// Gives a referral's alerts their patient (and, where none is named,
    /// the practitioner triage chose), once triage has accepted the
    /// referral: the risk found at referral follows the person. Returns how
    /// many alerts now name the patient.
    pub async fn attach_referral_alerts(
        &mut self,
        referral: ReferralId,
        patient: PatientId,
        practitioner: StaffId,
    ) -> Result<u64, StoreError> {
        Ok(self
            .query(
                "UPDATE alerts SET patient_id = $2, assigned_to = COALESCE(assigned_to, $3) \
                 WHERE referral_id = $1 AND patient_id IS NULL",
            )
            .bind(referral.to_string())
            .bind(patient.to_string())
            .bind(practitioner.to_string())
            .execute()
            .await?
            .rows_affected())
    }

    /// A referral's alerts, open ones first, then newest first.
    pub async fn referral_alerts(
        &mut self,
        referral: ReferralId,
    ) -> Result<Vec<Alert>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts WHERE referral_id = $1 \
             ORDER BY CASE WHEN closed_at IS NULL THEN 0 ELSE 1 END, raised_at DESC, id"
        );
        let rows = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(referral.to_string())
            .fetch_all()
            .await?;
        rows.iter().map(alert).collect()
    }

    pub async fn alert(&mut self, id: AlertId) -> Result<Option<Alert>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM alerts WHERE id = $1");
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(alert).transpose()
    }

    /// The service's duty queue: open (including acknowledged) alerts, the
    /// earliest deadline first, then the most severe, then the oldest.
    pub async fn open_alerts(
        &mut self,
        service: ServiceId,
        limit: i64,
    ) -> Result<Vec<Alert>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts WHERE service_id = $1 AND closed_at IS NULL \
             ORDER BY deadline_at, severity_rank DESC, raised_at, id LIMIT {limit}"
        );
        let rows = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(service.to_string())
            .fetch_all()
            .await?;
        rows.iter().map(alert).collect()
    }

    /// A patient's alerts, open ones first, then newest first.
    pub async fn patient_alerts(
        &mut self,
        patient: PatientId,
        limit: i64,
    ) -> Result<Vec<Alert>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts WHERE patient_id = $1 \
             ORDER BY CASE WHEN closed_at IS NULL THEN 0 ELSE 1 END, raised_at DESC, id LIMIT {limit}"
        );
        let rows = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(patient.to_string())
            .fetch_all()
            .await?;
        rows.iter().map(alert).collect()
    }

    /// How many open alerts of at least `severity` each of these patients
    /// has (those with none are left out).
    pub async fn open_alert_counts(
        &mut self,
        patients: &[PatientId],
        severity: Severity,
    ) -> Result<std::collections::HashMap<PatientId, i64>, StoreError> {
        if patients.is_empty() {
            return Ok(Default::default());
        }
        let sql = "SELECT patient_id, COUNT(*) AS n FROM alerts WHERE closed_at IS NULL \
             AND severity_rank >= $2 AND patient_id IN ({ids}) GROUP BY patient_id";
        self.query_in(sql, patients)
            .bind(rank(severity))
            .fetch_all()
            .await?
            .iter()
            .map(|r| {
                Ok((
                    parse(&r.try_get::<String>("patient_id")?, "patient id")?,
                    r.try_get("n")?,
                ))
            })
            .collect()
    }

    /// The service's open alerts past their deadline at `now`, the most
    /// overdue first, at most `limit`, each with the names of the staff it
    /// mentions; and how many are overdue in all, to [`COUNT_CAP`] at most.
    /// One statement: the count rides on each row, and no row means none is
    /// overdue.
    pub async fn overdue_alerts(
        &mut self,
        service: ServiceId,
        now: Timestamp,
        limit: i64,
    ) -> Result<(Vec<OverdueAlert>, i64), StoreError> {
        let sql = format!(
            "SELECT {COLUMNS}, {} AS overdue_total, \
             (SELECT s.display_name FROM staff s WHERE s.id = alerts.assigned_to) AS assigned_name, \
             (SELECT s.display_name FROM staff s WHERE s.id = alerts.acknowledged_by) \
             AS acknowledged_name \
             FROM alerts WHERE service_id = $1 AND closed_at IS NULL \
             AND deadline_at < {} ORDER BY deadline_at, severity_rank DESC, id LIMIT {limit}",
            overdue_count(),
            range_bound(2)
        );
        let rows = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(service.to_string())
            .bind(to_millis(now))
            .fetch_all()
            .await?;
        let total = match rows.first() {
            Some(r) => r.try_get("overdue_total")?,
            None => 0,
        };
        let overdue = rows
            .iter()
            .map(|r| {
                Ok(OverdueAlert {
                    alert: alert(r)?,
                    assigned_to: r.try_get("assigned_name")?,
                    acknowledged_by: r.try_get("acknowledged_name")?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((overdue, total))
    }

    /// Records an acknowledgement, unless someone else acknowledged or
    /// closed the alert since it was read. Returns whether it was recorded.
    pub async fn acknowledge_alert(
        &mut self,
        id: AlertId,
        by: StaffId,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE alerts SET acknowledged_by = $2, acknowledged_at = $3 \
             WHERE id = $1 AND closed_at IS NULL AND acknowledged_at IS NULL RETURNING {}",
            columns(RecordKind::Alert)
        );
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .bind(by.to_string())
            .bind(to_millis(at))
            .fetch_optional()
            .await?;
        self.wrote_optional(RecordKind::Alert, &id.to_string(), row.as_ref())
    }

    /// Closes an alert with its outcome (acknowledging it too, if nobody
    /// had), unless it was closed since it was read. Returns whether it was.
    pub async fn close_alert(
        &mut self,
        id: AlertId,
        by: StaffId,
        at: Timestamp,
        outcome: &Outcome,
        note: Option<&str>,
    ) -> Result<bool, StoreError> {
        let note = match outcome {
            Outcome::NoActionNeeded { reason } => Some(reason.as_str()),
            _ => note,
        };
        let sql = format!(
            "UPDATE alerts SET closed_by = $2, closed_at = $3, outcome = $4, outcome_note = $5, \
             acknowledged_by = COALESCE(acknowledged_by, $2), \
             acknowledged_at = COALESCE(acknowledged_at, $3) \
             WHERE id = $1 AND closed_at IS NULL RETURNING {}",
            columns(RecordKind::Alert)
        );
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .bind(by.to_string())
            .bind(to_millis(at))
            .bind(outcome.as_str())
            .bind(note)
            .fetch_optional()
            .await?;
        self.wrote_optional(RecordKind::Alert, &id.to_string(), row.as_ref())
    }

    /// Open alerts past their deadline at `now` and never escalated, the
    /// most overdue first.
    pub async fn alerts_to_escalate(
        &mut self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<Alert>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts WHERE closed_at IS NULL AND escalated_at IS NULL \
             AND deadline_at < {} ORDER BY deadline_at, id LIMIT {limit}",
            range_bound(1)
        );
        let rows = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(to_millis(now))
            .fetch_all()
            .await?;
        rows.iter().map(alert).collect()
    }

    /// Marks an alert escalated, unless it already was (another worker) or
    /// was closed meanwhile. Returns whether this call marked it.
    pub async fn mark_alert_escalated(
        &mut self,
        id: AlertId,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE alerts SET escalated_at = $2 \
             WHERE id = $1 AND escalated_at IS NULL AND closed_at IS NULL RETURNING {}",
            columns(RecordKind::Alert)
        );
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .bind(to_millis(at))
            .fetch_optional()
            .await?;
        self.wrote_optional(RecordKind::Alert, &id.to_string(), row.as_ref())
    }

    /// What the load statistics need about the service's alerts raised at
    /// or after `since`. The clinician is whoever the alert is assigned to,
    /// else whoever acknowledged it.
    pub async fn alert_samples(
        &mut self,
        service: ServiceId,
        since: Timestamp,
    ) -> Result<Vec<AlertSample>, StoreError> {
        let rows = self
            .query(
                "SELECT service_id, COALESCE(assigned_to, acknowledged_by) AS clinician, cause, \
             raised_at, acknowledged_at, deadline_at, closed_at FROM alerts \
             WHERE service_id = $1 AND raised_at >= $2",
            )
            .bind(service.to_string())
            .bind(to_millis(since))
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AlertSample {
                    service: parse(&r.try_get::<String>("service_id")?, "service id")?,
                    clinician: staff(r, "clinician")?,
                    cause: r.try_get("cause")?,
                    raised_at: from_millis(r.try_get("raised_at")?),
                    acknowledged_at: millis(r, "acknowledged_at")?,
                    deadline: from_millis(r.try_get("deadline_at")?),
                    closed: r.try_get::<Option<i64>>("closed_at")?.is_some(),
                })
            })
            .collect()
    }
}

impl Tx {
    /// The alerts of these patients that are open or were closed at or
    /// after `since`, as (patient, key, when closed): what the sweep needs to
    /// leave settled signals out, in one read per page of people.
    pub async fn alerts_open_or_closed_since(
        &mut self,
        patients: &[PatientId],
        since: Timestamp,
    ) -> Result<Vec<(PatientId, String, Option<Timestamp>)>, StoreError> {
        if patients.is_empty() {
            return Ok(Vec::new());
        }
        let sql = "SELECT patient_id, dedupe_key, closed_at FROM alerts \
             WHERE patient_id IN ({ids}) AND (closed_at IS NULL OR closed_at >= $2)";
        self.query_in(sql, patients)
            .bind(to_millis(since))
            .fetch_all()
            .await?
            .iter()
            .map(|r| {
                Ok((
                    parse(&r.try_get::<String>("patient_id")?, "patient id")?,
                    r.try_get("dedupe_key")?,
                    r.try_get::<Option<i64>>("closed_at")?.map(from_millis),
                ))
            })
            .collect()
    }

    /// Whether the patient has an alert with this key that is open, or that
    /// was closed at or after `since`: a sweep that finds the same condition
    /// on the same data has nothing new to say.
    pub async fn alert_settled(
        &mut self,
        patient: PatientId,
        dedupe_key: &str,
        since: Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(self
            .query(
                "SELECT id FROM alerts WHERE patient_id = $1 AND dedupe_key = $2 \
                 AND (closed_at IS NULL OR closed_at >= $3) LIMIT 1",
            )
            .bind(patient.to_string())
            .bind(dedupe_key)
            .bind(to_millis(since))
            .fetch_optional()
            .await?
            .is_some())
    }
}
