//! Signing in and out, second factors, enrolment, and resolving who a
//! session or bearer token belongs to.

use crate::credentials::{token_hash, totp_matching_step, totp_uri};
use crate::policy::{ApiActor, PatientActor, StaffActor};
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::model::{RoleGrant, StaffMember};
use bothy_domain::person::{Email, NewPassword, PersonName};
use bothy_domain::{PatientId, ServiceId, StaffId};
use bothy_store::SessionAccount;

/// Who a password belonged to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedIn {
    /// Staff must give their second factor next.
    StaffNeedsCode(StaffId),
    Patient(PatientId),
}

/// What a pending enrolment shows: the secret to add to an authenticator app.
#[derive(Debug, Clone)]
pub struct EnrolmentPage {
    pub staff_name: String,
    pub email: String,
    pub totp_secret: String,
    pub otpauth_uri: String,
}

/// The actor a member of staff is, working in `service` if they hold a
/// role there (else in their first): None if they are disabled or hold no
/// role at all.
pub fn staff_actor_of(
    member: StaffMember,
    grants: Vec<RoleGrant>,
    service: Option<ServiceId>,
) -> Option<Actor> {
    if member.disabled_at.is_some() {
        return None;
    }
    let service_id = match service.filter(|s| grants.iter().any(|g| g.service_id == *s)) {
        Some(s) => s,
        None => grants.first()?.service_id,
    };
    Some(Actor::Staff(StaffActor {
        id: member.id,
        name: member.name.to_string(),
        grants,
        service_id,
    }))
}

/// The actor a patient is.
pub fn patient_actor_of(id: PatientId, service_id: ServiceId, given_name: &PersonName) -> Actor {
    Actor::Patient(PatientActor {
        id,
        service_id,
        name: given_name.to_string(),
    })
}

/// Accounts: signing in and out, who a session or token belongs to, staff enrolment, passwords.
pub struct Accounts<'a> {
    pub(crate) app: &'a App,
}

impl Accounts<'_> {
    /// Checks an email and password. Throttled per account and per IP; the
    /// same error and a similar time whether or not the account exists.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        ctx: &RequestContext,
    ) -> Result<SignedIn, AppError> {
        if !self.app.throttle.allow(email, ctx.ip) {
            return Err(AppError::TooManyRequests);
        }
        let parsed = Email::parse(email).ok();
        let mut tx = self.app.store.read().await?;
        let (staff, patient) = match &parsed {
            Some(e) => (tx.staff_by_email(e).await?, tx.patient_login(e).await?),
            None => (None, None),
        };
        tx.rollback().await?;
        let (stored_hash, who) = match (staff, patient) {
            (Some(s), _) if s.disabled_at.is_none() && s.totp_secret.is_some() => (
                s.password_hash.clone(),
                Some(SignedIn::StaffNeedsCode(s.id)),
            ),
            (None, Some((p, hash))) => (hash, Some(SignedIn::Patient(p.id))),
            _ => (None, None),
        };
        let ok = self
            .app
            .passwords
            .verify(password, stored_hash.as_deref())
            .await
            .map_err(AppError::internal)?;
        let mut tx = self.app.store.begin().await?;
        let (result, action) = match (ok, who) {
            (true, Some(w)) => {
                self.app.throttle.succeeded(email, ctx.ip);
                (Ok(w), Action::SignInPasswordOk)
            }
            _ => (Err(AppError::SignInRefused), Action::SignInRefused),
        };
        let actor = match result {
            Ok(SignedIn::StaffNeedsCode(id)) => Actor::StaffPending { id },
            Ok(SignedIn::Patient(id)) => self
                .patient_actor_in(&mut tx, id)
                .await?
                .unwrap_or(Actor::Anonymous),
            Err(_) => Actor::Anonymous,
        };
        self.app
            .audit(&mut tx, &actor, ctx, AuditEvent::new(action))
            .await?;
        tx.commit().await?;
        result
    }

    /// Checks a staff member's one-time code; each code works once.
    pub async fn verify_second_factor(
        &self,
        staff: StaffId,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        if !self.app.throttle.allow(&format!("totp:{staff}"), ctx.ip) {
            return Err(AppError::TooManyRequests);
        }
        let mut tx = self.app.store.begin().await?;
        let member = tx
            .staff_by_id(staff)
            .await?
            .ok_or(AppError::SignInRefused)?;
        let secs = u64::try_from(self.app.clock.now().as_second()).unwrap_or(0);
        let step = member
            .totp_secret
            .as_deref()
            .and_then(|s| totp_matching_step(s, code, secs));
        let accepted = match step {
            Some(step) => tx.use_totp_step(staff, step).await?,
            None => false,
        };
        let action = if accepted {
            Action::SignInComplete
        } else {
            Action::SignInCodeRefused
        };
        self.app
            .audit(
                &mut tx,
                &Actor::StaffPending { id: staff },
                ctx,
                AuditEvent::new(action),
            )
            .await?;
        tx.commit().await?;
        if accepted {
            Ok(())
        } else {
            Err(AppError::SignInRefused)
        }
    }

    /// Records a sign-out (the web layer deletes the session itself).
    pub async fn sign_out(&self, actor: &Actor, ctx: &RequestContext) -> Result<(), AppError> {
        let mut tx = self.app.store.begin().await?;
        self.app
            .audit(&mut tx, actor, ctx, AuditEvent::new(Action::SignOut))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The staff actor for a signed-in session, in `service` if they still
    /// hold a role there, else their first service. None if the account is
    /// gone, disabled or holds no role any more.
    pub async fn staff_actor(
        &self,
        id: StaffId,
        service: Option<ServiceId>,
    ) -> Result<Option<Actor>, AppError> {
        let mut tx = self.app.store.reader().await?;
        let found = tx.staff_with_roles(id).await?;
        tx.rollback().await?;
        Ok(found.and_then(|(member, grants)| staff_actor_of(member, grants, service)))
    }

    pub async fn patient_actor(&self, id: PatientId) -> Result<Option<Actor>, AppError> {
        let mut tx = self.app.store.reader().await?;
        let actor = self.patient_actor_in(&mut tx, id).await?;
        tx.rollback().await?;
        Ok(actor)
    }

    async fn patient_actor_in(
        &self,
        tx: &mut bothy_store::Tx,
        id: PatientId,
    ) -> Result<Option<Actor>, AppError> {
        Ok(tx
            .patient(id)
            .await?
            .map(|p| patient_actor_of(p.id, p.service_id, &p.given_name)))
    }

    /// The API client holding a bearer token, if the token is valid and not revoked.
    pub async fn api_actor(&self, bearer: &str) -> Result<Option<Actor>, AppError> {
        let mut tx = self.app.store.reader().await?;
        let mut client = tx.api_client_by_token_hash(&token_hash(bearer)).await?;
        if client.is_none() && bearer.starts_with("bothy_smart_") {
            // A SMART Backend Services access token (smart.rs).
            client = self.app.smart().client_by_token(&mut tx, bearer).await?;
        }
        tx.rollback().await?;
        Ok(client.filter(|c| c.revoked_at.is_none()).map(|c| {
            Actor::Api(ApiActor {
                id: c.id,
                service_id: c.service_id,
                name: c.name,
                permissions: c.permissions,
            })
        }))
    }

    /// What the enrolment page shows for a link; `Gone` if used or expired.
    pub async fn enrolment_page(&self, token: &str) -> Result<EnrolmentPage, AppError> {
        let mut tx = self.app.store.read().await?;
        let e = tx
            .enrolment(&token_hash(token))
            .await?
            .ok_or(AppError::NotFound)?;
        if e.used_at.is_some() || e.expires_at <= self.app.clock.now() {
            return Err(AppError::Gone);
        }
        let member = tx
            .staff_by_id(e.staff_id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.rollback().await?;
        Ok(EnrolmentPage {
            staff_name: member.name.to_string(),
            email: member.email.to_string(),
            otpauth_uri: totp_uri(&e.totp_secret, member.email.as_str()).unwrap_or_default(),
            totp_secret: e.totp_secret,
        })
    }

    /// Completes a staff enrolment: sets the password and the second factor
    /// (proved by a current code) and uses up the link, all at once.
    pub async fn complete_enrolment(
        &self,
        token: &str,
        password: &str,
        confirm: &str,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<StaffId, AppError> {
        let mut v = crate::error::Validation::default();
        let new = v.check("password", NewPassword::parse(password));
        if new.is_some() && password != confirm {
            v.fail("confirm", "The passwords do not match");
        }
        let page = self.enrolment_page(token).await?;
        let secs = u64::try_from(self.app.clock.now().as_second()).unwrap_or(0);
        let step = totp_matching_step(&page.totp_secret, code, secs);
        if step.is_none() {
            v.fail(
                "code",
                "Enter the 6-digit code your authenticator app shows now",
            );
        }
        v.finish()?;
        let (Some(new), Some(step)) = (new, step) else {
            return Err(AppError::Gone);
        };
        let hash = self
            .app
            .passwords
            .hash(new.expose())
            .await
            .map_err(AppError::internal)?;
        let mut tx = self.app.store.begin().await?;
        let th = token_hash(token);
        let e = tx.enrolment(&th).await?.ok_or(AppError::NotFound)?;
        if !tx.use_enrolment(&th, self.app.clock.now()).await? {
            return Err(AppError::Gone);
        }
        tx.set_staff_credentials(e.staff_id, &hash, &e.totp_secret)
            .await?;
        tx.use_totp_step(e.staff_id, step).await?;
        self.app
            .audit(
                &mut tx,
                &Actor::StaffPending { id: e.staff_id },
                ctx,
                AuditEvent::new(Action::StaffEnrolled),
            )
            .await?;
        tx.commit().await?;
        Ok(e.staff_id)
    }

    /// Changes the signed-in person's password after checking the current
    /// one, and ends every other session of the account in the same
    /// transaction (`keep_session` is the one asking, which carries on).
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new: &str,
        confirm: &str,
        keep_session: Option<&str>,
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        let mut v = crate::error::Validation::default();
        let parsed = v.check("new_password", NewPassword::parse(new));
        if parsed.is_some() && new != confirm {
            v.fail("confirm", "The passwords do not match");
        }
        let mut tx = self.app.store.read().await?;
        let stored = match actor {
            Actor::Staff(s) => tx.staff_by_id(s.id).await?.and_then(|m| m.password_hash),
            Actor::Patient(p) => tx.patient_password_hash(p.id).await?,
            _ => return Err(AppError::Unauthenticated),
        };
        tx.rollback().await?;
        let ok = self
            .app
            .passwords
            .verify(current, stored.as_deref())
            .await
            .map_err(AppError::internal)?;
        if !ok {
            v.fail("current_password", "Your current password is not right");
        }
        v.finish()?;
        let Some(parsed) = parsed else {
            return Err(AppError::field("new_password", "Enter a new password"));
        };
        let hash = self
            .app
            .passwords
            .hash(parsed.expose())
            .await
            .map_err(AppError::internal)?;
        let mut tx = self.app.store.begin().await?;
        let account = match actor {
            Actor::Staff(s) => {
                tx.set_staff_password(s.id, &hash).await?;
                SessionAccount::Staff(s.id)
            }
            Actor::Patient(p) => {
                tx.set_patient_password(p.id, &hash).await?;
                SessionAccount::Patient(p.id)
            }
            _ => return Err(AppError::Unauthenticated),
        };
        tx.end_sessions(account, keep_session).await?;
        self.app
            .audit(
                &mut tx,
                actor,
                ctx,
                AuditEvent::new(Action::PasswordChanged),
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
