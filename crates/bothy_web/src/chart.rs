//! Server-rendered, accessible SVG charts of a measure over time: no script,
//! presentation attributes only (the CSP forbids inline styles), a text
//! summary for screen readers, and the table beside it holds every number.

use crate::format::score;
use bothy_domain::check_in::CheckIn;
use bothy_domain::instruments::Instrument;
use bothy_domain::model::MeasureResponse;
use std::fmt::Write;

const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 36.0;

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart for one instrument's responses (oldest first), with the
/// caseness line and the reliable-change band around the first score.
pub fn measure_chart(inst: &Instrument, responses: &[MeasureResponse], id: &str) -> String {
    let (lo, hi) = (inst.total_min, inst.total_max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let y = |v: f64| TOP + plot_h * (1.0 - (v.clamp(lo, hi) - lo) / span);
    let n = responses.len();
    let x = |i: usize| {
        if n <= 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let mut svg = String::new();
    let desc = describe(inst, responses);
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="{id}-title {id}-desc" focusable="false"><title id="{id}-title">{} scores over time</title><desc id="{id}-desc">{}</desc>"#,
        escape(&inst.short_name),
        escape(&desc)
    );
    // Reliable-change band around the first score: changes inside it are not reliable.
    if let (Some(rc), Some(first)) = (&inst.reliable_change, responses.first()) {
        let top = y(first.total + rc.value);
        let bottom = y(first.total - rc.value);
        let _ = write!(
            svg,
            r##"<rect x="{LEFT}" y="{top:.1}" width="{plot_w}" height="{:.1}" fill="#e8f0f8"/>"##,
            (bottom - top).max(0.0)
        );
    }
    // Axes and gridlines at the range ends and middle.
    for v in [lo, lo + span / 2.0, hi] {
        let yy = y(v);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#b1b4b6" stroke-width="1"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="12" fill="#0b0c0c">{}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            score(v)
        );
    }
    if let Some(c) = &inst.caseness {
        let yy = y(c.value);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#b10e1e" stroke-width="2" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="12" fill="#b10e1e">clinical cut-off {}</text>"##,
            W - RIGHT,
            W - RIGHT,
            yy - 4.0,
            score(c.value)
        );
    }
    let points: Vec<String> = responses
        .iter()
        .enumerate()
        .map(|(i, r)| format!("{:.1},{:.1}", x(i), y(r.total)))
        .collect();
    if n > 1 {
        let _ = write!(
            svg,
            r##"<polyline points="{}" fill="none" stroke="#1d4f91" stroke-width="3"/>"##,
            points.join(" ")
        );
    }
    for (i, r) in responses.iter().enumerate() {
        let risk = !r.risk_items.is_empty();
        let _ = write!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="{}" fill="{}" stroke="#0b0c0c" stroke-width="1"/>"##,
            x(i),
            y(r.total),
            if risk { 7 } else { 5 },
            if risk { "#b10e1e" } else { "#1d4f91" }
        );
    }
    if let (Some(first), Some(last)) = (responses.first(), responses.last()) {
        let date = |r: &MeasureResponse| bothy_domain::time::uk_date(r.submitted_at).to_string();
        let _ = write!(
            svg,
            r##"<text x="{LEFT}" y="{:.1}" font-size="12" fill="#0b0c0c">{}</text>"##,
            H - 10.0,
            date(first)
        );
        if n > 1 {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="12" fill="#0b0c0c">{}</text>"##,
                W - RIGHT,
                H - 10.0,
                date(last)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The chart of a person's mood check-ins (oldest first), 0 to 10.
pub fn mood_chart(check_ins: &[CheckIn], id: &str) -> String {
    let (lo, hi) = (0.0, 10.0);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let y = |v: f64| TOP + plot_h * (1.0 - (v.clamp(lo, hi) - lo) / (hi - lo));
    let n = check_ins.len();
    let x = |i: usize| {
        if n <= 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let desc = match (check_ins.first(), check_ins.last()) {
        (Some(first), Some(last)) => {
            let lowest = check_ins.iter().map(|c| c.mood).min().unwrap_or(0);
            let highest = check_ins.iter().map(|c| c.mood).max().unwrap_or(0);
            format!(
                "Mood from 0 (very low) to 10 (very good). First {}, latest {} from {} check-ins; lowest {lowest}, highest {highest}.",
                first.mood,
                last.mood,
                check_ins.len()
            )
        }
        _ => "No check-ins yet.".into(),
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="{id}-title {id}-desc" focusable="false"><title id="{id}-title">Mood over time</title><desc id="{id}-desc">{}</desc>"#,
        escape(&desc)
    );
    for v in [lo, 5.0, hi] {
        let yy = y(v);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#b1b4b6" stroke-width="1"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="12" fill="#0b0c0c">{}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            score(v)
        );
    }
    if n > 1 {
        let points: Vec<String> = check_ins
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{:.1},{:.1}", x(i), y(f64::from(c.mood))))
            .collect();
        let _ = write!(
            svg,
            r##"<polyline points="{}" fill="none" stroke="#1d4f91" stroke-width="3"/>"##,
            points.join(" ")
        );
    }
    for (i, c) in check_ins.iter().enumerate() {
        let _ = write!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="5" fill="#1d4f91" stroke="#0b0c0c" stroke-width="1"/>"##,
            x(i),
            y(f64::from(c.mood))
        );
    }
    if let (Some(first), Some(last)) = (check_ins.first(), check_ins.last()) {
        let date = |c: &CheckIn| bothy_domain::time::uk_date(c.checked_in_at).to_string();
        let _ = write!(
            svg,
            r##"<text x="{LEFT}" y="{:.1}" font-size="12" fill="#0b0c0c">{}</text>"##,
            H - 10.0,
            date(first)
        );
        if n > 1 {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="12" fill="#0b0c0c">{}</text>"##,
                W - RIGHT,
                H - 10.0,
                date(last)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A sentence for screen readers: first and latest score and what changed.
fn describe(inst: &Instrument, responses: &[MeasureResponse]) -> String {
    let (Some(first), Some(last)) = (responses.first(), responses.last()) else {
        return "No scores yet.".into();
    };
    let mut s = format!(
        "{} scores, range {} to {}. First {}, latest {} from {} responses.",
        inst.short_name,
        score(inst.total_min),
        score(inst.total_max),
        score(first.total),
        score(last.total),
        responses.len()
    );
    if let Some(c) = &inst.caseness {
        let _ = write!(s, " Clinical cut-off {}.", score(c.value));
    }
    if let Some(rc) = &inst.reliable_change {
        let _ = write!(s, " A change of {} or more is reliable.", score(rc.value));
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_and_formats() {
        assert_eq!(
            super::escape("<a & \"b\">"),
            "&lt;a &amp; &quot;b&quot;&gt;"
        );
        assert_eq!(crate::format::score(12.0), "12");
        assert_eq!(crate::format::score(2.3333), "2.33");
    }
}
