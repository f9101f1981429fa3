//! The measurements of one run, each with the database's own figure for the
//! same work measured just before it: the writes at each client count (W1,
//! W2), the reads (W3 with one hot patient and with many clinicians, W4),
//! the mixed load (W7), peer support (W8), and the service-wide work (W5,
//! W6, W9).

use crate::client::Conn;
use crate::load::{closed_loop, open_loop};
use crate::mixed;
use crate::native::{Native, NativeInsert, NativeSelect, RawRead, payload};
use crate::people::People;
use crate::pgbench;
use crate::reads::Get;
use crate::run::{Options, progress, row};
use crate::seed::StaffAccount;
use crate::service;
use crate::stats::Summary;
use crate::table::{Baseline, Report, Verdict, WorkRow};
use crate::writes::{CheckIn, FhirPhq9, FormPhq9, Patient, Turns};
use bothy_app::App;
use bothy_domain::PatientId;
use bothy_domain::ids::GroupId;
use bothy_domain::model::Service;
use bothy_store::Backend;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What every phase needs.
pub struct Ctx {
    pub app: Arc<App>,
    pub addr: SocketAddr,
    pub opts: Options,
    pub native: Native,
    /// pgbench, on PostgreSQL, when it was found.
    pub pgbench: Option<PathBuf>,
    pub api_token: String,
    /// The FHIR base the server answers at.
    pub base: String,
    pub service: Service,
}

const W1_TARGET: &str = "≥ 25% of the database's own, p99 ≤ 20 ms";
const W3_TARGET: &str = "p95 ≤ 20 ms at 500/s";
/// Connections an open loop spreads its requests over: enough that each
/// has time to spare between requests at 500 a second.
const OPEN_LOOP_CONNECTIONS: usize = 32;

/// The durable-write baseline at `n` clients: pgbench on PostgreSQL (the
/// same insert through sqlx if pgbench is missing or fails, reported), the
/// native SQLite driver on one connection, one insert after another, on
/// SQLite (one writer is SQLite's limit; several clients sharing it in this
/// process measured lower, by the cost of handing it over). Returns it and
/// whether it is the database's own figure, against which targets are
/// judged.
async fn write_baseline(
    ctx: &Ctx,
    report: &mut Report,
    n: usize,
) -> anyhow::Result<(Baseline, bool)> {
    let payload: Arc<str> = payload().into();
    ctx.native.create_table().await?;
    let measured = match (&ctx.pgbench, ctx.native.pg_url()) {
        (Some(exe), Some(url)) => {
            match pgbench::run(exe, url, &payload, n, ctx.opts.duration).await {
                Ok(s) => Some((
                    Baseline {
                        tool: "pgbench".into(),
                        summary: s,
                    },
                    true,
                )),
                Err(e) => {
                    report.warnings.push(format!(
                        "pgbench failed at {n} clients, so PostgreSQL's native write baseline \
                         was NOT measured there (the figure is an insert through sqlx): {e:#}"
                    ));
                    None
                }
            }
        }
        _ => None,
    };
    let result = match measured {
        Some(m) => m,
        None => {
            let writers = if ctx.native.is_postgres() { n } else { 1 };
            let clients = (0..writers)
                .map(|i| NativeInsert {
                    db: ctx.native.clone(),
                    patient: format!("bench-{i}"),
                    payload: payload.clone(),
                })
                .collect();
            let summary = closed_loop(clients, ctx.opts.duration).await.0.summary();
            if ctx.native.is_postgres() {
                let tool = "sqlx, not pgbench".into();
                (Baseline { tool, summary }, false)
            } else {
                let tool = "sqlx, 1 connection".into();
                (Baseline { tool, summary }, true)
            }
        }
    };
    ctx.native.drop_table().await?;
    Ok(result)
}

/// W1 (form and FHIR) and W2 at `n` clients, after their baseline.
pub async fn writes(
    ctx: &Ctx,
    report: &mut Report,
    n: usize,
    form: Vec<Patient>,
    fhir: Vec<PatientId>,
    check_in: Vec<Patient>,
) -> anyhow::Result<()> {
    let (baseline, native) = write_baseline(ctx, report, n).await?;
    let judged = |s: &Summary| -> (String, Verdict) {
        if n != 8 {
            (String::new(), Verdict::NotApplicable(String::new()))
        } else if !native {
            (
                W1_TARGET.into(),
                Verdict::NotApplicable("no native baseline".into()),
            )
        } else {
            let met = s.throughput >= 0.25 * baseline.summary.throughput
                && s.p99 <= Duration::from_millis(20)
                && s.errors == 0;
            (W1_TARGET.into(), Verdict::of(met))
        }
    };
    let mut push = |name: &str, s: Summary| {
        let (target, verdict) = judged(&s);
        let mut r = row(name, n.to_string(), s, Some(baseline.clone()), false);
        r.target = target;
        r.verdict = verdict;
        report.requests.push(r);
    };
    let d = ctx.opts.duration;
    let (s, _) = closed_loop(turns(form, n).into_iter().map(FormPhq9).collect(), d).await;
    push("W1 PHQ-9, form", s.summary());
    let phq9 = ctx.app.measures().instrument("phq9")?.clone();
    let per = fhir.len().div_ceil(n).max(1);
    let mut clients = Vec::new();
    for (i, patients) in fhir.chunks(per).enumerate() {
        clients.push(FhirPhq9 {
            conn: Conn::open(ctx.addr).await?.with_bearer(&ctx.api_token),
            patients: patients.to_vec(),
            tag: format!("{}-fhir-{n}-{i}", patients[0]),
            base: ctx.base.clone(),
            phq9: phq9.clone(),
        });
    }
    push("W1 PHQ-9, FHIR", closed_loop(clients, d).await.0.summary());
    let (s, _) = closed_loop(turns(check_in, n).into_iter().map(CheckIn).collect(), d).await;
    push("W2 mood check-in", s.summary());
    Ok(())
}

/// Deals patients out to `n` clients, each taking theirs in turn.
fn turns(patients: Vec<Patient>, n: usize) -> Vec<Turns> {
    let mut out: Vec<Vec<Patient>> = (0..n).map(|_| Vec::new()).collect();
    for (i, p) in patients.into_iter().enumerate() {
        out[i % n.max(1)].push(p);
    }
    out.into_iter()
        .filter(|t| !t.is_empty())
        .map(Turns)
        .collect()
}

fn page(p: PatientId) -> String {
    format!("/staff/patients/{p}")
}

fn search(p: PatientId) -> String {
    format!("/fhir/QuestionnaireResponse?subject=Patient/{p}&_sort=-authored&_count=10")
}

/// One open-loop read measurement and its baseline at the same rate.
async fn open_read(
    ctx: &Ctx,
    report: &mut Report,
    name: &str,
    gets: Vec<Get>,
    raw: Vec<RawRead>,
) -> anyhow::Result<()> {
    let rate = ctx.opts.rate;
    let d = ctx.opts.duration;
    let s = open_loop(gets, rate, d).await.0.summary();
    let raw: Arc<[RawRead]> = raw.into();
    let baseline = (0..OPEN_LOOP_CONNECTIONS)
        .map(|_| NativeSelect {
            db: ctx.native.clone(),
            reads: raw.clone(),
        })
        .collect();
    let b = open_loop(baseline, rate, d).await.0.summary();
    let verdict = if rate >= 500.0 {
        Verdict::of(s.p95 <= Duration::from_millis(20) && s.errors == 0)
    } else {
        Verdict::NotApplicable(format!("run at {rate:.0}/s"))
    };
    let baseline = Baseline {
        tool: "SELECT".into(),
        summary: b,
    };
    let mut r = row(
        name,
        format!("open loop {rate:.0}/s"),
        s,
        Some(baseline),
        true,
    );
    r.target = W3_TARGET.into();
    r.verdict = verdict;
    report.requests.push(r);
    Ok(())
}

/// W3 with one clinician and one hot patient, W3 with many clinicians each
/// reading their own patients, and W4.
pub async fn reads(
    ctx: &Ctx,
    report: &mut Report,
    lead: &Conn,
    clinicians: &[(StaffAccount, Conn)],
    people: &People,
) -> anyhow::Result<()> {
    let service = ctx.service.id;
    let hot = people.hot.id;
    let mut homes = Vec::new();
    let mut pages = Vec::new();
    for _ in 0..OPEN_LOOP_CONNECTIONS {
        homes.push(Get::one(lead.open_like().await?, "/staff".into()));
        pages.push(Get::one(lead.open_like().await?, page(hot)));
    }
    open_read(
        ctx,
        report,
        "W3 staff home, one clinician",
        homes,
        vec![RawRead::StaffHome(service)],
    )
    .await?;
    open_read(
        ctx,
        report,
        "W3 patient page, one hot patient",
        pages,
        vec![RawRead::PatientPage(hot)],
    )
    .await?;

    let k = clinicians.len().max(1);
    let mut homes = Vec::new();
    let mut pages = Vec::new();
    for j in 0..OPEN_LOOP_CONNECTIONS {
        let (_, session) = &clinicians[j % k];
        let own: Vec<String> = people.caseloads[j % k].iter().map(|p| page(p.id)).collect();
        homes.push(Get::one(session.open_like().await?, "/staff".into()));
        pages.push(Get {
            conn: session.open_like().await?,
            paths: own.into(),
        });
    }
    let all: Vec<RawRead> = people
        .caseloads
        .iter()
        .flatten()
        .map(|p| RawRead::PatientPage(p.id))
        .collect();
    let many = format!("{k} clinicians");
    let patients = all.len();
    open_read(
        ctx,
        report,
        &format!("W3 staff home, {many}"),
        homes,
        vec![RawRead::StaffHome(service)],
    )
    .await?;
    open_read(
        ctx,
        report,
        &format!("W3 patient page, {many}, {patients} patients"),
        pages,
        all,
    )
    .await?;

    let n = 8;
    let mut gets = Vec::new();
    for _ in 0..n {
        let conn = Conn::open(ctx.addr).await?.with_bearer(&ctx.api_token);
        gets.push(Get::one(conn, search(people.search.id)));
    }
    let s = closed_loop(gets, ctx.opts.duration).await.0.summary();
    let reads: Arc<[RawRead]> = Arc::from([RawRead::Search(people.search.id)]);
    let raw = (0..n)
        .map(|_| NativeSelect {
            db: ctx.native.clone(),
            reads: reads.clone(),
        })
        .collect();
    let b = closed_loop(raw, ctx.opts.duration).await.0.summary();
    let baseline = Baseline {
        tool: "SELECT".into(),
        summary: b,
    };
    report.requests.push(row(
        "W4 FHIR search, 10 newest",
        n.to_string(),
        s,
        Some(baseline),
        false,
    ));
    Ok(())
}

const W8_TARGET: &str = "p95 ≤ 50 ms at 500/s";

/// W8's group, made for this run: `posts` approved posts and `held` in
/// the moderation queue (`ctx.opts`), read by `reader` and written by
/// `author`. Made before the phase's statistics are gathered, as a
/// running service's autovacuum would gather them after such growth.
pub async fn seed_peer(
    ctx: &Ctx,
    (reader, author): (PatientId, PatientId),
    tag: &str,
) -> anyhow::Result<GroupId> {
    crate::peer::seed(
        &ctx.app,
        &ctx.service,
        (reader, author),
        ctx.opts.peer_posts,
        ctx.opts.peer_held,
        tag,
    )
    .await
}

/// W8: the group's page for a member (`reader`, a signed-in patient's
/// session and id) and the moderation queue, each at the open-loop rate
/// next to the same SELECTs (issue 17).
pub async fn peer(
    ctx: &Ctx,
    report: &mut Report,
    lead: &Conn,
    (reader, reader_id): (&Conn, PatientId),
    group: GroupId,
) -> anyhow::Result<()> {
    let (posts, held) = (ctx.opts.peer_posts, ctx.opts.peer_held);
    let mut pages = Vec::new();
    let mut queues = Vec::new();
    for _ in 0..OPEN_LOOP_CONNECTIONS {
        pages.push(Get::one(
            reader.open_like().await?,
            format!("/peer/groups/{group}"),
        ));
        queues.push(Get::one(lead.open_like().await?, "/staff/peer".into()));
    }
    let judge = |report: &mut Report| {
        if let Some(r) = report.requests.last_mut() {
            r.target = W8_TARGET.into();
            if ctx.opts.rate >= 500.0 {
                r.verdict = Verdict::of(
                    r.summary.p95 <= Duration::from_millis(50) && r.summary.errors == 0,
                );
            }
        }
    };
    open_read(
        ctx,
        report,
        &format!("W8 peer group page, {posts} posts"),
        pages,
        vec![RawRead::PeerPage(group, reader_id)],
    )
    .await?;
    judge(report);
    open_read(
        ctx,
        report,
        &format!("W8 moderation queue, {held} held"),
        queues,
        vec![RawRead::PeerQueue(ctx.service.id)],
    )
    .await?;
    judge(report);
    Ok(())
}

/// W7: everything at once, at a fixed rate.
pub async fn mixed(
    ctx: &Ctx,
    report: &mut Report,
    patients: Vec<Patient>,
    clinicians: &[(StaffAccount, Conn)],
    people: &People,
) -> anyhow::Result<()> {
    let mut check_ins = Vec::new();
    for (i, p) in patients.iter().enumerate() {
        check_ins.push(CheckIn(Turns(vec![
            p.again(format!("{}-{i}", p.tag)).await?,
        ])));
    }
    let forms = patients
        .into_iter()
        .map(|p| FormPhq9(Turns(vec![p])))
        .collect();
    let mut staff_homes = Vec::new();
    let mut patient_pages = Vec::new();
    for (j, (_, session)) in clinicians.iter().enumerate() {
        staff_homes.push(Get::one(session.open_like().await?, "/staff".into()));
        let own: Arc<[String]> = people.caseloads[j].iter().map(|p| page(p.id)).collect();
        for _ in 0..2 {
            patient_pages.push(Get {
                conn: session.open_like().await?,
                paths: own.clone(),
            });
        }
    }
    let ids: Vec<PatientId> = people.mixed.iter().map(|p| p.id).collect();
    let searches: Arc<[String]> = ids.iter().map(|p| search(*p)).collect();
    let phq9 = ctx.app.measures().instrument("phq9")?.clone();
    let mut fhir_creates = Vec::new();
    let mut fhir_searches = Vec::new();
    for i in 0..8 {
        fhir_creates.push(FhirPhq9 {
            conn: Conn::open(ctx.addr).await?.with_bearer(&ctx.api_token),
            patients: ids.clone(),
            tag: format!(
                "{}-mixed-{i}",
                ids.first().map(|p| p.to_string()).unwrap_or_default()
            ),
            base: ctx.base.clone(),
            phq9: phq9.clone(),
        });
        fhir_searches.push(Get {
            conn: Conn::open(ctx.addr).await?.with_bearer(&ctx.api_token),
            paths: searches.clone(),
        });
    }
    let clients = mixed::Clients {
        forms,
        check_ins,
        staff_homes,
        patient_pages,
        fhir_creates,
        fhir_searches,
    };
    let rate = ctx.opts.mixed_rate;
    let (parts, all) = mixed::run(clients, rate, ctx.opts.duration).await;
    for p in parts {
        report.requests.push(row(
            p.kind,
            format!("open loop {:.0}/s of {rate:.0}/s", p.rate),
            p.summary,
            None,
            true,
        ));
    }
    report.requests.push(row(
        "W7 mixed: every request",
        format!("open loop {rate:.0}/s"),
        all,
        None,
        true,
    ));
    Ok(())
}

/// W5 and W6, in this process with the server stopped.
pub async fn service_wide(
    app: &App,
    report: &mut Report,
    service: &Service,
    backend: Backend,
) -> anyhow::Result<()> {
    progress("W5".into());
    let now = app.clock().now();
    let w5 = service::outcomes(app, service.id, now).await?;
    report.work.push(work_row(
        "W5 outcome classification, a year's finished episodes",
        w5,
        "episodes",
        "≤ 2 s per 1M episodes (PostgreSQL)",
        Duration::from_secs(2),
        (backend != Backend::Postgres).then_some("PostgreSQL only"),
    ));
    // The first sweep after a bulk load raises an alert for everyone it
    // finds (most synthetic people in an open episode have been quiet for
    // weeks): that is alert-raising throughput, reported on its own line.
    // The target is the sweep production runs every hour, which finds those
    // alerts open and writes nothing for them.
    progress("W6 first".into());
    let first = service::detectors(app).await?;
    report.work.push(work_row(
        "W6a the first sweep after loading, raising every alert it finds",
        first,
        "people",
        "(none)",
        Duration::ZERO,
        Some("no target: it measures raising alerts"),
    ));
    progress("W6".into());
    let w6 = service::detectors(app).await?;
    // The target is for a service of 1M patients; the sweep reads the
    // people among them in an open episode (about one in six here), so it
    // is judged on the service's size, and extrapolated to it below that.
    let patients = {
        let mut tx = app.store().read().await?;
        let n = tx.count_patients(service.id).await?;
        tx.rollback().await?;
        u64::try_from(n).unwrap_or(0)
    };
    let mut row = work_row(
        "W6 the hourly monitoring sweep, everyone in an open episode",
        w6,
        "people",
        "≤ 5 s for a service of 1M patients",
        Duration::from_secs(5),
        None,
    );
    let per_million = w6.total().as_secs_f64() * 1e6 / (patients.max(1) as f64);
    row.verdict = if patients >= 1_000_000 {
        Verdict::of(w6.total() <= Duration::from_secs(5))
    } else {
        Verdict::NotApplicable(format!(
            "a service of {patients} patients, {per_million:.1} s per 1M patients at this rate"
        ))
    };
    report.work.push(row);
    progress("W9".into());
    // The target is for a database of 1M episodes (every episode the
    // service has held): the dashboard reads a year of them. The first
    // read after loading also classifies the year's finished episodes that
    // have no stored outcome flags yet; the second reads stored flags only.
    let episodes = {
        let mut tx = app.store().read().await?;
        let n = tx.count_episodes(service.id).await?;
        tx.rollback().await?;
        u64::try_from(n).unwrap_or(0)
    };
    for name in [
        "W9 the service dashboard, a year by deprivation quintile, first read",
        "W9 the service dashboard, a year by deprivation quintile, again",
    ] {
        let w9 = service::dashboard(app, service.id, episodes).await?;
        report.work.push(work_row(
            name,
            w9,
            "episodes",
            "≤ 2 s for a database of 1M episodes (PostgreSQL)",
            Duration::from_secs(2),
            (backend != Backend::Postgres).then_some("PostgreSQL only"),
        ));
    }
    Ok(())
}

fn work_row(
    name: &str,
    t: service::Timed,
    unit: &'static str,
    target: &str,
    limit: Duration,
    not_applicable: Option<&str>,
) -> WorkRow {
    let per_million = t.total().as_secs_f64() * 1e6 / (t.items.max(1) as f64);
    let verdict = if let Some(why) = not_applicable {
        Verdict::NotApplicable(why.into())
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
