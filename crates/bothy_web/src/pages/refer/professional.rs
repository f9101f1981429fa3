//! A professional referral, entered by staff.

use super::*;
use bothy_domain::text::{self, Lines};

#[derive(Template)]
#[template(path = "refer_professional.html")]
pub(super) struct ProfessionalPage {
    pub(super) chrome: Chrome,
    pub(super) csrf: String,
    pub(super) key: String,
    pub(super) a: AboutYou,
    pub(super) practice: String,
    pub(super) text: String,
    pub(super) problems: Vec<Choice>,
    pub(super) referrer_name: String,
    pub(super) referrer_organisation: String,
    pub(super) referrer_email: String,
    pub(super) sent: bool,
    pub(super) errors: Vec<FieldError>,
    pub(super) errs: Errs,
}

#[derive(serde::Deserialize)]
pub struct ProfessionalQuery {
    #[serde(default)]
    pub(super) sent: Option<String>,
}

pub(super) fn new_key() -> String {
    bothy_domain::ids::ReferralId::random().to_string()
}

pub(super) async fn professional_page(
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

pub(super) fn optional_text(
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
    if v.chars().count() > max {
        errors.push(FieldError {
            field: name.into(),
            message: format!("{what} must be {max} characters or fewer, on one line"),
        });
        return None;
    }
    if let Err(e) = text::check(v, Lines::One) {
        errors.push(FieldError {
            field: name.into(),
            message: e.message(what, Lines::One),
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
    let today = bothy_domain::time::uk_date(app.clock().now());
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
    // The form asks no screening questionnaires: the service asks them of
    // the person, whose answers only they can give.
    for part in parts {
        if let Err(e) = field_errors(apply_step(&mut details, part, today, &[]))? {
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
        .referrals()
        .submit(
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
