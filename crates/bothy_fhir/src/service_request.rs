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
//!   sent twice creates one referral. Its `system` is not part of the key.
//! - `status` must be `active` and `intent` `order` (or `original-order`).
//!   `priority` may be absent or `routine`: referrals wait for triage in the
//!   order of their risk answers and time waiting, and an urgent referral
//!   sent this way would wait like any other, so `urgent`, `asap` and `stat`
//!   are refused with an explanation rather than quietly queued.
//!   `doNotPerform: true` and any `modifierExtension` are refused: both
//!   change the meaning of the request in ways this server does not act on.
//! - `subject`: a contained Patient (`"#p1"`), or `Patient/{id}` of an
//!   existing patient of the client's service (the caller resolves that; see
//!   [`UNKNOWN_PATIENT`]). From a contained Patient: the `official` name (or
//!   the first), `birthDate` (a full date), `telecom` email and phone/sms
//!   (the lowest `rank` sets the preferred channel; a landline cannot carry
//!   our messages, so an email or a UK mobile is required), identifiers
//!   with the NHS number system [`NhsNumber::FHIR_SYSTEM`] or a CHI system
//!   ([`CHI_SYSTEMS`]), each checked (check digit, repeated digits, a CHI's
//!   date against `birthDate`), the first `address.postalCode`, the
//!   preferred (or first) `communication.language`, and the first
//!   `generalPractitioner` (a contained Organization's name, or a display).
//!   Identifiers of other systems (a hospital number, say) are not kept.
//! - `requester` (required): a contained Practitioner, PractitionerRole (with
//!   its practitioner and organization, contained or by display) or
//!   Organization, giving the referrer's name, organisation and email
//!   (where the decision is announced); or just a `display`.
//! - The reason (required): `reasonCode` text and codes, and `note` texts.
//!   Codes are accepted from two systems only: Bothy's picklist
//!   ([`problem_system`], the codes of [`Problem`]) and a small SNOMED CT
//!   table ([`SNOMED_REASONS`]) mapped onto that picklist. Any other code or
//!   system is refused, naming it, since a code we cannot read would
//!   otherwise be lost; the sender can always give the reason as text.
//! - `supportingInfo`: contained QuestionnaireResponses of PHQ-9 and GAD-7,
//!   read exactly as `POST /fhir/QuestionnaireResponse` reads them
//!   ([`crate::response::parse_contained_answers`]); a risk answer makes
//!   the referral urgent when it is stored.
//! - Every contained resource must be referenced (FHIR rule dom-3), so that
//!   nothing sent is silently ignored.
//!
//! ## What is written
//!
//! [`service_request`]: `status` `active` while the referral waits for
//! triage (including when more information was asked for), `completed` once
//! accepted, `revoked` when signposted elsewhere or declined; `intent`
//! `order`; the subject as `Patient/{id}` once the referral belongs to a
//! patient record, else a contained Patient; the requester (the person
//! themself for a self-referral); `reasonCode` in Bothy's picklist and the
//! referral's own words as a `note`; the screening answers as contained
//! QuestionnaireResponses; `authoredOn` when the referral was received.
//! What the sender gave that is not kept is not written back: the
//! identifier, the original codes (a SNOMED CT reason comes back as its
//! picklist code, with the display kept in the note), and other identifiers.

use crate::questionnaire::canonical_url;
use crate::response::{answer_items, parse_contained_answers};
use crate::{Issue, instant};
use bothy_domain::PatientId;
use bothy_domain::identifiers::{Chi, NhsNumber, UkPostcode};
use bothy_domain::instruments::Catalogue;
use bothy_domain::person::{DateOfBirth, Email, PersonName, PhoneNumber};
use bothy_domain::referral::{Channel, Details, Problem, Referral, Source, Status};
use bothy_domain::time::Date;
use serde_json::{Map, Value, json};

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
pub const SNOMED: &str = "http://snomed.info/sct";

/// The SNOMED CT reasons this service reads, and the picklist entry each
/// becomes. Deliberately short: only concepts whose meaning maps onto one
/// picklist entry without guessing. Anything else is refused by name.
pub const SNOMED_REASONS: [(&str, &str, Problem); 6] = [
    ("35489007", "Depressive disorder", Problem::LowMood),
    ("21897009", "Generalized anxiety disorder", Problem::Worry),
    ("371631005", "Panic disorder", Problem::Panic),
    ("47505003", "Posttraumatic stress disorder", Problem::Trauma),
    (
        "191736004",
        "Obsessive-compulsive disorder",
        Problem::Obsessions,
    ),
    ("193462001", "Insomnia", Problem::Sleep),
];

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
    pub issues: Vec<Issue>,
}

/// The issue for a subject reference the caller could not resolve.
pub fn unknown_patient_issue() -> Issue {
    Issue {
        expression: format!("{SR}.subject.reference"),
        message: UNKNOWN_PATIENT.to_string(),
    }
}

/// Reads a ServiceRequest sent for creation. `base` is the FHIR base URL
/// (`.../fhir`); `today` the UK date, for dates of birth and CHI numbers.
pub fn read_service_request(
    v: &Value,
    base: &str,
    catalogue: &Catalogue,
    today: Date,
) -> ServiceRequestReading {
    let mut out = ServiceRequestReading::default();
    let mut r = Reader {
        base,
        today,
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
    out.identifier = r.identifier(obj);
    r.status_and_intent(obj);
    let (subject, subject_ref) = r.subject(obj, &mut out.details);
    out.subject = subject;
    r.requester(obj, &mut out.details);
    r.reason(obj, &mut out.details);
    r.supporting_info(obj, catalogue, subject_ref.as_deref(), &mut out.details);
    r.unreferenced();
    out.issues = r.issues;
    out
}

struct Contained<'a> {
    value: &'a Value,
    obj: &'a Map<String, Value>,
    resource_type: &'a str,
    id: &'a str,
    path: String,
    used: bool,
}

struct Reader<'a> {
    base: &'a str,
    today: Date,
    issues: Vec<Issue>,
    contained: Vec<Contained<'a>>,
}

fn has_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
}

fn str_of<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
    obj.get(key).and_then(Value::as_str)
}

/// A HumanName as one string: its text, or prefixes, given names and family.
fn human_name(n: &Map<String, Value>) -> Option<String> {
    if let Some(t) = str_of(n, "text").filter(|t| !t.trim().is_empty()) {
        return Some(t.trim().to_string());
    }
    let list = |key: &str| -> Vec<String> {
        n.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut parts = list("prefix");
    parts.extend(list("given"));
    parts.extend(str_of(n, "family").map(str::to_string));
    let joined = parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!joined.is_empty()).then_some(joined)
}

/// A reference relative to this server: `{base}/Patient/1` becomes `Patient/1`.
fn relative<'r>(reference: &'r str, base: &str) -> &'r str {
    reference
        .strip_prefix(base)
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(reference)
}

impl<'a> Reader<'a> {
    fn push(&mut self, expression: impl Into<String>, message: impl Into<String>) {
        self.issues.push(Issue {
            expression: expression.into(),
            message: message.into(),
        });
    }

    /// The array at `key`, or nothing (with an issue if it is not an array).
    fn array(&mut self, obj: &'a Map<String, Value>, key: &str, path: &str) -> &'a [Value] {
        match obj.get(key) {
            None => &[],
            Some(Value::Array(a)) => a,
            Some(_) => {
                self.push(format!("{path}.{key}"), format!("{key} must be an array"));
                &[]
            }
        }
    }

    /// The object at `path`, or an issue.
    fn object(&mut self, v: &'a Value, path: &str, what: &str) -> Option<&'a Map<String, Value>> {
        let o = v.as_object();
        if o.is_none() {
            self.push(path, format!("{what} must be a JSON object"));
        }
        o
    }

    /// Optional free text, trimmed and bounded.
    fn text(&mut self, path: &str, s: &str, max: usize, what: &str) -> Option<String> {
        let t = s.trim();
        if t.is_empty() {
            return None;
        }
        if t.chars().count() > max {
            self.push(path, format!("{what} must be {max} characters or fewer"));
            return None;
        }
        if has_control(t) {
            self.push(path, format!("{what} must not contain control characters"));
            return None;
        }
        Some(t.to_string())
    }

    fn modifier_extension(&mut self, obj: &Map<String, Value>, path: &str) {
        if obj.contains_key("modifierExtension") {
            self.push(
                format!("{path}.modifierExtension"),
                "This server does not understand modifier extensions, and a modifier extension \
                 that is not understood changes the meaning of a resource: the request cannot be \
                 taken with it",
            );
        }
    }

    fn index_contained(&mut self, obj: &'a Map<String, Value>) {
        for (i, c) in self.array(obj, "contained", SR).iter().enumerate() {
            let path = format!("{SR}.contained[{i}]");
            let Some(m) = self.object(c, &path, "Each contained resource") else {
                continue;
            };
            let Some(resource_type) = str_of(m, "resourceType") else {
                self.push(format!("{path}.resourceType"), "resourceType is missing");
                continue;
            };
            let Some(id) = str_of(m, "id").filter(|id| !id.is_empty()) else {
                self.push(
                    format!("{path}.id"),
                    "id is missing: a contained resource needs an id for a reference (\"#id\") to \
                     point at",
                );
                continue;
            };
            if let Some(first) = self.contained.iter().find(|x| x.id == id) {
                let message = format!("id {id:?} is used twice: also by {}", first.path);
                self.push(format!("{path}.id"), message);
                continue;
            }
            self.contained.push(Contained {
                value: c,
                obj: m,
                resource_type,
                id,
                path,
                used: false,
            });
        }
    }

    /// The contained resource a local reference ("#id") names, if it is one
    /// of `types`: its path and content. Marks it used.
    fn resolve(
        &mut self,
        reference: &str,
        path: &str,
        types: &[&str],
    ) -> Option<(String, &'a Value, &'a Map<String, Value>)> {
        let id = reference.strip_prefix('#').unwrap_or(reference);
        let Some(c) = self.contained.iter_mut().find(|c| c.id == id) else {
            self.push(
                path,
                format!(
                    "{reference} names no contained resource: contained resources here have ids {}",
                    {
                        let ids: Vec<String> = self
                            .contained
                            .iter()
                            .map(|c| format!("{:?}", c.id))
                            .collect();
                        if ids.is_empty() {
                            "(none)".to_string()
                        } else {
                            ids.join(", ")
                        }
                    }
                ),
            );
            return None;
        };
        c.used = true;
        let (found, value, obj, at) = (c.resource_type, c.value, c.obj, c.path.clone());
        if !types.contains(&found) {
            self.push(
                path,
                format!(
                    "{reference} is a {found}, but must be a {}",
                    types.join(" or ")
                ),
            );
            return None;
        }
        self.modifier_extension(obj, &at);
        Some((at, value, obj))
    }

    fn identifier(&mut self, obj: &Map<String, Value>) -> Option<String> {
        let path = format!("{SR}.identifier");
        let missing = "identifier is missing: give the referral a unique identifier \
                       (identifier[0].value), so that sending it twice creates one referral";
        match obj.get("identifier") {
            None => {
                self.push(path, missing);
                None
            }
            Some(Value::Array(a)) if a.is_empty() => {
                self.push(path, missing);
                None
            }
            Some(Value::Array(a)) => {
                let value_path = format!("{path}[0].value");
                match a[0].get("value") {
                    Some(Value::String(s)) if s.trim().is_empty() => {
                        self.push(value_path, "identifier[0].value must not be blank");
                        None
                    }
                    Some(Value::String(s)) if s.trim().chars().count() > MAX_IDENTIFIER_LEN => {
                        self.push(
                            value_path,
                            format!(
                                "identifier[0].value must be at most {MAX_IDENTIFIER_LEN} characters"
                            ),
                        );
                        None
                    }
                    Some(Value::String(s)) => Some(s.trim().to_string()),
                    Some(_) => {
                        self.push(value_path, "identifier[0].value must be a string");
                        None
                    }
                    None => {
                        self.push(value_path, missing);
                        None
                    }
                }
            }
            Some(_) => {
                self.push(
                    path,
                    "identifier must be an array of Identifiers in a ServiceRequest",
                );
                None
            }
        }
    }

    fn status_and_intent(&mut self, obj: &Map<String, Value>) {
        match obj.get("status") {
            Some(Value::String(s)) if s == "active" => {}
            Some(Value::String(s)) => self.push(
                format!("{SR}.status"),
                format!(
                    "status must be \"active\": a referral is sent for this service to act on, \
                     and one that is {s:?} cannot be"
                ),
            ),
            Some(_) => self.push(format!("{SR}.status"), "status must be a string"),
            None => self.push(
                format!("{SR}.status"),
                "status is missing: it must be \"active\"",
            ),
        }
        match obj.get("intent") {
            Some(Value::String(s)) if s == "order" || s == "original-order" => {}
            Some(Value::String(s)) => self.push(
                format!("{SR}.intent"),
                format!(
                    "intent must be \"order\": a referral asks this service to act, which a \
                     request with intent {s:?} does not"
                ),
            ),
            Some(_) => self.push(format!("{SR}.intent"), "intent must be a string"),
            None => self.push(
                format!("{SR}.intent"),
                "intent is missing: it must be \"order\"",
            ),
        }
        match obj.get("priority") {
            None => {}
            Some(Value::String(s)) if s == "routine" => {}
            Some(Value::String(s)) if ["urgent", "asap", "stat"].contains(&s.as_str()) => self.push(
                format!("{SR}.priority"),
                format!(
                    "This service cannot act on a referral marked {s:?} sent this way: referrals \
                     wait for triage in the order of their risk answers and time waiting, so it \
                     would wait like any other. If the person needs help urgently, contact the \
                     service or a crisis team directly; otherwise send priority \"routine\""
                ),
            ),
            Some(Value::String(s)) => self.push(
                format!("{SR}.priority"),
                format!("priority {s:?} is not a FHIR request priority; send \"routine\""),
            ),
            Some(_) => self.push(format!("{SR}.priority"), "priority must be a string"),
        }
        match obj.get("doNotPerform") {
            None | Some(Value::Bool(false)) => {}
            Some(Value::Bool(true)) => self.push(
                format!("{SR}.doNotPerform"),
                "doNotPerform is true, which asks for the service not to be given: a referral \
                 cannot say that",
            ),
            Some(_) => self.push(
                format!("{SR}.doNotPerform"),
                "doNotPerform must be true or false",
            ),
        }
    }

    /// The subject, and its reference as given (for checking the answers
    /// are about the same person).
    fn subject(
        &mut self,
        obj: &'a Map<String, Value>,
        d: &mut Details,
    ) -> (Option<Subject>, Option<String>) {
        let path = format!("{SR}.subject");
        let reference = match obj.get("subject") {
            None => {
                self.push(
                    path,
                    "subject is missing: give the person referred, as a contained Patient \
                     (\"#id\") or Patient/{id} of a patient of this service",
                );
                return (None, None);
            }
            Some(Value::Object(s)) => match s.get("reference") {
                Some(Value::String(r)) => r.as_str(),
                _ => {
                    self.push(
                        format!("{path}.reference"),
                        "subject.reference is missing: it must name a contained Patient (\"#id\") \
                         or be Patient/{id}",
                    );
                    return (None, None);
                }
            },
            Some(_) => {
                self.push(path, "subject must be a Reference object");
                return (None, None);
            }
        };
        let ref_path = format!("{path}.reference");
        if reference.starts_with('#') {
            let Some((at, _, patient)) = self.resolve(reference, &ref_path, &["Patient"]) else {
                return (None, Some(reference.to_string()));
            };
            self.patient(&at, patient, d);
            return (Some(Subject::Contained), Some(reference.to_string()));
        }
        let rel = relative(reference, self.base);
        match rel.split_once('/') {
            Some(("Patient", id)) => match id.parse::<PatientId>() {
                Ok(id) => (Some(Subject::Patient(id)), Some(rel.to_string())),
                // An id that cannot exist names nobody: said as for any unknown patient.
                Err(_) => {
                    self.issues.push(unknown_patient_issue());
                    (None, Some(rel.to_string()))
                }
            },
            _ => {
                self.push(
                    ref_path,
                    "subject must be a Patient: a contained Patient (\"#id\") or Patient/{id}",
                );
                (None, None)
            }
        }
    }

    /// A contained Patient at `p`, read into the details.
    fn patient(&mut self, p: &str, obj: &'a Map<String, Value>, d: &mut Details) {
        self.patient_name(p, obj, d);
        let dob = match obj.get("birthDate") {
            Some(Value::String(s)) => match DateOfBirth::parse(s, self.today) {
                Ok(dob) => Some(dob.date()),
                Err(e) => {
                    self.push(format!("{p}.birthDate"), e.0);
                    None
                }
            },
            Some(_) => {
                self.push(format!("{p}.birthDate"), "birthDate must be a date string");
                None
            }
            None => {
                self.push(
                    format!("{p}.birthDate"),
                    "birthDate is missing: the date of birth is needed to find the person's \
                     records and check their identifiers",
                );
                None
            }
        };
        d.date_of_birth = dob;
        self.patient_telecom(p, obj, d);
        self.patient_identifiers(p, obj, dob, d);

        let addresses = self.array(obj, "address", p);
        if let Some((k, code)) = addresses.iter().enumerate().find_map(|(k, a)| {
            let old = a.get("use").and_then(Value::as_str) == Some("old");
            let code = a.get("postalCode")?;
            (!old).then_some((k, code))
        }) {
            let at = format!("{p}.address[{k}].postalCode");
            match code.as_str().map(UkPostcode::parse) {
                Some(Ok(pc)) => d.postcode = Some(pc.to_string()),
                Some(Err(e)) => self.push(at, e.0),
                None => self.push(at, "postalCode must be a string"),
            }
        }

        let comms = self.array(obj, "communication", p);
        let chosen = comms
            .iter()
            .position(|c| c.get("preferred").and_then(Value::as_bool) == Some(true))
            .or((!comms.is_empty()).then_some(0));
        if let Some(k) = chosen {
            let lang = &comms[k]["language"];
            let coding = &lang["coding"][0];
            let said = lang["text"]
                .as_str()
                .or_else(|| coding["display"].as_str())
                .or_else(|| coding["code"].as_str());
            match said {
                Some(s) => {
                    let at = format!("{p}.communication[{k}].language");
                    d.language = self.text(&at, s, 60, "The language");
                }
                None => self.push(
                    format!("{p}.communication[{k}].language"),
                    "language needs a text or a coding",
                ),
            }
        }

        let gps = self.array(obj, "generalPractitioner", p);
        if let Some(gp) = gps.first() {
            let at = format!("{p}.generalPractitioner[0]");
            if let Some(g) = self.object(gp, &at, "generalPractitioner") {
                let mut name = None;
                if let Some(r) = str_of(g, "reference").filter(|r| r.starts_with('#')) {
                    if let Some((org_at, _, org)) =
                        self.resolve(r, &format!("{at}.reference"), &["Organization"])
                    {
                        name = str_of(org, "name").map(|n| (format!("{org_at}.name"), n));
                        if name.is_none() {
                            self.push(format!("{org_at}.name"), "The GP practice needs a name");
                        }
                    }
                } else if let Some(display) = str_of(g, "display") {
                    name = Some((format!("{at}.display"), display));
                }
                if let Some((at, n)) = name {
                    d.gp_practice = self.text(&at, n, 200, "The GP practice");
                }
            }
        }
    }

    fn patient_name(&mut self, p: &str, obj: &'a Map<String, Value>, d: &mut Details) {
        let names = self.array(obj, "name", p);
        if names.is_empty() {
            // (A name that is not an array was reported by `array`.)
            if obj.get("name").is_none_or(Value::is_array) {
                self.push(
                    format!("{p}.name"),
                    "name is missing: give the person's family name and given name",
                );
            }
            return;
        }
        let use_of = |n: &Value| n.get("use").and_then(Value::as_str).map(str::to_string);
        let k = names
            .iter()
            .position(|n| use_of(n).as_deref() == Some("official"))
            .or_else(|| {
                names
                    .iter()
                    .position(|n| !matches!(use_of(n).as_deref(), Some("old" | "maiden")))
            })
            .unwrap_or(0);
        let at = format!("{p}.name[{k}]");
        let Some(n) = self.object(&names[k], &at, "Each name") else {
            return;
        };
        match n.get("family") {
            Some(Value::String(f)) => match PersonName::parse(f) {
                Ok(f) => d.family_name = Some(f.to_string()),
                Err(e) => self.push(format!("{at}.family"), format!("Family name: {}", e.0)),
            },
            Some(_) => self.push(format!("{at}.family"), "family must be a string"),
            None => self.push(
                format!("{at}.family"),
                "family is missing: give the person's family name",
            ),
        }
        match n.get("given") {
            Some(Value::Array(g)) if !g.is_empty() => {
                if g.iter().all(Value::is_string) {
                    let joined = g
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" ");
                    match PersonName::parse(&joined) {
                        Ok(g) => d.given_name = Some(g.to_string()),
                        Err(e) => self.push(format!("{at}.given"), format!("Given name: {}", e.0)),
                    }
                } else {
                    self.push(format!("{at}.given"), "given must be an array of strings");
                }
            }
            Some(Value::Array(_)) | None => self.push(
                format!("{at}.given"),
                "given is missing: give the person's given name",
            ),
            Some(_) => self.push(format!("{at}.given"), "given must be an array of strings"),
        }
    }

    fn patient_telecom(&mut self, p: &str, obj: &'a Map<String, Value>, d: &mut Details) {
        let before = self.issues.len();
        let mut email: Option<(Email, i64)> = None;
        let mut phone: Option<(PhoneNumber, i64)> = None;
        for (k, t) in self.array(obj, "telecom", p).iter().enumerate() {
            let at = format!("{p}.telecom[{k}]");
            let Some(t) = self.object(t, &at, "Each telecom") else {
                continue;
            };
            if str_of(t, "use") == Some("old") {
                continue;
            }
            let rank = t.get("rank").and_then(Value::as_i64).unwrap_or(i64::MAX);
            let system = str_of(t, "system");
            if !matches!(system, Some("email" | "phone" | "sms")) {
                // Fax, pager, url, other: not ways we contact people.
                continue;
            }
            let Some(value) = str_of(t, "value") else {
                self.push(format!("{at}.value"), "value is missing");
                continue;
            };
            if system == Some("email") {
                match Email::parse(value) {
                    Ok(e) if email.as_ref().is_none_or(|(_, r)| rank < *r) => {
                        email = Some((e, rank))
                    }
                    Ok(_) => {}
                    Err(e) => self.push(format!("{at}.value"), format!("Email: {}", e.0)),
                }
            } else {
                match PhoneNumber::parse(value) {
                    Ok(n) if phone.as_ref().is_none_or(|(_, r)| rank < *r) => {
                        phone = Some((n, rank))
                    }
                    Ok(_) => {}
                    Err(e) => self.push(format!("{at}.value"), format!("Phone: {}", e.0)),
                }
            }
        }
        let mobile = phone.as_ref().filter(|(n, _)| n.is_uk_mobile());
        d.preferred_channel = match (&email, mobile) {
            (Some((_, er)), Some((_, pr))) if pr < er => Some(Channel::Sms),
            (Some(_), _) => Some(Channel::Email),
            (None, Some(_)) => Some(Channel::Sms),
            (None, None) => None,
        };
        if d.preferred_channel.is_none() && self.issues.len() == before {
            let message = if phone.is_some() {
                "We tell people about their referral by email or text message, and text messages \
                 need a UK mobile number (07...): give a mobile number (telecom system sms or \
                 phone) or an email address"
            } else {
                "Give the person's email address or mobile number (telecom with system email, or \
                 sms or phone): we tell people about their referral by email or text message"
            };
            self.push(format!("{p}.telecom"), message);
        }
        d.email = email.map(|(e, _)| e.to_string());
        d.phone = phone.map(|(n, _)| n.to_string());
    }

    fn patient_identifiers(
        &mut self,
        p: &str,
        obj: &'a Map<String, Value>,
        dob: Option<Date>,
        d: &mut Details,
    ) {
        let mut nhs: Option<NhsNumber> = None;
        let mut chi: Option<(Chi, String)> = None;
        for (k, id) in self.array(obj, "identifier", p).iter().enumerate() {
            let at = format!("{p}.identifier[{k}]");
            let Some(id) = self.object(id, &at, "Each identifier") else {
                continue;
            };
            let system = str_of(id, "system").unwrap_or_default();
            let is_nhs = system == NhsNumber::FHIR_SYSTEM;
            let is_chi = CHI_SYSTEMS.contains(&system);
            if !(is_nhs || is_chi) {
                continue;
            }
            let value_at = format!("{at}.value");
            let Some(value) = str_of(id, "value") else {
                self.push(value_at, "value is missing");
                continue;
            };
            if is_nhs {
                match NhsNumber::parse(value) {
                    Ok(n) if nhs.as_ref().is_some_and(|prev| *prev != n) => self.push(
                        value_at,
                        "The Patient has two different NHS numbers: give only the person's own",
                    ),
                    Ok(n) => nhs = Some(n),
                    Err(e) => self.push(value_at, e.0),
                }
            } else {
                match Chi::parse(value, self.today) {
                    Ok(c) if chi.as_ref().is_some_and(|(prev, _)| *prev != c) => self.push(
                        value_at,
                        "The Patient has two different CHI numbers: give only the person's own",
                    ),
                    Ok(c) => chi = Some((c, value_at)),
                    Err(e) => self.push(value_at, e.0),
                }
            }
        }
        if let (Some((c, at)), Some(dob)) = (&chi, dob)
            && !c.matches_date_of_birth(dob)
        {
            self.push(
                at.clone(),
                "The first 6 numbers of a CHI number are the date of birth (DDMMYY), and these do \
                 not match birthDate: check both",
            );
        }
        d.nhs_number = nhs.map(|n| n.as_str().to_string());
        d.chi = chi.map(|(c, _)| c.as_str().to_string());
    }

    fn requester(&mut self, obj: &'a Map<String, Value>, d: &mut Details) {
        let path = format!("{SR}.requester");
        let before = self.issues.len();
        let r = match obj.get("requester") {
            None => {
                self.push(
                    path,
                    "requester is missing: say who is making the referral, as a contained \
                     Practitioner, PractitionerRole or Organization with a name (and an email, \
                     to be told of the decision)",
                );
                return;
            }
            Some(v) => match self.object(v, &path, "requester") {
                Some(r) => r,
                None => return,
            },
        };
        match str_of(r, "reference") {
            Some(reference) if reference.starts_with('#') => {
                let types = ["Practitioner", "PractitionerRole", "Organization"];
                if let Some((at, _, res)) =
                    self.resolve(reference, &format!("{path}.reference"), &types)
                {
                    match str_of(res, "resourceType") {
                        Some("Practitioner") => self.practitioner(&at, res, d),
                        Some("PractitionerRole") => self.practitioner_role(&at, res, d),
                        _ => self.organization(&at, res, d),
                    }
                }
            }
            Some(reference) => match str_of(r, "display") {
                Some(display) => {
                    d.referrer_name = self.text(
                        &format!("{path}.display"),
                        display,
                        200,
                        "The referrer's name",
                    )
                }
                None => self.push(
                    format!("{path}.reference"),
                    format!(
                        "{reference} cannot be fetched from here: give the referrer as a contained \
                         resource (\"#id\") with their name and email, or at least a display"
                    ),
                ),
            },
            None => {
                if let Some(display) = str_of(r, "display") {
                    d.referrer_name = self.text(
                        &format!("{path}.display"),
                        display,
                        200,
                        "The referrer's name",
                    );
                }
            }
        }
        if d.referrer_name.is_none()
            && d.referrer_organisation.is_none()
            && self.issues.len() == before
        {
            self.push(
                path,
                "The referrer has no name: give the practitioner's or the organisation's name",
            );
        }
    }

    /// The first usable email of a resource's telecom.
    fn contact_email(&mut self, at: &str, obj: &'a Map<String, Value>) -> Option<String> {
        for (k, t) in self.array(obj, "telecom", at).iter().enumerate() {
            if t.get("system").and_then(Value::as_str) != Some("email") {
                continue;
            }
            let value_at = format!("{at}.telecom[{k}].value");
            match t.get("value").and_then(Value::as_str).map(Email::parse) {
                Some(Ok(e)) => return Some(e.to_string()),
                Some(Err(e)) => self.push(value_at, format!("Email: {}", e.0)),
                None => self.push(value_at, "value is missing"),
            }
        }
        None
    }

    fn practitioner(&mut self, at: &str, obj: &'a Map<String, Value>, d: &mut Details) {
        let names = self.array(obj, "name", at);
        match names
            .first()
            .and_then(Value::as_object)
            .and_then(human_name)
        {
            Some(n) => {
                d.referrer_name =
                    self.text(&format!("{at}.name[0]"), &n, 200, "The referrer's name")
            }
            None => self.push(
                format!("{at}.name"),
                "The practitioner needs a name (name.text, or given and family)",
            ),
        }
        if let Some(e) = self.contact_email(at, obj) {
            d.referrer_email.get_or_insert(e);
        }
    }

    fn organization(&mut self, at: &str, obj: &'a Map<String, Value>, d: &mut Details) {
        match str_of(obj, "name") {
            Some(n) => {
                d.referrer_organisation =
                    self.text(&format!("{at}.name"), n, 200, "The organisation's name")
            }
            None => self.push(format!("{at}.name"), "The organisation needs a name"),
        }
        if let Some(e) = self.contact_email(at, obj) {
            d.referrer_email.get_or_insert(e);
        }
    }

    fn practitioner_role(&mut self, at: &str, obj: &'a Map<String, Value>, d: &mut Details) {
        // The role's own email (the one for this job) comes first.
        if let Some(e) = self.contact_email(at, obj) {
            d.referrer_email = Some(e);
        }
        for (key, ty) in [
            ("practitioner", "Practitioner"),
            ("organization", "Organization"),
        ] {
            let Some(r) = obj.get(key) else {
                continue;
            };
            let r_at = format!("{at}.{key}");
            let Some(r) = self.object(r, &r_at, key) else {
                continue;
            };
            match str_of(r, "reference").filter(|x| x.starts_with('#')) {
                Some(reference) => {
                    if let Some((c_at, _, c)) =
                        self.resolve(reference, &format!("{r_at}.reference"), &[ty])
                    {
                        if ty == "Practitioner" {
                            self.practitioner(&c_at, c, d);
                        } else {
                            self.organization(&c_at, c, d);
                        }
                    }
                }
                None => {
                    if let Some(display) = str_of(r, "display") {
                        let what = if ty == "Practitioner" {
                            "The referrer's name"
                        } else {
                            "The organisation's name"
                        };
                        let v = self.text(&format!("{r_at}.display"), display, 200, what);
                        if ty == "Practitioner" {
                            d.referrer_name = v;
                        } else {
                            d.referrer_organisation = v;
                        }
                    }
                }
            }
        }
    }

    fn reason(&mut self, obj: &'a Map<String, Value>, d: &mut Details) {
        let before = self.issues.len();
        let system = problem_system(self.base);
        let picklist = Problem::ALL.map(Problem::as_str).join(", ");
        let snomed_list = SNOMED_REASONS
            .iter()
            .map(|(code, display, _)| format!("{code} ({display})"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut texts: Vec<(String, String)> = Vec::new();
        let mut problems: Vec<Problem> = Vec::new();
        for (k, rc) in self.array(obj, "reasonCode", SR).iter().enumerate() {
            let at = format!("{SR}.reasonCode[{k}]");
            let Some(rc) = self.object(rc, &at, "Each reasonCode") else {
                continue;
            };
            let text = str_of(rc, "text").filter(|t| !t.trim().is_empty());
            if let Some(t) = text {
                texts.push((format!("{at}.text"), t.to_string()));
            }
            for (j, c) in self.array(rc, "coding", &at).iter().enumerate() {
                let c_at = format!("{at}.coding[{j}]");
                let Some(c) = self.object(c, &c_at, "Each coding") else {
                    continue;
                };
                let (sys, code) = (str_of(c, "system"), str_of(c, "code"));
                let Some(code) = code else {
                    self.push(format!("{c_at}.code"), "code is missing");
                    continue;
                };
                let found = match sys {
                    Some(s) if s == system => {
                        match Problem::parse(code) {
                            Some(p) => Some(p),
                            None => {
                                self.push(
                                format!("{c_at}.code"),
                                format!("{code:?} is not a code of {system}; its codes are {picklist}"),
                            );
                                None
                            }
                        }
                    }
                    Some(SNOMED) => match SNOMED_REASONS.iter().find(|(c, _, _)| *c == code) {
                        Some((_, display, p)) => {
                            if text.is_none() {
                                let said = str_of(c, "display").unwrap_or(display);
                                texts.push((format!("{c_at}.display"), said.to_string()));
                            }
                            Some(*p)
                        }
                        None => {
                            self.push(
                                format!("{c_at}.code"),
                                format!(
                                    "SNOMED CT {code} is not a reason this service codes: give the \
                                     reason in words (reasonCode.text or a note) instead, or use \
                                     one of {snomed_list}"
                                ),
                            );
                            None
                        }
                    },
                    Some(s) => {
                        self.push(
                            format!("{c_at}.system"),
                            format!(
                                "The code system {s} is not known here: code the reason with SNOMED \
                                 CT ({SNOMED}) or {system} (codes {picklist}), or give it in words"
                            ),
                        );
                        None
                    }
                    None => {
                        self.push(
                            format!("{c_at}.system"),
                            format!("system is missing: the code {code:?} means nothing without its code system"),
                        );
                        None
                    }
                };
                if let Some(p) = found
                    && !problems.contains(&p)
                {
                    problems.push(p);
                }
            }
        }
        if obj.contains_key("reasonReference") {
            self.push(
                format!("{SR}.reasonReference"),
                "reasonReference is not read here: give the reason as reasonCode (in words or \
                 coded) or a note",
            );
        }
        for (k, n) in self.array(obj, "note", SR).iter().enumerate() {
            if let Some(t) = n
                .get("text")
                .and_then(Value::as_str)
                .filter(|t| !t.trim().is_empty())
            {
                texts.push((format!("{SR}.note[{k}].text"), t.to_string()));
            }
        }
        let mut kept = Vec::new();
        let mut total = 0;
        for (at, t) in &texts {
            let t = t.trim();
            if has_control(t) {
                self.push(at.clone(), "The reason must not contain control characters");
                continue;
            }
            total += t.chars().count() + if kept.is_empty() { 0 } else { 2 };
            if total > MAX_REASON_CHARS {
                self.push(
                    at.clone(),
                    format!(
                        "The reason for referral, all texts together, must be {MAX_REASON_CHARS} \
                         characters or fewer"
                    ),
                );
                break;
            }
            kept.push(t.to_string());
        }
        if kept.is_empty() && problems.is_empty() && self.issues.len() == before {
            self.push(
                format!("{SR}.reasonCode"),
                "The reason for referral is missing: say what the person would like help with, \
                 in reasonCode (in words, or coded) or a note",
            );
        }
        d.problem_text = (!kept.is_empty()).then(|| kept.join("\n\n"));
        d.problems = problems;
    }

    fn supporting_info(
        &mut self,
        obj: &'a Map<String, Value>,
        catalogue: &Catalogue,
        subject: Option<&str>,
        d: &mut Details,
    ) {
        for (k, s) in self.array(obj, "supportingInfo", SR).iter().enumerate() {
            let at = format!("{SR}.supportingInfo[{k}]");
            let Some(s) = self.object(s, &at, "Each supportingInfo") else {
                continue;
            };
            let Some(reference) = str_of(s, "reference").filter(|r| r.starts_with('#')) else {
                self.push(
                    format!("{at}.reference"),
                    "Supporting information is read only from contained QuestionnaireResponses \
                     (\"#id\"): PHQ-9 and GAD-7 answers",
                );
                continue;
            };
            let Some((qr_at, qr, qr_obj)) = self.resolve(
                reference,
                &format!("{at}.reference"),
                &["QuestionnaireResponse"],
            ) else {
                continue;
            };
            if let (Some(want), Some(got)) = (
                subject,
                qr_obj
                    .get("subject")
                    .and_then(|s| s.get("reference"))
                    .and_then(Value::as_str),
            ) && relative(got, self.base) != want
            {
                self.push(
                    format!("{qr_at}.subject.reference"),
                    format!(
                        "The answers must be about the person referred: subject must be {want}"
                    ),
                );
            }
            match parse_contained_answers(qr, self.base, catalogue) {
                Ok((inst, answers)) => {
                    let slot = match inst.id.as_str() {
                        "phq9" => &mut d.phq9,
                        "gad7" => &mut d.gad7,
                        _ => {
                            self.push(
                                format!("{qr_at}.questionnaire"),
                                format!(
                                    "Only PHQ-9 and GAD-7 answers are taken with a referral; send \
                                     {} as a QuestionnaireResponse once the person is a patient",
                                    inst.short_name
                                ),
                            );
                            continue;
                        }
                    };
                    if slot.is_some() {
                        self.push(
                            format!("{qr_at}.questionnaire"),
                            format!(
                                "{} answers are given twice: send them once",
                                inst.short_name
                            ),
                        );
                        continue;
                    }
                    *slot = Some(answers);
                }
                Err(issues) => {
                    for i in issues {
                        let expression = match i.expression.strip_prefix("QuestionnaireResponse") {
                            Some(rest) => format!("{qr_at}{rest}"),
                            None => i.expression,
                        };
                        self.push(expression, i.message);
                    }
                }
            }
        }
    }

    fn unreferenced(&mut self) {
        let unused: Vec<(String, String)> = self
            .contained
            .iter()
            .filter(|c| !c.used)
            .map(|c| (c.path.clone(), c.id.to_string()))
            .collect();
        for (path, id) in unused {
            self.push(
                path,
                format!(
                    "The contained resource {id:?} is not referenced from the ServiceRequest (as \
                     \"#{id}\"), so it would be ignored: reference it (FHIR rule dom-3), or leave \
                     it out"
                ),
            );
        }
    }
}

/// A stored referral as a ServiceRequest. Drafts are never shown, but would
/// be `draft`.
pub fn service_request(base: &str, r: &Referral, catalogue: &Catalogue) -> Value {
    let d = &r.details;
    let mut contained = Vec::new();
    let subject = match r.patient_id {
        Some(p) => format!("Patient/{p}"),
        None => {
            contained.push(contained_patient(d));
            "#patient".to_string()
        }
    };
    let status = match r.status {
        Status::Draft => "draft",
        Status::Received | Status::InfoRequested => "active",
        Status::Accepted => "completed",
        Status::Signposted | Status::Declined => "revoked",
    };
    let mut v = json!({
        "resourceType": SR,
        "id": r.id.to_string(),
        "meta": { "lastUpdated": instant(r.updated_at) },
        "status": status,
        "intent": "order",
        "subject": { "reference": subject },
        "authoredOn": instant(r.received_at.unwrap_or(r.created_at)),
    });
    let requester = match written_requester(d) {
        Some(resources) => {
            contained.extend(resources);
            Some(json!({ "reference": "#requester" }))
        }
        // A self-referral: the person asks for themself.
        None if r.source == Source::SelfReferral => Some(json!({ "reference": subject })),
        None => None,
    };
    if let Some(req) = requester {
        v["requester"] = req;
    }
    if !d.problems.is_empty() {
        let system = problem_system(base);
        v["reasonCode"] = d
            .problems
            .iter()
            .map(|p| json!({ "coding": [{ "system": system, "code": p.as_str(), "display": p.label() }] }))
            .collect();
    }
    if let Some(t) = &d.problem_text {
        v["note"] = json!([{ "text": t }]);
    }
    let mut supporting = Vec::new();
    for (id, answers) in [("phq9", &d.phq9), ("gad7", &d.gad7)] {
        let (Some(inst), Some(answers)) = (catalogue.get(id), answers) else {
            continue;
        };
        let items = answer_items(base, inst, answers);
        if items.is_empty() {
            continue;
        }
        let complete = answers.len() == inst.items.len() && answers.iter().all(Option::is_some);
        contained.push(json!({
            "resourceType": "QuestionnaireResponse",
            "id": id,
            "questionnaire": canonical_url(base, inst),
            "status": if complete { "completed" } else { "in-progress" },
            "subject": { "reference": subject },
            "item": items,
        }));
        supporting.push(json!({ "reference": format!("#{id}") }));
    }
    if !supporting.is_empty() {
        v["supportingInfo"] = Value::Array(supporting);
    }
    if !contained.is_empty() {
        v["contained"] = Value::Array(contained);
    }
    v
}

/// The person referred, from the referral's own details.
fn contained_patient(d: &Details) -> Value {
    let mut p = json!({ "resourceType": "Patient", "id": "patient" });
    let mut identifiers = Vec::new();
    if let Some(n) = &d.nhs_number {
        identifiers.push(json!({ "system": NhsNumber::FHIR_SYSTEM, "value": n }));
    }
    if let Some(c) = &d.chi {
        identifiers.push(json!({ "system": CHI_OID, "value": c }));
    }
    if !identifiers.is_empty() {
        p["identifier"] = Value::Array(identifiers);
    }
    if d.given_name.is_some() || d.family_name.is_some() {
        let mut name = json!({ "use": "official" });
        if let Some(f) = &d.family_name {
            name["family"] = json!(f);
        }
        if let Some(g) = &d.given_name {
            name["given"] = json!([g]);
        }
        p["name"] = json!([name]);
    }
    let rank = |c: Channel| {
        if d.preferred_channel == Some(c) { 1 } else { 2 }
    };
    let mut telecom = Vec::new();
    if let Some(e) = &d.email {
        telecom.push(json!({ "system": "email", "value": e, "rank": rank(Channel::Email) }));
    }
    if let Some(n) = &d.phone {
        let mobile = n.starts_with("+447");
        let mut t = json!({ "system": if mobile { "sms" } else { "phone" }, "value": n });
        if mobile {
            t["use"] = json!("mobile");
            t["rank"] = json!(rank(Channel::Sms));
        }
        telecom.push(t);
    }
    if !telecom.is_empty() {
        p["telecom"] = Value::Array(telecom);
    }
    if let Some(dob) = d.date_of_birth {
        p["birthDate"] = json!(dob.to_string());
    }
    if let Some(pc) = &d.postcode {
        p["address"] = json!([{ "postalCode": pc }]);
    }
    if let Some(l) = &d.language {
        p["communication"] = json!([{ "language": { "text": l }, "preferred": true }]);
    }
    if let Some(gp) = &d.gp_practice {
        p["generalPractitioner"] = json!([{ "display": gp }]);
    }
    p
}

/// The referrer as contained resources, the first with id `requester`.
fn written_requester(d: &Details) -> Option<Vec<Value>> {
    let telecom = d
        .referrer_email
        .as_ref()
        .map(|e| json!([{ "system": "email", "value": e }]));
    let with_telecom = |mut v: Value| {
        if let Some(t) = &telecom {
            v["telecom"] = t.clone();
        }
        v
    };
    match (&d.referrer_name, &d.referrer_organisation) {
        (None, None) => None,
        (Some(n), None) => Some(vec![with_telecom(json!({
            "resourceType": "Practitioner",
            "id": "requester",
            "name": [{ "text": n }],
        }))]),
        (None, Some(o)) => Some(vec![with_telecom(json!({
            "resourceType": "Organization",
            "id": "requester",
            "name": o,
        }))]),
        (Some(n), Some(o)) => Some(vec![
            with_telecom(json!({
                "resourceType": "PractitionerRole",
                "id": "requester",
                "practitioner": { "reference": "#practitioner", "display": n },
                "organization": { "display": o },
            })),
            json!({
                "resourceType": "Practitioner",
                "id": "practitioner",
                "name": [{ "text": n }],
            }),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::catalogue;
    use bothy_domain::identifiers::modulus11_check_digit;
    use bothy_domain::ids::ReferralId;
    use bothy_domain::time::Timestamp;

    const BASE: &str = "https://bothy.example/fhir";

    fn today() -> Date {
        "2026-11-17".parse().unwrap()
    }

    fn nhs() -> String {
        (0..)
            .find_map(|n: u32| {
                let mut nine = [9, 9, 9, 0, 0, 0, 0, 0, 0];
                let digits = format!("{n:06}");
                for (i, c) in digits.chars().enumerate() {
                    nine[3 + i] = c.to_digit(10).unwrap() as u8;
                }
                NhsNumber::from_first_nine(nine).map(|n| n.as_str().to_string())
            })
            .unwrap()
    }

    /// A CHI number of the modulus 11 form for 3 April 1985.
    fn chi() -> String {
        (0..100u8)
            .find_map(|n| {
                let nine = [0, 3, 0, 4, 8, 5, n / 10, n % 10, 2];
                modulus11_check_digit(nine).map(|c| {
                    nine.iter()
                        .chain([c].iter())
                        .map(|d| char::from(b'0' + d))
                        .collect::<String>()
                })
            })
            .unwrap()
    }

    fn request() -> Value {
        json!({
            "resourceType": "ServiceRequest",
            "identifier": [{ "system": "https://gp.example/referrals", "value": "ref-1" }],
            "status": "active",
            "intent": "order",
            "subject": { "reference": "#p1" },
            "requester": { "reference": "#role" },
            "reasonCode": [
                { "coding": [{ "system": SNOMED, "code": "35489007" }] },
                { "coding": [{ "system": format!("{BASE}/CodeSystem/referral-problem"), "code": "sleep" }] },
            ],
            "note": [{ "text": "Low for three months since losing her job." }],
            "contained": [
                {
                    "resourceType": "Patient", "id": "p1",
                    "identifier": [
                        { "system": NhsNumber::FHIR_SYSTEM, "value": nhs() },
                        { "system": CHI_URL, "value": chi() },
                        { "system": "https://hospital.example/mrn", "value": "H123" },
                    ],
                    "name": [{ "use": "official", "family": "Referred", "given": ["Rhona", "Ann"] }],
                    "birthDate": "1985-04-03",
                    "telecom": [
                        { "system": "phone", "value": "07700 900123", "rank": 1 },
                        { "system": "email", "value": "rhona@example.org", "rank": 2 },
                    ],
                    "address": [{ "postalCode": "eh6 8rg" }],
                    "communication": [{ "language": { "coding": [{ "code": "cy", "display": "Welsh" }] } }],
                    "generalPractitioner": [{ "display": "Leith Walk Surgery" }],
                },
                {
                    "resourceType": "PractitionerRole", "id": "role",
                    "practitioner": { "reference": "#dr" },
                    "organization": { "display": "Leith Walk Surgery" },
                    "telecom": [{ "system": "email", "value": "dr.ross@gp.example" }],
                },
                { "resourceType": "Practitioner", "id": "dr", "name": [{ "prefix": ["Dr"], "given": ["Ann"], "family": "Ross" }] },
            ],
        })
    }

    #[test]
    fn a_full_request_is_read_into_the_details() {
        let cat = catalogue();
        let r = read_service_request(&request(), BASE, &cat, today());
        assert!(r.issues.is_empty(), "{:#?}", r.issues);
        assert_eq!(r.identifier.as_deref(), Some("ref-1"));
        assert_eq!(r.subject, Some(Subject::Contained));
        let d = &r.details;
        assert_eq!(d.given_name.as_deref(), Some("Rhona Ann"));
        assert_eq!(d.family_name.as_deref(), Some("Referred"));
        assert_eq!(d.date_of_birth, Some("1985-04-03".parse().unwrap()));
        assert_eq!(d.phone.as_deref(), Some("+447700900123"));
        assert_eq!(d.email.as_deref(), Some("rhona@example.org"));
        assert_eq!(d.preferred_channel, Some(Channel::Sms));
        assert_eq!(d.nhs_number, Some(nhs()));
        assert_eq!(d.chi, Some(chi()));
        assert_eq!(d.postcode.as_deref(), Some("EH6 8RG"));
        assert_eq!(d.language.as_deref(), Some("Welsh"));
        assert_eq!(d.gp_practice.as_deref(), Some("Leith Walk Surgery"));
        assert_eq!(d.problems, [Problem::LowMood, Problem::Sleep]);
        assert_eq!(
            d.problem_text.as_deref(),
            Some("Depressive disorder\n\nLow for three months since losing her job.")
        );
        assert_eq!(d.referrer_name.as_deref(), Some("Dr Ann Ross"));
        assert_eq!(
            d.referrer_organisation.as_deref(),
            Some("Leith Walk Surgery")
        );
        assert_eq!(d.referrer_email.as_deref(), Some("dr.ross@gp.example"));
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let cat = catalogue();
        let mut req = request();
        req["supportingInfo"] = json!([{ "reference": "#phq" }]);
        let items: Vec<Value> = cat
            .get("phq9")
            .unwrap()
            .items
            .iter()
            .map(|i| json!({ "linkId": i.loinc, "answer": [{ "valueInteger": 1 }] }))
            .collect();
        req["contained"].as_array_mut().unwrap().push(json!({
            "resourceType": "QuestionnaireResponse", "id": "phq", "status": "completed",
            "questionnaire": format!("{BASE}/Questionnaire/phq9"), "subject": { "reference": "#p1" },
            "item": items,
        }));
        let first = read_service_request(&req, BASE, &cat, today());
        assert!(first.issues.is_empty(), "{:#?}", first.issues);
        assert_eq!(first.details.phq9, Some(vec![Some(1); 9]));
        let now: Timestamp = "2026-11-17T10:00:00Z".parse().unwrap();
        let referral = Referral {
            id: ReferralId::random(),
            service_id: bothy_domain::ServiceId::random(),
            status: Status::Received,
            source: Source::Fhir,
            details: first.details.clone(),
            received_at: Some(now),
            created_at: now,
            updated_at: now,
            risk: true,
            decision_note: None,
            decided_by: None,
            decided_at: None,
            patient_id: None,
        };
        let mut written = service_request(BASE, &referral, &cat);
        assert_eq!(written["status"], "active");
        assert_eq!(written["subject"]["reference"], "#patient");
        written["identifier"] = json!([{ "value": "ref-1" }]);
        let again = read_service_request(&written, BASE, &cat, today());
        assert!(again.issues.is_empty(), "{:#?}", again.issues);
        assert_eq!(again.details, first.details);

        let mut accepted = referral;
        accepted.status = Status::Accepted;
        accepted.patient_id = Some(PatientId::random());
        let w = service_request(BASE, &accepted, &cat);
        assert_eq!(w["status"], "completed");
        assert!(
            w["subject"]["reference"]
                .as_str()
                .unwrap()
                .starts_with("Patient/")
        );
        assert!(
            w["contained"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["resourceType"] != "Patient")
        );
        accepted.status = Status::Declined;
        assert_eq!(service_request(BASE, &accepted, &cat)["status"], "revoked");
    }

    fn expressions(r: &ServiceRequestReading) -> Vec<&str> {
        r.issues.iter().map(|i| i.expression.as_str()).collect()
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let cat = catalogue();
        let mut req = request();
        req.as_object_mut().unwrap().remove("identifier");
        req["priority"] = json!("urgent");
        req["reasonCode"] = json!([{ "coding": [
            { "system": SNOMED, "code": "1234567" },
            { "system": "http://example.org/codes", "code": "sad" },
            { "system": format!("{BASE}/CodeSystem/referral-problem"), "code": "anger" },
        ] }]);
        req.as_object_mut().unwrap().remove("note");
        let mut bad_nhs: Vec<char> = nhs().chars().collect();
        bad_nhs[9] = if bad_nhs[9] == '0' { '1' } else { '0' };
        let p = &mut req["contained"][0];
        p["identifier"][0]["value"] = json!(bad_nhs.into_iter().collect::<String>());
        p["identifier"][1]["value"] = json!("0304851111");
        p["birthDate"] = json!("1985-13-03");
        req["contained"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "resourceType": "Basic", "id": "stray" }));
        let r = read_service_request(&req, BASE, &cat, today());
        assert_eq!(
            expressions(&r),
            [
                "ServiceRequest.identifier",
                "ServiceRequest.priority",
                "ServiceRequest.contained[0].birthDate",
                "ServiceRequest.contained[0].identifier[0].value",
                "ServiceRequest.contained[0].identifier[1].value",
                "ServiceRequest.reasonCode[0].coding[0].code",
                "ServiceRequest.reasonCode[0].coding[1].system",
                "ServiceRequest.reasonCode[0].coding[2].code",
                "ServiceRequest.contained[3]",
            ]
        );
        assert!(
            r.issues[3].message.contains("last number does not match"),
            "{}",
            r.issues[3].message
        );
        assert!(
            r.issues[4].message.contains("last number does not match"),
            "{}",
            r.issues[4].message
        );
        assert!(r.issues[5].message.contains("1234567"));
        assert!(r.issues[6].message.contains("http://example.org/codes"));
        assert!(r.issues[7].message.contains("\"anger\""));
    }

    #[test]
    fn a_missing_patient_reason_and_requester_are_each_named() {
        let cat = catalogue();
        let r = read_service_request(
            &json!({ "resourceType": "ServiceRequest", "identifier": [{ "value": "x" }], "status": "draft", "intent": "proposal" }),
            BASE,
            &cat,
            today(),
        );
        assert_eq!(
            expressions(&r),
            [
                "ServiceRequest.status",
                "ServiceRequest.intent",
                "ServiceRequest.subject",
                "ServiceRequest.requester",
                "ServiceRequest.reasonCode",
            ]
        );
        let mut req = request();
        req["subject"] = json!({ "reference": "Patient/not-an-id" });
        let r = read_service_request(&req, BASE, &cat, today());
        assert_eq!(r.issues[0], unknown_patient_issue());
        // The contained Patient is now unreferenced, and said to be.
        assert_eq!(r.issues[1].expression, "ServiceRequest.contained[0]");
        let id = PatientId::random();
        req["subject"] = json!({ "reference": format!("{BASE}/Patient/{id}") });
        req["contained"].as_array_mut().unwrap().remove(0);
        let r = read_service_request(&req, BASE, &cat, today());
        assert!(r.issues.is_empty(), "{:#?}", r.issues);
        assert_eq!(r.subject, Some(Subject::Patient(id)));
    }

    #[test]
    fn screening_answers_are_checked_where_they_are() {
        let cat = catalogue();
        let mut req = request();
        req["supportingInfo"] =
            json!([{ "reference": "#gad" }, { "reference": "QuestionnaireResponse/1" }]);
        req["contained"].as_array_mut().unwrap().push(json!({
            "resourceType": "QuestionnaireResponse", "id": "gad", "status": "completed",
            "questionnaire": format!("{BASE}/Questionnaire/gad7"),
            "subject": { "reference": "#someone-else" },
            "item": [{ "linkId": "69725-0", "answer": [{ "valueInteger": 9 }] }],
        }));
        let r = read_service_request(&req, BASE, &cat, today());
        let at = expressions(&r);
        assert_eq!(at[0], "ServiceRequest.contained[3].subject.reference");
        assert_eq!(
            at[1],
            "ServiceRequest.contained[3].item[0].answer[0].valueInteger"
        );
        assert!(at[2].starts_with("ServiceRequest.contained[3].item.where(linkId="));
        assert_eq!(
            *at.last().unwrap(),
            "ServiceRequest.supportingInfo[1].reference"
        );
    }
}
