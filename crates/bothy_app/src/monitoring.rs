//! Each service's monitoring settings (opening hours, deadlines, detectors)
//! and the risk lexicon, loaded and validated once at start-up.
//!
//! A deployment's `content.monitoring_dir` holds `default.toml`, applying to
//! every service, and `{service short name}.toml` files replacing it for one
//! service. Any file that makes no sense stops start-up with the file and
//! the field ([`load_monitoring`]).

use crate::content::read_toml_dir;
use crate::{App, AppError};
use bothy_domain::ServiceId;
use bothy_domain::detectors::Lexicon;
use bothy_domain::instruments::{Catalogue, ContentError};
use bothy_domain::monitoring::{Monitoring, default_lexicon};
use bothy_store::Tx;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

/// The monitoring settings of every service.
#[derive(Debug)]
pub struct MonitoringSettings {
    default: Arc<Monitoring>,
    by_slug: HashMap<String, Arc<Monitoring>>,
    pub lexicon: Lexicon,
    /// Service id to its settings, filled on first use (services are
    /// created while Bothy runs; their short names never change).
    resolved: RwLock<HashMap<ServiceId, Arc<Monitoring>>>,
}

impl Default for MonitoringSettings {
    fn default() -> Self {
        Self::new(Monitoring::defaults(), HashMap::new())
    }
}

impl MonitoringSettings {
    pub fn new(default: Monitoring, by_slug: HashMap<String, Monitoring>) -> Self {
        Self {
            default: Arc::new(default),
            by_slug: by_slug.into_iter().map(|(k, v)| (k, Arc::new(v))).collect(),
            lexicon: default_lexicon(),
            resolved: RwLock::new(HashMap::new()),
        }
    }

    /// The settings for services without a file of their own.
    pub fn default_settings(&self) -> &Monitoring {
        &self.default
    }

    /// The settings for a service with this short name.
    pub fn for_slug(&self, slug: &str) -> Arc<Monitoring> {
        self.by_slug
            .get(slug)
            .cloned()
            .unwrap_or_else(|| self.default.clone())
    }
}

/// Reads a deployment's monitoring directory (or, without one, the
/// defaults), validating every file against the catalogue. Every problem is
/// listed; Bothy must not start with any.
pub fn load_monitoring(
    dir: Option<&Path>,
    catalogue: &Catalogue,
) -> Result<MonitoringSettings, Vec<ContentError>> {
    let Some(dir) = dir else {
        return Ok(MonitoringSettings::default());
    };
    let known: Vec<&str> = catalogue.iter().map(|i| i.id.as_str()).collect();
    let files = read_toml_dir(dir, "content.monitoring_dir")?;
    let mut errors = Vec::new();
    let mut default = None;
    let mut by_slug = HashMap::new();
    for (path, text) in files {
        let stem = Path::new(&path)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        match Monitoring::parse(&path, &text, &known) {
            Ok(m) if stem == "default" => default = Some(m),
            Ok(m) => {
                if bothy_domain::model::ServiceSlug::parse(&stem).is_err() {
                    errors.push(ContentError {
                        file: path,
                        field: "(file name)".into(),
                        message: "name the file default.toml or after a service's short name"
                            .into(),
                    });
                } else {
                    by_slug.insert(stem, m);
                }
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(MonitoringSettings::new(
        default.unwrap_or_else(Monitoring::defaults),
        by_slug,
    ))
}

/// Monitoring: each service's settings, the detectors on every submission, the
/// sweep, escalation, expected trajectories and the write-time summaries.
pub struct Monitor<'a> {
    pub(crate) app: &'a App,
}

impl Monitor<'_> {
    /// The monitoring settings of a service, reading its short name through
    /// `tx` the first time.
    pub(crate) async fn settings_for(
        &self,
        tx: &mut Tx,
        service: ServiceId,
    ) -> Result<Arc<Monitoring>, AppError> {
        if let Some(m) = self
            .app
            .service_monitoring
            .resolved
            .read()
            .ok()
            .and_then(|map| map.get(&service).cloned())
        {
            return Ok(m);
        }
        let m = match tx.service_by_id(service).await? {
            Some(s) => self.app.service_monitoring.for_slug(s.slug.as_str()),
            None => self.app.service_monitoring.default.clone(),
        };
        if let Ok(mut map) = self.app.service_monitoring.resolved.write() {
            map.insert(service, m.clone());
        }
        Ok(m)
    }

    /// Whether someone is watching the service's alerts now: within its
    /// opening hours. Out of hours people are told so, and what to do instead.
    pub async fn is_watched_now(&self, service: ServiceId) -> Result<bool, AppError> {
        let mut tx = self.app.store.read().await?;
        let m = self.settings_for(&mut tx, service).await?;
        tx.rollback().await?;
        Ok(m.is_open(self.app.clock.now()))
    }
}
