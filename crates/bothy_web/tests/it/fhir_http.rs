//! HTTP manners of the FHIR API: the auth scheme in any case, JSON only
//! (406 for anything else asked for), `not-supported` for an interaction
//! that does not exist, and `_count` above a page served as a full page.

use crate::both_dbs;
use crate::fhir_measures::{clients, get};
use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::{Method, Request, header};

both_dbs!(fhir_answers_as_clients_expect);

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
