//! Reporting extracts shaped like the national datasets, one row per
//! episode active in the period, pseudonymised per export with the
//! service's key (`bothy_domain::reports::pseudonym`) and written a page
//! at a time, so an extract of a national database streams in bounded
//! memory. The field mapping is in docs/reports.md.

use super::csv::line;
use crate::policy::Permission;
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::reports::{Edition, ExtractKey, Period};
use bothy_domain::time::{from_millis, to_millis, uk_date};
use bothy_store::{ExtractRow, ReportScope};

/// Rows read and written per page.
const PAGE: i64 = 2_000;

/// Which national dataset an extract is shaped like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtractKind {
    /// Public Health Scotland, psychological therapies waiting times
    /// (the CAPTND fields for a care pathway).
    PtWaitingTimes,
    /// NHS England, the NHS Talking Therapies Data Set's key fields.
    TalkingTherapies,
}

impl ExtractKind {
    pub fn parse(s: &str) -> Option<ExtractKind> {
        match s {
            "ptwt" => Some(ExtractKind::PtWaitingTimes),
            "talking-therapies" => Some(ExtractKind::TalkingTherapies),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExtractKind::PtWaitingTimes => "ptwt",
            ExtractKind::TalkingTherapies => "talking-therapies",
        }
    }

    fn header(self) -> &'static [&'static str] {
        match self {
            ExtractKind::PtWaitingTimes => &[
                "UCPN",
                "PATIENT_PSEUDONYM",
                "REF_REC_DATE",
                "REF_SOURCE",
                "REF_ACC_DATE",
                "FIRST_TREAT_APP_DATE",
                "CASE_CLOSED_DATE",
                "WAIT_WEEKS",
                "WAIT_STATUS",
                "AGE_BAND",
                "SEX",
                "ETHNICITY",
                "SIMD_DECILE",
                "CHANNEL",
            ],
            ExtractKind::TalkingTherapies => &[
                "ServiceRequestId",
                "LocalPatientId",
                "ReferralRequestReceivedDate",
                "SourceOfReferral",
                "FirstTreatmentDate",
                "ServDischDate",
                "EndReason",
                "TreatmentAppointments",
                "ProblemDescriptor",
                "AgeBand",
                "Gender",
                "EthnicCategory",
                "IMD_Decile",
                "PHQ9_FirstScore",
                "PHQ9_LastScore",
                "GAD7_FirstScore",
                "GAD7_LastScore",
                "CompletedTreatment_Flag",
                "NotCaseness_Flag",
                "Recovery_Flag",
                "ReliableImprovement_Flag",
                "ReliableRecovery_Flag",
                "ReliableDeterioration_Flag",
            ],
        }
    }
}

/// An extract being written: authorised, audited and keyed once, then
/// read a page at a time by [`Extract::next_chunk`].
pub struct Extract {
    kind: ExtractKind,
    scope: ReportScope,
    label: String,
    key: ExtractKey,
    after: String,
    header_sent: bool,
    done: bool,
}

fn date(ms: Option<i64>) -> String {
    ms.map(|ms| uk_date(from_millis(ms)).to_string())
        .unwrap_or_default()
}

fn num(v: Option<f64>) -> String {
    v.map(|v| format!("{v}")).unwrap_or_default()
}

fn flag(flags: Option<i64>, bit: u32) -> String {
    flags
        .map(|f| ((f >> bit) & 1).to_string())
        .unwrap_or_default()
}

impl Extract {
    pub fn file_name(&self) -> String {
        format!("{}.csv", self.label.replace(':', "-"))
    }

    fn row(&self, r: &ExtractRow) -> Vec<String> {
        let ep = self.key.pseudonym(&self.label, &r.episode_id);
        let person = self.key.pseudonym(&self.label, &r.patient_id);
        let end = to_millis(self.scope.to);
        match self.kind {
            ExtractKind::PtWaitingTimes => {
                let (weeks, status) = match (r.received_at, r.first_treatment_at) {
                    (Some(rec), Some(ft)) if ft < end => {
                        ((ft - rec) / (7 * 86_400_000), "completed")
                    }
                    (Some(rec), _) => ((end - rec) / (7 * 86_400_000), "ongoing"),
                    _ => (0, ""),
                };
                vec![
                    ep,
                    person,
                    date(r.received_at),
                    r.source.clone(),
                    date(r.decided_at),
                    date(r.first_treatment_at),
                    date(r.discharged_at),
                    if status.is_empty() {
                        String::new()
                    } else {
                        weeks.to_string()
                    },
                    status.to_string(),
                    r.age_band.clone(),
                    r.sex.clone().unwrap_or_default(),
                    r.ethnicity.clone().unwrap_or_default(),
                    r.decile.map(|d| d.to_string()).unwrap_or_default(),
                    if r.sms { "sms" } else { "web" }.to_string(),
                ]
            }
            ExtractKind::TalkingTherapies => {
                let f = r.outcome_flags;
                // At caseness is bit 1 of a finished course; "not caseness"
                // is a finished course without it.
                let not_caseness = f.map(|f| u8::from(f & 1 == 1 && f & 2 == 0).to_string());
                vec![
                    ep,
                    person,
                    date(r.received_at),
                    r.source.clone(),
                    date(r.first_treatment_at),
                    date(r.discharged_at),
                    r.discharge_reason.clone().unwrap_or_default(),
                    r.treatment_appointments.to_string(),
                    r.problem_descriptor.clone(),
                    r.age_band.clone(),
                    r.sex.clone().unwrap_or_default(),
                    r.ethnicity.clone().unwrap_or_default(),
                    r.decile.map(|d| d.to_string()).unwrap_or_default(),
                    num(r.phq9_first),
                    num(r.phq9_last),
                    num(r.gad7_first),
                    num(r.gad7_last),
                    flag(f, 0),
                    not_caseness.unwrap_or_default(),
                    flag(f, 2),
                    flag(f, 3),
                    flag(f, 4),
                    flag(f, 5),
                ]
            }
        }
    }

    /// The next piece of the CSV file (the header first), or None at the end.
    pub async fn next_chunk(&mut self, app: &App) -> Result<Option<String>, AppError> {
        if self.done {
            return Ok(None);
        }
        let mut out = String::new();
        if !self.header_sent {
            self.header_sent = true;
            let h: Vec<String> = self.kind.header().iter().map(|s| s.to_string()).collect();
            out.push_str(&line(&h));
        }
        let mut tx = app.store.read().await?;
        let rows = tx
            .report_extract_page(&self.scope, &self.after, PAGE)
            .await?;
        tx.rollback().await?;
        if let Some(last) = rows.last() {
            self.after = last.episode_id.clone();
        }
        if (rows.len() as i64) < PAGE {
            self.done = true;
        }
        for r in &rows {
            out.push_str(&line(&self.row(r)));
        }
        Ok(Some(out))
    }
}

impl crate::outcomes::Reports<'_> {
    /// Starts an extract of the actor's service for `period`: refused
    /// without the Reports permission, and when the service holds no
    /// extract key (NotFound). Audited once, as an export.
    pub async fn start_extract(
        &self,
        actor: &Actor,
        kind: ExtractKind,
        period: &Period,
        ctx: &RequestContext,
    ) -> Result<Extract, AppError> {
        let Actor::Staff(staff) = actor else {
            return Err(AppError::Forbidden);
        };
        if !staff.has(Permission::Reports) {
            return Err(AppError::Forbidden);
        }
        let app = self.app;
        // Without a key (`reports.extract_key`) there are no extracts: the
        // route answers as if it did not exist.
        let key = app.settings.extract_key.clone().ok_or(AppError::NotFound)?;
        let (from, to) = period.bounds();
        self.outcome_tally(staff.service_id, from, to).await?;
        let mut tx = app.store.begin().await?;
        let edition = tx
            .deprivation_editions()
            .await?
            .iter()
            .find_map(|e| Edition::parse(&e.edition).ok());
        let now = app.clock.now();
        let label = format!(
            "{}:{}:{}:{}:{}",
            kind.as_str(),
            staff.service_id,
            period.from,
            period.to,
            to_millis(now)
        );
        let event = AuditEvent::new(Action::ReportExported)
            .service(staff.service_id)
            .detail(format!("extract {label}"));
        app.audit(&mut tx, actor, ctx, event).await?;
        tx.commit().await?;
        Ok(Extract {
            kind,
            scope: ReportScope {
                service: staff.service_id,
                from,
                to,
                by: bothy_domain::reports::Breakdown::AgeBand,
                quintile: None,
                edition,
                age_on: period.age_on(),
                supporter: None,
            },
            label,
            key,
            after: String::new(),
            header_sent: false,
            done: false,
        })
    }
}
