//! One benchmark run, in order: the synthetic service (generated if
//! missing), this run's accounts, the server process, the request workloads
//! with their baselines, then the service-wide work.

use crate::load::{closed_loop, open_loop};
use crate::reads::{Get, RawRead, RawSelect, staff_session};
use crate::server::{Memory, Server, ServerCommand};
use crate::stats::Summary;
use crate::table::{ProcessRow, Report, RequestRow, Verdict, WorkRow};
use crate::writes::{CheckIn, FhirPhq9, FormPhq9, Patient, RawInsert};
use crate::{seed, service};
use anyhow::Context;
use bothy_app::App;
use bothy_app::credentials::totp_code;
use bothy_domain::model::Service;
use bothy_store::Backend;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Options {
    /// Synthetic patients to generate when the service does not exist yet.
    pub patients: u64,
    pub seed: u64,
    pub service: String,
    /// How long each measurement runs.
    pub duration: Duration,
    /// Concurrent clients for the closed-loop writes.
    pub clients: Vec<usize>,
    /// Requests a second for the open-loop reads (W3).
    pub rate: f64,
}

impl Options {
    /// A run of a few seconds that only proves everything works.
    pub fn tiny(service: &str) -> Options {
        Options {
            patients: 100,
            seed: 1,
            service: service.into(),
            duration: Duration::from_millis(250),
            clients: vec![1, 8],
            rate: 40.0,
        }
    }
}

const W1_TARGET: &str = "≥ 25% of baseline, p99 ≤ 20 ms";

pub async fn run(app: Arc<App>, opts: &Options, cmd: &ServerCommand) -> anyhow::Result<Report> {
    let backend = app.store.backend();
    let service = ensure_service(&app, opts).await?;
    let tag = bothy_domain::PatientId::random().to_string()[..8].to_string();
    let max_clients = opts.clients.iter().copied().max().unwrap_or(1);
    progress(format!("creating this run's accounts ({tag})"));
    let acc = seed::accounts(&app, &service, &tag, max_clients).await?;
    let mut tx = app.store.read().await?;
    let chart_patient = tx.bench_patient_with_history(service.id, 2).await?;
    tx.rollback().await?;
    let chart_patient = chart_patient.unwrap_or(acc.patients[0].0);

    progress("starting the server".into());
    let server = Server::start(cmd).await?;
    let at_start = server.memory();
    let addr = server.addr;
    let mut patients = Vec::new();
    for (i, (_, email)) in acc.patients.iter().enumerate() {
        patients.push(Patient::sign_in(addr, email, &acc.password, format!("{tag}-{i}")).await?);
    }
    let code = totp_code(&acc.staff_totp, seed::unix_secs(&app) + 30).context("no code")?;
    let staff = staff_session(addr, &acc.staff_email, &acc.password, &code).await?;
    let idle = server.memory();

    let mut report = Report {
        title: format!(
            "Bothy bench on {}: service {:?}, {} s per measurement",
            match backend {
                Backend::Sqlite => "SQLite",
                Backend::Postgres => "PostgreSQL",
            },
            opts.service,
            opts.duration.as_secs_f64()
        ),
        ..Report::default()
    };
    let phq9 = app.instrument("phq9")?.clone();
    let base = format!("http://{addr}/fhir");
    let d = opts.duration;
    for &n in &opts.clients {
        progress(format!("writes at {n} clients"));
        app.store.baseline_create().await?;
        let raw: Vec<RawInsert> = (0..n)
            .map(|i| RawInsert {
                store: app.store.clone(),
                tag: format!("{tag}-{n}-{i}"),
                patient: acc.patients[i].0.to_string(),
            })
            .collect();
        let baseline = closed_loop(raw, d).await.0.summary();
        app.store.baseline_drop().await?;
        let target = |s: &Summary| {
            if n == 8 {
                let met = s.throughput >= 0.25 * baseline.throughput
                    && s.p99 <= Duration::from_millis(20);
                (W1_TARGET.to_string(), Verdict::of(met && s.errors == 0))
            } else {
                (String::new(), Verdict::NotApplicable(String::new()))
            }
        };
        let mut row = |workload: &str, s: Summary| {
            let (t, v) = target(&s);
            report.requests.push(RequestRow {
                workload: workload.into(),
                clients: n.to_string(),
                summary: s,
                baseline: Some(baseline),
                by_latency: false,
                target: t,
                verdict: v,
            });
        };
        let rest = patients.split_off(n);
        let (s, back) = closed_loop(patients.into_iter().map(FormPhq9).collect(), d).await;
        row("W1 PHQ-9, form", s.summary());
        let mut fhir = Vec::new();
        for i in 0..back.len() {
            fhir.push(FhirPhq9 {
                conn: crate::client::Conn::open(addr)
                    .await?
                    .with_bearer(&acc.api_token),
                patient: acc.patients[i].0,
                tag: format!("{tag}-fhir-{n}-{i}"),
                base: base.clone(),
                phq9: phq9.clone(),
            });
        }
        row("W1 PHQ-9, FHIR", closed_loop(fhir, d).await.0.summary());
        let (s, back) = closed_loop(back.into_iter().map(|f| CheckIn(f.0)).collect(), d).await;
        row("W2 mood check-in", s.summary());
        patients = back.into_iter().map(|c| c.0).chain(rest).collect();
    }

    progress("reads".into());
    let reads = [
        (
            "W3 staff home (50 patients)",
            "/staff".to_string(),
            RawRead::StaffHome(service.id),
        ),
        (
            "W3 patient page (3 charts)",
            format!("/staff/patients/{chart_patient}"),
            RawRead::PatientPage(chart_patient),
        ),
    ];
    // Enough connections that each has time to spare between its requests.
    let conns = 32;
    for (name, path, raw) in reads {
        let mut gets = Vec::new();
        for _ in 0..conns {
            gets.push(Get {
                conn: staff.open_like().await?,
                path: path.clone(),
            });
        }
        let s = open_loop(gets, opts.rate, d).await.0.summary();
        let raw: Vec<RawSelect> = (0..conns)
            .map(|_| RawSelect {
                store: app.store.clone(),
                read: raw,
            })
            .collect();
        let b = open_loop(raw, opts.rate, d).await.0.summary();
        let verdict = if opts.rate >= 500.0 {
            Verdict::of(s.p95 <= Duration::from_millis(20) && s.errors == 0)
        } else {
            Verdict::NotApplicable(format!("run at {:.0}/s", opts.rate))
        };
        report.requests.push(RequestRow {
            workload: name.into(),
            clients: format!("open loop {:.0}/s", opts.rate),
            summary: s,
            baseline: Some(b),
            by_latency: true,
            target: "p95 ≤ 20 ms at 500/s".into(),
            verdict,
        });
    }
    let search = format!(
        "/fhir/QuestionnaireResponse?subject=Patient/{chart_patient}&_sort=-authored&_count=10"
    );
    let n = 8;
    let mut gets = Vec::new();
    for _ in 0..n {
        gets.push(Get {
            conn: crate::client::Conn::open(addr)
                .await?
                .with_bearer(&acc.api_token),
            path: search.clone(),
        });
    }
    let s = closed_loop(gets, d).await.0.summary();
    let raw = (0..n)
        .map(|_| RawSelect {
            store: app.store.clone(),
            read: RawRead::Search(chart_patient),
        })
        .collect();
    let b = closed_loop(raw, d).await.0.summary();
    report.requests.push(RequestRow {
        workload: "W4 FHIR search, 10 newest".into(),
        clients: n.to_string(),
        summary: s,
        baseline: Some(b),
        by_latency: false,
        target: String::new(),
        verdict: Verdict::NotApplicable(String::new()),
    });
    drop(patients);
    process_rows(&mut report, &server, at_start, idle);
    server.stop().await;

    progress("service-wide work".into());
    let now = app.clock.now();
    let w5 = service::outcomes(&app, service.id, now).await?;
    let postgres = backend == Backend::Postgres;
    report.work.push(work_row(
        "W5 outcome classification, a year's finished episodes",
        w5,
        "episodes",
        "≤ 2 s per 1M episodes (PostgreSQL)",
        Duration::from_secs(2),
        postgres,
    ));
    let w6 = service::detectors(&app).await?;
    report.work.push(work_row(
        "W6 the monitoring sweep, everyone in an open episode",
        w6,
        "people",
        "≤ 5 s per 1M patients",
        Duration::from_secs(5),
        true,
    ));
    Ok(report)
}

fn work_row(
    name: &str,
    t: service::Timed,
    unit: &'static str,
    target: &str,
    limit: Duration,
    applies: bool,
) -> WorkRow {
    let per_million = t.total().as_secs_f64() * 1e6 / (t.items.max(1) as f64);
    let verdict = if !applies {
        Verdict::NotApplicable("PostgreSQL only".into())
    } else if t.items >= 1_000_000 {
        Verdict::of(t.total() <= limit)
    } else {
        Verdict::NotApplicable(format!(
            "{} {unit}, {per_million:.1} s per 1M at this rate",
            t.items
        ))
    };
    WorkRow {
        workload: name.into(),
        items: t.items,
        unit,
        load: t.load,
        compute: t.compute,
        target: target.into(),
        verdict,
    }
}

fn process_rows(
    report: &mut Report,
    server: &Server,
    at_start: Option<Memory>,
    idle: Option<Memory>,
) {
    let mb = |b: u64| format!("{:.1} MB", b as f64 / 1_048_576.0);
    let limit = 100 * 1_048_576;
    let peak = server
        .memory()
        .map(|m| m.hwm)
        .unwrap_or(0)
        .max(server.sampled_peak());
    report.process.push(ProcessRow {
        measurement: "start-up to first answer (`GET /readyz`), existing database".into(),
        value: format!("{:.0} ms", server.startup.as_secs_f64() * 1000.0),
        target: "≤ 1 s".into(),
        verdict: Verdict::of(server.startup <= Duration::from_secs(1)),
    });
    report.process.push(ProcessRow {
        measurement: "resident memory, idle at start-up".into(),
        value: at_start
            .map(|m| mb(m.rss))
            .unwrap_or_else(|| "unknown".into()),
        target: String::new(),
        verdict: Verdict::NotApplicable(String::new()),
    });
    report.process.push(ProcessRow {
        measurement: "resident memory, idle after the sign-ins (before load)".into(),
        value: idle.map(|m| mb(m.rss)).unwrap_or_else(|| "unknown".into()),
        target: String::new(),
        verdict: Verdict::NotApplicable(String::new()),
    });
    report.process.push(ProcessRow {
        measurement: "resident memory, peak under load (VmHWM)".into(),
        value: mb(peak),
        target: "≤ 100 MB".into(),
        verdict: if peak == 0 {
            Verdict::NotApplicable("no /proc".into())
        } else {
            Verdict::of(peak <= limit)
        },
    });
}

/// The synthetic service, generated first if the database has none.
async fn ensure_service(app: &App, opts: &Options) -> anyhow::Result<Service> {
    if let Ok(s) = app.service_by_slug(&opts.service).await {
        return Ok(s);
    }
    progress(format!(
        "no service {:?}: generating {} synthetic patients",
        opts.service, opts.patients
    ));
    let now = app.clock.now();
    let day = 86_400;
    let start_of_day =
        jiff::Timestamp::from_second(now.as_second().div_euclid(day) * day).unwrap_or(now);
    let config =
        bothy_synth::SynthConfig::new(opts.patients, opts.seed, &opts.service, start_of_day);
    bothy_synth::synthesize(&app.store, &config).await?;
    app.rebuild_summaries().await?;
    Ok(app.service_by_slug(&opts.service).await?)
}

fn progress(what: String) {
    eprintln!("bench: {what}");
}
