//! The real binary as a server, for the backup and crash tests: a data
//! directory and database per test, patients who can sign in, `bothy serve`
//! as a child process, and a steady load of check-ins whose acknowledged
//! keys are recorded.

#![allow(dead_code)] // Each test binary uses part of it.

pub mod load;
pub mod verify;

use bothy::Config;
use bothy::config::Overrides;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// Durations only: the tests measure recovery and wait, they never read
/// the time of day.
#[allow(clippy::disallowed_methods)]
pub fn now() -> std::time::Instant {
    std::time::Instant::now()
}

/// A random number from the operating system (for kill moments).
pub fn random() -> u64 {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("random");
    u64::from_le_bytes(b)
}

pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Which database a test runs on, and where its files live.
#[derive(Clone)]
pub struct Site {
    pub dir: PathBuf,
    /// None: the default SQLite file in `dir`.
    pub database_url: Option<String>,
}

impl Site {
    pub fn sqlite(name: &str) -> Site {
        Site {
            dir: fresh_dir(name),
            database_url: None,
        }
    }

    /// A scratch database on the PostgreSQL of `BOTHY_TEST_DATABASE_URL`.
    pub async fn postgres(name: &str) -> Site {
        let admin = admin_url();
        let url = bothy_store::create_scratch_database(&admin, "bothy_test")
            .await
            .expect("scratch database");
        Site {
            dir: fresh_dir(name),
            database_url: Some(url),
        }
    }

    /// Drops the scratch database (if any) and the files.
    pub async fn remove(self) {
        if let Some(url) = &self.database_url {
            let _ = bothy_store::drop_scratch_database(&admin_url(), url).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// `bothy` with this site's data directory and database, and nothing
    /// from the environment of the test run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bothy"));
        cmd.arg("--data-dir")
            .arg(&self.dir)
            .args(args)
            .current_dir(&self.dir)
            .env_remove("DATABASE_URL")
            .env_remove("BOTHY_CONFIG");
        for (key, _) in std::env::vars() {
            if key.starts_with("BOTHY__") {
                cmd.env_remove(key);
            }
        }
        if let Some(url) = &self.database_url {
            cmd.env("DATABASE_URL", url);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run bothy")
    }

    /// Runs and expects success; returns standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "bothy {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The configuration the binary would load here.
    pub fn config(&self) -> Config {
        let overrides = Overrides {
            data_dir: Some(self.dir.clone()),
            ..Overrides::default()
        };
        let mut config = Config::from_figment(Config::figment(None, &overrides).unwrap()).unwrap();
        config.database.url = self.database_url.clone();
        config
    }

    pub async fn store(&self) -> bothy_store::Store {
        bothy::connect_store(&self.config()).await.expect("store")
    }
}

pub fn admin_url() -> String {
    std::env::var("BOTHY_TEST_DATABASE_URL")
        .expect("BOTHY_TEST_DATABASE_URL must be set for the PostgreSQL tests")
}

/// `bothy serve` on a free port, its log in the data directory.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl Server {
    /// Starts the server (with `env` added) and waits for `/readyz`.
    pub async fn start(site: &Site, env: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        Server::start_on(site, port, env).await
    }

    /// Starts on `port` (a restart keeps the address, as a real one would).
    pub async fn start_on(site: &Site, port: u16, env: &[(&str, &str)]) -> Server {
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let log = site.dir.join("server.log");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("server log");
        let child = site
            .command(&["serve", "--listen", &addr.to_string()])
            .env("BOTHY__SERVER__PUBLIC_URL", format!("http://{addr}"))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start bothy serve");
        let mut server = Server { child, addr, log };
        server.wait_ready(Duration::from_secs(60)).await;
        server
    }

    async fn wait_ready(&mut self, limit: Duration) {
        for _ in 0..(limit.as_millis() / 20) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server stopped ({status}); see {}", self.log.display());
            }
            if let Ok(mut c) = bothy_bench::client::Conn::open(self.addr).await
                && let Ok(a) = c.get("/readyz").await
                && a.status.is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the server did not answer; see {}", self.log.display());
    }

    /// Resident memory in bytes (Linux), for the memory bounds.
    pub fn resident_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmRSS")
            * 1024
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, and wait for the clean stop.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A synthetic service (so that there are staff and histories) with
/// `count` patients in treatment who can sign in; returns their emails.
pub async fn patients_who_sign_in(
    site: &Site,
    count: usize,
) -> Vec<(bothy_domain::PatientId, String)> {
    site.ok(&["synth", "--patients", "60", "--seed", "7"]);
    let app = bothy::build_app(&site.config(), std::sync::Arc::new(bothy_app::SystemClock))
        .await
        .expect("app");
    let service = app
        .admin()
        .service_by_slug("synth")
        .await
        .expect("the synthetic service");
    let mut fresh = bothy_bench::seed::Fresh::new(&app, &service)
        .await
        .expect("fresh patients");
    let patients = fresh.patients(&app, count).await.expect("patients");
    fresh.can_sign_in(&app, &patients).await.expect("passwords");
    app.store().close().await;
    patients.into_iter().map(|p| (p.id, p.email)).collect()
}
