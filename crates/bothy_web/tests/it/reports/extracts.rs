//! Reporting extracts: pseudonymised per export with the service's key,
//! one row per episode active in the period, no identifiers; refused to a
//! supporter.

use super::seed::{self, FROM, TO, people};
use crate::helpers::TestApp;
use bothy_app::AppSettings;

crate::both_dbs_with!(
    with_key;
    an_extract_is_pseudonymised_per_export_and_counts_every_active_episode,
);

pub(crate) fn with_key() -> AppSettings {
    AppSettings {
        extract_key: bothy_domain::reports::ExtractKey::new(&[42; 32]),
        ..AppSettings::default()
    }
}

async fn an_extract_is_pseudonymised_per_export_and_counts_every_active_episode(t: TestApp) {
    let people = people();
    seed::seed(&t, &people).await;
    let supporter = t.staff_client("supporter").await;
    supporter
        .get(&format!("/staff/reports/extract/ptwt?from={FROM}&to={TO}"))
        .await
        .status(403);
    let analyst = t.staff_client("analyst").await;
    let path = format!("/staff/reports/extract/talking-therapies?from={FROM}&to={TO}");
    let first = analyst.get(&path).await.ok();
    assert_eq!(first.headers["content-type"], "text/csv; charset=utf-8");
    let lines: Vec<&str> = first.body.lines().collect();
    assert!(lines[0].starts_with("ServiceRequestId,LocalPatientId,ReferralRequestReceivedDate"));
    // Episodes referred before the end and not discharged before the start,
    // counted by SQL written here.
    let active = t
        .count(
            "SELECT COUNT(*) FROM episodes WHERE service_id = (SELECT id FROM services WHERE slug = $1) \
             AND referred_at < 1794960000000 AND (discharged_at IS NULL OR discharged_at >= 1764547200000)",
            "demo",
        )
        .await;
    assert_eq!(lines.len() as i64 - 1, active);
    for p in &people {
        assert!(!first.body.contains(&format!("rp{},", p.i)) && !first.body.contains(&p.postcode));
    }
    let ids: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert!(
        ids.iter()
            .all(|id| id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()))
    );
    // Another export: the same episodes under other pseudonyms.
    t.clock.advance(std::time::Duration::from_secs(1));
    let second = analyst.get(&path).await.ok();
    let again: Vec<&str> = second
        .body
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(again.len(), ids.len());
    assert!(again.iter().all(|id| !ids.contains(id)));
    // The waiting-times shape: completed waits as many as started treatment before the end.
    let ptwt = analyst
        .get(&format!("/staff/reports/extract/ptwt?from={FROM}&to={TO}"))
        .await
        .ok();
    let completed = ptwt
        .body
        .lines()
        .filter(|l| l.contains(",completed,"))
        .count() as i64;
    let started = t
        .count(
            "SELECT COUNT(*) FROM episodes WHERE service_id = (SELECT id FROM services WHERE slug = $1) \
             AND referred_at < 1794960000000 AND (discharged_at IS NULL OR discharged_at >= 1764547200000) \
             AND first_treatment_at < 1794960000000",
            "demo",
        )
        .await;
    assert_eq!(completed, started);
    assert!(
        t.count(
            "SELECT COUNT(*) FROM audit_events WHERE action = $1",
            "report.exported"
        )
        .await
            >= 3
    );
}
