//! The audit trail's tamper-evidence rule, pure so that the writer and the
//! verifier share one definition.
//!
//! Events are kept in several independent hash chains (`CHAINS`), each event
//! linking to the previous event of its chain. One chain per database would
//! serialise every audited transaction on a single row lock held through the
//! commit's fsync; with a chain per shard of patients, unrelated patients'
//! transactions do not wait for each other, yet every event is still chained.

use sha2::{Digest, Sha256};

/// Number of independent chains. Changing it needs a migration of `audit_chains`.
pub const CHAINS: i64 = 16;

/// The hash that the first event of every chain links to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Staff,
    Patient,
    ApiClient,
    System,
    Anonymous,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Staff => "staff",
            ActorKind::Patient => "patient",
            ActorKind::ApiClient => "api_client",
            ActorKind::System => "system",
            ActorKind::Anonymous => "anonymous",
        }
    }
}

/// One audit event's content: everything the hash covers except the link.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditRecord {
    pub at_ms: i64,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub role: Option<String>,
    pub service_id: Option<String>,
    pub patient_id: Option<String>,
    pub action: String,
    pub purpose: String,
    pub request_id: Option<String>,
    pub detail: Option<String>,
}

/// An event as stored: its content, its place in its chain, and the two hashes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredAuditEvent {
    pub seq: i64,
    pub chain: i64,
    pub chain_seq: i64,
    pub record: AuditRecord,
    pub prev_hash: String,
    pub hash: String,
}

/// The chain a new event goes to: events about one patient always share a
/// chain (so their order is preserved); others are keyed by actor.
pub fn chain_for(key: &str) -> i64 {
    // FNV-1a: stable across releases, unlike std's hasher.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    (h % CHAINS as u64) as i64
}

/// SHA-256 over the previous hash and every field, each length-prefixed so
/// that moving bytes between fields changes the hash.
pub fn event_hash(prev_hash: &str, chain: i64, chain_seq: i64, r: &AuditRecord) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(prev_hash.as_bytes());
    field(&chain.to_be_bytes());
    field(&chain_seq.to_be_bytes());
    field(&r.at_ms.to_be_bytes());
    field(r.actor_kind.as_bytes());
    for opt in [&r.actor_id, &r.role, &r.service_id, &r.patient_id] {
        opt_field(&mut field, opt);
    }
    field(r.action.as_bytes());
    field(r.purpose.as_bytes());
    opt_field(&mut field, &r.request_id);
    opt_field(&mut field, &r.detail);
    hex::encode(h.finalize())
}

fn opt_field(field: &mut impl FnMut(&[u8]), v: &Option<String>) {
    match v {
        // A marker byte keeps `None` distinct from `Some("")`.
        None => field(&[0]),
        Some(s) => {
            field(&[1]);
            field(s.as_bytes());
        }
    }
}

/// The first problem found in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error(
        "event {seq} (chain {chain}, position {chain_seq}): its contents do not match its hash"
    )]
    Altered {
        seq: i64,
        chain: i64,
        chain_seq: i64,
    },
    #[error(
        "event {seq} (chain {chain}, position {chain_seq}): it does not link to the event before it"
    )]
    Unlinked {
        seq: i64,
        chain: i64,
        chain_seq: i64,
    },
    #[error("chain {chain}: position {expected} is missing or out of order (found {found})")]
    Gap {
        chain: i64,
        expected: i64,
        found: i64,
    },
    #[error(
        "chain {chain}: the chain head says {head_seq} events ending in {head_hash}, but the events end at {last_seq}"
    )]
    HeadMismatch {
        chain: i64,
        head_seq: i64,
        head_hash: String,
        last_seq: i64,
    },
    #[error(
        "{stray} stored events are outside every chain's walk (before its start or in no chain)"
    )]
    Stray { stray: i64 },
    #[error("event {seq}: chain {chain} does not exist")]
    UnknownChain { seq: i64, chain: i64 },
}

/// Checks one chain event by event, in `chain_seq` order, so that a chain of
/// any length is verified in constant memory.
pub struct ChainVerifier {
    chain: i64,
    prev: String,
    next_seq: i64,
}

impl ChainVerifier {
    pub fn new(chain: i64) -> Self {
        Self {
            chain,
            prev: GENESIS.to_string(),
            next_seq: 1,
        }
    }

    pub fn push(&mut self, e: &StoredAuditEvent) -> Result<(), ChainBreak> {
        let chain = self.chain;
        if e.chain != chain {
            return Err(ChainBreak::UnknownChain {
                seq: e.seq,
                chain: e.chain,
            });
        }
        if e.chain_seq != self.next_seq {
            return Err(ChainBreak::Gap {
                chain,
                expected: self.next_seq,
                found: e.chain_seq,
            });
        }
        if e.prev_hash != self.prev {
            return Err(ChainBreak::Unlinked {
                seq: e.seq,
                chain,
                chain_seq: e.chain_seq,
            });
        }
        if event_hash(&e.prev_hash, e.chain, e.chain_seq, &e.record) != e.hash {
            return Err(ChainBreak::Altered {
                seq: e.seq,
                chain,
                chain_seq: e.chain_seq,
            });
        }
        self.prev.clone_from(&e.hash);
        self.next_seq += 1;
        Ok(())
    }

    /// Checks that the walk ended exactly at the recorded head (so that
    /// removing the newest events is detected too); returns the event count.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<u64, ChainBreak> {
        let last_seq = self.next_seq - 1;
        if last_seq != head_seq || self.prev != head_hash {
            return Err(ChainBreak::HeadMismatch {
                chain: self.chain,
                head_seq,
                head_hash: head_hash.to_string(),
                last_seq,
            });
        }
        Ok(last_seq as u64)
    }
}

/// Checks a whole chain held in memory; see [`ChainVerifier`].
pub fn verify_chain<'a>(
    chain: i64,
    events: impl IntoIterator<Item = &'a StoredAuditEvent>,
    head_seq: i64,
    head_hash: &str,
) -> Result<u64, ChainBreak> {
    let mut v = ChainVerifier::new(chain);
    for e in events {
        v.push(e)?;
    }
    v.finish(head_seq, head_hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(action: &str) -> AuditRecord {
        AuditRecord {
            at_ms: 1,
            actor_kind: "staff".into(),
            actor_id: Some("a".into()),
            role: None,
            service_id: None,
            patient_id: Some("p".into()),
            action: action.into(),
            purpose: "direct_care".into(),
            request_id: None,
            detail: None,
        }
    }

    fn chain_of(n: i64) -> Vec<StoredAuditEvent> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|i| {
                let r = record(&format!("a{i}"));
                let hash = event_hash(&prev, 3, i, &r);
                let e = StoredAuditEvent {
                    seq: i * 10,
                    chain: 3,
                    chain_seq: i,
                    record: r,
                    prev_hash: prev.clone(),
                    hash,
                };
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn a_good_chain_verifies_and_any_field_change_breaks_it() {
        let events = chain_of(4);
        let head = events.last().unwrap().hash.clone();
        assert_eq!(verify_chain(3, &events, 4, &head), Ok(4));
        let mut altered = events.clone();
        altered[1].record.detail = Some(String::new());
        assert!(matches!(
            verify_chain(3, &altered, 4, &head),
            Err(ChainBreak::Altered { chain_seq: 2, .. })
        ));
        let mut truncated = events.clone();
        truncated.pop();
        assert!(matches!(
            verify_chain(3, &truncated, 4, &head),
            Err(ChainBreak::HeadMismatch { .. })
        ));
    }

    #[test]
    fn none_and_empty_hash_differently_and_chains_are_stable() {
        let mut a = record("x");
        let h1 = event_hash(GENESIS, 0, 1, &a);
        a.role = Some(String::new());
        assert_ne!(h1, event_hash(GENESIS, 0, 1, &a));
        assert_eq!(chain_for("patient-1"), chain_for("patient-1"));
        assert!((0..CHAINS).contains(&chain_for("anything")));
    }
}
