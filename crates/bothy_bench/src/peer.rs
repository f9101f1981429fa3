//! W8's data: a peer support group with many approved posts, one member
//! who reads it (a signed-in patient of the run), and a moderation queue of
//! held posts, written straight through the store in large transactions
//! (the posts' screening is not what W8 measures).

use anyhow::Context;
use bothy_app::App;
use bothy_domain::PatientId;
use bothy_domain::ids::{GroupId, MemberId, PostId};
use bothy_domain::model::Service;
use bothy_domain::peer::{self, Group, HoldReason, Member, Post, PostStatus, Priority};
use bothy_domain::time::Timestamp;
use jiff::SignedDuration;

/// Rows written per transaction.
const CHUNK: usize = 1_000;

/// Makes the group, with `reader` and `author` as members, `visible`
/// approved posts by `author` and `held` posts waiting in the service's
/// queue (one in ten with risk words, so the queue's order has work to
/// do). Returns the group.
pub async fn seed(
    app: &App,
    service: &Service,
    (reader, author): (PatientId, PatientId),
    visible: usize,
    held: usize,
    tag: &str,
) -> anyhow::Result<GroupId> {
    let form = peer::GroupForm {
        name: &format!("Bench group {tag}"),
        kind: "open",
        programme: "",
        description: "A group for the benchmark",
        rules: "Be kind",
        mode: "post",
        hours: "always",
        links_allowed: false,
        outside_hours: "read_only",
    };
    let new = peer::parse_group(&form).map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let now = app.clock().now();
    let group = Group {
        id: GroupId::random(),
        service_id: service.id,
        name: new.name,
        kind: new.kind,
        programme: None,
        description: new.description,
        rules: new.rules,
        mode: new.mode,
        hours: new.hours,
        links_allowed: false,
        outside_hours: new.outside_hours,
        invite_code: None,
        created_at: now,
    };
    let member = |patient: PatientId, name: &str| Member {
        id: MemberId::random(),
        group_id: group.id,
        service_id: service.id,
        patient_id: patient,
        pseudonym: name.to_string(),
        joined_at: now,
        suspended_until: None,
    };
    let reading = member(reader, "Bench Reader");
    let writing = member(author, "Bench Writer");
    let mut tx = app.store().begin().await?;
    tx.insert_peer_group(&group, None).await?;
    for m in [&reading, &writing] {
        tx.insert_peer_member(m, &peer::pseudonym_key(&m.pseudonym))
            .await?;
    }
    tx.commit().await?;
    let total = visible + held;
    let mut n = 0;
    while n < total {
        let mut tx = app.store().begin().await?;
        for i in n..(n + CHUNK).min(total) {
            let at = now
                .checked_sub(SignedDuration::from_secs((total - i) as i64))
                .unwrap_or(now);
            let post = if i < visible {
                post_of(&group, &writing, at, i, None)
            } else {
                let risk = i % 10 == 0;
                post_of(&group, &writing, at, i, Some(risk))
            };
            tx.insert_peer_post(&post, &format!("bench-{i}"))
                .await
                .context("cannot write the benchmark's posts")?;
        }
        tx.commit().await?;
        n += CHUNK;
    }
    Ok(group.id)
}

/// One post: approved (`held` None) or held, with risk words or not.
fn post_of(group: &Group, by: &Member, at: Timestamp, i: usize, held: Option<bool>) -> Post {
    let (status, reasons, priority, risk) = match held {
        None => (PostStatus::Visible, Vec::new(), Priority::Routine, false),
        Some(true) => (
            PostStatus::Held,
            vec![HoldReason::Risk],
            Priority::Risk,
            true,
        ),
        Some(false) => (
            PostStatus::Held,
            vec![HoldReason::PreModeration],
            Priority::Routine,
            false,
        ),
    };
    Post {
        id: PostId::random(),
        group_id: group.id,
        service_id: group.service_id,
        member_id: by.id,
        pseudonym: by.pseudonym.clone(),
        parent_id: None,
        body: format!("Post {i}: a walk by the river helped today, and so did a cup of tea."),
        status,
        needs_review: held.is_some(),
        priority,
        hold_reasons: reasons,
        risk,
        queued_at: Some(at),
        deadline: Some(at),
        created_at: at,
        reviewed_at: held.is_none().then_some(at),
        status_reason: None,
        edit_note: None,
        report_count: 0,
        escalated_at: None,
    }
}
