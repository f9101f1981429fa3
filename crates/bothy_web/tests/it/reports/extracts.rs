//! Reporting extracts: pseudonymised per export with the service's key,
//! one row per episode active in the period, no identifiers; refused to a
//! supporter. The Parquet downloads read in DuckDB (pinned by scripts/test
//! in target/duckdb-venv, through `tests/reports/duckdb_check.py`) with
//! the same values as their CSV, typed.

use super::seed::{self, FROM, TO, people};
use crate::helpers::TestApp;
use bothy_app::AppSettings;

crate::both_dbs_with!(
    with_key;
    an_extract_is_pseudonymised_per_export_and_counts_every_active_episode,
    parquet_downloads_read_in_duckdb_as_their_csv_says,
);

pub(crate) fn with_key() -> AppSettings {
    AppSettings {
        extract_key: bothy_domain::reports::ExtractKey::new(&[42; 32]),
        ..AppSettings::default()
    }
}

async fn an_extract_is_pseudonymised_per_export_and_counts_every_active_episode(t: TestApp) {
    let people = people();
    seed::seed(&t, &people).await;
    let supporter = t.staff_client("supporter").await;
    supporter
        .get(&format!("/staff/reports/extract/ptwt?from={FROM}&to={TO}"))
        .await
        .status(403);
    let analyst = t.staff_client("analyst").await;
    let path = format!("/staff/reports/extract/talking-therapies?from={FROM}&to={TO}");
    let first = analyst.get(&path).await.ok();
    assert_eq!(first.headers["content-type"], "text/csv; charset=utf-8");
    let lines: Vec<&str> = first.body.lines().collect();
    assert!(lines[0].starts_with("ServiceRequestId,LocalPatientId,ReferralRequestReceivedDate"));
    // Episodes referred before the end and not discharged before the start,
    // counted by SQL written here.
    let active = t
        .count(
            "SELECT COUNT(*) FROM episodes WHERE service_id = (SELECT id FROM services WHERE slug = $1) \
             AND referred_at < 1794960000000 AND (discharged_at IS NULL OR discharged_at >= 1764547200000)",
            "demo",
        )
        .await;
    assert_eq!(lines.len() as i64 - 1, active);
    for p in &people {
        assert!(!first.body.contains(&format!("rp{},", p.i)) && !first.body.contains(&p.postcode));
    }
    let ids: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert!(
        ids.iter()
            .all(|id| id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()))
    );
    // Another export: the same episodes under other pseudonyms.
    t.clock.advance(std::time::Duration::from_secs(1));
    let second = analyst.get(&path).await.ok();
    let again: Vec<&str> = second
        .body
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(again.len(), ids.len());
    assert!(again.iter().all(|id| !ids.contains(id)));
    // The waiting-times shape: completed waits as many as started treatment before the end.
    let ptwt = analyst
        .get(&format!("/staff/reports/extract/ptwt?from={FROM}&to={TO}"))
        .await
        .ok();
    let completed = ptwt
        .body
        .lines()
        .filter(|l| l.contains(",completed,"))
        .count() as i64;
    let started = t
        .count(
            "SELECT COUNT(*) FROM episodes WHERE service_id = (SELECT id FROM services WHERE slug = $1) \
             AND referred_at < 1794960000000 AND (discharged_at IS NULL OR discharged_at >= 1764547200000) \
             AND first_treatment_at < 1794960000000",
            "demo",
        )
        .await;
    assert_eq!(completed, started);
    assert!(
        t.count(
            "SELECT COUNT(*) FROM audit_events WHERE action = $1",
            "report.exported"
        )
        .await
            >= 3
    );
}

/// Reads a Parquet download beside its CSV in DuckDB; the JSON it prints.
async fn duckdb(python: &str, parquet: &[u8], csv: &str) -> serde_json::Value {
    let dir = std::env::temp_dir().join(format!("bothy-duckdb-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pq, cs) = (dir.join("file.parquet"), dir.join("file.csv"));
    std::fs::write(&pq, parquet).unwrap();
    std::fs::write(&cs, csv).unwrap();
    let python = python.to_string();
    let script = crate::fhirpy_referral::root().join("tests/reports/duckdb_check.py");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .arg(&pq)
            .arg(&cs)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "duckdb: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn parquet_downloads_read_in_duckdb_as_their_csv_says(t: TestApp) {
    let Some(python) = crate::fhirpy_referral::python_tool(
        "BOTHY_DUCKDB_PYTHON",
        "target/duckdb-venv",
        "tests/reports/duckdb_check.py",
        "duckdb",
    ) else {
        return;
    };
    seed::seed(&t, &people()).await;
    let analyst = t.staff_client("analyst").await;
    // Both formats of each extract at the same moment: the same export
    // label, so the same pseudonyms.
    for kind in ["talking-therapies", "ptwt"] {
        let path = format!("/staff/reports/extract/{kind}?from={FROM}&to={TO}");
        let csv = analyst.get(&path).await.ok();
        let pq = analyst.get(&format!("{path}&format=parquet")).await.ok();
        assert_eq!(pq.headers["content-type"], "application/vnd.apache.parquet");
        let disposition = pq.headers["content-disposition"].to_str().unwrap();
        assert!(disposition.ends_with(".parquet\""), "{disposition}");
        let got = duckdb(&python, &pq.bytes, &csv.body).await;
        assert_eq!(got["mismatches"], serde_json::json!([]), "{kind}: {got}");
        assert_eq!(got["rows"], csv.body.lines().count() - 1, "{kind}");
        assert!(got["rows"].as_u64().unwrap() > 10, "{kind}: {got}");
        let types = &got["types"];
        if kind == "ptwt" {
            assert_eq!(types["REF_REC_DATE"], "DATE");
            assert_eq!(types["WAIT_WEEKS"], "BIGINT");
            assert_eq!(types["UCPN"], "VARCHAR");
        } else {
            assert_eq!(types["PHQ9_FirstScore"], "DOUBLE");
            assert_eq!(types["Recovery_Flag"], "BIGINT");
            assert_eq!(types["ServDischDate"], "DATE");
        }
    }
    // Each dashboard table as shown: suppressed cells are null, counts are
    // numbers, rates stay as shown.
    let query = format!("from={FROM}&to={TO}&by=quintile");
    for table in ["waits", "treatment", "referrals-by-month"] {
        let csv = analyst
            .get(&format!("/staff/reports/csv/{table}?{query}"))
            .await
            .ok();
        let pq = analyst
            .get(&format!("/staff/reports/parquet/{table}?{query}"))
            .await
            .ok();
        let got = duckdb(&python, &pq.bytes, &csv.body).await;
        assert_eq!(got["mismatches"], serde_json::json!([]), "{table}: {got}");
        assert_eq!(got["rows"], csv.body.lines().count() - 1, "{table}");
        let types = got["types"].as_object().unwrap();
        assert!(
            types.values().any(|t| t == "BIGINT"),
            "{table}: no count column typed: {got}"
        );
    }
    // A bad format is a clear error, not a CSV.
    let bad = analyst
        .get(&format!(
            "/staff/reports/extract/ptwt?from={FROM}&to={TO}&format=xlsx"
        ))
        .await;
    assert_eq!(bad.status.as_u16(), 422, "{}", bad.body);
    assert!(bad.body.contains("Choose csv or parquet"), "{}", bad.body);
}
