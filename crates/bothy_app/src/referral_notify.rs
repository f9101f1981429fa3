//! Telling the person referred, and their referrer, that there is news:
//! through the person's chosen channel, with no clinical content (the
//! templates say something is waiting, never what).

use crate::AppError;
use crate::jobs::{IdempotencyKey, MessageTemplate, Notification, Recipient};
use crate::referrals::Referrals;
use bothy_domain::person::{Email, PhoneNumber};
use bothy_domain::referral::{Channel, Referral};
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
    /// channel they chose (for a message a referral sends more than once,
    /// such as a new activation link).
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
        let preferred = match d.preferred_channel {
            Some(Channel::Sms) => crate::jobs::Channel::Sms,
            _ => crate::jobs::Channel::Email,
        };
        let Some(to) = Recipient::preferred(preferred, email.as_ref(), phone.as_ref()) else {
            tracing::warn!(referral = %referral.id, "no way to contact the person referred");
            return Ok(());
        };
        self.app
            .jobs()
            .enqueue_notification(tx, key, Notification { to, template, link })
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
