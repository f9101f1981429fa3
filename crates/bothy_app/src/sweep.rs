//! The monitoring sweep: every detector that rests on history, for everyone
//! in an open episode, read from their write-time summaries a page at a time.
//! It is what production runs on a schedule (through the job queue) and what
//! `bothy bench` measures as W6.
//!
//! - Disengagement: nothing done for a while (no check-in, measure, tool
//!   entry, message or finished module; time alone can make it true, so
//!   only a sweep finds it).
//! - Reliable deterioration, not on track and a sharp drop in mood: judged
//!   when each submission arrives; the sweep judges them again because what
//!   they compare against can change without a submission (the service's
//!   expected trajectories are recomputed daily; its settings change on a
//!   restart). A signal is raised only when no alert with its key is open
//!   or was closed since the data it rests on, so a clinician's decision to
//!   close one is not undone by the next sweep.
//! - Risk answers and risky text are not judged again: they are raised in
//!   the transaction that stores them, and closing one is final for it.

use crate::monitoring::Monitor;
use crate::{Actor, AppError, RequestContext};
use bothy_domain::ServiceId;
use bothy_domain::detectors::{
    self, Engagement, ExpectedTrajectories, Signal, disengagement, mood_drop,
};
use bothy_domain::monitoring::Monitoring;
use bothy_domain::time::Timestamp;
use bothy_store::SweepRow;
use std::collections::HashMap;
use std::sync::Arc;

/// People read per page.
const PAGE: i64 = 5_000;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// People in an open episode, each judged once.
    pub people: u64,
    /// Signals raised or merged into an open alert.
    pub signals: u32,
}

/// A signal, with the time of the data it rests on (for disengagement, the
/// person's last activity, or the episode's start without any).
type Found = (Signal, Timestamp);

/// Alerts by person and key: `None` while open, or when one was closed.
type Settled = HashMap<(bothy_domain::PatientId, String), Vec<Option<Timestamp>>>;

/// What the sweep reads once per service, not once per person.
#[derive(Default)]
struct ServiceCache {
    monitoring: HashMap<ServiceId, Arc<Monitoring>>,
    expected: HashMap<(ServiceId, String), Option<ExpectedTrajectories>>,
}

impl Monitor<'_> {
    /// Runs the sweep over everyone in an open episode.
    pub async fn sweep(&self) -> Result<SweepReport, AppError> {
        let now = self.app.clock.now();
        let mut report = SweepReport::default();
        let mut cache = ServiceCache::default();
        let mut after = String::new();
        loop {
            let mut tx = self.app.store.reader().await?;
            let page = tx.sweep_page(&after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.patient_id.to_string();
            let mut found = Vec::new();
            for row in &page {
                let signals = self.judge(&mut tx, &mut cache, row, now).await?;
                if !signals.is_empty() {
                    found.push((row, signals));
                }
            }
            // Most of what an hourly sweep finds is already an open alert;
            // leaving that out here keeps the sweep a read unless something
            // is new. Open alerts go first, so that all activity is read
            // only for the few left; closed ones after, since how recent
            // the activity is decides whether a closing still stands.
            let settled = Self::settled(&mut tx, &found).await?;
            Self::leave_out(&settled, &mut found, false);
            Self::count_all_activity(&mut tx, &cache, &mut found, now).await?;
            Self::leave_out(&settled, &mut found, true);
            tx.rollback().await?;
            report.people += page.len() as u64;
            report.signals += self.raise_found(&found, now).await?;
        }
        Ok(report)
    }

    /// Every history detector for one person, from their summaries.
    async fn judge(
        &self,
        tx: &mut bothy_store::Tx,
        cache: &mut ServiceCache,
        row: &SweepRow,
        now: Timestamp,
    ) -> Result<Vec<Found>, AppError> {
        let monitoring = match cache.monitoring.get(&row.service_id) {
            Some(m) => m.clone(),
            None => {
                let m = self.settings_for(tx, row.service_id).await?;
                cache.monitoring.insert(row.service_id, m.clone());
                m
            }
        };
        let config = &monitoring.detectors;
        let last_check_in = row.moods.as_ref().and_then(|m| m.last_recorded_at);
        let engagement = Engagement {
            since: row.opened_at,
            last_activity: last_check_in.max(row.last_measure),
            last_measure: row.last_measure,
        };
        // Disengagement rests on the lack of activity since the last: an
        // alert closed after it is not raised again until the person is
        // active and lapses again.
        let quiet_since = engagement.last_activity.unwrap_or(row.opened_at);
        let mut signals: Vec<Found> =
            disengagement::detect(&engagement, now, &config.disengagement)
                .into_iter()
                .map(|s| (s, quiet_since))
                .collect();
        for summary in &row.scores {
            let Some(inst) = self.app.catalogue.get(&summary.instrument_id) else {
                continue;
            };
            let points = summary.points();
            if points.len() < 2 {
                continue;
            }
            let key = (row.service_id, inst.id.clone());
            if !cache.expected.contains_key(&key) {
                let stored = tx.expected_trajectories(row.service_id, &inst.id).await?;
                let parsed = stored.and_then(|(json, _)| serde_json::from_str(&json).ok());
                cache.expected.insert(key.clone(), parsed);
            }
            let expected = cache.expected.get(&key).and_then(Option::as_ref);
            let Some((at, _)) = summary.latest else {
                continue;
            };
            signals.extend(
                detectors::deterioration::detect(inst, &points, &config.deterioration)
                    .into_iter()
                    .chain(detectors::not_on_track::detect(
                        inst,
                        &points,
                        expected,
                        &config.not_on_track,
                    ))
                    .map(|s| (s, at)),
            );
        }
        if let Some(moods) = &row.moods
            && let Some(at) = moods.last_recorded_at
        {
            signals.extend(
                mood_drop::detect_moods(&moods.moods, &config.mood_drop)
                    .into_iter()
                    .map(|s| (s, at)),
            );
        }
        Ok(signals)
    }

    /// Leaves out of what a page found every signal whose alert is open, or
    /// was closed since the data it rests on: one read for the page.
    /// Disengagement judged again, for the few it is found for, on all of
    /// what a person does: tool entries, messages they send and modules
    /// they finish count as much as check-ins and measures (the caseload's
    /// last activity). Read only for them, so the sweep's page read stays
    /// on the summaries.
    async fn count_all_activity(
        tx: &mut bothy_store::Tx,
        cache: &ServiceCache,
        found: &mut Vec<(&SweepRow, Vec<Found>)>,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let quiet = |s: &Found| s.0.cause == detectors::Cause::Disengagement;
        let people: Vec<_> = found
            .iter()
            .filter(|(_, signals)| signals.iter().any(quiet))
            .map(|(row, _)| row.patient_id)
            .collect();
        if people.is_empty() {
            return Ok(());
        }
        let activity = tx.last_activity(&people).await?;
        for (row, signals) in found.iter_mut() {
            let (Some(last), Some(monitoring)) = (
                activity.get(&row.patient_id),
                cache.monitoring.get(&row.service_id),
            ) else {
                continue;
            };
            let Some(i) = signals.iter().position(quiet) else {
                continue;
            };
            if *last <= signals[i].1 {
                continue;
            }
            let engagement = Engagement {
                since: row.opened_at,
                last_activity: Some(*last),
                last_measure: row.last_measure,
            };
            let config = &monitoring.detectors.disengagement;
            match disengagement::detect(&engagement, now, config).pop() {
                Some(signal) => signals[i] = (signal, *last),
                None => {
                    signals.remove(i);
                }
            }
        }
        found.retain(|(_, signals)| !signals.is_empty());
        Ok(())
    }

    /// The alerts that may settle what was found: open ones, and those
    /// closed since the earliest data a signal rests on, by person and key.
    async fn settled(
        tx: &mut bothy_store::Tx,
        found: &[(&SweepRow, Vec<Found>)],
    ) -> Result<Settled, AppError> {
        let mut settled = Settled::new();
        let Some(oldest) = found
            .iter()
            .flat_map(|(_, signals)| signals.iter().map(|(_, at)| *at))
            .min()
        else {
            return Ok(settled);
        };
        let people: Vec<_> = found.iter().map(|(row, _)| row.patient_id).collect();
        for (patient, key, closed_at) in tx.alerts_open_or_closed_since(&people, oldest).await? {
            settled.entry((patient, key)).or_default().push(closed_at);
        }
        Ok(settled)
    }

    /// Leaves out signals with an open alert of their key, and, with
    /// `closed`, those whose alert was closed since the data they rest on
    /// (a clinician's decision the next sweep must not undo). Signals only
    /// grow later between the two calls, so one read serves both.
    fn leave_out(settled: &Settled, found: &mut Vec<(&SweepRow, Vec<Found>)>, closed: bool) {
        for (row, signals) in found.iter_mut() {
            signals.retain(|(signal, since)| {
                !settled
                    .get(&(row.patient_id, signal.dedupe_key.clone()))
                    .is_some_and(|alerts| {
                        alerts
                            .iter()
                            .any(|c| c.is_none_or(|c| closed && c >= *since))
                    })
            });
        }
        found.retain(|(_, signals)| !signals.is_empty());
    }

    /// Raises what a page found, in one transaction. A signal is left out
    /// when an alert with its key is open or was closed since the data it
    /// rests on (checked again here, in the writing transaction).
    async fn raise_found(
        &self,
        found: &[(&SweepRow, Vec<Found>)],
        now: Timestamp,
    ) -> Result<u32, AppError> {
        if found.is_empty() {
            return Ok(0);
        }
        let day = now.strftime("%Y-%m-%d").to_string();
        let mut raised = 0;
        let mut tx = self.app.store.begin().await?;
        for (row, signals) in found {
            let Some(patient) = tx.patient(row.patient_id).await? else {
                continue;
            };
            let mut new = Vec::new();
            for (signal, since) in signals {
                if !tx
                    .alert_settled(patient.id, &signal.dedupe_key, *since)
                    .await?
                {
                    new.push(signal.clone());
                }
            }
            self.app
                .alerts()
                .raise(
                    &mut tx,
                    &Actor::System,
                    &patient,
                    &new,
                    ("evaluation", &day),
                    &RequestContext::default(),
                )
                .await?;
            raised += new.len() as u32;
        }
        tx.commit().await?;
        Ok(raised)
    }
}
