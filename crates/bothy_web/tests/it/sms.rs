//! Two-way text messages through the gateway's callbacks: a mood check-in
//! and PHQ-9 by reply, read forgivingly, through the web's own use cases;
//! risk in any text raises an alert and sends the crisis numbers; STOP and
//! START; a number nobody has learns nothing; the gateway's secret; each
//! text handled once, even twice at once. (Real Kannel: delivery/kannel.rs.)

use crate::both_dbs;
use crate::helpers::{Client, Resp, TestApp};
use axum::body::Body;
use axum::http::Request;
use base64::Engine;
use bothy_domain::PatientId;
use bothy_web::WebSettings;

both_dbs!(
    a_phq9_by_text_is_scored_as_on_the_web_and_item_9_raises_an_alert_and_the_crisis_numbers,
    a_mood_check_in_by_reply_is_read_forgivingly_and_an_unclear_reply_is_asked_once_more,
    a_reply_not_understood_twice_changes_nothing,
    stop_stops_every_text_at_once_and_start_starts_them_again,
    risk_words_in_any_text_reach_the_care_team_with_the_crisis_contacts_back,
    a_number_nobody_has_learns_nothing,
    the_gateway_needs_its_secret_and_a_repeat_changes_nothing,
    the_same_answer_twice_at_once_is_recorded_once,
    delivery_reports_show_to_staff,
);

const SECRET: &str = "sms-inbound-secret-for-tests-0123";
const PHONE: &str = "+447700900555";

/// The gateway's view of Bothy: the router with the inbound secret set.
fn gateway(t: &TestApp) -> Client {
    t.client_of(bothy_web::router(
        t.app.clone(),
        WebSettings {
            sms_inbound_secret: Some(SECRET.into()),
            ..Default::default()
        },
    ))
}

/// Kannel's sms-service posting a reply, with `secret` as Basic password.
async fn post_text(c: &Client, secret: Option<&str>, id: &str, from: &str, text: &str) -> Resp {
    let from = percent_encoding::utf8_percent_encode(from, percent_encoding::NON_ALPHANUMERIC);
    let mut req = Request::post(format!("/sms/kannel/inbound?id={id}&from={from}&to=60001"))
        .header("content-type", "text/plain; charset=\"UTF-8\"");
    if let Some(s) = secret {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("kannel:{s}"));
        req = req.header("authorization", format!("Basic {basic}"));
    }
    c.send(req.body(Body::from(text.to_string())).unwrap())
        .await
}

/// A text from `from`, through the gateway's callback.
pub(crate) async fn text_from(t: &TestApp, id: &str, from: &str, body: &str) -> Resp {
    post_text(&gateway(t), Some(SECRET), id, from, body)
        .await
        .ok()
}

async fn text(c: &Client, id: &str, body: &str) -> Resp {
    post_text(c, Some(SECRET), id, PHONE, body).await.ok()
}

/// Demo patient `n`, with PHONE and their agreement to text messages.
async fn agrees_to_texts(t: &TestApp, n: usize) -> PatientId {
    t.fixtures().agrees_to_texts(n, PHONE).await
}

/// The texts sent to PHONE since the last call, in order.
async fn texted(t: &TestApp) -> Vec<String> {
    t.drain_jobs().await;
    let sent = t
        .outbox
        .sent()
        .into_iter()
        .filter(|m| m.to == PHONE)
        .map(|m| m.body)
        .collect();
    t.outbox.clear();
    sent
}

/// Staff ask `what` (mood, phq9, gad7) by text from the patient's page.
async fn ask(t: &TestApp, patient: PatientId, what: &str) -> Resp {
    let staff = t.staff_client("clinical_lead").await;
    staff.get(&format!("/staff/patients/{patient}")).await.ok();
    staff
        .post_form(&format!("/staff/patients/{patient}/sms"), &[("ask", what)])
        .await
}

async fn a_phq9_by_text_is_scored_as_on_the_web_and_item_9_raises_an_alert_and_the_crisis_numbers(
    t: TestApp,
) {
    let patient = agrees_to_texts(&t, 0).await;
    let g = gateway(&t);
    ask(&t, patient, "phq9")
        .await
        .redirects_to(&format!("/staff/patients/{patient}?sms=sent"));
    let first = texted(&t).await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0].contains("PHQ-9 question 1 of 9"), "{}", first[0]);
    assert!(
        first[0].contains("Reply 0 Not at all, 1 Several days"),
        "{}",
        first[0]
    );
    // Asked again while open: nothing more is sent.
    ask(&t, patient, "phq9")
        .await
        .redirects_to(&format!("/staff/patients/{patient}?sms=open"));
    assert!(texted(&t).await.is_empty());
    for (n, reply) in ["1", " 2 ", "1/3", "one", "0", "2", "1", "0"]
        .iter()
        .enumerate()
    {
        text(&g, &format!("phq-{n}"), reply).await;
        let next = texted(&t).await;
        assert_eq!(next.len(), 1, "after {reply:?}: {next:?}");
        assert!(
            next[0].contains(&format!("question {} of 9", n + 2)),
            "{}",
            next[0]
        );
    }
    assert!(t.open_alerts(patient).await.is_empty());
    // Item 9, "several days": the web's risk rule, an alert with a deadline.
    text(&g, "phq-8", "1").await;
    let mut last = texted(&t).await;
    last.sort_by_key(|b| !b.contains("Call 116 123"));
    assert_eq!(last.len(), 2, "{last:?}");
    assert!(
        last[0].contains("If you need help now") && last[0].contains("Call 116 123"),
        "{}",
        last[0]
    );
    assert!(
        last[1].contains("Your answers have been saved"),
        "{}",
        last[1]
    );
    let alerts = t.open_alerts(patient).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let mut tx = t.app.store().read().await.unwrap();
    let responses = tx
        .measure_responses(patient, None, None, false, 10)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(responses.len(), 1);
    let r = &responses[0];
    assert_eq!(r.source, bothy_domain::model::ResponseSource::Sms);
    assert_eq!(r.answers, [1, 2, 1, 1, 0, 2, 1, 0, 1].map(Some).to_vec());
    assert_eq!(r.total, 9.0);
    // No text carries a score or an answer.
    for body in first.iter().chain(&last) {
        assert!(!body.contains("score") && !body.contains(" 9 "), "{body}");
    }
    // Staff see the texts sent and that the conversation ended.
    let staff = t.staff_client("clinical_lead").await;
    let page = staff.get(&format!("/staff/patients/{patient}")).await.ok();
    assert!(
        page.body.contains("Crisis contacts (text)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Questionnaire question (text)"));
}

async fn a_mood_check_in_by_reply_is_read_forgivingly_and_an_unclear_reply_is_asked_once_more(
    t: TestApp,
) {
    let patient = agrees_to_texts(&t, 0).await;
    let g = gateway(&t);
    ask(&t, patient, "mood").await;
    let q = texted(&t).await;
    assert!(
        q[0].contains("How has your mood been today, 0 to 10?"),
        "{q:?}"
    );
    text(&g, "m-1", "not great").await;
    let retry = texted(&t).await;
    assert!(
        retry[0].contains("Sorry, we did not understand"),
        "{retry:?}"
    );
    text(&g, "m-2", "Seven.").await;
    assert!(texted(&t).await[0].contains("Your check-in has been saved"));
    let mut tx = t.app.store().read().await.unwrap();
    let check_ins = tx.check_ins(patient, 10).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(check_ins.len(), 1);
    assert_eq!(check_ins[0].mood, 7);
    // A person may ask for a check-in themself, by texting MOOD.
    t.clock.advance(std::time::Duration::from_secs(3600));
    text(&g, "m-3", "mood").await;
    assert!(texted(&t).await[0].contains("0 to 10"));
    text(&g, "m-4", "4/10").await;
    let mut tx = t.app.store().read().await.unwrap();
    assert_eq!(tx.check_ins(patient, 10).await.unwrap()[0].mood, 4);
    tx.rollback().await.unwrap();
}

async fn a_reply_not_understood_twice_changes_nothing(t: TestApp) {
    let patient = agrees_to_texts(&t, 0).await;
    let g = gateway(&t);
    ask(&t, patient, "gad7").await;
    texted(&t).await;
    text(&g, "u-1", "7").await; // not a GAD-7 answer
    assert!(texted(&t).await[0].starts_with(&format!("{}: Sorry, please reply", t.demo.service)));
    text(&g, "u-2", "maybe").await;
    let end = texted(&t).await;
    assert!(end[0].contains("nothing was saved"), "{end:?}");
    let mut tx = t.app.store().read().await.unwrap();
    assert!(
        tx.measure_responses(patient, None, None, false, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(tx.sms_conversation(patient).await.unwrap().is_none());
    assert!(tx.check_ins(patient, 10).await.unwrap().is_empty());
    tx.rollback().await.unwrap();
    // With nothing open, a number is a message for the care team, not a score.
    text(&g, "u-3", "3").await;
    assert!(texted(&t).await[0].contains("passed to your care team"));
}

async fn stop_stops_every_text_at_once_and_start_starts_them_again(t: TestApp) {
    let patient = agrees_to_texts(&t, 0).await;
    let g = gateway(&t);
    ask(&t, patient, "phq9").await;
    texted(&t).await;
    // A staff reply queued before the STOP, sent after it.
    text(&g, "s-1", "Stop.").await;
    let confirm = texted(&t).await;
    assert_eq!(confirm.len(), 1);
    assert!(
        confirm[0].contains("You will get no more texts"),
        "{confirm:?}"
    );
    let mut tx = t.app.store().read().await.unwrap();
    assert!(tx.sms_opted_out(PHONE).await.unwrap());
    assert!(!tx.contact_choice(patient).await.unwrap().unwrap().sms);
    assert!(tx.sms_conversation(patient).await.unwrap().is_none());
    tx.rollback().await.unwrap();
    // Nothing more goes: staff cannot ask, and a reply now is not answered
    // except by what answers the person (the crisis contacts).
    let refused = ask(&t, patient, "mood").await.status(422);
    assert!(
        refused.body.contains("not agreed to text messages"),
        "{}",
        refused.body
    );
    text(&g, "s-2", "2").await;
    assert!(texted(&t).await.is_empty());
    let page = t.staff_client("clinical_lead").await;
    let record = page.get(&format!("/staff/patients/{patient}")).await.ok();
    assert!(
        record.body.contains("Their number replied STOP"),
        "{}",
        record.body
    );
    text(&g, "s-3", "START").await;
    assert!(texted(&t).await[0].contains("Texts from us will start again"));
    let mut tx = t.app.store().read().await.unwrap();
    assert!(!tx.sms_opted_out(PHONE).await.unwrap());
    assert!(tx.contact_choice(patient).await.unwrap().unwrap().sms);
    tx.rollback().await.unwrap();
    ask(&t, patient, "mood")
        .await
        .redirects_to(&format!("/staff/patients/{patient}?sms=sent"));
}

async fn risk_words_in_any_text_reach_the_care_team_with_the_crisis_contacts_back(t: TestApp) {
    let patient = agrees_to_texts(&t, 0).await;
    let g = gateway(&t);
    ask(&t, patient, "mood").await;
    texted(&t).await;
    // Not an answer to the mood question, and not left waiting for one.
    text(&g, "r-1", "I took too many pills last night").await;
    // Two texts, in whichever order the network brings them.
    let mut back = texted(&t).await;
    back.sort_by_key(|b| !b.contains("Call 999"));
    assert_eq!(back.len(), 2, "{back:?}");
    assert!(back[0].contains("If you need help now"), "{}", back[0]);
    assert!(back[1].contains("passed to your care team"));
    assert_eq!(t.open_alerts(patient).await.len(), 1);
    let staff = t.staff_client("clinical_lead").await;
    let record = staff.get(&format!("/staff/patients/{patient}")).await.ok();
    assert!(record.body.contains("Text message"), "{}", record.body);
    // The question is still open: a number now is the answer.
    text(&g, "r-2", "3").await;
    assert!(texted(&t).await[0].contains("check-in has been saved"));
}

async fn a_number_nobody_has_learns_nothing(t: TestApp) {
    let g = gateway(&t);
    text(&g, "n-1", "Hello, is this the clinic?").await;
    let reply = texted(&t).await;
    assert_eq!(reply.len(), 1);
    assert!(reply[0].starts_with("If you need help now"), "{}", reply[0]);
    assert!(!reply[0].contains(&t.demo.service), "{}", reply[0]);
    // Once a day at most.
    text(&g, "n-2", "Hello?").await;
    assert!(texted(&t).await.is_empty());
    // A number two people share, with nothing open, is nobody in particular.
    agrees_to_texts(&t, 0).await;
    agrees_to_texts(&t, 1).await;
    t.clock.advance(std::time::Duration::from_secs(86_400));
    text(&g, "n-3", "Who is this?").await;
    let reply = texted(&t).await;
    assert!(reply[0].starts_with("If you need help now"), "{reply:?}");
    let mut tx = t.app.store().read().await.unwrap();
    for n in 0..2 {
        let id = t.demo.patients[n].id.parse().unwrap();
        assert!(
            tx.message_threads_of(id, false, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
    tx.rollback().await.unwrap();
}

async fn the_gateway_needs_its_secret_and_a_repeat_changes_nothing(t: TestApp) {
    let patient = agrees_to_texts(&t, 0).await;
    let g = gateway(&t);
    for secret in [None, Some("wrong"), Some("")] {
        let r = post_text(&g, secret, "x-1", PHONE, "STOP")
            .await
            .status(401);
        assert!(r.headers.get("www-authenticate").is_some());
    }
    // Without a secret configured the callbacks are not served at all.
    post_text(&t.client(), Some(SECRET), "x-1", PHONE, "STOP")
        .await
        .status(401);
    let mut tx = t.app.store().read().await.unwrap();
    assert!(!tx.sms_opted_out(PHONE).await.unwrap());
    assert!(!tx.sms_inbound_seen("kannel:x-1").await.unwrap());
    tx.rollback().await.unwrap();
    // A missing id is refused with a clear error.
    let r = g
        .send(
            Request::post("/sms/kannel/inbound?from=07700900555")
                .header(
                    "authorization",
                    format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(format!("k:{SECRET}"))
                    ),
                )
                .body(Body::from("hi"))
                .unwrap(),
        )
        .await
        .status(422);
    assert!(r.body.contains("needs its id"), "{}", r.body);
    ask(&t, patient, "mood").await;
    texted(&t).await;
    text(&g, "x-2", "6").await;
    text(&g, "x-2", "6").await;
    assert_eq!(texted(&t).await.len(), 1, "one thank-you");
    let mut tx = t.app.store().read().await.unwrap();
    assert_eq!(tx.check_ins(patient, 10).await.unwrap().len(), 1);
    tx.rollback().await.unwrap();
}

async fn the_same_answer_twice_at_once_is_recorded_once(t: TestApp) {
    let patient = agrees_to_texts(&t, 0).await;
    let g = gateway(&t);
    ask(&t, patient, "mood").await;
    texted(&t).await;
    // A double tap: two texts, two ids, at the same moment.
    let (a, b) = tokio::join!(
        post_text(&g, Some(SECRET), "d-1", PHONE, "5"),
        post_text(&g, Some(SECRET), "d-2", PHONE, "5")
    );
    let codes = [a.status.as_u16(), b.status.as_u16()];
    assert!(codes.iter().all(|c| [200, 409].contains(c)), "{codes:?}");
    assert!(codes.contains(&200));
    let mut tx = t.app.store().read().await.unwrap();
    assert_eq!(tx.check_ins(patient, 10).await.unwrap().len(), 1);
    tx.rollback().await.unwrap();
}

async fn delivery_reports_show_to_staff(t: TestApp) {
    let patient = agrees_to_texts(&t, 0).await;
    let g = gateway(&t);
    ask(&t, patient, "mood").await;
    t.drain_jobs().await;
    let key = t
        .outbox
        .sent()
        .last()
        .unwrap()
        .idempotency_key
        .as_str()
        .to_string();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("kannel:{SECRET}"));
    let report = |kind: &str| {
        Request::get(format!("/sms/kannel/status?key={key}&type={kind}"))
            .header("authorization", format!("Basic {basic}"))
            .body(Body::empty())
            .unwrap()
    };
    g.send(report("8")).await.ok();
    let staff = t.staff_client("clinical_lead").await;
    let page = staff.get(&format!("/staff/patients/{patient}")).await.ok();
    assert!(page.body.contains("<td>Sent</td>"), "{}", page.body);
    g.send(report("1")).await.ok();
    // A late failure report does not undo the delivery.
    g.send(report("16")).await.ok();
    g.send(report("99")).await.status(422);
    let page = staff.get(&format!("/staff/patients/{patient}")).await.ok();
    assert!(page.body.contains("<td>Delivered "), "{}", page.body);
}
