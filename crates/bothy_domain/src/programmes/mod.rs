//! Treatment programmes as open content files: a folder of Markdown with
//! TOML front matter per programme (content/programmes/FORMAT.md), read
//! and checked here without I/O; the app reads the folders.

pub mod enrolment;
pub mod model;
pub mod parse;
pub mod readability;

#[cfg(test)]
mod tests;

pub use model::{Block, Kind, Module, Page, Programme, Tool};
pub use parse::{Problem, parse_programme};

/// One programme's files as found: its id (the folder's name) and each
/// file's name and text.
pub type Source = (String, Vec<(String, String)>);

/// Reads every programme, in order: a later source with the same id
/// replaces an earlier one (a deployment's own folder after the built-in
/// programmes). Checks what crosses programmes: measures name known
/// instruments, `library:` links name a library programme. Returns the
/// programmes that read cleanly and every problem found.
pub fn load(sources: &[Source], known_instruments: &[&str]) -> (Vec<Programme>, Vec<Problem>) {
    let mut parsed: Vec<parse::Parsed> = Vec::new();
    let mut problems = Vec::new();
    for (id, files) in sources {
        parsed.retain(|p| p.programme.id != *id);
        match parse_programme(id, files) {
            Ok(p) => parsed.push(p),
            Err(found) => problems.extend(found),
        }
    }
    let library: Vec<&str> = parsed
        .iter()
        .filter(|p| p.programme.kind == Kind::Library)
        .map(|p| p.programme.id.as_str())
        .collect();
    let mut bad = Vec::new();
    for p in &parsed {
        let before = problems.len();
        for (file, line, m) in &p.measures {
            if !known_instruments.contains(&m.as_str()) {
                problems.push(Problem {
                    file: file.clone(),
                    line: *line,
                    message: format!("measure {m:?} is not an instrument Bothy knows"),
                });
            }
        }
        for l in p.links.iter().filter(|l| l.library) {
            if !library.contains(&l.target.as_str()) {
                problems.push(Problem {
                    file: l.file.clone(),
                    line: l.line,
                    message: format!(
                        "link to library:{} but there is no library programme with that id",
                        l.target
                    ),
                });
            }
        }
        if problems.len() > before {
            bad.push(p.programme.id.clone());
        }
    }
    let programmes = parsed
        .into_iter()
        .map(|p| p.programme)
        .filter(|p| !bad.contains(&p.id))
        .collect();
    (programmes, problems)
}
