//! `bothy bench`: the workloads against this binary serving the configured
//! database, printed as Markdown (see `BENCHMARKS.md`).

use anyhow::Context;
use bothy::Config;
use bothy::cli::BenchArgs;
use bothy_app::SystemClock;
use bothy_bench::{Database, Options, ServerCommand};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// `flags` give the server this process's configuration (see [`server_args`]).
pub async fn run(
    config: &Config,
    flags: Vec<String>,
    args: &BenchArgs,
) -> anyhow::Result<ExitCode> {
    let app = bothy::build_app(config, Arc::new(SystemClock)).await?;
    let mut opts = if args.tiny {
        Options::tiny(&args.service)
    } else {
        Options {
            patients: args.patients,
            seed: args.seed,
            service: args.service.clone(),
            duration: Duration::from_secs_f64(args.duration),
            clients: vec![1, 8, 32],
            rate: args.rate,
            mixed_rate: args.mixed_rate,
            patients_per_client: 4,
            clinicians: 8,
            patients_per_clinician: 8,
            mixed_patients: 64,
            flood: 1_000,
            worker_wait: Duration::from_secs(600),
            service_wide_only: false,
            peer_posts: 10_000,
            peer_held: 1_000,
        }
    };
    opts.service_wide_only = args.service_wide;
    if args.tiny {
        opts.patients = opts.patients.min(args.patients);
    }
    let cmd = ServerCommand {
        exe: std::env::current_exe().context("cannot find this program")?,
        args: flags,
        log: std::env::temp_dir().join(format!("bothy-bench-server-{}.log", std::process::id())),
        log_level: format!("{},bothy_jobs=debug", config.log.level),
    };
    let db = Database {
        url: config.database_url(),
        connections: config.database.max_connections,
    };
    let report = bothy_bench::run(app.clone(), &opts, &cmd, &db).await;
    app.store().close().await;
    let report = report?;
    print!("{}", report.markdown());
    for w in &report.warnings {
        eprintln!("WARNING: {w}");
    }
    eprintln!("The server's log is in {}", cmd.log.display());
    Ok(ExitCode::SUCCESS)
}

/// The flags that gave this process its configuration, for the server it
/// starts; the environment (`DATABASE_URL`, `BOTHY__...`) is inherited.
pub fn server_args(
    config: Option<&Path>,
    data_dir: Option<&Path>,
    url: Option<&str>,
) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(c) = config {
        args.extend(["--config".to_string(), c.display().to_string()]);
    }
    if let Some(d) = data_dir {
        args.extend(["--data-dir".to_string(), d.display().to_string()]);
    }
    if let Some(u) = url {
        args.extend(["--database-url".to_string(), u.to_string()]);
    }
    args
}
