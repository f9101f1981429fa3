//! `[email]`: how email leaves Bothy. The file outbox (every message a JSON
//! file in `{data_dir}/outbox`) for development and the demo; SMTP for a
//! service. Text messages go to the file outbox until an SMS gateway is
//! configured (issue 15, items 3 and 4).

use super::Secret;
use super::load::{ConfigError, invalid};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    pub transport: EmailTransport,
    /// The sending address (the display name is each message's service).
    pub from: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTlsMode,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<Secret>,
    /// The name Bothy gives in EHLO; the address literal [127.0.0.1] unset.
    pub helo_name: Option<String>,
    pub timeout_seconds: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailTransport {
    File,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTlsMode {
    Starttls,
    Tls,
    None,
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            transport: EmailTransport::File,
            from: None,
            smtp_host: None,
            smtp_port: 587,
            smtp_tls: SmtpTlsMode::Starttls,
            smtp_username: None,
            smtp_password: None,
            helo_name: None,
            timeout_seconds: 20,
        }
    }
}

impl EmailConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.timeout_seconds == 0 || self.timeout_seconds > 25 {
            // The worker gives a job 30 seconds.
            return Err(invalid("email.timeout_seconds", "must be between 1 and 25"));
        }
        if self.transport == EmailTransport::File {
            return Ok(());
        }
        if self
            .smtp_host
            .as_deref()
            .is_none_or(|h| h.trim().is_empty())
        {
            return Err(invalid(
                "email.smtp_host",
                "is needed with transport = \"smtp\"",
            ));
        }
        let from_ok = self
            .from
            .as_deref()
            .is_some_and(|f| f.parse::<lettre::Address>().is_ok());
        if !from_ok {
            return Err(invalid(
                "email.from",
                "is needed with transport = \"smtp\": an address such as no-reply@example.org",
            ));
        }
        if self.smtp_username.is_some() != self.smtp_password.is_some() {
            return Err(invalid(
                "email.smtp_password",
                "give both smtp_username and smtp_password, or neither",
            ));
        }
        if self.smtp_password.is_some() && self.smtp_tls == SmtpTlsMode::None {
            return Err(invalid(
                "email.smtp_tls",
                "a password is never sent without TLS: use \"starttls\" or \"tls\"",
            ));
        }
        Ok(())
    }

    /// The SMTP settings, when email goes by SMTP.
    pub fn smtp(&self) -> Option<bothy_jobs::smtp::SmtpSettings> {
        if self.transport != EmailTransport::Smtp {
            return None;
        }
        Some(bothy_jobs::smtp::SmtpSettings {
            host: self.smtp_host.clone()?,
            port: self.smtp_port,
            tls: match self.smtp_tls {
                SmtpTlsMode::Starttls => bothy_jobs::smtp::SmtpTls::Starttls,
                SmtpTlsMode::Tls => bothy_jobs::smtp::SmtpTls::Tls,
                SmtpTlsMode::None => bothy_jobs::smtp::SmtpTls::None,
            },
            credentials: self
                .smtp_username
                .clone()
                .zip(self.smtp_password.as_ref().map(|p| p.0.clone())),
            from: self.from.as_deref()?.parse().ok()?,
            helo_name: self.helo_name.clone(),
            timeout: std::time::Duration::from_secs(self.timeout_seconds),
        })
    }
}
