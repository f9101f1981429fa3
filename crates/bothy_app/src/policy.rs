//! Authorization, decided in one place from who is asking (role, service,
//! relationship to the patient). Routes declare an [`Access`]; the web layer
//! asks [`allows`] before the handler runs, and use cases ask
//! [`can_view_patient`] for the record itself.

use bothy_domain::model::{Patient, RoleGrant};
use bothy_domain::role::{ApiPermission, Role};
use bothy_domain::{ApiClientId, PatientId, ServiceId, StaffId};

/// Who is making a request.
#[derive(Debug, Clone)]
pub enum Actor {
    Anonymous,
    /// The deployment itself: `bothy admin`, the worker. Never a web request.
    System,
    /// Staff who gave a correct password but have not yet given their second
    /// factor (or not yet set one up): they may do nothing but that.
    StaffPending {
        id: StaffId,
    },
    Staff(StaffActor),
    Patient(PatientActor),
    Api(ApiActor),
}

impl Actor {
    /// The service the actor works in or belongs to, if any.
    pub fn service_id(&self) -> Option<ServiceId> {
        match self {
            Actor::Staff(s) => Some(s.service_id),
            Actor::Patient(p) => Some(p.service_id),
            Actor::Api(a) => Some(a.service_id),
            Actor::Anonymous | Actor::System | Actor::StaffPending { .. } => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct StaffActor {
    pub id: StaffId,
    pub name: String,
    pub grants: Vec<RoleGrant>,
    /// The service this session is working in.
    pub service_id: ServiceId,
}

impl StaffActor {
    pub fn roles(&self) -> impl Iterator<Item = Role> + '_ {
        self.grants
            .iter()
            .filter(|g| g.service_id == self.service_id)
            .map(|g| g.role)
    }
    pub fn has(&self, p: Permission) -> bool {
        self.roles().any(|r| role_grants(r, p))
    }
    /// The first role held in the current service, recorded in audit events.
    pub fn main_role(&self) -> Option<Role> {
        self.roles().next()
    }
}

#[derive(Debug, Clone)]
pub struct PatientActor {
    pub id: PatientId,
    pub service_id: ServiceId,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct ApiActor {
    pub id: ApiClientId,
    pub service_id: ServiceId,
    pub name: String,
    pub permissions: Vec<ApiPermission>,
}

/// What a staff role may do within its service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See the staff home page.
    Workspace,
    /// Open any patient record in the service.
    AllPatients,
    /// Open records of patients on one's own caseload.
    OwnCaseload,
    /// Manage staff and API clients.
    ManageStaff,
    /// See aggregate figures (never individuals).
    Reports,
    /// Work the triage queue and the waiting list: decide on referrals.
    Triage,
    /// Enter a referral for a GP or other professional.
    Refer,
    /// Work the service's alert queue: see, acknowledge and close any alert.
    DutyQueue,
    /// Moderate peer support: the queue, moderation actions, groups and
    /// their figures. Group names and posts only, never a clinical record.
    Moderate,
}

/// The role table. Least privilege: an administrator runs the service but
/// does not read clinical records; an analyst sees only aggregates.
pub fn role_grants(role: Role, p: Permission) -> bool {
    use Permission::*;
    match role {
        Role::Admin => matches!(p, Workspace | ManageStaff | Reports | Refer),
        Role::TriageClinician => {
            matches!(p, Workspace | AllPatients | Triage | Refer | DutyQueue)
        }
        Role::Supporter => matches!(p, Workspace | OwnCaseload),
        Role::ClinicalLead => matches!(
            p,
            Workspace | AllPatients | Reports | Triage | Refer | DutyQueue | Moderate
        ),
        Role::Moderator => matches!(p, Workspace | Moderate),
        Role::Analyst => matches!(p, Workspace | Reports),
    }
}

/// What a route requires, declared where the route is registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Staff part-way through sign-in (password given, second factor not).
    StaffPending,
    /// Any signed-in person: staff (with second factor) or patient.
    SignedIn,
    /// Staff holding this permission in their current service.
    Staff(Permission),
    /// Staff who may open patient records (all, or their own caseload); the
    /// record itself is checked by [`can_view_patient`].
    StaffPatients,
    /// A signed-in patient, acting for themself.
    Patient,
    /// An API client holding this permission.
    Api(ApiPermission),
    /// An API client holding any of these permissions.
    ApiAny(&'static [ApiPermission]),
}

/// Whether `actor` may call a route that requires `access`.
pub fn allows(actor: &Actor, access: Access) -> bool {
    match (access, actor) {
        (Access::Public, _) => true,
        (Access::StaffPending, Actor::StaffPending { .. }) => true,
        (Access::SignedIn, Actor::Staff(_) | Actor::Patient(_)) => true,
        (Access::Staff(p), Actor::Staff(s)) => s.has(p),
        (Access::StaffPatients, Actor::Staff(s)) => {
            s.has(Permission::AllPatients) || s.has(Permission::OwnCaseload)
        }
        (Access::Patient, Actor::Patient(_)) => true,
        (Access::Api(p), Actor::Api(a)) => a.permissions.contains(&p),
        (Access::ApiAny(ps), Actor::Api(a)) => ps.iter().any(|p| a.permissions.contains(p)),
        _ => false,
    }
}

/// Whether `actor` may see this patient's record.
pub fn can_view_patient(actor: &Actor, patient: &Patient) -> bool {
    match actor {
        Actor::Staff(s) => {
            let in_service = |p: Permission| {
                s.grants.iter().any(|g| {
                    g.service_id == patient.service_id
                        && g.service_id == s.service_id
                        && role_grants(g.role, p)
                })
            };
            in_service(Permission::AllPatients)
                || (in_service(Permission::OwnCaseload)
                    && (patient.supporter_id == Some(s.id)
                        || patient.programme_supporters.contains(&s.id)))
        }
        Actor::Patient(p) => p.id == patient.id,
        Actor::Api(a) => {
            a.service_id == patient.service_id
                && a.permissions.contains(&ApiPermission::PatientRead)
        }
        Actor::Anonymous | Actor::System | Actor::StaffPending { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_analyst_admin_and_lead_see_reports_and_only_clinicians_see_records() {
        for role in Role::ALL {
            let clinical = matches!(
                role,
                Role::TriageClinician | Role::ClinicalLead | Role::Supporter
            );
            assert_eq!(
                role_grants(role, Permission::AllPatients)
                    || role_grants(role, Permission::OwnCaseload),
                clinical,
                "{role}"
            );
            assert!(role_grants(role, Permission::Workspace));
        }
        assert!(!role_grants(Role::Analyst, Permission::AllPatients));
        assert!(!role_grants(Role::Moderator, Permission::Reports));
    }
}

#[cfg(test)]
mod moderation_tests {
    use super::*;

    #[test]
    fn only_moderators_and_clinical_leads_moderate_peer_support() {
        for role in Role::ALL {
            assert_eq!(
                role_grants(role, Permission::Moderate),
                matches!(role, Role::Moderator | Role::ClinicalLead),
                "{role}"
            );
        }
        // A moderator opens no record.
        assert!(!role_grants(Role::Moderator, Permission::AllPatients));
        assert!(!role_grants(Role::Moderator, Permission::OwnCaseload));
    }
}
