//! Running the detectors on a new submission, inside the submission's own
//! transaction, so that its alerts commit with it.
//!
//! Risk items are read first and their alerts raised without any further
//! reading: nothing can stand between a risk answer and its alert. The other
//! detectors read history (scores, check-ins, expected trajectories); they
//! run inside a savepoint, so that if any of that fails the submission and
//! its risk alerts are still kept, and a re-evaluation job is queued in the
//! same transaction to try again. The crisis panel the person sees depends
//! only on their answers, never on this evaluation.

use crate::jobs::{IdempotencyKey, Job};
use crate::{Actor, App, AppError, RequestContext};
use bothy_domain::check_in::CheckIn;
use bothy_domain::detectors::{self, ExpectedTrajectories, Signal, Text, TextSource};
use bothy_domain::instruments::Instrument;
use bothy_domain::model::{MeasureResponse, Patient};
use bothy_domain::monitoring::Monitoring;
use bothy_domain::summaries::ScoreSummary;
use bothy_store::Tx;

/// The submission that triggered the detectors, for re-evaluation and for
/// the alert's record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    MeasureResponse { id: String },
    CheckIn { id: String },
}

impl Trigger {
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::MeasureResponse { .. } => "measure_response",
            Trigger::CheckIn { .. } => "check_in",
        }
    }
    pub fn id(&self) -> &str {
        match self {
            Trigger::MeasureResponse { id } | Trigger::CheckIn { id } => id,
        }
    }
}

impl App {
    /// The detectors for a new measure response: its risk items at once,
    /// then deterioration and not-on-track from the episode's summary for
    /// the instrument, which the response updates first.
    pub(crate) async fn detect_on_response(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        patient: &Patient,
        (inst, response): (&Instrument, &MeasureResponse),
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        let monitoring = self.monitoring_in(tx, patient.service_id).await?;
        let source = Trigger::MeasureResponse {
            id: response.id.to_string(),
        };
        let risk =
            detectors::risk_item::detect(inst, &response.answers, &monitoring.detectors.risk_item);
        self.raise_signals(tx, actor, patient, &risk, (source.kind(), source.id()), ctx)
            .await?;
        let episode = tx.open_episode_id(patient.id).await?;
        let key = episode.map(|e| e.to_string()).unwrap_or_default();
        let summary = tx
            .add_to_score_summary(
                patient.id,
                &key,
                &inst.id,
                response.submitted_at,
                response.total,
            )
            .await?;
        self.in_savepoint(tx, actor, patient, &source, ctx, async |app, tx| {
            app.history_signals(tx, &monitoring, patient, inst, &summary)
                .await
        })
        .await
    }

    /// The detectors for a new check-in: risk words in its note, and a
    /// sharp drop in mood against the person's mood summary, which the
    /// check-in updates first.
    pub(crate) async fn detect_on_check_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        patient: &Patient,
        check_in: &CheckIn,
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        let monitoring = self.monitoring_in(tx, patient.service_id).await?;
        let source = Trigger::CheckIn {
            id: check_in.id.to_string(),
        };
        if let Some(note) = &check_in.note {
            let text = Text {
                source: TextSource::CheckInNote,
                text: note,
            };
            let signals = detectors::risky_text::detect(
                &self.monitoring.lexicon,
                &text,
                &monitoring.detectors.risky_text,
            );
            self.raise_signals(
                tx,
                actor,
                patient,
                &signals,
                (source.kind(), source.id()),
                ctx,
            )
            .await?;
        }
        let mut moods = tx
            .add_to_mood_summary(
                patient.id,
                check_in.mood,
                check_in.checked_in_at,
                check_in.recorded_at,
            )
            .await?;
        // A check-in dated before the newest one belongs earlier in the
        // window: rare (a late entry), so read the window again in time order.
        if moods
            .last_checked_in_at
            .is_some_and(|newest| check_in.checked_in_at < newest)
            && let Some(rebuilt) = tx.rebuild_mood_summary(patient.id).await?
        {
            moods = rebuilt;
        }
        self.in_savepoint(tx, actor, patient, &source, ctx, async |_, _| {
            Ok(detectors::mood_drop::detect_moods(
                &moods.moods,
                &monitoring.detectors.mood_drop,
            ))
        })
        .await
    }

    /// Runs the history detectors (`work`) in a savepoint and raises their
    /// signals; on failure undoes that part only, logs the error (never
    /// patient data) and queues a re-evaluation in the same transaction.
    async fn in_savepoint(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        patient: &Patient,
        source: &Trigger,
        ctx: &RequestContext,
        work: impl AsyncFnOnce(&App, &mut Tx) -> Result<Vec<Signal>, AppError>,
    ) -> Result<(), AppError> {
        tx.savepoint("detectors").await?;
        let outcome = match work(self, tx).await {
            Ok(signals) => {
                self.raise_signals(
                    tx,
                    actor,
                    patient,
                    &signals,
                    (source.kind(), source.id()),
                    ctx,
                )
                .await
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => {
                tx.release_savepoint("detectors").await?;
                Ok(())
            }
            Err(e) => {
                tx.rollback_to_savepoint("detectors").await?;
                tracing::warn!(error = %e, source = source.kind(), "detectors failed; re-evaluation queued");
                let key = IdempotencyKey::from_parts(&["reevaluate", source.kind(), source.id()])?;
                let job = Job::Reevaluate {
                    patient_id: patient.id.to_string(),
                    submission: source.clone(),
                };
                self.enqueue_job(tx, &key, &job).await?;
                Ok(())
            }
        }
    }

    /// Deterioration and not-on-track for one instrument, from its summary
    /// in the open episode (or outside any episode): the baseline (the
    /// referral's screening score where the form asked for this instrument,
    /// else the first response) against the latest response.
    pub(crate) async fn history_signals(
        &self,
        tx: &mut Tx,
        monitoring: &Monitoring,
        patient: &Patient,
        inst: &Instrument,
        summary: &ScoreSummary,
    ) -> Result<Vec<Signal>, AppError> {
        let points = summary.points();
        if points.len() < 2 {
            return Ok(Vec::new());
        }
        let expected = self.expected_for(tx, patient, &inst.id).await?;
        let config = &monitoring.detectors;
        let mut signals = detectors::deterioration::detect(inst, &points, &config.deterioration);
        signals.extend(detectors::not_on_track::detect(
            inst,
            &points,
            expected.as_ref(),
            &config.not_on_track,
        ));
        Ok(signals)
    }

    /// The service's stored expected trajectories for an instrument, if the
    /// evaluation job has computed any. A stored value that no longer reads
    /// is ignored (the default rule stands in) until the job replaces it.
    async fn expected_for(
        &self,
        tx: &mut Tx,
        patient: &Patient,
        instrument: &str,
    ) -> Result<Option<ExpectedTrajectories>, AppError> {
        let stored = tx
            .expected_trajectories(patient.service_id, instrument)
            .await?;
        Ok(stored.and_then(|(json, _)| serde_json::from_str(&json).ok()))
    }
}

impl App {
    /// Records the referral's screening scores as a new episode's baselines
    /// (the first point of deterioration and not-on-track). An answer set
    /// that does not score (incomplete) leaves no baseline.
    pub(crate) async fn seed_screening(
        &self,
        tx: &mut Tx,
        episode: &bothy_store::EpisodeRow,
        details: &bothy_domain::referral::Details,
    ) -> Result<(), AppError> {
        for inst in self.catalogue.iter() {
            if let Some(answers) = screening_answers(details, &inst.id)
                && let Ok(scored) = bothy_domain::instruments::score(inst, answers)
            {
                tx.set_screening_score(
                    episode.patient_id,
                    &episode.id.to_string(),
                    &inst.id,
                    episode.referred_at,
                    scored.total,
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// The referral form's answers to an instrument, if it asks for it.
pub(crate) fn screening_answers<'a>(
    details: &'a bothy_domain::referral::Details,
    instrument: &str,
) -> Option<&'a [Option<i32>]> {
    match instrument {
        "phq9" => details.phq9.as_deref(),
        "gad7" => details.gad7.as_deref(),
        _ => None,
    }
}
