//! Text that `COPY`'s format and SQL quoting could get wrong must come back
//! exactly as written, on both backends: tabs, newlines, carriage returns,
//! backslashes (also `\N` and `\.`, COPY's NULL and end marker), quotes,
//! unicode, empty strings, NULLs and doubles that need every digit.

use super::*;
use crate::Store;
use bothy_domain::check_in::Activity;
use bothy_domain::ids::{CheckInId, ResponseId};
use bothy_domain::model::{ResponseSource, Service, ServiceSlug};

const AWKWARD: &[&str] = &[
    "tab\there",
    "new\nline",
    "crlf\r\nend",
    "back\\slash\\",
    "\\N",
    "\\.",
    "\\t not a tab",
    "it's \"quoted\"",
    "comma, semicolon; pipe|",
    "Ünïcødé 日本語 🙂",
    "",
    "  spaced  ",
];

fn at(ms: i64) -> Timestamp {
    bothy_domain::time::from_millis(ms)
}

async fn check(store: Store) {
    store.migrate().await.unwrap();
    let service = Service {
        id: ServiceId::random(),
        slug: ServiceSlug::parse("bulk-test").unwrap(),
        name: "Bulk test".into(),
        created_at: at(1_700_000_000_000),
    };
    let mut b = Batch::default();
    for (i, text) in AWKWARD.iter().enumerate() {
        let i = i as i64;
        let patient = PatientRow {
            id: PatientId::random(),
            service_id: service.id,
            given_name: (*text).into(),
            family_name: format!("{text}|{i}"),
            date_of_birth: "1990-01-01".into(),
            email: (i % 2 == 0).then(|| format!("p{i}@example.org")),
            phone: (i % 3 == 0).then(|| (*text).into()),
            supporter_id: None,
            postcode: (i % 2 == 1).then(|| (*text).into()),
            created_at: at(1_700_000_000_000 + i),
        };
        b.check_ins.push(CheckIn {
            id: CheckInId::random(),
            patient_id: patient.id,
            service_id: service.id,
            mood: (i % 11) as u8,
            sleep_hours: (i % 2 == 0).then_some(0.1 + 0.2 + i as f64),
            activity: (i % 2 == 1).then_some(Activity::ALittle),
            note: (i % 4 != 3).then(|| (*text).into()),
            checked_in_at: at(1_700_000_000_000 + i),
            recorded_at: at(1_700_000_000_001 + i),
            idempotency_key: None,
        });
        b.responses.push(MeasureResponse {
            id: ResponseId::random(),
            patient_id: patient.id,
            service_id: service.id,
            instrument_id: "phq9".into(),
            instrument_version: (*text).into(),
            answers: vec![Some(1), None, Some(3)],
            total: 1.0 / 3.0 + i as f64,
            raw_total: (i % 2 == 0).then_some(4),
            band: (i % 2 == 1).then(|| (*text).into()),
            at_caseness: None,
            prorated: i % 2 == 0,
            risk_items: vec![9],
            source: ResponseSource::Fhir,
            idempotency_key: format!("{text}-{i}"),
            submitted_at: at(1_700_000_000_000 + i),
            authored_at: None,
            submitted_by_kind: "api_client".into(),
            submitted_by_id: None,
        });
        b.patients.push(patient);
    }
    let mut tx = store.begin().await.unwrap();
    tx.insert_service(&service).await.unwrap();
    tx.insert_batch(&b).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.reader().await.unwrap();
    for (p, (c, r)) in b.patients.iter().zip(b.check_ins.iter().zip(&b.responses)) {
        let row = tx
            .query(
                "SELECT given_name, family_name, email, phone, supporter_id, postcode, created_at \
                 FROM patients WHERE id = $1",
            )
            .bind(p.id.to_string())
            .fetch_one()
            .await
            .unwrap();
        assert_eq!(row.try_get::<String>("given_name").unwrap(), p.given_name);
        assert_eq!(row.try_get::<String>("family_name").unwrap(), p.family_name);
        assert_eq!(row.try_get::<Option<String>>("email").unwrap(), p.email);
        assert_eq!(row.try_get::<Option<String>>("phone").unwrap(), p.phone);
        assert_eq!(row.try_get::<Option<String>>("supporter_id").unwrap(), None);
        assert_eq!(
            row.try_get::<Option<String>>("postcode").unwrap(),
            p.postcode
        );
        assert_eq!(
            row.try_get::<i64>("created_at").unwrap(),
            to_millis(p.created_at)
        );

        let row = tx
            .query("SELECT mood, sleep_hours, activity, note, idempotency_key FROM check_ins WHERE id = $1")
            .bind(c.id.to_string())
            .fetch_one()
            .await
            .unwrap();
        assert_eq!(row.try_get::<i64>("mood").unwrap(), i64::from(c.mood));
        let sleep: Option<f64> = row.try_get("sleep_hours").unwrap();
        assert_eq!(sleep.map(f64::to_bits), c.sleep_hours.map(f64::to_bits));
        assert_eq!(
            row.try_get::<Option<String>>("activity")
                .unwrap()
                .as_deref(),
            c.activity.map(|a| a.as_str())
        );
        assert_eq!(row.try_get::<Option<String>>("note").unwrap(), c.note);
        assert_eq!(
            row.try_get::<Option<String>>("idempotency_key").unwrap(),
            None
        );

        let row = tx
            .query(
                "SELECT instrument_version, answers, total, raw_total, band, at_caseness, \
                 prorated, risk_items, idempotency_key, submitted_by_id \
                 FROM measure_responses WHERE id = $1",
            )
            .bind(r.id.to_string())
            .fetch_one()
            .await
            .unwrap();
        assert_eq!(
            row.try_get::<String>("instrument_version").unwrap(),
            r.instrument_version
        );
        assert_eq!(row.try_get::<String>("answers").unwrap(), "[1,null,3]");
        assert_eq!(
            row.try_get::<f64>("total").unwrap().to_bits(),
            r.total.to_bits()
        );
        assert_eq!(
            row.try_get::<Option<i64>>("raw_total").unwrap(),
            r.raw_total.map(i64::from)
        );
        assert_eq!(row.try_get::<Option<String>>("band").unwrap(), r.band);
        assert_eq!(row.try_get::<Option<i64>>("at_caseness").unwrap(), None);
        assert_eq!(
            row.try_get::<i64>("prorated").unwrap(),
            i64::from(r.prorated)
        );
        assert_eq!(row.try_get::<String>("risk_items").unwrap(), "[9]");
        assert_eq!(
            row.try_get::<String>("idempotency_key").unwrap(),
            r.idempotency_key
        );
        assert_eq!(
            row.try_get::<Option<String>>("submitted_by_id").unwrap(),
            None
        );
    }
    let n: i64 = tx
        .query("SELECT COUNT(*) AS n FROM patients WHERE service_id = $1")
        .bind(service.id.to_string())
        .fetch_one()
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(n, AWKWARD.len() as i64);
    tx.rollback().await.unwrap();
    store.close().await;
}

#[tokio::test]
async fn awkward_text_round_trips_on_sqlite() {
    let path = std::env::temp_dir().join(format!("bothy-bulk-{}.db", uuid::Uuid::new_v4()));
    let url = format!("sqlite://{}", path.display());
    check(Store::connect(&url, &Default::default()).await.unwrap()).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test]
#[cfg_attr(
    bothy_no_postgres,
    ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set"
)]
async fn awkward_text_round_trips_on_postgres() {
    let Ok(admin) = std::env::var("BOTHY_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set BOTHY_TEST_DATABASE_URL"
        );
        return;
    };
    let url = crate::create_scratch_database(&admin, "bothy_bulk")
        .await
        .unwrap();
    check(Store::connect(&url, &Default::default()).await.unwrap()).await;
    crate::drop_scratch_database(&admin, &url).await.unwrap();
}
