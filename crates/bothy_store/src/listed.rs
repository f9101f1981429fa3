//! People as the staff home lists them: each with their open alerts and
//! risk at referral, and on a caseload with what orders it by need besides
//! (the highest alert, unread messages, last activity), read in the list's
//! own statement. Each figure is a
//! correlated subquery along an index of its table (alerts and messages by
//! patient, the open episode by patient, `patient_activity`'s key), so a
//! page of people is one round trip rather than one per figure.

use crate::alerts::rank;
use crate::db::Row;
use crate::messages::UNREAD_BY_STAFF;
use crate::patients::{PATIENT_COLUMNS, patient};
use crate::referrals::RISK_AT_REFERRAL;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::alerts::Severity;
use bothy_domain::ids::ReferralId;
use bothy_domain::model::Patient;
use bothy_domain::time::{Timestamp, from_millis};
use bothy_domain::{ServiceId, StaffId};

/// One person listed, with the figures every list shows.
#[derive(Debug, Clone)]
pub struct Listed {
    pub patient: Patient,
    /// Open alerts, any severity.
    pub open_alerts: i64,
    /// The referral of their open episode that had a risk answer or risky
    /// words (as `Tx::risk_at_referral` finds it).
    pub risk_referral: Option<ReferralId>,
}

/// One person on a caseload, with what orders it by need besides.
#[derive(Debug, Clone)]
pub struct OnCaseload {
    pub listed: Listed,
    /// The highest severity among their open alerts.
    pub highest_alert: Option<Severity>,
    /// Messages from them not yet read by staff.
    pub unread_messages: i64,
    /// When they last did something (`Tx::last_activity`); none if never.
    pub last_activity: Option<Timestamp>,
}

/// The figures every list shows, after `PATIENT_COLUMNS` over a table
/// named `patients`.
fn figures() -> String {
    format!(
        "(SELECT COUNT(*) FROM alerts a WHERE a.patient_id = patients.id \
         AND a.closed_at IS NULL) AS open_alerts, \
         (SELECT MIN(r.id) {RISK_AT_REFERRAL} AND e.patient_id = patients.id) \
         AS risk_referral_id"
    )
}

/// What a caseload's order by need reads besides.
fn need() -> String {
    format!(
        "(SELECT MAX(a.severity_rank) FROM alerts a WHERE a.patient_id = patients.id \
         AND a.closed_at IS NULL) AS top_rank, \
         (SELECT COUNT(*) FROM messages WHERE messages.patient_id = patients.id \
         AND {UNREAD_BY_STAFF}) AS unread, \
         (SELECT pa.last_at FROM patient_activity pa WHERE pa.patient_id = patients.id) \
         AS last_at"
    )
}

/// The order people are listed in, steady among equal names.
const BY_NAME: &str = "family_name, given_name, id";

fn listed(row: &Row) -> Result<Listed, StoreError> {
    Ok(Listed {
        patient: patient(row)?,
        open_alerts: row.try_get("open_alerts")?,
        risk_referral: row
            .try_get::<Option<String>>("risk_referral_id")?
            .map(|id| parse(&id, "referral id"))
            .transpose()?,
    })
}

fn on_caseload(row: &Row) -> Result<OnCaseload, StoreError> {
    let top: Option<i64> = row.try_get("top_rank")?;
    let highest_alert = top
        .map(|top| {
            Severity::ALL
                .into_iter()
                .find(|s| rank(*s) == top)
                .ok_or_else(|| StoreError::corrupt(format!("severity rank {top}")))
        })
        .transpose()?;
    Ok(OnCaseload {
        listed: listed(row)?,
        highest_alert,
        unread_messages: row.try_get("unread")?,
        last_activity: row.try_get::<Option<i64>>("last_at")?.map(from_millis),
    })
}

impl Tx {
    /// A supporter's caseload in one service: the people whose supporter
    /// they are and the people on programmes they support (not finished),
    /// by name, at most `limit`, each with their figures. Each of the two
    /// groups is read along its own index and cut to `limit` before they
    /// are merged (one `OR`, or a join of the pair with `patients`, read
    /// the whole service), and the figures are computed for the people
    /// kept only.
    pub async fn caseload(
        &mut self,
        service: ServiceId,
        supporter: StaffId,
        limit: i64,
    ) -> Result<Vec<OnCaseload>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {PATIENT_COLUMNS}, {}, {} FROM (SELECT * FROM ( \
               SELECT * FROM (SELECT * FROM patients WHERE supporter_id = $1 \
                 AND service_id = $2 ORDER BY {BY_NAME} LIMIT {limit}) own \
               UNION ALL \
               SELECT * FROM (SELECT * FROM patients WHERE service_id = $2 \
                 AND (supporter_id IS NULL OR supporter_id <> $1) AND id IN \
                 (SELECT patient_id FROM enrolments WHERE supporter_id = $1 \
                  AND status <> 'finished') ORDER BY {BY_NAME} LIMIT {limit}) supported \
             ) mine ORDER BY {BY_NAME} LIMIT {limit}) patients ORDER BY {BY_NAME}",
            figures(),
            need()
        ));
        let rows = self
            .query(sql)
            .bind(supporter.to_string())
            .bind(service.to_string())
            .fetch_all()
            .await?;
        rows.iter().map(on_caseload).collect()
    }

    /// A service's people by name, at most `limit`, each with their figures
    /// (computed for those people only).
    pub async fn patients_listed(
        &mut self,
        service: ServiceId,
        limit: i64,
    ) -> Result<Vec<Listed>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {PATIENT_COLUMNS}, {} FROM (SELECT * FROM patients \
             WHERE service_id = $1 ORDER BY {BY_NAME} LIMIT {limit}) patients ORDER BY {BY_NAME}",
            figures()
        ));
        let rows = self
            .query(sql)
            .bind(service.to_string())
            .fetch_all()
            .await?;
        rows.iter().map(listed).collect()
    }
}
