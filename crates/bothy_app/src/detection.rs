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
use bothy_domain::detectors::{self, ExpectedTrajectories, ScorePoint, Signal, Text, TextSource};
use bothy_domain::instruments::{Instrument, score};
use bothy_domain::model::{MeasureResponse, Patient};
use bothy_domain::monitoring::Monitoring;
use bothy_domain::time::Timestamp;
use bothy_store::Tx;

/// How many past responses and check-ins the detectors read: more than any
/// episode has measures, and more than the mood detector's window.
const HISTORY: i64 = 400;

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
    /// then deterioration and not-on-track against the episode's history.
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
        self.in_savepoint(tx, actor, patient, &source, ctx, async |app, tx| {
            app.history_signals(tx, &monitoring, patient, inst, response.submitted_at)
                .await
        })
        .await
    }

    /// The detectors for a new check-in: a sharp drop in mood, and risk
    /// words in its note.
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
        self.in_savepoint(tx, actor, patient, &source, ctx, async |app, tx| {
            app.mood_signals(tx, &monitoring, patient).await
        })
        .await
    }

    /// A sharp drop in mood, from the patient's recent check-ins.
    pub(crate) async fn mood_signals(
        &self,
        tx: &mut Tx,
        monitoring: &Monitoring,
        patient: &Patient,
    ) -> Result<Vec<Signal>, AppError> {
        let mut history = tx.check_ins(patient.id, HISTORY).await?;
        history.reverse();
        let points: Vec<detectors::CheckIn> = history
            .iter()
            .map(|c| detectors::CheckIn {
                at: c.checked_in_at,
                mood: c.mood,
            })
            .collect();
        Ok(detectors::mood_drop::detect(
            &points,
            &monitoring.detectors.mood_drop,
        ))
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

    /// Deterioration and not-on-track for one instrument, from the open
    /// episode's scores (all the patient's if they have no open episode).
    /// The referral's screening score, where the form asked for this
    /// instrument, is the episode's first point: it is the baseline a
    /// person waiting for treatment is compared with.
    pub(crate) async fn history_signals(
        &self,
        tx: &mut Tx,
        monitoring: &Monitoring,
        patient: &Patient,
        inst: &Instrument,
        until: Timestamp,
    ) -> Result<Vec<Signal>, AppError> {
        let episode = tx.open_episode(patient.id).await?;
        let since = episode.as_ref().map(|e| e.referred_at);
        let mut totals: Vec<(Timestamp, f64)> = Vec::new();
        if let Some(e) = &episode
            && let Some(referral) = tx.referral(e.referral_id).await?
            && let Some(answers) = screening_answers(&referral.details, &inst.id)
            && let Ok(scored) = score(inst, answers)
        {
            totals.push((e.referred_at, scored.total));
        }
        totals.extend(
            tx.instrument_totals(patient.id, &inst.id, since, HISTORY)
                .await?
                .into_iter()
                .filter(|(at, _)| *at <= until),
        );
        let points: Vec<ScorePoint<'_>> = totals
            .iter()
            .zip(1..)
            .map(|(&(at, total), session)| ScorePoint {
                instrument: &inst.id,
                at,
                total,
                session,
            })
            .collect();
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
