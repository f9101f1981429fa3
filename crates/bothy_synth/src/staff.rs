//! The service's staff: per 2,000 patients a year, two triage clinicians,
//! five supporters and a clinical lead (at least one of each). They have no
//! passwords: they exist to own decisions, caseloads and alert closures.

use crate::rng::Rng;
use bothy_domain::StaffId;
use bothy_domain::role::Role;

#[derive(Debug, Clone, PartialEq)]
pub struct StaffPlan {
    pub id: StaffId,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// The staff of a service with `patients` patients.
pub fn plan(r: &mut Rng, slug: &str, patients: u64) -> Vec<StaffPlan> {
    const NAMES: [&str; 12] = [
        "Morgan", "Riley", "Jordan", "Casey", "Taylor", "Quinn", "Avery", "Robin", "Jamie", "Drew",
        "Skye", "Rowan",
    ];
    let units = patients.div_ceil(2_000).max(1);
    let mut out = Vec::new();
    for (role, word, per_unit) in [
        (Role::TriageClinician, "triage", 2),
        (Role::Supporter, "supporter", 5),
        (Role::ClinicalLead, "lead", 1),
    ] {
        for n in 1..=units * per_unit {
            out.push(StaffPlan {
                id: StaffId::from_uuid(r.uuid()),
                email: format!("{word}{n}@{slug}.synth.bothy.test"),
                name: format!("{} {} {n}", r.choose(&NAMES), capitalised(word)),
                role,
            });
        }
    }
    out
}

fn capitalised(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The ids by role, as generation uses them.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    pub triage: Vec<StaffId>,
    pub supporters: Vec<StaffId>,
    /// Triage clinicians and clinical leads: who works the duty queue.
    pub duty: Vec<StaffId>,
}

impl Roster {
    /// The roster of staff given as `(id, role)`.
    pub fn of_roles(staff: &[(StaffId, Role)]) -> Self {
        let ids = |roles: &[Role]| {
            staff
                .iter()
                .filter(|(_, r)| roles.contains(r))
                .map(|(id, _)| *id)
                .collect()
        };
        Roster {
            triage: ids(&[Role::TriageClinician]),
            supporters: ids(&[Role::Supporter]),
            duty: ids(&[Role::TriageClinician, Role::ClinicalLead]),
        }
    }

    pub fn of(plan: &[StaffPlan]) -> Self {
        let staff: Vec<(StaffId, Role)> = plan.iter().map(|s| (s.id, s.role)).collect();
        Roster::of_roles(&staff)
    }
}
