use proptest::prelude::*;

use super::*;
use crate::alerts::WeeklyInterval;

#[test]
fn open_from_nine_until_five_on_weekdays() {
    let h = office();
    // Tuesday 10 March 2026.
    assert!(h.is_open(uk("2026-03-10T09:00")));
    assert!(h.is_open(uk("2026-03-10T12:00")));
    assert!(h.is_open(uk("2026-03-10T16:59")));
    assert!(!h.is_open(uk("2026-03-10T17:00")));
    assert!(!h.is_open(uk("2026-03-10T08:59")));
    assert!(!h.is_open(uk("2026-03-10T23:00")));
    // Saturday and Sunday.
    assert!(!h.is_open(uk("2026-03-14T12:00")));
    assert!(!h.is_open(uk("2026-03-15T12:00")));
}

#[test]
fn next_opening_is_now_when_open_and_skips_evenings_and_weekends() {
    let h = office();
    assert_eq!(
        h.next_opening(uk("2026-03-10T10:15")),
        uk("2026-03-10T10:15")
    );
    assert_eq!(
        h.next_opening(uk("2026-03-10T20:00")),
        uk("2026-03-11T09:00")
    );
    assert_eq!(
        h.next_opening(uk("2026-03-11T06:00")),
        uk("2026-03-11T09:00")
    );
    assert_eq!(
        h.next_opening(uk("2026-03-13T17:00")),
        uk("2026-03-16T09:00")
    );
    assert_eq!(
        h.next_opening(uk("2026-03-14T11:00")),
        uk("2026-03-16T09:00")
    );
}

#[test]
fn working_time_is_added_within_a_day_and_across_evenings() {
    let h = office();
    let tuesday = uk("2026-03-10T10:00");
    assert_eq!(
        h.add_working_time(tuesday, hours_of(4)),
        uk("2026-03-10T14:00")
    );
    // Ending exactly at closing time gives closing time, not the next opening.
    assert_eq!(
        h.add_working_time(uk("2026-03-10T13:00"), hours_of(4)),
        uk("2026-03-10T17:00")
    );
    assert_eq!(
        h.add_working_time(uk("2026-03-10T13:00"), hours_of(4) + mins(1)),
        uk("2026-03-11T09:01")
    );
    // Raised in the evening: counting starts at the next opening.
    assert_eq!(
        h.add_working_time(uk("2026-03-11T20:00"), hours_of(4)),
        uk("2026-03-12T13:00")
    );
    // Zero and negative durations change nothing.
    assert_eq!(h.add_working_time(tuesday, SignedDuration::ZERO), tuesday);
    assert_eq!(h.add_working_time(tuesday, -hours_of(1)), tuesday);
}

#[test]
fn friday_half_past_four_plus_four_working_hours_is_monday_half_past_twelve() {
    let h = office();
    assert_eq!(
        h.add_working_time(uk("2026-03-13T16:30"), hours_of(4)),
        uk("2026-03-16T12:30")
    );
}

#[test]
fn clocks_going_forward_on_29_march_2026_do_not_move_working_time() {
    let h = office();
    let raised = uk("2026-03-27T16:30");
    assert_eq!(raised, utc("2026-03-27T16:30Z"), "GMT on the Friday");
    let due = h.add_working_time(raised, hours_of(4));
    assert_eq!(due, uk("2026-03-30T12:30"));
    assert_eq!(due, utc("2026-03-30T11:30Z"), "BST on the Monday");
    // The weekend was an hour short: 67 elapsed hours, not 68.
    assert_eq!(due.duration_since(raised), hours_of(67));
    assert_eq!(h.working_time_between(raised, due), hours_of(4));
    // In the night the clocks change, the next opening is 09:00 BST.
    assert_eq!(
        h.next_opening(utc("2026-03-29T01:30Z")),
        utc("2026-03-30T08:00Z")
    );
    assert_eq!(
        h.working_time_between(uk("2026-03-27T09:00"), uk("2026-03-30T17:00")),
        hours_of(16)
    );
}

#[test]
fn clocks_going_back_on_25_october_2026_do_not_move_working_time() {
    let h = office();
    let raised = uk("2026-10-23T16:30");
    assert_eq!(raised, utc("2026-10-23T15:30Z"), "BST on the Friday");
    let due = h.add_working_time(raised, hours_of(4));
    assert_eq!(due, uk("2026-10-26T12:30"));
    assert_eq!(due, utc("2026-10-26T12:30Z"), "GMT on the Monday");
    // The weekend was an hour long: 69 elapsed hours, not 68.
    assert_eq!(due.duration_since(raised), hours_of(69));
    assert_eq!(
        h.working_time_between(uk("2026-10-23T09:00"), uk("2026-10-26T17:00")),
        hours_of(16)
    );
    assert!(!h.is_open(utc("2026-10-25T01:30Z")));
}

#[test]
fn a_round_the_clock_sunday_is_23_hours_in_march_and_25_in_october() {
    let h = OpeningHoursConfig {
        weekly: vec![WeeklyInterval::new("sunday", "00:00", "24:00")],
        ..OpeningHoursConfig::default()
    }
    .validate()
    .unwrap();
    let day = |d: &str, next: &str| h.working_time_between(uk(d), uk(next));
    assert_eq!(day("2026-03-29T00:00", "2026-03-30T00:00"), hours_of(23));
    assert_eq!(day("2026-10-25T00:00", "2026-10-26T00:00"), hours_of(25));
    assert_eq!(day("2026-03-22T00:00", "2026-03-23T00:00"), hours_of(24));
    // Open until midnight, closed from midnight.
    assert!(h.is_open(uk("2026-03-29T23:59")));
    assert!(!h.is_open(uk("2026-03-30T00:00")));
}

#[test]
fn an_interval_in_the_skipped_hour_starts_when_the_clocks_resume() {
    // 01:00-03:00 local on 29 March 2026: 01:00 does not exist, so the
    // service opens at 02:00 BST (01:00 UTC) and has one hour open.
    let h = OpeningHoursConfig {
        weekly: vec![WeeklyInterval::new("sunday", "01:00", "03:00")],
        ..OpeningHoursConfig::default()
    }
    .validate()
    .unwrap();
    assert_eq!(
        h.next_opening(utc("2026-03-29T00:00Z")),
        utc("2026-03-29T01:00Z")
    );
    assert_eq!(
        h.working_time_between(utc("2026-03-29T00:00Z"), utc("2026-03-29T06:00Z")),
        hours_of(1)
    );
}

#[test]
fn bank_holidays_are_closed() {
    let h = office_with_easter();
    assert!(!h.is_open(uk("2026-04-03T10:00")));
    assert!(!h.is_open(uk("2026-04-06T10:00")));
    assert!(h.is_closed_date(date("2026-04-03")));
    assert_eq!(
        h.next_opening(uk("2026-04-02T17:30")),
        uk("2026-04-07T09:00")
    );
    // Thursday before Good Friday, 16:30, plus 4 working hours: Tuesday 12:30.
    assert_eq!(
        h.add_working_time(uk("2026-04-02T16:30"), hours_of(4)),
        uk("2026-04-07T12:30")
    );
    assert_eq!(
        h.working_time_between(uk("2026-04-02T09:00"), uk("2026-04-07T17:00")),
        hours_of(16)
    );
}

#[test]
fn working_time_between_counts_only_open_time() {
    let h = office();
    let between = |a: &str, b: &str| h.working_time_between(uk(a), uk(b));
    assert_eq!(between("2026-03-10T08:00", "2026-03-10T20:00"), hours_of(8));
    assert_eq!(between("2026-03-10T10:00", "2026-03-10T10:45"), mins(45));
    assert_eq!(between("2026-03-13T16:00", "2026-03-16T10:00"), hours_of(2));
    assert_eq!(
        between("2026-03-14T10:00", "2026-03-15T10:00"),
        SignedDuration::ZERO
    );
    assert_eq!(
        between("2026-03-10T12:00", "2026-03-10T11:00"),
        SignedDuration::ZERO
    );
    assert_eq!(
        between("2026-03-09T09:00", "2026-03-16T09:00"),
        hours_of(40)
    );
}

#[test]
fn a_working_day_is_the_most_common_daily_opening() {
    assert_eq!(office().working_day_length(), hours_of(8));
    let mut config = OpeningHoursConfig::default();
    config
        .weekly
        .push(WeeklyInterval::new("saturday", "10:00", "12:00"));
    assert_eq!(config.validate().unwrap().working_day_length(), hours_of(8));
    // A tie takes the shorter day.
    let tie = OpeningHoursConfig {
        weekly: vec![
            WeeklyInterval::new("monday", "09:00", "17:00"),
            WeeklyInterval::new("tuesday", "09:00", "13:00"),
        ],
        ..OpeningHoursConfig::default()
    };
    assert_eq!(tie.validate().unwrap().working_day_length(), hours_of(4));
}

#[test]
fn touching_intervals_are_one_run_of_open_time() {
    let config = OpeningHoursConfig {
        weekly: vec![
            WeeklyInterval::new("Monday", "12:00", "17:00"),
            WeeklyInterval::new("monday", "09:00", "12:00"),
        ],
        ..OpeningHoursConfig::default()
    };
    let h = config.validate().unwrap();
    assert!(h.is_open(uk("2026-03-09T12:00")));
    assert_eq!(h.working_day_length(), hours_of(8));
    assert_eq!(
        h.add_working_time(uk("2026-03-09T11:00"), hours_of(2)),
        uk("2026-03-09T13:00")
    );
}

#[test]
fn another_time_zone_uses_its_own_clock() {
    let h = OpeningHoursConfig {
        time_zone: "UTC".into(),
        ..OpeningHoursConfig::default()
    }
    .validate()
    .unwrap();
    // 09:00 UTC in summer is 10:00 in London.
    assert!(h.is_open(utc("2026-07-01T09:00Z")));
    assert!(!h.is_open(utc("2026-07-01T08:30Z")));
}

fn field_of(config: OpeningHoursConfig) -> String {
    config.validate().unwrap_err().field
}

fn with_weekly(weekly: Vec<WeeklyInterval>) -> OpeningHoursConfig {
    OpeningHoursConfig {
        weekly,
        ..OpeningHoursConfig::default()
    }
}

#[test]
fn bad_configuration_names_the_field() {
    assert_eq!(
        field_of(with_weekly(vec![WeeklyInterval::new(
            "monday", "17:00", "09:00"
        )])),
        "weekly[0].end"
    );
    assert_eq!(
        field_of(with_weekly(vec![WeeklyInterval::new(
            "monday", "09:00", "09:00"
        )])),
        "weekly[0].end"
    );
    assert_eq!(
        field_of(with_weekly(vec![
            WeeklyInterval::new("monday", "09:00", "17:00"),
            WeeklyInterval::new("funday", "09:00", "17:00"),
        ])),
        "weekly[1].day"
    );
    let overlap = with_weekly(vec![
        WeeklyInterval::new("monday", "09:00", "13:00"),
        WeeklyInterval::new("tuesday", "09:00", "17:00"),
        WeeklyInterval::new("monday", "12:00", "17:00"),
    ]);
    let err = overlap.validate().unwrap_err();
    assert_eq!(err.field, "weekly[2]");
    assert_eq!(err.to_string(), "weekly[2]: overlaps weekly[0] on monday");
    assert_eq!(
        field_of(OpeningHoursConfig {
            time_zone: "Europe/Londres".into(),
            ..OpeningHoursConfig::default()
        }),
        "time_zone"
    );
    assert_eq!(field_of(with_weekly(vec![])), "weekly");
    for bad in ["9:00", "09:60", "25:00", "24:00", "09.00", "", "ab:cd"] {
        assert_eq!(
            field_of(with_weekly(vec![WeeklyInterval::new(
                "monday", bad, "17:00"
            )])),
            "weekly[0].start",
            "{bad:?}"
        );
    }
    assert_eq!(
        field_of(with_weekly(vec![WeeklyInterval::new(
            "monday", "09:00", "24:01"
        )])),
        "weekly[0].end"
    );
}

#[test]
fn hours_are_read_from_toml_and_validated_on_the_way_in() {
    let h: OpeningHours = toml::from_str(
        r#"
        time_zone = "Europe/London"
        closed_dates = ["2026-12-25", "2026-12-28"]

        [[weekly]]
        day = "monday"
        start = "08:00"
        end = "20:00"
        "#,
    )
    .unwrap();
    assert!(h.is_open(uk("2026-03-09T19:00")));
    assert!(!h.is_open(uk("2026-03-10T10:00")));
    assert!(!h.is_open(uk("2026-12-28T10:00")));

    // Omitted fields take the defaults.
    let defaults: OpeningHours = toml::from_str("").unwrap();
    assert_eq!(defaults, office());

    let err = toml::from_str::<OpeningHours>(
        "[[weekly]]\nday = \"monday\"\nstart = \"17:00\"\nend = \"09:00\"\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("weekly[0].end"), "{err}");
    assert!(toml::from_str::<OpeningHours>("timezone = \"UTC\"").is_err());

    // Serializing gives back the configuration.
    let text = toml::to_string(&office_with_easter()).unwrap();
    let back: OpeningHours = toml::from_str(&text).unwrap();
    assert_eq!(back, office_with_easter());
}

proptest! {
    #[test]
    fn adding_working_time_then_measuring_it_round_trips(
        start_minute in 0i64..(366 * 24 * 60),
        minutes in 1i64..(60 * 24 * 10),
    ) {
        let h = office_with_easter();
        let start = utc("2026-01-01T00:00Z") + SignedDuration::from_mins(start_minute);
        let duration = SignedDuration::from_mins(minutes);
        let end = h.add_working_time(start, duration);
        prop_assert!(end > start);
        prop_assert_eq!(h.working_time_between(start, end), duration);
        // The end is open time or a closing time, never inside a closure.
        let just_before = end - SignedDuration::from_secs(1);
        prop_assert!(h.is_open(just_before));
    }
}
