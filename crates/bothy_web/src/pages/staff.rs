//! Staff pages: home (by role: caseload, front door, team; `caseload.rs`; an analyst's home is the reports page), a patient's record, staff list.

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::format::uk_time;
use crate::layout::{Chrome, page};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use bothy_app::AppError;
use bothy_app::measures::History;
use bothy_app::records::PatientRecord;
use bothy_app::records::StaffHome;
use bothy_domain::PatientId;
use bothy_domain::model::StaffMember;
use bothy_domain::role::Role;

#[derive(Template)]
#[template(path = "staff_home.html")]
struct HomePage {
    chrome: Chrome,
    csrf: String,
    home: StaffHome,
    view: super::caseload::HomeView,
}

pub async fn home(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    // An analyst sees aggregate figures only: their home is the dashboard.
    if let bothy_app::Actor::Staff(s) = &ctx.actor
        && s.roles().next().is_some()
        && s.roles().all(|r| r == Role::Analyst)
    {
        return Ok(axum::response::IntoResponse::into_response(
            axum::response::Redirect::to("/staff/reports"),
        ));
    }
    // A moderator's home is the moderation queue: they see no records, so
    // the caseload page would be empty for them.
    if let bothy_app::Actor::Staff(s) = &ctx.actor
        && s.has(bothy_app::policy::Permission::Moderate)
        && !s.has(bothy_app::policy::Permission::AllPatients)
        && !s.has(bothy_app::policy::Permission::OwnCaseload)
        && !s.has(bothy_app::policy::Permission::ManageStaff)
        && !s.has(bothy_app::policy::Permission::Reports)
    {
        return super::peer_moderation::queue_page(&state, &ctx, None).await;
    }
    let home = state
        .app
        .records()
        .staff_home(&ctx.actor, &ctx.request)
        .await?;
    let chrome = Chrome::for_ctx(&state, &ctx, "Home").await?;
    let csrf = chrome.csrf.clone().unwrap_or_default();
    let view = super::caseload::view(&home, state.app.clock().now());
    Ok(page(&HomePage {
        chrome,
        csrf,
        home,
        view,
    }))
}

#[derive(Template)]
#[template(path = "staff_patient.html")]
struct PatientPage {
    chrome: Chrome,
    m: PatientRecord,
    alerts: Vec<super::alerts::AlertRow>,
    past_alerts: Vec<super::alerts::AlertRow>,
    charts: Vec<ChartView>,
    episode: Option<EpisodeView>,
    csrf: String,
    contact_recorded: bool,
    mood_svg: String,
    rows: Vec<super::check_ins::CheckInRow>,
    safety_plan: Option<super::safety_plan::PlanView>,
    programmes: super::enrolments::Section,
    tool_entries: Vec<super::tools::StaffLine>,
    messages: super::messages::Section,
    /// Whether this person may read referrals (triage clinicians and leads).
    may_read_referrals: bool,
    /// Messages not sent to the person: (when, which message, why).
    not_sent: Vec<(String, String, String)>,
    /// Messages sent: (when, which message, channel, delivery).
    sent: Vec<(String, String, &'static str, String)>,
    /// A text-message conversation was just started (`sent`), or one was
    /// open already (`open`).
    sms_notice: String,
    appointments: super::appointments::Section,
    /// Just booked, or just recorded, an appointment.
    booked: bool,
    recorded: bool,
    moved: bool,
    /// The daily check-in reminder's times: (time, chosen).
    prompt_times: Vec<(String, bool)>,
    prompt_hint: &'static str,
}

/// The open episode of care, as the patient page shows it.
struct EpisodeView {
    id: String,
    step: String,
    referred: String,
    waiting: String,
    appointments: u32,
    /// Whether this person may record contacts and discharge (triage clinicians and leads).
    may_manage: bool,
}

fn episode_view(
    e: &bothy_domain::referral::Episode,
    now: bothy_domain::time::Timestamp,
    may_manage: bool,
) -> EpisodeView {
    use bothy_domain::referral::rtt;
    let waiting = match e.first_treatment_at {
        Some(t) => format!(
            "Treatment started {} ({} weeks after referral)",
            uk_time(t),
            rtt::weeks_waited(e.referred_at, t)
        ),
        None => format!(
            "Waiting {} weeks for treatment",
            rtt::weeks_waited(e.referred_at, now)
        ),
    };
    EpisodeView {
        id: e.id.to_string(),
        step: e.step.label().to_string(),
        referred: uk_time(e.referred_at),
        waiting,
        appointments: e.treatment_appointments,
        may_manage,
    }
}

#[derive(serde::Deserialize)]
pub struct PatientQuery {
    #[serde(default)]
    contact: Option<String>,
    #[serde(default)]
    sms: Option<String>,
    #[serde(default)]
    booked: Option<String>,
    #[serde(default)]
    recorded: Option<String>,
    #[serde(default)]
    moved: Option<String>,
}

struct RowView {
    date: String,
    score: String,
    band: String,
    prorated: bool,
    /// The answer to each risk item, and whether it signalled risk.
    risk_answers: Vec<(String, bool)>,
    answers: String,
}

struct ChartView {
    id: String,
    history: History,
    svg: String,
    risk_columns: Vec<u16>,
    rows: Vec<RowView>,
}

fn chart_view(history: History) -> ChartView {
    let inst = &history.instrument;
    let id = format!("chart-{}", inst.id);
    let risk_columns: Vec<u16> = inst.risk_items.iter().map(|r| r.item).collect();
    let rows = history
        .responses
        .iter()
        .rev()
        .map(|r| RowView {
            date: uk_time(r.submitted_at),
            score: crate::format::score(r.total),
            band: r.band.clone().unwrap_or_default(),
            prorated: r.prorated,
            risk_answers: risk_columns
                .iter()
                .map(|n| {
                    let a = r
                        .answers
                        .get(usize::from(*n).saturating_sub(1))
                        .copied()
                        .flatten();
                    (
                        a.map(|v| v.to_string())
                            .unwrap_or_else(|| "not answered".into()),
                        r.risk_items.contains(n),
                    )
                })
                .collect(),
            answers: r
                .answers
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    format!(
                        "{}: {}",
                        i + 1,
                        a.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let svg = crate::chart::measure_chart(inst, &history.responses, &id);
    ChartView {
        id,
        history,
        svg,
        risk_columns,
        rows,
    }
}

/// A malformed id answers exactly like a missing record.
pub fn patient_id(raw: &str) -> Result<PatientId, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

pub async fn patient(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<PatientQuery>,
) -> Result<Response, WebError> {
    let m = state
        .app
        .records()
        .patient_record(&ctx.actor, patient_id(&id)?, &ctx.request)
        .await?;
    let programmes = super::enrolments::section(&state, &m.enrolments, &m.supporters);
    let messages = super::messages::section(&m.threads, m.patient.id);
    let appointments = super::appointments::section(&m.appointments, state.app.clock().now());
    let chrome = Chrome::for_ctx(&state, &ctx, &m.patient.full_name()).await?;
    let (alerts, past_alerts) =
        super::alerts::patient_rows(&m.alerts, &m.patient.full_name(), state.app.clock().now());
    let charts = m.histories.clone().into_iter().map(chart_view).collect();
    let may_manage =
        matches!(&ctx.actor, bothy_app::Actor::Staff(s) if s.has(bothy_app::Permission::Triage));
    let episode = m
        .episode
        .as_ref()
        .map(|e| episode_view(e, state.app.clock().now(), may_manage));
    let safety_plan = super::safety_plan::plan_view(m.safety_plan.clone());
    let mood_svg = super::check_ins::chart(&m.check_ins, "chart-mood");
    let rows = super::check_ins::rows(&m.check_ins);
    let csrf = chrome.csrf.clone().unwrap_or_default();
    let tool_entries = super::tools::staff_lines_of(&m.tool_entries);
    let not_sent = m
        .not_sent
        .iter()
        .map(|n| {
            let template = bothy_app::notify::MessageTemplate::parse(&n.template)
                .map_or_else(|| n.template.clone(), |t| t.label().to_string());
            (crate::format::uk_time(n.at), template, n.reason.label())
        })
        .collect();
    let sent = m
        .sent
        .iter()
        .map(|s| {
            let delivery = match (s.status, s.status_at) {
                (bothy_app::sms::DeliveryStatus::Sent, _) | (_, None) => "Sent".to_string(),
                (bothy_app::sms::DeliveryStatus::Delivered, Some(at)) => {
                    format!("Delivered {}", crate::format::uk_time(at))
                }
                (bothy_app::sms::DeliveryStatus::Failed, Some(at)) => {
                    format!("Failed {}", crate::format::uk_time(at))
                }
            };
            (
                crate::format::uk_time(s.sent_at),
                s.label.clone(),
                s.channel.label(),
                delivery,
            )
        })
        .collect();
    Ok(page(&PatientPage {
        prompt_times: super::check_ins::prompt_times(&m.prompt_times, m.check_in_prompt),
        prompt_hint: "Each day at this time (UK time) they are asked for a check-in: by text \
            message if that is how they are contacted, with a reply as the check-in; otherwise \
            by a reminder. Not on a day they have checked in already.",
        sent,
        sms_notice: q.sms.clone().unwrap_or_default(),
        not_sent,
        chrome,
        tool_entries,
        safety_plan,
        mood_svg,
        rows,
        m,
        alerts,
        past_alerts,
        charts,
        episode,
        csrf,
        contact_recorded: q.contact.is_some(),
        programmes,
        messages,
        may_read_referrals: may_manage,
        appointments,
        booked: q.booked.is_some(),
        recorded: q.recorded.is_some(),
        moved: q.moved.is_some(),
    }))
}

#[derive(Template)]
#[template(path = "staff_list.html")]
struct StaffListPage {
    chrome: Chrome,
    staff: Vec<(StaffMember, Vec<Role>)>,
}

pub async fn staff_list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let staff = state.app.admin().list_staff(&ctx.actor).await?;
    Ok(page(&StaffListPage {
        chrome: Chrome::for_ctx(&state, &ctx, "Staff").await?,
        staff,
    }))
}

#[derive(Template)]
#[template(path = "staff_team.html")]
struct TeamPage {
    chrome: Chrome,
    team: Vec<bothy_app::records::TeamMember>,
    quiet_days: i64,
}

/// Each supporter's caseload: its size and the people quiet for two weeks.
pub async fn team(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let team = state.app.records().team(&ctx.actor).await?;
    Ok(page(&TeamPage {
        chrome: Chrome::for_ctx(&state, &ctx, "Supporters' caseloads").await?,
        team,
        quiet_days: bothy_domain::caseload::QUIET_DAYS,
    }))
}

#[derive(serde::Deserialize)]
pub struct ServiceForm {
    #[serde(default)]
    service: String,
}

/// Switches the session to another service the person works in.
pub async fn choose_service(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::form::Form(form): crate::form::Form<ServiceForm>,
) -> Result<Response, WebError> {
    let id = state
        .app
        .records()
        .choose_service(&ctx.actor, &form.service)
        .await?;
    let session = ctx.session.as_ref().ok_or(AppError::Unauthenticated)?;
    crate::auth::set_service(session, id).await?;
    Ok(axum::response::IntoResponse::into_response(
        axum::response::Redirect::to("/staff"),
    ))
}

/// `POST /staff/patients/{id}/sms`: asks a mood check-in, PHQ-9 or GAD-7
/// by text message, question by question.
pub async fn start_sms(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    crate::form::Form(fields): crate::form::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = patient_id(&id)?;
    let ask = fields
        .iter()
        .find(|(k, _)| k == "ask")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let kind = match ask {
        "mood" => bothy_app::sms::ConversationKind::Mood,
        "phq9" | "gad7" => bothy_app::sms::ConversationKind::Measure(ask.to_string()),
        _ => return Err(AppError::field("ask", "Choose what to ask by text message").into()),
    };
    let started = state
        .app
        .sms()
        .start(&ctx.actor, id, kind, &ctx.request)
        .await?;
    let notice = if started { "sent" } else { "open" };
    use axum::response::IntoResponse;
    Ok(axum::response::Redirect::to(&format!("/staff/patients/{id}?sms={notice}")).into_response())
}

/// Staff set or remove the time of a person's daily check-in reminder
/// (for someone without an account, who cannot set it themself).
pub async fn set_check_in_prompt(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    crate::form::Form(f): crate::form::Form<super::check_ins::PromptForm>,
) -> Result<Response, WebError> {
    let id = patient_id(&id)?;
    state
        .app
        .check_in_prompts()
        .set(&ctx.actor, id, &f.prompt_time, &ctx.request)
        .await?;
    use axum::response::IntoResponse;
    Ok(axum::response::Redirect::to(&format!("/staff/patients/{id}?sms=prompt")).into_response())
}
