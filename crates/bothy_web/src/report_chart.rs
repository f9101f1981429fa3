//! A horizontal bar chart of one rate per group, with its 95% confidence
//! interval as a whisker and a standard as a dashed line: server-rendered
//! SVG with presentation attributes only (the CSP forbids inline styles), a
//! title and description for screen readers, and the table above it as the
//! alternative holding every number.

use crate::chart::escape;
use bothy_app::dashboard::ChartSeries;
use std::fmt::Write;

const W: f64 = 640.0;
const LABEL: f64 = 170.0;
const RIGHT: f64 = 60.0;
const ROW: f64 = 28.0;
const TOP: f64 = 24.0;

pub fn rate_bars(series: &ChartSeries, id: &str) -> String {
    let n = series.bars.len().max(1) as f64;
    let h = TOP + ROW * n + 24.0;
    let plot = W - LABEL - RIGHT;
    let x = |v: f64| LABEL + plot * v.clamp(0.0, 1.0);
    let desc: Vec<String> = series
        .bars
        .iter()
        .map(|(label, r)| match r {
            Some(r) => format!("{label}: {}", r.percent()),
            None => format!("{label}: not shown"),
        })
        .collect();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {W} {h}" role="img" aria-labelledby="{id}-title {id}-desc" focusable="false"><title id="{id}-title">{}</title><desc id="{id}-desc">{}. The table above has every figure.</desc>"#,
        escape(&series.title),
        escape(&desc.join("; "))
    );
    for v in [0.0, 0.5, 1.0] {
        let _ = write!(
            svg,
            r##"<line x1="{0:.1}" y1="{TOP}" x2="{0:.1}" y2="{1:.1}" stroke="#b1b4b6" stroke-width="1"/><text x="{0:.1}" y="{2:.1}" text-anchor="middle" font-size="12" fill="#0b0c0c">{3}%</text>"##,
            x(v),
            TOP + ROW * n,
            TOP + ROW * n + 16.0,
            (v * 100.0) as i64
        );
    }
    for (i, (label, rate)) in series.bars.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="12" fill="#0b0c0c">{}</text>"##,
            LABEL - 6.0,
            y + ROW / 2.0 + 4.0,
            escape(label)
        );
        match rate.and_then(|r| r.value().map(|v| (r, v))) {
            Some((r, v)) => {
                let _ = write!(
                    svg,
                    r##"<rect x="{LABEL}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#1d4f91"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#0b0c0c">{}</text>"##,
                    y + 5.0,
                    x(v) - LABEL,
                    ROW - 10.0,
                    W - RIGHT + 4.0,
                    y + ROW / 2.0 + 4.0,
                    r.percent()
                );
                if let Some((lo, hi)) = r.wilson95() {
                    let _ = write!(
                        svg,
                        r##"<line x1="{0:.1}" y1="{1:.1}" x2="{2:.1}" y2="{1:.1}" stroke="#0b0c0c" stroke-width="2"/>"##,
                        x(lo),
                        y + ROW / 2.0,
                        x(hi)
                    );
                }
            }
            None => {
                let _ = write!(
                    svg,
                    r##"<text x="{:.1}" y="{:.1}" font-size="12" fill="#0b0c0c">not shown</text>"##,
                    LABEL + 4.0,
                    y + ROW / 2.0 + 4.0
                );
            }
        }
    }
    if let Some(t) = series.target {
        let _ = write!(
            svg,
            r##"<line x1="{0:.1}" y1="{1:.1}" x2="{0:.1}" y2="{2:.1}" stroke="#b10e1e" stroke-width="2" stroke-dasharray="6 4"/><text x="{0:.1}" y="{3:.1}" text-anchor="middle" font-size="12" fill="#b10e1e">standard {4}%</text>"##,
            x(t),
            TOP - 4.0,
            TOP + ROW * n,
            TOP - 8.0,
            (t * 100.0).round() as i64
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use bothy_domain::reports::Rate;

    #[test]
    fn bars_name_every_group_and_hide_suppressed_ones() {
        let s = ChartSeries {
            title: "Recovery <rate>".into(),
            bars: vec![
                ("1 (most deprived)".into(), Some(Rate::new(5, 10))),
                ("2".into(), None),
            ],
            target: Some(0.5),
        };
        let svg = rate_bars(&s, "c1");
        assert!(svg.contains("Recovery &lt;rate&gt;"));
        assert!(svg.contains("1 (most deprived): 50.0%; 2: not shown"));
        assert!(svg.contains("standard 50%"));
    }
}
