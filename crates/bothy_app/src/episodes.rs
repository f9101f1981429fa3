//! Episodes of care after triage: the waiting list against the waiting-time
//! standards, treatment contacts (the first stops the referral-to-treatment
//! clock) and discharge with the episode's NHS Talking Therapies outcome.

use crate::triage::triage_staff;
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::audit::Action;
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::ids::EpisodeId;
use bothy_domain::model::Patient;
use bothy_domain::referral::{Episode, rtt};
use bothy_domain::text::{self, Lines};
use bothy_domain::time::Timestamp;
use bothy_store::Tx;

/// One person on the waiting list.
#[derive(Debug, Clone)]
pub struct WaitingEntry {
    pub episode: Episode,
    pub patient: Patient,
    pub weeks_waited: i64,
    pub over_6_weeks: bool,
    pub over_18_weeks: bool,
    /// Open alerts of moderate severity or above (risk, deterioration).
    pub open_flags: usize,
    /// The referral that brought them had a risk answer or risky words.
    pub risk_at_referral: bool,
}

#[derive(Debug, Clone)]
pub struct WaitingList {
    pub entries: Vec<WaitingEntry>,
    /// Shares of completed waits in the last year within each standard.
    pub within_6_weeks: Option<f64>,
    pub within_18_weeks: Option<f64>,
    pub completed_waits: u64,
}

/// Counts a treatment contact at `at` in the patient's open episode, if
/// they have one, with its audit event: the first stops the
/// referral-to-treatment clock. The one way a supported review or an
/// attended appointment counts; `what` names it in the event.
pub(crate) async fn count_treatment_contact(
    work: &mut crate::work::Work<'_>,
    patient: &Patient,
    at: Timestamp,
    what: String,
) -> Result<bool, AppError> {
    let Some(episode) = work.tx().open_episode_id(patient.id).await? else {
        return Ok(false);
    };
    if !work.tx().record_treatment_contact(episode, at).await? {
        return Ok(false);
    }
    work.audit(
        AuditEvent::new(Action::EpisodeTreatmentContact)
            .patient(patient.id)
            .service(patient.service_id)
            .detail(format!("episode {episode}: {what}"))
            .record(RecordKind::Episode, episode),
    )
    .await?;
    Ok(true)
}

/// Episodes of care: the waiting list, treatment contacts, discharge.
pub struct Episodes<'a> {
    pub(crate) app: &'a App,
}

impl Episodes<'_> {
    /// The waiting list: open episodes not yet in treatment, people with open
    /// risk or deterioration alerts or risk at referral first, then longest
    /// waiting. Audited.
    pub async fn waiting_list(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
    ) -> Result<WaitingList, AppError> {
        let s = triage_staff(actor)?;
        let now = self.app.clock.now();
        let mut work = self.app.look(actor, ctx).await?;
        let tx = work.tx();
        let episodes = tx.waiting_episodes(s.service_id, 500).await?;
        let ids: Vec<PatientId> = episodes.iter().map(|e| e.patient_id).collect();
        let mut patients = tx.patients_by_ids(&ids).await?;
        // Risk and deterioration move people up; a low alert (a missed
        // check-in) does not.
        let flags = tx
            .open_alert_counts(&ids, bothy_domain::alerts::Severity::Moderate)
            .await?;
        let risky = tx.risk_at_referral(&ids).await?;
        let mut entries = Vec::with_capacity(episodes.len());
        for e in episodes {
            let Some(patient) = patients.remove(&e.patient_id) else {
                continue;
            };
            let open_flags =
                usize::try_from(flags.get(&e.patient_id).copied().unwrap_or(0)).unwrap_or(0);
            entries.push(WaitingEntry {
                weeks_waited: rtt::weeks_waited(e.referred_at, now),
                over_6_weeks: rtt::breaches(e.referred_at, now, rtt::ENGLAND_6_WEEKS),
                over_18_weeks: rtt::breaches(e.referred_at, now, rtt::SCOTLAND_18_WEEKS),
                risk_at_referral: risky.contains_key(&e.patient_id),
                episode: e,
                patient,
                open_flags,
            });
        }
        let since =
            Timestamp::from_second(now.as_second() - 365 * 86_400).unwrap_or(Timestamp::UNIX_EPOCH);
        let waits = work.tx().completed_waits(s.service_id, since).await?;
        let event =
            AuditEvent::new(Action::WaitingListRead).detail(format!("{} people", entries.len()));
        work.audit(event).await?;
        work.finish().await?;
        let flagged = |e: &WaitingEntry| e.open_flags > 0 || e.risk_at_referral;
        entries.sort_by(|a, b| {
            flagged(b)
                .cmp(&flagged(a))
                .then(a.episode.referred_at.cmp(&b.episode.referred_at))
        });
        Ok(WaitingList {
            entries,
            within_6_weeks: waits.share_within(rtt::ENGLAND_6_WEEKS),
            within_18_weeks: waits.share_within(rtt::SCOTLAND_18_WEEKS),
            completed_waits: waits.count(),
        })
    }

    /// Records a treatment contact in an episode; the first stops the RTT clock.
    pub async fn record_contact(
        &self,
        actor: &Actor,
        id: EpisodeId,
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        let mut tx = self.app.store.begin().await?;
        let (episode, patient) = self.episode_for_staff(&mut tx, actor, id).await?;
        if !tx
            .record_treatment_contact(episode.id, self.app.clock.now())
            .await?
        {
            return Err(AppError::Conflict("This episode has ended".into()));
        }
        self.commit_audited(
            tx,
            actor,
            ctx,
            Action::EpisodeTreatmentContact,
            &patient,
            id,
        )
        .await?;
        Ok(())
    }

    /// Appends the audit event of a write of episode `id` and commits.
    async fn commit_audited(
        &self,
        mut tx: Tx,
        actor: &Actor,
        ctx: &RequestContext,
        action: Action,
        patient: &Patient,
        id: EpisodeId,
    ) -> Result<(), AppError> {
        let event = AuditEvent::new(action)
            .patient(patient.id)
            .service(patient.service_id)
            .detail(format!("episode {id}"))
            .record(RecordKind::Episode, id);
        self.app.audit(&mut tx, actor, ctx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn episode_for_staff(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: EpisodeId,
    ) -> Result<(Episode, Patient), AppError> {
        let episode = tx.episode(id).await?.ok_or(AppError::NotFound)?;
        let patient = tx
            .patient(episode.patient_id)
            .await?
            .filter(|p| crate::policy::can_view_patient(actor, p))
            .ok_or(AppError::NotFound)?;
        Ok((episode, patient))
    }

    /// Discharges an episode with a reason and computes its NHS Talking
    /// Therapies outcome from the measures taken during it.
    pub async fn discharge(
        &self,
        actor: &Actor,
        id: EpisodeId,
        reason: &str,
        ctx: &RequestContext,
    ) -> Result<bothy_domain::outcomes::Outcome, AppError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(AppError::field(
                "reason",
                "Give the reason for discharge (up to 500 characters)",
            ));
        }
        if let Err(e) = text::check(reason, Lines::Many) {
            return Err(AppError::field(
                "reason",
                e.message("The reason", Lines::Many),
            ));
        }
        let now = self.app.clock.now();
        let mut tx = self.app.store.begin().await?;
        let (episode, patient) = self.episode_for_staff(&mut tx, actor, id).await?;
        if episode.discharged_at.is_some() {
            return Err(AppError::Conflict("This episode has already ended".into()));
        }
        // The episode's first and last scores on each instrument, as the
        // service's outcome reports read them.
        let summaries = tx.score_summaries(patient.id, &id.to_string()).await?;
        let input = bothy_domain::outcomes::episode_from_summaries(
            id.to_string(),
            episode.problem_descriptor,
            episode.treatment_appointments,
            &summaries,
        );
        let outcome =
            bothy_domain::outcomes::classify(&input, &self.app.catalogue, &Default::default());
        let json = serde_json::to_string(&outcome).map_err(AppError::internal)?;
        let counted = (
            bothy_domain::outcomes::OutcomeFlags::of(&outcome),
            bothy_domain::outcomes::rules_fingerprint(&self.app.catalogue),
        );
        if !tx
            .discharge_episode(id, now, reason, &json, (counted.0, &counted.1))
            .await?
        {
            // Discharged by someone else between our read and our write.
            return Err(AppError::Conflict("This episode has already ended".into()));
        }
        self.commit_audited(tx, actor, ctx, Action::EpisodeDischarged, &patient, id)
            .await?;
        Ok(outcome)
    }
}
