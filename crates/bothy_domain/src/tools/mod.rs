//! The interactive tools' entries as values validated on construction, and
//! the rules the programmes state for them. Pure: the app stores entries,
//! runs their free text through the risk detectors and shows them.

pub mod sleep;
pub mod sleep_diary;
pub mod thought_record;

use crate::ids::{PatientId, ServiceId, ToolEntryId};
use crate::time::Timestamp;
use sleep::SleepDiaryEntry;
use thought_record::ThoughtRecord;

/// Which tool an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToolKind {
    ThoughtRecord,
    SleepDiary,
}

impl ToolKind {
    pub const ALL: [ToolKind; 2] = [ToolKind::ThoughtRecord, ToolKind::SleepDiary];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ToolKind::ThoughtRecord => "thought_record",
            ToolKind::SleepDiary => "sleep_diary",
        }
    }

    /// The name people see.
    pub fn label(self) -> &'static str {
        match self {
            ToolKind::ThoughtRecord => "Thought record",
            ToolKind::SleepDiary => "Sleep diary",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What one entry holds, by tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    ThoughtRecord(ThoughtRecord),
    SleepDiary(SleepDiaryEntry),
}

impl Entry {
    pub fn kind(&self) -> ToolKind {
        match self {
            Entry::ThoughtRecord(_) => ToolKind::ThoughtRecord,
            Entry::SleepDiary(_) => ToolKind::SleepDiary,
        }
    }

    /// The entry's free text, for the risk detectors (a sleep-diary night
    /// has none).
    pub fn texts(&self) -> Vec<&str> {
        match self {
            Entry::ThoughtRecord(r) => r.texts(),
            Entry::SleepDiary(_) => Vec::new(),
        }
    }
}

/// A stored entry of one of the tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolEntry {
    pub id: ToolEntryId,
    pub patient_id: PatientId,
    pub service_id: ServiceId,
    pub entry: Entry,
    /// When Bothy stored it.
    pub recorded_at: Timestamp,
    pub idempotency_key: Option<String>,
}
