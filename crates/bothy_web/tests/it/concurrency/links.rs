//! Single-use links and codes, used many times at once: activation links,
//! staff enrolment links and second-factor codes each work exactly once.

use super::decisions::{received, staff_actor};
use super::*;
use crate::both_dbs_with;
use crate::helpers::TestApp;
use bothy_app::{AppSettings, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::ids::ReferralId;
use bothy_domain::person::Email;
use bothy_domain::referral::{Decision, Step};
use bothy_domain::role::Role;
use std::time::Duration;

both_dbs_with!(roomy; single_use_links_and_codes_at_once);

/// One app for every scenario here (each app costs a fresh database).
async fn single_use_links_and_codes_at_once(t: TestApp) {
    an_activation_link_used_many_times_at_once_works_once(&t).await;
    an_enrolment_link_used_many_times_at_once_works_once(&t).await;
    a_second_factor_code_sent_from_many_sessions_works_once(&t).await;
    an_api_client_revoked_many_times_at_once_is_revoked_once(&t).await;
}

/// Enough sign-in attempts for one account to open eight sessions at once
/// (the usual limit is five in 15 minutes).
fn roomy() -> AppSettings {
    AppSettings {
        sign_in_attempts_per_account: 50,
        ..AppSettings::default()
    }
}

/// Accepts a referral as the triage clinician, allocated to the supporter.
pub(super) async fn accepted(t: &TestApp, n: usize) -> (ReferralId, String) {
    let (id, email) = received(t, n).await;
    let supporter = {
        let email = Email::parse(&t.staff("supporter").email).unwrap();
        let mut tx = t.app.store().read().await.unwrap();
        let s = tx.staff_by_email(&email).await.unwrap().unwrap().id;
        tx.rollback().await.unwrap();
        s
    };
    let decision = Decision::Accept {
        step: Step::Programme,
        practitioner: supporter,
        programme: None,
    };
    t.app
        .triage()
        .decide(
            &staff_actor(t, "triage_clinician").await,
            id,
            decision,
            &RequestContext::default(),
        )
        .await
        .unwrap();
    (id, email)
}

/// The activation token sent to `email`.
async fn activation_token(t: &TestApp, email: &str) -> String {
    t.drain_jobs().await;
    let link = format!("{}/activate/", t.app.settings().public_url);
    let sent = t.outbox.sent();
    let m = sent
        .iter()
        .rev()
        .find(|m| m.to == email && m.body.contains(&link))
        .unwrap_or_else(|| panic!("no activation message to {email}"));
    let at = m.body.find(&link).unwrap() + link.len();
    m.body[at..at + 64].to_string()
}

async fn patient_of(t: &TestApp, id: ReferralId) -> PatientId {
    let mut tx = t.app.store().read().await.unwrap();
    let p = tx.referral(id).await.unwrap().unwrap().patient_id.unwrap();
    tx.rollback().await.unwrap();
    p
}

const PASSWORD: &str = "a long and private password";

/// Two people's activation links, each used four times at once, all with
/// the same new email address: exactly one account gets it; the other
/// link is refused with a message about the email (and stays usable),
/// the rest are told the link is used up.
async fn an_activation_link_used_many_times_at_once_works_once(t: &TestApp) {
    for round in 0..ROUNDS {
        let (a, a_email) = accepted(t, 2 * round).await;
        let (b, b_email) = accepted(t, 2 * round + 1).await;
        let tokens = [
            activation_token(t, &a_email).await,
            activation_token(t, &b_email).await,
        ];
        let shared = format!("shared.{round}@example.org");
        let clients = [t.client(), t.client()];
        for (c, token) in clients.iter().zip(&tokens) {
            c.get(&format!("/activate/{token}")).await.ok();
        }
        let requests = (0..AT_ONCE)
            .map(|i| {
                post_owned(
                    clients[i % 2].clone(),
                    format!("/activate/{}", tokens[i % 2]),
                    owned(&[
                        ("email", &shared),
                        ("password", PASSWORD),
                        ("confirm", PASSWORD),
                    ]),
                )
            })
            .collect();
        let answers = at_once(requests).await;
        no_server_errors(&answers);
        let done: Vec<_> = answers
            .iter()
            .filter(|r| r.body.contains("Your account is ready"))
            .collect();
        assert_eq!(done.len(), 1, "one activation: {:?}", statuses(&answers));
        for r in answers
            .iter()
            .filter(|r| !r.body.contains("Your account is ready"))
        {
            match r.status.as_u16() {
                410 => {}
                422 => assert!(
                    r.body.contains("cannot be used to set up your account"),
                    "{}",
                    r.body
                ),
                s => panic!("unexpected {s}: {}", r.body),
            }
        }
        assert_eq!(
            t.count("SELECT COUNT(*) FROM patients WHERE email = $1", &shared)
                .await,
            1
        );
        let activated = |p: PatientId| {
            let t = t.clone();
            async move {
                t.count(
                    "SELECT COUNT(*) FROM audit_events WHERE action = 'patient.activated' AND patient_id = $1",
                    &p.to_string(),
                )
                .await
            }
        };
        let (pa, pb) = (patient_of(t, a).await, patient_of(t, b).await);
        assert_eq!(activated(pa).await + activated(pb).await, 1);
        let used_link = |p: PatientId| {
            let t = t.clone();
            async move {
                t.count(
                    "SELECT COUNT(*) FROM patient_activations WHERE used_at IS NOT NULL AND patient_id = $1",
                    &p.to_string(),
                )
                .await
            }
        };
        let used = used_link(pa).await + used_link(pb).await;
        assert_eq!(used, 1, "only the winning link is used up");
    }
}

async fn new_staff_link(t: &TestApp, n: usize) -> String {
    let service = t.app.admin().service_by_slug("demo").await.unwrap();
    let made = t
        .app
        .admin()
        .create_staff(
            service.id,
            &format!("new.{n}@example.nhs.uk"),
            "Nadia New",
            &[Role::TriageClinician],
            &RequestContext::default(),
        )
        .await
        .unwrap();
    made.enrolment_link
        .split_once("/enrol/")
        .map(|(_, tok)| format!("/enrol/{tok}"))
        .unwrap()
}

fn secret_from(body: &str) -> String {
    let i = body.find("class=\"secret\">").unwrap() + 15;
    body[i..].split('<').next().unwrap().trim().to_string()
}

/// An enrolment link sent many times at once: one enrolment, the rest told
/// the link is used up.
async fn an_enrolment_link_used_many_times_at_once_works_once(t: &TestApp) {
    for round in 0..ROUNDS {
        let link = new_staff_link(t, round).await;
        let c = t.client();
        let page = c.get(&link).await.ok();
        let code =
            bothy_app::credentials::totp_code(&secret_from(&page.body), t.clock_secs()).unwrap();
        let answers = post_at_once(
            &c,
            AT_ONCE,
            &link,
            &[
                ("password", "a long enough passphrase"),
                ("confirm", "a long enough passphrase"),
                ("code", &code),
            ],
        )
        .await;
        no_server_errors(&answers);
        let mut s = statuses(&answers);
        s.sort();
        assert_eq!(
            s,
            [vec![303], vec![410; AT_ONCE - 1]].concat(),
            "round {round}"
        );
        let enrolled = t
            .count(
                "SELECT COUNT(*) FROM audit_events e JOIN staff s ON s.id = e.actor_id \
             WHERE e.action = 'staff.enrolled' AND s.email = $1",
                &format!("new.{round}@example.nhs.uk"),
            )
            .await;
        assert_eq!(enrolled, 1);
    }
}

/// One staff member half signed in on eight devices sends the same code
/// from each at once: it works once; the others are refused.
async fn a_second_factor_code_sent_from_many_sessions_works_once(t: &TestApp) {
    let s = t.staff("triage_clinician").clone();
    for round in 0..ROUNDS {
        let mut clients = Vec::new();
        for _ in 0..AT_ONCE {
            let c = t.client();
            c.get("/sign-in").await.ok();
            c.post_form(
                "/sign-in",
                &[("email", &s.email), ("password", &s.password)],
            )
            .await
            .redirects_to("/sign-in/code");
            c.get("/sign-in/code").await.ok();
            clients.push(c);
        }
        // A fresh 30-second step, so the code has not been used.
        t.clock.advance(Duration::from_secs(30));
        let code = t.code("triage_clinician");
        let before = t
            .count(
                "SELECT COUNT(*) FROM audit_events WHERE action = $1",
                "sign_in.complete",
            )
            .await;
        let requests = clients
            .iter()
            .map(|c| post_owned(c.clone(), "/sign-in/code".into(), owned(&[("code", &code)])))
            .collect();
        let answers = at_once(requests).await;
        no_server_errors(&answers);
        let mut s = statuses(&answers);
        s.sort();
        assert_eq!(
            s,
            [vec![303], vec![401; AT_ONCE - 1]].concat(),
            "round {round}"
        );
        assert_eq!(
            answers
                .iter()
                .filter(|r| r.location() == Some("/staff"))
                .count(),
            1
        );
        let after = t
            .count(
                "SELECT COUNT(*) FROM audit_events WHERE action = $1",
                "sign_in.complete",
            )
            .await;
        assert_eq!(after, before + 1);
    }
}

/// Revoking an API client (an administrator's command, with no route) many
/// times at once: one revocation and one audit event; the others are told
/// there is no such client to revoke.
async fn an_api_client_revoked_many_times_at_once_is_revoked_once(t: &TestApp) {
    let demo = t.app.admin().service_by_slug("demo").await.unwrap().id;
    for round in 0..ROUNDS {
        let client = t
            .app
            .admin()
            .register_api_client(
                demo,
                &format!("Feed {round}"),
                &[bothy_domain::role::ApiPermission::PatientRead],
                &RequestContext::default(),
            )
            .await
            .unwrap();
        let gate = std::sync::Arc::new(tokio::sync::Barrier::new(AT_ONCE));
        let tasks: Vec<_> = (0..AT_ONCE)
            .map(|_| {
                let app = t.app.clone();
                let gate = gate.clone();
                tokio::spawn(async move {
                    gate.wait().await;
                    app.admin()
                        .revoke_api_client(client.id, &RequestContext::default())
                        .await
                })
            })
            .collect();
        let mut revoked = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => revoked += 1,
                Err(bothy_app::AppError::NotFound) => {}
                Err(e) => panic!("round {round}: {e:?}"),
            }
        }
        assert_eq!(revoked, 1, "round {round}");
        assert_eq!(
            audited(t, "api_client.revoked", &client.id.to_string()).await,
            1
        );
    }
}
