//! Configuration, loaded once at start-up: defaults, then a TOML file, then
//! environment variables, then command-line flags. Checked as it loads, so a
//! mistake stops Bothy at start-up with the name of the setting at fault.

mod redact;
#[cfg(test)]
mod tests;

pub use redact::redact_url;

use bothy_app::AppSettings;
use bothy_domain::crisis::CrisisContacts;
use bothy_store::PoolSettings;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Derived from `listen` when unset; see [`Config::public_url`].
    pub public_url: Option<String>,
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
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentConfig {
    /// A crisis contacts file replacing the built-in one.
    pub crisis_contacts: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            server: ServerConfig { listen: SocketAddr::from(([127, 0, 0, 1], 8080)), data_dir: "./data".into(), public_url: None },
            database: DatabaseConfig { url: None, max_connections: 16 },
            log: LogConfig { format: LogFormat::Text, level: "info".into() },
            security: SecurityConfig {
                staff_idle_minutes: 15,
                staff_absolute_hours: 12,
                patient_idle_minutes: 30,
                enrolment_link_hours: 72,
                sign_in_attempts_per_account: 5,
                sign_in_attempts_per_ip: 30,
                max_body_bytes: 1024 * 1024,
            },
            content: ContentConfig { crisis_contacts: None },
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
    Invalid { field: &'static str, message: String },
    /// A file named by the configuration could not be read.
    File { field: &'static str, path: PathBuf, message: String },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Load(e) => write!(f, "configuration: {e}"),
            ConfigError::Invalid { field, message } => write!(f, "configuration: {field}: {message}"),
            ConfigError::File { field, path, message } => write!(f, "configuration: {field}: {}: {message}", path.display()),
        }
    }
}

impl std::error::Error for ConfigError {}

fn invalid(field: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { field, message: message.into() }
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
                return Err(ConfigError::File { field: "--config", path: path.into(), message: "no such file".into() });
            }
            Some(path) => fig = fig.merge(Toml::file_exact(path)),
            None if Path::new(DEFAULT_FILE).is_file() => fig = fig.merge(Toml::file_exact(DEFAULT_FILE)),
            None => {}
        }
        fig = fig
            .merge(Env::prefixed("BOTHY__").split("__"))
            .merge(Env::raw().only(&["DATABASE_URL"]).map(|_| "database.url".into()));
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
        if let Some(url) = &self.server.public_url {
            let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
            if host.is_none_or(|h| h.trim_end_matches('/').is_empty()) {
                return Err(invalid("server.public_url", format!("{url:?} must start with http:// or https://")));
            }
        }
        if let Some(url) = &self.database.url
            && !["sqlite:", "postgres:", "postgresql:"].iter().any(|p| url.starts_with(p))
        {
            return Err(invalid("database.url", "must start with sqlite:, postgres: or postgresql:"));
        }
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            return Err(invalid("log.level", format!("{:?} is not a level or filter: {e}", self.log.level)));
        }
        let s = &self.security;
        // Upper bounds keep durations far from overflow; nobody needs a session longer than a year.
        for (field, value, max) in [
            ("security.staff_idle_minutes", s.staff_idle_minutes, 525_600),
            ("security.staff_absolute_hours", s.staff_absolute_hours, 8_760),
            ("security.patient_idle_minutes", s.patient_idle_minutes, 525_600),
            ("security.enrolment_link_hours", s.enrolment_link_hours, 8_760),
            ("security.sign_in_attempts_per_account", s.sign_in_attempts_per_account.into(), 1_000_000),
            ("security.sign_in_attempts_per_ip", s.sign_in_attempts_per_ip.into(), 1_000_000),
        ] {
            if value == 0 || value > max {
                return Err(invalid(field, format!("must be between 1 and {max}, not {value}")));
            }
        }
        if s.max_body_bytes < 1024 {
            return Err(invalid("security.max_body_bytes", "must be at least 1024"));
        }
        Ok(())
    }

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
        }
    }

    pub fn pool_settings(&self) -> PoolSettings {
        PoolSettings { max_connections: self.database.max_connections, ..PoolSettings::default() }
    }

    /// The crisis contacts: the configured file, or the built-in ones.
    pub fn crisis_contacts(&self) -> Result<CrisisContacts, ConfigError> {
        const FIELD: &str = "content.crisis_contacts";
        let Some(path) = &self.content.crisis_contacts else {
            return CrisisContacts::parse(DEFAULT_CRISIS_CONTACTS).map_err(|e| invalid(FIELD, format!("built-in file: {e}")));
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::File { field: FIELD, path: path.clone(), message: e.to_string() })?;
        CrisisContacts::parse(&text).map_err(|e| ConfigError::File { field: FIELD, path: path.clone(), message: e.to_string() })
    }

    /// A copy fit to show an operator: derived values filled in, the database password hidden.
    pub fn resolved_for_display(&self) -> Config {
        let mut shown = self.clone();
        shown.server.public_url = Some(self.public_url());
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
    if path.is_absolute() { format!("sqlite://{encoded}") } else { format!("sqlite:{encoded}") }
}
