//! The tools' forms sent many times at once: one entry per key, one alert
//! for risk words, and every answer the same redirect.

use super::*;
use crate::both_dbs;
use crate::helpers::TestApp;
use std::time::Duration;

both_dbs!(tool_entries_at_once);

async fn tool_entries_at_once(t: TestApp) {
    a_thought_record_with_risk_words_sent_many_times_is_stored_once_with_one_alert(&t).await;
    a_sleep_diary_night_sent_many_times_is_stored_once(&t).await;
}

async fn a_thought_record_with_risk_words_sent_many_times_is_stored_once_with_one_alert(
    t: &TestApp,
) {
    let c = t.patient_client(0).await;
    let me: bothy_domain::PatientId = t.demo.patients[0].id.parse().unwrap();
    for round in 0..ROUNDS {
        let key = c.get("/tools/thought-record").await.ok().field("key");
        let answers = post_at_once(
            &c,
            AT_ONCE,
            "/tools/thought-record",
            &[
                ("key", &key),
                ("situation", "At home alone"),
                ("feelings", "Desperate"),
                ("feeling_before", "90"),
                ("hot_thought", "I took too many pills last night"),
                ("belief_before", "90"),
            ],
        )
        .await;
        all_redirect_to(&answers, "/tools/thought-record?saved=1&risk=1");
        let n = t
            .count(
                "SELECT COUNT(*) FROM tool_entries WHERE idempotency_key = $1",
                &key,
            )
            .await;
        assert_eq!(n, 1, "round {round}");
        assert_eq!(
            audited(t, "tool_entry.recorded", "thought_record").await,
            round as i64 + 1
        );
        // One open alert however often the words arrive.
        assert_eq!(t.open_alerts(me).await.len(), 1, "round {round}");
        t.clock.advance(Duration::from_secs(60));
    }
}

async fn a_sleep_diary_night_sent_many_times_is_stored_once(t: &TestApp) {
    let c = t.patient_client(1).await;
    let today = jiff::Timestamp::from_second(t.clock_secs() as i64)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap())
        .date();
    for round in 0..ROUNDS {
        let key = c.get("/tools/sleep-diary").await.ok().field("key");
        let night = today
            .checked_sub(jiff::Span::new().days(1 + round as i64))
            .unwrap()
            .to_string();
        let answers = post_at_once(
            &c,
            AT_ONCE,
            "/tools/sleep-diary",
            &[
                ("key", &key),
                ("night_of", &night),
                ("went_to_bed", "22:45"),
                ("minutes_to_fall_asleep", "25"),
                ("minutes_awake_in_night", "40"),
                ("woke_finally", "06:15"),
                ("got_up", "06:50"),
            ],
        )
        .await;
        all_redirect_to(&answers, "/tools/sleep-diary?saved=1");
        let n = t
            .count(
                "SELECT COUNT(*) FROM tool_entries WHERE idempotency_key = $1",
                &key,
            )
            .await;
        assert_eq!(n, 1, "round {round}");
        t.clock.advance(Duration::from_secs(60));
    }
}
