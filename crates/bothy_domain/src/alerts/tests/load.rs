use super::*;
use crate::alerts::{AlertLoad, AlertSample, percentile_nearest_rank};
use crate::ids::{ServiceId, StaffId};

#[test]
fn nearest_rank_percentiles_on_small_lists() {
    let none: [i64; 0] = [];
    assert_eq!(percentile_nearest_rank(&none, 50), None);

    assert_eq!(percentile_nearest_rank(&[7], 50), Some(7));
    assert_eq!(percentile_nearest_rank(&[7], 90), Some(7));

    // Two values: the median is the lower, the 90th percentile the higher.
    assert_eq!(percentile_nearest_rank(&[3, 8], 50), Some(3));
    assert_eq!(percentile_nearest_rank(&[3, 8], 90), Some(8));

    let ten: Vec<i64> = (1..=10).collect();
    assert_eq!(percentile_nearest_rank(&ten, 50), Some(5));
    assert_eq!(percentile_nearest_rank(&ten, 90), Some(9));
    assert_eq!(percentile_nearest_rank(&ten, 91), Some(10));
    assert_eq!(percentile_nearest_rank(&ten, 100), Some(10));
    assert_eq!(percentile_nearest_rank(&ten, 0), Some(1));
    assert_eq!(percentile_nearest_rank(&ten, 250), Some(10));
    assert_eq!(percentile_nearest_rank(&ten[..9], 50), Some(5));
}

struct Alert<'a> {
    service: ServiceId,
    clinician: Option<StaffId>,
    cause: &'a str,
    raised: &'a str,
    acked_after_minutes: Option<i64>,
    due: &'a str,
    closed: bool,
}

fn sample(a: Alert) -> AlertSample {
    let raised_at = uk(a.raised);
    AlertSample {
        service: a.service,
        clinician: a.clinician,
        cause: a.cause.into(),
        raised_at,
        acknowledged_at: a.acked_after_minutes.map(|m| raised_at + mins(m)),
        deadline: uk(a.due),
        closed: a.closed,
    }
}

#[test]
fn load_per_service_and_clinician() {
    let (north, south) = {
        let mut ids = [ServiceId::random(), ServiceId::random()];
        ids.sort();
        (ids[0], ids[1])
    };
    let (ana, ben) = {
        let mut ids = [StaffId::random(), StaffId::random()];
        ids.sort();
        (ids[0], ids[1])
    };
    let now = uk("2026-03-10T15:00");
    let alert = |clinician, cause, acked, due, closed| {
        sample(Alert {
            service: north,
            clinician,
            cause,
            raised: "2026-03-10T10:00",
            acked_after_minutes: acked,
            due,
            closed,
        })
    };
    let mut alerts = vec![
        alert(Some(ana), "risk_item", Some(10), "2026-03-10T14:00", true),
        alert(Some(ana), "risk_item", Some(30), "2026-03-10T14:00", false), // overdue
        alert(Some(ana), "mood_drop", None, "2026-03-12T10:00", false),
        alert(
            Some(ben),
            "deterioration",
            Some(5),
            "2026-03-10T14:00",
            false,
        ), // overdue
        alert(Some(ben), "free_text", Some(60), "2026-03-10T15:00", false), // due now: not overdue
        alert(None, "disengagement", None, "2026-03-10T10:30", false),      // overdue
        // Acknowledged before it was raised (clock skew): counts as zero.
        alert(Some(ben), "risk_item", Some(-3), "2026-03-12T10:00", false),
    ];
    alerts.push(sample(Alert {
        service: south,
        clinician: Some(ana),
        cause: "risk_item",
        raised: "2026-03-09T10:00",
        acked_after_minutes: Some(120),
        due: "2026-03-09T10:30",
        closed: true,
    }));

    let load = AlertLoad::compute(&alerts, now);
    assert_eq!(load.services.len(), 2);

    let n = &load.services[0];
    assert_eq!(n.service, north);
    assert_eq!(n.stats.raised, 7);
    assert_eq!(n.stats.unacknowledged, 2);
    // Times: 0, 5, 10, 30, 60 minutes.
    assert_eq!(n.stats.median_time_to_acknowledge, Some(mins(10)));
    assert_eq!(n.stats.p90_time_to_acknowledge, Some(mins(60)));
    assert_eq!(n.stats.overdue, 3);
    assert_eq!(
        n.stats.by_cause,
        vec![
            ("risk_item".to_owned(), 3),
            ("deterioration".to_owned(), 1),
            ("disengagement".to_owned(), 1),
            ("free_text".to_owned(), 1),
            ("mood_drop".to_owned(), 1),
        ]
    );

    // The unassigned alert counts for the service only.
    assert_eq!(n.clinicians.len(), 2);
    let a = &n.clinicians[0];
    assert_eq!(a.clinician, ana);
    assert_eq!(a.stats.raised, 3);
    assert_eq!(a.stats.unacknowledged, 1);
    assert_eq!(a.stats.median_time_to_acknowledge, Some(mins(10)));
    assert_eq!(a.stats.p90_time_to_acknowledge, Some(mins(30)));
    assert_eq!(a.stats.overdue, 1);
    assert_eq!(a.stats.by_cause[0], ("risk_item".to_owned(), 2));
    let b = &n.clinicians[1];
    assert_eq!(b.clinician, ben);
    assert_eq!(b.stats.raised, 3);
    assert_eq!(b.stats.median_time_to_acknowledge, Some(mins(5)));
    assert_eq!(b.stats.p90_time_to_acknowledge, Some(mins(60)));
    assert_eq!(b.stats.overdue, 1);

    let s = &load.services[1];
    assert_eq!(s.service, south);
    assert_eq!(s.stats.raised, 1);
    assert_eq!(s.stats.overdue, 0, "closed alerts are never overdue");
    assert_eq!(s.stats.median_time_to_acknowledge, Some(hours_of(2)));
    assert_eq!(s.clinicians[0].clinician, ana);
}

#[test]
fn no_alerts_no_load() {
    assert_eq!(
        AlertLoad::compute(&[], utc("2026-03-10T10:00Z")),
        AlertLoad::default()
    );
}
