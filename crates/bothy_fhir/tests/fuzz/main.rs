//! Fuzzing the FHIR mapping on stable Rust with proptest: every resource a
//! client can send (QuestionnaireResponse, ServiceRequest, search dates) is
//! read from arbitrary JSON and from mutations of valid resources, and must
//! give its issues, never a panic; what maps in and back out must be the
//! same. `BOTHY_FUZZ_CASES` sets the inputs per target; RELIABILITY.md
//! ("Fuzzing") records the long run.

mod mutate;
mod response;
mod search;
mod service_request;

use bothy_domain::instruments::Catalogue;
use proptest::test_runner::Config;
use std::sync::OnceLock;

pub const BASE: &str = "https://bothy.example/fhir";

/// `default` cases unless `BOTHY_FUZZ_CASES` says otherwise.
pub fn config(default: u32) -> Config {
    let cases = std::env::var("BOTHY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Config {
        max_shrink_iters: 256,
        ..Config::with_cases(cases)
    }
}

/// The shipped instruments (tests may read files; the crate does not).
pub fn catalogue() -> &'static Catalogue {
    static C: OnceLock<Catalogue> = OnceLock::new();
    C.get_or_init(|| {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/instruments");
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                files.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
        Catalogue::from_sources(&files).unwrap()
    })
}
