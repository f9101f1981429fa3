//! One benchmark run, in order: the synthetic service (generated if
//! missing), this run's people, the server process and its worker's first
//! pass, the sign-ins and a sign-in flood, the request workloads each next
//! to the database's own figure, the mixed load, then the service-wide
//! work.

use crate::client::sources_work;
use crate::flood::sign_in_flood;
use crate::native::Native;
use crate::people::{self, Sessions, Sources};
use crate::seed::FreshPatient;
use crate::server::{Memory, Server, ServerCommand};
use crate::stats::Summary;
use crate::table::{Baseline, ProcessRow, Report, RequestRow, Verdict};
use crate::{pgbench, phases, seed};
use anyhow::Context;
use bothy_app::App;
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
    /// Requests a second for the mixed load (W7).
    pub mixed_rate: f64,
    /// Patients each write client takes in turn (W1, W2).
    pub patients_per_client: usize,
    /// Staff reading at once in W3's many-clinician variant and in W7: half
    /// clinical leads, half supporters with their own caseloads.
    pub clinicians: usize,
    /// Patients each of those clinicians reads.
    pub patients_per_clinician: usize,
    /// Patients signed in for W7.
    pub mixed_patients: usize,
    /// Failed sign-in attempts in the flood.
    pub flood: usize,
    /// The longest to wait for the worker's first pass before measuring.
    pub worker_wait: Duration,
    /// Only W5 and W6, in this process (no server, no people made).
    pub service_wide_only: bool,
    /// W8's group: approved posts, and held posts in the moderation queue.
    pub peer_posts: usize,
    pub peer_held: usize,
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
            mixed_rate: 40.0,
            patients_per_client: 1,
            clinicians: 2,
            patients_per_clinician: 2,
            mixed_patients: 2,
            flood: 40,
            worker_wait: Duration::from_secs(60),
            service_wide_only: false,
            peer_posts: 200,
            peer_held: 50,
        }
    }
}

/// The database the server uses, as this process reaches it itself.
#[derive(Debug, Clone)]
pub struct Database {
    pub url: String,
    /// The server's pool size, used for the read baselines too.
    pub connections: u32,
}

pub async fn run(
    app: Arc<App>,
    opts: &Options,
    cmd: &ServerCommand,
    db: &Database,
) -> anyhow::Result<Report> {
    let backend = app.store().backend();
    let service = ensure_service(&app, opts).await?;
    let tag = bothy_domain::PatientId::random().to_string()[..8].to_string();
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
    if opts.service_wide_only {
        phases::service_wide(&app, &mut report, &service, backend).await?;
        return Ok(report);
    }
    progress(format!("creating this run's people ({tag})"));
    let (people, fresh) = people::make(&app, &service, &tag, opts).await?;
    let all_fresh: Vec<FreshPatient> = people
        .writes
        .iter()
        .flat_map(|w| w.iter().flatten())
        .chain(people.caseloads.iter().flatten())
        .chain(&people.mixed)
        .chain([&people.hot, &people.search])
        .cloned()
        .collect();
    let (responses, check_ins) = seed::history(&all_fresh);
    report.notes.push(format!(
        "Every workload has patients of its own, generated for this run as the service's \
         were and chosen among those in treatment ({} of {} generated): on average {responses:.1} \
         measure responses and {check_ins:.1} check-ins each. Each write client takes its \
         patients ({} each) in turn.",
        all_fresh.len(),
        fresh.generated,
        opts.patients_per_client
    ));
    let native = Native::connect(&db.url, db.connections)
        .await
        .context("cannot open the benchmark's own database connections")?;
    let pgbench = if native.is_postgres() {
        let found = pgbench::find();
        if found.is_none() {
            report.warnings.push(
                "pgbench was not found on the PATH: PostgreSQL's native write baseline was NOT \
                 measured. The write rows' figure is the same insert through sqlx instead, and \
                 their targets are not judged."
                    .into(),
            );
        }
        found
    } else {
        None
    };
    // Without autovacuum nothing gathers statistics while the run adds its
    // rows (the audit trail grows from the few events a synthetic service
    // has to hundreds of thousands), and plans chosen for an empty table
    // would scan whole tables; a running service's autovacuum would not
    // let them. So the run gathers them before each phase instead.
    let analyze = native.autovacuum_off().await?;
    if analyze {
        report.warnings.push(
            "PostgreSQL's autovacuum is off on this server: the run gathers the planner's \
             statistics (ANALYZE) before each phase, as autovacuum would as tables grow"
                .into(),
        );
    }
    let stats = || async {
        if analyze {
            native.analyze().await?;
        }
        anyhow::Ok(())
    };
    let varied = sources_work();
    if !varied {
        report.warnings.push(
            "this machine cannot connect from other loopback addresses: every sign-in and the \
             flood came from one address, so the per-address throttle turned most of the flood \
             away before any hashing"
                .into(),
        );
    }

    progress("starting the server".into());
    let server = Server::start(cmd).await?;
    let mut memory = Memories {
        at_start: server.memory(),
        ..Memories::default()
    };
    let addr = server.addr;
    let first_pass = server.worker_first_pass(&cmd.log, opts.worker_wait).await;
    memory.after_pass = server.memory();
    let worker_row = ProcessRow {
        measurement: "background worker's first pass, from start-up".into(),
        value: match first_pass {
            Some(d) => format!("{:.1} s", d.as_secs_f64()),
            None => format!("over {:.0} s", opts.worker_wait.as_secs_f64()),
        },
        target: String::new(),
        verdict: Verdict::NotApplicable(match first_pass {
            Some(_) => "finished before the sign-ins and measurements".into(),
            None => "**still running: it overlapped the measurements**".into(),
        }),
    };
    if first_pass.is_none() {
        report.warnings.push(format!(
            "the background worker's first pass had not finished after {:.0} s and overlapped \
             the measurements",
            opts.worker_wait.as_secs_f64()
        ));
    }

    progress("signing in".into());
    let mut sources = Sources { next: 0, varied };
    let sessions = people::sign_in(&app, addr, &people, &tag, &mut sources).await?;
    memory.signed_in = server.memory();
    memory.sign_ins = sources.next;
    server.take_peak();

    progress(format!("{} failed sign-ins", opts.flood));
    let accounts: Vec<String> = people
        .flood_accounts
        .iter()
        .map(|p| p.email.clone())
        .collect();
    let flood = sign_in_flood(
        addr,
        opts.flood,
        &accounts,
        &tag,
        varied.then_some(sources.next),
    )
    .await;
    memory.after_flood = server.memory();
    memory.flood_peak = server.take_peak();

    let ctx = phases::Ctx {
        app: app.clone(),
        addr,
        opts: opts.clone(),
        native: native.clone(),
        pgbench,
        api_token: people.api_token.clone(),
        base: format!("http://{addr}/fhir"),
        service: service.clone(),
    };
    let Sessions {
        lead,
        clinicians,
        mut writes,
        mixed,
    } = sessions;
    for (i, &n) in opts.clients.iter().enumerate() {
        stats().await?;
        progress(format!("writes at {n} clients"));
        let (form, check_in) = std::mem::take(&mut writes[i]);
        let fhir: Vec<_> = people.writes[i][1].iter().map(|p| p.id).collect();
        phases::writes(&ctx, &mut report, n, form, fhir, check_in).await?;
    }

    stats().await?;
    progress("reads".into());
    phases::reads(&ctx, &mut report, &lead, &clinicians, &people).await?;

    // W8 reads as one of the mixed load's patients, before that load.
    if let (Some(reader), Some(id)) = (mixed.first(), people.mixed.first()) {
        progress("peer support".into());
        let group = phases::seed_peer(&ctx, (id.id, people.hot.id), &tag).await?;
        stats().await?;
        phases::peer(&ctx, &mut report, &lead, (&reader.conn, id.id), group).await?;
    }

    stats().await?;
    progress("mixed load".into());
    phases::mixed(&ctx, &mut report, mixed, &clinicians, &people).await?;

    process_rows(&mut report, &server, &memory, &flood);
    report.process.insert(1, worker_row);
    server.stop().await;
    native.close().await;

    progress("service-wide work".into());
    phases::service_wide(&app, &mut report, &service, backend).await?;
    Ok(report)
}

/// The server's memory at each step of the run.
#[derive(Default)]
struct Memories {
    at_start: Option<Memory>,
    after_pass: Option<Memory>,
    signed_in: Option<Memory>,
    /// Sessions signed in (staff and patients).
    sign_ins: u32,
    after_flood: Option<Memory>,
    flood_peak: u64,
}

fn process_rows(report: &mut Report, server: &Server, m: &Memories, flood: &crate::flood::Flood) {
    let mb = |b: u64| format!("{:.1} MB", b as f64 / 1_048_576.0);
    let limit = 100 * 1_048_576;
    let rss = |m: Option<Memory>| m.map_or_else(|| "unknown".into(), |m| mb(m.rss));
    let within = |b: Option<u64>| match b {
        Some(b) if b > 0 => Verdict::of(b <= limit),
        _ => Verdict::NotApplicable("no /proc".into()),
    };
    let peak = server
        .memory()
        .map(|m| m.hwm)
        .unwrap_or(0)
        .max(server.take_peak());
    let none = || Verdict::NotApplicable(String::new());
    report.process.push(ProcessRow {
        measurement: "start-up to first answer (`GET /readyz`), existing database".into(),
        value: format!("{:.0} ms", server.startup.as_secs_f64() * 1000.0),
        target: "≤ 1 s".into(),
        verdict: Verdict::of(server.startup <= Duration::from_secs(1)),
    });
    report.process.push(ProcessRow {
        measurement: "resident memory, idle at start-up".into(),
        value: rss(m.at_start),
        target: String::new(),
        verdict: none(),
    });
    report.process.push(ProcessRow {
        measurement: "resident memory, after the worker's first pass".into(),
        value: rss(m.after_pass),
        target: String::new(),
        verdict: none(),
    });
    report.process.push(ProcessRow {
        measurement: format!("resident memory, idle after {} sign-ins", m.sign_ins),
        value: rss(m.signed_in),
        target: String::new(),
        verdict: none(),
    });
    report.process.push(ProcessRow {
        measurement: format!(
            "resident memory after {} failed sign-in attempts from {} addresses \
             ({} checked, {} throttled, {} other, in {:.1} s)",
            flood.attempts,
            flood.addresses,
            flood.refused,
            flood.throttled,
            flood.other,
            flood.elapsed.as_secs_f64()
        ),
        value: rss(m.after_flood),
        target: "≤ 100 MB".into(),
        verdict: within(m.after_flood.map(|m| m.rss)),
    });
    report.process.push(ProcessRow {
        measurement: "resident memory, peak during the sign-in flood (sampled every 100 ms)".into(),
        value: mb(m.flood_peak),
        target: String::new(),
        verdict: none(),
    });
    report.process.push(ProcessRow {
        measurement: "resident memory, peak of the whole run (VmHWM)".into(),
        value: mb(peak),
        target: "≤ 100 MB".into(),
        verdict: within(Some(peak)),
    });
}

/// The synthetic service, generated first if the database has none.
async fn ensure_service(app: &App, opts: &Options) -> anyhow::Result<Service> {
    if let Ok(s) = app.admin().service_by_slug(&opts.service).await {
        return Ok(s);
    }
    progress(format!(
        "no service {:?}: generating {} synthetic patients",
        opts.service, opts.patients
    ));
    let now = app.clock().now();
    let day = 86_400;
    let start_of_day =
        jiff::Timestamp::from_second(now.as_second().div_euclid(day) * day).unwrap_or(now);
    let config =
        bothy_synth::SynthConfig::new(opts.patients, opts.seed, &opts.service, start_of_day);
    bothy_synth::synthesize(app.store(), &config).await?;
    app.monitoring().rebuild_summaries().await?;
    Ok(app.admin().service_by_slug(&opts.service).await?)
}

/// Prints what the run is doing, with the time since it started.
pub(crate) fn progress(what: String) {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = START.get_or_init(crate::clock::now);
    eprintln!("bench: [{:.1} s] {what}", start.elapsed().as_secs_f64());
}

/// A request row with the database's own figure.
pub(crate) fn row(
    workload: &str,
    clients: String,
    summary: Summary,
    baseline: Option<Baseline>,
    by_latency: bool,
) -> RequestRow {
    RequestRow {
        workload: workload.into(),
        clients,
        summary,
        baseline,
        by_latency,
        target: String::new(),
        verdict: Verdict::NotApplicable(String::new()),
    }
}
