//! The front door's forms. The public self-referral: choose a service (or
//! find one by postcode), then one page per step, kept as a draft that a
//! resume link reaches, a check-your-answers page and a confirmation. No
//! account and no script. And the staff form for a professional referral.
//!
//! A risk answer on the screening questions shows the crisis contacts at the
//! top of the very next page, whether that is the same page with its errors
//! or the next step, and on every later step of the same referral.

use super::field_errors;
use super::measures::{ItemView, OptionView};
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::layout::{Chrome, html, page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::referrals::{AboutYou, StepInput, apply_step};
use bothy_app::{AppError, FieldError};
use bothy_domain::instruments::Instrument;
use bothy_domain::instruments::score::risk_flags;
use bothy_domain::model::Service;
use bothy_domain::referral::{Channel, Consents, Details, Problem, Referral, Source};
use bothy_domain::time::Date;

/// The steps of a self-referral, in order: (path segment, heading).
pub const STEPS: [(&str, &str); 6] = [
    ("about", "About you"),
    ("gp", "Your GP"),
    ("help", "What you would like help with"),
    ("questions", "How you have been feeling"),
    ("consent", "What you agree to"),
    ("check", "Check your answers"),
];

/// A form's fields as sent, in order; checkboxes may repeat a name.
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, or empty.
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether a checkbox called `name` was ticked.
    pub fn ticked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && !v.is_empty())
    }
}

/// Field errors, for showing each message next to its field.
#[derive(Default)]
pub struct Errs(pub Vec<FieldError>);

impl Errs {
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    /// Every message for `field`, joined.
    pub fn get(&self, field: &str) -> Option<String> {
        let all: Vec<&str> = self
            .0
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect();
        (!all.is_empty()).then(|| all.join(". "))
    }
}

/// Resume and activation tokens are 64 hex characters; anything else is simply not found.
pub fn hex_token(token: &str) -> Result<(), WebError> {
    if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(AppError::NotFound.into())
    }
}

async fn csrf_of(ctx: &Ctx) -> Result<String, WebError> {
    let session = ctx
        .session
        .as_ref()
        .ok_or_else(|| WebError::status(StatusCode::BAD_REQUEST))?;
    crate::csrf::token(session).await
}

fn status_for(errors: &[FieldError]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

fn titled(title: &str, errors: &[FieldError]) -> String {
    if errors.is_empty() {
        title.to_string()
    } else {
        format!("Error: {title}")
    }
}

/// Who the form is about, for messages that name them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    Yourself,
    SomeoneElse,
}

/// The domain's messages say "a name"; with two name boxes, say which. On
/// the staff form, messages written for the person themself are reworded
/// to be about the person referred.
fn reword(errors: Vec<FieldError>, who: Who) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            let whose = match who {
                Who::Yourself => "your",
                Who::SomeoneElse => "the person's",
            };
            let about_them = who == Who::SomeoneElse;
            match (e.field.as_str(), e.message.as_str()) {
                ("given_name", "Enter a name") => e.message = format!("Enter {whose} first name"),
                ("family_name", "Enter a name") => e.message = format!("Enter {whose} last name"),
                ("preferred_channel", _) if about_them => {
                    e.message = "Choose how the person would like to be contacted".into();
                }
                ("gp_practice", m) if about_them && m.starts_with("Enter the name of your GP") => {
                    e.message = "Enter the name of the person's GP practice, or \"No GP\"".into();
                }
                ("problem_text", m) if about_them && m.starts_with("Tell us in your own words") => {
                    e.message =
                        "Give the reason for referral, or choose at least one thing from the list"
                            .into();
                }
                _ => {}
            }
            e
        })
        .collect()
}

/// "27 March 1990".
pub fn long_date(d: Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

fn about_from_fields(f: &Fields) -> AboutYou {
    AboutYou {
        given_name: f.get("given_name"),
        family_name: f.get("family_name"),
        dob_day: f.get("dob_day"),
        dob_month: f.get("dob_month"),
        dob_year: f.get("dob_year"),
        email: f.get("email"),
        phone: f.get("phone"),
        preferred_channel: f.get("preferred_channel"),
        language: f.get("language"),
        accessibility_needs: f.get("accessibility_needs"),
        nhs_number: f.get("nhs_number"),
        chi: f.get("chi"),
        postcode: f.get("postcode"),
    }
}

fn about_from_details(d: &Details) -> AboutYou {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    AboutYou {
        given_name: s(&d.given_name),
        family_name: s(&d.family_name),
        dob_day: d
            .date_of_birth
            .map(|x| x.day().to_string())
            .unwrap_or_default(),
        dob_month: d
            .date_of_birth
            .map(|x| x.month().to_string())
            .unwrap_or_default(),
        dob_year: d
            .date_of_birth
            .map(|x| x.year().to_string())
            .unwrap_or_default(),
        email: s(&d.email),
        phone: s(&d.phone),
        preferred_channel: d
            .preferred_channel
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        language: s(&d.language),
        accessibility_needs: s(&d.accessibility_needs),
        nhs_number: s(&d.nhs_number),
        chi: s(&d.chi),
        postcode: s(&d.postcode),
    }
}

/// One checkbox or radio button of a list.
pub struct Choice {
    pub id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// The picklist of problems; the first box's id is the field name, so the
/// error summary's link lands on it.
pub fn problem_choices(chosen: &[String]) -> Vec<Choice> {
    Problem::ALL
        .iter()
        .enumerate()
        .map(|(i, p)| Choice {
            id: if i == 0 {
                "problems".into()
            } else {
                format!("problems-{i}")
            },
            value: p.as_str().into(),
            label: p.label().into(),
            checked: chosen.iter().any(|c| c == p.as_str()),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Choosing a service

#[derive(Template)]
#[template(path = "refer_start.html")]
struct StartPage {
    chrome: Chrome,
    csrf: String,
    postcode: String,
    /// The postcode looked up, when services were found for it.
    found_for: Option<String>,
    /// A postcode was looked up and no service covers it.
    none_found: bool,
    services: Vec<Choice>,
    errors: Vec<FieldError>,
    errs: Errs,
}

#[derive(serde::Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    postcode: Option<String>,
}

async fn start_page(
    state: &AppState,
    ctx: &Ctx,
    postcode: Option<String>,
    chosen: &str,
    mut errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let all = state.app.services().await?;
    let mut shown: Vec<Service> = all.clone();
    let mut found_for = None;
    let mut none_found = false;
    if let Some(pc) = &postcode {
        match field_errors(state.app.services_for_postcode(pc).await)? {
            Ok(found) if found.is_empty() => none_found = true,
            Ok(found) => {
                found_for = Some(pc.trim().to_uppercase());
                shown = found;
            }
            Err(e) => errors.extend(e),
        }
    }
    let only = shown.len() == 1;
    let services = shown
        .iter()
        .enumerate()
        .map(|(i, s)| Choice {
            id: if i == 0 {
                "service".into()
            } else {
                format!("service-{i}")
            },
            value: s.slug.as_str().to_string(),
            label: s.name.clone(),
            checked: s.slug.as_str() == chosen || (only && found_for.is_some()),
        })
        .collect();
    let chrome = Chrome::for_ctx(state, ctx, &titled("Refer yourself", &errors)).await?;
    let csrf = csrf_of(ctx).await?;
    Ok(html(
        status_for(&errors),
        &StartPage {
            chrome,
            csrf,
            postcode: postcode.unwrap_or_default(),
            found_for,
            none_found,
            services,
            errs: Errs(errors.clone()),
            errors,
        },
    ))
}

/// `GET /refer`: choose a service, or find one by postcode (`?postcode=`).
pub async fn start_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<StartQuery>,
) -> Result<Response, WebError> {
    start_page(&state, &ctx, q.postcode, "", Vec::new()).await
}

/// `POST /refer`: starts a draft and sends the person to its first step.
pub async fn start(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let f = Fields(fields);
    let slug = f.get("service");
    if slug.trim().is_empty() {
        let errors = vec![FieldError {
            field: "service".into(),
            message: "Choose the service you would like to refer yourself to".into(),
        }];
        return start_page(&state, &ctx, None, "", errors).await;
    }
    match field_errors(state.app.start_self_referral(&slug, &ctx.request).await)? {
        Ok(draft) => {
            Ok(Redirect::to(&format!("/refer/{}/about", draft.resume_token)).into_response())
        }
        Err(errors) => {
            let errors = errors
                .into_iter()
                .map(|e| FieldError {
                    field: "service".into(),
                    message: if e.field == "service" {
                        "Choose one of the services listed".into()
                    } else {
                        e.message
                    },
                })
                .collect();
            start_page(&state, &ctx, None, "", errors).await
        }
    }
}

// ---------------------------------------------------------------------------
// The steps

/// What every step page shows around its form.
pub struct StepFrame {
    pub token: String,
    pub step: &'static str,
    pub heading: &'static str,
    pub number: usize,
    pub total: usize,
    pub service_name: String,
    pub service_slug: String,
    /// "Save this link to come back to your referral: ..."
    pub resume_url: String,
    /// A risk answer has been given: the crisis contacts open the page.
    pub urgent: bool,
}

#[derive(Template)]
#[template(path = "refer_about.html")]
struct AboutPage {
    chrome: Chrome,
    csrf: String,
    f: StepFrame,
    a: AboutYou,
    errors: Vec<FieldError>,
    errs: Errs,
}

#[derive(Template)]
#[template(path = "refer_gp.html")]
struct GpPage {
    chrome: Chrome,
    csrf: String,
    f: StepFrame,
    practice: String,
    errors: Vec<FieldError>,
    errs: Errs,
}

#[derive(Template)]
#[template(path = "refer_help.html")]
struct HelpPage {
    chrome: Chrome,
    csrf: String,
    f: StepFrame,
    text: String,
    problems: Vec<Choice>,
    errors: Vec<FieldError>,
    errs: Errs,
}

pub struct InstrumentView {
    pub id: String,
    pub name: String,
    pub short_name: String,
    pub preamble: Option<String>,
    pub items: Vec<ItemView>,
}

#[derive(Template)]
#[template(path = "refer_questions.html")]
struct QuestionsPage {
    chrome: Chrome,
    csrf: String,
    f: StepFrame,
    instruments: Vec<InstrumentView>,
    errors: Vec<FieldError>,
}

pub struct ConsentView {
    pub field: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub checked: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "refer_consent.html")]
struct ConsentPage {
    chrome: Chrome,
    csrf: String,
    f: StepFrame,
    consents: Vec<ConsentView>,
    errors: Vec<FieldError>,
}

/// One answer on the check page.
pub struct Row {
    pub label: String,
    pub value: String,
}

/// One section of the check page, with its change link.
pub struct Section {
    pub step: &'static str,
    pub heading: &'static str,
    pub rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "refer_check.html")]
struct CheckPage {
    chrome: Chrome,
    csrf: String,
    f: StepFrame,
    sections: Vec<Section>,
    errors: Vec<FieldError>,
}

const CONSENTS: [(&str, &str, &str); 5] = [
    (
        "treatment",
        "I agree to you using my details to offer me treatment (needed to send a referral)",
        "We use what you tell us to decide how we can help, to contact you about your referral and to offer you treatment. You can change your mind at any time.",
    ),
    (
        "contact_sms",
        "You may contact me by text message",
        "Our texts only say that there is something waiting for you, with a link. They never say anything about your health.",
    ),
    (
        "contact_email",
        "You may contact me by email",
        "Our emails only say that there is something waiting for you, with a link. They never say anything about your health.",
    ),
    (
        "share_with_gp",
        "You may tell my GP practice about my referral and treatment",
        "This helps your GP care for you. If you do not agree, your GP will not hear from us about this referral.",
    ),
    (
        "evaluation",
        "You may use my answers, without my name or contact details, to check how well the service works",
        "We count things like how many people feel better after treatment. Nobody can tell from this that you used the service. Saying no does not change your care.",
    ),
];

fn consent_of(c: &Consents, field: &str) -> bool {
    match field {
        "treatment" => c.treatment,
        "contact_sms" => c.contact_sms,
        "contact_email" => c.contact_email,
        "share_with_gp" => c.share_with_gp,
        "evaluation" => c.evaluation,
        _ => false,
    }
}

fn step_index(step: &str) -> Result<usize, WebError> {
    STEPS
        .iter()
        .position(|(s, _)| *s == step)
        .ok_or_else(|| AppError::NotFound.into())
}

/// The draft behind a resume link, and its service.
async fn draft(state: &AppState, token: &str) -> Result<(Referral, Service), WebError> {
    hex_token(token)?;
    let referral = state.app.self_referral_draft(token).await?;
    let service = state
        .app
        .services()
        .await?
        .into_iter()
        .find(|s| s.id == referral.service_id)
        .ok_or(AppError::NotFound)?;
    Ok((referral, service))
}

fn frame(state: &AppState, token: &str, step: usize, service: &Service, urgent: bool) -> StepFrame {
    let (s, heading) = STEPS[step];
    StepFrame {
        token: token.to_string(),
        step: s,
        heading,
        number: step + 1,
        total: STEPS.len(),
        service_name: service.name.clone(),
        service_slug: service.slug.as_str().to_string(),
        resume_url: format!(
            "{}/refer/{token}/about",
            state.app.settings.public_url.trim_end_matches('/')
        ),
        urgent,
    }
}

/// The answers of one instrument: one fieldset per item, named `{id}-{n}`.
fn instrument_view(inst: &Instrument, answers: &[Option<i32>], errs: &Errs) -> InstrumentView {
    let items = inst
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let field = format!("{}-{}", inst.id, item.n);
            let chosen = answers.get(i).copied().flatten();
            ItemView {
                n: item.n,
                text: item.text.clone(),
                options: inst
                    .options_for(item)
                    .iter()
                    .enumerate()
                    .map(|(j, o)| OptionView {
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
                error: errs.get(&field),
                field,
            }
        })
        .collect();
    InstrumentView {
        id: inst.id.clone(),
        name: inst.name.clone(),
        short_name: inst.short_name.clone(),
        preamble: inst.preamble.clone(),
        items,
    }
}

/// The screening instruments the form asks, in order.
const SCREENING: [&str; 2] = ["phq9", "gad7"];

/// Whether any of these answers signals risk (PHQ-9 item 9 above 0, and the like).
fn any_risk(state: &AppState, phq9: &[Option<i32>], gad7: &[Option<i32>]) -> bool {
    let risky = |id: &str, a: &[Option<i32>]| {
        state
            .app
            .catalogue
            .get(id)
            .is_some_and(|inst| !risk_flags(inst, a).is_empty())
    };
    risky("phq9", phq9) || risky("gad7", gad7)
}

fn check_sections(state: &AppState, d: &Details) -> Vec<Section> {
    let given = |v: &Option<String>| v.clone().unwrap_or_else(|| "Not given".into());
    let about = vec![
        Row {
            label: "Name".into(),
            value: if d.full_name().is_empty() {
                "Not given".into()
            } else {
                d.full_name()
            },
        },
        Row {
            label: "Date of birth".into(),
            value: d
                .date_of_birth
                .map(long_date)
                .unwrap_or_else(|| "Not given".into()),
        },
        Row {
            label: "Email address".into(),
            value: given(&d.email),
        },
        Row {
            label: "Phone number".into(),
            value: given(&d.phone),
        },
        Row {
            label: "How we contact you".into(),
            value: match d.preferred_channel {
                Some(Channel::Email) => "By email".into(),
                Some(Channel::Sms) => "By text message".into(),
                None => "Not given".into(),
            },
        },
        Row {
            label: "Language".into(),
            value: given(&d.language),
        },
        Row {
            label: "Accessibility needs".into(),
            value: given(&d.accessibility_needs),
        },
        Row {
            label: "NHS number".into(),
            value: given(&d.nhs_number),
        },
        Row {
            label: "CHI number".into(),
            value: given(&d.chi),
        },
        Row {
            label: "Postcode".into(),
            value: given(&d.postcode),
        },
    ];
    let gp = vec![Row {
        label: "GP practice".into(),
        value: given(&d.gp_practice),
    }];
    let help = vec![
        Row {
            label: "In your own words".into(),
            value: given(&d.problem_text),
        },
        Row {
            label: "From the list".into(),
            value: if d.problems.is_empty() {
                "Nothing chosen".into()
            } else {
                d.problems
                    .iter()
                    .map(|p| p.label())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        },
    ];
    let mut questions = Vec::new();
    for (id, answers) in [("phq9", &d.phq9), ("gad7", &d.gad7)] {
        let Some(inst) = state.app.catalogue.get(id) else {
            continue;
        };
        let answers = answers.clone().unwrap_or_default();
        for (i, item) in inst.items.iter().enumerate() {
            let chosen = answers.get(i).copied().flatten();
            let label = chosen
                .and_then(|v| inst.options_for(item).iter().find(|o| o.score == v))
                .map(|o| o.label.clone())
                .unwrap_or_else(|| "Not answered".into());
            questions.push(Row {
                label: format!("{} question {}: {}", inst.short_name, item.n, item.text),
                value: label,
            });
        }
    }
    let consent = CONSENTS
        .iter()
        .map(|(field, label, _)| Row {
            label: (*label).into(),
            value: if consent_of(&d.consents, field) {
                "Yes".into()
            } else {
                "No".into()
            },
        })
        .collect();
    vec![
        Section {
            step: "about",
            heading: "About you",
            rows: about,
        },
        Section {
            step: "gp",
            heading: "Your GP",
            rows: gp,
        },
        Section {
            step: "help",
            heading: "What you would like help with",
            rows: help,
        },
        Section {
            step: "questions",
            heading: "How you have been feeling",
            rows: questions,
        },
        Section {
            step: "consent",
            heading: "What you agree to",
            rows: consent,
        },
    ]
}

/// What a step page shows: the saved draft, or what was just typed with its errors.
enum Typed {
    Saved,
    About(Box<AboutYou>),
    Gp(String),
    Help(String, Vec<String>),
    Questions(Vec<Option<i32>>, Vec<Option<i32>>),
    Consent(Consents),
}

#[allow(clippy::too_many_arguments)]
async fn step_page(
    state: &AppState,
    ctx: &Ctx,
    token: &str,
    step: usize,
    referral: &Referral,
    service: &Service,
    typed: Typed,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let d = &referral.details;
    let (name, heading) = STEPS[step];
    let status = status_for(&errors);
    let chrome = Chrome::for_ctx(state, ctx, &titled(heading, &errors)).await?;
    let csrf = csrf_of(ctx).await?;
    let errs = Errs(errors.clone());
    let mut urgent = referral.risk;
    let body = match name {
        "about" => {
            let a = match typed {
                Typed::About(a) => *a,
                _ => about_from_details(d),
            };
            let f = frame(state, token, step, service, urgent);
            html(
                status,
                &AboutPage {
                    chrome,
                    csrf,
                    f,
                    a,
                    errors,
                    errs,
                },
            )
        }
        "gp" => {
            let practice = match typed {
                Typed::Gp(p) => p,
                _ => d.gp_practice.clone().unwrap_or_default(),
            };
            let f = frame(state, token, step, service, urgent);
            html(
                status,
                &GpPage {
                    chrome,
                    csrf,
                    f,
                    practice,
                    errors,
                    errs,
                },
            )
        }
        "help" => {
            let (text, chosen) = match typed {
                Typed::Help(t, p) => (t, p),
                _ => (
                    d.problem_text.clone().unwrap_or_default(),
                    d.problems.iter().map(|p| p.as_str().to_string()).collect(),
                ),
            };
            let f = frame(state, token, step, service, urgent);
            html(
                status,
                &HelpPage {
                    chrome,
                    csrf,
                    f,
                    text,
                    problems: problem_choices(&chosen),
                    errors,
                    errs,
                },
            )
        }
        "questions" => {
            let (phq9, gad7) = match typed {
                Typed::Questions(p, g) => (p, g),
                _ => (
                    d.phq9.clone().unwrap_or_default(),
                    d.gad7.clone().unwrap_or_default(),
                ),
            };
            // The answers on the page count, saved or not.
            urgent |= any_risk(state, &phq9, &gad7);
            let instruments = SCREENING
                .iter()
                .filter_map(|id| state.app.catalogue.get(id))
                .map(|inst| {
                    let a = if inst.id == "phq9" { &phq9 } else { &gad7 };
                    instrument_view(inst, a, &errs)
                })
                .collect();
            let f = frame(state, token, step, service, urgent);
            html(
                status,
                &QuestionsPage {
                    chrome,
                    csrf,
                    f,
                    instruments,
                    errors,
                },
            )
        }
        "consent" => {
            let c = match typed {
                Typed::Consent(c) => c,
                _ => d.consents,
            };
            let consents = CONSENTS
                .iter()
                .map(|(field, label, hint)| ConsentView {
                    field,
                    label,
                    hint,
                    checked: consent_of(&c, field),
                    error: errs.get(field),
                })
                .collect();
            let f = frame(state, token, step, service, urgent);
            html(
                status,
                &ConsentPage {
                    chrome,
                    csrf,
                    f,
                    consents,
                    errors,
                },
            )
        }
        _ => {
            let f = frame(state, token, step, service, urgent);
            html(
                status,
                &CheckPage {
                    chrome,
                    csrf,
                    f,
                    sections: check_sections(state, d),
                    errors,
                },
            )
        }
    };
    Ok(body)
}

/// `GET /refer/{token}/{step}`.
pub async fn step_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((token, step)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let i = step_index(&step)?;
    let (referral, service) = draft(&state, &token).await?;
    step_page(
        &state,
        &ctx,
        &token,
        i,
        &referral,
        &service,
        Typed::Saved,
        Vec::new(),
    )
    .await
}

/// Reads `{id}-N` fields into one answer per item. A value that is not a
/// number is reported against its question, and the rest are still kept.
fn read_answers(
    inst: Option<&Instrument>,
    f: &Fields,
    errors: &mut Vec<FieldError>,
) -> Vec<Option<i32>> {
    let Some(inst) = inst else {
        return Vec::new();
    };
    inst.items
        .iter()
        .map(|item| {
            let name = format!("{}-{}", inst.id, item.n);
            let raw = f.get(&name);
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            match raw.parse::<i32>() {
                Ok(v) => Some(v),
                Err(_) => {
                    errors.push(FieldError {
                        field: name,
                        message: format!(
                            "{} question {}: choose one of the answers",
                            inst.short_name, item.n
                        ),
                    });
                    None
                }
            }
        })
        .collect()
}

/// `POST /refer/{token}/{step}`: checks and keeps one step, then goes on to
/// the next; on the check page, sends the referral.
pub async fn step_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((token, step)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let i = step_index(&step)?;
    hex_token(&token)?;
    let f = Fields(fields);
    if STEPS[i].0 == "check" {
        return send(&state, &ctx, &token, &f).await;
    }
    let (referral, service) = draft(&state, &token).await?;
    let app = &state.app;
    let mut parse_errors = Vec::new();
    let (input, typed) = match STEPS[i].0 {
        "about" => {
            let a = about_from_fields(&f);
            (
                StepInput::About(Box::new(a.clone())),
                Typed::About(Box::new(a)),
            )
        }
        "gp" => {
            let p = f.get("gp_practice");
            (
                StepInput::Gp {
                    practice: p.clone(),
                },
                Typed::Gp(p),
            )
        }
        "help" => {
            let text = f.get("problem_text");
            let problems = f.all("problems");
            (
                StepInput::Help {
                    text: text.clone(),
                    problems: problems.clone(),
                },
                Typed::Help(text, problems),
            )
        }
        "questions" => {
            let phq9 = read_answers(app.catalogue.get("phq9"), &f, &mut parse_errors);
            let gad7 = read_answers(app.catalogue.get("gad7"), &f, &mut parse_errors);
            (
                StepInput::Questions {
                    phq9: phq9.clone(),
                    gad7: gad7.clone(),
                },
                Typed::Questions(phq9, gad7),
            )
        }
        _ => {
            let c = Consents {
                treatment: f.ticked("treatment"),
                contact_sms: f.ticked("contact_sms"),
                contact_email: f.ticked("contact_email"),
                share_with_gp: f.ticked("share_with_gp"),
                evaluation: f.ticked("evaluation"),
            };
            (StepInput::Consent(c), Typed::Consent(c))
        }
    };
    // Saved even when some answers could not be read: a risk answer among
    // them must reach triage whatever else is wrong with the page.
    let saved = field_errors(
        app.save_self_referral_step(&token, input, &ctx.request)
            .await,
    )?;
    match (saved, parse_errors.is_empty()) {
        (Ok(_), true) => {
            let next = STEPS[i + 1].0;
            Ok(Redirect::to(&format!("/refer/{token}/{next}")).into_response())
        }
        (result, _) => {
            let mut errors = parse_errors;
            if let Err(e) = result {
                for e in e {
                    if !errors.iter().any(|x| x.field == e.field) {
                        errors.push(e);
                    }
                }
            }
            let errors = reword(errors, Who::Yourself);
            // Read again: a risk answer may have marked the draft just now.
            let referral = app.self_referral_draft(&token).await.unwrap_or(referral);
            step_page(&state, &ctx, &token, i, &referral, &service, typed, errors).await
        }
    }
}

/// Sends the referral from the check page. A held-back send (the hidden
/// field filled in, or too fast for a person) looks exactly like a real one.
async fn send(state: &AppState, ctx: &Ctx, token: &str, f: &Fields) -> Result<Response, WebError> {
    let app = &state.app;
    let sent_page = |slug: &str, urgent: bool| {
        let mut to = "/refer/sent".to_string();
        let slug_ok = bothy_domain::model::ServiceSlug::parse(slug).is_ok();
        let mut sep = '?';
        if slug_ok {
            to.push_str(&format!("?service={slug}"));
            sep = '&';
        }
        if urgent {
            to.push_str(&format!("{sep}urgent=1"));
        }
        Redirect::to(&to).into_response()
    };
    match app
        .send_self_referral(token, &f.get("website"), &ctx.request)
        .await
    {
        Ok(referral) => {
            let slug = app
                .services()
                .await?
                .into_iter()
                .find(|s| s.id == referral.service_id)
                .map(|s| s.slug.as_str().to_string())
                .unwrap_or_default();
            Ok(sent_page(&slug, referral.risk))
        }
        // A resume link stops working once its referral is sent, so a
        // second press of "Send" (or a resent form) lands on the same page.
        Err(AppError::NotFound) => Ok(sent_page(&f.get("service"), f.ticked("urgent"))),
        Err(AppError::Invalid(errors)) => {
            let (referral, service) = draft(state, token).await?;
            let i = STEPS.len() - 1;
            step_page(
                state,
                ctx,
                token,
                i,
                &referral,
                &service,
                Typed::Saved,
                errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// Sent

#[derive(Template)]
#[template(path = "refer_sent.html")]
struct SentPage {
    chrome: Chrome,
    service_name: Option<String>,
    how_long: String,
    urgent: bool,
}

#[derive(serde::Deserialize)]
pub struct SentQuery {
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    urgent: Option<String>,
}

/// What the confirmation page says about waiting, from the service's real
/// completed waits when there are any.
pub fn how_long(median_days: Option<i64>) -> String {
    match median_days {
        // The median of the last year's completed waits from referral to first treatment.
        Some(n) if n <= 1 => {
            "Over the last year, half of the people referred started treatment within a day.".into()
        }
        Some(n) => format!(
            "Over the last year, half of the people referred started treatment within {n} days."
        ),
        None => {
            "We will contact you to tell you what happens next and how long it is likely to take."
                .into()
        }
    }
}

/// `GET /refer/sent?service=SLUG`.
pub async fn sent(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SentQuery>,
) -> Result<Response, WebError> {
    let service = match q.service {
        Some(slug) => state
            .app
            .services()
            .await?
            .into_iter()
            .find(|s| s.slug.as_str() == slug),
        None => None,
    };
    let median = match &service {
        Some(s) => state.app.waiting_figures(s.id).await?.median_days,
        None => None,
    };
    let chrome = Chrome::for_ctx(&state, &ctx, "Referral sent").await?;
    Ok(page(&SentPage {
        chrome,
        service_name: service.map(|s| s.name),
        how_long: how_long(median),
        urgent: q.urgent.is_some_and(|u| !u.is_empty()),
    }))
}

// ---------------------------------------------------------------------------
// A professional referral, entered by staff

#[derive(Template)]
#[template(path = "refer_professional.html")]
struct ProfessionalPage {
    chrome: Chrome,
    csrf: String,
    key: String,
    a: AboutYou,
    practice: String,
    text: String,
    problems: Vec<Choice>,
    referrer_name: String,
    referrer_organisation: String,
    referrer_email: String,
    sent: bool,
    errors: Vec<FieldError>,
    errs: Errs,
}

#[derive(serde::Deserialize)]
pub struct ProfessionalQuery {
    #[serde(default)]
    sent: Option<String>,
}

fn new_key() -> String {
    bothy_domain::ids::ReferralId::random().to_string()
}

async fn professional_page(
    state: &AppState,
    ctx: &Ctx,
    f: &Fields,
    key: String,
    sent: bool,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let chrome = Chrome::for_ctx(state, ctx, &titled("Refer someone", &errors)).await?;
    let csrf = chrome.csrf.clone().ok_or(AppError::Unauthenticated)?;
    Ok(html(
        status_for(&errors),
        &ProfessionalPage {
            chrome,
            csrf,
            key,
            a: about_from_fields(f),
            practice: f.get("gp_practice"),
            text: f.get("problem_text"),
            problems: problem_choices(&f.all("problems")),
            referrer_name: f.get("referrer_name"),
            referrer_organisation: f.get("referrer_organisation"),
            referrer_email: f.get("referrer_email"),
            sent,
            errs: Errs(errors.clone()),
            errors,
        },
    ))
}

/// `GET /staff/referrals/new`.
pub async fn professional_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ProfessionalQuery>,
) -> Result<Response, WebError> {
    professional_page(
        &state,
        &ctx,
        &Fields(Vec::new()),
        new_key(),
        q.sent.is_some(),
        Vec::new(),
    )
    .await
}

fn optional_text(
    f: &Fields,
    name: &str,
    max: usize,
    what: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let v = f.get(name);
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    if v.chars().count() > max || v.chars().any(char::is_control) {
        errors.push(FieldError {
            field: name.into(),
            message: format!("{what} must be {max} characters or fewer, on one line"),
        });
        return None;
    }
    Some(v.to_string())
}

/// `POST /staff/referrals/new`: the same checks as the self-referral for
/// each part, then one referral per form (its hidden key makes a resent
/// form return the first).
pub async fn professional_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let f = Fields(fields);
    let app = &state.app;
    let today = bothy_domain::time::uk_date(app.clock.now());
    let mut details = Details::default();
    let mut errors = Vec::new();
    let parts = [
        StepInput::About(Box::new(about_from_fields(&f))),
        StepInput::Gp {
            practice: f.get("gp_practice"),
        },
        StepInput::Help {
            text: f.get("problem_text"),
            problems: f.all("problems"),
        },
    ];
    for part in parts {
        if let Err(e) = field_errors(apply_step(&mut details, part, today, &app.catalogue))? {
            errors.extend(e);
        }
    }
    let name = optional_text(&f, "referrer_name", 200, "Your name", &mut errors);
    let organisation = optional_text(
        &f,
        "referrer_organisation",
        200,
        "Your organisation",
        &mut errors,
    );
    if name.is_none() && !errors.iter().any(|e| e.field == "referrer_name") {
        errors.push(FieldError {
            field: "referrer_name".into(),
            message: "Enter your name, as the person making the referral".into(),
        });
    }
    if organisation.is_none() && !errors.iter().any(|e| e.field == "referrer_organisation") {
        errors.push(FieldError {
            field: "referrer_organisation".into(),
            message: "Enter your GP practice or organisation".into(),
        });
    }
    let email = f.get("referrer_email");
    let email = if email.trim().is_empty() {
        None
    } else {
        match bothy_domain::person::Email::parse(email.trim()) {
            Ok(e) => Some(e.to_string()),
            Err(e) => {
                errors.push(FieldError {
                    field: "referrer_email".into(),
                    message: e.to_string(),
                });
                None
            }
        }
    };
    let key = f.get("key");
    if !errors.is_empty() {
        let errors = reword(errors, Who::SomeoneElse);
        return professional_page(&state, &ctx, &f, key, false, errors).await;
    }
    details.referrer_name = name;
    details.referrer_organisation = organisation;
    details.referrer_email = email;
    let result = app
        .submit_referral(
            &ctx.actor,
            details,
            Source::Professional,
            &key,
            &ctx.request,
        )
        .await;
    match field_errors(result)? {
        Ok(_) => Ok(Redirect::to("/staff/referrals/new?sent=1").into_response()),
        Err(errors) => {
            let errors = reword(errors, Who::SomeoneElse);
            professional_page(&state, &ctx, &f, key, false, errors).await
        }
    }
}
