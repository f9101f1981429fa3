//! Sign-in, second factor, time-outs, sign-out and throttling.

use crate::both_dbs;
use crate::helpers::TestApp;
use std::time::Duration;

both_dbs!(
    staff_sign_in_needs_password_and_code,
    wrong_password_and_unknown_account_answer_alike,
    codes_work_once,
    staff_idle_and_absolute_timeouts,
    patient_idle_timeout,
    sign_out_ends_the_session_on_the_server,
    sign_in_is_throttled_per_account,
    session_id_changes_at_sign_in,
);

async fn staff_sign_in_needs_password_and_code(t: TestApp) {
    let c = t.client();
    c.get("/staff").await.redirects_to("/sign-in");
    let s = t.staff("supporter").clone();
    c.get("/sign-in").await.ok().has_crisis_panel();
    c.post_form(
        "/sign-in",
        &[("email", &s.email), ("password", &s.password)],
    )
    .await
    .redirects_to("/sign-in/code");
    // Half signed in: no staff page, no patient data.
    c.get("/staff").await.redirects_to("/sign-in/code");
    c.get("/sign-in/code").await.ok();
    c.post_form("/sign-in/code", &[("code", "000000")])
        .await
        .status(401);
    t.clock.advance(Duration::from_secs(30));
    c.post_form("/sign-in/code", &[("code", &t.code("supporter"))])
        .await
        .redirects_to("/staff");
    let home = c.get("/staff").await.ok();
    assert!(home.body.contains("Your caseload"));
    assert_eq!(home.headers.get("cache-control").unwrap(), "no-store");
}

async fn wrong_password_and_unknown_account_answer_alike(t: TestApp) {
    let c = t.client();
    c.get("/sign-in").await.ok();
    let known = c
        .post_form(
            "/sign-in",
            &[
                ("email", &t.staff("admin").email),
                ("password", "not the password"),
            ],
        )
        .await
        .status(401);
    let unknown = c
        .post_form(
            "/sign-in",
            &[
                ("email", "nobody@example.org"),
                ("password", "not the password"),
            ],
        )
        .await
        .status(401);
    assert!(
        known
            .body
            .contains("Email, password or code not recognised")
    );
    let strip = |s: &str| {
        crate::helpers::without_csrf(s)
            .replace(&t.staff("admin").email, "EMAIL")
            .replace("nobody@example.org", "EMAIL")
    };
    assert_eq!(
        strip(&known.body),
        strip(&unknown.body),
        "the two refusals must be indistinguishable"
    );
    // A patient's wrong password answers the same way too.
    let patient = c
        .post_form(
            "/sign-in",
            &[
                ("email", &t.demo.patients[0].email),
                ("password", "nope nope nope"),
            ],
        )
        .await
        .status(401);
    assert_eq!(
        strip(&patient.body.replace(&t.demo.patients[0].email, "EMAIL")),
        strip(&unknown.body)
    );
}

async fn codes_work_once(t: TestApp) {
    let s = t.staff("triage_clinician").clone();
    let first = t.client();
    first.get("/sign-in").await.ok();
    first
        .post_form(
            "/sign-in",
            &[("email", &s.email), ("password", &s.password)],
        )
        .await
        .redirects_to("/sign-in/code");
    t.clock.advance(Duration::from_secs(30));
    let code = t.code("triage_clinician");
    first.get("/sign-in/code").await.ok();
    first
        .post_form("/sign-in/code", &[("code", &code)])
        .await
        .redirects_to("/staff");
    // Someone who saw the code cannot use it again.
    let second = t.client();
    second.get("/sign-in").await.ok();
    second
        .post_form(
            "/sign-in",
            &[("email", &s.email), ("password", &s.password)],
        )
        .await
        .redirects_to("/sign-in/code");
    second.get("/sign-in/code").await.ok();
    second
        .post_form("/sign-in/code", &[("code", &code)])
        .await
        .status(401);
}

async fn staff_idle_and_absolute_timeouts(t: TestApp) {
    let c = t.staff_client("clinical_lead").await;
    t.clock.advance(Duration::from_secs(14 * 60));
    c.get("/staff").await.ok();
    t.clock.advance(Duration::from_secs(16 * 60));
    c.get("/staff").await.redirects_to("/sign-in");
    // Active all day: still ends at 12 hours.
    let c = t.staff_client("clinical_lead").await;
    for _ in 0..(12 * 6) {
        t.clock.advance(Duration::from_secs(10 * 60));
        c.get("/staff").await.ok();
    }
    t.clock.advance(Duration::from_secs(60));
    c.get("/staff").await.redirects_to("/sign-in");
}

async fn patient_idle_timeout(t: TestApp) {
    let c = t.patient_client(0).await;
    t.clock.advance(Duration::from_secs(29 * 60));
    c.get("/home").await.ok();
    t.clock.advance(Duration::from_secs(31 * 60));
    c.get("/home").await.redirects_to("/sign-in");
}

async fn sign_out_ends_the_session_on_the_server(t: TestApp) {
    let c = t.staff_client("admin").await;
    let stolen = c.cookies();
    c.get("/account").await.ok();
    c.post_form("/sign-out", &[])
        .await
        .redirects_to("/signed-out");
    assert!(
        c.get("/signed-out")
            .await
            .ok()
            .body
            .contains("You have signed out")
    );
    // A copy of the old cookie is worthless now.
    let thief = t.client();
    thief.set_cookies(stolen);
    thief.get("/staff").await.redirects_to("/sign-in");
}

async fn sign_in_is_throttled_per_account(t: TestApp) {
    let c = t.client();
    c.get("/sign-in").await.ok();
    for email in [
        t.staff("analyst").email.clone(),
        "nobody@example.org".to_string(),
    ] {
        for _ in 0..5 {
            c.post_form(
                "/sign-in",
                &[("email", &email), ("password", "wrong password")],
            )
            .await
            .status(401);
        }
        // The sixth attempt is refused before the password is checked, even
        // with the right password, and the 429 page keeps the crisis panel.
        let password = t.staff("analyst").password.clone();
        c.post_form("/sign-in", &[("email", &email), ("password", &password)])
            .await
            .status(429)
            .has_crisis_panel();
    }
    // Fifteen minutes later the account can sign in again.
    t.clock.advance(Duration::from_secs(15 * 60));
    let s = t.staff("analyst").clone();
    c.get("/sign-in").await.ok();
    c.post_form(
        "/sign-in",
        &[("email", &s.email), ("password", &s.password)],
    )
    .await
    .redirects_to("/sign-in/code");
}

async fn session_id_changes_at_sign_in(t: TestApp) {
    let c = t.client();
    c.get("/sign-in").await.ok();
    let before = c.cookies();
    assert!(before.contains_key("bothy_session"));
    let p = t.demo.patients[1].clone();
    c.post_form(
        "/sign-in",
        &[("email", &p.email), ("password", &p.password)],
    )
    .await
    .redirects_to("/home");
    assert_ne!(
        before.get("bothy_session"),
        c.cookies().get("bothy_session")
    );
    // The pre-sign-in id is not signed in.
    let fixed = t.client();
    fixed.set_cookies(before);
    fixed.get("/home").await.redirects_to("/sign-in");
}
