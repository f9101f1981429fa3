//! Notifications: the fixed messages Bothy sends, and the notifier port that
//! delivers them.
//!
//! A message never contains clinical content: it says that something is
//! waiting, never what. That is enforced by construction: a [`Notification`]
//! holds a recipient, a [`MessageTemplate`] (a closed set of fieldless
//! variants, each rendering fixed text) and at most a link into this
//! deployment. There is no field that could carry anything else.
//!
//! Delivery goes through a [`Notifier`]. Until email and SMS gateways are
//! configured, [`FileOutbox`] writes each message to a file in the data
//! directory; [`MemoryOutbox`] keeps them in memory for tests. Every message
//! carries its job's idempotency key and a notifier must treat a second
//! message with the same key as already sent, so a job retried after a
//! worker died sends nothing twice.

use crate::App;
use crate::jobs::IdempotencyKey;
use bothy_domain::person::{Email, PhoneNumber};
use bothy_domain::time::Timestamp;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

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

    /// The recipient for a person who prefers `preferred`: that channel when
    /// they gave an address for it (SMS needs a UK mobile number), otherwise
    /// the other one; None when they can be reached by neither.
    pub fn preferred(
        preferred: Channel,
        email: Option<&Email>,
        phone: Option<&PhoneNumber>,
    ) -> Option<Recipient> {
        let by_email = email.map(|e| Recipient::Email(e.clone()));
        let by_sms = phone
            .filter(|p| p.is_uk_mobile())
            .map(|p| Recipient::Sms(p.clone()));
        match preferred {
            Channel::Email => by_email.or(by_sms),
            Channel::Sms => by_sms.or(by_email),
        }
    }
}

/// The messages Bothy sends. Each is fixed text that says something is
/// waiting and never what; variants carry no data, so no caller can add any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageTemplate {
    /// To the person referred, or the referrer: the referral has arrived.
    ReferralReceived,
    /// A triage decision has been made (accepted, signposted, declined).
    ReferralDecision,
    /// An accepted person's single-use link to set up their account.
    Activation,
    /// A measure is due.
    MeasureDue,
    /// Triage asks for more information about a referral.
    InformationRequested,
    /// To a clinical lead or the duty contact: an alert is past its deadline.
    /// Worded as "a task", like every message: a phone's lock screen is not
    /// the place to say what kind.
    AlertOverdue,
    /// To a patient: their care team wrote to them. Never the message, its
    /// subject or who wrote it.
    NewMessage,
    /// To a patient: their supporter reviewed their programme. Never the
    /// feedback or who wrote it.
    NewFeedback,
}

/// The longest link an SMS can carry within one 160-character message; every
/// SMS text leaves room for a space and a link this long.
pub const SMS_LINK_BUDGET: usize = 85;

/// Added to every email: nobody reads replies, so nobody should rely on them.
pub const EMAIL_FOOTER: &str = "This message was sent automatically. Replies are not read.";

impl MessageTemplate {
    pub const ALL: [MessageTemplate; 8] = [
        MessageTemplate::ReferralReceived,
        MessageTemplate::ReferralDecision,
        MessageTemplate::Activation,
        MessageTemplate::MeasureDue,
        MessageTemplate::InformationRequested,
        MessageTemplate::AlertOverdue,
        MessageTemplate::NewMessage,
        MessageTemplate::NewFeedback,
    ];

    /// Whether the message is useless without its link.
    pub fn needs_link(self) -> bool {
        match self {
            MessageTemplate::Activation | MessageTemplate::AlertOverdue => true,
            MessageTemplate::ReferralReceived
            | MessageTemplate::ReferralDecision
            | MessageTemplate::MeasureDue
            | MessageTemplate::InformationRequested
            | MessageTemplate::NewMessage
            | MessageTemplate::NewFeedback => false,
        }
    }

    /// An email's subject line.
    pub fn subject(self) -> &'static str {
        match self {
            MessageTemplate::ReferralReceived => "We have received your referral",
            MessageTemplate::ReferralDecision => "An update about your referral",
            MessageTemplate::Activation => "Set up your account",
            MessageTemplate::MeasureDue => "A questionnaire is waiting for you",
            MessageTemplate::InformationRequested => "We need more information",
            MessageTemplate::AlertOverdue => "A task is past its deadline",
            MessageTemplate::NewMessage => "You have a new message",
            MessageTemplate::NewFeedback => "There is new feedback for you",
        }
    }

    /// The fixed text, worded for a message with or without a link. Short
    /// enough for one SMS with a link (see [`SMS_LINK_BUDGET`]).
    pub fn text(self, linked: bool) -> &'static str {
        match (self, linked) {
            (MessageTemplate::ReferralReceived, _) => {
                "We have received your referral and will be in touch about next steps."
            }
            (MessageTemplate::ReferralDecision, true) => {
                "There is an update about your referral. Follow the link to read it:"
            }
            (MessageTemplate::ReferralDecision, false) => {
                "There is an update about your referral. Sign in to read it."
            }
            (MessageTemplate::Activation, _) => {
                "Set up your account with this link. It works once, for a limited time:"
            }
            (MessageTemplate::MeasureDue, true) => {
                "You have a questionnaire waiting. Follow the link to fill it in:"
            }
            (MessageTemplate::MeasureDue, false) => {
                "You have a questionnaire waiting. Sign in to fill it in."
            }
            (MessageTemplate::InformationRequested, true) => {
                "We need a little more information about your referral. Follow the link:"
            }
            (MessageTemplate::InformationRequested, false) => {
                "We need a little more information about your referral. Please sign in."
            }
            (MessageTemplate::AlertOverdue, _) => {
                "A task in your service is past its deadline. See it here:"
            }
            (MessageTemplate::NewMessage, _) => {
                "You have a new message from your care team. Sign in to read it."
            }
            (MessageTemplate::NewFeedback, _) => {
                "There is new feedback from your supporter. Sign in to read it."
            }
        }
    }

    /// The message as sent on `channel`: the fixed text, the link if any,
    /// and for email a subject and the fixed footer. Nothing else.
    pub fn render(self, channel: Channel, link: Option<&str>) -> Rendered {
        let text = self.text(link.is_some());
        match channel {
            Channel::Sms => Rendered {
                subject: None,
                body: match link {
                    Some(link) => format!("{text} {link}"),
                    None => text.to_string(),
                },
            },
            Channel::Email => Rendered {
                subject: Some(self.subject().to_string()),
                body: match link {
                    Some(link) => format!("{text}\n\n{link}\n\n{EMAIL_FOOTER}\n"),
                    None => format!("{text}\n\n{EMAIL_FOOTER}\n"),
                },
            },
        }
    }
}

/// A rendered message: a subject (email only) and plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: Option<String>,
    pub body: String,
}

/// A message to send: to whom, which fixed message, and an optional link
/// into this deployment (checked when the job is enqueued).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notification {
    pub to: Recipient,
    pub template: MessageTemplate,
    pub link: Option<String>,
}

/// A message handed to a [`Notifier`]; also the JSON the file outbox writes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutgoingMessage {
    /// The job's key: a notifier treats a second message with it as sent.
    pub idempotency_key: IdempotencyKey,
    pub channel: Channel,
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    pub created_at: Timestamp,
}

impl OutgoingMessage {
    pub fn new(
        idempotency_key: IdempotencyKey,
        notification: &Notification,
        created_at: Timestamp,
    ) -> Self {
        let channel = notification.to.channel();
        let rendered = notification
            .template
            .render(channel, notification.link.as_deref());
        Self {
            idempotency_key,
            channel,
            to: notification.to.address().to_string(),
            subject: rendered.subject,
            body: rendered.body,
            created_at,
        }
    }
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
}

/// The future a [`Notifier`] returns.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<Delivery, SendError>> + Send + 'a>>;

/// The notifier port: delivers one message. Must be idempotent per
/// `message.idempotency_key`.
pub trait Notifier: Send + Sync + 'static {
    fn send<'a>(&'a self, message: &'a OutgoingMessage) -> SendFuture<'a>;
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

    fn email() -> Email {
        Email::parse("someone@example.org").unwrap()
    }

    fn mobile() -> PhoneNumber {
        PhoneNumber::parse("07700 900123").unwrap()
    }

    #[test]
    fn every_message_is_the_fixed_text_and_the_link_and_nothing_else() {
        for template in MessageTemplate::ALL {
            // A template is a bare name: no data travels with it.
            assert!(serde_json::to_value(template).unwrap().is_string());
            for link in [None, Some(LINK)] {
                let text = template.text(link.is_some());
                let sms = template.render(Channel::Sms, link);
                assert_eq!(sms.subject, None);
                let expected_sms = match link {
                    Some(l) => format!("{text} {l}"),
                    None => text.to_string(),
                };
                assert_eq!(sms.body, expected_sms);
                let mail = template.render(Channel::Email, link);
                assert_eq!(mail.subject.as_deref(), Some(template.subject()));
                let rest = mail.body.strip_prefix(text).unwrap();
                let rest = match link {
                    Some(l) => rest.strip_prefix(&format!("\n\n{l}")).unwrap(),
                    None => rest,
                };
                assert_eq!(rest, format!("\n\n{EMAIL_FOOTER}\n"));
            }
        }
    }

    #[test]
    fn an_sms_with_a_link_fits_in_one_message_and_uses_plain_characters() {
        assert!(LINK.len() <= SMS_LINK_BUDGET);
        let long_link = format!("https://{}", "x".repeat(SMS_LINK_BUDGET - 8));
        assert_eq!(long_link.len(), SMS_LINK_BUDGET);
        for template in MessageTemplate::ALL {
            for link in [None, Some(long_link.as_str())] {
                let sms = template.render(Channel::Sms, link);
                assert!(
                    sms.body.chars().count() <= 160,
                    "{template:?}: {}",
                    sms.body
                );
            }
            for linked in [false, true] {
                let text = template.text(linked);
                assert!(
                    text.is_ascii(),
                    "{template:?} must stay in the GSM 7-bit alphabet"
                );
                assert!(!text.is_empty() && text.len() < 160 - 1 - SMS_LINK_BUDGET);
            }
            assert!(template.subject().is_ascii());
        }
    }

    #[test]
    fn no_message_names_anything_clinical() {
        // Words that would say what is waiting rather than that something is.
        let clinical = [
            "depress",
            "anxi",
            "suicid",
            "harm",
            "risk",
            "score",
            "phq",
            "gad",
            "therap",
            "mental",
            "mood",
            "diagnos",
            "declin",
            "accept",
            "crisis",
            "alert",
            "treatment",
        ];
        for template in MessageTemplate::ALL {
            for linked in [false, true] {
                let all =
                    format!("{} {}", template.subject(), template.text(linked)).to_lowercase();
                for word in clinical {
                    assert!(!all.contains(word), "{template:?} mentions {word:?}");
                }
            }
        }
    }

    #[test]
    fn a_notification_holds_a_recipient_a_template_and_a_link_only() {
        let n = Notification {
            to: Recipient::Sms(mobile()),
            template: MessageTemplate::ReferralDecision,
            link: Some(LINK.into()),
        };
        let v = serde_json::to_value(&n).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["link", "template", "to"]);
        assert_eq!(v["to"]["channel"], "sms");
        assert_eq!(v["to"]["address"], "+447700900123");
        assert_eq!(serde_json::from_value::<Notification>(v).unwrap(), n);
        // An address that is not valid does not decode.
        let bad = serde_json::json!({"to": {"channel": "email", "address": "nope"}, "template": "activation", "link": null});
        assert!(serde_json::from_value::<Notification>(bad).is_err());
    }

    #[test]
    fn the_preferred_channel_is_used_when_it_can_be() {
        let e = email();
        let m = mobile();
        let landline = PhoneNumber::parse("0131 496 0000").unwrap();
        assert_eq!(
            Recipient::preferred(Channel::Sms, Some(&e), Some(&m)),
            Some(Recipient::Sms(m.clone()))
        );
        assert_eq!(
            Recipient::preferred(Channel::Email, Some(&e), Some(&m)),
            Some(Recipient::Email(e.clone()))
        );
        assert_eq!(
            Recipient::preferred(Channel::Sms, Some(&e), Some(&landline)),
            Some(Recipient::Email(e.clone()))
        );
        assert_eq!(
            Recipient::preferred(Channel::Email, None, Some(&m)),
            Some(Recipient::Sms(m))
        );
        assert_eq!(
            Recipient::preferred(Channel::Sms, None, Some(&landline)),
            None
        );
    }

    fn message(key: &str, body: &str) -> OutgoingMessage {
        OutgoingMessage {
            idempotency_key: IdempotencyKey::new(key).unwrap(),
            channel: Channel::Email,
            to: "someone@example.org".into(),
            subject: Some("s".into()),
            body: body.into(),
            created_at: "2026-11-17T10:00:00Z".parse().unwrap(),
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
