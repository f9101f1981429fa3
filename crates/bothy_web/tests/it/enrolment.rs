//! A new staff member's single-use link: password and second factor, once.

use crate::both_dbs;
use crate::helpers::TestApp;
use bothy_app::RequestContext;
use bothy_domain::role::Role;
use std::time::Duration;

both_dbs!(
    enrolment_sets_password_and_code_once,
    enrolment_links_expire
);

async fn new_staff(t: &TestApp, email: &str) -> String {
    let service = t.app.admin().service_by_slug("demo").await.unwrap();
    let made = t
        .app
        .admin()
        .create_staff(
            service.id,
            email,
            "Nadia New",
            &[Role::TriageClinician],
            &RequestContext::default(),
        )
        .await
        .unwrap();
    let path = made
        .enrolment_link
        .split_once("/enrol/")
        .map(|(_, tok)| format!("/enrol/{tok}"))
        .unwrap();
    assert!(
        made.enrolment_link
            .starts_with(&t.app.settings().public_url)
    );
    path
}

fn secret_from(body: &str) -> String {
    let i = body.find("class=\"secret\">").unwrap() + 15;
    body[i..].split('<').next().unwrap().trim().to_string()
}

async fn enrolment_sets_password_and_code_once(t: TestApp) {
    let link = new_staff(&t, "nadia@example.nhs.uk").await;
    // Not enrolled yet: the account cannot sign in.
    let c = t.client();
    c.get("/sign-in").await.ok();
    c.post_form(
        "/sign-in",
        &[
            ("email", "nadia@example.nhs.uk"),
            ("password", "anything at all"),
        ],
    )
    .await
    .status(401);
    let page = c.get(&link).await.ok().has_crisis_panel();
    let secret = secret_from(&page.body);
    let code = bothy_app::credentials::totp_code(&secret, t.clock_secs()).unwrap();
    // Every field is checked and explained.
    let r = c
        .post_form(
            &link,
            &[("password", "short"), ("confirm", "other"), ("code", "123")],
        )
        .await
        .status(422);
    assert!(
        r.body.contains("at least 10 characters") && r.body.contains("6-digit code"),
        "{}",
        r.body
    );
    let r = c
        .post_form(
            &link,
            &[
                ("password", "a long enough passphrase"),
                ("confirm", "a different passphrase"),
                ("code", &code),
            ],
        )
        .await
        .status(422);
    assert!(r.body.contains("do not match"));
    c.post_form(
        &link,
        &[
            ("password", "a long enough passphrase"),
            ("confirm", "a long enough passphrase"),
            ("code", &code),
        ],
    )
    .await
    .redirects_to("/sign-in");
    // The link is used up.
    c.get(&link).await.status(410).has_crisis_panel();
    // Sign in with the new password and the authenticator.
    c.get("/sign-in").await.ok();
    c.post_form(
        "/sign-in",
        &[
            ("email", "nadia@example.nhs.uk"),
            ("password", "a long enough passphrase"),
        ],
    )
    .await
    .redirects_to("/sign-in/code");
    t.clock.advance(Duration::from_secs(30));
    let code = bothy_app::credentials::totp_code(&secret, t.clock_secs()).unwrap();
    c.get("/sign-in/code").await.ok();
    c.post_form("/sign-in/code", &[("code", &code)])
        .await
        .redirects_to("/staff");
    assert!(
        c.get("/staff")
            .await
            .ok()
            .body
            .contains("People in this service")
    );
}

async fn enrolment_links_expire(t: TestApp) {
    let link = new_staff(&t, "late@example.nhs.uk").await;
    t.clock.advance(Duration::from_secs(72 * 3600 + 1));
    t.client().get(&link).await.status(410);
    // A guessed token is simply not found.
    t.client()
        .get(&format!("/enrol/{}", "a".repeat(64)))
        .await
        .status(404);
}
