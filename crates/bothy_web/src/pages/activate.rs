//! Activation: an accepted person's single-use, expiring link to choose
//! their sign-in email and password. An unknown link is not found; a used
//! or expired one is gone (410).

use super::field_errors;
use super::refer::{Errs, hex_token};
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::layout::{Chrome, html, page};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use bothy_app::FieldError;

#[derive(Template)]
#[template(path = "activate_form.html")]
struct ActivatePage {
    chrome: Chrome,
    csrf: String,
    token: String,
    first_name: String,
    email: String,
    errors: Vec<FieldError>,
    errs: Errs,
}

#[derive(Template)]
#[template(path = "activate_done.html")]
struct DonePage {
    chrome: Chrome,
    email: String,
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    token: String,
    email: String,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let first_name = state.app.activation().page(&token).await?;
    let session = ctx
        .session
        .as_ref()
        .ok_or_else(|| WebError::status(StatusCode::BAD_REQUEST))?;
    let csrf = crate::csrf::token(session).await?;
    let title = if errors.is_empty() {
        "Set up your account"
    } else {
        "Error: Set up your account"
    };
    let chrome = Chrome::for_ctx(state, ctx, title).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(
        status,
        &ActivatePage {
            chrome,
            csrf,
            token,
            first_name,
            email,
            errs: Errs(errors.clone()),
            errors,
        },
    ))
}

/// `GET /activate/{token}`.
pub async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    hex_token(&token)?;
    form_page(&state, &ctx, token, String::new(), Vec::new()).await
}

#[derive(serde::Deserialize)]
pub struct ActivateForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /activate/{token}`: sets the email and password, uses up the link.
pub async fn activate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(form): Form<ActivateForm>,
) -> Result<Response, WebError> {
    hex_token(&token)?;
    let result = state
        .app
        .activation()
        .activate(
            &token,
            &form.email,
            &form.password,
            &form.confirm,
            &ctx.request,
        )
        .await;
    let email: String = form.email.trim().chars().take(254).collect();
    match field_errors(result)? {
        Ok(_) => Ok(page(&DonePage {
            chrome: Chrome::for_ctx(&state, &ctx, "Your account is ready").await?,
            email,
        })),
        Err(errors) => form_page(&state, &ctx, token, email, errors).await,
    }
}
