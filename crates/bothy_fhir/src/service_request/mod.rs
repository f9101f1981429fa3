//! `ServiceRequest`: a referral sent by another system, read into a
//! referral's [`Details`], and a stored [`Referral`] written back out.
//!
//! Reading collects every problem rather than stopping at the first, each
//! with a FHIRPath expression naming the element at fault
//! (`ServiceRequest.contained[0].identifier[1].value`).
//!
//! ## What is read
//!
//! - `identifier[0].value` (required): the submission key, so that a request
//!   sent twice creates one referral; unique per sending client. The
//!   identifier (system and value) is kept as sent and given back.
//! - `status` must be `active` and `intent` `order` (or `original-order`).
//!   `priority` is kept; `urgent`, `asap` and `stat` flag the referral
//!   urgent for triage (after risk answers, before everything else), and
//!   the create response's OperationOutcome says what to do meanwhile.
//!   `doNotPerform: true` and any `modifierExtension` are refused: both
//!   change the meaning of the request in ways this server does not act on.
//! - `authoredOn` is kept as written; one more than [`AUTHORED_SKEW_MINUTES`]
//!   in the future is refused (a clock or a date gone wrong).
//! - `subject`: a contained Patient (`"#p1"`), or `Patient/{id}` of an
//!   existing patient of the client's service (the caller resolves that; see
//!   [`UNKNOWN_PATIENT`]). From a contained Patient: the `official` name (or
//!   the first), `birthDate` (a full date), `gender` (kept as sent),
//!   `telecom` email and phone/sms (the lowest `rank` sets the preferred
//!   channel; a landline is kept for staff to phone, and messages go only by
//!   the channels `bothy_domain::contact` allows), identifiers with the NHS
//!   number system [`NhsNumber::FHIR_SYSTEM`] or a CHI system
//!   ([`CHI_SYSTEMS`]), each checked (check digit, repeated digits, a CHI's
//!   date against `birthDate`), the first `address.postalCode`, the
//!   preferred (or first) `communication.language`, and the first
//!   `generalPractitioner` (a contained Organization's name, or a display).
//!   Identifiers of other systems (a hospital number, say) are not kept.
//! - `requester` (required): a contained Practitioner, PractitionerRole (with
//!   its practitioner and organization, contained or by display) or
//!   Organization, or a logical reference (`identifier` and `display`),
//!   giving the referrer's name, organisation, email (where the decision is
//!   announced) and identifiers: the organisation's ODS code, the
//!   practitioner's SDS user id or GMC number ([`bothy_domain::referral::as_sent`]).
//! - The reason (required): `reasonCode` (text, codes or both),
//!   `reasonReference` to contained Conditions (their `code` read the same
//!   way) and `note` texts, all kept as sent. Codes of SNOMED CT and ICD-10
//!   (WHO and UK editions) are checked for shape and mapped to the problem
//!   descriptors where a mapping exists (`as_sent::problems_for`); Bothy's
//!   picklist ([`problem_system`]) is read as before. A code of another
//!   system is kept only beside text or a code read here.
//! - `supportingInfo`: contained QuestionnaireResponses of the instruments the
//!   service screens with (PHQ-9 and GAD-7 unless it says otherwise),
//!   read exactly as `POST /fhir/QuestionnaireResponse` reads them
//!   ([`crate::response::parse_contained_answers`]); a risk answer makes
//!   the referral urgent when it is stored.
//! - Every contained resource must be referenced (FHIR rule dom-3), so that
//!   nothing sent is silently ignored.
//!
//! ## What is written
//!
//! [`service_request_as_sent`]: `status` `active` while the referral waits
//! for triage (including when more information was asked for), `completed`
//! once accepted, `revoked` when signposted elsewhere or declined; `intent`
//! `order`; the subject as `Patient/{id}` once the referral belongs to a
//! patient record, else a contained Patient; the requester (the person
//! themself for a self-referral; an Organization with its identifiers, a
//! Practitioner, or a PractitionerRole naming both); the screening answers
//! as contained QuestionnaireResponses. For a referral another system sent:
//! its identifier, `authoredOn`, `priority`, `reasonCode`, Conditions and
//! notes exactly as sent, and the patient's `gender`. For a referral made
//! here: `reasonCode` in Bothy's picklist, its words as a `note`, and
//! `authoredOn` when it was received.

use crate::questionnaire::canonical_url;
use crate::response::{answer_items, parse_contained_answers};
use crate::{Issue, instant};
use bothy_domain::PatientId;
use bothy_domain::identifiers::{Chi, NhsNumber, UkPostcode};
use bothy_domain::instruments::Catalogue;
use bothy_domain::person::{DateOfBirth, Email, PersonName, PhoneNumber};
use bothy_domain::referral::as_sent::{
    AsSent, Coding, Concept, ICD10, ICD10_UK, Identifier, ODS, Priority, REASON_SYSTEMS,
    SNOMED_PROBLEMS, is_icd10_code, is_snomed_concept_id, problems_for,
};
use bothy_domain::referral::{Channel, Details, Problem, Referral, Source, Status};
use bothy_domain::time::{Date, Timestamp};
use serde_json::{Map, Value, json};

#[cfg(test)]
mod as_sent_tests;
mod patient;
mod read;
mod reason;
mod requester;
#[cfg(test)]
mod tests;
mod write;

use read::{Reader, human_name, relative, str_of, unusable};
pub use write::{service_request, service_request_as_sent};

const SR: &str = "ServiceRequest";

/// The OID NHS Scotland's CHI number is registered under in the HL7 UK OID
/// root (2.16.840.1.113883.2.1.3.2), as used by UK implementation guides;
/// the system CHI numbers are written with.
pub const CHI_OID: &str = "urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53";

/// The URL form the UK Core Access guide names for CHI numbers.
pub const CHI_URL: &str = "https://fhir.nhs.uk/Id/chi-number";

/// The identifier systems read as CHI numbers.
pub const CHI_SYSTEMS: [&str; 2] = [CHI_OID, CHI_URL];

/// SNOMED CT.
pub const SNOMED: &str = bothy_domain::referral::as_sent::SNOMED;

/// How far in the future `authoredOn` may be (clocks differ a little).
pub const AUTHORED_SKEW_MINUTES: i64 = 5;

/// The longest submission key accepted (as `submit_referral` allows).
pub const MAX_IDENTIFIER_LEN: usize = 200;
/// The longest reason text kept, all texts together (as the forms allow).
pub const MAX_REASON_CHARS: usize = 4000;

/// What is said about a `Patient/{id}` subject that is missing, belongs to
/// another service or may not be referred by this client: the same words
/// for each, so that nobody learns whether a record exists.
pub const UNKNOWN_PATIENT: &str = "No patient this client may refer has this id. An existing \
     patient can be referred by reference by a client holding patient.read for the patient's \
     service; otherwise send the person's details as a contained Patient (subject \"#id\")";

/// Bothy's code system for the "what would you like help with" picklist.
pub fn problem_system(base: &str) -> String {
    format!("{base}/CodeSystem/referral-problem")
}

/// Who the referral is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A contained Patient, already read into the details.
    Contained,
    /// An existing patient: the caller checks the client may refer them and
    /// fills the person's details from the record.
    Patient(PatientId),
}

/// A ServiceRequest as read: whatever could be read, and every problem.
/// Usable only when `issues` is empty.
#[derive(Debug, Clone, Default)]
pub struct ServiceRequestReading {
    /// `identifier[0].value`: the submission key.
    pub identifier: Option<String>,
    pub subject: Option<Subject>,
    pub details: Details,
    /// What is kept exactly as sent and given back.
    pub as_sent: AsSent,
    pub issues: Vec<Issue>,
}

/// The issue for a subject reference the caller could not resolve.
pub fn unknown_patient_issue() -> Issue {
    Issue {
        expression: format!("{SR}.subject.reference"),
        message: UNKNOWN_PATIENT.to_string(),
    }
}

/// [`read_service_request_at`] at noon UK time on `today`.
pub fn read_service_request(
    v: &Value,
    base: &str,
    catalogue: &Catalogue,
    asked: &[&str],
    today: Date,
) -> ServiceRequestReading {
    let noon = today
        .at(12, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC))
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH);
    read_service_request_at(v, base, catalogue, asked, noon)
}

/// Reads a ServiceRequest sent for creation. `base` is the FHIR base URL
/// (`.../fhir`); `asked` the instruments the service screens with at
/// referral (answers to others are refused); `now` for `authoredOn`, and
/// its UK date for dates of birth and CHI numbers.
pub fn read_service_request_at(
    v: &Value,
    base: &str,
    catalogue: &Catalogue,
    asked: &[&str],
    now: Timestamp,
) -> ServiceRequestReading {
    let mut out = ServiceRequestReading::default();
    let mut r = Reader {
        base,
        today: bothy_domain::time::uk_date(now),
        now,
        issues: Vec::new(),
        contained: Vec::new(),
    };
    let Some(obj) = v.as_object() else {
        r.push(SR, "The body must be a JSON object: a FHIR ServiceRequest");
        out.issues = r.issues;
        return out;
    };
    match obj.get("resourceType").and_then(Value::as_str) {
        Some(SR) => {}
        Some(other) => {
            r.push(
                SR,
                format!("resourceType must be ServiceRequest, not {other:?}"),
            );
            out.issues = r.issues;
            return out;
        }
        None => {
            r.push(SR, "resourceType is missing: it must be ServiceRequest");
            out.issues = r.issues;
            return out;
        }
    }
    r.index_contained(obj);
    r.modifier_extension(obj, SR);
    out.identifier = r.identifier(obj, &mut out.as_sent);
    r.status_and_intent(obj, &mut out.as_sent);
    r.authored_on(obj, &mut out.as_sent);
    let (subject, subject_ref) = r.subject(obj, &mut out.details, &mut out.as_sent);
    out.subject = subject;
    r.requester(obj, &mut out.details, &mut out.as_sent);
    r.reason(obj, &mut out.details, &mut out.as_sent);
    r.supporting_info(
        obj,
        catalogue,
        asked,
        subject_ref.as_deref(),
        &mut out.details,
    );
    r.unreferenced();
    out.issues = r.issues;
    out
}
