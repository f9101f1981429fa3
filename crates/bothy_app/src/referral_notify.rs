//! Telling the person referred, and their referrer, that there is news:
//! only by a channel the person agreed to (`contact.rs`), with no clinical content (the
//! templates say something is waiting, never what).

use crate::AppError;
use crate::contact::Addressee;
use crate::jobs::{IdempotencyKey, MessageTemplate, Notification, Recipient};
use crate::referrals::Referrals;
use bothy_domain::contact::ContactChoice;
use bothy_domain::person::{Email, PhoneNumber};
use bothy_domain::referral::Referral;
use bothy_store::Tx;

impl Referrals<'_> {
    /// Queues a message to the person referred, in `tx`. The key names the
    /// referral, the message and its status, so a repeated decision or a
    /// resent form never sends the same message twice.
    pub(crate) async fn notify_person(
        &self,
        tx: &mut Tx,
        referral: &Referral,
        template: MessageTemplate,
        link: Option<String>,
    ) -> Result<(), AppError> {
        let key = self.message_key(referral, template, "person")?;
        self.notify_person_as(tx, referral, &key, template, link)
            .await
    }

    /// Queues a message to the person referred under `key`, through the
    /// first channel they agreed to (for a message a referral sends more
    /// than once, such as a new activation link); with none, records why.
    pub(crate) async fn notify_person_as(
        &self,
        tx: &mut Tx,
        referral: &Referral,
        key: &IdempotencyKey,
        template: MessageTemplate,
        link: Option<String>,
    ) -> Result<(), AppError> {
        let d = &referral.details;
        let email = d.email.as_deref().and_then(|e| Email::parse(e).ok());
        let phone = d.phone.as_deref().and_then(|p| PhoneNumber::parse(p).ok());
        let to = Addressee {
            service_id: referral.service_id,
            patient_id: referral.patient_id,
            referral_id: Some(referral.id),
            choice: ContactChoice::of_referral(d),
            email: email.as_ref(),
            phone: phone.as_ref(),
        };
        self.app
            .jobs()
            .notify_person(tx, &to, key, template, link)
            .await?;
        Ok(())
    }

    /// Queues a message to a professional referrer, if they gave an email.
    pub(crate) async fn notify_referrer(
        &self,
        tx: &mut Tx,
        referral: &Referral,
    ) -> Result<(), AppError> {
        let Some(email) = referral
            .details
            .referrer_email
            .as_deref()
            .and_then(|e| Email::parse(e).ok())
        else {
            return Ok(());
        };
        let key = self.message_key(referral, MessageTemplate::ReferralDecision, "referrer")?;
        let notification = Notification {
            to: Recipient::Email(email),
            template: MessageTemplate::ReferralDecision,
            link: None,
            service: Some(referral.service_id),
            patient: None,
            appointment: None,
        };
        self.app
            .jobs()
            .enqueue_notification(tx, &key, notification)
            .await?;
        Ok(())
    }

    fn message_key(
        &self,
        referral: &Referral,
        template: MessageTemplate,
        who: &str,
    ) -> Result<IdempotencyKey, AppError> {
        let id = referral.id.to_string();
        IdempotencyKey::from_parts(&[
            "referral",
            &id,
            referral.status.as_str(),
            &format!("{template:?}"),
            who,
        ])
        .map_err(|_| AppError::internal(std::io::Error::other("invalid message key")))
    }
}
