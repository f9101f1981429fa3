//! Reads a programme folder (content/programmes/FORMAT.md) and names the
//! file and line of every problem, so that whoever edits a programme can
//! fix it without reading Bothy's code.

use super::model::{Block, Kind, Module, Page, Programme, Tool};
use super::readability::reading_age;
use serde::Deserialize;
use std::fmt;

/// Pages a module may have.
pub const PAGES: std::ops::RangeInclusive<usize> = 2..=8;

/// One problem in a programme's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `low-mood/02-doing-more.md`
    pub file: String,
    /// 1-based; 0 when the problem is the file as a whole.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// A link to another module or a library programme, to check once every
/// programme is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub file: String,
    pub line: usize,
    pub library: bool,
    pub target: String,
}

/// A programme read from its files, with what must be checked against the
/// other programmes and the instruments (links to the library, measures).
#[derive(Debug, Clone)]
pub struct Parsed {
    pub programme: Programme,
    pub links: Vec<Link>,
    /// (file, line, instrument id) for every measure named.
    pub measures: Vec<(String, usize, String)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgrammeMeta {
    title: String,
    condition: String,
    population: String,
    version: String,
    licence: String,
    reading_age: u32,
    authors: Vec<String>,
    clinical_reviewer: String,
    reviewed_on: String,
    kind: Kind,
    modules: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleMeta {
    title: String,
    minutes: u32,
    measures: Vec<String>,
    homework: String,
}

struct Problems {
    list: Vec<Problem>,
}

impl Problems {
    fn add(&mut self, file: &str, line: usize, message: impl Into<String>) {
        self.list.push(Problem {
            file: file.to_string(),
            line,
            message: message.into(),
        });
    }
}

/// An id as FORMAT.md allows: lower case letters, digits and hyphens.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
}

/// Reads the programme `id` from its files (name, text): `programme.md`
/// and one file per module. Every problem found is returned, not only the
/// first.
pub fn parse_programme(id: &str, files: &[(String, String)]) -> Result<Parsed, Vec<Problem>> {
    let mut p = Problems { list: Vec::new() };
    if !valid_id(id) {
        p.add(
            id,
            0,
            "a programme's folder name must be lower case letters, digits and hyphens",
        );
    }
    let path = |name: &str| format!("{id}/{name}");
    let Some((_, main)) = files.iter().find(|(n, _)| n == "programme.md") else {
        p.add(
            &path("programme.md"),
            0,
            "missing: every programme needs a programme.md",
        );
        return Err(p.list);
    };
    let main_file = path("programme.md");
    let mut links = Vec::new();
    let mut measures = Vec::new();
    let meta: Option<(ProgrammeMeta, usize)> = front_matter(&main_file, main, &mut p);
    let Some((meta, body_line)) = meta else {
        return Err(p.list);
    };
    check_meta(&main_file, &meta, &mut p);
    let body = &main[offset_of_line(main, body_line)..];
    let intro = blocks(&main_file, body, body_line, &mut p, &mut links, None);
    if !intro.contains(&Block::Crisis) {
        p.add(
            &main_file,
            body_line,
            "the introduction must show the crisis contacts: add a line {{crisis}}",
        );
    }
    let mut modules = Vec::new();
    for (n, module_id) in meta.modules.iter().enumerate() {
        let name = format!("{module_id}.md");
        let file = path(&name);
        if !valid_id(module_id) {
            p.add(
                &main_file,
                0,
                format!(
                    "module {} ({module_id:?}): ids are lower case letters, digits and hyphens",
                    n + 1
                ),
            );
            continue;
        }
        let Some((_, text)) = files.iter().find(|(f, _)| *f == name) else {
            p.add(
                &main_file,
                0,
                format!("module {module_id:?} is listed but {name} does not exist"),
            );
            continue;
        };
        if let Some(m) = module(
            &file,
            module_id,
            text,
            meta.reading_age,
            &mut p,
            &mut links,
            &mut measures,
        ) {
            modules.push(m);
        }
    }
    for (name, _) in files {
        let listed =
            name == "programme.md" || meta.modules.iter().any(|m| format!("{m}.md") == *name);
        if !listed && name.ends_with(".md") {
            p.add(
                &path(name),
                0,
                "not listed in programme.md's modules (add it there, or remove the file)",
            );
        }
    }
    if meta.modules.is_empty() {
        p.add(&main_file, 0, "a programme needs at least one module");
    }
    for l in &links {
        if !l.library && !meta.modules.contains(&l.target) {
            p.add(
                &l.file,
                l.line,
                format!(
                    "link to module:{} but the programme has no such module",
                    l.target
                ),
            );
        }
    }
    if !p.list.is_empty() {
        return Err(p.list);
    }
    Ok(Parsed {
        programme: Programme {
            id: id.to_string(),
            title: meta.title,
            condition: meta.condition,
            population: meta.population,
            version: meta.version,
            licence: meta.licence,
            reading_age: meta.reading_age,
            authors: meta.authors,
            clinical_reviewer: meta.clinical_reviewer,
            reviewed_on: meta.reviewed_on,
            kind: meta.kind,
            introduction: intro,
            modules,
        },
        links,
        measures,
    })
}

fn check_meta(file: &str, m: &ProgrammeMeta, p: &mut Problems) {
    let parts: Vec<&str> = m.version.split('.').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|x| x.is_empty() || !x.chars().all(|c| c.is_ascii_digit()))
    {
        p.add(
            file,
            0,
            format!(
                "version {:?} must be a semantic version such as 1.0.0",
                m.version
            ),
        );
    }
    if !(5..=18).contains(&m.reading_age) {
        p.add(
            file,
            0,
            format!(
                "reading_age {} must be an age in years between 5 and 18",
                m.reading_age
            ),
        );
    }
    for (field, value) in [
        ("title", &m.title),
        ("condition", &m.condition),
        ("population", &m.population),
        ("licence", &m.licence),
    ] {
        if value.trim().is_empty() {
            p.add(file, 0, format!("{field} must not be empty"));
        }
    }
    if !m.reviewed_on.is_empty() && m.reviewed_on.parse::<jiff::civil::Date>().is_err() {
        p.add(
            file,
            0,
            format!(
                "reviewed_on {:?} must be a date like 2026-03-02, or empty",
                m.reviewed_on
            ),
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn module(
    file: &str,
    id: &str,
    text: &str,
    target_age: u32,
    p: &mut Problems,
    links: &mut Vec<Link>,
    measures: &mut Vec<(String, usize, String)>,
) -> Option<Module> {
    let (meta, body_line): (ModuleMeta, usize) = front_matter(file, text, p)?;
    if meta.title.trim().is_empty() {
        p.add(file, 1, "title must not be empty");
    }
    if meta.homework.trim().is_empty() {
        p.add(file, 1, "homework must not be empty");
    }
    for m in &meta.measures {
        measures.push((file.to_string(), 1, m.clone()));
    }
    let body = &text[offset_of_line(text, body_line)..];
    let mut pages: Vec<(usize, Page)> = Vec::new();
    let mut current: Option<(usize, String, String)> = None;
    let finish = |c: Option<(usize, String, String)>,
                  p: &mut Problems,
                  links: &mut Vec<Link>,
                  pages: &mut Vec<(usize, Page)>| {
        if let Some((line, title, body)) = c {
            let blocks = blocks(file, &body, line + 1, p, links, Some(target_age));
            pages.push((line, Page { title, blocks }));
        }
    };
    for (i, line) in body.lines().enumerate() {
        let n = body_line + i;
        if let Some(title) = line.strip_prefix("## ") {
            finish(current.take(), p, links, &mut pages);
            current = Some((n, title.trim().to_string(), String::new()));
        } else if let Some((_, _, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        } else if !line.trim().is_empty() {
            p.add(
                file,
                n,
                "text before the first page: start each page with a line \"## Page title\"",
            );
        }
    }
    finish(current.take(), p, links, &mut pages);
    if !PAGES.contains(&pages.len()) {
        p.add(
            file,
            0,
            format!(
                "a module has 2 to 8 pages (\"## \" headings); this one has {}",
                pages.len()
            ),
        );
    }
    for (line, page) in &pages {
        if page.title.is_empty() {
            p.add(file, *line, "a page needs a title after \"## \"");
        }
    }
    Some(Module {
        id: id.to_string(),
        title: meta.title,
        minutes: meta.minutes,
        measures: meta.measures,
        homework: meta.homework,
        pages: pages.into_iter().map(|(_, page)| page).collect(),
    })
}

/// The TOML between the opening and closing `+++` lines, and the line the
/// body starts on.
fn front_matter<T: for<'de> Deserialize<'de>>(
    file: &str,
    text: &str,
    p: &mut Problems,
) -> Option<(T, usize)> {
    let mut lines = text.lines();
    if lines.next().map(str::trim_end) != Some("+++") {
        p.add(
            file,
            1,
            "the file must start with front matter: a line +++, the TOML fields, and a line +++",
        );
        return None;
    }
    let Some(close) = lines.position(|l| l.trim_end() == "+++") else {
        p.add(
            file,
            1,
            "the front matter is not closed: add a line +++ after its fields",
        );
        return None;
    };
    // Lines 2..close+1 hold the TOML; the body starts after the closing line.
    let start = offset_of_line(text, 2);
    let end = offset_of_line(text, close + 2);
    let toml_text = &text[start..end];
    match toml::from_str::<T>(toml_text) {
        Ok(meta) => Some((meta, close + 3)),
        Err(e) => {
            let line = e
                .span()
                .map(|s| {
                    2 + toml_text[..s.start.min(toml_text.len())]
                        .matches('\n')
                        .count()
                })
                .unwrap_or(1);
            p.add(file, line, format!("front matter: {}", e.message()));
            None
        }
    }
}

/// The byte offset where 1-based line `line` starts (the end if past it).
fn offset_of_line(text: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 2)
        .map_or(text.len(), |(i, _)| i + 1)
}

/// A page's (or the introduction's) blocks. `first_line` is the line of
/// `body`'s first line in its file; `target_age` judges readability (pages
/// only).
fn blocks(
    file: &str,
    body: &str,
    first_line: usize,
    p: &mut Problems,
    links: &mut Vec<Link>,
    target_age: Option<u32>,
) -> Vec<Block> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut all_text = String::new();
    let flush = |text: &mut String, out: &mut Vec<Block>| {
        let t = text.trim();
        if !t.is_empty() {
            out.push(Block::Text(t.to_string()));
        }
        text.clear();
    };
    for (i, line) in body.lines().enumerate() {
        let n = first_line + i;
        let trimmed = line.trim();
        if let Some(inner) = trimmed
            .strip_prefix("{{")
            .and_then(|t| t.strip_suffix("}}"))
        {
            flush(&mut text, &mut out);
            match directive(inner.trim()) {
                Ok(block) => out.push(block),
                Err(message) => p.add(file, n, message),
            }
            continue;
        }
        if trimmed.contains("{{") || trimmed.contains("}}") {
            p.add(
                file,
                n,
                "{{tool: ...}}, {{reflect: ...}} and {{crisis}} go on a line of their own",
            );
        }
        check_line(file, n, line, p, links);
        text.push_str(line);
        text.push('\n');
        all_text.push_str(line);
        all_text.push('\n');
    }
    flush(&mut text, &mut out);
    if let Some(target) = target_age
        && let Some(age) = reading_age(&all_text)
        && age > f64::from(target) + 0.5
    {
        p.add(
            file,
            first_line.saturating_sub(1),
            format!(
                "this page reads at about age {age:.0}, above the programme's reading_age {target}: use shorter sentences and everyday words"
            ),
        );
    }
    out
}

fn directive(inner: &str) -> Result<Block, String> {
    if inner == "crisis" {
        return Ok(Block::Crisis);
    }
    if let Some(id) = inner.strip_prefix("tool:") {
        let id = id.trim();
        return Tool::parse(id).map(Block::Tool).ok_or_else(|| {
            let known: Vec<&str> = Tool::ALL.iter().map(|t| t.as_str()).collect();
            format!("unknown tool {id:?}: use one of {}", known.join(", "))
        });
    }
    if let Some(q) = inner.strip_prefix("reflect:") {
        let q = q.trim();
        if q.is_empty() {
            return Err("{{reflect: ...}} needs a question".into());
        }
        return Ok(Block::Reflect(q.to_string()));
    }
    Err(format!(
        "unknown {{{{{inner}}}}}: use {{{{tool: ID}}}}, {{{{reflect: QUESTION}}}} or {{{{crisis}}}}"
    ))
}

/// Plain Markdown only, and links Bothy can follow.
fn check_line(file: &str, n: usize, line: &str, p: &mut Problems, links: &mut Vec<Link>) {
    let t = line.trim_start();
    if t.starts_with('|') {
        p.add(file, n, "tables are not allowed: use a list");
    }
    if t.contains("![") {
        p.add(file, n, "images are not allowed");
    }
    let bytes = line.as_bytes();
    if bytes
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
    {
        p.add(file, n, "HTML is not allowed: use plain Markdown");
    }
    let mut rest = line;
    while let Some(i) = rest.find("](") {
        let after = &rest[i + 2..];
        let Some(end) = after.find(')') else {
            p.add(file, n, "a link is not closed with )");
            break;
        };
        let target = &after[..end];
        if let Some(m) = target.strip_prefix("module:") {
            links.push(Link {
                file: file.into(),
                line: n,
                library: false,
                target: m.into(),
            });
        } else if let Some(l) = target.strip_prefix("library:") {
            links.push(Link {
                file: file.into(),
                line: n,
                library: true,
                target: l.into(),
            });
        } else if !target.starts_with("https://") {
            p.add(
                file,
                n,
                format!("link to {target:?}: use module:ID, library:ID or a full https:// address"),
            );
        }
        rest = &after[end..];
    }
}
