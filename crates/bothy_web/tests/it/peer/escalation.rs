//! Posts unmoderated past their deadline are escalated by the worker, once,
//! to the service's moderators and clinical leads, in words that say
//! nothing of the post; the deadline runs only in the group's hours.

use super::*;
use crate::both_dbs;
use bothy_domain::time::Timestamp;
use std::time::Duration;

both_dbs!(
    a_held_risky_post_unmoderated_by_its_deadline_is_escalated_once,
    a_post_moderated_in_time_is_never_escalated,
    the_moderation_deadline_runs_only_in_the_groups_hours,
);

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// The messages sent so far that point to the moderation queue.
fn to_queue(t: &TestApp) -> Vec<(String, String)> {
    t.outbox
        .sent()
        .into_iter()
        .filter(|m| m.body.contains("/staff/peer"))
        .map(|m| (m.to.clone(), m.body.clone()))
        .collect()
}

async fn a_held_risky_post_unmoderated_by_its_deadline_is_escalated_once(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    let text = "I want to kill myself tonight";
    let r = post(&a, &group, text).await;
    assert!(r.location().unwrap().contains("posted=held"));
    let id = posted_id(&r);
    assert_eq!(t.drain_jobs().await.posts_escalated, 0, "not due yet");
    assert!(to_queue(&t).is_empty());
    // Risk allows an hour at most (the demo group is moderated always).
    t.clock.advance(Duration::from_secs(61 * 60));
    assert_eq!(t.drain_jobs().await.posts_escalated, 1);
    let sent = to_queue(&t);
    let moderator = t.staff("moderator").email.clone();
    let lead = t.staff("clinical_lead").email.clone();
    for who in [&moderator, &lead] {
        assert_eq!(
            sent.iter().filter(|(to, _)| to == who).count(),
            1,
            "{who}: {sent:#?}"
        );
    }
    for (_, body) in &sent {
        assert!(!body.contains("kill") && !body.contains(text), "{body}");
        assert!(!body.contains("Brave Otter"), "{body}");
        assert!(!body.contains(&id), "{body}");
    }
    // Another pass, and another worker's, escalate nothing twice.
    t.clock.advance(Duration::from_secs(3600));
    assert_eq!(t.drain_jobs().await.posts_escalated, 0);
    assert_eq!(t.drain_jobs().await.posts_escalated, 0);
    assert_eq!(to_queue(&t).len(), sent.len());
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM audit_events WHERE action = $1",
            "peer.escalated"
        )
        .await,
        1
    );
    let m = t.staff_client("moderator").await;
    let q = m.get("/staff/peer").await.ok();
    assert!(q.body.contains(&id), "{}", q.body);
    assert!(q.body.contains("Escalated"), "{}", q.body);
}

async fn a_post_moderated_in_time_is_never_escalated(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    let id = posted_id(&post(&a, &group, "I want to kill myself tonight").await);
    t.clock.advance(Duration::from_secs(20 * 60));
    let m = t.staff_client("moderator").await;
    m.get(&format!("/staff/peer/posts/{id}")).await.ok();
    m.post_form(
        &format!("/staff/peer/posts/{id}/moderate"),
        &[
            ("action", "hide"),
            ("status", "held"),
            ("needs_review", "1"),
            ("reason", "Hidden while we check in with you"),
            ("body", ""),
        ],
    )
    .await
    .redirects_to("/staff/peer?done=hide");
    t.clock.advance(Duration::from_secs(3 * 24 * 3600));
    assert_eq!(t.drain_jobs().await.posts_escalated, 0);
    assert!(to_queue(&t).is_empty(), "{:#?}", to_queue(&t));
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM audit_events WHERE action = $1",
            "peer.escalated"
        )
        .await,
        0
    );
}

async fn the_moderation_deadline_runs_only_in_the_groups_hours(t: TestApp) {
    // Friday 4 December 2026, 16:30 UK time (GMT): half an hour before the
    // group's moderators go home for the weekend.
    t.clock.set(at("2026-12-04T16:30:00Z"));
    let m = t.staff_client("moderator").await;
    let group = create_group(&t, &m, "Weekdays", "pre", "09:00-17:00", "pre_moderated").await;
    let c = t.patient_client(0).await;
    join(&c, &group, "Brave Otter").await.status(303);
    let r = post(&c, &group, "Hello everyone, how was your week").await;
    assert!(r.location().unwrap().contains("posted=held"));
    // A routine post has a working day: a day later by the wall clock, on
    // Saturday, it is not due, nor on Monday morning.
    for now in ["2026-12-05T16:31:00Z", "2026-12-07T16:00:00Z"] {
        t.clock.set(at(now));
        assert_eq!(t.drain_jobs().await.posts_escalated, 0, "{now}");
    }
    // Monday 16:31: a working day has passed.
    t.clock.set(at("2026-12-07T16:31:00Z"));
    assert_eq!(t.drain_jobs().await.posts_escalated, 1);
    assert_eq!(t.drain_jobs().await.posts_escalated, 0);
}
