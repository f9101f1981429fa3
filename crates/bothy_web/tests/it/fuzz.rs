//! Fuzzing the HTTP surface (issue 12 item 3): arbitrary form bodies at the
//! forms people post, and arbitrary JSON at the FHIR endpoints, through the
//! real router. Whatever arrives, the answer is the typed 4xx (or the page
//! the input earns), never a 500: strict form decoding refuses what is not
//! UTF-8, the FHIR readers give an OperationOutcome. The parsers behind
//! these are fuzzed far harder, without a database, in `bothy_domain`'s
//! `fuzz` module and `bothy_fhir`'s `tests/fuzz`; this checks the wiring.
//! `BOTHY_FUZZ_CASES` sets the requests per route (default 24). SQLite only:
//! the routes and readers are the same on both databases.

use crate::helpers::{Client, Db, Resp, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, header};
use bothy_domain::role::ApiPermission;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

fn cases() -> usize {
    std::env::var("BOTHY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24)
}

/// Inputs drawn up front, so the requests run on the test's runtime; a
/// failure prints the input (proptest cannot shrink across `await`).
fn draw<S: Strategy>(s: S, n: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::deterministic();
    (0..n)
        .map(|_| s.new_tree(&mut runner).unwrap().current())
        .collect()
}

const FIELDS: &[&str] = &[
    "mood",
    "sleep",
    "activity",
    "note",
    "at",
    "email",
    "password",
    "given_name",
    "family_name",
    "date_of_birth",
    "day",
    "month",
    "year",
    "phone",
    "reason",
    "problems",
    "warning_signs",
    "q1",
    "q9",
    "code",
    "csrf_token",
];

/// A form body: well-formed pairs of known fields, or raw bytes with
/// percent escapes that may not be UTF-8.
fn form_body() -> impl Strategy<Value = Vec<u8>> {
    let pairs = proptest::collection::vec((select(FIELDS), any::<String>()), 0..8)
        .prop_map(|kv| serde_urlencoded::to_string(kv).unwrap().into_bytes());
    let raw = proptest::collection::vec(
        prop_oneof![
            any::<u8>().prop_map(|b| vec![b]),
            select(
                &[
                    "%FF",
                    "%C3",
                    "%C3%A9",
                    "%ED%A0%80",
                    "%",
                    "%zz",
                    "=",
                    "&",
                    "+",
                    "mood="
                ][..]
            )
            .prop_map(|s| s.as_bytes().to_vec()),
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat());
    prop_oneof![pairs, raw]
}

fn fhir_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<Vec<u8>>(),
        "\\{\"resourceType\": *\"(QuestionnaireResponse|ServiceRequest)\"(, *\"[a-zA-Z]{1,10}\": *(null|1|-1|\"x\"|\\[\\]|\\{\\}|\\[\\{\\}\\]))*\\}"
            .prop_map(String::into_bytes),
    ]
}

#[track_caller]
fn not_a_server_error(what: &str, input: &[u8], r: &Resp) {
    assert!(
        !r.status.is_server_error(),
        "{what} answered {} to {:?}:\n{}",
        r.status,
        String::from_utf8_lossy(input),
        r.body
    );
}

async fn post(
    c: &Client,
    path: &str,
    content_type: &str,
    auth: Option<&str>,
    body: Vec<u8>,
) -> Resp {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, content_type);
    if let Some(a) = auth {
        req = req.header(header::AUTHORIZATION, a);
    }
    c.send(req.body(Body::from(body)).unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arbitrary_forms_get_a_4xx_or_a_page_never_a_500() {
    let t = TestApp::new(Db::Sqlite).await.unwrap();
    let patient = t.patient_client(0).await;
    patient.get("/check-in").await.ok();
    let anonymous = t.client();
    anonymous.get("/refer").await.ok();
    for body in draw(form_body(), cases()) {
        for (c, path) in [
            (&patient, "/check-in"),
            (&patient, "/safety-plan/edit"),
            (&patient, "/measures/phq9"),
            (&anonymous, "/refer"),
            (&anonymous, "/sign-in"),
        ] {
            // With the session's CSRF token first, so the body reaches the form.
            let mut with_token = format!("csrf_token={}&", c.csrf()).into_bytes();
            with_token.extend_from_slice(&body);
            let r = post(
                c,
                path,
                "application/x-www-form-urlencoded",
                None,
                with_token,
            )
            .await;
            not_a_server_error(path, &body, &r);
            if !bothy_web_form_is_utf8(&body) {
                assert_eq!(
                    r.status,
                    400,
                    "{path}: {:?}",
                    String::from_utf8_lossy(&body)
                );
            }
        }
    }
    t.finish().await;
}

/// The rule `bothy_web::form` applies, restated: every percent-decoded name
/// and value is UTF-8.
fn bothy_web_form_is_utf8(body: &[u8]) -> bool {
    body.split(|b| *b == b'&').all(|pair| {
        pair.split(|b| *b == b'=')
            .all(|part| percent_encoding::percent_decode(part).decode_utf8().is_ok())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arbitrary_fhir_bodies_get_an_operation_outcome_never_a_500() {
    let t = TestApp::new(Db::Sqlite).await.unwrap();
    let demo = t.app.admin().service_by_slug("demo").await.unwrap().id;
    let client = t
        .app
        .admin()
        .register_api_client(demo, "Fuzz", &ApiPermission::ALL, &Default::default())
        .await
        .unwrap();
    let auth = format!("Bearer {}", client.token);
    let c = t.client();
    for body in draw(fhir_body(), cases()) {
        for path in ["/fhir/QuestionnaireResponse", "/fhir/ServiceRequest"] {
            for content_type in ["application/fhir+json", "application/json"] {
                let r = post(&c, path, content_type, Some(&auth), body.clone()).await;
                not_a_server_error(path, &body, &r);
                if r.status.is_client_error() {
                    assert_eq!(
                        r.json()["resourceType"],
                        "OperationOutcome",
                        "{path}: {}",
                        r.body
                    );
                }
            }
        }
    }
    for q in draw("[ -~]{0,24}", cases()) {
        let path = format!(
            "/fhir/QuestionnaireResponse?date={}",
            percent_encoding::utf8_percent_encode(&q, percent_encoding::NON_ALPHANUMERIC)
        );
        let r = c.get_with(&path, &[("authorization", &auth)]).await;
        not_a_server_error(&path, q.as_bytes(), &r);
    }
    t.finish().await;
}
