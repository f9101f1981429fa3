//! Triage: the queue ordered by risk and wait, one referral with its
//! matching candidates, match verdicts, and the decision. Every decision is
//! a person's, audited, and tells the person (and any referrer) through
//! their chosen channel that there is news, never what it is.

use crate::credentials::new_token;
use crate::policy::{Permission, StaffActor};
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::ids::{EnrolmentId, EpisodeId, ReferralId};
use bothy_domain::instruments::score::{Scored, score};
use bothy_domain::model::Patient;
use bothy_domain::person::{DateOfBirth, Email, PersonName, PhoneNumber};
use bothy_domain::referral::{Decision, Episode, Referral, Step, problem_descriptor};
use bothy_domain::role::Role;
use bothy_domain::text::{self, Lines};
use bothy_domain::time::Timestamp;
use bothy_domain::{PatientId, StaffId};
use bothy_store::{MatchVerdict, NewEnrolment, PatientIdentity, StaffPick, Tx};

use crate::activation::ACTIVATION_DAYS;

/// One screening questionnaire of a referral, scored if complete.
#[derive(Debug, Clone)]
pub struct ScreeningScore {
    pub instrument: String,
    pub short_name: String,
    pub scored: Option<Scored>,
}

/// A referral in the triage queue, with its screening scored.
#[derive(Debug, Clone)]
pub struct QueueEntry {
    pub referral: Referral,
    /// The service's screening instruments in its order, then any others
    /// the referral holds answers to (asked before the service changed them).
    pub screening: Vec<ScreeningScore>,
    /// Days since received (or since started, for an unsent draft).
    pub days_waiting: i64,
}

/// A possible existing record of the person referred.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub patient: PatientIdentity,
    pub score: f64,
    pub reason: String,
    /// "confirmed" or "rejected" once a clinician has said.
    pub verdict: Option<String>,
}

/// Everything the triage page shows for one referral.
#[derive(Debug, Clone)]
pub struct TriageView {
    pub entry: QueueEntry,
    pub candidates: Vec<Candidate>,
    /// Supporters and therapists an accepted person can be allocated to.
    pub practitioners: Vec<(StaffId, String)>,
}

pub(crate) fn triage_staff(actor: &Actor) -> Result<&StaffActor, AppError> {
    match actor {
        Actor::Staff(s) if s.has(Permission::Triage) => Ok(s),
        _ => Err(AppError::Forbidden),
    }
}

/// Triage: the queue, one referral, match verdicts and decisions.
pub struct Triage<'a> {
    pub(crate) app: &'a App,
}

impl Triage<'_> {
    fn queue_entry(&self, referral: Referral, asked: &[String]) -> QueueEntry {
        let start = referral.received_at.unwrap_or(referral.created_at);
        let held = referral
            .details
            .screening
            .keys()
            .filter(|id| !asked.contains(id));
        let screening = asked
            .iter()
            .chain(held)
            .filter_map(|id| self.app.catalogue.get(id))
            .map(|inst| ScreeningScore {
                instrument: inst.id.clone(),
                short_name: inst.short_name.clone(),
                scored: referral
                    .details
                    .screening
                    .get(&inst.id)
                    .and_then(|a| score(inst, a).ok()),
            })
            .collect();
        QueueEntry {
            screening,
            days_waiting: (self.app.clock.now().as_second() - start.as_second()).max(0) / 86_400,
            referral,
        }
    }

    /// Referrals waiting for a decision, risk first, then longest waiting. Audited.
    /// A read (its two statements need not agree), so it never holds the
    /// write lock, and its event commits with other reads'.
    pub async fn queue(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
    ) -> Result<Vec<QueueEntry>, AppError> {
        let s = triage_staff(actor)?;
        let mut work = self.app.glance(actor, ctx).await?;
        let referrals = work.tx().triage_queue(s.service_id, 200).await?;
        let asked = self
            .app
            .monitoring()
            .settings_for(work.tx(), s.service_id)
            .await?;
        let event =
            AuditEvent::new(Action::ReferralList).detail(format!("{} referrals", referrals.len()));
        work.audit(event).await?;
        work.finish().await?;
        Ok(referrals
            .into_iter()
            .map(|r| self.queue_entry(r, &asked.screening))
            .collect())
    }

    async fn referral_in_service(
        &self,
        tx: &mut Tx,
        s: &StaffActor,
        id: ReferralId,
    ) -> Result<Referral, AppError> {
        tx.referral(id)
            .await?
            .filter(|r| r.service_id == s.service_id)
            .ok_or(AppError::NotFound)
    }

    /// One referral with its scores, matching candidates and practitioners. Audited.
    pub async fn view(
        &self,
        actor: &Actor,
        id: ReferralId,
        ctx: &RequestContext,
    ) -> Result<TriageView, AppError> {
        let s = triage_staff(actor)?;
        let mut tx = self.app.store.begin().await?;
        let referral = self.referral_in_service(&mut tx, s, id).await?;
        let d = &referral.details;
        let identities = tx
            .match_candidates(
                s.service_id,
                d.nhs_number.as_deref(),
                d.chi.as_deref(),
                d.date_of_birth.map(|x| x.to_string()).as_deref(),
            )
            .await?;
        let verdicts = tx.match_verdicts(id).await?;
        let staff = tx.staff_of_service(s.service_id).await?;
        let asked = self
            .app
            .monitoring()
            .settings_for(&mut tx, s.service_id)
            .await?;
        let event = AuditEvent::new(Action::ReferralRead).service(s.service_id);
        self.app
            .audit(&mut tx, actor, ctx, event.detail(format!("referral {id}")))
            .await?;
        tx.commit().await?;
        let today = bothy_domain::time::uk_date(self.app.clock.now());
        let existing: Vec<(usize, bothy_domain::matching::PersonDetails)> = identities
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i, identity_details(p, today)?)))
            .collect();
        let candidates = match referral_details(d, today) {
            Some(me) => {
                bothy_domain::matching::find_candidates(&me, existing.iter().map(|(i, p)| (*i, p)))
                    .into_iter()
                    .map(|m| {
                        let patient = identities[m.patient].clone();
                        let verdict = verdicts
                            .iter()
                            .find(|v| v.patient_id == patient.id)
                            .map(|v| v.verdict.clone());
                        Candidate {
                            patient,
                            score: m.score,
                            reason: m.reason,
                            verdict,
                        }
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let practitioners = staff
            .into_iter()
            .filter(|(m, roles)| m.disabled_at.is_none() && roles.contains(&Role::Supporter))
            .map(|(m, _)| (m.id, m.name.to_string()))
            .collect();
        Ok(TriageView {
            entry: self.queue_entry(referral, &asked.screening),
            candidates,
            practitioners,
        })
    }

    /// Records a clinician's verdict on a candidate match. Never merges anything.
    pub async fn record_match(
        &self,
        actor: &Actor,
        id: ReferralId,
        patient: PatientId,
        confirmed: bool,
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        let s = triage_staff(actor)?;
        let mut tx = self.app.store.begin().await?;
        self.referral_in_service(&mut tx, s, id).await?;
        let p = tx
            .patient(patient)
            .await?
            .filter(|p| p.service_id == s.service_id)
            .ok_or(AppError::NotFound)?;
        let verdict = MatchVerdict {
            patient_id: p.id,
            verdict: if confirmed { "confirmed" } else { "rejected" }.into(),
        };
        tx.record_match_verdict(id, &verdict, s.id, self.app.clock.now())
            .await?;
        let event = AuditEvent::new(Action::ReferralMatchVerdict)
            .patient(p.id)
            .service(s.service_id);
        self.app
            .audit(
                &mut tx,
                actor,
                ctx,
                event.detail(format!("referral {id} {}", verdict.verdict)),
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A triage decision. Accepting opens an episode (with the confirmed
    /// existing record, or a new one) and sends a single-use activation link.
    pub async fn decide(
        &self,
        actor: &Actor,
        id: ReferralId,
        decision: Decision,
        ctx: &RequestContext,
    ) -> Result<Referral, AppError> {
        let s = triage_staff(actor)?.clone();
        let text_ok = |t: &str| !t.trim().is_empty() && t.chars().count() <= 1000;
        match &decision {
            Decision::Signpost { place } if !text_ok(place) => {
                return Err(AppError::field(
                    "place",
                    "Name the service or place you are signposting to",
                ));
            }
            Decision::Decline { reason } if !text_ok(reason) => {
                return Err(AppError::field("reason", "Give the reason for declining"));
            }
            Decision::RequestInfo { question } if !text_ok(question) => {
                return Err(AppError::field("question", "Say what information you need"));
            }
            _ => {}
        }
        let note = match &decision {
            Decision::Signpost { place } => Some(("place", place)),
            Decision::Decline { reason } => Some(("reason", reason)),
            Decision::RequestInfo { question } => Some(("question", question)),
            Decision::Accept { .. } => None,
        };
        if let Some((field, t)) = note
            && let Err(e) = text::check(t.trim(), Lines::Many)
        {
            return Err(AppError::field(field, e.message("The text", Lines::Many)));
        }
        let now = self.app.clock.now();
        let mut tx = self.app.store.begin().await?;
        // Locked: a decision made at the same moment (a double click, or a
        // second clinician) waits for this one, then reads it below.
        let mut referral = tx
            .lock_referral(id)
            .await?
            .filter(|r| r.service_id == s.service_id)
            .ok_or(AppError::NotFound)?;
        if self.already_decided(&mut tx, &referral, &decision).await? {
            tx.rollback().await?;
            return Ok(referral);
        }
        if !referral.awaiting_decision() {
            return Err(AppError::Conflict(match referral.decided_at {
                Some(_) => format!(
                    "This referral has already been decided ({}). Reload the page to see the decision.",
                    referral.status.label().to_lowercase()
                ),
                None => "This referral has not been sent, so it cannot be decided yet".into(),
            }));
        }
        let from = referral.status;
        referral.status = decision.status();
        referral.decided_by = Some(s.id);
        referral.decided_at = Some(now);
        referral.updated_at = now;
        let mut activation = None;
        match &decision {
            Decision::Accept {
                step,
                practitioner,
                programme,
            } => {
                // A digital programme may be chosen with that step, and
                // only then; without one, a clinician enrols later.
                let programme = match (step, programme) {
                    (Step::Programme, Some(id)) => Some(
                        self.app
                            .programmes
                            .iter()
                            .find(|p| p.id == *id)
                            .ok_or_else(|| {
                                AppError::field("programme", "Choose a programme from the list")
                            })?,
                    ),
                    (_, Some(_)) => {
                        return Err(AppError::field(
                            "programme",
                            "A programme goes with the digital programme step: choose that step, or no programme",
                        ));
                    }
                    (_, None) => None,
                };
                // The one chosen, enabled and a supporter here, not the
                // whole service's staff.
                let chosen = StaffPick::Id(*practitioner);
                if tx
                    .staff_in_roles(s.service_id, &[Role::Supporter], chosen)
                    .await?
                    .is_empty()
                {
                    return Err(AppError::field(
                        "practitioner",
                        "Choose a supporter or therapist of this service",
                    ));
                }
                let patient = self.patient_for(&mut tx, &referral).await?;
                // The named practitioner sees the person on their caseload.
                tx.set_patient_supporter(patient, *practitioner).await?;
                referral.patient_id = Some(patient);
                referral.decision_note = Some(step.label().to_string());
                let episode = Episode {
                    id: EpisodeId::random(),
                    patient_id: patient,
                    service_id: s.service_id,
                    referral_id: referral.id,
                    step: *step,
                    practitioner_id: *practitioner,
                    problem_descriptor: problem_descriptor(&referral.details.problems),
                    referred_at: referral.received_at.unwrap_or(referral.created_at),
                    opened_at: now,
                    first_treatment_at: None,
                    treatment_appointments: 0,
                    discharged_at: None,
                    discharge_reason: None,
                    outcome: None,
                };
                tx.insert_episode(&episode).await.map_err(|e| {
                    if e.is_constraint("referral_id") {
                        AppError::Conflict("This referral already has an episode of care".into())
                    } else {
                        e.into()
                    }
                })?;
                let opened = AuditEvent::new(Action::EpisodeOpened)
                    .service(s.service_id)
                    .patient(patient)
                    .detail(format!("episode {} referral {id}", episode.id))
                    .record(RecordKind::Episode, episode.id);
                self.app.audit(&mut tx, actor, ctx, opened).await?;
                // Alerts raised on the referral now follow the person.
                tx.attach_referral_alerts(referral.id, patient, *practitioner)
                    .await?;
                self.app
                    .monitoring()
                    .seed_screening(&mut tx, &episode, &referral.details)
                    .await?;
                // Enrolled at once, guided by the practitioner: the first
                // module is open when they first sign in. Already on the
                // programme (a returning person), they stay on it.
                if let Some(programme) = programme {
                    let new = NewEnrolment {
                        id: EnrolmentId::random(),
                        patient_id: patient,
                        service_id: s.service_id,
                        programme,
                        supporter_id: Some(*practitioner),
                        enrolled_at: now,
                        enrolled_by: s.id,
                    };
                    crate::enrolments::start(self.app, &mut tx, actor, ctx, &new).await?;
                }
                let (token, hash) = new_token("");
                let expires = Timestamp::from_second(now.as_second() + ACTIVATION_DAYS * 86_400)
                    .map_err(AppError::internal)?;
                tx.insert_activation(&hash, patient, now, expires).await?;
                activation = Some(format!(
                    "{}/activate/{token}",
                    self.app.settings.public_url.trim_end_matches('/')
                ));
            }
            Decision::Signpost { place } => referral.decision_note = Some(place.trim().to_string()),
            Decision::Decline { reason } => {
                referral.decision_note = Some(reason.trim().to_string())
            }
            Decision::RequestInfo { question } => {
                referral.decision_note = Some(question.trim().to_string())
            }
        }
        if !tx.save_referral(&referral, from).await? {
            return Err(AppError::Conflict(
                "This referral changed at the same moment. Reload the page to see it.".into(),
            ));
        }
        let mut event = AuditEvent::new(Action::ReferralDecided).service(s.service_id);
        if let Some(p) = referral.patient_id {
            event = event.patient(p);
        }
        self.app
            .audit(
                &mut tx,
                actor,
                ctx,
                event
                    .detail(format!("referral {id} {}", referral.status))
                    .record(RecordKind::Referral, referral.id),
            )
            .await?;
        let template = match (&decision, &activation) {
            (Decision::Accept { .. }, Some(_)) => crate::jobs::MessageTemplate::Activation,
            (Decision::RequestInfo { .. }, _) => crate::jobs::MessageTemplate::InformationRequested,
            _ => crate::jobs::MessageTemplate::ReferralDecision,
        };
        self.app
            .referrals()
            .notify_person(&mut tx, &referral, template, activation)
            .await?;
        self.app
            .referrals()
            .notify_referrer(&mut tx, &referral)
            .await?;
        tx.commit().await?;
        Ok(referral)
    }

    /// Whether `decision` is the one already recorded for this referral (the
    /// same outcome, note, step and practitioner): a repeat, answered as the
    /// first was, without recording anything again.
    async fn already_decided(
        &self,
        tx: &mut Tx,
        referral: &Referral,
        decision: &Decision,
    ) -> Result<bool, AppError> {
        if referral.decided_at.is_none() || referral.status != decision.status() {
            return Ok(false);
        }
        let note = referral.decision_note.as_deref().unwrap_or("");
        Ok(match decision {
            Decision::Accept {
                step, practitioner, ..
            } => {
                note == step.label()
                    && tx
                        .episode_for_referral(referral.id)
                        .await?
                        .is_some_and(|e| e.practitioner_id == *practitioner)
            }
            Decision::Signpost { place: t }
            | Decision::Decline { reason: t }
            | Decision::RequestInfo { question: t } => note == t.trim(),
        })
    }

    /// The confirmed existing record, or a new patient made from the referral.
    async fn patient_for(&self, tx: &mut Tx, referral: &Referral) -> Result<PatientId, AppError> {
        let d = &referral.details;
        let confirmed = tx
            .match_verdicts(referral.id)
            .await?
            .into_iter()
            .find(|v| v.verdict == "confirmed");
        let id = match confirmed {
            Some(v) => v.patient_id,
            None => {
                let (Some(given), Some(family), Some(dob)) =
                    (&d.given_name, &d.family_name, d.date_of_birth)
                else {
                    return Err(AppError::field(
                        "referral",
                        "A referral needs a name and date of birth before it can be accepted",
                    ));
                };
                let invalid =
                    |_| AppError::field("referral", "The referral's details are not valid");
                let email = d
                    .email
                    .as_deref()
                    .map(Email::parse)
                    .transpose()
                    .map_err(invalid)?;
                // One sign-in email belongs to one person: an email already
                // in use is left off the new record rather than shared.
                let email = match email {
                    Some(e) if tx.patient_login(&e).await?.is_none() => Some(e),
                    _ => None,
                };
                let p = Patient {
                    id: PatientId::random(),
                    service_id: referral.service_id,
                    given_name: PersonName::parse(given).map_err(invalid)?,
                    family_name: PersonName::parse(family).map_err(invalid)?,
                    date_of_birth: DateOfBirth::from_stored(dob),
                    email,
                    phone: d
                        .phone
                        .as_deref()
                        .map(PhoneNumber::parse)
                        .transpose()
                        .map_err(invalid)?,
                    supporter_id: None,
                    created_at: self.app.clock.now(),
                    programme_supporters: Vec::new(),
                };
                tx.insert_patient(&p, None).await.map_err(|e| {
                    if e.is_constraint("email") {
                        AppError::Conflict(
                            "Another record was given this person's email address at the same \
                             moment. Reload the page and decide again."
                                .into(),
                        )
                    } else {
                        e.into()
                    }
                })?;
                p.id
            }
        };
        tx.set_patient_identifiers(
            id,
            d.nhs_number.as_deref(),
            d.chi.as_deref(),
            d.postcode.as_deref(),
        )
        .await?;
        // How the person agreed to be contacted, asked once on the referral,
        // is now the patient's (the newest referral's answer stands).
        tx.set_contact_choice(
            id,
            bothy_domain::contact::ContactChoice::of_referral(d),
            self.app.clock.now(),
        )
        .await?;
        Ok(id)
    }
}

/// The referral's person as matching sees them; None without name and date of birth.
fn referral_details(
    d: &bothy_domain::referral::Details,
    today: bothy_domain::time::Date,
) -> Option<bothy_domain::matching::PersonDetails> {
    use bothy_domain::identifiers::{Chi, NhsNumber, UkPostcode};
    Some(bothy_domain::matching::PersonDetails {
        given_name: d.given_name.clone()?,
        family_name: d.family_name.clone()?,
        date_of_birth: d.date_of_birth?,
        nhs_number: d
            .nhs_number
            .as_deref()
            .and_then(|n| NhsNumber::parse(n).ok()),
        chi: d.chi.as_deref().and_then(|c| Chi::parse(c, today).ok()),
        postcode: d
            .postcode
            .as_deref()
            .and_then(|p| UkPostcode::parse(p).ok()),
    })
}

fn identity_details(
    p: &PatientIdentity,
    today: bothy_domain::time::Date,
) -> Option<bothy_domain::matching::PersonDetails> {
    use bothy_domain::identifiers::{Chi, NhsNumber, UkPostcode};
    Some(bothy_domain::matching::PersonDetails {
        given_name: p.given_name.clone(),
        family_name: p.family_name.clone(),
        date_of_birth: p.date_of_birth.parse().ok()?,
        nhs_number: p
            .nhs_number
            .as_deref()
            .and_then(|n| NhsNumber::parse(n).ok()),
        chi: p.chi.as_deref().and_then(|c| Chi::parse(c, today).ok()),
        postcode: p
            .postcode
            .as_deref()
            .and_then(|x| UkPostcode::parse(x).ok()),
    })
}
