//! Notifications: the fixed messages Bothy sends, and the notifier port that
//! delivers them.
//!
//! A message never contains clinical content: it says that something is
//! waiting, never what. That is enforced by construction: a [`Notification`]
//! holds a recipient, a [`MessageTemplate`] (a closed set of fieldless
//! variants, each rendering fixed text), at most a link into this
//! deployment, and the ids of the service it comes from (whose name and
//! contact it gives) and of the patient it goes to (whose contact choice is
//! asked again when it is sent). There is no field that could carry
//! anything else; the ids never appear in the message.
//!
//! Delivery goes through a [`Notifier`]: email over SMTP (`bothy_jobs::smtp`)
//! when configured; otherwise, and for text messages until an SMS gateway
//! arrives, [`FileOutbox`] writes each message to a file in the data
//! directory; [`MemoryOutbox`] keeps them in memory for tests. Every message
//! carries its job's idempotency key and a notifier must treat a second
//! message with the same key as already sent, so a job retried after a
//! worker died sends nothing twice.

mod appointment;
mod by_service;
mod templates;

use crate::App;
use crate::jobs::IdempotencyKey;
use bothy_domain::ServiceId;
use bothy_domain::person::{Email, PhoneNumber};
use bothy_domain::time::Timestamp;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

/// How a message travels: the same channels a person chooses between.
pub use bothy_domain::referral::Channel;

/// Who a message goes to: one address on one channel.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "channel", content = "address", rename_all = "snake_case")]
pub enum Recipient {
    Email(Email),
    Sms(PhoneNumber),
}

impl Recipient {
    pub fn channel(&self) -> Channel {
        match self {
            Recipient::Email(_) => Channel::Email,
            Recipient::Sms(_) => Channel::Sms,
        }
    }

    pub fn address(&self) -> &str {
        match self {
            Recipient::Email(e) => e.as_str(),
            Recipient::Sms(p) => p.as_str(),
        }
    }
}

pub use appointment::{Invitation, Notice};
pub use by_service::ByService;
pub use templates::{
    EMAIL_FOOTER, MessageTemplate, Rendered, SMS_LINK_BUDGET, SMS_MAX_SEGMENTS, Sender,
};

/// A message to send: to whom, which fixed message, and an optional link
/// into this deployment (checked when the job is enqueued).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notification {
    pub to: Recipient,
    pub template: MessageTemplate,
    pub link: Option<String>,
    /// The service it comes from, whose name and contact the message gives
    /// (absent in jobs queued before messages named their service).
    #[serde(default)]
    pub service: Option<ServiceId>,
    /// The patient it goes to, if it goes to one: their contact choice is
    /// asked again when it is sent, so a message waiting to be retried never
    /// goes by a channel they have since withdrawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<bothy_domain::PatientId>,
    /// The appointment an invitation or cancellation is about: its time and
    /// link are read when the message is sent (`notify/appointment.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment: Option<bothy_domain::ids::AppointmentId>,
}

/// A text in a two-way SMS conversation (`bothy_domain::sms`): a question,
/// a thank-you, the crisis contacts. Like a [`Notification`] it can carry
/// nothing about the person: [`CareText`] names only which question.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CareMessage {
    pub to: PhoneNumber,
    pub text: CareText,
    /// The service whose name and contact it gives; none for a number
    /// nobody here has (the text then names no service).
    pub service: Option<ServiceId>,
    pub patient: Option<bothy_domain::PatientId>,
}

pub use bothy_domain::sms::CareText;

/// A message handed to a [`Notifier`]; also the JSON the file outbox writes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutgoingMessage {
    /// The job's key: a notifier treats a second message with it as sent.
    pub idempotency_key: IdempotencyKey,
    pub channel: Channel,
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    /// The HTML part of an email.
    #[serde(default)]
    pub html: Option<String>,
    /// The service's name, an email's sender name.
    #[serde(default)]
    pub sender_name: String,
    pub created_at: Timestamp,
    /// The service it comes from, so that a deployment can send some
    /// services' messages by a channel of their own ([`ByService`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceId>,
    /// A file sent with an email: an appointment's calendar file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
}

/// A file attached to an email.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attachment {
    pub file_name: String,
    /// With its parameters: `text/calendar; method=REQUEST; charset=UTF-8`.
    pub content_type: String,
    pub content: String,
}

impl OutgoingMessage {
    pub fn new(
        idempotency_key: IdempotencyKey,
        notification: &Notification,
        sender: &Sender,
        created_at: Timestamp,
    ) -> Self {
        let channel = notification.to.channel();
        let rendered = notification
            .template
            .render(channel, notification.link.as_deref(), sender);
        Self {
            idempotency_key,
            channel,
            to: notification.to.address().to_string(),
            subject: rendered.subject,
            body: rendered.body,
            html: rendered.html,
            sender_name: sender.name.clone(),
            created_at,
            service: notification.service,
            attachment: None,
        }
    }
}

impl OutgoingMessage {
    /// A text message of `body`, already rendered.
    pub fn text(
        idempotency_key: IdempotencyKey,
        to: &PhoneNumber,
        body: String,
        sender: &Sender,
        created_at: Timestamp,
    ) -> Self {
        Self {
            idempotency_key,
            channel: Channel::Sms,
            to: to.as_str().to_string(),
            subject: None,
            body,
            html: None,
            sender_name: sender.name.clone(),
            created_at,
            service: None,
            attachment: None,
        }
    }
}

/// A digest of an address, to count what one address was sent without
/// keeping the address.
pub fn recipient_digest(address: &str) -> String {
    digest(&address.trim().to_lowercase())
}

/// A short, file-name-safe digest of `s`: for a key or a count made from
/// something that must not appear in a key, a log or a row itself.
pub(crate) fn digest(s: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(s.as_bytes())[..16])
}

/// What a notifier did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// A message with this idempotency key was sent before; nothing was sent now.
    AlreadySent,
}

/// Why a message was not sent. The text is an error class or the adapter's
/// own message; it never contains the recipient or the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (gateway down, time-out, disk full).
    #[error("{0}")]
    Temporary(String),
    /// Trying again will not help (the address was refused).
    #[error("refused: {0}")]
    Permanent(String),
    /// Worth trying again, but not before `after`: the channel said when
    /// (a rate limit's `Retry-After`).
    #[error("{error}")]
    Later {
        error: String,
        after: std::time::Duration,
    },
}

/// The future a [`Notifier`] returns.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<Delivery, SendError>> + Send + 'a>>;

/// The notifier port: delivers one message. Must be idempotent per
/// `message.idempotency_key`.
pub trait Notifier: Send + Sync + 'static {
    fn send<'a>(&'a self, message: &'a OutgoingMessage) -> SendFuture<'a>;
}

/// Sends each message by the notifier for its channel: email over SMTP (or
/// the file outbox) and text messages to the file outbox, as configured.
pub struct ByChannel {
    pub email: Arc<dyn Notifier>,
    pub sms: Arc<dyn Notifier>,
}

impl Notifier for ByChannel {
    fn send<'a>(&'a self, message: &'a OutgoingMessage) -> SendFuture<'a> {
        match message.channel {
            Channel::Email => self.email.send(message),
            Channel::Sms => self.sms.send(message),
        }
    }
}

/// Writes each message as `{dir}/{idempotency_key}.json`. A message whose
/// file exists already is not written again: that is the de-duplication.
/// Each file appears whole or not at all (written aside, then linked into place).
#[derive(Debug, Clone)]
pub struct FileOutbox {
    dir: PathBuf,
}

impl FileOutbox {
    /// An outbox in `dir` (usually `{data_dir}/outbox`), created on first use.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    fn write(dir: &std::path::Path, message: &OutgoingMessage) -> Result<Delivery, SendError> {
        use std::io::Write;
        let io = |e: std::io::Error| SendError::Temporary(format!("outbox file: {}", e.kind()));
        std::fs::create_dir_all(dir).map_err(io)?;
        // The key is checked to be a plain file name (IdempotencyKey).
        let path = dir.join(format!("{}.json", message.idempotency_key.as_str()));
        if path.exists() {
            return Ok(Delivery::AlreadySent);
        }
        let json = serde_json::to_string_pretty(message)
            .map_err(|_| SendError::Permanent("message cannot be written as JSON".into()))?;
        let temp = dir.join(format!(
            ".{}.{}.tmp",
            message.idempotency_key.as_str(),
            uuid::Uuid::new_v4().simple()
        ));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .and_then(|mut f| {
                f.write_all(json.as_bytes())?;
                f.write_all(b"\n")?;
                f.sync_all()
            });
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(io(e));
        }
        // A hard link fails if the name exists, so two writers of one key
        // cannot both succeed, and a reader never sees half a file.
        let linked = std::fs::hard_link(&temp, &path);
        let _ = std::fs::remove_file(&temp);
        match linked {
            Ok(()) => Ok(Delivery::Sent),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(Delivery::AlreadySent),
            Err(e) => Err(io(e)),
        }
    }
}

impl Notifier for FileOutbox {
    fn send<'a>(&'a self, message: &'a OutgoingMessage) -> SendFuture<'a> {
        let dir = self.dir.clone();
        let message = message.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || Self::write(&dir, &message))
                .await
                .map_err(|_| SendError::Temporary("outbox writer stopped".into()))?
        })
    }
}

/// Keeps messages in memory, de-duplicated by key like the file outbox; for
/// tests. Clones share the same messages.
#[derive(Debug, Clone, Default)]
pub struct MemoryOutbox(Arc<Mutex<MemoryState>>);

#[derive(Debug, Default)]
struct MemoryState {
    sent: Vec<OutgoingMessage>,
    sends: usize,
    failure: Option<SendError>,
}

impl MemoryOutbox {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The messages delivered, first send of each key only, in order.
    pub fn sent(&self) -> Vec<OutgoingMessage> {
        self.state().sent.clone()
    }

    /// Every call to `send`, including failed ones and repeats of a key.
    pub fn sends(&self) -> usize {
        self.state().sends
    }

    /// While set, every send fails with this error.
    pub fn set_failure(&self, failure: Option<SendError>) {
        self.state().failure = failure;
    }

    pub fn clear(&self) {
        let mut s = self.state();
        s.sent.clear();
        s.sends = 0;
    }
}

impl Notifier for MemoryOutbox {
    fn send<'a>(&'a self, message: &'a OutgoingMessage) -> SendFuture<'a> {
        let result = {
            let mut s = self.state();
            s.sends += 1;
            if let Some(e) = &s.failure {
                Err(e.clone())
            } else if s
                .sent
                .iter()
                .any(|m| m.idempotency_key == message.idempotency_key)
            {
                Ok(Delivery::AlreadySent)
            } else {
                s.sent.push(message.clone());
                Ok(Delivery::Sent)
            }
        };
        Box::pin(std::future::ready(result))
    }
}

impl App {
    /// Sends messages through `notifier` instead of the default in-memory outbox.
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifier = notifier;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str =
        "https://bothy.example.nhs.uk/activate/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefgh";

    fn mobile() -> PhoneNumber {
        PhoneNumber::parse("07700 900123").unwrap()
    }

    #[test]
    fn a_notification_holds_a_recipient_a_template_and_a_link_only() {
        let n = Notification {
            to: Recipient::Sms(mobile()),
            template: MessageTemplate::ReferralDecision,
            link: Some(LINK.into()),
            service: None,
            patient: None,
            appointment: None,
        };
        let v = serde_json::to_value(&n).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["link", "service", "template", "to"]);
        assert_eq!(v["to"]["channel"], "sms");
        assert_eq!(v["to"]["address"], "+447700900123");
        assert_eq!(serde_json::from_value::<Notification>(v).unwrap(), n);
        // An address that is not valid does not decode.
        let bad = serde_json::json!({"to": {"channel": "email", "address": "nope"}, "template": "activation", "link": null});
        assert!(serde_json::from_value::<Notification>(bad).is_err());
    }

    fn message(key: &str, body: &str) -> OutgoingMessage {
        OutgoingMessage {
            idempotency_key: IdempotencyKey::new(key).unwrap(),
            channel: Channel::Email,
            to: "someone@example.org".into(),
            subject: Some("s".into()),
            body: body.into(),
            html: None,
            sender_name: "Demo".into(),
            created_at: "2026-11-17T10:00:00Z".parse().unwrap(),
            service: None,
            attachment: None,
        }
    }

    #[tokio::test]
    async fn the_file_outbox_writes_each_key_once() {
        let dir = std::env::temp_dir().join(format!(
            "bothy-outbox-test-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let outbox = FileOutbox::new(dir.join("outbox"));
        let first = message("activation.1", "first");
        assert_eq!(outbox.send(&first).await, Ok(Delivery::Sent));
        assert_eq!(
            outbox.send(&message("activation.1", "second")).await,
            Ok(Delivery::AlreadySent)
        );
        assert_eq!(
            outbox.send(&message("activation.2", "other")).await,
            Ok(Delivery::Sent)
        );
        let text = std::fs::read_to_string(dir.join("outbox/activation.1.json")).unwrap();
        let stored: OutgoingMessage = serde_json::from_str(&text).unwrap();
        assert_eq!(stored, first);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["channel"], "email");
        assert_eq!(v["created_at"], "2026-11-17T10:00:00Z");
        let mut names: Vec<String> = std::fs::read_dir(dir.join("outbox"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["activation.1.json", "activation.2.json"],
            "no temporary files left"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn the_memory_outbox_deduplicates_and_can_fail() {
        let outbox = MemoryOutbox::new();
        outbox.set_failure(Some(SendError::Temporary("down".into())));
        assert_eq!(
            outbox.send(&message("k.1", "a")).await,
            Err(SendError::Temporary("down".into()))
        );
        outbox.set_failure(None);
        assert_eq!(outbox.send(&message("k.1", "a")).await, Ok(Delivery::Sent));
        assert_eq!(
            outbox.send(&message("k.1", "a")).await,
            Ok(Delivery::AlreadySent)
        );
        assert_eq!((outbox.sent().len(), outbox.sends()), (1, 3));
    }
}
