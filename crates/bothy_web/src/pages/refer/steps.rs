//! The steps of a self-referral: what each page shows around its form,
//! the consents asked for, and the screening questions.

use super::*;

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
pub(super) struct AboutPage {
    pub(super) chrome: Chrome,
    pub(super) csrf: String,
    pub(super) f: StepFrame,
    pub(super) a: AboutYou,
    pub(super) errors: Vec<FieldError>,
    pub(super) errs: Errs,
}

#[derive(Template)]
#[template(path = "refer_gp.html")]
pub(super) struct GpPage {
    pub(super) chrome: Chrome,
    pub(super) csrf: String,
    pub(super) f: StepFrame,
    pub(super) practice: String,
    pub(super) errors: Vec<FieldError>,
    pub(super) errs: Errs,
}

#[derive(Template)]
#[template(path = "refer_help.html")]
pub(super) struct HelpPage {
    pub(super) chrome: Chrome,
    pub(super) csrf: String,
    pub(super) f: StepFrame,
    pub(super) text: String,
    pub(super) problems: Vec<Choice>,
    pub(super) errors: Vec<FieldError>,
    pub(super) errs: Errs,
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
pub(super) struct QuestionsPage {
    pub(super) chrome: Chrome,
    pub(super) csrf: String,
    pub(super) f: StepFrame,
    pub(super) instruments: Vec<InstrumentView>,
    pub(super) errors: Vec<FieldError>,
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
pub(super) struct ConsentPage {
    pub(super) chrome: Chrome,
    pub(super) csrf: String,
    pub(super) f: StepFrame,
    pub(super) consents: Vec<ConsentView>,
    pub(super) errors: Vec<FieldError>,
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
pub(super) struct CheckPage {
    pub(super) chrome: Chrome,
    pub(super) csrf: String,
    pub(super) f: StepFrame,
    pub(super) sections: Vec<Section>,
    pub(super) errors: Vec<FieldError>,
}

/// The consents the consent step asks for. Contact by email or text is
/// asked once, on the "about you" step.
pub(super) const CONSENTS: [(&str, &str, &str); 3] = [
    (
        "treatment",
        "I agree to you using my details to offer me treatment (needed to send a referral)",
        "We use what you tell us to decide how we can help, to contact you about your referral and to offer you treatment. You can change your mind at any time.",
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

pub(super) fn consent_of(c: &Consents, field: &str) -> bool {
    match field {
        "treatment" => c.treatment,
        "contact_sms" => c.contact_sms,
        "contact_email" => c.contact_email,
        "share_with_gp" => c.share_with_gp,
        "evaluation" => c.evaluation,
        _ => false,
    }
}

pub(super) fn step_index(step: &str) -> Result<usize, WebError> {
    STEPS
        .iter()
        .position(|(s, _)| *s == step)
        .ok_or_else(|| AppError::NotFound.into())
}

/// The draft behind a resume link, and its service.
pub(super) async fn draft(state: &AppState, token: &str) -> Result<(Referral, Service), WebError> {
    hex_token(token)?;
    let referral = state.app.referrals().draft(token).await?;
    let service = state
        .app
        .referrals()
        .services()
        .await?
        .into_iter()
        .find(|s| s.id == referral.service_id)
        .ok_or(AppError::NotFound)?;
    Ok((referral, service))
}

/// Whether anyone is watching `service`'s alerts now. A failure to read it
/// says nobody is, rather than promise someone is.
pub(super) async fn watched(state: &AppState, service: &Service) -> bool {
    state
        .app
        .monitoring()
        .is_watched_now(service.id)
        .await
        .unwrap_or(false)
}

/// One step's frame. After a risk answer or risk words, the crisis contacts
/// open the page, with whether anyone is watching now (`watched`).
pub(super) fn frame(
    state: &AppState,
    token: &str,
    step: usize,
    service: &Service,
    (urgent, watched): (bool, bool),
    chrome: &mut crate::layout::Chrome,
) -> StepFrame {
    if urgent {
        chrome.urgent = Some(crate::layout::UrgentPanel::referral(watched));
    }
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
            state.app.settings().public_url.trim_end_matches('/')
        ),
        urgent,
    }
}

/// The answers of one instrument: one fieldset per item, named `{id}-{n}`.
pub(super) fn instrument_view(
    inst: &Instrument,
    answers: &[Option<i32>],
    errs: &Errs,
) -> InstrumentView {
    let items = item_views(inst, answers, &inst.id, &|field| errs.get(field));
    InstrumentView {
        id: inst.id.clone(),
        name: inst.name.clone(),
        short_name: inst.short_name.clone(),
        preamble: inst.preamble.clone(),
        items,
    }
}
