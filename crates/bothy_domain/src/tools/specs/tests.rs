use super::*;
use crate::ids::ToolEntryId;
use crate::tools::form::Value;
use jiff::civil::date;

const TODAY: Date = date(2026, 3, 10);

fn parse(spec: &Spec, typed: &[(&str, &str)]) -> Result<FormEntry, Problems> {
    spec.parse(
        |name| {
            typed
                .iter()
                .find(|(n, _)| *n == name)
                .map_or("", |(_, v)| *v)
        },
        TODAY,
    )
}

fn fields(r: Result<FormEntry, Problems>) -> Vec<&'static str> {
    r.unwrap_err().into_iter().map(|(f, _)| f).collect()
}

const DONE_WALK: [(&str, &str); 7] = [
    ("activity", "Walked to the park"),
    ("status", "done"),
    ("day", "9/3/2026"),
    ("time_of_day", "morning"),
    ("mood", "6"),
    ("achievement", "7"),
    ("pleasure", "5"),
];

fn with<'a>(base: &[(&'a str, &'a str)], over: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all: Vec<_> = base
        .iter()
        .filter(|(k, _)| !over.iter().any(|(o, _)| o == k))
        .copied()
        .collect();
    all.extend_from_slice(over);
    all
}

#[test]
fn a_done_activity_is_kept_with_its_three_ratings() {
    let e = parse(&ACTIVITY, &DONE_WALK).unwrap();
    assert_eq!(e.kind, ToolKind::Activity);
    assert_eq!(e.date("day"), Some(date(2026, 3, 9)));
    assert_eq!(
        ["mood", "achievement", "pleasure"].map(|r| e.number(r)),
        [Some(6), Some(7), Some(5)]
    );
    assert_eq!(e.texts(), ["Walked to the park"]);
    // What is stored reads back as the same entry.
    assert_eq!(ACTIVITY.restore(&e.stored()), Some(e));
}

#[test]
fn a_done_activity_needs_its_ratings_and_a_day_that_has_come() {
    let r = parse(
        &ACTIVITY,
        &with(&DONE_WALK, &[("mood", ""), ("day", "2026-03-11")]),
    );
    assert_eq!(fields(r), ["day", "mood"]);
    let r = parse(&ACTIVITY, &with(&DONE_WALK, &[("achievement", "11")]));
    let p = r.unwrap_err();
    assert_eq!(p[0].0, "achievement");
    assert!(p[0].1.contains("from 0 to 10"), "{p:?}");
    let r = parse(&ACTIVITY, &with(&DONE_WALK, &[("day", "2025-03-08")]));
    assert_eq!(fields(r), ["day"]);
}

#[test]
fn a_plan_is_for_a_day_ahead_and_is_not_rated() {
    let plan = with(
        &DONE_WALK,
        &[
            ("status", "planned"),
            ("day", "2026-03-12"),
            ("mood", ""),
            ("achievement", ""),
            ("pleasure", ""),
        ],
    );
    let e = parse(&ACTIVITY, &plan).unwrap();
    assert_eq!(e.choice("status"), Some(PLANNED));
    assert_eq!(e.number("mood"), None);
    let rated = with(&plan, &[("pleasure", "4")]);
    assert_eq!(fields(parse(&ACTIVITY, &rated)), ["pleasure"]);
    let past = with(&plan, &[("day", "2026-03-09")]);
    assert_eq!(fields(parse(&ACTIVITY, &past)), ["day"]);
    let today = with(&plan, &[("day", "2026-03-10")]);
    assert!(parse(&ACTIVITY, &today).is_ok());
}

#[test]
fn every_field_is_checked_by_its_kind_and_named() {
    let r = parse(
        &ACTIVITY,
        &[
            ("status", "maybe"),
            ("day", "31/2/2026"),
            ("time_of_day", ""),
            ("mood", "x"),
        ],
    );
    assert_eq!(
        fields(r),
        ["activity", "status", "day", "time_of_day", "mood"]
    );
}

#[test]
fn an_exposure_practice_has_a_sensible_peak_and_a_past_day() {
    let step = ToolEntryId::random().to_string();
    let good = [
        ("step", step.as_str()),
        ("practised_on", "2026-03-10"),
        ("minutes", "20"),
        ("distress_before", "60"),
        ("distress_peak", "80"),
        ("distress_after", "30"),
        ("notes", "It got easier after ten minutes"),
    ];
    let e = parse(&EXPOSURE_PRACTICE, &good).unwrap();
    assert_eq!(
        e.entries().collect::<Vec<_>>(),
        [("step", step.parse().unwrap())]
    );
    assert_eq!(EXPOSURE_PRACTICE.restore(&e.stored()), Some(e));
    let low_peak = with(&good, &[("distress_peak", "50")]);
    let p = parse(&EXPOSURE_PRACTICE, &low_peak).unwrap_err();
    assert_eq!(p[0].0, "distress_peak");
    assert!(p[0].1.contains("(60)"), "{p:?}");
    let bad = with(
        &good,
        &[
            ("minutes", "0"),
            ("step", "not-an-id"),
            ("distress_after", "101"),
        ],
    );
    assert_eq!(
        fields(parse(&EXPOSURE_PRACTICE, &bad)),
        ["step", "minutes", "distress_after"]
    );
    let future = with(&good, &[("practised_on", "2026-03-11")]);
    assert_eq!(fields(parse(&EXPOSURE_PRACTICE, &future)), ["practised_on"]);
}

#[test]
fn goals_worries_and_steps_take_their_scales() {
    let goal = parse(&GOAL, &[("goal", "Swim again"), ("progress", "2")]).unwrap();
    assert_eq!(goal.number("progress"), Some(2));
    assert_eq!(
        fields(parse(&GOAL, &[("goal", "Swim again"), ("progress", "20")])),
        ["progress"]
    );
    let w = parse(
        &WORRY,
        &[
            ("worry", "What if I lose my job"),
            ("worry_type", "hypothetical"),
            ("distress", "70%"),
        ],
    )
    .unwrap();
    assert_eq!(w.get("worry_type"), Some(&Value::Choice("hypothetical")));
    assert_eq!(w.number("distress"), Some(70));
    assert_eq!(
        fields(parse(&EXPOSURE_STEP, &[("situation", " ")])),
        ["situation", "expected_distress"]
    );
}

#[test]
fn a_stored_entry_with_an_unknown_or_bad_field_is_not_read_back() {
    let e = parse(&GOAL, &[("goal", "Swim again"), ("progress", "2")]).unwrap();
    let mut stored = e.stored();
    stored.insert("extra".into(), "x".into());
    assert_eq!(GOAL.restore(&stored), None);
    let mut stored = e.stored();
    stored.insert("progress".into(), "12".into());
    assert_eq!(GOAL.restore(&stored), None);
}

#[test]
fn field_names_are_unique_on_each_page() {
    for page in [
        &[&EXPOSURE_STEP, &EXPOSURE_PRACTICE][..],
        &[&GOAL, &GOAL_RATING],
    ] {
        let mut names: Vec<_> = page.iter().flat_map(|s| s.fields).map(|f| f.name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
    }
    for kind in ToolKind::ALL {
        let is_form = !matches!(kind, ToolKind::ThoughtRecord | ToolKind::SleepDiary);
        assert_eq!(spec(kind).is_some(), is_form, "{kind:?}");
    }
}
