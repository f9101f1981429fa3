//! Completing and reading validated measures. A submission is scored, stored,
//! audited and, if an item signals risk, flagged, all in one transaction.

use crate::policy::{Permission, can_view_patient};
use crate::{Actor, App, AppError, AuditEvent, FieldError, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::audit::Action;
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::detectors::risk_item;
use bothy_domain::ids::ResponseId;
use bothy_domain::instruments::Instrument;
use bothy_domain::instruments::score::{ScoreError, risk_flags, score};
use bothy_domain::model::{MeasureResponse, Patient, ResponseSource};
use bothy_domain::role::ApiPermission;
use bothy_domain::time::Timestamp;

/// A completed form or QuestionnaireResponse, before scoring.
#[derive(Debug, Clone)]
pub struct Submission {
    pub instrument_id: String,
    /// The instrument version the person saw, if the sender says; a version
    /// that no longer exists is refused rather than scored by today's rules.
    pub version: Option<String>,
    pub answers: Vec<Option<i32>>,
    pub idempotency_key: String,
    pub source: ResponseSource,
}

/// How far a response's `authored` may be ahead of our clock: the sender's
/// clock may run a little fast, but a later time is a mistake.
pub const AUTHORED_SKEW: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// A stored response; `duplicate` when the same submission arrived before.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub response: MeasureResponse,
    pub duplicate: bool,
}

/// A measure the patient is asked to complete now.
#[derive(Debug, Clone)]
pub struct DueMeasure {
    pub instrument_id: String,
    pub short_name: String,
    pub name: String,
    pub last_completed: Option<Timestamp>,
    pub has_draft: bool,
}

/// One instrument's history for one patient, oldest first.
#[derive(Debug, Clone)]
pub struct History {
    pub instrument: Instrument,
    pub responses: Vec<MeasureResponse>,
}

/// Turns a scoring error into messages next to the right question.
fn score_errors(inst: &Instrument, e: ScoreError) -> AppError {
    match e {
        ScoreError::WrongNumberOfAnswers { expected, got } => AppError::field(
            "answers",
            format!(
                "{} has {expected} questions but {got} answers were sent",
                inst.short_name
            ),
        ),
        ScoreError::NotAnOption { item, value, .. } => AppError::field(
            format!("item-{item}"),
            format!("Question {item}: {value} is not one of its answers"),
        ),
        ScoreError::Incomplete { missing, .. } => AppError::Invalid(
            missing
                .iter()
                .map(|n| FieldError {
                    field: format!("item-{n}"),
                    message: format!("Answer question {n}"),
                })
                .collect(),
        ),
        ScoreError::NoConversion { .. } => AppError::internal(e),
    }
}

/// Validated measures: completing one (form or FHIR), drafts, what is due, reading responses.
pub struct Measures<'a> {
    pub(crate) app: &'a App,
}

impl<'a> Measures<'a> {
    pub fn instrument(&self, id: &str) -> Result<&'a Instrument, AppError> {
        self.app.catalogue.get(id).ok_or(AppError::NotFound)
    }

    /// Whether `actor` may record answers for `patient`: the patient themself,
    /// their clinicians, or an API client allowed to write measures.
    fn may_submit_for(actor: &Actor, patient: &Patient) -> bool {
        match actor {
            Actor::Patient(p) => p.id == patient.id,
            Actor::Staff(_) => can_view_patient(actor, patient),
            Actor::Api(a) => {
                a.service_id == patient.service_id
                    && a.permissions.contains(&ApiPermission::MeasuresWrite)
            }
            _ => false,
        }
    }

    pub async fn submit(
        &self,
        actor: &Actor,
        patient_id: PatientId,
        sub: Submission,
        ctx: &RequestContext,
    ) -> Result<Submitted, AppError> {
        self.submit_authored(actor, patient_id, sub, None, ctx)
            .await
    }

    /// As [`Self::submit`], for a response completed at `authored_at` (as
    /// its sender says) rather than on receipt. A time later than now, by
    /// more than [`AUTHORED_SKEW`] of clock difference, is refused.
    pub async fn submit_authored(
        &self,
        actor: &Actor,
        patient_id: PatientId,
        sub: Submission,
        authored_at: Option<Timestamp>,
        ctx: &RequestContext,
    ) -> Result<Submitted, AppError> {
        if let Some(at) = authored_at {
            let latest = self
                .app
                .clock
                .now()
                .checked_add(AUTHORED_SKEW)
                .unwrap_or(Timestamp::MAX);
            if at > latest {
                return Err(AppError::field(
                    "authored",
                    "authored is in the future: give the time the person completed the measure",
                ));
            }
        }
        let inst = self.app.catalogue.get(&sub.instrument_id).ok_or_else(|| {
            AppError::field(
                "instrument",
                format!("There is no measure called {:?}", sub.instrument_id),
            )
        })?;
        if let Some(v) = &sub.version
            && v != &inst.version
        {
            return Err(AppError::field(
                "version",
                format!(
                    "{} version {v:?} no longer exists; the current version is {}",
                    inst.short_name, inst.version
                ),
            ));
        }
        let key = sub.idempotency_key.trim();
        if key.is_empty() || key.len() > 100 {
            return Err(AppError::field(
                "idempotency_key",
                "Each submission needs a key of 1 to 100 characters",
            ));
        }
        let scored = match score(inst, &sub.answers) {
            Ok(scored) => scored,
            Err(e) => {
                // A risk answer acts even when the rest cannot be scored: the
                // flag is recorded before the form comes back with its errors.
                if !risk_flags(inst, &sub.answers).is_empty() {
                    self.flag_unsent_risk(actor, patient_id, inst, &sub.answers, key, ctx)
                        .await?;
                }
                return Err(score_errors(inst, e));
            }
        };
        // Read before the transaction, from a cache: the not-on-track rule's
        // comparison for the actor's service (the patient's, once checked).
        let expected = match actor.service_id() {
            Some(service) => {
                self.app
                    .monitoring()
                    .expected_trajectories(service, &inst.id)
                    .await
            }
            None => None,
        };
        let now = self.app.clock.now();
        let mut tx = self.app.store.begin().await?;
        let target = tx
            .submission_target(patient_id, &inst.id)
            .await?
            .filter(|t| Self::may_submit_for(actor, &t.patient))
            .ok_or(AppError::NotFound)?;
        let (patient, episode) = (target.patient, target.open_episode);
        let expected = expected.filter(|_| actor.service_id() == Some(patient.service_id));
        let (kind, by) = match actor {
            Actor::Patient(p) => ("patient", Some(p.id.to_string())),
            Actor::Staff(s) => ("staff", Some(s.id.to_string())),
            Actor::Api(a) => ("api_client", Some(a.id.to_string())),
            _ => ("system", None),
        };
        let response = MeasureResponse {
            id: ResponseId::random(),
            patient_id,
            service_id: patient.service_id,
            instrument_id: inst.id.clone(),
            instrument_version: inst.version.clone(),
            answers: sub.answers.clone(),
            total: scored.total,
            raw_total: scored.raw_total,
            band: scored.band.clone(),
            at_caseness: scored.at_caseness,
            prorated: scored.prorated,
            risk_items: scored.risk_items.clone(),
            source: sub.source,
            idempotency_key: key.to_string(),
            submitted_at: now,
            authored_at,
            submitted_by_kind: kind.to_string(),
            submitted_by_id: by,
        };
        if !tx.insert_measure_response(&response).await? {
            // The same submission was stored first (a resent form, or the
            // same one at the same moment): answer with that one.
            let first = tx.measure_response_by_key(patient_id, key).await?;
            tx.rollback().await?;
            let first = first.ok_or_else(|| {
                AppError::internal(std::io::Error::other("a duplicate response went missing"))
            })?;
            return Ok(Submitted {
                response: first,
                duplicate: true,
            });
        }
        let event = AuditEvent::new(Action::MeasureSubmitted)
            .patient(patient_id)
            .service(patient.service_id)
            .detail(format!("{} response {}", inst.id, response.id))
            .record(RecordKind::MeasureResponse, response.id);
        self.app.audit(&mut tx, actor, ctx, event).await?;
        // Alerts are raised in the same transaction as the answers: there is
        // never a stored risk answer without its alert.
        self.app
            .monitoring()
            .detect_on_response(
                &mut tx,
                actor,
                (&patient, episode),
                (inst, &response),
                expected.as_deref(),
                ctx,
            )
            .await?;
        if target.has_draft {
            tx.delete_draft(patient_id, &inst.id).await?;
        }
        tx.commit().await?;
        Ok(Submitted {
            response,
            duplicate: false,
        })
    }

    /// Raises alerts for the risk answers of a submission that could not be
    /// stored (incomplete, or with another invalid answer), with its key as
    /// the source.
    async fn flag_unsent_risk(
        &self,
        actor: &Actor,
        patient_id: PatientId,
        inst: &Instrument,
        answers: &[Option<i32>],
        key: &str,
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        let mut tx = self.app.store.begin().await?;
        let Some(patient) = tx
            .patient(patient_id)
            .await?
            .filter(|p| Self::may_submit_for(actor, p))
        else {
            return Err(AppError::NotFound);
        };
        let monitoring = self
            .app
            .monitoring()
            .settings_for(&mut tx, patient.service_id)
            .await?;
        let signals = risk_item::detect(inst, answers, &monitoring.detectors.risk_item);
        self.app
            .alerts()
            .raise(
                &mut tx,
                actor,
                &patient,
                &signals,
                ("unsent_answers", key),
                ctx,
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Keeps a patient's unfinished answers so they can come back to them.
    pub async fn save_draft(
        &self,
        actor: &Actor,
        instrument_id: &str,
        answers: &[Option<i32>],
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        let Actor::Patient(p) = actor else {
            return Err(AppError::Forbidden);
        };
        let inst = self.instrument(instrument_id)?;
        if answers.len() != inst.items.len() {
            return Err(AppError::field(
                "answers",
                "The form does not match this measure",
            ));
        }
        let mut tx = self.app.store.begin().await?;
        tx.save_draft(p.id, &inst.id, answers, self.app.clock.now())
            .await?;
        let event = AuditEvent::new(Action::MeasureDraftSaved)
            .patient(p.id)
            .detail(inst.id.clone());
        self.app.audit(&mut tx, actor, ctx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The signed-in patient's saved answers for an instrument, if any.
    pub async fn draft(
        &self,
        actor: &Actor,
        instrument_id: &str,
    ) -> Result<Option<Vec<Option<i32>>>, AppError> {
        let Actor::Patient(p) = actor else {
            return Err(AppError::Forbidden);
        };
        let mut tx = self.app.store.read().await?;
        let draft = tx.draft(p.id, instrument_id).await?;
        tx.rollback().await?;
        Ok(draft)
    }

    /// Routine measures the patient has not completed within the interval.
    pub async fn due(&self, actor: &Actor) -> Result<Vec<DueMeasure>, AppError> {
        let Actor::Patient(p) = actor else {
            return Err(AppError::Forbidden);
        };
        let now = self.app.clock.now();
        let mut tx = self.app.store.read().await?;
        let last = tx.last_completed(p.id).await?;
        let mut due = Vec::new();
        for id in &self.app.settings.routine_measures {
            let Some(inst) = self.app.catalogue.get(id) else {
                continue;
            };
            let last_completed = last.iter().find(|(i, _)| i == id).map(|(_, t)| *t);
            let is_due = last_completed.is_none_or(|t| {
                now.duration_since(t).as_secs()
                    >= self.app.settings.measure_interval.as_secs() as i64
            });
            if is_due {
                let has_draft = tx.draft(p.id, id).await?.is_some();
                due.push(DueMeasure {
                    instrument_id: inst.id.clone(),
                    short_name: inst.short_name.clone(),
                    name: inst.name.clone(),
                    last_completed,
                    has_draft,
                });
            }
        }
        tx.rollback().await?;
        Ok(due)
    }

    /// One response and its instrument, for whoever may see the patient. Audited.
    pub async fn response(
        &self,
        actor: &Actor,
        id: ResponseId,
        ctx: &RequestContext,
    ) -> Result<(MeasureResponse, &'a Instrument), AppError> {
        let mut tx = self.app.store.begin().await?;
        let response = tx.measure_response(id).await?.ok_or(AppError::NotFound)?;
        let patient = tx
            .patient(response.patient_id)
            .await?
            .filter(|p| can_view_patient(actor, p))
            .ok_or(AppError::NotFound)?;
        let event = AuditEvent::new(Action::MeasureRead)
            .patient(patient.id)
            .service(patient.service_id);
        self.app
            .audit(&mut tx, actor, ctx, event.detail(format!("response {id}")))
            .await?;
        tx.commit().await?;
        let inst = self.instrument(&response.instrument_id)?;
        Ok((response, inst))
    }

    /// What a conditional create (`If-None-Exist: identifier=...`) finds:
    /// responses stored under `key` for patients `actor` may record measures
    /// for (only `patient`'s, when given), at most `limit`. A single match is
    /// what the client is answered with, so it is audited as a read.
    pub async fn matching_key(
        &self,
        actor: &Actor,
        key: &str,
        patient: Option<PatientId>,
        limit: i64,
        ctx: &RequestContext,
    ) -> Result<Vec<(MeasureResponse, &'a Instrument)>, AppError> {
        let Some(service) = actor.service_id() else {
            return Ok(Vec::new());
        };
        let mut tx = self.app.store.begin().await?;
        let mut found = Vec::new();
        for r in tx
            .measure_responses_by_key(service, key.trim(), patient, limit)
            .await?
        {
            if let Some(p) = tx.patient(r.patient_id).await?
                && Self::may_submit_for(actor, &p)
            {
                found.push((r, p.service_id));
            }
        }
        if let [(r, service)] = found.as_slice() {
            let event = AuditEvent::new(Action::MeasureRead)
                .patient(r.patient_id)
                .service(*service);
            self.app
                .audit(
                    &mut tx,
                    actor,
                    ctx,
                    event.detail(format!("response {}", r.id)),
                )
                .await?;
        }
        tx.commit().await?;
        found
            .into_iter()
            .map(|(r, _)| {
                let inst = self.instrument(&r.instrument_id)?;
                Ok((r, inst))
            })
            .collect()
    }

    /// Whether a staff actor may see measures at all (for navigation).
    pub fn sees_measures(actor: &Actor) -> bool {
        matches!(actor, Actor::Staff(s) if s.has(Permission::AllPatients) || s.has(Permission::OwnCaseload))
    }
}
