//! SMART Backend Services: the token endpoint takes assertions signed RS384
//! or ES384 by a key registered with `add_key`, and refuses every other
//! with RFC 6749's error; the token works on `/fhir` with no more than
//! the scopes asked and the client holds, and stops working when it expires.

use crate::both_dbs;
use crate::fhir_measures::{base, ctx, get};
use crate::helpers::{Client, Resp, TestApp};
use bothy_domain::ApiClientId;
use bothy_domain::role::ApiPermission;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

both_dbs!(
    rs384_and_es384_assertions_get_tokens_that_work_on_fhir,
    bad_assertions_are_refused_with_oauth_errors,
    keys_are_checked_when_registered_and_the_endpoint_is_advertised,
);

pub(crate) const TOKEN_PATH: &str = "/fhir/token";

fn keys() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fhir/smart")
}

/// The test keys: `rs384`, `es384`, or `other-rs384` (never registered).
pub(crate) fn signing_key(name: &str) -> (Algorithm, EncodingKey) {
    let der = std::fs::read(keys().join(format!("{name}-private.der"))).unwrap();
    if name.contains("es384") {
        (Algorithm::ES384, EncodingKey::from_ec_der(&der))
    } else {
        (Algorithm::RS384, EncodingKey::from_rsa_der(&der))
    }
}

pub(crate) fn jwk(name: &str) -> String {
    std::fs::read_to_string(keys().join(format!("{name}.jwk.json"))).unwrap()
}

/// A client of the demo service holding `perms`, with both test keys registered.
pub(crate) async fn smart_client(t: &TestApp, name: &str, perms: &[ApiPermission]) -> ApiClientId {
    let demo = t.app.admin().service_by_slug("demo").await.unwrap().id;
    smart_client_of(t, demo, name, perms).await
}

pub(crate) async fn smart_client_of(
    t: &TestApp,
    service: bothy_domain::ServiceId,
    name: &str,
    perms: &[ApiPermission],
) -> ApiClientId {
    let c = t
        .app
        .admin()
        .register_api_client(service, name, perms, &ctx())
        .await
        .unwrap();
    for k in ["rs384", "es384"] {
        t.app.smart().add_key(c.id, &jwk(k), &ctx()).await.unwrap();
    }
    c.id
}

/// An assertion for `client`, signed with `key` under `kid`, with `claims`
/// changed as given.
pub(crate) fn assertion(t: &TestApp, client: &str, key: &str, kid: &str, change: Value) -> String {
    let now = t.clock_secs() as i64;
    let mut claims = json!({
        "iss": client,
        "sub": client,
        "aud": format!("{}/token", base()),
        "exp": now + 240,
        "jti": format!("{}", bothy_domain::PatientId::random()),
    });
    for (k, v) in change.as_object().unwrap() {
        claims[k] = v.clone();
    }
    let (alg, enc) = signing_key(key);
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(&header, &claims, &enc).unwrap()
}

pub(crate) async fn request_token(c: &Client, assertion: &str, scope: &str) -> Resp {
    let body = serde_urlencoded::to_string([
        ("grant_type", "client_credentials"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
        ("scope", scope),
    ])
    .unwrap();
    c.post_raw(
        TOKEN_PATH,
        "application/x-www-form-urlencoded",
        body.into_bytes(),
    )
    .await
}

/// A SMART access token for `client`, as an Authorization header.
pub(crate) async fn smart_token(t: &TestApp, client: ApiClientId, scope: &str) -> String {
    let a = assertion(t, &client.to_string(), "es384", "es384-test", json!({}));
    let r = request_token(&t.client(), &a, scope).await.ok().json();
    format!("Bearer {}", r["access_token"].as_str().unwrap())
}

#[track_caller]
fn refused(r: &Resp, status: u16, error: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.json()["error"], error, "{}", r.body);
    assert!(r.json()["error_description"].is_string());
}

async fn rs384_and_es384_assertions_get_tokens_that_work_on_fhir(t: TestApp) {
    let c = t.client();
    let id = smart_client(&t, "Platform", &[ApiPermission::PatientRead]).await;
    for (key, kid) in [("rs384", "rs384-test"), ("es384", "es384-test")] {
        let a = assertion(&t, &id.to_string(), key, kid, json!({}));
        let r = request_token(&c, &a, "system/*.read").await.ok();
        assert_eq!(
            r.headers.get("cache-control").unwrap().to_str().unwrap(),
            "no-store"
        );
        let v = r.json();
        assert_eq!(v["token_type"], "bearer");
        assert_eq!(v["expires_in"], 300);
        assert_eq!(v["scope"], "system/*.read");
        let auth = format!("Bearer {}", v["access_token"].as_str().unwrap());
        get(&c, "/fhir/Patient?_count=1", &auth).await.ok();
        // A lower-case scheme is accepted as for static tokens.
        get(
            &c,
            "/fhir/Patient?_count=1",
            &auth.replace("Bearer", "bearer"),
        )
        .await
        .ok();
        // Five minutes later it no longer works.
        t.clock.advance(Duration::from_secs(301));
        get(&c, "/fhir/Patient?_count=1", &auth).await.status(401);
    }
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM audit_events WHERE action = $1",
            "api_client.token_issued"
        )
        .await,
        2
    );

    // The token carries only what its scopes grant: this client may read
    // referrals too, but asked for patients only.
    let both = smart_client(
        &t,
        "Both",
        &[ApiPermission::PatientRead, ApiPermission::ReferralRead],
    )
    .await;
    let auth = smart_token(&t, both, "system/Patient.rs").await;
    get(&c, "/fhir/Patient?_count=1", &auth).await.ok();
    get(&c, "/fhir/ServiceRequest", &auth).await.status(403);
    let auth = smart_token(&t, both, "system/*.read").await;
    get(&c, "/fhir/ServiceRequest", &auth).await.ok();

    // Revoking the client ends its tokens at once.
    t.app.admin().revoke_api_client(both, &ctx()).await.unwrap();
    get(&c, "/fhir/Patient?_count=1", &auth).await.status(401);
    t.finish().await;
}

async fn bad_assertions_are_refused_with_oauth_errors(t: TestApp) {
    let c = t.client();
    let id = smart_client(&t, "Platform", &[ApiPermission::PatientRead]).await;
    let me = id.to_string();
    let now = t.clock_secs() as i64;
    let scope = "system/*.read";

    // Signed by a key that is not the client's, under its key's kid.
    let a = assertion(&t, &me, "other-rs384", "rs384-test", json!({}));
    refused(&request_token(&c, &a, scope).await, 401, "invalid_client");
    // A kid never registered.
    let a = assertion(&t, &me, "rs384", "no-such-kid", json!({}));
    refused(&request_token(&c, &a, scope).await, 401, "invalid_client");
    // Signed ES384 under the RS384 key's kid.
    let a = assertion(&t, &me, "es384", "rs384-test", json!({}));
    refused(&request_token(&c, &a, scope).await, 401, "invalid_client");
    // Expired, or valid for longer than five minutes.
    let a = assertion(&t, &me, "rs384", "rs384-test", json!({"exp": now - 1}));
    refused(&request_token(&c, &a, scope).await, 401, "invalid_client");
    let a = assertion(&t, &me, "rs384", "rs384-test", json!({"exp": now + 600}));
    refused(&request_token(&c, &a, scope).await, 401, "invalid_client");
    // For another server's token endpoint.
    let a = assertion(
        &t,
        &me,
        "rs384",
        "rs384-test",
        json!({"aud": "https://elsewhere.example/token"}),
    );
    refused(&request_token(&c, &a, scope).await, 401, "invalid_client");
    // iss and sub disagree.
    let a = assertion(&t, &me, "rs384", "rs384-test", json!({"sub": "someone"}));
    refused(&request_token(&c, &a, scope).await, 401, "invalid_client");
    // A client nobody registered.
    let stranger = ApiClientId::random().to_string();
    let a = assertion(&t, &stranger, "rs384", "rs384-test", json!({}));
    refused(&request_token(&c, &a, scope).await, 401, "invalid_client");
    // Used twice: the second time is refused.
    let a = assertion(&t, &me, "rs384", "rs384-test", json!({"jti": "once"}));
    request_token(&c, &a, scope).await.ok();
    refused(&request_token(&c, &a, scope).await, 401, "invalid_client");
    // The same jti again after the first assertion expired and was
    // cleaned away is a new assertion.
    t.clock.advance(Duration::from_secs(300));
    t.app.jobs().housekeep().await.unwrap();
    let a = assertion(&t, &me, "rs384", "rs384-test", json!({"jti": "once"}));
    request_token(&c, &a, scope).await.ok();

    // Scopes beyond the client's permissions, or not Bothy's.
    for s in [
        "system/ServiceRequest.read",
        "system/QuestionnaireResponse.write",
        "system/Patient.read system/ServiceRequest.read",
        "patient/*.read",
        "system/Encounter.read",
        "",
    ] {
        let a = assertion(&t, &me, "rs384", "rs384-test", json!({}));
        refused(&request_token(&c, &a, s).await, 400, "invalid_scope");
    }
    // A client holding no read permission gets nothing for system/*.read.
    let writer = smart_client(&t, "Kiosk", &[ApiPermission::MeasuresWrite]).await;
    let a = assertion(&t, &writer.to_string(), "rs384", "rs384-test", json!({}));
    refused(&request_token(&c, &a, scope).await, 400, "invalid_scope");

    // Malformed requests.
    let a = assertion(&t, &me, "rs384", "rs384-test", json!({}));
    let form = |pairs: &[(&str, &str)]| serde_urlencoded::to_string(pairs).unwrap().into_bytes();
    let r = c
        .post_raw(
            TOKEN_PATH,
            "application/x-www-form-urlencoded",
            form(&[
                ("grant_type", "authorization_code"),
                ("client_assertion", &a),
            ]),
        )
        .await;
    refused(&r, 400, "unsupported_grant_type");
    let r = c
        .post_raw(
            TOKEN_PATH,
            "application/x-www-form-urlencoded",
            form(&[("grant_type", "client_credentials"), ("scope", scope)]),
        )
        .await;
    refused(&r, 400, "invalid_request");
    let r = c
        .post_raw(
            TOKEN_PATH,
            "application/x-www-form-urlencoded",
            form(&[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", "not.a.jwt"),
                ("scope", scope),
            ]),
        )
        .await;
    refused(&r, 401, "invalid_client");
    t.finish().await;
}

async fn keys_are_checked_when_registered_and_the_endpoint_is_advertised(t: TestApp) {
    let id = smart_client(&t, "Platform", &[ApiPermission::PatientRead]).await;
    // The same kid twice is a conflict.
    let again = t.app.smart().add_key(id, &jwk("rs384"), &ctx()).await;
    assert!(
        matches!(again, Err(bothy_app::AppError::Conflict(_))),
        "{again:?}"
    );
    // A private key, a key without a kid, an RS256-only key, a P-256 key.
    let mut private: Value = serde_json::from_str(&jwk("es384")).unwrap();
    private["d"] = json!("c2VjcmV0");
    private["kid"] = json!("private");
    let mut no_kid: Value = serde_json::from_str(&jwk("es384")).unwrap();
    no_kid.as_object_mut().unwrap().remove("kid");
    let mut rs256: Value = serde_json::from_str(&jwk("rs384")).unwrap();
    rs256["alg"] = json!("RS256");
    rs256["kid"] = json!("rs256");
    let mut p256: Value = serde_json::from_str(&jwk("es384")).unwrap();
    p256["crv"] = json!("P-256");
    p256["kid"] = json!("p256");
    for bad in [private, no_kid, rs256, p256] {
        let r = t.app.smart().add_key(id, &bad.to_string(), &ctx()).await;
        assert!(
            matches!(r, Err(bothy_app::AppError::Invalid(_))),
            "{bad}: {r:?}"
        );
    }
    // A key set registers each of its keys.
    let fresh = t
        .app
        .admin()
        .register_api_client(
            t.app.admin().service_by_slug("demo").await.unwrap().id,
            "Set",
            &[ApiPermission::PatientRead],
            &ctx(),
        )
        .await
        .unwrap();
    let set = json!({"keys": [
        serde_json::from_str::<Value>(&jwk("rs384")).unwrap(),
        serde_json::from_str::<Value>(&jwk("es384")).unwrap(),
    ]});
    let kids = t
        .app
        .smart()
        .add_key(fresh.id, &set.to_string(), &ctx())
        .await
        .unwrap();
    assert_eq!(kids, ["rs384-test", "es384-test"]);

    // Discovery, at the root and under the FHIR base, and the CapabilityStatement.
    let c = t.client();
    for path in [
        "/.well-known/smart-configuration",
        "/fhir/.well-known/smart-configuration",
    ] {
        let v = c.get(path).await.ok().json();
        assert_eq!(v["token_endpoint"], format!("{}/token", base()));
        assert_eq!(v["grant_types_supported"], json!(["client_credentials"]));
        assert_eq!(
            v["token_endpoint_auth_methods_supported"],
            json!(["private_key_jwt"])
        );
        assert_eq!(
            v["token_endpoint_auth_signing_alg_values_supported"],
            json!(["RS384", "ES384"])
        );
        assert!(
            v["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("system/*.read"))
        );
    }
    let cs = c.get("/fhir/metadata").await.ok().json();
    let security = &cs["rest"][0]["security"];
    assert_eq!(
        security["extension"][0]["extension"][0],
        json!({"url": "token", "valueUri": format!("{}/token", base())})
    );
    assert_eq!(cs["rest"][0]["operation"][0]["name"], "export");
    t.finish().await;
}
