//! Secure messages between a patient and their care team: the patient
//! starts a thread and replies; staff who may open the patient's record
//! (the route's `Access::StaffPatients`, then `can_view_patient` here, as
//! for enrolments: triage clinicians and clinical leads for anyone in the
//! service, a supporter for the people on their own caseload) read and
//! reply, and may mark a message as needing a clinician.
//!
//! What a patient writes goes through the one risk rule for what a person
//! sends (`Immediate`, as for check-in notes): risky words raise an alert
//! in the message's own transaction, and the page the person lands on
//! shows the crisis contacts. When staff write, the patient is sent a fixed
//! message that says only that something is waiting (`NewMessage`), never
//! what.
//!
//! Every write and every reading of a thread is audited, with ids only.
//! Opening a thread marks the other side's messages read (a guarded write:
//! opening it again changes nothing). Each message carries its author's
//! idempotency key, unique in its thread, so a resent form stores one.

use crate::jobs::{IdempotencyKey, MessageTemplate};
use crate::policy::can_view_patient;
use crate::work::Work;
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::detectors::TextSource;
use bothy_domain::ids::{MessageId, ThreadId};
use bothy_domain::messages::{self, Author, Message, NeedsClinician, Thread, ThreadSummary};
use bothy_domain::model::Patient;
use bothy_domain::time::{from_millis, to_millis};
use bothy_domain::{PatientId, StaffId};
use std::collections::HashMap;

/// Secure messages.
pub struct Messages<'a> {
    pub(crate) app: &'a App,
}

/// A message as sent: its thread, itself, whether the same one arrived
/// before (a resent form), and whether its words show the crisis contacts.
#[derive(Debug, Clone)]
pub struct Sent {
    pub thread: Thread,
    pub message: Message,
    pub duplicate: bool,
    /// Read from the stored body itself, so a resent form shows the
    /// contacts again.
    pub risk: bool,
}

/// One thread as opened: the patient, the thread, its messages oldest
/// first, and the names of the service's staff, for who wrote or marked
/// them (a patient sees who in their care team wrote to them).
#[derive(Debug, Clone)]
pub struct ThreadView {
    pub patient: Patient,
    pub thread: Thread,
    pub messages: Vec<Message>,
    pub staff_names: HashMap<StaffId, String>,
}

impl ThreadView {
    /// A staff member's name, or a placeholder for someone who has left.
    pub fn staff_name(&self, id: StaffId) -> &str {
        self.staff_names
            .get(&id)
            .map_or("A former member of staff", String::as_str)
    }
}

/// Whether `actor` may use messages about `patient`: the patient
/// themself, or staff who may open their record. API clients may not.
fn may_message(actor: &Actor, patient: &Patient) -> bool {
    matches!(actor, Actor::Patient(_) | Actor::Staff(_)) && can_view_patient(actor, patient)
}

fn author_of(actor: &Actor) -> Result<Author, AppError> {
    match actor {
        Actor::Patient(p) => Ok(Author::Patient(p.id)),
        Actor::Staff(s) => Ok(Author::Staff(s.id)),
        _ => Err(AppError::Forbidden),
    }
}

fn event<'a>(action: Action, patient: &Patient) -> AuditEvent<'a> {
    AuditEvent::new(action)
        .patient(patient.id)
        .service(patient.service_id)
}

impl Messages<'_> {
    /// Whether a message body shows the crisis contacts: any risk phrase
    /// that is not negated, whatever the service's alert settings (those
    /// decide only whether an alert is raised), as for check-in notes.
    pub fn body_has_risk(&self, body: &str) -> bool {
        self.app
            .monitoring()
            .shows_crisis_contacts(TextSource::SecureMessage, &[body])
    }

    /// The signed-in patient starts a thread with their care team: the
    /// thread and its first message, their audit events and any alert, in
    /// one transaction. The same key again answers with the first.
    pub async fn start(
        &self,
        actor: &Actor,
        subject: &str,
        body: &str,
        key: &str,
        ctx: &RequestContext,
    ) -> Result<Sent, AppError> {
        let Actor::Patient(p) = actor else {
            return Err(AppError::Forbidden);
        };
        let (subject, body) =
            messages::parse_new_thread(subject, body).map_err(AppError::fields)?;
        let key = AppError::form_key(key, "message")?;
        let now = self.app.clock.now();
        let mut work = self.app.change(actor, ctx).await?;
        let patient = work.patient_if(p.id, may_message).await?;
        let author = Author::Patient(patient.id);
        let thread = Thread {
            id: ThreadId::random(),
            patient_id: patient.id,
            service_id: patient.service_id,
            subject,
            created_by: author,
            created_at: now,
            last_message_at: now,
        };
        if !work.tx().insert_message_thread(&thread, key).await? {
            let first = work
                .tx()
                .message_thread_by_key(patient.id, key)
                .await?
                .ok_or_else(|| missing("a duplicate thread"))?;
            return self.first_again(work, first, author, key).await;
        }
        work.audit(
            event(Action::MessageThreadStarted, &patient).detail(format!("thread {}", thread.id)),
        )
        .await?;
        self.send(work, &patient, (thread, true), author, body, key)
            .await
    }

    /// A reply in a thread, by the patient or by staff who may open their
    /// record; `patient` is the record the staff page is in (a thread of
    /// anyone else is not found). The same key again answers with the first.
    pub async fn reply(
        &self,
        actor: &Actor,
        patient: Option<PatientId>,
        thread: ThreadId,
        body: &str,
        key: &str,
        ctx: &RequestContext,
    ) -> Result<Sent, AppError> {
        let author = author_of(actor)?;
        let body = messages::parse_body(body).map_err(AppError::fields)?;
        let key = AppError::form_key(key, "message")?;
        let mut work = self.app.change(actor, ctx).await?;
        let (thread, patient) = find(&mut work, patient, thread, true).await?;
        if let Some(first) = work.tx().message_by_key(thread.id, author, key).await? {
            let risk = author.is_patient() && self.body_has_risk(&first.body);
            work.finish().await?;
            return Ok(Sent {
                thread,
                message: first,
                duplicate: true,
                risk,
            });
        }
        self.send(work, &patient, (thread, false), author, body, key)
            .await
    }

    /// Stores the message, its audit event, the alert for risky words from
    /// the patient or the notice to the patient of a message from staff,
    /// then commits. `first` when the thread was made in this transaction.
    async fn send(
        &self,
        mut work: Work<'_>,
        patient: &Patient,
        (thread, first): (Thread, bool),
        author: Author,
        body: String,
        key: &str,
    ) -> Result<Sent, AppError> {
        // Strictly after the thread's newest message (read with the
        // thread's row locked), so that a thread reads in the order it was
        // written even when two messages share a millisecond.
        let now = to_millis(self.app.clock.now());
        let newest = to_millis(thread.last_message_at);
        let sent_at = from_millis(if first { now } else { now.max(newest + 1) });
        let message = Message {
            id: MessageId::random(),
            thread_id: thread.id,
            patient_id: patient.id,
            service_id: patient.service_id,
            author,
            body,
            sent_at,
            read_at: None,
            read_by: None,
            needs_clinician: None,
        };
        if !work.tx().insert_message(&message, key).await? {
            // The same message at the same moment: answer with that one.
            return self.first_again(work, thread, author, key).await;
        }
        work.audit(
            event(Action::MessageSent, patient)
                .detail(format!(
                    "message {} in thread {} from {}",
                    message.id,
                    thread.id,
                    author.kind()
                ))
                .record(RecordKind::Message, message.id),
        )
        .await?;
        let risk = match author {
            Author::Patient(_) => {
                let (actor, ctx) = work.who();
                self.app
                    .monitoring()
                    .detect_on_message(work.tx(), actor, patient, &message, ctx)
                    .await?;
                self.body_has_risk(&message.body)
            }
            Author::Staff(_) => {
                self.notify_patient(&mut work, patient, &message).await?;
                false
            }
        };
        work.finish().await?;
        Ok(Sent {
            thread,
            message,
            duplicate: false,
            risk,
        })
    }

    /// The first message sent with `key` in `thread`, answered again.
    async fn first_again(
        &self,
        work: Work<'_>,
        thread: Thread,
        author: Author,
        key: &str,
    ) -> Result<Sent, AppError> {
        let mut work = work;
        let first = work
            .tx()
            .message_by_key(thread.id, author, key)
            .await?
            .ok_or_else(|| missing("a duplicate message"))?;
        work.finish().await?;
        Ok(Sent {
            risk: author.is_patient() && self.body_has_risk(&first.body),
            thread,
            message: first,
            duplicate: true,
        })
    }

    /// Queues the fixed "you have a new message" notice to the patient, by
    /// their email (or mobile), linking to sign-in: only for the first
    /// message from staff in the thread that they have not read, so a run
    /// of replies sends one notice until they have read them.
    async fn notify_patient(
        &self,
        work: &mut Work<'_>,
        patient: &Patient,
        message: &Message,
    ) -> Result<(), AppError> {
        let unread = work
            .tx()
            .messages_of_thread(message.thread_id)
            .await?
            .iter()
            .filter(|m| !m.author.is_patient() && m.read_at.is_none())
            .count();
        if unread != 1 {
            return Ok(());
        }
        let key = IdempotencyKey::from_parts(&["new-message", &message.id.to_string()])?;
        self.app
            .jobs()
            .notify_patient_to_sign_in(work.tx(), patient, MessageTemplate::NewMessage, &key)
            .await
    }

    /// A patient's threads, newest first, with what the viewer has not
    /// read, for the patient themself or staff who may open their record.
    /// Audited.
    pub async fn threads(
        &self,
        actor: &Actor,
        patient_id: PatientId,
        ctx: &RequestContext,
    ) -> Result<Vec<ThreadSummary>, AppError> {
        author_of(actor)?;
        let mut work = self.app.look(actor, ctx).await?;
        let patient = work.patient_if(patient_id, may_message).await?;
        let list = threads_in(&mut work, &patient).await?;
        work.finish().await?;
        Ok(list)
    }

    /// Opens a thread: its messages, oldest first, with the other side's
    /// marked read now (a second opening changes nothing). For the patient
    /// themself, or staff who may open their record (`patient` is the
    /// record the staff page is in). Audited.
    pub async fn open(
        &self,
        actor: &Actor,
        patient: Option<PatientId>,
        thread: ThreadId,
        ctx: &RequestContext,
    ) -> Result<ThreadView, AppError> {
        author_of(actor)?;
        let now = self.app.clock.now();
        let mut work = self.app.change(actor, ctx).await?;
        let (thread, patient) = find(&mut work, patient, thread, false).await?;
        let (viewer_is_patient, by) = match actor {
            Actor::Staff(s) => (false, Some(s.id)),
            _ => (true, None),
        };
        let marked = work
            .tx()
            .mark_messages_read(thread.id, viewer_is_patient, by, now)
            .await?;
        let messages = work.tx().messages_of_thread(thread.id).await?;
        work.audit(event(Action::MessageRead, &patient).detail(format!(
            "thread {}: {} messages, {marked} newly read",
            thread.id,
            messages.len()
        )))
        .await?;
        let staff_names = self.names(&mut work, &messages).await?;
        work.finish().await?;
        Ok(ThreadView {
            patient,
            thread,
            messages,
            staff_names,
        })
    }

    /// Names of the staff a thread mentions (who wrote, read and marked its
    /// messages): only those, not the whole service's staff (thousands on a
    /// national service).
    async fn names(
        &self,
        work: &mut Work<'_>,
        messages: &[Message],
    ) -> Result<HashMap<StaffId, String>, AppError> {
        let ids: Vec<StaffId> = messages
            .iter()
            .flat_map(|m| {
                let author = match m.author {
                    Author::Staff(id) => Some(id),
                    Author::Patient(_) => None,
                };
                author
                    .into_iter()
                    .chain(m.read_by)
                    .chain(m.needs_clinician.map(|n| n.by))
            })
            .collect();
        Ok(work.tx().staff_names(&ids).await?)
    }

    /// Staff mark a patient's message as needing a clinician (`needs` true)
    /// or clear the mark; a message of the care team's own is not found.
    /// Asking for the state it is in already is answered as done (the
    /// first mark's who and when stand).
    pub async fn set_needs_clinician(
        &self,
        actor: &Actor,
        patient: PatientId,
        thread: ThreadId,
        message: MessageId,
        needs: bool,
        ctx: &RequestContext,
    ) -> Result<Message, AppError> {
        let Actor::Staff(s) = actor else {
            return Err(AppError::Forbidden);
        };
        let now = self.app.clock.now();
        let mut work = self.app.change(actor, ctx).await?;
        let (thread, patient) = find(&mut work, Some(patient), thread, true).await?;
        let found = work
            .tx()
            .message(message)
            .await?
            .filter(|m| m.thread_id == thread.id && m.author.is_patient())
            .ok_or(AppError::NotFound)?;
        let mark = needs.then_some(NeedsClinician { by: s.id, at: now });
        if work
            .tx()
            .set_message_needs_clinician(found.id, mark)
            .await?
        {
            let action = if needs {
                Action::MessageNeedsClinician
            } else {
                Action::MessageNeedsClinicianCleared
            };
            work.audit(
                event(action, &patient)
                    .detail(format!("message {} in thread {}", found.id, thread.id))
                    .record(RecordKind::Message, found.id),
            )
            .await?;
        }
        let now_is = work
            .tx()
            .message(found.id)
            .await?
            .ok_or(AppError::NotFound)?;
        work.finish().await?;
        Ok(now_is)
    }

    /// How many messages from their care team the signed-in patient has
    /// not read, for their home page. A count of their own, with no
    /// content, so not an audited read.
    pub async fn unread_for_me(&self, actor: &Actor) -> Result<i64, AppError> {
        let Actor::Patient(p) = actor else {
            return Err(AppError::Forbidden);
        };
        let mut tx = self.app.store.read().await?;
        let n = tx.unread_message_count(p.id, true).await?;
        tx.rollback().await?;
        Ok(n)
    }

    /// For staff: how many messages each of `patients` sent that nobody in
    /// the care team has read, for a caseload or list; patients the staff
    /// member may not open, or with none unread, are left out. Counts only.
    pub async fn unread_by_patient(
        &self,
        actor: &Actor,
        patients: &[Patient],
    ) -> Result<HashMap<PatientId, i64>, AppError> {
        if !matches!(actor, Actor::Staff(_)) {
            return Err(AppError::Forbidden);
        }
        let ids: Vec<PatientId> = patients
            .iter()
            .filter(|p| may_message(actor, p))
            .map(|p| p.id)
            .collect();
        let mut tx = self.app.store.read().await?;
        let counts = tx.unread_messages_by_patient(&ids).await?;
        tx.rollback().await?;
        Ok(counts.into_iter().collect())
    }
}

fn missing(what: &str) -> AppError {
    AppError::internal(std::io::Error::other(format!("{what} went missing")))
}

/// The thread (its row locked with `lock`) and its patient, if the actor
/// may message them and, for staff, the thread is in the record `patient`
/// names; `NotFound` otherwise, exactly as for a thread that does not exist.
async fn find(
    work: &mut Work<'_>,
    patient: Option<PatientId>,
    id: ThreadId,
    lock: bool,
) -> Result<(Thread, Patient), AppError> {
    let thread = work
        .tx()
        .message_thread(id, lock)
        .await?
        .filter(|t| patient.is_none_or(|p| p == t.patient_id))
        .ok_or(AppError::NotFound)?;
    let patient = work.patient_if(thread.patient_id, may_message).await?;
    Ok((thread, patient))
}

/// A patient's threads as the actor of `work` sees them (the caller has
/// checked they may message this person), audited in that unit of work.
pub(crate) async fn threads_in(
    work: &mut Work<'_>,
    patient: &Patient,
) -> Result<Vec<ThreadSummary>, AppError> {
    let viewer_is_patient = matches!(work.who().0, Actor::Patient(_));
    let list = work
        .tx()
        .message_threads_of(patient.id, viewer_is_patient, 200)
        .await?;
    work.audit(
        event(Action::MessageRead, patient).detail(format!("{} message threads", list.len())),
    )
    .await?;
    Ok(list)
}
