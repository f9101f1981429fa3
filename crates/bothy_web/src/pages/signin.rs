//! Sign-in, second factor, sign-out and staff enrolment.

use super::field_errors;
use crate::AppState;
use crate::auth::{Ctx, SessionKind, begin_session};
use crate::error::WebError;
use crate::form::Form;
use crate::layout::{Chrome, html, page};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::signin::{EnrolmentPage, SignedIn};
use bothy_app::{Actor, AppError, FieldError};
use tower_sessions::Session;

fn session(ctx: &Ctx) -> Result<&Session, WebError> {
    ctx.session
        .as_ref()
        .ok_or_else(|| WebError::status(StatusCode::BAD_REQUEST))
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    csrf: String,
    email: String,
    errors: Vec<FieldError>,
}

async fn sign_in_page(
    state: &AppState,
    ctx: &Ctx,
    email: String,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    let csrf = crate::csrf::token(session(ctx)?).await?;
    let chrome = Chrome::for_ctx(
        state,
        ctx,
        if errors.is_empty() {
            "Sign in"
        } else {
            "Error: Sign in"
        },
    )
    .await?;
    Ok(html(
        status,
        &SignInPage {
            chrome,
            csrf,
            email,
            errors,
        },
    ))
}

pub async fn sign_in_form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    match ctx.actor {
        Actor::Staff(_) => return Ok(Redirect::to("/staff").into_response()),
        Actor::Patient(_) => return Ok(Redirect::to("/home").into_response()),
        _ => {}
    }
    sign_in_page(&state, &ctx, String::new(), Vec::new()).await
}

#[derive(serde::Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn sign_in(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<SignInForm>,
) -> Result<Response, WebError> {
    let app = &state.app;
    match app
        .accounts()
        .sign_in(&form.email, &form.password, &ctx.request)
        .await
    {
        Ok(who) => {
            let s = session(&ctx)?;
            let now = app.clock().now();
            match who {
                SignedIn::StaffNeedsCode(id) => {
                    begin_session(
                        s,
                        SessionKind::StaffPending,
                        id.to_string(),
                        None,
                        now,
                        app.settings().staff_idle_timeout,
                    )
                    .await?;
                    Ok(Redirect::to("/sign-in/code").into_response())
                }
                SignedIn::Patient(id) => {
                    begin_session(
                        s,
                        SessionKind::Patient,
                        id.to_string(),
                        None,
                        now,
                        app.settings().patient_idle_timeout,
                    )
                    .await?;
                    Ok(Redirect::to("/home").into_response())
                }
            }
        }
        Err(AppError::SignInRefused) => {
            let errors = vec![FieldError {
                field: "email".into(),
                message: AppError::SignInRefused.to_string(),
            }];
            sign_in_page(&state, &ctx, form.email.chars().take(254).collect(), errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "sign_in_code.html")]
struct CodePage {
    chrome: Chrome,
    csrf: String,
    errors: Vec<FieldError>,
}

async fn code_page(
    state: &AppState,
    ctx: &Ctx,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    let csrf = crate::csrf::token(session(ctx)?).await?;
    let chrome = Chrome::for_ctx(state, ctx, "Enter your code").await?;
    Ok(html(
        status,
        &CodePage {
            chrome,
            csrf,
            errors,
        },
    ))
}

pub async fn code_form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    code_page(&state, &ctx, Vec::new()).await
}

#[derive(serde::Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn code(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<CodeForm>,
) -> Result<Response, WebError> {
    let Actor::StaffPending { id } = ctx.actor else {
        return Err(AppError::Unauthenticated.into());
    };
    let app = &state.app;
    match app
        .accounts()
        .verify_second_factor(id, &form.code, &ctx.request)
        .await
    {
        Ok(()) => {
            let s = session(&ctx)?;
            begin_session(
                s,
                SessionKind::Staff,
                id.to_string(),
                None,
                app.clock().now(),
                app.settings().staff_idle_timeout,
            )
            .await?;
            Ok(Redirect::to("/staff").into_response())
        }
        Err(AppError::SignInRefused) => {
            code_page(
                &state,
                &ctx,
                vec![FieldError {
                    field: "code".into(),
                    message: AppError::SignInRefused.to_string(),
                }],
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOutPage {
    chrome: Chrome,
}

/// Ends the session on the server, so the cookie is useless even if kept.
pub async fn sign_out(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    if !matches!(ctx.actor, Actor::Anonymous) {
        state
            .app
            .accounts()
            .sign_out(&ctx.actor, &ctx.request)
            .await?;
    }
    if let Some(s) = &ctx.session {
        s.flush().await.map_err(WebError::internal)?;
    }
    Ok(Redirect::to("/signed-out").into_response())
}

pub async fn signed_out(State(state): State<AppState>) -> Response {
    page(&SignedOutPage {
        chrome: Chrome::bare(&state, "You have signed out"),
    })
}

#[derive(Template)]
#[template(path = "enrol.html")]
struct EnrolPage {
    chrome: Chrome,
    csrf: String,
    token: String,
    page: EnrolmentPage,
    errors: Vec<FieldError>,
}

async fn enrol_page(
    state: &AppState,
    ctx: &Ctx,
    token: String,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let page = state.app.accounts().enrolment_page(&token).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let csrf = crate::csrf::token(session(ctx)?).await?;
    let chrome = Chrome::for_ctx(state, ctx, "Set up your account").await?;
    Ok(html(
        status,
        &EnrolPage {
            chrome,
            csrf,
            token,
            page,
            errors,
        },
    ))
}

/// Tokens are 64 hex characters; anything else is simply not found.
fn valid_token(token: &str) -> Result<(), WebError> {
    if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(AppError::NotFound.into())
    }
}

pub async fn enrol_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    valid_token(&token)?;
    enrol_page(&state, &ctx, token, Vec::new()).await
}

#[derive(serde::Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    code: String,
}

pub async fn enrol(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(form): Form<EnrolForm>,
) -> Result<Response, WebError> {
    valid_token(&token)?;
    let result = state
        .app
        .accounts()
        .complete_enrolment(
            &token,
            &form.password,
            &form.confirm,
            &form.code,
            &ctx.request,
        )
        .await;
    match field_errors(result)? {
        Ok(_) => Ok(Redirect::to("/sign-in").into_response()),
        Err(errors) => enrol_page(&state, &ctx, token, errors).await,
    }
}
