//! Reading patient records. Every read writes its audit event and commits
//! it before the data is returned, so nothing is shown that was not recorded.

use crate::policy::Permission;
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::audit::Action;
use bothy_domain::model::{Patient, Service};

/// How many patients a list page shows at most.
pub const LIST_LIMIT: i64 = 50;

/// The staff home page's content.
#[derive(Debug, Clone)]
pub struct StaffHome {
    pub service: Service,
    /// The patients this person may open: their caseload, or the service's patients.
    pub patients: Vec<Patient>,
    /// Whether `patients` is the person's own caseload (rather than the whole service).
    pub own_caseload: bool,
    pub may_see_patients: bool,
    /// Every service this person holds a role in, for switching between them.
    pub services: Vec<Service>,
}

/// Aggregate figures for a service: counts only, never individuals.
#[derive(Debug, Clone)]
pub struct ServiceFigures {
    pub service: Service,
    pub patients: i64,
    /// NHS Talking Therapies outcomes of the episodes discharged in the
    /// last 365 days.
    pub outcomes: bothy_domain::outcomes::Tally,
}

impl App {
    /// The service `slug` names, if the staff member holds a role there;
    /// the session then works in that service.
    pub async fn choose_service(
        &self,
        actor: &Actor,
        slug: &str,
    ) -> Result<bothy_domain::ServiceId, AppError> {
        let Actor::Staff(s) = actor else {
            return Err(AppError::Forbidden);
        };
        let mut tx = self.store.read().await?;
        let service = tx.service_by_slug(slug).await?;
        tx.rollback().await?;
        service
            .filter(|svc| s.grants.iter().any(|g| g.service_id == svc.id))
            .map(|svc| svc.id)
            .ok_or_else(|| AppError::field("service", "Choose one of your services"))
    }

    /// One patient's record, if `actor` may see it. Anything else is
    /// `NotFound`, exactly as for a record that does not exist.
    pub async fn view_patient(
        &self,
        actor: &Actor,
        id: PatientId,
        ctx: &RequestContext,
    ) -> Result<Patient, AppError> {
        let mut work = self.look(actor, ctx).await?;
        let patient = work.patient(id).await?;
        work.audit(
            AuditEvent::new(Action::PatientRead)
                .patient(id)
                .service(patient.service_id),
        )
        .await?;
        work.finish().await?;
        Ok(patient)
    }

    /// The staff home: caseload or service list. Audited as one list event.
    pub async fn staff_home(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
    ) -> Result<StaffHome, AppError> {
        let Actor::Staff(s) = actor else {
            return Err(AppError::Forbidden);
        };
        let mut tx = self.store.begin().await?;
        let service = tx
            .service_by_id(s.service_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let (patients, own) = if s.has(Permission::AllPatients) {
            (
                tx.patients_of_service(s.service_id, LIST_LIMIT).await?,
                false,
            )
        } else if s.has(Permission::OwnCaseload) {
            (tx.caseload(s.service_id, s.id, LIST_LIMIT).await?, true)
        } else {
            (Vec::new(), false)
        };
        if !patients.is_empty() {
            let event =
                AuditEvent::new(Action::PatientList).detail(format!("{} patients", patients.len()));
            self.audit(&mut tx, actor, ctx, event).await?;
        }
        let mut services = Vec::new();
        for g in &s.grants {
            if !services.iter().any(|x: &Service| x.id == g.service_id)
                && let Some(svc) = tx.service_by_id(g.service_id).await?
            {
                services.push(svc);
            }
        }
        tx.commit().await?;
        Ok(StaffHome {
            services,
            service,
            patients,
            own_caseload: own,
            may_see_patients: s.has(Permission::AllPatients) || s.has(Permission::OwnCaseload),
        })
    }

    /// Aggregate figures for the actor's service.
    pub async fn service_figures(&self, actor: &Actor) -> Result<ServiceFigures, AppError> {
        let service_id = match actor {
            Actor::Staff(s) if s.has(Permission::Reports) => s.service_id,
            Actor::Api(a)
                if a.permissions
                    .contains(&bothy_domain::role::ApiPermission::ReportsRead) =>
            {
                a.service_id
            }
            _ => return Err(AppError::Forbidden),
        };
        let mut tx = self.store.read().await?;
        let service = tx
            .service_by_id(service_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let patients = tx.count_patients(service_id).await?;
        tx.rollback().await?;
        let now = self.clock.now();
        let year_ago = now
            .checked_sub(std::time::Duration::from_secs(365 * 86_400))
            .unwrap_or(now);
        let outcomes = self.outcome_tally(service_id, year_ago, now).await?;
        Ok(ServiceFigures {
            service,
            patients,
            outcomes,
        })
    }
}
