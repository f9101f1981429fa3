//! HTTP manners of the FHIR API: the auth scheme in any case, JSON only
//! (406 for anything else asked for), `not-supported` for an interaction
//! that does not exist, and `_count` above a page served as a full page.

use crate::both_dbs;
use crate::fhir_measures::{clients, get, response};
use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::{Method, Request, header};
use bothy_web::WebSettings;

both_dbs!(
    fhir_answers_as_clients_expect,
    a_create_answers_as_prefer_asks,
    browser_apps_of_listed_origins_may_call_fhir_and_nothing_else,
);

async fn fhir_answers_as_clients_expect(t: TestApp) {
    let cl = clients(&t).await;
    let c = t.client();
    let patient = t.demo.patients[0].id.clone();
    let search = format!("/fhir/QuestionnaireResponse?subject=Patient/{patient}");
    let token = cl.reader.strip_prefix("Bearer ").unwrap();

    // The scheme is case-insensitive (RFC 9110); a token alone is not enough.
    for scheme in ["bearer", "BEARER", "Bearer"] {
        get(&c, &search, &format!("{scheme} {token}")).await.ok();
    }
    get(&c, &search, token).await.status(401);

    // JSON only: XML asked for by _format or Accept is refused with 406.
    for q in ["_format=xml", "_format=application/fhir%2Bxml"] {
        let r = get(&c, &format!("{search}&{q}"), &cl.reader)
            .await
            .status(406);
        assert!(r.body.contains("\"not-supported\""), "{}", r.body);
        assert!(r.body.contains("JSON only"));
    }
    get(&c, &format!("{search}&_format=json"), &cl.reader)
        .await
        .ok();
    for (value, status) in [
        ("application/fhir+xml", 406),
        ("application/fhir+json", 200),
        ("application/xml;q=0.9, */*;q=0.1", 200),
        ("text/html, application/json;q=0.5", 200),
    ] {
        let headers = [("authorization", cl.reader.as_str()), ("accept", value)];
        c.get_with(&search, &headers).await.status(status);
    }

    // More than a page holds: served as a full page, and the links say so.
    let page = get(&c, &format!("{search}&_count=1000"), &cl.reader)
        .await
        .ok()
        .json();
    assert_eq!(page["resourceType"], "Bundle");
    let own = page["link"][0]["url"].as_str().unwrap();
    assert!(own.contains("_count=100"), "{page}");

    // An interaction that does not exist: not-supported.
    let r = c
        .send(
            Request::builder()
                .method(Method::DELETE)
                .uri(format!("/fhir/QuestionnaireResponse/{patient}"))
                .header(header::AUTHORIZATION, &cl.writer)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status.as_u16(), 405, "{}", r.body);
    assert!(r.body.contains("\"not-supported\""), "{}", r.body);
}

/// `Prefer: return=minimal` gives no body, `return=OperationOutcome` says
/// what was done, and neither changes what is stored or where it is.
async fn a_create_answers_as_prefer_asks(t: TestApp) {
    let cl = clients(&t).await;
    let c = t.client();
    let patient = t.demo.patients[0].id.clone();
    let inst = t.app.measures().instrument("gad7").unwrap();
    let send = |key: &'static str, prefer: &'static str| {
        let body = response(inst, &patient, key, &[1, 1, 1, 1, 1, 1, 1]).to_string();
        c.send(
            Request::builder()
                .method(Method::POST)
                .uri("/fhir/QuestionnaireResponse")
                .header(header::AUTHORIZATION, &cl.writer)
                .header(header::CONTENT_TYPE, "application/fhir+json")
                .header("prefer", prefer)
                .body(Body::from(body))
                .unwrap(),
        )
    };
    let minimal = send("prefer-1", "return=minimal").await.status(201);
    assert!(minimal.body.is_empty(), "{}", minimal.body);
    let location = minimal.location().expect("a Location").to_string();
    get(&c, crate::fhir_measures::path_of(&location), &cl.reader)
        .await
        .ok();
    let outcome = send("prefer-2", "return=OperationOutcome")
        .await
        .status(201)
        .json();
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert_eq!(outcome["issue"][0]["severity"], "information");
    // Sent again: the first, as the client asked to be told.
    let again = send("prefer-2", "return=OperationOutcome")
        .await
        .status(200)
        .json();
    assert!(
        again["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("Already stored")
    );
    let full = send("prefer-3", "return=representation")
        .await
        .status(201)
        .json();
    assert_eq!(full["resourceType"], "QuestionnaireResponse");
}

/// CORS: a listed origin may call `/fhir/` (its preflight answered, its
/// answers readable, no credentials); another origin, or a page, may not.
async fn browser_apps_of_listed_origins_may_call_fhir_and_nothing_else(t: TestApp) {
    let cl = clients(&t).await;
    let listed = "https://dashboard.example.nhs.uk";
    let router = bothy_web::router(
        t.app.clone(),
        WebSettings {
            cors_origins: bothy_web::cors::origins(&[listed.to_string()]).unwrap(),
            ..WebSettings::default()
        },
    );
    let c = t.client_of(router);
    let patient = t.demo.patients[0].id.clone();
    let search = format!("/fhir/QuestionnaireResponse?subject=Patient/{patient}");
    let preflight = |origin: &'static str, path: String| {
        c.send(
            Request::builder()
                .method(Method::OPTIONS)
                .uri(path)
                .header(header::ORIGIN, origin)
                .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
                .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization")
                .body(Body::empty())
                .unwrap(),
        )
    };
    let ok = preflight(listed, search.clone()).await;
    assert!(ok.status.is_success(), "{}", ok.status);
    assert_eq!(
        ok.headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(listed)
    );
    assert!(ok.headers.get("access-control-allow-credentials").is_none());
    let other = preflight("https://evil.example", search.clone()).await;
    assert!(other.headers.get("access-control-allow-origin").is_none());
    let page = preflight(listed, "/staff".into()).await;
    assert!(page.headers.get("access-control-allow-origin").is_none());

    let headers = [("authorization", cl.reader.as_str()), ("origin", listed)];
    let r = c.get_with(&search, &headers).await.ok();
    assert_eq!(
        r.headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(listed)
    );
    let headers = [
        ("authorization", cl.reader.as_str()),
        ("origin", "https://evil.example"),
    ];
    let r = c.get_with(&search, &headers).await.ok();
    assert!(r.headers.get("access-control-allow-origin").is_none());
}
