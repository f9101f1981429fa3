//! The report: notes on how the run went (warnings first), then three
//! Markdown tables (requests against the server, the service-wide work,
//! the server process), each row with its target and whether this run met
//! it.

use crate::stats::Summary;
use std::fmt::Write;
use std::time::Duration;

/// Whether a run met a target.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Met,
    Missed,
    /// The row has no target, or the run was not at the target's size.
    NotApplicable(String),
}

impl Verdict {
    pub fn of(met: bool) -> Verdict {
        if met { Verdict::Met } else { Verdict::Missed }
    }

    fn cell(&self) -> String {
        match self {
            Verdict::Met => "met".into(),
            Verdict::Missed => "**missed**".into(),
            Verdict::NotApplicable(why) if why.is_empty() => "".into(),
            Verdict::NotApplicable(why) => format!("n/a: {why}"),
        }
    }
}

/// The database's own figure for the same work, and what measured it.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// `pgbench`, `sqlx, 1 connection`, `SELECT` ...
    pub tool: String,
    pub summary: Summary,
}

/// One measurement of requests, with the database's own figure.
#[derive(Debug, Clone)]
pub struct RequestRow {
    pub workload: String,
    pub clients: String,
    pub summary: Summary,
    pub baseline: Option<Baseline>,
    /// How the ratio is taken: throughput (closed loop) or p95 (open loop).
    pub by_latency: bool,
    pub target: String,
    pub verdict: Verdict,
}

impl RequestRow {
    /// Throughput as a share of the baseline's, or p95 as a multiple of it.
    pub fn ratio(&self) -> Option<f64> {
        let b = self.baseline.as_ref()?.summary;
        if self.by_latency {
            let base = b.p95.as_secs_f64();
            (base > 0.0).then(|| self.summary.p95.as_secs_f64() / base)
        } else {
            (b.throughput > 0.0).then(|| self.summary.throughput / b.throughput)
        }
    }
}

/// One piece of service-wide work.
#[derive(Debug, Clone)]
pub struct WorkRow {
    pub workload: String,
    pub items: u64,
    pub unit: &'static str,
    pub load: Duration,
    pub compute: Duration,
    pub target: String,
    pub verdict: Verdict,
}

/// One measurement of the server process.
#[derive(Debug, Clone)]
pub struct ProcessRow {
    pub measurement: String,
    pub value: String,
    pub target: String,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub title: String,
    /// Warnings (shown first, in bold) and notes on how the run went.
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
    pub requests: Vec<RequestRow>,
    pub work: Vec<WorkRow>,
    pub process: Vec<ProcessRow>,
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}\n", self.title);
        for w in &self.warnings {
            let _ = writeln!(out, "- **WARNING: {w}**");
        }
        for n in &self.notes {
            let _ = writeln!(out, "- {n}");
        }
        if !self.warnings.is_empty() || !self.notes.is_empty() {
            out += "\n";
        }
        out += "| workload | clients | requests | errors | per second | p50 ms | p95 ms | p99 ms | database's own figure | ratio | target | result |\n";
        out += "|---|---|--:|--:|--:|--:|--:|--:|---|--:|---|---|\n";
        for r in &self.requests {
            let s = &r.summary;
            let baseline = match (&r.baseline, r.by_latency) {
                (None, _) => "".to_string(),
                (Some(b), false) => format!(
                    "{}: {:.0}/s, p99 {} ms",
                    b.tool,
                    b.summary.throughput,
                    ms(b.summary.p99)
                ),
                (Some(b), true) => format!("{}: p95 {} ms", b.tool, ms(b.summary.p95)),
            };
            let ratio = match (r.ratio(), r.by_latency) {
                (None, _) => "".to_string(),
                (Some(x), false) => format!("{:.0}%", x * 100.0),
                (Some(x), true) => format!("{x:.1}× p95"),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {} | {} | {} |",
                r.workload,
                r.clients,
                s.requests,
                s.errors,
                s.throughput,
                ms(s.p50),
                ms(s.p95),
                ms(s.p99),
                baseline,
                ratio,
                r.target,
                r.verdict.cell()
            );
        }
        out += "\n| workload | items | read s | compute s | total s | per second | target | result |\n";
        out += "|---|--:|--:|--:|--:|--:|---|---|\n";
        for w in &self.work {
            let total = w.load + w.compute;
            let rate = w.items as f64 / total.as_secs_f64().max(1e-9);
            let _ = writeln!(
                out,
                "| {} | {} {} | {} | {} | {} | {:.0} | {} | {} |",
                w.workload,
                w.items,
                w.unit,
                secs(w.load),
                secs(w.compute),
                secs(total),
                rate,
                w.target,
                w.verdict.cell()
            );
        }
        out += "\n| server process | value | target | result |\n|---|--:|---|---|\n";
        for p in &self.process {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                p.measurement,
                p.value,
                p.target,
                p.verdict.cell()
            );
        }
        out
    }
}
