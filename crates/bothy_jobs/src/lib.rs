//! Bothy's background worker: housekeeping that runs on a schedule, in the
//! `bothy serve` process or on its own as `bothy worker`.
//!
//! Each tick runs every task once. A failed task is logged and tried again at
//! the next tick; nothing here panics or stops the loop except the shutdown
//! signal. Several workers may run at once against one database: every task
//! is idempotent.

use bothy_app::{App, AppError};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::MissedTickBehavior;

/// How often the worker runs its tasks.
pub const TICK: Duration = Duration::from_secs(60);

/// Runs the worker every [`TICK`] until `shutdown` completes.
pub async fn run(app: Arc<App>, shutdown: impl Future<Output = ()>) {
    run_every(app, TICK, shutdown).await;
}

/// Runs the worker every `period` (the first run is at once) until `shutdown`
/// completes. A run in progress when the signal arrives is abandoned at its
/// next await point; its transaction rolls back and the next worker repeats it.
pub async fn run_every(app: Arc<App>, period: Duration, shutdown: impl Future<Output = ()>) {
    // A timer, not a clock read: scheduling only, never a timestamp.
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    tracing::info!(period_secs = period.as_secs(), "worker started");
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = ticks.tick() => {}
        }
        tokio::select! {
            () = &mut shutdown => break,
            result = run_once(&app) => match result {
                Ok(0) => tracing::debug!("worker: no expired sessions"),
                Ok(n) => tracing::info!(deleted = n, "worker: deleted expired sessions"),
                Err(e) => tracing::warn!(error = %e, cause = ?std::error::Error::source(&e), "worker: task failed; retrying at the next tick"),
            },
        }
    }
    tracing::info!("worker stopped");
}

/// Runs every task once; returns how many expired sessions were deleted.
pub async fn run_once(app: &App) -> Result<u64, AppError> {
    let mut tx = app.store.begin().await?;
    let deleted = tx.delete_expired_sessions(app.clock.now()).await?;
    tx.commit().await?;
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bothy_app::{AppSettings, FakeClock};
    use bothy_domain::crisis::CrisisContacts;
    use bothy_domain::time::{Timestamp, to_millis};
    use bothy_store::{PoolSettings, SessionRow, Store};

    const CRISIS: &str = "version='1'\nreviewed='r'\nreviewed_by='b'\nheading='h'\n[[contacts]]\nname='A'\nhow='Call 999'\nlink='tel:999'\nwhen='w'";

    async fn app(clock: FakeClock) -> (Arc<App>, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("bothy-jobs-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = format!("sqlite://{}/bothy.db", dir.display());
        let store = Store::connect(&url, &PoolSettings::default())
            .await
            .expect("connect");
        store.migrate().await.expect("migrate");
        let crisis = CrisisContacts::parse(CRISIS).expect("crisis contacts");
        (
            Arc::new(App::new(
                store,
                Arc::new(clock),
                AppSettings::default(),
                crisis,
            )),
            dir,
        )
    }

    async fn session(app: &App, id: &str, expires: Timestamp) {
        let mut tx = app.store.begin().await.expect("begin");
        let row = SessionRow {
            id: id.into(),
            data: "{}".into(),
            expires_at_ms: to_millis(expires),
        };
        assert!(tx.create_session(&row).await.expect("insert"));
        tx.commit().await.expect("commit");
    }

    #[tokio::test]
    async fn deletes_only_expired_sessions_and_stops_on_shutdown() {
        let start: Timestamp = "2026-01-05T09:00:00Z".parse().expect("timestamp");
        let clock = FakeClock::at(start);
        let (app, dir) = app(clock.clone()).await;
        session(
            &app,
            "old",
            start.checked_sub(Duration::from_secs(1)).expect("time"),
        )
        .await;
        session(
            &app,
            "live",
            start.checked_add(Duration::from_secs(600)).expect("time"),
        )
        .await;

        assert_eq!(run_once(&app).await.expect("run"), 1);
        assert_eq!(run_once(&app).await.expect("run"), 0);
        let mut tx = app.store.read().await.expect("read");
        assert!(
            tx.load_session("live", start)
                .await
                .expect("load")
                .is_some()
        );
        tx.rollback().await.expect("rollback");

        clock.advance(Duration::from_secs(601));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let worker = tokio::spawn(run_every(app.clone(), Duration::from_millis(10), async {
            let _ = stopped.await;
        }));
        // The first tick is immediate; wait until it has removed the session.
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            let mut tx = app.store.read().await.expect("read");
            let gone = tx
                .load_session("live", start)
                .await
                .expect("load")
                .is_none();
            tx.rollback().await.expect("rollback");
            if gone {
                break;
            }
        }
        assert_eq!(
            run_once(&app).await.expect("run"),
            0,
            "the worker already deleted it"
        );
        stop.send(()).expect("worker listening");
        tokio::time::timeout(Duration::from_secs(5), worker)
            .await
            .expect("worker stops")
            .expect("no panic");
        app.store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
