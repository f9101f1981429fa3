//! The interactive tools: a patient records a thought record or a night of
//! their sleep diary; they, and staff who may see their record, read the
//! entries back. Each entry is stored once per idempotency key, with its
//! audit event and digest, and its free text goes through the same risk rule
//! as a check-in note in the same transaction: risk words raise an alert
//! with the entry, and the person is shown the crisis contacts.

use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::audit::Action;
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::ids::ToolEntryId;
use bothy_domain::model::Patient;
use bothy_domain::tools::form::{FieldKind, Spec};
use bothy_domain::tools::sleep::SleepDiaryEntry;
use bothy_domain::tools::sleep_diary::{self, SleepDiaryInput, Week};
use bothy_domain::tools::thought_record::{ThoughtRecord, ThoughtRecordInput};
use bothy_domain::tools::{Entry, ToolEntry, ToolKind, specs};

/// The most sleep-diary nights read back: over two years of mornings.
pub const NIGHTS_READ: i64 = 1_000;

/// An entry as typed, before it is checked.
#[derive(Debug, Clone)]
pub enum ToolInput {
    ThoughtRecord(ThoughtRecordInput),
    SleepDiary(SleepDiaryInput),
    /// A form tool's fields as sent, by name.
    Form(ToolKind, Vec<(String, String)>),
}

/// A stored entry; `duplicate` when the same one arrived before.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub entry: ToolEntry,
    pub duplicate: bool,
    /// Whether its free text has risk words: the person is shown the crisis
    /// contacts at once. Read from the entry itself, so a resent form shows
    /// them again.
    pub risk: bool,
}

/// A sleep diary: the nights, the latest night first, and what the last
/// week of them says once there are seven.
#[derive(Debug, Clone)]
pub struct SleepDiary {
    pub nights: Vec<(ToolEntry, SleepDiaryEntry)>,
    pub week: Option<Week>,
}

/// An entry checked as far as it can be before the transaction: a night
/// needs the service's time zone and the nights already recorded.
enum Checked<'a> {
    Ready(Entry),
    Night(&'a SleepDiaryInput),
    /// A form is checked on the person's day, and the entries it refers
    /// to must be theirs.
    Form(&'static Spec, &'a [(String, String)]),
}

/// The text sent for a field, empty if it was not sent.
fn field<'t>(typed: &'t [(String, String)], name: &str) -> &'t str {
    typed
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The interactive tools: recording entries and reading them.
pub struct Tools<'a> {
    pub(crate) app: &'a App,
}

impl Tools<'_> {
    /// Records an entry for the signed-in patient, with its audit event and
    /// any alert its words raise, in one transaction. Sending the same key
    /// again returns the first entry and writes nothing.
    pub async fn record(
        &self,
        actor: &Actor,
        input: ToolInput,
        idempotency_key: &str,
        ctx: &RequestContext,
    ) -> Result<Recorded, AppError> {
        let Actor::Patient(p) = actor else {
            return Err(AppError::Forbidden);
        };
        let key = idempotency_key.trim();
        if key.is_empty() || key.len() > 100 {
            return Err(AppError::field(
                "key",
                "Each entry needs a key of 1 to 100 characters",
            ));
        }
        // A thought record needs nothing from the database to be checked.
        let checked = match &input {
            ToolInput::ThoughtRecord(typed) => Checked::Ready(Entry::ThoughtRecord(
                ThoughtRecord::parse(typed).map_err(AppError::fields)?,
            )),
            ToolInput::SleepDiary(typed) => Checked::Night(typed),
            ToolInput::Form(kind, typed) => {
                Checked::Form(specs::spec(*kind).ok_or(AppError::NotFound)?, typed)
            }
        };
        let now = self.app.clock.now();
        let mut work = self.app.change(actor, ctx).await?;
        let patient = work.patient(p.id).await?;
        // Days and clock times are where the person is: the service's time zone.
        let monitoring = self
            .app
            .monitoring()
            .settings_for(work.tx(), patient.service_id)
            .await?;
        let local = now.to_zoned(monitoring.hours.time_zone().clone());
        let entry = match checked {
            Checked::Ready(entry) => entry,
            Checked::Form(spec, typed) => {
                let form = spec
                    .parse(|name| field(typed, name), local.date())
                    .map_err(AppError::fields)?;
                for (name, id) in form.entries() {
                    let want = spec.field(name).map(|f| f.kind);
                    let found = work.tx().tool_entry(patient.id, id).await?;
                    if !found.is_some_and(|e| Some(FieldKind::Entry(e.entry.kind())) == want) {
                        return Err(AppError::field(name, "Choose one from the list"));
                    }
                }
                Entry::Form(form)
            }
            Checked::Night(typed) => {
                let night =
                    sleep_diary::parse(typed, local.datetime()).map_err(AppError::fields)?;
                let recorded = work
                    .tx()
                    .tool_entries(patient.id, Some(ToolKind::SleepDiary), NIGHTS_READ)
                    .await?;
                if let Some(first) = recorded
                    .iter()
                    .find(|e| e.idempotency_key.as_deref() == Some(key))
                {
                    return self.duplicate(first.clone());
                }
                if let Some(other) = recorded.iter().find_map(|e| match &e.entry {
                    Entry::SleepDiary(n)
                        if n.went_to_bed < night.got_up && night.went_to_bed < n.got_up =>
                    {
                        Some(n)
                    }
                    _ => None,
                }) {
                    return Err(AppError::field(
                        "night_of",
                        format!(
                            "You have already recorded a night that overlaps this one (in bed {} to {}): check the date and times",
                            other.went_to_bed.strftime("%-d %B %H:%M"),
                            other.got_up.strftime("%-d %B %H:%M"),
                        ),
                    ));
                }
                Entry::SleepDiary(night)
            }
        };
        let entry = ToolEntry {
            id: ToolEntryId::random(),
            patient_id: patient.id,
            service_id: patient.service_id,
            entry,
            recorded_at: now,
            idempotency_key: Some(key.to_string()),
        };
        if !work.tx().insert_tool_entry(&entry).await? {
            // The same entry was stored first (a resent form, or the same
            // one at the same moment): answer with that one.
            let first = work.tx().tool_entry_by_key(patient.id, key).await?;
            let first = first.ok_or_else(|| {
                AppError::internal(std::io::Error::other("a duplicate tool entry went missing"))
            })?;
            if first.entry.kind() != entry.entry.kind() {
                // A key is one form's: reused for another tool, it is a
                // mistake, not the same entry sent again.
                return Err(AppError::Conflict(
                    "This key was used for an entry of another tool: reload the page and try again"
                        .into(),
                ));
            }
            return self.duplicate(first);
        }
        let event = AuditEvent::new(Action::ToolEntryRecorded)
            .patient(patient.id)
            .service(patient.service_id)
            .detail(format!("{} {}", entry.entry.kind().as_str(), entry.id))
            .record(RecordKind::ToolEntry, entry.id);
        work.audit(event).await?;
        self.app
            .monitoring()
            .detect_on_tool_entry(work.tx(), actor, &patient, &entry, ctx)
            .await?;
        work.finish().await?;
        Ok(Recorded {
            risk: self.has_risk(&entry.entry.texts()),
            entry,
            duplicate: false,
        })
    }

    fn duplicate(&self, first: ToolEntry) -> Result<Recorded, AppError> {
        Ok(Recorded {
            risk: self.has_risk(&first.entry.texts()),
            entry: first,
            duplicate: true,
        })
    }

    /// Whether these texts show the crisis contacts, by the one rule for
    /// what a person sends (`Immediate`), as for a check-in note: any risk
    /// phrase that is not negated, of any severity, whatever the service's
    /// alert settings (those decide only whether an alert is raised). Also
    /// for a form refused for another reason: the person still sees them.
    pub fn has_risk(&self, texts: &[&str]) -> bool {
        self.app
            .monitoring()
            .shows_crisis_contacts(bothy_domain::detectors::TextSource::ToolEntry, texts)
    }

    /// A patient's most recent entries of one tool (every tool if `tool`
    /// is `None`), newest first, for the patient themself or staff who may
    /// see their record. Audited before returning.
    pub async fn entries(
        &self,
        actor: &Actor,
        patient_id: PatientId,
        tool: Option<ToolKind>,
        limit: i64,
        ctx: &RequestContext,
    ) -> Result<Vec<ToolEntry>, AppError> {
        if !matches!(actor, Actor::Patient(_) | Actor::Staff(_)) {
            return Err(AppError::Forbidden);
        }
        let mut work = self.app.look(actor, ctx).await?;
        let patient = work.patient(patient_id).await?;
        let entries = entries_in(&mut work, &patient, tool, limit).await?;
        work.finish().await?;
        Ok(entries)
    }

    /// A patient's sleep diary, the latest night first, with the last
    /// week's efficiency and the suggested sleep window once seven nights
    /// are recorded (`sleep_diary::week`). Audited as [`Tools::entries`].
    pub async fn sleep_diary(
        &self,
        actor: &Actor,
        patient_id: PatientId,
        ctx: &RequestContext,
    ) -> Result<SleepDiary, AppError> {
        let entries = self
            .entries(
                actor,
                patient_id,
                Some(ToolKind::SleepDiary),
                NIGHTS_READ,
                ctx,
            )
            .await?;
        let mut nights: Vec<(ToolEntry, SleepDiaryEntry)> = entries
            .into_iter()
            .filter_map(|e| match &e.entry {
                Entry::SleepDiary(n) => {
                    let n = n.clone();
                    Some((e, n))
                }
                Entry::ThoughtRecord(_) | Entry::Form(_) => None,
            })
            .collect();
        nights.sort_by_key(|a| a.1.went_to_bed);
        let oldest_first: Vec<SleepDiaryEntry> = nights.iter().map(|(_, n)| n.clone()).collect();
        let week = sleep_diary::week(&oldest_first);
        nights.reverse();
        Ok(SleepDiary { nights, week })
    }
}

/// A patient's newest entries (of one tool, or all), at most `limit`; the
/// caller has checked the actor may see the record. Audited in the
/// caller's unit of work.
pub(crate) async fn entries_in(
    work: &mut crate::work::Work<'_>,
    patient: &Patient,
    tool: Option<ToolKind>,
    limit: i64,
) -> Result<Vec<ToolEntry>, AppError> {
    let entries = work
        .tx()
        .tool_entries(patient.id, tool, limit.clamp(1, NIGHTS_READ))
        .await?;
    let event = AuditEvent::new(Action::ToolEntryRead)
        .patient(patient.id)
        .service(patient.service_id)
        .detail(format!(
            "{} {} entries",
            entries.len(),
            tool.map_or("tool", ToolKind::as_str)
        ));
    work.audit(event).await?;
    Ok(entries)
}
