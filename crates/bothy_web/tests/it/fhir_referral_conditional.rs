//! Conditional create of a referral (`If-None-Exist: identifier=...`): a
//! referral the identifier already names is answered 200 and nothing is
//! stored, even when the body differs; none, and it is created; the same
//! identifier from two senders, seen by a client reading every referral,
//! is 412; a search by anything but identifier is refused.

use crate::both_dbs;
use crate::fhir_referrals::{clients, id_of, queue, referral};
use crate::fhir_support::Emitted;
use crate::helpers::{Client, Resp, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, header};
use bothy_domain::referral::Source;
use bothy_domain::role::ApiPermission;
use serde_json::{Value, json};

both_dbs!(if_none_exist_creates_a_referral_once);

const SYSTEM: &str = "https://leithwalk.example/referrals";

async fn send_if_none_exist(c: &Client, auth: &str, sr: &Value, search: &str) -> Resp {
    c.send(
        Request::builder()
            .method(Method::POST)
            .uri("/fhir/ServiceRequest")
            .header(header::AUTHORIZATION, auth)
            .header(header::CONTENT_TYPE, "application/fhir+json")
            .header("if-none-exist", search)
            .body(Body::from(sr.to_string()))
            .unwrap(),
    )
    .await
}

async fn if_none_exist_creates_a_referral_once(t: TestApp) {
    let cl = clients(&t).await;
    let c = t.client();
    let seen = Emitted::new();
    let search = format!("identifier={SYSTEM}|gp-cond-1");
    let sr = referral(&t, "gp-cond-1", "conditional@example.org");
    let first = send_if_none_exist(&c, &cl.referrer, &sr, &search)
        .await
        .status(201);
    let id = id_of(first.location().unwrap());
    // Found by its identifier: answered with the stored one, even though
    // this body names someone else; nothing more is stored.
    let mut other = referral(&t, "gp-cond-1", "someone.else@example.org");
    other["contained"][0]["name"][0]["given"] = json!(["Isla"]);
    for q in [search.clone(), "identifier=gp-cond-1".to_string()] {
        let again = send_if_none_exist(&c, &cl.referrer, &other, &q).await.ok();
        assert_eq!(
            again
                .headers
                .get(header::CONTENT_LOCATION)
                .and_then(|v| v.to_str().ok()),
            first.location()
        );
        assert_eq!(seen.keep("again", &again), seen.keep("first", &first));
    }
    let q = queue(&t).await;
    assert_eq!(q.iter().filter(|r| r.source == Source::Fhir).count(), 1);
    assert_eq!(q[0].id, id);

    // Another sender's identifier is not this client's to find: it creates.
    let theirs = referral(&t, "gp-cond-1", "other.sender@example.org");
    send_if_none_exist(&c, &cl.referrer_reader, &theirs, &search)
        .await
        .status(201);
    // Both senders' referrals seen by one client: which one is meant is
    // not clear, so nothing is done.
    let all = crate::fhir_referrals::get(
        &c,
        &format!("/fhir/ServiceRequest?identifier={SYSTEM}|gp-cond-1"),
        &cl.all_referrals,
    )
    .await
    .ok()
    .json();
    assert_eq!(all["entry"].as_array().unwrap().len(), 2);
    let demo = t.app.admin().service_by_slug("demo").await.unwrap().id;
    let hub = t
        .app
        .admin()
        .register_api_client(
            demo,
            "Referral hub",
            &[ApiPermission::ReferralCreate, ApiPermission::ReferralRead],
            &crate::fhir_referrals::ctx(),
        )
        .await
        .unwrap();
    let hub = format!("Bearer {}", hub.token);
    let r = send_if_none_exist(&c, &hub, &sr, &search).await.status(412);
    seen.keep("ambiguous", &r);
    assert_eq!(
        queue(&t)
            .await
            .iter()
            .filter(|r| r.source == Source::Fhir)
            .count(),
        2
    );

    // Only identifier is searched.
    for q in [
        "subject=Patient/x",
        "identifier=a&status=active",
        "identifier=",
        "==",
    ] {
        let r = send_if_none_exist(&c, &cl.referrer, &sr, q)
            .await
            .status(400);
        seen.keep("refused", &r);
    }
    seen.validate();
    t.finish().await;
}
