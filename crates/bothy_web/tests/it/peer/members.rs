//! What members do and see.

use super::*;
use crate::both_dbs;
use bothy_domain::detectors::Cause;

both_dbs!(
    a_post_in_a_post_moderated_group_is_seen_at_once_and_reviewed_after,
    a_pre_moderated_group_holds_every_post_until_approved,
    a_risky_post_is_held_shows_the_crisis_contacts_and_alerts_the_care_team,
    unicode_tricks_do_not_hide_a_risk_phrase,
    contact_details_and_names_are_held_and_links_refused,
    markup_is_shown_as_typed_never_run,
    a_resent_form_is_one_post_the_same_text_again_is_refused_and_floods_stop,
    a_group_name_with_the_persons_own_details_is_refused,
    outside_hours_a_group_says_it_is_read_only_and_refuses_posts,
    reactions_are_supportive_only_and_counted_once,
    eight_sends_of_one_post_form_at_once_store_one_post,
    a_group_page_pages_by_keyset_with_nothing_lost_or_repeated,
);

async fn a_post_in_a_post_moderated_group_is_seen_at_once_and_reviewed_after(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    let (b, _) = member(&t, 1, "Sea Glass").await;
    let page = a.get(&format!("/peer/groups/{group}")).await.ok();
    assert!(
        page.body
            .contains("You are posting as <strong>Brave Otter</strong>")
    );
    // The demo's own posts are there.
    assert!(page.body.contains("Managed a short walk"), "{}", page.body);
    let r = post(&a, &group, "A good day today: I finished my first module.").await;
    let id = posted_id(&r);
    assert!(
        r.location().unwrap().contains("posted=visible"),
        "{:?}",
        r.location()
    );
    assert!(!r.location().unwrap().contains("risk=1"));
    let seen = b.get(&format!("/peer/groups/{group}")).await.ok();
    assert!(seen.body.contains("I finished my first module"));
    assert!(seen.body.contains("Brave Otter"));
    // The real name never appears.
    let real = t.demo.patients[0].name.clone();
    assert!(!seen.body.contains(&real), "{real}");
    // Reviewed after: it is in the queue as routine.
    let m = t.staff_client("moderator").await;
    let q = m.get("/staff/peer").await.ok();
    assert!(
        q.body.contains(&format!("/staff/peer/posts/{id}")),
        "{}",
        q.body
    );
    assert!(q.body.contains("Review after posting"));
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM audit_events WHERE action = $1",
            "peer.posted"
        )
        .await,
        1
    );
}

async fn a_pre_moderated_group_holds_every_post_until_approved(t: TestApp) {
    let m = t.staff_client("moderator").await;
    let group = create_group(&t, &m, "Carers together", "pre", "always", "read_only").await;
    let a = t.patient_client(0).await;
    join(&a, &group, "Lighthouse").await.status(303);
    let b = t.patient_client(1).await;
    join(&b, &group, "Harbour").await.status(303);
    let r = post(&a, &group, "Looking after Dad is tiring this week.").await;
    assert!(r.location().unwrap().contains("posted=held"));
    let id = posted_id(&r);
    let mine = a
        .get(&format!("/peer/groups/{group}?posted=held"))
        .await
        .ok();
    assert!(
        mine.body
            .contains("waiting for a moderator, who will look soon")
    );
    assert!(mine.body.contains("Looking after Dad"));
    let theirs = b.get(&format!("/peer/groups/{group}")).await.ok();
    assert!(!theirs.body.contains("Looking after Dad"));
    let page = m.get(&format!("/staff/peer/posts/{id}")).await.ok();
    assert!(page.body.contains("Pre-moderated group"));
    m.post_form(
        &format!("/staff/peer/posts/{id}/moderate"),
        &[
            ("action", "approve"),
            ("status", "held"),
            ("needs_review", "1"),
            ("reason", ""),
            ("body", ""),
        ],
    )
    .await
    .redirects_to("/staff/peer?done=approve");
    let theirs = b.get(&format!("/peer/groups/{group}")).await.ok();
    assert!(theirs.body.contains("Looking after Dad"));
}

async fn a_risky_post_is_held_shows_the_crisis_contacts_and_alerts_the_care_team(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    let (b, _) = member(&t, 1, "Sea Glass").await;
    // An older routine post, so the queue's order shows risk first.
    post(&a, &group, "Morning all.").await.status(303);
    t.clock.advance(std::time::Duration::from_secs(60));
    let r = post(&a, &group, "I want to kill myself tonight").await;
    let to = r.location().unwrap().to_string();
    assert!(to.contains("posted=held") && to.contains("risk=1"), "{to}");
    let id = posted_id(&r);
    let page = a.get(&to).await.ok().has_crisis_panel();
    assert!(
        page.body.contains("a moderator, who will look soon"),
        "{}",
        page.body
    );
    assert!(page.body.contains("let your care team know"));
    let alerts = t.open_alerts(t.demo.patients[0].id.parse().unwrap()).await;
    assert!(
        alerts.iter().any(|a| a.cause == Cause::RiskyText),
        "{alerts:?}"
    );
    // Never visible to another member before a moderator has seen it.
    let theirs = b.get(&format!("/peer/groups/{group}")).await.ok();
    assert!(!theirs.body.contains("kill myself"));
    let report = b.get(&format!("/peer/posts/{id}/report")).await;
    assert_eq!(report.status, 404);
    // First in the queue, marked as risk.
    let m = t.staff_client("moderator").await;
    let q = m.get("/staff/peer").await.ok();
    let first = super::ids_after(&q.body, "/staff/peer/posts/");
    assert_eq!(first.first(), Some(&id), "{}", q.body);
    assert!(q.body.contains("Urgent: risk") || q.body.contains(">Risk<"));
    // The moderator sees no clinical record: no real name.
    assert!(!q.body.contains(&t.demo.patients[0].name));
}

async fn unicode_tricks_do_not_hide_a_risk_phrase(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    for trick in [
        "I want to ｋｉｌｌ ｍｙｓｅｌｆ",
        "I want to ki\u{200D}ll myself",
        "I want to k1ll mys3lf",
        "I want to kіll myself", // a Cyrillic i
    ] {
        t.clock.advance(std::time::Duration::from_secs(600));
        let r = post(&a, &group, trick).await;
        let to = r.location().unwrap_or_default().to_string();
        assert!(
            to.contains("posted=held") && to.contains("risk=1"),
            "{trick}: {to}"
        );
    }
    let alerts = t.open_alerts(t.demo.patients[0].id.parse().unwrap()).await;
    assert!(alerts.iter().any(|a| a.cause == Cause::RiskyText));
}

async fn contact_details_and_names_are_held_and_links_refused(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    for (n, body) in [
        "text me on 07700 900999",
        "mail me at someone@example.org",
        "I saw Jane Doe at the clinic",
        "ask @sam about it",
        "how many paracetamol would it take",
    ]
    .iter()
    .enumerate()
    {
        t.clock
            .advance(std::time::Duration::from_secs(600 + n as u64));
        let r = post(&a, &group, body).await;
        assert!(
            r.location().unwrap_or_default().contains("posted=held"),
            "{body}"
        );
    }
    let r = post(&a, &group, "have a look at www.example.org")
        .await
        .status(422);
    assert!(r.body.contains("Links to websites are not allowed"));
    assert!(r.body.contains("www.example.org"), "the text is kept");
}

async fn markup_is_shown_as_typed_never_run(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    let (b, _) = member(&t, 1, "Sea Glass").await;
    post(&a, &group, "<script>alert('x')</script><b>hello</b>")
        .await
        .status(303);
    let page = b.get(&format!("/peer/groups/{group}")).await.ok();
    assert!(!page.body.contains("<script>alert"));
    assert!(page.body.contains("&#60;script&#62;"), "{}", page.body);
    // Too long: refused with the count, the text kept.
    let long = "x".repeat(2001);
    let r = post(&a, &group, &long).await.status(422);
    assert!(r.body.contains("2000 characters or fewer (it has 2001)"));
}

async fn a_resent_form_is_one_post_the_same_text_again_is_refused_and_floods_stop(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    let key = a
        .get(&format!("/peer/groups/{group}"))
        .await
        .ok()
        .field("key");
    let first = post_with_key(&a, &group, "Hello everyone", &key)
        .await
        .status(303);
    let again = post_with_key(&a, &group, "Hello everyone", &key)
        .await
        .status(303);
    assert_eq!(first.location(), again.location());
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM peer_posts WHERE body = $1",
            "Hello everyone"
        )
        .await,
        1
    );
    let dup = post(&a, &group, "Hello everyone").await.status(422);
    assert!(dup.body.contains("already posted this"));
    // Four more make five in ten minutes; the sixth is refused.
    for n in 0..4 {
        post(&a, &group, &format!("Post number {n}"))
            .await
            .status(303);
    }
    let r = post(&a, &group, "One too many").await;
    assert_eq!(r.status, 429, "{}", r.body);
    t.clock.advance(std::time::Duration::from_secs(11 * 60));
    post(&a, &group, "After a break").await.status(303);
}

async fn a_group_name_with_the_persons_own_details_is_refused(t: TestApp) {
    let c = t.patient_client(0).await;
    let group = demo_group(&c).await;
    let me = &t.demo.patients[0];
    let (given, family) = me.name.split_once(' ').unwrap();
    let local = me.email.split('@').next().unwrap().to_string();
    for name in [
        given.to_string(),
        family.to_string(),
        format!("{given}{family}"),
        format!("x{family}x"),
        "07700900100".to_string(),
        local,
        "me@example.com".to_string(),
    ] {
        let r = join(&c, &group, &name).await;
        assert_eq!(r.status, 422, "{name}: {}", r.body);
        assert!(r.body.contains("group name"), "{name}");
    }
    // Taken by a demo member (folded: case and spaces do not matter).
    let r = join(&c, &group, "quiet heron").await.status(422);
    assert!(r.body.contains("already uses that name"));
    join(&c, &group, "Night Owl").await.status(303);
}

async fn outside_hours_a_group_says_it_is_read_only_and_refuses_posts(t: TestApp) {
    let m = t.staff_client("moderator").await;
    // Open for one minute a day, so the fake clock is almost surely outside.
    let ro = create_group(&t, &m, "Quiet hours", "post", "03:00-03:01", "read_only").await;
    let held = create_group(
        &t,
        &m,
        "Night posts",
        "post",
        "03:00-03:01",
        "pre_moderated",
    )
    .await;
    let c = t.patient_client(0).await;
    join(&c, &ro, "Night Owl").await.status(303);
    join(&c, &held, "Night Owl").await.status(303);
    let page = c.get(&format!("/peer/groups/{ro}")).await.ok();
    assert!(
        page.body
            .contains("this group is read-only until they are back")
    );
    assert!(!page.body.contains("id=\"post-form\""));
    let r = post_with_key(&c, &ro, "Anyone up?", "k1").await.status(422);
    assert!(r.body.contains("read-only"));
    let page = c.get(&format!("/peer/groups/{held}")).await.ok();
    assert!(
        page.body
            .contains("other members will not see your post until a moderator is back")
    );
    let r = post(&c, &held, "Anyone up?").await;
    assert!(r.location().unwrap().contains("posted=held"));
}

async fn reactions_are_supportive_only_and_counted_once(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    let (b, _) = member(&t, 1, "Sea Glass").await;
    let id = posted_id(&post(&a, &group, "Small win today").await);
    for _ in 0..2 {
        b.post_form(&format!("/peer/posts/{id}/react"), &[("reaction", "hug")])
            .await
            .status(303);
    }
    let r = b
        .post_form(&format!("/peer/posts/{id}/react"), &[("reaction", "laugh")])
        .await;
    assert_eq!(r.status, 422);
    let page = a.get(&format!("/peer/groups/{group}")).await.ok();
    assert!(page.body.contains("Hug (1)"), "{}", page.body);
}

async fn eight_sends_of_one_post_form_at_once_store_one_post(t: TestApp) {
    use crate::concurrency::{at_once, no_server_errors, post_owned};
    let (a, group) = member(&t, 0, "Brave Otter").await;
    for round in 0..3 {
        let key = a
            .get(&format!("/peer/groups/{group}"))
            .await
            .ok()
            .field("key");
        let body = format!("Round {round}: a double-tapped post");
        let path = format!("/peer/groups/{group}/posts");
        let fields = vec![
            ("body".to_string(), body.clone()),
            ("key".to_string(), key.clone()),
        ];
        let answers = at_once(
            (0..8)
                .map(|_| post_owned(a.clone(), path.clone(), fields.clone()))
                .collect(),
        )
        .await;
        no_server_errors(&answers);
        let first = answers[0].location().map(str::to_string);
        assert!(first.is_some(), "round {round}: {}", answers[0].body);
        assert!(
            answers
                .iter()
                .all(|r| r.location().map(str::to_string) == first)
        );
        assert_eq!(
            t.count(
                "SELECT COUNT(*) FROM peer_posts WHERE idempotency_key = $1",
                &key
            )
            .await,
            1
        );
        t.clock.advance(std::time::Duration::from_secs(600));
    }
}

async fn a_group_page_pages_by_keyset_with_nothing_lost_or_repeated(t: TestApp) {
    let (a, group) = member(&t, 0, "Brave Otter").await;
    for n in 0..25 {
        if n % 5 == 0 {
            // Past the flood limit's window.
            t.clock.advance(std::time::Duration::from_secs(11 * 60));
        }
        post(&a, &group, &format!("Entry number {n} of the day"))
            .await
            .status(303);
    }
    let first = a.get(&format!("/peer/groups/{group}")).await.ok();
    let ids_one = super::ids_after(&first.body, "id=\"post-");
    assert_eq!(ids_one.len(), 20, "{}", first.body);
    assert!(first.body.contains("Entry number 24 of the day"));
    let at = first.body.find("?after=").expect("a link to older posts");
    let cursor: String = first.body[at + 7..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let second = a
        .get(&format!("/peer/groups/{group}?after={cursor}"))
        .await
        .ok();
    let ids_two = super::ids_after(&second.body, "id=\"post-");
    // The other 5 of this member's and the demo's 3.
    assert_eq!(ids_two.len(), 8, "{}", second.body);
    assert!(ids_two.iter().all(|id| !ids_one.contains(id)));
    assert!(second.body.contains("Entry number 0 of the day"));
    assert!(second.body.contains("Managed a short walk"));
    assert!(!second.body.contains("?after="));
}
