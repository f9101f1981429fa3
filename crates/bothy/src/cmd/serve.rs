//! `bothy serve`, `bothy demo` and `bothy worker`: long-running processes
//! that stop cleanly on Ctrl-C or SIGTERM.

use super::demo;
use anyhow::Context;
use bothy::Config;
use bothy_app::SystemClock;
use bothy_web::WebSettings;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long requests in progress may take to finish after the stop signal.
const GRACE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Serve,
    /// Create the demo service and print its accounts first.
    Demo,
}

pub async fn serve(mut config: Config, mode: Mode) -> anyhow::Result<ExitCode> {
    let addr = config.server.listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("server.listen: cannot listen on {addr}"))?;
    let local = listener
        .local_addr()
        .context("cannot read the listening address")?;
    if config.server.public_url.is_none() {
        // Links must name the port actually bound (it differs when listen asks for port 0).
        config.server.public_url = Some(format!("http://{local}"));
        if local.ip().is_unspecified() {
            tracing::warn!(public_url = %config.public_url(), "server.public_url is not set; links in messages will use this address");
        }
    }
    let app = bothy::build_app(&config, Arc::new(SystemClock)).await?;
    if mode == Mode::Demo {
        demo::prepare(&app, &config).await?;
    }
    let shutdown = Shutdown::on_signal();
    let worker = tokio::spawn(bothy_jobs::run(app.clone(), shutdown.wait()));
    let settings = WebSettings {
        secure_cookies: config.secure_cookies(),
        max_body_bytes: config.security.max_body_bytes,
        metrics_token: config.server.metrics_token.as_ref().map(|t| t.0.clone()),
        trusted_proxies: config.server.trusted_proxies.clone(),
        cors_origins: bothy_web::cors::origins(&config.server.cors_origins)
            .map_err(|e| anyhow::anyhow!("server.cors_origins: {e}"))?,
        sms_inbound_secret: config.sms.inbound_secret.as_ref().map(|s| s.0.clone()),
    };
    let router = bothy_web::router(app.clone(), settings);
    tracing::info!(
        listen = %local,
        public_url = %config.public_url(),
        database = ?app.store().backend(),
        outbox = %bothy::outbox_dir(&config).display(),
        version = env!("CARGO_PKG_VERSION"),
        "Bothy is serving"
    );
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.wait())
    .into_future();
    let deadline = {
        let stop = shutdown.wait();
        async move {
            stop.await;
            tokio::time::sleep(GRACE).await;
        }
    };
    tokio::select! {
        served = server => served.context("the server stopped with an error")?,
        () = deadline => tracing::warn!(grace_secs = GRACE.as_secs(), "requests still running after the grace period; stopping anyway"),
    }
    if tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .is_err()
    {
        tracing::warn!("the worker did not stop in time");
    }
    app.store().close().await;
    tracing::info!("Bothy stopped");
    Ok(ExitCode::SUCCESS)
}

pub async fn worker(config: Config) -> anyhow::Result<ExitCode> {
    let app = bothy::build_app(&config, Arc::new(SystemClock)).await?;
    tracing::info!(
        database = ?app.store().backend(),
        outbox = %bothy::outbox_dir(&config).display(),
        version = env!("CARGO_PKG_VERSION"),
        "Bothy worker is running"
    );
    let shutdown = Shutdown::on_signal();
    bothy_jobs::run(app.clone(), shutdown.wait()).await;
    app.store().close().await;
    Ok(ExitCode::SUCCESS)
}

/// The stop signal, shared by the server and the worker.
#[derive(Clone)]
struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// Starts listening for Ctrl-C and SIGTERM.
    fn on_signal() -> Self {
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            signal().await;
            tracing::info!("stop signal received; finishing work in progress");
            let _ = tx.send(true);
        });
        Self(rx)
    }

    /// Completes once the stop signal has arrived.
    fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.0.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }
}

async fn signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
