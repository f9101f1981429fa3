//! Values derived from the configuration, and the settings other crates take.

use super::load::invalid;
use super::{Config, ConfigError, DEFAULT_CRISIS_CONTACTS, redact_url};
use bothy_app::AppSettings;
use bothy_domain::crisis::CrisisContacts;
use bothy_store::PoolSettings;
use std::path::Path;
use std::time::Duration;

impl Config {
    /// The address people use to reach this deployment, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.server.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.server.listen),
        }
    }

    /// Whether session cookies must be marked Secure: only when served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url().starts_with("https://")
    }

    /// Whether the database is the default SQLite file in `server.data_dir`.
    pub fn uses_default_database(&self) -> bool {
        self.database.url.is_none()
    }

    /// The database URL. Contains any password: never print it; see [`redact_url`].
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.clone(),
            None => sqlite_url(&self.server.data_dir.join("bothy.db")),
        }
    }

    pub fn app_settings(&self) -> AppSettings {
        let s = &self.security;
        AppSettings {
            public_url: self.public_url(),
            staff_idle_timeout: minutes(s.staff_idle_minutes),
            staff_absolute_timeout: minutes(s.staff_absolute_hours.saturating_mul(60)),
            patient_idle_timeout: minutes(s.patient_idle_minutes),
            enrolment_link_lifetime: minutes(s.enrolment_link_hours.saturating_mul(60)),
            sign_in_attempts_per_account: s.sign_in_attempts_per_account,
            sign_in_attempts_per_ip: s.sign_in_attempts_per_ip,
            password_hash_workers: usize::try_from(s.password_hash_workers).unwrap_or(1),
            jitsi_secret: self
                .video
                .jitsi_secret
                .as_ref()
                .map(|s| bothy_app::appointments::VideoSecret::new(s.0.as_bytes())),
            report_suppress_below: self.reports.suppress_below,
            extract_key: self
                .reports
                .extract_key
                .as_ref()
                .and_then(|s| bothy_domain::reports::ExtractKey::new(s.0.as_bytes())),
            ..AppSettings::default()
        }
    }

    pub fn pool_settings(&self) -> PoolSettings {
        PoolSettings {
            max_connections: self.database.max_connections,
            ..PoolSettings::default()
        }
    }

    /// The crisis contacts: the configured file, or the built-in ones.
    pub fn crisis_contacts(&self) -> Result<CrisisContacts, ConfigError> {
        const FIELD: &str = "content.crisis_contacts";
        let Some(path) = &self.content.crisis_contacts else {
            return CrisisContacts::parse(DEFAULT_CRISIS_CONTACTS)
                .map_err(|e| invalid(FIELD, format!("built-in file: {e}")));
        };
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            field: FIELD,
            path: path.clone(),
            message: e.to_string(),
        })?;
        CrisisContacts::parse(&text).map_err(|e| ConfigError::File {
            field: FIELD,
            path: path.clone(),
            message: e.to_string(),
        })
    }

    /// A copy fit to show an operator: derived values filled in, the database
    /// password and the metrics token hidden.
    pub fn resolved_for_display(&self) -> Config {
        let mut shown = self.clone();
        shown.server.public_url = Some(self.public_url());
        if shown.server.metrics_token.is_some() {
            shown.server.metrics_token = Some(super::Secret("***".into()));
        }
        if shown.sms.kannel_password.is_some() {
            shown.sms.kannel_password = Some(super::Secret("***".into()));
        }
        if shown.sms.inbound_secret.is_some() {
            shown.sms.inbound_secret = Some(super::Secret("***".into()));
        }
        if shown.email.smtp_password.is_some() {
            shown.email.smtp_password = Some(super::Secret("***".into()));
        }
        for s in shown.notify.services.values_mut() {
            s.api_key = super::Secret("***".into());
            if s.callback_token.is_some() {
                s.callback_token = Some(super::Secret("***".into()));
            }
        }
        if shown.reports.extract_key.is_some() {
            shown.reports.extract_key = Some(super::Secret("***".into()));
        }
        shown.database.url = Some(redact_url(&self.database_url()));
        shown
    }
}

fn minutes(m: u64) -> Duration {
    Duration::from_secs(m.saturating_mul(60))
}

/// A SQLite URL for a file path. A relative path uses the `sqlite:PATH` form,
/// which URL parsing leaves alone (`sqlite://` would read the first directory
/// as a host name and drop `..` segments); characters that URL parsing would
/// take for a query or fragment are percent-encoded, and sqlx decodes them.
pub fn sqlite_url(path: &Path) -> String {
    let mut encoded = String::new();
    for ch in path.to_string_lossy().chars() {
        match ch {
            '%' => encoded.push_str("%25"),
            '?' => encoded.push_str("%3F"),
            '#' => encoded.push_str("%23"),
            c => encoded.push(c),
        }
    }
    if path.is_absolute() {
        format!("sqlite://{encoded}")
    } else {
        format!("sqlite:{encoded}")
    }
}
