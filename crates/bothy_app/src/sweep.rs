//! The monitoring sweep: every detector that rests on history, for everyone
//! in an open episode, read from their write-time summaries a page at a time.
//! It is what production runs on a schedule (through the job queue) and what
//! `bothy bench` measures as W6.
//!
//! - Disengagement: no check-in or measure for a while (time alone can make
//!   it true, so only a sweep finds it).
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

/// A signal, with the time of the data it rests on (none for one that rests
/// on time passing).
type Found = (Signal, Option<Timestamp>);

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
        // Disengagement rests on time passing, not on data: no settled check.
        let mut signals: Vec<Found> =
            disengagement::detect(&engagement, now, &config.disengagement)
                .into_iter()
                .map(|s| (s, None))
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
            let at = summary.latest.map(|(at, _)| at);
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
        if let Some(moods) = &row.moods {
            signals.extend(
                mood_drop::detect_moods(&moods.moods, &config.mood_drop)
                    .into_iter()
                    .map(|s| (s, moods.last_recorded_at)),
            );
        }
        Ok(signals)
    }

    /// Raises what a page found, in one transaction. A signal resting on
    /// data (with its time) is left out when an alert with its key is open
    /// or was closed since then.
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
                let settled = match since {
                    Some(at) => {
                        tx.alert_settled(patient.id, &signal.dedupe_key, *at)
                            .await?
                    }
                    None => false,
                };
                if !settled {
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
