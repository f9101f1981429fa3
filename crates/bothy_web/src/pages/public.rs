use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::layout::{Chrome, page};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bothy_app::AppError;
use bothy_app::credentials::token_hash;
use subtle::ConstantTimeEq;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    chrome: Chrome,
}

pub async fn home(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    Ok(page(&Home {
        chrome: Chrome::for_ctx(&state, &ctx, "Welcome").await?,
    }))
}

pub async fn stylesheet() -> Response {
    let mut res = include_str!("../../static/app.css").into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers too.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.app.database_ready().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Prometheus metrics, only for a scraper sending `Authorization: Bearer`
/// with the configured `server.metrics_token`; without a token configured
/// there are none to read (404). Sessions and API tokens do not count.
pub async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let Some(expected) = state.settings.metrics_token.as_deref() else {
        return Err(AppError::NotFound.into());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Digests of equal length, compared in constant time.
    let ok = token_hash(given.trim())
        .as_bytes()
        .ct_eq(token_hash(expected).as_bytes());
    if !bool::from(ok) {
        return Err(WebError {
            message: "Metrics are only for a scraper with the configured token.".into(),
            ..WebError::status(StatusCode::UNAUTHORIZED)
        });
    }
    let mut res = state.metrics.render(&state.app).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    Ok(res)
}

pub async fn not_found() -> WebError {
    AppError::NotFound.into()
}
