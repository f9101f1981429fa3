//! Moderated peer support (issue 17): members join under a group name and
//! post; screening holds risky, identifying or method posts whatever the
//! mode, shows the author the crisis contacts and alerts their care team;
//! moderators work the queue; reports reach it; floods, duplicates, markup
//! and Unicode tricks are handled; other services see nothing.

use crate::helpers::{Client, Resp, TestApp};

mod escalation;
mod members;
mod moderation;

/// The ids after `prefix` in a page, in order of appearance.
pub(super) fn ids_after(body: &str, prefix: &str) -> Vec<String> {
    body.match_indices(prefix)
        .map(|(i, _)| {
            body[i + prefix.len()..]
                .chars()
                .take(36)
                .collect::<String>()
        })
        .filter(|id| id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
        .collect()
}

/// The demo service's group ("Coffee and chat").
pub(super) async fn demo_group(c: &Client) -> String {
    let list = c.get("/peer").await.ok().has_crisis_panel();
    assert!(list.body.contains("Coffee and chat"), "{}", list.body);
    ids_after(&list.body, "/peer/groups/")[0].clone()
}

/// Joins `group` as `name`.
pub(super) async fn join(c: &Client, group: &str, name: &str) -> Resp {
    c.get(&format!("/peer/groups/{group}")).await.ok();
    c.post_form(
        &format!("/peer/groups/{group}/join"),
        &[("pseudonym", name), ("invite_code", "")],
    )
    .await
}

/// Posts `body` from the group page's form (its own fresh key).
pub(super) async fn post(c: &Client, group: &str, body: &str) -> Resp {
    let page = format!("/peer/groups/{group}");
    let key = c.get(&page).await.ok().field("key");
    post_with_key(c, group, body, &key).await
}

pub(super) async fn post_with_key(c: &Client, group: &str, body: &str, key: &str) -> Resp {
    c.post_form(
        &format!("/peer/groups/{group}/posts"),
        &[("body", body), ("key", key)],
    )
    .await
}

/// The post id in a redirect after posting (`...#post-{id}`).
pub(super) fn posted_id(r: &Resp) -> String {
    let to = r.location().expect("a redirect");
    to.rsplit("#post-").next().unwrap().to_string()
}

/// A member of the demo group: patient `n` as `name`.
pub(super) async fn member(t: &TestApp, n: usize, name: &str) -> (Client, String) {
    let c = t.patient_client(n).await;
    let group = demo_group(&c).await;
    join(&c, &group, name).await.status(303);
    (c, group)
}

/// Creates a group as a moderator from the admin form; returns its id.
pub(super) async fn create_group(
    t: &TestApp,
    moderator: &Client,
    name: &str,
    mode: &str,
    hours: &str,
    outside: &str,
) -> String {
    moderator.get("/staff/peer/groups").await.ok();
    moderator
        .post_form(
            "/staff/peer/groups",
            &[
                ("name", name),
                ("kind", "open"),
                ("programme", ""),
                ("description", "A group for testing"),
                ("rules", "Be kind"),
                ("mode", mode),
                ("hours", hours),
                ("outside_hours", outside),
            ],
        )
        .await
        .redirects_to("/staff/peer/groups?created=1");
    let c = t.patient_client(0).await;
    let list = c.get("/peer").await.ok();
    let at = list.body.find(name).expect("the new group is listed");
    let before = &list.body[..at];
    ids_after(before, "/peer/groups/").last().unwrap().clone()
}
