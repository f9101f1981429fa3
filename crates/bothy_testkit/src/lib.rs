//! What every crate's tests share: [`TestApp`] (a whole Bothy in-process on
//! a fresh database, fake clock and in-memory outbox), a cookie-keeping
//! [`Client`], page readers ([`Form`]) and fixture builders ([`Fixtures`]).
//!
//! Each test gets its own database, copied from a template built once per
//! test process (migrated, demo accounts made: see `template`), and
//! [`run`] removes it afterwards even when the test panics.

mod app;
mod builder;
mod client;
mod html;
mod template;

pub use app::TestApp;
pub use builder::{Fixtures, NewPatient, PATIENT_PASSWORD, Person, TestAppBuilder};
pub use client::{Client, Resp, without_csrf};
pub use html::Form;

use bothy_app::AppSettings;
use bothy_domain::time::Timestamp;
use std::future::Future;

pub const CRISIS: &str = include_str!("../../../content/crisis-contacts.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// 10:00 on a Tuesday, UK time: a fixed, unremarkable moment.
pub fn start_time() -> Timestamp {
    "2026-11-17T10:00:00Z".parse().unwrap()
}

/// The demo service's monitoring settings in tests: the defaults, with a
/// duty phone (an Ofcom drama number) as the escalation's second channel.
pub const DUTY_PHONE: &str = "07700900123";

/// Runs `body` on a fresh app, then always removes the app's database, and
/// only then passes on the body's panic. The body runs in its own task so
/// that a panic in it is caught here rather than skipping the clean-up.
pub async fn run<F, Fut>(db: Db, settings: AppSettings, body: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_with(db, settings, "", body).await
}

/// [`run`] with more of the demo service's settings file (`service_settings`, TOML).
pub async fn run_with<F, Fut>(db: Db, settings: AppSettings, service_settings: &str, body: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let app = TestApp::assembled(db, settings, service_settings)
        .await
        .expect("BOTHY_TEST_DATABASE_URL is set");
    let outcome = tokio::spawn(body(app.clone())).await;
    // Whatever the test wrote, by whichever path, the report tables must
    // still be what their views define (migration 36). A test that closed
    // the store has nothing left to compare.
    let drift = if outcome.is_ok() {
        app.app.store().report_facts_drift().await.ok()
    } else {
        None
    };
    app.finish().await;
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the test was cancelled: {e}"),
        }
    }
    if let Some(drift) = drift {
        assert!(
            drift.is_empty(),
            "report tables differ from the records (table, extra rows, missing rows): {drift:?}"
        );
    }
}

/// Runs an `async fn(TestApp)` once on SQLite and once on PostgreSQL. The
/// PostgreSQL variant is ignored (and listed so) when the build did not see
/// `BOTHY_TEST_DATABASE_URL`: the calling crate's build script must be
/// `tests/postgres_cfg.rs`, since the `cfg` is read where the macro expands.
#[macro_export]
macro_rules! both_dbs {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::run($crate::Db::Sqlite, ::std::default::Default::default(), super::$name).await;
            }
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(bothy_no_postgres, ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set")]
            async fn postgres() {
                $crate::run($crate::Db::Postgres, ::std::default::Default::default(), super::$name).await;
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
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::run($crate::Db::Sqlite, super::$settings(), super::$name).await;
            }
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(bothy_no_postgres, ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set")]
            async fn postgres() {
                $crate::run($crate::Db::Postgres, super::$settings(), super::$name).await;
            }
        }
    )*};
}

/// Like `both_dbs!`, with the demo service's settings file extended by the
/// TOML `$service_settings()` returns (a function in the calling module).
#[macro_export]
macro_rules! both_dbs_service {
    ($service_settings:ident; $($name:ident),* $(,)?) => {$(
        mod $name {
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::run_with($crate::Db::Sqlite, ::std::default::Default::default(), super::$service_settings(), super::$name).await;
            }
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(bothy_no_postgres, ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set")]
            async fn postgres() {
                $crate::run_with($crate::Db::Postgres, ::std::default::Default::default(), super::$service_settings(), super::$name).await;
            }
        }
    )*};
}
