use super::*;
use crate::alerts::{
    Actor, AlertState, DeadlinePolicy, Outcome, Severity, TransitionError, deadline,
    escalation_due, is_overdue,
};
use crate::ids::StaffId;

fn staff() -> (StaffId, Actor) {
    let id = StaffId::random();
    (id, Actor::Staff(id))
}

#[test]
fn acknowledging_records_who_and_when() {
    let (ana, ana_actor) = staff();
    let at = uk("2026-03-10T10:05");
    assert_eq!(
        AlertState::Open.acknowledge(ana_actor, at),
        Ok(AlertState::Acknowledged { by: ana, at })
    );
}

#[test]
fn acknowledging_twice_is_a_no_op_for_the_same_person_and_an_error_for_another() {
    let (ana, ana_actor) = staff();
    let (_, ben_actor) = staff();
    let first = uk("2026-03-10T10:05");
    let acked = AlertState::Open.acknowledge(ana_actor, first).unwrap();
    assert_eq!(
        acked.acknowledge(ana_actor, uk("2026-03-10T10:07")),
        Ok(AlertState::Acknowledged { by: ana, at: first })
    );
    assert_eq!(
        acked.acknowledge(ben_actor, uk("2026-03-10T10:07")),
        Err(TransitionError::AlreadyAcknowledged { by: ana, at: first })
    );
}

#[test]
fn only_a_person_acknowledges_or_closes() {
    let at = uk("2026-03-10T10:05");
    assert_eq!(
        AlertState::Open.acknowledge(Actor::System, at),
        Err(TransitionError::NotAPerson)
    );
    assert_eq!(
        AlertState::Open.close(Actor::System, at, Some(Outcome::ContactedPerson)),
        Err(TransitionError::NotAPerson)
    );
}

#[test]
fn closing_needs_an_outcome_and_no_action_needs_a_reason() {
    let (ana, ana_actor) = staff();
    let at = uk("2026-03-10T11:00");
    assert_eq!(
        AlertState::Open.close(ana_actor, at, None),
        Err(TransitionError::OutcomeRequired)
    );
    for blank in ["", "   ", "\n"] {
        assert_eq!(
            AlertState::Open.close(
                ana_actor,
                at,
                Some(Outcome::NoActionNeeded {
                    reason: blank.into()
                })
            ),
            Err(TransitionError::ReasonRequired)
        );
    }
    assert_eq!(
        AlertState::Open.close(
            ana_actor,
            at,
            Some(Outcome::NoActionNeeded {
                reason: "  Answer corrected by the person at review. ".into()
            })
        ),
        Ok(AlertState::Closed {
            by: ana,
            at,
            outcome: Outcome::NoActionNeeded {
                reason: "Answer corrected by the person at review.".into()
            }
        })
    );
}

#[test]
fn every_outcome_closes_an_open_or_acknowledged_alert() {
    let (ana, ana_actor) = staff();
    let (ben, ben_actor) = staff();
    let acked = AlertState::Open
        .acknowledge(ana_actor, uk("2026-03-10T10:05"))
        .unwrap();
    let at = uk("2026-03-10T11:00");
    for outcome in [
        Outcome::ContactedPerson,
        Outcome::SafetyPlanReviewed,
        Outcome::EscalatedToCrisisTeam,
        Outcome::AppointmentOffered,
    ] {
        // Someone other than the acknowledger may close it.
        assert_eq!(
            acked.close(ben_actor, at, Some(outcome.clone())),
            Ok(AlertState::Closed {
                by: ben,
                at,
                outcome: outcome.clone()
            })
        );
        assert_eq!(
            AlertState::Open.close(ana_actor, at, Some(outcome.clone())),
            Ok(AlertState::Closed {
                by: ana,
                at,
                outcome
            })
        );
    }
}

#[test]
fn a_closed_alert_stays_closed() {
    let (ana, ana_actor) = staff();
    let (_, ben_actor) = staff();
    let at = uk("2026-03-10T11:00");
    let closed = AlertState::Open
        .close(ana_actor, at, Some(Outcome::AppointmentOffered))
        .unwrap();
    assert!(closed.is_closed());
    let later = uk("2026-03-10T12:00");
    assert_eq!(
        closed.close(ben_actor, later, Some(Outcome::ContactedPerson)),
        Err(TransitionError::AlreadyClosed { by: ana, at })
    );
    assert_eq!(
        closed.acknowledge(ben_actor, later),
        Err(TransitionError::AlreadyClosed { by: ana, at })
    );
}

#[test]
fn closing_before_the_acknowledgement_is_refused() {
    let (_, ana_actor) = staff();
    let acked = AlertState::Open
        .acknowledge(ana_actor, uk("2026-03-10T10:05"))
        .unwrap();
    assert_eq!(
        acked.close(
            ana_actor,
            uk("2026-03-10T10:04"),
            Some(Outcome::ContactedPerson)
        ),
        Err(TransitionError::BeforeAcknowledgement)
    );
}

#[test]
fn states_and_outcomes_serialize_with_stable_names() {
    let (ana, _) = staff();
    let closed = AlertState::Closed {
        by: ana,
        at: utc("2026-03-10T11:00Z"),
        outcome: Outcome::NoActionNeeded {
            reason: "duplicate".into(),
        },
    };
    let json = serde_json::to_value(&closed).unwrap();
    assert_eq!(json["state"], "closed");
    assert_eq!(json["outcome"]["kind"], "no_action_needed");
    assert_eq!(json["outcome"]["reason"], "duplicate");
    assert_eq!(serde_json::from_value::<AlertState>(json).unwrap(), closed);
    assert_eq!(
        serde_json::to_value(Outcome::EscalatedToCrisisTeam).unwrap()["kind"],
        Outcome::EscalatedToCrisisTeam.as_str()
    );
}

#[test]
fn overdue_strictly_after_the_deadline_until_closed() {
    let (_, ana_actor) = staff();
    let deadline = uk("2026-03-10T14:00");
    let open = AlertState::Open;
    assert!(!is_overdue(deadline, uk("2026-03-10T13:59"), &open));
    assert!(!is_overdue(deadline, deadline, &open));
    assert!(is_overdue(deadline, uk("2026-03-10T14:01"), &open));
    // Acknowledging does not stop the clock; closing does.
    let acked = open.acknowledge(ana_actor, uk("2026-03-10T10:00")).unwrap();
    assert!(is_overdue(deadline, uk("2026-03-10T14:01"), &acked));
    let closed = acked
        .close(
            ana_actor,
            uk("2026-03-10T15:00"),
            Some(Outcome::ContactedPerson),
        )
        .unwrap();
    assert!(!is_overdue(deadline, uk("2026-03-11T09:00"), &closed));
}

#[test]
fn an_overdue_alert_escalates_once() {
    // An urgent alert raised on Saturday is due 09:30 on Monday; the
    // evaluation job runs every five minutes over the weekend and Monday.
    let raised = uk("2026-03-14T14:00");
    let due = deadline(
        Severity::Urgent,
        raised,
        &office(),
        &DeadlinePolicy::default(),
    );
    let state = AlertState::Open;
    let mut escalated_at = None;
    let mut escalations = Vec::new();
    let mut now = raised;
    while now < uk("2026-03-16T12:00") {
        if escalation_due(due, now, &state, escalated_at) {
            escalations.push(now);
            escalated_at = Some(now);
        }
        now += mins(5);
    }
    assert_eq!(escalations, vec![uk("2026-03-16T09:35")]);
    // A closed alert never escalates; nor one already escalated.
    let (_, ana_actor) = staff();
    let closed = state
        .close(
            ana_actor,
            uk("2026-03-16T09:40"),
            Some(Outcome::SafetyPlanReviewed),
        )
        .unwrap();
    assert!(!escalation_due(due, uk("2026-03-16T10:00"), &closed, None));
    assert!(!escalation_due(
        due,
        uk("2026-03-16T10:00"),
        &AlertState::Open,
        escalated_at
    ));
}
