//! Clinical content built into the binary: the instrument files under
//! `content/instruments/`, embedded so that Bothy works from any directory,
//! and a deployment's own files read from its configured directory.

use bothy_domain::instruments::load::parse;
use bothy_domain::instruments::{Catalogue, ContentError};
use std::path::Path;

/// Every built-in instrument file, by file name.
pub const DEFAULT_INSTRUMENTS: &[(&str, &str)] = &[
    (
        "phq9.toml",
        include_str!("../../../content/instruments/phq9.toml"),
    ),
    (
        "gad7.toml",
        include_str!("../../../content/instruments/gad7.toml"),
    ),
    (
        "phq2.toml",
        include_str!("../../../content/instruments/phq2.toml"),
    ),
    (
        "gad2.toml",
        include_str!("../../../content/instruments/gad2.toml"),
    ),
    (
        "wsas.toml",
        include_str!("../../../content/instruments/wsas.toml"),
    ),
    (
        "phq15.toml",
        include_str!("../../../content/instruments/phq15.toml"),
    ),
    (
        "isi.toml",
        include_str!("../../../content/instruments/isi.toml"),
    ),
    (
        "pdss.toml",
        include_str!("../../../content/instruments/pdss.toml"),
    ),
    (
        "ocir.toml",
        include_str!("../../../content/instruments/ocir.toml"),
    ),
    (
        "spin.toml",
        include_str!("../../../content/instruments/spin.toml"),
    ),
    (
        "minispin.toml",
        include_str!("../../../content/instruments/minispin.toml"),
    ),
    (
        "iesr.toml",
        include_str!("../../../content/instruments/iesr.toml"),
    ),
    (
        "pcl5.toml",
        include_str!("../../../content/instruments/pcl5.toml"),
    ),
    (
        "epds.toml",
        include_str!("../../../content/instruments/epds.toml"),
    ),
    (
        "core10.toml",
        include_str!("../../../content/instruments/core10.toml"),
    ),
    (
        "swemwbs.toml",
        include_str!("../../../content/instruments/swemwbs.toml"),
    ),
    (
        "mi.toml",
        include_str!("../../../content/instruments/mi.toml"),
    ),
    (
        "shai.toml",
        include_str!("../../../content/instruments/shai.toml"),
    ),
    (
        "mood.toml",
        include_str!("../../../content/instruments/mood.toml"),
    ),
];

/// The built-in instruments. Panics only if a shipped file is invalid, which
/// the tests forbid.
pub fn default_catalogue() -> Catalogue {
    Catalogue::from_sources(DEFAULT_INSTRUMENTS).unwrap_or_else(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!(
            "the built-in instrument files are invalid:\n{}",
            lines.join("\n")
        )
    })
}

/// Reads every `.toml` file in `dir` (not its subdirectories), in name order,
/// as `(path, text)` pairs. A file that cannot be read is an error naming it;
/// a directory that cannot be read names the `setting` that points to it.
pub fn read_toml_dir(
    dir: &Path,
    setting: &str,
) -> Result<Vec<(String, String)>, Vec<ContentError>> {
    let dir_error = |message: String| {
        vec![ContentError {
            file: dir.display().to_string(),
            field: setting.to_string(),
            message,
        }]
    };
    let entries =
        std::fs::read_dir(dir).map_err(|e| dir_error(format!("cannot read the directory: {e}")))?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| dir_error(format!("cannot list the directory: {e}")))?;
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "toml") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::read_to_string(&path) {
            Ok(text) => files.push((path.display().to_string(), text)),
            Err(e) => errors.push(ContentError {
                file: path.display().to_string(),
                field: "(file)".to_string(),
                message: format!("cannot read: {e}"),
            }),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

/// What loading the built-in instruments and a deployment's directory found.
#[derive(Debug, Clone)]
pub struct CatalogueReport {
    /// The instruments in effect: the built-in ones, with every valid
    /// deployment file applied.
    pub catalogue: Catalogue,
    /// Every problem found, in the built-in files or the deployment's.
    pub errors: Vec<ContentError>,
}

/// Loads the built-in instruments and, when `dir` is given, applies a
/// deployment's files from it. Every problem is collected: an invalid
/// deployment file is reported and left out, so that the report lists what
/// would otherwise be in effect. Bothy must not start while `errors` is
/// non-empty.
pub fn check_catalogue(dir: Option<&Path>) -> CatalogueReport {
    let mut errors = Vec::new();
    let defaults = match Catalogue::from_sources(DEFAULT_INSTRUMENTS) {
        Ok(c) => c,
        Err(mut e) => {
            errors.append(&mut e);
            Catalogue::default()
        }
    };
    let Some(dir) = dir else {
        return CatalogueReport {
            catalogue: defaults,
            errors,
        };
    };
    let files = match read_toml_dir(dir, "content.instruments_dir") {
        Ok(files) => files,
        Err(mut e) => {
            errors.append(&mut e);
            Vec::new()
        }
    };
    // Each file on its own first, so one bad file does not hide the others.
    let mut valid = Vec::new();
    for (name, text) in files {
        match parse(&name, &text) {
            Ok(_) => valid.push((name, text)),
            Err(mut e) => errors.append(&mut e),
        }
    }
    let catalogue = match Catalogue::with_overrides(defaults.clone(), &valid) {
        Ok(c) => c,
        Err(mut e) => {
            errors.append(&mut e);
            defaults
        }
    };
    CatalogueReport { catalogue, errors }
}

/// The instruments to run with: the built-in ones and a deployment's files,
/// or every problem found.
pub fn load_catalogue(dir: Option<&Path>) -> Result<Catalogue, Vec<ContentError>> {
    let report = check_catalogue(dir);
    if report.errors.is_empty() {
        Ok(report.catalogue)
    } else {
        Err(report.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/instruments")
    }

    #[test]
    fn every_shipped_instrument_file_is_embedded_and_valid() {
        let catalogue = default_catalogue();
        assert_eq!(catalogue.len(), DEFAULT_INSTRUMENTS.len());
        let mut on_disk: Vec<String> = std::fs::read_dir(content_dir())
            .expect("content/instruments")
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = DEFAULT_INSTRUMENTS
            .iter()
            .map(|(n, _)| n.to_string())
            .collect();
        embedded.sort();
        assert_eq!(
            embedded, on_disk,
            "DEFAULT_INSTRUMENTS must list every file"
        );
        for id in [
            "phq9", "gad7", "phq2", "gad2", "wsas", "phq15", "isi", "pdss", "ocir", "spin",
            "minispin", "iesr", "pcl5", "epds", "core10", "swemwbs", "mi", "shai", "mood",
        ] {
            assert!(catalogue.get(id).is_some(), "{id} is built in");
        }
    }

    #[test]
    fn a_deployment_directory_overrides_and_reports_bad_files() {
        let dir = std::env::temp_dir().join(format!("bothy-content-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let phq9 = DEFAULT_INSTRUMENTS
            .iter()
            .find(|(n, _)| *n == "phq9.toml")
            .unwrap()
            .1;
        std::fs::write(
            dir.join("phq9.toml"),
            phq9.replace("version = \"2026.11.1\"", "version = \"local\""),
        )
        .unwrap();
        std::fs::write(dir.join("notes.txt"), "not an instrument").unwrap();
        let catalogue = load_catalogue(Some(&dir)).expect("valid override");
        assert_eq!(catalogue.get("phq9").unwrap().version, "local");
        assert!(catalogue.is_overridden("phq9"));

        let gad7 = DEFAULT_INSTRUMENTS
            .iter()
            .find(|(n, _)| *n == "gad7.toml")
            .unwrap()
            .1;
        std::fs::write(
            dir.join("gad7.toml"),
            gad7.replace("value = 8", "value = 80"),
        )
        .unwrap();
        let report = check_catalogue(Some(&dir));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(report.errors.len(), 1, "{:#?}", report.errors);
        assert!(report.errors[0].file.ends_with("gad7.toml"));
        assert_eq!(report.errors[0].field, "caseness.value");
        // The valid file still applies; the bad one is left out.
        assert_eq!(report.catalogue.get("phq9").unwrap().version, "local");
        assert!(!report.catalogue.is_overridden("gad7"));

        let missing = check_catalogue(Some(Path::new("/no/such/bothy/instruments")));
        assert_eq!(missing.errors[0].field, "content.instruments_dir");
        assert_eq!(missing.catalogue.len(), DEFAULT_INSTRUMENTS.len());
    }
}
