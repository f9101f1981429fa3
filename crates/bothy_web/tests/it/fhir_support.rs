//! Collecting every FHIR resource a test sees and validating them with
//! Python `fhir.resources` 6.1.0 (FHIR R4 4.0.1), shared by the FHIR tests.

use crate::helpers::Resp;
use axum::http::header;
use bothy_domain::PatientId;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Every FHIR resource a test saw, kept for the validator.
pub struct Emitted {
    dir: PathBuf,
    n: AtomicUsize,
    /// Set when the validator finds invalid resources: they are kept to look at.
    keep_files: AtomicBool,
}

impl Drop for Emitted {
    fn drop(&mut self) {
        if !self.keep_files.load(Ordering::SeqCst) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Emitted {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("bothy-fhir-{}", PatientId::random()));
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            dir,
            n: AtomicUsize::new(0),
            keep_files: AtomicBool::new(false),
        }
    }

    /// The response's resource, after checking it is FHIR JSON; kept for validation.
    #[track_caller]
    pub fn keep(&self, label: &str, r: &Resp) -> Value {
        assert_eq!(
            r.headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/fhir+json"),
            "{label}: {}",
            r.body
        );
        let v = r.json();
        assert!(v["resourceType"].is_string(), "{label}: {}", r.body);
        let n = self.n.fetch_add(1, Ordering::SeqCst);
        std::fs::write(
            self.dir.join(format!("{n:03}-{label}.json")),
            serde_json::to_string_pretty(&v).unwrap(),
        )
        .unwrap();
        v
    }

    /// A resource served otherwise than as a response of its own (a line
    /// of a bulk export's NDJSON file); kept for validation.
    pub fn keep_value(&self, label: &str, v: &Value) {
        assert!(v["resourceType"].is_string(), "{label}: {v}");
        let n = self.n.fetch_add(1, Ordering::SeqCst);
        std::fs::write(
            self.dir.join(format!("{n:03}-{label}.json")),
            serde_json::to_string_pretty(v).unwrap(),
        )
        .unwrap();
    }

    /// Runs the validator over everything kept.
    pub fn validate(self) {
        let kept = self.n.load(Ordering::SeqCst);
        assert!(kept > 0);
        let python = python();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let script = root.join("tests/fhir/validate.py");
        let check = Command::new(&python).arg(&script).arg("--check").output();
        let importable = check.as_ref().is_ok_and(|o| o.status.success());
        if !importable {
            let why = match &check {
                Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
                Err(e) => e.to_string(),
            };
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must be able to validate FHIR resources with {python}: {why} (scripts/test installs fhir.resources)"
            );
            eprintln!(
                "note: FHIR validation skipped ({python}: {why}); run scripts/test, or set \
                 BOTHY_FHIR_PYTHON to a Python with fhir.resources 6.1.0"
            );
            return;
        }
        let out = Command::new(&python)
            .arg(&script)
            .arg(&self.dir)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        self.keep_files
            .store(!out.status.success(), Ordering::SeqCst);
        assert!(
            out.status.success(),
            "FHIR validation failed (resources kept in {}):\n{stdout}{}",
            self.dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("{kept} valid, 0 invalid")),
            "{stdout}"
        );
    }
}

/// The Python to validate with: `BOTHY_FHIR_PYTHON`, else the virtual
/// environment scripts/test makes, else `python3`.
fn python() -> String {
    if let Ok(p) = std::env::var("BOTHY_FHIR_PYTHON") {
        return p;
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fhir-venv/bin/python");
    if venv.exists() {
        return venv.display().to_string();
    }
    "python3".into()
}
