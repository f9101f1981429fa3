//! The server under test, as a child process of its own, so that its memory
//! and start-up are measured alone: the same binary (`bothy serve`) with the
//! same configuration, on a free local port.

use crate::client::Conn;
use crate::clock;
use anyhow::{Context, bail};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::process::{Child, Command};

/// How to start the server: the binary and the arguments that give it the
/// same configuration as this process (`--config`, `--data-dir`,
/// `--database-url`); the environment is inherited.
#[derive(Debug, Clone)]
pub struct ServerCommand {
    pub exe: PathBuf,
    pub args: Vec<String>,
    /// Where the server's log goes (its standard error).
    pub log: PathBuf,
    /// The server's log filter: the configured one with the worker's
    /// debug lines, so that the end of its first pass shows in the log.
    pub log_level: String,
}

/// Lines the worker logs at the end of a pass, whatever it did.
const PASS_ENDS: [&str; 3] = [
    "worker: pass finished",
    "worker: nothing to do",
    "worker: task failed",
];

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub pid: u32,
    /// From spawning the process to the first successful `GET /readyz`.
    pub startup: Duration,
    peak: Arc<AtomicU64>,
    sampler: tokio::task::JoinHandle<()>,
}

impl Server {
    pub async fn start(cmd: &ServerCommand) -> anyhow::Result<Server> {
        let port = {
            let l =
                std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
            l.local_addr()?.port()
        };
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let log = std::fs::File::create(&cmd.log)
            .with_context(|| format!("cannot write the server log {}", cmd.log.display()))?;
        let started = clock::now();
        let child = Command::new(&cmd.exe)
            .args(&cmd.args)
            .args(["serve", "--listen", &addr.to_string()])
            // Links and FHIR references name the address the server really has.
            .env("BOTHY__SERVER__PUBLIC_URL", format!("http://{addr}"))
            .env("BOTHY__LOG__LEVEL", &cmd.log_level)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", cmd.exe.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let mut server = Server {
            child,
            addr,
            pid,
            startup: Duration::ZERO,
            peak: Arc::new(AtomicU64::new(0)),
            sampler: tokio::spawn(async {}),
        };
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                bail!("the server stopped ({status}); see {}", cmd.log.display());
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!(
                    "the server did not answer within 60 s; see {}",
                    cmd.log.display()
                );
            }
            if let Ok(mut c) = Conn::open(addr).await
                && let Ok(a) = c.get("/readyz").await
                && a.status.is_success()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.startup = started.elapsed();
        let (peak, pid) = (server.peak.clone(), server.pid);
        server.sampler = tokio::spawn(async move {
            loop {
                if let Some(rss) = memory(pid).map(|m| m.rss) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Ok(server)
    }

    pub fn memory(&self) -> Option<Memory> {
        memory(self.pid)
    }

    /// The largest resident set sampled (every 100 ms) since the last call
    /// (or start-up), sampling once more now.
    pub fn take_peak(&self) -> u64 {
        let now = self.memory().map_or(0, |m| m.rss);
        self.peak.swap(0, Ordering::Relaxed).max(now)
    }

    /// Waits until the background worker has finished its first pass
    /// (housekeeping, the monitoring sweep, due jobs), which starts with
    /// the server and reads every open episode: up to `limit`. Returns how
    /// long it took after start-up, or None if it was still running.
    pub async fn worker_first_pass(
        &self,
        log: &std::path::Path,
        limit: Duration,
    ) -> Option<Duration> {
        let started = clock::now();
        loop {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            if PASS_ENDS.iter().any(|m| text.contains(m)) {
                return Some(self.startup + started.elapsed());
            }
            if started.elapsed() > limit {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn stop(mut self) {
        self.sampler.abort();
        // SIGTERM would let it finish its requests; the benchmark is done with it.
        let _ = self.child.kill().await;
    }
}

/// Resident set size now and its high-water mark, in bytes (Linux).
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub rss: u64,
    pub hwm: u64,
}

pub fn memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    };
    Some(Memory {
        rss: field("VmRSS:")?,
        hwm: field("VmHWM:")?,
    })
}
