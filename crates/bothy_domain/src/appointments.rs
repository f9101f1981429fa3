//! Appointments (issue 15): staff book a time with a practitioner, in
//! person, by phone or by video, and record what happened. An attended
//! appointment is a treatment contact for the referral-to-treatment clock.
//!
//! This module holds the appointment as stored, what a booking must be
//! (validated on construction: [`Slot::new`]), and the one state machine:
//! an appointment is booked, then exactly once attended, not attended, or
//! cancelled by the service or the person ([`Appointment::change`]). The
//! calendar file is written by [`ical`], the video link by [`video`].

pub mod ical;
pub mod video;

use crate::ids::AppointmentId;
use crate::time::Timestamp;
use crate::{PatientId, ServiceId, StaffId};
use jiff::SignedDuration;

/// The shortest appointment, in minutes.
pub const MIN_MINUTES: u16 = 10;
/// The longest appointment, in minutes.
pub const MAX_MINUTES: u16 = 180;
/// How far ahead an appointment may be booked, in days.
pub const MAX_DAYS_AHEAD: i64 = 366;
/// How long before the start "attended" may be recorded: a video call
/// often opens a few minutes early.
pub const ATTEND_EARLY_MINUTES: i64 = 30;

/// How the appointment takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    InPerson,
    Phone,
    Video,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::InPerson, Kind::Phone, Kind::Video];

    /// The stored and form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::InPerson => "in_person",
            Kind::Phone => "phone",
            Kind::Video => "video",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Plain English: "In person".
    pub fn label(self) -> &'static str {
        match self {
            Kind::InPerson => "In person",
            Kind::Phone => "Phone",
            Kind::Video => "Video",
        }
    }
}

/// Where an appointment stands. Every status but `Booked` is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Booked,
    Attended,
    DidNotAttend,
    CancelledByService,
    CancelledByPatient,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Booked,
        Status::Attended,
        Status::DidNotAttend,
        Status::CancelledByService,
        Status::CancelledByPatient,
    ];

    /// The stored and form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Booked => "booked",
            Status::Attended => "attended",
            Status::DidNotAttend => "did_not_attend",
            Status::CancelledByService => "cancelled_by_service",
            Status::CancelledByPatient => "cancelled_by_patient",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Plain English: "Did not attend".
    pub fn label(self) -> &'static str {
        match self {
            Status::Booked => "Booked",
            Status::Attended => "Attended",
            Status::DidNotAttend => "Did not attend",
            Status::CancelledByService => "Cancelled by the service",
            Status::CancelledByPatient => "Cancelled by the person",
        }
    }

    pub fn is_cancelled(self) -> bool {
        matches!(
            self,
            Status::CancelledByService | Status::CancelledByPatient
        )
    }
}

/// When an appointment is: its start and length, checked on construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    starts_at: Timestamp,
    minutes: u16,
}

/// Why a booking or a change was refused: the form's field and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub field: &'static str,
    pub message: String,
}

fn refused(field: &'static str, message: impl Into<String>) -> Refused {
    Refused {
        field,
        message: message.into(),
    }
}

impl Slot {
    /// A slot to book at `now`: in the future (not in the past, nor more
    /// than [`MAX_DAYS_AHEAD`] ahead), [`MIN_MINUTES`] to [`MAX_MINUTES`] long.
    pub fn new(starts_at: Timestamp, minutes: i64, now: Timestamp) -> Result<Slot, Refused> {
        let minutes = u16::try_from(minutes)
            .ok()
            .filter(|m| (MIN_MINUTES..=MAX_MINUTES).contains(m))
            .ok_or_else(|| {
                refused(
                    "minutes",
                    format!("An appointment lasts from {MIN_MINUTES} to {MAX_MINUTES} minutes"),
                )
            })?;
        if starts_at <= now {
            return Err(refused("date", "The appointment must be in the future"));
        }
        if starts_at.duration_since(now) > SignedDuration::from_hours(24 * MAX_DAYS_AHEAD) {
            return Err(refused(
                "date",
                "An appointment can be booked up to a year ahead",
            ));
        }
        Ok(Slot { starts_at, minutes })
    }

    /// A slot as stored, trusted.
    pub fn stored(starts_at: Timestamp, minutes: u16) -> Slot {
        Slot { starts_at, minutes }
    }

    pub fn starts_at(&self) -> Timestamp {
        self.starts_at
    }

    pub fn minutes(&self) -> u16 {
        self.minutes
    }

    pub fn ends_at(&self) -> Timestamp {
        self.starts_at
            .saturating_add(SignedDuration::from_mins(i64::from(self.minutes)))
            .unwrap_or(self.starts_at)
    }
}

/// One appointment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub id: AppointmentId,
    pub patient_id: PatientId,
    pub service_id: ServiceId,
    pub practitioner_id: StaffId,
    pub kind: Kind,
    pub slot: Slot,
    pub status: Status,
    /// The video room's name (video appointments only): random, so it
    /// says nothing about the person and cannot be guessed.
    pub room: Option<String>,
    pub booked_by: StaffId,
    pub booked_at: Timestamp,
    /// How many times it has been moved: the calendar's SEQUENCE, so a
    /// calendar replaces the event it has with the newer version.
    pub sequence: u32,
    /// Who recorded the outcome (attendance or cancellation), and when.
    pub outcome_by: Option<StaffId>,
    pub outcome_at: Option<Timestamp>,
}

impl Appointment {
    /// Whether `to` may follow the current status at `now`: only a booked
    /// appointment changes, and only once. "Attended" may be recorded from
    /// [`ATTEND_EARLY_MINUTES`] before the start, "did not attend" from the
    /// start; a cancellation only before the end (after it, what happened
    /// is attendance, not a cancellation).
    pub fn change(&self, to: Status, now: Timestamp) -> Result<(), Refused> {
        if self.status != Status::Booked {
            return Err(refused(
                "status",
                format!(
                    "This appointment is already recorded as: {}",
                    self.status.label().to_lowercase()
                ),
            ));
        }
        let start = self.slot.starts_at();
        let early = start
            .saturating_sub(SignedDuration::from_mins(ATTEND_EARLY_MINUTES))
            .unwrap_or(start);
        match to {
            Status::Booked => Err(refused("status", "Choose what happened")),
            Status::Attended if now < early => Err(refused(
                "status",
                "Attendance can be recorded once the appointment is about to start",
            )),
            Status::DidNotAttend if now < start => Err(refused(
                "status",
                "\"Did not attend\" can be recorded once the appointment has started",
            )),
            Status::CancelledByService | Status::CancelledByPatient
                if now >= self.slot.ends_at() =>
            {
                Err(refused(
                    "status",
                    "This appointment has ended: record whether the person attended",
                ))
            }
            _ => Ok(()),
        }
    }

    /// Whether it may move to another time at `now`: booked and not started.
    pub fn movable(&self, now: Timestamp) -> Result<(), Refused> {
        if self.status != Status::Booked {
            return Err(refused(
                "status",
                format!(
                    "This appointment is already recorded as: {}",
                    self.status.label().to_lowercase()
                ),
            ));
        }
        if now >= self.slot.starts_at() {
            return Err(refused(
                "date",
                "This appointment has started, so it cannot be moved: record what happened",
            ));
        }
        Ok(())
    }

    /// Whether the appointment is still to come (booked and not yet ended).
    pub fn upcoming(&self, now: Timestamp) -> bool {
        self.status == Status::Booked && self.slot.ends_at() > now
    }

    /// The calendar UID: stable for the appointment, so a calendar that
    /// gets a later version updates the event instead of adding one.
    pub fn calendar_uid(&self, domain: &str) -> String {
        format!("appointment-{}@{domain}", self.id)
    }
}

/// The UK's time zone, in which every form and message gives times.
fn london() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC)
}

/// The moment a form's date (`2026-12-08`) and time (`14:30`) name in UK
/// time. A time the clocks skip in spring is read as the one after it.
pub fn uk_moment(date: &str, time: &str) -> Result<Timestamp, Refused> {
    let date: jiff::civil::Date = date
        .trim()
        .parse()
        .map_err(|_| refused("date", "Enter the date, for example 2026-12-08"))?;
    let time: jiff::civil::Time = time
        .trim()
        .parse()
        .map_err(|_| refused("time", "Enter the time in 24 hours, for example 14:30"))?;
    date.to_datetime(time)
        .to_zoned(london())
        .map(|z| z.timestamp())
        .map_err(|_| refused("date", "Enter a date that exists"))
}

/// "Tuesday 8 December 2026 at 14:30", in UK time, for messages.
pub fn uk_when(t: Timestamp) -> String {
    t.to_zoned(london())
        .strftime("%A %-d %B %Y at %H:%M")
        .to_string()
}

/// "Tue 8 Dec at 14:30", in UK time, for a text message.
pub fn uk_when_short(t: Timestamp) -> String {
    t.to_zoned(london())
        .strftime("%a %-d %b at %H:%M")
        .to_string()
}

/// A new video room's name: "bothy-" and 32 random hexadecimal digits
/// (122 random bits), nothing about the person or the appointment.
pub fn new_room() -> String {
    format!("bothy-{}", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn booked(start: &str) -> Appointment {
        Appointment {
            id: AppointmentId::random(),
            patient_id: PatientId::random(),
            service_id: ServiceId::random(),
            practitioner_id: StaffId::random(),
            kind: Kind::Video,
            slot: Slot::stored(t(start), 50),
            status: Status::Booked,
            room: Some(new_room()),
            booked_by: StaffId::random(),
            booked_at: t("2026-12-01T09:00:00Z"),
            sequence: 0,
            outcome_by: None,
            outcome_at: None,
        }
    }

    #[test]
    fn a_slot_is_in_the_future_within_a_year_and_a_sane_length() {
        let now = t("2026-12-01T09:00:00Z");
        let s = Slot::new(t("2026-12-08T10:00:00Z"), 50, now).unwrap();
        assert_eq!(s.ends_at(), t("2026-12-08T10:50:00Z"));
        assert_eq!(Slot::new(now, 50, now).unwrap_err().field, "date");
        assert_eq!(
            Slot::new(t("2026-11-30T10:00:00Z"), 50, now)
                .unwrap_err()
                .field,
            "date"
        );
        assert_eq!(
            Slot::new(t("2028-01-01T10:00:00Z"), 50, now)
                .unwrap_err()
                .field,
            "date"
        );
        for bad in [0, 9, 181, -5, 100_000] {
            assert_eq!(
                Slot::new(t("2026-12-08T10:00:00Z"), bad, now)
                    .unwrap_err()
                    .field,
                "minutes",
                "{bad}"
            );
        }
        assert!(Slot::new(t("2026-12-08T10:00:00Z"), 10, now).is_ok());
        assert!(Slot::new(t("2026-12-08T10:00:00Z"), 180, now).is_ok());
    }

    #[test]
    fn only_a_booked_appointment_changes_and_only_once() {
        let mut a = booked("2026-12-08T10:00:00Z");
        let during = t("2026-12-08T10:10:00Z");
        for to in [
            Status::Attended,
            Status::DidNotAttend,
            Status::CancelledByService,
            Status::CancelledByPatient,
        ] {
            assert!(a.change(to, during).is_ok(), "{to:?}");
        }
        assert!(a.change(Status::Booked, during).is_err());
        a.status = Status::Attended;
        for to in Status::ALL {
            let e = a.change(to, during).unwrap_err();
            assert!(e.message.contains("already recorded as: attended"), "{e:?}");
        }
    }

    #[test]
    fn attendance_waits_for_the_start_and_cancelling_for_nothing_past_the_end() {
        let a = booked("2026-12-08T10:00:00Z");
        let day_before = t("2026-12-07T10:00:00Z");
        assert!(a.change(Status::Attended, day_before).is_err());
        assert!(a.change(Status::DidNotAttend, day_before).is_err());
        assert!(a.change(Status::CancelledByPatient, day_before).is_ok());
        let early = t("2026-12-08T09:45:00Z");
        assert!(a.change(Status::Attended, early).is_ok());
        assert!(a.change(Status::DidNotAttend, early).is_err());
        let after = t("2026-12-08T11:00:00Z");
        assert!(a.change(Status::CancelledByService, after).is_err());
        assert!(a.change(Status::DidNotAttend, after).is_ok());
        assert!(a.upcoming(early) && !a.upcoming(after));
        assert!(a.movable(t("2026-12-08T09:59:00Z")).is_ok());
        assert_eq!(
            a.movable(t("2026-12-08T10:00:00Z")).unwrap_err().field,
            "date"
        );
    }

    #[test]
    fn form_times_are_uk_time_and_messages_say_them_so() {
        // Winter: UK time is UTC; summer: an hour ahead.
        assert_eq!(
            uk_moment("2026-12-08", "10:00").unwrap(),
            t("2026-12-08T10:00:00Z")
        );
        assert_eq!(
            uk_moment("2026-07-08", "10:00").unwrap(),
            t("2026-07-08T09:00:00Z")
        );
        assert_eq!(uk_moment("2026-13-08", "10:00").unwrap_err().field, "date");
        assert_eq!(uk_moment("2026-12-08", "25:00").unwrap_err().field, "time");
        assert_eq!(uk_moment("", "").unwrap_err().field, "date");
        assert_eq!(
            uk_when(t("2026-07-08T09:00:00Z")),
            "Wednesday 8 July 2026 at 10:00"
        );
        assert_eq!(
            uk_when_short(t("2026-12-08T14:30:00Z")),
            "Tue 8 Dec at 14:30"
        );
    }

    #[test]
    fn stored_values_round_trip_and_rooms_say_nothing() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        let (a, b) = (new_room(), new_room());
        assert_ne!(a, b);
        assert_eq!(a.len(), "bothy-".len() + 32);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }
}
