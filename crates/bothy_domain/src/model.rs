//! The records Bothy keeps, in domain terms. The store maps rows to these.

use crate::ids::{ApiClientId, PatientId, ServiceId, StaffId};
use crate::person::{DateOfBirth, Email, PersonName, PhoneNumber};
use crate::role::{ApiPermission, Role};
use crate::time::Timestamp;

/// A service hosted by this deployment, e.g. "Lothian digital CBT".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub id: ServiceId,
    /// Short stable name used in commands and URLs, e.g. `lothian`.
    pub slug: ServiceSlug,
    pub name: String,
    pub created_at: Timestamp,
}

/// A service's short name: lower-case letters, digits and dashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceSlug(String);

impl ServiceSlug {
    pub fn parse(s: &str) -> Result<Self, crate::person::Invalid> {
        let ok = (2..=40).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(crate::person::Invalid(
                "Service short name must be 2 to 40 lower-case letters, numbers or dashes",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ServiceSlug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A member of staff. Credentials are optional until enrolment completes.
#[derive(Debug, Clone)]
pub struct StaffMember {
    pub id: StaffId,
    pub email: Email,
    pub name: PersonName,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub created_at: Timestamp,
    pub disabled_at: Option<Timestamp>,
}

/// One role a staff member holds in one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleGrant {
    pub service_id: ServiceId,
    pub role: Role,
}

/// A person receiving care from one service.
#[derive(Debug, Clone)]
pub struct Patient {
    pub id: PatientId,
    pub service_id: ServiceId,
    pub given_name: PersonName,
    pub family_name: PersonName,
    pub date_of_birth: DateOfBirth,
    pub email: Option<Email>,
    pub phone: Option<PhoneNumber>,
    /// The supporter or therapist whose caseload this person is on.
    pub supporter_id: Option<StaffId>,
    pub created_at: Timestamp,
    /// The supporters of their current programme enrolments (active or
    /// paused), who guide them and so may open their record. Read with the
    /// patient; never written through it.
    pub programme_supporters: Vec<StaffId>,
}

impl Patient {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

/// Another system calling the JSON and FHIR APIs.
#[derive(Debug, Clone)]
pub struct ApiClient {
    pub id: ApiClientId,
    pub service_id: ServiceId,
    pub name: String,
    pub permissions: Vec<ApiPermission>,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// Where a measure response came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseSource {
    /// The patient's own form on the web.
    Web,
    /// A FHIR QuestionnaireResponse from another system.
    Fhir,
    /// Answered item by item by text message.
    Sms,
}

impl ResponseSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseSource::Web => "web",
            ResponseSource::Fhir => "fhir",
            ResponseSource::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "web" => Some(ResponseSource::Web),
            "fhir" => Some(ResponseSource::Fhir),
            "sms" => Some(ResponseSource::Sms),
            _ => None,
        }
    }
}

/// A completed, scored measure.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureResponse {
    pub id: crate::ids::ResponseId,
    pub patient_id: PatientId,
    pub service_id: ServiceId,
    pub instrument_id: String,
    pub instrument_version: String,
    /// The option score chosen for each item, in order; None where unanswered.
    pub answers: Vec<Option<i32>>,
    /// The reported score (after reverse scoring, prorating and conversion).
    pub total: f64,
    pub raw_total: Option<i32>,
    pub band: Option<String>,
    pub at_caseness: Option<bool>,
    pub prorated: bool,
    /// Items whose answer signalled risk.
    pub risk_items: Vec<u16>,
    pub source: ResponseSource,
    pub idempotency_key: String,
    pub submitted_at: Timestamp,
    /// When the person completed it, as the sender said (a FHIR
    /// QuestionnaireResponse's `authored`); None when completed on receipt.
    /// Charts, outcomes and detectors go by `submitted_at`, when Bothy
    /// learnt of the answers, so a late upload never rewrites the past.
    pub authored_at: Option<Timestamp>,
    /// Who submitted it: "patient", "staff" or "api_client", and their id.
    pub submitted_by_kind: String,
    pub submitted_by_id: Option<String>,
}

impl MeasureResponse {
    /// When the person completed it: as the sender said, else on receipt.
    pub fn authored(&self) -> Timestamp {
        self.authored_at.unwrap_or(self.submitted_at)
    }
}

/// An alert: a detector's signal that a person must look at and close with
/// an outcome. One open alert per patient and `dedupe_key`; a repeated
/// signal updates it (`signal_count`, and a higher severity with an earlier
/// deadline) rather than adding another.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub id: crate::ids::AlertId,
    /// Whom it is about: a patient, a referral not yet accepted, or both (a
    /// referral's alert gains the patient when triage accepts it). Never neither.
    pub patient_id: Option<PatientId>,
    pub referral_id: Option<crate::ids::ReferralId>,
    pub service_id: ServiceId,
    pub cause: crate::detectors::Cause,
    pub dedupe_key: String,
    pub severity: crate::alerts::Severity,
    /// Plain words for the clinician; never the person's own free text.
    pub summary: String,
    /// What raised it: `measure_response`, `check_in`, `evaluation`, ... and its id.
    pub source_kind: String,
    pub source_id: String,
    /// The patient's practitioner when it was raised, if they had one.
    pub assigned_to: Option<crate::StaffId>,
    pub raised_at: Timestamp,
    pub deadline: Timestamp,
    pub signal_count: u32,
    pub last_signal_at: Timestamp,
    pub state: crate::alerts::AlertState,
    /// Who acknowledged it and when, kept after it is closed (the state of a
    /// closed alert records only the closing).
    pub acknowledged: Option<(crate::StaffId, Timestamp)>,
    pub escalated_at: Option<Timestamp>,
    /// What the person who closed it wrote about what was done (for "no
    /// action needed", the reason, which is required).
    pub close_note: Option<String>,
}

/// Whose a web session is (stored as `staff:ID` or `patient:ID`), so that
/// a new password or a disabled account can end the account's sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionAccount {
    Staff(StaffId),
    Patient(PatientId),
}

impl std::str::FromStr for SessionAccount {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.split_once(':') {
            Some(("staff", id)) => id.parse().map(SessionAccount::Staff).map_err(|_| ()),
            Some(("patient", id)) => id.parse().map(SessionAccount::Patient).map_err(|_| ()),
            _ => Err(()),
        }
    }
}

impl std::fmt::Display for SessionAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionAccount::Staff(id) => write!(f, "staff:{id}"),
            SessionAccount::Patient(id) => write!(f, "patient:{id}"),
        }
    }
}
