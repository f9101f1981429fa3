//! API clients: bearer tokens scoped to one service and named permissions, revocable, audited.

use crate::both_dbs;
use crate::helpers::TestApp;
use bothy_app::RequestContext;
use bothy_domain::role::ApiPermission;

both_dbs!(bearer_tokens_are_scoped_revocable_and_audited);

async fn bearer_tokens_are_scoped_revocable_and_audited(t: TestApp) {
    let ctx = RequestContext::default();
    let demo = t.app.admin().service_by_slug("demo").await.unwrap();
    let gp = t
        .app
        .admin()
        .register_api_client(demo.id, "GP system", &[ApiPermission::PatientRead], &ctx)
        .await
        .unwrap();
    let auth = format!("Bearer {}", gp.token);
    let patient = &t.demo.patients[3];
    let c = t.client();
    let r = c
        .get_with(
            &format!("/api/v1/patients/{}", patient.id),
            &[("authorization", &auth)],
        )
        .await
        .ok();
    assert_eq!(r.json()["id"], patient.id.as_str());
    let r = c
        .get_with(
            &format!("/fhir/Patient/{}", patient.id),
            &[("authorization", &auth)],
        )
        .await
        .ok();
    assert_eq!(
        r.headers.get("content-type").unwrap(),
        "application/fhir+json"
    );
    assert_eq!(r.json()["resourceType"], "Patient");
    // Audited like a person.
    let mut tx = t.app.store().read().await.unwrap();
    let events = tx.audit_events_for_patient(&patient.id, 10).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(events.iter().any(|e| e.record.actor_kind == "api_client"
        && e.record.actor_id.as_deref() == Some(gp.id.to_string().as_str())));
    // No permission for reports; an unknown record is a 404 in FHIR form.
    c.get_with("/api/v1/reports/summary", &[("authorization", &auth)])
        .await
        .status(403);
    let missing = c
        .get_with(
            &format!("/fhir/Patient/{}", bothy_domain::PatientId::random()),
            &[("authorization", &auth)],
        )
        .await
        .status(404);
    assert_eq!(missing.json()["resourceType"], "OperationOutcome");
    // No token, a wrong token: 401 with a Bearer challenge, as JSON.
    let r = c
        .get(&format!("/api/v1/patients/{}", patient.id))
        .await
        .status(401);
    assert_eq!(r.headers.get("www-authenticate").unwrap(), "Bearer");
    assert!(r.json()["error"]["message"].is_string());
    c.get_with(
        &format!("/api/v1/patients/{}", patient.id),
        &[("authorization", "Bearer bothy_wrong")],
    )
    .await
    .status(401);
    // Revoked: refused from then on.
    t.app.admin().revoke_api_client(gp.id, &ctx).await.unwrap();
    c.get_with(
        &format!("/api/v1/patients/{}", patient.id),
        &[("authorization", &auth)],
    )
    .await
    .status(401);
    assert!(t.app.admin().revoke_api_client(gp.id, &ctx).await.is_err());
    // A reporting client sees counts only.
    let rep = t
        .app
        .admin()
        .register_api_client(demo.id, "Reporting", &[ApiPermission::ReportsRead], &ctx)
        .await
        .unwrap();
    let r = c
        .get_with(
            "/api/v1/reports/summary",
            &[("authorization", &format!("Bearer {}", rep.token))],
        )
        .await
        .ok();
    assert_eq!(r.json()["patients"], t.demo.patients.len());
}
