//! Cross-origin access to the FHIR API for browser apps (a dashboard, a
//! SMART app) from the origins a deployment lists, and from nowhere else.
//! Only `/fhir/` answers them; pages never do. Credentials are never
//! allowed: a browser sends no cookie cross-origin, and the app
//! authenticates with its bearer token.

use axum::http::{HeaderName, HeaderValue, Method, header};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Checks configured origins: `scheme://host[:port]`, http or https, with
/// no path, query or trailing slash (a browser's `Origin` has none).
pub fn origins(configured: &[String]) -> Result<Vec<HeaderValue>, String> {
    configured
        .iter()
        .map(|o| {
            let rest = o
                .strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"))
                .ok_or_else(|| format!("{o:?} must start with https:// or http://"))?;
            let host_ok = !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
            if !host_ok {
                return Err(format!(
                    "{o:?} must be scheme://host[:port], with no path or trailing slash"
                ));
            }
            HeaderValue::from_str(o).map_err(|_| format!("{o:?} is not a valid origin"))
        })
        .collect()
}

/// The CORS layer for `allowed`, or none when no origin is listed.
pub fn layer(allowed: &[HeaderValue]) -> Option<CorsLayer> {
    if allowed.is_empty() {
        return None;
    }
    let allowed = allowed.to_vec();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(move |origin, parts| {
                parts.uri.path().starts_with("/fhir/") && allowed.contains(origin)
            }))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                HeaderName::from_static("prefer"),
            ])
            .expose_headers([header::LOCATION, header::CONTENT_LOCATION])
            .max_age(Duration::from_secs(3600)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        let ok = origins(&[
            "https://dashboard.example.nhs.uk".into(),
            "http://127.0.0.1:3000".into(),
        ])
        .unwrap();
        assert_eq!(ok.len(), 2);
        for bad in [
            "dashboard.example.nhs.uk",
            "https://example.org/",
            "https://example.org/app",
            "ftp://example.org",
            "https://",
            "https://exa mple.org",
        ] {
            assert!(origins(&[bad.into()]).is_err(), "{bad}");
        }
    }
}
