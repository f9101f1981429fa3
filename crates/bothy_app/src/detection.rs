//! Running the detectors on a new submission, inside the submission's own
//! transaction, so that its alerts commit with it.
//!
//! Risk items are read first and their alerts raised without any further
//! reading: nothing can stand between a risk answer and its alert. The other
//! detectors compare the submission with the person's write-time summary
//! (`bothy_domain::summaries`), which the submission updates in the same
//! transaction, and with the service's expected trajectories, read before
//! the transaction from a short-lived cache; so judging them costs no round
//! trip. Only when they find something is a savepoint taken around raising
//! it, so that if that fails the submission and its risk alerts are still
//! kept, and a re-evaluation job is queued in the same transaction to try
//! again. The crisis panel the person sees depends only on their answers,
//! never on this evaluation.

use crate::jobs::{IdempotencyKey, Job};
use crate::monitoring::Monitor;
use crate::{Actor, AppError, RequestContext};
use bothy_domain::ServiceId;
use bothy_domain::check_in::CheckIn;
use bothy_domain::detectors::{self, ExpectedTrajectories, Signal, Text, TextSource};
use bothy_domain::ids::EpisodeId;
use bothy_domain::instruments::Instrument;
use bothy_domain::model::{MeasureResponse, Patient};
use bothy_domain::monitoring::Monitoring;
use bothy_domain::summaries::ScoreSummary;
use bothy_domain::time::Timestamp;
use bothy_store::Tx;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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

/// How long a process keeps a service's expected trajectories before
/// reading them again: the worker recomputes them daily.
const EXPECTED_TTL_SECONDS: i64 = 600;

/// A service's expected trajectories for an instrument, and when they were read.
type CachedExpected = (Timestamp, Option<Arc<ExpectedTrajectories>>);

/// Each service's expected trajectories per instrument, as last read.
#[derive(Default)]
pub(crate) struct ExpectedCache {
    entries: Mutex<HashMap<(ServiceId, String), CachedExpected>>,
}

impl Monitor<'_> {
    /// The service's stored expected trajectories for an instrument, if the
    /// evaluation job has computed any, from the cache or one read on a
    /// connection of its own (so a failure never touches a caller's
    /// transaction: not-on-track then falls back to its default rule). A
    /// stored value that no longer reads is ignored likewise.
    pub(crate) async fn expected_trajectories(
        &self,
        service: ServiceId,
        instrument: &str,
    ) -> Option<Arc<ExpectedTrajectories>> {
        let now = self.app.clock.now();
        let key = (service, instrument.to_string());
        if let Ok(map) = self.app.expected.entries.lock()
            && let Some((at, value)) = map.get(&key)
            && now.as_second() - at.as_second() < EXPECTED_TTL_SECONDS
        {
            return value.clone();
        }
        let read = async {
            let mut tx = self.app.store.reader().await?;
            let stored = tx.expected_trajectories(service, instrument).await?;
            tx.rollback().await?;
            Ok::<_, AppError>(stored)
        };
        let value = match read.await {
            Ok(stored) => stored
                .and_then(|(json, _)| serde_json::from_str(&json).ok())
                .map(Arc::new),
            Err(e) => {
                tracing::warn!(error = %e, "expected trajectories unreadable; the default rule stands in");
                return None;
            }
        };
        if let Ok(mut map) = self.app.expected.entries.lock() {
            map.insert(key, (now, value.clone()));
        }
        value
    }

    /// Forgets cached expected trajectories (after this process recomputed them).
    pub(crate) fn forget_expected_trajectories(&self, service: ServiceId) {
        if let Ok(mut map) = self.app.expected.entries.lock() {
            map.retain(|(s, _), _| *s != service);
        }
    }

    /// The detectors for a new measure response: its risk items at once,
    /// then deterioration and not-on-track from the episode's summary for
    /// the instrument, which the response updates first. `episode` is the
    /// patient's open episode; `expected`, the service's trajectories for
    /// the instrument, read before the transaction began.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn detect_on_response(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        (patient, episode): (&Patient, Option<EpisodeId>),
        (inst, response): (&Instrument, &MeasureResponse),
        expected: Option<&ExpectedTrajectories>,
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        let monitoring = self.settings_for(tx, patient.service_id).await?;
        let source = Trigger::MeasureResponse {
            id: response.id.to_string(),
        };
        let risk =
            detectors::risk_item::detect(inst, &response.answers, &monitoring.detectors.risk_item);
        self.app
            .alerts()
            .raise(tx, actor, patient, &risk, (source.kind(), source.id()), ctx)
            .await?;
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
        let signals = history_signals(&monitoring, inst, &summary, expected);
        self.raise_in_savepoint(tx, actor, patient, &source, &signals, ctx)
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
        let monitoring = self.settings_for(tx, patient.service_id).await?;
        let source = Trigger::CheckIn {
            id: check_in.id.to_string(),
        };
        if let Some(note) = &check_in.note {
            let text = Text {
                source: TextSource::CheckInNote,
                text: note,
            };
            // The one rule for what a person sends (`Immediate`).
            let signals = detectors::Immediate::assess(
                &self.app.catalogue,
                &monitoring.detectors,
                &self.app.service_monitoring.lexicon,
                &[],
                &[text],
            )
            .signals;
            self.app
                .alerts()
                .raise(
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
        let signals =
            detectors::mood_drop::detect_moods(&moods.moods, &monitoring.detectors.mood_drop);
        self.raise_in_savepoint(tx, actor, patient, &source, &signals, ctx)
            .await
    }

    /// Whether what a person wrote shows the crisis contacts at once, by the
    /// one rule for what a person sends (`Immediate`): any risk phrase that
    /// is not negated, of any severity, whatever the service's alert
    /// settings (those decide only whether an alert is raised, in
    /// [`Monitor::detect_in_text`] and `detect_on_check_in`).
    pub fn shows_crisis_contacts(&self, source: TextSource, texts: &[&str]) -> bool {
        let texts: Vec<Text<'_>> = texts.iter().map(|text| Text { source, text }).collect();
        !texts.is_empty()
            && detectors::Immediate::assess(
                &self.app.catalogue,
                &detectors::config::DetectorConfig::default(),
                &self.app.service_monitoring.lexicon,
                &[],
                &texts,
            )
            .show_crisis_contacts
    }

    /// Risk words in what a person wrote, by the one rule for what a person
    /// sends (`Immediate`), raised in the transaction that stores it, with
    /// the record as the alert's source. Such text has no history to compare
    /// with, so nothing here can need re-evaluating.
    async fn detect_in_text(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        patient: &Patient,
        texts: &[Text<'_>],
        source: (&str, &str),
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        if texts.is_empty() {
            return Ok(());
        }
        let monitoring = self.settings_for(tx, patient.service_id).await?;
        let signals = detectors::Immediate::assess(
            &self.app.catalogue,
            &monitoring.detectors,
            &self.app.service_monitoring.lexicon,
            &[],
            texts,
        )
        .signals;
        self.app
            .alerts()
            .raise(tx, actor, patient, &signals, source, ctx)
            .await
    }

    /// The detector for a new tool entry: risk words in any of its free text.
    pub(crate) async fn detect_on_tool_entry(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        patient: &Patient,
        entry: &bothy_domain::tools::ToolEntry,
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        let texts: Vec<Text<'_>> = entry
            .entry
            .texts()
            .into_iter()
            .map(|text| Text {
                source: TextSource::ToolEntry,
                text,
            })
            .collect();
        let id = entry.id.to_string();
        self.detect_in_text(tx, actor, patient, &texts, ("tool_entry", &id), ctx)
            .await
    }

    /// The detector for a patient's secure message: risk words in its body.
    pub(crate) async fn detect_on_message(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        patient: &Patient,
        message: &bothy_domain::messages::Message,
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        let text = Text {
            source: TextSource::SecureMessage,
            text: &message.body,
        };
        let id = message.id.to_string();
        self.detect_in_text(tx, actor, patient, &[text], ("message", &id), ctx)
            .await
    }

    /// The detector for a peer support post: risk words in its body, read
    /// as typed and folded both ways (`bothy_domain::peer::fold`), so that
    /// full-width letters, joiners or leet cannot hide a phrase.
    pub(crate) async fn detect_on_peer_post(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        patient: &Patient,
        post: &bothy_domain::peer::Post,
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        // One text, so one alert per cause: the plain folding, or the leet
        // one when only that finds a phrase.
        let plain = bothy_domain::peer::fold::fold(&post.body);
        let lexicon = &self.app.service_monitoring.lexicon;
        let text = if lexicon.scan(&plain).iter().any(|m| !m.negated) {
            plain
        } else {
            bothy_domain::peer::fold::fold_leet(&post.body)
        };
        let texts = [Text {
            source: TextSource::PeerPost,
            text: &text,
        }];
        let id = post.id.to_string();
        self.detect_in_text(tx, actor, patient, &texts, ("peer_post", &id), ctx)
            .await
    }

    /// Raises the history detectors' signals, if any, in a savepoint; on
    /// failure undoes that part only, logs the error (never patient data)
    /// and queues a re-evaluation in the same transaction.
    async fn raise_in_savepoint(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        patient: &Patient,
        source: &Trigger,
        signals: &[Signal],
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        if signals.is_empty() {
            return Ok(());
        }
        tx.savepoint("detectors").await?;
        let outcome = self
            .app
            .alerts()
            .raise(
                tx,
                actor,
                patient,
                signals,
                (source.kind(), source.id()),
                ctx,
            )
            .await;
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
                self.app.jobs().enqueue(tx, &key, &job).await?;
                Ok(())
            }
        }
    }
}

/// Deterioration and not-on-track for one instrument, from its summary in
/// the open episode (or outside any episode): the baseline (the referral's
/// screening score where the form asked for this instrument, else the first
/// response) against the latest response.
pub(crate) fn history_signals(
    monitoring: &Monitoring,
    inst: &Instrument,
    summary: &ScoreSummary,
    expected: Option<&ExpectedTrajectories>,
) -> Vec<Signal> {
    let points = summary.points();
    if points.len() < 2 {
        return Vec::new();
    }
    let config = &monitoring.detectors;
    let mut signals = detectors::deterioration::detect(inst, &points, &config.deterioration);
    signals.extend(detectors::not_on_track::detect(
        inst,
        &points,
        expected,
        &config.not_on_track,
    ));
    signals
}

impl Monitor<'_> {
    /// Records the referral's screening scores as a new episode's baselines
    /// (the first point of deterioration and not-on-track). An answer set
    /// that does not score (incomplete) leaves no baseline.
    pub(crate) async fn seed_screening(
        &self,
        tx: &mut Tx,
        episode: &bothy_domain::referral::Episode,
        details: &bothy_domain::referral::Details,
    ) -> Result<(), AppError> {
        for inst in self.app.catalogue.iter() {
            if let Some(answers) = details.screening.get(&inst.id)
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
