//! The staff home's parts, one per role that has one: a supporter's
//! caseload in order of need, a triage clinician's front door in counts,
//! and a clinical lead's view of the team's overdue work. Each is read in
//! the home's one transaction with a fixed number of statements, whatever
//! the number of people listed.

use crate::policy::{Actor, can_view_patient};
use bothy_domain::alerts::Severity;
use bothy_domain::caseload::{Need, by_need};
use bothy_domain::ids::ReferralId;
use bothy_domain::model::{Alert, Patient};
use bothy_domain::programmes::Programme;
use bothy_domain::time::Timestamp;
use bothy_domain::{PatientId, ServiceId, StaffId};
use bothy_store::{ProgrammeProgress, StoreError, Tx};
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

/// A supporter's caseload, read in one go.
pub(crate) struct CaseloadInputs {
    pub alerts: HashMap<PatientId, (i64, Severity)>,
    pub risk: HashMap<PatientId, ReferralId>,
    pub unread: HashMap<PatientId, i64>,
    /// When each person last did something; absent if they have done nothing.
    pub activity: HashMap<PatientId, Timestamp>,
    pub progress: HashMap<PatientId, Vec<ProgrammeProgress>>,
    /// The earliest next review of each person's active enrolments.
    pub reviews_due: HashMap<PatientId, Timestamp>,
}

impl CaseloadInputs {
    /// Everything the rows need, for `patients` on `supporter`'s caseload in
    /// `service`, whose reviews fall due every `review_days`: six statements.
    pub async fn read(
        tx: &mut Tx,
        patients: &[Patient],
        (service, supporter): (ServiceId, StaffId),
        review_days: u32,
    ) -> Result<Self, StoreError> {
        let ids: Vec<PatientId> = patients.iter().map(|p| p.id).collect();
        let mut reviews_due: HashMap<PatientId, Timestamp> = HashMap::new();
        for r in tx.review_queue(service, Some(supporter)).await? {
            let due = bothy_domain::reviews::next_due(r.enrolled_at, r.last_review_at, review_days);
            let earliest = reviews_due.entry(r.patient_id).or_insert(due);
            *earliest = (*earliest).min(due);
        }
        Ok(CaseloadInputs {
            reviews_due,
            alerts: tx.open_alert_summary(&ids).await?,
            risk: tx.risk_at_referral(&ids).await?,
            unread: tx
                .unread_messages_by_patient(&ids)
                .await?
                .into_iter()
                .collect(),
            activity: tx.last_activity(&ids).await?,
            progress: tx.programme_progress(&ids).await?,
        })
    }
}

/// The one place a caseload row is built (a later column, such as a
/// review due, is added here and, if it orders the list, to the `Need`).
pub(crate) fn caseload_row(
    actor: &Actor,
    patient: Patient,
    inputs: &CaseloadInputs,
    programmes: &[Programme],
    now: Timestamp,
) -> CaseloadRow {
    let id = patient.id;
    let (open_alerts, highest) = inputs
        .alerts
        .get(&id)
        .map_or((0, None), |(n, s)| (*n, Some(*s)));
    // Someone who has done nothing is as quiet as their time on record.
    let last_activity = inputs
        .activity
        .get(&id)
        .map_or(patient.created_at, |at| (*at).max(patient.created_at));
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
    let risk_referral = inputs.risk.get(&id).copied();
    CaseloadRow {
        may_open: can_view_patient(actor, &patient),
        open_alerts,
        risk_referral,
        programmes,
        quiet_days: (now.as_millisecond() - last_activity.as_millisecond()).max(0) / 86_400_000,
        review_due: inputs.reviews_due.get(&id).copied(),
        need: Need {
            highest_alert: highest,
            risk_at_referral: risk_referral.is_some(),
            unread_messages: inputs.unread.get(&id).copied().unwrap_or(0),
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

/// A triage clinician's front door, in counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrontDoor {
    pub referrals: i64,
    pub referrals_with_risk: i64,
    pub waiting: i64,
    pub open_alerts: i64,
    pub overdue_alerts: i64,
}

/// An alert past its deadline, with whom it is with.
#[derive(Debug, Clone)]
pub struct OverdueAlert {
    pub alert: Alert,
    /// The practitioner it was assigned to when raised, by name.
    pub assigned_to: Option<String>,
    /// Who acknowledged it, by name, if anyone has.
    pub acknowledged_by: Option<String>,
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

/// The front door: two statements.
pub(crate) async fn front_door(
    tx: &mut Tx,
    service: bothy_domain::ServiceId,
    now: Timestamp,
) -> Result<FrontDoor, StoreError> {
    let c = tx.front_door_counts(service).await?;
    let (open_alerts, overdue_alerts) = tx.duty_queue_counts(service, now).await?;
    Ok(FrontDoor {
        referrals: c.referrals,
        referrals_with_risk: c.referrals_with_risk,
        waiting: c.waiting,
        open_alerts,
        overdue_alerts,
    })
}

/// The team's overdue work: three statements on open alerts, and one for
/// the names of the staff they mention.
pub(crate) async fn oversight(
    tx: &mut Tx,
    service: bothy_domain::ServiceId,
    now: Timestamp,
) -> Result<Oversight, StoreError> {
    let overdue_total = tx.overdue_count(service, now).await?;
    let alerts = tx.overdue_alerts(service, now, OVERDUE_SHOWN).await?;
    // Only the few staff these alerts name, not the whole service's staff
    // (4,000 at a million patients).
    let named: Vec<StaffId> = alerts
        .iter()
        .flat_map(|a| {
            a.assigned_to
                .into_iter()
                .chain(a.acknowledged.map(|(by, _)| by))
        })
        .collect();
    let staff = tx.staff_names(&named).await?;
    let name = |id: StaffId| staff.get(&id).cloned();
    Ok(Oversight {
        overdue: alerts
            .into_iter()
            .map(|a| OverdueAlert {
                assigned_to: a.assigned_to.and_then(name),
                acknowledged_by: a.acknowledged.and_then(|(by, _)| name(by)),
                alert: a,
            })
            .collect(),
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
