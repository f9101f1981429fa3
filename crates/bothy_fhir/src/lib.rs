//! Pure mapping between Bothy's domain and FHIR R4 (4.0.1) JSON. No I/O.
//!
//! - `Patient`, `OperationOutcome` and the `CapabilityStatement` (here);
//! - instruments as `Questionnaire`s ([`questionnaire`]);
//! - `QuestionnaireResponse`s read in and written out ([`response`]);
//! - a response's total score as an `Observation` ([`observation`]);
//! - search results as `Bundle`s ([`bundle`]), date search values
//!   ([`search`]), keyset paging's cursors ([`cursor`]) and `_summary` /
//!   `_elements` subsets ([`subset`]);
//! - referrals as `ServiceRequest`s, read in and written out ([`service_request`]).
//!
//! Functions that build URLs take `base`, the FHIR base URL
//! (`{public_url}/fhir`, see [`base_url`]).

pub mod bundle;
pub mod codes;
pub mod cursor;
pub mod observation;
pub mod questionnaire;
pub mod response;
pub mod search;
pub mod service_request;
pub mod subset;
pub mod versions;

use bothy_domain::model::Patient;
use bothy_domain::time::Timestamp;
use serde_json::{Value, json};

/// The FHIR version every resource here conforms to.
pub const FHIR_VERSION: &str = "4.0.1";

/// LOINC's code system.
pub const LOINC: &str = "http://loinc.org";

/// The extension carrying an answer's score (R4 core: contexts Coding and
/// Questionnaire.item.answerOption).
pub const ORDINAL_VALUE: &str = "http://hl7.org/fhir/StructureDefinition/ordinalValue";

/// The FHIR base URL of a deployment reached at `public_url`.
pub fn base_url(public_url: &str) -> String {
    format!("{}/fhir", public_url.trim_end_matches('/'))
}

/// A problem with one element of a resource sent to us: a FHIRPath
/// expression naming the element, and what is wrong in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub expression: String,
    pub message: String,
}

/// A FHIR `instant` (and `dateTime`): RFC 3339 in UTC, milliseconds when
/// there are any. Cut to milliseconds as storage cuts them, never rounded:
/// rounding wrote .457 for a time stored as .456 about half the time.
pub fn instant(t: Timestamp) -> String {
    bothy_domain::time::at_storage_precision(t).to_string()
}

/// An OperationOutcome for a failed request: one issue for the failure, and
/// one per invalid field (with the field in `expression`).
pub fn operation_outcome(status: u16, message: &str, fields: &[(&str, &str)]) -> Value {
    // Issue codes from http://hl7.org/fhir/R4/valueset-issue-type.html
    let code = match status {
        400 | 415 | 422 => "invalid",
        401 => "login",
        403 => "forbidden",
        404 | 410 => "not-found",
        405 | 406 | 501 => "not-supported",
        409 => "conflict",
        412 => "multiple-matches",
        413 => "too-costly",
        429 => "throttled",
        _ => "exception",
    };
    let mut issues = vec![json!({ "severity": "error", "code": code, "diagnostics": message })];
    issues.extend(fields.iter().map(|(field, msg)| {
        json!({ "severity": "error", "code": "invalid", "diagnostics": msg, "expression": [field] })
    }));
    json!({ "resourceType": "OperationOutcome", "issue": issues })
}

/// A Patient resource. Only what the record holds; nothing is invented.
pub fn patient(p: &Patient) -> Value {
    let mut telecom = Vec::new();
    if let Some(phone) = &p.phone {
        telecom.push(json!({ "system": "phone", "value": phone.as_str(), "use": "mobile" }));
    }
    if let Some(email) = &p.email {
        telecom.push(json!({ "system": "email", "value": email.as_str() }));
    }
    let mut v = json!({
        "resourceType": "Patient",
        "id": p.id.to_string(),
        "meta": { "profile": ["http://hl7.org/fhir/StructureDefinition/Patient"] },
        "active": true,
        "name": [{ "use": "official", "family": p.family_name.as_str(), "given": [p.given_name.as_str()] }],
        "birthDate": p.date_of_birth.to_string(),
    });
    if !telecom.is_empty() {
        v["telecom"] = Value::Array(telecom);
    }
    v
}

/// A Patient with the identifiers the record holds: NHS number and CHI
/// (written with the CHI system referrals are read with).
pub fn patient_identified(p: &Patient, nhs_number: Option<&str>, chi: Option<&str>) -> Value {
    let mut v = patient(p);
    let mut ids = Vec::new();
    if let Some(n) = nhs_number {
        ids.push(
            json!({ "system": bothy_domain::identifiers::NhsNumber::FHIR_SYSTEM, "value": n }),
        );
    }
    if let Some(c) = chi {
        ids.push(json!({ "system": service_request::CHI_OID, "value": c }));
    }
    if !ids.is_empty() {
        v["identifier"] = Value::Array(ids);
    }
    v
}

/// The server's CapabilityStatement (`GET /fhir/metadata`).
///
/// Versions: every resource has `meta.versionId`, only the current version
/// is kept (`versioning: versioned`, `readHistory: false`), and `vread`
/// answers for it; no resource is updated through the API, so there is no
/// `update` and no `If-Match`. Conditional create (`If-None-Exist`) is
/// supported for QuestionnaireResponse, by `identifier` (and `subject`).
/// Search lists exactly the parameters, includes and revincludes the
/// handlers read (`bothy_web`'s `fhir_search.rs`).
pub fn capability_statement(base_url: &str, date: &str) -> Value {
    let read_only = |kind: &str| {
        json!({
            "type": kind,
            "versioning": "versioned",
            "readHistory": false,
            "interaction": [{ "code": "read" }, { "code": "vread" }],
        })
    };
    let mut patient = read_only("Patient");
    patient["interaction"] = json!([{ "code": "read" }, { "code": "search-type" }]);
    patient["searchParam"] = json!([
        { "name": "identifier", "type": "token", "documentation": "NHS number (https://fhir.nhs.uk/Id/nhs-number) or CHI (either CHI system), or a value of either" },
        { "name": "name", "type": "string", "documentation": "Starts the given or family name, in any case" },
        { "name": "family", "type": "string" },
        { "name": "given", "type": "string" },
        { "name": "birthdate", "type": "date" },
        { "name": "_lastUpdated", "type": "date", "documentation": "When the record was made" }
    ]);
    patient["searchRevInclude"] = json!([
        "QuestionnaireResponse:subject",
        "QuestionnaireResponse:patient",
        "Observation:subject",
        "Observation:patient"
    ]);
    let mut observation = read_only("Observation");
    observation["interaction"] =
        json!([{ "code": "read" }, { "code": "vread" }, { "code": "search-type" }]);
    observation["searchParam"] = json!([
        { "name": "subject", "type": "reference", "documentation": "Patient/{id}; optional" },
        { "name": "patient", "type": "reference" },
        { "name": "code", "type": "token", "documentation": "The total score's code (LOINC, or Bothy's measures code system)" },
        { "name": "date", "type": "date", "documentation": "When the measure was completed" },
        { "name": "status", "type": "token", "documentation": "Every Observation is final" },
        { "name": "_lastUpdated", "type": "date", "documentation": "When Bothy received the response" }
    ]);
    observation["searchInclude"] = json!([
        "Observation:subject",
        "Observation:patient",
        "Observation:derived-from"
    ]);
    let mut service_request = read_only("ServiceRequest");
    service_request["interaction"] =
        json!([{ "code": "read" }, { "code": "create" }, { "code": "search-type" }]);
    service_request["conditionalCreate"] = json!(true);
    service_request["searchParam"] = json!([
        { "name": "identifier", "type": "token" },
        { "name": "requester", "type": "reference", "documentation": "By identifier only (requester:identifier): ODS code, SDS user id or GMC number" },
        { "name": "subject", "type": "reference", "documentation": "Patient/{id}, or subject:identifier with an NHS number or CHI" },
        { "name": "patient", "type": "reference" },
        { "name": "status", "type": "token" }
    ]);
    let fhir_base = format!("{}/fhir", base_url.trim_end_matches('/'));
    // SMART Backend Services (bothy_web::smart): where a client trades a
    // signed assertion for an access token.
    let security = json!({
        "description": "A bearer token issued per client by a service administrator, or a short-lived access token from the token endpoint for a JWT assertion signed with a key registered for the client (SMART Backend Services: client_credentials, private_key_jwt, RS384 or ES384)",
        "service": [{
            "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR" }],
            "text": "OAuth2 using SMART Backend Services"
        }],
        "extension": [{
            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
            "extension": [{ "url": "token", "valueUri": format!("{fhir_base}/token") }]
        }]
    });
    let export = |name: &str| {
        json!({
            "name": name,
            "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
            "documentation": "Bulk Data export of the client's service: Patient, QuestionnaireResponse and Observation as NDJSON, with _type, _since and _outputFormat; needs patient.read"
        })
    };
    patient["operation"] = json!([{
        "name": "export",
        "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"
    }]);
    let group = json!({
        "type": "Group",
        "documentation": "One Group per service, its id the service's short name: the service's patients",
        "interaction": [{ "code": "read" }],
        "operation": [{
            "name": "export",
            "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"
        }]
    });
    json!({
        "resourceType": "CapabilityStatement",
        "instantiates": ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"],
        "status": "active",
        "date": date,
        "kind": "instance",
        "software": { "name": "Bothy", "version": env!("CARGO_PKG_VERSION") },
        "implementation": { "description": "Bothy FHIR API", "url": fhir_base },
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json"],
        "rest": [{
            "mode": "server",
            "security": security,
            "operation": [export("export")],
            "documentation": "Searches of Patient, QuestionnaireResponse and Observation cover the client's service and also take _count (at most 100), _summary (count, true, false), _elements, _total (none, accurate; by default given when the search names one patient), _sort, and _cursor (from a next link: pages never repeat or skip a row when new data arrives). Prefer: handling=lenient ignores unsupported parameters and names them in an OperationOutcome entry; otherwise they are refused with 400.",
            "resource": [
                patient,
                {
                    "type": "Questionnaire",
                    "versioning": "versioned",
                    "readHistory": false,
                    "interaction": [{ "code": "read" }, { "code": "vread" }, { "code": "search-type" }],
                    "searchParam": [{ "name": "url", "type": "uri" }]
                },
                {
                    "type": "QuestionnaireResponse",
                    "versioning": "versioned",
                    "readHistory": false,
                    "conditionalCreate": true,
                    "interaction": [
                        { "code": "read" }, { "code": "vread" }, { "code": "create" }, { "code": "search-type" }
                    ],
                    "searchParam": [
                        { "name": "identifier", "type": "token", "documentation": "In If-None-Exist only" },
                        { "name": "subject", "type": "reference", "documentation": "Patient/{id}; optional" },
                        { "name": "patient", "type": "reference" },
                        { "name": "questionnaire", "type": "reference", "documentation": "The Questionnaire's canonical URL (optionally |version) or Questionnaire/{id}" },
                        { "name": "authored", "type": "date" },
                        { "name": "status", "type": "token", "documentation": "Every stored response is completed" },
                        { "name": "_lastUpdated", "type": "date", "documentation": "When Bothy received it" }
                    ],
                    "searchInclude": [
                        "QuestionnaireResponse:subject", "QuestionnaireResponse:patient",
                        "QuestionnaireResponse:questionnaire"
                    ]
                },
                observation,
                service_request,
                group,
                {
                    "type": "CodeSystem",
                    "versioning": "versioned",
                    "readHistory": false,
                    "interaction": [{ "code": "read" }, { "code": "vread" }, { "code": "search-type" }],
                    "searchParam": [{ "name": "url", "type": "uri" }]
                }
            ]
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bothy_domain::instruments::Catalogue;
    use response::parse_response;

    const BASE: &str = "https://bothy.example/fhir";

    /// The shipped instruments (tests may read files; the crate does not).
    pub(crate) fn catalogue() -> Catalogue {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/instruments");
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                files.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
        Catalogue::from_sources(&files).unwrap()
    }

    fn qr(questionnaire: &str, items: Value) -> Value {
        json!({
            "resourceType": "QuestionnaireResponse",
            "status": "completed",
            "identifier": { "value": "key-1" },
            "subject": { "reference": "Patient/2f0c7bde-3a43-4a8a-9d5b-8d3b9b1c2e11" },
            "questionnaire": questionnaire,
            "item": items,
        })
    }

    fn loinc(link: &str, code: &str) -> Value {
        json!({ "linkId": link, "answer": [{ "valueCoding": { "system": LOINC, "code": code } }] })
    }

    #[test]
    fn every_questionnaire_links_each_item_once_and_scores_each_option() {
        let cat = catalogue();
        assert!(cat.len() >= 19);
        for inst in cat.iter() {
            let q = questionnaire::questionnaire(BASE, inst);
            let items = q["item"].as_array().unwrap();
            let choices: Vec<&Value> = items.iter().filter(|i| i["type"] == "choice").collect();
            assert_eq!(choices.len(), inst.items.len(), "{}", inst.id);
            let mut links: Vec<&str> = items
                .iter()
                .map(|i| i["linkId"].as_str().unwrap())
                .collect();
            links.sort_unstable();
            links.dedup();
            assert_eq!(links.len(), items.len(), "{}: linkIds are unique", inst.id);
            for (c, item) in choices.iter().zip(&inst.items) {
                let scores: Vec<f64> = c["answerOption"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["extension"][0]["valueDecimal"].as_f64().unwrap())
                    .collect();
                let want: Vec<f64> = inst
                    .options_for(item)
                    .iter()
                    .map(|o| f64::from(o.score))
                    .collect();
                assert_eq!(scores, want, "{} item {}", inst.id, item.n);
            }
        }
    }

    #[test]
    fn loinc_panels_use_loinc_link_ids_and_answer_codes_item_by_item() {
        let cat = catalogue();
        let phq9 = questionnaire::questionnaire(BASE, cat.get("phq9").unwrap());
        assert_eq!(phq9["code"][0]["code"], "44249-1");
        assert_eq!(phq9["url"], format!("{BASE}/Questionnaire/phq9"));
        let q9 = phq9["item"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["linkId"] == "44260-8")
            .unwrap();
        assert_eq!(q9["answerOption"][1]["valueCoding"]["code"], "LA6569-3");
        let gad7 = questionnaire::questionnaire(BASE, cat.get("gad7").unwrap());
        assert_eq!(gad7["code"][0]["code"], "69737-5");
        let item = |link: &str| {
            gad7["item"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["linkId"] == link)
                .unwrap()
                .clone()
        };
        assert_eq!(
            item("68509-9")["answerOption"][2]["valueCoding"]["code"],
            "LA18938-3"
        );
        assert_eq!(
            item("69725-0")["answerOption"][2]["valueCoding"]["code"],
            "LA6570-1"
        );
        // Without LOINC answer codes: Bothy's code system, the code being the score.
        let wsas = questionnaire::questionnaire(BASE, cat.get("wsas").unwrap());
        let first = &wsas["item"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["type"] == "choice")
            .unwrap()["answerOption"][0];
        assert_eq!(
            first["valueCoding"]["system"],
            "https://bothy.health/fhir/CodeSystem/wsas-answers"
        );
        assert_eq!(first["valueCoding"]["code"], "0");
    }

    #[test]
    fn answers_are_scored_within_their_own_item() {
        let cat = catalogue();
        let url = format!("{BASE}/Questionnaire/gad7");
        let mut items = vec![
            loinc("69725-0", "LA6570-1"),
            loinc("/68509-9", "LA18938-3"),
            json!({ "linkId": "69733-4", "answer": [{ "valueCoding": {
                "extension": [{ "url": ORDINAL_VALUE, "valueDecimal": 3 }] } }] }),
            json!({ "linkId": "69734-2", "answer": [{ "valueInteger": 1 }] }),
        ];
        for link in ["69735-9", "69689-8", "69736-7"] {
            items.push(loinc(link, "LA6568-5"));
        }
        let p = parse_response(&qr(&url, Value::Array(items.clone())), BASE, &cat).unwrap();
        assert_eq!(p.answers, [2, 2, 3, 1, 0, 0, 0].map(Some).to_vec());
        assert_eq!(p.identifier, "key-1");
        assert_eq!(p.version, None);

        // Item 2's code for "More than half the days" is not item 1's.
        items[0] = loinc("69725-0", "LA18938-3");
        items[1] = loinc("68509-9", "LA6570-1");
        let issues = parse_response(&qr(&url, Value::Array(items)), BASE, &cat).unwrap_err();
        let at: Vec<&str> = issues.iter().map(|i| i.expression.as_str()).collect();
        assert_eq!(
            at,
            [
                "QuestionnaireResponse.item[0].answer[0].valueCoding",
                "QuestionnaireResponse.item[1].answer[0].valueCoding"
            ]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let cat = catalogue();
        let inst = cat.get("phq9").unwrap();
        let mut v = qr(
            &format!("{BASE}/Questionnaire/phq9|0.1"),
            json!([
                loinc("44250-9", "LA6568-5"),
                loinc("44255-8", "LA9999-9"),
                { "linkId": "44259-0", "answer": [{ "valueInteger": 7 }] },
                loinc("12345-6", "LA6568-5"),
                loinc("44250-9", "LA6568-5"),
            ]),
        );
        v["status"] = json!("in-progress");
        v.as_object_mut().unwrap().remove("identifier");
        v["subject"] = json!({ "reference": "Group/1" });
        let issues = parse_response(&v, BASE, &cat).unwrap_err();
        let at: Vec<&str> = issues.iter().map(|i| i.expression.as_str()).collect();
        let mut want = vec![
            "QuestionnaireResponse.status".to_string(),
            "QuestionnaireResponse.identifier".into(),
            "QuestionnaireResponse.subject.reference".into(),
            "QuestionnaireResponse.questionnaire".into(),
            "QuestionnaireResponse.item[1].answer[0].valueCoding".into(),
            "QuestionnaireResponse.item[2].answer[0].valueInteger".into(),
            "QuestionnaireResponse.item[3].linkId".into(),
            "QuestionnaireResponse.item[4].linkId".into(),
        ];
        // Items 4 to 9 were never sent.
        for item in &inst.items[3..] {
            want.push(format!(
                "QuestionnaireResponse.item.where(linkId='{}')",
                item.loinc.as_ref().unwrap()
            ));
        }
        assert_eq!(at, want);
        assert!(
            issues[3].message.contains("\"0.1\""),
            "{}",
            issues[3].message
        );
    }

    #[test]
    fn an_unknown_questionnaire_is_named() {
        let cat = catalogue();
        let issues = parse_response(
            &qr("https://elsewhere.example/Questionnaire/phq9", json!([])),
            BASE,
            &cat,
        )
        .unwrap_err();
        assert_eq!(issues.len(), 1);
        assert!(issues[0].message.contains("elsewhere.example"));
        let issues =
            parse_response(&json!({ "resourceType": "Observation" }), BASE, &cat).unwrap_err();
        assert_eq!(issues[0].expression, "QuestionnaireResponse");
    }

    #[test]
    fn instants_are_utc_with_milliseconds_only_when_present() {
        let t: Timestamp = "2026-11-17T10:00:00Z".parse().unwrap();
        assert_eq!(instant(t), "2026-11-17T10:00:00Z");
        let t: Timestamp = "2026-11-17T10:00:00.120Z".parse().unwrap();
        assert_eq!(instant(t), "2026-11-17T10:00:00.12Z");
        // Below a millisecond: cut as storage cuts it, never rounded up.
        let t: Timestamp = "2026-11-17T10:00:00.1239Z".parse().unwrap();
        assert_eq!(instant(t), "2026-11-17T10:00:00.123Z");
    }

    #[test]
    fn outcome_lists_every_field() {
        let o = operation_outcome(422, "check", &[("a", "x"), ("b", "y")]);
        assert_eq!(o["issue"].as_array().unwrap().len(), 3);
        assert_eq!(o["issue"][2]["expression"][0], "b");
        assert_eq!(
            operation_outcome(404, "m", &[])["issue"][0]["code"],
            "not-found"
        );
    }
}
