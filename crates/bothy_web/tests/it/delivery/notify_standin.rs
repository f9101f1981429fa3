//! A stand-in for GOV.UK Notify on 127.0.0.1, for the contract tests: it
//! answers `POST /v2/notifications/sms` and `/email` as Notify's REST API
//! documentation says (<https://docs.notifications.service.gov.uk/rest-api.html>),
//! and checks what Notify checks:
//! - the `Authorization: Bearer` token: HS256 with the secret key, `iss`
//!   the service id, `iat` within 30 seconds of its clock (403 `AuthError`;
//!   401 without a bearer token at all);
//! - the body: JSON, only the documented fields, the template known and of
//!   the request's kind, a plausible UK mobile number or email address,
//!   `personalisation` an object of strings holding every placeholder of
//!   the template, `reference` a string (400 `BadRequestError` or
//!   `ValidationError`).
//!
//! It can be told to answer 429 (`RateLimitError`, with or without
//! `Retry-After`) or 500 the next few times, and records every request.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bothy_app::Clock;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

pub const SERVICE_ID: &str = "26785a09-ab16-4eb0-8407-a37497a57506";
pub const SECRET: &str = "3d844edf-8d35-48ac-975b-e847b4f122b0";
pub const SMS_TEMPLATE: &str = "f33517ff-2a88-4f6e-b855-c550268ce08a";
pub const EMAIL_TEMPLATE: &str = "217a419e-6a7d-482a-9596-718b889dffce";

/// The API key the stand-in accepts.
pub fn api_key() -> String {
    format!("bothy-test-key-{SERVICE_ID}-{SECRET}")
}

/// An answer the stand-in gives instead of checking a request.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// 429 RateLimitError, with `Retry-After` in seconds if given.
    RateLimit(Option<u64>),
    /// 500, as Notify answers an exception.
    ServerError,
}

/// One request, as received, and the status it was answered with.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub status: u16,
    pub body: Value,
    /// The verified token's claims (None when the token was refused).
    pub claims: Option<Value>,
    pub answer: Value,
}

struct Inner {
    clock: Arc<dyn Clock>,
    faults: VecDeque<Fault>,
    seen: Vec<Seen>,
    base_url: String,
}

#[derive(Clone)]
pub struct StandIn(Arc<Mutex<Inner>>);

impl StandIn {
    /// Starts a stand-in on a free port of 127.0.0.1, on the test's runtime.
    pub async fn start(clock: Arc<dyn Clock>) -> StandIn {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let standin = StandIn(Arc::new(Mutex::new(Inner {
            clock,
            faults: VecDeque::new(),
            seen: Vec::new(),
            base_url,
        })));
        let router = Router::new()
            .route("/v2/notifications/sms", post(sms))
            .route("/v2/notifications/email", post(email))
            .with_state(standin.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        standin
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn base_url(&self) -> String {
        self.inner().base_url.clone()
    }

    /// The next requests get these answers, one each, before any check.
    pub fn fail_next(&self, faults: &[Fault]) {
        self.inner().faults.extend(faults.iter().copied());
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.inner().seen.clone()
    }

    /// The requests accepted (201).
    pub fn accepted(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.status == 201)
            .collect()
    }
}

async fn sms(State(s): State<StandIn>, headers: HeaderMap, body: Bytes) -> Response {
    s.answer(Kind::Sms, &headers, &body)
}

async fn email(State(s): State<StandIn>, headers: HeaderMap, body: Bytes) -> Response {
    s.answer(Kind::Email, &headers, &body)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Sms,
    Email,
}

/// Notify's error body.
fn error(status: StatusCode, class: &str, message: &str) -> (StatusCode, Value) {
    (
        status,
        json!({ "status_code": status.as_u16(), "errors": [{ "error": class, "message": message }] }),
    )
}

impl StandIn {
    fn answer(&self, kind: Kind, headers: &HeaderMap, body: &[u8]) -> Response {
        let mut inner = self.inner();
        let path = match kind {
            Kind::Sms => "/v2/notifications/sms",
            Kind::Email => "/v2/notifications/email",
        };
        let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let now = inner.clock.now().as_second();
        let claims = verify(headers, now);
        let (status, answer, retry_after) = match (inner.faults.pop_front(), &claims) {
            (Some(Fault::RateLimit(after)), _) => {
                let (s, a) = error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "RateLimitError",
                    "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
                );
                (s, a, after)
            }
            (Some(Fault::ServerError), _) => {
                let (s, a) = error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Exception",
                    "Internal server error",
                );
                (s, a, None)
            }
            (None, Err((s, a))) => (*s, a.clone(), None),
            (None, Ok(_)) => match check_body(kind, &request) {
                Err((s, a)) => (s, a, None),
                Ok(()) => (
                    StatusCode::CREATED,
                    created(kind, &request, &inner.base_url),
                    None,
                ),
            },
        };
        inner.seen.push(Seen {
            path: path.into(),
            status: status.as_u16(),
            body: request,
            claims: claims.ok(),
            answer: answer.clone(),
        });
        let mut response = (status, axum::Json(answer)).into_response();
        if let Some(after) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, after.to_string().parse().unwrap());
        }
        response
    }
}

/// The token's claims, or Notify's refusal.
fn verify(headers: &HeaderMap, now: i64) -> Result<Value, (StatusCode, Value)> {
    let auth = |m: &str| error(StatusCode::FORBIDDEN, "AuthError", m);
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "AuthError",
            "Unauthorized: authentication token must be provided",
        ));
    };
    let Some(token) = value.strip_prefix("Bearer ") else {
        return Err(auth(
            "Unauthorized: authentication bearer scheme must be used",
        ));
    };
    let claims = bothy_domain::jwt::verify_hs256(token, SECRET.as_bytes())
        .map_err(|_| auth("Invalid token: API key not found"))?;
    if claims["iss"] != SERVICE_ID {
        return Err(auth("Invalid token: service not found"));
    }
    let Some(iat) = claims["iat"].as_i64() else {
        return Err(auth("Invalid token: missing iat"));
    };
    if (iat - now).abs() > 30 {
        return Err(auth(
            "Error: Your system clock must be accurate to within 30 seconds",
        ));
    }
    Ok(claims)
}

fn check_body(kind: Kind, body: &Value) -> Result<(), (StatusCode, Value)> {
    let invalid = |m: &str| error(StatusCode::BAD_REQUEST, "ValidationError", m);
    let bad = |m: &str| error(StatusCode::BAD_REQUEST, "BadRequestError", m);
    let Some(fields) = body.as_object() else {
        return Err(bad("Invalid JSON supplied in POST data"));
    };
    let (to_field, optional, template, placeholders) = match kind {
        Kind::Sms => ("phone_number", "sms_sender_id", SMS_TEMPLATE, &["body"][..]),
        Kind::Email => (
            "email_address",
            "email_reply_to_id",
            EMAIL_TEMPLATE,
            &["subject", "body"][..],
        ),
    };
    let allowed = [
        to_field,
        "template_id",
        "personalisation",
        "reference",
        optional,
    ];
    if let Some(extra) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(invalid(&format!(
            "Additional properties are not allowed ({extra} was unexpected)"
        )));
    }
    for required in [to_field, "template_id"] {
        if !fields.get(required).is_some_and(Value::is_string) {
            return Err(invalid(&format!("{required} is a required property")));
        }
    }
    let to = fields[to_field].as_str().unwrap_or_default();
    let plausible = match kind {
        Kind::Sms => {
            let digits: String = to.chars().filter(|c| !c.is_whitespace()).collect();
            let national = digits
                .strip_prefix("+44")
                .or_else(|| digits.strip_prefix("44"))
                .map(|rest| format!("0{rest}"))
                .unwrap_or(digits);
            national.len() == 11
                && national.starts_with("07")
                && national.chars().all(|c| c.is_ascii_digit())
        }
        Kind::Email => to.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        }),
    };
    if !plausible {
        return Err(invalid(match kind {
            Kind::Sms => "phone_number Not a UK mobile number",
            Kind::Email => "email_address Not a valid email address",
        }));
    }
    if fields["template_id"] != template {
        return Err(bad("Template not found"));
    }
    if let Some(reference) = fields.get("reference")
        && reference.as_str().is_none_or(|r| r.len() > 1000)
    {
        return Err(invalid(
            "reference is not a string of at most 1000 characters",
        ));
    }
    let personalisation = fields.get("personalisation").unwrap_or(&Value::Null);
    let Some(values) = personalisation.as_object() else {
        return Err(invalid("personalisation is not of type object"));
    };
    if values.values().any(|v| !v.is_string()) {
        return Err(invalid("personalisation values must be strings"));
    }
    if let Some(missing) = placeholders.iter().find(|p| !values.contains_key(**p)) {
        return Err(bad(&format!("Missing personalisation: {missing}")));
    }
    Ok(())
}

/// The 201 answer: the message as the template renders it.
fn created(kind: Kind, body: &Value, base: &str) -> Value {
    let id = uuid_like();
    let p = &body["personalisation"];
    let (template, content) = match kind {
        Kind::Sms => (
            SMS_TEMPLATE,
            json!({ "body": p["body"], "from_number": "BOTHY" }),
        ),
        Kind::Email => (
            EMAIL_TEMPLATE,
            json!({ "body": p["body"], "subject": p["subject"], "from_email": "bothy@notifications.service.gov.uk" }),
        ),
    };
    json!({
        "id": id,
        "reference": body.get("reference").cloned().unwrap_or(Value::Null),
        "content": content,
        "uri": format!("{base}/v2/notifications/{id}"),
        "template": {
            "id": template,
            "version": 1,
            "uri": format!("{base}/v2/template/{template}/version/1"),
        },
    })
}

fn uuid_like() -> String {
    bothy_domain::ServiceId::random().to_string()
}
