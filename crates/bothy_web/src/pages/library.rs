//! The self-help library, open to every patient: the library programmes
//! (relaxation, sleep, coping with stress) read a page at a time, with the
//! crisis contacts wherever a programme asks for them.

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::layout::{Chrome, page};
use crate::markdown::{Links, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use bothy_app::programmes::Reading;
use bothy_domain::programmes::{Block, Programme};

/// A library programme in the list.
pub struct Entry {
    pub id: String,
    pub title: String,
    pub modules: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "library.html")]
struct ListPage {
    chrome: Chrome,
    entries: Vec<Entry>,
}

/// One block as the page draws it.
pub enum BlockView {
    /// Rendered from Markdown with everything escaped (`markdown.rs`).
    Html(String),
    Reflect(String),
    Crisis,
}

#[derive(Template)]
#[template(path = "library_page.html")]
struct ReadingPage {
    chrome: Chrome,
    programme: String,
    module: String,
    page_title: String,
    number: usize,
    pages: usize,
    blocks: Vec<BlockView>,
    previous: Option<String>,
    next: Option<String>,
    contents: String,
}

fn path(programme: &str, module: &str, number: usize) -> String {
    format!("/library/{programme}/{module}/{number}")
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let entries = state
        .app
        .library()
        .programmes()
        .into_iter()
        .map(|p| Entry {
            id: p.id.clone(),
            title: p.title.clone(),
            modules: p
                .modules
                .iter()
                .map(|m| (path(&p.id, &m.id, 1), m.title.clone()))
                .collect(),
        })
        .collect();
    let chrome = Chrome::for_ctx(&state, &ctx, "Self-help library").await?;
    Ok(page(&ListPage { chrome, entries }))
}

pub async fn read(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((programme, module, number)): Path<(String, String, usize)>,
) -> Result<Response, WebError> {
    let library = state.app.library();
    let reading = library.page(&programme, &module, number)?;
    let title = format!("{}: {}", reading.module.title, reading.page.title);
    let chrome = Chrome::for_ctx(&state, &ctx, &title).await?;
    // A link to another guide opens its first page (the checks made sure
    // it is a library programme).
    let first_page = |id: &str| {
        library
            .programme(id)
            .ok()
            .and_then(|p| p.modules.first())
            .map_or_else(|| "/library".to_string(), |m| path(id, &m.id, 1))
    };
    Ok(page(&reading_page(chrome, &reading, &first_page)))
}

fn reading_page(
    chrome: Chrome,
    r: &Reading<'_>,
    library_path: &dyn Fn(&str) -> String,
) -> ReadingPage {
    let p: &Programme = r.programme;
    let module_path = |id: &str| path(&p.id, id, 1);
    let links = Links {
        module: &module_path,
        library: library_path,
    };
    let blocks = r
        .page
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Text(t) => Some(BlockView::Html(render(t, &links))),
            Block::Reflect(q) => Some(BlockView::Reflect(q.clone())),
            Block::Crisis => Some(BlockView::Crisis),
            // Library programmes embed no tools (the checks would allow one,
            // but it needs a supporter's programme to keep its entries).
            Block::Tool(_) => None,
        })
        .collect();
    ReadingPage {
        chrome,
        programme: p.title.clone(),
        module: r.module.title.clone(),
        page_title: r.page.title.clone(),
        number: r.number,
        pages: r.module.pages.len(),
        blocks,
        previous: r.previous.map(|(m, n)| path(&p.id, m, n)),
        next: r.next.map(|(m, n)| path(&p.id, m, n)),
        contents: "/library".into(),
    }
}
