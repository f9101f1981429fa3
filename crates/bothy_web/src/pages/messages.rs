//! Secure messages: the patient's threads and the form to start one
//! (`/messages`), one thread with a reply form (`/messages/{thread}`); the
//! care team's reading of a thread inside the patient's record
//! (`/staff/patients/{id}/messages/{thread}`), with reply and "needs a
//! clinician"; and the short section on the staff patient page.

use super::field_errors;
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::format::uk_time;
use crate::layout::{Chrome, UrgentPanel, html};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::messages::{Sent, ThreadView};
use bothy_app::{Actor, AppError, FieldError};
use bothy_domain::PatientId;
use bothy_domain::ids::{MessageId, ThreadId};
use bothy_domain::messages::{Author, ThreadSummary};

/// A new idempotency key for a message form.
fn new_key() -> String {
    MessageId::random().to_string()
}

fn thread_id(raw: &str) -> Result<ThreadId, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

/// One thread in a list.
pub struct ThreadRow {
    pub href: String,
    pub subject: String,
    pub last: String,
    pub messages: i64,
    pub unread: i64,
    pub needs_clinician: i64,
}

fn thread_rows(list: &[ThreadSummary], base: &str) -> Vec<ThreadRow> {
    list.iter()
        .map(|s| ThreadRow {
            href: format!("{base}/{}", s.thread.id),
            subject: s.thread.subject.clone(),
            last: uk_time(s.thread.last_message_at),
            messages: s.messages,
            unread: s.unread,
            needs_clinician: s.needs_clinician,
        })
        .collect()
}

/// One message as a thread page shows it.
pub struct MessageRow {
    pub id: String,
    pub from: String,
    pub when: String,
    pub body: String,
    /// Read state, for the viewer's side's own messages (staff see all).
    pub status: Option<String>,
    /// Who marked it as needing a clinician, and when.
    pub needs_clinician: Option<String>,
    /// Staff may mark or clear it (messages from the patient).
    pub markable: bool,
}

fn message_rows(v: &ThreadView, staff_view: bool) -> Vec<MessageRow> {
    v.messages
        .iter()
        .map(|m| {
            let from = match (m.author, staff_view) {
                (Author::Patient(_), false) => "You".to_string(),
                (Author::Patient(_), true) => v.patient.full_name(),
                (Author::Staff(s), false) => format!("{}, your care team", v.staff_name(s)),
                (Author::Staff(s), true) => v.staff_name(s).to_string(),
            };
            let status = match (m.author, m.read_at, staff_view) {
                (Author::Patient(_), Some(at), true) => Some(format!(
                    "Read by {} on {}",
                    m.read_by.map_or("the care team", |s| v.staff_name(s)),
                    uk_time(at)
                )),
                (Author::Patient(_), Some(at), false) => {
                    Some(format!("Read by your care team on {}", uk_time(at)))
                }
                (Author::Staff(_), Some(at), true) => Some(format!(
                    "Read by {} on {}",
                    v.patient.given_name,
                    uk_time(at)
                )),
                (Author::Patient(_), None, _) | (Author::Staff(_), None, true) => {
                    Some("Not read yet".to_string())
                }
                (Author::Staff(_), _, false) => None,
            };
            MessageRow {
                id: m.id.to_string(),
                from,
                when: uk_time(m.sent_at),
                body: m.body.clone(),
                status,
                needs_clinician: m.needs_clinician.filter(|_| staff_view).map(|n| {
                    format!(
                        "Needs a clinician: marked by {} on {}",
                        v.staff_name(n.by),
                        uk_time(n.at)
                    )
                }),
                markable: staff_view && m.author.is_patient(),
            }
        })
        .collect()
}

#[derive(serde::Deserialize)]
pub struct SentQuery {
    #[serde(default)]
    sent: Option<String>,
    /// Set after a message with risk words. Anyone can add it to the
    /// address; all it does is show the crisis contacts and their plan.
    #[serde(default)]
    risk: Option<String>,
}

/// A message form's fields.
#[derive(serde::Deserialize, Default)]
pub struct MessageForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    key: String,
}

fn error<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.as_str())
}

fn status(errors: &[FieldError]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

fn title(errors: &[FieldError], title: &str) -> String {
    if errors.is_empty() {
        title.to_string()
    } else {
        format!("Error: {title}")
    }
}

/// Where a sent message lands: its thread, with the crisis contacts first
/// when its words call for them.
fn after_sending(base: &str, sent: &Sent) -> Response {
    let risk = if sent.risk { "&risk=1" } else { "" };
    Redirect::to(&format!("{base}/{}?sent=1{risk}#reply", sent.thread.id)).into_response()
}

#[derive(Template)]
#[template(path = "messages.html")]
struct InboxPage {
    chrome: Chrome,
    csrf: String,
    threads: Vec<ThreadRow>,
    form: MessageForm,
    errors: Vec<FieldError>,
}

impl InboxPage {
    fn error(&self, field: &str) -> Option<&str> {
        error(&self.errors, field)
    }
}

async fn inbox_page(
    state: &AppState,
    ctx: &Ctx,
    mut form: MessageForm,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let Actor::Patient(p) = &ctx.actor else {
        return Err(AppError::Forbidden.into());
    };
    let list = state
        .app
        .messages()
        .threads(&ctx.actor, p.id, &ctx.request)
        .await?;
    let chrome = Chrome::for_ctx(state, ctx, &title(&errors, "Messages")).await?;
    let csrf = chrome.csrf.clone().ok_or(AppError::Unauthenticated)?;
    if form.key.is_empty() {
        form.key = new_key();
    }
    Ok(html(
        status(&errors),
        &InboxPage {
            chrome,
            csrf,
            threads: thread_rows(&list, "/messages"),
            form,
            errors,
        },
    ))
}

/// `GET /messages`.
pub async fn inbox(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    inbox_page(&state, &ctx, MessageForm::default(), Vec::new()).await
}

/// `POST /messages`: starts a thread.
pub async fn start(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<MessageForm>,
) -> Result<Response, WebError> {
    let sent = state
        .app
        .messages()
        .start(&ctx.actor, &f.subject, &f.body, &f.key, &ctx.request)
        .await;
    match field_errors(sent)? {
        Ok(sent) => Ok(after_sending("/messages", &sent)),
        Err(errors) => inbox_page(&state, &ctx, f, errors).await,
    }
}

#[derive(Template)]
#[template(path = "message_thread.html")]
struct ThreadPage {
    chrome: Chrome,
    csrf: String,
    staff: bool,
    patient_name: String,
    subject: String,
    /// Where the reply form posts, and the thread's own address.
    action: String,
    back: String,
    messages: Vec<MessageRow>,
    sent: bool,
    support: Option<super::alerts::RiskSupport>,
    body: String,
    key: String,
    errors: Vec<FieldError>,
}

impl ThreadPage {
    fn error(&self, field: &str) -> Option<&str> {
        error(&self.errors, field)
    }
}

/// The thread page, for the patient (`patient` None) or staff.
async fn thread_page(
    state: &AppState,
    ctx: &Ctx,
    (patient, thread): (Option<PatientId>, ThreadId),
    q: SentQuery,
    body: String,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let v = state
        .app
        .messages()
        .open(&ctx.actor, patient, thread, &ctx.request)
        .await?;
    let staff = patient.is_some();
    let support = match (&q.risk, staff) {
        (Some(_), false) => Some(super::alerts::risk_support(state, ctx).await),
        _ => None,
    };
    // The subject stays out of the title, so browser history and tabs on a
    // shared computer do not show what the person wrote about.
    let mut chrome = Chrome::for_ctx(state, ctx, &title(&errors, "Conversation")).await?;
    if support.is_some() {
        chrome.urgent = Some(UrgentPanel::message());
    }
    let csrf = chrome.csrf.clone().ok_or(AppError::Unauthenticated)?;
    let (action, back) = match patient {
        Some(p) => (
            format!("/staff/patients/{p}/messages/{}", v.thread.id),
            format!("/staff/patients/{p}#messages"),
        ),
        None => (
            format!("/messages/{}", v.thread.id),
            "/messages".to_string(),
        ),
    };
    Ok(html(
        status(&errors),
        &ThreadPage {
            chrome,
            csrf,
            staff,
            patient_name: v.patient.full_name(),
            subject: v.thread.subject.clone(),
            action,
            back,
            messages: message_rows(&v, staff),
            sent: q.sent.is_some() && errors.is_empty(),
            support,
            body,
            key: new_key(),
            errors,
        },
    ))
}

/// `GET /messages/{thread}`.
pub async fn thread(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<SentQuery>,
) -> Result<Response, WebError> {
    if !matches!(ctx.actor, Actor::Patient(_)) {
        return Err(AppError::Forbidden.into());
    }
    let at = (None, thread_id(&id)?);
    thread_page(&state, &ctx, at, q, String::new(), Vec::new()).await
}

/// A reply, by the patient (`patient` None) or staff.
async fn reply(
    state: &AppState,
    ctx: &Ctx,
    (patient, thread): (Option<PatientId>, ThreadId),
    f: MessageForm,
    base: &str,
) -> Result<Response, WebError> {
    let sent = state
        .app
        .messages()
        .reply(&ctx.actor, patient, thread, &f.body, &f.key, &ctx.request)
        .await;
    match field_errors(sent)? {
        Ok(sent) => Ok(after_sending(base, &sent)),
        Err(errors) => {
            let q = SentQuery {
                sent: None,
                risk: None,
            };
            thread_page(state, ctx, (patient, thread), q, f.body, errors).await
        }
    }
}

/// `POST /messages/{thread}`: the patient's reply.
pub async fn patient_reply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<MessageForm>,
) -> Result<Response, WebError> {
    if !matches!(ctx.actor, Actor::Patient(_)) {
        return Err(AppError::Forbidden.into());
    }
    reply(&state, &ctx, (None, thread_id(&id)?), f, "/messages").await
}

/// `GET /staff/patients/{id}/messages/{thread}`.
pub async fn staff_thread(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((patient, id)): Path<(String, String)>,
    Query(q): Query<SentQuery>,
) -> Result<Response, WebError> {
    let at = staff_at(&ctx, &patient, &id)?;
    thread_page(&state, &ctx, at, q, String::new(), Vec::new()).await
}

/// The patient and thread a staff address names; staff only.
fn staff_at(
    ctx: &Ctx,
    patient: &str,
    thread: &str,
) -> Result<(Option<PatientId>, ThreadId), WebError> {
    if !matches!(ctx.actor, Actor::Staff(_)) {
        return Err(AppError::Forbidden.into());
    }
    Ok((Some(super::staff::patient_id(patient)?), thread_id(thread)?))
}

/// `POST /staff/patients/{id}/messages/{thread}`: a reply from the care team.
pub async fn staff_reply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((patient, id)): Path<(String, String)>,
    Form(f): Form<MessageForm>,
) -> Result<Response, WebError> {
    let at = staff_at(&ctx, &patient, &id)?;
    let base = format!("/staff/patients/{patient}/messages");
    reply(&state, &ctx, at, f, &base).await
}

#[derive(serde::Deserialize)]
pub struct NeedsClinicianForm {
    #[serde(default)]
    message: String,
    /// `yes` to mark, `no` to clear.
    #[serde(default)]
    needs: String,
}

/// `POST /staff/patients/{id}/messages/{thread}/needs-clinician`: marks a
/// message as needing a clinician, or clears the mark.
pub async fn needs_clinician(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((patient, id)): Path<(String, String)>,
    Form(f): Form<NeedsClinicianForm>,
) -> Result<Response, WebError> {
    let (Some(patient), thread) = staff_at(&ctx, &patient, &id)? else {
        return Err(AppError::NotFound.into());
    };
    let message: MessageId = f
        .message
        .trim()
        .parse()
        .map_err(|_| AppError::field("message", "Choose a message in this conversation"))?;
    let needs = match f.needs.trim() {
        "yes" => true,
        "no" => false,
        _ => {
            return Err(
                AppError::field("needs", "Say whether it needs a clinician: yes or no").into(),
            );
        }
    };
    let m = state
        .app
        .messages()
        .set_needs_clinician(&ctx.actor, patient, thread, message, needs, &ctx.request)
        .await?;
    Ok(Redirect::to(&format!(
        "/staff/patients/{patient}/messages/{thread}#message-{}",
        m.id
    ))
    .into_response())
}

/// The messages section of the staff patient page.
pub struct Section {
    pub threads: Vec<ThreadRow>,
    pub unread: i64,
    pub needs_clinician: i64,
}

/// The section for `patient`: their threads (read with their record), with
/// what nobody in the care team has read yet and what is marked.
pub fn section(list: &[ThreadSummary], patient: PatientId) -> Section {
    Section {
        unread: list.iter().map(|t| t.unread).sum(),
        needs_clinician: list.iter().map(|t| t.needs_clinician).sum(),
        threads: thread_rows(list, &format!("/staff/patients/{patient}/messages")),
    }
}
