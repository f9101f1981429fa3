//! What moderators do, and who else cannot.

use super::*;
use crate::both_dbs;
use crate::concurrency::{at_once, no_server_errors, post_owned, statuses};
use bothy_app::RequestContext;
use bothy_domain::role::Role;

both_dbs!(
    the_moderators_home_is_the_queue_with_counts_and_deadlines,
    hiding_with_a_reason_shows_the_author_the_reason_and_nobody_else_the_post,
    a_report_reaches_the_queue_and_the_reporter_is_thanked,
    two_moderators_acting_at_once_one_wins_the_other_gets_409,
    a_suspension_stops_posting_and_a_note_reaches_only_the_author,
    a_moderator_raises_an_alert_to_the_care_team,
    figures_count_posts_holds_removals_and_reports,
    staff_of_another_service_see_nothing,
);

fn form<'a>(
    action: &'a str,
    status: &'a str,
    needs: &'a str,
    reason: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("action", action),
        ("status", status),
        ("needs_review", needs),
        ("reason", reason),
        ("body", ""),
    ]
}

async fn the_moderators_home_is_the_queue_with_counts_and_deadlines(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    post(&a, &group, "Hello from me").await.status(303);
    let m = t.staff_client("moderator").await;
    let home = m.get("/staff").await.ok().has_crisis_panel();
    assert!(
        home.body.contains("<h1>Moderation queue</h1>"),
        "{}",
        home.body
    );
    assert!(home.body.contains("1 post waiting"));
    assert!(home.body.contains("due by"));
    assert!(home.body.contains("Waiting, by priority"));
    // A clinical lead keeps their own home, with the queue a link away.
    let lead = t.staff_client("clinical_lead").await;
    let home = lead.get("/staff").await.ok();
    assert!(!home.body.contains("<h1>Moderation queue</h1>"));
    assert!(home.body.contains("href=\"/staff/peer\""));
}

async fn hiding_with_a_reason_shows_the_author_the_reason_and_nobody_else_the_post(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    let (b, _) = member(&t, 1, "Sea Glass").await;
    let id = posted_id(&post(&a, &group, "This group is boring today").await);
    let m = t.staff_client("moderator").await;
    m.get(&format!("/staff/peer/posts/{id}")).await.ok();
    // A reason is needed to hide.
    let r = m
        .post_form(
            &format!("/staff/peer/posts/{id}/moderate"),
            &form("hide", "visible", "1", ""),
        )
        .await
        .status(422);
    assert!(r.body.contains("Enter the reason"), "{}", r.body);
    m.post_form(
        &format!("/staff/peer/posts/{id}/moderate"),
        &form("hide", "visible", "1", "Please keep posts kind to others"),
    )
    .await
    .redirects_to("/staff/peer?done=hide");
    let mine = a.get(&format!("/peer/groups/{group}")).await.ok();
    assert!(mine.body.contains("Please keep posts kind to others"));
    assert!(mine.body.contains("A moderator hid this post"));
    let theirs = b.get(&format!("/peer/groups/{group}")).await.ok();
    assert!(!theirs.body.contains("This group is boring today"));
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM peer_actions WHERE reason = $1",
            "Please keep posts kind to others"
        )
        .await,
        1
    );
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM audit_events WHERE action = $1",
            "peer.moderated"
        )
        .await,
        1
    );
    // Removing it after hiding is allowed; hiding again is a 409.
    let r = m
        .post_form(
            &format!("/staff/peer/posts/{id}/moderate"),
            &form("hide", "hidden", "0", "again"),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
}

async fn a_report_reaches_the_queue_and_the_reporter_is_thanked(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    let (b, _) = member(&t, 1, "Sea Glass").await;
    let id = posted_id(&post(&a, &group, "You lot never listen").await);
    // Approved, so it is out of the queue.
    let m = t.staff_client("moderator").await;
    m.post_form(
        &format!("/staff/peer/posts/{id}/moderate"),
        &form("approve", "visible", "1", ""),
    )
    .await
    .status(303);
    let q = m.get("/staff/peer").await.ok();
    assert!(!q.body.contains(&id));
    let r = b
        .get(&format!("/peer/posts/{id}/report"))
        .await
        .ok()
        .has_crisis_panel();
    assert!(r.body.contains("Report a post"));
    let done = b
        .post_form(
            &format!("/peer/posts/{id}/report"),
            &[("reason", "This feels unkind")],
        )
        .await
        .ok();
    assert!(done.body.contains("Thank you for telling us"));
    assert!(done.body.contains("A moderator will read the post"));
    // Reporting twice counts once.
    b.post_form(&format!("/peer/posts/{id}/report"), &[("reason", "Again")])
        .await
        .ok();
    let q = m.get("/staff/peer").await.ok();
    assert!(q.body.contains(&id), "{}", q.body);
    assert!(q.body.contains("Reported by a member"));
    let page = m.get(&format!("/staff/peer/posts/{id}")).await.ok();
    assert!(page.body.contains("(1 report)"), "{}", page.body);
}

async fn two_moderators_acting_at_once_one_wins_the_other_gets_409(t: TestApp) {
    let m = t.staff_client("moderator").await;
    let group = create_group(&t, &m, "Held here", "pre", "always", "read_only").await;
    let a = t.patient_client(0).await;
    join(&a, &group, "Lighthouse").await.status(303);
    let lead = t.staff_client("clinical_lead").await;
    for round in 0..3 {
        t.clock.advance(std::time::Duration::from_secs(600));
        let id = posted_id(&post(&a, &group, &format!("Round {round}")).await);
        let path = format!("/staff/peer/posts/{id}/moderate");
        let fields = |action: &str, reason: &str| -> Vec<(String, String)> {
            form(action, "held", "1", reason)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let answers = at_once(vec![
            post_owned(m.clone(), path.clone(), fields("approve", "")),
            post_owned(
                lead.clone(),
                path.clone(),
                fields("hide", "Not for this group"),
            ),
        ])
        .await;
        no_server_errors(&answers);
        let mut got = statuses(&answers);
        got.sort_unstable();
        assert_eq!(got, [303, 409], "round {round}");
        let lost = answers.iter().find(|r| r.status == 409).unwrap();
        assert!(
            lost.body.contains("Another moderator has already acted"),
            "{}",
            lost.body
        );
        assert_eq!(
            t.count("SELECT COUNT(*) FROM peer_actions WHERE post_id = $1", &id)
                .await,
            1
        );
    }
    // The same moderator's double click is answered as done.
    t.clock.advance(std::time::Duration::from_secs(600));
    let id = posted_id(&post(&a, &group, "Double click").await);
    let path = format!("/staff/peer/posts/{id}/moderate");
    for _ in 0..2 {
        m.post_form(&path, &form("approve", "held", "1", ""))
            .await
            .redirects_to("/staff/peer?done=approve");
    }
}

async fn a_suspension_stops_posting_and_a_note_reaches_only_the_author(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    let (b, _) = member(&t, 1, "Sea Glass").await;
    let id = posted_id(&post(&a, &group, "Shouting again").await);
    let m = t.staff_client("moderator").await;
    m.post_form(
        &format!("/staff/peer/posts/{id}/suspend"),
        &[("days", "40"), ("reason", "Too long")],
    )
    .await
    .status(422);
    m.post_form(
        &format!("/staff/peer/posts/{id}/suspend"),
        &[("days", "2"), ("reason", "Repeated unkind posts")],
    )
    .await
    .redirects_to(&format!("/staff/peer/posts/{id}?done=suspend"));
    m.post_form(
        &format!("/staff/peer/posts/{id}/contact"),
        &[("reason", "Take a short break and come back soon")],
    )
    .await
    .status(303);
    let page = a.get(&format!("/peer/groups/{group}")).await.ok();
    assert!(page.body.contains("paused your posting"));
    assert!(page.body.contains("Take a short break"));
    let r = post_with_key(&a, &group, "Let me post", "k-susp")
        .await
        .status(422);
    assert!(r.body.contains("paused your posting"));
    let theirs = b.get(&format!("/peer/groups/{group}")).await.ok();
    assert!(!theirs.body.contains("Take a short break"));
    t.clock
        .advance(std::time::Duration::from_secs(3 * 24 * 3600));
    // Signed in again after the days away.
    let a = t.patient_client(0).await;
    post(&a, &group, "Back again, calmer").await.status(303);
}

async fn a_moderator_raises_an_alert_to_the_care_team(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    let id = posted_id(&post(&a, &group, "Not sure I can keep going like this").await);
    let m = t.staff_client("moderator").await;
    m.post_form(
        &format!("/staff/peer/posts/{id}/alert"),
        &[("reason", "Sounds low; worth a call")],
    )
    .await
    .redirects_to(&format!("/staff/peer/posts/{id}?done=alert"));
    let alerts = t.open_alerts(t.demo.patients[0].id.parse().unwrap()).await;
    assert!(
        alerts
            .iter()
            .any(|a| a.summary.contains("peer support moderator")),
        "{alerts:?}"
    );
    // The duty queue shows it to the care team.
    let duty = t.staff_client("triage_clinician").await;
    let q = duty.get("/alerts").await.ok();
    assert!(q.body.contains(&t.demo.patients[0].name), "{}", q.body);
}

async fn figures_count_posts_holds_removals_and_reports(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    let (b, _) = member(&t, 1, "Sea Glass").await;
    let held = posted_id(&post(&a, &group, "call me on 07700 900999").await);
    let shown = posted_id(&post(&a, &group, "A calm evening").await);
    b.post_form(&format!("/peer/posts/{shown}/report"), &[("reason", "Odd")])
        .await
        .ok();
    t.clock.advance(std::time::Duration::from_secs(20 * 60));
    let m = t.staff_client("moderator").await;
    m.get(&format!("/staff/peer/posts/{held}")).await.ok();
    m.post_form(
        &format!("/staff/peer/posts/{held}/moderate"),
        &form("remove", "held", "1", "Contact details"),
    )
    .await
    .status(303);
    // Two posts here and the demo's three.
    let f = m.get("/staff/peer/figures").await.ok();
    assert!(
        f.body.contains("<dt>Posts and replies</dt><dd>5</dd>"),
        "{}",
        f.body
    );
    assert!(f.body.contains("<dt>Moderated</dt><dd>1</dd>"));
    assert!(f.body.contains("20 minutes"));
    assert!(f.body.contains("Contact details</th><td>1</td>"));
    assert!(f.body.contains("1 (about 1 post)"));
}

/// Staff of another service: a clinical lead (who may moderate) there.
async fn other_service_lead(t: &TestApp) -> Client {
    let ctx = RequestContext::default();
    let other = t
        .app
        .admin()
        .create_service("elsewhere", "Elsewhere wellbeing service", &ctx)
        .await
        .unwrap();
    let new = t
        .app
        .admin()
        .create_staff(
            other.id,
            "olive.other@elsewhere.test",
            "Olive Other",
            &[Role::ClinicalLead],
            &ctx,
        )
        .await
        .unwrap();
    let token = new.enrolment_link.rsplit('/').next().unwrap().to_string();
    let secret = t
        .app
        .accounts()
        .enrolment_page(&token)
        .await
        .unwrap()
        .totp_secret;
    let code = |t: &TestApp| bothy_app::credentials::totp_code(&secret, t.clock_secs()).unwrap();
    let password = "olive's own long password";
    t.app
        .accounts()
        .complete_enrolment(&token, password, password, &code(t), &ctx)
        .await
        .unwrap();
    let email = "olive.other@elsewhere.test";
    let c = t.client();
    c.get("/sign-in").await.ok();
    c.post_form("/sign-in", &[("email", email), ("password", password)])
        .await
        .redirects_to("/sign-in/code");
    c.get("/sign-in/code").await.ok();
    t.clock.advance(std::time::Duration::from_secs(30));
    c.post_form("/sign-in/code", &[("code", &code(t))])
        .await
        .redirects_to("/staff");
    c
}

async fn staff_of_another_service_see_nothing(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    let id = posted_id(&post(&a, &group, "I want to kill myself").await);
    let other = other_service_lead(&t).await;
    let q = other.get("/staff/peer").await.ok();
    assert!(!q.body.contains(&id));
    assert!(q.body.contains("Nothing is waiting"));
    assert_eq!(
        other.get(&format!("/staff/peer/posts/{id}")).await.status,
        404
    );
    let r = other
        .post_form(
            &format!("/staff/peer/posts/{id}/moderate"),
            &form("approve", "held", "1", ""),
        )
        .await;
    assert_eq!(r.status, 404);
    // Other staff of this service without moderation: refused.
    let supporter = t.staff_client("supporter").await;
    assert_eq!(supporter.get("/staff/peer").await.status, 403);
}
