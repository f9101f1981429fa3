//! Check-ins: a mood rating (0 to 10) with optional sleep, activity and a
//! short note, validated on construction. The same rules serve every
//! channel (the web form now, text messages later).

use crate::ids::{CheckInId, PatientId, ServiceId};
use crate::time::Timestamp;

/// The longest note a check-in may carry, in characters.
pub const NOTE_MAX: usize = 500;
/// How far ahead of the server's clock a check-in may be dated (clock skew).
pub const FUTURE_SKEW_SECS: i64 = 5 * 60;
/// How far back a check-in may be dated.
pub const PAST_LIMIT_SECS: i64 = 7 * 24 * 3600;

/// How active the person was: a short fixed list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    None,
    ALittle,
    Some,
    ALot,
}

impl Activity {
    pub const ALL: [Activity; 4] = [
        Activity::None,
        Activity::ALittle,
        Activity::Some,
        Activity::ALot,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Activity::None => "none",
            Activity::ALittle => "a_little",
            Activity::Some => "some",
            Activity::ALot => "a_lot",
        }
    }

    /// The words people see.
    pub fn label(self) -> &'static str {
        match self {
            Activity::None => "None",
            Activity::ALittle => "A little",
            Activity::Some => "Some",
            Activity::ALot => "A lot",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A stored check-in.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckIn {
    pub id: CheckInId,
    pub patient_id: PatientId,
    pub service_id: ServiceId,
    /// 0 (very low) to 10 (very good).
    pub mood: u8,
    /// Hours slept, in half hours.
    pub sleep_hours: Option<f64>,
    pub activity: Option<Activity>,
    pub note: Option<String>,
    /// When the person says they checked in.
    pub checked_in_at: Timestamp,
    /// When Bothy stored it.
    pub recorded_at: Timestamp,
    pub idempotency_key: Option<String>,
}

/// A valid check-in, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCheckIn {
    pub mood: u8,
    pub sleep_hours: Option<f64>,
    pub activity: Option<Activity>,
    pub note: Option<String>,
    pub checked_in_at: Timestamp,
}

impl NewCheckIn {
    /// Validates a check-in as typed. `at` is when the person says it was
    /// (`None`: now). Every problem is returned, each with its field.
    pub fn parse(
        mood: &str,
        sleep: &str,
        activity: &str,
        note: &str,
        at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Self, Vec<(&'static str, String)>> {
        let mut errors: Vec<(&'static str, String)> = Vec::new();
        let mood = match mood.trim().parse::<u8>() {
            Ok(m) if m <= 10 => Some(m),
            _ if mood.trim().is_empty() => {
                errors.push(("mood", "Choose how you are feeling, from 0 to 10".into()));
                None
            }
            _ => {
                errors.push((
                    "mood",
                    "Your mood must be a whole number from 0 to 10".into(),
                ));
                None
            }
        };
        let sleep = sleep.trim();
        let sleep_hours = if sleep.is_empty() {
            None
        } else {
            match sleep.parse::<f64>() {
                Ok(h) if (0.0..=24.0).contains(&h) && (h * 2.0).fract() == 0.0 => Some(h),
                _ => {
                    errors.push((
                        "sleep",
                        "Hours of sleep must be a number from 0 to 24, in half hours (for example 7.5)"
                            .into(),
                    ));
                    None
                }
            }
        };
        let activity = activity.trim();
        let activity = if activity.is_empty() {
            None
        } else {
            match Activity::parse(activity) {
                Some(a) => Some(a),
                None => {
                    errors.push((
                        "activity",
                        "Choose none, a little, some or a lot for activity".into(),
                    ));
                    None
                }
            }
        };
        let note = note.trim();
        if note.chars().count() > NOTE_MAX {
            errors.push((
                "note",
                format!(
                    "Your note must be {NOTE_MAX} characters or fewer (it has {})",
                    note.chars().count()
                ),
            ));
        } else if let Err(e) = crate::text::check(note, crate::text::Lines::Many) {
            errors.push(("note", e.message("Your note", crate::text::Lines::Many)));
        }
        let checked_in_at = at.unwrap_or(now);
        let ahead = checked_in_at.as_second() - now.as_second();
        if ahead > FUTURE_SKEW_SECS {
            errors.push((
                "at",
                "A check-in cannot be in the future: give a time up to now".into(),
            ));
        } else if -ahead > PAST_LIMIT_SECS {
            errors.push(("at", "A check-in can be at most 7 days ago".into()));
        }
        match mood {
            Some(mood) if errors.is_empty() => Ok(Self {
                mood,
                sleep_hours,
                activity,
                note: (!note.is_empty()).then(|| note.replace("\r\n", "\n")),
                checked_in_at,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-03-02T10:00:00Z".parse().unwrap()
    }

    fn fields(r: Result<NewCheckIn, Vec<(&'static str, String)>>) -> Vec<&'static str> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.0)
            .collect()
    }

    #[test]
    fn mood_is_a_whole_number_from_0_to_10() {
        for ok in ["0", "5", "10", " 7 "] {
            assert!(
                NewCheckIn::parse(ok, "", "", "", None, now()).is_ok(),
                "{ok}"
            );
        }
        for bad in ["", "11", "-1", "5.5", "five"] {
            assert_eq!(
                fields(NewCheckIn::parse(bad, "", "", "", None, now())),
                ["mood"],
                "{bad}"
            );
        }
    }

    #[test]
    fn sleep_activity_and_note() {
        let c =
            NewCheckIn::parse("4", "7.5", "a_little", " tired\r\nbut ok ", None, now()).unwrap();
        assert_eq!(c.sleep_hours, Some(7.5));
        assert_eq!(c.activity, Some(Activity::ALittle));
        assert_eq!(c.note.as_deref(), Some("tired\nbut ok"));
        for bad in ["7.25", "25", "-1", "x"] {
            assert_eq!(
                fields(NewCheckIn::parse("4", bad, "", "", None, now())),
                ["sleep"]
            );
        }
        assert_eq!(
            fields(NewCheckIn::parse("4", "", "loads", "", None, now())),
            ["activity"]
        );
        let long = "a".repeat(NOTE_MAX + 1);
        assert_eq!(
            fields(NewCheckIn::parse("4", "", "", &long, None, now())),
            ["note"]
        );
        assert!(NewCheckIn::parse("4", "", "", &"é".repeat(NOTE_MAX), None, now()).is_ok());
        assert_eq!(
            fields(NewCheckIn::parse("4", "", "", "a\u{7}b", None, now())),
            ["note"]
        );
    }

    #[test]
    fn time_within_skew_and_seven_days() {
        let at = |secs: i64| Some(Timestamp::from_second(now().as_second() + secs).unwrap());
        assert!(NewCheckIn::parse("4", "", "", "", at(FUTURE_SKEW_SECS), now()).is_ok());
        assert_eq!(
            fields(NewCheckIn::parse(
                "4",
                "",
                "",
                "",
                at(FUTURE_SKEW_SECS + 1),
                now()
            )),
            ["at"]
        );
        assert!(NewCheckIn::parse("4", "", "", "", at(-PAST_LIMIT_SECS), now()).is_ok());
        assert_eq!(
            fields(NewCheckIn::parse(
                "4",
                "",
                "",
                "",
                at(-PAST_LIMIT_SECS - 1),
                now()
            )),
            ["at"]
        );
    }
}
