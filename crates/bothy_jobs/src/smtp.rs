//! Email over SMTP with lettre on rustls: a plain-text part and an HTML
//! part (and a file beside them, an appointment's calendar, when the
//! message has one), from the service's name at the deployment's sending address, with
//! a Message-ID made from the job's idempotency key (so that, in the one
//! window where a message can go twice, a worker dying between the
//! server's acceptance and the record of it, mail systems that de-duplicate
//! by Message-ID show it once; see docs/decisions-channels.md).
//!
//! Errors are sorted for the queue: a 5xx answer is permanent (the job
//! fails and shows in the dead-letter list); a 4xx answer, a refused or
//! dropped connection, a TLS failure or a time-out is temporary (retried
//! with back-off). Nothing logged or stored names the recipient.

use bothy_app::notify::{Delivery, Notifier, OutgoingMessage, SendError, SendFuture};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// STARTTLS, required (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// None: only for a relay on the same machine, and tests.
    None,
}

/// Where and how to send.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub credentials: Option<(String, String)>,
    /// The sending address; the display name is each message's service.
    pub from: Address,
    /// The name given in EHLO; the address literal 127.0.0.1 without one.
    pub helo_name: Option<String>,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("credentials", &self.credentials.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .finish()
    }
}

/// The SMTP notifier.
pub struct SmtpNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Address,
}

impl SmtpNotifier {
    pub fn new(settings: &SmtpSettings) -> Result<Self, String> {
        let tls = match settings.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls | SmtpTls::Tls => {
                let params = TlsParameters::new(settings.host.clone())
                    .map_err(|e| format!("TLS settings for {}: {e}", settings.host))?;
                if settings.tls == SmtpTls::Tls {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
                .port(settings.port)
                .tls(tls)
                .timeout(Some(settings.timeout));
        if let Some(name) = &settings.helo_name {
            builder = builder.hello_name(ClientId::Domain(name.clone()));
        }
        if let Some((user, password)) = &settings.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            from: settings.from.clone(),
        })
    }

    /// The email for `message`, or why it cannot be one (permanent).
    pub fn build(&self, message: &OutgoingMessage) -> Result<Message, SendError> {
        let to: Address = message
            .to
            .parse()
            .map_err(|_| SendError::Permanent("the address is not one SMTP accepts".into()))?;
        let name = (!message.sender_name.trim().is_empty()).then(|| message.sender_name.clone());
        let plain = SinglePart::builder()
            .header(header::ContentType::TEXT_PLAIN)
            .body(message.body.clone());
        let body = match &message.html {
            Some(html) => MultiPart::alternative().singlepart(plain).singlepart(
                SinglePart::builder()
                    .header(header::ContentType::TEXT_HTML)
                    .body(html.clone()),
            ),
            None => MultiPart::mixed().singlepart(plain),
        };
        // A file (an appointment's calendar) goes beside the text and HTML:
        // multipart/mixed around the multipart/alternative.
        let body = match &message.attachment {
            Some(file) => {
                let content_type =
                    header::ContentType::parse(&file.content_type).map_err(|_| {
                        SendError::Permanent("the attachment's content type is not valid".into())
                    })?;
                MultiPart::mixed().multipart(body).singlepart(
                    Attachment::new(file.file_name.clone())
                        .body(file.content.clone(), content_type),
                )
            }
            None => body,
        };
        Message::builder()
            .from(Mailbox::new(name, self.from.clone()))
            .to(Mailbox::new(None, to))
            .subject(message.subject.clone().unwrap_or_default())
            .message_id(Some(format!(
                "<{}@{}>",
                message.idempotency_key.as_str(),
                self.from.domain()
            )))
            .date(std::time::SystemTime::from(message.created_at))
            .multipart(body)
            .map_err(|e| SendError::Permanent(format!("the message cannot be built: {e}")))
    }
}

/// The queue's reading of an SMTP error: its class, never the address.
fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    let code = e.status().map(|c| c.to_string());
    if e.is_permanent() {
        SendError::Permanent(format!(
            "the mail server refused the message ({})",
            code.unwrap_or_default()
        ))
    } else if e.is_transient() {
        SendError::Temporary(format!(
            "the mail server deferred the message ({})",
            code.unwrap_or_default()
        ))
    } else if e.is_timeout() {
        SendError::Temporary("the mail server did not answer in time".into())
    } else if e.is_tls() {
        SendError::Temporary("TLS with the mail server failed".into())
    } else {
        SendError::Temporary("the mail server could not be reached".into())
    }
}

impl Notifier for SmtpNotifier {
    fn send<'a>(&'a self, message: &'a OutgoingMessage) -> SendFuture<'a> {
        Box::pin(async move {
            let email = self.build(message)?;
            match self.transport.send(email).await {
                Ok(_) => Ok(Delivery::Sent),
                Err(e) => {
                    let error = classify(&e);
                    tracing::warn!(key = %message.idempotency_key, error = %error, "email not sent");
                    Err(error)
                }
            }
        })
    }
}
