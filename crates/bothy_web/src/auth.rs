//! Who is asking: the actor is resolved once per request from the session
//! cookie or a bearer token, with time-outs checked on the application clock.

use crate::AppState;
use crate::error::WebError;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use bothy_app::sessions::SessionHolder;
use bothy_app::signin::{patient_actor_of, staff_actor_of};
use bothy_app::{Actor, AppError, RequestContext};
use bothy_domain::time::{Timestamp, to_millis};
use std::net::{IpAddr, SocketAddr};
use tower_sessions::Session;
use tower_sessions::cookie::time::Duration as CookieDuration;
use tower_sessions::session::Expiry;

pub const AUTH_KEY: &str = "auth";

/// Who a session belongs to, stored in the session.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SessionAuth {
    pub kind: SessionKind,
    pub id: String,
    pub service: Option<String>,
    pub signed_in_at_ms: i64,
    pub last_seen_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    StaffPending,
    Staff,
    Patient,
}

/// Everything a handler needs about the request.
#[derive(Clone)]
pub struct Ctx {
    pub actor: Actor,
    pub request: RequestContext,
    pub session: Option<Session>,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, WebError> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| WebError::from(AppError::Unauthenticated))
    }
}

fn request_context(req: &Request, trusted_proxies: &[IpAddr]) -> RequestContext {
    RequestContext {
        request_id: req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        ip: client_ip(req, trusted_proxies),
    }
}

/// The address the limits per address count: the peer's, or, when the peer
/// is a proxy the configuration trusts, the nearest address in
/// `X-Forwarded-For` that is not a trusted proxy (each proxy appends the
/// address it saw, so entries to the left may be the client's inventions).
/// An entry that is not an address stops the walk at the proxy's own.
fn client_ip(req: &Request, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical())?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        match entry.trim().parse::<IpAddr>().map(|a| a.to_canonical()) {
            Ok(a) if trusted.contains(&a) => client = a,
            Ok(a) => return Some(a),
            Err(_) => return Some(client),
        }
    }
    Some(client)
}

/// Makes the client's address known to the session store while the
/// session layer runs (it counts sessions made before signing in), and
/// gives the store a place for the account it reads with the session.
pub async fn remember_client_ip(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    let holder = crate::session_store::HOLDER.scope(Default::default(), next.run(req));
    crate::session_store::CLIENT_IP.scope(ip, holder).await
}

/// Only write the session's last-seen time this often, so that reading a
/// page does not cost a session write every time.
const TOUCH_EVERY_MS: i64 = 60_000;

/// The token of an `Authorization: Bearer ...` header; the scheme's case
/// does not matter (RFC 9110, 11.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Resolves the actor and stores a [`Ctx`] in the request.
pub async fn resolve_actor(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, WebError> {
    let request = request_context(&req, &state.settings.trusted_proxies);
    let session = req.extensions().get::<Session>().cloned();
    // Bearer tokens authenticate only the JSON and FHIR APIs; on pages the
    // cookie session (and so CSRF protection) always applies.
    let path = req.uri().path();
    let api_path = path.starts_with("/api/") || path.starts_with("/fhir/");
    // The SMS gateway's callbacks (sms.rs) carry their own credentials.
    let gateway_path = path.starts_with("/sms/");
    let bearer = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .filter(|_| api_path)
        .map(str::to_string);
    // The APIs never use the cookie session: no ambient credential to ride
    // on, so no CSRF check, and a missing token is a plain 401.
    let session = if api_path || gateway_path {
        None
    } else {
        session
    };
    let actor = match (&bearer, &session) {
        (Some(token), _) => state
            .app
            .accounts()
            .api_actor(token.trim())
            .await?
            .unwrap_or(Actor::Anonymous),
        (None, Some(s)) => session_actor(&state, s).await?,
        (None, None) => Actor::Anonymous,
    };
    req.extensions_mut().insert(Ctx {
        actor,
        request,
        session: if bearer.is_some() { None } else { session },
    });
    Ok(next.run(req).await)
}

async fn session_actor(state: &AppState, session: &Session) -> Result<Actor, WebError> {
    let app = &state.app;
    let Some(mut auth) = session
        .get::<SessionAuth>(AUTH_KEY)
        .await
        .map_err(WebError::internal)?
    else {
        return Ok(Actor::Anonymous);
    };
    let now = to_millis(app.clock().now());
    let s = app.settings();
    let (idle, absolute) = match auth.kind {
        SessionKind::Staff | SessionKind::StaffPending => {
            (s.staff_idle_timeout, s.staff_absolute_timeout)
        }
        SessionKind::Patient => (s.patient_idle_timeout, s.staff_absolute_timeout),
    };
    let expired = now - auth.last_seen_ms > idle.as_millis() as i64
        || now - auth.signed_in_at_ms > absolute.as_millis() as i64;
    // The account the session's row names, read with it; used only when it
    // is the one the session's data names, else read again.
    let holder = crate::session_store::HOLDER
        .try_with(|h| h.borrow_mut().take())
        .ok()
        .flatten();
    let actor = if expired {
        None
    } else {
        match auth.kind {
            SessionKind::StaffPending => auth.id.parse().ok().map(|id| Actor::StaffPending { id }),
            SessionKind::Staff => match auth.id.parse() {
                Ok(id) => {
                    let service = auth.service.as_deref().and_then(|s| s.parse().ok());
                    match holder {
                        Some(SessionHolder::Staff(member, grants)) if member.id == id => {
                            staff_actor_of(member, grants, service)
                        }
                        _ => app.accounts().staff_actor(id, service).await?,
                    }
                }
                Err(_) => None,
            },
            SessionKind::Patient => match auth.id.parse() {
                Ok(id) => match holder {
                    Some(SessionHolder::Patient {
                        id: held,
                        service_id,
                        given_name,
                    }) if held == id => Some(patient_actor_of(id, service_id, &given_name)),
                    _ => app.accounts().patient_actor(id).await?,
                },
                Err(_) => None,
            },
        }
    };
    match actor {
        None => {
            // Ended: remove it server-side so the cookie is worthless.
            session.flush().await.map_err(WebError::internal)?;
            Ok(Actor::Anonymous)
        }
        Some(actor) => {
            if now - auth.last_seen_ms > TOUCH_EVERY_MS {
                auth.last_seen_ms = now;
                session
                    .insert(AUTH_KEY, &auth)
                    .await
                    .map_err(WebError::internal)?;
            }
            Ok(actor)
        }
    }
}

/// Starts a signed-in (or half signed-in) session under a new id, so that a
/// session id seen before sign-in is useless afterwards (session fixation).
pub async fn begin_session(
    session: &Session,
    kind: SessionKind,
    id: String,
    service: Option<String>,
    now: Timestamp,
    idle: std::time::Duration,
) -> Result<(), WebError> {
    session.cycle_id().await.map_err(WebError::internal)?;
    let ms = to_millis(now);
    let auth = SessionAuth {
        kind,
        id,
        service,
        signed_in_at_ms: ms,
        last_seen_ms: ms,
    };
    session
        .insert(AUTH_KEY, &auth)
        .await
        .map_err(WebError::internal)?;
    session.set_expiry(Some(Expiry::OnInactivity(CookieDuration::seconds(
        idle.as_secs() as i64,
    ))));
    Ok(())
}

/// Records which service a staff session works in.
pub async fn set_service(
    session: &Session,
    service: bothy_domain::ServiceId,
) -> Result<(), WebError> {
    let mut auth = session
        .get::<SessionAuth>(AUTH_KEY)
        .await
        .map_err(WebError::internal)?
        .ok_or(AppError::Unauthenticated)?;
    auth.service = Some(service.to_string());
    session
        .insert(AUTH_KEY, &auth)
        .await
        .map_err(WebError::internal)
}
