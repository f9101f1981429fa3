//! `bothy content check` end to end: the built-in instruments, and a
//! deployment's directory with a good and a broken file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PHQ9: &str = include_str!("../../../content/instruments/phq9.toml");
const GAD7: &str = include_str!("../../../content/instruments/gad7.toml");

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
fn content_check_passes_on_the_built_in_instruments() {
    let dir = fresh_dir("content-builtin");
    let out = bothy(&dir, &["content", "check"], &[]);
    let text = stdout(&out);
    assert!(out.status.success(), "{out:?}");
    for id in [
        "phq9", "gad7", "phq2", "gad2", "wsas", "phq15", "isi", "pdss", "ocir", "spin", "minispin",
        "iesr", "pcl5", "epds", "core10", "swemwbs", "mi", "shai", "mood",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{id} "))),
            "no line for {id} in\n{text}"
        );
    }
    let phq9 = text.lines().find(|l| l.starts_with("phq9 ")).unwrap();
    assert!(
        phq9.contains("version 2026.11.1")
            && phq9.contains(" 9 items")
            && phq9.contains("official wording")
            && phq9.contains("2 defaults to check"),
        "{phq9}"
    );
    let spin = text.lines().find(|l| l.starts_with("spin ")).unwrap();
    assert!(spin.contains("paraphrased"), "{spin}");
    assert!(
        text.contains("19 instruments checked: no problems found."),
        "{text}"
    );
}

#[test]
fn content_check_reports_a_broken_deployment_file_by_name_and_field() {
    let dir = fresh_dir("content-deployment");
    let instruments = dir.join("local-instruments");
    std::fs::create_dir_all(&instruments).unwrap();
    // A valid replacement applies...
    std::fs::write(
        instruments.join("phq9.toml"),
        PHQ9.replace("version = \"2026.11.1\"", "version = \"local-2\""),
    )
    .unwrap();
    std::fs::write(
        dir.join("bothy.toml"),
        "[content]\ninstruments_dir = 'local-instruments'\n",
    )
    .unwrap();
    let out = bothy(&dir, &["content", "check"], &[]);
    let text = stdout(&out);
    assert!(out.status.success(), "{out:?}");
    let phq9 = text.lines().find(|l| l.starts_with("phq9 ")).unwrap();
    assert!(
        phq9.contains("version local-2")
            && phq9.contains("replaced by")
            && phq9.contains("phq9.toml"),
        "{phq9}"
    );

    // ...and a broken one is named with its field, failing the check.
    std::fs::write(
        instruments.join("gad7.toml"),
        GAD7.replace("value = 8", "value = 22"),
    )
    .unwrap();
    let out = bothy(&dir, &["content", "check"], &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let error = text
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line in\n{text}"));
    assert!(
        error.contains("gad7.toml: caseness.value: 22 is outside the total range 0 to 21"),
        "{error}"
    );
    assert!(text.contains("1 problem found"), "{text}");

    // The directory can also come from the environment.
    let out = bothy(
        &dir,
        &["content", "check"],
        &[("BOTHY__CONTENT__INSTRUMENTS_DIR", "/no/such/instruments")],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stdout(&out).contains("content.instruments_dir"),
        "{}",
        stdout(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn monitoring_settings_that_make_no_sense_stop_start_up_naming_file_and_field() {
    let dir = fresh_dir("content-monitoring");
    let monitoring = dir.join("monitoring");
    std::fs::create_dir_all(&monitoring).unwrap();
    std::fs::write(
        dir.join("bothy.toml"),
        "[content]\nmonitoring_dir = 'monitoring'\n",
    )
    .unwrap();
    std::fs::write(
        monitoring.join("demo.toml"),
        "[opening_hours]\ntime_zone = \"Europe/London\"\n\n[detectors.disengagement]\ndays = 21\n",
    )
    .unwrap();
    let out = bothy(&dir, &["content", "check"], &[]);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("Monitoring settings from"), "{out:?}");

    std::fs::write(
        monitoring.join("default.toml"),
        "[detectors.mood_drop]\nk = -1.0\n\n[detectors.not_on_track]\ninstruments = [\"phq99\"]\n",
    )
    .unwrap();
    let out = bothy(&dir, &["content", "check"], &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        text.contains("default.toml: detectors.mood_drop.k"),
        "{text}"
    );
    assert!(
        text.contains(
            "default.toml: detectors.not_on_track.instruments[0]: unknown instrument \"phq99\""
        ),
        "{text}"
    );
    // The server refuses to start with them, saying the same.
    let out = bothy(&dir, &["serve", "--listen", "127.0.0.1:0"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{out:?}");
    assert!(err.contains("detectors.mood_drop.k"), "{err}");
}

#[test]
fn content_check_shows_the_crisis_contacts_and_warns_when_their_review_is_due() {
    let dir = fresh_dir("content-crisis");
    let out = bothy(&dir, &["content", "check"], &[]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout(&out).contains("Crisis contacts: version 2026.11.1, reviewed 2026-11-21 by"),
        "{}",
        stdout(&out)
    );
    let file = dir.join("crisis.toml");
    std::fs::write(
        &file,
        "version='7'\nreviewed='2020-01-01'\nreviewed_by='A CSO'\nheading='h'\n\
         [[contacts]]\nname='A'\nhow='Call 999'\nlink='tel:999'\nwhen='w'\n",
    )
    .unwrap();
    let env = [("BOTHY__CONTENT__CRISIS_CONTACTS", file.to_str().unwrap())];
    let out = bothy(&dir, &["content", "check"], &env);
    let text = stdout(&out);
    assert!(out.status.success(), "a warning, not a failure: {out:?}");
    assert!(
        text.contains("Crisis contacts: version 7, reviewed 2020-01-01 by A CSO")
            && text.contains(
                "warning: crisis contacts are due for review: last reviewed on 2020-01-01"
            ),
        "{text}"
    );
    std::fs::write(&file, "version='7'\ncontacts=[]\n").unwrap();
    let out = bothy(&dir, &["content", "check"], &env);
    assert!(!out.status.success(), "{out:?}");
    assert!(
        stdout(&out).contains("content.crisis_contacts"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn content_check_lists_the_shipped_programmes_and_names_file_and_line_of_a_broken_one() {
    let dir = fresh_dir("content-programmes");
    let out = bothy(&dir, &["content", "check"], &[]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    for id in [
        "low-mood",
        "worry",
        "panic",
        "social-anxiety",
        "ocd",
        "insomnia",
        "phobias",
        "stress",
        "relaxation",
        "sleep-hygiene",
        "coping-with-stress",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{id} "))),
            "no line for {id} in\n{text}"
        );
    }
    assert!(
        text.contains("11 programmes checked: no problems found."),
        "{text}"
    );

    // A deployment replaces low-mood with a broken copy and adds nothing else.
    let own = dir.join("programmes");
    let low = own.join("low-mood");
    std::fs::create_dir_all(&low).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/programmes/low-mood");
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, low.join(path.file_name().unwrap())).unwrap();
    }
    let module = low.join("01-getting-started.md");
    let text = std::fs::read_to_string(&module).unwrap();
    let broken = text.replacen("{{tool: goals}}", "{{tool: mood-ring}}", 1);
    assert_ne!(broken, text, "the shipped module embeds the goals tool");
    std::fs::write(&module, &broken).unwrap();
    let line = broken
        .lines()
        .position(|l| l.contains("mood-ring"))
        .unwrap()
        + 1;
    let out = bothy(
        &dir,
        &["content", "check"],
        &[("BOTHY__CONTENT__PROGRAMMES_DIR", own.to_str().unwrap())],
    );
    let text = stdout(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "error: low-mood/01-getting-started.md:{line}: unknown tool \"mood-ring\""
        )),
        "{text}"
    );
}
