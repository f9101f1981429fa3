//! The plain Markdown that programme pages may use (content/programmes/
//! FORMAT.md: paragraphs, `###` headings, lists, bold, emphasis, links),
//! rendered to HTML. Everything is escaped first, so a programme file can
//! never put markup of its own on a page; links go only where a programme
//! may point (`module:`, `library:`, `https://`).

use crate::chart::escape;

/// Where `module:` and `library:` links lead on the page being drawn.
pub struct Links<'a> {
    /// The current programme's module `id`, as a path.
    pub module: &'a dyn Fn(&str) -> String,
    /// The library programme `id`, as a path.
    pub library: &'a dyn Fn(&str) -> String,
}

/// Markdown text to HTML.
pub fn render(text: &str, links: &Links<'_>) -> String {
    let mut out = String::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut list: Option<(&'static str, Vec<String>)> = None;
    let flush_paragraph = |p: &mut Vec<&str>, out: &mut String| {
        if !p.is_empty() {
            out.push_str("<p>");
            out.push_str(&inline(&p.join(" "), links));
            out.push_str("</p>\n");
            p.clear();
        }
    };
    let flush_list = |l: &mut Option<(&'static str, Vec<String>)>, out: &mut String| {
        if let Some((tag, items)) = l.take() {
            out.push_str(&format!("<{tag}>"));
            for i in items {
                out.push_str(&format!("<li>{i}</li>"));
            }
            out.push_str(&format!("</{tag}>\n"));
        }
    };
    for line in text.lines() {
        let t = line.trim();
        let item = t
            .strip_prefix("- ")
            .map(|rest| ("ul", rest))
            .or_else(|| numbered(t).map(|rest| ("ol", rest)));
        if t.is_empty() {
            flush_paragraph(&mut paragraph, &mut out);
            flush_list(&mut list, &mut out);
        } else if let Some(h) = t.strip_prefix("### ") {
            flush_paragraph(&mut paragraph, &mut out);
            flush_list(&mut list, &mut out);
            out.push_str(&format!("<h3>{}</h3>\n", inline(h, links)));
        } else if let Some((tag, rest)) = item {
            flush_paragraph(&mut paragraph, &mut out);
            if list.as_ref().is_some_and(|(open, _)| *open != tag) {
                flush_list(&mut list, &mut out);
            }
            list.get_or_insert((tag, Vec::new()))
                .1
                .push(inline(rest, links));
        } else if let Some((_, items)) = list.as_mut().filter(|_| line.starts_with("  ")) {
            // A list item's continuation line.
            if let Some(last) = items.last_mut() {
                last.push(' ');
                last.push_str(&inline(t, links));
            }
        } else {
            flush_list(&mut list, &mut out);
            paragraph.push(t);
        }
    }
    flush_paragraph(&mut paragraph, &mut out);
    flush_list(&mut list, &mut out);
    out
}

/// "3. text" gives "text".
fn numbered(t: &str) -> Option<&str> {
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    t[digits..].strip_prefix(". ")
}

/// Bold, emphasis and links within a line, on escaped text.
fn inline(text: &str, links: &Links<'_>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let Some(mid) = rest[open..].find("](").map(|m| open + m) else {
            break;
        };
        let Some(close) = rest[mid..].find(')').map(|c| mid + c) else {
            break;
        };
        out.push_str(&emphasis(&escape(&rest[..open])));
        let label = emphasis(&escape(&rest[open + 1..mid]));
        let target = &rest[mid + 2..close];
        match href(target, links) {
            Some(h) => out.push_str(&format!("<a href=\"{}\">{label}</a>", escape(&h))),
            None => out.push_str(&label),
        }
        rest = &rest[close + 1..];
    }
    out.push_str(&emphasis(&escape(rest)));
    out
}

fn href(target: &str, links: &Links<'_>) -> Option<String> {
    let id_ok = |id: &str| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    if let Some(m) = target.strip_prefix("module:") {
        return id_ok(m).then(|| (links.module)(m));
    }
    if let Some(l) = target.strip_prefix("library:") {
        return id_ok(l).then(|| (links.library)(l));
    }
    target.starts_with("https://").then(|| target.to_string())
}

/// `**bold**` and `*emphasis*` on already escaped text.
fn emphasis(escaped: &str) -> String {
    let bold = pairs(escaped, "**", "strong");
    pairs(&bold, "*", "em")
}

/// Wraps `mark`...`mark` in `tag` where the marks hug a word, as
/// Markdown does: "5 * 3" and a stray "**" stay as they are.
fn pairs(text: &str, mark: &str, tag: &str) -> String {
    let single = mark == "*";
    // A mark at byte `at` of `s`: not part of a longer run of stars.
    let standalone = |s: &str, at: usize| {
        !single || (!s[..at].ends_with('*') && !s[at + mark.len()..].starts_with('*'))
    };
    let opens = |s: &str, at: usize| {
        standalone(s, at)
            && s[at + mark.len()..]
                .chars()
                .next()
                .is_some_and(|c| !c.is_whitespace())
    };
    let closes = |s: &str, at: usize| {
        standalone(s, at)
            && s[..at]
                .chars()
                .next_back()
                .is_some_and(|c| !c.is_whitespace())
    };
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest
        .match_indices(mark)
        .map(|(i, _)| i)
        .find(|&i| opens(rest, i))
    {
        let from = open + mark.len();
        let Some(close) = rest[from..]
            .match_indices(mark)
            .map(|(i, _)| from + i)
            .find(|&i| i > from && closes(rest, i))
        else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&format!("<{tag}>{}</{tag}>", &rest[from..close]));
        rest = &rest[close + mark.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_here(text: &str) -> String {
        let module = |id: &str| format!("/m/{id}");
        let library = |id: &str| format!("/library/{id}");
        render(
            text,
            &Links {
                module: &module,
                library: &library,
            },
        )
    }

    #[test]
    fn paragraphs_lists_and_emphasis() {
        let html = render_here(
            "Hello **you** and *me*.\nStill here.\n\n- one\n- two\n\n1. first\n2. second\n\n### Small heading",
        );
        assert_eq!(
            html,
            "<p>Hello <strong>you</strong> and <em>me</em>. Still here.</p>\n<ul><li>one</li><li>two</li></ul>\n<ol><li>first</li><li>second</li></ol>\n<h3>Small heading</h3>\n"
        );
    }

    #[test]
    fn links_go_only_where_a_programme_may_point() {
        let html = render_here(
            "[next](module:02-two) [calm](library:relaxation) [nhs](https://www.nhs.uk) [bad](javascript:alert(1)) [up](module:../x)",
        );
        assert!(html.contains("<a href=\"/m/02-two\">next</a>"), "{html}");
        assert!(
            html.contains("<a href=\"/library/relaxation\">calm</a>"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"https://www.nhs.uk\">nhs</a>"),
            "{html}"
        );
        assert!(!html.contains("javascript"), "{html}");
        assert!(!html.contains("../x"), "{html}");
    }

    #[test]
    fn markup_in_the_file_is_shown_as_text() {
        let html = render_here("<script>alert(1)</script> & \"quotes\"");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&amp;"), "{html}");
    }

    #[test]
    fn an_unpaired_star_stays_a_star() {
        assert_eq!(render_here("5 * 3 is **15"), "<p>5 * 3 is **15</p>\n");
        assert_eq!(
            render_here("**a** and *b* 2 * 3"),
            "<p><strong>a</strong> and <em>b</em> 2 * 3</p>\n"
        );
    }
}
