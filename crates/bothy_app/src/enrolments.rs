//! Programme enrolments: staff enrol a patient of their service on a
//! programme, with a supporter; the person works through its modules in
//! order (the first opens at once, each next one when they finish the one
//! before, or when staff open it); either side may pause and resume.
//!
//! Who enrols: staff who may open the patient's record (the route's
//! `Access::StaffPatients`, then `can_view_patient` here): triage
//! clinicians and clinical leads for anyone in the service, a supporter for
//! the people on their own caseload. Offering a programme is direct care
//! of one person, decided by whoever is caring for them, which is what
//! record access already expresses; `Triage` would leave out the
//! supporters who guide programmes, and administrators, moderators and
//! analysts never act on a record.
//!
//! The programme is pinned at enrolment: the person reads the copy stored
//! with their enrolment, never the current files, so a later edit changes
//! neither what they see nor what they have done.
//!
//! Every change locks the enrolment's row first and is a guarded write, so
//! a double click or two people at once make one change: the same change
//! again is answered as the first, a change the state no longer allows is a
//! 409 that says why.

use crate::work::Work;
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::ids::EnrolmentId;
use bothy_domain::model::Patient;
use bothy_domain::programmes::enrolment::{Enrolment, ModuleState, Status, UnlockedBy};
use bothy_domain::programmes::model::Module;
use bothy_domain::role::Role;
use bothy_domain::{PatientId, ServiceId, StaffId};
use bothy_store::{NewEnrolment, StaffPick, Tx};

/// Programme enrolments and progress.
pub struct Enrolments<'a> {
    pub(crate) app: &'a App,
}

/// A member of staff who may support someone on a programme.
#[derive(Debug, Clone)]
pub struct Supporter {
    pub id: StaffId,
    pub name: String,
}

/// A page of an enrolment's pinned programme.
#[derive(Debug, Clone)]
pub struct EnrolmentPage {
    pub enrolment: Enrolment,
    /// 1-based.
    pub module: u32,
    /// 1-based.
    pub page: usize,
    /// The module's place in the programme's list (checked to exist).
    index: usize,
}

impl EnrolmentPage {
    pub fn module(&self) -> &Module {
        &self.enrolment.programme.modules[self.index]
    }

    pub fn pages(&self) -> usize {
        self.module().pages.len()
    }
}

impl<'a> Enrolments<'a> {
    /// The member of the actor's service who may support an enrolment and
    /// has this email address: how a service with more supporters than the
    /// form lists names one.
    pub async fn supporter_by_email(
        &self,
        actor: &Actor,
        email: &str,
    ) -> Result<StaffId, AppError> {
        let Actor::Staff(s) = actor else {
            return Err(AppError::Forbidden);
        };
        let email = bothy_domain::person::Email::parse(email)
            .map_err(|e| AppError::field("supporter_email", e.0))?;
        let mut tx = self.app.store.read().await?;
        let found = tx
            .staff_in_roles(s.service_id, &SUPPORT_ROLES, StaffPick::Email(&email))
            .await?;
        tx.rollback().await?;
        found.first().map(|m| m.id).ok_or_else(|| {
            AppError::field(
                "supporter_email",
                "No one who may support in this service has that email address",
            )
        })
    }

    /// Enrols the patient on `programme` with `supporter` (or none), and
    /// opens the first module. The same enrolment asked for again (a double
    /// click, two clinicians at once) is answered with the one made; asking
    /// for another supporter while one stands is a 409.
    pub async fn enrol(
        &self,
        actor: &Actor,
        patient_id: PatientId,
        programme: &str,
        supporter: Option<StaffId>,
        ctx: &RequestContext,
    ) -> Result<Enrolment, AppError> {
        let Actor::Staff(s) = actor else {
            return Err(AppError::Forbidden);
        };
        let now = self.app.clock.now();
        let mut work = self.app.change(actor, ctx).await?;
        let patient = work.patient(patient_id).await?;
        let Some(programme) = self.app.programmes.iter().find(|p| p.id == programme) else {
            return Err(AppError::field(
                "programme",
                "Choose a programme from the list",
            ));
        };
        if let Some(id) = supporter {
            let found = work
                .tx()
                .staff_in_roles(patient.service_id, &SUPPORT_ROLES, StaffPick::Id(id))
                .await?;
            if found.is_empty() {
                return Err(AppError::field(
                    "supporter",
                    "Choose a supporter from the list",
                ));
            }
        }
        let id = EnrolmentId::random();
        let new = NewEnrolment {
            id,
            patient_id: patient.id,
            service_id: patient.service_id,
            programme,
            supporter_id: supporter,
            enrolled_at: now,
            enrolled_by: s.id,
        };
        if !start(self.app, work.tx(), actor, ctx, &new).await? {
            let current = work
                .tx()
                .current_programme_enrolment(patient.id, &programme.id)
                .await?;
            work.finish().await?;
            return match current {
                Some(e) if e.supporter_id == supporter => Ok(e),
                _ => Err(AppError::Conflict(format!(
                    "{} is already enrolled on {}. Pause or finish that enrolment first.",
                    patient.full_name(),
                    programme.title
                ))),
            };
        }
        let enrolment = work
            .tx()
            .programme_enrolment(id, false)
            .await?
            .ok_or(AppError::NotFound)?;
        work.finish().await?;
        Ok(enrolment)
    }

    /// Staff open module `module`, which must be the next one. Asking for
    /// a module already open is answered as done.
    pub async fn unlock(
        &self,
        actor: &Actor,
        id: EnrolmentId,
        module: u32,
        ctx: &RequestContext,
    ) -> Result<Enrolment, AppError> {
        let Actor::Staff(s) = actor else {
            return Err(AppError::Forbidden);
        };
        let mut work = self.app.change(actor, ctx).await?;
        let (e, patient) = locked(&mut work, id).await?;
        open_module(&mut work, &e, &patient, module, s.id, self.app.clock.now()).await?;
        reread(work, id).await
    }

    /// The patient marks an open module done; the next one opens, or, after
    /// the last, the enrolment is finished. Done again is answered as done.
    pub async fn complete(
        &self,
        actor: &Actor,
        id: EnrolmentId,
        module: u32,
        ctx: &RequestContext,
    ) -> Result<Enrolment, AppError> {
        let Actor::Patient(p) = actor else {
            return Err(AppError::Forbidden);
        };
        let now = self.app.clock.now();
        let mut work = self.app.change(actor, ctx).await?;
        let (e, patient) = locked(&mut work, id).await?;
        if e.module(module).is_none() {
            return Err(AppError::NotFound);
        }
        match e.state(module) {
            ModuleState::Done => {
                work.finish().await?;
                return Ok(e);
            }
            ModuleState::Locked => {
                return Err(AppError::Conflict(
                    "This module is not open yet. It opens when you finish the one before it."
                        .into(),
                ));
            }
            ModuleState::Open => refuse_unless_active(&e)?,
        }
        if !work.tx().complete_module(id, module, now).await? {
            return reread(work, id).await;
        }
        let total = e.total();
        let finished = e.done() + 1 == total;
        work.audit(
            event(Action::EnrolmentModuleCompleted, &patient).detail(format!(
                "enrolment {id}: module {module} of {total} done{}",
                if finished { "; programme finished" } else { "" }
            )),
        )
        .await?;
        let by = p.id.to_string();
        if module < total
            && work
                .tx()
                .unlock_module(id, module + 1, now, UnlockedBy::Completion, Some(&by))
                .await?
        {
            work.audit(
                event(Action::EnrolmentModuleUnlocked, &patient).detail(format!(
                    "enrolment {id}: module {} opened on finishing module {module}",
                    module + 1
                )),
            )
            .await?;
        }
        if finished {
            work.tx()
                .set_enrolment_status(id, Status::Active, Status::Finished, now)
                .await?;
        }
        reread(work, id).await
    }

    /// Pauses (`to` = paused) or resumes (`to` = active) an enrolment, for
    /// the person themself or staff who may open their record. Asking for
    /// the state it is already in is answered as done.
    pub async fn set_status(
        &self,
        actor: &Actor,
        id: EnrolmentId,
        to: Status,
        ctx: &RequestContext,
    ) -> Result<Enrolment, AppError> {
        if !matches!(actor, Actor::Staff(_) | Actor::Patient(_)) {
            return Err(AppError::Forbidden);
        }
        let (from, action, verb) = match to {
            Status::Paused => (Status::Active, Action::EnrolmentPaused, "paused"),
            Status::Active => (Status::Paused, Action::EnrolmentResumed, "resumed"),
            Status::Finished => return Err(AppError::Forbidden),
        };
        let now = self.app.clock.now();
        let mut work = self.app.change(actor, ctx).await?;
        let (e, patient) = locked(&mut work, id).await?;
        if e.status == to {
            work.finish().await?;
            return Ok(e);
        }
        if e.status != from {
            return Err(AppError::Conflict(
                "This programme is finished, so it cannot be paused or resumed.".into(),
            ));
        }
        if work.tx().set_enrolment_status(id, from, to, now).await? {
            work.audit(event(action, &patient).detail(format!("enrolment {id}: {verb}")))
                .await?;
        }
        reread(work, id).await
    }

    /// Every enrolment of the patient, newest first, for the person
    /// themself or staff who may open their record. Audited.
    pub async fn of_patient(
        &self,
        actor: &Actor,
        patient_id: PatientId,
        ctx: &RequestContext,
    ) -> Result<Vec<Enrolment>, AppError> {
        let mut work = self.app.look(actor, ctx).await?;
        let patient = work.patient(patient_id).await?;
        let list = of_patient_in(&mut work, &patient).await?;
        work.finish().await?;
        Ok(list)
    }

    /// One enrolment, for the person themself or staff who may open their
    /// record; anyone else is told it does not exist. Audited.
    pub async fn get(
        &self,
        actor: &Actor,
        id: EnrolmentId,
        ctx: &RequestContext,
    ) -> Result<Enrolment, AppError> {
        self.read(actor, id, format!("enrolment {id}"), ctx).await
    }

    /// Page `page` (1-based) of the module with id `module` in the
    /// enrolment's pinned programme. A module not yet open is a 409 that
    /// says when it opens.
    pub async fn page(
        &self,
        actor: &Actor,
        id: EnrolmentId,
        module: &str,
        page: usize,
        ctx: &RequestContext,
    ) -> Result<EnrolmentPage, AppError> {
        let detail = format!("enrolment {id}: module {module} page {page}");
        let enrolment = self.read(actor, id, detail, ctx).await?;
        let index = enrolment
            .programme
            .modules
            .iter()
            .position(|m| m.id == module)
            .ok_or(AppError::NotFound)?;
        let number = u32::try_from(index + 1).map_err(|_| AppError::NotFound)?;
        if page == 0 || page > enrolment.programme.modules[index].pages.len() {
            return Err(AppError::NotFound);
        }
        if enrolment.state(number) == ModuleState::Locked {
            return Err(AppError::Conflict(format!(
                "Module {number} is not open yet. It opens when you finish module {}.",
                number.saturating_sub(1).max(1)
            )));
        }
        Ok(EnrolmentPage {
            enrolment,
            module: number,
            page,
            index,
        })
    }

    async fn read(
        &self,
        actor: &Actor,
        id: EnrolmentId,
        detail: String,
        ctx: &RequestContext,
    ) -> Result<Enrolment, AppError> {
        let mut work = self.app.look(actor, ctx).await?;
        let e = work
            .tx()
            .programme_enrolment(id, false)
            .await?
            .ok_or(AppError::NotFound)?;
        let patient = work.patient(e.patient_id).await?;
        work.audit(event(Action::EnrolmentRead, &patient).detail(detail))
            .await?;
        work.finish().await?;
        Ok(e)
    }
}

/// Stores a new enrolment with its first module open, and its audit
/// event, in the caller's transaction (a clinician's enrolment, or a
/// triage decision to a programme). `false`, with nothing written, if the
/// person is already on the programme.
pub(crate) async fn start(
    app: &App,
    tx: &mut Tx,
    actor: &Actor,
    ctx: &RequestContext,
    new: &NewEnrolment<'_>,
) -> Result<bool, AppError> {
    if !tx.insert_programme_enrolment(new).await? {
        return Ok(false);
    }
    let event = AuditEvent::new(Action::EnrolmentStarted)
        .patient(new.patient_id)
        .service(new.service_id)
        .detail(format!(
            "enrolment {}: {} version {}, module 1 open",
            new.id, new.programme.id, new.programme.version
        ));
    app.audit(tx, actor, ctx, event).await?;
    Ok(true)
}

fn event<'a>(action: Action, patient: &Patient) -> AuditEvent<'a> {
    AuditEvent::new(action)
        .patient(patient.id)
        .service(patient.service_id)
}

/// The enrolment, its row locked, and its patient if the actor may see
/// them; `NotFound` otherwise, exactly as for an enrolment that does not exist.
pub(crate) async fn locked(
    work: &mut crate::work::Work<'_>,
    id: EnrolmentId,
) -> Result<(Enrolment, Patient), AppError> {
    let e = work
        .tx()
        .programme_enrolment(id, true)
        .await?
        .ok_or(AppError::NotFound)?;
    let patient = work.patient(e.patient_id).await?;
    Ok((e, patient))
}

/// Staff open module `module` of `e` (its row locked in `work`), which
/// must be the next one, with its audit event; a module already open is
/// left as it is. Also used by a review that unlocks the next module in
/// its own transaction.
pub(crate) async fn open_module(
    work: &mut crate::work::Work<'_>,
    e: &Enrolment,
    patient: &Patient,
    module: u32,
    by: StaffId,
    now: bothy_domain::time::Timestamp,
) -> Result<(), AppError> {
    let id = e.id;
    if e.module(module).is_none() {
        return Err(AppError::field("module", "There is no such module"));
    }
    if e.state(module) != ModuleState::Locked {
        return Ok(());
    }
    refuse_unless_active(e)?;
    if e.next_to_unlock() != Some(module) {
        return Err(AppError::Conflict(format!(
            "Modules open in order: module {} comes first.",
            e.next_to_unlock().unwrap_or(module)
        )));
    }
    let by = by.to_string();
    work.tx()
        .unlock_module(id, module, now, UnlockedBy::Staff, Some(&by))
        .await?;
    work.audit(
        event(Action::EnrolmentModuleUnlocked, patient)
            .detail(format!("enrolment {id}: module {module} opened by staff")),
    )
    .await?;
    Ok(())
}

fn refuse_unless_active(e: &Enrolment) -> Result<(), AppError> {
    match e.status {
        Status::Active => Ok(()),
        Status::Paused => Err(AppError::Conflict(
            "This programme is paused. Resume it to carry on.".into(),
        )),
        Status::Finished => Err(AppError::Conflict("This programme is finished.".into())),
    }
}

/// The enrolment as this transaction left it; then commits.
async fn reread(mut work: crate::work::Work<'_>, id: EnrolmentId) -> Result<Enrolment, AppError> {
    let e = work
        .tx()
        .programme_enrolment(id, false)
        .await?
        .ok_or(AppError::NotFound)?;
    work.finish().await?;
    Ok(e)
}

/// A patient's enrolments (the caller has checked the actor may see the
/// record), audited in the caller's unit of work.
pub(crate) async fn of_patient_in(
    work: &mut Work<'_>,
    patient: &Patient,
) -> Result<Vec<Enrolment>, AppError> {
    let list = work.tx().programme_enrolments_of(patient.id).await?;
    work.audit(
        AuditEvent::new(Action::EnrolmentRead)
            .patient(patient.id)
            .service(patient.service_id)
            .detail(format!("{} enrolments", list.len())),
    )
    .await?;
    Ok(list)
}

/// At most this many supporters are listed on the enrolment form; a
/// service with more names one by email address instead (a national
/// service has thousands, which no one can choose from a list).
pub const LISTED_SUPPORTERS: usize = 50;

/// Who the enrolment form offers as supporters, and the names of those
/// supporting the enrolments shown beside it.
#[derive(Debug, Clone, Default)]
pub struct SupporterChoices {
    /// Every possible supporter, by name, when there are at most
    /// `LISTED_SUPPORTERS`; otherwise empty, and the form asks for an email.
    pub listed: Vec<Supporter>,
    pub by_email: bool,
    /// The display names of the listed and of the enrolments' supporters.
    pub names: std::collections::HashMap<StaffId, String>,
}

/// Roles that may support someone through a programme: the clinical ones.
const SUPPORT_ROLES: [Role; 3] = [Role::Supporter, Role::TriageClinician, Role::ClinicalLead];

/// The service's staff who may support an enrolment, by name, reading no
/// more than one past the form's list, and the names of `enrolments`'
/// supporters.
pub(crate) async fn supporters_in(
    tx: &mut Tx,
    service: ServiceId,
    enrolments: &[Enrolment],
) -> Result<SupporterChoices, AppError> {
    let mut staff = tx
        .staff_in_roles(
            service,
            &SUPPORT_ROLES,
            StaffPick::AtMost(LISTED_SUPPORTERS as i64 + 1),
        )
        .await?;
    let by_email = staff.len() > LISTED_SUPPORTERS;
    if by_email {
        staff.clear();
    }
    staff.sort_by(|a, b| (a.name.as_str(), a.id).cmp(&(b.name.as_str(), b.id)));
    let listed: Vec<Supporter> = staff
        .into_iter()
        .map(|m| Supporter {
            id: m.id,
            name: m.name.to_string(),
        })
        .collect();
    let mut names: std::collections::HashMap<StaffId, String> =
        listed.iter().map(|s| (s.id, s.name.clone())).collect();
    let unnamed: Vec<StaffId> = enrolments
        .iter()
        .filter_map(|e| e.supporter_id)
        .filter(|id| !names.contains_key(id))
        .collect();
    names.extend(tx.staff_names(&unnamed).await?);
    Ok(SupporterChoices {
        listed,
        by_email,
        names,
    })
}
