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

/// The page frame: passed to every template as `chrome`.
pub struct Chrome {
    pub title: String,
    pub crisis: Arc<CrisisContacts>,
    pub nav: Vec<NavLink>,
    /// Present when signed in: the sign-out form needs it.
    pub csrf: Option<String>,
    pub who: Option<String>,
}

impl Chrome {
    /// A frame without navigation or forms, for error pages.
    pub fn bare(state: &AppState, title: &str) -> Self {
        Self {
            title: title.to_string(),
            crisis: Arc::new(state.app.crisis.clone()),
            nav: Vec::new(),
            csrf: None,
            who: None,
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
                c.nav.push(NavLink {
                    href: "/staff",
                    label: "Home",
                });
                if s.has(Permission::ManageStaff) {
                    c.nav.push(NavLink {
                        href: "/staff/admin/staff",
                        label: "Staff",
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
