//! The service dashboard (`/staff/reports`): the analyst's home and the
//! leads' reports page. A GET form chooses the period, the breakdown, a
//! deprivation quintile and (for a lead) their own caseload; each table
//! has its chart where one helps, and a CSV download of exactly what is
//! shown. `/staff/reports/monthly` is one month as a page to print or
//! save and send on.

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::layout::{Chrome, page};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bothy_app::AppError;
use bothy_app::dashboard::extract::Format;
use bothy_app::dashboard::{Dashboard, Period, ReportRequest, ReportTable};
use bothy_domain::audit::Action;
use bothy_domain::reports::Breakdown;
use bothy_domain::time::{Date, uk_date};

#[derive(serde::Deserialize, Default)]
pub struct ReportQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    by: Option<String>,
    #[serde(default)]
    quintile: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    month: Option<String>,
}

fn date(field: &str, s: &str) -> Result<Date, AppError> {
    s.trim()
        .parse::<Date>()
        .map_err(|_| AppError::field(field, "Enter a date as year-month-day, like 2026-04-01"))
}

fn request(q: &ReportQuery, today: Date) -> Result<ReportRequest, AppError> {
    let default = Period::last_twelve_months(today);
    let from = match q.from.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => date("from", s)?,
        None => default.from,
    };
    let to = match q.to.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => date("to", s)?,
        None => default.to,
    };
    let period = Period::new(from, to).map_err(|e| AppError::field("to", e.0))?;
    let by = Breakdown::parse(q.by.as_deref().unwrap_or_default())
        .map_err(|e| AppError::field("by", e.0))?;
    let quintile = match q.quintile.as_deref().unwrap_or_default() {
        "" | "all" => None,
        s => Some(
            s.parse::<u8>()
                .ok()
                .filter(|q| (1..=5).contains(q))
                .ok_or_else(|| AppError::field("quintile", "Choose a quintile from 1 to 5"))?,
        ),
    };
    Ok(ReportRequest {
        period,
        by,
        quintile,
        caseload: q.scope.as_deref() == Some("caseload"),
    })
}

/// The query string that reproduces a request, for links to downloads.
fn query_of(r: &ReportRequest) -> String {
    let mut q = format!(
        "from={}&to={}&by={}",
        r.period.from,
        r.period.to,
        r.by.as_str()
    );
    if let Some(n) = r.quintile {
        q.push_str(&format!("&quintile={n}"));
    }
    if r.caseload {
        q.push_str("&scope=caseload");
    }
    q
}

pub struct TableView {
    pub t: ReportTable,
    pub svg: Option<String>,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    chrome: Chrome,
    d: Dashboard,
    tables: Vec<TableView>,
    breakdowns: Vec<Choice>,
    quintiles: Vec<Choice>,
    query: String,
    monthly: Option<String>,
    this_month: String,
}

fn view(
    d: Dashboard,
    chrome: Chrome,
    query: String,
    monthly: Option<String>,
    today: Date,
) -> ReportsPage {
    let tables = d
        .tables
        .iter()
        .map(|t| TableView {
            svg: t
                .chart
                .as_ref()
                .map(|c| crate::report_chart::rate_bars(c, &format!("chart-{}", t.id))),
            t: t.clone(),
        })
        .collect();
    let breakdowns = Breakdown::ALL
        .iter()
        .map(|b| Choice {
            value: b.as_str().to_string(),
            label: b.label().to_string(),
            selected: *b == d.by,
        })
        .collect();
    let mut quintiles = vec![Choice {
        value: "all".into(),
        label: "All quintiles".into(),
        selected: d.quintile.is_none(),
    }];
    quintiles.extend((1..=5u8).map(|q| Choice {
        value: q.to_string(),
        label: Breakdown::Quintile.group_label(&q.to_string()),
        selected: d.quintile == Some(q),
    }));
    ReportsPage {
        chrome,
        d,
        tables,
        breakdowns,
        quintiles,
        query,
        monthly,
        this_month: today.first_of_month().strftime("%Y-%m").to_string(),
    }
}

/// `GET /staff/reports`.
pub async fn dashboard(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ReportQuery>,
) -> Result<Response, WebError> {
    let today = uk_date(state.app.clock().now());
    let r = request(&q, today)?;
    let d = state
        .app
        .reports()
        .dashboard(&ctx.actor, &r, &ctx.request)
        .await?;
    let chrome = Chrome::for_ctx(&state, &ctx, "Reports").await?;
    Ok(page(&view(d, chrome, query_of(&r), None, today)))
}

/// `GET /staff/reports/monthly?month=2026-11`: one calendar month, whole
/// service, no breakdown, to print or save as a page and send on.
pub async fn monthly(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ReportQuery>,
) -> Result<Response, WebError> {
    let today = uk_date(state.app.clock().now());
    let first = match q.month.as_deref().filter(|s| !s.is_empty()) {
        Some(m) => date("month", &format!("{m}-01"))?,
        None => today.first_of_month(),
    };
    let r = ReportRequest {
        period: Period::month(first),
        by: Breakdown::None,
        quintile: None,
        caseload: false,
    };
    let d = state
        .app
        .reports()
        .dashboard(&ctx.actor, &r, &ctx.request)
        .await?;
    let title = format!("Monthly report, {}", first.strftime("%B %Y"));
    let chrome = Chrome::for_ctx(&state, &ctx, &title).await?;
    Ok(page(&view(d, chrome, query_of(&r), Some(title), today)))
}

/// `GET /staff/reports/csv/{table}`: one table as CSV, suppressed as on
/// the page; audited as a download.
pub async fn csv(
    state: State<AppState>,
    ctx: Ctx,
    table: Path<String>,
    q: Query<ReportQuery>,
) -> Result<Response, WebError> {
    download(state, ctx, table, q, Format::Csv).await
}

/// `GET /staff/reports/parquet/{table}`: the same table as Parquet, counts
/// typed as numbers and suppressed cells null.
pub async fn parquet(
    state: State<AppState>,
    ctx: Ctx,
    table: Path<String>,
    q: Query<ReportQuery>,
) -> Result<Response, WebError> {
    download(state, ctx, table, q, Format::Parquet).await
}

async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(table): Path<String>,
    Query(q): Query<ReportQuery>,
    format: Format,
) -> Result<Response, WebError> {
    let today = uk_date(state.app.clock().now());
    let r = request(&q, today)?;
    let d = state
        .app
        .reports()
        .dashboard_as(&ctx.actor, &r, &ctx.request, Action::ReportExported)
        .await?;
    let t = d.table(&table).ok_or(AppError::NotFound)?;
    let body = match format {
        Format::Csv => bothy_app::dashboard::csv::table_csv(t).into_bytes(),
        Format::Parquet => {
            let (columns, rows) = bothy_app::dashboard::columns::typed(t);
            bothy_app::dashboard::parquet_file::ParquetFile::write_all(&columns, &rows)?
        }
    };
    let name = format!(
        "attachment; filename=\"{}-{}-{}-{}.{}\"",
        t.id,
        r.period.from,
        r.period.to,
        r.by.as_str(),
        format.extension()
    );
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
