//! Fixtures made through the use cases are what the pages would have made:
//! a built patient is in an open episode and signs in with their password.

use bothy_testkit::{Db, PATIENT_PASSWORD, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn built_patients_are_in_treatment_and_sign_in() {
    let (t, patients) = TestApp::builder(Db::Sqlite)
        .patients(2)
        .build()
        .await
        .unwrap();
    assert_eq!(patients.len(), 2);
    for p in &patients {
        let mut tx = t.app.store().read().await.unwrap();
        let episode = tx.open_episode(p.id).await.unwrap();
        tx.rollback().await.unwrap();
        assert!(episode.is_some(), "{} has no open episode", p.email);
        let c = t.client();
        c.get("/sign-in").await.ok();
        c.post_form(
            "/sign-in",
            &[("email", &p.email), ("password", PATIENT_PASSWORD)],
        )
        .await
        .redirects_to("/home");
    }
    t.finish().await;
}
