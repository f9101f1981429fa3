//! The safety case report: a checked hazard log as Markdown or HTML. Both
//! formats are drawn by the same function through [`Out`], so they never
//! say different things. Text from the log is plain, with `backticks` for code.

use super::risk::{self, Likelihood, Severity};
use super::{ControlKind, HazardLog, cited_tests};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
}

/// What the report says about where it came from.
#[derive(Debug, Clone)]
pub struct Meta<'a> {
    /// Bothy's version, e.g. "0.1.0".
    pub version: &'a str,
    /// The report's date, e.g. "2026-12-05".
    pub date: &'a str,
    /// The log's path from the repository root.
    pub source: &'a str,
}

pub fn render(log: &HazardLog, meta: &Meta, format: Format) -> String {
    match format {
        Format::Markdown => {
            let mut out = Markdown(String::new());
            report(log, meta, &mut out);
            out.0
        }
        Format::Html => {
            let mut out = Html(String::new());
            report(log, meta, &mut out);
            format!(
                "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
                 <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
                 <title>{}</title>\n<style>body{{font-family:sans-serif;max-width:60rem;margin:auto;padding:1rem;line-height:1.5}}\
                 table{{border-collapse:collapse}}th,td{{border:1px solid #888;padding:.25rem .5rem;text-align:left;vertical-align:top}}</style>\n\
                 </head>\n<body>\n<main>\n{}</main>\n</body>\n</html>\n",
                escape(&log.title),
                out.0
            )
        }
    }
}

fn report(log: &HazardLog, meta: &Meta, out: &mut dyn Out) {
    out.heading(1, &log.title);
    let cited = cited_tests(log).len();
    out.para(&format!(
        "Bothy {}, {}. Drawn by `bothy safety report` from `{}`. Each of the {cited} tests \
         it cites was found in this version's source tree; `scripts/test` runs them all.",
        meta.version, meta.date, meta.source
    ));
    out.para(&log.scope);

    out.heading(2, "Summary");
    let rows: Vec<Vec<String>> = log
        .hazards
        .iter()
        .map(|h| {
            let deployment = h
                .controls
                .iter()
                .filter(|c| c.kind == ControlKind::Deployment)
                .count();
            let tests: usize = h.controls.iter().map(|c| c.tests.len()).sum();
            vec![
                format!("{} {}", h.id, h.title),
                rating(h.initial.rating()),
                rating(h.residual.rating()),
                format!(
                    "{} built in, {deployment} for the deploying organisation",
                    h.controls.len() - deployment
                ),
                tests.to_string(),
            ]
        })
        .collect();
    out.table(
        &[
            "Hazard",
            "Initial risk",
            "Residual risk",
            "Controls",
            "Tests",
        ],
        &rows,
    );

    out.heading(2, "How risk is rated");
    out.para(
        "Severity and likelihood are on the scales of the NHS clinical risk management \
         standards DCB0129 (manufacturers) and DCB0160 (deploying organisations); the \
         standards' 5x5 matrix gives the clinical risk rating, from 1 (very low) to 5 \
         (very high). A residual risk of 4 or 5 is not released; 3 needs a rationale.",
    );
    let mut head = vec!["Likelihood \\ severity"];
    head.extend(Severity::ALL.iter().map(|s| s.name()));
    let matrix: Vec<Vec<String>> = Likelihood::ALL_DESC
        .iter()
        .map(|&likelihood| {
            let mut row = vec![likelihood.name().to_string()];
            row.extend(Severity::ALL.iter().map(|&severity| {
                risk::Risk {
                    severity,
                    likelihood,
                }
                .rating()
                .to_string()
            }));
            row
        })
        .collect();
    out.table(&head, &matrix);
    let meanings: Vec<String> = (1..=5)
        .map(|r| format!("{}: {}.", rating(r), risk::acceptability(r)))
        .collect();
    out.list(&meanings);

    out.heading(2, "Hazards");
    for h in &log.hazards {
        out.heading(3, &format!("{} {}", h.id, h.title));
        out.labelled("Cause", &h.cause);
        out.labelled("Effect", &h.effect);
        out.labelled("Initial risk", &h.initial.describe());
        let controls: Vec<String> = h
            .controls
            .iter()
            .map(|c| {
                let who = match c.kind {
                    ControlKind::Design => "Built in",
                    ControlKind::Deployment => "Deploying organisation",
                };
                let mut s = format!("{who}: {}", c.text);
                if !c.tests.is_empty() {
                    let list: Vec<String> = c.tests.iter().map(|t| format!("`{t}`")).collect();
                    s.push_str(&format!(" Verified by {}.", list.join(", ")));
                }
                s
            })
            .collect();
        out.labelled("Controls", "");
        out.list(&controls);
        out.labelled("Residual risk", &h.residual.describe());
        if !h.rationale.trim().is_empty() {
            out.labelled("Rationale", &h.rationale);
        }
    }

    out.heading(2, "What the deploying organisation must do");
    out.para(
        "These controls are not Bothy's to carry out. Under DCB0160 the deploying \
         organisation's clinical safety officer takes them into its own hazard log, \
         with the organisation's own hazards; `docs/safety/clinical-scope.md` says \
         what Bothy does and does not do clinically.",
    );
    let duties: Vec<String> = log
        .hazards
        .iter()
        .flat_map(|h| {
            h.controls
                .iter()
                .filter(|c| c.kind == ControlKind::Deployment)
                .map(move |c| format!("{} ({}): {}", h.id, h.title, c.text))
        })
        .collect();
    out.list(&duties);
}

fn rating(r: u8) -> String {
    format!("{r} ({})", risk::rating_name(r))
}

/// The report's building blocks, one implementation per format.
trait Out {
    fn heading(&mut self, level: u8, text: &str);
    fn para(&mut self, text: &str);
    /// A paragraph led by a bold label; an empty text is the label alone.
    fn labelled(&mut self, label: &str, text: &str);
    fn table(&mut self, head: &[&str], rows: &[Vec<String>]);
    fn list(&mut self, items: &[String]);
}

struct Markdown(String);

impl Markdown {
    fn cell(s: &str) -> String {
        one_line(s).replace('|', "\\|")
    }
}

impl Out for Markdown {
    fn heading(&mut self, level: u8, text: &str) {
        let hashes = "#".repeat(usize::from(level));
        self.0.push_str(&format!("{hashes} {}\n\n", one_line(text)));
    }
    fn para(&mut self, text: &str) {
        self.0.push_str(&format!("{}\n\n", one_line(text)));
    }
    fn labelled(&mut self, label: &str, text: &str) {
        self.0
            .push_str(&format!("**{label}.** {}\n\n", one_line(text)).replace(" \n", "\n"));
    }
    fn table(&mut self, head: &[&str], rows: &[Vec<String>]) {
        let head: Vec<String> = head.iter().map(|h| Self::cell(h)).collect();
        self.0.push_str(&format!("| {} |\n", head.join(" | ")));
        self.0
            .push_str(&format!("|{}\n", "---|".repeat(head.len())));
        for row in rows {
            let cells: Vec<String> = row.iter().map(|c| Self::cell(c)).collect();
            self.0.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        self.0.push('\n');
    }
    fn list(&mut self, items: &[String]) {
        for item in items {
            self.0.push_str(&format!("- {}\n", one_line(item)));
        }
        self.0.push('\n');
    }
}

struct Html(String);

impl Out for Html {
    fn heading(&mut self, level: u8, text: &str) {
        self.0
            .push_str(&format!("<h{level}>{}</h{level}>\n", inline(text)));
    }
    fn para(&mut self, text: &str) {
        self.0.push_str(&format!("<p>{}</p>\n", inline(text)));
    }
    fn labelled(&mut self, label: &str, text: &str) {
        let text = inline(text);
        let sep = if text.is_empty() { "" } else { " " };
        self.0.push_str(&format!(
            "<p><strong>{}.</strong>{sep}{text}</p>\n",
            escape(label)
        ));
    }
    fn table(&mut self, head: &[&str], rows: &[Vec<String>]) {
        self.0.push_str("<table>\n<thead><tr>");
        for h in head {
            self.0
                .push_str(&format!("<th scope=\"col\">{}</th>", inline(h)));
        }
        self.0.push_str("</tr></thead>\n<tbody>\n");
        for row in rows {
            self.0.push_str("<tr>");
            for c in row {
                self.0.push_str(&format!("<td>{}</td>", inline(c)));
            }
            self.0.push_str("</tr>\n");
        }
        self.0.push_str("</tbody>\n</table>\n");
    }
    fn list(&mut self, items: &[String]) {
        self.0.push_str("<ul>\n");
        for item in items {
            self.0.push_str(&format!("<li>{}</li>\n", inline(item)));
        }
        self.0.push_str("</ul>\n");
    }
}

/// Text from a multi-line TOML string, folded into one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Escaped text with `backticks` as `<code>`; an unmatched backtick stays.
fn inline(s: &str) -> String {
    let s = one_line(s);
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return escape(&s);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i % 2 == 1 {
                format!("<code>{}</code>", escape(p))
            } else {
                escape(p)
            }
        })
        .collect()
}
