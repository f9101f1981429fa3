//! Reading pages the way a browser fills in forms: elements found by a
//! simple CSS selector, and the value each named field would submit.
//!
//! A small scanner rather than an HTML5 parser: Bothy's templates are
//! well-formed, and tests only need start tags, their attributes, and the
//! extent of an element. Selectors are one compound selector (`form`,
//! `#id`, `.class`, `[name="key"]`, combined as in `form[action="/x"]`);
//! anything else panics, so a test never silently reads the wrong thing.

use crate::client::Resp;

/// An element of a page (usually a form) and everything inside it.
#[derive(Debug, Clone)]
pub struct Form {
    html: String,
}

impl Resp {
    /// The first element matching `selector`; panics (with the page) if none.
    #[track_caller]
    pub fn form(&self, selector: &str) -> Form {
        Form::first(&self.body, selector)
            .unwrap_or_else(|| panic!("no element matches {selector:?}: {}", self.body))
    }

    /// What the page's first field named `name` would submit (a hidden
    /// key, a text box, the checked radio button, the selected option).
    #[track_caller]
    pub fn field(&self, name: &str) -> String {
        Form::whole(&self.body)
            .get(name)
            .unwrap_or_else(|| panic!("no field {name:?}: {}", self.body))
    }

    /// The value of the page's first `<option>` whose text is `label`.
    #[track_caller]
    pub fn option_value(&self, label: &str) -> String {
        Form::whole(&self.body).option_value(label)
    }
}

impl Form {
    /// The first element of `html` matching `selector`.
    pub fn first(html: &str, selector: &str) -> Option<Form> {
        let selector = Selector::parse(selector);
        tags(html)
            .find(|t| !t.closing && selector.matches(t))
            .map(|t| Form {
                html: html[t.start..element_end(html, &t)].to_string(),
            })
    }

    /// A whole page read as one form.
    pub fn whole(html: &str) -> Form {
        Form {
            html: html.to_string(),
        }
    }

    /// The element's own attribute `name`, e.g. a form's `action`.
    pub fn attr(&self, name: &str) -> Option<String> {
        tags(&self.html).next().and_then(|t| t.attr(name))
    }

    /// What the field `name` would submit; panics (with the form) if none.
    #[track_caller]
    pub fn field(&self, name: &str) -> String {
        self.get(name)
            .unwrap_or_else(|| panic!("no field {name:?} in {}", self.html))
    }

    /// What the field `name` would submit, if the element has one that
    /// submits anything (an unchecked box does not).
    pub fn get(&self, name: &str) -> Option<String> {
        self.fields()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// Every field's name and value, in document order, as a browser would
    /// submit the form unchanged.
    pub fn fields(&self) -> Vec<(String, String)> {
        let html = self.html.as_str();
        let mut out = Vec::new();
        let mut all = tags(html).peekable();
        while let Some(t) = all.next() {
            if t.closing {
                continue;
            }
            let Some(name) = t.attr("name") else { continue };
            match t.name.as_str() {
                "input" => {
                    let kind = t.attr("type").unwrap_or_default().to_ascii_lowercase();
                    let value = t.attr("value").unwrap_or_default();
                    match kind.as_str() {
                        "checkbox" | "radio" if t.attr("checked").is_none() => {}
                        "checkbox" | "radio" if t.attr("value").is_none() => {
                            out.push((name, "on".into()))
                        }
                        "submit" | "button" | "image" | "reset" | "file" => {}
                        _ => out.push((name, value)),
                    }
                }
                "textarea" => {
                    let end = html[t.end..]
                        .find("</textarea")
                        .map_or(html.len(), |i| t.end + i);
                    out.push((name, decode(&html[t.end..end])));
                }
                "select" => {
                    let mut first = None;
                    let mut selected = None;
                    while let Some(o) = all.next_if(|o| !(o.closing && o.name == "select")) {
                        if o.closing || o.name != "option" {
                            continue;
                        }
                        let value = o.attr("value").unwrap_or_else(|| option_text(html, &o));
                        if first.is_none() {
                            first = Some(value.clone());
                        }
                        if selected.is_none() && o.attr("selected").is_some() {
                            selected = Some(value);
                        }
                    }
                    if let Some(v) = selected.or(first) {
                        out.push((name, v));
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// The value of the `<option>` whose text is `label`.
    #[track_caller]
    pub fn option_value(&self, label: &str) -> String {
        let html = self.html.as_str();
        tags(html)
            .filter(|t| !t.closing && t.name == "option")
            .find(|t| option_text(html, t) == label)
            .map(|t| t.attr("value").unwrap_or_else(|| label.to_string()))
            .unwrap_or_else(|| panic!("no option {label:?} in {html}"))
    }

    pub fn html(&self) -> &str {
        &self.html
    }
}

/// A start or end tag: where it is and what it says.
struct Tag<'a> {
    name: String,
    closing: bool,
    /// Byte offsets of `<` and just past `>`.
    start: usize,
    end: usize,
    attrs: Vec<(String, Option<&'a str>)>,
}

impl Tag<'_> {
    fn attr(&self, name: &str) -> Option<String> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.map(decode).unwrap_or_default())
    }
}

/// Every tag of `html`, skipping comments and the insides of scripts and
/// styles (where a `<` is not a tag).
fn tags(html: &str) -> impl Iterator<Item = Tag<'_>> {
    let mut at = 0;
    std::iter::from_fn(move || {
        loop {
            let lt = at + html[at..].find('<')?;
            let rest = &html[lt..];
            if rest.starts_with("<!--") {
                at = rest.find("-->").map_or(html.len(), |i| lt + i + 3);
                continue;
            }
            let closing = rest.starts_with("</");
            let name_start = lt + if closing { 2 } else { 1 };
            let name_len = html[name_start..]
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(html.len() - name_start);
            if name_len == 0 || !html[name_start..].starts_with(|c: char| c.is_ascii_alphabetic()) {
                at = lt + 1;
                continue;
            }
            let name = html[name_start..name_start + name_len].to_ascii_lowercase();
            let (attrs, end) = attributes(html, name_start + name_len);
            at = end;
            if !closing && (name == "script" || name == "style") {
                let close = format!("</{name}");
                at = html[end..].find(&close).map_or(html.len(), |i| end + i);
            }
            return Some(Tag {
                name,
                closing,
                start: lt,
                end,
                attrs,
            });
        }
    })
}

/// The attributes from `at` to the end of the tag, and the offset past it.
fn attributes(html: &str, mut at: usize) -> (Vec<(String, Option<&str>)>, usize) {
    let bytes = html.as_bytes();
    let mut attrs = Vec::new();
    loop {
        while at < bytes.len() && (bytes[at].is_ascii_whitespace() || bytes[at] == b'/') {
            at += 1;
        }
        if at >= bytes.len() {
            return (attrs, at);
        }
        if bytes[at] == b'>' {
            return (attrs, at + 1);
        }
        let name_end = html[at..]
            .find(|c: char| c.is_ascii_whitespace() || matches!(c, '=' | '>' | '/'))
            .map_or(html.len(), |i| at + i);
        let name = html[at..name_end].to_ascii_lowercase();
        at = name_end;
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if at < bytes.len() && bytes[at] == b'=' {
            at += 1;
            while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            let (value, next) = match bytes.get(at) {
                Some(&q @ (b'"' | b'\'')) => {
                    let close = html[at + 1..]
                        .find(q as char)
                        .map_or(html.len(), |i| at + 1 + i);
                    (&html[at + 1..close], (close + 1).min(html.len()))
                }
                _ => {
                    let end = html[at..]
                        .find(|c: char| c.is_ascii_whitespace() || c == '>')
                        .map_or(html.len(), |i| at + i);
                    (&html[at..end], end)
                }
            };
            attrs.push((name, Some(value)));
            at = next;
        } else if !name.is_empty() {
            attrs.push((name, None));
        } else {
            at += 1;
        }
    }
}

/// Where the element opened by `open` ends: past its matching end tag, or
/// past the start tag for elements that have none.
fn element_end(html: &str, open: &Tag) -> usize {
    const VOID: [&str; 8] = ["input", "br", "img", "meta", "link", "hr", "source", "wbr"];
    if VOID.contains(&open.name.as_str()) {
        return open.end;
    }
    let mut depth = 0;
    for t in tags(&html[open.start..]) {
        if t.name != open.name {
            continue;
        }
        if t.closing {
            depth -= 1;
            if depth == 0 {
                return open.start + t.end;
            }
        } else {
            depth += 1;
        }
    }
    html.len()
}

fn option_text(html: &str, option: &Tag) -> String {
    let end = html[option.end..]
        .find('<')
        .map_or(html.len(), |i| option.end + i);
    decode(html[option.end..end].trim())
}

/// Character references as askama writes them, and numeric ones.
fn decode(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(semi) = rest.find(';').filter(|&j| j <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// One compound selector: a tag name, ids, classes and attribute tests.
struct Selector {
    tag: Option<String>,
    ids: Vec<String>,
    classes: Vec<String>,
    attrs: Vec<(String, Option<String>)>,
}

impl Selector {
    #[track_caller]
    fn parse(s: &str) -> Selector {
        let unsupported = || panic!("unsupported selector {s:?}: one compound selector only");
        let word = |t: &str| -> usize {
            t.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .unwrap_or(t.len())
        };
        let mut sel = Selector {
            tag: None,
            ids: Vec::new(),
            classes: Vec::new(),
            attrs: Vec::new(),
        };
        let mut rest = s.trim();
        let n = word(rest);
        if n > 0 {
            sel.tag = Some(rest[..n].to_ascii_lowercase());
            rest = &rest[n..];
        }
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('#') {
                let n = word(r);
                sel.ids.push(r[..n].to_string());
                rest = &r[n..];
            } else if let Some(r) = rest.strip_prefix('.') {
                let n = word(r);
                sel.classes.push(r[..n].to_string());
                rest = &r[n..];
            } else if let Some(r) = rest.strip_prefix('[') {
                let Some(close) = r.find(']') else {
                    unsupported()
                };
                let inside = &r[..close];
                let (name, value) = match inside.split_once('=') {
                    Some((n, v)) => (n, Some(v.trim().trim_matches(['"', '\'']).to_string())),
                    None => (inside, None),
                };
                sel.attrs.push((name.trim().to_ascii_lowercase(), value));
                rest = &r[close + 1..];
            } else {
                unsupported()
            }
        }
        sel
    }

    fn matches(&self, t: &Tag) -> bool {
        self.tag.as_ref().is_none_or(|n| *n == t.name)
            && self.ids.iter().all(|id| t.attr("id").as_ref() == Some(id))
            && self.classes.iter().all(|c| {
                t.attr("class")
                    .is_some_and(|all| all.split_whitespace().any(|x| x == c))
            })
            && self.attrs.iter().all(|(n, v)| match (t.attr(n), v) {
                (Some(have), Some(want)) => have == *want,
                (Some(_), None) => true,
                (None, _) => false,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::Form;

    const PAGE: &str = r#"<!doctype html><html><head><script>if (a<b) {}</script></head>
<body><form method="post" action="/sign-out"><input type="hidden" name="csrf_token" value="t1"></form>
<!-- <form action="/commented"> -->
<form class="stack wide" action="/measures/phq9?x=1&amp;y=2" method="post">
  <input type="hidden" name="csrf_token" value="t2">
  <input type=hidden name=key value=abc-123>
  <input type="radio" name="item-1" value="0">
  <input type="radio" name="item-1" value="3" checked>
  <input type="checkbox" name="sms" value="yes">
  <input type="checkbox" name="email" checked>
  <textarea name="note">Tom &amp; Jerry&#39;s</textarea>
  <select name="step"><option value="a">First</option><option value="b" selected>Second &quot;b&quot;</option></select>
  <select name="plain"><option>Only</option></select>
  <button type="submit" name="go" value="1">Go</button>
</form></body></html>"#;

    #[test]
    fn reads_fields_as_a_browser_would_submit_them() {
        let f = Form::first(PAGE, "form.wide[method=post]").unwrap();
        assert_eq!(f.attr("action").unwrap(), "/measures/phq9?x=1&y=2");
        assert_eq!(
            f.fields(),
            [
                ("csrf_token", "t2"),
                ("key", "abc-123"),
                ("item-1", "3"),
                ("email", "on"),
                ("note", "Tom & Jerry's"),
                ("step", "b"),
                ("plain", "Only"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert_eq!(f.option_value("Second \"b\""), "b");
        assert_eq!(f.get("sms"), None);
    }

    #[test]
    fn finds_elements_by_selector_and_skips_comments_and_scripts() {
        let out = Form::first(PAGE, "form[action=\"/sign-out\"]").unwrap();
        assert_eq!(out.field("csrf_token"), "t1");
        assert!(Form::first(PAGE, "form[action=\"/commented\"]").is_none());
        assert!(Form::first(PAGE, "[action='/sign-out']").is_some());
        assert_eq!(Form::whole(PAGE).field("csrf_token"), "t1");
        assert!(Form::first(PAGE, "#nothing").is_none());
    }

    #[test]
    #[should_panic(expected = "unsupported selector")]
    fn refuses_selectors_it_cannot_read() {
        Form::first(PAGE, "form input");
    }
}
