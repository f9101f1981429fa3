use super::*;
use crate::alerts::{Allowance, DeadlinePolicy, Severity, deadline};

fn due(severity: Severity, raised: &str) -> Timestamp {
    deadline(severity, uk(raised), &office(), &DeadlinePolicy::default())
}

#[test]
fn severities_are_ordered_and_named() {
    assert!(Severity::Low < Severity::Moderate);
    assert!(Severity::Moderate < Severity::High);
    assert!(Severity::High < Severity::Urgent);
    for severity in Severity::ALL {
        assert_eq!(severity.as_str().parse::<Severity>(), Ok(severity));
        assert_eq!(
            serde_json::to_string(&severity).unwrap(),
            format!("\"{severity}\"")
        );
    }
    assert!("critical".parse::<Severity>().is_err());
}

#[test]
fn urgent_in_hours_is_thirty_minutes_even_past_closing() {
    assert_eq!(
        due(Severity::Urgent, "2026-03-10T10:00"),
        uk("2026-03-10T10:30")
    );
    // The duty clinician is still there at 16:50; the alert does not wait overnight.
    assert_eq!(
        due(Severity::Urgent, "2026-03-10T16:50"),
        uk("2026-03-10T17:20")
    );
}

#[test]
fn urgent_out_of_hours_is_thirty_minutes_after_the_next_opening() {
    // Tuesday evening.
    assert_eq!(
        due(Severity::Urgent, "2026-03-10T20:00"),
        uk("2026-03-11T09:30")
    );
    // Saturday afternoon.
    let raised = uk("2026-03-14T14:00");
    assert!(
        !office().is_open(raised),
        "the person is shown the out-of-hours message"
    );
    assert_eq!(
        due(Severity::Urgent, "2026-03-14T14:00"),
        uk("2026-03-16T09:30")
    );
    // Saturday of the weekend the clocks go forward: 09:30 BST on Monday.
    assert_eq!(
        due(Severity::Urgent, "2026-03-28T14:00"),
        utc("2026-03-30T08:30Z")
    );
    // Good Friday: the next opening is Tuesday.
    assert_eq!(
        deadline(
            Severity::Urgent,
            uk("2026-04-03T10:00"),
            &office_with_easter(),
            &DeadlinePolicy::default()
        ),
        uk("2026-04-07T09:30")
    );
}

#[test]
fn high_is_four_working_hours() {
    assert_eq!(
        due(Severity::High, "2026-03-10T10:00"),
        uk("2026-03-10T14:00")
    );
    assert_eq!(
        due(Severity::High, "2026-03-11T20:00"),
        uk("2026-03-12T13:00")
    );
    assert_eq!(
        due(Severity::High, "2026-03-13T16:30"),
        uk("2026-03-16T12:30")
    );
    assert_eq!(
        due(Severity::High, "2026-03-14T11:00"),
        uk("2026-03-16T13:00")
    );
    // Across both clock changes of 2026.
    assert_eq!(
        due(Severity::High, "2026-03-27T16:30"),
        uk("2026-03-30T12:30")
    );
    assert_eq!(
        due(Severity::High, "2026-10-23T16:30"),
        uk("2026-10-26T12:30")
    );
    // Over Easter.
    assert_eq!(
        deadline(
            Severity::High,
            uk("2026-04-02T16:30"),
            &office_with_easter(),
            &DeadlinePolicy::default()
        ),
        uk("2026-04-07T12:30")
    );
}

#[test]
fn moderate_is_two_working_days_and_low_five() {
    assert_eq!(
        due(Severity::Moderate, "2026-03-10T10:00"),
        uk("2026-03-12T10:00")
    );
    assert_eq!(
        due(Severity::Moderate, "2026-03-12T10:00"),
        uk("2026-03-16T10:00")
    );
    assert_eq!(
        due(Severity::Moderate, "2026-03-13T16:00"),
        uk("2026-03-17T16:00")
    );
    // Raised on a Sunday evening: two full working days from Monday's opening.
    assert_eq!(
        due(Severity::Moderate, "2026-03-15T19:00"),
        uk("2026-03-17T17:00")
    );
    // Across the October clock change.
    assert_eq!(
        due(Severity::Moderate, "2026-10-23T11:00"),
        uk("2026-10-27T11:00")
    );
    assert_eq!(
        due(Severity::Low, "2026-03-09T10:00"),
        uk("2026-03-16T10:00")
    );
    // Over Easter: Thursday 7 hours, then Tuesday, then an hour on Wednesday.
    assert_eq!(
        deadline(
            Severity::Moderate,
            uk("2026-04-02T10:00"),
            &office_with_easter(),
            &DeadlinePolicy::default()
        ),
        uk("2026-04-08T10:00")
    );
}

#[test]
fn a_more_severe_alert_is_never_due_later() {
    let h = office();
    let policy = DeadlinePolicy::default();
    for raised in [
        "2026-03-10T10:00",
        "2026-03-10T16:50",
        "2026-03-13T16:59",
        "2026-03-14T03:00",
        "2026-03-29T01:30",
        "2026-10-25T01:30",
    ] {
        let dues: Vec<Timestamp> = Severity::ALL
            .iter()
            .map(|&s| deadline(s, uk(raised), &h, &policy))
            .collect();
        assert!(dues.windows(2).all(|w| w[0] >= w[1]), "{raised}: {dues:?}");
    }
}

#[test]
fn a_service_overrides_one_rule_in_toml() {
    let policy: DeadlinePolicy = toml::from_str(
        r#"
        [high]
        rule = "working_minutes"
        minutes = 120
        "#,
    )
    .unwrap();
    assert_eq!(policy.high, Allowance::WorkingMinutes { minutes: 120 });
    assert_eq!(policy.urgent, DeadlinePolicy::default().urgent);
    policy.validate(&office()).unwrap();
    assert_eq!(
        deadline(Severity::High, uk("2026-03-13T16:30"), &office(), &policy),
        uk("2026-03-16T10:30")
    );
    assert!(
        toml::from_str::<DeadlinePolicy>("[high]\nrule = \"working_hours\"\nminutes = 3\n")
            .is_err()
    );
    assert!(
        toml::from_str::<DeadlinePolicy>("[critical]\nrule = \"working_hours\"\nhours = 3\n")
            .is_err()
    );
    assert!(toml::from_str::<DeadlinePolicy>("[high]\nrule = \"soon\"\n").is_err());
    // Round trip.
    let text = toml::to_string(&DeadlinePolicy::default()).unwrap();
    assert_eq!(
        toml::from_str::<DeadlinePolicy>(&text).unwrap(),
        DeadlinePolicy::default()
    );
}

#[test]
fn a_policy_that_makes_no_sense_is_refused_with_its_field() {
    let h = office();
    DeadlinePolicy::default().validate(&h).unwrap();
    let field = |policy: DeadlinePolicy| policy.validate(&h).unwrap_err().field;
    let default = DeadlinePolicy::default();
    assert_eq!(
        field(DeadlinePolicy {
            high: Allowance::WorkingMinutes { minutes: -5 },
            ..default
        }),
        "high.minutes"
    );
    assert_eq!(
        field(DeadlinePolicy {
            low: Allowance::WorkingDays { days: 0 },
            ..default
        }),
        "low.days"
    );
    assert_eq!(
        field(DeadlinePolicy {
            moderate: Allowance::WorkingHours { hours: 10_000 },
            ..default
        }),
        "moderate.hours"
    );
    let err = DeadlinePolicy {
        urgent: Allowance::ElapsedFromOpen { minutes: 300 },
        ..default
    }
    .validate(&h)
    .unwrap_err();
    assert_eq!(err.to_string(), "urgent: allows more time than high");
    // Two working days is 16 hours for office hours: 17 working hours for
    // "high" is more than "moderate" allows.
    assert_eq!(
        field(DeadlinePolicy {
            high: Allowance::WorkingHours { hours: 17 },
            ..default
        }),
        "high"
    );
}
