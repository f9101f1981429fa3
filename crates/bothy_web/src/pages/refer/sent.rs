//! The confirmation page once a self-referral is sent.

use super::*;

#[derive(Template)]
#[template(path = "refer_sent.html")]
pub(super) struct SentPage {
    pub(super) chrome: Chrome,
    pub(super) service_name: Option<String>,
    pub(super) how_long: String,
    pub(super) urgent: bool,
}

#[derive(serde::Deserialize)]
pub struct SentQuery {
    #[serde(default)]
    pub(super) service: Option<String>,
    #[serde(default)]
    pub(super) urgent: Option<String>,
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
            .referrals()
            .services()
            .await?
            .into_iter()
            .find(|s| s.slug.as_str() == slug),
        None => None,
    };
    let median = match &service {
        Some(s) => {
            state
                .app
                .referrals()
                .waiting_figures(s.id)
                .await?
                .median_days
        }
        None => None,
    };
    let mut chrome = Chrome::for_ctx(&state, &ctx, "Referral sent").await?;
    let urgent = q.urgent.is_some_and(|u| !u.is_empty());
    if urgent {
        // Unknown service: say nobody is watching rather than promise anyone is.
        let watched = match &service {
            Some(s) => super::steps::watched(&state, s).await,
            None => false,
        };
        chrome.urgent = Some(crate::layout::UrgentPanel::referral(watched));
    }
    Ok(page(&SentPage {
        chrome,
        service_name: service.map(|s| s.name),
        how_long: how_long(median),
        urgent,
    }))
}
