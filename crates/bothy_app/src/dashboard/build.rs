//! From the store's grouped counts to the tables a reader sees: groups in
//! a fixed order, counts suppressed (with secondary suppression down each
//! column, whose total is published), rates shown only where their
//! numerator, denominator and the difference of the two are publishable.

use super::{ChartSeries, ReportTable};
use bothy_domain::reports::{AgeBand, Breakdown, Rate, Suppression, suppress_table};
use bothy_store::GroupCounts;

pub(super) struct Raw {
    pub referrals: Vec<GroupCounts>,
    pub waits: Vec<GroupCounts>,
    pub waiting: Vec<GroupCounts>,
    pub discharges: Vec<GroupCounts>,
    pub alerts: Vec<GroupCounts>,
    pub engagement: Vec<GroupCounts>,
}

const SOURCES: [(&str, &str); 3] = [
    ("self", "Self-referral"),
    ("professional", "Professional"),
    ("fhir", "From another system"),
];

/// A column of a measure table, naming the raw values it reads.
enum Col {
    Count(&'static str, usize),
    Rate(&'static str, usize, usize),
    /// A mean of a sum (not a count, never shown itself) over a count.
    Mean(&'static str, usize, usize),
}

/// The groups to show, in order: every quintile and age band (so that an
/// empty one shows as 0), the others as found; "not known" last.
fn group_keys(by: Breakdown, found: &[&GroupCounts]) -> Vec<String> {
    let mut keys: Vec<String> = match by {
        Breakdown::None => return vec!["all".to_string()],
        Breakdown::Quintile => (1..=5).map(|q| q.to_string()).collect(),
        Breakdown::AgeBand => AgeBand::ALL
            .iter()
            .map(|b| b.lowest().to_string())
            .collect(),
        _ => Vec::new(),
    };
    let mut others: Vec<String> = found
        .iter()
        .map(|g| g.key.clone())
        .filter(|k| !k.is_empty() && !keys.contains(k))
        .collect();
    others.sort();
    others.dedup();
    keys.extend(others);
    if found.iter().any(|g| g.key.is_empty()) {
        keys.push(String::new());
    }
    keys
}

/// Each group's values summed over the store's rows (which may split a
/// group further, by source).
fn values(rows: &[GroupCounts], keys: &[String], n: usize) -> Vec<Vec<u64>> {
    keys.iter()
        .map(|k| {
            let mut v = vec![0u64; n];
            for r in rows.iter().filter(|r| &r.key == k) {
                for (i, c) in r.counts.iter().enumerate().take(n) {
                    v[i] += u64::try_from(*c).unwrap_or(0);
                }
            }
            v
        })
        .collect()
}

fn rate_text(r: Rate) -> String {
    format!("{} ({})", r.percent(), r.interval_text())
}

/// Whether a rate may be shown beside its suppressed counts.
fn publishable(rule: Suppression, num: Option<u64>, den: Option<u64>) -> Option<Rate> {
    let (n, d) = (num?, den?);
    (!rule.is_small(d.saturating_sub(n))).then(|| Rate::new(n, d))
}

#[allow(clippy::too_many_arguments)]
fn measure_table(
    id: &'static str,
    title: &str,
    note: &str,
    by: Breakdown,
    rows: &[GroupCounts],
    n: usize,
    cols: &[Col],
    rule: Suppression,
    chart: Option<(usize, &str, Option<f64>)>,
) -> ReportTable {
    let found: Vec<&GroupCounts> = rows.iter().collect();
    let keys = group_keys(by, &found);
    let raw = values(rows, &keys, n);
    // The count columns, suppressed together down the groups.
    let counted: Vec<usize> = cols
        .iter()
        .filter_map(|c| match c {
            Col::Count(_, i) => Some(*i),
            _ => None,
        })
        .collect();
    let matrix: Vec<Vec<u64>> = raw
        .iter()
        .map(|v| counted.iter().map(|&i| v[i]).collect())
        .collect();
    let table = suppress_table(&matrix, rule, false, by != Breakdown::None);
    let totals_raw: Vec<u64> = (0..n).map(|i| raw.iter().map(|v| v[i]).sum()).collect();
    let shown = |cells: &[bothy_domain::reports::Cell], raw_idx: usize| {
        counted
            .iter()
            .position(|&i| i == raw_idx)
            .and_then(|p| cells[p].shown())
    };
    let render = |label: String, cells: &[bothy_domain::reports::Cell], v: &[u64]| {
        let mut row = vec![label];
        let mut rates = Vec::new();
        for c in cols {
            match c {
                Col::Count(_, i) => {
                    let p = counted.iter().position(|x| x == i).unwrap_or(0);
                    row.push(cells[p].text());
                }
                Col::Rate(_, num, den) => {
                    let r = publishable(rule, shown(cells, *num), shown(cells, *den));
                    rates.push(r);
                    row.push(r.map_or_else(|| "*".to_string(), rate_text));
                }
                Col::Mean(_, sum, den) => row.push(match shown(cells, *den) {
                    Some(0) => "-".to_string(),
                    Some(d) => format!("{:.1}", v[*sum] as f64 / d as f64),
                    None => "*".to_string(),
                }),
            }
        }
        (row, rates)
    };
    let mut out_rows = Vec::new();
    let mut bars = Vec::new();
    for (g, key) in keys.iter().enumerate() {
        let label = by.group_label(key);
        let (row, rates) = render(label.clone(), &table.cells[g], &raw[g]);
        if let Some((k, _, _)) = chart {
            bars.push((label, rates.get(k).copied().flatten()));
        }
        out_rows.push(row);
    }
    if let Some(totals) = &table.col_totals {
        out_rows.push(render("Total".to_string(), totals, &totals_raw).0);
    }
    let mut columns = vec![by.label().to_string()];
    if by == Breakdown::None {
        columns[0] = "Group".to_string();
    }
    for c in cols {
        columns.push(match c {
            Col::Count(t, _) | Col::Mean(t, _, _) => t.to_string(),
            Col::Rate(t, _, _) => format!("{t} (95% CI)"),
        });
    }
    ReportTable {
        id,
        title: title.to_string(),
        note: note.to_string(),
        columns,
        rows: out_rows,
        chart: chart.map(|(_, t, target)| ChartSeries {
            title: t.to_string(),
            bars,
            target,
        }),
    }
}

/// Referrals by month (rows) and source (columns), both totals published.
fn referrals_by_month(raw: &Raw, rule: Suppression, months: &[String]) -> ReportTable {
    let counts: Vec<Vec<u64>> = (0..months.len())
        .map(|m| {
            SOURCES
                .iter()
                .map(|(s, _)| {
                    raw.referrals
                        .iter()
                        .filter(|r| r.sub == *s)
                        .map(|r| u64::try_from(r.counts.get(m).copied().unwrap_or(0)).unwrap_or(0))
                        .sum()
                })
                .collect()
        })
        .collect();
    let t = suppress_table(&counts, rule, true, true);
    let row_totals = t.row_totals.clone().unwrap_or_default();
    let mut rows: Vec<Vec<String>> = months
        .iter()
        .enumerate()
        .map(|(m, label)| {
            let mut row = vec![label.clone()];
            row.extend(t.cells[m].iter().map(|c| c.text()));
            row.push(row_totals.get(m).map_or_else(String::new, |c| c.text()));
            row
        })
        .collect();
    let mut total = vec!["Total".to_string()];
    total.extend(t.col_totals.unwrap_or_default().iter().map(|c| c.text()));
    total.push(t.total.map_or_else(String::new, |c| c.text()));
    rows.push(total);
    let mut columns = vec!["Month".to_string()];
    columns.extend(SOURCES.iter().map(|(_, l)| l.to_string()));
    columns.push("All referrals".to_string());
    ReportTable {
        id: "referrals-by-month",
        title: "Referrals by month and source".to_string(),
        note: "Referrals received in each calendar month (UK time), by how they arrived."
            .to_string(),
        columns,
        rows,
        chart: None,
    }
}

/// Referrals by group (rows) and source (columns) with each group's
/// total (so suppression runs along rows too) and the self-referral share.
fn referrals_by_group(raw: &Raw, by: Breakdown, rule: Suppression) -> ReportTable {
    let found: Vec<&GroupCounts> = raw.referrals.iter().collect();
    let keys = group_keys(by, &found);
    let counts: Vec<Vec<u64>> = keys
        .iter()
        .map(|key| {
            SOURCES
                .iter()
                .map(|(s, _)| {
                    raw.referrals
                        .iter()
                        .filter(|r| &r.key == key && r.sub == *s)
                        .map(|r| {
                            r.counts
                                .iter()
                                .map(|c| u64::try_from(*c).unwrap_or(0))
                                .sum::<u64>()
                        })
                        .sum()
                })
                .collect()
        })
        .collect();
    let t = suppress_table(&counts, rule, true, by != Breakdown::None);
    let row_totals = t.row_totals.clone().unwrap_or_default();
    let mut rows = Vec::new();
    let mut bars = Vec::new();
    let line = |label: String,
                cells: &[bothy_domain::reports::Cell],
                total: Option<bothy_domain::reports::Cell>| {
        let mut row = vec![label];
        row.extend(cells.iter().map(|c| c.text()));
        row.push(total.map_or_else(String::new, |c| c.text()));
        let share = publishable(
            rule,
            cells.first().and_then(|c| c.shown()),
            total.and_then(|c| c.shown()),
        );
        row.push(share.map_or_else(|| "*".to_string(), rate_text));
        (row, share)
    };
    for (g, key) in keys.iter().enumerate() {
        let label = by.group_label(key);
        let (row, share) = line(label.clone(), &t.cells[g], row_totals.get(g).copied());
        bars.push((label, share));
        rows.push(row);
    }
    if let Some(totals) = &t.col_totals {
        rows.push(line("Total".to_string(), totals, t.total).0);
    }
    let mut columns = vec![if by == Breakdown::None {
        "Group".to_string()
    } else {
        by.label().to_string()
    }];
    columns.extend(SOURCES.iter().map(|(_, l)| l.to_string()));
    columns.push("All referrals".to_string());
    columns.push("Self-referral share (95% CI)".to_string());
    ReportTable {
        id: "referrals",
        title: "Referrals and self-referral share".to_string(),
        note: "Referrals received in the period, by how they arrived; the share that people made themselves."
            .to_string(),
        columns,
        rows,
        chart: Some(ChartSeries {
            title: "Self-referral share".to_string(),
            bars,
            target: None,
        }),
    }
}

pub(super) fn tables(
    raw: &Raw,
    by: Breakdown,
    rule: Suppression,
    months: &[String],
) -> Vec<ReportTable> {
    use Col::*;
    vec![
        referrals_by_month(raw, rule, months),
        referrals_by_group(raw, by, rule),
        measure_table(
            "waits",
            "Waits from referral to first treatment",
            "People whose first treatment contact was in the period (completed waits). Standards: \
             Scotland 90% within 18 weeks (Public Health Scotland); England 75% within 6 weeks and \
             95% within 18 weeks (NHS Talking Therapies).",
            by,
            &raw.waits,
            4,
            &[
                Count("Started treatment", 0),
                Count("Within 6 weeks", 1),
                Rate("Within 6 weeks", 1, 0),
                Count("Within 18 weeks", 2),
                Rate("Within 18 weeks", 2, 0),
                Mean("Average wait (days)", 3, 0),
            ],
            rule,
            Some((1, "Started within 18 weeks of referral", Some(0.90))),
        ),
        measure_table(
            "waiting-list",
            "Waiting list at the end of the period",
            "Accepted referrals not yet started or discharged on the period's last day, by how long they had waited.",
            by,
            &raw.waiting,
            3,
            &[
                Count("Waiting", 0),
                Count("Over 6 weeks", 1),
                Count("Over 18 weeks", 2),
            ],
            rule,
            None,
        ),
        measure_table(
            "treatment",
            "Treatment ended",
            "Episodes discharged in the period. Entered treatment: at least one treatment session. \
             Finished a course: two or more. Dropout: ended after exactly one session, of those who entered.",
            by,
            &raw.discharges,
            10,
            &[
                Count("Ended", 0),
                Count("Entered treatment", 8),
                Count("Finished a course", 1),
                Count("Ended after one session", 9),
                Rate("Dropout", 9, 8),
                Mean("Average sessions (finished)", 7, 1),
            ],
            rule,
            None,
        ),
        measure_table(
            "outcomes",
            "Outcomes (NHS Talking Therapies definitions)",
            "Of people who finished a course of treatment in the period. Recovery and reliable recovery \
             are out of those at caseness at the start; reliable improvement and deterioration out of all \
             who finished (docs/outcomes.md).",
            by,
            &raw.discharges,
            10,
            &[
                Count("Finished a course", 1),
                Count("At caseness", 2),
                Count("Recovered", 3),
                Rate("Recovery", 3, 2),
                Count("Reliable recovery", 5),
                Rate("Reliable recovery", 5, 2),
                Count("Reliable improvement", 4),
                Rate("Reliable improvement", 4, 1),
                Count("Reliable deterioration", 6),
                Rate("Reliable deterioration", 6, 1),
            ],
            rule,
            Some((0, "Recovery rate", Some(0.50))),
        ),
        measure_table(
            "alerts",
            "Alerts and response times",
            "Alerts raised in the period, and how many were acknowledged by their deadline.",
            by,
            &raw.alerts,
            4,
            &[
                Count("Raised", 0),
                Count("Acknowledged", 1),
                Count("Acknowledged by the deadline", 2),
                Rate("Acknowledged by the deadline", 2, 0),
                Mean("Average minutes to acknowledge", 3, 1),
            ],
            rule,
            None,
        ),
        measure_table(
            "engagement",
            "Digital engagement",
            "People whose episode opened in the period: activated their account, enrolled on a programme, \
             completed at least one module, checked in at least once.",
            by,
            &raw.engagement,
            5,
            &[
                Count("Episodes opened", 0),
                Count("Activated", 1),
                Rate("Activated", 1, 0),
                Count("Enrolled", 2),
                Count("Completed a module", 3),
                Rate("Completed a module", 3, 0),
                Count("Checked in", 4),
                Rate("Checked in", 4, 0),
            ],
            rule,
            Some((1, "Completed at least one module", None)),
        ),
    ]
}
