//! The interactive tools' entries as values validated on construction, and
//! the rules the programmes state for them. Pure: the app stores entries,
//! runs their free text through the risk detectors and shows them.

pub mod form;
pub mod sleep;
pub mod sleep_diary;
pub mod specs;
pub mod thought_record;

use crate::ids::{PatientId, ServiceId, ToolEntryId};
use crate::time::Timestamp;
use form::FormEntry;
use sleep::SleepDiaryEntry;
use thought_record::ThoughtRecord;

/// Which tool an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToolKind {
    ThoughtRecord,
    SleepDiary,
    /// Something done or planned, in the activity diary and planner.
    Activity,
    /// An entry of the worry log.
    Worry,
    /// A step of the exposure ladder.
    ExposureStep,
    /// A practice of one step of the ladder.
    ExposurePractice,
    Goal,
    /// A rating of progress towards a goal.
    GoalRating,
}

impl ToolKind {
    pub const ALL: [ToolKind; 8] = [
        ToolKind::ThoughtRecord,
        ToolKind::SleepDiary,
        ToolKind::Activity,
        ToolKind::Worry,
        ToolKind::ExposureStep,
        ToolKind::ExposurePractice,
        ToolKind::Goal,
        ToolKind::GoalRating,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ToolKind::ThoughtRecord => "thought_record",
            ToolKind::SleepDiary => "sleep_diary",
            ToolKind::Activity => "activity",
            ToolKind::Worry => "worry",
            ToolKind::ExposureStep => "exposure_step",
            ToolKind::ExposurePractice => "exposure_practice",
            ToolKind::Goal => "goal",
            ToolKind::GoalRating => "goal_rating",
        }
    }

    /// The name people see.
    pub fn label(self) -> &'static str {
        match self {
            ToolKind::ThoughtRecord => "Thought record",
            ToolKind::SleepDiary => "Sleep diary",
            ToolKind::Activity => "Activity diary",
            ToolKind::Worry => "Worry log",
            ToolKind::ExposureStep => "Exposure ladder step",
            ToolKind::ExposurePractice => "Exposure practice",
            ToolKind::Goal => "Goal",
            ToolKind::GoalRating => "Goal progress",
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
    /// An entry of one of the form tools ([`specs`]).
    Form(FormEntry),
}

impl Entry {
    pub fn kind(&self) -> ToolKind {
        match self {
            Entry::ThoughtRecord(_) => ToolKind::ThoughtRecord,
            Entry::SleepDiary(_) => ToolKind::SleepDiary,
            Entry::Form(f) => f.kind,
        }
    }

    /// The entry's free text, for the risk detectors (a sleep-diary night
    /// has none).
    pub fn texts(&self) -> Vec<&str> {
        match self {
            Entry::ThoughtRecord(r) => r.texts(),
            Entry::SleepDiary(_) => Vec::new(),
            Entry::Form(f) => f.texts(),
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
