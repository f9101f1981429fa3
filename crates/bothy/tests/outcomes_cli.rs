//! `bothy outcomes` end to end: the built binary, the shipped instrument
//! catalogue, a file of several episodes (one of them bad), standard input,
//! and the exit codes.

use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bothy(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bothy"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("BOTHY_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars() {
        if key.starts_with("BOTHY__") {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd.spawn().expect("run bothy");
    let mut pipe = child.stdin.take().expect("stdin");
    pipe.write_all(stdin.unwrap_or("").as_bytes())
        .expect("write stdin");
    drop(pipe);
    child.wait_with_output().expect("bothy output")
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn episodes() -> Value {
    json!([
        {
            "id": "recovered",
            "problem_descriptor": "depression",
            "referral_ended": true,
            "treatment_appointments_attended": 6,
            "measurements": [
                {"date": "2026-01-05", "appointment": "assessment", "scores": {"phq9": 18, "gad7": 14}},
                // A middle PHQ-9 with an unanswered item: not valid, ignored.
                {"date": "2026-02-02", "appointment": "treatment",
                 "items": {"phq9": [2, 2, 2, 1, null, 1, 1, 1, 0]}, "scores": {"gad7": 9}},
                {"date": "2026-03-02", "appointment": "treatment",
                 "items": {"phq9": [1, 1, 1, 1, 1, 1, 0, 0, 0]}, "scores": {"gad7": 5}}
            ]
        },
        {
            "id": "social-fallback",
            "problem_descriptor": "social_anxiety",
            "referral_ended": true,
            "treatment_appointments_attended": 8,
            "measurements": [
                {"date": "2026-01-05", "appointment": "assessment", "scores": {"phq9": 9, "gad7": 12, "spin": 40}},
                {"date": "2026-03-02", "appointment": "treatment", "scores": {"phq9": 12, "gad7": 5}}
            ]
        },
        {
            "id": "bad",
            "problem_descriptor": "depression",
            "referral_ended": true,
            "treatment_appointments_attended": 4,
            "measurements": [
                {"date": "2026-01-05", "appointment": "assessment", "scores": {"phq10": 18}},
                {"date": "2026-03-02", "appointment": "treatment", "items": {"gad7": [0, 1, 4, 0, 0, 0, 0]}}
            ]
        },
        {
            "id": "one-session",
            "problem_descriptor": "generalised_anxiety",
            "referral_ended": true,
            "treatment_appointments_attended": 1,
            "measurements": [
                {"date": "2026-01-05", "appointment": "assessment", "scores": {"phq9": 7, "gad7": 15}},
                {"date": "2026-01-19", "appointment": "treatment", "scores": {"phq9": 6, "gad7": 13}}
            ]
        },
        {
            "id": "agoraphobia-at-cut-off",
            "problem_descriptor": "agoraphobia",
            "referral_ended": true,
            "treatment_appointments_attended": 10,
            "measurements": [
                {"date": "2026-01-05", "appointment": "assessment", "scores": {"phq9": 5, "mi": 2.3}},
                {"date": "2026-04-06", "appointment": "treatment", "scores": {"phq9": 4, "mi": 1.2}}
            ]
        }
    ])
}

fn by_id<'a>(results: &'a [Value], id: &str) -> &'a Value {
    results
        .iter()
        .find(|r| r["id"] == json!(id))
        .unwrap_or_else(|| panic!("no result for {id}: {results:#?}"))
}

fn notes(r: &Value) -> Vec<&str> {
    r["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| n.as_str().expect("a note is a string"))
        .collect()
}

#[test]
fn classifies_a_file_of_episodes_and_reports_the_bad_one() {
    let dir = fresh_dir("outcomes-file");
    let file = dir.join("episodes.json");
    std::fs::write(&file, serde_json::to_string_pretty(&episodes()).unwrap()).unwrap();
    let out = bothy(&dir, &["outcomes", file.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(results.len(), 5);
    let ids: Vec<&str> = results.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "recovered",
            "social-fallback",
            "bad",
            "one-session",
            "agoraphobia-at-cut-off"
        ],
        "results keep the input order"
    );

    let r = by_id(&results, "recovered");
    assert_eq!(
        r,
        &json!({
            "id": "recovered",
            "finished_treatment": true,
            "anxiety_measure": "gad7",
            "at_caseness": true,
            "recovered": true,
            "reliable_improvement": true,
            "reliable_recovery": true,
            "reliable_deterioration": false,
            "notes": r["notes"].clone(),
        })
    );
    let n = notes(r);
    assert!(
        n.iter()
            .any(|n| n.contains("measurement 2 (2026-02-02): phq9 is not a valid score")),
        "{n:?}"
    );
    assert!(
        n.contains(&"PHQ-9: first 18 on 2026-01-05, last 6 on 2026-03-02"),
        "{n:?}"
    );
    assert!(
        n.contains(&"GAD-7: first 14 on 2026-01-05, last 5 on 2026-03-02"),
        "{n:?}"
    );

    // SPIN has no pair: GAD-7 is used; PHQ-9 rose by 3 (not reliable) and
    // ended at caseness, so not recovered, but GAD-7 reliably improved.
    let r = by_id(&results, "social-fallback");
    assert_eq!(r["anxiety_measure"], json!("gad7"));
    assert_eq!(r["at_caseness"], json!(true));
    assert_eq!(r["recovered"], json!(false));
    assert_eq!(r["reliable_improvement"], json!(true));
    assert_eq!(r["reliable_recovery"], json!(false));
    assert!(
        notes(r)
            .iter()
            .any(|n| n.contains("GAD-7 is used as the anxiety measure instead"))
    );

    let r = by_id(&results, "bad");
    for field in [
        "finished_treatment",
        "anxiety_measure",
        "at_caseness",
        "recovered",
        "reliable_improvement",
        "reliable_recovery",
        "reliable_deterioration",
    ] {
        assert_eq!(r[field], Value::Null, "{field}");
    }
    let n = notes(r);
    assert!(
        n.iter().any(|n| n.contains("unknown instrument \"phq10\"")),
        "{n:?}"
    );
    assert!(
        n.iter()
            .any(|n| n.contains("gad7 items: item 3: 4 is not one of")),
        "{n:?}"
    );

    let r = by_id(&results, "one-session");
    assert_eq!(r["finished_treatment"], json!(false));
    assert_eq!(r["at_caseness"], json!(true));
    assert_eq!(r["recovered"], Value::Null);
    assert_eq!(r["reliable_improvement"], Value::Null);
    assert!(notes(r).iter().any(|n| n.contains("at least 2 are needed")));

    // 2.3 on the Mobility Inventory is not above its cut-off of 2.3.
    let r = by_id(&results, "agoraphobia-at-cut-off");
    assert_eq!(r["anxiety_measure"], json!("mi"));
    assert_eq!(r["at_caseness"], json!(false));
    assert_eq!(r["recovered"], Value::Null);
    assert_eq!(r["reliable_improvement"], json!(true));
    assert_eq!(r["reliable_deterioration"], json!(false));
}

#[test]
fn reads_standard_input_and_exits_zero_when_all_is_well() {
    let dir = fresh_dir("outcomes-stdin");
    let clean: Vec<Value> = episodes()
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["id"] != json!("bad"))
        .cloned()
        .collect();
    let out = bothy(
        &dir,
        &["outcomes"],
        Some(&serde_json::to_string(&clean).unwrap()),
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.len(), 4);

    let out = bothy(&dir, &["outcomes"], Some("[]"));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        json!([])
    );
}

#[test]
fn unreadable_input_is_exit_one_with_a_message() {
    let dir = fresh_dir("outcomes-bad-json");
    let out = bothy(&dir, &["outcomes"], Some("[{\"id\": \"x\","));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not valid JSON"), "{err}");
    assert!(out.stdout.is_empty());

    let out = bothy(&dir, &["outcomes"], Some("{\"id\": \"x\"}"));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be a JSON array"));

    let out = bothy(&dir, &["outcomes", "no-such-file.json"], None);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read no-such-file.json"));
}
