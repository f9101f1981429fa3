//! Choosing a service, or finding one by postcode, and starting a draft.

use super::*;

#[derive(Template)]
#[template(path = "refer_start.html")]
pub(super) struct StartPage {
    pub(super) chrome: Chrome,
    pub(super) csrf: String,
    pub(super) postcode: String,
    /// The postcode looked up, when services were found for it.
    pub(super) found_for: Option<String>,
    /// A postcode was looked up and no service covers it.
    pub(super) none_found: bool,
    pub(super) services: Vec<Choice>,
    pub(super) errors: Vec<FieldError>,
    pub(super) errs: Errs,
}

#[derive(serde::Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    pub(super) postcode: Option<String>,
}

pub(super) async fn start_page(
    state: &AppState,
    ctx: &Ctx,
    postcode: Option<String>,
    chosen: &str,
    mut errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let all = state.app.referrals().services().await?;
    let mut shown: Vec<Service> = all.clone();
    let mut found_for = None;
    let mut none_found = false;
    if let Some(pc) = &postcode {
        match field_errors(state.app.referrals().services_for_postcode(pc).await)? {
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
    match field_errors(state.app.referrals().start(&slug, &ctx.request).await)? {
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
