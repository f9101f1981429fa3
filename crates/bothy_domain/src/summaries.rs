//! Summaries kept at write time, so that detectors, outcome reports and the
//! monitoring sweep read a row per person instead of whole histories.
//!
//! Each is updated in the transaction that stores the record it summarises,
//! and each holds exactly what its readers' rules need:
//! - [`ScoreSummary`]: per episode and instrument, the first and latest
//!   response and how many there were, plus the referral's screening score
//!   where the referral form asked for that instrument. Reliable
//!   deterioration and not-on-track compare a baseline with the latest score
//!   at a session number (`detectors::deterioration`, `not_on_track`); the
//!   NHS Talking Therapies classification compares first and last scores
//!   (`outcomes::classify`).
//! - [`MoodSummary`]: per person, the newest check-in moods (enough for the
//!   mood-drop rule's average and variation), how many check-ins there have
//!   been, and when the last one was recorded (for disengagement).

use crate::detectors::ScorePoint;
use jiff::Timestamp;

/// One instrument's scores in one episode of care.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreSummary {
    pub instrument_id: String,
    /// The referral form's score for this instrument, when it asked for it:
    /// the baseline of a person who waited for treatment.
    pub screening: Option<(Timestamp, f64)>,
    pub first: Option<(Timestamp, f64)>,
    pub latest: Option<(Timestamp, f64)>,
    /// Responses on this instrument in the episode (the screening not counted).
    pub responses: u32,
}

impl ScoreSummary {
    pub fn new(instrument_id: impl Into<String>) -> Self {
        Self {
            instrument_id: instrument_id.into(),
            screening: None,
            first: None,
            latest: None,
            responses: 0,
        }
    }

    /// Adds a response. The first is the earliest, the latest the newest by
    /// time (a later one at the same moment wins), whatever the order they
    /// arrive in; the store applies the same rule in SQL.
    pub fn add(&mut self, at: Timestamp, total: f64) {
        if self.first.is_none_or(|(f, _)| at < f) {
            self.first = Some((at, total));
        }
        if self.latest.is_none_or(|(l, _)| at >= l) {
            self.latest = Some((at, total));
        }
        self.responses += 1;
    }

    /// The points the history detectors compare: the baseline (the screening
    /// score, else the first response) as session 1, and the latest response
    /// at its session number (every response so far, after the screening).
    /// Fewer than two points when there is nothing to compare.
    pub fn points(&self) -> Vec<ScorePoint<'_>> {
        let point = |(at, total): (Timestamp, f64), session| ScorePoint {
            instrument: &self.instrument_id,
            at,
            total,
            session,
        };
        let offset = u32::from(self.screening.is_some());
        let mut points = Vec::with_capacity(2);
        match (self.screening, self.first) {
            (Some(s), _) => points.push(point(s, 1)),
            (None, Some(f)) if self.responses > 1 => points.push(point(f, 1)),
            _ => {}
        }
        if let Some(l) = self.latest
            && (offset == 1 || self.responses > 1)
        {
            points.push(point(l, self.responses + offset));
        }
        points
    }
}

/// How many moods a [`MoodSummary`] keeps. The mood-drop rule's average is
/// exponentially weighted (λ = 0.3 by default): a mood 60 check-ins old
/// weighs 0.7^60, about 5e-10, so 60 reproduce the whole history's average;
/// its variation looks at 28 by default. A service that sets `sd_window`
/// above 59 is refused at start-up (`monitoring`).
pub const MOOD_WINDOW: usize = 60;

/// A person's recent moods, oldest first, and their check-in activity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MoodSummary {
    pub moods: Vec<u8>,
    pub check_ins: u32,
    pub last_recorded_at: Option<Timestamp>,
    /// When the newest mood in `moods` was checked in (the person's time).
    pub last_checked_in_at: Option<Timestamp>,
}

impl MoodSummary {
    /// Adds a check-in's mood.
    pub fn add(&mut self, mood: u8, checked_in_at: Timestamp, recorded_at: Timestamp) {
        self.moods.push(mood.min(10));
        let excess = self.moods.len().saturating_sub(MOOD_WINDOW);
        self.moods.drain(..excess);
        self.check_ins += 1;
        self.last_recorded_at = Some(recorded_at);
        self.last_checked_in_at = Some(checked_in_at);
    }

    /// The moods as stored: one character each, `0`-`9` and `a` for 10.
    pub fn encode_moods(&self) -> String {
        self.moods.iter().map(|&m| mood_char(m)).collect()
    }

    /// Reads stored moods back; `None` if a character is not a mood.
    pub fn decode_moods(text: &str) -> Option<Vec<u8>> {
        text.chars()
            .map(|c| match c {
                '0'..='9' => Some(c as u8 - b'0'),
                'a' => Some(10),
                _ => None,
            })
            .collect()
    }
}

/// One mood as a stored character.
pub fn mood_char(mood: u8) -> char {
    match mood.min(10) {
        10 => 'a',
        m => char::from(b'0' + m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + minutes * 60).unwrap()
    }

    #[test]
    fn first_and_latest_follow_time_not_arrival() {
        let mut s = ScoreSummary::new("phq9");
        s.add(at(10), 12.0);
        s.add(at(5), 20.0);
        s.add(at(30), 8.0);
        s.add(at(20), 9.0);
        assert_eq!(s.first, Some((at(5), 20.0)));
        assert_eq!(s.latest, Some((at(30), 8.0)));
        assert_eq!(s.responses, 4);
    }

    #[test]
    fn points_number_sessions_after_the_screening() {
        let mut s = ScoreSummary::new("phq9");
        assert!(s.points().is_empty());
        s.add(at(10), 12.0);
        assert!(s.points().is_empty(), "one response has nothing to compare");
        s.screening = Some((at(0), 18.0));
        let p = s.points();
        assert_eq!((p[0].total, p[0].session), (18.0, 1));
        assert_eq!((p[1].total, p[1].session), (12.0, 2));
        s.add(at(20), 10.0);
        let p = s.points();
        assert_eq!((p[1].total, p[1].session), (10.0, 3));
        s.screening = None;
        let p = s.points();
        assert_eq!((p[0].total, p[0].session), (12.0, 1));
        assert_eq!((p[1].total, p[1].session), (10.0, 2));
    }

    #[test]
    fn moods_keep_the_newest_window() {
        let mut m = MoodSummary::default();
        for i in 0..(MOOD_WINDOW + 5) {
            m.add((i % 11) as u8, at(i as i64), at(i as i64));
        }
        assert_eq!(m.moods.len(), MOOD_WINDOW);
        assert_eq!(m.check_ins as usize, MOOD_WINDOW + 5);
        assert_eq!(m.moods[MOOD_WINDOW - 1], ((MOOD_WINDOW + 4) % 11) as u8);
        let text = m.encode_moods();
        assert_eq!(MoodSummary::decode_moods(&text).unwrap(), m.moods);
        assert_eq!(MoodSummary::decode_moods("12x"), None);
        assert_eq!(mood_char(10), 'a');
    }
}
