//! The audit trail's earlier format, kept only to check it once before its
//! events are sealed into the one chain (see [`super`]). Until migration 8,
//! every event was linked into one of [`CHAINS`] hash chains as it was
//! written, under the chain's row lock. The sealer checks those chains once
//! with [`ChainVerifier`] and records the outcome as an audit event
//! ([`super::LEGACY_CHECK_ACTION`]); this module goes when a later migration
//! drops the old columns.

use super::AuditRecord;
use sha2::{Digest, Sha256};

/// Number of chains of the earlier format.
pub const CHAINS: i64 = 16;

/// The hash that the first event of every earlier chain links to.
pub const GENESIS: &str = super::GENESIS;

/// An event of the earlier format, with its place in its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyEvent {
    pub seq: i64,
    pub chain: i64,
    pub chain_seq: i64,
    pub record: AuditRecord,
    pub prev_hash: String,
    pub hash: String,
}

/// The chain an event of the earlier format went to: events about one
/// patient shared a chain; others were keyed by actor, then by action.
pub fn chain_for(record: &AuditRecord) -> i64 {
    let key = record
        .patient_id
        .as_deref()
        .or(record.actor_id.as_deref())
        .unwrap_or(&record.action);
    // FNV-1a: stable across releases, unlike std's hasher.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    (h % CHAINS as u64) as i64
}

/// SHA-256 over the previous hash and every field, each length-prefixed.
pub fn event_hash(prev_hash: &str, chain: i64, chain_seq: i64, r: &AuditRecord) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(prev_hash.as_bytes());
    field(&chain.to_be_bytes());
    field(&chain_seq.to_be_bytes());
    super::record_fields(&mut field, r);
    hex::encode(h.finalize())
}

/// The first problem found in the earlier chains.
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

/// Checks one chain event by event, in `chain_seq` order, in constant memory.
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

    pub fn push(&mut self, e: &LegacyEvent) -> Result<(), ChainBreak> {
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

    /// Checks that the walk ended exactly at the recorded head; returns the
    /// event count.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn chain_of(n: i64) -> Vec<LegacyEvent> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|i| {
                let r = super::super::tests::record(&format!("a{i}"));
                let hash = event_hash(&prev, 3, i, &r);
                let e = LegacyEvent {
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

    fn verify(events: &[LegacyEvent], head_seq: i64, head: &str) -> Result<u64, ChainBreak> {
        let mut v = ChainVerifier::new(3);
        for e in events {
            v.push(e)?;
        }
        v.finish(head_seq, head)
    }

    #[test]
    fn a_good_chain_verifies_and_any_field_change_breaks_it() {
        let events = chain_of(4);
        let head = events.last().unwrap().hash.clone();
        assert_eq!(verify(&events, 4, &head), Ok(4));
        let mut altered = events.clone();
        altered[1].record.detail = Some(String::new());
        assert!(matches!(
            verify(&altered, 4, &head),
            Err(ChainBreak::Altered { chain_seq: 2, .. })
        ));
        let mut truncated = events.clone();
        truncated.pop();
        assert!(matches!(
            verify(&truncated, 4, &head),
            Err(ChainBreak::HeadMismatch { .. })
        ));
    }

    #[test]
    fn the_hash_is_unchanged_from_the_earlier_format() {
        // Computed independently from the earlier format's definition.
        let r = super::super::tests::record("x");
        assert_eq!(
            event_hash(GENESIS, 0, 1, &r),
            "32bcfdcccb719c8d32006e14ef03d087d61314185674b448ffd8b552c73507a2"
        );
        assert_eq!(chain_for(&r), chain_for(&r.clone()));
        assert!((0..CHAINS).contains(&chain_for(&r)));
    }
}
