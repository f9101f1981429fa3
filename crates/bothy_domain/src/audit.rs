//! The audit trail's tamper-evidence rule, pure so that the sealer and the
//! verifier share one definition.
//!
//! An event is appended with a plain insert in the transaction of the work it
//! records, so the hot path takes no shared lock. Shortly after it commits, the
//! sealer gives it the next position of one hash chain: its [`Seal`] holds the
//! position, the time and a hash over the previous seal's hash and every field
//! of the event ([`seal_hash`]). The newest seal is the head ([`SealHead`]),
//! kept beside the events; [`SealVerifier`] walks the seals in position order
//! and checks every field, every link, that no position is missing and that
//! the walk ends at the head. An [`Anchor`] is a head recorded outside the
//! database: a chain rewritten from some point on no longer passes through it.

mod action;
pub mod digest;
pub mod legacy;

pub use action::{Action, Purpose};
pub use digest::RecordDigest;

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The hash the first seal links to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The action of the event that records the check of the earlier chains.
pub const LEGACY_CHECK_ACTION: &str = "audit.legacy_chains_checked";

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

/// One audit event's content, as the caller appends it.
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
    /// The clinical record this event wrote, and its digest after the write.
    pub record: Option<RecordDigest>,
}

/// An event's place in the chain, given by the sealer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Seal {
    /// 1, 2, 3 ... with no gap, in the order events were sealed.
    pub pos: i64,
    pub hash: String,
    pub sealed_at_ms: i64,
}

/// An event as stored: its number, its content and, once sealed, its seal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredAuditEvent {
    /// Assigned at insert. Not commit order: on PostgreSQL an event can
    /// commit after one with a higher `seq`.
    pub seq: i64,
    pub record: AuditRecord,
    pub seal: Option<Seal>,
}

/// The newest seal as the sealer recorded it: position 0 and [`GENESIS`]
/// before anything is sealed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SealHead {
    pub pos: i64,
    pub hash: String,
    pub sealed_at_ms: Option<i64>,
}

impl SealHead {
    /// The head as an anchor to record outside the database.
    pub fn anchor(&self) -> Anchor {
        Anchor {
            pos: self.pos,
            hash: self.hash.clone(),
        }
    }
}

/// A seal recorded outside the database (`POSITION:HASH`), which the chain
/// must still pass through.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Anchor {
    pub pos: i64,
    pub hash: String,
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.pos, self.hash)
    }
}

impl std::str::FromStr for Anchor {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = || format!("{s:?} is not POSITION:HASH (as `bothy audit head` prints it)");
        let (pos, hash) = s.trim().split_once(':').ok_or_else(usage)?;
        let pos: i64 = pos.parse().map_err(|_| usage())?;
        let hex64 = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        if pos < 0 || !hex64 {
            return Err(usage());
        }
        Ok(Anchor {
            pos,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

/// Feeds every field of `r` to `field`, each optional one marked so that
/// `None` and `Some("")` differ. Shared with the earlier format's hash.
fn record_fields(field: &mut impl FnMut(&[u8]), r: &AuditRecord) {
    field(&r.at_ms.to_be_bytes());
    field(r.actor_kind.as_bytes());
    for opt in [&r.actor_id, &r.role, &r.service_id, &r.patient_id] {
        opt_field(field, opt);
    }
    field(r.action.as_bytes());
    field(r.purpose.as_bytes());
    opt_field(field, &r.request_id);
    opt_field(field, &r.detail);
}

/// The written record's kind, id and digest, fed only when there is one, so
/// that events sealed before digests existed (and events that write no
/// clinical record) hash exactly as they did.
fn digest_fields(field: &mut impl FnMut(&[u8]), r: &AuditRecord) {
    if let Some(d) = &r.record {
        field(b"record");
        field(d.kind.as_bytes());
        field(d.id.as_bytes());
        field(d.digest.as_bytes());
    }
}

fn opt_field(field: &mut impl FnMut(&[u8]), v: &Option<String>) {
    match v {
        None => field(&[0]),
        Some(s) => {
            field(&[1]);
            field(s.as_bytes());
        }
    }
}

/// Tells this format's hashes from the earlier chains'.
const SEAL_DOMAIN: &[u8] = b"bothy audit seal v1";

/// SHA-256 over the previous seal's hash, the position, the event's `seq`,
/// the sealing time and every field of the event, each length-prefixed so
/// that moving bytes between fields changes the hash.
pub fn seal_hash(
    prev_hash: &str,
    pos: i64,
    seq: i64,
    sealed_at_ms: i64,
    r: &AuditRecord,
) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(SEAL_DOMAIN);
    field(prev_hash.as_bytes());
    field(&pos.to_be_bytes());
    field(&seq.to_be_bytes());
    field(&sealed_at_ms.to_be_bytes());
    record_fields(&mut field, r);
    digest_fields(&mut field, r);
    hex::encode(h.finalize())
}

/// Seals events in the order given, continuing from `head`.
pub fn seal_next(head: &SealHead, seq: i64, sealed_at_ms: i64, r: &AuditRecord) -> Seal {
    let pos = head.pos + 1;
    Seal {
        pos,
        hash: seal_hash(&head.hash, pos, seq, sealed_at_ms, r),
        sealed_at_ms,
    }
}

/// The first problem found among the sealed events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealBreak {
    #[error(
        "position {expected} is missing or out of order (the next sealed event found is at {found})"
    )]
    Gap { expected: i64, found: i64 },
    #[error(
        "position {pos} (event {seq}): the event does not match its seal (the event, or the seal before it, was changed)"
    )]
    Altered { pos: i64, seq: i64 },
    #[error(
        "the recorded head is position {head_pos} ({head_hash}), but the sealed events end at position {last_pos} ({last_hash})"
    )]
    HeadMismatch {
        head_pos: i64,
        head_hash: String,
        last_pos: i64,
        last_hash: String,
    },
    #[error("the chain no longer passes through the anchor {anchor}: position {} holds {found}", anchor.pos)]
    AnchorMismatch { anchor: Anchor, found: String },
    #[error("the chain no longer reaches the anchor {anchor}: it ends at position {last_pos}")]
    AnchorBeyondEnd { anchor: Anchor, last_pos: i64 },
}

/// Checks sealed events one by one in position order, so that a chain of
/// any length is verified in constant memory.
pub struct SealVerifier {
    head: SealHead,
    anchors: BTreeMap<i64, String>,
}

impl SealVerifier {
    pub fn new(anchors: &[Anchor]) -> Self {
        Self {
            head: SealHead {
                pos: 0,
                hash: GENESIS.to_string(),
                sealed_at_ms: None,
            },
            anchors: anchors.iter().map(|a| (a.pos, a.hash.clone())).collect(),
        }
    }

    /// The next event in position order.
    pub fn push(&mut self, seq: i64, record: &AuditRecord, seal: &Seal) -> Result<(), SealBreak> {
        let expected = self.head.pos + 1;
        if seal.pos != expected {
            return Err(SealBreak::Gap {
                expected,
                found: seal.pos,
            });
        }
        let want = seal_hash(&self.head.hash, seal.pos, seq, seal.sealed_at_ms, record);
        if want != seal.hash {
            return Err(SealBreak::Altered { pos: seal.pos, seq });
        }
        self.check_anchor(seal.pos, &seal.hash)?;
        self.head = SealHead {
            pos: seal.pos,
            hash: seal.hash.clone(),
            sealed_at_ms: Some(seal.sealed_at_ms),
        };
        Ok(())
    }

    fn check_anchor(&self, pos: i64, hash: &str) -> Result<(), SealBreak> {
        match self.anchors.get(&pos) {
            Some(want) if want != hash => Err(SealBreak::AnchorMismatch {
                anchor: Anchor {
                    pos,
                    hash: want.clone(),
                },
                found: hash.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// Checks that the walk ended exactly at the recorded head (so removing
    /// the newest seals is detected) and reached every anchor; returns the
    /// number of sealed events.
    pub fn finish(self, head: &SealHead) -> Result<u64, SealBreak> {
        let last = &self.head;
        if last.pos != head.pos || last.hash != head.hash {
            return Err(SealBreak::HeadMismatch {
                head_pos: head.pos,
                head_hash: head.hash.clone(),
                last_pos: last.pos,
                last_hash: last.hash.clone(),
            });
        }
        if let Some((&pos, hash)) = self.anchors.range(last.pos + 1..).next() {
            return Err(SealBreak::AnchorBeyondEnd {
                anchor: Anchor {
                    pos,
                    hash: hash.clone(),
                },
                last_pos: last.pos,
            });
        }
        // Position 0 is the start of every chain.
        self.check_anchor(0, GENESIS)?;
        Ok(u64::try_from(last.pos).unwrap_or(0))
    }
}

/// What the one check of the earlier chains found, as recorded in the
/// detail of a [`LEGACY_CHECK_ACTION`] event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyCheck {
    pub chains: u64,
    pub events: u64,
    /// The first break found, in words; `None` when every chain was intact.
    pub first_break: Option<String>,
}

impl LegacyCheck {
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
    }

    /// The event detail that records this check.
    pub fn detail(&self) -> String {
        let counts = format!("{} chains, {} events", self.chains, self.events);
        match &self.first_break {
            None => format!("intact: {counts}"),
            Some(b) => format!("broken: {counts}: {b}"),
        }
    }

    /// Reads back [`LegacyCheck::detail`].
    pub fn parse(detail: &str) -> Option<Self> {
        let (verdict, rest) = detail.split_once(": ")?;
        let (counts, first_break) = match verdict {
            "intact" => (rest, None),
            "broken" => {
                let (counts, b) = rest.split_once(": ")?;
                (counts, Some(b.to_string()))
            }
            _ => return None,
        };
        let (chains, events) = counts.split_once(" chains, ")?;
        Some(Self {
            chains: chains.parse().ok()?,
            events: events.strip_suffix(" events")?.parse().ok()?,
            first_break,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn record(action: &str) -> AuditRecord {
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
            record: None,
        }
    }

    /// `n` events sealed in order, with seq 10, 20, 30 ...
    fn sealed(n: i64) -> (Vec<StoredAuditEvent>, SealHead) {
        let mut head = SealHead {
            pos: 0,
            hash: GENESIS.into(),
            sealed_at_ms: None,
        };
        let events = (1..=n)
            .map(|i| {
                let record = record(&format!("a{i}"));
                let seal = seal_next(&head, i * 10, 100 + i, &record);
                head = SealHead {
                    pos: seal.pos,
                    hash: seal.hash.clone(),
                    sealed_at_ms: Some(seal.sealed_at_ms),
                };
                StoredAuditEvent {
                    seq: i * 10,
                    record,
                    seal: Some(seal),
                }
            })
            .collect();
        (events, head)
    }

    fn verify(
        events: &[StoredAuditEvent],
        head: &SealHead,
        anchors: &[Anchor],
    ) -> Result<u64, SealBreak> {
        let mut v = SealVerifier::new(anchors);
        for e in events {
            v.push(e.seq, &e.record, e.seal.as_ref().unwrap())?;
        }
        v.finish(head)
    }

    #[test]
    fn a_good_chain_verifies_and_every_change_breaks_it() {
        let (events, head) = sealed(5);
        assert_eq!(verify(&events, &head, &[]), Ok(5));

        let mut altered = events.clone();
        altered[1].record.detail = Some(String::new());
        assert_eq!(
            verify(&altered, &head, &[]),
            Err(SealBreak::Altered { pos: 2, seq: 20 })
        );
        let mut moved = events.clone();
        moved[1].seq = 25;
        assert!(matches!(
            verify(&moved, &head, &[]),
            Err(SealBreak::Altered { pos: 2, .. })
        ));
        let mut retimed = events.clone();
        retimed[3].seal.as_mut().unwrap().sealed_at_ms += 1;
        assert!(matches!(
            verify(&retimed, &head, &[]),
            Err(SealBreak::Altered { pos: 4, .. })
        ));

        let mut deleted = events.clone();
        deleted.remove(2);
        assert_eq!(
            verify(&deleted, &head, &[]),
            Err(SealBreak::Gap {
                expected: 3,
                found: 4
            })
        );
        let mut swapped = events.clone();
        swapped.swap(1, 2);
        assert!(matches!(
            verify(&swapped, &head, &[]),
            Err(SealBreak::Gap {
                expected: 2,
                found: 3
            })
        ));

        let mut truncated = events.clone();
        truncated.pop();
        assert!(matches!(
            verify(&truncated, &head, &[]),
            Err(SealBreak::HeadMismatch {
                head_pos: 5,
                last_pos: 4,
                ..
            })
        ));
    }

    #[test]
    fn a_rewritten_chain_misses_its_anchor() {
        let (events, head) = sealed(5);
        let anchor = events[2]
            .seal
            .as_ref()
            .map(|s| Anchor {
                pos: s.pos,
                hash: s.hash.clone(),
            })
            .unwrap();
        assert_eq!(
            verify(&events, &head, &[anchor.clone(), head.anchor()]),
            Ok(5)
        );
        assert_eq!(
            verify(
                &[],
                &SealHead {
                    pos: 0,
                    hash: GENESIS.into(),
                    sealed_at_ms: None
                },
                &[Anchor {
                    pos: 0,
                    hash: GENESIS.into()
                }]
            ),
            Ok(0)
        );

        // Rewritten from position 2 on, head and all: consistent in itself.
        let mut rewritten = events[..1].to_vec();
        let mut h = SealHead {
            pos: 1,
            hash: events[0].seal.as_ref().unwrap().hash.clone(),
            sealed_at_ms: None,
        };
        for e in &events[1..] {
            let mut record = e.record.clone();
            record.actor_id = Some("someone else".into());
            let seal = seal_next(&h, e.seq, 500, &record);
            h = SealHead {
                pos: seal.pos,
                hash: seal.hash.clone(),
                sealed_at_ms: Some(500),
            };
            rewritten.push(StoredAuditEvent {
                seq: e.seq,
                record,
                seal: Some(seal),
            });
        }
        assert_eq!(verify(&rewritten, &h, &[]), Ok(5));
        assert!(matches!(
            verify(&rewritten, &h, std::slice::from_ref(&anchor)),
            Err(SealBreak::AnchorMismatch { .. })
        ));

        // Cut back to position 2, head and all.
        let h2 = SealHead {
            pos: 2,
            hash: events[1].seal.as_ref().unwrap().hash.clone(),
            sealed_at_ms: None,
        };
        assert_eq!(verify(&events[..2], &h2, &[]), Ok(2));
        assert!(matches!(
            verify(&events[..2], &h2, &[anchor]),
            Err(SealBreak::AnchorBeyondEnd { last_pos: 2, .. })
        ));
        let bad_genesis = Anchor {
            pos: 0,
            hash: "1".repeat(64),
        };
        assert!(matches!(
            verify(&events, &head, &[bad_genesis]),
            Err(SealBreak::AnchorMismatch { .. })
        ));
    }

    #[test]
    fn none_and_empty_hash_differently() {
        let mut a = record("x");
        let h1 = seal_hash(GENESIS, 1, 1, 0, &a);
        a.role = Some(String::new());
        assert_ne!(h1, seal_hash(GENESIS, 1, 1, 0, &a));
        // The same fields under the earlier rule give a different hash.
        assert_ne!(h1, legacy::event_hash(GENESIS, 1, 1, &record("x")));
    }

    #[test]
    fn the_record_digest_is_sealed_and_its_absence_hashes_as_before() {
        let plain = record("x");
        // Fixed before digests existed: events sealed then must still verify.
        assert_eq!(
            seal_hash(GENESIS, 1, 1, 0, &plain),
            "b96cc2e00cfd1bde6591fb994748460343c3b73cc457d98a06170a93b3bf7f6e"
        );
        let mut with = plain.clone();
        with.record = Some(RecordDigest {
            kind: "check_in".into(),
            id: "c".into(),
            digest: "v1:00".into(),
        });
        let h = seal_hash(GENESIS, 1, 1, 0, &with);
        assert_ne!(h, seal_hash(GENESIS, 1, 1, 0, &plain));
        with.record.as_mut().unwrap().digest = "v1:01".into();
        assert_ne!(h, seal_hash(GENESIS, 1, 1, 0, &with));
    }

    #[test]
    fn anchors_parse_as_printed() {
        let a: Anchor = format!("12:{}", "Ab".repeat(32)).parse().unwrap();
        assert_eq!(a.to_string(), format!("12:{}", "ab".repeat(32)));
        for bad in [
            "12",
            "x:00",
            "-1:00",
            &format!("3:{}", "a".repeat(63)),
            &format!("3:{}", "g".repeat(64)),
        ] {
            assert!(bad.parse::<Anchor>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_legacy_check_reads_back() {
        for c in [
            LegacyCheck {
                chains: 16,
                events: 1200,
                first_break: None,
            },
            LegacyCheck {
                chains: 16,
                events: 3,
                first_break: Some("chain 4: position 2 is missing: or so".into()),
            },
        ] {
            assert_eq!(LegacyCheck::parse(&c.detail()), Some(c));
        }
        assert_eq!(LegacyCheck::parse("nonsense"), None);
    }
}
