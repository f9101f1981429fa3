//! GOV.UK Notify's callbacks: delivery receipts for the messages Bothy sent
//! by Notify, and text messages people sent to a service's Notify number.
//!
//! Notify POSTs JSON with `Authorization: Bearer {the token the service set
//! in Notify}` (callback documentation,
//! <https://docs.notifications.service.gov.uk/rest-api.html#callbacks>):
//! - a delivery receipt: `id`, `reference` (the job's idempotency key Bothy
//!   sent), `to`, `status` (`delivered`, `permanent-failure`,
//!   `temporary-failure` or `technical-failure`), `created_at`,
//!   `completed_at`, `sent_at` and `notification_type`;
//! - a received text message: `id`, `source_number`, `destination_number`,
//!   `message` and `date_received`.
//!
//! The token names the service (each has its own, `[notify.services]`),
//! compared in constant time; a missing or unknown one is a 401 and nothing
//! is read or recorded. Bodies are at most [`MAX_BODY`] bytes and must have
//! the documented shape (400 otherwise, saying what is wrong). They live
//! under `/api/` so that no session cookie or CSRF check applies: Notify
//! holds only the bearer token.

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{ApiError, WebError};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bothy_app::credentials::token_hash;
use bothy_app::sms::{DeliveryStatus, InboundSms};
use bothy_domain::ServiceId;
use bothy_domain::time::Timestamp;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

/// The largest callback body read: a receipt is a few hundred bytes, a
/// received text message at most a few kilobytes.
pub const MAX_BODY: usize = 16 * 1024;

/// A delivery receipt, as Notify sends it. No `Debug`: it holds an address.
#[derive(Deserialize, ToSchema)]
pub struct DeliveryReceipt {
    /// Notify's id for the notification (required, as documented; unused).
    #[schema(format = "uuid")]
    #[allow(dead_code)]
    pub id: String,
    /// The reference Bothy sent: the message's idempotency key.
    pub reference: Option<String>,
    /// The recipient (required, as documented; never read, stored or logged).
    #[allow(dead_code)]
    pub to: String,
    /// `delivered`, `permanent-failure`, `temporary-failure` or `technical-failure`.
    pub status: String,
    pub created_at: String,
    pub completed_at: Option<String>,
    pub sent_at: Option<String>,
    /// `email` or `sms`.
    pub notification_type: String,
}

/// A text message received by the service's Notify number. No `Debug`: it
/// holds a number and a person's words.
#[derive(Deserialize, ToSchema)]
pub struct ReceivedText {
    /// Notify's id for the received message.
    #[schema(format = "uuid")]
    pub id: String,
    /// The sender's number, such as `447700912345`.
    pub source_number: String,
    /// The service's number (required, as documented; unused: the token
    /// names the service).
    #[allow(dead_code)]
    pub destination_number: String,
    pub message: String,
    pub date_received: String,
}

/// The service whose callback token `headers` bear; 401 otherwise. Every
/// configured token is compared, in constant time, whatever matches.
pub fn service(state: &AppState, headers: &HeaderMap) -> Result<ServiceId, WebError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .unwrap_or("");
    let given = token_hash(given);
    let mut found = None;
    for (service, token) in &state.settings.notify_callbacks {
        if bool::from(given.as_bytes().ct_eq(token_hash(token).as_bytes())) {
            found = Some(*service);
        }
    }
    found.ok_or_else(|| WebError {
        message: "Callbacks are only for GOV.UK Notify, with the service's callback token.".into(),
        ..WebError::status(StatusCode::UNAUTHORIZED)
    })
}

/// The body as `T`, or a 400 saying what is wrong with it.
pub fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, WebError> {
    if body.len() > MAX_BODY {
        return Err(WebError {
            message: format!("A callback is at most {MAX_BODY} bytes."),
            ..WebError::status(StatusCode::PAYLOAD_TOO_LARGE)
        });
    }
    serde_json::from_slice(body).map_err(|e| bad(&format!("The body is not a callback: {}", e)))
}

/// A 400 with `message`.
pub fn bad(message: &str) -> WebError {
    WebError {
        message: message.into(),
        ..WebError::status(StatusCode::BAD_REQUEST)
    }
}

/// A Notify time (`2017-05-14T12:15:30.000000Z`).
pub fn time(field: &str, value: &str) -> Result<Timestamp, WebError> {
    value.parse().map_err(|_| {
        bad(&format!(
            "{field} is not a time such as 2017-05-14T12:15:30.000000Z"
        ))
    })
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// A delivery receipt for a message Bothy sent by GOV.UK Notify: the
/// message's delivery status, found by its key (Notify's `reference`).
#[utoipa::path(
    post,
    path = "/api/notify/callbacks/status",
    tag = "api",
    request_body = DeliveryReceipt,
    security(("notify_callback" = [])),
    responses(
        (status = 204, description = "Recorded; or a notification Bothy did not send (no reference), ignored"),
        (status = 400, description = "Not a delivery receipt, or its reference is not a message key", body = ApiError),
        (status = 401, description = "Not a service's Notify callback token", body = ApiError),
        (status = 413, description = "Larger than any receipt", body = ApiError),
    )
)]
pub async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let service = service(&state, &headers)?;
    let receipt: DeliveryReceipt = parse(&body)?;
    time("created_at", &receipt.created_at)?;
    for (field, value) in [
        ("completed_at", &receipt.completed_at),
        ("sent_at", &receipt.sent_at),
    ] {
        if let Some(v) = value {
            time(field, v)?;
        }
    }
    if !matches!(
        receipt.notification_type.as_str(),
        "email" | "sms" | "letter"
    ) {
        return Err(bad("notification_type is not email, sms or letter"));
    }
    // Notify's statuses for a receipt; its 72 hours of trying are over
    // when it reports a temporary failure, so every failure is final here.
    let status = match receipt.status.as_str() {
        "delivered" => DeliveryStatus::Delivered,
        "permanent-failure" | "temporary-failure" | "technical-failure" => DeliveryStatus::Failed,
        _ => {
            return Err(bad(
                "status is not delivered, permanent-failure, temporary-failure or technical-failure",
            ));
        }
    };
    let Some(reference) = receipt.reference.filter(|r| !r.is_empty()) else {
        // Sent from Notify's own pages, not by Bothy: nothing of ours.
        tracing::debug!(service = %service, "Notify receipt without a reference; ignored");
        return Ok(no_content());
    };
    if bothy_app::jobs::IdempotencyKey::new(reference.as_str()).is_err() {
        return Err(bad("reference is not the key of a message Bothy sent"));
    }
    state.app.sms().delivery_report(&reference, status).await?;
    tracing::debug!(service = %service, key = %reference, status = status.as_str(), "Notify delivery receipt");
    Ok(no_content())
}

/// A text message a person sent to the service's Notify number: handled
/// as every inbound text is (`bothy_app::sms`).
#[utoipa::path(
    post,
    path = "/api/notify/callbacks/inbound-sms",
    tag = "api",
    request_body = ReceivedText,
    security(("notify_callback" = [])),
    responses(
        (status = 204, description = "Handled (a repeat of a text handled before changes nothing)"),
        (status = 400, description = "Not a received text message", body = ApiError),
        (status = 401, description = "Not a service's Notify callback token", body = ApiError),
        (status = 413, description = "Larger than any text message", body = ApiError),
    )
)]
pub async fn inbound_sms(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let service = service(&state, &headers)?;
    let text: ReceivedText = parse(&body)?;
    time("date_received", &text.date_received)?;
    let handled = state
        .app
        .sms()
        .receive(
            InboundSms {
                gateway: "notify",
                id: text.id,
                from: text.source_number,
                text: text.message,
            },
            &ctx.request,
        )
        .await?;
    tracing::debug!(service = %service, handled = ?handled, "Notify received text");
    Ok(no_content())
}
