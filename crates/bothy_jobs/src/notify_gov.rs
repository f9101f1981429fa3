//! GOV.UK Notify for text messages and email, for the services of a
//! deployment that use it (many NHS bodies do; charities cannot).
//!
//! What Notify documents, and what this follows (REST API documentation,
//! <https://docs.notifications.service.gov.uk/rest-api.html>, and the Python
//! client's `authentication.py`, the reference implementation):
//! - The API key is `{key_name}-{service_id}-{secret_key}`, both ids UUIDs
//!   of 36 characters; the name may hold dashes, so the key is read from the
//!   right (the Python client takes `key[-36:]` and `key[-73:-37]`).
//! - Every request carries `Authorization: Bearer {JWT}`: header
//!   `{"typ":"JWT","alg":"HS256"}`, claims `iss` (the service id) and `iat`
//!   (now, in epoch seconds), signed with the secret key's text. Notify
//!   refuses a token whose `iat` is more than 30 seconds from its clock, so
//!   a token is made for each request.
//! - `POST /v2/notifications/sms` with `phone_number`, `template_id`,
//!   `personalisation`, `reference` and optionally `sms_sender_id`;
//!   `POST /v2/notifications/email` with `email_address` in place of the
//!   number and optionally `email_reply_to_id`. 201 answers `id`,
//!   `reference`, `content`, `uri` and `template`.
//! - Errors are `{"status_code": n, "errors": [{"error", "message"}]}`: 400
//!   `BadRequestError` or `ValidationError`, 403 `AuthError`, 429
//!   `RateLimitError` (per minute) or `TooManyRequestsError` (the daily
//!   limit), 500 `Exception`.
//!
//! How Bothy uses it: the service's administrator makes one text message
//! template whose whole content is `((body))` and one email template with
//! subject `((subject))` and content `((body))`, and puts their ids in the
//! configuration (`notify.services.{short name}`). Bothy renders every
//! message itself (fixed, content-free text: `bothy_app::notify`) and sends
//! the rendered text as personalisation, so Notify's templates never need
//! to change when Bothy's wording does. The job's idempotency key is the
//! `reference`, so that delivery receipts map back to the message.
//!
//! Notify does not de-duplicate: a request it accepted and whose answer
//! never arrived (a time-out, a dropped connection, a worker killed) is
//! retried and sent again. The window is the request's time in flight plus
//! the commit of its record (`message_sends`); see
//! docs/decisions-channels.md.
//!
//! Errors are sorted for the queue: 429 waits for `Retry-After` when Notify
//! gives one, else the queue's back-off; 5xx, a refused connection and a
//! time-out are temporary; any other answer (400, 403) is permanent, and a
//! 403 is logged as a configuration problem. Nothing logged or stored holds
//! the key, the token, the recipient or the message.

use bothy_app::Clock;
use bothy_app::notify::{Channel, Delivery, Notifier, OutgoingMessage, SendError, SendFuture};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Notify's API.
pub const DEFAULT_BASE_URL: &str = "https://api.notifications.service.gov.uk";

/// The largest answer read from Notify; a notification's answer is well
/// under 4 KB.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// A Notify API key, read from the right. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    name: String,
    service_id: String,
    secret: String,
}

impl ApiKey {
    /// The key as Notify shows it: `{name}-{service id}-{secret}`.
    /// The error never quotes the key.
    pub fn parse(key: &str) -> Result<Self, String> {
        const SHAPE: &str = "is not a GOV.UK Notify API key \
            ({key name}-{service id}-{secret key}, the two ids of 36 characters each)";
        let key = key.trim();
        let uuid_at = |end: usize| {
            end.checked_sub(36)
                .and_then(|start| key.get(start..end))
                .filter(|s| is_uuid(s))
        };
        let secret = uuid_at(key.len());
        let service_end = key.len().checked_sub(37);
        let service = service_end.and_then(uuid_at);
        let name_end = key.len().checked_sub(74);
        match (secret, service, name_end) {
            (Some(secret), Some(service), Some(name_end))
                if key.as_bytes()[key.len() - 37] == b'-'
                    && key.as_bytes()[name_end] == b'-'
                    && name_end > 0 =>
            {
                Ok(Self {
                    name: key[..name_end].to_string(),
                    service_id: service.to_string(),
                    secret: secret.to_string(),
                })
            }
            _ => Err(SHAPE.into()),
        }
    }

    /// The key's name, as chosen in Notify.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Notify service's id: the token's issuer.
    pub fn service_id(&self) -> &str {
        &self.service_id
    }

    /// The secret that signs tokens.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// A token issued at `iat` (epoch seconds).
    pub fn token(&self, iat: i64) -> String {
        bothy_domain::jwt::sign_hs256(
            &serde_json::json!({ "iss": self.service_id, "iat": iat }),
            self.secret.as_bytes(),
        )
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("name", &self.name)
            .field("service_id", &self.service_id)
            .field("secret", &"***")
            .finish()
    }
}

/// A UUID as Notify writes them: 8-4-4-4-12 hexadecimal digits.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Checks a base URL: HTTPS, or plain HTTP to this machine only (a
/// stand-in for tests); no path, query or credentials.
pub fn check_base_url(url: &str) -> Result<(), String> {
    let uri: hyper::Uri = url.parse().map_err(|_| format!("{url:?} is not a URL"))?;
    let host = uri.host().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback());
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if loopback => {}
        Some("http") => {
            return Err(format!(
                "{url:?} must use https:// (plain http only to this machine)"
            ));
        }
        _ => return Err(format!("{url:?} must start with https://")),
    }
    if host.is_empty() || url.contains('@') || uri.query().is_some() || uri.path() != "/" {
        return Err(format!(
            "{url:?} must be a bare origin such as {DEFAULT_BASE_URL}"
        ));
    }
    Ok(())
}

/// One Notify service's settings: its key, and the templates (one per
/// channel Bothy sends by it) whose content is `((body))`.
#[derive(Clone, Debug)]
pub struct NotifySettings {
    /// For logs: the Bothy service's short name.
    pub label: String,
    pub api_key: ApiKey,
    pub base_url: String,
    pub sms_template_id: Option<String>,
    pub email_template_id: Option<String>,
    pub sms_sender_id: Option<String>,
    pub email_reply_to_id: Option<String>,
    pub timeout: Duration,
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The Notify notifier for one service.
pub struct NotifyNotifier {
    client: HttpsClient,
    settings: NotifySettings,
    base: String,
    clock: Arc<dyn Clock>,
}

impl NotifyNotifier {
    /// A notifier; `clock` gives each token's `iat`.
    pub fn new(settings: NotifySettings, clock: Arc<dyn Clock>) -> Result<Self, String> {
        check_base_url(&settings.base_url)?;
        let base = settings.base_url.trim_end_matches('/').to_string();
        let schemes = hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots();
        let connector = if base.starts_with("https://") {
            schemes.https_only().enable_http1().build()
        } else {
            schemes.https_or_http().enable_http1().build()
        };
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self {
            client,
            settings,
            base,
            clock,
        })
    }

    /// The path and JSON body of the request for `message`.
    pub fn request_body(
        &self,
        message: &OutgoingMessage,
    ) -> Result<(&'static str, serde_json::Value), SendError> {
        let s = &self.settings;
        let reference = message.idempotency_key.as_str();
        match message.channel {
            Channel::Sms => {
                let template = s.sms_template_id.as_deref().ok_or_else(|| {
                    SendError::Permanent("no GOV.UK Notify text message template is set".into())
                })?;
                let mut body = serde_json::json!({
                    "phone_number": message.to,
                    "template_id": template,
                    "personalisation": { "body": message.body },
                    "reference": reference,
                });
                if let Some(sender) = &s.sms_sender_id {
                    body["sms_sender_id"] = sender.as_str().into();
                }
                Ok(("/v2/notifications/sms", body))
            }
            Channel::Email => {
                let template = s.email_template_id.as_deref().ok_or_else(|| {
                    SendError::Permanent("no GOV.UK Notify email template is set".into())
                })?;
                let mut body = serde_json::json!({
                    "email_address": message.to,
                    "template_id": template,
                    "personalisation": {
                        "subject": message.subject.clone().unwrap_or_default(),
                        "body": message.body,
                    },
                    "reference": reference,
                });
                if let Some(reply_to) = &s.email_reply_to_id {
                    body["email_reply_to_id"] = reply_to.as_str().into();
                }
                Ok(("/v2/notifications/email", body))
            }
        }
    }

    async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<(StatusCode, hyper::HeaderMap, Bytes), SendError> {
        let token = self.settings.api_key.token(self.clock.now().as_second());
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("{}{path}", self.base))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::USER_AGENT, "bothy")
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|_| SendError::Permanent("the request cannot be built".into()))?;
        let unreachable = || SendError::Temporary("GOV.UK Notify could not be reached".into());
        let answer = async {
            let response = self.client.request(request).await.map_err(|e| {
                if e.is_connect() {
                    unreachable()
                } else {
                    SendError::Temporary("the connection to GOV.UK Notify failed".into())
                }
            })?;
            let (parts, body) = response.into_parts();
            let bytes = Limited::new(body, MAX_ANSWER_BYTES)
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            Ok((parts.status, parts.headers, bytes))
        };
        tokio::time::timeout(self.settings.timeout, answer)
            .await
            .unwrap_or_else(|_| {
                Err(SendError::Temporary(
                    "GOV.UK Notify did not answer in time".into(),
                ))
            })
    }

    /// The queue's reading of an answer other than success.
    fn classify(&self, status: StatusCode, headers: &hyper::HeaderMap, body: &[u8]) -> SendError {
        let error = notify_error(body);
        let said = |what: &str| match &error {
            Some(e) => format!("{what} ({} {e})", status.as_u16()),
            None => format!("{what} ({})", status.as_u16()),
        };
        match status.as_u16() {
            429 => {
                let error = said("GOV.UK Notify asked Bothy to slow down");
                match retry_after(headers, self.clock.now()) {
                    Some(after) => SendError::Later { error, after },
                    None => SendError::Temporary(error),
                }
            }
            500..=599 => SendError::Temporary(said("GOV.UK Notify failed")),
            401 | 403 => {
                tracing::error!(
                    service = %self.settings.label,
                    key_name = %self.settings.api_key.name(),
                    status = status.as_u16(),
                    "GOV.UK Notify refused Bothy's API key: check notify.services.{}.api_key \
                     (a live or team key of the right service, not revoked) and that this \
                     machine's clock is right to within 30 seconds",
                    self.settings.label
                );
                SendError::Permanent(said("GOV.UK Notify refused the API key"))
            }
            _ => SendError::Permanent(said("GOV.UK Notify refused the message")),
        }
    }
}

/// Notify's first error, `Class: message`, at most 200 characters; None if
/// the body is not Notify's error shape.
fn notify_error(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let first = v.get("errors")?.as_array()?.first()?;
    let class = first.get("error")?.as_str()?;
    let text = match first.get("message").and_then(|m| m.as_str()) {
        Some(m) => format!("{class}: {m}"),
        None => class.to_string(),
    };
    Some(text.chars().filter(|c| !c.is_control()).take(200).collect())
}

/// `Retry-After` in seconds or as an HTTP date (RFC 9110, 10.2.3).
fn retry_after(headers: &hyper::HeaderMap, now: jiff::Timestamp) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = at.as_second().saturating_sub(now.as_second());
    Some(Duration::from_secs(u64::try_from(wait).unwrap_or(0)))
}

impl Notifier for NotifyNotifier {
    fn send<'a>(&'a self, message: &'a OutgoingMessage) -> SendFuture<'a> {
        Box::pin(async move {
            let (path, body) = self.request_body(message)?;
            let result = match self.post(path, &body).await {
                Ok((status, _, answer)) if status.is_success() => {
                    let id = serde_json::from_slice::<serde_json::Value>(&answer)
                        .ok()
                        .and_then(|v| v.get("id")?.as_str().map(str::to_string))
                        .unwrap_or_default();
                    tracing::debug!(key = %message.idempotency_key, notify_id = %id, "sent by GOV.UK Notify");
                    Ok(Delivery::Sent)
                }
                Ok((status, headers, answer)) => Err(self.classify(status, &headers, &answer)),
                Err(e) => Err(e),
            };
            result.map_err(|e| {
                // Notify's messages name fields, not values; the address is
                // taken out all the same, should one ever quote it.
                let e = match e {
                    SendError::Temporary(t) => SendError::Temporary(hide(&t, &message.to)),
                    SendError::Permanent(t) => SendError::Permanent(hide(&t, &message.to)),
                    SendError::Later { error, after } => SendError::Later {
                        error: hide(&error, &message.to),
                        after,
                    },
                };
                tracing::warn!(key = %message.idempotency_key, service = %self.settings.label, error = %e, "message not sent by GOV.UK Notify");
                e
            })
        })
    }
}

fn hide(text: &str, address: &str) -> String {
    if address.is_empty() {
        text.to_string()
    } else {
        text.replace(address, "(the recipient)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "my_test_key-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0";

    #[test]
    fn the_key_is_read_from_the_right() {
        // The example of Notify's documentation.
        let key = ApiKey::parse(KEY).unwrap();
        assert_eq!(key.name(), "my_test_key");
        assert_eq!(key.service_id(), "26785a09-ab16-4eb0-8407-a37497a57506");
        assert_eq!(key.secret(), "3d844edf-8d35-48ac-975b-e847b4f122b0");
        // A name with dashes of its own.
        let key = ApiKey::parse(&KEY.replace("my_test_key", "bothy-live-key-2")).unwrap();
        assert_eq!(key.name(), "bothy-live-key-2");
        assert_eq!(key.service_id(), "26785a09-ab16-4eb0-8407-a37497a57506");
        // Spaces around it (pasted) do not matter.
        assert!(ApiKey::parse(&format!(" {KEY}\n")).is_ok());
    }

    #[test]
    fn a_malformed_key_is_refused_without_quoting_it() {
        for bad in [
            "",
            "3d844edf-8d35-48ac-975b-e847b4f122b0",
            // No name.
            &KEY["my_test_key-".len()..],
            &format!("-{}", &KEY["my_test_key-".len()..]),
            // A secret cut short, or one character not hexadecimal.
            &KEY[..KEY.len() - 1],
            &KEY.replace("b0", "g0"),
            // The dash between the ids missing.
            &KEY.replace("a57506-3d8", "a575063d8"),
        ] {
            let e = ApiKey::parse(bad).unwrap_err();
            assert!(!e.contains("3d844edf") && !e.contains("26785a09"), "{e}");
        }
        let debug = format!("{:?}", ApiKey::parse(KEY).unwrap());
        assert!(!debug.contains("3d844edf"), "{debug}");
    }

    #[test]
    fn tokens_are_hs256_with_iss_and_iat_signed_by_the_secret() {
        let key = ApiKey::parse(KEY).unwrap();
        let token = key.token(1_568_818_578);
        let claims = bothy_domain::jwt::verify_hs256(&token, key.secret().as_bytes()).unwrap();
        assert_eq!(
            claims,
            serde_json::json!({"iss": "26785a09-ab16-4eb0-8407-a37497a57506", "iat": 1_568_818_578})
        );
    }

    #[test]
    fn base_urls_are_https_or_loopback() {
        assert!(check_base_url(DEFAULT_BASE_URL).is_ok());
        assert!(check_base_url("https://api.notifications.service.gov.uk/").is_ok());
        assert!(check_base_url("http://127.0.0.1:4010").is_ok());
        assert!(check_base_url("http://[::1]:4010").is_ok());
        assert!(check_base_url("http://localhost:4010").is_ok());
        for bad in [
            "http://api.notifications.service.gov.uk",
            "ftp://x",
            "api.notifications.service.gov.uk",
            "https://api.notifications.service.gov.uk/v2",
            "https://user:pw@api.notifications.service.gov.uk",
            "http://10.0.0.1",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_client_for_notify_itself_is_https_with_the_built_in_roots() {
        // Building the TLS configuration picks rustls' one crypto provider
        // (ring): a dependency that brought a second would panic here, in a
        // test, rather than at start-up.
        let settings = NotifySettings {
            label: "pilot".into(),
            api_key: ApiKey::parse(KEY).unwrap(),
            base_url: DEFAULT_BASE_URL.into(),
            sms_template_id: Some("f33517ff-2a88-4f6e-b855-c550268ce08a".into()),
            email_template_id: None,
            sms_sender_id: None,
            email_reply_to_id: None,
            timeout: Duration::from_secs(20),
        };
        let clock = Arc::new(bothy_app::FakeClock::at(
            "2026-12-05T10:00:00Z".parse().unwrap(),
        ));
        let notifier = NotifyNotifier::new(settings.clone(), clock.clone()).unwrap();
        assert_eq!(notifier.base, DEFAULT_BASE_URL);
        let plain = NotifySettings {
            base_url: "http://api.notifications.service.gov.uk".into(),
            ..settings
        };
        assert!(NotifyNotifier::new(plain, clock).is_err());
    }

    #[test]
    fn retry_after_is_read_in_seconds_or_as_a_date() {
        let now: jiff::Timestamp = "2026-12-05T10:00:00Z".parse().unwrap();
        let mut h = hyper::HeaderMap::new();
        assert_eq!(retry_after(&h, now), None);
        h.insert(header::RETRY_AFTER, "90".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(90)));
        h.insert(
            header::RETRY_AFTER,
            "Sat, 05 Dec 2026 10:02:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        h.insert(header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn notify_errors_are_read_from_the_documented_shape() {
        let body = br#"{"status_code": 429, "errors": [{"error": "RateLimitError", "message": "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"}]}"#;
        assert_eq!(
            notify_error(body).as_deref(),
            Some(
                "RateLimitError: Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"
            )
        );
        assert_eq!(notify_error(b"<html>"), None);
    }
}
