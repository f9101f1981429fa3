//! Tampering with sealed events is detected, and undoing it verifies again;
//! a chain rewritten consistently from some point on misses its anchor.

use super::raw::{Raw, RawEvent, Trail};
use super::{seal, some_activity};
use crate::both_dbs;
use crate::helpers::TestApp;
use bothy_domain::audit::{Anchor, GENESIS, SealBreak, seal_hash};
use std::time::Duration;

both_dbs!(
    every_tampering_of_sealed_events_is_detected_and_undoing_it_verifies_again,
    a_chain_rewritten_from_some_point_on_misses_its_anchor,
);

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

/// The seal hash `e` would have at its position after `prev`, as someone
/// who knows the (public) rule would recompute it.
fn rehash(e: &RawEvent, prev: &str) -> String {
    seal_hash(
        prev,
        e.seal_pos.unwrap(),
        e.seq,
        e.sealed_at.unwrap(),
        &e.record,
    )
}

/// The hash of the seal before position `pos` in `trail`.
fn prev_hash(trail: &Trail, pos: i64) -> String {
    trail
        .sealed()
        .iter()
        .find(|e| e.seal_pos == Some(pos - 1))
        .and_then(|e| e.seal_hash.clone())
        .unwrap_or_else(|| GENESIS.to_string())
}

const FIELDS: [&str; 14] = [
    "action",
    "patient_id",
    "at",
    "actor_id",
    "detail",
    "request_id",
    "role",
    "purpose",
    "service_id",
    "actor_kind",
    "seal_hash",
    "sealed_at",
    "seal_pos",
    "seq",
];

/// Applies one random tampering of kind `kind` to the sealed events or the
/// head; returns what it did.
async fn tamper(raw: &mut Raw, trail: &Trail, kind: usize, rng: &mut Rng) -> String {
    let sealed = trail.sealed();
    let head = trail.sealer.head_pos;
    match kind {
        // Change one field of one event; half the time also recompute its
        // seal hash, as someone who knows the hashing rule would.
        0 => {
            let e = *rng.pick(&sealed);
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
                    let other = sealed
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
                "seal_hash" => f.seal_hash = f.seal_hash.as_deref().map(|h| flip_hex(rng, h)),
                "sealed_at" => f.sealed_at = f.sealed_at.map(|t| t + 1 + rng.below(1000) as i64),
                // Filed at a free position past the head, or nowhere.
                "seal_pos" => f.seal_pos = rng.coin().then(|| head + 1 + rng.below(3) as i64),
                // Moved to a free number.
                "seq" => {
                    raw.delete(e.seq).await;
                    f.seq = trail.events.keys().last().unwrap() + 1 + rng.below(5) as i64;
                    let rehashed = rng.coin();
                    if rehashed {
                        f.seal_hash = Some(rehash(&f, &prev_hash(trail, f.seal_pos.unwrap())));
                    }
                    raw.reinsert(&f).await;
                    return format!(
                        "moved event {} to seq {}{}",
                        e.seq,
                        f.seq,
                        if rehashed { ", hash recomputed" } else { "" }
                    );
                }
                _ => unreachable!(),
            }
            let rehashed = !field.starts_with("seal") && rng.coin();
            if rehashed {
                f.seal_hash = Some(rehash(&f, &prev_hash(trail, f.seal_pos.unwrap())));
            }
            raw.update(&f).await;
            format!(
                "changed {field} of the event at position {:?}{}",
                e.seal_pos,
                if rehashed { ", hash recomputed" } else { "" }
            )
        }
        // Delete any sealed event, or take its seal away.
        1 => {
            let e = *rng.pick(&sealed);
            if rng.coin() {
                raw.delete(e.seq).await;
                format!("deleted the event at position {:?}", e.seal_pos)
            } else {
                let mut f = e.clone();
                (f.seal_pos, f.seal_hash, f.sealed_at) = (None, None, None);
                raw.update(&f).await;
                format!("unsealed the event at position {:?}", e.seal_pos)
            }
        }
        // Truncate the tail: delete the newest sealed events.
        2 => {
            let n = 1 + rng.below(4.min(sealed.len()));
            for e in &sealed[sealed.len() - n..] {
                raw.delete(e.seq).await;
            }
            format!("deleted the newest {n} sealed events")
        }
        // Insert a forged sealed event: after the head, correctly linked and
        // hashed or not; past a gap; or before position 1.
        3 => {
            let mut record = rng.pick(&sealed).record.clone();
            record.action = "patient.read".into();
            record.actor_id = Some("forged-actor".into());
            let variant = rng.below(4);
            let pos = match variant {
                0 | 1 => head + 1,
                2 => head + 2 + rng.below(5) as i64,
                _ => -(rng.below(2) as i64),
            };
            let mut forged = RawEvent::new(record);
            forged.seal_pos = Some(pos);
            forged.sealed_at = sealed.last().unwrap().sealed_at;
            let seq = raw.insert(&forged).await;
            forged.seq = seq;
            let mut hash = rehash(&forged, &prev_hash(trail, pos));
            if variant == 1 {
                hash = flip_hex(rng, &hash);
            }
            forged.seal_hash = Some(hash);
            raw.update(&forged).await;
            format!("inserted a forged event at position {pos} (variant {variant})")
        }
        // Reorder: swap the positions (with their hashes) of two events, or
        // their contents.
        4 => {
            let a = (*rng.pick(&sealed)).clone();
            let others: Vec<_> = sealed.iter().filter(|e| e.record != a.record).collect();
            let b = (**rng.pick(&others)).clone();
            let (mut a2, mut b2) = (a.clone(), b.clone());
            let what = if rng.coin() {
                std::mem::swap(&mut a2.seal_pos, &mut b2.seal_pos);
                std::mem::swap(&mut a2.seal_hash, &mut b2.seal_hash);
                std::mem::swap(&mut a2.sealed_at, &mut b2.sealed_at);
                "positions"
            } else {
                std::mem::swap(&mut a2.record, &mut b2.record);
                "contents"
            };
            // Positions are unique: take both out before putting them back.
            raw.delete(a.seq).await;
            raw.delete(b.seq).await;
            raw.reinsert(&a2).await;
            raw.reinsert(&b2).await;
            format!(
                "swapped the {what} of the events at positions {:?} and {:?}",
                a.seal_pos, b.seal_pos
            )
        }
        // Rewrite the head: its position, its hash or both.
        _ => {
            let mut s = trail.sealer.clone();
            let what = rng.below(3);
            if what != 1 {
                s.head_pos = if rng.coin() {
                    s.head_pos - 1 - rng.below(2) as i64
                } else {
                    s.head_pos + 1 + rng.below(3) as i64
                };
            }
            if what != 0 {
                s.head_hash = flip_hex(rng, &s.head_hash);
            }
            raw.set_sealer(&s).await;
            format!("rewrote the head (variant {what})")
        }
    }
}

const KINDS: usize = 6;
const ITERATIONS: u64 = 72;

async fn every_tampering_of_sealed_events_is_detected_and_undoing_it_verifies_again(t: TestApp) {
    some_activity(&t).await;
    seal(&t).await;
    // A second pass, later, so that seals carry different times.
    t.clock.advance(Duration::from_secs(5));
    t.client().get("/sign-in").await.ok();
    some_activity(&t).await;
    seal(&t).await;
    let mut raw = Raw::connect(&t.url, t.db).await;
    let original = raw.read().await;
    assert!(original.events.values().all(|e| e.seal_pos.is_some()));
    assert!(t.app.store().verify_audit(&[]).await.unwrap().is_intact());

    for i in 0..ITERATIONS {
        let mut rng = Rng(0xB07_4A0D1 ^ i.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let kind = i as usize % KINDS;
        let what = tamper(&mut raw, &original, kind, &mut rng).await;
        assert_ne!(
            raw.read().await,
            original,
            "iteration {i}: {what} changed nothing"
        );
        let report = t.app.store().verify_audit(&[]).await.unwrap();
        assert!(
            report.first_break.is_some(),
            "iteration {i}: not detected: {what}"
        );
        assert!(!report.is_intact());
        raw.restore(&original).await;
        let report = t.app.store().verify_audit(&[]).await.unwrap();
        assert_eq!(
            report.first_break, None,
            "iteration {i}: still broken after undoing: {what}"
        );
    }
    raw.close().await;
}

/// Rewrites every seal from position `from` on, consistently, head and all,
/// as someone with write access to the database and the rule could; the
/// events from `from` on get `change` applied first.
async fn rewrite_from(raw: &mut Raw, trail: &Trail, from: i64, change: impl Fn(&mut RawEvent)) {
    let mut prev = prev_hash(trail, from);
    let mut last = None;
    for e in trail.sealed() {
        if e.seal_pos.unwrap() < from {
            continue;
        }
        let mut f = e.clone();
        change(&mut f);
        f.seal_hash = Some(rehash(&f, &prev));
        prev = f.seal_hash.clone().unwrap();
        raw.update(&f).await;
        last = Some(f);
    }
    let mut s = trail.sealer.clone();
    if let Some(f) = last {
        s.head_pos = f.seal_pos.unwrap();
        s.head_hash = f.seal_hash.unwrap();
    }
    raw.set_sealer(&s).await;
}

async fn a_chain_rewritten_from_some_point_on_misses_its_anchor(t: TestApp) {
    some_activity(&t).await;
    seal(&t).await;
    // An operator records the head outside the database ...
    let head = t.app.store().audit_head().await.unwrap();
    let anchor = head.anchor();
    let at_start = Anchor {
        pos: 0,
        hash: GENESIS.into(),
    };
    // ... and the service goes on.
    t.clock.advance(Duration::from_secs(60));
    some_activity(&t).await;
    seal(&t).await;
    let report = t
        .app
        .store()
        .verify_audit(&[anchor.clone(), at_start.clone()])
        .await
        .unwrap();
    assert!(report.is_intact(), "{:?}", report.first_break);
    assert!(report.head.pos > anchor.pos);

    let mut raw = Raw::connect(&t.url, t.db).await;
    let original = raw.read().await;

    // An event before the anchor changed, and every seal after it recomputed.
    let victim = anchor.pos - 3;
    rewrite_from(&mut raw, &original, victim, |e| {
        if e.seal_pos == Some(victim) {
            e.record.actor_id = Some("someone-else".into());
        }
    })
    .await;
    let report = t.app.store().verify_audit(&[]).await.unwrap();
    assert_eq!(
        report.first_break, None,
        "a consistent rewrite passes without an anchor: this is what anchors are for"
    );
    let report = t
        .app
        .store()
        .verify_audit(std::slice::from_ref(&anchor))
        .await
        .unwrap();
    assert!(
        matches!(&report.first_break, Some(SealBreak::AnchorMismatch { anchor: a, .. }) if *a == anchor),
        "{:?}",
        report.first_break
    );
    raw.restore(&original).await;

    // The newest events deleted back past the anchor, and the head moved to match.
    let keep = anchor.pos - 2;
    for e in original.sealed() {
        if e.seal_pos.unwrap() > keep {
            raw.delete(e.seq).await;
        }
    }
    let last = original
        .sealed()
        .into_iter()
        .find(|e| e.seal_pos == Some(keep))
        .unwrap()
        .clone();
    let mut s = original.sealer.clone();
    s.head_pos = keep;
    s.head_hash = last.seal_hash.clone().unwrap();
    raw.set_sealer(&s).await;
    assert_eq!(
        t.app.store().verify_audit(&[]).await.unwrap().first_break,
        None
    );
    let report = t
        .app
        .store()
        .verify_audit(&[at_start, anchor.clone()])
        .await
        .unwrap();
    assert!(
        matches!(report.first_break, Some(SealBreak::AnchorBeyondEnd { last_pos, .. }) if last_pos == keep),
        "{:?}",
        report.first_break
    );
    raw.restore(&original).await;
    assert!(
        t.app
            .store()
            .verify_audit(&[anchor])
            .await
            .unwrap()
            .is_intact()
    );
    raw.close().await;
}
