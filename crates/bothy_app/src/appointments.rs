//! Appointments (issue 15 item 9): staff book a time with a practitioner,
//! in person, by phone or by video, and record what happened.
//!
//! Booking stores the appointment, its audit event and the invitation to
//! the person (by their agreed channel, `contact.rs`) in one transaction;
//! the invitation's time, join link and calendar file are read when it is
//! sent (`notify/appointment.rs`). A form sent twice books once (its key is
//! unique per patient); a practitioner booked at that start already is a
//! 409 (a unique index), as is an overlapping appointment (checked here).
//!
//! Recording an outcome is a guarded write from booked: two clinicians at
//! once change it once; the same outcome again is answered as the first,
//! a different one is a 409. "Attended" counts a treatment contact in the
//! open episode, the mechanism a supported review uses
//! (`episodes::count_treatment_contact`), at the appointment's start.
//!
//! Video: the service's provider (`[video]` in its settings) gives the
//! link, a Jitsi room signed with the deployment's `video.jitsi_secret`
//! or a fixed waiting area; without one, video is refused at booking.

use crate::jobs::{IdempotencyKey, MessageTemplate};
use crate::notify::Notice;
use crate::work::Work;
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::appointments::{self, Appointment, Kind, Refused, Slot, Status};
use bothy_domain::audit::Action;
use bothy_domain::ids::AppointmentId;
use bothy_domain::model::Patient;
use bothy_domain::role::Role;
use bothy_domain::{PatientId, ServiceId, StaffId};
use bothy_store::StaffPick;
use std::collections::HashMap;

/// The key that signs Jitsi room links. Never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct VideoSecret(Vec<u8>);

impl VideoSecret {
    pub fn new(secret: &[u8]) -> Self {
        Self(secret.to_vec())
    }
}

impl std::fmt::Debug for VideoSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

/// Appointments.
pub struct Appointments<'a> {
    pub(crate) app: &'a App,
}

/// What the booking form sent, as typed.
#[derive(Debug, Clone, Default)]
pub struct BookingForm {
    pub practitioner: String,
    pub kind: String,
    /// `2026-12-08`, UK date.
    pub date: String,
    /// `14:30`, UK time.
    pub time: String,
    pub minutes: String,
    /// The form's key: the same form twice books once.
    pub key: String,
}

/// A booking, and whether the same form came before.
#[derive(Debug, Clone)]
pub struct Booked {
    pub appointment: Appointment,
    pub duplicate: bool,
}

/// One appointment as a page shows it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub appointment: Appointment,
    pub practitioner: String,
    /// The link to join (video, with a provider), for the person and staff.
    pub join: Option<String>,
    /// The patient, on staff lists.
    pub patient: Option<Patient>,
}

/// A practitioner the form offers.
#[derive(Debug, Clone)]
pub struct Practitioner {
    pub id: StaffId,
    pub name: String,
}

/// Who may see patients in appointments: the roles that may support.
/// The roles that see patients, and so may hold appointments.
const CLINICAL: [Role; 3] = [Role::Supporter, Role::TriageClinician, Role::ClinicalLead];

fn clinical(role: Role) -> bool {
    CLINICAL.contains(&role)
}

fn refusal(r: Refused) -> AppError {
    AppError::field(r.field, r.message)
}

/// How long before a new appointment's start an earlier one may begin and
/// still overlap it: the longest appointment.
const LONGEST: i64 = appointments::MAX_MINUTES as i64;

/// How many a staff list shows at most.
const LIST_LIMIT: i64 = 500;

impl Appointments<'_> {
    /// The practitioners the booking form offers: the service's active
    /// staff who may see patients.
    pub async fn practitioners(&self, actor: &Actor) -> Result<Vec<Practitioner>, AppError> {
        let Actor::Staff(s) = actor else {
            return Err(AppError::Forbidden);
        };
        let mut tx = self.app.store.read().await?;
        let staff = tx.staff_of_service(s.service_id).await?;
        tx.rollback().await?;
        Ok(staff
            .into_iter()
            .filter(|(m, roles)| m.disabled_at.is_none() && roles.iter().any(|r| clinical(*r)))
            .map(|(m, _)| Practitioner {
                id: m.id,
                name: m.name.to_string(),
            })
            .collect())
    }

    /// Books an appointment for `patient` and queues the invitation, in
    /// one transaction. The same form again is answered with the first.
    pub async fn book(
        &self,
        actor: &Actor,
        patient_id: PatientId,
        form: &BookingForm,
        ctx: &RequestContext,
    ) -> Result<Booked, AppError> {
        let Actor::Staff(s) = actor else {
            return Err(AppError::Forbidden);
        };
        let now = self.app.clock.now();
        let key = AppError::form_key(&form.key, "booking")?;
        let kind = Kind::parse(form.kind.trim())
            .ok_or_else(|| AppError::field("kind", "Choose in person, phone or video"))?;
        let practitioner: StaffId =
            form.practitioner.trim().parse().map_err(|_| {
                AppError::field("practitioner", "Choose a practitioner from the list")
            })?;
        let start = appointments::uk_moment(&form.date, &form.time).map_err(refusal)?;
        let minutes: i64 = form
            .minutes
            .trim()
            .parse()
            .map_err(|_| AppError::field("minutes", "Enter the length in minutes"))?;
        let slot = Slot::new(start, minutes, now).map_err(refusal)?;

        let mut work = self.app.change(actor, ctx).await?;
        let patient = work.patient(patient_id).await?;
        if let Some(first) = work.tx().appointment_by_key(patient.id, key).await? {
            work.finish().await?;
            return Ok(Booked {
                appointment: first,
                duplicate: true,
            });
        }
        // Only the one chosen is read, not the whole service's staff.
        let Some(who) = work
            .tx()
            .staff_in_roles(patient.service_id, &CLINICAL, StaffPick::Id(practitioner))
            .await?
            .pop()
        else {
            return Err(AppError::field(
                "practitioner",
                "Choose a practitioner from the list",
            ));
        };
        let who = who.name.to_string();
        let room = if kind == Kind::Video {
            self.video_ready(&mut work, patient.service_id).await?;
            Some(appointments::new_room())
        } else {
            None
        };
        let earliest = slot
            .starts_at()
            .saturating_sub(jiff::SignedDuration::from_mins(LONGEST))
            .unwrap_or(slot.starts_at());
        let near = work
            .tx()
            .practitioner_appointments_between(practitioner, earliest, slot.ends_at())
            .await?;
        if let Some(other) = near.iter().find(|o| o.slot.ends_at() > slot.starts_at()) {
            // The same form, committed since this one looked for its key.
            if let Some(first) = work.tx().appointment_by_key(patient.id, key).await? {
                work.finish().await?;
                return Ok(Booked {
                    appointment: first,
                    duplicate: true,
                });
            }
            return Err(busy(&who, other));
        }
        let appointment = Appointment {
            id: AppointmentId::random(),
            patient_id: patient.id,
            service_id: patient.service_id,
            practitioner_id: practitioner,
            kind,
            slot,
            status: Status::Booked,
            room,
            booked_by: s.id,
            booked_at: now,
            sequence: 0,
            outcome_by: None,
            outcome_at: None,
        };
        if !work.tx().insert_appointment(&appointment, key).await? {
            // The same form, or the same practitioner and start, committed
            // while this one waited on the index.
            if let Some(first) = work.tx().appointment_by_key(patient.id, key).await? {
                work.finish().await?;
                return Ok(Booked {
                    appointment: first,
                    duplicate: true,
                });
            }
            return Err(AppError::Conflict(format!(
                "{who} already has an appointment at that time. Choose another time."
            )));
        }
        work.audit(event(Action::AppointmentBooked, &patient).detail(format!(
            "appointment {}: {}, {}, {} minutes, practitioner {practitioner}",
            appointment.id,
            kind.as_str(),
            slot.starts_at(),
            slot.minutes()
        )))
        .await?;
        self.notify(
            &mut work,
            &patient,
            &appointment,
            MessageTemplate::AppointmentInvitation,
        )
        .await?;
        work.finish().await?;
        Ok(Booked {
            appointment,
            duplicate: false,
        })
    }

    /// Refuses video when the service has no provider, or Jitsi without
    /// the deployment's secret.
    async fn video_ready(&self, work: &mut Work<'_>, service: ServiceId) -> Result<(), AppError> {
        let settings = self
            .app
            .monitoring()
            .settings_for(work.tx(), service)
            .await?;
        let Some(provider) = &settings.video else {
            return Err(AppError::field(
                "kind",
                "Video appointments cannot be booked: this service has no video provider \
                 set up. Book by phone or in person, or ask an administrator to set one up.",
            ));
        };
        provider.ready(self.secret()).map_err(|_| {
            AppError::field(
                "kind",
                "Video appointments cannot be booked: the video service's key is not set up. \
                 Book by phone or in person, or ask an administrator to set it up.",
            )
        })
    }

    fn secret(&self) -> Option<&[u8]> {
        self.app
            .settings
            .jitsi_secret
            .as_ref()
            .map(|s| s.0.as_slice())
    }

    /// Queues `template` about `a` to the person by their agreed channel.
    async fn notify(
        &self,
        work: &mut Work<'_>,
        patient: &Patient,
        a: &Appointment,
        template: MessageTemplate,
    ) -> Result<(), AppError> {
        self.queue_message(work.tx(), patient, a, template).await?;
        Ok(())
    }

    /// Queues the reminder of `a` in `tx` (the reminders task); false when
    /// it was queued before.
    pub(crate) async fn remind(
        &self,
        tx: &mut bothy_store::Tx,
        patient: &Patient,
        a: &Appointment,
    ) -> Result<bool, AppError> {
        self.queue_message(tx, patient, a, MessageTemplate::AppointmentReminder)
            .await
    }

    async fn queue_message(
        &self,
        tx: &mut bothy_store::Tx,
        patient: &Patient,
        a: &Appointment,
        template: MessageTemplate,
    ) -> Result<bool, AppError> {
        let key = message_key(a, template)?;
        let to = crate::contact::Addressee::patient(tx, patient).await?;
        let link = Some(self.app.sign_in_url());
        self.app
            .jobs()
            .notify_person_about(tx, &to, &key, template, link, Some(a.id))
            .await
    }

    /// Records what happened: attended, did not attend, or cancelled by
    /// the service or the person. The same outcome again (a double click,
    /// two clinicians agreeing) is answered as the first; another is a 409.
    pub async fn record(
        &self,
        actor: &Actor,
        id: AppointmentId,
        outcome: &str,
        ctx: &RequestContext,
    ) -> Result<Appointment, AppError> {
        let Actor::Staff(s) = actor else {
            return Err(AppError::Forbidden);
        };
        let to = Status::parse(outcome.trim())
            .filter(|s| *s != Status::Booked)
            .ok_or_else(|| AppError::field("status", "Choose what happened"))?;
        let now = self.app.clock.now();
        let mut work = self.app.change(actor, ctx).await?;
        let a = work.tx().appointment(id).await?.ok_or(AppError::NotFound)?;
        let patient = work.patient(a.patient_id).await?;
        if a.status == to {
            work.finish().await?;
            return Ok(a);
        }
        if a.status != Status::Booked {
            return Err(recorded_already(&a));
        }
        a.change(to, now).map_err(refusal)?;
        let Some(changed) = work.tx().record_appointment(id, to, s.id, now).await? else {
            // Someone else recorded it while this waited.
            let now_is = work.tx().appointment(id).await?.ok_or(AppError::NotFound)?;
            if now_is.status == to {
                work.finish().await?;
                return Ok(now_is);
            }
            return Err(recorded_already(&now_is));
        };
        work.audit(
            event(Action::AppointmentRecorded, &patient)
                .detail(format!("appointment {id}: {}", to.as_str())),
        )
        .await?;
        match to {
            Status::Attended => {
                crate::episodes::count_treatment_contact(
                    &mut work,
                    &patient,
                    a.slot.starts_at().min(now),
                    format!("appointment {id} attended"),
                )
                .await?;
            }
            Status::CancelledByService | Status::CancelledByPatient => {
                self.notify(
                    &mut work,
                    &patient,
                    &changed,
                    MessageTemplate::AppointmentCancelled,
                )
                .await?;
            }
            Status::DidNotAttend | Status::Booked => {}
        }
        work.finish().await?;
        Ok(changed)
    }

    /// One appointment, for staff who may open the person's record (the
    /// form that moves it). Audited.
    pub async fn get(
        &self,
        actor: &Actor,
        id: AppointmentId,
        ctx: &RequestContext,
    ) -> Result<Listed, AppError> {
        if !matches!(actor, Actor::Staff(_)) {
            return Err(AppError::Forbidden);
        }
        let mut work = self.app.look(actor, ctx).await?;
        let a = work.tx().appointment(id).await?.ok_or(AppError::NotFound)?;
        let patient = work.patient(a.patient_id).await?;
        let names = names(&mut work, [a.practitioner_id]).await?;
        work.audit(event(Action::AppointmentRead, &patient).detail(format!("appointment {id}")))
            .await?;
        work.finish().await?;
        Ok(Listed {
            join: None,
            practitioner: name(&names, a.practitioner_id),
            appointment: a,
            patient: Some(patient),
        })
    }

    /// Moves a booked appointment that has not started to another time
    /// (`form`'s date, time and minutes), if it is still at `sequence` (the
    /// moves the form saw), and queues the new invitation: the person's
    /// calendar replaces the event. The same move sent again is answered
    /// as done; a move of an appointment changed since is a 409.
    pub async fn reschedule(
        &self,
        actor: &Actor,
        id: AppointmentId,
        form: &BookingForm,
        sequence: &str,
        ctx: &RequestContext,
    ) -> Result<Appointment, AppError> {
        if !matches!(actor, Actor::Staff(_)) {
            return Err(AppError::Forbidden);
        }
        let now = self.app.clock.now();
        let seen: u32 = sequence.trim().parse().map_err(|_| changed())?;
        let start = appointments::uk_moment(&form.date, &form.time).map_err(refusal)?;
        let minutes: i64 = form
            .minutes
            .trim()
            .parse()
            .map_err(|_| AppError::field("minutes", "Enter the length in minutes"))?;
        let slot = Slot::new(start, minutes, now).map_err(refusal)?;
        let mut work = self.app.change(actor, ctx).await?;
        let a = work.tx().appointment(id).await?.ok_or(AppError::NotFound)?;
        let patient = work.patient(a.patient_id).await?;
        if a.sequence == seen + 1 && a.slot == slot {
            // This very move, sent again.
            work.finish().await?;
            return Ok(a);
        }
        a.movable(now).map_err(|r| {
            if r.field == "status" {
                AppError::Conflict(format!("{}.", r.message))
            } else {
                refusal(r)
            }
        })?;
        if a.sequence != seen {
            return Err(changed());
        }
        let who = name(
            &names(&mut work, [a.practitioner_id]).await?,
            a.practitioner_id,
        );
        let earliest = slot
            .starts_at()
            .saturating_sub(jiff::SignedDuration::from_mins(LONGEST))
            .unwrap_or(slot.starts_at());
        let near = work
            .tx()
            .practitioner_appointments_between(a.practitioner_id, earliest, slot.ends_at())
            .await?;
        if let Some(other) = near
            .iter()
            .find(|o| o.id != a.id && o.slot.ends_at() > slot.starts_at())
        {
            return Err(busy(&who, other));
        }
        let moved = match work.tx().move_appointment(id, &slot, seen).await? {
            bothy_store::Moved::Done(m) => m,
            bothy_store::Moved::Changed => {
                // This very move, committed by a request sent twice.
                let now_is = work.tx().appointment(id).await?.ok_or(AppError::NotFound)?;
                if now_is.sequence == seen + 1 && now_is.slot == slot {
                    work.finish().await?;
                    return Ok(now_is);
                }
                return Err(changed());
            }
            bothy_store::Moved::Taken => {
                return Err(AppError::Conflict(format!(
                    "{who} already has an appointment at that time. Choose another time."
                )));
            }
        };
        work.audit(event(Action::AppointmentMoved, &patient).detail(format!(
            "appointment {id}: from {} to {}, {} minutes",
            a.slot.starts_at(),
            slot.starts_at(),
            slot.minutes()
        )))
        .await?;
        self.notify(
            &mut work,
            &patient,
            &moved,
            MessageTemplate::AppointmentInvitation,
        )
        .await?;
        work.finish().await?;
        Ok(moved)
    }

    /// Every appointment of the patient, soonest first, for the person
    /// themself or staff who may open their record. Audited.
    pub async fn of_patient(
        &self,
        actor: &Actor,
        patient_id: PatientId,
        ctx: &RequestContext,
    ) -> Result<Vec<Listed>, AppError> {
        let mut work = self.app.look(actor, ctx).await?;
        let patient = work.patient(patient_id).await?;
        let list = self.of_patient_in(&mut work, &patient).await?;
        work.finish().await?;
        Ok(list)
    }

    /// A patient's appointments with their practitioners and join links
    /// (the caller has checked the actor may see the record), audited in
    /// the caller's unit of work.
    pub(crate) async fn of_patient_in(
        &self,
        work: &mut Work<'_>,
        patient: &Patient,
    ) -> Result<Vec<Listed>, AppError> {
        let list = work.tx().appointments_of_patient(patient.id).await?;
        let names = names(work, list.iter().map(|a| a.practitioner_id)).await?;
        let settings = self
            .app
            .monitoring()
            .settings_for(work.tx(), patient.service_id)
            .await?;
        work.audit(
            event(Action::AppointmentRead, patient).detail(format!("{} appointments", list.len())),
        )
        .await?;
        Ok(list
            .into_iter()
            .map(|a| Listed {
                join: self.join(settings.video.as_ref(), &a),
                practitioner: name(&names, a.practitioner_id),
                appointment: a,
                patient: None,
            })
            .collect())
    }

    /// The staff member's list: booked appointments from a week ago (so
    /// those waiting for an outcome show) onwards; a clinical lead's is
    /// the service's, anyone else's their own as practitioner, in both
    /// cases only people whose record they may open. Audited.
    pub async fn upcoming(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
    ) -> Result<(Vec<Listed>, bool), AppError> {
        let Actor::Staff(s) = actor else {
            return Err(AppError::Forbidden);
        };
        let whole_service = s.roles().any(|r| r == Role::ClinicalLead);
        let now = self.app.clock.now();
        let since = now
            .saturating_sub(jiff::SignedDuration::from_hours(24 * 7))
            .unwrap_or(now);
        let mut work = self.app.look(actor, ctx).await?;
        let list = work
            .tx()
            .booked_appointments(
                s.service_id,
                (!whole_service).then_some(s.id),
                since,
                LIST_LIMIT,
            )
            .await?;
        let ids: Vec<PatientId> = list.iter().map(|a| a.patient_id).collect();
        let patients = work.tx().patients_by_ids(&ids).await?;
        let names = names(&mut work, list.iter().map(|a| a.practitioner_id)).await?;
        let settings = self
            .app
            .monitoring()
            .settings_for(work.tx(), s.service_id)
            .await?;
        let shown: Vec<Listed> = list
            .into_iter()
            .filter_map(|a| {
                let p = patients.get(&a.patient_id)?;
                crate::policy::can_view_patient(actor, p).then(|| Listed {
                    join: self.join(settings.video.as_ref(), &a),
                    practitioner: name(&names, a.practitioner_id),
                    patient: Some(p.clone()),
                    appointment: a,
                })
            })
            .collect();
        work.audit(
            AuditEvent::new(Action::AppointmentRead)
                .service(s.service_id)
                .detail(format!("appointment list: {} appointments", shown.len())),
        )
        .await?;
        work.finish().await?;
        Ok((shown, whole_service))
    }

    /// The join link of a video appointment still to come.
    fn join(
        &self,
        provider: Option<&appointments::video::Provider>,
        a: &Appointment,
    ) -> Option<String> {
        if a.kind != Kind::Video || a.status != Status::Booked {
            return None;
        }
        provider?
            .join_link(a.room.as_deref(), a.slot.ends_at(), self.secret())
            .ok()
    }

    /// What an appointment message adds when sent: None when the
    /// appointment no longer matches it (an invitation to one since
    /// cancelled or past, a cancellation of one that stands).
    pub(crate) async fn invitation(
        &self,
        id: AppointmentId,
        template: MessageTemplate,
        key: &IdempotencyKey,
    ) -> Result<Option<crate::notify::Invitation>, AppError> {
        let mut tx = self.app.store.read().await?;
        let a = tx.appointment(id).await?;
        let settings = match &a {
            Some(a) => Some(
                self.app
                    .monitoring()
                    .settings_for(&mut tx, a.service_id)
                    .await?,
            ),
            None => None,
        };
        tx.rollback().await?;
        let (Some(a), Some(settings)) = (a, settings) else {
            return Ok(None);
        };
        let now = self.app.clock.now();
        // An invitation to a time the appointment has since moved from is
        // not sent: the one to its new time is queued under its own key.
        if message_key(&a, template)? != *key {
            return Ok(None);
        }
        let notice = match template {
            MessageTemplate::AppointmentInvitation if a.upcoming(now) => Notice::Invited,
            // A reminder deferred past the start (quiet hours) is not sent.
            MessageTemplate::AppointmentReminder if a.upcoming(now) && a.slot.starts_at() > now => {
                Notice::Reminder
            }
            MessageTemplate::AppointmentCancelled
                if a.status.is_cancelled() && a.slot.ends_at() > now =>
            {
                Notice::Cancelled
            }
            _ => return Ok(None),
        };
        let join = if a.kind == Kind::Video {
            let provider = settings.video.as_ref().ok_or_else(|| {
                AppError::Conflict("the service's video provider has been removed".into())
            })?;
            Some(
                provider
                    .join_link(a.room.as_deref(), a.slot.ends_at(), self.secret())
                    .map_err(AppError::internal)?,
            )
        } else {
            None
        };
        Ok(Some(crate::notify::Invitation {
            kind: a.kind,
            slot: a.slot,
            join,
            uid: a.calendar_uid(&self.app.calendar_domain()),
            // A cancellation outranks the last invitation it cancels.
            sequence: a.sequence + u32::from(notice == Notice::Cancelled),
            notice,
        }))
    }
}

impl App {
    /// The host of this deployment's address, for calendar UIDs.
    pub(crate) fn calendar_domain(&self) -> String {
        let url = self.settings.public_url.as_str();
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        rest.split(['/', ':']).next().unwrap_or("bothy").to_string()
    }
}

/// The key of a message about `a`: one invitation and one reminder per time
/// it is at (its sequence), one cancellation.
fn message_key(a: &Appointment, template: MessageTemplate) -> Result<IdempotencyKey, AppError> {
    let id = a.id.to_string();
    let sequence = a.sequence.to_string();
    let mut parts = vec!["appointment", id.as_str(), template.as_str()];
    let per_time = match template {
        MessageTemplate::AppointmentInvitation => a.sequence > 0,
        MessageTemplate::AppointmentReminder => true,
        _ => false,
    };
    if per_time {
        parts.push(sequence.as_str());
    }
    Ok(IdempotencyKey::from_parts(&parts)?)
}

fn event<'a>(action: Action, patient: &Patient) -> AuditEvent<'a> {
    AuditEvent::new(action)
        .patient(patient.id)
        .service(patient.service_id)
}

fn busy(who: &str, other: &Appointment) -> AppError {
    AppError::Conflict(format!(
        "{who} already has an appointment from {} to {}. Choose another time.",
        appointments::uk_when(other.slot.starts_at()),
        other
            .slot
            .ends_at()
            .to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC))
            .strftime("%H:%M")
    ))
}

fn changed() -> AppError {
    AppError::Conflict(
        "This appointment has changed since you opened the form. Open it again.".into(),
    )
}

fn recorded_already(a: &Appointment) -> AppError {
    AppError::Conflict(format!(
        "This appointment is already recorded as: {}.",
        a.status.label().to_lowercase()
    ))
}

/// The practitioners of these appointments by name: only those, not the
/// service's whole staff.
async fn names(
    work: &mut Work<'_>,
    practitioners: impl IntoIterator<Item = StaffId>,
) -> Result<HashMap<StaffId, String>, AppError> {
    let ids: Vec<StaffId> = practitioners.into_iter().collect();
    Ok(work.tx().staff_names(&ids).await?)
}

fn name(names: &HashMap<StaffId, String>, id: StaffId) -> String {
    names
        .get(&id)
        .cloned()
        .unwrap_or_else(|| "A former member of staff".into())
}
