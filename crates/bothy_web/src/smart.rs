//! SMART Backend Services over HTTP: the token endpoint (`POST /fhir/token`,
//! RFC 6749 section 4.4 with an RFC 7523 client assertion) and the SMART
//! discovery document (`/.well-known/smart-configuration`, at the server's
//! root and under the FHIR base). The rules are `bothy_app::smart`'s; here
//! only the form is read and the answer written as OAuth's JSON, errors
//! included (`{"error": "invalid_client", ...}`), never an OperationOutcome.

use crate::AppState;
use crate::auth::Ctx;
use crate::openapi::{OAuthError, SmartConfiguration, TokenForm, TokenResponse};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bothy_app::smart::{TokenError, TokenRequest};
use bothy_domain::smart::{ALGORITHMS, SCOPE_TYPES};
use serde_json::{Value, json};

/// The token endpoint: under the FHIR base, as SMART discovery expects,
/// but answering in OAuth's JSON, so exempt from FHIR's format check.
pub const TOKEN_PATH: &str = "/fhir/token";

fn json_response(status: StatusCode, v: &Value) -> Response {
    let mut res = (status, v.to_string()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // RFC 6749 section 5.1: token answers are never cached.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    json_response(
        status,
        &json!({ "error": code, "error_description": description }),
    )
}

/// Issues an access token for a client's signed assertion.
#[utoipa::path(
    post,
    path = "/fhir/token",
    tag = "fhir",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded", description = "A client credentials grant with a signed client assertion"),
    responses(
        (status = 200, description = "An access token", body = TokenResponse, content_type = "application/json"),
        (status = 400, description = "The request is malformed, or asks for a grant type or scopes not offered", body = OAuthError, content_type = "application/json"),
        (status = 401, description = "The client could not be authenticated by its assertion", body = OAuthError, content_type = "application/json"),
    )
)]
pub async fn token(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let Ok(req) = serde_urlencoded::from_bytes::<TokenRequest>(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be a form (application/x-www-form-urlencoded)",
        );
    };
    match state.app.smart().token(&req, &ctx.request).await {
        Ok(t) => json_response(
            StatusCode::OK,
            &json!({
                "access_token": t.access_token,
                "token_type": "bearer",
                "expires_in": t.expires_in,
                "scope": t.scope,
            }),
        ),
        Err(TokenError::InvalidRequest(m)) => {
            oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &m)
        }
        Err(e @ TokenError::UnsupportedGrantType) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &e.to_string(),
        ),
        Err(TokenError::InvalidClient(m)) => {
            let mut res = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", &m);
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            res
        }
        Err(TokenError::InvalidScope(m)) => {
            oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", &m)
        }
        Err(TokenError::App(e)) => crate::error::WebError::from(e).into_response(),
    }
}

/// The scopes a client may ask for.
pub fn scopes_supported() -> Vec<String> {
    let mut out = Vec::new();
    for t in std::iter::once("*").chain(SCOPE_TYPES) {
        out.push(format!("system/{t}.read"));
        out.push(format!("system/{t}.rs"));
    }
    out.push("system/QuestionnaireResponse.write".into());
    out.push("system/QuestionnaireResponse.c".into());
    out.push("system/ServiceRequest.write".into());
    out.push("system/ServiceRequest.c".into());
    out
}

/// SMART's discovery document: where the token endpoint is and what it takes.
#[utoipa::path(
    get,
    path = "/fhir/.well-known/smart-configuration",
    tag = "fhir",
    responses((status = 200, description = "The SMART configuration", body = SmartConfiguration, content_type = "application/json"))
)]
pub async fn smart_configuration(State(state): State<AppState>) -> Response {
    let token_endpoint = state.app.smart().token_url();
    json_response(
        StatusCode::OK,
        &json!({
            "token_endpoint": token_endpoint,
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ALGORITHMS,
            "scopes_supported": scopes_supported(),
            "capabilities": ["client-confidential-asymmetric"],
        }),
    )
}
