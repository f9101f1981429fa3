//! The staff home's parts, one per role that has one: a supporter's
//! caseload in order of need, a triage clinician's front door in counts,
//! and a clinical lead's view of the team's overdue work. Each is read in
//! the home's one unit of work with a fixed number of statements, whatever
//! the number of people listed.

use crate::policy::{Actor, can_view_patient};
use bothy_domain::caseload::{Need, by_need};
use bothy_domain::ids::ReferralId;
use bothy_domain::model::Patient;
use bothy_domain::programmes::Programme;
use bothy_domain::time::Timestamp;
use bothy_domain::{PatientId, ServiceId, StaffId};
/// A triage clinician's front door, in counts.
pub use bothy_store::FrontDoorCounts as FrontDoor;
pub use bothy_store::OverdueAlert;
use bothy_store::{OnCaseload, ProgrammeProgress, StoreError, Tx};
use std::collections::HashMap;

/// How many people a supporter's caseload shows at most: every one of
/// them must be ordered by need, so the bound is well above a caseload's
/// usual size rather than a page.
pub const CASELOAD_LIMIT: i64 = 200;

/// How many overdue alerts a clinical lead's home lists.
pub const OVERDUE_SHOWN: i64 = 50;

/// One person on a supporter's caseload.
#[derive(Debug, Clone)]
pub struct CaseloadRow {
    pub patient: Patient,
    /// Whether the supporter may open the record (someone on a programme
    /// they support but whose supporter is someone else may not).
    pub may_open: bool,
    pub open_alerts: i64,
    /// The referral that found risk, when it did.
    pub risk_referral: Option<ReferralId>,
    /// Each programme: its title, modules finished, modules in all, status.
    pub programmes: Vec<(String, i64, usize, String)>,
    /// Days since `need.last_activity`.
    pub quiet_days: i64,
    /// When the earliest programme review of theirs falls due, if any.
    pub review_due: Option<Timestamp>,
    pub need: Need,
}

/// What a caseload's rows need beside each person's figures.
pub(crate) struct CaseloadInputs {
    pub progress: HashMap<PatientId, Vec<ProgrammeProgress>>,
    /// The earliest next review of each person's active enrolments.
    pub reviews_due: HashMap<PatientId, Timestamp>,
}

impl CaseloadInputs {
    /// Programme progress and reviews due for `people` on `supporter`'s
    /// caseload in `service`, whose reviews fall due every `review_days`:
    /// two statements.
    pub async fn read(
        tx: &mut Tx,
        people: &[OnCaseload],
        (service, supporter): (ServiceId, StaffId),
        review_days: u32,
    ) -> Result<Self, StoreError> {
        let ids: Vec<PatientId> = people.iter().map(|p| p.listed.patient.id).collect();
        let mut reviews_due: HashMap<PatientId, Timestamp> = HashMap::new();
        for r in tx.review_queue(service, Some(supporter)).await? {
            let due = bothy_domain::reviews::next_due(r.enrolled_at, r.last_review_at, review_days);
            let earliest = reviews_due.entry(r.patient_id).or_insert(due);
            *earliest = (*earliest).min(due);
        }
        Ok(CaseloadInputs {
            reviews_due,
            progress: tx.programme_progress(&ids).await?,
        })
    }
}

/// The one place a caseload row is built (a later column, such as a
/// review due, is added here and, if it orders the list, to the `Need`).
pub(crate) fn caseload_row(
    actor: &Actor,
    person: OnCaseload,
    inputs: &CaseloadInputs,
    programmes: &[Programme],
    now: Timestamp,
) -> CaseloadRow {
    let patient = person.listed.patient;
    let id = patient.id;
    // Someone who has done nothing is as quiet as their time on record.
    let last_activity = person
        .last_activity
        .map_or(patient.created_at, |at| at.max(patient.created_at));
    let programmes = inputs
        .progress
        .get(&id)
        .map(|list| {
            list.iter()
                .map(|e| {
                    let p = programmes.iter().find(|p| p.id == e.programme_id);
                    (
                        p.map_or_else(|| e.programme_id.clone(), |p| p.title.clone()),
                        e.modules_done,
                        p.map_or(0, |p| p.modules.len()),
                        e.status.clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    CaseloadRow {
        may_open: can_view_patient(actor, &patient),
        open_alerts: person.listed.open_alerts,
        risk_referral: person.listed.risk_referral,
        programmes,
        quiet_days: (now.as_millisecond() - last_activity.as_millisecond()).max(0) / 86_400_000,
        review_due: inputs.reviews_due.get(&id).copied(),
        need: Need {
            highest_alert: person.highest_alert,
            risk_at_referral: person.listed.risk_referral.is_some(),
            unread_messages: person.unread_messages,
            review_overdue: inputs.reviews_due.get(&id).is_some_and(|due| *due <= now),
            last_activity,
        },
        patient,
    }
}

/// The one place the caseload is ordered: by name first, so that people
/// equal in need keep a steady order, then by need.
pub(crate) fn sort_caseload(rows: &mut [CaseloadRow]) {
    rows.sort_by(|a, b| {
        (
            a.patient.family_name.as_str(),
            a.patient.given_name.as_str(),
        )
            .cmp(&(
                b.patient.family_name.as_str(),
                b.patient.given_name.as_str(),
            ))
    });
    rows.sort_by(|a, b| by_need(&a.need, &b.need));
}

/// One supporter's caseload as a clinical lead sees it.
#[derive(Debug, Clone)]
pub struct TeamMember {
    pub id: StaffId,
    pub name: String,
    pub people: i64,
    /// People with no activity for `bothy_domain::caseload::QUIET_DAYS`.
    pub quiet: i64,
}

/// A clinical lead's view of the team's overdue work. Each supporter's
/// load is on a page of its own (`team`): it counts every person on a
/// caseload in the service, which the home, read hundreds of times a
/// second, must not.
#[derive(Debug, Clone, Default)]
pub struct Oversight {
    pub overdue: Vec<OverdueAlert>,
    /// How many alerts are overdue in all (`overdue` lists the first).
    pub overdue_total: i64,
}

/// The team's overdue work: the first overdue alerts with the names of
/// the staff they mention, and their count, in one statement.
pub(crate) async fn oversight(
    tx: &mut Tx,
    service: bothy_domain::ServiceId,
    now: Timestamp,
) -> Result<Oversight, StoreError> {
    let (overdue, overdue_total) = tx.overdue_alerts(service, now, OVERDUE_SHOWN).await?;
    Ok(Oversight {
        overdue,
        overdue_total,
    })
}

/// Each supporter of the service (and anyone else with people on their
/// caseload), how many people they have and how many are quiet: two
/// statements, the second over every caseload in the service.
pub(crate) async fn team(
    tx: &mut Tx,
    service: bothy_domain::ServiceId,
    now: Timestamp,
) -> Result<Vec<TeamMember>, StoreError> {
    let staff = tx.staff_of_service(service).await?;
    let quiet_before = now
        .checked_sub(jiff::SignedDuration::from_hours(
            24 * bothy_domain::caseload::QUIET_DAYS,
        ))
        .unwrap_or(now);
    let loads = tx.supporter_loads(service, quiet_before).await?;
    let mut team: Vec<TeamMember> = Vec::new();
    for (m, roles) in &staff {
        if team.iter().any(|t| t.id == m.id) {
            continue;
        }
        let supports =
            roles.contains(&bothy_domain::role::Role::Supporter) && m.disabled_at.is_none();
        let load = loads.iter().find(|l| l.supporter_id == m.id);
        if supports || load.is_some() {
            team.push(TeamMember {
                id: m.id,
                name: m.name.as_str().to_string(),
                people: load.map_or(0, |l| l.people),
                quiet: load.map_or(0, |l| l.quiet),
            });
        }
    }
    Ok(team)
}
