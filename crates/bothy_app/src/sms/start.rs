//! Starting a conversation: staff send a check-in or a measure by text, or
//! the person texts MOOD. Only to someone who agreed to text messages, has
//! a UK mobile and has not replied STOP, in a service that sends texts.

use super::Sms;
use crate::notify::digest;
use crate::{Actor, AppError, AuditEvent, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::audit::Action;
use bothy_domain::contact::ContactChoice;
use bothy_domain::model::Patient;
use bothy_domain::sms::conversation::fits_sms;
use bothy_domain::sms::{Asking, CONVERSATION_HOURS, CareText, Conversation};
use bothy_store::Tx;

/// What a conversation asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversationKind {
    Mood,
    /// A measure, by instrument id (`phq9`).
    Measure(String),
}

impl Sms<'_> {
    /// Staff start a conversation with `patient`: the first question is
    /// queued in the same transaction, audited. While one is open nothing
    /// is sent and false is returned (two clinicians clicking at once ask
    /// once).
    pub async fn start(
        &self,
        actor: &Actor,
        patient: PatientId,
        kind: ConversationKind,
        ctx: &RequestContext,
    ) -> Result<bool, AppError> {
        if !matches!(actor, Actor::Staff(_)) {
            return Err(AppError::Forbidden);
        }
        let mut work = self.app.change(actor, ctx).await?;
        let patient = work.patient(patient).await?;
        if !self.open(work.tx(), &patient, &kind).await? {
            return Ok(false);
        }
        work.audit(
            AuditEvent::new(Action::SmsConversationStarted)
                .patient(patient.id)
                .service(patient.service_id)
                .detail(match &kind {
                    ConversationKind::Mood => "mood".to_string(),
                    ConversationKind::Measure(id) => id.clone(),
                }),
        )
        .await?;
        work.finish().await?;
        Ok(true)
    }

    /// Opens the conversation and queues its first question in `tx`, or
    /// says why it cannot be; false when one is open already.
    pub(crate) async fn open(
        &self,
        tx: &mut Tx,
        patient: &Patient,
        kind: &ConversationKind,
    ) -> Result<bool, AppError> {
        let Some(phone) = patient.phone.as_ref().filter(|p| p.is_uk_mobile()) else {
            return Err(AppError::field(
                "conversation",
                "There is no UK mobile number for this person",
            ));
        };
        let choice = tx
            .contact_choice(patient.id)
            .await?
            .unwrap_or(ContactChoice::NONE);
        if !choice.sms {
            return Err(AppError::field(
                "conversation",
                "This person has not agreed to text messages",
            ));
        }
        if tx.sms_opted_out(phone.as_str()).await? {
            return Err(AppError::field(
                "conversation",
                "This person's number replied STOP: no texts go to it until they reply START",
            ));
        }
        let settings = self
            .app
            .monitoring()
            .settings_for(tx, patient.service_id)
            .await?;
        if !settings.messages.sms {
            return Err(AppError::field(
                "conversation",
                "This service does not send text messages",
            ));
        }
        let (asking, first) = match kind {
            ConversationKind::Mood => (Asking::Mood, CareText::MoodQuestion { retry: false }),
            ConversationKind::Measure(id) => {
                let inst = self
                    .app
                    .catalogue
                    .get(id)
                    .filter(|i| fits_sms(i))
                    .ok_or_else(|| {
                        AppError::field(
                            "conversation",
                            format!("{id:?} cannot be asked by text message"),
                        )
                    })?;
                (
                    Asking::Item {
                        instrument: inst.id.clone(),
                        index: 0,
                        answers: vec![],
                    },
                    CareText::ItemQuestion {
                        instrument: inst.id.clone(),
                        index: 0,
                        retry: false,
                    },
                )
            }
        };
        let now = self.app.clock.now();
        let conversation = Conversation {
            id: uuid::Uuid::new_v4().simple().to_string(),
            asking,
            retried: false,
            expires_at: now + std::time::Duration::from_secs(CONVERSATION_HOURS as u64 * 3600),
        };
        if !tx
            .start_sms_conversation(patient.id, patient.service_id, &conversation, now)
            .await?
        {
            return Ok(false);
        }
        let key = format!("{}.q0", digest(&conversation.id));
        self.reply(tx, &key, phone, Some(patient), first).await?;
        Ok(true)
    }
}
