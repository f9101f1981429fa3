//! Early-warning detectors: pure functions that read a patient's recent data
//! and return [`Signal`]s for people to judge.
//!
//! Every detector takes plain typed inputs (scores with their times and
//! session numbers, check-ins with their times, texts with their source kind,
//! the last activity time and `now`), so that later sources (tool entries,
//! secure messages, unread reviews) feed the same functions without change.
//! Nothing here stores, sends or decides anything: a signal becomes an alert
//! elsewhere, deduplicated by its [`Signal::dedupe_key`] (one open alert per
//! patient and key), and a clinician decides what it means.
//!
//! | detector | function | cause |
//! |---|---|---|
//! | risk items of any instrument | [`risk_item::detect`] | [`Cause::RiskItem`] |
//! | reliable deterioration against the baseline | [`deterioration::detect`] | [`Cause::ReliableDeterioration`] |
//! | not on track against expected trajectories | [`not_on_track::detect`] | [`Cause::NotOnTrack`] |
//! | no activity and no measures for N days | [`disengagement::detect`] | [`Cause::Disengagement`] |
//! | sharp drop in daily mood (EWMA) | [`mood_drop::detect`] | [`Cause::MoodDrop`] |
//! | risky free text (lexicon with negation; measured by [`risky_text::evaluate`]) | [`risky_text::detect`] | [`Cause::RiskyText`] |
//!
//! [`evaluate`] runs all of them for one patient. Each is configured per
//! service through [`DetectorConfig`], whose defaults are documented with the
//! reasoning behind them. The detectors are cheap: no clock, no I/O, and
//! allocation only for the signals they return and the one lower-cased copy
//! of a text being read.

pub mod config;
pub mod deterioration;
pub mod disengagement;
pub mod mood_drop;
pub mod not_on_track;
pub mod risk_item;
pub mod risky_text;

#[cfg(test)]
mod tests;

pub use config::{
    ConfigError, DetectorConfig, DeteriorationConfig, DisengagementConfig, MoodDropConfig,
    NotOnTrackConfig, RiskItemConfig, RiskSeverityRule, RiskyTextConfig,
};
pub use not_on_track::{Expected, ExpectedTrajectories, SessionScore};
pub use risky_text::{Lexicon, LexiconMatch};

use crate::instruments::Catalogue;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The project's risk lexicon, as shipped: `content/risk-lexicon.toml` (the
/// format, settings, sets and everyday idioms) followed by
/// `content/risk-lexicon-phrases.toml` (the phrases), read as one file.
/// Load it with [`Lexicon::parse`].
pub const DEFAULT_LEXICON: &str = concat!(
    include_str!("../../../../content/risk-lexicon.toml"),
    "\n",
    include_str!("../../../../content/risk-lexicon-phrases.toml"),
);

/// Why a signal was raised. Alerts are deduplicated per patient and
/// [`Signal::dedupe_key`], which starts with [`Cause::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    RiskItem,
    ReliableDeterioration,
    NotOnTrack,
    Disengagement,
    MoodDrop,
    RiskyText,
}

impl Cause {
    /// A stable machine name, used as (the start of) the dedupe key and in
    /// alert-load reports.
    pub fn key(self) -> &'static str {
        match self {
            Cause::RiskItem => "risk_item",
            Cause::ReliableDeterioration => "deterioration",
            Cause::NotOnTrack => "not_on_track",
            Cause::Disengagement => "disengagement",
            Cause::MoodDrop => "mood_drop",
            Cause::RiskyText => "risky_text",
        }
    }

    /// The cause with this [`Cause::key`].
    pub fn from_key(key: &str) -> Option<Cause> {
        Cause::all().into_iter().find(|c| c.key() == key)
    }

    /// Plain English for people reading the queue.
    pub fn label(self) -> &'static str {
        match self {
            Cause::RiskItem => "Risk answer",
            Cause::ReliableDeterioration => "Reliable deterioration",
            Cause::NotOnTrack => "Not on track",
            Cause::Disengagement => "Disengagement",
            Cause::MoodDrop => "Sharp drop in mood",
            Cause::RiskyText => "Risk words in text",
        }
    }

    pub fn all() -> [Cause; 6] {
        [
            Cause::RiskItem,
            Cause::ReliableDeterioration,
            Cause::NotOnTrack,
            Cause::Disengagement,
            Cause::MoodDrop,
            Cause::RiskyText,
        ]
    }
}

/// How soon a person should look: the alert queue's severity, which it
/// turns into a deadline with the service's opening hours.
pub use crate::alerts::Severity;

/// Something a person should look at. Never a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    pub cause: Cause,
    pub severity: Severity,
    /// One open alert per patient and key: `risk_item`, `deterioration:phq9`,
    /// `not_on_track:gad7`, `disengagement`, `mood_drop`, `risky_text`.
    pub dedupe_key: String,
    /// Plain English for a clinician. Never quotes free text beyond the short
    /// lexicon phrase that matched.
    pub summary: String,
}

/// One score of an outcome measure within the current episode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScorePoint<'a> {
    /// The instrument id, as in the catalogue (`phq9`).
    pub instrument: &'a str,
    /// When the response was completed.
    pub at: Timestamp,
    /// The reported total ([`crate::instruments::Scored::total`]).
    pub total: f64,
    /// The measurement occasion within the episode: 1 for the baseline (the
    /// first score), 2 for the next session's, and so on.
    pub session: u32,
}

/// One daily check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckIn {
    pub at: Timestamp,
    /// Mood, 0 (worst) to 10 (best). Values above 10 are read as 10.
    pub mood: u8,
}

/// Where a free text came from. Only used to say so in the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSource {
    CheckInNote,
    SelfReferral,
    /// A referral from a professional, by form or FHIR.
    ProfessionalReferral,
    ToolEntry,
    SecureMessage,
    /// A post or reply in a peer support group.
    PeerPost,
}

impl TextSource {
    pub fn label(self) -> &'static str {
        match self {
            TextSource::CheckInNote => "a check-in note",
            TextSource::SelfReferral => "self-referral text",
            TextSource::ProfessionalReferral => "a professional referral's text",
            TextSource::ToolEntry => "a tool entry",
            TextSource::SecureMessage => "a secure message",
            TextSource::PeerPost => "a peer support post",
        }
    }
}

/// A free text to read for risk language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text<'a> {
    pub source: TextSource,
    pub text: &'a str,
}

/// A new questionnaire response: the option scores chosen, one per item in
/// order (`None` for unanswered), as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'a> {
    pub instrument: &'a str,
    pub answers: &'a [Option<i32>],
}

/// When the patient was last active, for [`disengagement::detect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engagement {
    /// When the episode (or the monitoring) started: nobody is disengaged
    /// before they had the chance to engage.
    pub since: Timestamp,
    /// The last activity of any kind (sign-in, check-in, tool entry, message
    /// read, review read); `None` if there has been none.
    pub last_activity: Option<Timestamp>,
    /// The last completed measure; `None` if there has been none.
    pub last_measure: Option<Timestamp>,
}

/// Everything known about one patient for one evaluation. Any part may be
/// empty; each detector reads only its own.
#[derive(Debug, Clone, Copy)]
pub struct PatientData<'a> {
    /// New responses to check for risk items.
    pub responses: &'a [Response<'a>],
    /// The episode's scores, all instruments, oldest first.
    pub scores: &'a [ScorePoint<'a>],
    /// Daily check-ins, oldest first.
    pub check_ins: &'a [CheckIn],
    /// New free texts to read.
    pub texts: &'a [Text<'a>],
    /// Engagement, when the disengagement detector should run.
    pub engagement: Option<Engagement>,
    pub now: Timestamp,
}

/// Runs every enabled detector for one patient. Instruments the catalogue
/// does not know are skipped (the configuration is validated against the
/// catalogue at start-up; a response to an unknown instrument cannot exist).
/// `expected` holds the service's expected trajectories per instrument, if
/// it has computed any.
pub fn evaluate(
    catalogue: &Catalogue,
    config: &DetectorConfig,
    lexicon: &Lexicon,
    expected: &[ExpectedTrajectories],
    data: &PatientData<'_>,
) -> Vec<Signal> {
    let mut signals = Vec::new();
    for r in data.responses {
        if let Some(inst) = catalogue.get(r.instrument) {
            signals.extend(risk_item::detect(inst, r.answers, &config.risk_item));
        }
    }
    // Each instrument with scores once, in order of first appearance.
    for (i, s) in data.scores.iter().enumerate() {
        if data.scores[..i]
            .iter()
            .any(|p| p.instrument == s.instrument)
        {
            continue;
        }
        let Some(inst) = catalogue.get(s.instrument) else {
            continue;
        };
        signals.extend(deterioration::detect(
            inst,
            data.scores,
            &config.deterioration,
        ));
        let exp = expected.iter().find(|e| e.instrument() == inst.id);
        signals.extend(not_on_track::detect(
            inst,
            data.scores,
            exp,
            &config.not_on_track,
        ));
    }
    if let Some(e) = data.engagement {
        signals.extend(disengagement::detect(&e, data.now, &config.disengagement));
    }
    signals.extend(mood_drop::detect(data.check_ins, &config.mood_drop));
    for t in data.texts {
        signals.extend(risky_text::detect(lexicon, t, &config.risky_text));
    }
    signals
}

/// What one submission says at once, under a service's detector settings:
/// the signals its risk answers and its free texts raise, and whether the
/// person must see the crisis contacts now. The one rule for risk in
/// anything a person or referrer sends (a self-referral's steps, a
/// professional or FHIR referral, a check-in note; SMS and messages later):
/// every channel asks this, so none decides risk its own way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Immediate {
    pub signals: Vec<Signal>,
    /// Any signal, or a risk phrase that is not negated even where the
    /// service's settings raise no alert for it: showing crisis contacts
    /// costs little, missing them can cost a life.
    pub show_crisis_contacts: bool,
}

impl Immediate {
    /// Runs the risk-item and risky-text detectors on `responses` and `texts`.
    pub fn assess(
        catalogue: &Catalogue,
        config: &DetectorConfig,
        lexicon: &Lexicon,
        responses: &[Response<'_>],
        texts: &[Text<'_>],
    ) -> Immediate {
        let mut signals = Vec::new();
        for r in responses {
            if let Some(inst) = catalogue.get(r.instrument) {
                signals.extend(risk_item::detect(inst, r.answers, &config.risk_item));
            }
        }
        let mut phrase = false;
        for t in texts {
            signals.extend(risky_text::detect(lexicon, t, &config.risky_text));
            phrase |= lexicon.scan(t.text).iter().any(|m| !m.negated);
        }
        Immediate {
            show_crisis_contacts: phrase || !signals.is_empty(),
            signals,
        }
    }

    /// The most severe signal's severity, if any.
    pub fn severity(&self) -> Option<Severity> {
        self.signals.iter().map(|s| s.severity).max()
    }
}
