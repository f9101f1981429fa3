//! `[sms]`: how text messages leave Bothy and how replies come back. The
//! file outbox (every message a JSON file in `{data_dir}/outbox`) for
//! development and the demo; Kannel, the open-source SMS gateway, for a
//! service (`bothy_jobs::kannel`). With Kannel, its `sms-service` posts
//! replies to `/sms/kannel/inbound` and its delivery reports come to
//! `/sms/kannel/status`, both with `inbound_secret` as the HTTP Basic
//! password (docs/decisions-channels.md shows Kannel's side).

use super::Secret;
use super::load::{ConfigError, invalid};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    pub transport: SmsTransport,
    /// smsbox's sendsms interface, `host:port` (its `sendsms-port`).
    pub kannel_sendsms: Option<String>,
    /// A `sendsms-user` of smsbox.
    pub kannel_username: Option<String>,
    pub kannel_password: Option<Secret>,
    /// The number or name texts come from; smsbox's `global-sender` unset.
    pub sender: Option<String>,
    /// Bothy's address as the gateway reaches it for delivery reports
    /// (`http://host:port`); `server.public_url` unset.
    pub callback_url: Option<String>,
    /// What the gateway gives back with replies and delivery reports.
    pub inbound_secret: Option<Secret>,
    pub timeout_seconds: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsTransport {
    File,
    Kannel,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            transport: SmsTransport::File,
            kannel_sendsms: None,
            kannel_username: None,
            kannel_password: None,
            sender: None,
            callback_url: None,
            inbound_secret: None,
            timeout_seconds: 10,
        }
    }
}

impl SmsConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.timeout_seconds == 0 || self.timeout_seconds > 25 {
            // The worker gives a job 30 seconds.
            return Err(invalid("sms.timeout_seconds", "must be between 1 and 25"));
        }
        if let Some(secret) = &self.inbound_secret
            && secret.0.len() < 24
        {
            return Err(invalid(
                "sms.inbound_secret",
                "must be at least 24 characters (a long random string)",
            ));
        }
        if self.transport == SmsTransport::File {
            return Ok(());
        }
        let needed = "is needed with transport = \"kannel\"";
        if self
            .kannel_sendsms
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
        {
            return Err(invalid("sms.kannel_sendsms", needed));
        }
        if self.kannel_username.is_none() {
            return Err(invalid("sms.kannel_username", needed));
        }
        if self.kannel_password.is_none() {
            return Err(invalid("sms.kannel_password", needed));
        }
        if self.inbound_secret.is_none() {
            return Err(invalid("sms.inbound_secret", needed));
        }
        if let Some(url) = &self.callback_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(invalid(
                "sms.callback_url",
                "must start with http:// or https://",
            ));
        }
        Ok(())
    }

    /// Kannel's settings, when texts go through it; `public_url` is where
    /// the gateway reaches Bothy unless `callback_url` says otherwise.
    pub fn kannel(&self, public_url: &str) -> Option<bothy_jobs::kannel::KannelSettings> {
        if self.transport != SmsTransport::Kannel {
            return None;
        }
        Some(bothy_jobs::kannel::KannelSettings {
            sendsms: self.kannel_sendsms.clone()?,
            username: self.kannel_username.clone()?,
            password: self.kannel_password.as_ref()?.0.clone(),
            sender: self.sender.clone(),
            callback_base: self
                .callback_url
                .clone()
                .unwrap_or_else(|| public_url.to_string()),
            inbound_secret: self.inbound_secret.as_ref()?.0.clone(),
            timeout: std::time::Duration::from_secs(self.timeout_seconds),
        })
    }
}
