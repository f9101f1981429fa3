//! Measure trajectories: how a person's scores move over their sessions.
//!
//! Each kind gives the share of the starting score left at each session
//! (1.0 = unchanged); scores add noise around it. The mix follows the shape
//! of NHS Talking Therapies results: about half of those who finish recover
//! or improve reliably, a third of people leave early, and a few get worse.
//!
//! | kind | share | sessions | shape |
//! |---|---|---|---|
//! | early responder | 22% | 6-8 | most of the fall by session 3, then flat at about 40% |
//! | slow responder | 23% | 8-12 | a steady fall to about 45% by the last session |
//! | non-responder | 20% | 6-10 | flat |
//! | deteriorator | 7% | 4-8 | a steady rise, about a third higher at the end |
//! | dropout | 28% | 1-3 | like a slow responder, then stops without notice |

use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    EarlyResponder,
    SlowResponder,
    NonResponder,
    Deteriorator,
    Dropout,
}

pub const MIX: [(Kind, f64); 5] = [
    (Kind::EarlyResponder, 0.22),
    (Kind::SlowResponder, 0.23),
    (Kind::NonResponder, 0.20),
    (Kind::Deteriorator, 0.07),
    (Kind::Dropout, 0.28),
];

impl Kind {
    pub fn draw(r: &mut Rng) -> Kind {
        r.pick(&MIX)
    }

    /// How many sessions (each with a PHQ-9 and a GAD-7) the course has.
    pub fn sessions(self, r: &mut Rng) -> u32 {
        let (lo, hi) = match self {
            Kind::EarlyResponder => (6, 8),
            Kind::SlowResponder => (8, 12),
            Kind::NonResponder => (6, 10),
            Kind::Deteriorator => (4, 8),
            Kind::Dropout => (1, 3),
        };
        r.range(lo, hi) as u32
    }

    /// The share of the starting score expected at `session` (0 = the
    /// first) of a course of `of` sessions. A dropout falls like a slow
    /// responder planned for 10 sessions.
    pub fn factor(self, session: f64, of: u32) -> f64 {
        let progress = if of > 1 {
            session / f64::from(of - 1)
        } else {
            0.0
        };
        match self {
            Kind::EarlyResponder => 0.4 + 0.6 * (-session / 1.5).exp(),
            Kind::SlowResponder => 1.0 - 0.55 * progress,
            Kind::NonResponder => 1.0,
            Kind::Deteriorator => 1.0 + 0.35 * progress,
            Kind::Dropout => 1.0 - 0.55 * session / 9.0,
        }
    }

    /// The score at a session: the expected share of `start` plus noise,
    /// rounded and kept within the instrument's range.
    pub fn score(self, r: &mut Rng, start: i64, session: u32, of: u32, max: i64) -> i64 {
        let expected = start as f64 * self.factor(f64::from(session), of);
        let noisy = if session == 0 {
            expected
        } else {
            r.normal(expected, 2.0)
        };
        (noisy.round() as i64).clamp(0, max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_go_the_right_way() {
        assert!(Kind::EarlyResponder.factor(3.0, 8) < 0.6);
        assert!(Kind::SlowResponder.factor(3.0, 10) > 0.75);
        assert!((Kind::SlowResponder.factor(9.0, 10) - 0.45).abs() < 1e-9);
        assert_eq!(Kind::NonResponder.factor(5.0, 8), 1.0);
        assert!(Kind::Deteriorator.factor(7.0, 8) > 1.3);
        let total: f64 = MIX.iter().map(|(_, w)| w).sum();
        assert!((total - 1.0).abs() < 1e-9);
    }
}
