//! FHIR R4 QuestionnaireResponses with bad input: every problem named in one
//! OperationOutcome, with an expression for each, and nothing stored.

use super::fhir_measures::*;
use crate::both_dbs;
use crate::fhir_support::Emitted;
use crate::helpers::TestApp;
use bothy_domain::PatientId;
use serde_json::{Value, json};

both_dbs!(bad_responses_name_every_problem_and_store_nothing);

async fn bad_responses_name_every_problem_and_store_nothing(t: TestApp) {
    let out = Emitted::new();
    let cl = clients(&t).await;
    let c = t.client();
    let patient = t.demo.patients[1].id.clone();
    let phq9 = t.app.measures().instrument("phq9").unwrap().clone();
    let before = stored_count(&t, &patient).await;
    // Item 9 answered "Nearly every day" in every case: a risk answer in a
    // refused response raises no flag, as nothing of it is stored.
    let good = || response(&phq9, &patient, "bad-1", &[1, 1, 1, 1, 1, 1, 1, 1, 3]);
    let item = |n: usize| format!("QuestionnaireResponse.item[{n}]");

    let cases: Vec<(&str, Value, Vec<String>)> = vec![
        {
            let mut v = good();
            v["questionnaire"] = json!(format!("{}/Questionnaire/phq10", base()));
            (
                "unknown-questionnaire",
                v,
                vec!["QuestionnaireResponse.questionnaire".into()],
            )
        },
        {
            let mut v = good();
            v["questionnaire"] = json!(format!("{}/Questionnaire/phq9|1999.1.1", base()));
            (
                "unknown-version",
                v,
                vec!["QuestionnaireResponse.questionnaire".into()],
            )
        },
        {
            let mut v = good();
            v["item"].as_array_mut().unwrap().remove(8);
            (
                "missing-item",
                v,
                vec!["QuestionnaireResponse.item.where(linkId='44260-8')".into()],
            )
        },
        {
            let mut v = good();
            v["item"].as_array_mut().unwrap().push(json!({
                "linkId": "69722-7",
                "answer": [{ "valueCoding": { "system": LOINC, "code": "LA6572-7" } }]
            }));
            ("extra-item", v, vec![format!("{}.linkId", item(9))])
        },
        {
            let mut v = good();
            v["item"][3]["answer"] = json!([{ "valueInteger": 4 }]);
            (
                "out-of-range",
                v,
                vec![format!("{}.answer[0].valueInteger", item(3))],
            )
        },
        {
            let mut v = good();
            v["item"][2]["answer"][0]["valueCoding"]["code"] = json!("LA18938-3");
            (
                "unknown-code",
                v,
                vec![format!("{}.answer[0].valueCoding", item(2))],
            )
        },
        {
            let mut v = good();
            v["item"][5]["answer"][0]["valueCoding"]["extension"] =
                json!([{ "url": ORDINAL, "valueDecimal": 3 }]);
            (
                "ordinal-disagrees",
                v,
                vec![format!("{}.answer[0].valueCoding", item(5))],
            )
        },
        {
            let mut v = good();
            v.as_object_mut().unwrap().remove("identifier");
            (
                "missing-identifier",
                v,
                vec!["QuestionnaireResponse.identifier".into()],
            )
        },
        {
            let mut v = good();
            v["status"] = json!("in-progress");
            (
                "not-completed",
                v,
                vec!["QuestionnaireResponse.status".into()],
            )
        },
        {
            let mut v = good();
            v["subject"] = json!({ "reference": "Group/12" });
            (
                "subject-not-a-patient",
                v,
                vec!["QuestionnaireResponse.subject.reference".into()],
            )
        },
        {
            // Everything at once: every problem is listed.
            let mut v = good();
            v["status"] = json!("amended");
            v["identifier"] = json!({ "value": " " });
            let items = v["item"].as_array_mut().unwrap();
            items[0]["answer"] = json!([{ "valueInteger": 9 }]);
            items[1]["answer"][0]["valueCoding"]["code"] = json!("LA0000-0");
            items[4]["linkId"] = json!("44250-9");
            items.remove(8);
            (
                "many-problems",
                v,
                vec![
                    "QuestionnaireResponse.status".into(),
                    "QuestionnaireResponse.identifier.value".into(),
                    format!("{}.answer[0].valueInteger", item(0)),
                    format!("{}.answer[0].valueCoding", item(1)),
                    format!("{}.linkId", item(4)),
                    "QuestionnaireResponse.item.where(linkId='44251-7')".into(),
                    "QuestionnaireResponse.item.where(linkId='44260-8')".into(),
                ],
            )
        },
    ];
    for (label, body, want) in cases {
        let r = post_json(&c, &cl.writer, &body).await;
        assert_eq!(r.status.as_u16(), 422, "{label}: {}", r.body);
        let outcome = out.keep(&format!("outcome-{label}"), &r);
        assert_eq!(expressions(&outcome), want, "{label}: {outcome}");
        assert!(
            outcome["issue"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["severity"] == "error" && i["diagnostics"].is_string()),
            "{label}"
        );
    }
    // The unknown version and unknown questionnaire are named.
    let r = post_json(&c, &cl.writer, &{
        let mut v = good();
        v["questionnaire"] = json!(format!("{}/Questionnaire/phq9|1999.1.1", base()));
        v
    })
    .await
    .json();
    assert!(
        r["issue"][1]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("1999.1.1")
    );

    // A subject this client may not write for, and one that does not exist:
    // the same answer.
    let mut elsewhere = good();
    elsewhere["subject"] = json!({ "reference": format!("Patient/{patient}") });
    let hidden = post_json(&c, &cl.other, &elsewhere).await.status(404);
    let mut missing = good();
    missing["subject"] = json!({ "reference": format!("Patient/{}", PatientId::random()) });
    let none = post_json(&c, &cl.writer, &missing).await.status(404);
    assert_eq!(hidden.body, none.body);
    let outcome = out.keep("outcome-wrong-subject", &none);
    assert_eq!(
        expressions(&outcome),
        ["QuestionnaireResponse.subject.reference"]
    );

    // Not JSON, not a QuestionnaireResponse, not sent as JSON.
    out.keep(
        "outcome-malformed",
        &post(
            &c,
            &cl.writer,
            "application/fhir+json",
            "{\"resourceType\": ",
        )
        .await
        .status(400),
    );
    let other_type = out.keep(
        "outcome-wrong-resource",
        &post_json(&c, &cl.writer, &json!({ "resourceType": "Observation" }))
            .await
            .status(422),
    );
    assert_eq!(expressions(&other_type), ["QuestionnaireResponse"]);
    for ct in ["text/plain", "application/x-www-form-urlencoded", ""] {
        let r = post(&c, &cl.writer, ct, good().to_string())
            .await
            .status(415);
        out.keep("outcome-content-type", &r);
    }
    // JSON with a charset is JSON.
    let mut ok = good();
    ok["identifier"]["value"] = json!("bad-but-not-really");
    post(
        &c,
        &cl.writer,
        "application/json; charset=utf-8",
        ok.to_string(),
    )
    .await
    .status(201);

    assert_eq!(
        stored_count(&t, &patient).await,
        (before.0 + 1, before.1 + 1),
        "only the one good response was stored"
    );
    out.validate();
}
