//! Per-service detector configuration. Every field has a documented default;
//! a service's file overrides only what it names (`#[serde(default)]`), and
//! unknown fields are refused so that a typo cannot silently leave a default
//! in force. [`DetectorConfig::validate`] refuses values that make no sense,
//! naming the field, so that the service refuses to start with them.

use super::Severity;
use serde::{Deserialize, Serialize};

pub use crate::alerts::ConfigError;

/// The detectors' settings for one service.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorConfig {
    pub risk_item: RiskItemConfig,
    pub deterioration: DeteriorationConfig,
    pub not_on_track: NotOnTrackConfig,
    pub disengagement: DisengagementConfig,
    pub mood_drop: MoodDropConfig,
    pub risky_text: RiskyTextConfig,
}

/// Severity of a flagged risk item by answer. A flagged answer (one above
/// the instrument file's `risk_items` threshold) is [`Severity::High`];
/// from `urgent_from` (the item's score, after any reverse scoring) it is
/// [`Severity::Urgent`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskSeverityRule {
    pub instrument: String,
    pub item: u16,
    pub urgent_from: i32,
}

/// The risk item detector ([`super::risk_item`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskItemConfig {
    /// Cannot be turned off: a declared risk item always raises a signal.
    /// Kept as a field so that a file saying `enabled = false` is refused
    /// with a reason rather than as an unknown field.
    pub enabled: bool,
    /// Severity by answer for named items. Items of other instruments are
    /// `Urgent` at their highest answer and `High` otherwise.
    pub rules: Vec<RiskSeverityRule>,
}

impl Default for RiskItemConfig {
    /// The project's defaults, chosen conservatively (a higher severity
    /// when in doubt, because a late look at real risk costs more than an
    /// early look at none):
    ///
    /// - PHQ-9 item 9 (thoughts of being better off dead or of hurting
    ///   yourself): "several days" (1) is `High`; "more than half the days"
    ///   (2) and "nearly every day" (3) are `Urgent`. The item does not ask
    ///   about plans, so frequency is the only gradient it offers; frequent
    ///   thoughts get the same-hours response as a plan.
    /// - CORE-10 item 6 ("I made plans to end my life"): any answer above
    ///   "not at all" is `Urgent`: it reports a plan.
    /// - EPDS item 10 (thoughts of harming yourself): "hardly ever" (1) is
    ///   `High`; "sometimes" (2) and "quite often" (3) are `Urgent`, the
    ///   same gradient as PHQ-9 item 9. Scores are after the file's reverse
    ///   scoring, so 3 is "quite often".
    fn default() -> Self {
        let rule = |instrument: &str, item, urgent_from| RiskSeverityRule {
            instrument: instrument.to_owned(),
            item,
            urgent_from,
        };
        RiskItemConfig {
            enabled: true,
            rules: vec![
                rule("phq9", 9, 2),
                rule("core10", 6, 1),
                rule("epds", 10, 2),
            ],
        }
    }
}

/// The reliable deterioration detector ([`super::deterioration`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeteriorationConfig {
    pub enabled: bool,
    /// Instruments to watch; empty means every instrument with a reliable
    /// change index.
    pub instruments: Vec<String>,
    /// Default `Moderate`: a reliable worsening needs a review within days,
    /// not minutes; risk is caught by the risk detectors.
    pub severity: Severity,
}

impl Default for DeteriorationConfig {
    fn default() -> Self {
        DeteriorationConfig {
            enabled: true,
            instruments: Vec::new(),
            severity: Severity::Moderate,
        }
    }
}

/// The not-on-track detector ([`super::not_on_track`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotOnTrackConfig {
    pub enabled: bool,
    /// Instruments to watch; empty means every instrument with bands (for
    /// the expected trajectories) or a caseness and reliable change index
    /// (for the default rule).
    pub instruments: Vec<String>,
    /// The fewest finished episodes with a score at a session, in one
    /// baseline band, before the service's own expected score at that
    /// session is used. Default 30: below that a 90th percentile rests on
    /// two or three people.
    pub min_episodes: usize,
    /// The percentile of similar patients' scores a patient must be worse
    /// than to be not on track. Default 90 (worse than nine in ten patients
    /// who started in the same band), to keep the alert rare.
    pub percentile: f64,
    /// Default rule: the first session at which it applies. Default 4.
    pub default_from_session: u32,
    /// Default rule: the improvement expected by then, as a fraction of the
    /// reliable change index. Default 0.5.
    pub default_min_improvement_of_rci: f64,
    /// Default `Low`: a prompt to review the plan at the next supervision.
    pub severity: Severity,
}

impl Default for NotOnTrackConfig {
    fn default() -> Self {
        NotOnTrackConfig {
            enabled: true,
            instruments: Vec::new(),
            min_episodes: 30,
            percentile: 90.0,
            default_from_session: 4,
            default_min_improvement_of_rci: 0.5,
            severity: Severity::Low,
        }
    }
}

/// The disengagement detector ([`super::disengagement`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DisengagementConfig {
    pub enabled: bool,
    /// Days without activity or a completed measure. Default 14: routine
    /// measures are due every 14 days, so by then one has been missed.
    pub days: u32,
    pub severity: Severity,
}

impl Default for DisengagementConfig {
    fn default() -> Self {
        DisengagementConfig {
            enabled: true,
            days: 14,
            severity: Severity::Low,
        }
    }
}

/// The mood drop detector ([`super::mood_drop`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MoodDropConfig {
    pub enabled: bool,
    /// EWMA weight of the newest value, in (0, 1]. Default 0.3.
    pub lambda: f64,
    /// How many standard deviations (of the person's own recent variation)
    /// below the EWMA the newest value must be. Default 3.
    pub k: f64,
    /// The fewest points below the EWMA that count, whatever the variation.
    /// Default 3.
    pub min_drop: f64,
    /// How many previous check-ins the usual variation is measured over.
    /// Default 28 (four weeks of daily check-ins).
    pub sd_window: usize,
    /// The floor of the standard deviation, so that a perfectly flat history
    /// does not make any small dip significant. Default 1 point.
    pub min_sd: f64,
    /// Previous check-ins needed before the rule applies. Default 5.
    pub min_history: usize,
    /// A drop to this mood or below is `Moderate`; a drop that stays above
    /// it is `Low`. Default 4.
    pub moderate_at_or_below: u8,
}

impl Default for MoodDropConfig {
    fn default() -> Self {
        MoodDropConfig {
            enabled: true,
            lambda: 0.3,
            k: 3.0,
            min_drop: 3.0,
            sd_window: 28,
            min_sd: 1.0,
            min_history: 5,
            moderate_at_or_below: 4,
        }
    }
}

/// The risky text detector ([`super::risky_text`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskyTextConfig {
    pub enabled: bool,
    /// Matches below this severity raise nothing. Default `Low` (all).
    pub min_severity: Severity,
}

impl Default for RiskyTextConfig {
    fn default() -> Self {
        RiskyTextConfig {
            enabled: true,
            min_severity: Severity::Low,
        }
    }
}

impl DetectorConfig {
    /// Parses a TOML file's text (all fields optional).
    pub fn from_toml(text: &str) -> Result<DetectorConfig, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError {
            field: e
                .span()
                .map(|s| format!("at byte {}", s.start))
                .unwrap_or_else(|| "(file)".to_owned()),
            message: e.message().to_owned(),
        })
    }

    /// Every problem, each naming its field. `known_instruments` are the
    /// catalogue's instrument ids.
    pub fn validate(&self, known_instruments: &[&str]) -> Result<(), Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut err = |field: String, message: &str| {
            errors.push(ConfigError {
                field,
                message: message.to_owned(),
            })
        };
        let known = |id: &str| known_instruments.contains(&id);

        if !self.risk_item.enabled {
            err(
                "risk_item.enabled".into(),
                "risk items cannot be turned off: a risk answer must always reach a person",
            );
        }
        for (i, r) in self.risk_item.rules.iter().enumerate() {
            if !known(&r.instrument) {
                err(
                    format!("risk_item.rules[{i}].instrument"),
                    &format!("unknown instrument {:?}", r.instrument),
                );
            }
            if r.item == 0 {
                err(
                    format!("risk_item.rules[{i}].item"),
                    "items are numbered from 1",
                );
            }
            if r.urgent_from < 0 {
                err(
                    format!("risk_item.rules[{i}].urgent_from"),
                    "must not be negative",
                );
            }
            if self.risk_item.rules[..i]
                .iter()
                .any(|p| p.instrument == r.instrument && p.item == r.item)
            {
                err(
                    format!("risk_item.rules[{i}]"),
                    "a second rule for the same instrument and item",
                );
            }
        }
        for (name, list) in [
            ("deterioration", &self.deterioration.instruments),
            ("not_on_track", &self.not_on_track.instruments),
        ] {
            for (i, id) in list.iter().enumerate() {
                if !known(id) {
                    err(
                        format!("{name}.instruments[{i}]"),
                        &format!("unknown instrument {id:?}"),
                    );
                }
            }
        }
        let n = &self.not_on_track;
        if n.min_episodes == 0 {
            err(
                "not_on_track.min_episodes".into(),
                "must be at least 1 (30 or more is advised)",
            );
        }
        if !(n.percentile.is_finite() && n.percentile > 50.0 && n.percentile < 100.0) {
            err(
                "not_on_track.percentile".into(),
                "must be above 50 and below 100",
            );
        }
        if n.default_from_session < 2 {
            err(
                "not_on_track.default_from_session".into(),
                "must be at least 2 (session 1 is the baseline)",
            );
        }
        if !(n.default_min_improvement_of_rci.is_finite()
            && n.default_min_improvement_of_rci >= 0.0
            && n.default_min_improvement_of_rci <= 1.0)
        {
            err(
                "not_on_track.default_min_improvement_of_rci".into(),
                "must be between 0 and 1",
            );
        }
        if self.disengagement.days == 0 {
            err("disengagement.days".into(), "must be at least 1");
        }
        let m = &self.mood_drop;
        if !(m.lambda.is_finite() && m.lambda > 0.0 && m.lambda <= 1.0) {
            err("mood_drop.lambda".into(), "must be above 0 and at most 1");
        }
        for (field, v) in [
            ("mood_drop.k", m.k),
            ("mood_drop.min_drop", m.min_drop),
            ("mood_drop.min_sd", m.min_sd),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                err(field.into(), "must be a number, not negative");
            }
        }
        if m.min_drop > 10.0 {
            err(
                "mood_drop.min_drop".into(),
                "must be at most 10 (moods run from 0 to 10)",
            );
        }
        if m.min_drop <= 0.0 && m.k <= 0.0 {
            err(
                "mood_drop.min_drop".into(),
                "with k = 0 it must be above 0, or every check-in would alert",
            );
        }
        // The newest check-in is compared with the ones before it, and only
        // `summaries::MOOD_WINDOW` moods are kept per person.
        let kept = crate::summaries::MOOD_WINDOW - 1;
        if m.sd_window < 2 || m.sd_window > kept {
            err(
                "mood_drop.sd_window".into(),
                &format!("must be from 2 to {kept}"),
            );
        }
        if m.min_history == 0 || m.min_history > kept {
            err(
                "mood_drop.min_history".into(),
                &format!("must be from 1 to {kept}"),
            );
        }
        if m.moderate_at_or_below > 10 {
            err(
                "mood_drop.moderate_at_or_below".into(),
                "must be at most 10",
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}
