//! The SMS gateway's callbacks. Kannel's `sms-service` posts each reply
//! (`post-url`, the text as the body, `%I` the message id and `%p` the
//! sender in the query) and its delivery reports call the `dlr-url` Bothy
//! gave with each message (`%d` the report's type). Both come with the
//! inbound secret as HTTP Basic credentials; anything else is 401 and
//! nothing is recorded. Answers have an empty body: Kannel's `omit-empty`
//! sends nothing back itself, as replies go through Bothy's job queue.

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bothy_app::AppError;
use bothy_app::credentials::token_hash;
use bothy_app::sms::{DeliveryStatus, InboundSms};
use serde::Deserialize;
use subtle::ConstantTimeEq;

/// Refuses a request without the configured secret as its Basic password
/// (any user name); 404 when no secret is configured.
fn check_gateway(state: &AppState, headers: &HeaderMap) -> Result<(), GatewayRefused> {
    let Some(expected) = state.settings.sms_inbound_secret.as_deref() else {
        return Err(GatewayRefused);
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, b64)| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(_, password)| password.to_string())
        })
        .unwrap_or_default();
    // Digests of equal length, compared in constant time.
    let ok = token_hash(&given)
        .as_bytes()
        .ct_eq(token_hash(expected).as_bytes());
    if bool::from(ok) {
        return Ok(());
    }
    // A plain answer, not a page: this is a machine's endpoint.
    Err(GatewayRefused)
}

/// 401 with a Basic challenge, for a caller without the secret (or any
/// caller, when no secret is configured).
pub struct GatewayRefused;

impl From<GatewayRefused> for WebError {
    fn from(_: GatewayRefused) -> Self {
        WebError {
            message: "Only the SMS gateway, with the configured secret, may call this.".into(),
            ..WebError::status(StatusCode::UNAUTHORIZED)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct InboundQuery {
    id: Option<String>,
    from: Option<String>,
}

/// A reply from a phone, as Kannel's sms-service posts it.
pub async fn kannel_inbound(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(q): Query<InboundQuery>,
    body: Bytes,
) -> Result<Response, WebError> {
    check_gateway(&state, &headers)?;
    let (Some(id), Some(from)) = (q.id, q.from) else {
        return Err(AppError::field("id", "A reply needs its id and from in the query").into());
    };
    let inbound = InboundSms {
        gateway: "kannel",
        id,
        from,
        text: String::from_utf8_lossy(&body).into_owned(),
    };
    state.app.sms().receive(inbound, &ctx.request).await?;
    Ok(empty())
}

#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    key: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// A delivery report: Kannel's type 1 delivered, 2 or 16 failed; 4
/// (buffered) and 8 (accepted by the network) leave a message `sent`.
pub async fn kannel_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StatusQuery>,
) -> Result<Response, WebError> {
    check_gateway(&state, &headers)?;
    let (Some(key), Some(kind)) = (q.key, q.kind) else {
        return Err(AppError::field("key", "A delivery report needs its key and type").into());
    };
    let status = match kind.trim() {
        "1" => DeliveryStatus::Delivered,
        "2" | "16" => DeliveryStatus::Failed,
        "4" | "8" => DeliveryStatus::Sent,
        _ => return Err(AppError::field("type", "Unknown delivery report type").into()),
    };
    state.app.sms().delivery_report(&key, status).await?;
    Ok(empty())
}

fn empty() -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "").into_response()
}
