//! The front door's forms. The public self-referral: choose a service (or
//! find one by postcode), then one page per step, kept as a draft that a
//! resume link reaches, a check-your-answers page and a confirmation. No
//! account and no script. And the staff form for a professional referral.
//!
//! A risk answer on the screening questions shows the crisis contacts at the
//! top of the very next page, whether that is the same page with its errors
//! or the next step, and on every later step of the same referral.

use super::field_errors;
use super::measures::{ItemView, item_views};
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::layout::{Chrome, html, page};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::referrals::{AboutYou, StepInput, apply_step};
use bothy_app::{AppError, FieldError};
use bothy_domain::instruments::Instrument;
use bothy_domain::model::Service;
use bothy_domain::referral::{Consents, Details, Problem, Referral, Screening, Source};

mod check;
mod forms;
mod professional;
mod sent;
mod start;
mod steps;

pub use forms::{step_form, step_save};
pub use professional::{professional_form, professional_submit};
pub use sent::sent;
pub use start::{start, start_form};

use check::{check_sections, send};
use forms::{Typed, step_page};
use steps::{
    AboutPage, CONSENTS, CheckPage, ConsentPage, ConsentView, GpPage, HelpPage, QuestionsPage, Row,
    Section, consent_of, draft, frame, instrument_view, step_index,
};

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
        preferred_channel: contact_value(d),
        language: s(&d.language),
        accessibility_needs: s(&d.accessibility_needs),
        nhs_number: s(&d.nhs_number),
        chi: s(&d.chi),
        postcode: s(&d.postcode),
    }
}

/// The contact question's answer as the form's radio value; empty before
/// the "about you" step was saved.
pub(super) fn contact_value(d: &Details) -> String {
    let answered = d.preferred_channel.is_some() || d.given_name.is_some();
    if answered {
        bothy_domain::contact::ContactChoice::of_referral(d)
            .form_value()
            .to_string()
    } else {
        String::new()
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
