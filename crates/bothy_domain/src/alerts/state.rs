//! The alert state machine, overdue alerts and escalation.
//!
//! ```text
//! Open ──acknowledge──▶ Acknowledged ──close──▶ Closed
//!   └────────────────────close─────────────────────▲
//! ```
//!
//! Choices:
//!
//! - Only a person acknowledges or closes: the system (the evaluation job)
//!   may escalate an alert but never makes it go away.
//! - Acknowledging again by the same person is a no-op that keeps the first
//!   time (a double click, a retried form); by a different person it is an
//!   error that says who already has it, so two duty clinicians learn that
//!   one of them is on it.
//! - Closing needs an outcome; "no action needed" needs a reason. Closing
//!   straight from open is allowed (acting on an alert acknowledges it).
//!   Closing a closed alert is an error: the first outcome stands.
//! - The deadline is for closing, not acknowledging: an acknowledged alert
//!   that nobody closes is still overdue and still escalates.
//! - An alert is overdue strictly after its deadline, and escalates once:
//!   the caller records `escalated_at` in the same transaction that enqueues
//!   the escalation (to the clinical lead and a second channel), so a rerun
//!   of the evaluation job sends nothing twice.

use serde::{Deserialize, Serialize};

use crate::ids::StaffId;
use crate::time::Timestamp;

/// Who is acting on an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Staff(StaffId),
    /// Automated work, such as the evaluation job.
    System,
}

/// What was done about an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    ContactedPerson,
    SafetyPlanReviewed,
    EscalatedToCrisisTeam,
    AppointmentOffered,
    NoActionNeeded { reason: String },
}

impl Outcome {
    /// The stored name of the outcome's kind.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::ContactedPerson => "contacted_person",
            Outcome::SafetyPlanReviewed => "safety_plan_reviewed",
            Outcome::EscalatedToCrisisTeam => "escalated_to_crisis_team",
            Outcome::AppointmentOffered => "appointment_offered",
            Outcome::NoActionNeeded { .. } => "no_action_needed",
        }
    }
}

/// Where an alert is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AlertState {
    Open,
    Acknowledged {
        by: StaffId,
        at: Timestamp,
    },
    Closed {
        by: StaffId,
        at: Timestamp,
        outcome: Outcome,
    },
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("only a person can acknowledge or close an alert")]
    NotAPerson,
    #[error("closing an alert needs an outcome")]
    OutcomeRequired,
    #[error("\"no action needed\" needs a reason")]
    ReasonRequired,
    #[error("already acknowledged by someone else")]
    AlreadyAcknowledged { by: StaffId, at: Timestamp },
    #[error("the alert is already closed")]
    AlreadyClosed { by: StaffId, at: Timestamp },
    #[error("the alert cannot be closed before it was acknowledged")]
    BeforeAcknowledgement,
}

fn person(actor: Actor) -> Result<StaffId, TransitionError> {
    match actor {
        Actor::Staff(id) => Ok(id),
        Actor::System => Err(TransitionError::NotAPerson),
    }
}

impl AlertState {
    pub fn is_closed(&self) -> bool {
        matches!(self, AlertState::Closed { .. })
    }

    /// Records that `by` has seen the alert and is dealing with it.
    pub fn acknowledge(&self, by: Actor, at: Timestamp) -> Result<AlertState, TransitionError> {
        let by = person(by)?;
        match *self {
            AlertState::Open => Ok(AlertState::Acknowledged { by, at }),
            AlertState::Acknowledged { by: first, .. } if first == by => Ok(self.clone()),
            AlertState::Acknowledged { by, at } => {
                Err(TransitionError::AlreadyAcknowledged { by, at })
            }
            AlertState::Closed { by, at, .. } => Err(TransitionError::AlreadyClosed { by, at }),
        }
    }

    /// Closes the alert with what was done about it. The outcome is an
    /// `Option` so that a form without one is refused here, with the rest.
    /// A "no action needed" reason is stored trimmed.
    pub fn close(
        &self,
        by: Actor,
        at: Timestamp,
        outcome: Option<Outcome>,
    ) -> Result<AlertState, TransitionError> {
        let by = person(by)?;
        if let AlertState::Closed { by, at, .. } = *self {
            return Err(TransitionError::AlreadyClosed { by, at });
        }
        let outcome = match outcome.ok_or(TransitionError::OutcomeRequired)? {
            Outcome::NoActionNeeded { reason } => {
                let reason = reason.trim();
                if reason.is_empty() {
                    return Err(TransitionError::ReasonRequired);
                }
                Outcome::NoActionNeeded {
                    reason: reason.to_owned(),
                }
            }
            outcome => outcome,
        };
        if let AlertState::Acknowledged { at: acked, .. } = *self
            && at < acked
        {
            return Err(TransitionError::BeforeAcknowledgement);
        }
        Ok(AlertState::Closed { by, at, outcome })
    }
}

/// Whether an alert is past its deadline at `now` and not closed.
pub fn is_overdue(deadline: Timestamp, now: Timestamp, state: &AlertState) -> bool {
    now > deadline && !state.is_closed()
}

/// Whether the alert must be escalated now: overdue and never escalated.
/// After escalating, the caller stores `escalated_at = Some(now)`.
pub fn escalation_due(
    deadline: Timestamp,
    now: Timestamp,
    state: &AlertState,
    escalated_at: Option<Timestamp>,
) -> bool {
    escalated_at.is_none() && is_overdue(deadline, now, state)
}
