//! W5 and W6, the service-wide work, in this process on the configured
//! database: outcome classification of every episode a service finished in
//! a year, and every detector re-evaluated for every patient. Reading and
//! computing are timed separately.

use crate::clock;
use anyhow::Context;
use bothy_app::App;
use bothy_domain::detectors::{
    self, ExpectedTrajectories, PatientData, ScorePoint, Text, TextSource,
};
use bothy_domain::outcomes::{self, Appointment, Measurement, ProblemDescriptor, Score};
use bothy_domain::time::{Timestamp, uk_date};
use bothy_domain::{PatientId, ServiceId};
use bothy_store::{EpisodeScores, PatientHistory};
use std::time::Duration;

/// How long the work took, and how much there was.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timed {
    pub items: u64,
    pub load: Duration,
    pub compute: Duration,
    /// Recovered episodes (W5) or signals raised (W6), as a sanity check.
    pub found: u64,
}

impl Timed {
    pub fn total(&self) -> Duration {
        self.load + self.compute
    }
}

const YEAR: Duration = Duration::from_secs(365 * 86_400);

/// W5: the NHS Talking Therapies outcome of each episode discharged in the
/// 365 days before `now`.
pub async fn outcomes(app: &App, service: ServiceId, now: Timestamp) -> anyhow::Result<Timed> {
    let from = now.checked_sub(YEAR).context("time out of range")?;
    let t = clock::now();
    let mut tx = app.store.read().await?;
    let episodes = tx.finished_episode_scores(service, from, now).await?;
    tx.rollback().await?;
    let load = t.elapsed();
    let t = clock::now();
    let mut recovered = 0;
    for e in &episodes {
        let outcome = outcomes::classify(&episode(e), &app.catalogue, &Default::default());
        recovered += u64::from(outcome.recovered == Some(true));
    }
    Ok(Timed {
        items: episodes.len() as u64,
        load,
        compute: t.elapsed(),
        found: recovered,
    })
}

/// The classification input: one measurement per date, as `bothy outcomes` reads it.
fn episode(e: &EpisodeScores) -> outcomes::Episode {
    let mut measurements: Vec<Measurement> = Vec::new();
    for (instrument, at, total) in &e.scores {
        let date = uk_date(*at);
        let appointment = if e.first_treatment_at.is_some_and(|t| *at >= t) {
            Appointment::Treatment
        } else {
            Appointment::Assessment
        };
        match measurements
            .iter_mut()
            .find(|m| m.date == date && !m.scores.contains_key(instrument))
        {
            Some(m) => {
                m.scores.insert(instrument.clone(), Score::Valid(*total));
            }
            None => measurements.push(Measurement {
                date,
                appointment,
                scores: [(instrument.clone(), Score::Valid(*total))]
                    .into_iter()
                    .collect(),
            }),
        }
    }
    outcomes::Episode {
        id: e.episode_id.clone(),
        problem_descriptor: ProblemDescriptor::parse(&e.problem_descriptor)
            .unwrap_or(ProblemDescriptor::Other),
        referral_ended: true,
        treatment_appointments_attended: u32::try_from(e.treatment_appointments).unwrap_or(0),
        measurements,
    }
}

/// Patients read per page in W6.
const PAGE: i64 = 5_000;

/// W6: every detector for every patient of the service, read in pages.
pub async fn detectors(
    app: &App,
    service: ServiceId,
    slug: &str,
    now: Timestamp,
) -> anyhow::Result<Timed> {
    let monitoring = app.monitoring.for_slug(slug);
    let mut timed = Timed::default();
    let mut expected: Vec<ExpectedTrajectories> = Vec::new();
    let mut after: Option<PatientId> = None;
    let mut tx = app.store.read().await?;
    for inst in ["phq9", "gad7"] {
        if let Some((json, _)) = tx.expected_trajectories(service, inst).await? {
            expected.extend(serde_json::from_str::<ExpectedTrajectories>(&json).ok());
        }
    }
    loop {
        let t = clock::now();
        let page = tx.detector_inputs(service, after, PAGE).await?;
        timed.load += t.elapsed();
        let Some(last) = page.last() else { break };
        after = Some(last.patient_id);
        let t = clock::now();
        for p in &page {
            let signals = evaluate(app, &monitoring.detectors, &expected, p, now);
            timed.found += signals as u64;
        }
        timed.compute += t.elapsed();
        timed.items += page.len() as u64;
    }
    tx.rollback().await?;
    Ok(timed)
}

/// Check-ins the mood detector reads, at most.
const CHECK_IN_HISTORY: usize = 60;

fn evaluate(
    app: &App,
    config: &detectors::DetectorConfig,
    expected: &[ExpectedTrajectories],
    p: &PatientHistory,
    now: Timestamp,
) -> usize {
    let since = p.episode.map(|(referred, _)| referred);
    let mut sessions: Vec<(&str, u32)> = Vec::new();
    let scores: Vec<ScorePoint<'_>> = p
        .scores
        .iter()
        .filter(|s| since.is_none_or(|t| s.submitted_at >= t))
        .map(|s| {
            let session = match sessions.iter_mut().find(|(i, _)| *i == s.instrument_id) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    sessions.push((&s.instrument_id, 1));
                    1
                }
            };
            ScorePoint {
                instrument: &s.instrument_id,
                at: s.submitted_at,
                total: s.total,
                session,
            }
        })
        .collect();
    let responses: Vec<detectors::Response<'_>> = p
        .latest_answers
        .iter()
        .map(|(instrument, answers)| detectors::Response {
            instrument,
            answers,
        })
        .collect();
    let recent = &p.check_ins[p.check_ins.len().saturating_sub(CHECK_IN_HISTORY)..];
    let check_ins: Vec<detectors::CheckIn> = recent
        .iter()
        .map(|(at, mood, _)| detectors::CheckIn {
            at: *at,
            mood: *mood,
        })
        .collect();
    let texts: Vec<Text<'_>> = recent
        .last()
        .and_then(|(_, _, note)| note.as_deref())
        .map(|text| Text {
            source: TextSource::CheckInNote,
            text,
        })
        .into_iter()
        .collect();
    let engagement = p.episode.map(|(_, opened)| detectors::Engagement {
        since: opened,
        last_activity: recent.last().map(|(at, _, _)| *at),
        last_measure: p.scores.last().map(|s| s.submitted_at),
    });
    let data = PatientData {
        responses: &responses,
        scores: &scores,
        check_ins: &check_ins,
        texts: &texts,
        engagement,
        now,
    };
    detectors::evaluate(
        &app.catalogue,
        config,
        &app.monitoring.lexicon,
        expected,
        &data,
    )
    .len()
}
