//! The check-your-answers page, and sending the referral from it.

use super::*;
use crate::format::long_date;

/// `asked` are the service's screening questionnaires.
pub(super) fn check_sections(d: &Details, asked: &[&Instrument]) -> Vec<Section> {
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
            label: "How we may contact you".into(),
            value: match contact_value(d).as_str() {
                "" => "Not given".into(),
                _ => bothy_domain::contact::ContactChoice::of_referral(d)
                    .label()
                    .into(),
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
    for inst in asked {
        let answers = d.screening.get(&inst.id).map_or(&[][..], Vec::as_slice);
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

/// Sends the referral from the check page. A held-back send (the hidden
/// field filled in, or too fast for a person) looks exactly like a real one.
pub(super) async fn send(
    state: &AppState,
    ctx: &Ctx,
    token: &str,
    f: &Fields,
) -> Result<Response, WebError> {
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
        .referrals()
        .send(token, &f.get("website"), &ctx.request)
        .await
    {
        Ok(referral) => {
            let slug = app
                .referrals()
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
