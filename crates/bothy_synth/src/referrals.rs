//! Referrals: where they come from, when they arrive, what they ask for and
//! how triage decides them.

use crate::rng::Rng;
use bothy_domain::referral::{Problem, Source, Status, Step};

pub const HOUR: i64 = 3_600_000;
pub const DAY: i64 = 24 * HOUR;

/// Where a referral came from. The store knows self, professional and FHIR;
/// the organisation distinguishes a GP from another professional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    SelfReferral,
    Gp,
    OtherProfessional,
    /// A GP system sending a FHIR ServiceRequest.
    GpSystem,
}

/// Most people refer themselves (NHS Talking Therapies: about two in three).
pub const ORIGINS: [(Origin, f64); 4] = [
    (Origin::SelfReferral, 0.62),
    (Origin::Gp, 0.24),
    (Origin::OtherProfessional, 0.08),
    (Origin::GpSystem, 0.06),
];

impl Origin {
    pub fn source(self) -> Source {
        match self {
            Origin::SelfReferral => Source::SelfReferral,
            Origin::Gp | Origin::OtherProfessional => Source::Professional,
            Origin::GpSystem => Source::Fhir,
        }
    }

    /// The referrer's name and organisation, for professional referrals.
    pub fn referrer(self, r: &mut Rng) -> (Option<String>, Option<String>) {
        match self {
            Origin::SelfReferral => (None, None),
            Origin::Gp | Origin::GpSystem => (
                Some(format!(
                    "Dr {}",
                    r.choose(&["Adams", "Bose", "Carter", "Dunn", "Ellis"])
                )),
                Some(format!("{} Medical Practice", r.choose(&PRACTICES))),
            ),
            Origin::OtherProfessional => (
                Some("Duty worker".into()),
                Some((*r.choose(&OTHER_REFERRERS)).into()),
            ),
        }
    }

    /// Relative referral volume by weekday, Monday first: self-referrals keep
    /// coming at weekends, GP referrals almost stop.
    fn weekday_weight(self, weekday: usize) -> f64 {
        const SELF: [f64; 7] = [1.0, 0.93, 0.9, 0.86, 0.78, 0.36, 0.42];
        const OFFICE: [f64; 7] = [1.0, 0.95, 0.95, 0.9, 0.85, 0.03, 0.02];
        match self {
            Origin::SelfReferral => SELF[weekday],
            _ => OFFICE[weekday],
        }
    }

    /// Relative volume by hour of the day (UK time, daylight saving ignored):
    /// online self-referral peaks mid-morning and again in the evening;
    /// professionals refer in working hours.
    fn hour_weights(self) -> [f64; 24] {
        match self {
            Origin::SelfReferral => [
                0.3, 0.2, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 1.0, 1.3, 1.4, 1.4, 1.3, 1.3, 1.2, 1.1,
                1.0, 0.9, 0.9, 1.0, 1.1, 1.0, 0.8, 0.5,
            ],
            _ => [
                0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.6, 1.2, 1.4, 1.3, 1.0, 1.1, 1.3, 1.2,
                1.0, 0.7, 0.2, 0.05, 0.0, 0.0, 0.0, 0.0,
            ],
        }
    }
}

const PRACTICES: [&str; 8] = [
    "Riverside",
    "Parkview",
    "Station Road",
    "Hillside",
    "Market Street",
    "Northgate",
    "Elm Tree",
    "Canal Side",
];
const OTHER_REFERRERS: [&str; 4] = [
    "Community mental health team",
    "Occupational health",
    "Perinatal team",
    "Job centre work coach",
];

/// When a referral arrives: a day in the last year, weighted by weekday, and
/// an hour weighted by origin; at least `before` earlier than `now`.
pub fn arrival(r: &mut Rng, origin: Origin, now: i64, before: i64) -> i64 {
    let today = now.div_euclid(DAY) * DAY;
    let hours = origin.hour_weights();
    for _ in 0..50 {
        let day = today - r.range(0, 364) * DAY;
        // 1 January 1970 was a Thursday (weekday 3 counting from Monday).
        let weekday = ((day / DAY + 3).rem_euclid(7)) as usize;
        if !r.chance(origin.weekday_weight(weekday)) {
            continue;
        }
        let at = day + r.weighted(&hours) as i64 * HOUR + r.range(0, HOUR - 1);
        if at <= now - before {
            return at;
        }
    }
    now - before - r.range(0, DAY)
}

/// The problems ticked on the form; the first is the main one.
pub fn problems(r: &mut Rng) -> Vec<Problem> {
    const MAIN: [(Problem, f64); 9] = [
        (Problem::LowMood, 0.38),
        (Problem::Worry, 0.24),
        (Problem::Stress, 0.10),
        (Problem::Panic, 0.08),
        (Problem::SocialAnxiety, 0.06),
        (Problem::HealthWorries, 0.04),
        (Problem::Trauma, 0.04),
        (Problem::Obsessions, 0.03),
        (Problem::Sleep, 0.03),
    ];
    let main = r.pick(&MAIN);
    let mut out = vec![main];
    if r.chance(0.5) {
        let second = r.pick(&MAIN);
        if second != main {
            out.push(second);
        }
    }
    out
}

/// The step an accepted referral goes to: mostly the digital programme.
pub const STEPS: [(Step, f64); 3] = [
    (Step::Programme, 0.75),
    (Step::GuidedSelfHelp, 0.17),
    (Step::Therapist, 0.08),
];

/// What happened to a referral that did not become a patient of this
/// service, and the note triage wrote.
pub fn not_accepted(r: &mut Rng) -> (Status, &'static str) {
    let status = r.pick(&[
        (Status::Signposted, 0.45),
        (Status::Declined, 0.20),
        (Status::Received, 0.20),
        (Status::InfoRequested, 0.15),
    ]);
    let note = match status {
        Status::Signposted => *r.choose(&[
            "Community mental health team",
            "Face-to-face talking therapies",
            "Drug and alcohol service",
            "Eating disorder service",
            "Citizens Advice (debt)",
        ]),
        Status::Declined => *r.choose(&[
            "Needs are better met by secondary care",
            "Outside the service area",
            "The person chose not to go ahead",
        ]),
        Status::InfoRequested => "Please confirm the person's GP practice",
        _ => "",
    };
    (status, note)
}

/// Screening totals at referral: PHQ-9 mostly in the moderate to severe
/// range, GAD-7 correlated with it, higher when the main problem is anxiety.
pub fn screening(r: &mut Rng, main: Problem) -> (i64, i64) {
    let phq = r.normal(15.0, 5.0).round().clamp(3.0, 27.0) as i64;
    let anxious = !matches!(main, Problem::LowMood | Problem::Sleep | Problem::Other);
    let gad_mean = 0.55 * phq as f64 + if anxious { 6.5 } else { 3.5 };
    let gad = r.normal(gad_mean, 3.5).round().clamp(0.0, 21.0) as i64;
    (phq, gad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_are_in_the_last_year_and_gps_rest_at_weekends() {
        let now = 1_780_000_000_000;
        let mut r = Rng::stream(5, 5);
        let mut weekend = 0;
        for _ in 0..5000 {
            let at = arrival(&mut r, Origin::Gp, now, DAY);
            assert!(at <= now - DAY && at > now - 367 * DAY);
            if (at / DAY + 3).rem_euclid(7) >= 5 {
                weekend += 1;
            }
        }
        assert!(weekend < 100, "{weekend}");
    }
}
