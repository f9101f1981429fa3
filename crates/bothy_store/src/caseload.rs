//! What the staff home reads beside the list of people: each person's last
//! activity and programme progress, the front door's counts, and each
//! supporter's load. One statement each, whatever the number of people.

use crate::alerts::{COUNT_CAP, open_count, overdue_count};
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{PatientId, ServiceId, StaffId};
use std::collections::HashMap;

/// One programme enrolment as the caseload shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeProgress {
    pub programme_id: String,
    /// `active`, `paused` or `finished`.
    pub status: String,
    pub modules_done: i64,
}

/// A supporter's caseload in a service, as a clinical lead sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupporterLoad {
    pub supporter_id: StaffId,
    pub people: i64,
    /// People with no activity since the cut-off (and on record before it).
    pub quiet: i64,
}

/// The triage clinician's view of the front door, in counts, each to
/// [`COUNT_CAP`] at most.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrontDoorCounts {
    pub referrals: i64,
    pub referrals_with_risk: i64,
    pub waiting: i64,
    /// The duty queue: open alerts, and those past their deadline.
    pub open_alerts: i64,
    pub overdue_alerts: i64,
}

impl Tx {
    /// When each of these patients last did something (a measure, a
    /// check-in, a tool entry, a message to their care team, a finished
    /// module: `patient_activity`, kept at write time by migration 40's
    /// triggers); those who have done nothing are left out. Only that table
    /// is read: the callers hold the people already.
    pub async fn last_activity(
        &mut self,
        patients: &[PatientId],
    ) -> Result<HashMap<PatientId, Timestamp>, StoreError> {
        let mut out = HashMap::new();
        for chunk in patients.chunks(500) {
            let sql =
                "SELECT patient_id, last_at FROM patient_activity WHERE patient_id IN ({ids})";
            for r in self.query_in(sql, chunk).fetch_all().await? {
                out.insert(
                    parse(&r.try_get::<String>("patient_id")?, "patient id")?,
                    from_millis(r.try_get("last_at")?),
                );
            }
        }
        Ok(out)
    }

    /// Each of these patients' programme enrolments, oldest first, with
    /// how many modules they have finished.
    pub async fn programme_progress(
        &mut self,
        patients: &[PatientId],
    ) -> Result<HashMap<PatientId, Vec<ProgrammeProgress>>, StoreError> {
        let mut out: HashMap<PatientId, Vec<ProgrammeProgress>> = HashMap::new();
        for chunk in patients.chunks(500) {
            let sql = "SELECT e.patient_id, e.programme_id, e.status, \
                 (SELECT COUNT(*) FROM module_progress mp WHERE mp.enrolment_id = e.id \
                  AND mp.completed_at IS NOT NULL) AS done \
                 FROM enrolments e WHERE e.patient_id IN ({ids}) ORDER BY e.enrolled_at, e.id";
            for r in self.query_in(sql, chunk).fetch_all().await? {
                out.entry(parse(&r.try_get::<String>("patient_id")?, "patient id")?)
                    .or_default()
                    .push(ProgrammeProgress {
                        programme_id: r.try_get("programme_id")?,
                        status: r.try_get("status")?,
                        modules_done: r.try_get("done")?,
                    });
            }
        }
        Ok(out)
    }

    /// Referrals waiting for triage (as the queue lists them: sent and not
    /// decided, or an unsent draft with a risk answer), how many of them
    /// with risk, and the people on the waiting list: each counted to
    /// [`COUNT_CAP`] at most. A triage clinician's home shows them on every
    /// view, so they must not cost more as the front door's backlog grows:
    /// uncapped, the waiting list's count alone took 16-20 ms on a
    /// 100,000-patient SQLite service, which visited all 11,830 episodes
    /// never treated to find the 3,695 waiting; it now reads migration 41's
    /// index, which holds the people waiting now side by side. With them,
    /// the duty queue's open alerts and those overdue at `now`: one
    /// statement for the whole of a triage clinician's figures.
    pub async fn front_door_counts(
        &mut self,
        service: ServiceId,
        now: Timestamp,
    ) -> Result<FrontDoorCounts, StoreError> {
        const WAITING_TRIAGE: &str = "service_id = $1 AND (status IN ('received', 'info_requested') \
             OR (status = 'draft' AND risk = 1))";
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT \
             (SELECT COUNT(*) FROM (SELECT 1 FROM referrals WHERE {WAITING_TRIAGE} LIMIT {COUNT_CAP}) a) AS n, \
             (SELECT COUNT(*) FROM (SELECT 1 FROM referrals WHERE {WAITING_TRIAGE} AND risk <> 0 \
              LIMIT {COUNT_CAP}) b) AS risky, \
             (SELECT COUNT(*) FROM (SELECT 1 FROM episodes WHERE service_id = $1 \
              AND first_treatment_at IS NULL AND discharged_at IS NULL LIMIT {COUNT_CAP}) c) AS waiting, \
             {} AS open_alerts, {} AS overdue_alerts",
            open_count(),
            overdue_count()
        ));
        let r = self
            .query(sql)
            .bind(service.to_string())
            .bind(to_millis(now))
            .fetch_one()
            .await?;
        Ok(FrontDoorCounts {
            referrals: r.try_get("n")?,
            referrals_with_risk: r.try_get("risky")?,
            waiting: r.try_get("waiting")?,
            open_alerts: r.try_get("open_alerts")?,
            overdue_alerts: r.try_get("overdue_alerts")?,
        })
    }

    /// Every supporter with anyone on their caseload in the service (their
    /// own people and those on programmes they support), how many, and how
    /// many have done nothing since `quiet_before`.
    pub async fn supporter_loads(
        &mut self,
        service: ServiceId,
        quiet_before: Timestamp,
    ) -> Result<Vec<SupporterLoad>, StoreError> {
        let sql = "SELECT c.sid, COUNT(*) AS people, \
             COALESCE(SUM(CASE WHEN p.created_at < $2 AND COALESCE(a.last_at, 0) < $2 \
                 THEN 1 ELSE 0 END), 0) AS quiet \
             FROM (SELECT supporter_id AS sid, id AS pid FROM patients \
                   WHERE service_id = $1 AND supporter_id IS NOT NULL \
                   UNION SELECT supporter_id AS sid, patient_id AS pid FROM enrolments \
                   WHERE service_id = $1 AND supporter_id IS NOT NULL AND status <> 'finished') c \
             JOIN patients p ON p.id = c.pid LEFT JOIN patient_activity a ON a.patient_id = p.id \
             GROUP BY c.sid ORDER BY c.sid";
        let rows = self
            .query(sql)
            .bind(service.to_string())
            .bind(to_millis(quiet_before))
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok(SupporterLoad {
                    supporter_id: parse(&r.try_get::<String>("sid")?, "staff id")?,
                    people: r.try_get("people")?,
                    quiet: r.try_get("quiet")?,
                })
            })
            .collect()
    }
}
