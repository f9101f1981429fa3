//! Supported reviews: the review queue (`/staff/reviews`) and one review
//! (`/staff/enrolments/{enrolment}/review`): everything since the last
//! review on one screen and the feedback form, prefilled from a template
//! chosen with `?template=NAME` (no JavaScript needed).

use super::field_errors;
use super::tools::{StaffLine, staff_lines_of};
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::format::{score, uk_time};
use crate::layout::{Chrome, NavLink, html, page};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::reviews::ReviewSheet;
use bothy_app::{AppError, FieldError};
use bothy_domain::ids::{EnrolmentId, ReviewId};
use bothy_domain::programmes::enrolment::Status;
use bothy_domain::time::to_millis;

/// The staff navigation's link to the queue, for staff who may open records.
pub fn nav_link(s: &bothy_app::policy::StaffActor) -> Option<NavLink> {
    use bothy_app::Permission::{AllPatients, OwnCaseload};
    (s.has(AllPatients) || s.has(OwnCaseload)).then_some(NavLink {
        href: "/staff/reviews",
        label: "Reviews",
    })
}

/// One line of the queue.
struct QueueRow {
    href: String,
    patient: String,
    programme: String,
    supporter: String,
    last: String,
    due: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "staff_reviews.html")]
struct QueuePage {
    chrome: Chrome,
    rows: Vec<QueueRow>,
    overdue: usize,
    every_days: u32,
    whole_service: bool,
}

/// `GET /staff/reviews`.
pub async fn queue(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let q = state.app.reviews().queue(&ctx.actor, &ctx.request).await?;
    let name = |id| {
        q.staff_names
            .get(&id)
            .map_or("A former member of staff", String::as_str)
            .to_string()
    };
    let rows: Vec<QueueRow> = q
        .items
        .iter()
        .map(|i| QueueRow {
            href: format!("/staff/enrolments/{}/review", i.enrolment_id),
            patient: i.patient.full_name(),
            programme: i.programme.clone(),
            supporter: i.supporter_id.map_or_else(|| "None".to_string(), name),
            last: i
                .last_review_at
                .map_or_else(|| "Not reviewed yet".to_string(), uk_time),
            due: uk_time(i.due_at),
            overdue: i.overdue,
        })
        .collect();
    Ok(page(&QueuePage {
        chrome: Chrome::for_ctx(&state, &ctx, "Reviews").await?,
        overdue: rows.iter().filter(|r| r.overdue).count(),
        rows,
        every_days: q.every_days,
        whole_service: q.whole_service,
    }))
}

/// A measure's change as the page writes it.
struct MeasureRow {
    instrument: String,
    first: String,
    latest: String,
    change: String,
    new_since: bool,
}

#[derive(Template)]
#[template(path = "staff_review.html")]
struct ReviewPage {
    chrome: Chrome,
    csrf: String,
    action: String,
    patient: String,
    patient_href: String,
    programme: String,
    since: String,
    due: String,
    due_ms: i64,
    overdue: bool,
    every_days: u32,
    modules_done: Vec<(u32, String, String)>,
    tool_entries: Vec<StaffLine>,
    measures: Vec<MeasureRow>,
    /// When, mood out of 10, the note.
    check_ins: Vec<(String, u8, String)>,
    threads: usize,
    messages: i64,
    unread: i64,
    /// The newest thread with a message since: its link, subject and when.
    latest_thread: Option<(String, String, String)>,
    open_alerts: Vec<(String, String, String)>,
    /// Earlier reviews: who, when, text.
    reviews: Vec<(String, String, String)>,
    /// (name, title, chosen) of each template.
    templates: Vec<(String, String, bool)>,
    /// The next module a review may open, in words.
    unlock: Option<String>,
    unlock_checked: bool,
    feedback: String,
    key: String,
    written: bool,
    errors: Vec<FieldError>,
}

impl ReviewPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

fn enrolment_id(raw: &str) -> Result<EnrolmentId, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

#[derive(serde::Deserialize, Default)]
pub struct ReviewQuery {
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    written: Option<String>,
}

/// What the form holds when the page is drawn.
struct Filled {
    feedback: String,
    unlock: bool,
    template: Option<String>,
    written: bool,
}

async fn review_page(
    state: &AppState,
    ctx: &Ctx,
    id: EnrolmentId,
    filled: Filled,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let s: ReviewSheet = state
        .app
        .reviews()
        .sheet(&ctx.actor, id, &ctx.request)
        .await?;
    let title = if errors.is_empty() {
        "Review".to_string()
    } else {
        "Error: Review".to_string()
    };
    let chrome = Chrome::for_ctx(state, ctx, &title).await?;
    let csrf = chrome.csrf.clone().ok_or(AppError::Unauthenticated)?;
    let templates = state.app.reviews().templates();
    let chosen = filled.template.as_deref().and_then(|n| templates.get(n));
    let feedback = match chosen {
        Some(t) if filled.feedback.is_empty() => t.text.trim().to_string(),
        _ => filled.feedback,
    };
    let patient_href = format!("/staff/patients/{}", s.patient.id);
    let threads_base = format!("{patient_href}/messages");
    let p = &s;
    let body = ReviewPage {
        chrome,
        csrf,
        action: format!("/staff/enrolments/{id}/review"),
        patient: s.patient.full_name(),
        patient_href: patient_href.clone(),
        programme: s.enrolment.programme.title.clone(),
        since: match s.reviews.first() {
            Some(_) => format!("the last review, {}", uk_time(s.since)),
            None => format!("enrolment, {}", uk_time(s.since)),
        },
        due: uk_time(s.due_at),
        due_ms: to_millis(s.due_at),
        overdue: s.overdue,
        every_days: s.every_days,
        modules_done: s
            .modules_done
            .iter()
            .map(|(n, t, at)| (*n, t.clone(), uk_time(*at)))
            .collect(),
        tool_entries: staff_lines_of(&s.tool_entries),
        measures: s
            .measures
            .iter()
            .map(|m| MeasureRow {
                instrument: m.instrument.clone(),
                first: format!("{} ({})", score(m.first), uk_time(m.first_at)),
                latest: format!("{} ({})", score(m.latest), uk_time(m.latest_at)),
                change: match m.latest - m.first {
                    d if d > 0.0 => format!("up {}", score(d)),
                    d if d < 0.0 => format!("down {}", score(-d)),
                    _ => "no change".to_string(),
                },
                new_since: m.new_since,
            })
            .collect(),
        check_ins: s
            .check_ins
            .iter()
            .map(|c| {
                (
                    uk_time(c.checked_in_at),
                    c.mood,
                    c.note.clone().unwrap_or_default(),
                )
            })
            .collect(),
        threads: s.threads.len(),
        messages: s.threads.iter().map(|t| t.messages).sum(),
        unread: s.threads.iter().map(|t| t.unread).sum(),
        latest_thread: s.threads.first().map(|t| {
            (
                format!("{threads_base}/{}", t.thread.id),
                t.thread.subject.clone(),
                uk_time(t.thread.last_message_at),
            )
        }),
        open_alerts: s
            .open_alerts
            .iter()
            .map(|a| {
                (
                    format!("/alerts/{}", a.id),
                    a.summary.clone(),
                    uk_time(a.raised_at),
                )
            })
            .collect(),
        reviews: s
            .reviews
            .iter()
            .map(|r| {
                (
                    p.staff_name(r.reviewer_id).to_string(),
                    uk_time(r.written_at),
                    r.feedback.clone(),
                )
            })
            .collect(),
        templates: templates
            .0
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.title.clone(),
                    chosen.is_some_and(|c| c.name == t.name),
                )
            })
            .collect(),
        unlock: match s.enrolment.status {
            Status::Active => s
                .enrolment
                .next_to_unlock()
                .and_then(|n| Some(format!("module {n}, {}", s.enrolment.module(n)?.title))),
            _ => None,
        },
        unlock_checked: filled.unlock,
        feedback,
        key: ReviewId::random().to_string(),
        written: filled.written && errors.is_empty(),
        errors,
    };
    let status = if body.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(status, &body))
}

/// `GET /staff/enrolments/{enrolment}/review`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ReviewQuery>,
) -> Result<Response, WebError> {
    let filled = Filled {
        feedback: String::new(),
        unlock: false,
        template: q.template,
        written: q.written.is_some(),
    };
    review_page(&state, &ctx, enrolment_id(&id)?, filled, Vec::new()).await
}

#[derive(serde::Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    feedback: String,
    #[serde(default)]
    unlock: Option<String>,
    #[serde(default)]
    due: String,
    #[serde(default)]
    key: String,
}

/// `POST /staff/enrolments/{enrolment}/review`: writes the review; a
/// problem with the feedback redraws the page with the text kept (422).
pub async fn write(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ReviewForm>,
) -> Result<Response, WebError> {
    let id = enrolment_id(&id)?;
    let due: i64 = f.due.trim().parse().map_err(|_| {
        AppError::Conflict("This review's due date has changed. Open the review page again.".into())
    })?;
    let unlock = f.unlock.is_some();
    let written = state
        .app
        .reviews()
        .write(
            &ctx.actor,
            id,
            due,
            &f.feedback,
            unlock,
            &f.key,
            &ctx.request,
        )
        .await;
    match field_errors(written)? {
        Ok(_) => {
            Ok(Redirect::to(&format!("/staff/enrolments/{id}/review?written=1")).into_response())
        }
        Err(errors) => {
            let filled = Filled {
                feedback: f.feedback,
                unlock,
                template: None,
                written: false,
            };
            review_page(&state, &ctx, id, filled, errors).await
        }
    }
}
