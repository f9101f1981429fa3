//! CSRF protection for every state-changing request made with a session
//! cookie: a synchronizer token kept in the server-side session (OWASP's
//! primary defence) checked by one middleware, so no handler can forget it.
//! Requests authenticated by a bearer token carry no ambient cookie
//! credential and are exempt. A cross-site `Sec-Fetch-Site` is refused too.

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

/// The session's CSRF token, created on first use.
pub async fn token(session: &Session) -> Result<String, WebError> {
    if let Some(t) = session
        .get::<String>(CSRF_KEY)
        .await
        .map_err(WebError::internal)?
    {
        return Ok(t);
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| WebError::internal(std::io::Error::other(e.to_string())))?;
    let t = hex_encode(&bytes);
    session
        .insert(CSRF_KEY, &t)
        .await
        .map_err(WebError::internal)?;
    Ok(t)
}

fn hex_encode(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
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
    let ok = match (expected, given) {
        (Some(e), Some(g)) => bool::from(e.as_bytes().ct_eq(g.as_bytes())),
        _ => false,
    };
    if !ok {
        return Err(WebError::csrf());
    }
    Ok(next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await)
}
