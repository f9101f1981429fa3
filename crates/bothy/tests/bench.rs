//! `bothy bench --tiny` end to end, on SQLite and (when
//! `BOTHY_TEST_DATABASE_URL` is set) on a scratch PostgreSQL database. This
//! proves the benchmark works; it asserts no performance figure. On
//! PostgreSQL the write baseline is pgbench's, or, on a machine without
//! pgbench, a warning in the output says it was not measured.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

const WORKLOADS: &[&str] = &[
    "W1 PHQ-9, form",
    "W1 PHQ-9, FHIR",
    "W2 mood check-in",
    "W3 staff home, one clinician",
    "W3 patient page, one hot patient",
    "W3 staff home, 2 clinicians",
    "W3 patient page, 2 clinicians",
    "W4 FHIR search",
    "W7 mixed: PHQ-9 form",
    "W7 mixed: mood check-in",
    "W7 mixed: staff home",
    "W7 mixed: patient page",
    "W7 mixed: FHIR create",
    "W7 mixed: FHIR search",
    "W7 mixed: every request",
    "W8 peer group page",
    "W8 moderation queue",
    "W5 outcome classification",
    "W6a the first sweep after loading",
    "W6 the hourly monitoring sweep",
    "W9 the service dashboard",
    "start-up to first answer",
    "background worker's first pass",
    "resident memory, idle",
    "resident memory after 40 failed sign-in attempts",
    "resident memory, peak",
];

fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs the tiny benchmark and returns its table; `path` replaces the
/// child's `PATH`.
fn bench(dir: &Path, database_url: Option<&str>, path: Option<OsString>) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bothy"));
    cmd.args(["--data-dir", &dir.display().to_string(), "bench", "--tiny"])
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("BOTHY_CONFIG");
    for (key, _) in std::env::vars() {
        if key.starts_with("BOTHY__") {
            cmd.env_remove(key);
        }
    }
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    let out = cmd.output().expect("run bothy bench");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "bothy bench failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Every workload has a row; request rows counted requests and no errors,
/// the others carry a number.
fn check(table: &str) {
    for w in WORKLOADS {
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("| {w}")))
            .unwrap_or_else(|| panic!("no row for {w}:\n{table}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        if ["W1", "W2", "W3", "W4", "W7", "W8"]
            .iter()
            .any(|p| w.starts_with(p))
        {
            let requests: u64 = cells[3].parse().unwrap_or_else(|_| panic!("{row}"));
            assert!(requests > 0, "{row}");
            assert_eq!(cells[4], "0", "errors in {row}");
            for c in &cells[5..9] {
                c.parse::<f64>().unwrap_or_else(|_| panic!("{row}"));
            }
            if !w.starts_with("W7") {
                assert!(
                    cells[9].contains("/s") || cells[9].contains("ms"),
                    "baseline in {row}"
                );
            }
        } else {
            assert!(cells[2].chars().any(|c| c.is_ascii_digit()), "{row}");
        }
    }
}

/// The write rows' baseline cells all start with `tool: `.
fn write_baselines_are(table: &str, tool: &str) {
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("| W1") || l.starts_with("| W2"))
        .collect();
    assert!(!rows.is_empty(), "{table}");
    for row in rows {
        assert!(row.contains(&format!("| {tool}: ")), "{row}");
    }
}

#[test]
fn tiny_bench_runs_on_sqlite() {
    let dir = fresh_dir("bench-sqlite");
    let table = bench(&dir, None, None);
    check(&table);
    write_baselines_are(&table, "sqlx, 1 connection");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the tiny benchmark on a scratch PostgreSQL database.
fn on_postgres(name: &str, path: Option<OsString>) -> String {
    let admin = std::env::var("BOTHY_TEST_DATABASE_URL")
        .expect("BOTHY_TEST_DATABASE_URL must be set for the PostgreSQL tests");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = rt
        .block_on(bothy_store::create_scratch_database(&admin, "bothy_test"))
        .unwrap();
    let dir = fresh_dir(name);
    let table = bench(&dir, Some(&url), path);
    rt.block_on(bothy_store::drop_scratch_database(&admin, &url))
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    check(&table);
    table
}

const NOT_MEASURED: &str = "**WARNING: pgbench was not found on the PATH: PostgreSQL's native write baseline was NOT measured";

#[test]
#[cfg_attr(
    bothy_no_postgres,
    ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set"
)]
fn tiny_bench_runs_on_postgres() {
    let table = on_postgres("bench-postgres", None);
    if bothy_bench::pgbench::find().is_some() {
        write_baselines_are(&table, "pgbench");
    } else {
        assert!(table.contains(NOT_MEASURED), "{table}");
        write_baselines_are(&table, "sqlx, not pgbench");
    }
}

/// Without pgbench the run says loudly that PostgreSQL's own figure was not
/// measured, and judges no write target against the stand-in.
#[test]
#[cfg_attr(
    bothy_no_postgres,
    ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set"
)]
fn tiny_bench_without_pgbench_says_so() {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let without: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|dir| !dir.join("pgbench").is_file())
        .collect();
    let path = std::env::join_paths(without).unwrap();
    let table = on_postgres("bench-no-pgbench", Some(path));
    assert!(table.contains(NOT_MEASURED), "{table}");
    write_baselines_are(&table, "sqlx, not pgbench");
    for row in table
        .lines()
        .filter(|l| l.starts_with("| W1") || l.starts_with("| W2"))
    {
        assert!(
            !row.ends_with("| met |") && !row.ends_with("| **missed** |"),
            "{row}"
        );
    }
}
