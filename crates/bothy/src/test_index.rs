//! Finds the tests in the source tree, for the hazard log's references
//! (`bothy safety report`): `PATH::NAME` for every Rust test in
//! `crates/*/src` and `crates/*/tests`, and every browser test in
//! `tests/browser/tests`. Reads text only; it compiles nothing, so it knows
//! the forms used here and no others:
//!
//! - a function after `#[test]` or `#[tokio::test(...)]` (`#[ignore]` among
//!   its attributes marks it as never run; `cfg_attr(..., ignore)` does not);
//! - a function named in `both_dbs!(...)`, `both_dbs_with!(settings; ...)`,
//!   `both_dbs_service!(settings; ...)`, `both!(...)` or `on_both_dbs!(...)`,
//!   which run it on both databases, or `smtp_tests!(...)` and
//!   `kannel_tests!(...)`, which do so against the test SMTP server and the
//!   test Kannel;
//! - `export const NAME = test(...)` in a browser test file, run when
//!   `tests/browser/run.mjs` names it.
//!
//! A test in another form is not found, and a log citing it fails: the safe
//! way round.

use bothy_domain::safety_case::{KnownTests, TestStatus};
use std::path::Path;

const TEST_MACROS: [&str; 7] = [
    "both_dbs!(",
    "both_dbs_with!(",
    "both_dbs_service!(",
    "both!(",
    "on_both_dbs!(",
    "smtp_tests!(",
    "kannel_tests!(",
];

/// The tests in one Rust file, as (name, status).
pub fn rust_tests(text: &str) -> Vec<(String, TestStatus)> {
    let mut found = Vec::new();
    let mut pending: Option<TestStatus> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with("//") {
            continue;
        }
        if line.starts_with("#[test]") || line.starts_with("#[tokio::test") {
            pending = Some(TestStatus::Runs);
        } else if pending.is_some() && line.starts_with("#[ignore") {
            pending = Some(TestStatus::NotRun("marked #[ignore]".into()));
        }
        if let Some(status) = &pending
            && let Some(name) = fn_name(line)
        {
            found.push((name.to_string(), status.clone()));
            pending = None;
        }
    }
    for mac in TEST_MACROS {
        for (at, _) in text.match_indices(mac) {
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // `on_both_dbs!(` is not `both_dbs!(`
            }
            let args = &text[at + mac.len()..];
            let Some(end) = args.find(')') else { continue };
            let args = &args[..end];
            let names = args.rsplit_once(';').map_or(args, |(_, names)| names);
            for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                if text.contains(&format!("fn {name}(")) {
                    found.push((name.to_string(), TestStatus::Runs));
                }
            }
        }
    }
    found
}

/// `async fn name(` or `fn name<T>(` on this line: `name`.
fn fn_name(line: &str) -> Option<&str> {
    let start = line.find("fn ")? + 3;
    if start > 3 && !line[..start - 3].ends_with(' ') {
        return None;
    }
    let rest = &line[start..];
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    (end > 0).then(|| &rest[..end])
}

/// The tests in one browser test file, given the text of `run.mjs`.
pub fn browser_tests(text: &str, run_mjs: &str) -> Vec<(String, TestStatus)> {
    text.lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("export const ")?;
            let (name, rest) = rest.split_once('=')?;
            rest.trim_start().starts_with("test(").then(|| name.trim())
        })
        .map(|name| {
            let listed = run_mjs.split(|c: char| !(c.is_alphanumeric() || c == '_'));
            let status = if listed.filter(|w| *w == name).count() >= 2 {
                TestStatus::Runs // imported, and named in the list
            } else {
                TestStatus::NotRun("not in the list tests/browser/run.mjs runs".into())
            };
            (name.to_string(), status)
        })
        .collect()
}

/// Every test under `root` (the repository), by `PATH::NAME`.
pub fn scan(root: &Path) -> std::io::Result<KnownTests> {
    let mut known = KnownTests::new();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root.join("crates"))? {
        let krate = krate?.path();
        for dir in ["src", "tests"] {
            walk(&krate.join(dir), "rs", &mut files)?;
        }
    }
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        let path = relative(root, &file);
        for (name, status) in rust_tests(&text) {
            known.insert(format!("{path}::{name}"), status);
        }
    }
    let browser = root.join("tests/browser");
    if browser.is_dir() {
        let run_mjs = std::fs::read_to_string(browser.join("run.mjs")).unwrap_or_default();
        let mut files = Vec::new();
        walk(&browser.join("tests"), "mjs", &mut files)?;
        for file in files {
            let text = std::fs::read_to_string(&file)?;
            let path = relative(root, &file);
            for (name, status) in browser_tests(&text, &run_mjs) {
                known.insert(format!("{path}::{name}"), status);
            }
        }
    }
    Ok(known)
}

fn walk(dir: &Path, ext: &str, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, ext, out)?;
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
    Ok(())
}

fn relative(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap_or(file);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(found: &[(String, TestStatus)]) -> Vec<&str> {
        found.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn finds_attribute_and_macro_tests_and_marks_ignored_ones() {
        let text = r#"
both_dbs!(first, second,);
both_dbs_with!(settings; third);
on_both_dbs!(fourth);
both_dbs_service!(more; fifth);
async fn first(t: TestApp) {}
async fn second(t: TestApp) {}
async fn third(t: TestApp) {}
async fn fourth(db: Db) {}
async fn fifth(t: TestApp) {}
fn settings() {}

#[test]
fn plain() {}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(bothy_no_postgres, ignore = "not configured")]
async fn conditional() {}

#[test]
#[ignore]
fn slow() {}

// #[test]
// fn commented_out() {}
fn helper() {}
"#;
        let found = rust_tests(text);
        let mut n = names(&found);
        n.sort();
        assert_eq!(
            n,
            [
                "conditional",
                "fifth",
                "first",
                "fourth",
                "plain",
                "second",
                "slow",
                "third"
            ]
        );
        let slow = found.iter().find(|(n, _)| n == "slow").unwrap();
        assert_eq!(slow.1, TestStatus::NotRun("marked #[ignore]".into()));
        let conditional = found.iter().find(|(n, _)| n == "conditional").unwrap();
        assert_eq!(conditional.1, TestStatus::Runs);
    }

    #[test]
    fn a_macro_name_without_its_function_is_not_a_test() {
        assert!(rust_tests("both_dbs!(nowhere);").is_empty());
    }

    #[test]
    fn browser_tests_run_only_when_listed() {
        let file = "export const alerts = test('alerts: ...', async (scope) => {\nexport const spare = test('x', async () => {});\nexport const helper = 3;\n";
        let run = "import { alerts } from './tests/alerts.mjs';\nreturn [alerts];";
        let found = browser_tests(file, run);
        assert_eq!(names(&found), ["alerts", "spare"]);
        assert_eq!(found[0].1, TestStatus::Runs);
        assert!(matches!(found[1].1, TestStatus::NotRun(_)));
    }

    #[test]
    fn the_repository_has_the_tests_this_file_declares() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let known = scan(&root).unwrap();
        let here = "crates/bothy/src/test_index.rs::";
        assert_eq!(
            known.get(&format!(
                "{here}a_macro_name_without_its_function_is_not_a_test"
            )),
            Some(&TestStatus::Runs)
        );
        assert!(known.contains_key(
            "crates/bothy_web/tests/it/pages.rs::database_down_still_shows_crisis_contacts"
        ));
        assert!(known.contains_key("tests/browser/tests/alerts.mjs::alerts"));
    }
}
