//! Every page's frame: crisis panel, security headers, error pages, the database being down.

use crate::both_dbs;
use crate::helpers::{TestApp, start_time};

both_dbs!(
    staff_in_two_services_switch_between_them,
    crisis_panel_and_headers_on_every_kind_of_page,
    staff_and_patient_pages_render,
    database_down_still_shows_crisis_contacts,
    operations_endpoints,
);

async fn crisis_panel_and_headers_on_every_kind_of_page(t: TestApp) {
    let c = t.client();
    for (path, status) in [
        ("/", 200),
        ("/sign-in", 200),
        ("/no-such-page", 404),
        ("/enrol/not-a-token", 404),
        ("/signed-out", 200),
    ] {
        let r = c.get(path).await.status(status).has_crisis_panel();
        let csp = r
            .headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'")
                && csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(r.headers.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(r.headers.get("cache-control").unwrap(), "no-store");
        assert!(
            r.headers.get("strict-transport-security").is_none(),
            "no HSTS over plain HTTP"
        );
        assert!(r.headers.contains_key("x-request-id"));
        assert!(!r.body.contains("<script"), "pages need no script");
    }
    // The error page carries the request id so people can quote it.
    let r = c.get("/no-such-page").await;
    let id = r
        .headers
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(r.body.contains(&id));
    // The wrong method gets a page too, not a bare status.
    c.get("/sign-out").await.status(405).has_crisis_panel();
}

async fn staff_and_patient_pages_render(t: TestApp) {
    let lead = t.staff_client("clinical_lead").await;
    let home = lead.get("/staff").await.ok().has_crisis_panel();
    assert!(home.body.contains("People in this service"));
    let first = &t.demo.patients[0];
    assert!(home.body.contains(&first.name));
    lead.get(&format!("/staff/patients/{}", first.id))
        .await
        .ok()
        .has_crisis_panel();
    let reports = lead.get("/staff/reports").await.ok().has_crisis_panel();
    assert!(
        reports
            .body
            .contains("Outcomes (NHS Talking Therapies definitions)")
    );
    assert!(
        reports
            .body
            .contains("<th scope=\"col\">Recovery (95% CI)</th>"),
        "{}",
        reports.body
    );
    lead.get("/account").await.ok().has_crisis_panel();
    let admin = t.staff_client("admin").await;
    let staff = admin.get("/staff/admin/staff").await.ok();
    assert!(staff.body.contains("Sam Supporter") && staff.body.contains("Clinical lead"));
    let patient = t.patient_client(0).await;
    let home = patient.get("/home").await.ok().has_crisis_panel();
    assert!(home.body.contains("Hello, "));
    // A supporter sees only their caseload.
    let supporter = t.staff_client("supporter").await;
    let caseload = supporter.get("/staff").await.ok();
    assert!(caseload.body.contains("Your caseload"));
    let listed = caseload.body.matches("/staff/patients/").count();
    assert_eq!(listed, t.demo.patients.len() / 2);
}

async fn database_down_still_shows_crisis_contacts(t: TestApp) {
    let c = t.client();
    c.get("/").await.ok();
    t.app.store().close().await;
    c.get("/readyz").await.status(503);
    c.get("/healthz").await.ok();
    let r = c.get("/sign-in").await.status(503).has_crisis_panel();
    assert!(r.body.contains("unavailable"));
}

async fn operations_endpoints(t: TestApp) {
    let c = t.client();
    assert_eq!(c.get("/healthz").await.ok().body, "ok");
    assert_eq!(c.get("/readyz").await.ok().body, "ready");
    c.get("/sign-in").await.ok();
    // Metrics need the scraper's token (see hardening::metrics).
    c.get("/metrics").await.status(404);
    let meta = c.get("/fhir/metadata").await.ok();
    assert_eq!(
        meta.headers.get("content-type").unwrap(),
        "application/fhir+json"
    );
    assert_eq!(meta.json()["fhirVersion"], "4.0.1");
    assert_eq!(
        meta.json()["date"],
        start_time().strftime("%Y-%m-%d").to_string()
    );
}

async fn staff_in_two_services_switch_between_them(t: TestApp) {
    // The demo triage clinician also becomes a clinical lead in Borders.
    t.fixtures().lead_in_borders("triage_clinician").await;
    let c = t.staff_client("triage_clinician").await;
    let home = c.get("/staff").await.ok();
    assert!(home.body.contains("Demo digital CBT service") && home.body.contains("Switch service"));
    c.post_form("/staff/service", &[("service", "borders")])
        .await
        .redirects_to("/staff");
    let home = c.get("/staff").await.ok();
    assert!(
        home.body.contains("<h1>Borders wellbeing</h1>"),
        "{}",
        home.body
    );
    assert!(home.body.contains("Nobody is on this list yet"));
    // Borders has reports for a clinical lead; demo patients are not visible from Borders.
    c.get("/staff/reports").await.ok();
    c.get(&format!("/staff/patients/{}", t.demo.patients[0].id))
        .await
        .status(404);
    // A service the person holds no role in is refused.
    let r = c
        .post_form("/staff/service", &[("service", "nowhere")])
        .await
        .status(422);
    assert!(r.body.contains("Choose one of your services"));
}
