//! What the FHIR referral endpoints need beyond [`App::submit_referral`]:
//! the existing patient a ServiceRequest names as its subject, and a stored
//! referral read back by an API client. Both are audited reads, committed
//! before anything is returned.

use crate::referrals::Referrals;
use crate::{Actor, AppError, AuditEvent, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::audit::Action;
use bothy_domain::ids::ReferralId;
use bothy_domain::model::Patient;
use bothy_domain::referral::as_sent::AsSent;
use bothy_domain::referral::{Channel, Details, Referral, Source, Status};
use bothy_domain::role::ApiPermission;
pub use bothy_store::ReferralSearch;

/// An existing patient named as a referral's subject, with the identifiers
/// triage matching compares.
#[derive(Debug, Clone)]
pub struct ReferralSubject {
    pub patient: Patient,
    pub nhs_number: Option<String>,
    pub chi: Option<String>,
    pub postcode: Option<String>,
}

impl ReferralSubject {
    /// Writes the person's details into a referral's. The referral stays a
    /// new one: triage sees this record as a matching candidate (same
    /// identifiers, name and date of birth) and a clinician confirms it;
    /// nothing is merged automatically.
    pub fn fill(&self, d: &mut Details) {
        let p = &self.patient;
        d.given_name = Some(p.given_name.to_string());
        d.family_name = Some(p.family_name.to_string());
        d.date_of_birth = Some(p.date_of_birth.date());
        d.email = p.email.as_ref().map(ToString::to_string);
        d.phone = p.phone.as_ref().map(ToString::to_string);
        let mobile = p.phone.as_ref().is_some_and(|n| n.is_uk_mobile());
        // A landline alone is kept (staff can phone); no message channel.
        d.preferred_channel = match (&p.email, mobile) {
            (Some(_), _) => Some(Channel::Email),
            (None, true) => Some(Channel::Sms),
            (None, false) => None,
        };
        d.nhs_number = self.nhs_number.clone();
        d.chi = self.chi.clone();
        d.postcode = self.postcode.clone();
    }
}

fn api_client(actor: &Actor) -> Result<&crate::policy::ApiActor, AppError> {
    match actor {
        Actor::Api(a) => Ok(a),
        _ => Err(AppError::Forbidden),
    }
}

impl Referrals<'_> {
    /// The patient `id`, for an API client referring them by reference.
    /// The client needs `referral.create` and `patient.read` (referring a
    /// record means reading it) for the patient's service; a patient of
    /// another service answers exactly like a missing one: `NotFound`.
    pub async fn fhir_subject(
        &self,
        actor: &Actor,
        id: PatientId,
        ctx: &RequestContext,
    ) -> Result<ReferralSubject, AppError> {
        let a = api_client(actor)?;
        if !a.permissions.contains(&ApiPermission::ReferralCreate) {
            return Err(AppError::Forbidden);
        }
        if !a.permissions.contains(&ApiPermission::PatientRead) {
            return Err(AppError::NotFound);
        }
        let mut tx = self.app.store.begin().await?;
        let patient = tx
            .patient(id)
            .await?
            .filter(|p| p.service_id == a.service_id)
            .ok_or(AppError::NotFound)?;
        let dob = patient.date_of_birth.to_string();
        let identity = tx
            .match_candidates(a.service_id, None, None, Some(&dob))
            .await?
            .into_iter()
            .find(|c| c.id == id);
        let event = AuditEvent::new(Action::PatientRead)
            .patient(id)
            .service(a.service_id)
            .detail("subject of a referral");
        self.app.audit(&mut tx, actor, ctx, event).await?;
        tx.commit().await?;
        Ok(ReferralSubject {
            patient,
            nhs_number: identity.as_ref().and_then(|i| i.nhs_number.clone()),
            chi: identity.as_ref().and_then(|i| i.chi.clone()),
            postcode: identity.and_then(|i| i.postcode),
        })
    }

    /// A referral of the client's service, read back as a ServiceRequest.
    /// With `referral.read` any sent referral of the service; with only
    /// `referral.create`, the referrals this client sent itself (not other
    /// systems', nor forms'). Drafts are never shown. Anything else is
    /// `NotFound`, exactly like a referral that does not exist.
    pub async fn for_client(
        &self,
        actor: &Actor,
        id: ReferralId,
        ctx: &RequestContext,
    ) -> Result<(Referral, Option<AsSent>), AppError> {
        let a = api_client(actor)?;
        let reads_all = a.permissions.contains(&ApiPermission::ReferralRead);
        let refers = a.permissions.contains(&ApiPermission::ReferralCreate);
        if !(reads_all || refers) {
            return Err(AppError::Forbidden);
        }
        let mut tx = self.app.store.begin().await?;
        let referral = tx
            .referral(id)
            .await?
            .filter(|r| r.service_id == a.service_id && r.status != Status::Draft)
            .ok_or(AppError::NotFound)?;
        if !reads_all
            && (referral.source != Source::Fhir || tx.referral_api_client(id).await? != Some(a.id))
        {
            return Err(AppError::NotFound);
        }
        let sent = tx.referral_as_sent(id).await?;
        let mut event = AuditEvent::new(Action::ReferralRead).service(a.service_id);
        if let Some(p) = referral.patient_id {
            event = event.patient(p);
        }
        self.app
            .audit(&mut tx, actor, ctx, event.detail(format!("referral {id}")))
            .await?;
        tx.commit().await?;
        Ok((referral, sent))
    }

    /// Referrals of the client's service matching `q`, newest first, under
    /// the same rule as [`Self::for_client`]: with `referral.read` every
    /// sent referral of the service, with only `referral.create` those this
    /// client sent. The service and sender are set here, whatever `q`
    /// says. One audit event records the search and the patients found
    /// (up to 20 named; the count always).
    pub async fn search_for_client(
        &self,
        actor: &Actor,
        mut q: ReferralSearch,
        ctx: &RequestContext,
    ) -> Result<Vec<(Referral, Option<AsSent>)>, AppError> {
        let a = api_client(actor)?;
        let reads_all = a.permissions.contains(&ApiPermission::ReferralRead);
        let refers = a.permissions.contains(&ApiPermission::ReferralCreate);
        if !(reads_all || refers) {
            return Err(AppError::Forbidden);
        }
        q.service = Some(a.service_id);
        q.sent_by = (!reads_all).then_some(a.id);
        let mut tx = self.app.store.begin().await?;
        let found = tx.search_referrals(&q).await?;
        let named: Vec<String> = found
            .iter()
            .take(20)
            .map(|(r, _)| r.id.to_string())
            .collect();
        let event = AuditEvent::new(Action::ReferralRead)
            .service(a.service_id)
            .detail(format!(
                "referral search: {} found{}{}",
                found.len(),
                if named.is_empty() { "" } else { ": " },
                named.join(" ")
            ));
        self.app.audit(&mut tx, actor, ctx, event).await?;
        tx.commit().await?;
        Ok(found)
    }
}
