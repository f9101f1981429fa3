//! A patient's programme: the overview of an enrolment (its modules, open,
//! done or not open yet), its pages read from the copy pinned at
//! enrolment, "I have finished this module", and pause and resume. Only
//! the person enrolled reads or changes their enrolment; anyone else is
//! told it does not exist.

use super::enrolments::{module_number, parse_enrolment, patient_set_status, state_words};
use super::library::{BlockView, block_views, first_pages};
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::layout::{Chrome, page};
use crate::markdown::Links;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use bothy_domain::programmes::enrolment::{Enrolment, ModuleState, Status};

/// A module in the overview.
struct ModuleRow {
    number: u32,
    title: String,
    minutes: u32,
    state: &'static str,
    /// The first page, when the module is open or done.
    href: Option<String>,
    /// "Opens when you finish module N", when not open yet.
    opens: String,
}

#[derive(Template)]
#[template(path = "programme.html")]
struct OverviewPage {
    chrome: Chrome,
    csrf: String,
    id: String,
    title: String,
    version: String,
    status: &'static str,
    paused: bool,
    finished: bool,
    done: u32,
    total: u32,
    /// The next module to read: its link and title.
    next: Option<(String, String)>,
    /// Just finished this module (after "I have finished this module").
    just_done: Option<u32>,
    blocks: Vec<BlockView>,
    modules: Vec<ModuleRow>,
    /// Feedback from the supporter's reviews, newest first: who, when, text.
    feedback: Vec<(String, String, String)>,
}

/// An enrolment as the patient home lists it.
pub struct HomeEntry {
    pub href: String,
    pub title: String,
    pub status: &'static str,
    pub done: u32,
    pub total: u32,
    /// "Module 2: Doing more" and its first page.
    pub next: Option<(String, String)>,
    /// Reviews the person has not opened yet.
    pub new_feedback: i64,
}

/// Page `page` of module `module` (1-based) of the enrolment.
fn page_path(e: &Enrolment, module: u32, page: usize) -> String {
    let id = e.module(module).map_or("", |m| m.id.as_str());
    format!("/programme/{}/{id}/{page}", e.id)
}

fn next_step(e: &Enrolment) -> Option<(String, String)> {
    let n = e.next_module()?;
    let m = e.module(n)?;
    Some((page_path(e, n, 1), format!("Module {n}: {}", m.title)))
}

/// The patient home's list: current enrolments first, then finished ones.
pub fn home_entries(
    list: &[Enrolment],
    new_feedback: &std::collections::HashMap<bothy_domain::ids::EnrolmentId, i64>,
) -> Vec<HomeEntry> {
    let mut entries: Vec<(bool, HomeEntry)> = list
        .iter()
        .map(|e| {
            (
                e.status == Status::Finished,
                HomeEntry {
                    href: format!("/programme/{}", e.id),
                    title: e.programme.title.clone(),
                    status: e.status.label(),
                    done: e.done(),
                    total: e.total(),
                    next: next_step(e),
                    new_feedback: new_feedback.get(&e.id).copied().unwrap_or(0),
                },
            )
        })
        .collect();
    entries.sort_by_key(|(finished, _)| *finished);
    entries.into_iter().map(|(_, e)| e).collect()
}

#[derive(serde::Deserialize)]
pub struct OverviewQuery {
    #[serde(default)]
    done: Option<u32>,
}

/// `GET /programme/{enrolment}`.
pub async fn overview(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<OverviewQuery>,
) -> Result<Response, WebError> {
    let e = state
        .app
        .enrolments()
        .get(&ctx.actor, parse_enrolment(&id)?, &ctx.request)
        .await?;
    let (reviews, names) = state
        .app
        .reviews()
        .feedback(&ctx.actor, e.id, &ctx.request)
        .await?;
    let feedback = reviews
        .into_iter()
        .map(|r| {
            let who = names
                .get(&r.reviewer_id)
                .map_or_else(|| "Your supporter".to_string(), Clone::clone);
            (who, crate::format::uk_time(r.written_at), r.feedback)
        })
        .collect();
    let chrome = Chrome::for_ctx(&state, &ctx, &e.programme.title).await?;
    let csrf = chrome.csrf.clone().unwrap_or_default();
    let library = first_pages(&state);
    let module_path = module_links(&e);
    let links = Links {
        module: &module_path,
        library: &library,
    };
    let blocks = block_views(&e.programme.introduction, &links, false);
    let modules = (1..=e.total())
        .filter_map(|n| {
            let m = e.module(n)?;
            let state = e.state(n);
            Some(ModuleRow {
                number: n,
                title: m.title.clone(),
                minutes: m.minutes,
                state: state_words(state),
                href: (state != ModuleState::Locked).then(|| page_path(&e, n, 1)),
                opens: format!("Opens when you finish module {}", n.saturating_sub(1)),
            })
        })
        .collect();
    Ok(page(&OverviewPage {
        chrome,
        csrf,
        id: e.id.to_string(),
        title: e.programme.title.clone(),
        version: e.programme.version.clone(),
        status: e.status.label(),
        paused: e.status == Status::Paused,
        finished: e.status == Status::Finished,
        done: e.done(),
        total: e.total(),
        next: next_step(&e),
        just_done: q.done.filter(|n| e.state(*n) == ModuleState::Done),
        blocks,
        modules,
        feedback,
    }))
}

/// `module:` links inside the pinned programme lead to that module's first
/// page in this enrolment (which says so if it is not open yet).
fn module_links(e: &Enrolment) -> impl Fn(&str) -> String + '_ {
    move |id: &str| match e.module_number(id) {
        Some(n) => page_path(e, n, 1),
        None => format!("/programme/{}", e.id),
    }
}

#[derive(Template)]
#[template(path = "programme_page.html")]
struct ReadingPage {
    chrome: Chrome,
    csrf: String,
    id: String,
    programme: String,
    module_number: u32,
    module: String,
    page_title: String,
    number: usize,
    pages: usize,
    blocks: Vec<BlockView>,
    previous: Option<String>,
    next: Option<String>,
    /// On the module's last page: what to do before next time.
    homework: Option<String>,
    /// On the last page: whether the "I have finished" form shows.
    may_finish: bool,
    module_done: bool,
    paused: bool,
}

/// `GET /programme/{enrolment}/{module}/{page}`.
pub async fn read(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, module, number)): Path<(String, String, usize)>,
) -> Result<Response, WebError> {
    let p = state
        .app
        .enrolments()
        .page(
            &ctx.actor,
            parse_enrolment(&id)?,
            &module,
            number,
            &ctx.request,
        )
        .await?;
    let e = &p.enrolment;
    let m = p.module();
    let page_ = &m.pages[p.page - 1];
    let title = format!("{}: {}", m.title, page_.title);
    let chrome = Chrome::for_ctx(&state, &ctx, &title).await?;
    let csrf = chrome.csrf.clone().unwrap_or_default();
    let library = first_pages(&state);
    let module_path = module_links(e);
    let links = Links {
        module: &module_path,
        library: &library,
    };
    let last = p.page == p.pages();
    let state_ = e.state(p.module);
    Ok(page(&ReadingPage {
        chrome,
        csrf,
        id: e.id.to_string(),
        programme: e.programme.title.clone(),
        module_number: p.module,
        module: m.title.clone(),
        page_title: page_.title.clone(),
        number: p.page,
        pages: p.pages(),
        blocks: block_views(&page_.blocks, &links, false),
        previous: (p.page > 1).then(|| page_path(e, p.module, p.page - 1)),
        next: (!last).then(|| page_path(e, p.module, p.page + 1)),
        homework: (last && !m.homework.is_empty()).then(|| m.homework.clone()),
        may_finish: last && state_ == ModuleState::Open && e.status == Status::Active,
        module_done: last && state_ == ModuleState::Done,
        paused: e.status == Status::Paused,
    }))
}

#[derive(serde::Deserialize)]
pub struct DoneForm {
    #[serde(default)]
    module: String,
}

/// `POST /programme/{enrolment}/done`: "I have finished this module". The
/// form names the module, so a double tap finishes it once.
pub async fn done(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<DoneForm>,
) -> Result<Response, WebError> {
    let module = module_number(&f.module)?;
    let e = state
        .app
        .enrolments()
        .complete(&ctx.actor, parse_enrolment(&id)?, module, &ctx.request)
        .await?;
    Ok(Redirect::to(&format!("/programme/{}?done={module}", e.id)).into_response())
}

/// `POST /programme/{enrolment}/pause`.
pub async fn pause(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    patient_set_status(&state, &ctx, &id, Status::Paused).await
}

/// `POST /programme/{enrolment}/resume`.
pub async fn resume(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    patient_set_status(&state, &ctx, &id, Status::Active).await
}
