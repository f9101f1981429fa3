//! The binary end to end: configuration layers, and the administration
//! commands against a fresh SQLite database.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bothy(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bothy"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("BOTHY_CONFIG");
    for (key, _) in std::env::vars() {
        if key.starts_with("BOTHY__") {
            cmd.env_remove(key);
        }
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("run bothy")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn configuration_layers_apply_in_order_and_hide_passwords() {
    let dir = fresh_dir("cli-config");
    std::fs::write(
        dir.join("bothy.toml"),
        "[server]\nlisten = '127.0.0.1:7000'\ndata_dir = '/srv/file'\n[log]\nlevel = 'debug'\n",
    )
    .unwrap();
    let env = [
        ("BOTHY__SERVER__LISTEN", "127.0.0.1:7001"),
        ("BOTHY__SECURITY__STAFF_IDLE_MINUTES", "20"),
        ("DATABASE_URL", "postgres://bothy:s3cret@db/bothy"),
    ];
    let out = bothy(&dir, &["config", "show", "--data-dir", "/srv/flag"], &env);
    assert!(out.status.success(), "{out:?}");
    let shown: toml::Value = toml::from_str(&stdout(&out)).expect("config show prints TOML");
    assert_eq!(
        shown["server"]["listen"].as_str(),
        Some("127.0.0.1:7001"),
        "env beats file"
    );
    assert_eq!(
        shown["server"]["data_dir"].as_str(),
        Some("/srv/flag"),
        "flag beats file"
    );
    assert_eq!(
        shown["server"]["public_url"].as_str(),
        Some("http://127.0.0.1:7001")
    );
    assert_eq!(
        shown["log"]["level"].as_str(),
        Some("debug"),
        "file beats default"
    );
    assert_eq!(
        shown["security"]["staff_idle_minutes"].as_integer(),
        Some(20)
    );
    assert_eq!(
        shown["database"]["url"].as_str(),
        Some("postgres://bothy:***@db/bothy")
    );

    let out = bothy(
        &dir,
        &["config", "show"],
        &[("BOTHY__SECURITY__STAFF_IDLE_MINUTES", "0")],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("security.staff_idle_minutes"),
        "{out:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn administration_commands_work_on_a_fresh_database() {
    let dir = fresh_dir("cli-admin");
    let ok = |args: &[&str]| {
        let out = bothy(
            &dir,
            args,
            &[("BOTHY__SERVER__PUBLIC_URL", "https://bothy.example.org")],
        );
        assert!(out.status.success(), "{args:?}: {out:?}");
        stdout(&out)
    };
    assert!(ok(&["migrate"]).contains("SQLite"));
    ok(&[
        "admin",
        "create-service",
        "--slug",
        "pilot",
        "--name",
        "Pilot service",
    ]);
    let staff = ok(&[
        "admin",
        "create-staff",
        "--service",
        "pilot",
        "--email",
        "ann@nhs.test",
        "--name",
        "Ann Other",
        "--role",
        "supporter",
    ]);
    assert!(
        staff.contains("https://bothy.example.org/enrol/"),
        "{staff}"
    );
    let client = ok(&[
        "admin",
        "create-api-client",
        "--service",
        "pilot",
        "--name",
        "GP system",
        "--permission",
        "patient.read",
    ]);
    assert!(
        client.contains("bothy_") && client.contains("only this once"),
        "{client}"
    );
    let id = client.split_whitespace().nth(3).expect("client id");
    ok(&["admin", "revoke-api-client", id]);
    assert!(ok(&["audit", "verify"]).contains("4 events"));

    let out = bothy(
        &dir,
        &[
            "admin",
            "create-service",
            "--slug",
            "pilot",
            "--name",
            "Again",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--slug"),
        "{out:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_notify_setting_stops_start_up_without_showing_the_key() {
    let dir = fresh_dir("cli-notify");
    let data = dir.join("data");
    let data = data.to_str().unwrap();
    let secret = "3d844edf-8d35-48ac-975b-e847b4f122b0";
    let template = (
        "BOTHY__NOTIFY__SERVICES__PILOT__SMS_TEMPLATE_ID",
        "f33517ff-2a88-4f6e-b855-c550268ce08a",
    );
    // A key cut short: refused before anything starts, naming the field.
    let out = bothy(
        &dir,
        &["worker", "--data-dir", data],
        &[
            (
                "BOTHY__NOTIFY__SERVICES__PILOT__API_KEY",
                &format!(
                    "live-26785a09-ab16-4eb0-8407-a37497a57506-{}",
                    &secret[..30]
                ),
            ),
            template,
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{out:?}");
    assert!(stderr.contains("notify.services.pilot.api_key"), "{stderr}");
    assert!(!stderr.contains(&secret[..30]), "{stderr}");
    // A good key for a service that does not exist.
    let out = bothy(
        &dir,
        &["worker", "--data-dir", data],
        &[
            (
                "BOTHY__NOTIFY__SERVICES__PILOT__API_KEY",
                &format!("live-26785a09-ab16-4eb0-8407-a37497a57506-{secret}"),
            ),
            template,
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{out:?}");
    assert!(stderr.contains("notify.services.pilot"), "{stderr}");
    assert!(!stderr.contains(secret), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_deprivation_lookup_is_imported_from_a_file_and_a_bad_line_is_named() {
    let dir = fresh_dir("cli-deprivation");
    let run = |args: &[&str]| bothy(&dir, args, &[]);
    assert!(run(&["migrate"]).status.success());
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/simd_postcodes.csv");
    let out = run(&[
        "admin",
        "import-deprivation",
        "--edition",
        "simd2020v2",
        "--file",
        fixture.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout(&out).contains("SIMD 2020v2 (4 postcodes)"),
        "{out:?}"
    );
    std::fs::write(
        dir.join("bad.csv"),
        "postcode,decile\nEH1 1AA,3\nEH1 1AB,0\n",
    )
    .unwrap();
    let out = run(&[
        "admin",
        "import-deprivation",
        "--edition",
        "simd2020v2",
        "--file",
        "bad.csv",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--file") && err.contains("line 3"), "{err}");
    let out = run(&[
        "admin",
        "import-deprivation",
        "--edition",
        "simd2016",
        "--file",
        "bad.csv",
    ]);
    assert!(!out.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}
