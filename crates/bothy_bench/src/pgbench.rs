//! PostgreSQL's own limit for the durable writes, measured by its own tool:
//! pgbench with prepared statements (`-M prepared`), a custom script that
//! inserts one ~1.3 KB JSONB row per transaction into the scratch table
//! (`native.rs`), at the workload's client count, for the workload's
//! duration (whole seconds, at least one). Throughput is pgbench's own
//! `tps`; latencies come from its per-transaction log (`-l`), so the
//! percentiles are taken by the same nearest-rank rule as every other row.

use crate::stats::{Samples, Summary};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::process::Command;

/// pgbench on the `PATH`, if there is one.
pub fn find() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("pgbench"))
        .find(|p| p.is_file())
}

/// The script: one INSERT per transaction. `:p` is a variable, sent as a
/// parameter of the prepared statement; the payload is a literal.
fn script(payload: &str) -> String {
    format!(
        "\\set p random(1, 1000000)\n\
         INSERT INTO bench_native (patient_id, payload, at) VALUES (:p, '{payload}'::jsonb, :p);\n"
    )
}

/// Runs pgbench once and summarises it.
pub async fn run(
    exe: &Path,
    url: &str,
    payload: &str,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Summary> {
    let dir = std::env::temp_dir().join(format!(
        "bothy-pgbench-{}-{clients}-{}",
        std::process::id(),
        bothy_domain::PatientId::random()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let result = run_in(&dir, exe, url, payload, clients, duration).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run_in(
    dir: &Path,
    exe: &Path,
    url: &str,
    payload: &str,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Summary> {
    let script_path = dir.join("insert.sql");
    std::fs::write(&script_path, script(payload))?;
    let secs = duration.as_secs_f64().ceil().max(1.0) as u64;
    let threads = clients
        .min(std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let out = Command::new(exe)
        .args(["--no-vacuum", "--protocol=prepared"])
        .arg(format!("--file={}", script_path.display()))
        .arg(format!("--client={clients}"))
        .arg(format!("--jobs={threads}"))
        .arg(format!("--time={secs}"))
        .arg("--log")
        .arg(format!("--log-prefix={}", dir.join("tx").display()))
        .arg(url)
        .current_dir(dir)
        .output()
        .await
        .with_context(|| format!("cannot run {}", exe.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "pgbench failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let tps = field(&stdout, "tps = ").context("pgbench printed no tps")?;
    let failed = field(&stdout, "number of failed transactions: ").unwrap_or(0.0) as u64;
    let mut samples = Samples {
        errors: failed,
        elapsed: Duration::from_secs(secs),
        ..Samples::default()
    };
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("tx."))
        {
            latencies(&std::fs::read_to_string(&path)?, &mut samples.latencies);
        }
    }
    let mut summary = samples.summary();
    summary.throughput = tps;
    Ok(summary)
}

/// The number after `label` on pgbench's summary line that starts with it.
fn field(stdout: &str, label: &str) -> Option<f64> {
    let line = stdout.lines().find(|l| l.starts_with(label))?;
    line[label.len()..].split_whitespace().next()?.parse().ok()
}

/// Latencies from pgbench's per-transaction log: `client transaction
/// latency_us script epoch epoch_us`; a failed transaction has no number.
fn latencies(log: &str, out: &mut Vec<Duration>) {
    for line in log.lines() {
        if let Some(us) = line
            .split_whitespace()
            .nth(2)
            .and_then(|f| f.parse::<u64>().ok())
        {
            out.push(Duration::from_micros(us));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pgbench_output_and_log() {
        let stdout = "transaction type: insert.sql\nnumber of clients: 8\n\
            number of transactions actually processed: 1234\n\
            number of failed transactions: 2 (0.162%)\n\
            latency average = 0.650 ms\n\
            tps = 12301.456789 (without initial connection time)\n";
        assert_eq!(field(stdout, "tps = "), Some(12301.456789));
        assert_eq!(field(stdout, "number of failed transactions: "), Some(2.0));
        let mut l = Vec::new();
        latencies(
            "0 1 650 0 1700000000 123\n1 1 1200 0 1700000000 456\n2 3 failed 0 1 2\n",
            &mut l,
        );
        assert_eq!(l, [Duration::from_micros(650), Duration::from_micros(1200)]);
    }

    #[test]
    fn the_script_keeps_the_payload_literal() {
        let s = script(&crate::native::payload());
        assert_eq!(s.matches(":p").count(), 2);
        assert!(s.contains("'::jsonb"));
    }
}
