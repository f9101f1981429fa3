//! Every message to a patient or a person referred goes through here: the
//! person's contact choice (`bothy_domain::contact`), the service's channels
//! and the addresses on record decide the channel, or the message is not
//! queued and staff can see why. The person changes their choice on their
//! account page ([`Contact::set_mine`]).

use crate::jobs::{IdempotencyKey, Jobs, MessageTemplate, Notification, Recipient};
use crate::notify::Sender;
use crate::{Actor, App, AppError, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::contact::{Blocked, ContactChoice, NotSent, Reach};
use bothy_domain::ids::ReferralId;
use bothy_domain::model::Patient;
use bothy_domain::person::{Email, PhoneNumber};
use bothy_domain::referral::Channel as Chosen;
use bothy_domain::{PatientId, ServiceId};
use bothy_store::{NotSentRow, Tx};

/// Someone a message may go to, with everything that decides whether and how.
pub(crate) struct Addressee<'a> {
    pub service_id: ServiceId,
    pub patient_id: Option<PatientId>,
    pub referral_id: Option<ReferralId>,
    pub choice: ContactChoice,
    pub email: Option<&'a Email>,
    pub phone: Option<&'a PhoneNumber>,
}

impl<'a> Addressee<'a> {
    /// A patient, with the choice they made (none: no consent).
    pub(crate) async fn patient(tx: &mut Tx, p: &'a Patient) -> Result<Self, AppError> {
        let choice = tx
            .contact_choice(p.id)
            .await?
            .unwrap_or(ContactChoice::NONE);
        Ok(Self {
            service_id: p.service_id,
            patient_id: Some(p.id),
            referral_id: None,
            choice,
            email: p.email.as_ref(),
            phone: p.phone.as_ref(),
        })
    }
}

impl Jobs<'_> {
    /// Queues `template` in `tx` to `to` by the first channel they agreed
    /// to that the service sends by and that they have an address for.
    /// When there is none, nothing is queued and the reason is recorded
    /// under `key` for staff. Returns whether a message was queued.
    pub(crate) async fn notify_person(
        &self,
        tx: &mut Tx,
        to: &Addressee<'_>,
        key: &IdempotencyKey,
        template: MessageTemplate,
        link: Option<String>,
    ) -> Result<bool, AppError> {
        self.notify_person_about(tx, to, key, template, link, None)
            .await
    }

    /// [`Jobs::notify_person`] for a message about an appointment, whose
    /// time and link are added when it is sent.
    pub(crate) async fn notify_person_about(
        &self,
        tx: &mut Tx,
        to: &Addressee<'_>,
        key: &IdempotencyKey,
        template: MessageTemplate,
        link: Option<String>,
        appointment: Option<bothy_domain::ids::AppointmentId>,
    ) -> Result<bool, AppError> {
        let recipient = match self.route(tx, to).await? {
            Ok(r) => r,
            Err(not_sent) => {
                self.held_back(tx, to, key, template, not_sent).await?;
                return Ok(false);
            }
        };
        self.enqueue_notification(
            tx,
            key,
            Notification {
                to: recipient,
                template,
                link,
                service: Some(to.service_id),
                patient: to.patient_id,
                appointment,
            },
        )
        .await
    }

    /// The recipient the one rule picks for `to`, or why there is none.
    pub(crate) async fn route(
        &self,
        tx: &mut Tx,
        to: &Addressee<'_>,
    ) -> Result<Result<Recipient, NotSent>, AppError> {
        let settings = self
            .app
            .monitoring()
            .settings_for(tx, to.service_id)
            .await?;
        let mobile = to.phone.filter(|p| p.is_uk_mobile());
        let reach = Reach {
            email: to.email.is_some(),
            mobile: mobile.is_some(),
            service_email: settings.messages.email,
            service_sms: settings.messages.sms,
        };
        Ok(to
            .choice
            .route(reach)
            .map(|channel| match channel {
                Chosen::Email => to.email.cloned().map(Recipient::Email),
                Chosen::Sms => mobile.cloned().map(Recipient::Sms),
            })
            .and_then(|r| {
                // The rule picks a channel only with its address: never None.
                r.ok_or(NotSent {
                    email: Blocked::NoAddress,
                    sms: Blocked::NoAddress,
                })
            }))
    }

    /// Records a message held back, for staff, under its key.
    async fn held_back(
        &self,
        tx: &mut Tx,
        to: &Addressee<'_>,
        key: &IdempotencyKey,
        template: MessageTemplate,
        not_sent: NotSent,
    ) -> Result<(), AppError> {
        tx.record_not_sent(&NotSentRow {
            idempotency_key: key.as_str(),
            service_id: to.service_id,
            patient_id: to.patient_id,
            referral_id: to.referral_id,
            template: template.as_str(),
            reason: not_sent,
            at: self.app.clock.now(),
        })
        .await?;
        tracing::info!(key = %key, reason = %not_sent.code(), "message not sent: no agreed channel");
        Ok(())
    }

    /// A queued message to a patient, checked against their contact choice
    /// as it stands now: as queued while its channel is still agreed; else
    /// to the address the rule picks today, or None (recorded as held back)
    /// when no agreed channel is left.
    pub(crate) async fn reroute(
        &self,
        key: &IdempotencyKey,
        n: &Notification,
    ) -> Result<Option<Notification>, AppError> {
        let Some(patient) = n.patient else {
            return Ok(Some(n.clone()));
        };
        let mut tx = self.app.store.begin().await?;
        let Some(p) = tx.patient(patient).await? else {
            tx.rollback().await?;
            return Ok(Some(n.clone()));
        };
        let to = Addressee::patient(&mut tx, &p).await?;
        // Still agreed: as queued, to the address the message was queued for
        // (a referral's own address may differ from an existing record's).
        let agreed = match n.to.channel() {
            crate::jobs::Channel::Email => to.choice.email,
            crate::jobs::Channel::Sms => to.choice.sms,
        };
        if agreed {
            tx.rollback().await?;
            return Ok(Some(n.clone()));
        }
        let routed = match self.route(&mut tx, &to).await? {
            Ok(recipient) => Some(Notification {
                to: recipient,
                ..n.clone()
            }),
            Err(not_sent) => {
                self.held_back(&mut tx, &to, key, n.template, not_sent)
                    .await?;
                None
            }
        };
        tx.commit().await?;
        Ok(routed)
    }
}

/// The person's own contact choice.
pub struct Contact<'a> {
    pub(crate) app: &'a App,
}

impl Contact<'_> {
    /// The signed-in patient's contact choice.
    pub async fn mine(&self, actor: &Actor) -> Result<ContactChoice, AppError> {
        let Actor::Patient(p) = actor else {
            return Err(AppError::Forbidden);
        };
        let mut tx = self.app.store.read().await?;
        let choice = tx.contact_choice(p.id).await?;
        tx.rollback().await?;
        Ok(choice.unwrap_or(ContactChoice::NONE))
    }

    /// Changes the signed-in patient's contact choice, audited. A channel
    /// needs an address: text messages a UK mobile number.
    pub async fn set_mine(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
        value: &str,
    ) -> Result<ContactChoice, AppError> {
        let Actor::Patient(p) = actor else {
            return Err(AppError::Forbidden);
        };
        let Some(choice) = ContactChoice::from_form(value) else {
            return Err(AppError::field("contact", "Choose how we may contact you"));
        };
        let mut tx = self.app.store.begin().await?;
        let patient = tx.patient(p.id).await?.ok_or(AppError::NotFound)?;
        if choice.email && patient.email.is_none() {
            return Err(AppError::field(
                "contact",
                "We have no email address for you: choose text messages, or ask your care team to add one",
            ));
        }
        if choice.sms && !patient.phone.as_ref().is_some_and(|p| p.is_uk_mobile()) {
            return Err(AppError::field(
                "contact",
                "We have no UK mobile number for you: choose email, or ask your care team to add one",
            ));
        }
        tx.set_contact_choice(p.id, choice, self.app.clock.now())
            .await?;
        self.app
            .audit(
                &mut tx,
                actor,
                ctx,
                crate::AuditEvent::new(Action::ContactChoiceChanged)
                    .service(patient.service_id)
                    .patient(p.id)
                    .detail(choice.form_value()),
            )
            .await?;
        tx.commit().await?;
        Ok(choice)
    }
}

impl App {
    /// The person's own contact choice.
    pub fn contact(&self) -> Contact<'_> {
        Contact { app: self }
    }

    /// Who messages from `service` are from: its name, and its contact from
    /// its settings or else this deployment's address.
    pub(crate) async fn sender(&self, service: Option<ServiceId>) -> Result<Sender, AppError> {
        let url = self.settings.public_url.trim_end_matches('/').to_string();
        let Some(service) = service else {
            return Ok(Sender {
                name: "Bothy".into(),
                contact: url,
            });
        };
        let mut tx = self.store.read().await?;
        let name = tx.service_by_id(service).await?.map(|s| s.name);
        let settings = self.monitoring().settings_for(&mut tx, service).await?;
        tx.rollback().await?;
        Ok(Sender {
            name: name.unwrap_or_else(|| "Bothy".into()),
            contact: settings.messages.contact.clone().unwrap_or(url),
        })
    }
}
