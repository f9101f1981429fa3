//! The patient's measure forms (one fieldset per item, no script, resumable)
//! and the page that shows a result back.

use super::field_errors;
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::layout::{Chrome, UrgentPanel, html, page};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::measures::Submission;
use bothy_app::{Actor, AppError, FieldError};
use bothy_domain::instruments::Instrument;
use bothy_domain::model::{MeasureResponse, ResponseSource};

pub struct OptionView {
    pub id: String,
    pub score: i32,
    pub label: String,
    pub checked: bool,
}

pub struct ItemView {
    pub n: u16,
    pub field: String,
    pub text: String,
    pub options: Vec<OptionView>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "measure_form.html")]
struct FormPage {
    chrome: Chrome,
    csrf: String,
    instrument: Instrument,
    items: Vec<ItemView>,
    key: String,
    errors: Vec<FieldError>,
}

/// One fieldset per item, its radios named `{prefix}-{n}`; `error_of` gives
/// a field's message. The measure form and the referral's questions share it.
pub(crate) fn item_views(
    inst: &Instrument,
    answers: &[Option<i32>],
    prefix: &str,
    error_of: &dyn Fn(&str) -> Option<String>,
) -> Vec<ItemView> {
    inst.items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let field = format!("{prefix}-{}", item.n);
            let chosen = answers.get(i).copied().flatten();
            ItemView {
                n: item.n,
                text: item.text.clone(),
                options: inst
                    .options_for(item)
                    .iter()
                    .enumerate()
                    .map(|(j, o)| OptionView {
                        // The first option's id is the field name, so the error summary's link lands on it.
                        id: if j == 0 {
                            field.clone()
                        } else {
                            format!("{field}-{j}")
                        },
                        score: o.score,
                        label: o.label.clone(),
                        checked: chosen == Some(o.score),
                    })
                    .collect(),
                error: error_of(&field),
                field,
            }
        })
        .collect()
}

fn new_key() -> String {
    bothy_domain::ids::ResponseId::random().to_string()
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    inst: &Instrument,
    answers: &[Option<i32>],
    key: String,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let title = if errors.is_empty() {
        inst.short_name.clone()
    } else {
        format!("Error: {}", inst.short_name)
    };
    let mut chrome = Chrome::for_ctx(state, ctx, &title).await?;
    let csrf = chrome.csrf.clone().ok_or(AppError::Unauthenticated)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let error_of = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    };
    let items = item_views(inst, answers, "item", &error_of);
    let risk = !bothy_domain::instruments::score::risk_flags(inst, answers).is_empty();
    if risk {
        chrome.urgent = Some(UrgentPanel::risk_answer(None));
    }
    Ok(html(
        status,
        &FormPage {
            chrome,
            csrf,
            instrument: inst.clone(),
            items,
            key,
            errors,
        },
    ))
}

pub async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let inst = state.app.measures().instrument(&id)?.clone();
    let draft = state
        .app
        .measures()
        .draft(&ctx.actor, &inst.id)
        .await?
        .unwrap_or_default();
    form_page(&state, &ctx, &inst, &draft, new_key(), Vec::new()).await
}

/// Reads `item-N` fields into one answer per item. A value that is not a
/// number is reported against its question rather than silently dropped.
fn read_answers(
    inst: &Instrument,
    fields: &[(String, String)],
) -> (Vec<Option<i32>>, Vec<FieldError>) {
    let mut errors = Vec::new();
    let answers = inst
        .items
        .iter()
        .map(|item| {
            let name = format!("item-{}", item.n);
            let raw = fields
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.trim())?;
            match raw.parse::<i32>() {
                Ok(v) => Some(v),
                Err(_) => {
                    errors.push(FieldError {
                        field: name,
                        message: format!("Question {}: choose one of the answers", item.n),
                    });
                    None
                }
            }
        })
        .collect();
    (answers, errors)
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let Actor::Patient(p) = &ctx.actor else {
        return Err(AppError::Forbidden.into());
    };
    let inst = state.app.measures().instrument(&id)?.clone();
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let key = get("key");
    let (answers, parse_errors) = read_answers(&inst, &fields);
    if !parse_errors.is_empty() {
        return form_page(&state, &ctx, &inst, &answers, key, parse_errors).await;
    }
    if get("action") == "save" {
        state
            .app
            .measures()
            .save_draft(&ctx.actor, &inst.id, &answers, &ctx.request)
            .await?;
        return Ok(Redirect::to("/home?saved=1").into_response());
    }
    let sub = Submission {
        instrument_id: inst.id.clone(),
        version: Some(get("version")).filter(|v| !v.is_empty()),
        answers: answers.clone(),
        idempotency_key: key.clone(),
        source: ResponseSource::Web,
    };
    match field_errors(
        state
            .app
            .measures()
            .submit(&ctx.actor, p.id, sub, &ctx.request)
            .await,
    )? {
        // A double click or a resubmitted form lands on the same result.
        Ok(done) => {
            Ok(Redirect::to(&format!("/measures/responses/{}", done.response.id)).into_response())
        }
        Err(errors) => form_page(&state, &ctx, &inst, &answers, key, errors).await,
    }
}

#[derive(Template)]
#[template(path = "measure_result.html")]
struct ResultPage {
    chrome: Chrome,
    instrument: Instrument,
    response: MeasureResponse,
    score: String,
    max: String,
    /// After a risk answer: their safety plan and who is watching.
    support: Option<super::alerts::RiskSupport>,
}

pub async fn result(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| AppError::NotFound)?;
    let (response, inst) = state
        .app
        .measures()
        .response(&ctx.actor, id, &ctx.request)
        .await?;
    let inst = inst.clone();
    let mut chrome =
        Chrome::for_ctx(&state, &ctx, &format!("Your {} result", inst.short_name)).await?;
    let support = match response.risk_items.is_empty() {
        true => None,
        false => Some(super::alerts::risk_support(&state, &ctx).await),
    };
    if support.is_some() {
        chrome.urgent = Some(UrgentPanel::risk_answer(None));
    }
    Ok(page(&ResultPage {
        chrome,
        support,
        score: crate::format::score(response.total),
        max: crate::format::score(inst.total_max),
        instrument: inst,
        response,
    }))
}
