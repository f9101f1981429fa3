//! The layering ARCHITECTURE.md promises, checked on the sources: the web
//! and worker crates never see a database type (no dependency on
//! `bothy_store` outside their tests) and never reach past the use cases
//! into the store (`app.store()` is for operations commands and tests).

use std::path::{Path, PathBuf};

fn crate_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The manifest's `[dependencies]` section (not its dev-dependencies).
fn dependencies(manifest: &str) -> String {
    let start = manifest.find("[dependencies]").map_or(0, |i| i);
    let rest = &manifest[start..];
    let end = rest[1..].find("\n[").map_or(rest.len(), |i| i + 1);
    rest[..end].to_string()
}

#[test]
fn the_web_and_worker_crates_use_the_use_cases_only() {
    let mut problems = Vec::new();
    for name in ["bothy_web", "bothy_jobs"] {
        let dir = crate_dir(name);
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("manifest");
        if dependencies(&manifest).contains("bothy_store") {
            problems.push(format!("{name} depends on bothy_store"));
        }
        let mut files = Vec::new();
        rust_files(&dir.join("src"), &mut files);
        assert!(!files.is_empty(), "no sources found for {name}");
        for file in files {
            let text = std::fs::read_to_string(&file).expect("source");
            // Unit tests at the end of a file may arrange the database.
            let code = text
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap_or_default();
            for (n, line) in code.lines().enumerate() {
                if line.contains(".store()") || line.contains("bothy_store::") {
                    problems.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_finds_a_dependency_and_ignores_dev_dependencies() {
    let m = "[package]\nname = \"x\"\n\n[dependencies]\nbothy_app.workspace = true\n\n[dev-dependencies]\nbothy_store.workspace = true\n";
    assert!(!dependencies(m).contains("bothy_store"));
    let m = "[dependencies]\nbothy_store.workspace = true\n";
    assert!(dependencies(m).contains("bothy_store"));
}
