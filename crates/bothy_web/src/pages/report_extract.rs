//! `GET /staff/reports/extract/{kind}`: a pseudonymised reporting extract
//! (`ptwt` or `talking-therapies`) for the chosen period, as CSV or (with
//! `format=parquet`) Parquet, streamed: the
//! first page is read before answering, so a refusal or a missing key is a
//! proper error; the rest follow a page at a time through a small channel,
//! so memory stays bounded however large the service.

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bothy_app::AppError;
use bothy_app::dashboard::Period;
use bothy_app::dashboard::extract::{ExtractKind, Format};
use bothy_domain::time::{Date, uk_date};
use std::pin::Pin;
use std::task::{Context, Poll};

#[derive(serde::Deserialize)]
pub struct ExtractQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    /// `csv` (the default) or `parquet`.
    #[serde(default)]
    format: Option<String>,
}

/// A response body fed by a channel of chunks.
struct ChunkBody(tokio::sync::mpsc::Receiver<Bytes>);

impl http_body::Body for ChunkBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|b| Ok(http_body::Frame::data(b))))
    }
}

fn day(field: &str, s: Option<&str>, default: Date) -> Result<Date, AppError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s
            .parse()
            .map_err(|_| AppError::field(field, "Enter a date as year-month-day, like 2026-04-01")),
        None => Ok(default),
    }
}

pub async fn extract(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(kind): Path<String>,
    Query(q): Query<ExtractQuery>,
) -> Result<Response, WebError> {
    let kind = ExtractKind::parse(&kind).ok_or(AppError::NotFound)?;
    let format = Format::parse(q.format.as_deref())
        .ok_or_else(|| AppError::field("format", "Choose csv or parquet"))?;
    let default = Period::last_twelve_months(uk_date(state.app.clock().now()));
    let from = day("from", q.from.as_deref(), default.from)?;
    let to = day("to", q.to.as_deref(), default.to)?;
    let period = Period::new(from, to).map_err(|e| AppError::field("to", e.0))?;
    let mut extract = state
        .app
        .reports()
        .start_extract(&ctx.actor, kind, format, &period, &ctx.request)
        .await?;
    let first = extract.next_chunk(&state.app).await?.unwrap_or_default();
    let name = extract.file_name();
    let (send, receive) = tokio::sync::mpsc::channel::<Bytes>(4);
    let app = state.app.clone();
    tokio::spawn(async move {
        if send.send(Bytes::from(first)).await.is_err() {
            return;
        }
        loop {
            match extract.next_chunk(&app).await {
                Ok(Some(chunk)) => {
                    if send.send(Bytes::from(chunk)).await.is_err() {
                        return; // the client went away
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    // The file ends early; the client sees a short download.
                    tracing::error!(error = %e, "reporting extract stopped");
                    return;
                }
            }
        }
    });
    let mut res = Body::new(ChunkBody(receive)).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
