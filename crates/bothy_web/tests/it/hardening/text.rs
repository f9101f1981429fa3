//! Text people type is kept only if it can be shown as typed: invisible
//! format characters, control characters and unassigned or private-use code
//! points are refused with a message saying so, and a form body that is not
//! UTF-8 is refused whole rather than stored with replacement characters.

use crate::both_dbs;
use crate::helpers::{Client, Resp, TestApp};

both_dbs!(
    invisible_characters_are_refused_where_people_type,
    a_form_that_is_not_utf8_is_refused_and_nothing_is_stored,
);

const RLO: &str = "\u{202E}";
const ZWSP: &str = "\u{200B}";

/// Starts a self-referral to the demo service; returns its resume token.
async fn begin(c: &Client) -> String {
    c.get("/refer").await.ok();
    let r = c.post_form("/refer", &[("service", "demo")]).await;
    r.location().unwrap().split('/').nth(2).unwrap().to_string()
}

async fn about(c: &Client, token: &str, given: &str) -> Resp {
    c.post_form(
        &format!("/refer/{token}/about"),
        &[
            ("given_name", given),
            ("family_name", "Example"),
            ("dob_day", "14"),
            ("dob_month", "6"),
            ("dob_year", "1988"),
            ("email", "ann.example@example.org"),
            ("phone", ""),
            ("preferred_channel", "email"),
            ("postcode", "EH1 1AA"),
        ],
    )
    .await
}

const INVISIBLE: &str = "invisible formatting character";

async fn invisible_characters_are_refused_where_people_type(t: TestApp) {
    // A name on the self-referral form.
    let c = t.client();
    let token = begin(&c).await;
    let r = about(&c, &token, &format!("Ann{RLO}eniaL"))
        .await
        .status(422);
    assert!(r.body.contains(INVISIBLE), "{}", r.body);
    assert!(r.body.contains("href=\"#given_name\""), "{}", r.body);
    about(&c, &token, "Ann")
        .await
        .redirects_to(&format!("/refer/{token}/gp"));
    // The reason for referral.
    let r = c
        .post_form(
            &format!("/refer/{token}/help"),
            &[
                ("problem_text", &format!("I feel{ZWSP} low")),
                ("problems", "low_mood"),
            ],
        )
        .await
        .status(422);
    assert!(r.body.contains(INVISIBLE), "{}", r.body);

    // A check-in note and a safety plan line.
    let p = t.patient_client(5).await;
    p.get("/check-in").await.ok();
    let r = p
        .post_form(
            "/check-in",
            &[
                ("mood", "5"),
                ("note", &format!("ok{ZWSP}")),
                ("key", "k-1"),
            ],
        )
        .await
        .status(422);
    assert!(r.body.contains(INVISIBLE), "{}", r.body);
    p.get("/safety-plan/edit").await.ok();
    let r = p
        .post_form(
            "/safety-plan/edit",
            &[("warning_signs", &format!("not sleeping\n{RLO}txet"))],
        )
        .await
        .status(422);
    assert!(r.body.contains(INVISIBLE), "{}", r.body);
    let r = p
        .post_form(
            "/safety-plan/edit",
            &[("warning_signs", "not sleeping\nprivate \u{E000} use")],
        )
        .await
        .status(422);
    assert!(r.body.contains("private-use or unassigned"), "{}", r.body);
    // Line breaks in long text, emoji and their joiners are kept.
    let r = p
        .post_form(
            "/safety-plan/edit",
            &[("warning_signs", "not sleeping\nfamily 👨\u{200D}👩\u{200D}👧 and the flag 🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}")],
        )
        .await;
    assert!(r.status.is_redirection(), "{}: {}", r.status, r.body);
}

async fn a_form_that_is_not_utf8_is_refused_and_nothing_is_stored(t: TestApp) {
    let c = t.client();
    let token = begin(&c).await;
    let csrf = c.csrf();
    let path = format!("/refer/{token}/about");
    for given in ["Ann%FF", "Ann%C3%28", "Ann%ED%A0%80"] {
        let body = format!(
            "csrf_token={csrf}&given_name={given}&family_name=Example&dob_day=14&dob_month=6\
             &dob_year=1988&email=a%40example.org&preferred_channel=email&postcode=EH1+1AA"
        );
        let r = c
            .post_raw(
                &path,
                "application/x-www-form-urlencoded",
                body.into_bytes(),
            )
            .await
            .status(400)
            .has_crisis_panel();
        assert!(r.body.contains("UTF-8"), "{given}: {}", r.body);
    }
    // Raw bytes that are not UTF-8, not even percent-encoded.
    let mut raw = format!("csrf_token={csrf}&given_name=Ann").into_bytes();
    raw.extend_from_slice(&[0xff, 0xfe]);
    c.post_raw(&path, "application/x-www-form-urlencoded", raw)
        .await
        .status(400);
    // Nothing was kept: the draft has no name.
    let draft = t.app.referrals().draft(&token).await.unwrap();
    assert_eq!(draft.details.given_name, None);
    // Sign-in too: refused as unreadable, not as a wrong password.
    c.get("/sign-in").await.ok();
    let body = format!(
        "csrf_token={}&email=a%FF%40example.org&password=x",
        c.csrf()
    );
    c.post_raw(
        "/sign-in",
        "application/x-www-form-urlencoded",
        body.into_bytes(),
    )
    .await
    .status(400);
}
