//! Activation: a person accepted at triage sets up their account with a
//! single-use link; a refused address counts on the link, which is used up
//! after a few, and an administrator can send a new one.

use crate::credentials::{new_token, token_hash};
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::audit::Action;
use bothy_domain::person::{Email, NewPassword};
use bothy_domain::time::Timestamp;

/// How long an activation link works.
pub const ACTIVATION_DAYS: i64 = 7;

/// Tries with an email address that cannot be used before a link is used up.
pub const ACTIVATION_TRIES: i64 = 5;

fn activation_used_up(service: Option<String>) -> AppError {
    let who = service.unwrap_or_else(|| "the service that accepted your referral".into());
    AppError::UsedUp(format!(
        "This link has been used up: it was tried {ACTIVATION_TRIES} times with email addresses \
         that could not be used. To get a new link, contact {who} and ask them to send you a \
         new link to set up your account."
    ))
}

/// An expired or used activation link: what happened, and how to get a
/// new link (an administrator sends one: `bothy admin new-activation-link`).
fn activation_gone(used: bool, service: Option<String>, contact: Option<&str>) -> AppError {
    let who = service.unwrap_or_else(|| "the service that accepted your referral".into());
    let reach = contact.map(|c| format!(" ({c})")).unwrap_or_default();
    AppError::UsedUp(if used {
        format!(
            "This link has already been used to set up an account. Sign in with the email \
             address and password you chose. If you did not set it up, or cannot sign in, \
             contact {who}{reach} and ask them to send you a new link."
        )
    } else {
        format!(
            "This link has expired: links to set up an account work for a limited time. To \
             get a new one, contact {who}{reach} and ask them to send you a new link to set \
             up your account."
        )
    })
}

/// Account activation by a single-use link.
pub struct Activation<'a> {
    pub(crate) app: &'a App,
}

impl Activation<'_> {
    /// Whether an activation link can be used, and for whom (its first name).
    pub async fn page(&self, token: &str) -> Result<String, AppError> {
        let mut tx = self.app.store.read().await?;
        let a = tx
            .activation(&token_hash(token))
            .await?
            .ok_or(AppError::NotFound)?;
        let p = tx.patient(a.patient_id).await?.ok_or(AppError::NotFound)?;
        if a.refused_attempts >= ACTIVATION_TRIES {
            let service = tx.service_by_id(p.service_id).await?;
            tx.rollback().await?;
            return Err(activation_used_up(service.map(|s| s.name)));
        }
        if a.used_at.is_some() || a.expires_at <= self.app.clock.now() {
            // Say how to get a new link, and how to reach the service.
            let name = tx.service_by_id(p.service_id).await?.map(|s| s.name);
            let settings = self
                .app
                .monitoring()
                .settings_for(&mut tx, p.service_id)
                .await?;
            tx.rollback().await?;
            return Err(activation_gone(
                a.used_at.is_some(),
                name,
                settings.messages.contact.as_deref(),
            ));
        }
        tx.rollback().await?;
        Ok(p.given_name.to_string())
    }

    /// Counts a try refused because of its email address. The answer is
    /// the same whoever the address belongs to, and names no account; the
    /// link is used up at the [`ACTIVATION_TRIES`]th, so it cannot be used to
    /// ask about many addresses.
    async fn refuse_activation(
        &self,
        token_hash: &str,
        patient: PatientId,
        ctx: &RequestContext,
    ) -> Result<AppError, AppError> {
        let mut tx = self.app.store.begin().await?;
        let Some(refused) = tx
            .refuse_activation(token_hash, self.app.clock.now(), ACTIVATION_TRIES)
            .await?
        else {
            return Ok(AppError::Gone);
        };
        let event = AuditEvent::new(Action::PatientActivationRefused)
            .patient(patient)
            .detail(format!("refused try {refused} of {ACTIVATION_TRIES}"));
        self.app
            .audit(&mut tx, &Actor::Anonymous, ctx, event)
            .await?;
        let service = match tx.patient(patient).await? {
            Some(p) if refused >= ACTIVATION_TRIES => tx.service_by_id(p.service_id).await?,
            _ => None,
        };
        tx.commit().await?;
        if refused >= ACTIVATION_TRIES {
            return Ok(activation_used_up(service.map(|s| s.name)));
        }
        let left = ACTIVATION_TRIES - refused;
        Ok(AppError::field(
            "email",
            format!(
                "This email address cannot be used to set up your account: use a different \
                 one. You can try {left} more {} with this link.",
                if left == 1 { "time" } else { "times" }
            ),
        ))
    }

    /// Sends a new activation link to someone who has not set up their account
    /// (their link expired, or was used up by refused tries), through the
    /// channel their referral chose; earlier links stop working. Run by an
    /// administrator (`bothy admin new-activation-link`) when the service asks.
    pub async fn new_link(&self, patient: PatientId, ctx: &RequestContext) -> Result<(), AppError> {
        let now = self.app.clock.now();
        let mut tx = self.app.store.begin().await?;
        tx.patient(patient).await?.ok_or(AppError::NotFound)?;
        if tx.patient_password_hash(patient).await?.is_some() {
            return Err(AppError::Conflict(
                "This person has already set up their account".into(),
            ));
        }
        let Some(episode) = tx.open_episode(patient).await? else {
            return Err(AppError::Conflict(
                "This person has no open episode of care".into(),
            ));
        };
        let referral = tx
            .referral(episode.referral_id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.end_activations(patient, now).await?;
        let (token, hash) = new_token("");
        let expires = Timestamp::from_second(now.as_second() + ACTIVATION_DAYS * 86_400)
            .map_err(AppError::internal)?;
        tx.insert_activation(&hash, patient, now, expires).await?;
        let link = format!(
            "{}/activate/{token}",
            self.app.settings.public_url.trim_end_matches('/')
        );
        let id = patient.to_string();
        let key = crate::jobs::IdempotencyKey::from_parts(&[
            "activation",
            &id,
            &now.as_millisecond().to_string(),
        ])
        .map_err(|_| AppError::internal(std::io::Error::other("invalid message key")))?;
        self.app
            .referrals()
            .notify_person_as(
                &mut tx,
                &referral,
                &key,
                crate::jobs::MessageTemplate::Activation,
                Some(link),
            )
            .await?;
        let event = AuditEvent::new(Action::PatientActivationLinkSent).patient(patient);
        self.app.audit(&mut tx, &Actor::System, ctx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Uses an activation link: sets the person's password and sign-in email,
    /// and for a digital programme stops the referral-to-treatment clock.
    pub async fn activate(
        &self,
        token: &str,
        email: &str,
        password: &str,
        confirm: &str,
        ctx: &RequestContext,
    ) -> Result<PatientId, AppError> {
        if !self.app.referral_throttle.allow_activation(ctx.ip) {
            return Err(AppError::TooManyRequests);
        }
        self.page(token).await?;
        let mut v = crate::error::Validation::default();
        let email = v.check("email", Email::parse(email));
        let new = v.check("password", NewPassword::parse(password));
        if new.is_some() && password != confirm {
            v.fail("confirm", "The passwords do not match");
        }
        v.finish()?;
        let (Some(email), Some(new)) = (email, new) else {
            return Err(AppError::Gone);
        };
        let hash = self
            .app
            .passwords
            .hash(new.expose())
            .await
            .map_err(AppError::internal)?;
        let now = self.app.clock.now();
        let mut tx = self.app.store.begin().await?;
        let th = token_hash(token);
        let patient = tx
            .activation(&th)
            .await?
            .ok_or(AppError::NotFound)?
            .patient_id;
        if !tx.use_activation(&th, now).await? {
            return Err(AppError::Gone);
        }
        if let Some((other, _)) = tx.patient_login(&email).await?
            && other.id != patient
        {
            tx.rollback().await?;
            return Err(self.refuse_activation(&th, patient, ctx).await?);
        }
        // Another account may take the address at the same moment: the
        // unique index refuses the second, which is told the same, naming no
        // account (its transaction is spoilt, so the try is not counted).
        tx.set_patient_login(patient, &email, &hash)
            .await
            .map_err(|e| {
                if e.is_constraint("email") {
                    AppError::field(
                        "email",
                        "This email address cannot be used to set up your account: use a \
                         different one.",
                    )
                } else {
                    e.into()
                }
            })?;
        // Activating an account is not treatment: the clock stops at the first
        // treatment contact (for a guided programme, its first supported
        // review: `reviews.rs`).
        let event = AuditEvent::new(Action::PatientActivated).patient(patient);
        self.app
            .audit(&mut tx, &Actor::Anonymous, ctx, event)
            .await?;
        tx.commit().await?;
        Ok(patient)
    }
}
