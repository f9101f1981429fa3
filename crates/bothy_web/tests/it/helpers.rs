//! `TestApp`: a whole Bothy on a fresh database, and a cookie-keeping client.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use bothy_app::demo::DemoAccounts;
use bothy_app::notify::MemoryOutbox;
use bothy_app::{App, AppSettings, FakeClock, RequestContext};
use bothy_domain::crisis::CrisisContacts;
use bothy_domain::time::Timestamp;
use bothy_store::{PoolSettings, Store};
use bothy_web::WebSettings;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

pub const CRISIS: &str = include_str!("../../../../content/crisis-contacts.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs an `async fn(TestApp)` once on SQLite and once on PostgreSQL. The
/// PostgreSQL variant is ignored (and listed so) when the build did not see
/// `BOTHY_TEST_DATABASE_URL` (see `tests/postgres_cfg.rs`).
#[macro_export]
macro_rules! both_dbs {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::new($crate::helpers::Db::Sqlite).await.expect("SQLite is always available");
                super::$name(app.clone()).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(bothy_no_postgres, ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set")]
            async fn postgres() {
                let app = $crate::helpers::TestApp::new($crate::helpers::Db::Postgres).await.expect("BOTHY_TEST_DATABASE_URL is set");
                super::$name(app.clone()).await;
                app.finish().await;
            }
        }
    )*};
}

/// Like `both_dbs!`, on an app made with the settings `$settings()` returns
/// (a function in the calling module).
#[macro_export]
macro_rules! both_dbs_with {
    ($settings:ident; $($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::with_settings($crate::helpers::Db::Sqlite, super::$settings()).await.expect("SQLite is always available");
                super::$name(app.clone()).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(bothy_no_postgres, ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set")]
            async fn postgres() {
                let app = $crate::helpers::TestApp::with_settings($crate::helpers::Db::Postgres, super::$settings()).await.expect("BOTHY_TEST_DATABASE_URL is set");
                super::$name(app.clone()).await;
                app.finish().await;
            }
        }
    )*};
}

#[derive(Clone)]
pub struct TestApp {
    pub app: Arc<App>,
    pub router: Router,
    pub clock: FakeClock,
    pub demo: DemoAccounts,
    pub db: Db,
    /// The database URL, for tests that must reach the database directly.
    pub url: String,
    /// Every message the app has sent (the worker sends them: see `drain_jobs`).
    pub outbox: MemoryOutbox,
    scratch: Option<(String, String)>,
    dir: Option<std::path::PathBuf>,
}

/// 10:00 on a Tuesday, UK time: a fixed, unremarkable moment.
pub fn start_time() -> Timestamp {
    "2026-11-17T10:00:00Z".parse().unwrap()
}

/// The demo service's monitoring settings in tests: the defaults, with a
/// duty phone (an Ofcom drama number) as the escalation's second channel.
pub const DUTY_PHONE: &str = "07700900123";

fn demo_monitoring() -> bothy_app::monitoring::MonitoringSettings {
    let text = format!("[escalation]\nduty_phone = \"{DUTY_PHONE}\"\n");
    let catalogue = bothy_app::content::default_catalogue();
    let known: Vec<&str> = catalogue.iter().map(|i| i.id.as_str()).collect();
    let demo = bothy_domain::monitoring::Monitoring::parse("demo.toml", &text, &known).unwrap();
    bothy_app::monitoring::MonitoringSettings::new(
        bothy_domain::monitoring::Monitoring::defaults(),
        [(bothy_app::demo::DEMO_SLUG.to_string(), demo)].into(),
    )
}

impl TestApp {
    /// A fresh app with the demo service loaded; None when PostgreSQL is
    /// asked for but not configured (and CI is not running).
    pub async fn new(db: Db) -> Option<Self> {
        Self::with_settings(db, AppSettings::default()).await
    }

    pub async fn with_settings(db: Db, settings: AppSettings) -> Option<Self> {
        let (url, scratch, dir) = match db {
            Db::Sqlite => {
                let dir = std::env::temp_dir().join(format!("bothy-test-{}", uuid_like()));
                std::fs::create_dir_all(&dir).unwrap();
                (
                    format!("sqlite://{}/bothy.db", dir.display()),
                    None,
                    Some(dir),
                )
            }
            Db::Postgres => {
                let Ok(admin) = std::env::var("BOTHY_TEST_DATABASE_URL") else {
                    assert!(
                        std::env::var_os("CI").is_none(),
                        "CI must set BOTHY_TEST_DATABASE_URL so PostgreSQL is tested"
                    );
                    eprintln!("BOTHY_TEST_DATABASE_URL not set: PostgreSQL variant not run");
                    return None;
                };
                let url = bothy_store::create_scratch_database(&admin, "bothy_test")
                    .await
                    .unwrap();
                (url.clone(), Some((admin, url)), None)
            }
        };
        let store = Store::connect(
            &url,
            &PoolSettings {
                max_connections: 4,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        store.migrate().await.unwrap();
        let clock = FakeClock::at(start_time());
        let outbox = MemoryOutbox::new();
        let app = Arc::new(
            App::new(
                store,
                Arc::new(clock.clone()),
                settings,
                CrisisContacts::parse(CRISIS).unwrap(),
            )
            .with_notifier(Arc::new(outbox.clone()))
            .with_monitoring(demo_monitoring()),
        );
        let demo = app.demo().ensure(&RequestContext::default()).await.unwrap();
        let router = bothy_web::router(app.clone(), WebSettings::default());
        Some(Self {
            app,
            router,
            clock,
            demo,
            db,
            url,
            outbox,
            scratch,
            dir,
        })
    }

    /// Runs the worker until no job is due, then asserts that none is left
    /// queued or running (a job waiting to retry later fails this: advance
    /// the clock, or look at it with `job`). Returns what the passes did.
    pub async fn drain_jobs(&self) -> bothy_jobs::Report {
        let mut total = bothy_jobs::Report::default();
        for _ in 0..20 {
            total += bothy_jobs::run_once(&self.app).await.unwrap();
            let mut tx = self.app.store().read().await.unwrap();
            let due = tx
                .has_due_jobs(bothy_app::Clock::now(&self.clock))
                .await
                .unwrap();
            tx.rollback().await.unwrap();
            if !due {
                break;
            }
        }
        let mut tx = self.app.store().read().await.unwrap();
        let left = tx.unfinished_jobs(10).await.unwrap();
        tx.rollback().await.unwrap();
        assert!(left.is_empty(), "jobs left in the queue: {left:#?}");
        total
    }

    /// The stored job with this idempotency key.
    pub async fn job(&self, key: &str) -> Option<bothy_store::JobRecord> {
        let mut tx = self.app.store().read().await.unwrap();
        let job = tx.job_by_key(key).await.unwrap();
        tx.rollback().await.unwrap();
        job
    }

    /// A patient's open alerts, newest first.
    pub async fn open_alerts(
        &self,
        patient: bothy_domain::PatientId,
    ) -> Vec<bothy_domain::model::Alert> {
        let mut tx = self.app.store().read().await.unwrap();
        let alerts = tx.patient_alerts(patient, 500).await.unwrap();
        tx.rollback().await.unwrap();
        alerts
            .into_iter()
            .filter(|a| !a.state.is_closed())
            .collect()
    }

    pub async fn finish(&self) {
        self.app.store().close().await;
        if let Some((admin, url)) = &self.scratch {
            bothy_store::drop_scratch_database(admin, url)
                .await
                .unwrap();
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    pub fn client(&self) -> Client {
        self.client_of(self.router.clone())
    }

    /// A client of another router on the same app (other web settings).
    pub fn client_of(&self, router: Router) -> Client {
        Client {
            router,
            cookies: Arc::new(Mutex::new(BTreeMap::new())),
            csrf: Arc::new(Mutex::new(None)),
            address: None,
            headers: Vec::new(),
        }
    }

    pub fn staff(&self, role: &str) -> &bothy_app::demo::DemoStaff {
        self.demo.staff.iter().find(|s| s.role == role).unwrap()
    }

    /// The current TOTP code for a demo staff member, on the fake clock.
    pub fn code(&self, role: &str) -> String {
        let secs = self.clock_secs();
        bothy_app::credentials::totp_code(&self.staff(role).totp_secret, secs).unwrap()
    }

    pub fn clock_secs(&self) -> u64 {
        use bothy_app::Clock;
        self.clock.now().as_second() as u64
    }

    /// A client signed in as staff of `role` (password and code).
    pub async fn staff_client(&self, role: &str) -> Client {
        let c = self.client();
        let s = self.staff(role).clone();
        c.get("/sign-in").await.ok();
        c.post_form(
            "/sign-in",
            &[("email", &s.email), ("password", &s.password)],
        )
        .await
        .redirects_to("/sign-in/code");
        c.get("/sign-in/code").await.ok();
        // Each code works once: move to a fresh 30-second step first.
        self.clock.advance(std::time::Duration::from_secs(30));
        c.post_form("/sign-in/code", &[("code", &self.code(role))])
            .await
            .redirects_to("/staff");
        c
    }

    /// A client signed in as the `n`th demo patient.
    pub async fn patient_client(&self, n: usize) -> Client {
        let c = self.client();
        let p = self.demo.patients[n].clone();
        c.get("/sign-in").await.ok();
        c.post_form(
            "/sign-in",
            &[("email", &p.email), ("password", &p.password)],
        )
        .await
        .redirects_to("/home");
        c
    }
}

fn uuid_like() -> String {
    bothy_domain::PatientId::random().to_string()
}

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
    pub body: String,
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
