//! Peer support for members: the service's groups (`/peer`), a group's
//! page with its rules, posts a page at a time (keyset, newest first),
//! replies, supportive reactions and the post form (`/peer/groups/{group}`),
//! joining under a group name, and reporting a post
//! (`/peer/posts/{post}/report`). Moderation pages are in `peer_moderation.rs`.
//!
//! Posts are plain text, escaped by the templates. After a post with risk
//! words the page opens with the crisis contacts, says the post is waiting
//! for a moderator and that the care team has been told.

use super::field_errors;
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::format::uk_time;
use crate::layout::{Chrome, UrgentPanel, html, page};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::peer::{GroupPage, PostView};
use bothy_app::{AppError, FieldError};
use bothy_domain::ids::{GroupId, PostId};
use bothy_domain::peer::{GroupKind, ModerationMode, Post, PostStatus, Posting, Reaction};
use bothy_domain::time::{from_millis, to_millis};

pub(crate) fn group_id(raw: &str) -> Result<GroupId, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

pub(crate) fn post_id(raw: &str) -> Result<PostId, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

fn error<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.as_str())
}

/// One group in the list.
pub struct GroupRow {
    pub href: String,
    pub name: String,
    pub kind: &'static str,
    pub description: String,
    pub pseudonym: Option<String>,
}

#[derive(Template)]
#[template(path = "peer_groups.html")]
struct GroupsPage {
    chrome: Chrome,
    groups: Vec<GroupRow>,
}

/// `GET /peer`.
pub async fn groups(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let list = state.app.peer().groups(&ctx.actor, &ctx.request).await?;
    let chrome = Chrome::for_ctx(&state, &ctx, "Support groups").await?;
    Ok(page(&GroupsPage {
        chrome,
        groups: list
            .into_iter()
            .map(|i| GroupRow {
                href: format!("/peer/groups/{}", i.group.id),
                name: i.group.name,
                kind: i.group.kind.label(),
                description: i.group.description,
                pseudonym: i.member.map(|m| m.pseudonym),
            })
            .collect(),
    }))
}

/// A post as the group page shows it.
pub struct PostRow {
    pub id: String,
    pub author: String,
    pub when: String,
    pub body: String,
    pub mine: bool,
    /// For the author: held, hidden or removed, with the reason.
    pub status_note: Option<String>,
    pub edit_note: Option<String>,
    pub visible: bool,
    pub reactions: Vec<(String, &'static str, i64)>,
    pub replies: Vec<PostRow>,
}

fn status_note(p: &Post) -> Option<String> {
    match p.status {
        PostStatus::Visible => None,
        PostStatus::Held => {
            Some("Only you can see this: it is waiting for a moderator, who will look soon.".into())
        }
        PostStatus::Hidden => Some(format!(
            "A moderator hid this post, so only you can see it. Their reason: {}",
            p.status_reason.as_deref().unwrap_or("not given")
        )),
        PostStatus::Removed => Some(format!(
            "A moderator removed this post. Their reason: {}",
            p.status_reason.as_deref().unwrap_or("not given")
        )),
    }
}

fn post_row(p: &Post, me: Option<bothy_domain::ids::MemberId>, view: Option<&PostView>) -> PostRow {
    let mine = Some(p.member_id) == me;
    PostRow {
        id: p.id.to_string(),
        author: if mine {
            format!("{} (you)", p.pseudonym)
        } else {
            p.pseudonym.clone()
        },
        when: uk_time(p.created_at),
        // The author of a removed post sees only the reason.
        body: if p.status == PostStatus::Removed {
            String::new()
        } else {
            p.body.clone()
        },
        mine,
        status_note: if mine { status_note(p) } else { None },
        edit_note: p
            .edit_note
            .as_ref()
            .map(|n| format!("Edited by a moderator: {n}")),
        visible: p.status == PostStatus::Visible,
        reactions: Reaction::ALL
            .into_iter()
            .map(|r| {
                let n = view
                    .and_then(|v| v.reactions.iter().find(|(k, _)| *k == r))
                    .map_or(0, |(_, n)| *n);
                (r.as_str().to_string(), r.label(), n)
            })
            .collect(),
        replies: view
            .map(|v| v.replies.iter().map(|r| post_row(r, me, None)).collect())
            .unwrap_or_default(),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct GroupQuery {
    #[serde(default)]
    after: Option<String>,
    /// `visible` or `held`, after posting.
    #[serde(default)]
    posted: Option<String>,
    /// Set after a post with risk words: all it does is show the crisis
    /// contacts and the person's plan.
    #[serde(default)]
    risk: Option<String>,
    #[serde(default)]
    joined: Option<String>,
}

fn cursor(raw: &str) -> Option<(bothy_domain::time::Timestamp, PostId)> {
    let (at, id) = raw.split_once('.')?;
    Some((from_millis(at.parse().ok()?), id.parse().ok()?))
}

#[derive(serde::Deserialize, Default)]
pub struct PostForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    pseudonym: String,
    #[serde(default)]
    invite_code: String,
}

#[derive(Template)]
#[template(path = "peer_group.html")]
struct GroupPageView {
    chrome: Chrome,
    csrf: String,
    id: String,
    name: String,
    description: String,
    rules: String,
    closed: bool,
    member: Option<String>,
    suspended: Option<String>,
    /// What the group says about posting now.
    posting_note: String,
    may_post: bool,
    posts: Vec<PostRow>,
    next: Option<String>,
    notes: Vec<(String, String)>,
    posted: Option<String>,
    joined: bool,
    support: Option<super::alerts::RiskSupport>,
    form: PostForm,
    errors: Vec<FieldError>,
}

impl GroupPageView {
    fn error(&self, field: &str) -> Option<&str> {
        error(&self.errors, field)
    }
}

fn posting_note(g: &GroupPage) -> (String, bool) {
    let hours = "Moderators are on during the group's moderation hours";
    match g.posting {
        Posting::Open(ModerationMode::Post) => (
            "Posts appear straight away and a moderator reads them afterwards. Posts that \
             mention risk, contact details, ways of self-harm or someone's identity wait for a \
             moderator first."
                .into(),
            true,
        ),
        Posting::Open(ModerationMode::Pre) => (
            "A moderator reads every post before other members can see it.".into(),
            true,
        ),
        Posting::HeldUntilMorning => (
            format!(
                "No moderator is on right now. You can still post, but other members will not \
                 see your post until a moderator is back and has read it. {hours}."
            ),
            true,
        ),
        Posting::ReadOnly => (
            format!(
                "No moderator is on right now, so this group is read-only until they are back. \
                 {hours}. If you need help now, use the contacts at the top of this page."
            ),
            false,
        ),
    }
}

async fn group_view(
    state: &AppState,
    ctx: &Ctx,
    group: GroupId,
    q: GroupQuery,
    mut form: PostForm,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let after = q.after.as_deref().and_then(cursor);
    let g = state
        .app
        .peer()
        .group_page(&ctx.actor, group, after, &ctx.request)
        .await?;
    let support = if q.risk.is_some() {
        Some(super::alerts::risk_support(state, ctx).await)
    } else {
        None
    };
    let title = if errors.is_empty() {
        g.group.name.clone()
    } else {
        format!("Error: {}", g.group.name)
    };
    let mut chrome = Chrome::for_ctx(state, ctx, &title).await?;
    if support.is_some() {
        chrome.urgent = Some(UrgentPanel::peer_post());
    }
    let csrf = chrome.csrf.clone().ok_or(AppError::Unauthenticated)?;
    if form.key.is_empty() {
        form.key = PostId::random().to_string();
    }
    let (note, open) = posting_note(&g);
    let me = g.member.as_ref().map(|m| m.id);
    let suspended = g
        .member
        .as_ref()
        .and_then(|m| m.suspended_until.filter(|u| *u > g.now))
        .map(uk_time);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(
        status,
        &GroupPageView {
            chrome,
            csrf,
            id: g.group.id.to_string(),
            name: g.group.name.clone(),
            description: g.group.description.clone(),
            rules: g.group.rules.clone(),
            closed: g.group.kind == GroupKind::Closed,
            member: g.member.as_ref().map(|m| m.pseudonym.clone()),
            may_post: open && suspended.is_none(),
            suspended,
            posting_note: note,
            posts: g
                .posts
                .iter()
                .map(|v| post_row(&v.post, me, Some(v)))
                .collect(),
            next: g.next.map(|(at, id)| format!("{}.{id}", to_millis(at))),
            notes: g
                .notes
                .iter()
                .map(|(at, body)| (uk_time(*at), body.clone()))
                .collect(),
            posted: q.posted.filter(|_| errors.is_empty()),
            joined: q.joined.is_some(),
            support,
            form,
            errors,
        },
    ))
}

/// `GET /peer/groups/{group}`.
pub async fn group(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<GroupQuery>,
) -> Result<Response, WebError> {
    group_view(
        &state,
        &ctx,
        group_id(&id)?,
        q,
        PostForm::default(),
        Vec::new(),
    )
    .await
}

/// `POST /peer/groups/{group}/join`.
pub async fn join(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<PostForm>,
) -> Result<Response, WebError> {
    let group = group_id(&id)?;
    let joined = state
        .app
        .peer()
        .join(
            &ctx.actor,
            group,
            &f.pseudonym,
            &f.invite_code,
            &ctx.request,
        )
        .await;
    match field_errors(joined)? {
        Ok(_) => Ok(Redirect::to(&format!("/peer/groups/{group}?joined=1")).into_response()),
        Err(errors) => group_view(&state, &ctx, group, GroupQuery::default(), f, errors).await,
    }
}

/// `POST /peer/groups/{group}/posts`: a post, or a reply (`parent`).
pub async fn create_post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<PostForm>,
) -> Result<Response, WebError> {
    let group = group_id(&id)?;
    let parent = match f.parent.trim() {
        "" => None,
        raw => Some(post_id(raw)?),
    };
    let posted = state
        .app
        .peer()
        .post(&ctx.actor, group, parent, &f.body, &f.key, &ctx.request)
        .await;
    match field_errors(posted)? {
        Ok(p) => {
            let status = if p.post.status == PostStatus::Visible {
                "visible"
            } else {
                "held"
            };
            let risk = if p.risk { "&risk=1" } else { "" };
            Ok(Redirect::to(&format!(
                "/peer/groups/{group}?posted={status}{risk}#post-{}",
                p.post.id
            ))
            .into_response())
        }
        Err(errors) => group_view(&state, &ctx, group, GroupQuery::default(), f, errors).await,
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ReactForm {
    #[serde(default)]
    reaction: String,
}

/// `POST /peer/posts/{post}/react`.
pub async fn react(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ReactForm>,
) -> Result<Response, WebError> {
    let post = state
        .app
        .peer()
        .react(&ctx.actor, post_id(&id)?, &f.reaction, &ctx.request)
        .await?;
    let anchor = post.parent_id.unwrap_or(post.id);
    Ok(Redirect::to(&format!("/peer/groups/{}#post-{anchor}", post.group_id)).into_response())
}

#[derive(Template)]
#[template(path = "peer_report.html")]
struct ReportPage {
    chrome: Chrome,
    csrf: String,
    id: String,
    done: bool,
    back: String,
    reason: String,
    errors: Vec<FieldError>,
}

impl ReportPage {
    fn error(&self, field: &str) -> Option<&str> {
        error(&self.errors, field)
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ReportForm {
    #[serde(default)]
    reason: String,
}

async fn report_view(
    state: &AppState,
    ctx: &Ctx,
    id: PostId,
    (done, back): (bool, String),
    reason: String,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let title = match (done, errors.is_empty()) {
        (true, _) => "Thank you for telling us",
        (false, true) => "Report a post",
        (false, false) => "Error: Report a post",
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
        &ReportPage {
            chrome,
            csrf,
            id: id.to_string(),
            done,
            back,
            reason,
            errors,
        },
    ))
}

/// `GET /peer/posts/{post}/report`: the form. Only a member who can see
/// the post gets it.
pub async fn report_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = post_id(&id)?;
    let group = state
        .app
        .peer()
        .reportable(&ctx.actor, id, &ctx.request)
        .await?;
    let back = format!("/peer/groups/{group}#post-{id}");
    report_view(&state, &ctx, id, (false, back), String::new(), Vec::new()).await
}

/// `POST /peer/posts/{post}/report`: thanks the reporter and says what
/// happens next.
pub async fn report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ReportForm>,
) -> Result<Response, WebError> {
    let id = post_id(&id)?;
    let reported = state
        .app
        .peer()
        .report(&ctx.actor, id, &f.reason, &ctx.request)
        .await;
    match field_errors(reported)? {
        Ok(post) => {
            let back = format!("/peer/groups/{}#post-{id}", post.group_id);
            report_view(&state, &ctx, id, (true, back), String::new(), Vec::new()).await
        }
        Err(errors) => {
            let back = "/peer".to_string();
            report_view(&state, &ctx, id, (false, back), f.reason, errors).await
        }
    }
}
