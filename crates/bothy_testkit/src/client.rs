//! A cookie-keeping client of the in-process router, and its responses.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

#[derive(Clone)]
pub struct Client {
    router: Router,
    cookies: Arc<Mutex<BTreeMap<String, String>>>,
    csrf: Arc<Mutex<Option<String>>>,
    /// The peer address the server sees, as `serve` records it; none by default.
    address: Option<std::net::SocketAddr>,
    /// Headers sent with every request.
    headers: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body as text (lossy where it is not UTF-8).
    pub body: String,
    /// The body as sent, for binary downloads.
    pub bytes: Vec<u8>,
}

impl Resp {
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.body);
        self
    }

    #[track_caller]
    pub fn status(self, s: u16) -> Self {
        assert_eq!(self.status.as_u16(), s, "body: {}", self.body);
        self
    }

    #[track_caller]
    pub fn redirects_to(self, to: &str) -> Self {
        assert!(
            self.status.is_redirection(),
            "expected a redirect to {to}, got {}: {}",
            self.status,
            self.body
        );
        assert_eq!(self.headers.get(header::LOCATION).unwrap(), to);
        self
    }

    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    pub fn has_crisis_panel(self) -> Self {
        assert!(
            self.body.contains("id=\"crisis\"")
                && self.body.contains("tel:999")
                && self.body.contains("tel:116123"),
            "no crisis panel: {}",
            self.body
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Client {
    pub(crate) fn new(router: Router) -> Self {
        Client {
            router,
            cookies: Arc::new(Mutex::new(BTreeMap::new())),
            csrf: Arc::new(Mutex::new(None)),
            address: None,
            headers: Vec::new(),
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let mut req = req;
        let cookie = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !cookie.is_empty() {
            req.headers_mut()
                .insert(header::COOKIE, cookie.parse().unwrap());
        }
        if let Some(a) = self.address {
            req.extensions_mut().insert(axum::extract::ConnectInfo(a));
        }
        for (k, v) in &self.headers {
            req.headers_mut().insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        for sc in headers.get_all(header::SET_COOKIE) {
            let sc = sc.to_str().unwrap();
            let (pair, attrs) = sc.split_once(';').unwrap_or((sc, ""));
            let (k, v) = pair.split_once('=').unwrap();
            let expired = attrs.to_ascii_lowercase().contains("max-age=0");
            let mut jar = self.cookies.lock().unwrap();
            if expired || v.is_empty() {
                jar.remove(k);
            } else {
                jar.insert(k.to_string(), v.to_string());
            }
        }
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = String::from_utf8_lossy(&bytes).to_string();
        if let Some(i) = body.find("name=\"csrf_token\" value=\"") {
            let rest = &body[i + 25..];
            *self.csrf.lock().unwrap() = rest.split('"').next().map(str::to_string);
        }
        Resp {
            status,
            headers,
            body,
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut b = Request::get(path);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// The CSRF token from the last page that had one.
    pub fn csrf(&self) -> String {
        self.csrf.lock().unwrap().clone().unwrap_or_default()
    }

    /// Posts a form, adding the CSRF token as a browser would.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let csrf = self.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(
            path,
            "application/x-www-form-urlencoded",
            serde_urlencoded::to_string(&all).unwrap().into_bytes(),
        )
        .await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
        self.send(
            Request::builder()
                .method(Method::POST)
                .uri(path)
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    pub fn cookies(&self) -> BTreeMap<String, String> {
        self.cookies.lock().unwrap().clone()
    }

    pub fn set_cookies(&self, c: BTreeMap<String, String>) {
        *self.cookies.lock().unwrap() = c;
    }

    /// The same client (cookies and all), sending `name: value` with every request.
    pub fn with_header(&self, name: &str, value: &str) -> Client {
        let mut c = self.clone();
        c.headers.push((name.into(), value.into()));
        c
    }

    /// The same client (cookies and all) seen as coming from `ip`.
    pub fn seen_from(&self, ip: &str) -> Client {
        Client {
            address: Some(std::net::SocketAddr::new(ip.parse().unwrap(), 40000)),
            ..self.clone()
        }
    }
}

/// A page with its CSRF tokens blanked: each response masks the token
/// afresh, so two answers that say the same differ there.
pub fn without_csrf(body: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let mut out = String::new();
    let mut rest = body;
    while let Some(i) = rest.find(marker) {
        let start = i + marker.len();
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        rest = &rest[rest.find('"').unwrap_or(0)..];
    }
    out.push_str(rest);
    out
}
