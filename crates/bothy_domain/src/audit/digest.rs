//! The digest of a clinical record's content, held in the audit event that
//! wrote it, so that `bothy audit verify` can tell a row changed outside
//! Bothy (an answer edited, an alert closed, a row deleted in SQL) from one
//! Bothy wrote.
//!
//! A record's digest is SHA-256 over a fixed domain (which carries the
//! version), the record's kind and id, then each field that carries clinical
//! meaning, by name, type and value, length-prefixed. The fields are listed
//! here ([`RecordKind::fields`]) and named as the columns that hold them, so
//! the store reads exactly these and nothing else. Fields left out on
//! purpose: identifying details (names, contacts), idempotency keys and
//! resume links, and who an alert is assigned to or which patient a
//! referral's alert was attached to, which change without a clinical event.

use sha2::{Digest, Sha256};

/// Names the digest rule; a later rule gets a new prefix, and verification
/// recomputes with the rule the stored digest names.
pub const DIGEST_PREFIX: &str = "v1:";
const DIGEST_DOMAIN: &[u8] = b"bothy clinical record v1";

/// The digest an event holds when Bothy itself deleted the record (a
/// self-referral draft never sent, when its link expires): the row is meant
/// to be gone.
pub const DELETED: &str = "deleted";

/// A field's type as stored, which decides how the store reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    Int,
    Real,
}

/// A field's value as read from the row; `Null` for an empty column.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Null,
    Text(String),
    Int(i64),
    Real(f64),
}

/// The kinds of clinical record whose rows the audit trail vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    MeasureResponse,
    CheckIn,
    Alert,
    Referral,
    SafetyPlanVersion,
    Episode,
    ToolEntry,
    Message,
    Review,
}

use FieldType::{Int, Real, Text};

impl RecordKind {
    pub const ALL: [RecordKind; 9] = [
        RecordKind::MeasureResponse,
        RecordKind::CheckIn,
        RecordKind::Alert,
        RecordKind::Referral,
        RecordKind::SafetyPlanVersion,
        RecordKind::Episode,
        RecordKind::ToolEntry,
        RecordKind::Message,
        RecordKind::Review,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::MeasureResponse => "measure_response",
            RecordKind::CheckIn => "check_in",
            RecordKind::Alert => "alert",
            RecordKind::Referral => "referral",
            RecordKind::SafetyPlanVersion => "safety_plan_version",
            RecordKind::Episode => "episode",
            RecordKind::ToolEntry => "tool_entry",
            RecordKind::Message => "message",
            RecordKind::Review => "review",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Fields added to [`RecordKind::fields`] after digests were first taken
    /// (migration 14's `screening`): empty, they are left out of the digest,
    /// so that a record written before them still matches its event.
    fn added_later(self, field: &str) -> bool {
        matches!(
            (self, field),
            (RecordKind::Referral, "screening") | (RecordKind::MeasureResponse, "authored_at")
        )
    }

    /// The fields the digest covers, in digest order.
    pub fn fields(self) -> &'static [(&'static str, FieldType)] {
        match self {
            RecordKind::MeasureResponse => &[
                ("patient_id", Text),
                ("service_id", Text),
                ("instrument_id", Text),
                ("instrument_version", Text),
                ("answers", Text),
                ("total", Real),
                ("raw_total", Int),
                ("band", Text),
                ("at_caseness", Int),
                ("prorated", Int),
                ("risk_items", Text),
                ("source", Text),
                ("submitted_at", Int),
                ("submitted_by_kind", Text),
                ("submitted_by_id", Text),
                ("authored_at", Int),
            ],
            RecordKind::CheckIn => &[
                ("patient_id", Text),
                ("service_id", Text),
                ("mood", Int),
                ("sleep_hours", Real),
                ("activity", Text),
                ("note", Text),
                ("checked_in_at", Int),
                ("recorded_at", Int),
            ],
            RecordKind::Alert => &[
                ("service_id", Text),
                ("referral_id", Text),
                ("cause", Text),
                ("dedupe_key", Text),
                ("severity", Text),
                ("summary", Text),
                ("source_kind", Text),
                ("source_id", Text),
                ("raised_at", Int),
                ("deadline_at", Int),
                ("signal_count", Int),
                ("acknowledged_at", Int),
                ("acknowledged_by", Text),
                ("closed_at", Int),
                ("closed_by", Text),
                ("outcome", Text),
                ("outcome_note", Text),
                ("escalated_at", Int),
            ],
            RecordKind::Referral => &[
                ("service_id", Text),
                ("status", Text),
                ("source", Text),
                ("problem_text", Text),
                ("problems", Text),
                ("phq9", Text),
                ("gad7", Text),
                ("screening", Text),
                ("risk", Int),
                ("received_at", Int),
                ("decision_note", Text),
                ("decided_by", Text),
                ("decided_at", Int),
                ("patient_id", Text),
            ],
            RecordKind::SafetyPlanVersion => &[
                ("patient_id", Text),
                ("version", Int),
                ("service_id", Text),
                ("warning_signs", Text),
                ("coping_strategies", Text),
                ("people_and_places", Text),
                ("professionals", Text),
                ("safe_environment", Text),
                ("saved_at", Int),
                ("saved_by_kind", Text),
                ("saved_by_id", Text),
            ],
            RecordKind::Episode => &[
                ("patient_id", Text),
                ("service_id", Text),
                ("referral_id", Text),
                ("step", Text),
                ("practitioner_id", Text),
                ("problem_descriptor", Text),
                ("referred_at", Int),
                ("opened_at", Int),
                ("first_treatment_at", Int),
                ("treatment_appointments", Int),
                ("discharged_at", Int),
                ("discharge_reason", Text),
                ("outcome", Text),
            ],
            RecordKind::ToolEntry => &[
                ("patient_id", Text),
                ("service_id", Text),
                ("tool", Text),
                ("entry", Text),
                ("recorded_at", Int),
            ],
            // Read state is left out: it changes when someone opens the
            // thread, which is audited as a read, not as a clinical change.
            RecordKind::Message => &[
                ("thread_id", Text),
                ("patient_id", Text),
                ("service_id", Text),
                ("author_kind", Text),
                ("author_id", Text),
                ("body", Text),
                ("sent_at", Int),
                ("needs_clinician_at", Int),
                ("needs_clinician_by", Text),
            ],
            // Read state is left out, as for messages.
            RecordKind::Review => &[
                ("enrolment_id", Text),
                ("patient_id", Text),
                ("service_id", Text),
                ("reviewer_id", Text),
                ("feedback", Text),
                ("due_at", Int),
                ("written_at", Int),
            ],
        }
    }
}

/// The id a safety plan version is known by in the audit trail.
pub fn safety_plan_version_id(patient_id: &str, version: i64) -> String {
    format!("{patient_id}/{version}")
}

/// A clinical record's digest as it stood after one write.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordDigest {
    pub kind: String,
    pub id: String,
    pub digest: String,
}

/// The digest of record `id` of `kind` with `values`, in the order of
/// [`RecordKind::fields`]. Panics in tests only if the count differs: the
/// store reads the values from that same list.
pub fn record_digest(kind: RecordKind, id: &str, values: &[FieldValue]) -> String {
    debug_assert_eq!(values.len(), kind.fields().len());
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(DIGEST_DOMAIN);
    field(kind.as_str().as_bytes());
    field(id.as_bytes());
    for ((name, _), v) in kind.fields().iter().zip(values) {
        if *v == FieldValue::Null && kind.added_later(name) {
            continue;
        }
        field(name.as_bytes());
        match v {
            FieldValue::Null => field(b"n"),
            FieldValue::Text(s) => {
                field(b"t");
                field(s.as_bytes());
            }
            FieldValue::Int(i) => {
                field(b"i");
                field(&i.to_be_bytes());
            }
            FieldValue::Real(r) => {
                field(b"r");
                // -0.0 and 0.0 are one score; NaN is never stored.
                let r = if *r == 0.0 { 0.0 } else { *r };
                field(&r.to_bits().to_be_bytes());
            }
        }
    }
    format!("{DIGEST_PREFIX}{}", hex::encode(h.finalize()))
}

/// What verification found wrong with one clinical record. Names the kind
/// and id only, never the content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordBreak {
    #[error("{kind} {id} was changed outside Bothy: it no longer matches its newest audit event")]
    Changed { kind: &'static str, id: String },
    #[error("{kind} {id} is gone: its audit events remain but the record does not")]
    Gone { kind: &'static str, id: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_in(mood: i64, note: Option<&str>) -> Vec<FieldValue> {
        vec![
            FieldValue::Text("p".into()),
            FieldValue::Text("s".into()),
            FieldValue::Int(mood),
            FieldValue::Null,
            FieldValue::Null,
            note.map_or(FieldValue::Null, |n| FieldValue::Text(n.into())),
            FieldValue::Int(1),
            FieldValue::Int(2),
        ]
    }

    #[test]
    fn every_change_changes_the_digest_and_nothing_else_does() {
        let a = record_digest(RecordKind::CheckIn, "c1", &check_in(5, None));
        assert!(a.starts_with(DIGEST_PREFIX));
        assert_eq!(a.len(), DIGEST_PREFIX.len() + 64);
        assert_eq!(
            a,
            record_digest(RecordKind::CheckIn, "c1", &check_in(5, None))
        );
        for other in [
            record_digest(RecordKind::CheckIn, "c2", &check_in(5, None)),
            record_digest(RecordKind::CheckIn, "c1", &check_in(6, None)),
            record_digest(RecordKind::CheckIn, "c1", &check_in(5, Some(""))),
        ] {
            assert_ne!(a, other);
        }
        // The same values under another kind are another record.
        let mut s = check_in(5, None);
        s.extend([FieldValue::Null, FieldValue::Null, FieldValue::Null]);
        s.truncate(RecordKind::SafetyPlanVersion.fields().len());
        assert_ne!(
            record_digest(RecordKind::SafetyPlanVersion, "c1", &s),
            record_digest(RecordKind::CheckIn, "c1", &check_in(5, None))
        );
    }

    #[test]
    fn a_field_added_later_changes_the_digest_only_when_it_holds_a_value() {
        let fields = RecordKind::Referral.fields();
        let at = fields.iter().position(|(n, _)| *n == "screening").unwrap();
        let mut values = vec![FieldValue::Null; fields.len()];
        values[0] = FieldValue::Text("s".into());
        // As a referral written before `screening` was digested it.
        let mut h = Sha256::new();
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        };
        field(DIGEST_DOMAIN);
        field(b"referral");
        field(b"r1");
        for (i, (name, _)) in fields.iter().enumerate() {
            if i == at {
                continue;
            }
            field(name.as_bytes());
            match &values[i] {
                FieldValue::Text(s) => {
                    field(b"t");
                    field(s.as_bytes());
                }
                _ => field(b"n"),
            }
        }
        let before = format!("{DIGEST_PREFIX}{}", hex::encode(h.finalize()));
        assert_eq!(record_digest(RecordKind::Referral, "r1", &values), before);
        values[at] = FieldValue::Text("{}".into());
        assert_ne!(record_digest(RecordKind::Referral, "r1", &values), before);
    }

    #[test]
    fn kinds_read_back_and_fields_are_unique() {
        for k in RecordKind::ALL {
            assert_eq!(RecordKind::parse(k.as_str()), Some(k));
            let mut names: Vec<_> = k.fields().iter().map(|(n, _)| n).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), k.fields().len(), "{}", k.as_str());
        }
    }
}
