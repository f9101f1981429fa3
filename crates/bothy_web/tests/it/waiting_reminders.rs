//! People on the waiting list are asked to repeat their measures on a schedule.

use crate::both_dbs;
use crate::helpers::TestApp;
use bothy_app::{Actor, RequestContext};
use bothy_domain::referral::{Channel, Decision, Details, Source, Step};
use std::time::Duration;

both_dbs!(waiting_people_are_reminded_once_per_interval);

async fn waiting_people_are_reminded_once_per_interval(t: TestApp) {
    let ctx = RequestContext::default();
    let triage = t.fixtures().staff_actor("triage_clinician").await;
    let details = Details {
        given_name: Some("Morag".into()),
        family_name: Some("Reid".into()),
        date_of_birth: Some("1984-05-06".parse().unwrap()),
        email: Some("morag.reid@example.org".into()),
        preferred_channel: Some(Channel::Email),
        consents: bothy_domain::referral::Consents {
            contact_email: true,
            ..Default::default()
        },
        problem_text: Some("Low mood since the winter".into()),
        ..Details::default()
    };
    let (referral, duplicate) = t
        .app
        .referrals()
        .submit(&triage, details, Source::Professional, "gp-letter-1", &ctx)
        .await
        .unwrap();
    assert!(!duplicate);
    let Actor::Staff(s) = &triage else {
        unreachable!()
    };
    let supporter = t
        .app
        .triage()
        .view(&triage, referral.id, &ctx)
        .await
        .unwrap()
        .practitioners[0]
        .0;
    t.app
        .triage()
        .decide(
            &triage,
            referral.id,
            Decision::Accept {
                step: Step::Therapist,
                practitioner: supporter,
                programme: None,
            },
            &ctx,
        )
        .await
        .unwrap();
    assert_eq!(s.service_id, referral.service_id);
    t.drain_jobs().await;
    let reminders = |t: &TestApp| {
        t.outbox
            .sent()
            .iter()
            .filter(|m| m.idempotency_key.as_str().starts_with("measure-due"))
            .count()
    };
    assert_eq!(reminders(&t), 0, "nothing is due on the day of referral");
    t.clock.advance(Duration::from_secs(15 * 24 * 3600));
    t.drain_jobs().await;
    assert_eq!(reminders(&t), 1);
    let message = t
        .outbox
        .sent()
        .into_iter()
        .find(|m| m.idempotency_key.as_str().starts_with("measure-due"))
        .unwrap();
    assert_eq!(message.to, "morag.reid@example.org");
    assert!(
        !message.body.contains("Morag") && !message.body.to_lowercase().contains("mood"),
        "{}",
        message.body
    );
    // Running again in the same fortnight sends nothing new.
    t.clock.advance(Duration::from_secs(24 * 3600));
    t.drain_jobs().await;
    assert_eq!(reminders(&t), 1);
    // The next fortnight, still waiting: another reminder.
    t.clock.advance(Duration::from_secs(14 * 24 * 3600));
    t.drain_jobs().await;
    assert_eq!(reminders(&t), 2);
}
