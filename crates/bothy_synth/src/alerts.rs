//! Risk alerts for responses that answer a risk item, as the risk-item
//! detector raises them, and how the duty team dealt with them: alerts more
//! than two days old are closed with an outcome, newer ones are open (half
//! of them acknowledged). A signal while the patient's risk alert is still
//! open joins it, as the partial unique index of open alerts requires.

use crate::referrals::{DAY, HOUR};
use crate::rng::Rng;
use bothy_domain::StaffId;
use bothy_domain::alerts::{AlertState, Outcome, Severity};
use bothy_domain::detectors::config::RiskItemConfig;
use bothy_domain::detectors::risk_item;
use bothy_domain::ids::AlertId;
use bothy_domain::instruments::Instrument;
use bothy_domain::model::{Alert, MeasureResponse};
use bothy_domain::time::{from_millis, to_millis};

/// How long the duty team has, by severity (the default deadlines, without
/// opening hours: a high alert raised at night is simply due four hours later).
fn allowance(severity: Severity) -> i64 {
    match severity {
        Severity::Urgent => HOUR / 2,
        Severity::High => 4 * HOUR,
        Severity::Moderate => 2 * DAY,
        Severity::Low => 5 * DAY,
    }
}

const OUTCOMES: [(u8, f64); 5] = [(0, 0.55), (1, 0.2), (2, 0.15), (3, 0.03), (4, 0.07)];

fn outcome(r: &mut Rng) -> Outcome {
    match r.pick(&OUTCOMES) {
        0 => Outcome::ContactedPerson,
        1 => Outcome::SafetyPlanReviewed,
        2 => Outcome::AppointmentOffered,
        3 => Outcome::EscalatedToCrisisTeam,
        _ => Outcome::NoActionNeeded {
            reason: "Spoke with their supporter today; plan in place".into(),
        },
    }
}

/// Raises (or merges into `alerts`) the alert for `response`, if it
/// answered a risk item.
#[allow(clippy::too_many_arguments)]
pub fn on_response(
    r: &mut Rng,
    inst: &Instrument,
    config: &RiskItemConfig,
    response: &MeasureResponse,
    practitioner: StaffId,
    duty: &[StaffId],
    now: i64,
    alerts: &mut Vec<Alert>,
) {
    let Some(signal) = risk_item::detect(inst, &response.answers, config)
        .into_iter()
        .next()
    else {
        return;
    };
    let at = to_millis(response.submitted_at);
    if let Some(open) = alerts.iter_mut().rev().find(|a| match &a.state {
        AlertState::Closed { at: closed, .. } => to_millis(*closed) > at,
        _ => true,
    }) {
        open.signal_count += 1;
        open.last_signal_at = response.submitted_at;
        if signal.severity > open.severity {
            open.severity = signal.severity;
            open.summary = signal.summary;
        }
        return;
    }
    let deadline = at + allowance(signal.severity);
    let by = *r.choose(duty);
    let acknowledged_at = at + r.range(5, 90) * 60_000;
    let (state, acknowledged) = if at < now - 2 * DAY {
        let closed_at = acknowledged_at + r.range(10, 180) * 60_000;
        (
            AlertState::Closed {
                by,
                at: from_millis(closed_at),
                outcome: outcome(r),
            },
            Some((by, from_millis(acknowledged_at))),
        )
    } else if acknowledged_at < now && r.chance(0.5) {
        let at = from_millis(acknowledged_at);
        (AlertState::Acknowledged { by, at }, Some((by, at)))
    } else {
        (AlertState::Open, None)
    };
    alerts.push(Alert {
        id: AlertId::from_uuid(r.uuid()),
        patient_id: Some(response.patient_id),
        referral_id: None,
        close_note: None,
        service_id: response.service_id,
        cause: signal.cause,
        dedupe_key: signal.dedupe_key,
        severity: signal.severity,
        summary: signal.summary,
        source_kind: "measure_response".into(),
        source_id: response.id.to_string(),
        assigned_to: Some(practitioner),
        raised_at: response.submitted_at,
        deadline: from_millis(deadline),
        signal_count: 1,
        last_signal_at: response.submitted_at,
        state,
        acknowledged,
        escalated_at: None,
    });
}
