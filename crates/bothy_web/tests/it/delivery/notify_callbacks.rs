//! GOV.UK Notify's callbacks: a delivery receipt sets the status of the
//! message Bothy sent (found by its reference, our key), a received text goes
//! to the inbound text use case; without the service's callback token
//! nothing is read or recorded.

use super::notify::{GAD7_LOW, PHQ9_LOW, receipt_key, someone, standin_and_worker};
use crate::both_dbs;
use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bothy_testkit::Client;
use bothy_web::WebSettings;
use serde_json::{Value, json};

both_dbs!(
    delivery_receipts_set_the_status_of_the_message_sent,
    a_received_text_is_handled_as_every_inbound_text,
    callbacks_without_the_token_or_the_shape_are_refused_and_record_nothing,
);

const TOKEN: &str = "demo-notify-callback-token";

/// The web edge with the demo service's callback token configured.
async fn edge(t: &TestApp) -> Client {
    let demo = t.app.admin().service_by_slug("demo").await.unwrap().id;
    t.client_of(bothy_web::router(
        t.app.clone(),
        WebSettings {
            notify_callbacks: vec![(demo, TOKEN.into())],
            ..WebSettings::default()
        },
    ))
}

async fn post(c: &Client, path: &str, auth: Option<&str>, body: &str) -> bothy_testkit::Resp {
    let mut req = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(a) = auth {
        req = req.header(header::AUTHORIZATION, a);
    }
    c.send(req.body(Body::from(body.to_string())).unwrap())
        .await
}

fn receipt(reference: &str, status: &str) -> Value {
    json!({
        "id": "740e5834-3a29-46b4-9a6f-16142fde533a",
        "reference": reference,
        "to": "+447700900123",
        "status": status,
        "created_at": "2026-11-17T10:00:00.000000Z",
        "completed_at": "2026-11-17T10:00:05.000000Z",
        "sent_at": "2026-11-17T10:00:01.000000Z",
        "notification_type": "sms",
    })
}

/// The stored delivery status of the message sent with `key`.
async fn status_of(t: &TestApp, key: &str) -> &'static str {
    let counts = [
        (
            "sent",
            "SELECT COUNT(*) FROM message_sends WHERE idempotency_key = $1 AND status = 'sent'",
        ),
        (
            "delivered",
            "SELECT COUNT(*) FROM message_sends WHERE idempotency_key = $1 AND status = 'delivered'",
        ),
        (
            "failed",
            "SELECT COUNT(*) FROM message_sends WHERE idempotency_key = $1 AND status = 'failed'",
        ),
    ];
    for (status, sql) in counts {
        if t.count(sql, key).await == 1 {
            return status;
        }
    }
    "none"
}

async fn delivery_receipts_set_the_status_of_the_message_sent(t: TestApp) {
    let (_standin, worker) = standin_and_worker(&t).await;
    let delivered = t
        .fixtures()
        .self_referral(&someone(&t, "delivered", "sms"), &PHQ9_LOW, &GAD7_LOW)
        .await;
    let failed = t
        .fixtures()
        .self_referral(&someone(&t, "failed", "email"), &PHQ9_LOW, &GAD7_LOW)
        .await;
    bothy_jobs::run_once(&worker).await.unwrap();
    let (k1, k2) = (receipt_key(&delivered), receipt_key(&failed));
    assert_eq!(status_of(&t, &k1).await, "sent");
    let c = edge(&t).await;
    let bearer = format!("Bearer {TOKEN}");
    let r = post(
        &c,
        "/api/notify/callbacks/status",
        Some(&bearer),
        &receipt(&k1, "delivered").to_string(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let mut email = receipt(&k2, "permanent-failure");
    email["notification_type"] = "email".into();
    email["to"] = "someone@example.org".into();
    email["sent_at"] = Value::Null;
    let r = post(
        &c,
        "/api/notify/callbacks/status",
        Some(&bearer),
        &email.to_string(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(status_of(&t, &k1).await, "delivered");
    assert_eq!(status_of(&t, &k2).await, "failed");
    // Notify sends a receipt again when it got no answer: nothing changes.
    let r = post(
        &c,
        "/api/notify/callbacks/status",
        Some(&bearer),
        &receipt(&k1, "delivered").to_string(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(status_of(&t, &k1).await, "delivered");
    // A notification sent from Notify's own pages has no reference: ignored.
    let mut theirs = receipt(&k1, "delivered");
    theirs["reference"] = Value::Null;
    let r = post(
        &c,
        "/api/notify/callbacks/status",
        Some(&bearer),
        &theirs.to_string(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    worker.store().close().await;
}

async fn a_received_text_is_handled_as_every_inbound_text(t: TestApp) {
    let c = edge(&t).await;
    let text = |id: &str, message: &str| {
        json!({
            "id": id,
            "source_number": "447700900123",
            "destination_number": "07700900000",
            "message": message,
            "date_received": "2026-11-17T10:00:00.000000Z",
        })
        .to_string()
    };
    let bearer = format!("Bearer {TOKEN}");
    let r = post(
        &c,
        "/api/notify/callbacks/inbound-sms",
        Some(&bearer),
        &text("0f0e8a5c-6c57-4b53-9a4f-000000000001", "STOP"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM sms_opt_outs WHERE phone = $1",
            "+447700900123"
        )
        .await,
        1
    );
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM sms_inbound WHERE gateway_id = $1",
            "notify:0f0e8a5c-6c57-4b53-9a4f-000000000001"
        )
        .await,
        1
    );
    // The same text again (Notify retries a callback): handled once.
    let r = post(
        &c,
        "/api/notify/callbacks/inbound-sms",
        Some(&bearer),
        &text("0f0e8a5c-6c57-4b53-9a4f-000000000001", "STOP"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM sms_inbound WHERE gateway_id LIKE $1",
            "notify:%"
        )
        .await,
        1
    );
}

async fn callbacks_without_the_token_or_the_shape_are_refused_and_record_nothing(t: TestApp) {
    let (_standin, worker) = standin_and_worker(&t).await;
    let referral = t
        .fixtures()
        .self_referral(&someone(&t, "guarded", "sms"), &PHQ9_LOW, &GAD7_LOW)
        .await;
    bothy_jobs::run_once(&worker).await.unwrap();
    let key = receipt_key(&referral);
    let good = receipt(&key, "delivered").to_string();
    let inbound = json!({
        "id": "0f0e8a5c-6c57-4b53-9a4f-000000000002",
        "source_number": "447700900123",
        "destination_number": "07700900000",
        "message": "STOP",
        "date_received": "2026-11-17T10:00:00.000000Z",
    })
    .to_string();
    let c = edge(&t).await;
    let basic = format!("Basic {}", STANDARD.encode(format!("notify:{TOKEN}")));
    for auth in [
        None,
        Some("Bearer wrong-token-entirely"),
        Some(basic.as_str()),
        Some(TOKEN),
    ] {
        for (path, body) in [
            ("/api/notify/callbacks/status", &good),
            ("/api/notify/callbacks/inbound-sms", &inbound),
        ] {
            let r = post(&c, path, auth, body).await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{path} {auth:?}: {}",
                r.body
            );
            assert_eq!(r.json()["error"]["status"], 401);
        }
    }
    // Without any token configured, the right one is refused too.
    let plain = t.client();
    let r = post(
        &plain,
        "/api/notify/callbacks/status",
        Some(&format!("Bearer {TOKEN}")),
        &good,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(&t, &key).await, "sent");
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM sms_opt_outs WHERE phone = $1",
            "+447700900123"
        )
        .await,
        0
    );
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM sms_inbound WHERE gateway_id LIKE $1",
            "notify:%"
        )
        .await,
        0
    );

    // With the token: a body not of the documented shape is a 400 that says why.
    let bearer = format!("Bearer {TOKEN}");
    let mut unknown_status = receipt(&key, "delivered");
    unknown_status["status"] = "lost".into();
    let mut no_time = receipt(&key, "delivered");
    no_time["created_at"] = "yesterday".into();
    let mut not_a_key = receipt(&key, "delivered");
    not_a_key["reference"] = "../../etc/passwd".into();
    let mut missing = receipt(&key, "delivered");
    missing.as_object_mut().unwrap().remove("to");
    for (body, says) in [
        ("{".to_string(), "not a callback"),
        ("[]".to_string(), "not a callback"),
        (missing.to_string(), "missing field `to`"),
        (unknown_status.to_string(), "status is not delivered"),
        (no_time.to_string(), "created_at is not a time"),
        (not_a_key.to_string(), "reference is not the key"),
    ] {
        let r = post(&c, "/api/notify/callbacks/status", Some(&bearer), &body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
        assert!(r.body.contains(says), "{body}: {}", r.body);
    }
    let r = post(
        &c,
        "/api/notify/callbacks/inbound-sms",
        Some(&bearer),
        "{\"id\": 1}",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    // Larger than any callback.
    let big = format!("{{\"message\": \"{}\"}}", "x".repeat(20_000));
    let r = post(&c, "/api/notify/callbacks/inbound-sms", Some(&bearer), &big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(status_of(&t, &key).await, "sent");
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM sms_inbound WHERE gateway_id LIKE $1",
            "notify:%"
        )
        .await,
        0
    );
    worker.store().close().await;
}

both_dbs!(a_reply_to_a_text_goes_back_by_notify);

/// Two-way texts of a service that texts by Notify: the person's text
/// arrives by Notify's callback and the answer leaves by Notify.
async fn a_reply_to_a_text_goes_back_by_notify(t: TestApp) {
    let (standin, worker) = standin_and_worker(&t).await;
    // Email first (the fixture activates the account from the test outbox),
    // text messages agreed too.
    let p = someone(&t, "two-way", "both");
    t.fixtures().patient(&p).await;
    bothy_jobs::run_once(&worker).await.unwrap();
    let before = standin.accepted().len();
    let outbox = t.outbox.sent().len();
    let c = edge(&t).await;
    let r = post(
        &c,
        "/api/notify/callbacks/inbound-sms",
        Some(&format!("Bearer {TOKEN}")),
        &json!({
            "id": "0f0e8a5c-6c57-4b53-9a4f-000000000003",
            "source_number": "447700900123",
            "destination_number": "07700900000",
            "message": "HELP",
            "date_received": "2026-11-17T10:00:00.000000Z",
        })
        .to_string(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    bothy_jobs::run_once(&worker).await.unwrap();
    let accepted = standin.accepted();
    assert_eq!(accepted.len(), before + 1, "{accepted:#?}");
    let help = accepted.last().unwrap();
    assert_eq!(help.path, "/v2/notifications/sms");
    assert_eq!(help.body["phone_number"], "+447700900123");
    assert!(
        help.body["reference"].as_str().unwrap().starts_with("sms."),
        "{:?}",
        help.body
    );
    assert_eq!(t.outbox.sent().len(), outbox, "nothing went another way");
    worker.store().close().await;
}
