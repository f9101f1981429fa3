//! Peer support for moderators (and clinical leads): the moderation queue,
//! which is also a moderator's staff home (`/staff/peer`), one post with
//! its action forms (`/staff/peer/posts/{post}`), groups and their
//! creation (`/staff/peer/groups`), and the service's figures
//! (`/staff/peer/figures`). Moderators see group names and posts only.

use super::field_errors;
use super::peer::post_id;
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::format::uk_time;
use crate::layout::{Chrome, html, page};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::peer::{Figures, Moderating, Queue};
use bothy_app::{AppError, FieldError};
use bothy_domain::peer::{self, GroupKind, HoldReason, PostStatus};

fn error<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.as_str())
}

fn reasons(list: &[HoldReason]) -> String {
    if list.is_empty() {
        return "Review after posting".into();
    }
    list.iter()
        .map(|r| r.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row of the queue.
pub struct QueueRow {
    pub href: String,
    pub priority: &'static str,
    pub urgent: bool,
    pub group: String,
    pub author: String,
    pub reasons: String,
    pub status: &'static str,
    pub queued: String,
    pub deadline: String,
    pub overdue: bool,
    /// Escalated to the service's moderators and clinical leads, unmoderated
    /// past its deadline (`bothy_app::peer::Peer::escalate_overdue`).
    pub escalated: bool,
    pub excerpt: String,
}

fn excerpt(body: &str) -> String {
    let mut s: String = body.chars().take(160).collect();
    if body.chars().count() > 160 {
        s.push('…');
    }
    s
}

#[derive(Template)]
#[template(path = "staff_peer_queue.html")]
struct QueuePage {
    chrome: Chrome,
    waiting: i64,
    overdue: i64,
    counts: Vec<(&'static str, i64, i64)>,
    rows: Vec<QueueRow>,
    done: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

/// The queue page (also a moderator's home).
pub async fn queue_page(
    state: &AppState,
    ctx: &Ctx,
    done: Option<String>,
) -> Result<Response, WebError> {
    let q: Queue = state.app.peer().queue(&ctx.actor, &ctx.request).await?;
    let chrome = Chrome::for_ctx(state, ctx, "Moderation queue").await?;
    Ok(page(&QueuePage {
        chrome,
        waiting: q.waiting(),
        overdue: q.overdue(),
        counts: q
            .counts
            .iter()
            .map(|(p, n, o)| (p.label(), *n, *o))
            .collect(),
        rows: q
            .items
            .iter()
            .map(|i| QueueRow {
                href: format!("/staff/peer/posts/{}", i.post.id),
                priority: i.post.priority.label(),
                urgent: i.post.priority >= peer::Priority::Risk,
                group: i.group_name.clone(),
                author: i.post.pseudonym.clone(),
                reasons: reasons(&i.post.hold_reasons),
                status: i.post.status.as_str(),
                queued: i.post.queued_at.map(uk_time).unwrap_or_default(),
                deadline: i.post.deadline.map(uk_time).unwrap_or_default(),
                overdue: i.overdue,
                escalated: i.post.escalated_at.is_some(),
                excerpt: excerpt(&i.post.body),
            })
            .collect(),
        done: done.map(|d| match d.as_str() {
            "approve" => "The post is approved.".to_string(),
            "edit" => "The post is edited and shown with your note.".to_string(),
            "hide" => "The post is hidden; its author sees your reason.".to_string(),
            "remove" => "The post is removed; its author sees your reason.".to_string(),
            _ => "Done.".to_string(),
        }),
    }))
}

/// `GET /staff/peer`.
pub async fn queue(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    queue_page(&state, &ctx, q.done).await
}

#[derive(Template)]
#[template(path = "staff_peer_post.html")]
struct PostPage {
    chrome: Chrome,
    csrf: String,
    id: String,
    group: String,
    author: String,
    suspended: Option<String>,
    body: String,
    status: &'static str,
    needs_review: bool,
    priority: &'static str,
    reasons: String,
    risk: bool,
    reports: i64,
    created: String,
    deadline: String,
    status_reason: Option<String>,
    edit_note: Option<String>,
    moderatable: bool,
    done: Option<&'static str>,
    errors: Vec<FieldError>,
    form: ActionForm,
}

impl PostPage {
    fn error(&self, field: &str) -> Option<&str> {
        error(&self.errors, field)
    }
}

async fn post_page(
    state: &AppState,
    ctx: &Ctx,
    id: bothy_domain::ids::PostId,
    done: Option<&'static str>,
    form: ActionForm,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let Moderating {
        post,
        group,
        member,
    } = state
        .app
        .peer()
        .moderation_post(&ctx.actor, id, &ctx.request)
        .await?;
    let title = if errors.is_empty() {
        "A post to moderate"
    } else {
        "Error: A post to moderate"
    };
    let chrome = Chrome::for_ctx(state, ctx, title).await?;
    let csrf = chrome.csrf.clone().ok_or(AppError::Unauthenticated)?;
    let now = state.app.clock().now();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut form = form;
    if form.body.is_empty() {
        form.body = post.body.clone();
    }
    Ok(html(
        status,
        &PostPage {
            chrome,
            csrf,
            id: post.id.to_string(),
            group: group.name,
            author: member.pseudonym.clone(),
            suspended: member.suspended_until.filter(|u| *u > now).map(uk_time),
            moderatable: post.status != PostStatus::Removed,
            status: post.status.as_str(),
            needs_review: post.needs_review,
            priority: post.priority.label(),
            reasons: reasons(&post.hold_reasons),
            risk: post.risk,
            reports: post.report_count,
            created: uk_time(post.created_at),
            deadline: post.deadline.map(uk_time).unwrap_or_default(),
            status_reason: post.status_reason.clone(),
            edit_note: post.edit_note.clone(),
            body: post.body,
            done,
            errors,
            form,
        },
    ))
}

/// `GET /staff/peer/posts/{post}`.
pub async fn post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let done = match q.done.as_deref() {
        Some("contact") => Some("Your note is sent: only the author sees it, on the group's page."),
        Some("alert") => Some("The author's care team has an alert in their duty queue."),
        Some("suspend") => Some("The author's posting in this group is paused."),
        _ => None,
    };
    post_page(
        &state,
        &ctx,
        post_id(&id)?,
        done,
        ActionForm::default(),
        Vec::new(),
    )
    .await
}

/// Any moderation form's fields.
#[derive(serde::Deserialize, Default)]
pub struct ActionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    needs_review: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    days: String,
}

/// `POST /staff/peer/posts/{post}/moderate`: approve, edit, hide or remove.
pub async fn moderate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Result<Response, WebError> {
    let id = post_id(&id)?;
    let done = state
        .app
        .peer()
        .moderate(
            &ctx.actor,
            id,
            &f.action,
            (f.status.as_str(), f.needs_review == "1"),
            &f.reason,
            &f.body,
            &ctx.request,
        )
        .await;
    match field_errors(done)? {
        Ok(_) => Ok(Redirect::to(&format!("/staff/peer?done={}", f.action.trim())).into_response()),
        Err(errors) => post_page(&state, &ctx, id, None, f, errors).await,
    }
}

/// `POST /staff/peer/posts/{post}/contact`, `/alert` and `/suspend`.
async fn other_action(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    what: &'static str,
    f: ActionForm,
) -> Result<Response, WebError> {
    let id = post_id(id)?;
    let peer = state.app.peer();
    let done = match what {
        "contact" => {
            peer.contact_author(&ctx.actor, id, &f.reason, &ctx.request)
                .await
        }
        "alert" => {
            peer.alert_care_team(&ctx.actor, id, &f.reason, &ctx.request)
                .await
        }
        _ => peer
            .suspend(&ctx.actor, id, &f.days, &f.reason, &ctx.request)
            .await
            .map(|_| ()),
    };
    match field_errors(done)? {
        Ok(()) => Ok(Redirect::to(&format!("/staff/peer/posts/{id}?done={what}")).into_response()),
        Err(errors) => post_page(state, ctx, id, None, f, errors).await,
    }
}

/// `POST /staff/peer/posts/{post}/contact`.
pub async fn contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Result<Response, WebError> {
    other_action(&state, &ctx, &id, "contact", f).await
}

/// `POST /staff/peer/posts/{post}/alert`.
pub async fn alert(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Result<Response, WebError> {
    other_action(&state, &ctx, &id, "alert", f).await
}

/// `POST /staff/peer/posts/{post}/suspend`.
pub async fn suspend(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Result<Response, WebError> {
    other_action(&state, &ctx, &id, "suspend", f).await
}

/// A group as the admin page lists it.
pub struct GroupLine {
    pub name: String,
    pub kind: &'static str,
    pub mode: &'static str,
    pub outside: &'static str,
    pub invite_code: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct GroupFormFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    programme: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    rules: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    links_allowed: Option<String>,
    #[serde(default)]
    outside_hours: String,
}

#[derive(Template)]
#[template(path = "staff_peer_groups.html")]
struct GroupsPage {
    chrome: Chrome,
    csrf: String,
    groups: Vec<GroupLine>,
    form: GroupFormFields,
    created: bool,
    errors: Vec<FieldError>,
}

impl GroupsPage {
    fn error(&self, field: &str) -> Option<&str> {
        error(&self.errors, field)
    }
}

#[derive(serde::Deserialize, Default)]
pub struct CreatedQuery {
    #[serde(default)]
    created: Option<String>,
}

async fn groups_page(
    state: &AppState,
    ctx: &Ctx,
    created: bool,
    form: GroupFormFields,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let groups = state
        .app
        .peer()
        .admin_groups(&ctx.actor, &ctx.request)
        .await?;
    let title = if errors.is_empty() {
        "Support groups"
    } else {
        "Error: Support groups"
    };
    let chrome = Chrome::for_ctx(state, ctx, title).await?;
    let csrf = chrome.csrf.clone().ok_or(AppError::Unauthenticated)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(
        status,
        &GroupsPage {
            chrome,
            csrf,
            groups: groups
                .into_iter()
                .map(|g| GroupLine {
                    kind: g.kind.label(),
                    mode: match g.mode {
                        peer::ModerationMode::Pre => "Pre-moderated",
                        peer::ModerationMode::Post => "Post-moderated",
                    },
                    outside: match g.outside_hours {
                        peer::OutsideHours::ReadOnly => "read-only outside hours",
                        peer::OutsideHours::PreModerated => "pre-moderated outside hours",
                    },
                    invite_code: g.invite_code.filter(|_| g.kind == GroupKind::Closed),
                    name: g.name,
                })
                .collect(),
            form,
            created,
            errors,
        },
    ))
}

/// `GET /staff/peer/groups`.
pub async fn groups(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<CreatedQuery>,
) -> Result<Response, WebError> {
    let form = GroupFormFields {
        hours: "09:00-17:00".into(),
        ..GroupFormFields::default()
    };
    groups_page(&state, &ctx, q.created.is_some(), form, Vec::new()).await
}

/// `POST /staff/peer/groups`.
pub async fn create_group(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<GroupFormFields>,
) -> Result<Response, WebError> {
    let form = peer::GroupForm {
        name: &f.name,
        kind: &f.kind,
        programme: &f.programme,
        description: &f.description,
        rules: &f.rules,
        mode: &f.mode,
        hours: &f.hours,
        links_allowed: f.links_allowed.is_some(),
        outside_hours: &f.outside_hours,
    };
    let created = state
        .app
        .peer()
        .create_group(&ctx.actor, &form, &ctx.request)
        .await;
    match field_errors(created)? {
        Ok(_) => Ok(Redirect::to("/staff/peer/groups?created=1").into_response()),
        Err(errors) => groups_page(&state, &ctx, false, f, errors).await,
    }
}

#[derive(Template)]
#[template(path = "staff_peer_figures.html")]
struct FiguresPage {
    chrome: Chrome,
    f: Figures,
    days: i64,
}

/// `GET /staff/peer/figures`.
pub async fn figures(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let f = state.app.peer().figures(&ctx.actor, &ctx.request).await?;
    let chrome = Chrome::for_ctx(&state, &ctx, "Peer support figures").await?;
    Ok(page(&FiguresPage {
        chrome,
        f,
        days: bothy_app::peer::FIGURES_DAYS,
    }))
}
