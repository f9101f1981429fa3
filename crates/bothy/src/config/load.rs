//! Reading the layers (defaults, file, environment, flags) and checking the result.

use super::redact::redact_text;
use super::{Config, DEFAULT_FILE};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Settings given on the command line, the last and strongest layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
}

/// Why the configuration could not be loaded.
#[derive(Debug)]
pub enum ConfigError {
    /// A file or variable could not be read or has the wrong shape; figment names the key and source.
    Load(Box<figment::Error>),
    /// A setting has a value Bothy cannot use.
    Invalid {
        field: &'static str,
        message: String,
    },
    /// A setting under a name chosen in the file (a service's short name)
    /// has a value Bothy cannot use.
    InvalidAt { field: String, message: String },
    /// A file named by the configuration could not be read.
    File {
        field: &'static str,
        path: PathBuf,
        message: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // A TOML syntax error quotes the line at fault, which may hold a password.
            ConfigError::Load(e) => write!(f, "configuration: {}", redact_text(&e.to_string())),
            ConfigError::Invalid { field, message } => {
                write!(f, "configuration: {field}: {message}")
            }
            ConfigError::InvalidAt { field, message } => {
                write!(f, "configuration: {field}: {message}")
            }
            ConfigError::File {
                field,
                path,
                message,
            } => write!(f, "configuration: {field}: {}: {message}", path.display()),
        }
    }
}

impl std::error::Error for ConfigError {}

pub(super) fn invalid(field: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field,
        message: message.into(),
    }
}

pub(super) fn invalid_at(field: String, message: impl Into<String>) -> ConfigError {
    ConfigError::InvalidAt {
        field,
        message: message.into(),
    }
}

impl Config {
    /// Loads the configuration. `file` is an explicit `--config` path, which
    /// must exist; without one, `./bothy.toml` is read if it exists.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        Self::from_figment(Self::figment(file, overrides)?)
    }

    /// The layered sources, before extraction.
    pub fn figment(file: Option<&Path>, overrides: &Overrides) -> Result<Figment, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.is_file() => {
                return Err(ConfigError::File {
                    field: "--config",
                    path: path.into(),
                    message: "no such file".into(),
                });
            }
            Some(path) => fig = fig.merge(Toml::file_exact(path)),
            None if Path::new(DEFAULT_FILE).is_file() => {
                fig = fig.merge(Toml::file_exact(DEFAULT_FILE))
            }
            None => {}
        }
        fig = fig.merge(Env::prefixed("BOTHY__").split("__")).merge(
            Env::raw()
                .only(&["DATABASE_URL"])
                .map(|_| "database.url".into()),
        );
        if let Some(listen) = overrides.listen {
            fig = fig.merge(Serialized::default("server.listen", listen));
        }
        if let Some(dir) = &overrides.data_dir {
            fig = fig.merge(Serialized::default("server.data_dir", dir));
        }
        if let Some(url) = &overrides.database_url {
            fig = fig.merge(Serialized::default("database.url", url));
        }
        Ok(fig)
    }

    /// Extracts and checks a configuration.
    pub fn from_figment(fig: Figment) -> Result<Config, ConfigError> {
        let config: Config = fig.extract().map_err(|e| ConfigError::Load(Box::new(e)))?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.server.data_dir.as_os_str().is_empty() {
            return Err(invalid("server.data_dir", "must not be empty"));
        }
        if let Some(token) = &self.server.metrics_token
            && (token.0.trim().len() < 32 || token.0.trim() != token.0)
        {
            return Err(invalid(
                "server.metrics_token",
                "must be at least 32 characters, without spaces at either end",
            ));
        }
        if let Some(url) = &self.server.public_url {
            let host = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            if host.is_none_or(|h| h.trim_end_matches('/').is_empty()) {
                return Err(invalid(
                    "server.public_url",
                    format!("{url:?} must start with http:// or https://"),
                ));
            }
        }
        if let Some(url) = &self.database.url
            && !["sqlite:", "postgres:", "postgresql:"]
                .iter()
                .any(|p| url.starts_with(p))
        {
            return Err(invalid(
                "database.url",
                "must start with sqlite:, postgres: or postgresql:",
            ));
        }
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            return Err(invalid(
                "log.level",
                format!("{:?} is not a level or filter: {e}", self.log.level),
            ));
        }
        let s = &self.security;
        // Upper bounds keep durations far from overflow; nobody needs a session longer than a year.
        for (field, value, max) in [
            ("security.staff_idle_minutes", s.staff_idle_minutes, 525_600),
            (
                "security.staff_absolute_hours",
                s.staff_absolute_hours,
                8_760,
            ),
            (
                "security.patient_idle_minutes",
                s.patient_idle_minutes,
                525_600,
            ),
            (
                "security.enrolment_link_hours",
                s.enrolment_link_hours,
                8_760,
            ),
            (
                "security.sign_in_attempts_per_account",
                s.sign_in_attempts_per_account.into(),
                1_000_000,
            ),
            (
                "security.sign_in_attempts_per_ip",
                s.sign_in_attempts_per_ip.into(),
                1_000_000,
            ),
            (
                "security.password_hash_workers",
                s.password_hash_workers.into(),
                64,
            ),
        ] {
            if value == 0 || value > max {
                return Err(invalid(
                    field,
                    format!("must be between 1 and {max}, not {value}"),
                ));
            }
        }
        if s.max_body_bytes < 1024 {
            return Err(invalid("security.max_body_bytes", "must be at least 1024"));
        }
        if self
            .video
            .jitsi_secret
            .as_ref()
            .is_some_and(|s| s.0.len() < 32)
        {
            // HS256 wants a key at least as long as its hash (RFC 7518 3.2).
            return Err(invalid(
                "video.jitsi_secret",
                "must be at least 32 characters",
            ));
        }
        if !(2..=100).contains(&self.reports.suppress_below) {
            return Err(invalid(
                "reports.suppress_below",
                format!(
                    "must be between 2 and 100, not {}",
                    self.reports.suppress_below
                ),
            ));
        }
        if self
            .reports
            .extract_key
            .as_ref()
            .is_some_and(|s| s.0.len() < 32)
        {
            return Err(invalid(
                "reports.extract_key",
                "must be at least 32 characters",
            ));
        }
        self.email.validate()?;
        self.notify.validate()?;
        self.sms.validate()
    }
}
