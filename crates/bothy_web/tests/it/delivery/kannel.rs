//! Text messages through a real Kannel: the bearerbox and smsbox scripts/test
//! starts (tests/kannel/start.sh), with fakesmsc playing the phone network.
//! Texts Bothy sends arrive at the phones' fakesmsc (its log, reassembled
//! here); a reply is a fakesmsc run that sends one text in, which Kannel's
//! sms-service posts to Bothy, served here on 127.0.0.1:14080 as Kannel's
//! configuration says. Delivery reports come back the same way. Without
//! `BOTHY_TEST_KANNEL_DIR` at build time these tests are listed as ignored.

use crate::helpers::TestApp;
use bothy_app::notify::{ByChannel, Notifier};
use bothy_app::sms::ConversationKind;
use bothy_app::{App, RequestContext};
use bothy_domain::PatientId;
use bothy_jobs::kannel::{KannelNotifier, KannelSettings};
use bothy_testkit::Db;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

macro_rules! kannel_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(bothy_no_kannel, ignore = "Kannel not tested: BOTHY_TEST_KANNEL_DIR is not set (scripts/test sets it)")]
            async fn sqlite() {
                bothy_testkit::run(bothy_testkit::Db::Sqlite, Default::default(), super::$name).await;
            }
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(any(bothy_no_kannel, bothy_no_postgres), ignore = "Kannel or PostgreSQL not tested: BOTHY_TEST_KANNEL_DIR or BOTHY_TEST_DATABASE_URL is not set")]
            async fn postgres() {
                bothy_testkit::run(bothy_testkit::Db::Postgres, Default::default(), super::$name).await;
            }
        }
    )*};
}

kannel_tests!(a_check_in_and_a_phq9_by_reply_through_kannel_then_stop_stops_them);

/// One test at a time uses the gateway and Bothy's callback port.
static GATEWAY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn kannel_dir() -> PathBuf {
    PathBuf::from(std::env::var("BOTHY_TEST_KANNEL_DIR").expect(
        "BOTHY_TEST_KANNEL_DIR names the test Kannel's directory (scripts/test starts one)",
    ))
}

/// A secret tests/kannel/start.sh wrote.
fn secret(name: &str) -> String {
    let file = kannel_dir().join("secrets");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("no test Kannel: {} ({e})", file.display()));
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} is not in {}", file.display()))
        .to_string()
}

/// The app on the test's database, sending texts through Kannel.
async fn kannel_app(t: &TestApp) -> App {
    let sms: Arc<dyn Notifier> = Arc::new(
        KannelNotifier::new(KannelSettings {
            sendsms: "127.0.0.1:14013".into(),
            username: "bothy".into(),
            password: secret("SENDSMS_PASSWORD"),
            sender: Some("60001".into()),
            callback_base: "http://127.0.0.1:14080".into(),
            inbound_secret: secret("INBOUND_SECRET"),
            timeout: Duration::from_secs(5),
        })
        .unwrap(),
    );
    t.worker_sending_by(Arc::new(ByChannel {
        email: Arc::new(t.outbox.clone()),
        sms,
    }))
    .await
}

/// The texts the phones received for `to`, parts of a long text joined
/// (fakesmsc prints a part as `udh <header> data <url-encoded text>`).
fn phone_texts(to: &str) -> Vec<String> {
    let log = std::fs::read_to_string(kannel_dir().join("phones.log")).unwrap_or_default();
    let mut texts: Vec<String> = Vec::new();
    let mut parts: std::collections::BTreeMap<(u8, u8), String> = Default::default();
    for line in log.lines() {
        let Some(msg) = line.split("Got message ").nth(1) else {
            continue;
        };
        let Some(msg) = msg.split_once(": <").map(|(_, m)| m.trim_end_matches('>')) else {
            continue;
        };
        let fields: Vec<&str> = msg.splitn(4, ' ').collect();
        if fields.len() < 4 || fields[1] != to {
            continue;
        }
        match fields[2] {
            "text" => texts.push(fields[3].to_string()),
            "udh" => {
                // <udh> data <text>; the header's last three octets: reference, total, sequence.
                let (udh, rest) = fields[3].split_once(' ').unwrap();
                let data = rest.strip_prefix("data ").unwrap_or(rest);
                let udh = decode(udh).into_bytes();
                let (reference, total, seq) = (udh[3], udh[4], udh[5]);
                parts.insert((reference, seq), decode(data));
                if (1..=total).all(|s| parts.contains_key(&(reference, s))) {
                    let whole: String = (1..=total)
                        .map(|s| parts.remove(&(reference, s)).unwrap())
                        .collect();
                    texts.push(whole);
                }
            }
            _ => {}
        }
    }
    texts
}

fn decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

/// Runs the worker until the phone `to` has received a text containing
/// `wanted` after the first `seen` texts; returns all its texts.
async fn wait_for_text(app: &App, to: &str, seen: usize, wanted: &str) -> Vec<String> {
    for _ in 0..150 {
        bothy_jobs::run_once(app).await.unwrap();
        let texts = phone_texts(to);
        if texts[seen.min(texts.len())..]
            .iter()
            .any(|t| t.contains(wanted))
        {
            return texts;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{to} never received {wanted:?}: {:#?}", phone_texts(to));
}

/// A phone sends `text` in: a fakesmsc that sends one text to the replies
/// centre, stopped once `done` says Bothy handled it.
async fn reply<F, Fut>(from: &str, text: &str, done: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let mut phone = std::process::Command::new("/usr/lib/kannel/test/fakesmsc")
        .args(["-H", "127.0.0.1", "-r", "14011", "-i", "0.01", "-m", "1"])
        .arg(format!("{from} 60001 text {text}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("fakesmsc (Debian's kannel-extras) runs");
    let mut handled = false;
    for _ in 0..150 {
        if done().await {
            handled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = phone.kill();
    let _ = phone.wait();
    assert!(handled, "Bothy never handled {text:?} from {from}");
}

async fn a_check_in_and_a_phq9_by_reply_through_kannel_then_stop_stops_them(t: TestApp) {
    let _one = GATEWAY.lock().await;
    let phone = match t.db {
        Db::Sqlite => "+447700900601",
        Db::Postgres => "+447700900602",
    };
    let patient: PatientId = t.fixtures().agrees_to_texts(0, phone).await;
    let app = Arc::new(kannel_app(&t).await);
    let router = bothy_web::router(
        app.clone(),
        bothy_web::WebSettings {
            sms_inbound_secret: Some(secret("INBOUND_SECRET")),
            ..Default::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:14080")
        .await
        .expect("Bothy's callback port, 14080, is free");
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let staff = t.fixtures().staff_actor("clinical_lead").await;
    let ctx = RequestContext::default();
    let before = phone_texts(phone).len();

    // A mood check-in: the question, "seven" by reply, the thank-you.
    assert!(
        app.sms()
            .start(&staff, patient, ConversationKind::Mood, &ctx)
            .await
            .unwrap()
    );
    wait_for_text(
        &app,
        phone,
        before,
        "How has your mood been today, 0 to 10?",
    )
    .await;
    let check_ins = || async {
        let mut tx = t.app.store().read().await.unwrap();
        let n = tx.check_ins(patient, 10).await.unwrap();
        tx.rollback().await.unwrap();
        n
    };
    reply(phone, "seven", || async { !check_ins().await.is_empty() }).await;
    assert_eq!(check_ins().await[0].mood, 7);
    wait_for_text(&app, phone, before, "Your check-in has been saved").await;

    // PHQ-9 item by item; item 9 answered "more than half the days".
    let asked = phone_texts(phone).len();
    let measure = ConversationKind::Measure("phq9".into());
    assert!(
        app.sms()
            .start(&staff, patient, measure, &ctx)
            .await
            .unwrap()
    );
    wait_for_text(&app, phone, asked, "PHQ-9 question 1 of 9").await;
    let answers = ["1", "2", "1", "0", "1", "0", "1", "0", "2"];
    for (n, answer) in answers.iter().enumerate() {
        let seen = phone_texts(phone).len();
        let step = || async {
            let mut tx = t.app.store().read().await.unwrap();
            let c = tx.sms_conversation(patient).await.unwrap();
            tx.rollback().await.unwrap();
            c.map(|c| c.step)
        };
        let at = step().await;
        reply(phone, answer, || async { step().await != at }).await;
        let next = if n + 1 < answers.len() {
            format!("question {} of 9", n + 2)
        } else {
            "If you need help now".to_string()
        };
        wait_for_text(&app, phone, seen, &next).await;
    }
    let mut tx = t.app.store().read().await.unwrap();
    let responses = tx
        .measure_responses(patient, None, None, false, 10)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].total, 8.0);
    assert_eq!(
        t.open_alerts(patient).await.len(),
        1,
        "item 9 raised an alert"
    );
    let texts = phone_texts(phone);
    let crisis = texts
        .iter()
        .rev()
        .find(|t| t.contains("If you need help now"))
        .unwrap();
    assert!(crisis.contains("Call 116 123"), "{crisis}");

    // The network's delivery reports came back through the dlr-url.
    let mut delivered = false;
    for _ in 0..100 {
        let mut tx = t.app.store().read().await.unwrap();
        let sent = tx.sent_to_patient(patient, 50).await.unwrap();
        tx.rollback().await.unwrap();
        if !sent.is_empty()
            && sent
                .iter()
                .all(|s| s.status == bothy_app::sms::DeliveryStatus::Delivered)
        {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delivered, "every text was reported delivered");

    // STOP: the confirmation, then nothing; asking again is refused.
    let stopped = || async {
        let mut tx = t.app.store().read().await.unwrap();
        let s = tx.sms_opted_out(phone).await.unwrap();
        tx.rollback().await.unwrap();
        s
    };
    let seen = phone_texts(phone).len();
    reply(phone, "STOP", stopped).await;
    wait_for_text(&app, phone, seen, "You will get no more texts").await;
    let refused = app
        .sms()
        .start(&staff, patient, ConversationKind::Mood, &ctx)
        .await;
    assert!(refused.is_err(), "{refused:?}");
    server.abort();
}
