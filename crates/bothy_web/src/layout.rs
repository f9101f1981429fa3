//! What every page shares: title, navigation, the crisis panel, the sign-out form.

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bothy_app::{Actor, Permission};
use bothy_domain::crisis::CrisisContacts;
use std::sync::Arc;

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
}

/// The crisis contacts after a risk signal, shown once, first in the page's
/// main content, in place of the usual panel (issue 13: the same contacts
/// twice pushed a phone's form down two screens).
pub struct UrgentPanel {
    /// Why we are showing this, in the person's terms.
    pub reason: &'static str,
    /// What happened to what they told us.
    pub recorded: &'static str,
    /// Whether someone is watching the service's alerts now, where this
    /// panel says so (pages that show the person's safety plan say it there).
    pub watched: Option<bool>,
}

impl UrgentPanel {
    /// After a risk answer in a questionnaire.
    pub fn risk_answer(watched: Option<bool>) -> Self {
        Self {
            reason: "You told us you have had thoughts of being better off dead or of hurting \
                     yourself. You do not have to cope with this alone.",
            recorded: "We have recorded your answer for your care team to see.",
            watched,
        }
    }

    /// After risk words in a note.
    pub fn note() -> Self {
        Self {
            reason: "Some of what you wrote in your note can mean that things feel very hard \
                     right now. You do not have to cope with this alone.",
            recorded: "We have passed your note to your care team to read.",
            watched: None,
        }
    }

    /// After risk words in a tool entry (a thought record) that was saved.
    pub fn tool_entry() -> Self {
        Self {
            reason: "Some of what you wrote can mean that things feel very hard right now. \
                     You do not have to cope with this alone.",
            recorded: "We have saved what you wrote and passed it to your care team to read.",
            watched: None,
        }
    }

    /// After risk words in a tool entry that could not be saved yet.
    pub fn unsaved_entry() -> Self {
        Self {
            reason: "Some of what you wrote can mean that things feel very hard right now. \
                     You do not have to cope with this alone.",
            recorded: "What you wrote is not saved yet, so your care team cannot see it: \
                       fix the problems below to save it. If you need help now, do not wait: \
                       use the contacts above.",
            watched: None,
        }
    }

    /// After risk words in a secure message.
    pub fn message() -> Self {
        Self {
            reason: "Some of what you wrote in your message can mean that things feel very \
                     hard right now. You do not have to cope with this alone.",
            recorded: "We have sent your message to your care team, but they may not read it \
                       straight away.",
            watched: None,
        }
    }

    /// After risk words in a peer support post, which is held.
    pub fn peer_post() -> Self {
        Self {
            reason: "Some of what you wrote in your post can mean that things feel very hard \
                     right now. You do not have to cope with this alone.",
            recorded: "Your post is waiting for a moderator, who will look soon, and we have \
                       let your care team know. Other members cannot see it until a moderator \
                       has read it.",
            watched: None,
        }
    }

    /// After a risk answer or risk words in a self-referral, sent or not.
    pub fn referral(watched: bool) -> Self {
        Self {
            reason: "What you have told us can mean that things feel very hard right now. \
                     You do not have to cope with this alone.",
            recorded: "We have passed what you told us to the service's duty clinician.",
            watched: Some(watched),
        }
    }
}

/// The page frame: passed to every template as `chrome`.
pub struct Chrome {
    pub title: String,
    pub crisis: Arc<CrisisContacts>,
    pub nav: Vec<NavLink>,
    /// Present when signed in: the sign-out form needs it.
    pub csrf: Option<String>,
    pub who: Option<String>,
    /// Set after a risk signal: the crisis contacts open the main content.
    pub urgent: Option<UrgentPanel>,
    /// Staff pages: the crisis contacts fold into one line, since staff are
    /// not the people in crisis.
    pub compact_crisis: bool,
}

impl Chrome {
    /// A frame without navigation or forms, for error pages.
    pub fn bare(state: &AppState, title: &str) -> Self {
        Self {
            title: title.to_string(),
            crisis: Arc::new(state.app.crisis().clone()),
            nav: Vec::new(),
            csrf: None,
            who: None,
            urgent: None,
            compact_crisis: false,
        }
    }

    /// The frame for `ctx`'s actor, with their navigation.
    pub async fn for_ctx(state: &AppState, ctx: &Ctx, title: &str) -> Result<Self, WebError> {
        let mut c = Self::bare(state, title);
        let signed_in = matches!(
            ctx.actor,
            Actor::Staff(_) | Actor::Patient(_) | Actor::StaffPending { .. }
        );
        if let (true, Some(session)) = (signed_in, &ctx.session) {
            c.csrf = Some(crate::csrf::token(session).await?);
        }
        match &ctx.actor {
            Actor::Staff(s) => {
                c.who = Some(s.name.clone());
                c.compact_crisis = true;
                c.nav.push(NavLink {
                    href: "/staff",
                    label: "Home",
                });
                if s.has(Permission::ManageStaff) {
                    c.nav.push(NavLink {
                        href: "/staff/admin/staff",
                        label: "Staff",
                    });
                    c.nav.push(NavLink {
                        href: "/staff/admin/jobs",
                        label: "Failed jobs",
                    });
                }
                if s.has(Permission::DutyQueue) {
                    c.nav.push(NavLink {
                        href: "/alerts",
                        label: "Alerts",
                    });
                }
                if s.has(Permission::Triage) {
                    c.nav.push(NavLink {
                        href: "/staff/triage",
                        label: "Triage",
                    });
                    c.nav.push(NavLink {
                        href: "/staff/waiting",
                        label: "Waiting list",
                    });
                }
                if s.has(Permission::Refer) {
                    c.nav.push(NavLink {
                        href: "/staff/referrals/new",
                        label: "Refer someone",
                    });
                }
                if s.has(Permission::Reports) {
                    c.nav.push(NavLink {
                        href: "/staff/reports",
                        label: "Reports",
                    });
                    c.nav.push(NavLink {
                        href: "/alerts/load",
                        label: "Alert load",
                    });
                }
                if s.has(Permission::Moderate) {
                    c.nav.push(NavLink {
                        href: "/staff/peer",
                        label: "Peer support",
                    });
                }
                c.nav.extend(crate::pages::reviews::nav_link(s));
                c.nav.extend(crate::pages::appointments::nav_link(s));
                c.nav.push(NavLink {
                    href: "/staff/programmes",
                    label: "Programmes",
                });
                c.nav.push(NavLink {
                    href: "/account",
                    label: "Your account",
                });
            }
            Actor::Patient(p) => {
                c.who = Some(p.name.clone());
                c.nav.push(NavLink {
                    href: "/home",
                    label: "Home",
                });
                c.nav.push(NavLink {
                    href: "/peer",
                    label: "Groups",
                });
                c.nav.push(NavLink {
                    href: "/account",
                    label: "Your account",
                });
            }
            _ => {}
        }
        Ok(c)
    }
}

/// Renders a template as an HTML response with `status`.
pub fn html(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => {
            let mut res = (status, body).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            let mut res = (StatusCode::INTERNAL_SERVER_ERROR, FALLBACK_PAGE).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            res
        }
    }
}

/// Served if even the error page cannot be drawn: still shows crisis contacts.
pub const FALLBACK_PAGE: &str = include_str!("../static/unavailable.html");

pub fn page(t: &impl Template) -> Response {
    html(StatusCode::OK, t)
}
