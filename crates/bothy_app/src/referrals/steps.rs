//! The self-referral form's steps as typed, and their validation into a
//! referral's details: one place that decides what each step accepts, used
//! by the form, the professional form and the test kit.

use crate::AppError;
use crate::error::Validation;
use bothy_domain::contact::ContactChoice;
use bothy_domain::instruments::Instrument;
use bothy_domain::person::{DateOfBirth, Email, PersonName, PhoneNumber};
use bothy_domain::referral::{Consents, Details, Problem, Screening};
use bothy_domain::text::{self, Lines};

/// The "about you" step, as typed.
#[derive(Debug, Clone, Default)]
pub struct AboutYou {
    pub given_name: String,
    pub family_name: String,
    pub dob_day: String,
    pub dob_month: String,
    pub dob_year: String,
    pub email: String,
    pub phone: String,
    pub preferred_channel: String,
    pub language: String,
    pub accessibility_needs: String,
    pub nhs_number: String,
    pub chi: String,
    pub postcode: String,
}

/// One step of the self-referral form, as typed.
#[derive(Debug, Clone)]
pub enum StepInput {
    About(Box<AboutYou>),
    Gp {
        practice: String,
    },
    Help {
        text: String,
        problems: Vec<String>,
    },
    /// Answers by instrument id, for the instruments the service asks.
    Questions(Screening),
    Consent(Consents),
}

fn optional(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

fn bounded(
    v: &mut Validation,
    field: &'static str,
    s: &str,
    max: usize,
    what: &str,
) -> Option<String> {
    let t = optional(s)?;
    if t.chars().count() > max {
        v.fail(field, format!("{what} must be {max} characters or fewer"));
        return None;
    }
    if let Err(e) = text::check(t, Lines::Many) {
        v.fail(field, e.message(what, Lines::Many));
        return None;
    }
    Some(t.to_string())
}

/// Validates one step and writes it into the details; every problem at once.
pub fn apply_step(
    d: &mut Details,
    input: StepInput,
    today: bothy_domain::time::Date,
    asked: &[&Instrument],
) -> Result<(), AppError> {
    let mut v = Validation::default();
    match input {
        StepInput::About(a) => {
            let a = *a;
            let given = v.check("given_name", PersonName::parse(&a.given_name));
            let family = v.check("family_name", PersonName::parse(&a.family_name));
            let dob = v.check(
                "dob_day",
                DateOfBirth::from_parts(&a.dob_day, &a.dob_month, &a.dob_year, today),
            );
            let email = optional(&a.email).and_then(|e| v.check("email", Email::parse(e)));
            let phone = optional(&a.phone).and_then(|p| v.check("phone", PhoneNumber::parse(p)));
            // The one question about contact: the channel choice is the
            // consent (`ContactChoice::from_form`).
            let choice = ContactChoice::from_form(a.preferred_channel.trim());
            match choice {
                None => v.fail(
                    "preferred_channel",
                    "Choose how you would like us to contact you",
                ),
                Some(c) => {
                    if c.email && optional(&a.email).is_none() {
                        v.fail(
                            "email",
                            "Enter an email address, or choose to be contacted by text message",
                        );
                    }
                    if c.sms && optional(&a.phone).is_none() {
                        v.fail(
                            "phone",
                            "Enter a mobile number, or choose to be contacted by email",
                        );
                    } else if c.sms && phone.as_ref().is_some_and(|p| !p.is_uk_mobile()) {
                        v.fail("phone", "Text messages need a UK mobile number starting 07");
                    }
                }
            }
            let language = bounded(&mut v, "language", &a.language, 60, "Language");
            let access = bounded(
                &mut v,
                "accessibility_needs",
                &a.accessibility_needs,
                1000,
                "Accessibility needs",
            );
            let nhs = optional(&a.nhs_number).and_then(|n| {
                v.check("nhs_number", bothy_domain::identifiers::NhsNumber::parse(n))
            });
            let chi = optional(&a.chi)
                .and_then(|n| v.check("chi", bothy_domain::identifiers::Chi::parse(n, today)));
            if let (Some(chi), Some(dob)) = (&chi, &dob)
                && !chi.matches_date_of_birth(dob.date())
            {
                v.fail("chi", "The first 6 numbers of a CHI number are the date of birth (DDMMYY), and these do not match the date of birth you gave");
            }
            let postcode = optional(&a.postcode)
                .and_then(|p| v.check("postcode", bothy_domain::identifiers::UkPostcode::parse(p)));
            v.finish()?;
            d.given_name = given.map(|n| n.to_string());
            d.family_name = family.map(|n| n.to_string());
            d.date_of_birth = dob.map(|x| x.date());
            d.email = email.map(|e| e.to_string());
            d.phone = phone.map(|p| p.to_string());
            if let Some(c) = choice {
                d.preferred_channel = (c.email || c.sms).then_some(c.preferred);
                d.consents.contact_email = c.email;
                d.consents.contact_sms = c.sms;
            }
            d.language = language;
            d.accessibility_needs = access;
            d.nhs_number = nhs.map(|n| n.as_str().to_string());
            d.chi = chi.map(|c| c.as_str().to_string());
            d.postcode = postcode.map(|p| p.to_string());
        }
        StepInput::Gp { practice } => {
            let p = bounded(&mut v, "gp_practice", &practice, 200, "GP practice");
            if p.is_none() && v_is_empty(&v) {
                v.fail(
                    "gp_practice",
                    "Enter the name of your GP practice, or \"I do not have a GP\"",
                );
            }
            v.finish()?;
            d.gp_practice = p;
        }
        StepInput::Help { text, problems } => {
            let t = bounded(
                &mut v,
                "problem_text",
                &text,
                4000,
                "What you would like help with",
            );
            let mut picked = Vec::new();
            for p in &problems {
                match Problem::parse(p) {
                    Some(p) if !picked.contains(&p) => picked.push(p),
                    Some(_) => {}
                    None => v.fail("problems", "Choose from the list"),
                }
            }
            if t.is_none() && picked.is_empty() && v_is_empty(&v) {
                v.fail(
                    "problem_text",
                    "Tell us in your own words, or choose at least one thing from the list",
                );
            }
            v.finish()?;
            d.problem_text = t;
            d.problems = picked;
        }
        StepInput::Questions(mut answers) => {
            for key in answers.keys() {
                if !asked.iter().any(|i| i.id == *key) {
                    v.fail_owned(
                        format!("{key}-1"),
                        format!("{key:?} is not one of the questionnaires this service asks"),
                    );
                }
            }
            answers.retain(|key, _| asked.iter().any(|i| i.id == *key));
            for inst in asked {
                let given = answers.entry(inst.id.clone()).or_default();
                if let Err(e) = bothy_domain::instruments::score::score(inst, given) {
                    let id = &inst.id;
                    match e {
                        bothy_domain::instruments::score::ScoreError::Incomplete {
                            missing,
                            ..
                        } => {
                            for n in missing {
                                v.fail_owned(
                                    format!("{id}-{n}"),
                                    format!("{}: answer question {n}", inst.short_name),
                                );
                            }
                        }
                        other => {
                            v.fail_owned(format!("{id}-1"), format!("{}: {other}", inst.short_name))
                        }
                    }
                }
            }
            // Risk answers are kept even when other answers are missing.
            d.screening = answers;
            v.finish()?;
        }
        StepInput::Consent(c) => {
            if !c.treatment {
                v.fail(
                    "treatment",
                    "To send a referral, agree to us using your details to offer you treatment",
                );
            }
            // Contact consents are the "about you" step's answer, asked once.
            d.consents = Consents {
                contact_email: d.consents.contact_email,
                contact_sms: d.consents.contact_sms,
                ..c
            };
            v.finish()?;
        }
    }
    Ok(())
}

fn v_is_empty(v: &Validation) -> bool {
    v.is_empty()
}
