//! Bad input gets a clear 4xx, nothing is half-written, nothing is reflected unescaped.

use crate::both_dbs;
use crate::helpers::TestApp;

both_dbs!(
    forms_without_csrf_are_refused,
    cross_site_posts_are_refused,
    oversized_malformed_and_mistyped_bodies,
    markup_and_sql_are_never_reflected_raw,
    forged_and_expired_sessions_are_anonymous,
    password_change_validates_every_field,
);

async fn forms_without_csrf_are_refused(t: TestApp) {
    let c = t.client();
    c.get("/sign-in").await.ok();
    let s = t.staff("admin").clone();
    let body = serde_urlencoded::to_string([
        ("email", s.email.as_str()),
        ("password", s.password.as_str()),
    ])
    .unwrap();
    let r = c
        .post_raw(
            "/sign-in",
            "application/x-www-form-urlencoded",
            body.clone().into_bytes(),
        )
        .await
        .status(403)
        .has_crisis_panel();
    assert!(r.body.contains("This form has expired"));
    let wrong = format!("csrf_token=forged&{body}");
    c.post_raw(
        "/sign-in",
        "application/x-www-form-urlencoded",
        wrong.into_bytes(),
    )
    .await
    .status(403);
    // Signed-in forms too: a forged sign-out does nothing.
    let staff = t.staff_client("admin").await;
    staff
        .post_raw(
            "/sign-out",
            "application/x-www-form-urlencoded",
            b"csrf_token=nope".to_vec(),
        )
        .await
        .status(403);
    staff.get("/staff").await.ok();
}

async fn cross_site_posts_are_refused(t: TestApp) {
    let c = t.client();
    c.get("/sign-in").await.ok();
    let csrf = c.csrf();
    let req = axum::http::Request::post("/sign-in")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(axum::body::Body::from(format!(
            "csrf_token={csrf}&email=a%40b.com&password=x"
        )))
        .unwrap();
    c.send(req).await.status(403);
}

async fn oversized_malformed_and_mistyped_bodies(t: TestApp) {
    let c = t.client();
    c.get("/sign-in").await.ok();
    let csrf = c.csrf();
    let huge = format!("csrf_token={csrf}&email={}", "a".repeat(2 * 1024 * 1024));
    c.post_raw(
        "/sign-in",
        "application/x-www-form-urlencoded",
        huge.into_bytes(),
    )
    .await
    .status(413)
    .has_crisis_panel();
    let mut bad_utf8 = format!("csrf_token={csrf}&email=").into_bytes();
    bad_utf8.extend_from_slice(&[0xff, 0xfe, 0x41]);
    let r = c
        .post_raw("/sign-in", "application/x-www-form-urlencoded", bad_utf8)
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let json = format!("{{\"csrf_token\":\"{csrf}\",\"email\":\"a@b.com\"}}");
    let r = c
        .post_raw("/sign-in", "application/json", json.into_bytes())
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let r = c
        .post_raw(
            "/sign-in",
            "text/plain",
            format!("csrf_token={csrf}").into_bytes(),
        )
        .await
        .status(415)
        .has_crisis_panel();
    assert!(r.body.contains("web form"));
}

async fn markup_and_sql_are_never_reflected_raw(t: TestApp) {
    let c = t.client();
    c.get("/sign-in").await.ok();
    for evil in [
        "<script>alert(1)</script>@x.com",
        "\"><img src=x onerror=alert(1)>",
        "' OR 1=1; DROP TABLE staff; --",
    ] {
        let r = c
            .post_form("/sign-in", &[("email", evil), ("password", "x")])
            .await
            .status(401);
        assert!(
            !r.body.contains("<script>alert") && !r.body.contains("<img src=x"),
            "reflected: {}",
            r.body
        );
    }
    // The tables are still there and the admin can still sign in.
    t.staff_client("admin")
        .await
        .get("/staff/admin/staff")
        .await
        .ok();
    // Path parameters are checked too.
    let lead = t.staff_client("clinical_lead").await;
    lead.get("/staff/patients/'%20OR%201=1--").await.status(404);
    lead.get("/staff/patients/%3Cscript%3E").await.status(404);
}

async fn forged_and_expired_sessions_are_anonymous(t: TestApp) {
    let c = t.client();
    let mut forged = std::collections::BTreeMap::new();
    forged.insert(
        "bothy_session".to_string(),
        "AAAAAAAAAAAAAAAAAAAAAA".to_string(),
    );
    c.set_cookies(forged);
    c.get("/staff").await.redirects_to("/sign-in");
    let mut junk = std::collections::BTreeMap::new();
    junk.insert("bothy_session".to_string(), "%%%not-base64".to_string());
    c.set_cookies(junk);
    c.get("/staff").await.redirects_to("/sign-in");
}

async fn password_change_validates_every_field(t: TestApp) {
    let c = t.patient_client(2).await;
    c.get("/account").await.ok();
    let r = c
        .post_form(
            "/account/password",
            &[
                ("current_password", "wrong"),
                ("new_password", "short"),
                ("confirm", "x"),
            ],
        )
        .await
        .status(422);
    assert!(
        r.body.contains("at least 10 characters")
            && r.body.contains("current password is not right"),
        "{}",
        r.body
    );
    let p = t.demo.patients[2].clone();
    c.post_form(
        "/account/password",
        &[
            ("current_password", &p.password),
            ("new_password", "a new long passphrase"),
            ("confirm", "a new long passphrase"),
        ],
    )
    .await
    .redirects_to("/account?changed=1");
    // The new password works and the old one does not.
    let again = t.client();
    again.get("/sign-in").await.ok();
    again
        .post_form(
            "/sign-in",
            &[("email", &p.email), ("password", &p.password)],
        )
        .await
        .status(401);
    again
        .post_form(
            "/sign-in",
            &[("email", &p.email), ("password", "a new long passphrase")],
        )
        .await
        .redirects_to("/home");
}
