//! A person enrolled on a programme: the programme as it was when they
//! were enrolled (its content pinned, so later edits of the files never
//! change what they see or have done), its status, and each module's
//! progress. Modules open in order: the first at enrolment, each next one
//! when the one before is finished or when staff open it.

use super::model::Programme;
use crate::ids::EnrolmentId;
use crate::time::Timestamp;
use crate::{PatientId, ServiceId, StaffId};

/// Where an enrolment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    /// Paused by the person or their care team: nothing opens or finishes
    /// until it is resumed.
    Paused,
    /// Every module done. A person may be enrolled on the programme again.
    Finished,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Paused => "paused",
            Status::Finished => "finished",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [Status::Active, Status::Paused, Status::Finished]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// In plain words, for pages.
    pub fn label(self) -> &'static str {
        match self {
            Status::Active => "Active",
            Status::Paused => "Paused",
            Status::Finished => "Finished",
        }
    }
}

/// Who opened a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlockedBy {
    /// Opened at enrolment (the first module).
    Enrolment,
    /// Opened because the module before it was finished.
    Completion,
    /// Opened by a member of staff.
    Staff,
}

impl UnlockedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            UnlockedBy::Enrolment => "enrolment",
            UnlockedBy::Completion => "completion",
            UnlockedBy::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<UnlockedBy> {
        [
            UnlockedBy::Enrolment,
            UnlockedBy::Completion,
            UnlockedBy::Staff,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// One opened module's progress. Modules not yet opened have none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleProgress {
    /// 1-based, in the programme's order.
    pub module: u32,
    pub unlocked_at: Timestamp,
    pub unlocked_by: UnlockedBy,
    /// The staff member or patient who caused it, if anyone did.
    pub unlocked_by_id: Option<String>,
    pub completed_at: Option<Timestamp>,
}

/// A module as the person sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleState {
    Locked,
    Open,
    Done,
}

/// An enrolment with its pinned programme and its progress.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub id: EnrolmentId,
    pub patient_id: PatientId,
    pub service_id: ServiceId,
    /// The programme's content as it was at enrolment.
    pub programme: Programme,
    pub supporter_id: Option<StaffId>,
    pub status: Status,
    pub enrolled_at: Timestamp,
    pub enrolled_by: StaffId,
    pub paused_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// Opened modules, by number.
    pub progress: Vec<ModuleProgress>,
}

impl Enrolment {
    /// How many modules the pinned programme has.
    pub fn total(&self) -> u32 {
        u32::try_from(self.programme.modules.len()).unwrap_or(u32::MAX)
    }

    /// How many modules are done.
    pub fn done(&self) -> u32 {
        let n = self
            .progress
            .iter()
            .filter(|p| p.completed_at.is_some())
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Module `number`'s progress, if it has been opened.
    pub fn module_progress(&self, number: u32) -> Option<&ModuleProgress> {
        self.progress.iter().find(|p| p.module == number)
    }

    pub fn state(&self, number: u32) -> ModuleState {
        match self.module_progress(number) {
            None => ModuleState::Locked,
            Some(p) if p.completed_at.is_some() => ModuleState::Done,
            Some(_) => ModuleState::Open,
        }
    }

    /// The first module that is open and not done: where the person goes next.
    pub fn next_module(&self) -> Option<u32> {
        (1..=self.total()).find(|n| self.state(*n) == ModuleState::Open)
    }

    /// The module staff would open next: the one after the last opened,
    /// if there is one (modules open in order).
    pub fn next_to_unlock(&self) -> Option<u32> {
        let last = self.progress.iter().map(|p| p.module).max().unwrap_or(0);
        (last < self.total()).then_some(last + 1)
    }

    /// The 1-based number of the module with this id in the pinned programme.
    pub fn module_number(&self, id: &str) -> Option<u32> {
        let at = self.programme.modules.iter().position(|m| m.id == id)?;
        u32::try_from(at + 1).ok()
    }

    /// Module `number` of the pinned programme.
    pub fn module(&self, number: u32) -> Option<&super::model::Module> {
        let at = usize::try_from(number).ok()?.checked_sub(1)?;
        self.programme.modules.get(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::programmes::model::{Kind, Module};

    fn module(id: &str) -> Module {
        Module {
            id: id.into(),
            title: id.into(),
            minutes: 10,
            measures: Vec::new(),
            homework: String::new(),
            pages: Vec::new(),
        }
    }

    fn enrolment(progress: &[(u32, bool)]) -> Enrolment {
        let at: Timestamp = "2026-11-17T10:00:00Z".parse().unwrap();
        Enrolment {
            id: EnrolmentId::random(),
            patient_id: PatientId::random(),
            service_id: ServiceId::random(),
            programme: Programme {
                id: "p".into(),
                title: "P".into(),
                condition: "depression".into(),
                population: "adults".into(),
                version: "1.0.0".into(),
                licence: "CC-BY-SA-4.0".into(),
                reading_age: 11,
                authors: Vec::new(),
                clinical_reviewer: String::new(),
                reviewed_on: String::new(),
                kind: Kind::Guided,
                introduction: Vec::new(),
                modules: vec![module("01-a"), module("02-b"), module("03-c")],
            },
            supporter_id: None,
            status: Status::Active,
            enrolled_at: at,
            enrolled_by: StaffId::random(),
            paused_at: None,
            finished_at: None,
            progress: progress
                .iter()
                .map(|(n, done)| ModuleProgress {
                    module: *n,
                    unlocked_at: at,
                    unlocked_by: UnlockedBy::Enrolment,
                    unlocked_by_id: None,
                    completed_at: done.then_some(at),
                })
                .collect(),
        }
    }

    #[test]
    fn modules_open_in_order_and_the_next_step_is_the_first_open_one() {
        let e = enrolment(&[(1, false)]);
        assert_eq!(e.state(1), ModuleState::Open);
        assert_eq!(e.state(2), ModuleState::Locked);
        assert_eq!((e.done(), e.total()), (0, 3));
        assert_eq!(e.next_module(), Some(1));
        assert_eq!(e.next_to_unlock(), Some(2));

        let e = enrolment(&[(1, true), (2, false)]);
        assert_eq!(e.state(1), ModuleState::Done);
        assert_eq!(e.next_module(), Some(2));
        assert_eq!(e.next_to_unlock(), Some(3));
        assert_eq!(e.module_number("02-b"), Some(2));
        assert_eq!(e.module(2).map(|m| m.id.as_str()), Some("02-b"));
        assert!(e.module(0).is_none() && e.module(4).is_none());

        let e = enrolment(&[(1, true), (2, true), (3, true)]);
        assert_eq!(e.next_module(), None);
        assert_eq!(e.next_to_unlock(), None);
        assert_eq!(e.done(), 3);
    }

    #[test]
    fn stored_names_read_back() {
        for s in [Status::Active, Status::Paused, Status::Finished] {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for u in [
            UnlockedBy::Enrolment,
            UnlockedBy::Completion,
            UnlockedBy::Staff,
        ] {
            assert_eq!(UnlockedBy::parse(u.as_str()), Some(u));
        }
        assert_eq!(Status::parse("deleted"), None);
    }
}
