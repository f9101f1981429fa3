//! Supported reviews (issue 14): every programme enrolment is reviewed by
//! a supporter every `[reviews] every_days` (14 unless the service's
//! settings say otherwise). The queue lists who needs a review, by due
//! date; the review sheet puts everything since the last review on one
//! screen; writing a review stores the feedback, may open the next module
//! in the same transaction, and tells the person that something is new,
//! never what.
//!
//! Who: the queue is a clinical lead's whole service, and for anyone else
//! the enrolments they support or whose patient is on their caseload, in
//! both cases only those whose record they may open (`can_view_patient`).
//! The sheet and the review itself are for staff who may open the record.
//!
//! The due date is computed from the newest review (see migration 20);
//! each review records the due date it answered, unique per enrolment, and
//! the form carries it, so two supporters completing the same review at
//! once store one: the second is told who wrote it (a 409), and the same
//! form sent twice is answered with the first.

use crate::jobs::{IdempotencyKey, MessageTemplate};
use crate::policy::can_view_patient;
use crate::records::PatientRecord;
use crate::work::Work;
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::check_in::CheckIn;
use bothy_domain::ids::{EnrolmentId, ReviewId};
use bothy_domain::messages::ThreadSummary;
use bothy_domain::model::{Alert, Patient};
use bothy_domain::programmes::enrolment::{Enrolment, Status};
use bothy_domain::reviews::{self, Review, Templates};
use bothy_domain::role::Role;
use bothy_domain::time::{Timestamp, to_millis};
use bothy_domain::tools::ToolEntry;
use bothy_domain::{PatientId, StaffId};
use std::collections::HashMap;

/// Supported reviews.
pub struct Reviews<'a> {
    pub(crate) app: &'a App,
}

/// One enrolment in the review queue.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub enrolment_id: EnrolmentId,
    pub patient: Patient,
    pub programme: String,
    pub supporter_id: Option<StaffId>,
    pub last_review_at: Option<Timestamp>,
    pub due_at: Timestamp,
    pub overdue: bool,
}

/// The review queue: soonest due first (so overdue first).
#[derive(Debug, Clone)]
pub struct ReviewQueue {
    pub items: Vec<QueueItem>,
    pub every_days: u32,
    /// Whether this is the whole service (a clinical lead's queue).
    pub whole_service: bool,
    pub staff_names: HashMap<StaffId, String>,
}

/// One instrument's scores in the episode: the first (baseline) and the latest.
#[derive(Debug, Clone)]
pub struct MeasureChange {
    pub instrument: String,
    pub first: f64,
    pub first_at: Timestamp,
    pub latest: f64,
    pub latest_at: Timestamp,
    pub responses: usize,
    /// Whether the latest score came since the last review.
    pub new_since: bool,
}

/// Everything since the last review (or enrolment), for the review page.
#[derive(Debug, Clone)]
pub struct ReviewSheet {
    pub enrolment: Enrolment,
    pub patient: Patient,
    /// Every review of the enrolment, newest first.
    pub reviews: Vec<Review>,
    pub since: Timestamp,
    pub due_at: Timestamp,
    pub overdue: bool,
    pub every_days: u32,
    /// Modules finished since: number, title, when.
    pub modules_done: Vec<(u32, String, Timestamp)>,
    pub tool_entries: Vec<ToolEntry>,
    pub measures: Vec<MeasureChange>,
    pub check_ins: Vec<CheckIn>,
    /// Threads with a message since, newest first.
    pub threads: Vec<ThreadSummary>,
    pub open_alerts: Vec<Alert>,
    pub staff_names: HashMap<StaffId, String>,
}

impl ReviewSheet {
    pub fn staff_name(&self, id: StaffId) -> &str {
        self.staff_names
            .get(&id)
            .map_or("A former member of staff", String::as_str)
    }
}

/// A review as written: the review, and whether the same form came before.
#[derive(Debug, Clone)]
pub struct Written {
    pub review: Review,
    pub duplicate: bool,
}

/// How many tool entries the sheet reads at most.
const ENTRIES_READ: i64 = 200;

fn event<'a>(action: Action, patient: &Patient) -> AuditEvent<'a> {
    AuditEvent::new(action)
        .patient(patient.id)
        .service(patient.service_id)
}

impl Reviews<'_> {
    /// The review templates, in their file's order.
    pub fn templates(&self) -> Templates {
        Templates::shipped()
    }

    async fn every_days(&self, work: &mut Work<'_>, patient: &Patient) -> Result<u32, AppError> {
        Ok(self
            .app
            .monitoring()
            .settings_for(work.tx(), patient.service_id)
            .await?
            .review_every_days)
    }

    /// The staff member's review queue. Audited.
    pub async fn queue(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
    ) -> Result<ReviewQueue, AppError> {
        let Actor::Staff(s) = actor else {
            return Err(AppError::Forbidden);
        };
        let now = self.app.clock.now();
        let whole_service = s.roles().any(|r| r == Role::ClinicalLead);
        let mut work = self.app.look(actor, ctx).await?;
        let every_days = self
            .app
            .monitoring()
            .settings_for(work.tx(), s.service_id)
            .await?
            .review_every_days;
        let rows = work
            .tx()
            .review_queue(s.service_id, (!whole_service).then_some(s.id))
            .await?;
        let ids: Vec<PatientId> = rows.iter().map(|r| r.patient_id).collect();
        let patients = work.tx().patients_by_ids(&ids).await?;
        let staff_names = work
            .tx()
            .staff_of_service(s.service_id)
            .await?
            .into_iter()
            .map(|(m, _)| (m.id, m.name.to_string()))
            .collect();
        let mut items: Vec<QueueItem> = rows
            .into_iter()
            .filter_map(|r| {
                let patient = patients.get(&r.patient_id)?.clone();
                if !can_view_patient(actor, &patient) {
                    return None;
                }
                let due_at = reviews::next_due(r.enrolled_at, r.last_review_at, every_days);
                let programme = self
                    .app
                    .programmes
                    .iter()
                    .find(|p| p.id == r.programme_id)
                    .map_or_else(|| r.programme_id.clone(), |p| p.title.clone());
                Some(QueueItem {
                    enrolment_id: r.enrolment_id,
                    patient,
                    programme,
                    supporter_id: r.supporter_id,
                    last_review_at: r.last_review_at,
                    due_at,
                    overdue: due_at <= now,
                })
            })
            .collect();
        items.sort_by_key(|i| (i.due_at, i.enrolment_id.to_string()));
        let overdue = items.iter().filter(|i| i.overdue).count();
        work.audit(
            AuditEvent::new(Action::ReviewRead)
                .service(s.service_id)
                .detail(format!(
                    "review queue: {} enrolments, {overdue} overdue",
                    items.len()
                )),
        )
        .await?;
        work.finish().await?;
        Ok(ReviewQueue {
            items,
            every_days,
            whole_service,
            staff_names,
        })
    }

    /// Everything since the enrolment's last review, for staff who may
    /// open the record: the enrolment and its reviews, then the record,
    /// tool entries and messages through their own features' audited reads.
    pub async fn sheet(
        &self,
        actor: &Actor,
        id: EnrolmentId,
        ctx: &RequestContext,
    ) -> Result<ReviewSheet, AppError> {
        if !matches!(actor, Actor::Staff(_)) {
            return Err(AppError::Forbidden);
        }
        let now = self.app.clock.now();
        let mut work = self.app.look(actor, ctx).await?;
        let enrolment = work
            .tx()
            .programme_enrolment(id, false)
            .await?
            .ok_or(AppError::NotFound)?;
        let patient = work.patient(enrolment.patient_id).await?;
        let list = work.tx().reviews_of_enrolment(id).await?;
        let every_days = self.every_days(&mut work, &patient).await?;
        let staff_names = work
            .tx()
            .staff_of_service(patient.service_id)
            .await?
            .into_iter()
            .map(|(m, _)| (m.id, m.name.to_string()))
            .collect();
        work.audit(event(Action::ReviewRead, &patient).detail(format!(
            "review page of enrolment {id}: {} reviews",
            list.len()
        )))
        .await?;
        work.finish().await?;

        let last = list.first().map(|r| r.written_at);
        let since = last.unwrap_or(enrolment.enrolled_at);
        let due_at = reviews::next_due(enrolment.enrolled_at, last, every_days);
        let record = self
            .app
            .records()
            .patient_record(actor, patient.id, ctx)
            .await?;
        let mut tool_entries = self
            .app
            .tools()
            .entries(actor, patient.id, None, ENTRIES_READ, ctx)
            .await?;
        tool_entries.retain(|e| e.recorded_at >= since);
        let mut threads = self.app.messages().threads(actor, patient.id, ctx).await?;
        threads.retain(|t| t.thread.last_message_at >= since);
        let modules_done = enrolment
            .progress
            .iter()
            .filter_map(|p| {
                let at = p.completed_at.filter(|at| *at >= since)?;
                Some((p.module, enrolment.module(p.module)?.title.clone(), at))
            })
            .collect();
        let measures = measure_changes(&record, since);
        let PatientRecord {
            alerts, check_ins, ..
        } = record;
        Ok(ReviewSheet {
            modules_done,
            tool_entries,
            measures,
            check_ins: check_ins
                .into_iter()
                .filter(|c| c.checked_in_at >= since)
                .collect(),
            threads,
            open_alerts: alerts
                .into_iter()
                .filter(|a| !matches!(a.state, bothy_domain::alerts::AlertState::Closed { .. }))
                .collect(),
            reviews: list,
            since,
            overdue: due_at <= now,
            due_at,
            every_days,
            enrolment,
            patient,
            staff_names,
        })
    }

    /// Writes the review due at `due` (as the form showed it): the
    /// feedback, the next module opened if `unlock`, the audit events and
    /// the content-free notice to the person, in one transaction. The same
    /// key again answers with the first review; a review someone else
    /// completed first is a 409 naming them.
    #[allow(clippy::too_many_arguments)]
    pub async fn write(
        &self,
        actor: &Actor,
        id: EnrolmentId,
        due: i64,
        feedback: &str,
        unlock: bool,
        key: &str,
        ctx: &RequestContext,
    ) -> Result<Written, AppError> {
        let Actor::Staff(s) = actor else {
            return Err(AppError::Forbidden);
        };
        let feedback = reviews::parse_feedback(feedback).map_err(|(f, m)| AppError::field(f, m))?;
        let key = AppError::form_key(key, "review")?;
        let now = self.app.clock.now();
        let mut work = self.app.change(actor, ctx).await?;
        let (e, patient) = crate::enrolments::locked(&mut work, id).await?;
        if let Some(first) = work.tx().review_by_key(id, key).await? {
            work.finish().await?;
            return Ok(Written {
                review: first,
                duplicate: true,
            });
        }
        if e.status == Status::Finished {
            return Err(AppError::Conflict(
                "This programme is finished, so it has no review due.".into(),
            ));
        }
        let list = work.tx().reviews_of_enrolment(id).await?;
        let every_days = self.every_days(&mut work, &patient).await?;
        let due_at = reviews::next_due(
            e.enrolled_at,
            list.first().map(|r| r.written_at),
            every_days,
        );
        if to_millis(due_at) != due {
            return Err(self.written_already(&mut work, &list, due).await?);
        }
        let review = Review {
            id: ReviewId::random(),
            enrolment_id: id,
            patient_id: patient.id,
            service_id: patient.service_id,
            reviewer_id: s.id,
            feedback,
            due_at,
            written_at: now,
            read_at: None,
        };
        if !work.tx().insert_review(&review, key).await? {
            // A review of the same due date, or with the same key, committed
            // while this one waited on the index.
            if let Some(first) = work.tx().review_by_key(id, key).await? {
                work.finish().await?;
                return Ok(Written {
                    review: first,
                    duplicate: true,
                });
            }
            let list = work.tx().reviews_of_enrolment(id).await?;
            return Err(self.written_already(&mut work, &list, due).await?);
        }
        let next = reviews::next_due(e.enrolled_at, Some(now), every_days);
        work.audit(
            event(Action::ReviewWritten, &patient)
                .detail(format!(
                    "review {} of enrolment {id}; next due {next}",
                    review.id
                ))
                .record(RecordKind::Review, review.id),
        )
        .await?;
        if unlock && let Some(module) = e.next_to_unlock() {
            crate::enrolments::open_module(&mut work, &e, &patient, module, s.id, now).await?;
        }
        // A supported review is a treatment contact of a guided programme:
        // internet-enabled therapy is the person working through materials
        // "with a therapist inputting with encouragement, clarifications, and
        // feedback at key points" (NHS Digital, Psychological Therapies:
        // reports on the use of IAPT services, September-October 2020, notes
        // on Internet-Enabled Therapy, published 14 January 2021). So the
        // first review stops the referral-to-treatment clock and each review
        // counts one treatment appointment; activating an account does
        // neither.
        crate::episodes::count_treatment_contact(
            &mut work,
            &patient,
            now,
            format!("review {}", review.id),
        )
        .await?;
        self.notify_patient(&mut work, &patient, &review).await?;
        work.finish().await?;
        Ok(Written {
            review,
            duplicate: false,
        })
    }

    /// The 409 for a review already written: who wrote it and when.
    async fn written_already(
        &self,
        work: &mut Work<'_>,
        list: &[Review],
        due: i64,
    ) -> Result<AppError, AppError> {
        let Some(done) = list.iter().find(|r| to_millis(r.due_at) == due) else {
            return Ok(AppError::Conflict(
                "This review's due date has changed. Open the review page again.".into(),
            ));
        };
        let name = work
            .tx()
            .staff_of_service(done.service_id)
            .await?
            .into_iter()
            .find(|(m, _)| m.id == done.reviewer_id)
            .map_or_else(
                || "A former member of staff".to_string(),
                |(m, _)| m.name.to_string(),
            );
        Ok(AppError::Conflict(format!(
            "{name} has already written this review. Open the review page again to read it."
        )))
    }

    /// Queues the fixed "new feedback" notice to the person, by their
    /// email (or mobile), linking to sign-in.
    async fn notify_patient(
        &self,
        work: &mut Work<'_>,
        patient: &Patient,
        review: &Review,
    ) -> Result<(), AppError> {
        let key = IdempotencyKey::from_parts(&["new-feedback", &review.id.to_string()])?;
        self.app
            .jobs()
            .notify_patient_to_sign_in(work.tx(), patient, MessageTemplate::NewFeedback, &key)
            .await
    }

    /// The enrolment's feedback, newest first, for the person themself (who
    /// marks it read by opening it) or staff who may open the record.
    /// Audited.
    pub async fn feedback(
        &self,
        actor: &Actor,
        id: EnrolmentId,
        ctx: &RequestContext,
    ) -> Result<(Vec<Review>, HashMap<StaffId, String>), AppError> {
        let now = self.app.clock.now();
        let mut work = self.app.change(actor, ctx).await?;
        let e = work
            .tx()
            .programme_enrolment(id, false)
            .await?
            .ok_or(AppError::NotFound)?;
        let patient = work.patient(e.patient_id).await?;
        let marked = if matches!(actor, Actor::Patient(_)) {
            work.tx().mark_reviews_read(id, now).await?
        } else {
            0
        };
        let list = work.tx().reviews_of_enrolment(id).await?;
        let names = work
            .tx()
            .staff_of_service(patient.service_id)
            .await?
            .into_iter()
            .map(|(m, _)| (m.id, m.name.to_string()))
            .collect();
        work.audit(event(Action::ReviewRead, &patient).detail(format!(
            "feedback of enrolment {id}: {} reviews, {marked} newly read",
            list.len()
        )))
        .await?;
        work.finish().await?;
        Ok((list, names))
    }

    /// How many reviews of each of the signed-in patient's enrolments they
    /// have not opened, for their home page. Counts of their own, with no
    /// content, so not an audited read.
    pub async fn unread_for_me(
        &self,
        actor: &Actor,
    ) -> Result<HashMap<EnrolmentId, i64>, AppError> {
        let Actor::Patient(p) = actor else {
            return Err(AppError::Forbidden);
        };
        let mut tx = self.app.store.read().await?;
        let n = tx.unread_reviews_of(p.id).await?;
        tx.rollback().await?;
        Ok(n.into_iter().collect())
    }
}

/// Per instrument, the episode's first score (every score's first without
/// an open episode) and the latest.
fn measure_changes(record: &PatientRecord, since: Timestamp) -> Vec<MeasureChange> {
    let from = record.episode.as_ref().map(|e| e.opened_at);
    record
        .histories
        .iter()
        .filter_map(|h| {
            let mut scores: Vec<_> = h
                .responses
                .iter()
                .filter(|r| from.is_none_or(|f| r.submitted_at >= f))
                .collect();
            scores.sort_by_key(|r| r.submitted_at);
            let (first, latest) = (scores.first()?, scores.last()?);
            Some(MeasureChange {
                instrument: h.instrument.short_name.clone(),
                first: first.total,
                first_at: first.submitted_at,
                latest: latest.total,
                latest_at: latest.submitted_at,
                responses: scores.len(),
                new_since: latest.submitted_at >= since,
            })
        })
        .collect()
}
