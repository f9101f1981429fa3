//! Daily mood check-ins while a person is in treatment, with realistic
//! missingness: each person has their own habit (a few check in nearly every
//! day, most on some days, many rarely), fading over the weeks; people who
//! drop out fade fastest. Mood follows their measure trajectory.

use crate::referrals::{DAY, HOUR};
use crate::rng::Rng;
use crate::trajectories::Kind;
use bothy_domain::check_in::{Activity, CheckIn};
use bothy_domain::ids::CheckInId;
use bothy_domain::time::from_millis;
use bothy_domain::{PatientId, ServiceId};

/// Check-in habits: the share of days at the start of treatment.
const HABITS: [((f64, f64), f64); 3] = [
    ((0.85, 0.98), 0.10),
    ((0.30, 0.70), 0.50),
    ((0.03, 0.25), 0.40),
];

/// Short notes a few people add; none with words the risk lexicon watches.
const NOTES: [&str; 8] = [
    "Went for a walk",
    "Busy day at work",
    "Saw a friend",
    "Tired today",
    "Better than yesterday",
    "Did my worksheet",
    "Slept badly",
    "Quiet day at home",
];

/// One person's course, as check-ins need it.
pub struct Course {
    pub patient: PatientId,
    pub service: ServiceId,
    pub kind: Kind,
    pub sessions: u32,
    /// Their PHQ-9 at the start.
    pub start_phq: i64,
    /// From the first treatment contact to discharge (or now).
    pub from: i64,
    pub to: i64,
}

pub fn generate(r: &mut Rng, c: &Course, out: &mut Vec<CheckIn>) {
    let (lo, hi) = r.pick(&HABITS);
    let habit = lo + (hi - lo) * r.unit();
    let fade_per_week = if c.kind == Kind::Dropout { 0.25 } else { 0.05 };
    let first_day = c.from.div_euclid(DAY) * DAY + DAY;
    let mut day = first_day;
    while day + 22 * HOUR <= c.to {
        let weeks = ((day - first_day) / DAY) as f64 / 7.0;
        let p = habit * (1.0 - fade_per_week * weeks).max(0.05);
        if r.chance(p) {
            let at = day + r.range(7, 21) * HOUR + r.range(0, HOUR - 1);
            let session = weeks.min(f64::from(c.sessions.saturating_sub(1)));
            let phq = c.start_phq as f64 * c.kind.factor(session, c.sessions);
            let mood = r
                .normal(9.0 - 7.5 * phq / 27.0, 1.3)
                .round()
                .clamp(0.0, 10.0) as u8;
            let sleep_hours = r.chance(0.55).then(|| {
                (r.normal(7.2 - phq / 12.0, 1.2) * 2.0)
                    .round()
                    .clamp(6.0, 22.0)
                    / 2.0
            });
            let activity = r.chance(0.45).then(|| *r.choose(&Activity::ALL));
            let note = r.chance(0.04).then(|| (*r.choose(&NOTES)).to_string());
            out.push(CheckIn {
                id: CheckInId::from_uuid(r.uuid()),
                patient_id: c.patient,
                service_id: c.service,
                mood,
                sleep_hours,
                activity,
                note,
                checked_in_at: from_millis(at),
                recorded_at: from_millis(at),
                idempotency_key: None,
            });
        }
        day += DAY;
    }
}
