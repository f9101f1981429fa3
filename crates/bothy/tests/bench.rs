//! `bothy bench --tiny` end to end, on SQLite and (when
//! `BOTHY_TEST_DATABASE_URL` is set) on a scratch PostgreSQL database. This
//! proves the benchmark works; it asserts no performance figure.

use std::path::{Path, PathBuf};
use std::process::Command;

const WORKLOADS: &[&str] = &[
    "W1 PHQ-9, form",
    "W1 PHQ-9, FHIR",
    "W2 mood check-in",
    "W3 staff home",
    "W3 patient page",
    "W4 FHIR search",
    "W5 outcome classification",
    "W6 every detector",
    "start-up to first answer",
    "resident memory, idle",
    "resident memory, peak",
];

fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs the tiny benchmark and returns its table.
fn bench(dir: &Path, database_url: Option<&str>) -> String {
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
/// and the other rows carry a number.
fn check(table: &str) {
    for w in WORKLOADS {
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("| {w}")))
            .unwrap_or_else(|| panic!("no row for {w}:\n{table}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        if w.starts_with("W1") || w.starts_with("W2") || w.starts_with("W3") || w.starts_with("W4")
        {
            let requests: u64 = cells[3].parse().unwrap_or_else(|_| panic!("{row}"));
            assert!(requests > 0, "{row}");
            assert_eq!(cells[4], "0", "errors in {row}");
            for c in &cells[5..9] {
                c.parse::<f64>().unwrap_or_else(|_| panic!("{row}"));
            }
            assert!(
                cells[9].contains("/s") || cells[9].contains("ms"),
                "baseline in {row}"
            );
        } else {
            assert!(cells[2].chars().any(|c| c.is_ascii_digit()), "{row}");
        }
    }
}

#[test]
fn tiny_bench_runs_on_sqlite() {
    let dir = fresh_dir("bench-sqlite");
    check(&bench(&dir, None));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[cfg_attr(
    bothy_no_postgres,
    ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set"
)]
fn tiny_bench_runs_on_postgres() {
    let admin = std::env::var("BOTHY_TEST_DATABASE_URL")
        .expect("BOTHY_TEST_DATABASE_URL must be set for the PostgreSQL tests");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = rt
        .block_on(bothy_store::create_scratch_database(&admin, "bothy_test"))
        .unwrap();
    let dir = fresh_dir("bench-postgres");
    let table = bench(&dir, Some(&url));
    rt.block_on(bothy_store::drop_scratch_database(&admin, &url))
        .unwrap();
    check(&table);
    let _ = std::fs::remove_dir_all(&dir);
}
