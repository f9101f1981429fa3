//! The programmes a deployment offers: the shipped ones, compiled in, and
//! any from its own folder (`content.programmes_dir`), which add a
//! programme or replace the shipped one with the same id. Read once at
//! start and by `bothy content check`.

use crate::{App, AppError};
use bothy_domain::instruments::load::Catalogue;
use bothy_domain::programmes::{Kind, Module, Page, Problem, Programme, Source, load};
use std::path::Path;
use std::sync::{Arc, OnceLock};

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

/// The shipped programmes, read once per process: every `App` starts with
/// them, and a unit test keeps them free of problems.
pub fn builtin(catalogue: &Catalogue) -> Arc<Vec<Programme>> {
    static BUILTIN: OnceLock<Arc<Vec<Programme>>> = OnceLock::new();
    BUILTIN
        .get_or_init(|| Arc::new(load_programmes(None, catalogue).0))
        .clone()
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

/// The self-help library, open to every patient: the library programmes
/// read page by page. Reading content is not access to anyone's record, so
/// it is not audited.
pub struct Library<'a> {
    pub(crate) app: &'a App,
}

/// A page of a programme, with where the reader goes next.
#[derive(Debug, Clone, Copy)]
pub struct Reading<'a> {
    pub programme: &'a Programme,
    pub module: &'a Module,
    /// 1-based.
    pub number: usize,
    pub page: &'a Page,
    /// The page before and after (module id, 1-based page number).
    pub previous: Option<(&'a str, usize)>,
    pub next: Option<(&'a str, usize)>,
}

impl<'a> Library<'a> {
    /// The library programmes, by title.
    pub fn programmes(&self) -> Vec<&'a Programme> {
        let mut list: Vec<&Programme> = self
            .app
            .programmes
            .iter()
            .filter(|p| p.kind == Kind::Library)
            .collect();
        list.sort_by(|a, b| a.title.cmp(&b.title));
        list
    }

    /// A library programme, or `NotFound` (a guided programme is not in the
    /// library: it is offered with a supporter).
    pub fn programme(&self, id: &str) -> Result<&'a Programme, AppError> {
        self.app
            .programmes
            .iter()
            .find(|p| p.id == id && p.kind == Kind::Library)
            .ok_or(AppError::NotFound)
    }

    /// Page `number` (1-based) of a library programme's module.
    pub fn page(&self, id: &str, module: &str, number: usize) -> Result<Reading<'a>, AppError> {
        let programme = self.programme(id)?;
        reading(programme, module, number).ok_or(AppError::NotFound)
    }
}

/// Every programme in effect, for staff to read before offering one and
/// for the clinician who reviews a version. Content, not anyone's record:
/// not audited.
pub struct Programmes<'a> {
    pub(crate) app: &'a App,
}

impl<'a> Programmes<'a> {
    /// Guided programmes first, then the library, each by title.
    pub fn all(&self) -> Vec<&'a Programme> {
        let mut list: Vec<&Programme> = self.app.programmes.iter().collect();
        list.sort_by(|a, b| {
            (a.kind != Kind::Guided, &a.title).cmp(&(b.kind != Kind::Guided, &b.title))
        });
        list
    }

    /// Page `number` (1-based) of any programme's module.
    pub fn page(&self, id: &str, module: &str, number: usize) -> Result<Reading<'a>, AppError> {
        let programme = self
            .app
            .programmes
            .iter()
            .find(|p| p.id == id)
            .ok_or(AppError::NotFound)?;
        reading(programme, module, number).ok_or(AppError::NotFound)
    }
}

/// Page `number` of `module`, with the pages either side (across modules).
pub fn reading<'a>(programme: &'a Programme, module: &str, number: usize) -> Option<Reading<'a>> {
    let at = programme.modules.iter().position(|m| m.id == module)?;
    let m = &programme.modules[at];
    let page = m.pages.get(number.checked_sub(1)?)?;
    let previous = if number > 1 {
        Some((m.id.as_str(), number - 1))
    } else {
        at.checked_sub(1)
            .map(|i| &programme.modules[i])
            .map(|p| (p.id.as_str(), p.pages.len()))
    };
    let next = if number < m.pages.len() {
        Some((m.id.as_str(), number + 1))
    } else {
        programme.modules.get(at + 1).map(|n| (n.id.as_str(), 1))
    };
    Some(Reading {
        programme,
        module: m,
        number,
        page,
        previous,
        next,
    })
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
        let relaxation = programmes.iter().find(|p| p.id == "relaxation").unwrap();
        let first = &relaxation.modules[0];
        let r = reading(relaxation, &first.id, first.pages.len()).unwrap();
        assert_eq!(
            r.next,
            Some((relaxation.modules[1].id.as_str(), 1)),
            "on to the next module"
        );
        let r = reading(relaxation, &relaxation.modules[1].id, 1).unwrap();
        assert_eq!(r.previous, Some((first.id.as_str(), first.pages.len())));
        assert!(reading(relaxation, &first.id, 0).is_none());
        assert!(reading(relaxation, &first.id, first.pages.len() + 1).is_none());
        assert!(reading(relaxation, "no-such-module", 1).is_none());
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
