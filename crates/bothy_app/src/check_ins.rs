//! Check-ins: a patient records their mood, with optional sleep, activity
//! and a note; its detectors (mood drop, risk words in the note) run in the
//! same transaction. The use case knows nothing of the channel: the web form calls
//! it now, and text-message check-ins call it with the same patient actor.

use crate::{Actor, App, AppError, AuditEvent, FieldError, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::audit::Action;
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::check_in::{CheckIn, NewCheckIn};
use bothy_domain::ids::CheckInId;
use bothy_domain::time::Timestamp;

/// A check-in as given, before validation. Values are the text the person
/// typed or chose, whatever the channel.
#[derive(Debug, Clone, Default)]
pub struct CheckInInput {
    pub mood: String,
    pub sleep: String,
    pub activity: String,
    pub note: String,
    /// When the person says it was; `None` means now.
    pub at: Option<Timestamp>,
    /// Makes a resent form or message store one check-in.
    pub idempotency_key: String,
}

/// A stored check-in; `duplicate` when the same one arrived before.
#[derive(Debug, Clone)]
pub struct CheckedIn {
    pub check_in: CheckIn,
    pub duplicate: bool,
    /// Whether its note has risk words: the person is shown the crisis
    /// contacts and their safety plan at once. Read from the note itself, so
    /// a resent form shows them again.
    pub risk: bool,
}

/// Mood check-ins: recording one (from any channel) and reading them.
pub struct CheckIns<'a> {
    pub(crate) app: &'a App,
}

impl CheckIns<'_> {
    /// Records a check-in for the signed-in patient, with its audit event,
    /// in one transaction. Sending the same key again returns the first.
    pub async fn record(
        &self,
        actor: &Actor,
        input: CheckInInput,
        ctx: &RequestContext,
    ) -> Result<CheckedIn, AppError> {
        let Actor::Patient(p) = actor else {
            return Err(AppError::Forbidden);
        };
        let key = input.idempotency_key.trim();
        if key.is_empty() || key.len() > 100 {
            return Err(AppError::field(
                "key",
                "Each check-in needs a key of 1 to 100 characters",
            ));
        }
        let now = self.app.clock.now();
        let valid = NewCheckIn::parse(
            &input.mood,
            &input.sleep,
            &input.activity,
            &input.note,
            input.at,
            now,
        )
        .map_err(|errors| {
            AppError::Invalid(
                errors
                    .into_iter()
                    .map(|(field, message)| FieldError {
                        field: field.to_string(),
                        message,
                    })
                    .collect(),
            )
        })?;
        let mut work = self.app.change(actor, ctx).await?;
        let patient = work.patient(p.id).await?;
        let check_in = CheckIn {
            id: CheckInId::random(),
            patient_id: patient.id,
            service_id: patient.service_id,
            mood: valid.mood,
            sleep_hours: valid.sleep_hours,
            activity: valid.activity,
            note: valid.note,
            checked_in_at: valid.checked_in_at,
            recorded_at: now,
            idempotency_key: Some(key.to_string()),
        };
        if !work.tx().insert_check_in(&check_in).await? {
            // The same check-in was stored first (a resent form, or the same
            // one at the same moment): answer with that one.
            let first = work.tx().check_in_by_key(patient.id, key).await?;
            let first = first.ok_or_else(|| {
                AppError::internal(std::io::Error::other("a duplicate check-in went missing"))
            })?;
            return Ok(CheckedIn {
                risk: self.note_has_risk(first.note.as_deref()),
                check_in: first,
                duplicate: true,
            });
        }
        let event = AuditEvent::new(Action::CheckInRecorded)
            .patient(patient.id)
            .service(patient.service_id)
            .detail(format!("check-in {}", check_in.id))
            .record(RecordKind::CheckIn, check_in.id);
        work.audit(event).await?;
        self.app
            .monitoring()
            .detect_on_check_in(work.tx(), actor, &patient, &check_in, ctx)
            .await?;
        work.finish().await?;
        Ok(CheckedIn {
            risk: self.note_has_risk(check_in.note.as_deref()),
            check_in,
            duplicate: false,
        })
    }

    /// Whether a note shows the crisis contacts, by the one rule for what
    /// a person sends (`Immediate`): any risk phrase that is not negated, of
    /// any severity, whatever the service's alert settings (those decide
    /// only whether an alert is raised, in `detect_on_check_in`).
    pub fn note_has_risk(&self, note: Option<&str>) -> bool {
        note.is_some_and(|text| {
            self.app
                .monitoring()
                .shows_crisis_contacts(bothy_domain::detectors::TextSource::CheckInNote, &[text])
        })
    }

    /// A patient's most recent check-ins, newest first, for the patient
    /// themself or staff who may see them. Audited before returning.
    pub async fn recent(
        &self,
        actor: &Actor,
        patient_id: PatientId,
        limit: i64,
        ctx: &RequestContext,
    ) -> Result<Vec<CheckIn>, AppError> {
        if !matches!(actor, Actor::Patient(_) | Actor::Staff(_)) {
            return Err(AppError::Forbidden);
        }
        let mut work = self.app.look(actor, ctx).await?;
        let patient = work.patient(patient_id).await?;
        let check_ins = work
            .tx()
            .check_ins(patient_id, limit.clamp(1, 1000))
            .await?;
        let event = AuditEvent::new(Action::CheckInRead)
            .patient(patient.id)
            .service(patient.service_id)
            .detail(format!("{} check-ins", check_ins.len()));
        work.audit(event).await?;
        work.finish().await?;
        Ok(check_ins)
    }
}
