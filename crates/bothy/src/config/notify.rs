//! `[notify]`: the services of this deployment whose messages go by GOV.UK
//! Notify, each under its short name (`[notify.services.talking-therapies]`).
//! Each has its own Notify service, so its own API key, templates and
//! callback token; every other service sends as `[email]` says. The key and
//! the token are secrets: give them as `BOTHY__NOTIFY__SERVICES__{SHORT
//! NAME}__API_KEY` rather than in a file. Which channels a service uses at
//! all stays in its own settings file (`[messages] channels`); this says
//! only how they travel.

use super::Secret;
use super::load::{ConfigError, invalid_at};
use bothy_jobs::notify_gov::{self, ApiKey, NotifySettings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// How long to wait for Notify (1 to 25 seconds).
    pub timeout_seconds: u64,
    #[serde(default)]
    pub services: BTreeMap<String, NotifyServiceConfig>,
}

/// One service's Notify settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyServiceConfig {
    /// `{key name}-{service id}-{secret key}`, as Notify shows it.
    pub api_key: Secret,
    /// A text message template whose content is `((body))`; unset, text
    /// messages do not go by Notify.
    pub sms_template_id: Option<String>,
    /// An email template with subject `((subject))` and content `((body))`;
    /// unset, email does not go by Notify.
    pub email_template_id: Option<String>,
    /// A text message sender other than the Notify service's default.
    pub sms_sender_id: Option<String>,
    /// A reply-to address other than the Notify service's default.
    pub email_reply_to_id: Option<String>,
    /// The bearer token set for this service's callbacks in Notify (at
    /// least 10 characters, as Notify requires); unset, callbacks for it
    /// are refused.
    pub callback_token: Option<Secret>,
    /// Notify's API; another only for a stand-in on this machine.
    pub base_url: Option<String>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            timeout_seconds: 20,
            services: BTreeMap::new(),
        }
    }
}

impl NotifyConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.timeout_seconds == 0 || self.timeout_seconds > 25 {
            // The worker gives a job 30 seconds.
            return Err(invalid_at(
                "notify.timeout_seconds".into(),
                "must be between 1 and 25",
            ));
        }
        let mut callback_tokens = Vec::new();
        for (slug, s) in &self.services {
            let field = |name: &str| format!("notify.services.{slug}.{name}");
            if bothy_domain::model::ServiceSlug::parse(slug).is_err() {
                return Err(invalid_at(
                    format!("notify.services.{slug}"),
                    "is not a service short name (2 to 40 lower-case letters, numbers or dashes)",
                ));
            }
            ApiKey::parse(&s.api_key.0).map_err(|e| invalid_at(field("api_key"), e))?;
            if s.sms_template_id.is_none() && s.email_template_id.is_none() {
                return Err(invalid_at(
                    field("sms_template_id"),
                    "give sms_template_id, email_template_id or both: the channels this \
                     service sends by GOV.UK Notify",
                ));
            }
            for (name, value) in [
                ("sms_template_id", &s.sms_template_id),
                ("email_template_id", &s.email_template_id),
                ("sms_sender_id", &s.sms_sender_id),
                ("email_reply_to_id", &s.email_reply_to_id),
            ] {
                if let Some(v) = value
                    && !notify_gov::is_uuid(v)
                {
                    return Err(invalid_at(
                        field(name),
                        format!("{v:?} is not an id as Notify shows them (36 characters)"),
                    ));
                }
            }
            if let Some(token) = &s.callback_token {
                if token.0.len() < 10 || token.0.trim() != token.0 {
                    return Err(invalid_at(
                        field("callback_token"),
                        "must be at least 10 characters, without spaces at either end",
                    ));
                }
                // Callbacks find their service by the token.
                if callback_tokens.contains(&&token.0) {
                    return Err(invalid_at(
                        field("callback_token"),
                        "is the same as another service's: each service needs its own",
                    ));
                }
                callback_tokens.push(&token.0);
            }
            if let Some(url) = &s.base_url {
                notify_gov::check_base_url(url).map_err(|e| invalid_at(field("base_url"), e))?;
            }
        }
        Ok(())
    }

    /// Each listed service's client settings, by short name. Call after
    /// `validate`; a key that does not parse is an error all the same.
    pub fn settings(&self) -> Result<Vec<(String, NotifySettings)>, ConfigError> {
        self.services
            .iter()
            .map(|(slug, s)| {
                let api_key = ApiKey::parse(&s.api_key.0)
                    .map_err(|e| invalid_at(format!("notify.services.{slug}.api_key"), e))?;
                Ok((
                    slug.clone(),
                    NotifySettings {
                        label: slug.clone(),
                        api_key,
                        base_url: s
                            .base_url
                            .clone()
                            .unwrap_or_else(|| notify_gov::DEFAULT_BASE_URL.into()),
                        sms_template_id: s.sms_template_id.clone(),
                        email_template_id: s.email_template_id.clone(),
                        sms_sender_id: s.sms_sender_id.clone(),
                        email_reply_to_id: s.email_reply_to_id.clone(),
                        timeout: Duration::from_secs(self.timeout_seconds),
                    },
                ))
            })
            .collect()
    }

    /// Each listed service's callback token, by short name.
    pub fn callback_tokens(&self) -> Vec<(String, String)> {
        self.services
            .iter()
            .filter_map(|(slug, s)| Some((slug.clone(), s.callback_token.as_ref()?.0.clone())))
            .collect()
    }
}
