//! The audit trail through the web: reading a record writes a complete
//! event, and `Store::verify_audit` accepts the untouched trail and detects
//! every kind of tampering with the stored rows.
//!
//! Tampering needs raw SQL, which the store deliberately does not offer, so
//! these tests open their own connection to the test database with sqlx.

use crate::both_dbs;
use crate::helpers::{Db, Resp, TestApp};
use bothy_app::{Clock, RequestContext};
use bothy_domain::audit::{AuditRecord, ChainBreak, GENESIS, StoredAuditEvent, event_hash};
use bothy_domain::person::Email;
use bothy_domain::role::ApiPermission;
use bothy_domain::time::to_millis;
use sqlx::{AnyConnection, Connection, Row};
use std::collections::BTreeMap;

both_dbs!(
    reading_a_record_writes_a_complete_audit_event,
    the_untampered_trail_verifies,
    every_tampering_is_detected_and_undoing_it_verifies_again,
);

fn request_id(r: &Resp) -> String {
    r.headers
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

async fn reading_a_record_writes_a_complete_audit_event(t: TestApp) {
    let c = t.staff_client("triage_clinician").await;
    let patient = &t.demo.patients[3];
    let r = c.get(&format!("/staff/patients/{}", patient.id)).await.ok();

    let mut tx = t.app.store.read().await.unwrap();
    let email = Email::parse(&t.staff("triage_clinician").email).unwrap();
    let staff = tx.staff_by_email(&email).await.unwrap().unwrap();
    let service = tx.service_by_slug("demo").await.unwrap().unwrap();
    let events = tx.audit_events_for_patient(&patient.id, 100).await.unwrap();
    tx.rollback().await.unwrap();
    let reads: Vec<&AuditRecord> = events
        .iter()
        .map(|e| &e.record)
        .filter(|r| r.action == "patient.read")
        .collect();
    assert_eq!(reads.len(), 1, "one read, one event: {events:#?}");
    let by_staff = AuditRecord {
        at_ms: to_millis(t.clock.now()),
        actor_kind: "staff".into(),
        actor_id: Some(staff.id.to_string()),
        role: Some("triage_clinician".into()),
        service_id: Some(service.id.to_string()),
        patient_id: Some(patient.id.clone()),
        action: "patient.read".into(),
        purpose: "direct_care".into(),
        request_id: Some(request_id(&r)),
        detail: None,
    };
    assert_eq!(reads[0], &by_staff);

    // Another system's read is recorded the same way, as that client.
    let client = t
        .app
        .register_api_client(
            service.id,
            "GP system",
            &[ApiPermission::PatientRead],
            &RequestContext::default(),
        )
        .await
        .unwrap();
    let auth = format!("Bearer {}", client.token);
    let r = t
        .client()
        .get_with(
            &format!("/fhir/Patient/{}", patient.id),
            &[("authorization", &auth)],
        )
        .await
        .ok();
    let mut tx = t.app.store.read().await.unwrap();
    let newest = tx
        .audit_events_for_patient(&patient.id, 1)
        .await
        .unwrap()
        .remove(0)
        .record;
    tx.rollback().await.unwrap();
    let by_client = AuditRecord {
        actor_kind: "api_client".into(),
        actor_id: Some(client.id.to_string()),
        role: None,
        request_id: Some(request_id(&r)),
        ..by_staff
    };
    assert_eq!(newest, by_client);
}

/// Sign-ins (good and bad), record views by staff, a patient and another
/// system, a list, a password change and sign-outs, all through the web.
async fn some_activity(t: &TestApp) {
    let triage = t.staff_client("triage_clinician").await;
    let lead = t.staff_client("clinical_lead").await;
    let supporter = t.staff_client("supporter").await;
    for p in &t.demo.patients[..6] {
        triage.get(&format!("/staff/patients/{}", p.id)).await.ok();
    }
    lead.get("/staff").await.ok();
    lead.get(&format!("/staff/patients/{}", t.demo.patients[7].id))
        .await
        .ok();
    supporter.get("/staff").await.ok();
    supporter
        .get(&format!("/staff/patients/{}", t.demo.patients[1].id))
        .await;
    for n in 0..3 {
        t.patient_client(n).await.get("/home").await.ok();
    }
    let stranger = t.client();
    stranger.get("/sign-in").await.ok();
    stranger
        .post_form(
            "/sign-in",
            &[
                ("email", "nobody@example.org"),
                ("password", "not the password"),
            ],
        )
        .await
        .status(401);
    let password = t.staff("clinical_lead").password.clone();
    lead.get("/account").await.ok();
    lead.post_form(
        "/account/password",
        &[
            ("current_password", &password),
            ("new_password", &password),
            ("confirm", &password),
        ],
    )
    .await
    .redirects_to("/account?changed=1");

    let demo = t.app.service_by_slug("demo").await.unwrap();
    let feed = t
        .app
        .register_api_client(
            demo.id,
            "Records feed",
            &[ApiPermission::PatientRead],
            &RequestContext::default(),
        )
        .await
        .unwrap();
    let auth = format!("Bearer {}", feed.token);
    for p in &t.demo.patients[4..9] {
        t.client()
            .get_with(
                &format!("/api/v1/patients/{}", p.id),
                &[("authorization", &auth)],
            )
            .await
            .ok();
    }
    for c in [&triage, &lead] {
        c.get("/account").await.ok();
        c.post_form("/sign-out", &[])
            .await
            .redirects_to("/signed-out");
    }
}

async fn the_untampered_trail_verifies(t: TestApp) {
    some_activity(&t).await;
    let report = t.app.store.verify_audit().await.unwrap();
    assert_eq!(report.first_break, None);
    assert_eq!(report.chains, 16);
    let mut tx = t.app.store.read().await.unwrap();
    let all = tx.recent_audit_events(100_000).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(report.events, all.len() as u64, "every event is walked");
    assert!(all.len() > 30, "only {} events", all.len());
    let actions: std::collections::BTreeSet<&str> =
        all.iter().map(|e| e.record.action.as_str()).collect();
    for a in [
        "sign_in.password_ok",
        "sign_in.complete",
        "sign_in.refused",
        "patient.read",
        "patient.list",
        "password.changed",
        "sign_out",
    ] {
        assert!(actions.contains(a), "no {a} event among {actions:?}");
    }
}

// ---------------------------------------------------------------------------
// Tampering

/// A small deterministic generator (SplitMix64), seeded per iteration.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The audit tables as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Trail {
    /// By `seq`.
    events: BTreeMap<i64, StoredAuditEvent>,
    /// Chain -> (last_seq, last_hash).
    heads: BTreeMap<i64, (i64, String)>,
}

impl Trail {
    fn events(&self) -> Vec<&StoredAuditEvent> {
        self.events.values().collect()
    }
    fn chain(&self, chain: i64) -> Vec<&StoredAuditEvent> {
        let mut v: Vec<_> = self.events.values().filter(|e| e.chain == chain).collect();
        v.sort_by_key(|e| e.chain_seq);
        v
    }
    fn non_empty_chains(&self) -> Vec<i64> {
        self.heads
            .iter()
            .filter(|(_, (seq, _))| *seq > 0)
            .map(|(c, _)| *c)
            .collect()
    }
}

/// A direct connection to the test database, beside the application's pool.
struct Raw {
    conn: AnyConnection,
    db: Db,
}

const COLUMNS: &str = "chain, chain_seq, at, actor_kind, actor_id, role, service_id, patient_id, action, purpose, request_id, detail, prev_hash, hash";

impl Raw {
    async fn connect(t: &TestApp) -> Self {
        sqlx::any::install_default_drivers();
        let mut conn = AnyConnection::connect(&t.url).await.unwrap();
        if t.db == Db::Sqlite {
            sqlx::raw_sql("PRAGMA busy_timeout = 5000")
                .execute(&mut conn)
                .await
                .unwrap();
        }
        Self { conn, db: t.db }
    }

    async fn read(&mut self) -> Trail {
        let sql = format!("SELECT seq, {COLUMNS} FROM audit_events ORDER BY seq");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut self.conn)
            .await
            .unwrap();
        let events = rows
            .iter()
            .map(|r| {
                let e = StoredAuditEvent {
                    seq: r.get("seq"),
                    chain: r.get("chain"),
                    chain_seq: r.get("chain_seq"),
                    record: AuditRecord {
                        at_ms: r.get("at"),
                        actor_kind: r.get("actor_kind"),
                        actor_id: r.get("actor_id"),
                        role: r.get("role"),
                        service_id: r.get("service_id"),
                        patient_id: r.get("patient_id"),
                        action: r.get("action"),
                        purpose: r.get("purpose"),
                        request_id: r.get("request_id"),
                        detail: r.get("detail"),
                    },
                    prev_hash: r.get("prev_hash"),
                    hash: r.get("hash"),
                };
                (e.seq, e)
            })
            .collect();
        let rows = sqlx::query("SELECT chain, last_seq, last_hash FROM audit_chains")
            .fetch_all(&mut self.conn)
            .await
            .unwrap();
        let heads = rows
            .iter()
            .map(|r| (r.get("chain"), (r.get("last_seq"), r.get("last_hash"))))
            .collect();
        Trail { events, heads }
    }

    /// Inserts `e` as a new row.
    async fn insert(&mut self, e: &StoredAuditEvent) {
        let sql = "INSERT INTO audit_events (chain, chain_seq, at, actor_kind, actor_id, role, service_id, patient_id, \
                   action, purpose, request_id, detail, prev_hash, hash) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
        bind_event(sqlx::query(sql), e)
            .execute(&mut self.conn)
            .await
            .unwrap();
    }

    /// Puts a deleted row back at its own `seq`.
    async fn reinsert(&mut self, e: &StoredAuditEvent) {
        let columns = format!("seq, {COLUMNS}");
        let values = "$15, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14";
        let sql = match self.db {
            Db::Sqlite => format!("INSERT INTO audit_events ({columns}) VALUES ({values})"),
            Db::Postgres => format!(
                "INSERT INTO audit_events ({columns}) OVERRIDING SYSTEM VALUE VALUES ({values})"
            ),
        };
        bind_event(sqlx::query(sqlx::AssertSqlSafe(sql)), e)
            .bind(e.seq)
            .execute(&mut self.conn)
            .await
            .unwrap();
    }

    async fn update(&mut self, e: &StoredAuditEvent) {
        let sql = "UPDATE audit_events SET chain = $1, chain_seq = $2, at = $3, actor_kind = $4, actor_id = $5, role = $6, \
                   service_id = $7, patient_id = $8, action = $9, purpose = $10, request_id = $11, detail = $12, \
                   prev_hash = $13, hash = $14 WHERE seq = $15";
        let done = bind_event(sqlx::query(sql), e)
            .bind(e.seq)
            .execute(&mut self.conn)
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 1);
    }

    async fn delete(&mut self, seq: i64) {
        let done = sqlx::query("DELETE FROM audit_events WHERE seq = $1")
            .bind(seq)
            .execute(&mut self.conn)
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 1);
    }

    async fn set_head(&mut self, chain: i64, last_seq: i64, last_hash: &str) {
        sqlx::query("UPDATE audit_chains SET last_seq = $2, last_hash = $3 WHERE chain = $1")
            .bind(chain)
            .bind(last_seq)
            .bind(last_hash.to_string())
            .execute(&mut self.conn)
            .await
            .unwrap();
    }

    /// Puts the tables back exactly as `original` was.
    async fn restore(&mut self, original: &Trail) {
        let now = self.read().await;
        for seq in now
            .events
            .keys()
            .filter(|s| !original.events.contains_key(s))
        {
            self.delete(*seq).await;
        }
        for (seq, e) in &original.events {
            match now.events.get(seq) {
                Some(n) if n == e => {}
                Some(_) => self.update(e).await,
                None => self.reinsert(e).await,
            }
        }
        for (chain, (seq, hash)) in &original.heads {
            self.set_head(*chain, *seq, hash).await;
        }
        assert_eq!(&self.read().await, original, "the trail was not restored");
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds every column but `seq`, in the order of [`COLUMNS`], as `$1` to `$14`.
fn bind_event<'q>(q: AnyQuery<'q>, e: &StoredAuditEvent) -> AnyQuery<'q> {
    let r = &e.record;
    q.bind(e.chain)
        .bind(e.chain_seq)
        .bind(r.at_ms)
        .bind(r.actor_kind.clone())
        .bind(r.actor_id.clone())
        .bind(r.role.clone())
        .bind(r.service_id.clone())
        .bind(r.patient_id.clone())
        .bind(r.action.clone())
        .bind(r.purpose.clone())
        .bind(r.request_id.clone())
        .bind(r.detail.clone())
        .bind(e.prev_hash.clone())
        .bind(e.hash.clone())
}

/// A hex hash differing from `h` in one random character.
fn flip_hex(rng: &mut Rng, h: &str) -> String {
    let mut chars: Vec<char> = h.chars().collect();
    let i = rng.below(chars.len());
    let digits: Vec<char> = "0123456789abcdef"
        .chars()
        .filter(|c| *c != chars[i])
        .collect();
    chars[i] = *rng.pick(&digits);
    chars.into_iter().collect()
}

/// A different value for an optional text field: another value, none, or some.
fn change_opt(rng: &mut Rng, v: &Option<String>, other: &str) -> Option<String> {
    match v {
        None => Some(other.to_string()),
        Some(_) if rng.coin() => None,
        Some(s) if s != other => Some(other.to_string()),
        Some(s) => Some(format!("{s}x")),
    }
}

const FIELDS: [&str; 12] = [
    "action",
    "patient_id",
    "at",
    "actor_id",
    "detail",
    "request_id",
    "hash",
    "prev_hash",
    "role",
    "purpose",
    "service_id",
    "actor_kind",
];

/// Applies one random tampering of kind `kind`; returns what it did and
/// the chains it touched.
async fn tamper(raw: &mut Raw, trail: &Trail, kind: usize, rng: &mut Rng) -> (String, Vec<i64>) {
    let events = trail.events();
    match kind {
        // Change one field of one event; half the time also recompute its
        // hash, as someone who knows the hashing rule would.
        0 => {
            let e = *rng.pick(&events);
            let field = *rng.pick(&FIELDS);
            let mut f = e.clone();
            let r = &mut f.record;
            match field {
                "action" => {
                    r.action = if r.action == "patient.read" {
                        "patient.list".into()
                    } else {
                        "patient.read".into()
                    }
                }
                "patient_id" => {
                    let current = r.patient_id.clone();
                    let other = events
                        .iter()
                        .filter_map(|x| x.record.patient_id.clone())
                        .find(|p| Some(p) != current.as_ref());
                    r.patient_id =
                        change_opt(rng, &current, other.as_deref().unwrap_or("another-patient"));
                }
                "at" => {
                    let by = 1 + rng.below(86_400_000) as i64;
                    r.at_ms += if rng.coin() { by } else { -by };
                }
                "actor_id" => r.actor_id = change_opt(rng, &r.actor_id, "someone-else"),
                "detail" => r.detail = change_opt(rng, &r.detail, ""),
                "request_id" => {
                    r.request_id =
                        change_opt(rng, &r.request_id, "00000000-0000-4000-8000-000000000000")
                }
                "hash" => f.hash = flip_hex(rng, &f.hash),
                "prev_hash" => f.prev_hash = flip_hex(rng, &f.prev_hash),
                "role" => r.role = change_opt(rng, &r.role, "analyst"),
                "purpose" => {
                    r.purpose = if r.purpose == "security" {
                        "direct_care".into()
                    } else {
                        "security".into()
                    }
                }
                "service_id" => r.service_id = change_opt(rng, &r.service_id, "another-service"),
                "actor_kind" => {
                    r.actor_kind = if r.actor_kind == "staff" {
                        "system".into()
                    } else {
                        "staff".into()
                    }
                }
                _ => unreachable!(),
            }
            let rehash = !field.ends_with("hash") && rng.coin();
            if rehash {
                f.hash = event_hash(&f.prev_hash, f.chain, f.chain_seq, &f.record);
            }
            raw.update(&f).await;
            (
                format!(
                    "changed {field} of event {} (chain {}){}",
                    e.seq,
                    e.chain,
                    if rehash { ", hash recomputed" } else { "" }
                ),
                vec![e.chain],
            )
        }
        // Delete any event.
        1 => {
            let e = *rng.pick(&events);
            raw.delete(e.seq).await;
            (
                format!(
                    "deleted event {} (chain {}, position {})",
                    e.seq, e.chain, e.chain_seq
                ),
                vec![e.chain],
            )
        }
        // Delete the newest event of a chain.
        2 => {
            let chain = *rng.pick(&trail.non_empty_chains());
            let newest = *trail.chain(chain).last().unwrap();
            raw.delete(newest.seq).await;
            (
                format!("deleted the newest event of chain {chain}"),
                vec![chain],
            )
        }
        // Insert a forged event after the end of a chain: correctly linked
        // and hashed, with a made-up hash, or leaving a gap.
        3 => {
            let chain = *rng.pick(&trail.heads.keys().copied().collect::<Vec<_>>());
            let (last_seq, last_hash) = trail.heads[&chain].clone();
            let mut record = rng.pick(&events).record.clone();
            record.action = "patient.read".into();
            record.actor_id = Some("forged-actor".into());
            let variant = rng.below(3);
            let chain_seq = last_seq
                + if variant == 2 {
                    2 + rng.below(5) as i64
                } else {
                    1
                };
            let prev_hash = if last_seq == 0 {
                GENESIS.to_string()
            } else {
                last_hash
            };
            let mut hash = event_hash(&prev_hash, chain, chain_seq, &record);
            if variant == 1 {
                hash = flip_hex(rng, &hash);
            }
            let forged = StoredAuditEvent {
                seq: 0,
                chain,
                chain_seq,
                record,
                prev_hash,
                hash,
            };
            raw.insert(&forged).await;
            (
                format!(
                    "inserted a forged event at position {chain_seq} of chain {chain} (variant {variant})"
                ),
                vec![chain],
            )
        }
        // Swap the contents of two events, leaving their places and hashes.
        4 => {
            let a = (*rng.pick(&events)).clone();
            let others: Vec<_> = events.iter().filter(|e| e.record != a.record).collect();
            let b = (**rng.pick(&others)).clone();
            let (mut a2, mut b2) = (a.clone(), b.clone());
            std::mem::swap(&mut a2.record, &mut b2.record);
            raw.update(&a2).await;
            raw.update(&b2).await;
            (
                format!("swapped the contents of events {} and {}", a.seq, b.seq),
                vec![a.chain, b.chain],
            )
        }
        // Change a chain head: its count, its hash or both.
        _ => {
            let chain = *rng.pick(&trail.heads.keys().copied().collect::<Vec<_>>());
            let (mut seq, mut hash) = trail.heads[&chain].clone();
            let what = rng.below(3);
            if what != 1 {
                seq = if seq > 0 && rng.coin() {
                    seq - 1
                } else {
                    seq + 1 + rng.below(3) as i64
                };
            }
            if what != 0 {
                hash = flip_hex(rng, &hash);
            }
            raw.set_head(chain, seq, &hash).await;
            (
                format!("changed the head of chain {chain} (variant {what})"),
                vec![chain],
            )
        }
    }
}

/// The chain a break names; a stray event belongs to no walk, so it names none.
fn chain_of(b: &ChainBreak) -> Option<i64> {
    match b {
        ChainBreak::Altered { chain, .. }
        | ChainBreak::Unlinked { chain, .. }
        | ChainBreak::Gap { chain, .. }
        | ChainBreak::HeadMismatch { chain, .. }
        | ChainBreak::UnknownChain { chain, .. } => Some(*chain),
        ChainBreak::Stray { .. } => None,
    }
}

const KINDS: usize = 6;
const ITERATIONS: u64 = 60;

async fn every_tampering_is_detected_and_undoing_it_verifies_again(t: TestApp) {
    some_activity(&t).await;
    let mut raw = Raw::connect(&t).await;
    let original = raw.read().await;
    assert_eq!(t.app.store.verify_audit().await.unwrap().first_break, None);

    for i in 0..ITERATIONS {
        let mut rng = Rng(0xB07_4A0D1 ^ i.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let kind = i as usize % KINDS;
        let (what, chains) = tamper(&mut raw, &original, kind, &mut rng).await;
        assert_ne!(
            raw.read().await,
            original,
            "iteration {i}: {what} changed nothing"
        );
        let report = t.app.store.verify_audit().await.unwrap();
        let Some(found) = report.first_break else {
            panic!("iteration {i}: not detected: {what}")
        };
        assert!(
            chain_of(&found).is_none_or(|c| chains.contains(&c)),
            "iteration {i}: {what}, but the break reported is elsewhere: {found}"
        );
        raw.restore(&original).await;
        let report = t.app.store.verify_audit().await.unwrap();
        assert_eq!(
            report.first_break, None,
            "iteration {i}: still broken after undoing: {what}"
        );
    }
    raw.conn.close().await.unwrap();
}

// Gaps found and closed: kept so they stay closed.

both_dbs!(a_forged_event_before_the_start_of_a_chain_is_detected);

async fn a_forged_event_before_the_start_of_a_chain_is_detected(t: TestApp) {
    some_activity(&t).await;
    let mut raw = Raw::connect(&t).await;
    let original = raw.read().await;
    let patient = t.demo.patients[0].id.clone();
    let genuine = original
        .events
        .values()
        .find(|e| e.record.patient_id.as_ref() == Some(&patient))
        .unwrap();
    for chain_seq in [0, -1] {
        // A read by someone who never read it, filed before the chain's first event.
        let mut record = genuine.record.clone();
        record.actor_id = Some("someone-who-never-looked".into());
        let hash = event_hash(GENESIS, genuine.chain, chain_seq, &record);
        let forged = StoredAuditEvent {
            seq: 0,
            chain: genuine.chain,
            chain_seq,
            record,
            prev_hash: GENESIS.into(),
            hash,
        };
        raw.insert(&forged).await;
        let mut tx = t.app.store.read().await.unwrap();
        let shown = tx.audit_events_for_patient(&patient, 1000).await.unwrap();
        tx.rollback().await.unwrap();
        assert!(
            shown
                .iter()
                .any(|e| e.record.actor_id.as_deref() == Some("someone-who-never-looked")),
            "the forged event is shown"
        );
        let report = t.app.store.verify_audit().await.unwrap();
        assert!(
            report.first_break.is_some(),
            "a forged event at position {chain_seq} is not detected"
        );
        raw.restore(&original).await;
    }
    raw.conn.close().await.unwrap();
}

both_dbs!(verifying_during_activity_reports_no_break);

async fn verifying_during_activity_reports_no_break(t: TestApp) {
    some_activity(&t).await;
    let triage = t.staff_client("triage_clinician").await;
    let ids: Vec<String> = t.demo.patients.iter().map(|p| p.id.clone()).collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reading = {
        let stop = stop.clone();
        tokio::spawn(async move {
            for id in ids.iter().cycle() {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                triage.get(&format!("/staff/patients/{id}")).await.ok();
            }
        })
    };
    let mut breaks = Vec::new();
    for _ in 0..100 {
        if let Some(b) = t.app.store.verify_audit().await.unwrap().first_break {
            breaks.push(b.to_string());
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    reading.await.unwrap();
    assert_eq!(t.app.store.verify_audit().await.unwrap().first_break, None);
    assert!(
        breaks.is_empty(),
        "{} of 100 verifications of an untouched trail reported a break, first: {}",
        breaks.len(),
        breaks[0]
    );
}
