//! Moderation: why a post is held, the states a post moves through and
//! the moves a moderator may make, how urgent each post in the queue is,
//! and when it must have been looked at.
//!
//! A post is always held, whatever the group's mode, when its folded text
//! (`fold`) has a risk phrase the lexicon does not see negated, contact
//! details, a self-harm method, or someone else's identity (`screen`).
//! Otherwise it is held in a pre-moderated group (or outside hours in a
//! group that is then pre-moderated) and shown at once, to be reviewed
//! after, in a post-moderated one.
//!
//! States: `held` (only its author and moderators see it), `visible`,
//! `hidden` (with a reason its author sees) and `removed` (gone for its
//! author too, apart from the reason). Moves:
//!
//! | from | approve | edit (with a note) | hide | remove |
//! |---|---|---|---|---|
//! | held | visible | visible | hidden | removed |
//! | visible | visible (reviewed) | visible | hidden | removed |
//! | hidden | visible (restored) | - | - | removed |
//! | removed | - | - | - | - |
//!
//! The store makes each move a guarded write on the state (and review
//! mark) the moderator saw, so that two moderators acting at once never
//! both succeed.

use crate::alerts::{Allowance, DeadlinePolicy, OpeningHours, Severity};
use crate::detectors::risky_text::Lexicon;
use crate::time::Timestamp;

use super::fold::{fold, fold_leet};
use super::screen;

/// Why a post was held, or is in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HoldReason {
    /// The risk lexicon found a phrase that is not negated.
    Risk,
    /// A self-harm method.
    SelfHarmMethod,
    /// An email address or phone number.
    ContactDetails,
    /// Someone else's name or account.
    Identity,
    /// A member reported it.
    Reported,
    /// The group holds every post.
    PreModeration,
    /// Posted outside moderation hours in a group that then holds posts.
    OutsideHours,
}

impl HoldReason {
    pub const ALL: [HoldReason; 7] = [
        HoldReason::Risk,
        HoldReason::SelfHarmMethod,
        HoldReason::ContactDetails,
        HoldReason::Identity,
        HoldReason::Reported,
        HoldReason::PreModeration,
        HoldReason::OutsideHours,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::Risk => "risk",
            HoldReason::SelfHarmMethod => "method",
            HoldReason::ContactDetails => "contact",
            HoldReason::Identity => "identity",
            HoldReason::Reported => "reported",
            HoldReason::PreModeration => "pre_moderation",
            HoldReason::OutsideHours => "outside_hours",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HoldReason::Risk => "Risk words",
            HoldReason::SelfHarmMethod => "Mentions a self-harm method",
            HoldReason::ContactDetails => "Contact details",
            HoldReason::Identity => "May name someone",
            HoldReason::Reported => "Reported by a member",
            HoldReason::PreModeration => "Pre-moderated group",
            HoldReason::OutsideHours => "Posted outside moderation hours",
        }
    }

    pub fn parse(s: &str) -> Option<HoldReason> {
        HoldReason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this reason holds a post whatever the group's mode.
    pub fn always_holds(self) -> bool {
        matches!(
            self,
            HoldReason::Risk
                | HoldReason::SelfHarmMethod
                | HoldReason::ContactDetails
                | HoldReason::Identity
        )
    }
}

/// Stored as a comma-separated list of [`HoldReason::as_str`].
pub fn reasons_to_string(reasons: &[HoldReason]) -> String {
    reasons
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Read back from [`reasons_to_string`]; unknown names are skipped.
pub fn reasons_from_str(s: &str) -> Vec<HoldReason> {
    s.split(',').filter_map(HoldReason::parse).collect()
}

/// What screening found in a post's text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Screening {
    /// The reasons that hold it whatever the mode, in [`HoldReason`] order.
    pub reasons: Vec<HoldReason>,
    /// The most severe risk phrase's severity, if any.
    pub risk: Option<Severity>,
}

impl Screening {
    pub fn holds(&self) -> bool {
        !self.reasons.is_empty()
    }
}

/// The most severe risk phrase the lexicon finds, not negated, in the text
/// folded either way.
pub fn risk_in(lexicon: &Lexicon, text: &str) -> Option<Severity> {
    [fold(text), fold_leet(text)]
        .iter()
        .flat_map(|t| lexicon.scan(t))
        .filter(|m| !m.negated)
        .map(|m| m.severity)
        .max()
}

/// Screens a post's text (see the module notes).
pub fn screen_post(lexicon: &Lexicon, text: &str) -> Screening {
    let risk = risk_in(lexicon, text);
    let mut reasons = Vec::new();
    if risk.is_some() {
        reasons.push(HoldReason::Risk);
    }
    if screen::has_method(text) {
        reasons.push(HoldReason::SelfHarmMethod);
    }
    if screen::has_email(text) || screen::has_phone(text) {
        reasons.push(HoldReason::ContactDetails);
    }
    if screen::names_someone(text) {
        reasons.push(HoldReason::Identity);
    }
    Screening { reasons, risk }
}

/// A post's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostStatus {
    Held,
    Visible,
    Hidden,
    Removed,
}

impl PostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Held => "held",
            PostStatus::Visible => "visible",
            PostStatus::Hidden => "hidden",
            PostStatus::Removed => "removed",
        }
    }

    pub fn parse(s: &str) -> Option<PostStatus> {
        [
            PostStatus::Held,
            PostStatus::Visible,
            PostStatus::Hidden,
            PostStatus::Removed,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// A moderator's move on a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Approve,
    Edit,
    Hide,
    Remove,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Edit => "edit",
            Action::Hide => "hide",
            Action::Remove => "remove",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        [Action::Approve, Action::Edit, Action::Hide, Action::Remove]
            .into_iter()
            .find(|a| a.as_str() == s)
    }

    /// The state a post in `from` moves to, or why it cannot.
    pub fn apply(self, from: PostStatus) -> Result<PostStatus, ModerationError> {
        use PostStatus::*;
        match (self, from) {
            (Action::Approve, Held | Visible | Hidden) => Ok(Visible),
            (Action::Edit, Held | Visible) => Ok(Visible),
            (Action::Hide, Held | Visible) => Ok(Hidden),
            (Action::Remove, Held | Visible | Hidden) => Ok(Removed),
            _ => Err(ModerationError::NotFrom(self, from)),
        }
    }
}

/// A move the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ModerationError {
    #[error("a post that is {} cannot be given the action {}", .1.as_str(), .0.as_str())]
    NotFrom(Action, PostStatus),
}

/// How soon a moderator must look at a post in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// Held routinely (pre-moderation, outside hours, review after posting).
    Routine,
    /// Contact details, a method, someone's identity, or a report.
    Concern,
    /// Risk words.
    Risk,
    /// Risk words with a plan (the lexicon's urgent).
    UrgentRisk,
}

impl Priority {
    /// Stored as a number so that the queue sorts by it descending.
    pub fn rank(self) -> i64 {
        self as i64
    }

    pub fn from_rank(rank: i64) -> Priority {
        match rank {
            3.. => Priority::UrgentRisk,
            2 => Priority::Risk,
            1 => Priority::Concern,
            _ => Priority::Routine,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Priority::UrgentRisk => "Urgent: risk",
            Priority::Risk => "Risk",
            Priority::Concern => "Concern",
            Priority::Routine => "Routine",
        }
    }

    /// The priority of a post with these reasons and risk severity.
    pub fn of(reasons: &[HoldReason], risk: Option<Severity>) -> Priority {
        match risk {
            Some(Severity::Urgent) => Priority::UrgentRisk,
            Some(_) => Priority::Risk,
            None if reasons
                .iter()
                .any(|r| r.always_holds() || *r == HoldReason::Reported) =>
            {
                Priority::Concern
            }
            None => Priority::Routine,
        }
    }

    fn severity(self) -> Severity {
        match self {
            Priority::UrgentRisk => Severity::Urgent,
            Priority::Risk => Severity::High,
            Priority::Concern => Severity::Moderate,
            Priority::Routine => Severity::Low,
        }
    }
}

/// How long each priority allows, counted like alerts' deadlines in the
/// group's moderation hours: urgent risk 30 minutes from the next opening,
/// risk one working hour, a concern four, a routine post one working day.
pub const MODERATION_DEADLINES: DeadlinePolicy = DeadlinePolicy {
    urgent: Allowance::ElapsedFromOpen { minutes: 30 },
    high: Allowance::WorkingMinutes { minutes: 60 },
    moderate: Allowance::WorkingHours { hours: 4 },
    low: Allowance::WorkingDays { days: 1 },
};

/// When a post queued at `queued_at` with `priority` must have been looked
/// at, in the group's moderation `hours`.
pub fn deadline(priority: Priority, queued_at: Timestamp, hours: &OpeningHours) -> Timestamp {
    crate::alerts::deadline::deadline(priority.severity(), queued_at, hours, &MODERATION_DEADLINES)
}
