//! A new password ends every other session of the account, on every server,
//! while the session that changed it carries on under a new id.

use crate::both_dbs;
use crate::helpers::{Client, TestApp};

both_dbs!(
    a_staff_password_change_ends_the_other_sessions,
    a_patient_password_change_ends_the_other_sessions,
    disabling_a_staff_member_ends_their_sessions,
);

const NEW_PASSWORD: &str = "an entirely new passphrase";

async fn change_password(c: &Client, current: &str) {
    c.get("/account").await.ok();
    c.post_form(
        "/account/password",
        &[
            ("current_password", current),
            ("new_password", NEW_PASSWORD),
            ("confirm", NEW_PASSWORD),
        ],
    )
    .await
    .redirects_to("/account?changed=1");
}

async fn a_staff_password_change_ends_the_other_sessions(t: TestApp) {
    let s = t.staff("supporter").clone();
    let laptop = t.staff_client("supporter").await;
    let phone = t.staff_client("supporter").await;
    // Someone half-way through signing in with the old password.
    let half = t.client();
    half.get("/sign-in").await.ok();
    half.post_form(
        "/sign-in",
        &[("email", &s.email), ("password", &s.password)],
    )
    .await
    .redirects_to("/sign-in/code");
    // Another person's session is not touched.
    let colleague = t.staff_client("triage_clinician").await;
    phone.get("/staff").await.ok();

    let before = laptop.cookies();
    change_password(&laptop, &s.password).await;
    // The session that changed it continues, under a new id.
    laptop.get("/staff").await.ok();
    assert_ne!(before, laptop.cookies(), "the session id changes");
    let old = t.client();
    old.set_cookies(before);
    old.get("/staff").await.redirects_to("/sign-in");
    // Every other session of the account has ended.
    phone.get("/staff").await.redirects_to("/sign-in");
    half.get("/sign-in/code").await.redirects_to("/sign-in");
    colleague.get("/staff").await.ok();
}

async fn a_patient_password_change_ends_the_other_sessions(t: TestApp) {
    let p = t.demo.patients[3].clone();
    let home = t.patient_client(3).await;
    let library = t.patient_client(3).await;
    let other = t.patient_client(4).await;
    library.get("/home").await.ok();
    change_password(&home, &p.password).await;
    home.get("/home").await.ok();
    library.get("/home").await.redirects_to("/sign-in");
    other.get("/home").await.ok();
}

async fn disabling_a_staff_member_ends_their_sessions(t: TestApp) {
    let s = t.staff("moderator").clone();
    let signed_in = t.staff_client("moderator").await;
    let colleague = t.staff_client("analyst").await;
    signed_in.get("/staff").await.ok();
    let ctx = bothy_app::RequestContext::default();
    t.app.admin().disable_staff(&s.email, &ctx).await.unwrap();
    // Gone from the sessions table at once, not only refused on its next request.
    let mut tx = t.app.store().begin().await.unwrap();
    let id = tx
        .staff_by_email(&bothy_domain::person::Email::parse(&s.email).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(
        tx.end_sessions(bothy_store::SessionAccount::Staff(id), None)
            .await
            .unwrap(),
        0
    );
    tx.rollback().await.unwrap();
    signed_in.get("/staff").await.redirects_to("/sign-in");
    // The analyst colleague is still signed in (their home is the reports page).
    colleague.get("/staff/reports").await.ok();
    let c = t.client();
    c.get("/sign-in").await.ok();
    c.post_form(
        "/sign-in",
        &[("email", &s.email), ("password", &s.password)],
    )
    .await
    .status(401);
    assert!(t.app.admin().disable_staff(&s.email, &ctx).await.is_err());
}
