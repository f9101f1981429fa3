//! The background evaluation: what no single submission triggers. Run by the
//! worker on a schedule; every part is safe to run again at any time.
//!
//! - Escalation: an open alert past its deadline is marked escalated and
//!   notifications are queued, in one transaction, to every clinical lead of
//!   the service (email) and through a second channel, the service's duty
//!   phone (text message) or else its duty email; many at once are told in
//!   one message. Marking is guarded, so a rerun or a second worker
//!   escalates nothing twice.
//! - The monitoring sweep (`sweep.rs`): every history detector for everyone
//!   in an open episode, from their summaries.
//! - Expected trajectories: each service's, recomputed from its finished
//!   episodes when a day old, for the not-on-track detector.

use crate::detection::Trigger;
use crate::jobs::{IdempotencyKey, Job, MessageTemplate, Notification, Recipient};
use crate::monitoring::Monitor;
use crate::{Actor, AppError, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::detectors::{ExpectedTrajectories, SessionScore};
use bothy_domain::model::Alert;
use bothy_domain::role::Role;
use bothy_domain::time::Timestamp;
use bothy_domain::{PatientId, ServiceId};

/// How long an overdue alert's text to the duty phone has to be reported
/// delivered before the duty email is sent too (issue 15, item 10).
pub const ESCALATION_FALLBACK: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// From this many of one service's alerts escalated together, the rest go
/// in one message to each recipient, pointing to the alert queue.
pub const ESCALATION_DIGEST_FROM: usize = 4;
use bothy_store::Tx;

/// Finished episodes read per instrument for expected trajectories.
const TRAJECTORY_EPISODES: i64 = 5000;
/// How old expected trajectories may be before they are computed again.
const TRAJECTORY_AGE_SECONDS: i64 = 24 * 3600;

impl Monitor<'_> {
    /// Escalates every alert past its deadline. Returns how many.
    ///
    /// Each page of overdue alerts is escalated in one transaction, and its
    /// messages go per service: a message per alert to each clinical lead
    /// and the duty contact while a page holds at most
    /// [`ESCALATION_DIGEST_FROM`] - 1 of the service's alerts, and one
    /// message pointing to the alert queue for the lot beyond that. After an
    /// outage many alerts fall due at once; hundreds of messages to each
    /// lead would bury the one that matters.
    pub async fn escalate_overdue(&self) -> Result<u32, AppError> {
        let now = self.app.clock.now();
        let mut escalated = 0;
        loop {
            let mut tx = self.app.store.begin().await?;
            let due = tx.alerts_to_escalate(now, 50).await?;
            if due.is_empty() {
                tx.rollback().await?;
                break;
            }
            let mut by_service: Vec<(ServiceId, Vec<&Alert>)> = Vec::new();
            for alert in &due {
                if !self.mark_escalated(&mut tx, alert).await? {
                    continue;
                }
                escalated += 1;
                match by_service.iter_mut().find(|(s, _)| *s == alert.service_id) {
                    Some((_, list)) => list.push(alert),
                    None => by_service.push((alert.service_id, vec![alert])),
                }
            }
            for (service, alerts) in &by_service {
                self.tell_overdue(&mut tx, *service, alerts, now).await?;
            }
            tx.commit().await?;
        }
        Ok(escalated)
    }

    /// Marks the alert escalated (a guarded write: false when another
    /// worker did first), audited.
    async fn mark_escalated(&self, tx: &mut Tx, alert: &Alert) -> Result<bool, AppError> {
        let now = self.app.clock.now();
        if !tx.mark_alert_escalated(alert.id, now).await? {
            return Ok(false);
        }
        let event = crate::alerts::alert_event(
            Action::AlertEscalated,
            alert,
            format!("alert {} overdue since {}", alert.id, alert.deadline),
        );
        self.app
            .audit(tx, &Actor::System, &RequestContext::default(), event)
            .await?;
        Ok(true)
    }

    /// Queues the messages about `alerts`, all of `service`, just escalated.
    async fn tell_overdue(
        &self,
        tx: &mut Tx,
        service: ServiceId,
        alerts: &[&Alert],
        now: Timestamp,
    ) -> Result<(), AppError> {
        let monitoring = self.settings_for(tx, service).await?;
        let base = self
            .app
            .settings
            .public_url
            .trim_end_matches('/')
            .to_string();
        let mut recipients: Vec<(String, Recipient)> = tx
            .staff_of_service(service)
            .await?
            .into_iter()
            .filter(|(m, roles)| roles.contains(&Role::ClinicalLead) && m.disabled_at.is_none())
            .map(|(m, _)| (format!("lead.{}", m.id), Recipient::Email(m.email)))
            .collect();
        let second = match (
            &monitoring.escalation.duty_phone,
            &monitoring.escalation.duty_email,
        ) {
            (Some(phone), _) => Some(Recipient::Sms(phone.clone())),
            (None, Some(email)) => Some(Recipient::Email(email.clone())),
            (None, None) => None,
        };
        if let Some(to) = second {
            recipients.push(("duty".into(), to));
        }
        if recipients.is_empty() {
            // Nobody to tell but the queue itself, where they show as escalated.
            tracing::warn!(
                alerts = alerts.len(),
                "overdue alerts: the service has no clinical lead and no duty contact"
            );
            return Ok(());
        }
        // One message per alert, or one for the page's lot (keyed by its
        // first alert, so the page's retry queues nothing twice).
        let (one_by_one, digest) = alerts.split_at(alerts.len().min(ESCALATION_DIGEST_FROM - 1));
        let mut messages: Vec<(String, MessageTemplate, String)> = one_by_one
            .iter()
            .map(|a| {
                (
                    format!("alert-overdue.{}", a.id),
                    MessageTemplate::AlertOverdue,
                    format!("{base}/alerts/{}", a.id),
                )
            })
            .collect();
        if let Some(first) = digest.first() {
            messages.push((
                format!("alerts-overdue.{}", first.id),
                MessageTemplate::AlertsOverdue,
                format!("{base}/alerts"),
            ));
        }
        for (key, template, link) in &messages {
            let overdue = |to: &Recipient| Notification {
                to: to.clone(),
                template: *template,
                link: Some(link.clone()),
                service: Some(service),
                patient: None,
                appointment: None,
            };
            for (who, to) in &recipients {
                let key = IdempotencyKey::from_parts(&[key, who])?;
                self.app
                    .jobs()
                    .enqueue_notification(tx, &key, overdue(to))
                    .await?;
                // The duty phone's text, not reported delivered in time, goes
                // to the duty email too (issue 15: an escalation not delivered
                // within 5 minutes falls back to the next channel).
                if let (Recipient::Sms(_), Some(email)) = (to, &monitoring.escalation.duty_email) {
                    let check = IdempotencyKey::from_parts(&[key.as_str(), "check"])?;
                    let job = Job::Fallback {
                        after: key.as_str().to_string(),
                        then: overdue(&Recipient::Email(email.clone())),
                    };
                    let at = now + ESCALATION_FALLBACK;
                    self.app.jobs().enqueue_at(tx, &check, &job, at).await?;
                }
            }
        }
        Ok(())
    }

    /// Recomputes expected trajectories that are missing or a day old, for
    /// every service and routine measure. Returns how many were computed.
    pub async fn refresh_expected_trajectories(&self) -> Result<u32, AppError> {
        let now = self.app.clock.now();
        let mut tx = self.app.store.read().await?;
        let services = tx.list_services().await?;
        tx.rollback().await?;
        let mut computed = 0;
        for service in services {
            for instrument in &self.app.settings.routine_measures {
                if self.refresh_trajectory(service.id, instrument, now).await? {
                    computed += 1;
                }
            }
        }
        Ok(computed)
    }

    async fn refresh_trajectory(
        &self,
        service: ServiceId,
        instrument: &str,
        now: Timestamp,
    ) -> Result<bool, AppError> {
        let Some(inst) = self.app.catalogue.get(instrument) else {
            return Ok(false);
        };
        let mut tx = self.app.store.begin().await?;
        let fresh = tx
            .expected_trajectories(service, instrument)
            .await?
            .is_some_and(|(_, at)| now.as_second() - at.as_second() < TRAJECTORY_AGE_SECONDS);
        if fresh {
            tx.rollback().await?;
            return Ok(false);
        }
        let monitoring = self.settings_for(&mut tx, service).await?;
        let config = &monitoring.detectors.not_on_track;
        let episodes = tx
            .finished_episodes(service, instrument, TRAJECTORY_EPISODES)
            .await?;
        let trajectories: Vec<Vec<SessionScore>> = episodes
            .iter()
            .map(|e| {
                let screening = e
                    .screening_answers
                    .as_deref()
                    .and_then(|answers| bothy_domain::instruments::score(inst, answers).ok())
                    .map(|s| s.total);
                screening
                    .into_iter()
                    .chain(e.totals.iter().copied())
                    .zip(1..)
                    .map(|(total, session)| SessionScore { session, total })
                    .collect()
            })
            .collect();
        let slices: Vec<&[SessionScore]> = trajectories.iter().map(Vec::as_slice).collect();
        let expected = ExpectedTrajectories::from_episodes(
            inst,
            &slices,
            config.min_episodes,
            config.percentile,
        );
        let json = serde_json::to_string(&expected).map_err(AppError::internal)?;
        tx.put_expected_trajectories(service, instrument, &json, now)
            .await?;
        tx.commit().await?;
        self.forget_expected_trajectories(service);
        Ok(true)
    }

    /// Runs a submission's history detectors again (the re-evaluation job).
    pub(crate) async fn reevaluate(
        &self,
        patient_id: PatientId,
        submission: &Trigger,
    ) -> Result<(), AppError> {
        let mut tx = self.app.store.begin().await?;
        let Some(patient) = tx.patient(patient_id).await? else {
            tx.rollback().await?;
            return Ok(());
        };
        let monitoring = self.settings_for(&mut tx, patient.service_id).await?;
        let signals = match submission {
            Trigger::MeasureResponse { id } => {
                let response = match id.parse() {
                    Ok(id) => tx
                        .measure_response(id)
                        .await?
                        .filter(|r| r.patient_id == patient_id),
                    Err(_) => None,
                };
                let Some(inst) = response.and_then(|r| self.app.catalogue.get(&r.instrument_id))
                else {
                    tx.rollback().await?;
                    return Ok(());
                };
                let episode = tx.open_episode_id(patient.id).await?;
                let key = episode.map(|e| e.to_string()).unwrap_or_default();
                let summaries = tx.score_summaries(patient.id, &key).await?;
                let expected = self
                    .expected_trajectories(patient.service_id, &inst.id)
                    .await;
                match summaries.iter().find(|s| s.instrument_id == inst.id) {
                    Some(summary) => crate::detection::history_signals(
                        &monitoring,
                        inst,
                        summary,
                        expected.as_deref(),
                    ),
                    None => Vec::new(),
                }
            }
            Trigger::CheckIn { .. } => match tx.mood_summary(patient.id).await? {
                Some(moods) => bothy_domain::detectors::mood_drop::detect_moods(
                    &moods.moods,
                    &monitoring.detectors.mood_drop,
                ),
                None => Vec::new(),
            },
        };
        let source = (submission.kind(), submission.id());
        let ctx = RequestContext::default();
        self.app
            .alerts()
            .raise(&mut tx, &Actor::System, &patient, &signals, source, &ctx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
