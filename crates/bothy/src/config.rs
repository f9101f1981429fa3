//! Configuration, loaded once at start-up: defaults, then a TOML file, then
//! environment variables, then command-line flags. Checked as it loads, so a
//! mistake stops Bothy at start-up with the name of the setting at fault.

mod derived;
mod email;
mod load;
mod notify;
mod redact;
mod sms;
#[cfg(test)]
mod tests;

pub use derived::sqlite_url;
pub use email::{EmailConfig, EmailTransport, SmtpTlsMode};
pub use load::{ConfigError, Overrides};
pub use notify::{NotifyConfig, NotifyServiceConfig};
pub use redact::redact_url;
pub use sms::{SmsConfig, SmsTransport};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The commented default configuration file that `bothy config print-default` prints.
pub const DEFAULT_TOML: &str = include_str!("config/default.toml");

/// The crisis contacts built into the binary, used unless `content.crisis_contacts` names a file.
pub const DEFAULT_CRISIS_CONTACTS: &str = include_str!("../../../content/crisis-contacts.toml");

/// The file read when no `--config` is given, if it exists.
pub const DEFAULT_FILE: &str = "bothy.toml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub security: SecurityConfig,
    pub content: ContentConfig,
    #[serde(default)]
    pub email: EmailConfig,
    #[serde(default)]
    pub notify: NotifyConfig,
    pub sms: SmsConfig,
    #[serde(default)]
    pub video: VideoConfig,
    #[serde(default)]
    pub reports: ReportsConfig,
}

/// `[reports]`: service reports' disclosure control and the key that
/// pseudonymises reporting extracts (docs/reports.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportsConfig {
    /// Counts from 1 to this less one are suppressed in reports for
    /// analysts and managers (5: 1 to 4 are hidden).
    pub suppress_below: u64,
    /// The HMAC-SHA256 key of extract pseudonyms, at least 32 characters;
    /// unset, no extract can be made.
    pub extract_key: Option<Secret>,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        ReportsConfig {
            suppress_below: 5,
            extract_key: None,
        }
    }
}

/// `[video]`: the deployment's secrets for video appointments. Which
/// provider a service uses is in its own settings file (`[video]` there);
/// only the key that signs Jitsi room links is here, being a secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoConfig {
    /// The HS256 key shared with the Jitsi Meet server (its `app_secret`),
    /// used for every service whose provider is "jitsi".
    pub jitsi_secret: Option<Secret>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Derived from `listen` when unset; see [`Config::public_url`].
    pub public_url: Option<String>,
    /// The bearer token Prometheus sends to read `/metrics`; unset, no metrics are served.
    pub metrics_token: Option<Secret>,
    /// Proxies (TLS terminators, load balancers) whose `X-Forwarded-For`
    /// names the client's address for the limits per address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Origins whose browser apps may call the FHIR API (`bothy_web::cors`).
    #[serde(default)]
    pub cors_origins: Vec<String>,
}

/// A secret setting: never shown by `Debug` (so never in a log line).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

/// Debug is written by hand so that the password in the URL is never printed.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Derived from `server.data_dir` when unset; see [`Config::database_url`].
    pub url: Option<String>,
    pub max_connections: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter: a level or directives such as `info,sqlx=warn`.
    pub level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    pub staff_idle_minutes: u64,
    pub staff_absolute_hours: u64,
    pub patient_idle_minutes: u64,
    pub enrolment_link_hours: u64,
    pub sign_in_attempts_per_account: u32,
    pub sign_in_attempts_per_ip: u32,
    /// Threads hashing passwords, each with one reused 19 MiB block.
    pub password_hash_workers: u32,
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentConfig {
    /// A crisis contacts file replacing the built-in one.
    pub crisis_contacts: Option<PathBuf>,
    /// A directory of instrument files: each replaces the built-in file with
    /// the same id, or adds an instrument.
    pub instruments_dir: Option<PathBuf>,
    /// A directory of monitoring settings: `default.toml` for every service
    /// and `{service short name}.toml` for one (opening hours, alert
    /// deadlines, detectors, escalation contacts).
    pub monitoring_dir: Option<PathBuf>,
    /// A directory of programme folders (content/programmes/FORMAT.md): each
    /// adds a programme, or replaces the shipped one with the same id.
    pub programmes_dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            server: ServerConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
                data_dir: "./data".into(),
                public_url: None,
                metrics_token: None,
                trusted_proxies: Vec::new(),
                cors_origins: Vec::new(),
            },
            database: DatabaseConfig {
                url: None,
                max_connections: 16,
            },
            log: LogConfig {
                format: LogFormat::Text,
                level: "info,sqlx=warn".into(),
            },
            security: SecurityConfig {
                staff_idle_minutes: 15,
                staff_absolute_hours: 12,
                patient_idle_minutes: 30,
                enrolment_link_hours: 72,
                sign_in_attempts_per_account: 5,
                sign_in_attempts_per_ip: 100,
                password_hash_workers: 1,
                max_body_bytes: 1024 * 1024,
            },
            content: ContentConfig {
                crisis_contacts: None,
                instruments_dir: None,
                programmes_dir: None,
                monitoring_dir: None,
            },
            email: EmailConfig::default(),
            notify: NotifyConfig::default(),
            sms: SmsConfig::default(),
            video: VideoConfig::default(),
            reports: ReportsConfig::default(),
        }
    }
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &self.url.as_deref().map(redact_url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}
