//! Risk items, reliable deterioration, not on track and disengagement.

use super::*;

fn risk(id: &str, item: usize, answer: i32) -> Vec<Signal> {
    let i = inst(id);
    let mut answers = vec![Some(0); i.items.len()];
    answers[item - 1] = Some(answer);
    risk_item::detect(i, &answers, &RiskItemConfig::default())
}

fn severity(signals: &[Signal]) -> Option<Severity> {
    assert!(signals.len() <= 1, "{signals:?}");
    signals.first().map(|s| s.severity)
}

#[test]
fn phq9_item_9_severity_by_answer() {
    assert_eq!(severity(&risk("phq9", 9, 0)), None);
    assert_eq!(severity(&risk("phq9", 9, 1)), Some(Severity::High));
    assert_eq!(severity(&risk("phq9", 9, 2)), Some(Severity::Urgent));
    assert_eq!(severity(&risk("phq9", 9, 3)), Some(Severity::Urgent));
    let s = &risk("phq9", 9, 1)[0];
    assert_eq!(s.cause, Cause::RiskItem);
    assert_eq!(s.dedupe_key, "risk_item");
    assert!(s.summary.contains("PHQ-9 item 9"), "{}", s.summary);
    // Other items never raise a risk signal, whatever the answer.
    assert_eq!(severity(&risk("phq9", 1, 3)), None);
}

#[test]
fn core10_item_6_any_plan_is_urgent() {
    assert_eq!(severity(&risk("core10", 6, 0)), None);
    for a in 1..=4 {
        assert_eq!(
            severity(&risk("core10", 6, a)),
            Some(Severity::Urgent),
            "{a}"
        );
    }
}

#[test]
fn epds_item_10_severity_by_answer() {
    assert_eq!(severity(&risk("epds", 10, 0)), None);
    assert_eq!(severity(&risk("epds", 10, 1)), Some(Severity::High));
    assert_eq!(severity(&risk("epds", 10, 2)), Some(Severity::Urgent));
    assert_eq!(severity(&risk("epds", 10, 3)), Some(Severity::Urgent));
}

#[test]
fn risk_item_on_an_incomplete_response() {
    let i = inst("phq9");
    let mut answers = vec![None; 9];
    answers[8] = Some(1);
    let s = risk_item::detect(i, &answers, &RiskItemConfig::default());
    assert_eq!(severity(&s), Some(Severity::High));
}

#[test]
fn risk_item_without_a_rule_is_urgent_only_at_the_top_answer() {
    let cfg = RiskItemConfig {
        enabled: true,
        rules: Vec::new(),
    };
    let i = inst("phq9");
    let mut answers = vec![Some(0); 9];
    for (a, want) in [
        (0, None),
        (1, Some(Severity::High)),
        (2, Some(Severity::High)),
        (3, Some(Severity::Urgent)),
    ] {
        answers[8] = Some(a);
        assert_eq!(severity(&risk_item::detect(i, &answers, &cfg)), want, "{a}");
    }
}

#[test]
fn instruments_without_risk_items_raise_nothing() {
    let i = inst("gad7");
    assert!(risk_item::detect(i, &[Some(3); 7], &RiskItemConfig::default()).is_empty());
}

fn pts<'a>(id: &'a str, totals: &[f64]) -> Vec<ScorePoint<'a>> {
    totals
        .iter()
        .enumerate()
        .map(|(k, t)| ScorePoint {
            instrument: id,
            at: at(7 * k as i64, 0),
            total: *t,
            session: k as u32 + 1,
        })
        .collect()
}

fn det(i: &Instrument, scores: &[ScorePoint<'_>]) -> Vec<Signal> {
    deterioration::detect(i, scores, &DeteriorationConfig::default())
}

#[test]
fn deterioration_at_exactly_the_reliable_change_index() {
    let i = inst("phq9");
    let s = det(i, &pts("phq9", &[10.0, 12.0, 16.0]));
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].cause, Cause::ReliableDeterioration);
    assert_eq!(s[0].severity, Severity::Moderate);
    assert_eq!(s[0].dedupe_key, "deterioration:phq9");
    assert!(
        s[0].summary.contains("10 at baseline, 16 now"),
        "{}",
        s[0].summary
    );
    assert!(det(i, &pts("phq9", &[10.0, 15.0])).is_empty());
    assert!(det(i, &pts("phq9", &[16.0, 10.0])).is_empty());
    assert!(det(i, &pts("phq9", &[10.0])).is_empty());
    assert!(det(i, &[]).is_empty());
    // GAD-7: reliable change 4.
    assert_eq!(det(inst("gad7"), &pts("gad7", &[8.0, 12.0])).len(), 1);
    assert!(det(inst("gad7"), &pts("gad7", &[8.0, 11.0])).is_empty());
}

#[test]
fn deterioration_reads_only_its_instrument_and_the_earliest_baseline() {
    let i = inst("phq9");
    let mut s = pts("phq9", &[10.0, 16.0]);
    s.extend(pts("gad7", &[0.0, 21.0]));
    assert_eq!(det(i, &s).len(), 1);
    assert_eq!(det(inst("gad7"), &s)[0].dedupe_key, "deterioration:gad7");
    // Given out of order: the baseline is still the earliest.
    let mut rev = pts("phq9", &[10.0, 13.0, 16.0]);
    rev.reverse();
    assert_eq!(det(i, &rev).len(), 1);
    // Instruments without a reliable change index: nothing.
    assert!(det(inst("core10"), &pts("core10", &[0.0, 40.0])).is_empty());
}

#[test]
fn deterioration_respects_higher_is_better() {
    let mut better = inst("phq9").clone();
    better.higher_is_better = true;
    assert_eq!(det(&better, &pts("phq9", &[20.0, 14.0])).len(), 1);
    assert!(det(&better, &pts("phq9", &[10.0, 16.0])).is_empty());
}

#[test]
fn deterioration_config_filters() {
    let i = inst("phq9");
    let s = pts("phq9", &[10.0, 16.0]);
    let off = DeteriorationConfig {
        enabled: false,
        ..Default::default()
    };
    assert!(deterioration::detect(i, &s, &off).is_empty());
    let only_gad = DeteriorationConfig {
        instruments: vec!["gad7".into()],
        ..Default::default()
    };
    assert!(deterioration::detect(i, &s, &only_gad).is_empty());
}

fn not(i: &Instrument, scores: &[ScorePoint<'_>], e: Option<&ExpectedTrajectories>) -> Vec<Signal> {
    not_on_track::detect(i, scores, e, &NotOnTrackConfig::default())
}

#[test]
fn not_on_track_default_rule_boundaries() {
    let i = inst("phq9");
    // Baseline 15 (at caseness); by session 4 less than 3 points better.
    let s = not(i, &pts("phq9", &[15.0, 15.0, 14.0, 13.0]), None);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].cause, Cause::NotOnTrack);
    assert_eq!(s[0].severity, Severity::Low);
    assert_eq!(s[0].dedupe_key, "not_on_track:phq9");
    assert!(s[0].summary.contains("default rule"), "{}", s[0].summary);
    // Exactly half the reliable change (3 points): on track.
    assert!(not(i, &pts("phq9", &[15.0, 15.0, 14.0, 12.0]), None).is_empty());
    // Session 3: too early.
    assert!(not(i, &pts("phq9", &[15.0, 15.0, 15.0]), None).is_empty());
    // Baseline below caseness (10): not applied.
    assert!(not(i, &pts("phq9", &[9.0, 9.0, 9.0, 9.0]), None).is_empty());
    // Baseline exactly at caseness: applied.
    assert_eq!(
        not(i, &pts("phq9", &[10.0, 10.0, 10.0, 10.0]), None).len(),
        1
    );
    // GAD-7: half of 4 is 2.
    let g = inst("gad7");
    assert_eq!(
        not(g, &pts("gad7", &[12.0, 12.0, 12.0, 11.0]), None).len(),
        1
    );
    assert!(not(g, &pts("gad7", &[12.0, 12.0, 12.0, 10.0]), None).is_empty());
}

fn episodes(baseline: f64, at4: impl Iterator<Item = f64>) -> Vec<Vec<SessionScore>> {
    at4.map(|t| {
        vec![
            SessionScore {
                session: 1,
                total: baseline,
            },
            SessionScore {
                session: 4,
                total: t,
            },
        ]
    })
    .collect()
}

#[test]
fn expected_trajectories_percentiles_and_minimum_count() {
    let i = inst("phq9");
    // 41 episodes starting at 16 ("moderately severe"), scoring 0..=40 / 4 at
    // session 4: the 90th percentile is 9.
    let eps = episodes(16.0, (0..=40).map(|k| f64::from(k) / 4.0));
    let refs: Vec<&[SessionScore]> = eps.iter().map(Vec::as_slice).collect();
    let e = ExpectedTrajectories::from_episodes(i, &refs, 30, 90.0);
    assert_eq!(e.instrument(), "phq9");
    assert_eq!(e.entries().len(), 1);
    let cell = &e.entries()[0];
    assert_eq!((cell.session, cell.episodes), (4, 41));
    assert_eq!(cell.band, crate::instruments::band_of(i, 16.0).unwrap());
    assert!((cell.limit - 9.0).abs() < 1e-9, "{}", cell.limit);
    // Too few episodes: no cell.
    let few = ExpectedTrajectories::from_episodes(i, &refs[..29], 30, 90.0);
    assert!(few.entries().is_empty());

    // Worse than the limit: not on track, by the service's own data.
    let s = not(i, &pts("phq9", &[16.0, 14.0, 12.0, 10.0]), Some(&e));
    assert_eq!(s.len(), 1);
    assert!(
        s[0].summary.contains("41 finished episodes"),
        "{}",
        s[0].summary
    );
    // Exactly at the limit: on track (the default rule would have fired).
    assert!(not(i, &pts("phq9", &[16.0, 14.0, 12.0, 9.0]), Some(&e)).is_empty());
    // A baseline in another band has no cell: the default rule applies.
    let s = not(i, &pts("phq9", &[11.0, 11.0, 11.0, 11.0]), Some(&e));
    assert!(s[0].summary.contains("default rule"));
    // A session without a cell: the default rule (session 5, 16 to 14).
    let s = not(i, &pts("phq9", &[16.0, 15.0, 15.0, 9.0, 14.0]), Some(&e));
    assert!(s[0].summary.contains("default rule"));
}

#[test]
fn expected_trajectories_higher_is_better_take_the_bottom() {
    let mut i = inst("phq9").clone();
    i.higher_is_better = true;
    let eps = episodes(16.0, (0..=40).map(|k| f64::from(k) / 4.0));
    let refs: Vec<&[SessionScore]> = eps.iter().map(Vec::as_slice).collect();
    let e = ExpectedTrajectories::from_episodes(&i, &refs, 30, 90.0);
    assert!((e.entries()[0].limit - 1.0).abs() < 1e-9);
    assert_eq!(
        not(&i, &pts("phq9", &[16.0, 1.0, 1.0, 0.5]), Some(&e)).len(),
        1
    );
    assert!(not(&i, &pts("phq9", &[16.0, 1.0, 1.0, 1.0]), Some(&e)).is_empty());
}

fn eng(since: Timestamp, act: Option<Timestamp>, measure: Option<Timestamp>) -> Engagement {
    Engagement {
        since,
        last_activity: act,
        last_measure: measure,
    }
}

#[test]
fn disengagement_boundaries() {
    let cfg = DisengagementConfig::default();
    let now = at(100, 0);
    let d = |e: Engagement| disengagement::detect(&e, now, &cfg);
    // Exactly 14 days since the last activity: raised.
    let s = d(eng(at(0, 0), Some(at(86, 0)), Some(at(80, 0))));
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].cause, Cause::Disengagement);
    assert_eq!(s[0].dedupe_key, "disengagement");
    assert_eq!(s[0].severity, Severity::Low);
    assert!(s[0].summary.starts_with("14 days"), "{}", s[0].summary);
    // One second short: nothing.
    assert!(d(eng(at(0, 0), Some(at(86, 1)), None)).is_empty());
    // A recent measure counts even without other activity.
    assert!(d(eng(at(0, 0), None, Some(at(90, 0)))).is_empty());
    // Nothing at all: counted from the episode start.
    assert!(d(eng(at(90, 0), None, None)).is_empty());
    assert_eq!(d(eng(at(80, 0), None, None)).len(), 1);
    // Activity in the future (clock skew): recent.
    assert!(d(eng(at(0, 0), Some(at(101, 0)), None)).is_empty());
    // Configurable.
    let week = DisengagementConfig {
        days: 7,
        ..Default::default()
    };
    assert_eq!(
        disengagement::detect(&eng(at(0, 0), Some(at(93, 0)), None), now, &week).len(),
        1
    );
    let off = DisengagementConfig {
        enabled: false,
        ..Default::default()
    };
    assert!(disengagement::detect(&eng(at(0, 0), None, None), now, &off).is_empty());
}
