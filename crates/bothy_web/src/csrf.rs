//! CSRF protection for every state-changing request made with a session
//! cookie: a synchronizer token kept in the server-side session (OWASP's
//! primary defence) checked by one middleware, so no handler can forget it.
//! Requests authenticated by a bearer token carry no ambient cookie
//! credential and are exempt. A cross-site `Sec-Fetch-Site` is refused too.
//!
//! Pages carry the token masked with a fresh random pad each time (pad, then
//! pad XOR secret, in hex), so that a compressed page's size says nothing
//! about the secret however often it is sent (the BREACH attack).

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use bothy_app::AppError;
use subtle::ConstantTimeEq;
use tower_sessions::Session;

const CSRF_KEY: &str = "csrf";
pub const CSRF_FIELD: &str = "csrf_token";

/// The session's CSRF token for a page, masked afresh; the secret behind
/// it is created on first use.
pub async fn token(session: &Session) -> Result<String, WebError> {
    let secret = match session
        .get::<String>(CSRF_KEY)
        .await
        .map_err(WebError::internal)?
    {
        Some(t) => t,
        None => {
            let t = hex_encode(&random_32()?);
            session
                .insert(CSRF_KEY, &t)
                .await
                .map_err(WebError::internal)?;
            t
        }
    };
    let secret =
        hex_decode(&secret).ok_or_else(|| WebError::internal("a malformed CSRF secret"))?;
    let pad = random_32()?;
    let masked: Vec<u8> = pad.iter().zip(&secret).map(|(p, s)| p ^ s).collect();
    Ok(format!("{}{}", hex_encode(&pad), hex_encode(&masked)))
}

fn random_32() -> Result<[u8; 32], WebError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| WebError::internal(std::io::Error::other(e.to_string())))?;
    Ok(bytes)
}

/// The secret a token given back stands for: a masked one unmasked, or the
/// bare secret (as pages carried it before masking).
fn unmask(given: &str) -> Option<Vec<u8>> {
    let bytes = hex_decode(given)?;
    match bytes.len() {
        64 => Some(
            bytes[..32]
                .iter()
                .zip(&bytes[32..])
                .map(|(p, m)| p ^ m)
                .collect(),
        ),
        32 => Some(bytes),
        _ => None,
    }
}

fn hex_encode(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    url_decode_pairs(body)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn url_decode_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default()
}

pub async fn check(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, WebError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.run(req).await);
    }
    let Some(ctx) = req.extensions().get::<Ctx>().cloned() else {
        return Ok(next.run(req).await);
    };
    let Some(session) = ctx.session else {
        // Bearer-token requests: no cookie, so nothing for another site to ride on.
        return Ok(next.run(req).await);
    };
    if req
        .headers()
        .get("sec-fetch-site")
        .is_some_and(|v| v == "cross-site")
    {
        return Err(AppError::Forbidden.into());
    }
    let expected = session
        .get::<String>(CSRF_KEY)
        .await
        .map_err(WebError::internal)?;
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, state.settings.max_body_bytes)
        .await
        .map_err(|_| WebError::status(axum::http::StatusCode::PAYLOAD_TOO_LARGE))?;
    let given = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| form_field(&bytes, CSRF_FIELD));
    let ok = match (
        expected.as_deref().and_then(hex_decode),
        given.as_deref().and_then(unmask),
    ) {
        (Some(e), Some(g)) => bool::from(e.ct_eq(&g)),
        _ => false,
    };
    if !ok {
        return Err(WebError::csrf());
    }
    Ok(next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await)
}
