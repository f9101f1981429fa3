use super::*;
use crate::tests::catalogue;
use bothy_domain::identifiers::modulus11_check_digit;
use bothy_domain::ids::ReferralId;
use bothy_domain::time::Timestamp;

const SCREENING: &[&str] = &bothy_domain::monitoring::DEFAULT_SCREENING;

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
    let r = read_service_request(&request(), BASE, &cat, SCREENING, today());
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
    assert!(d.consents.contact_sms && d.consents.contact_email);
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

/// The request with PHQ-9 answers of 1 to every question attached.
fn with_phq9(cat: &Catalogue) -> Value {
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
    req
}

#[test]
fn what_is_written_reads_back_the_same() {
    let cat = catalogue();
    let req = with_phq9(&cat);
    let first = read_service_request(&req, BASE, &cat, SCREENING, today());
    assert!(first.issues.is_empty(), "{:#?}", first.issues);
    assert_eq!(first.details.screening.get("phq9"), Some(&vec![Some(1); 9]));
    let now: Timestamp = "2026-11-17T10:00:00Z".parse().unwrap();
    let referral = Referral {
        risk: true,
        ..Referral::new(
            ReferralId::random(),
            bothy_domain::ServiceId::random(),
            (Status::Received, Source::Fhir),
            first.details.clone(),
            now,
        )
    };
    let mut written = service_request(BASE, &referral, &cat);
    assert_eq!(written["status"], "active");
    assert_eq!(written["subject"]["reference"], "#patient");
    written["identifier"] = json!([{ "value": "ref-1" }]);
    let again = read_service_request(&written, BASE, &cat, SCREENING, today());
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
    req["priority"] = json!("critical");
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
    let r = read_service_request(&req, BASE, &cat, SCREENING, today());
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
        SCREENING,
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
    let r = read_service_request(&req, BASE, &cat, SCREENING, today());
    assert_eq!(r.issues[0], unknown_patient_issue());
    // The contained Patient is now unreferenced, and said to be.
    assert_eq!(r.issues[1].expression, "ServiceRequest.contained[0]");
    let id = PatientId::random();
    req["subject"] = json!({ "reference": format!("{BASE}/Patient/{id}") });
    req["contained"].as_array_mut().unwrap().remove(0);
    let r = read_service_request(&req, BASE, &cat, SCREENING, today());
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
    let r = read_service_request(&req, BASE, &cat, SCREENING, today());
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

#[test]
fn answers_to_an_instrument_the_service_does_not_screen_with_are_refused_by_name() {
    let cat = catalogue();
    let r = read_service_request(&with_phq9(&cat), BASE, &cat, &["core10"], today());
    let refused: Vec<&Issue> = r
        .issues
        .iter()
        .filter(|i| i.expression.ends_with(".questionnaire"))
        .collect();
    assert_eq!(refused.len(), 1, "{:?}", r.issues);
    assert!(
        refused[0]
            .message
            .starts_with("This service takes CORE-10 answers with a referral, not PHQ-9"),
        "{}",
        refused[0].message
    );
    assert!(r.details.screening.is_empty());
}
