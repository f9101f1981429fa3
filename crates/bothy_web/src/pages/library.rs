//! The self-help library, open to every patient: the library programmes
//! (relaxation, sleep, coping with stress) read a page at a time, with the
//! crisis contacts wherever a programme asks for them. Staff read every
//! programme the same way (`/staff/programmes`), to know what they offer and
//! to review a version.

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
    /// Where a programme's tool sits: its name, and for a patient the
    /// address of its page (staff reading the programme see the name only).
    Tool(&'static str, Option<&'static str>),
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

/// Where pages live: the patients' library or the staff's programmes.
#[derive(Clone, Copy)]
enum Shelf {
    Library,
    Staff,
}

impl Shelf {
    fn root(self) -> &'static str {
        match self {
            Shelf::Library => "/library",
            Shelf::Staff => "/staff/programmes",
        }
    }

    fn path(self, programme: &str, module: &str, number: usize) -> String {
        format!("{}/{programme}/{module}/{number}", self.root())
    }
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
                .map(|m| (Shelf::Library.path(&p.id, &m.id, 1), m.title.clone()))
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
    let reading = state.app.library().page(&programme, &module, number)?;
    let title = format!("{}: {}", reading.module.title, reading.page.title);
    let chrome = Chrome::for_ctx(&state, &ctx, &title).await?;
    Ok(page(&reading_page(
        chrome,
        &reading,
        Shelf::Library,
        &first_pages(&state),
    )))
}

/// A link to another guide opens its first page (the checks made sure it
/// is a library programme); it leads into the patients' library.
pub(crate) fn first_pages(state: &AppState) -> impl Fn(&str) -> String + '_ {
    move |id: &str| {
        state
            .app
            .library()
            .programme(id)
            .ok()
            .and_then(|p| p.modules.first())
            .map_or_else(
                || "/library".to_string(),
                |m| Shelf::Library.path(id, &m.id, 1),
            )
    }
}

#[derive(Template)]
#[template(path = "programmes.html")]
struct StaffListPage {
    chrome: Chrome,
    programmes: Vec<ProgrammeRow>,
}

/// A programme in the staff's list.
pub struct ProgrammeRow {
    pub href: String,
    pub title: String,
    pub condition: String,
    pub kind: &'static str,
    pub version: String,
    pub modules: usize,
    pub reviewed: String,
}

pub async fn staff_list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let programmes = state
        .app
        .programmes()
        .all()
        .into_iter()
        .map(|p| ProgrammeRow {
            href: p
                .modules
                .first()
                .map_or_else(String::new, |m| Shelf::Staff.path(&p.id, &m.id, 1)),
            title: p.title.clone(),
            condition: p.condition.clone(),
            kind: match p.kind {
                bothy_domain::programmes::Kind::Guided => "Guided, with a supporter",
                bothy_domain::programmes::Kind::Library => "Self-help library",
            },
            version: p.version.clone(),
            modules: p.modules.len(),
            reviewed: if p.clinical_reviewer.is_empty() {
                "Not yet reviewed".into()
            } else {
                format!("{}, {}", p.clinical_reviewer, p.reviewed_on)
            },
        })
        .collect();
    let chrome = Chrome::for_ctx(&state, &ctx, "Programmes").await?;
    Ok(page(&StaffListPage { chrome, programmes }))
}

pub async fn staff_read(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((programme, module, number)): Path<(String, String, usize)>,
) -> Result<Response, WebError> {
    let reading = state.app.programmes().page(&programme, &module, number)?;
    let title = format!("{}: {}", reading.module.title, reading.page.title);
    let chrome = Chrome::for_ctx(&state, &ctx, &title).await?;
    Ok(page(&reading_page(
        chrome,
        &reading,
        Shelf::Staff,
        &first_pages(&state),
    )))
}

fn reading_page(
    chrome: Chrome,
    r: &Reading<'_>,
    shelf: Shelf,
    library_path: &dyn Fn(&str) -> String,
) -> ReadingPage {
    let p: &Programme = r.programme;
    let module_path = |id: &str| shelf.path(&p.id, id, 1);
    let links = Links {
        module: &module_path,
        library: library_path,
    };
    let blocks = block_views(&r.page.blocks, &links, matches!(shelf, Shelf::Staff));
    ReadingPage {
        chrome,
        programme: p.title.clone(),
        module: r.module.title.clone(),
        page_title: r.page.title.clone(),
        number: r.number,
        pages: r.module.pages.len(),
        blocks,
        previous: r.previous.map(|(m, n)| shelf.path(&p.id, m, n)),
        next: r.next.map(|(m, n)| shelf.path(&p.id, m, n)),
        contents: shelf.root().into(),
    }
}

/// A page's blocks as templates draw them (`programme_blocks.html`).
pub(crate) fn block_views(blocks: &[Block], links: &Links<'_>, staff: bool) -> Vec<BlockView> {
    blocks
        .iter()
        .map(|b| match b {
            Block::Text(t) => BlockView::Html(render(t, links)),
            Block::Reflect(q) => BlockView::Reflect(q.clone()),
            Block::Crisis => BlockView::Crisis,
            // A patient follows the link to the tool's page; staff reading
            // the programme see where each tool sits.
            Block::Tool(t) => BlockView::Tool(t.label(), (!staff).then(|| super::tools::path(*t))),
        })
        .collect()
}
