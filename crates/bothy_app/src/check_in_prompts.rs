//! A daily check-in prompt at the time the person chose (issue 15, item 8).
//!
//! The person sets the time on their account page; staff can set it for
//! someone without an account (a basic phone). Each day the worker's
//! reminders task ([`CheckInPrompts::queue_due`]) prompts everyone whose
//! time has come and who has not checked in that day: by a text-message
//! check-in when texts are how they are reached (the first text asks for
//! their mood, so a reply is the check-in), otherwise by a reminder with a
//! link to the check-in page. A day's prompt is claimed by a guarded write,
//! so it goes once however many workers run.

use crate::contact::Addressee;
use crate::jobs::{IdempotencyKey, MessageTemplate, Recipient};
// People whose prompts are read and queued in one write transaction: as few
// as the reminders' pages, for the same reason.
use crate::reminders::PAGE;
use crate::sms::ConversationKind;
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::audit::Action;
use bothy_domain::model::Patient;
use bothy_domain::reminders::{PROMPT_LATE_MINUTES, PromptTime, prompt_due};
use bothy_store::Tx;

/// People's check-in prompt times.
pub struct CheckInPrompts<'a> {
    pub(crate) app: &'a App,
}

/// A prompt time as the account page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptSetting {
    pub chosen: Option<PromptTime>,
    /// The times the service allows (outside its quiet hours).
    pub offered: Vec<PromptTime>,
}

impl CheckInPrompts<'_> {
    /// The patient's prompt time and the times they may choose, for the
    /// person themself or staff who may open their record.
    pub async fn of(
        &self,
        actor: &Actor,
        patient: PatientId,
        ctx: &RequestContext,
    ) -> Result<PromptSetting, AppError> {
        let mut work = self.app.look(actor, ctx).await?;
        let p = work.patient(patient).await?;
        let chosen = work
            .tx()
            .check_in_prompt(p.id)
            .await?
            .and_then(PromptTime::from_minute);
        let settings = self
            .app
            .monitoring()
            .settings_for(work.tx(), p.service_id)
            .await?;
        work.finish().await?;
        Ok(PromptSetting {
            chosen,
            offered: PromptTime::offered(&settings.messages.pacing),
        })
    }

    /// Sets the prompt time ("18:30") or turns prompts off (""), audited.
    /// A time in the service's quiet hours is refused: prompts never go then.
    pub async fn set(
        &self,
        actor: &Actor,
        patient: PatientId,
        value: &str,
        ctx: &RequestContext,
    ) -> Result<Option<PromptTime>, AppError> {
        let value = value.trim();
        let chosen = match value {
            "" | "off" => None,
            v => Some(PromptTime::parse(v).ok_or_else(|| {
                AppError::field("prompt_time", "Choose a time from the list, or no reminder")
            })?),
        };
        let mut work = self.app.change(actor, ctx).await?;
        let p = work.patient(patient).await?;
        if let Some(t) = chosen {
            let settings = self
                .app
                .monitoring()
                .settings_for(work.tx(), p.service_id)
                .await?;
            if settings.messages.pacing.is_quiet(t.time()) {
                return Err(AppError::field(
                    "prompt_time",
                    format!(
                        "We do not send reminders at {t}, at night. Choose a time from the list"
                    ),
                ));
            }
        }
        let now = self.app.clock.now();
        work.tx()
            .set_check_in_prompt(
                p.id,
                p.service_id,
                chosen.map(|t| i64::from(t.minute())),
                now,
            )
            .await?;
        work.audit(
            AuditEvent::new(Action::CheckInPromptChanged)
                .patient(p.id)
                .service(p.service_id)
                .detail(chosen.map_or_else(|| "off".to_string(), |t| t.to_string())),
        )
        .await?;
        work.finish().await?;
        Ok(chosen)
    }

    /// Prompts everyone whose time has come today, in every service.
    /// Returns how many were prompted.
    pub async fn queue_due(&self) -> Result<u32, AppError> {
        let now = self.app.clock.now();
        let mut tx = self.app.store.read().await?;
        let services = tx.list_services().await?;
        tx.rollback().await?;
        let mut prompted = 0;
        for service in services {
            let mut tx = self.app.store.read().await?;
            let settings = self
                .app
                .monitoring()
                .settings_for(&mut tx, service.id)
                .await?;
            tx.rollback().await?;
            let tz = settings.hours.time_zone();
            let local = now.to_zoned(tz.clone());
            // A prompt run late into the quiet hours (a worker down all
            // evening) is skipped, not held until the morning: by then it
            // is another day, and a text would wake the person.
            if settings.messages.pacing.is_quiet(local.time()) {
                continue;
            }
            let day = local.date().to_string();
            let minute = i64::from(local.hour()) * 60 + i64::from(local.minute());
            // An hour's slack either side of the window: on the days the
            // clocks change, local minutes and elapsed time differ by one.
            let window = ((minute - PROMPT_LATE_MINUTES - 60).max(0), minute + 60);
            let mut after = String::new();
            loop {
                let mut tx = self.app.store.begin().await?;
                let page = tx
                    .check_in_prompts_between(service.id, window, &day, &after, PAGE)
                    .await?;
                let Some((last, _)) = page.last() else {
                    tx.rollback().await?;
                    break;
                };
                after = last.to_string();
                for (patient, at) in page {
                    let Some(at) = PromptTime::from_minute(at) else {
                        continue;
                    };
                    if prompt_due(tz, now, at).is_none() {
                        continue;
                    }
                    if self.prompt(&mut tx, patient, &day, tz).await? {
                        prompted += 1;
                    }
                }
                tx.commit().await?;
            }
        }
        Ok(prompted)
    }

    /// Claims and sends one person's prompt for `day` in `tx`; false when
    /// it was claimed already or they checked in today.
    async fn prompt(
        &self,
        tx: &mut Tx,
        patient: PatientId,
        day: &str,
        tz: &jiff::tz::TimeZone,
    ) -> Result<bool, AppError> {
        if !tx.claim_check_in_prompt(patient, day).await? {
            return Ok(false);
        }
        let Some(p) = tx.patient(patient).await? else {
            return Ok(false);
        };
        let midnight = self.app.clock.now().to_zoned(tz.clone()).start_of_day();
        if let Ok(midnight) = midnight
            && tx.checked_in_since(p.id, midnight.timestamp()).await?
        {
            return Ok(false);
        }
        let to = Addressee::patient(tx, &p).await?;
        if let Some(asked) = self.by_text(tx, &p, &to).await? {
            return Ok(asked);
        }
        let key = IdempotencyKey::from_parts(&["check-in-prompt", &p.id.to_string(), day])?;
        let link = format!(
            "{}/check-in",
            self.app.settings.public_url.trim_end_matches('/')
        );
        self.app
            .jobs()
            .notify_person(tx, &to, &key, MessageTemplate::CheckInDue, Some(link))
            .await?;
        Ok(true)
    }

    /// When texts are how the person is reached, asks for their mood by
    /// text (a reply is the check-in): Some(whether one was started), or
    /// None to send the reminder instead.
    async fn by_text(
        &self,
        tx: &mut Tx,
        p: &Patient,
        to: &Addressee<'_>,
    ) -> Result<Option<bool>, AppError> {
        let Ok(Recipient::Sms(phone)) = self.app.jobs().route(tx, to).await? else {
            return Ok(None);
        };
        if tx.sms_opted_out(phone.as_str()).await? {
            // They replied STOP: nothing goes, not even a reminder.
            return Ok(Some(false));
        }
        // False: a conversation is open already; it asks for itself.
        let started = self.app.sms().open(tx, p, &ConversationKind::Mood).await?;
        if started {
            self.app
                .audit(
                    tx,
                    &Actor::System,
                    &RequestContext::default(),
                    AuditEvent::new(Action::SmsConversationStarted)
                        .patient(p.id)
                        .service(p.service_id)
                        .detail("mood: daily check-in prompt"),
                )
                .await?;
        }
        Ok(Some(started))
    }
}

impl App {
    /// People's daily check-in prompts.
    pub fn check_in_prompts(&self) -> CheckInPrompts<'_> {
        CheckInPrompts { app: self }
    }
}
