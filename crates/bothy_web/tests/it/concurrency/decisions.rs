//! Triage decisions and match verdicts, many at once.

use super::*;
use crate::both_dbs;
use crate::helpers::TestApp;
use bothy_app::{Actor, RequestContext};
use bothy_domain::ids::ReferralId;
use bothy_domain::person::Email;
use bothy_domain::referral::{Channel, Consents, Details, Problem, Source};

both_dbs!(triage_at_once);

/// One app for every triage scenario (each app costs a fresh database).
async fn triage_at_once(t: TestApp) {
    parallel_acceptances_make_one_patient_episode_and_link(&t).await;
    conflicting_decisions_leave_one_and_say_so(&t).await;
    parallel_match_verdicts_keep_one_each(&t).await;
}

pub(super) async fn staff_actor(t: &TestApp, role: &str) -> Actor {
    let email = Email::parse(&t.staff(role).email).unwrap();
    let mut tx = t.app.store().read().await.unwrap();
    let id = tx.staff_by_email(&email).await.unwrap().unwrap().id;
    tx.rollback().await.unwrap();
    t.app
        .accounts()
        .staff_actor(id, None)
        .await
        .unwrap()
        .unwrap()
}

/// The family name of the `n`th person referred in a test (names take no
/// digits): Round-Aa, Round-Ab ...
pub(super) fn family(n: usize) -> String {
    let letter = |base: u8, i: usize| char::from(base + (i % 26) as u8);
    format!("Round-{}{}", letter(b'A', n / 26), letter(b'a', n))
}

/// A referral from a professional, waiting for triage, for someone with an
/// email address (so that accepting makes a sign-in for them).
pub(super) async fn received(t: &TestApp, n: usize) -> (ReferralId, String) {
    let email = format!("rowan.{n}@example.org");
    let details = Details {
        given_name: Some("Rowan".into()),
        family_name: Some(family(n)),
        date_of_birth: Some(format!("1990-01-{:02}", n % 28 + 1).parse().unwrap()),
        email: Some(email.clone()),
        preferred_channel: Some(Channel::Email),
        gp_practice: Some("Riverside Medical Practice".into()),
        problem_text: Some("Low since the winter".into()),
        problems: vec![Problem::LowMood],
        consents: Consents {
            treatment: true,
            contact_email: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let actor = staff_actor(t, "triage_clinician").await;
    let (r, _) = t
        .app
        .referrals()
        .submit(
            &actor,
            details,
            Source::Professional,
            &format!("concurrency-{n}"),
            &RequestContext::default(),
        )
        .await
        .unwrap();
    (r.id, email)
}

/// Two clinicians (the triage clinician and the clinical lead), each on
/// the referral's page, so that each holds a CSRF token.
async fn clinicians(t: &TestApp) -> (Client, Client) {
    (
        t.staff_client("triage_clinician").await,
        t.staff_client("clinical_lead").await,
    )
}

/// Double clicks and two clinicians accepting one referral at once: one
/// patient, one episode, one activation link, one message, one decision in
/// the audit trail; everyone lands on the decided referral.
async fn parallel_acceptances_make_one_patient_episode_and_link(t: &TestApp) {
    let (tariq, lee) = clinicians(t).await;
    for round in 0..ROUNDS {
        let (id, email) = received(t, round).await;
        let path = format!("/staff/referrals/{id}");
        let page = tariq.get(&path).await.ok();
        lee.get(&path).await.ok();
        let practitioner = page.option_value("Sam Supporter");
        let fields = owned(&[
            ("decision", "accept"),
            ("step", "programme"),
            ("practitioner", &practitioner),
        ]);
        let requests = (0..AT_ONCE)
            .map(|i| {
                let who = if i % 2 == 0 { &tariq } else { &lee };
                post_owned(who.clone(), format!("{path}/decision"), fields.clone())
            })
            .collect();
        let answers = at_once(requests).await;
        all_redirect_to(&answers, &format!("{path}?decided=1"));

        let name = family(round);
        let one = |what: &str, n: i64| assert_eq!(n, 1, "round {round}: {what}");
        one(
            "patients",
            t.count(
                "SELECT COUNT(*) FROM patients WHERE family_name = $1",
                &name,
            )
            .await,
        );
        one(
            "patients with the email",
            t.count("SELECT COUNT(*) FROM patients WHERE email = $1", &email)
                .await,
        );
        one(
            "episodes",
            t.count(
                "SELECT COUNT(*) FROM episodes WHERE referral_id = $1",
                &id.to_string(),
            )
            .await,
        );
        one(
            "activation links",
            t.count(
                "SELECT COUNT(*) FROM patient_activations a JOIN patients p ON p.id = a.patient_id \
                 WHERE p.family_name = $1",
                &name,
            )
            .await,
        );
        one(
            "messages queued",
            t.count(
                "SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE $1",
                &format!("referral.{id}.accepted.%"),
            )
            .await,
        );
        one(
            "decisions audited",
            audited(t, "referral.decided", &id.to_string()).await,
        );
        // The referral names the one patient, who is on the supporter's caseload.
        one(
            "the referral's patient",
            t.count(
                "SELECT COUNT(*) FROM referrals r JOIN patients p ON p.id = r.patient_id \
                 WHERE p.family_name = $1 AND p.supporter_id IS NOT NULL",
                &name,
            )
            .await,
        );
    }
    t.drain_jobs().await;
}

/// Accept, decline and signpost at the same moment: exactly one decision
/// stands; those who asked for the same one see it, the others are told
/// with a 409, and nothing of the losing decisions is kept.
async fn conflicting_decisions_leave_one_and_say_so(t: &TestApp) {
    let (tariq, lee) = clinicians(t).await;
    for round in 0..ROUNDS {
        let (id, _) = received(t, 10 + round).await;
        let path = format!("/staff/referrals/{id}");
        let page = tariq.get(&path).await.ok();
        lee.get(&path).await.ok();
        let practitioner = page.option_value("Sam Supporter");
        let accept = owned(&[
            ("decision", "accept"),
            ("step", "therapist"),
            ("practitioner", &practitioner),
        ]);
        let decline = owned(&[("decision", "decline"), ("reason", "Needs a specialist")]);
        let signpost = owned(&[("decision", "signpost"), ("place", "Breathing Space")]);
        let kinds = [&accept, &decline, &signpost];
        let requests = (0..AT_ONCE)
            .map(|i| {
                let who = if i % 2 == 0 { &tariq } else { &lee };
                post_owned(
                    who.clone(),
                    format!("{path}/decision"),
                    kinds[i % 3].clone(),
                )
            })
            .collect();
        let answers = at_once(requests).await;
        no_server_errors(&answers);
        let decided = t.count(
            "SELECT COUNT(*) FROM referrals WHERE id = $1 AND status IN ('accepted', 'declined', 'signposted')",
            &id.to_string(),
        )
        .await;
        assert_eq!(decided, 1);
        let mut tx = t.app.store().read().await.unwrap();
        let status = tx.referral(id).await.unwrap().unwrap().status;
        tx.rollback().await.unwrap();
        let winner = match status.as_str() {
            "accepted" => "accept",
            "declined" => "decline",
            _ => "signpost",
        };
        for (i, r) in answers.iter().enumerate() {
            let asked = kinds[i % 3][0].1.as_str();
            if asked == winner {
                assert_eq!(
                    r.location(),
                    Some(format!("{path}?decided=1").as_str()),
                    "{asked} won, so asking for it again shows it: {} {}",
                    r.status,
                    r.body
                );
            } else {
                assert_eq!(
                    r.status.as_u16(),
                    409,
                    "{asked} lost to {winner}: {}",
                    r.body
                );
                assert!(
                    r.body.contains("already been decided"),
                    "the 409 says why: {}",
                    r.body
                );
            }
        }
        let episodes = t
            .count(
                "SELECT COUNT(*) FROM episodes WHERE referral_id = $1",
                &id.to_string(),
            )
            .await;
        assert_eq!(episodes, i64::from(winner == "accept"));
        assert_eq!(
            audited(t, "referral.decided", &id.to_string()).await,
            1,
            "one decision in the audit trail"
        );
    }
}

/// Two clinicians confirming and rejecting the same candidate at once: one
/// verdict row, no server error.
async fn parallel_match_verdicts_keep_one_each(t: &TestApp) {
    let (tariq, lee) = clinicians(t).await;
    let patient = t.demo.patients[0].id.clone();
    for round in 0..ROUNDS {
        let (id, _) = received(t, 20 + round).await;
        let path = format!("/staff/referrals/{id}");
        tariq.get(&path).await.ok();
        lee.get(&path).await.ok();
        let requests = (0..AT_ONCE)
            .map(|i| {
                let who = if i % 2 == 0 { &tariq } else { &lee };
                let verdict = if i % 3 == 0 { "reject" } else { "confirm" };
                post_owned(
                    who.clone(),
                    format!("{path}/match"),
                    owned(&[("patient_id", &patient), ("verdict", verdict)]),
                )
            })
            .collect();
        let answers = at_once(requests).await;
        all_redirect_to(&answers, &format!("{path}#matches"));
        let verdicts = t
            .count(
                "SELECT COUNT(*) FROM referral_matches WHERE referral_id = $1",
                &id.to_string(),
            )
            .await;
        assert_eq!(verdicts, 1);
    }
}
