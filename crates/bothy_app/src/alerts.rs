//! Alerts: raising them from detector signals (in the caller's transaction),
//! the duty queue, acknowledging and closing with an outcome, and the alert
//! load. Every read and change is audited.

use crate::policy::{Permission, StaffActor, can_view_patient};
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::alerts::{self, AlertLoad, AlertState, Outcome, TransitionError};
use bothy_domain::audit::Action;
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::detectors::Signal;
use bothy_domain::ids::{AlertId, ReferralId};
use bothy_domain::model::{Alert, Patient};
use bothy_domain::referral::Referral;
use bothy_domain::time::Timestamp;
use bothy_domain::{ServiceId, StaffId};
use bothy_store::{AlertSubject, NewAlert, Tx};
use std::collections::HashMap;

/// Whom alerts being raised are about.
struct About {
    subject: AlertSubject,
    patient: Option<PatientId>,
    service: ServiceId,
    assigned_to: Option<StaffId>,
    /// Put before each signal's key.
    key_prefix: String,
}

/// One line of the duty queue.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub alert: Alert,
    pub patient_name: String,
    /// Who acknowledged it, by name.
    pub acknowledged_by: Option<String>,
}

/// The service's open alerts, the earliest deadline first.
#[derive(Debug, Clone)]
pub struct DutyQueue {
    pub items: Vec<QueueItem>,
    /// Whether the service is within its opening hours now.
    pub open_now: bool,
    pub now: Timestamp,
}

/// One alert with what a clinician needs to act on it.
#[derive(Debug, Clone)]
pub struct AlertDetail {
    pub alert: Alert,
    /// The person, once they are a patient (not yet, for an alert on a
    /// referral triage has not accepted).
    pub patient: Option<Patient>,
    /// The referral the alert was raised on, or the one that brought the
    /// patient in: how to reach them (phone, email, preferred channel).
    pub referral: Option<Referral>,
    /// The patient's current safety plan, if they have written one.
    pub safety_plan: Option<bothy_domain::safety_plan::StoredSafetyPlan>,
    /// The person's other alerts, open first, then newest: recent risk history.
    pub history: Vec<Alert>,
    pub acknowledged_by: Option<String>,
    pub closed_by: Option<String>,
    /// Whether this person may acknowledge and close it.
    pub can_act: bool,
}

/// Alert load with staff names, for the load page.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub load: AlertLoad,
    pub names: HashMap<StaffId, String>,
    pub since: Timestamp,
}

fn staff_actor(actor: &Actor) -> Result<&StaffActor, AppError> {
    match actor {
        Actor::Staff(s) => Ok(s),
        _ => Err(AppError::Forbidden),
    }
}

/// An audit event about `alert`, naming its patient when it has one; one
/// that follows a write of the alert carries its digest.
pub(crate) fn alert_event(action: Action, alert: &Alert, detail: String) -> AuditEvent<'_> {
    let event = AuditEvent::new(action)
        .service(alert.service_id)
        .detail(detail)
        .record(RecordKind::Alert, alert.id);
    match alert.patient_id {
        Some(p) => event.patient(p),
        None => event,
    }
}

/// A referral's person by name, for the duty queue.
fn referral_name(r: &Referral) -> String {
    match r.details.full_name().trim() {
        "" => "Someone who has not given their name".to_owned(),
        name => format!("{name} (referral)"),
    }
}

/// Turns a refused transition into words for the person acting.
fn transition_error(e: TransitionError, names: &HashMap<StaffId, String>) -> AppError {
    let name = |id: &StaffId| names.get(id).cloned().unwrap_or_else(|| "someone".into());
    match e {
        TransitionError::OutcomeRequired => AppError::field("outcome", "Choose what was done"),
        TransitionError::ReasonRequired => {
            AppError::field("note", "Say why no action is needed, in the note")
        }
        TransitionError::AlreadyAcknowledged { by, .. } => {
            AppError::Conflict(format!("{} is already dealing with this alert", name(&by)))
        }
        TransitionError::AlreadyClosed { by, .. } => {
            AppError::Conflict(format!("{} has already closed this alert", name(&by)))
        }
        TransitionError::NotAPerson | TransitionError::BeforeAcknowledgement => {
            AppError::internal(e)
        }
    }
}

/// Why a change to an alert was refused, naming whoever acted first
/// (read by id: a large service has thousands of staff).
async fn refusal(tx: &mut Tx, e: TransitionError) -> AppError {
    let by = match &e {
        TransitionError::AlreadyAcknowledged { by, .. }
        | TransitionError::AlreadyClosed { by, .. } => {
            vec![*by]
        }
        _ => Vec::new(),
    };
    match tx.staff_names(&by).await {
        Ok(names) => transition_error(e, &names),
        Err(err) => err.into(),
    }
}

/// The staff an alert names: who acknowledged it and who closed it.
fn named_staff(alert: &Alert) -> impl Iterator<Item = StaffId> + use<> {
    let closer = match alert.state {
        AlertState::Closed { by, .. } => Some(by),
        _ => None,
    };
    alert
        .acknowledged
        .map(|(by, _)| by)
        .into_iter()
        .chain(closer)
}

/// Whether the alert is already closed by `by` with `outcome` (its reason
/// compared as stored, trimmed).
fn closed_as_asked(state: &AlertState, by: StaffId, outcome: Option<&Outcome>) -> bool {
    let AlertState::Closed {
        by: closer,
        outcome: done,
        ..
    } = state
    else {
        return false;
    };
    let same = match (done, outcome) {
        (Outcome::NoActionNeeded { reason: a }, Some(Outcome::NoActionNeeded { reason: b })) => {
            a == b.trim()
        }
        (a, Some(b)) => a == b,
        (_, None) => false,
    };
    *closer == by && same
}

/// Alerts: raising them from detectors' signals, the duty queue, one alert,
/// acknowledging and closing, and the alert load.
pub struct Alerts<'a> {
    pub(crate) app: &'a App,
}

impl Alerts<'_> {
    /// Raises an alert for each signal (or merges it into the open alert
    /// with the same key), in the caller's transaction, with an audit event.
    pub(crate) async fn raise(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        patient: &Patient,
        signals: &[Signal],
        source: (&str, &str),
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        let about = About {
            subject: AlertSubject::Patient(patient.id),
            patient: Some(patient.id),
            service: patient.service_id,
            assigned_to: patient.supporter_id,
            key_prefix: String::new(),
        };
        self.raise_about(tx, actor, &about, signals, source, ctx)
            .await
    }

    /// Raises an alert on a referral nobody has accepted yet, for each of its
    /// signals, in the caller's transaction: it is in the service's duty
    /// queue at once, and gains the patient when triage accepts the
    /// referral. Keys carry the referral's id, so that a person's alerts
    /// from two referrals never merge or collide.
    pub(crate) async fn raise_on_referral(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        referral: &Referral,
        signals: &[Signal],
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        let id = referral.id.to_string();
        let about = About {
            subject: AlertSubject::Referral(referral.id),
            patient: None,
            service: referral.service_id,
            assigned_to: None,
            key_prefix: format!("referral:{id}:"),
        };
        self.raise_about(tx, actor, &about, signals, ("referral", &id), ctx)
            .await
    }

    async fn raise_about(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        about: &About,
        signals: &[Signal],
        (source_kind, source_id): (&str, &str),
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        if signals.is_empty() {
            return Ok(());
        }
        let monitoring = self
            .app
            .monitoring()
            .settings_for(tx, about.service)
            .await?;
        let now = self.app.clock.now();
        for s in signals {
            let dedupe_key = format!("{}{}", about.key_prefix, s.dedupe_key);
            let new = NewAlert {
                id: AlertId::random(),
                subject: about.subject,
                service_id: about.service,
                cause: s.cause,
                dedupe_key: &dedupe_key,
                severity: s.severity,
                summary: &s.summary,
                source_kind,
                source_id,
                assigned_to: about.assigned_to,
                raised_at: now,
                deadline: monitoring.deadline(s.severity, now),
            };
            let (id, fresh) = tx.raise_alert(&new).await?;
            let action = if fresh {
                Action::AlertRaised
            } else {
                Action::AlertRepeated
            };
            let mut event = AuditEvent::new(action)
                .service(about.service)
                .detail(format!(
                    "alert {id} {} {} from {source_kind} {source_id}",
                    s.cause.key(),
                    s.severity
                ))
                .record(RecordKind::Alert, id);
            if let Some(p) = about.patient {
                event = event.patient(p);
            }
            self.app.audit(tx, actor, ctx, event).await?;
        }
        Ok(())
    }

    /// The duty queue of the staff member's current service. Audited.
    pub async fn queue(&self, actor: &Actor, ctx: &RequestContext) -> Result<DutyQueue, AppError> {
        let s = staff_actor(actor)?;
        if !s.has(Permission::DutyQueue) {
            return Err(AppError::Forbidden);
        }
        let now = self.app.clock.now();
        let mut work = self.app.look(actor, ctx).await?;
        let tx = work.tx();
        let monitoring = self.app.monitoring().settings_for(tx, s.service_id).await?;
        let open = tx.open_alerts(s.service_id, 500).await?;
        // The people, the referrals not yet accepted and the staff the
        // alerts name: one statement each, whatever the queue's length.
        let staff: Vec<StaffId> = open.iter().flat_map(named_staff).collect();
        let names = tx.staff_names(&staff).await?;
        let ids: Vec<PatientId> = open.iter().filter_map(|a| a.patient_id).collect();
        let patients = tx.patients_by_ids(&ids).await?;
        let referral_ids: Vec<ReferralId> = open
            .iter()
            .filter(|a| a.patient_id.is_none())
            .filter_map(|a| a.referral_id)
            .collect();
        let referrals = tx.referrals_by_ids(&referral_ids).await?;
        let mut items = Vec::with_capacity(open.len());
        for alert in open {
            let name = match (alert.patient_id, alert.referral_id) {
                (Some(p), _) => patients.get(&p).map(Patient::full_name),
                (None, Some(r)) => referrals.get(&r).map(referral_name),
                (None, None) => None,
            };
            let Some(patient_name) = name else {
                continue;
            };
            items.push(QueueItem {
                acknowledged_by: alert
                    .acknowledged
                    .and_then(|(by, _)| names.get(&by).cloned()),
                patient_name,
                alert,
            });
        }
        let event = AuditEvent::new(Action::AlertQueueRead)
            .service(s.service_id)
            .detail(format!("{} open alerts", items.len()));
        work.audit(event).await?;
        work.finish().await?;
        Ok(DutyQueue {
            items,
            open_now: monitoring.is_open(now),
            now,
        })
    }

    /// Reads an alert the actor may see: duty staff of its service, staff
    /// who may open the patient's record, or (for an alert on a referral
    /// not yet accepted) triage staff of its service.
    async fn visible_alert(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: AlertId,
    ) -> Result<(Alert, Option<Patient>), AppError> {
        let s = staff_actor(actor)?;
        let alert = tx.alert(id).await?.ok_or(AppError::NotFound)?;
        let duty = s.has(Permission::DutyQueue) && alert.service_id == s.service_id;
        let patient = match alert.patient_id {
            Some(p) => Some(tx.patient(p).await?.ok_or(AppError::NotFound)?),
            None => None,
        };
        let allowed = match &patient {
            Some(p) => duty || can_view_patient(actor, p),
            None => duty || (s.has(Permission::Triage) && alert.service_id == s.service_id),
        };
        if !allowed {
            return Err(AppError::NotFound);
        }
        Ok((alert, patient))
    }

    /// One alert, with how to reach the person, their safety plan and their
    /// other alerts. Audited.
    pub async fn detail(
        &self,
        actor: &Actor,
        id: AlertId,
        ctx: &RequestContext,
    ) -> Result<AlertDetail, AppError> {
        let mut tx = self.app.store.begin().await?;
        let (alert, patient) = self.visible_alert(&mut tx, actor, id).await?;
        let names = tx
            .staff_names(&named_staff(&alert).collect::<Vec<_>>())
            .await?;
        let closed_by = match &alert.state {
            AlertState::Closed { by, .. } => names.get(by).cloned(),
            _ => None,
        };
        // The referral it was raised on, else the one behind the open episode.
        let referral_id = match (alert.referral_id, &patient) {
            (Some(r), _) => Some(r),
            (None, Some(p)) => tx.open_episode(p.id).await?.map(|e| e.referral_id),
            (None, None) => None,
        };
        let referral = match referral_id {
            Some(r) => tx.referral(r).await?,
            None => None,
        };
        let (safety_plan, mut history) = match &patient {
            Some(p) => (
                tx.current_safety_plan(p.id).await?,
                tx.patient_alerts(p.id, 11).await?,
            ),
            None => (None, Vec::new()),
        };
        if history.is_empty()
            && let Some(r) = alert.referral_id
        {
            history = tx.referral_alerts(r).await?;
        }
        history.retain(|a| a.id != alert.id);
        history.truncate(10);
        let event = alert_event(Action::AlertRead, &alert, format!("alert {id}"));
        self.app.audit(&mut tx, actor, ctx, event).await?;
        tx.commit().await?;
        Ok(AlertDetail {
            acknowledged_by: alert
                .acknowledged
                .and_then(|(by, _)| names.get(&by).cloned()),
            closed_by,
            can_act: !alert.state.is_closed(),
            alert,
            patient,
            referral,
            safety_plan,
            history,
        })
    }

    /// Records that the staff member has seen the alert and is dealing with
    /// it. Acknowledging again is harmless; someone else's acknowledgement
    /// or a closed alert is a conflict that says who.
    pub async fn acknowledge(
        &self,
        actor: &Actor,
        id: AlertId,
        ctx: &RequestContext,
    ) -> Result<Alert, AppError> {
        let s = staff_actor(actor)?;
        let now = self.app.clock.now();
        let mut tx = self.app.store.begin().await?;
        let (alert, _) = self.visible_alert(&mut tx, actor, id).await?;
        let next = match alert.state.acknowledge(alerts::Actor::Staff(s.id), now) {
            Ok(next) => next,
            Err(e) => return Err(refusal(&mut tx, e).await),
        };
        if next == alert.state {
            tx.rollback().await?;
            return Ok(alert);
        }
        if !tx.acknowledge_alert(id, s.id, now).await? {
            // Someone acted between our read and our write: if it was this
            // person (a double click), the alert is as they wanted it.
            let current = tx.alert(id).await?.ok_or(AppError::NotFound)?;
            let answer = match current.state.acknowledge(alerts::Actor::Staff(s.id), now) {
                Ok(same) if same == current.state => Ok(current),
                Ok(_) => Err(AppError::Conflict("the alert changed; try again".into())),
                Err(e) => Err(refusal(&mut tx, e).await),
            };
            tx.rollback().await?;
            return answer;
        }
        let event = alert_event(Action::AlertAcknowledged, &alert, format!("alert {id}"));
        self.app.audit(&mut tx, actor, ctx, event).await?;
        tx.commit().await?;
        Ok(Alert {
            state: next,
            acknowledged: Some((s.id, now)),
            ..alert
        })
    }

    /// Closes an alert with what was done about it and an optional note of
    /// it (for "no action needed", the reason, which is required).
    pub async fn close(
        &self,
        actor: &Actor,
        id: AlertId,
        outcome: Option<Outcome>,
        note: Option<String>,
        ctx: &RequestContext,
    ) -> Result<Alert, AppError> {
        let s = staff_actor(actor)?;
        let now = self.app.clock.now();
        let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        let mut tx = self.app.store.begin().await?;
        let (alert, _) = self.visible_alert(&mut tx, actor, id).await?;
        if closed_as_asked(&alert.state, s.id, outcome.as_ref()) {
            // A repeat of this person's own closing (a double click).
            tx.rollback().await?;
            return Ok(alert);
        }
        let next = match alert
            .state
            .close(alerts::Actor::Staff(s.id), now, outcome.clone())
        {
            Ok(next) => next,
            Err(e) => return Err(refusal(&mut tx, e).await),
        };
        let AlertState::Closed { outcome, .. } = &next else {
            return Err(AppError::internal(TransitionError::OutcomeRequired));
        };
        if !tx
            .close_alert(id, s.id, now, outcome, note.as_deref())
            .await?
        {
            let current = tx.alert(id).await?.ok_or(AppError::NotFound)?;
            let answer = match &current.state {
                _ if closed_as_asked(&current.state, s.id, Some(outcome)) => Ok(current),
                AlertState::Closed { by, at, .. } => {
                    let refused = TransitionError::AlreadyClosed { by: *by, at: *at };
                    Err(refusal(&mut tx, refused).await)
                }
                _ => Err(AppError::Conflict("the alert changed; try again".into())),
            };
            tx.rollback().await?;
            return answer;
        }
        let event = alert_event(
            Action::AlertClosed,
            &alert,
            format!("alert {id} {}", outcome.as_str()),
        );
        self.app.audit(&mut tx, actor, ctx, event).await?;
        tx.commit().await?;
        let close_note = match outcome {
            Outcome::NoActionNeeded { reason } => Some(reason.clone()),
            _ => note,
        };
        Ok(Alert {
            acknowledged: alert.acknowledged.or(Some((s.id, now))),
            state: next,
            close_note,
            ..alert
        })
    }

    /// Alert load of the staff member's service over the last `days` days:
    /// per service and per clinician. Aggregates only; audited.
    pub async fn load(
        &self,
        actor: &Actor,
        days: u32,
        ctx: &RequestContext,
    ) -> Result<LoadReport, AppError> {
        let s = staff_actor(actor)?;
        if !s.has(Permission::Reports) {
            return Err(AppError::Forbidden);
        }
        let now = self.app.clock.now();
        let since =
            Timestamp::from_second(now.as_second() - i64::from(days.clamp(1, 366)) * 86_400)
                .unwrap_or(Timestamp::UNIX_EPOCH);
        let mut tx = self.app.store.begin().await?;
        let samples = tx.alert_samples(s.service_id, since).await?;
        let clinicians: Vec<StaffId> = samples.iter().filter_map(|a| a.clinician).collect();
        let names = tx.staff_names(&clinicians).await?;
        let event = AuditEvent::new(Action::AlertLoadRead)
            .service(s.service_id)
            .detail(format!("{} alerts since {since}", samples.len()));
        self.app.audit(&mut tx, actor, ctx, event).await?;
        tx.commit().await?;
        Ok(LoadReport {
            load: AlertLoad::compute(&samples, now),
            names,
            since,
        })
    }
}
