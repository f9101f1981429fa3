//! `TestApp`: a whole Bothy on a fresh database.

use crate::client::Client;
use crate::{CRISIS, DUTY_PHONE, Db, start_time, template};
use axum::Router;
use bothy_app::demo::DemoAccounts;
use bothy_app::notify::MemoryOutbox;
use bothy_app::{App, AppSettings, FakeClock};
use bothy_domain::crisis::CrisisContacts;
use bothy_store::{PoolSettings, Store};
use bothy_web::WebSettings;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
    /// Shared by the clones: the last one dropped removes the database if
    /// `finish` did not.
    scratch: Arc<Scratch>,
}

/// What a test's database leaves behind until it is removed.
struct Scratch {
    /// The administrative URL and the copy's URL, to drop it.
    postgres: Option<(String, String)>,
    /// The SQLite database's directory.
    dir: Option<std::path::PathBuf>,
    removed: AtomicBool,
}

impl Drop for Scratch {
    /// A test that made its own `TestApp` and did not `finish` it: removed
    /// here, on a thread and runtime of its own since no runtime can be
    /// entered from a destructor that may run inside one.
    fn drop(&mut self) {
        if self.removed.load(Ordering::SeqCst) {
            return;
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin, url)) = self.postgres.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(bothy_store::drop_scratch_database(&admin, &url))
            })
            .join();
        }
    }
}

pub(crate) fn pool_settings() -> PoolSettings {
    PoolSettings {
        max_connections: 4,
        ..Default::default()
    }
}

/// The app as tests see it: the demo service's monitoring (with
/// `service_settings`, more of its settings file), the fake clock, messages
/// kept in `outbox`.
pub(crate) fn assemble(
    store: Store,
    clock: FakeClock,
    settings: AppSettings,
    outbox: MemoryOutbox,
    service_settings: &str,
) -> App {
    App::new(
        store,
        Arc::new(clock),
        settings,
        CrisisContacts::parse(CRISIS).unwrap(),
    )
    .with_notifier(Arc::new(outbox))
    .with_monitoring(demo_monitoring(service_settings))
}

fn demo_monitoring(more: &str) -> bothy_app::monitoring::MonitoringSettings {
    let text = format!("[escalation]\nduty_phone = \"{DUTY_PHONE}\"\n{more}");
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

    /// A fresh app with the settings given, on a copy of the template
    /// database (see `template`).
    pub async fn with_settings(db: Db, settings: AppSettings) -> Option<Self> {
        Self::assembled(db, settings, "").await
    }

    pub(crate) async fn assembled(
        db: Db,
        settings: AppSettings,
        service_settings: &str,
    ) -> Option<Self> {
        let copy = template::fresh(db).await?;
        let store = Store::connect(&copy.url, &pool_settings()).await.unwrap();
        let clock = FakeClock::at(start_time());
        let outbox = MemoryOutbox::new();
        let mut demo = copy.demo;
        // The only part of the demo accounts that depends on the settings.
        demo.base_url = settings.public_url.clone();
        let app = Arc::new(assemble(
            store,
            clock.clone(),
            settings,
            outbox.clone(),
            service_settings,
        ));
        let router = bothy_web::router(app.clone(), WebSettings::default());
        Some(Self {
            app,
            router,
            clock,
            demo,
            db,
            url: copy.url,
            outbox,
            scratch: Arc::new(Scratch {
                postgres: copy.scratch,
                dir: copy.dir,
                removed: AtomicBool::new(false),
            }),
        })
    }

    /// The same database, clock and outbox served by an app with these
    /// programmes, as after a restart with other programme files in
    /// `content.programmes_dir` (the demo service's default settings).
    /// Clients of the first app keep talking to it: make new ones.
    pub async fn with_programmes(
        &self,
        programmes: Vec<bothy_domain::programmes::Programme>,
    ) -> TestApp {
        let store = Store::connect(&self.url, &pool_settings()).await.unwrap();
        let app = Arc::new(
            assemble(
                store,
                self.clock.clone(),
                self.app.settings().clone(),
                self.outbox.clone(),
                "",
            )
            .with_programmes(programmes),
        );
        let router = bothy_web::router(app.clone(), WebSettings::default());
        TestApp {
            app,
            router,
            ..self.clone()
        }
    }

    /// Another app on the same database and clock, on a pool of its own (as
    /// another worker process would be), sending by `notifier`.
    pub async fn worker_sending_by(&self, notifier: Arc<dyn bothy_app::notify::Notifier>) -> App {
        let store = Store::connect(&self.url, &pool_settings()).await.unwrap();
        App::new(
            store,
            Arc::new(self.clock.clone()),
            self.app.settings().clone(),
            CrisisContacts::parse(CRISIS).unwrap(),
        )
        .with_notifier(notifier)
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

    /// Counts rows straight from the database, beside the app's pool:
    /// `sql` is a `SELECT COUNT(*)` with one text parameter, `$1`.
    pub async fn count(&self, sql: &'static str, arg: &str) -> i64 {
        use sqlx::{Connection, Row};
        match self.db {
            Db::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                let query = sqlx::query(sql).bind(arg.to_string());
                let n = query.fetch_one(&mut conn).await.unwrap().get(0);
                conn.close().await.unwrap();
                n
            }
            Db::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
                let query = sqlx::query(sql).bind(arg.to_string());
                let n = query.fetch_one(&mut conn).await.unwrap().get(0);
                conn.close().await.unwrap();
                n
            }
        }
    }

    /// Runs SQL straight on the test database, as a fault (or someone with
    /// database access, outside Bothy) would; returns the rows it changed.
    pub async fn raw_sql(&self, sql: &str) -> u64 {
        use sqlx::Connection;
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self.db {
            Db::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                // The app's pool may be writing: wait for it rather than fail.
                sqlx::raw_sql("PRAGMA busy_timeout = 5000")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                let n = sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
                n.rows_affected()
            }
            Db::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
                let n = sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
                n.rows_affected()
            }
        }
    }

    /// Closes the pool and removes the database (once, whichever clone).
    pub async fn finish(&self) {
        self.app.store().close().await;
        if self.scratch.removed.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some((admin, url)) = &self.scratch.postgres {
            bothy_store::drop_scratch_database(admin, url)
                .await
                .unwrap();
        }
        if let Some(dir) = &self.scratch.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    pub fn client(&self) -> Client {
        self.client_of(self.router.clone())
    }

    /// A client of another router on the same app (other web settings).
    pub fn client_of(&self, router: Router) -> Client {
        Client::new(router)
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

    /// Today on the fake clock where the demo service is (UK time).
    pub fn today(&self) -> jiff::civil::Date {
        use bothy_app::Clock;
        let uk = jiff::tz::TimeZone::get("Europe/London").expect("the UK time zone");
        self.clock.now().to_zoned(uk).date()
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
