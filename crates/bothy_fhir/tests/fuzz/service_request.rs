//! ServiceRequest: any mutation of a full referral is read into details or
//! refused with issues, never a panic; a referral read without issues and
//! written back out reads back as the same details.

use crate::mutate::mutated;
use crate::{BASE, catalogue, config};
use bothy_domain::ServiceId;
use bothy_domain::identifiers::{NhsNumber, modulus11_check_digit};
use bothy_domain::ids::ReferralId;
use bothy_domain::referral::{Referral, Source, Status};
use bothy_domain::time::{Date, Timestamp};
use bothy_fhir::service_request::{
    CHI_URL, MAX_IDENTIFIER_LEN, SNOMED, Subject, read_service_request, service_request,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const SCREENING: &[&str] = &bothy_domain::monitoring::DEFAULT_SCREENING;

fn today() -> Date {
    "2026-11-17".parse().unwrap()
}

/// The full referral of the crate's own tests, with PHQ-9 and GAD-7
/// screening answers contained.
fn request() -> Value {
    let nhs = NhsNumber::from_first_nine([9, 9, 9, 0, 0, 0, 0, 0, 1]).unwrap();
    let nine = [0, 3, 0, 4, 8, 5, 1, 2, 2];
    let chi: String = (0..10u8)
        .find_map(|n| {
            let nine = [
                nine[0], nine[1], nine[2], nine[3], nine[4], nine[5], nine[6], n, nine[8],
            ];
            modulus11_check_digit(nine).map(|c| {
                nine.iter()
                    .chain([&c])
                    .map(|d| char::from(b'0' + d))
                    .collect()
            })
        })
        .unwrap();
    let answers = |id: &str, score: i32| -> Value {
        let items: Vec<Value> = catalogue()
            .get(id)
            .unwrap()
            .items
            .iter()
            .map(|i| json!({ "linkId": i.loinc, "answer": [{ "valueInteger": score }] }))
            .collect();
        json!({
            "resourceType": "QuestionnaireResponse", "id": id, "status": "completed",
            "questionnaire": format!("{BASE}/Questionnaire/{id}"), "subject": { "reference": "#p1" },
            "item": items,
        })
    };
    json!({
        "resourceType": "ServiceRequest",
        "identifier": [{ "system": "https://gp.example/referrals", "value": "ref-1" }],
        "status": "active",
        "intent": "order",
        "priority": "routine",
        "subject": { "reference": "#p1" },
        "requester": { "reference": "#role" },
        "reasonCode": [
            { "coding": [{ "system": SNOMED, "code": "35489007" }], "text": "Low mood" },
            { "coding": [{ "system": format!("{BASE}/CodeSystem/referral-problem"), "code": "sleep" }] },
        ],
        "note": [{ "text": "Low for three months since losing her job." }],
        "supportingInfo": [{ "reference": "#phq9" }, { "reference": "#gad7" }],
        "contained": [
            {
                "resourceType": "Patient", "id": "p1",
                "identifier": [
                    { "system": NhsNumber::FHIR_SYSTEM, "value": nhs.as_str() },
                    { "system": CHI_URL, "value": chi },
                    { "system": "https://hospital.example/mrn", "value": "H123" },
                ],
                "name": [{ "use": "official", "family": "Referred", "given": ["Rhona", "Ann"] }],
                "birthDate": "1985-04-03",
                "telecom": [
                    { "system": "phone", "value": "07700 900123", "rank": 1 },
                    { "system": "email", "value": "rhona@example.org", "rank": 2 },
                ],
                "address": [{ "postalCode": "eh6 8rg" }],
                "communication": [{ "language": { "coding": [{ "code": "cy", "display": "Welsh" }] }, "preferred": true }],
                "generalPractitioner": [{ "reference": "#gp" }],
            },
            { "resourceType": "Organization", "id": "gp", "name": "Leith Walk Surgery" },
            {
                "resourceType": "PractitionerRole", "id": "role",
                "practitioner": { "reference": "#dr" },
                "organization": { "display": "Leith Walk Surgery" },
                "telecom": [{ "system": "email", "value": "dr.ross@gp.example" }],
            },
            { "resourceType": "Practitioner", "id": "dr", "name": [{ "prefix": ["Dr"], "given": ["Ann"], "family": "Ross" }] },
            answers("phq9", 1),
            answers("gad7", 2),
        ],
    })
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn a_mutated_referral_is_read_or_refused_and_reads_back_the_same(v in mutated(Just(request()).boxed())) {
        let cat = catalogue();
        let read = read_service_request(&v, BASE, cat, SCREENING, today());
        for i in &read.issues {
            prop_assert!(i.expression.starts_with("ServiceRequest"), "{i:?}");
            prop_assert!(!i.message.is_empty());
        }
        if !read.issues.is_empty() {
            return Ok(());
        }
        let key = read.identifier.clone().expect("a key when there are no issues");
        prop_assert!(!key.is_empty() && key.chars().count() <= MAX_IDENTIFIER_LEN);
        // A subject by reference is filled from the patient's record by the
        // caller; only a contained one carries details to write back.
        if read.subject != Some(Subject::Contained) {
            return Ok(());
        }
        let now: Timestamp = "2026-11-17T10:00:00Z".parse().unwrap();
        let referral = Referral::new(
            ReferralId::random(),
            ServiceId::random(),
            (Status::Received, Source::Fhir),
            read.details.clone(),
            now,
        );
        let mut written = service_request(BASE, &referral, cat);
        written["identifier"] = json!([{ "value": key }]);
        let again = read_service_request(&written, BASE, cat, SCREENING, today());
        prop_assert!(again.issues.is_empty(), "{:#?}\n{written:#}", again.issues);
        prop_assert_eq!(again.details, read.details);
    }
}

#[test]
fn the_seed_is_read_without_issues() {
    let r = read_service_request(&request(), BASE, catalogue(), SCREENING, today());
    assert!(r.issues.is_empty(), "{:#?}", r.issues);
    assert!(r.details.screening.contains_key("phq9") && r.details.screening.contains_key("gad7"));
}
