//! Handling one inbound text: a keyword, an answer, or a message for the
//! care team.

use super::Sms;
use super::start::ConversationKind;
use crate::check_ins::CheckInInput;
use crate::measures::Submission;
use crate::notify::digest;
use crate::policy::PatientActor;
use crate::{Actor, AppError, AuditEvent, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::contact::ContactChoice;
use bothy_domain::instruments::score::risk_flags;
use bothy_domain::model::{Patient, ResponseSource};
use bothy_domain::person::PhoneNumber;
use bothy_domain::sms::{
    Asking, CareText, Keyword, MAX_INBOUND_CHARS, Step, keyword, sender_number,
};
use bothy_store::StoredConversation;

/// A text as the gateway passed it on.
#[derive(Debug, Clone)]
pub struct InboundSms {
    /// Which gateway (`kannel`, `notify`): ids are unique within one.
    pub gateway: &'static str,
    /// The gateway's id for this text.
    pub id: String,
    /// The sender's number as the gateway gives it.
    pub from: String,
    pub text: String,
}

/// What was done with a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Handled before: nothing done again.
    Duplicate,
    Stopped,
    Started,
    Help,
    /// Not from anyone here (or from a number several people share, with
    /// nothing open): a reply with the crisis contacts only.
    Unknown,
    /// An answer: the next question was sent.
    Answered,
    /// Not understood: the question was asked again.
    Retried,
    /// Not understood twice: the conversation ended, nothing recorded.
    GaveUp,
    /// The check-in or measure was recorded; `risk` when it signals risk.
    Completed {
        risk: bool,
    },
    /// Went to the care team as a secure message; `risk` when its words
    /// signal risk.
    PassedOn {
        risk: bool,
    },
    /// The person asked for a check-in (MOOD) and was asked.
    CheckInStarted,
    /// Nothing to do (an empty text).
    Ignored,
}

impl Handled {
    /// Stored with the text's id, for counts; never the text.
    fn code(self) -> &'static str {
        match self {
            Handled::Duplicate => "duplicate",
            Handled::Stopped => "stop",
            Handled::Started => "start",
            Handled::Help => "help",
            Handled::Unknown => "unknown",
            Handled::Answered => "answered",
            Handled::Retried => "retried",
            Handled::GaveUp => "gave_up",
            Handled::Completed { .. } => "completed",
            Handled::PassedOn { .. } => "passed_on",
            Handled::CheckInStarted => "check_in_started",
            Handled::Ignored => "ignored",
        }
    }
}

/// A reply to queue: its key after `sms.`, and the text.
struct Reply {
    key: String,
    text: CareText,
}

/// The person a text is from, and their conversation if one is open.
struct From {
    patient: Patient,
    open: Option<StoredConversation>,
}

impl Sms<'_> {
    /// Handles one inbound text. The gateway's id makes a repeat a no-op.
    pub async fn receive(
        &self,
        inbound: InboundSms,
        ctx: &RequestContext,
    ) -> Result<Handled, AppError> {
        let id = inbound.id.trim();
        if id.is_empty() || id.len() > 100 || id.chars().any(char::is_control) {
            return Err(AppError::field(
                "id",
                "The message id must be 1 to 100 characters",
            ));
        }
        let gateway_id = format!("{}:{id}", inbound.gateway);
        let text: String = inbound
            .text
            .chars()
            .filter(|c| !c.is_control() || *c == '\n')
            .take(MAX_INBOUND_CHARS)
            .collect();
        let text = text.trim();
        let base = digest(&gateway_id);
        let mut tx = self.app.store.read().await?;
        let seen = tx.sms_inbound_seen(&gateway_id).await?;
        tx.rollback().await?;
        if seen {
            return Ok(Handled::Duplicate);
        }
        let Some(phone) = sender_number(&inbound.from) else {
            // Not a number anyone can reply to: nothing to do.
            let done = Done::new(&gateway_id, Handled::Unknown);
            return self.finish(done, None, None).await;
        };
        let reply = |part: &str, text: CareText| Reply {
            key: format!("{base}.{part}"),
            text,
        };
        match keyword(text) {
            Some(Keyword::Stop) => return self.stop(&gateway_id, &base, &phone).await,
            Some(Keyword::Start) => return self.start_again(&gateway_id, &base, &phone).await,
            _ => {}
        }
        let Some(from) = self.sender(&phone).await? else {
            // Nothing about anyone: the crisis contacts, once a day a number.
            let day = bothy_domain::time::uk_date(self.app.clock.now()).to_string();
            let mut done = Done::new(&gateway_id, Handled::Unknown);
            done.replies.push(Reply {
                key: format!("unknown.{}", digest(&format!("{}.{day}", phone.as_str()))),
                text: CareText::Unknown,
            });
            return self.finish(done, None, Some(&phone)).await;
        };
        let actor = Actor::Patient(PatientActor {
            id: from.patient.id,
            service_id: from.patient.service_id,
            name: from.patient.given_name.to_string(),
        });
        if !text.is_empty() && self.app.messages().body_has_risk(text) {
            // Risk words, whatever was asked: to the care team (an alert in
            // the same transaction) and the crisis contacts back at once.
            return self
                .pass_on(&gateway_id, &base, &actor, &from, &phone, text, ctx)
                .await;
        }
        match keyword(text) {
            Some(Keyword::Help) => {
                let mut done = Done::new(&gateway_id, Handled::Help);
                done.replies.push(reply("help", CareText::Help));
                return self.finish(done, Some(&from), Some(&phone)).await;
            }
            Some(Keyword::Mood) if from.open.is_none() => {
                let mut work = self.app.change(&actor, ctx).await?;
                self.open(work.tx(), &from.patient, &ConversationKind::Mood)
                    .await?;
                let recorded = work
                    .tx()
                    .record_sms_inbound(
                        &gateway_id,
                        Some(from.patient.id),
                        Handled::CheckInStarted.code(),
                        self.app.clock.now(),
                    )
                    .await?;
                if !recorded {
                    return Ok(Handled::Duplicate);
                }
                work.audit(received(&from.patient)).await?;
                work.finish().await?;
                return Ok(Handled::CheckInStarted);
            }
            _ => {}
        }
        let Some(open) = &from.open else {
            if text.is_empty() {
                let done = Done::new(&gateway_id, Handled::Ignored);
                return self.finish(done, Some(&from), Some(&phone)).await;
            }
            return self
                .pass_on(&gateway_id, &base, &actor, &from, &phone, text, ctx)
                .await;
        };
        let c = &open.conversation;
        let instrument = match &c.asking {
            Asking::Item { instrument, .. } => self.app.catalogue.get(instrument),
            Asking::Mood => None,
        };
        // The answer's key: the same conversation's answer is stored once.
        let answer_key = format!("sms.{}", c.id);
        let question = |asking: &Asking, retry: bool| match asking {
            Asking::Mood => CareText::MoodQuestion { retry },
            Asking::Item {
                instrument, index, ..
            } => CareText::ItemQuestion {
                instrument: instrument.clone(),
                index: *index,
                retry,
            },
        };
        let mut done = match c.answer(text, instrument) {
            Step::Next(next) => {
                let mut done = Done::new(&gateway_id, Handled::Answered);
                done.replies
                    .push(reply("next", question(&next.asking, false)));
                done.advance = Some((open.step, Some(next)));
                done
            }
            Step::Retry(again) => {
                let mut done = Done::new(&gateway_id, Handled::Retried);
                done.replies
                    .push(reply("retry", question(&again.asking, true)));
                done.advance = Some((open.step, Some(again)));
                done
            }
            Step::GiveUp => {
                let mut done = Done::new(&gateway_id, Handled::GaveUp);
                done.replies.push(reply("unclear", CareText::NotUnderstood));
                done
            }
            Step::CheckIn { mood } => {
                let input = CheckInInput {
                    mood: mood.to_string(),
                    idempotency_key: answer_key,
                    ..Default::default()
                };
                self.app.check_ins().record(&actor, input, ctx).await?;
                let mut done = Done::new(&gateway_id, Handled::Completed { risk: false });
                done.replies.push(reply("thanks", CareText::CheckInThanks));
                done
            }
            Step::Completed {
                instrument,
                answers,
            } => {
                let inst = self.app.measures().instrument(&instrument)?;
                let given: Vec<Option<i32>> = answers.iter().copied().map(Some).collect();
                let risk = !risk_flags(inst, &given).is_empty();
                let submission = Submission {
                    instrument_id: instrument,
                    version: Some(inst.version.clone()),
                    answers: given,
                    idempotency_key: answer_key,
                    source: ResponseSource::Sms,
                };
                self.app
                    .measures()
                    .submit(&actor, from.patient.id, submission, ctx)
                    .await?;
                let mut done = Done::new(&gateway_id, Handled::Completed { risk });
                if risk {
                    done.replies.push(reply("crisis", CareText::Crisis));
                }
                done.replies.push(reply("thanks", CareText::MeasureThanks));
                done
            }
        };
        if done.advance.is_none() {
            // Every other step ends the conversation.
            done.advance = Some((open.step, None));
        }
        self.finish(done, Some(&from), Some(&phone)).await
    }

    /// The patient a text from `phone` is from: the one with an open
    /// conversation, else the only one with the number. None for nobody,
    /// or for several with nothing open (a shared phone: no guessing).
    async fn sender(&self, phone: &PhoneNumber) -> Result<Option<From>, AppError> {
        let now = self.app.clock.now();
        let mut tx = self.app.store.read().await?;
        let patients = tx.patients_by_phone(phone).await?;
        let mut candidates = Vec::new();
        for p in patients {
            let open = tx
                .sms_conversation(p.id)
                .await?
                .filter(|c| c.conversation.is_open(now));
            candidates.push(From { patient: p, open });
        }
        tx.rollback().await?;
        if let Some(i) = candidates.iter().position(|c| c.open.is_some()) {
            return Ok(Some(candidates.swap_remove(i)));
        }
        Ok(match candidates.len() {
            1 => candidates.pop(),
            _ => None,
        })
    }

    /// Sends the text to the care team as a secure message (whose risk
    /// rule raises any alert in its transaction), and the crisis contacts
    /// back when its words signal risk. An open conversation stays open.
    #[allow(clippy::too_many_arguments)]
    async fn pass_on(
        &self,
        gateway_id: &str,
        base: &str,
        actor: &Actor,
        from: &From,
        phone: &PhoneNumber,
        text: &str,
        ctx: &RequestContext,
    ) -> Result<Handled, AppError> {
        let key = format!("sms.{base}");
        let sent = self
            .app
            .messages()
            .start(actor, "Text message", text, &key, ctx)
            .await?;
        let mut done = Done::new(gateway_id, Handled::PassedOn { risk: sent.risk });
        if sent.risk {
            done.replies.push(Reply {
                key: format!("{base}.crisis"),
                text: CareText::Crisis,
            });
        }
        done.replies.push(Reply {
            key: format!("{base}.passed"),
            text: CareText::PassedOn,
        });
        self.finish(done, Some(from), Some(phone)).await
    }

    /// STOP: no text goes to the number from now on (but this one's
    /// confirmation), anyone with it no longer agrees to text messages,
    /// and their conversations end.
    async fn stop(
        &self,
        gateway_id: &str,
        base: &str,
        phone: &PhoneNumber,
    ) -> Result<Handled, AppError> {
        self.set_stopped(gateway_id, base, phone, true).await
    }

    /// START: texts may go to the number again, and anyone with it agrees
    /// to them again (they asked).
    async fn start_again(
        &self,
        gateway_id: &str,
        base: &str,
        phone: &PhoneNumber,
    ) -> Result<Handled, AppError> {
        self.set_stopped(gateway_id, base, phone, false).await
    }

    async fn set_stopped(
        &self,
        gateway_id: &str,
        base: &str,
        phone: &PhoneNumber,
        stop: bool,
    ) -> Result<Handled, AppError> {
        let now = self.app.clock.now();
        let handled = if stop {
            Handled::Stopped
        } else {
            Handled::Started
        };
        let mut tx = self.app.store.begin().await?;
        if !tx
            .record_sms_inbound(gateway_id, None, handled.code(), now)
            .await?
        {
            tx.rollback().await?;
            return Ok(Handled::Duplicate);
        }
        if stop {
            tx.opt_out_sms(phone, now).await?;
        } else {
            tx.opt_in_sms(phone).await?;
        }
        let patients = tx.patients_by_phone(phone).await?;
        for p in &patients {
            let choice = tx
                .contact_choice(p.id)
                .await?
                .unwrap_or(ContactChoice::NONE);
            let changed = ContactChoice {
                sms: !stop,
                preferred: if stop {
                    bothy_domain::referral::Channel::Email
                } else {
                    choice.preferred
                },
                ..choice
            };
            if stop {
                tx.end_sms_conversation(p.id).await?;
            }
            if changed != choice {
                tx.set_contact_choice(p.id, changed, now).await?;
                let detail = if stop {
                    "STOP by text"
                } else {
                    "START by text"
                };
                self.app
                    .audit(
                        &mut tx,
                        &Actor::System,
                        &RequestContext::default(),
                        AuditEvent::new(Action::ContactChoiceChanged)
                            .patient(p.id)
                            .service(p.service_id)
                            .detail(detail),
                    )
                    .await?;
            }
        }
        let text = if stop {
            CareText::StopConfirmed
        } else {
            CareText::StartConfirmed
        };
        self.reply(
            &mut tx,
            &format!("{base}.confirm"),
            phone,
            patients.first(),
            text,
        )
        .await?;
        tx.commit().await?;
        Ok(handled)
    }

    /// The last step: records the text as handled, moves the conversation
    /// on from its step (when `done.advance` says), and queues the replies,
    /// in one transaction. A reply that answers what the person asked
    /// (crisis contacts, help) always goes; questions and thanks only to
    /// someone who agreed to text messages.
    async fn finish(
        &self,
        done: Done,
        from: Option<&From>,
        phone: Option<&PhoneNumber>,
    ) -> Result<Handled, AppError> {
        let now = self.app.clock.now();
        let patient = from.map(|f| &f.patient);
        let mut tx = self.app.store.begin().await?;
        if !tx
            .record_sms_inbound(
                &done.gateway_id,
                patient.map(|p| p.id),
                done.handled.code(),
                now,
            )
            .await?
        {
            tx.rollback().await?;
            return Ok(Handled::Duplicate);
        }
        if let (Some(p), Some((step, next))) = (patient, &done.advance)
            && !tx
                .advance_sms_conversation(p.id, *step, next.as_ref(), now)
                .await?
        {
            // Another reply moved the conversation on first: this one is
            // not an answer to the question now asked.
            tx.rollback().await?;
            return Err(AppError::Conflict(
                "Another reply to this question arrived first".into(),
            ));
        }
        let agreed = match patient {
            Some(p) => tx.contact_choice(p.id).await?.is_some_and(|c| c.sms),
            None => false,
        };
        if let Some(phone) = phone {
            for r in done.replies {
                if agreed || r.text.answers_the_person() {
                    self.reply(&mut tx, &r.key, phone, patient, r.text).await?;
                }
            }
        }
        if let Some(p) = patient {
            self.app
                .audit(
                    &mut tx,
                    &Actor::System,
                    &RequestContext::default(),
                    received(p),
                )
                .await?;
        }
        tx.commit().await?;
        Ok(done.handled)
    }
}

/// What handling a text came to: its outcome, the conversation's next
/// state, the replies.
struct Done {
    gateway_id: String,
    handled: Handled,
    /// The step the conversation was read at, and what it becomes (None:
    /// it ends).
    advance: Option<(i64, Option<bothy_domain::sms::Conversation>)>,
    replies: Vec<Reply>,
}

impl Done {
    fn new(gateway_id: &str, handled: Handled) -> Self {
        Self {
            gateway_id: gateway_id.to_string(),
            handled,
            advance: None,
            replies: Vec::new(),
        }
    }
}

fn received(p: &Patient) -> AuditEvent<'static> {
    AuditEvent::new(Action::SmsReceived)
        .patient(p.id)
        .service(p.service_id)
}
