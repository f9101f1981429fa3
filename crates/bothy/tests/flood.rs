//! Floods from many addresses against `bothy serve` (issue 12, item 5).
//! For `BOTHY_FLOOD_SECONDS` (default 8; `scripts/reliability` runs 60),
//! twelve clients start self-referrals and try to sign in with wrong
//! passwords, each request from a new loopback address (and one client
//! from a single address, which its limits stop at once), while two
//! signed-in patients read their home page and send check-ins. Afterwards:
//! no answer was a server error, every refusal was the 429 page with the
//! crisis contacts, the drafts kept stayed within the cap for all
//! addresses, the patients' p99 stayed under one second, and resident
//! memory stayed bounded. Figures are printed (run with --nocapture).

mod support;

use bothy_bench::client::{Conn, source_address, sources_work};
use bothy_bench::writes::Patient;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{Server, Site, now, patients_who_sign_in};

const FLOODERS: u32 = 12;

/// The floods on the two databases run one after the other: each measures
/// how one server serves its patients through a flood, not how two floods
/// at once share this machine's cores.
static ONE_FLOOD_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Default)]
struct Tally {
    statuses: BTreeMap<u16, u64>,
    refusals_without_crisis_panel: u64,
    errors: u64,
}

impl Tally {
    fn count(&mut self, a: &anyhow::Result<bothy_bench::client::Answer>) {
        match a {
            Ok(a) => {
                let code = a.status.as_u16();
                *self.statuses.entry(code).or_default() += 1;
                let body = String::from_utf8_lossy(&a.body);
                if code == 429 && !(body.contains("id=\"crisis\"") && body.contains("tel:999")) {
                    self.refusals_without_crisis_panel += 1;
                }
            }
            Err(_) => self.errors += 1,
        }
    }
}

/// One flooding client: a new address for every round unless `fixed`.
async fn flood(
    addr: std::net::SocketAddr,
    fixed: Option<u32>,
    next: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
) {
    while !stop.load(Ordering::Relaxed) {
        let k = fixed.unwrap_or_else(|| next.fetch_add(1, Ordering::Relaxed));
        let Ok(mut c) = Conn::open_from(addr, Some(source_address(k))).await else {
            tally.lock().unwrap().errors += 1;
            continue;
        };
        let page = c.get("/refer").await;
        let start = c.post_form("/refer", &[("service", "synth")]).await;
        let sign_in = c.get("/sign-in").await;
        let email = format!("flood{k}@example.org");
        let guess = c
            .post_form(
                "/sign-in",
                &[("email", &email), ("password", "a wrong guess")],
            )
            .await;
        let mut t = tally.lock().unwrap();
        for a in [&page, &start, &sign_in, &guess] {
            t.count(a);
        }
    }
}

/// A signed-in patient reading their home page and sending check-ins;
/// returns each request's time.
async fn patient(mut p: Patient, stop: Arc<AtomicBool>) -> (Vec<Duration>, u64) {
    let mut times = Vec::new();
    let mut failures = 0;
    let mut seq = 0;
    while !stop.load(Ordering::Relaxed) {
        seq += 1;
        let t = now();
        let home = p.conn.get("/home").await;
        times.push(t.elapsed());
        let key = format!("{}-{seq}", p.tag);
        let t = now();
        let check_in = p
            .conn
            .post_form(
                "/check-in",
                &[("mood", "6"), ("note", "steady"), ("key", &key)],
            )
            .await;
        times.push(t.elapsed());
        let ok = |a: &anyhow::Result<bothy_bench::client::Answer>| {
            a.as_ref().is_ok_and(|a| a.is_success())
        };
        if !ok(&home) || !ok(&check_in) {
            failures += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (times, failures)
}

async fn floods_from_many_addresses(site: Site, backend: &str) {
    assert!(
        sources_work(),
        "this test needs connections from many loopback addresses (Linux routes 127.0.0.0/8)"
    );
    let _alone = ONE_FLOOD_AT_A_TIME.lock().await;
    let seconds = env_count("BOTHY_FLOOD_SECONDS", 8);
    let people = patients_who_sign_in(&site, 2).await;
    let server = Server::start(&site, &[]).await;
    let mut patients = Vec::new();
    for (i, (_, email)) in people.iter().enumerate() {
        patients.push(
            Patient::sign_in(
                server.addr,
                None,
                email,
                bothy_bench::seed::PASSWORD,
                format!("flood-p{i}"),
            )
            .await
            .expect("patient sign-in"),
        );
    }
    let rss_before = server.resident_bytes();
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let next = Arc::new(AtomicU32::new(1));
    let mut flooders = Vec::new();
    for i in 0..FLOODERS {
        // The last one always comes from the same address.
        let fixed = (i == FLOODERS - 1).then_some(0);
        flooders.push(tokio::spawn(flood(
            server.addr,
            fixed,
            next.clone(),
            stop.clone(),
            tally.clone(),
        )));
    }
    let victims: Vec<_> = patients
        .into_iter()
        .map(|p| tokio::spawn(patient(p, stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let rss_during = server.resident_bytes();
    stop.store(true, Ordering::Relaxed);
    for f in flooders {
        f.await.unwrap();
    }
    let mut times = Vec::new();
    let mut failures = 0;
    for v in victims {
        let (t, f) = v.await.unwrap();
        times.extend(t);
        failures += f;
    }
    times.sort();
    let p99 = times[(times.len() * 99).div_ceil(100).saturating_sub(1)];
    let store = site.store().await;
    let mut tx = store.read().await.expect("read");
    let drafts = tx.count_drafts().await.expect("count drafts");
    tx.rollback().await.expect("rollback");
    store.close().await;
    drop(server);
    let tally = std::mem::take(&mut *tally.lock().unwrap());
    let total: u64 = tally.statuses.values().sum();
    println!(
        "flood on {backend} for {seconds} s: {total} flood requests from {} addresses, \
         statuses {:?}, {} connection errors; {drafts} drafts kept; patients: {} requests, \
         p99 {} ms, {failures} failed; resident memory {} MB before, {} MB during",
        next.load(Ordering::Relaxed),
        tally.statuses,
        tally.errors,
        times.len(),
        p99.as_millis(),
        rss_before / 1_000_000,
        rss_during / 1_000_000,
    );
    let server_errors: u64 = tally
        .statuses
        .iter()
        .filter(|(s, _)| **s >= 500)
        .map(|(_, n)| n)
        .sum();
    assert_eq!(server_errors, 0, "no server errors: {:?}", tally.statuses);
    assert_eq!(tally.refusals_without_crisis_panel, 0);
    assert!(
        tally.statuses.get(&429).copied().unwrap_or(0) > 0,
        "the limits refused some of the flood: {:?}",
        tally.statuses
    );
    assert!(
        drafts <= i64::from(bothy_app::throttle::REFERRAL_STARTS_PER_HOUR),
        "{drafts} drafts kept"
    );
    assert_eq!(failures, 0, "the patients were served");
    assert!(p99 < Duration::from_secs(1), "patients' p99 {p99:?}");
    assert!(
        rss_during < 200_000_000,
        "resident memory {} MB",
        rss_during / 1_000_000
    );
    site.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_from_many_addresses_on_sqlite() {
    floods_from_many_addresses(Site::sqlite("flood-sqlite"), "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    bothy_no_postgres,
    ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set"
)]
async fn floods_from_many_addresses_on_postgres() {
    floods_from_many_addresses(Site::postgres("flood-pg").await, "PostgreSQL").await;
}
