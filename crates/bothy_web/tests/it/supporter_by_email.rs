//! A service with more supporters than a list can offer (a national one
//! has thousands): the enrolment form on the staff patient page asks for
//! the supporter's email address instead of listing everyone, and the
//! page reads only what it shows.

use crate::both_dbs;
use crate::helpers::TestApp;
use bothy_app::enrolments::LISTED_SUPPORTERS;

both_dbs!(a_service_with_many_supporters_names_one_by_email);

async fn a_service_with_many_supporters_names_one_by_email(t: TestApp) {
    let mut sql = String::new();
    for i in 0..=LISTED_SUPPORTERS {
        sql.push_str(&format!(
            "INSERT INTO staff (id, email, display_name, created_at) \
             VALUES ('00000000-0000-4000-8000-{i:012}', 'helper{i}@example.nhs.uk', 'Helper {i:03}', 0);\n\
             INSERT INTO staff_roles (staff_id, service_id, role) \
             SELECT '00000000-0000-4000-8000-{i:012}', id, 'supporter' FROM services WHERE slug = 'demo';\n"
        ));
    }
    t.raw_sql(&sql).await;
    let staff = t.staff_client("clinical_lead").await;
    let patient = &t.demo.patients[0].id;
    let page = staff
        .get(&format!("/staff/patients/{patient}"))
        .await
        .ok()
        .has_crisis_panel();
    assert!(
        page.body
            .contains("<label for=\"enrol-supporter-email\">Supporter's email address</label>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("id=\"enrol-supporter\""));
    assert!(!page.body.contains("Helper 000"), "no one is listed");
    let enrol = format!("/staff/patients/{patient}/enrolments");
    // Someone who is not staff of this service, and someone who is but may
    // not support (the administrator), are refused by name of the field.
    let admin = t.staff("admin").email.clone();
    for email in ["nobody@example.nhs.uk", admin.as_str()] {
        let refused = staff
            .post_form(
                &enrol,
                &[("programme", "relaxation"), ("supporter_email", email)],
            )
            .await
            .status(422);
        assert!(
            refused
                .body
                .contains("No one who may support in this service has that email address"),
            "{}",
            refused.body
        );
    }
    staff
        .post_form(
            &enrol,
            &[
                ("programme", "relaxation"),
                ("supporter_email", "not an email"),
            ],
        )
        .await
        .status(422);
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM enrolments WHERE patient_id = $1",
            patient
        )
        .await,
        0,
        "nothing is enrolled by a refused form"
    );
    // Typed as people do, in another case and with spaces.
    staff
        .post_form(
            &enrol,
            &[
                ("programme", "relaxation"),
                ("supporter_email", "  Helper7@Example.NHS.uk "),
            ],
        )
        .await
        .redirects_to(&format!("/staff/patients/{patient}#programmes"));
    let page = staff.get(&format!("/staff/patients/{patient}")).await.ok();
    assert!(
        page.body.contains("<dt>Supporter</dt><dd>Helper 007</dd>"),
        "{}",
        page.body
    );
}
