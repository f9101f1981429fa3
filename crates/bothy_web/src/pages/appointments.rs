//! Appointments: the staff patient page's section (its appointments, what
//! happened at each), booking (`/staff/patients/{id}/appointments/new`, a
//! form redrawn with its values and the problems), the staff list
//! (`/staff/appointments`: a practitioner's own, a clinical lead's whole
//! service), recording an outcome, and the person's upcoming appointments
//! with the join link on their home page.

use super::field_errors;
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::format::{london, uk_time};
use crate::layout::{Chrome, NavLink, html, page};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::appointments::{BookingForm, Listed};
use bothy_app::{AppError, FieldError};
use bothy_domain::PatientId;
use bothy_domain::appointments::{Kind, MAX_MINUTES, MIN_MINUTES, Status};
use bothy_domain::ids::AppointmentId;

/// The staff navigation's link to the list, for staff who may open records.
pub fn nav_link(s: &bothy_app::policy::StaffActor) -> Option<NavLink> {
    use bothy_app::Permission::{AllPatients, OwnCaseload};
    (s.has(AllPatients) || s.has(OwnCaseload)).then_some(NavLink {
        href: "/staff/appointments",
        label: "Appointments",
    })
}

/// One appointment as a page lists it.
pub struct Row {
    pub id: String,
    pub when: String,
    pub minutes: u16,
    pub kind: &'static str,
    pub practitioner: String,
    pub status: &'static str,
    pub booked: bool,
    /// Booked and not started: it may move.
    pub movable: bool,
    pub join: Option<String>,
    /// Staff lists: the person's name and record.
    pub patient: Option<(String, String)>,
}

fn row(l: &Listed, now: jiff::Timestamp) -> Row {
    let a = &l.appointment;
    Row {
        id: a.id.to_string(),
        when: uk_time(a.slot.starts_at()),
        minutes: a.slot.minutes(),
        kind: a.kind.label(),
        practitioner: l.practitioner.clone(),
        status: a.status.label(),
        booked: a.status == Status::Booked,
        movable: a.movable(now).is_ok(),
        join: l.join.clone(),
        patient: l
            .patient
            .as_ref()
            .map(|p| (p.full_name(), format!("/staff/patients/{}", p.id))),
    }
}

/// The outcomes staff may record, as (value, label).
pub const OUTCOMES: [(&str, &str); 4] = [
    ("attended", "Attended"),
    ("did_not_attend", "Did not attend"),
    ("cancelled_by_service", "Cancelled by the service"),
    ("cancelled_by_patient", "Cancelled by the person"),
];

/// The appointments section of the staff patient page (an audited read).
pub struct Section {
    pub rows: Vec<Row>,
    pub outcomes: &'static [(&'static str, &'static str)],
}

pub fn section(list: &[Listed], now: bothy_domain::time::Timestamp) -> Section {
    Section {
        rows: list.iter().map(|l| row(l, now)).collect(),
        outcomes: &OUTCOMES,
    }
}

/// The person's upcoming appointments, for their home page (an audited read).
pub async fn upcoming_for_patient(
    state: &AppState,
    ctx: &Ctx,
    patient: PatientId,
) -> Result<Vec<Row>, WebError> {
    let now = state.app.clock().now();
    let list = state
        .app
        .appointments()
        .of_patient(&ctx.actor, patient, &ctx.request)
        .await?;
    Ok(list
        .iter()
        .filter(|l| l.appointment.upcoming(now))
        .map(|l| row(l, now))
        .collect())
}

fn patient_id(raw: &str) -> Result<PatientId, WebError> {
    super::staff::patient_id(raw)
}

#[derive(Template)]
#[template(path = "appointment_book.html")]
struct BookPage {
    chrome: Chrome,
    patient_id: String,
    patient_name: String,
    csrf: String,
    errors: Vec<FieldError>,
    f: BookingForm,
    practitioners: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    min_minutes: u16,
    max_minutes: u16,
    /// Today's date in the UK, the date field's earliest.
    today: String,
}

impl BookPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

async fn book_page(
    state: &AppState,
    ctx: &Ctx,
    patient: PatientId,
    f: BookingForm,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    // The record itself, read (and audited) the way the patient page reads
    // it, so a person not theirs is a 404 here too.
    let p = state
        .app
        .records()
        .patient(&ctx.actor, patient, &ctx.request)
        .await?;
    let practitioners = state
        .app
        .appointments()
        .practitioners(&ctx.actor)
        .await?
        .into_iter()
        .map(|p| (p.id.to_string(), p.name))
        .collect();
    let chrome = Chrome::for_ctx(state, ctx, "Book an appointment").await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = BookPage {
        csrf: chrome.csrf.clone().unwrap_or_default(),
        chrome,
        patient_id: p.id.to_string(),
        patient_name: p.full_name(),
        errors,
        f,
        practitioners,
        kinds: Kind::ALL.iter().map(|k| (k.as_str(), k.label())).collect(),
        min_minutes: MIN_MINUTES,
        max_minutes: MAX_MINUTES,
        today: state
            .app
            .clock()
            .now()
            .to_zoned(london())
            .date()
            .to_string(),
    };
    Ok(html(status, &page))
}

/// `GET /staff/patients/{id}/appointments/new`: the booking form, with
/// the signed-in practitioner and 50 minutes chosen.
pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let me = match &ctx.actor {
        bothy_app::Actor::Staff(s) => s.id.to_string(),
        _ => String::new(),
    };
    let f = BookingForm {
        practitioner: me,
        kind: Kind::Video.as_str().into(),
        minutes: "50".into(),
        key: AppointmentId::random().to_string(),
        ..BookingForm::default()
    };
    book_page(&state, &ctx, patient_id(&id)?, f, Vec::new()).await
}

#[derive(serde::Deserialize)]
pub struct BookForm {
    #[serde(default)]
    practitioner: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    key: String,
}

/// `POST /staff/patients/{id}/appointments`: books, then shows the record's
/// appointments; a problem redraws the form with what was typed (422).
pub async fn book(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<BookForm>,
) -> Result<Response, WebError> {
    let patient = patient_id(&id)?;
    let form = BookingForm {
        practitioner: f.practitioner,
        kind: f.kind,
        date: f.date,
        time: f.time,
        minutes: f.minutes,
        key: f.key,
    };
    let booked = state
        .app
        .appointments()
        .book(&ctx.actor, patient, &form, &ctx.request)
        .await;
    match field_errors(booked)? {
        Ok(_) => Ok(
            Redirect::to(&format!("/staff/patients/{patient}?booked=1#appointments"))
                .into_response(),
        ),
        Err(errors) => book_page(&state, &ctx, patient, form, errors).await,
    }
}

#[derive(Template)]
#[template(path = "staff_appointment_list.html")]
struct ListPage {
    chrome: Chrome,
    csrf: String,
    rows: Vec<Row>,
    whole_service: bool,
    outcomes: &'static [(&'static str, &'static str)],
    recorded: bool,
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    recorded: Option<String>,
}

/// `GET /staff/appointments`.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let (list, whole_service) = state
        .app
        .appointments()
        .upcoming(&ctx.actor, &ctx.request)
        .await?;
    let chrome = Chrome::for_ctx(&state, &ctx, "Appointments").await?;
    let now = state.app.clock().now();
    Ok(page(&ListPage {
        csrf: chrome.csrf.clone().unwrap_or_default(),
        chrome,
        rows: list.iter().map(|l| row(l, now)).collect(),
        whole_service,
        outcomes: &OUTCOMES,
        recorded: q.recorded.is_some(),
    }))
}

#[derive(serde::Deserialize)]
pub struct RecordForm {
    #[serde(default)]
    status: String,
    /// Where to go back to: the list, or the record.
    #[serde(default)]
    back: String,
}

/// `POST /staff/appointments/{appointment}`: records what happened.
pub async fn record(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<RecordForm>,
) -> Result<Response, WebError> {
    let id: AppointmentId = id.parse().map_err(|_| AppError::NotFound)?;
    let a = state
        .app
        .appointments()
        .record(&ctx.actor, id, &f.status, &ctx.request)
        .await?;
    let back = if f.back == "record" {
        format!("/staff/patients/{}?recorded=1#appointments", a.patient_id)
    } else {
        "/staff/appointments?recorded=1".to_string()
    };
    Ok(Redirect::to(&back).into_response())
}

#[derive(Template)]
#[template(path = "appointment_move.html")]
struct MovePage {
    chrome: Chrome,
    csrf: String,
    id: String,
    patient_id: String,
    patient_name: String,
    practitioner: String,
    now_at: String,
    errors: Vec<FieldError>,
    f: BookingForm,
    sequence: String,
    today: String,
}

impl MovePage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

fn appointment_id(raw: &str) -> Result<AppointmentId, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

async fn move_page(
    state: &AppState,
    ctx: &Ctx,
    id: AppointmentId,
    filled: Option<(BookingForm, String)>,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let l = state
        .app
        .appointments()
        .get(&ctx.actor, id, &ctx.request)
        .await?;
    let a = &l.appointment;
    let patient = l.patient.as_ref().ok_or(AppError::NotFound)?;
    let start = a.slot.starts_at().to_zoned(london());
    let (f, sequence) = filled.unwrap_or_else(|| {
        let f = BookingForm {
            date: start.date().to_string(),
            time: start.strftime("%H:%M").to_string(),
            minutes: a.slot.minutes().to_string(),
            ..BookingForm::default()
        };
        (f, a.sequence.to_string())
    });
    let chrome = Chrome::for_ctx(state, ctx, "Move an appointment").await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = MovePage {
        csrf: chrome.csrf.clone().unwrap_or_default(),
        chrome,
        id: a.id.to_string(),
        patient_id: patient.id.to_string(),
        patient_name: patient.full_name(),
        practitioner: l.practitioner.clone(),
        now_at: uk_time(a.slot.starts_at()),
        errors,
        f,
        sequence,
        today: state
            .app
            .clock()
            .now()
            .to_zoned(london())
            .date()
            .to_string(),
    };
    Ok(html(status, &page))
}

/// `GET /staff/appointments/{appointment}/edit`: the form that moves it.
pub async fn move_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    move_page(&state, &ctx, appointment_id(&id)?, None, Vec::new()).await
}

#[derive(serde::Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    minutes: String,
    /// The moves the form saw: a move of an appointment moved since is a 409.
    #[serde(default)]
    sequence: String,
}

/// `POST /staff/appointments/{appointment}/edit`: moves it and sends the
/// new invitation; a problem redraws the form with what was typed (422).
pub async fn move_to(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<MoveForm>,
) -> Result<Response, WebError> {
    let id = appointment_id(&id)?;
    let form = BookingForm {
        date: f.date,
        time: f.time,
        minutes: f.minutes,
        ..BookingForm::default()
    };
    let moved = state
        .app
        .appointments()
        .reschedule(&ctx.actor, id, &form, &f.sequence, &ctx.request)
        .await;
    match field_errors(moved)? {
        Ok(a) => Ok(Redirect::to(&format!(
            "/staff/patients/{}?moved=1#appointments",
            a.patient_id
        ))
        .into_response()),
        Err(errors) => move_page(&state, &ctx, id, Some((form, f.sequence)), errors).await,
    }
}
