//! Safety plans: the patient writes and edits theirs; their care team reads
//! it; after a low check-in the person is offered what has helped before.

use crate::{Actor, App, AppError, AuditEvent, FieldError, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::audit::Action;
use bothy_domain::audit::ActorKind;
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::safety_plan::{
    SafetyPlan, SafetyPlanText, StoredSafetyPlan, Suggestion, coping_suggestions,
};

/// The most suggestions shown after a low check-in: a short list is easier
/// to take in when someone is struggling.
pub const SUGGESTIONS_MAX: usize = 5;

/// Safety plans: a person's own plan, versioned, and what they might try now.
pub struct SafetyPlans<'a> {
    pub(crate) app: &'a App,
}

impl SafetyPlans<'_> {
    /// Saves the signed-in patient's plan as a new version, with its audit
    /// event, in one transaction. Only the patient writes their own plan.
    pub async fn save(
        &self,
        actor: &Actor,
        input: SafetyPlanText,
        ctx: &RequestContext,
    ) -> Result<StoredSafetyPlan, AppError> {
        let Actor::Patient(p) = actor else {
            return Err(AppError::Forbidden);
        };
        let plan = SafetyPlan::parse(&input).map_err(|errors| {
            AppError::Invalid(
                errors
                    .into_iter()
                    .map(|(field, message)| FieldError {
                        field: field.to_string(),
                        message,
                    })
                    .collect(),
            )
        })?;
        let now = self.app.clock.now();
        let mut work = self.app.change(actor, ctx).await?;
        let patient = work.patient(p.id).await?;
        let by = patient.id.to_string();
        let version = work
            .tx()
            .insert_safety_plan_version(
                patient.id,
                patient.service_id,
                &plan,
                now,
                ActorKind::Patient.as_str(),
                Some(&by),
            )
            .await?;
        let event = AuditEvent::new(Action::SafetyPlanSaved)
            .patient(patient.id)
            .service(patient.service_id)
            .detail(format!("version {version}"))
            .record(
                RecordKind::SafetyPlanVersion,
                bothy_domain::audit::digest::safety_plan_version_id(&by, version),
            );
        work.audit(event).await?;
        work.finish().await?;
        Ok(StoredSafetyPlan {
            patient_id: patient.id,
            service_id: patient.service_id,
            version,
            plan,
            saved_at: now,
            saved_by_kind: ActorKind::Patient.as_str().to_string(),
            saved_by_id: Some(by),
        })
    }

    /// A patient's current plan, for the patient themself or staff who may
    /// see them. Audited (committed) before returning.
    pub async fn current(
        &self,
        actor: &Actor,
        patient_id: PatientId,
        ctx: &RequestContext,
    ) -> Result<Option<StoredSafetyPlan>, AppError> {
        if !matches!(actor, Actor::Patient(_) | Actor::Staff(_)) {
            return Err(AppError::Forbidden);
        }
        let mut work = self.app.look(actor, ctx).await?;
        let patient = work.patient(patient_id).await?;
        let plan = work.tx().current_safety_plan(patient.id).await?;
        let detail = match &plan {
            Some(s) => format!("version {}", s.version),
            None => "none".to_string(),
        };
        let event = AuditEvent::new(Action::SafetyPlanRead)
            .patient(patient.id)
            .service(patient.service_id)
            .detail(detail);
        work.audit(event).await?;
        work.finish().await?;
        Ok(plan)
    }

    /// What the signed-in patient might try now, from their own plan (and,
    /// when self-help tools arrive, the tools they rated helpful). `None`
    /// when they have no plan yet, so the page can suggest writing one.
    pub async fn coping_suggestions(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
    ) -> Result<Option<Vec<Suggestion>>, AppError> {
        let Actor::Patient(p) = actor else {
            return Err(AppError::Forbidden);
        };
        let plan = self.current(actor, p.id, ctx).await?;
        // No tools yet: their ratings arrive with the self-help programme.
        let helpful_tools: &[&str] = &[];
        Ok(plan.map(|s| coping_suggestions(&s.plan, helpful_tools, SUGGESTIONS_MAX)))
    }
}
