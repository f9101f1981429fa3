//! Triage and the waiting list: the queue (risk first, then longest
//! waiting), one referral with its answers, scores, matching candidates and
//! the decision forms, and the waiting list with its waiting-time standards,
//! where a first treatment contact or a discharge is recorded.

use super::field_errors;
use super::refer::{Errs, Fields};
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::format::{long_date, uk_time};
use crate::layout::{Chrome, html, page};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::episodes::WaitingList;
use bothy_app::triage::QueueEntry;
use bothy_app::{AppError, FieldError};
use bothy_domain::ids::{EpisodeId, ReferralId};
use bothy_domain::instruments::score::Scored;
use bothy_domain::referral::{Channel, Decision, Referral, Status, Step, rtt};
use bothy_domain::{PatientId, StaffId};

/// "14, moderate" or "Not answered".
fn score_text(s: &Option<Scored>) -> String {
    match s {
        Some(s) => {
            let total = crate::format::score(s.total);
            match &s.band {
                Some(b) => format!("{total}, {b}"),
                None => total,
            }
        }
        None => "Not answered".into(),
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn name_of(r: &Referral) -> String {
    let n = r.details.full_name();
    if n.is_empty() {
        "Name not given yet".into()
    } else {
        n
    }
}

fn referral_id(raw: &str) -> Result<ReferralId, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

fn episode_id(raw: &str) -> Result<EpisodeId, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

// ---------------------------------------------------------------------------
// The queue

pub struct QueueRow {
    pub id: String,
    pub name: String,
    pub risk: bool,
    /// The sender marked it urgent (a FHIR priority above routine).
    pub urgent: bool,
    pub status: &'static str,
    pub unsent: bool,
    pub waiting: String,
    pub source: &'static str,
    /// One score per column of the queue: the service's screening questionnaires.
    pub scores: Vec<String>,
}

fn queue_row(e: &QueueEntry, columns: usize) -> QueueRow {
    let r = &e.referral;
    QueueRow {
        id: r.id.to_string(),
        name: name_of(r),
        risk: r.risk,
        urgent: r.urgent,
        status: r.status.label(),
        unsent: r.status == Status::Draft,
        waiting: plural(e.days_waiting, "day", "days"),
        source: r.source.label(),
        scores: e
            .screening
            .iter()
            .take(columns)
            .map(|s| score_text(&s.scored))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "triage_queue.html")]
struct QueuePage {
    chrome: Chrome,
    /// The service's screening questionnaires, by short name.
    columns: Vec<String>,
    rows: Vec<QueueRow>,
}

/// `GET /staff/triage`.
pub async fn queue(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let entries = state.app.triage().queue(&ctx.actor, &ctx.request).await?;
    let service = ctx.actor.service_id().ok_or(AppError::Forbidden)?;
    let columns: Vec<String> = state
        .app
        .referrals()
        .screening(service)
        .await?
        .into_iter()
        .map(|i| i.short_name.clone())
        .collect();
    let chrome = Chrome::for_ctx(&state, &ctx, "Triage").await?;
    Ok(page(&QueuePage {
        chrome,
        rows: entries
            .iter()
            .map(|e| queue_row(e, columns.len()))
            .collect(),
        columns,
    }))
}

// ---------------------------------------------------------------------------
// One referral

pub struct Detail {
    pub label: &'static str,
    pub value: String,
}

pub struct AnswerRow {
    pub n: u16,
    pub text: String,
    pub answer: String,
    pub risk: bool,
}

pub struct Screening {
    pub id: String,
    pub name: String,
    pub score: String,
    pub answers: Vec<AnswerRow>,
}

pub struct CandidateRow {
    pub patient_id: String,
    pub name: String,
    pub date_of_birth: String,
    pub identifiers: String,
    pub postcode: String,
    pub reason: String,
    pub verdict: Option<&'static str>,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "triage_referral.html")]
struct ReferralPage {
    chrome: Chrome,
    csrf: String,
    id: String,
    name: String,
    risk: bool,
    urgent: bool,
    unsent: bool,
    in_triage: bool,
    status: &'static str,
    decision_note: Option<String>,
    decided: bool,
    details: Vec<Detail>,
    problems: Vec<&'static str>,
    problem_text: Option<String>,
    screening: Vec<Screening>,
    consents: Vec<Detail>,
    candidates: Vec<CandidateRow>,
    steps: Vec<Choice>,
    practitioners: Vec<Choice>,
    no_practitioners: bool,
    /// The guided programmes, for the digital programme step.
    programmes: Vec<Choice>,
    typed: DecisionForm,
    errors: Vec<FieldError>,
    errs: Errs,
}

/// A decision form as typed, kept when it comes back with errors.
#[derive(Default, Clone)]
pub struct DecisionForm {
    pub step: String,
    pub practitioner: String,
    pub programme: String,
    pub place: String,
    pub reason: String,
    pub question: String,
}

fn yes_no(b: bool) -> String {
    if b { "Yes" } else { "No" }.into()
}

async fn referral_page(
    state: &AppState,
    ctx: &Ctx,
    id: ReferralId,
    typed: DecisionForm,
    decided: bool,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let app = &state.app;
    let view = app.triage().view(&ctx.actor, id, &ctx.request).await?;
    let r = &view.entry.referral;
    let d = &r.details;
    let given = |v: &Option<String>| v.clone().unwrap_or_else(|| "Not given".into());
    let mut details = vec![
        Detail {
            label: "Status",
            value: r.status.label().into(),
        },
        Detail {
            label: "Source",
            value: r.source.label().into(),
        },
        Detail {
            label: if r.received_at.is_some() {
                "Received"
            } else {
                "Started (not sent)"
            },
            value: uk_time(r.received_at.unwrap_or(r.created_at)),
        },
        Detail {
            label: "Waiting",
            value: plural(view.entry.days_waiting, "day", "days"),
        },
        Detail {
            label: "Date of birth",
            value: d
                .date_of_birth
                .map(long_date)
                .unwrap_or_else(|| "Not given".into()),
        },
        Detail {
            label: "Email address",
            value: given(&d.email),
        },
        Detail {
            label: "Phone number",
            value: given(&d.phone),
        },
        Detail {
            label: "Contact by",
            value: match d.preferred_channel {
                Some(Channel::Email) => "Email".into(),
                Some(Channel::Sms) => "Text message".into(),
                None => "Not given".into(),
            },
        },
        Detail {
            label: "Language",
            value: given(&d.language),
        },
        Detail {
            label: "Accessibility needs",
            value: given(&d.accessibility_needs),
        },
        Detail {
            label: "NHS number",
            value: given(&d.nhs_number),
        },
        Detail {
            label: "CHI number",
            value: given(&d.chi),
        },
        Detail {
            label: "Postcode",
            value: given(&d.postcode),
        },
        Detail {
            label: "GP practice",
            value: given(&d.gp_practice),
        },
    ];
    if d.referrer_name.is_some() || d.referrer_organisation.is_some() {
        details.push(Detail {
            label: "Referred by",
            value: [
                &d.referrer_name,
                &d.referrer_organisation,
                &d.referrer_email,
            ]
            .iter()
            .filter_map(|v| v.as_deref())
            .collect::<Vec<_>>()
            .join(", "),
        });
    }
    let mut screening = Vec::new();
    for s in &view.entry.screening {
        let Some(inst) = app.catalogue().get(&s.instrument) else {
            continue;
        };
        let scored = &s.scored;
        let answers = d.screening.get(&s.instrument).cloned().unwrap_or_default();
        let risky = bothy_domain::instruments::score::risk_flags(inst, &answers);
        screening.push(Screening {
            id: inst.id.clone(),
            name: format!("{} ({})", inst.name, inst.short_name),
            score: score_text(scored),
            answers: inst
                .items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let chosen = answers.get(i).copied().flatten();
                    AnswerRow {
                        n: item.n,
                        text: item.text.clone(),
                        answer: chosen
                            .map(|v| {
                                let label = inst
                                    .options_for(item)
                                    .iter()
                                    .find(|o| o.score == v)
                                    .map(|o| o.label.clone())
                                    .unwrap_or_default();
                                format!("{label} ({v})")
                            })
                            .unwrap_or_else(|| "Not answered".into()),
                        risk: risky.contains(&item.n),
                    }
                })
                .collect(),
        });
    }
    let c = &d.consents;
    let consents = vec![
        Detail {
            label: "Treatment",
            value: yes_no(c.treatment),
        },
        Detail {
            label: "Contact by text message",
            value: yes_no(c.contact_sms),
        },
        Detail {
            label: "Contact by email",
            value: yes_no(c.contact_email),
        },
        Detail {
            label: "Sharing with the GP",
            value: yes_no(c.share_with_gp),
        },
        Detail {
            label: "Anonymised evaluation",
            value: yes_no(c.evaluation),
        },
    ];
    let candidates = view
        .candidates
        .iter()
        .map(|c| {
            let p = &c.patient;
            let ids: Vec<String> = [
                p.nhs_number.as_ref().map(|n| format!("NHS {n}")),
                p.chi.as_ref().map(|n| format!("CHI {n}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            CandidateRow {
                patient_id: p.id.to_string(),
                name: format!("{} {}", p.given_name, p.family_name),
                date_of_birth: p
                    .date_of_birth
                    .parse::<bothy_domain::time::Date>()
                    .map(long_date)
                    .unwrap_or_else(|_| p.date_of_birth.clone()),
                identifiers: if ids.is_empty() {
                    "None recorded".into()
                } else {
                    ids.join(", ")
                },
                postcode: p.postcode.clone().unwrap_or_else(|| "Not recorded".into()),
                reason: c.reason.clone(),
                verdict: match c.verdict.as_deref() {
                    Some("confirmed") => Some("Confirmed: the same person"),
                    Some("rejected") => Some("Rejected: not the same person"),
                    _ => None,
                },
            }
        })
        .collect();
    let steps = Step::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str().into(),
            label: s.label().into(),
            selected: typed.step == s.as_str(),
        })
        .collect();
    let practitioners: Vec<Choice> = view
        .practitioners
        .iter()
        .map(|(id, name)| Choice {
            value: id.to_string(),
            label: name.clone(),
            selected: typed.practitioner == id.to_string(),
        })
        .collect();
    let programmes = state
        .app
        .programmes()
        .all()
        .into_iter()
        .filter(|p| p.kind == bothy_domain::programmes::Kind::Guided)
        .map(|p| Choice {
            value: p.id.clone(),
            label: p.title.clone(),
            selected: typed.programme == p.id,
        })
        .collect();
    let title = name_of(r);
    let chrome = Chrome::for_ctx(
        state,
        ctx,
        &if errors.is_empty() {
            title.clone()
        } else {
            format!("Error: {title}")
        },
    )
    .await?;
    let csrf = chrome.csrf.clone().ok_or(AppError::Unauthenticated)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(
        status,
        &ReferralPage {
            chrome,
            csrf,
            id: r.id.to_string(),
            name: title,
            risk: r.risk,
            urgent: r.urgent,
            unsent: r.status == Status::Draft,
            in_triage: r.awaiting_decision(),
            status: r.status.label(),
            decision_note: r.decision_note.clone(),
            decided,
            details,
            problems: d.problems.iter().map(|p| p.label()).collect(),
            problem_text: d.problem_text.clone(),
            screening,
            consents,
            candidates,
            steps,
            no_practitioners: practitioners.is_empty(),
            practitioners,
            programmes,
            typed,
            errs: Errs(errors.clone()),
            errors,
        },
    ))
}

#[derive(serde::Deserialize)]
pub struct ReferralQuery {
    #[serde(default)]
    decided: Option<String>,
}

/// `GET /staff/referrals/{referral}`.
pub async fn referral(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ReferralQuery>,
) -> Result<Response, WebError> {
    referral_page(
        &state,
        &ctx,
        referral_id(&id)?,
        DecisionForm::default(),
        q.decided.is_some(),
        Vec::new(),
    )
    .await
}

/// `POST /staff/referrals/{referral}/match`: a clinician's verdict on a
/// candidate. Recorded only; nothing is ever merged.
pub async fn record_match(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = referral_id(&id)?;
    let f = Fields(fields);
    let patient: PatientId = f
        .get("patient_id")
        .parse()
        .map_err(|_| AppError::NotFound)?;
    let confirmed = match f.get("verdict").as_str() {
        "confirm" => true,
        "reject" => false,
        _ => return Err(WebError::status(StatusCode::BAD_REQUEST)),
    };
    state
        .app
        .triage()
        .record_match(&ctx.actor, id, patient, confirmed, &ctx.request)
        .await?;
    Ok(Redirect::to(&format!("/staff/referrals/{id}#matches")).into_response())
}

/// `POST /staff/referrals/{referral}/decision`: accept, signpost, decline
/// or ask for more information (field `decision`).
pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = referral_id(&id)?;
    let f = Fields(fields);
    let typed = DecisionForm {
        step: f.get("step"),
        practitioner: f.get("practitioner"),
        programme: f.get("programme"),
        place: f.get("place"),
        reason: f.get("reason"),
        question: f.get("question"),
    };
    let decision = match f.get("decision").as_str() {
        "accept" => {
            let step = Step::parse(&typed.step);
            let practitioner = typed.practitioner.parse::<StaffId>().ok();
            let mut errors = Vec::new();
            if step.is_none() {
                errors.push(FieldError {
                    field: "step".into(),
                    message: "Choose the step of care to accept the person to".into(),
                });
            }
            if practitioner.is_none() {
                errors.push(FieldError {
                    field: "practitioner".into(),
                    message: "Choose the practitioner who will support the person".into(),
                });
            }
            match (step, practitioner) {
                (Some(step), Some(practitioner)) => Decision::Accept {
                    step,
                    practitioner,
                    programme: Some(typed.programme.trim().to_string()).filter(|p| !p.is_empty()),
                },
                _ => return referral_page(&state, &ctx, id, typed, false, errors).await,
            }
        }
        "signpost" => Decision::Signpost {
            place: typed.place.clone(),
        },
        "decline" => Decision::Decline {
            reason: typed.reason.clone(),
        },
        "request_info" => Decision::RequestInfo {
            question: typed.question.clone(),
        },
        _ => return Err(WebError::status(StatusCode::BAD_REQUEST)),
    };
    let result = state
        .app
        .triage()
        .decide(&ctx.actor, id, decision, &ctx.request)
        .await;
    match field_errors(result)? {
        Ok(_) => Ok(Redirect::to(&format!("/staff/referrals/{id}?decided=1")).into_response()),
        Err(errors) => referral_page(&state, &ctx, id, typed, false, errors).await,
    }
}

// ---------------------------------------------------------------------------
// The waiting list

pub struct WaitingRow {
    pub episode_id: String,
    pub patient_id: String,
    pub name: String,
    pub referred: String,
    pub weeks: String,
    pub over_6: bool,
    pub over_18: bool,
    pub flags: usize,
    pub risk_at_referral: bool,
    /// The referral, to read its answers and words.
    pub referral_id: String,
    pub step: String,
}

/// A share of completed waits and the standard it is measured against.
pub struct StandardRow {
    pub standard: &'static str,
    pub actual: String,
    pub met: Option<bool>,
}

#[derive(Template)]
#[template(path = "waiting_list.html")]
struct WaitingPage {
    chrome: Chrome,
    csrf: String,
    rows: Vec<WaitingRow>,
    standards: Vec<StandardRow>,
    completed: u64,
    notice: Option<&'static str>,
    errors: Vec<FieldError>,
    errs: Errs,
}

fn percent(share: Option<f64>) -> String {
    match share {
        Some(s) => format!("{:.0}%", s * 100.0),
        None => "No completed waits yet".into(),
    }
}

fn standards(list: &WaitingList) -> Vec<StandardRow> {
    [
        (rtt::SCOTLAND_18_WEEKS, list.within_18_weeks),
        (rtt::ENGLAND_6_WEEKS, list.within_6_weeks),
        (rtt::ENGLAND_18_WEEKS, list.within_18_weeks),
    ]
    .into_iter()
    .map(|(standard, share)| StandardRow {
        standard: standard.name,
        actual: percent(share),
        met: share.map(|s| standard.is_met_by(s)),
    })
    .collect()
}

async fn waiting_page(
    state: &AppState,
    ctx: &Ctx,
    notice: Option<&'static str>,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let list = state
        .app
        .episodes()
        .waiting_list(&ctx.actor, &ctx.request)
        .await?;
    let rows = list
        .entries
        .iter()
        .map(|e| WaitingRow {
            episode_id: e.episode.id.to_string(),
            patient_id: e.patient.id.to_string(),
            name: e.patient.full_name(),
            referred: uk_time(e.episode.referred_at),
            weeks: plural(e.weeks_waited, "week", "weeks"),
            over_6: e.over_6_weeks,
            over_18: e.over_18_weeks,
            flags: e.open_flags,
            risk_at_referral: e.risk_at_referral,
            referral_id: e.episode.referral_id.to_string(),
            step: e.episode.step.label().to_string(),
        })
        .collect();
    let title = if errors.is_empty() {
        "Waiting list"
    } else {
        "Error: Waiting list"
    };
    let chrome = Chrome::for_ctx(state, ctx, title).await?;
    let csrf = chrome.csrf.clone().ok_or(AppError::Unauthenticated)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(
        status,
        &WaitingPage {
            chrome,
            csrf,
            rows,
            standards: standards(&list),
            completed: list.completed_waits,
            notice,
            errs: Errs(errors.clone()),
            errors,
        },
    ))
}

#[derive(serde::Deserialize)]
pub struct WaitingQuery {
    #[serde(default)]
    contact: Option<String>,
}

/// `GET /staff/waiting`.
pub async fn waiting(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<WaitingQuery>,
) -> Result<Response, WebError> {
    let notice = q.contact.map(|_| {
        "First treatment contact recorded: the waiting time has stopped, so the person has left the waiting list."
    });
    waiting_page(&state, &ctx, notice, Vec::new()).await
}

/// `POST /staff/episodes/{episode}/contact`: the first stops the waiting-time clock.
pub async fn treatment_contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    state
        .app
        .episodes()
        .record_contact(&ctx.actor, episode_id(&id)?, &ctx.request)
        .await?;
    // Back to the patient's page when recorded there (only a patient page
    // address is accepted, so this cannot send anyone elsewhere).
    let back = Fields(fields).get("back");
    let to_patient = back
        .strip_prefix("/staff/patients/")
        .and_then(|p| p.parse::<bothy_domain::PatientId>().ok());
    Ok(match to_patient {
        Some(p) => Redirect::to(&format!("/staff/patients/{p}?contact=1")),
        None => Redirect::to("/staff/waiting?contact=1"),
    }
    .into_response())
}

pub struct OutcomeRow {
    pub label: &'static str,
    pub value: &'static str,
}

#[derive(Template)]
#[template(path = "waiting_discharged.html")]
struct DischargedPage {
    chrome: Chrome,
    reason: String,
    rows: Vec<OutcomeRow>,
    notes: Vec<String>,
}

fn defined(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "Yes",
        Some(false) => "No",
        None => "Not defined (see notes)",
    }
}

/// `POST /staff/episodes/{episode}/discharge`: ends the episode with a
/// reason and shows its NHS Talking Therapies outcome.
pub async fn discharge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = episode_id(&id)?;
    let reason = Fields(fields).get("reason");
    let result = state
        .app
        .episodes()
        .discharge(&ctx.actor, id, &reason, &ctx.request)
        .await;
    match field_errors(result)? {
        Ok(o) => {
            let rows = vec![
                OutcomeRow {
                    label: "Finished a course of treatment",
                    value: defined(o.finished_treatment),
                },
                OutcomeRow {
                    label: "At caseness at the start",
                    value: defined(o.at_caseness),
                },
                OutcomeRow {
                    label: "Recovered",
                    value: defined(o.recovered),
                },
                OutcomeRow {
                    label: "Reliable improvement",
                    value: defined(o.reliable_improvement),
                },
                OutcomeRow {
                    label: "Reliable recovery",
                    value: defined(o.reliable_recovery),
                },
                OutcomeRow {
                    label: "Reliable deterioration",
                    value: defined(o.reliable_deterioration),
                },
            ];
            let chrome = Chrome::for_ctx(&state, &ctx, "Episode ended").await?;
            Ok(page(&DischargedPage {
                chrome,
                reason: reason.trim().to_string(),
                rows,
                notes: o.notes,
            }))
        }
        Err(errors) => {
            // The reason box of this episode's row.
            let errors = errors
                .into_iter()
                .map(|e| FieldError {
                    field: format!("{}-{id}", e.field),
                    message: e.message,
                })
                .collect();
            waiting_page(&state, &ctx, None, errors).await
        }
    }
}
