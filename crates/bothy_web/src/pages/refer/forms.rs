//! Showing and saving one step of a self-referral.

use super::*;

/// What a step page shows: the saved draft, or what was just typed with its errors.
pub(super) enum Typed {
    Saved,
    About(Box<AboutYou>),
    Gp(String),
    Help(String, Vec<String>),
    Questions(Screening),
    Consent(Consents),
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn step_page(
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
    let mut chrome = Chrome::for_ctx(state, ctx, &titled(heading, &errors)).await?;
    let watched = super::steps::watched(state, service).await;
    let csrf = csrf_of(ctx).await?;
    let errs = Errs(errors.clone());
    let mut urgent = referral.risk;
    let body = match name {
        "about" => {
            let a = match typed {
                Typed::About(a) => *a,
                _ => about_from_details(d),
            };
            let f = frame(state, token, step, service, (urgent, watched), &mut chrome);
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
            let f = frame(state, token, step, service, (urgent, watched), &mut chrome);
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
            let f = frame(state, token, step, service, (urgent, watched), &mut chrome);
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
            let answers = match typed {
                Typed::Questions(a) => a,
                _ => d.screening.clone(),
            };
            // The answers on the page count, saved or not.
            urgent |= state.app.referrals().screening_raises_risk(&answers);
            let instruments = state
                .app
                .referrals()
                .screening(referral.service_id)
                .await?
                .into_iter()
                .map(|inst| {
                    let given = answers.get(&inst.id).map_or(&[][..], Vec::as_slice);
                    instrument_view(inst, given, &errs)
                })
                .collect();
            let f = frame(state, token, step, service, (urgent, watched), &mut chrome);
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
            let f = frame(state, token, step, service, (urgent, watched), &mut chrome);
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
            let f = frame(state, token, step, service, (urgent, watched), &mut chrome);
            html(
                status,
                &CheckPage {
                    chrome,
                    csrf,
                    f,
                    sections: check_sections(
                        d,
                        &state.app.referrals().screening(referral.service_id).await?,
                    ),
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
pub(super) fn read_answers(
    inst: &Instrument,
    f: &Fields,
    errors: &mut Vec<FieldError>,
) -> Vec<Option<i32>> {
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
            let service = app.referrals().draft(&token).await?.service_id;
            let answers: Screening = app
                .referrals()
                .screening(service)
                .await?
                .into_iter()
                .map(|inst| (inst.id.clone(), read_answers(inst, &f, &mut parse_errors)))
                .collect();
            (
                StepInput::Questions(answers.clone()),
                Typed::Questions(answers),
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
    let saved = field_errors(app.referrals().save_step(&token, input, &ctx.request).await)?;
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
            // Read after saving: a risk answer may have marked the draft just now.
            let (referral, service) = draft(&state, &token).await?;
            step_page(&state, &ctx, &token, i, &referral, &service, typed, errors).await
        }
    }
}
