//! All detectors together for one patient with a long history.

use super::*;

#[test]
fn evaluate_all_for_one_patient_with_100_scores_and_100_check_ins() {
    // 50 PHQ-9 and 50 GAD-7 scores, weekly; PHQ-9 worsens from 12 to 20,
    // GAD-7 improves from 15 to 5.
    let mut scores = Vec::new();
    for k in 0..50u32 {
        let when = at(7 * i64::from(k), 0);
        scores.push(ScorePoint {
            instrument: "phq9",
            at: when,
            total: 12.0 + f64::from(k * 8 / 49),
            session: k + 1,
        });
        scores.push(ScorePoint {
            instrument: "gad7",
            at: when,
            total: 15.0 - f64::from(k * 10 / 49),
            session: k + 1,
        });
    }
    // 99 steady check-ins, then a sharp drop.
    let mut check_ins: Vec<CheckIn> = (0..99)
        .map(|d| CheckIn {
            at: at(d, 3600),
            mood: if d % 3 == 0 { 6 } else { 7 },
        })
        .collect();
    check_ins.push(CheckIn {
        at: at(99, 3600),
        mood: 2,
    });
    let mut answers = [Some(1); 9];
    answers[8] = Some(1);
    let responses = [Response {
        instrument: "phq9",
        answers: &answers,
    }];
    let texts = [
        Text {
            source: TextSource::CheckInNote,
            text: "Rough day. This job is killing me.",
        },
        Text {
            source: TextSource::CheckInNote,
            text: "I don't want to be here anymore",
        },
    ];
    let data = PatientData {
        responses: &responses,
        scores: &scores,
        check_ins: &check_ins,
        texts: &texts,
        engagement: Some(Engagement {
            since: at(0, 0),
            last_activity: Some(at(99, 3600)),
            last_measure: Some(at(343, 0)),
        }),
        now: at(350, 0),
    };
    let signals = evaluate(
        catalogue(),
        &DetectorConfig::default(),
        lexicon(),
        &[],
        &data,
    );
    let keys: Vec<(&str, Severity)> = signals
        .iter()
        .map(|s| (s.dedupe_key.as_str(), s.severity))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("risk_item", Severity::High),
            ("deterioration:phq9", Severity::Moderate),
            ("not_on_track:phq9", Severity::Low),
            ("mood_drop", Severity::Moderate),
            ("risky_text", Severity::Moderate),
        ],
        "{signals:#?}"
    );
    // Every cause has a stable key and the keys are distinct.
    let mut all: Vec<&str> = Cause::all().iter().map(|c| c.key()).collect();
    all.dedup();
    assert_eq!(all.len(), 6);
    assert!(Severity::Low < Severity::Moderate && Severity::High < Severity::Urgent);
}

#[test]
fn evaluate_skips_unknown_instruments_and_empty_data() {
    let data = PatientData {
        responses: &[Response {
            instrument: "nope",
            answers: &[Some(3)],
        }],
        scores: &[],
        check_ins: &[],
        texts: &[],
        engagement: None,
        now: at(0, 0),
    };
    assert!(
        evaluate(
            catalogue(),
            &DetectorConfig::default(),
            lexicon(),
            &[],
            &data
        )
        .is_empty()
    );
}

/// The one rule for what a person sends: risk answers and risky words raise
/// signals under the service's settings, and the crisis contacts show for
/// any un-negated phrase even where the settings raise no alert for it.
#[test]
fn immediate_assessment_is_one_rule_for_answers_and_words() {
    let config = DetectorConfig::default();
    let assess = |answers: &[Option<i32>], text: &str, config: &DetectorConfig| {
        let responses = [Response {
            instrument: "phq9",
            answers,
        }];
        let texts = [Text {
            source: TextSource::SelfReferral,
            text,
        }];
        Immediate::assess(catalogue(), config, lexicon(), &responses, &texts)
    };
    let mut calm = [Some(1); 9];
    calm[8] = Some(0);
    let quiet = assess(&calm, "I have been feeling flat since the winter.", &config);
    assert_eq!(quiet, Immediate::default());
    assert_eq!(quiet.severity(), None);

    let mut item9 = calm;
    item9[8] = Some(3);
    let answer = assess(&item9, "Work has been busy.", &config);
    assert!(answer.show_crisis_contacts);
    assert_eq!(answer.severity(), Some(Severity::Urgent));
    assert_eq!(answer.signals[0].cause, Cause::RiskItem);

    let words = assess(&calm, "I can't see the point of anything any more", &config);
    assert!(words.show_crisis_contacts);
    assert_eq!(words.signals.len(), 1);
    assert_eq!(words.signals[0].cause, Cause::RiskyText);

    // A service that raises no alert for words still shows the contacts.
    let mut off = DetectorConfig::default();
    off.risky_text.enabled = false;
    let words_off = assess(&calm, "I can't see the point of anything any more", &off);
    assert!(words_off.signals.is_empty());
    assert!(words_off.show_crisis_contacts);

    // Negated words raise nothing and show nothing.
    let negated = assess(&calm, "I am not suicidal", &config);
    assert_eq!(negated, Immediate::default());
}
