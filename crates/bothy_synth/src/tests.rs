use super::*;
use bothy_domain::instruments::score;

fn config(seed: u64) -> SynthConfig {
    SynthConfig::new(
        300,
        seed,
        "t",
        Timestamp::from_second(1_780_000_000).unwrap(),
    )
}

#[test]
fn a_seed_gives_the_same_rows_and_another_seed_others() {
    let a = Synth::new(&config(1)).batch(0, 300);
    let b = Synth::new(&config(1)).batch(0, 300);
    let c = Synth::new(&config(2)).batch(0, 300);
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert_ne!(format!("{a:?}"), format!("{c:?}"));
    // Batches split anywhere give the same rows.
    let s = Synth::new(&config(1));
    let mut split = s.batch(0, 120);
    let rest = s.batch(120, 300);
    split.responses.extend(rest.responses);
    assert_eq!(
        format!("{:?}", split.responses),
        format!("{:?}", a.responses)
    );
}

#[test]
fn every_response_scores_to_its_stored_total() {
    let catalogue = bothy_app::content::default_catalogue();
    let b = Synth::new(&config(7)).batch(0, 300);
    assert!(b.responses.len() > 300, "{}", b.responses.len());
    for r in &b.responses {
        let inst = catalogue.get(&r.instrument_id).unwrap();
        let s = score(inst, &r.answers).unwrap();
        assert_eq!(s.total, r.total);
        assert_eq!(s.risk_items, r.risk_items);
        assert_eq!(s.band, r.band);
    }
}

#[test]
fn the_data_has_the_expected_shape() {
    let b = Synth::new(&config(3)).batch(0, 300);
    assert_eq!(b.patients.len(), 300);
    assert_eq!(b.demographics.len(), 300);
    assert_eq!(b.episodes.len(), 300);
    assert!(b.referrals.len() > 330 && b.referrals.len() < 450);
    assert!(b.check_ins.len() > 1000, "{}", b.check_ins.len());
    let open = b
        .episodes
        .iter()
        .filter(|e| e.discharged_at.is_none())
        .count();
    assert!(open > 10 && open < 200, "{open}");
    let risky = b
        .responses
        .iter()
        .filter(|r| !r.risk_items.is_empty())
        .count();
    let share = risky as f64 / b.responses.len() as f64;
    assert!(share > 0.005 && share < 0.08, "{share}");
    // At most one open alert per patient and key.
    let mut open_keys: Vec<_> = b
        .alerts
        .iter()
        .filter(|a| !matches!(a.state, bothy_domain::alerts::AlertState::Closed { .. }))
        .map(|a| (a.patient_id, a.dedupe_key.clone()))
        .collect();
    let n = open_keys.len();
    open_keys.sort();
    open_keys.dedup();
    assert_eq!(n, open_keys.len());
    let now = config(3).now;
    assert!(b.responses.iter().all(|r| r.submitted_at <= now));
    assert!(
        b.check_ins
            .iter()
            .all(|c| c.checked_in_at <= now && c.mood <= 10)
    );
    let emails: std::collections::HashSet<_> = b.patients.iter().map(|p| &p.email).collect();
    assert_eq!(emails.len(), 300);
}
