//! The programmes a deployment offers: the shipped ones, compiled in, and
//! any from its own folder (`content.programmes_dir`), which add a
//! programme or replace the shipped one with the same id. Read once at
//! start and by `bothy content check`.

use bothy_domain::instruments::load::Catalogue;
use bothy_domain::programmes::{Problem, Programme, Source, load};
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/builtin_programmes.rs"));

/// The shipped programmes' files.
pub fn builtin_sources() -> Vec<Source> {
    BUILTIN_PROGRAMMES
        .iter()
        .map(|(id, files)| {
            let files = files
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect();
            (id.to_string(), files)
        })
        .collect()
}

/// Each folder in `dir` (a programme), with its Markdown files.
pub fn read_dir_sources(dir: &Path) -> Result<Vec<Source>, Problem> {
    let unreadable = |what: &Path, e: std::io::Error| Problem {
        file: what.display().to_string(),
        line: 0,
        message: format!("cannot read content.programmes_dir: {e}"),
    };
    let mut folders: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    let mut sources = Vec::new();
    for folder in folders {
        let id = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&folder).map_err(|e| unreadable(&folder, e))? {
            let path = entry.map_err(|e| unreadable(&folder, e))?.path();
            if path.extension().is_some_and(|x| x == "md") {
                let text = std::fs::read_to_string(&path).map_err(|e| unreadable(&path, e))?;
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                files.push((name, text));
            }
        }
        files.sort();
        sources.push((id, files));
    }
    Ok(sources)
}

/// The programmes in effect and every problem found.
pub fn load_programmes(
    dir: Option<&Path>,
    catalogue: &Catalogue,
) -> (Vec<Programme>, Vec<Problem>) {
    let mut sources = builtin_sources();
    if let Some(dir) = dir {
        match read_dir_sources(dir) {
            Ok(mut own) => sources.append(&mut own),
            Err(p) => return (Vec::new(), vec![p]),
        }
    }
    let known: Vec<&str> = catalogue.iter().map(|i| i.id.as_str()).collect();
    load(&sources, &known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_programme_passes_its_checks_and_readability_target() {
        let (programmes, problems) = load_programmes(None, &crate::content::default_catalogue());
        let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(problems.is_empty(), "{problems:#?}");
        assert!(programmes.len() >= 11, "{} programmes", programmes.len());
        for p in &programmes {
            if p.kind == bothy_domain::programmes::Kind::Guided {
                assert!(
                    (5..=8).contains(&p.modules.len()),
                    "{}: {} modules",
                    p.id,
                    p.modules.len()
                );
            }
        }
    }
}
