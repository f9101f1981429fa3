//! One error type for every handler, rendered by one middleware as an HTML
//! page (with the crisis panel), JSON for `/api`, or a FHIR OperationOutcome
//! for `/fhir`, chosen by the request path. Internal causes are logged with
//! the request id and never sent; the person sees a generic message and the id.

use crate::AppState;
use crate::layout::Chrome;
use askama::Template;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bothy_app::{AppError, FieldError};
use std::sync::Arc;

/// A failed request, carried in the response until [`render`] draws it.
#[derive(Debug, Clone)]
pub struct WebError {
    pub status: StatusCode,
    pub message: String,
    pub fields: Vec<FieldError>,
    /// Extra headers (e.g. `WWW-Authenticate`).
    pub www_authenticate: bool,
}

impl WebError {
    pub fn status(status: StatusCode) -> Self {
        Self {
            status,
            message: default_message(status).to_string(),
            fields: Vec::new(),
            www_authenticate: false,
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        let text = e.to_string();
        // The session store's errors reach handlers only as text
        // (tower-sessions' `Backend(String)`): an unavailable database is
        // known by the store's own words, and answered as one.
        if text.contains(bothy_app::DATABASE_UNAVAILABLE) {
            tracing::error!(error = %text, "database unavailable");
            return Self::status(StatusCode::SERVICE_UNAVAILABLE);
        }
        tracing::error!(error = %text, "internal error");
        Self::status(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn csrf() -> Self {
        Self {
            message: "This form has expired or was sent from another site. Go back, reload the page and try again.".into(),
            ..Self::status(StatusCode::FORBIDDEN)
        }
    }
}

fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "The request could not be read. Go back and try again.",
        401 => "You need to sign in to see this page.",
        403 => "You do not have permission to see this page.",
        404 => "Page not found. If you typed the web address, check it is correct.",
        405 => "This page cannot be used that way.",
        410 => {
            "This link has expired or has already been used. Ask the service that sent it for a new one."
        }
        413 => "What you sent is too large.",
        415 => "Send this as a web form (or as JSON to the API).",
        422 => "Some answers need checking.",
        429 => "Too many attempts. Wait 15 minutes and try again.",
        503 => "Sorry, the service is unavailable right now. Please try again later.",
        _ if status.is_client_error() => {
            "The request could not be completed. Go back and try again."
        }
        _ => "Sorry, something went wrong on our side. Please try again later.",
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        let s = WebError::status;
        match e {
            AppError::NotFound => s(StatusCode::NOT_FOUND),
            AppError::Forbidden => s(StatusCode::FORBIDDEN),
            AppError::Unauthenticated => WebError {
                www_authenticate: true,
                ..s(StatusCode::UNAUTHORIZED)
            },
            AppError::SignInRefused => WebError {
                message: e.to_string(),
                ..s(StatusCode::UNAUTHORIZED)
            },
            AppError::TooManyRequests => s(StatusCode::TOO_MANY_REQUESTS),
            AppError::Invalid(fields) => WebError {
                fields,
                ..s(StatusCode::UNPROCESSABLE_ENTITY)
            },
            AppError::Gone => s(StatusCode::GONE),
            AppError::UsedUp(m) => WebError {
                message: m,
                ..s(StatusCode::GONE)
            },
            AppError::Conflict(m) => WebError {
                message: m,
                ..s(StatusCode::CONFLICT)
            },
            AppError::Unavailable(cause) => {
                tracing::error!(error = %cause, "database unavailable");
                s(StatusCode::SERVICE_UNAVAILABLE)
            }
            AppError::Internal(cause) => WebError::internal(cause),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut res = self.status.into_response();
        res.extensions_mut().insert(Arc::new(self));
        res
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    heading: &'a str,
    message: &'a str,
    fields: &'a [FieldError],
    request_id: &'a str,
}

fn heading(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "Sign in needed",
        403 => "You cannot do this",
        404 => "Page not found",
        410 => "Link expired",
        429 => "Too many attempts",
        503 => "Service unavailable",
        s if s >= 500 => "Sorry, there is a problem with the service",
        _ => "There is a problem",
    }
}

/// Renders errors: those handlers returned, and the framework's own
/// (unknown route, wrong method, unreadable or oversized body).
pub async fn render(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let ours = res.extensions().get::<Arc<WebError>>().cloned();
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.to_str().unwrap_or("").starts_with("text/plain"));
    if ours.is_none() && !plain {
        return res; // A page the handler drew itself, such as a form with its errors.
    }
    let err = match ours {
        Some(e) => (*e).clone(),
        None => WebError::status(status),
    };
    // A failure whose cause lost its kind on the way (the session store's
    // errors arrive as text, below or inside a handler): if the database is
    // down, say so honestly rather than "something went wrong".
    let err = if err.status == StatusCode::INTERNAL_SERVER_ERROR
        && state.app.database_ready().await.is_err()
    {
        WebError::status(StatusCode::SERVICE_UNAVAILABLE)
    } else {
        err
    };
    let status = err.status;
    if status.is_server_error() {
        tracing::warn!(status = status.as_u16(), request_id, "request failed");
    }
    let mut out = if path.starts_with("/fhir") {
        fhir_outcome(&err)
    } else if path.starts_with("/api") {
        json_error(&err)
    } else {
        let page = ErrorPage {
            chrome: Chrome::bare(&state, heading(status)),
            heading: heading(status),
            message: &err.message,
            fields: &err.fields,
            request_id: &request_id,
        };
        crate::layout::html(status, &page)
    };
    if err.www_authenticate && (path.starts_with("/api") || path.starts_with("/fhir")) {
        out.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if status == StatusCode::UNAUTHORIZED && path.starts_with("/sms/") {
        // The SMS gateway's callbacks take Basic credentials (sms.rs).
        out.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"bothy-sms\""),
        );
        return out;
    }
    if status == StatusCode::UNAUTHORIZED
        && !(path.starts_with("/api") || path.starts_with("/fhir"))
    {
        // A page that needs sign-in sends people to the sign-in form.
        if err.www_authenticate {
            return axum::response::Redirect::to("/sign-in").into_response();
        }
    }
    out
}

/// The body of every error from `/api`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ApiError {
    error: ApiErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ApiErrorDetail {
    /// The HTTP status, repeated.
    #[schema(minimum = 400, maximum = 599)]
    status: u16,
    /// What went wrong, in plain English; never an internal cause.
    message: String,
    /// The problems with particular fields, if any.
    fields: Vec<ApiFieldError>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ApiFieldError {
    field: String,
    message: String,
}

fn json_error(e: &WebError) -> Response {
    let body = ApiError {
        error: ApiErrorDetail {
            status: e.status.as_u16(),
            message: e.message.clone(),
            fields: e
                .fields
                .iter()
                .map(|f| ApiFieldError {
                    field: f.field.clone(),
                    message: f.message.clone(),
                })
                .collect(),
        },
    };
    (e.status, axum::Json(body)).into_response()
}

fn fhir_outcome(e: &WebError) -> Response {
    let body = bothy_fhir::operation_outcome(
        e.status.as_u16(),
        &e.message,
        &e.fields
            .iter()
            .map(|f| (f.field.as_str(), f.message.as_str()))
            .collect::<Vec<_>>(),
    );
    let mut res = (e.status, body.to_string()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json"),
    );
    res
}
