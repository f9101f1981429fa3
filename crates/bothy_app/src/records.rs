//! Reading patient records. Every read writes its audit event and commits
//! it before the data is returned, so nothing is shown that was not recorded.

use crate::measures::History;
use crate::policy::Permission;
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::audit::Action;
use bothy_domain::ids::ReferralId;
use bothy_domain::model::{Alert, Patient, Service};
use bothy_domain::role::Role;

/// How many patients a list page shows at most.
pub const LIST_LIMIT: i64 = 50;

mod home;

pub use home::{
    CASELOAD_LIMIT, CaseloadRow, FrontDoor, OVERDUE_SHOWN, OverdueAlert, Oversight, TeamMember,
};

/// The staff home page's content: each part that one of the person's
/// roles in this service has.
#[derive(Debug, Clone)]
pub struct StaffHome {
    pub service: Service,
    /// A supporter's caseload, by need.
    pub caseload: Option<Vec<CaseloadRow>>,
    /// A triage clinician's front door, in counts.
    pub front_door: Option<FrontDoor>,
    /// A clinical lead's view of the team's overdue work.
    pub oversight: Option<Oversight>,
    /// For staff who may open every record: the service's people by name.
    pub patients: Vec<Patient>,
    pub may_see_patients: bool,
    /// Whether this person may read referrals (and so follow "risk at
    /// referral" to the answers).
    pub may_read_referrals: bool,
    /// Every service this person holds a role in, for switching between them.
    pub services: Vec<Service>,
    /// Open alerts (any severity) of each person in `patients` who has any.
    pub open_alerts: std::collections::HashMap<PatientId, i64>,
    /// People in `patients` whose referral had a risk answer or risky
    /// words, with that referral.
    pub risk_at_referral: std::collections::HashMap<PatientId, ReferralId>,
}

impl StaffHome {
    /// How many open alerts `p` has.
    pub fn open_alerts_of(&self, p: &Patient) -> i64 {
        self.open_alerts.get(&p.id).copied().unwrap_or(0)
    }

    /// The referral that found risk for `p`, if one did.
    pub fn risk_at_referral_of(&self, p: &Patient) -> Option<ReferralId> {
        self.risk_at_referral.get(&p.id).copied()
    }
}

/// Aggregate figures for a service: counts only, never individuals.
#[derive(Debug, Clone)]
pub struct ServiceFigures {
    pub service: Service,
    pub patients: i64,
    /// NHS Talking Therapies outcomes of the episodes discharged in the
    /// last 365 days.
    pub outcomes: bothy_domain::outcomes::Tally,
}

/// Check-ins the staff patient page shows, newest first.
const CHECK_INS_SHOWN: i64 = 100;

/// Everything the staff patient page shows.
#[derive(Debug, Clone)]
pub struct PatientRecord {
    pub patient: Patient,
    pub histories: Vec<History>,
    /// The patient's alerts, open ones first.
    pub alerts: Vec<Alert>,
    /// The open episode of care, if any.
    pub episode: Option<bothy_domain::referral::Episode>,
    /// Whether the open episode's referral had a risk answer or risky words
    /// (its answers and text are on the referral's page).
    pub risk_at_referral: bool,
    /// Recent check-ins, newest first.
    pub check_ins: Vec<bothy_domain::check_in::CheckIn>,
    pub safety_plan: Option<bothy_domain::safety_plan::StoredSafetyPlan>,
    /// How the person agreed to be contacted (none recorded: no consent).
    pub contact: bothy_domain::contact::ContactChoice,
    /// Messages not sent to them, and why, newest first.
    pub not_sent: Vec<bothy_store::NotSentRecord>,
    /// Messages sent to them and what became of each, newest first.
    pub sent: Vec<bothy_store::SentRecord>,
    /// Whether their number replied STOP to text messages.
    pub sms_stopped: bool,
    /// Their daily check-in prompt time, and the times the service allows.
    pub check_in_prompt: Option<bothy_domain::reminders::PromptTime>,
    pub prompt_times: Vec<bothy_domain::reminders::PromptTime>,
    /// Their programme enrolments, and who may be named their supporter.
    pub enrolments: Vec<bothy_domain::programmes::enrolment::Enrolment>,
    pub supporters: crate::enrolments::SupporterChoices,
    /// Their secure-message threads as the care team sees them.
    pub threads: Vec<bothy_domain::messages::ThreadSummary>,
    pub appointments: Vec<crate::appointments::Listed>,
    /// Their newest tool entries, at most `TOOL_ENTRIES_SHOWN`.
    pub tool_entries: Vec<bothy_domain::tools::ToolEntry>,
}

/// Tool entries the staff patient page shows.
pub const TOOL_ENTRIES_SHOWN: i64 = 10;

/// Records as staff see them: the staff home, one patient, service figures.
pub struct Records<'a> {
    pub(crate) app: &'a App,
}

impl Records<'_> {
    /// The service `slug` names, if the staff member holds a role there;
    /// the session then works in that service.
    pub async fn choose_service(
        &self,
        actor: &Actor,
        slug: &str,
    ) -> Result<bothy_domain::ServiceId, AppError> {
        let Actor::Staff(s) = actor else {
            return Err(AppError::Forbidden);
        };
        let mut tx = self.app.store.read().await?;
        let service = tx.service_by_slug(slug).await?;
        tx.rollback().await?;
        service
            .filter(|svc| s.grants.iter().any(|g| g.service_id == svc.id))
            .map(|svc| svc.id)
            .ok_or_else(|| AppError::field("service", "Choose one of your services"))
    }

    /// One patient's record, if `actor` may see it. Anything else is
    /// `NotFound`, exactly as for a record that does not exist.
    pub async fn patient(
        &self,
        actor: &Actor,
        id: PatientId,
        ctx: &RequestContext,
    ) -> Result<Patient, AppError> {
        let mut work = self.app.look(actor, ctx).await?;
        let patient = work.patient(id).await?;
        work.audit(
            AuditEvent::new(Action::PatientRead)
                .patient(id)
                .service(patient.service_id),
        )
        .await?;
        work.finish().await?;
        Ok(patient)
    }

    /// The staff home: a supporter's caseload by need, a triage
    /// clinician's counts, a clinical lead's overdue work and team, and for
    /// staff who may open every record the service's people by name. A
    /// read audited as one list event, with a bounded number of statements
    /// whatever the number of people.
    pub async fn staff_home(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
    ) -> Result<StaffHome, AppError> {
        let Actor::Staff(s) = actor else {
            return Err(AppError::Forbidden);
        };
        let now = self.app.clock.now();
        let has_role = |r: Role| s.roles().any(|x| x == r);
        // A read: its statements need not agree with each other (each
        // part stands alone), so no snapshot, and its one audit event goes
        // with other reads' (`read_audit`), never taking the write lock.
        let mut work = self.app.glance(actor, ctx).await?;
        let tx = work.tx();
        let service = tx
            .service_by_id(s.service_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let caseload = if s.has(Permission::OwnCaseload) {
            let people = tx.caseload(s.service_id, s.id, CASELOAD_LIMIT).await?;
            let review_days = self
                .app
                .monitoring()
                .settings_for(tx, s.service_id)
                .await?
                .review_every_days;
            let inputs =
                home::CaseloadInputs::read(tx, &people, (s.service_id, s.id), review_days).await?;
            let mut rows: Vec<CaseloadRow> = people
                .into_iter()
                .map(|p| home::caseload_row(actor, p, &inputs, &self.app.programmes, now))
                .collect();
            home::sort_caseload(&mut rows);
            Some(rows)
        } else {
            None
        };
        let listed = if s.has(Permission::AllPatients) {
            tx.patients_listed(s.service_id, LIST_LIMIT).await?
        } else {
            Vec::new()
        };
        let open_alerts = listed
            .iter()
            .filter(|l| l.open_alerts > 0)
            .map(|l| (l.patient.id, l.open_alerts))
            .collect();
        let risk_at_referral = listed
            .iter()
            .filter_map(|l| Some((l.patient.id, l.risk_referral?)))
            .collect();
        let patients: Vec<Patient> = listed.into_iter().map(|l| l.patient).collect();
        let front_door = if has_role(Role::TriageClinician) {
            Some(tx.front_door_counts(s.service_id, now).await?)
        } else {
            None
        };
        let oversight = if has_role(Role::ClinicalLead) {
            Some(home::oversight(tx, s.service_id, now).await?)
        } else {
            None
        };
        // The services this person works in, for switching between them;
        // the one in hand is not read again.
        let mut services = Vec::new();
        for g in &s.grants {
            if services.iter().any(|x: &Service| x.id == g.service_id) {
                continue;
            }
            if g.service_id == service.id {
                services.push(service.clone());
            } else if let Some(svc) = tx.service_by_id(g.service_id).await? {
                services.push(svc);
            }
        }
        let listed = patients.len() + caseload.as_ref().map_or(0, Vec::len);
        if listed > 0 {
            let event = AuditEvent::new(Action::PatientList).detail(format!(
                "{} patients, {} on the caseload",
                listed,
                caseload.as_ref().map_or(0, Vec::len)
            ));
            work.audit(event).await?;
        }
        work.finish().await?;
        Ok(StaffHome {
            services,
            service,
            caseload,
            front_door,
            oversight,
            patients,
            open_alerts,
            risk_at_referral,
            may_read_referrals: s.has(Permission::Triage),
            may_see_patients: s.has(Permission::AllPatients) || s.has(Permission::OwnCaseload),
        })
    }

    /// Each supporter's caseload in the actor's service: how many people
    /// and how many quiet for `QUIET_DAYS`. Counts per member of staff, no
    /// individual's record, for those who see the service's figures.
    pub async fn team(&self, actor: &Actor) -> Result<Vec<TeamMember>, AppError> {
        let Actor::Staff(s) = actor else {
            return Err(AppError::Forbidden);
        };
        if !s.has(Permission::Reports) {
            return Err(AppError::Forbidden);
        }
        let mut tx = self.app.store.read().await?;
        let team = home::team(&mut tx, s.service_id, self.app.clock.now()).await?;
        tx.rollback().await?;
        Ok(team)
    }

    /// Aggregate figures for the actor's service.
    pub async fn service_figures(&self, actor: &Actor) -> Result<ServiceFigures, AppError> {
        let service_id = match actor {
            Actor::Staff(s) if s.has(Permission::Reports) => s.service_id,
            Actor::Api(a)
                if a.permissions
                    .contains(&bothy_domain::role::ApiPermission::ReportsRead) =>
            {
                a.service_id
            }
            _ => return Err(AppError::Forbidden),
        };
        let mut tx = self.app.store.read().await?;
        let service = tx
            .service_by_id(service_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let patients = tx.count_patients(service_id).await?;
        tx.rollback().await?;
        let now = self.app.clock.now();
        let year_ago = now
            .checked_sub(std::time::Duration::from_secs(365 * 86_400))
            .unwrap_or(now);
        let outcomes = self
            .app
            .reports()
            .outcome_tally(service_id, year_ago, now)
            .await?;
        Ok(ServiceFigures {
            service,
            patients,
            outcomes,
        })
    }

    /// Everything the staff patient page shows, in one snapshot whose audit
    /// events commit together: the record, each instrument's history,
    /// alerts, the open episode, recent check-ins, the safety plan,
    /// messages, programmes, appointments and tool entries. One read
    /// transaction and one write, where each section used to take two.
    pub async fn patient_record(
        &self,
        actor: &Actor,
        patient_id: PatientId,
        ctx: &RequestContext,
    ) -> Result<PatientRecord, AppError> {
        let mut work = self.app.look(actor, ctx).await?;
        let patient = work.patient(patient_id).await?;
        let tx = work.tx();
        let responses = tx
            .measure_responses(patient_id, None, None, false, 10_000)
            .await?;
        let alerts = tx.patient_alerts(patient.id, 50).await?;
        let episode = tx.open_episode(patient_id).await?;
        let risk_at_referral = !tx.risk_at_referral(&[patient_id]).await?.is_empty();
        let check_ins = tx.check_ins(patient_id, CHECK_INS_SHOWN).await?;
        let safety_plan = tx.current_safety_plan(patient_id).await?;
        let contact = tx
            .contact_choice(patient_id)
            .await?
            .unwrap_or(bothy_domain::contact::ContactChoice::NONE);
        let not_sent = tx.not_sent_to_patient(patient_id, NOT_SENT_SHOWN).await?;
        let sent = tx.sent_to_patient(patient_id, NOT_SENT_SHOWN).await?;
        let sms_stopped = match &patient.phone {
            Some(phone) => tx.sms_opted_out(phone.as_str()).await?,
            None => false,
        };
        let check_in_prompt = tx
            .check_in_prompt(patient_id)
            .await?
            .and_then(bothy_domain::reminders::PromptTime::from_minute);
        let settings = self
            .app
            .monitoring()
            .settings_for(work.tx(), patient.service_id)
            .await?;
        let prompt_times = bothy_domain::reminders::PromptTime::offered(&settings.messages.pacing);
        // The page's other sections, read in the same snapshot; each still
        // records its own kind of read, and all commit together.
        let enrolments = crate::enrolments::of_patient_in(&mut work, &patient).await?;
        let supporters =
            crate::enrolments::supporters_in(work.tx(), patient.service_id, &enrolments).await?;
        let threads = crate::messages::threads_in(&mut work, &patient).await?;
        let appointments = self
            .app
            .appointments()
            .of_patient_in(&mut work, &patient)
            .await?;
        let tool_entries =
            crate::tools::entries_in(&mut work, &patient, None, TOOL_ENTRIES_SHOWN).await?;
        work.audit(
            AuditEvent::new(Action::PatientRead)
                .patient(patient_id)
                .service(patient.service_id)
                .detail(format!(
                    "record page: {} responses, {} check-ins, {} alerts, safety plan {}",
                    responses.len(),
                    check_ins.len(),
                    alerts.len(),
                    safety_plan
                        .as_ref()
                        .map_or("none".to_string(), |p| format!("version {}", p.version))
                )),
        )
        .await?;
        work.finish().await?;
        let mut histories: Vec<History> = Vec::new();
        for r in responses {
            match histories
                .iter_mut()
                .find(|h| h.instrument.id == r.instrument_id)
            {
                Some(h) => h.responses.push(r),
                None => {
                    if let Some(inst) = self.app.catalogue.get(&r.instrument_id) {
                        histories.push(History {
                            instrument: inst.clone(),
                            responses: vec![r],
                        });
                    }
                }
            }
        }
        Ok(PatientRecord {
            patient,
            histories,
            alerts,
            episode,
            risk_at_referral,
            check_ins,
            safety_plan,
            contact,
            not_sent,
            sent,
            sms_stopped,
            check_in_prompt,
            prompt_times,
            enrolments,
            supporters,
            threads,
            appointments,
            tool_entries,
        })
    }
}

/// Messages not sent shown on the staff patient page.
const NOT_SENT_SHOWN: u32 = 20;
