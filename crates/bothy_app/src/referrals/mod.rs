//! The front door: self-referral (a draft kept from the first step, reached
//! by a resume link), professional referral, and what the confirmation page
//! says about waiting times.

use crate::credentials::{new_token, token_hash};
use crate::error::Validation;
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::ServiceId;
use bothy_domain::audit::Action;
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::detectors::{Immediate, Response, Text, TextSource};
use bothy_domain::ids::ReferralId;
use bothy_domain::instruments::Instrument;
use bothy_domain::model::Service;
use bothy_domain::referral::as_sent::AsSent;
use bothy_domain::referral::{Details, Referral, Screening, Source, Status, rtt};
use bothy_domain::time::{Timestamp, uk_date};
use bothy_store::Tx;

mod steps;
pub use steps::{AboutYou, StepInput, apply_step};

/// How long a resume link keeps a draft reachable.
pub const DRAFT_LIFETIME_DAYS: i64 = 30;

/// A person cannot read and fill in every step in less than this; a faster
/// "person" is a script. The referral is kept (with any risk answer, which
/// still reaches triage) but not sent.
pub const MIN_FILL_SECONDS: i64 = 20;

/// A new draft and the link that resumes it (shown once; only its hash is kept).
#[derive(Debug, Clone)]
pub struct NewDraft {
    pub referral: Referral,
    pub resume_token: String,
}

/// What the confirmation page says about how long it usually takes.
#[derive(Debug, Clone)]
pub struct WaitingFigures {
    /// Median days from referral to first treatment over the last year, if any waits finished.
    pub median_days: Option<i64>,
    pub within_18_weeks: Option<f64>,
}

/// The front door: self-referral (saved as it goes), professional and FHIR referrals, and where to refer.
pub struct Referrals<'a> {
    pub(crate) app: &'a App,
}

impl<'a> Referrals<'a> {
    /// The instruments a referral to `service` asks, in order: the
    /// service's `[screening]` setting.
    pub async fn screening(&self, service: ServiceId) -> Result<Vec<&'a Instrument>, AppError> {
        let mut tx = self.app.store.read().await?;
        let asked = self.asked(&mut tx, service).await?;
        tx.rollback().await?;
        Ok(asked)
    }

    async fn asked(
        &self,
        tx: &mut Tx,
        service: ServiceId,
    ) -> Result<Vec<&'a Instrument>, AppError> {
        let monitoring = self.app.monitoring().settings_for(tx, service).await?;
        // Start-up checked every id against this catalogue.
        Ok(monitoring
            .screening
            .iter()
            .filter_map(|id| self.app.catalogue.get(id))
            .collect())
    }

    /// Whether any of these answers is a risk answer (PHQ-9 item 9 above
    /// 0, and the like), for the crisis contacts on a page still being filled in.
    pub fn screening_raises_risk(&self, answers: &Screening) -> bool {
        answers.iter().any(|(id, a)| {
            self.app.catalogue.get(id).is_some_and(|inst| {
                !bothy_domain::instruments::score::risk_flags(inst, a).is_empty()
            })
        })
    }

    /// The audit event of a write of `r`, holding its digest; `more` is
    /// added to the detail (never the person's details).
    async fn audit_write(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        ctx: &RequestContext,
        action: Action,
        r: &Referral,
        more: &str,
    ) -> Result<(), AppError> {
        let detail = format!("referral {} {more}", r.id);
        let event = AuditEvent::new(action)
            .service(r.service_id)
            .detail(detail.trim_end().to_string())
            .record(RecordKind::Referral, r.id);
        self.app.audit(tx, actor, ctx, event).await
    }

    /// Services people can refer themselves to, by name.
    pub async fn services(&self) -> Result<Vec<Service>, AppError> {
        let mut tx = self.app.store.read().await?;
        let s = tx.list_services().await?;
        tx.rollback().await?;
        Ok(s)
    }

    /// Starts a self-referral to `service` and returns its resume link token.
    pub async fn start(
        &self,
        service_slug: &str,
        ctx: &RequestContext,
    ) -> Result<NewDraft, AppError> {
        if !self.app.referral_throttle.allow_start(ctx.ip) {
            return Err(AppError::TooManyRequests);
        }
        let service = self.app.admin().service_by_slug(service_slug).await?;
        let now = self.app.clock.now();
        let referral = Referral::new(
            ReferralId::random(),
            service.id,
            (Status::Draft, Source::SelfReferral),
            Details::default(),
            now,
        );
        let (token, hash) = new_token("");
        let mut tx = self.app.store.begin().await?;
        tx.insert_referral(&referral, Some(&hash), None, None)
            .await?;
        self.audit_write(
            &mut tx,
            &Actor::Anonymous,
            ctx,
            Action::ReferralStarted,
            &referral,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(NewDraft {
            referral,
            resume_token: token,
        })
    }

    /// The draft a resume link leads to. An unknown, sent or expired link is not found.
    pub async fn draft(&self, token: &str) -> Result<Referral, AppError> {
        let mut tx = self.app.store.read().await?;
        let r = tx.referral_draft_by_token(&token_hash(token)).await?;
        tx.rollback().await?;
        let r = r.ok_or(AppError::NotFound)?;
        if self.app.clock.now().as_second() - r.created_at.as_second()
            > DRAFT_LIFETIME_DAYS * 86_400
        {
            // Say how to go on: a new referral, from the start.
            return Err(AppError::UsedUp(format!(
                "This link to an unsent referral has expired: unsent referrals are kept for \
                 {DRAFT_LIFETIME_DAYS} days. To refer yourself, start a new referral at {}/refer.",
                self.app.settings.public_url.trim_end_matches('/')
            )));
        }
        Ok(r)
    }

    /// The referral a resume link leads to, whatever its status, locked in
    /// `tx` for a change: a send and an edit of one referral never interleave.
    async fn locked_self_referral(&self, tx: &mut Tx, token: &str) -> Result<Referral, AppError> {
        tx.lock_referral_by_token(&token_hash(token))
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Refuses a change to a referral that is no longer a draft (`Conflict`,
    /// so that nothing written afterwards can take it back to a draft), or
    /// whose link has expired.
    fn still_draft(&self, r: &Referral) -> Result<(), AppError> {
        if r.status != Status::Draft {
            return Err(AppError::Conflict(if r.received_at.is_some() {
                "This referral has already been sent, so it can no longer be changed here. \
                 If something in it needs correcting, contact the service."
                    .into()
            } else {
                "The service has already acted on this referral, so it can no longer be \
                 changed here. If something in it needs correcting, contact the service."
                    .into()
            }));
        }
        if self.app.clock.now().as_second() - r.created_at.as_second()
            > DRAFT_LIFETIME_DAYS * 86_400
        {
            return Err(AppError::Gone);
        }
        Ok(())
    }

    /// Checks one step's answers and keeps them in the draft. A risk answer
    /// marks the referral urgent at once, sent or not, so it reaches triage.
    /// The draft is read locked: two steps saved at once both stay, and a
    /// step saved after sending is refused rather than reverting the send.
    pub async fn save_step(
        &self,
        token: &str,
        input: StepInput,
        ctx: &RequestContext,
    ) -> Result<Referral, AppError> {
        let mut tx = self.app.store.begin().await?;
        let mut referral = self.locked_self_referral(&mut tx, token).await?;
        self.still_draft(&referral)?;
        let screening = matches!(input, StepInput::Questions(_));
        // Only these steps hold what the risk rule reads.
        let assessed_step = screening || matches!(input, StepInput::Help { .. });
        let asked = self.asked(&mut tx, referral.service_id).await?;
        let result = apply_step(
            &mut referral.details,
            input,
            uk_date(self.app.clock.now()),
            &asked,
        );
        // Screening answers are kept even when some are missing: a risk
        // answer must never be lost because the rest of the page was not finished.
        if result.is_err() && !screening {
            tx.rollback().await?;
            return result.map(|_| referral);
        }
        let assessed = match assessed_step {
            true => {
                self.assess(
                    &mut tx,
                    referral.service_id,
                    &referral.details,
                    TextSource::SelfReferral,
                )
                .await?
            }
            false => Immediate::default(),
        };
        let became_risky = !referral.risk && !assessed.signals.is_empty();
        referral.risk |= became_risky;
        referral.updated_at = self.app.clock.now();
        if !tx.save_referral(&referral, Status::Draft).await? {
            return Err(AppError::Conflict(
                "This referral changed at the same moment; reload the page and try again".into(),
            ));
        }
        let action = match became_risky {
            true => Action::ReferralRiskFlagged,
            false => Action::ReferralStepSaved,
        };
        self.audit_write(&mut tx, &Actor::Anonymous, ctx, action, &referral, "")
            .await?;
        // Sent or not, a risk answer or risky words reach the duty queue now.
        self.app
            .alerts()
            .raise_on_referral(
                &mut tx,
                &Actor::Anonymous,
                &referral,
                &assessed.signals,
                ctx,
            )
            .await?;
        tx.commit().await?;
        result.map(|_| referral)
    }

    /// What a referral's screening answers and words raise under its
    /// service's detector settings: the one rule every channel uses
    /// ([`Immediate`]). Any signal makes the referral urgent in the triage
    /// queue and raises an alert on it in the duty queue.
    pub(crate) async fn assess(
        &self,
        tx: &mut Tx,
        service: ServiceId,
        d: &Details,
        source: TextSource,
    ) -> Result<Immediate, AppError> {
        let monitoring = self.app.monitoring().settings_for(tx, service).await?;
        let responses: Vec<Response<'_>> = d
            .screening
            .iter()
            .map(|(instrument, answers)| Response {
                instrument,
                answers,
            })
            .collect();
        let texts: Vec<Text<'_>> = d
            .problem_text
            .as_deref()
            .map(|text| Text { source, text })
            .into_iter()
            .collect();
        Ok(Immediate::assess(
            &self.app.catalogue,
            &monitoring.detectors,
            &self.app.service_monitoring.lexicon,
            &responses,
            &texts,
        ))
    }

    /// Sends a completed self-referral. `honeypot` is the hidden field only
    /// scripts fill in; with it (or when sent faster than a person could),
    /// the referral is kept but not sent, and the answer looks the same.
    /// Sending moves a draft to received once: the referral is read locked,
    /// and a send pressed again (or at the same moment) answers with the
    /// referral as sent, without sending it or counting it again.
    pub async fn send(
        &self,
        token: &str,
        honeypot: &str,
        ctx: &RequestContext,
    ) -> Result<Referral, AppError> {
        let mut tx = self.app.store.begin().await?;
        let mut referral = self.locked_self_referral(&mut tx, token).await?;
        if referral.status != Status::Draft {
            tx.rollback().await?;
            return Ok(referral);
        }
        self.still_draft(&referral)?;
        let asked = self.asked(&mut tx, referral.service_id).await?;
        let asked_ids: Vec<String> = asked.iter().map(|i| i.id.clone()).collect();
        let mut missing = referral.details.missing_for_sending(&asked_ids);
        // Unfinished screening answers are kept (for their risk answers) but
        // a referral is only sent with every question answered.
        let incomplete = asked.iter().any(|inst| {
            referral
                .details
                .screening
                .get(&inst.id)
                .is_some_and(|a| bothy_domain::instruments::score::score(inst, a).is_err())
        });
        if incomplete && !missing.iter().any(|(step, _)| *step == "questions") {
            missing.push((
                "questions",
                "Answer every question about how you have been feeling",
            ));
        }
        if !missing.is_empty() {
            return Err(AppError::Invalid(
                missing
                    .into_iter()
                    .map(|(step, message)| crate::FieldError {
                        field: step.to_string(),
                        message: message.to_string(),
                    })
                    .collect(),
            ));
        }
        let now = self.app.clock.now();
        let too_fast = now.as_second() - referral.created_at.as_second() < MIN_FILL_SECONDS;
        if !honeypot.trim().is_empty() || too_fast {
            tracing::info!(referral = %referral.id, "self-referral held back as automated");
            return Ok(referral);
        }
        let contact = referral
            .details
            .email
            .clone()
            .or_else(|| referral.details.phone.clone())
            .unwrap_or_default();
        if !self.app.referral_throttle.allow_send(&contact, ctx.ip) {
            return Err(AppError::TooManyRequests);
        }
        referral.status = Status::Received;
        referral.received_at = Some(now);
        referral.updated_at = now;
        if !tx.save_referral(&referral, Status::Draft).await? {
            return Err(AppError::Conflict(
                "This referral changed at the same moment; reload the page and try again".into(),
            ));
        }
        self.audit_write(
            &mut tx,
            &Actor::Anonymous,
            ctx,
            Action::ReferralReceived,
            &referral,
            "",
        )
        .await?;
        self.notify_person(
            &mut tx,
            &referral,
            crate::jobs::MessageTemplate::ReferralReceived,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(referral)
    }

    /// A referral from a professional: entered by staff (`Source::Professional`)
    /// or sent by another system as a FHIR ServiceRequest (`Source::Fhir`).
    /// The details must already be validated by the caller's form or mapping
    /// (use [`apply_step`] for each part). `submission_key` makes a resent
    /// form or request return the first referral instead of a second one.
    pub async fn submit(
        &self,
        actor: &Actor,
        details: Details,
        source: Source,
        submission_key: &str,
        ctx: &RequestContext,
    ) -> Result<(Referral, bool), AppError> {
        self.submit_with(actor, details, source, submission_key, None, ctx)
            .await
            .map(|(r, _, duplicate)| (r, duplicate))
    }

    /// [`Self::submit`], keeping what another system sent as sent
    /// (`bothy_domain::referral::as_sent`) with the referral, in the same
    /// transaction; an urgent priority flags the referral urgent for
    /// triage. A duplicate answers with the first referral and what was
    /// kept of its sending, for the caller to compare.
    pub async fn submit_with(
        &self,
        actor: &Actor,
        details: Details,
        source: Source,
        submission_key: &str,
        as_sent: Option<&AsSent>,
        ctx: &RequestContext,
    ) -> Result<(Referral, Option<AsSent>, bool), AppError> {
        let service_id = match actor {
            Actor::Staff(s) if s.has(crate::Permission::Refer) => s.service_id,
            Actor::Api(a)
                if a.permissions
                    .contains(&bothy_domain::role::ApiPermission::ReferralCreate) =>
            {
                a.service_id
            }
            _ => return Err(AppError::Forbidden),
        };
        let key = submission_key.trim();
        if key.is_empty() || key.len() > 200 {
            return Err(AppError::field(
                "submission_key",
                "Each referral needs a key of 1 to 200 characters",
            ));
        }
        // Keys are the sender's own: another system (or a form) using the
        // same value makes another referral, never sees this one.
        let (scoped_key, api_client) = match actor {
            Actor::Api(a) => (format!("{service_id}:api:{}:{key}", a.id), Some(a.id)),
            _ => (format!("{service_id}:form:{key}"), None),
        };
        let mut v = Validation::default();
        if details.given_name.is_none() || details.family_name.is_none() {
            v.fail("given_name", "Enter the person's name");
        }
        if details.date_of_birth.is_none() {
            v.fail("dob_day", "Enter the person's date of birth");
        }
        if details.email.is_none() && details.phone.is_none() {
            v.fail(
                "email",
                "Enter an email address or a mobile number for the person",
            );
        }
        if details.problem_text.is_none() && details.problems.is_empty() {
            v.fail("problem_text", "Give the reason for referral");
        }
        let mut tx = self.app.store.begin().await?;
        let asked = self.asked(&mut tx, service_id).await?;
        for id in details.screening.keys() {
            if !asked.iter().any(|i| i.id == *id) {
                v.fail_owned(
                    format!("{id}-1"),
                    format!(
                        "This service does not ask {id} at referral; it asks {}",
                        asked
                            .iter()
                            .map(|i| i.short_name.as_str())
                            .collect::<Vec<_>>()
                            .join(" and ")
                    ),
                );
            }
        }
        v.finish()?;
        let now = self.app.clock.now();
        let assessed = self
            .assess(
                &mut tx,
                service_id,
                &details,
                TextSource::ProfessionalReferral,
            )
            .await?;
        let risk = !assessed.signals.is_empty();
        let referral = Referral {
            risk,
            urgent: as_sent.is_some_and(AsSent::is_urgent),
            ..Referral::new(
                ReferralId::random(),
                service_id,
                (Status::Received, source),
                details,
                now,
            )
        };
        if !tx
            .insert_referral(&referral, None, Some(&scoped_key), api_client)
            .await?
        {
            // Sent before with this key (a resent form or request, or the
            // same one at the same moment): answer with the first.
            let first = tx.referral_by_submission_key(&scoped_key).await?;
            let first = first.ok_or_else(|| {
                AppError::internal(std::io::Error::other("a duplicate referral went missing"))
            })?;
            let sent = tx.referral_as_sent(first.id).await?;
            tx.rollback().await?;
            return Ok((first, sent, true));
        }
        if let (Some(sent), Some(client)) = (as_sent, api_client) {
            tx.insert_referral_as_sent(&referral, client, sent).await?;
        }
        self.audit_write(
            &mut tx,
            actor,
            ctx,
            Action::ReferralReceived,
            &referral,
            source.as_str(),
        )
        .await?;
        self.app
            .alerts()
            .raise_on_referral(&mut tx, actor, &referral, &assessed.signals, ctx)
            .await?;
        self.notify_person(
            &mut tx,
            &referral,
            crate::jobs::MessageTemplate::ReferralReceived,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok((referral, as_sent.cloned(), false))
    }

    /// Waiting figures for the confirmation page: real completed waits of
    /// the last year, or none yet. Anyone may open that page, and at a
    /// large service the figures read every wait of a year (888,000 at
    /// 1,000,000 patients: 0.6-1.5 s of PostgreSQL), so each service's are
    /// kept for `WAITING_FIGURES_TTL_SECONDS`: a year's statistic moves
    /// little in minutes. Requests that find a service's stale wait for the
    /// one read instead of each making their own; other services' are not
    /// held up by it.
    pub async fn waiting_figures(&self, service: ServiceId) -> Result<WaitingFigures, AppError> {
        let now = self.app.clock.now();
        let entry = self.app.waiting_figures.entry(service);
        let mut kept = entry.lock().await;
        if let Some((at, figures)) = kept.as_ref()
            && (0..WAITING_FIGURES_TTL_SECONDS).contains(&(now.as_second() - at.as_second()))
        {
            return Ok(figures.clone());
        }
        let since =
            Timestamp::from_second(now.as_second() - 365 * 86_400).unwrap_or(Timestamp::UNIX_EPOCH);
        let mut tx = self.app.store.read().await?;
        let waits = tx.completed_waits(service, since).await?;
        tx.rollback().await?;
        let figures = WaitingFigures {
            median_days: waits.median_days(),
            within_18_weeks: waits.share_within(rtt::SCOTLAND_18_WEEKS),
        };
        *kept = Some((now, figures.clone()));
        Ok(figures)
    }
}

/// How long a service's waiting figures are kept for the confirmation page.
pub const WAITING_FIGURES_TTL_SECONDS: i64 = 600;

/// One service's waiting figures as last read, and when.
type KeptFigures = std::sync::Arc<tokio::sync::Mutex<Option<(Timestamp, WaitingFigures)>>>;

/// Each service's waiting figures as last read (`Referrals::waiting_figures`),
/// each behind a lock of its own.
#[derive(Default)]
pub(crate) struct WaitingFiguresCache {
    entries: std::sync::Mutex<std::collections::HashMap<ServiceId, KeptFigures>>,
}

impl WaitingFiguresCache {
    /// The service's entry. One per service, and services are made by
    /// administrators: nothing an anonymous request names is kept (the
    /// page's service is found before the figures are asked for).
    fn entry(&self, service: ServiceId) -> KeptFigures {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.entry(service).or_default().clone()
    }
}
