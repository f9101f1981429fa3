//! Every route, with the access it requires, in one table. The router is
//! built from this table and the authorization-matrix test enumerates it,
//! so a route cannot exist without a declared access rule.

use crate::auth::Ctx;
use crate::error::WebError;
use crate::{
    AppState, api, auth, csrf, error, fhir, fhir_bulk, fhir_referral, fhir_referral_search,
    fhir_search, fhir_versions, metrics, openapi, pages, security, smart,
};
use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, delete, get, post};
use bothy_app::policy::{Access, Permission, allows};
use bothy_app::{Actor, AppError};
use bothy_domain::role::ApiPermission;
use pages::{
    account, activate, alerts, appointments, check_ins, dead_letters, enrolments, library,
    measures, messages, peer, peer_moderation, programme, public, refer, report_extract, reports,
    reviews, safety_plan, signin, staff, tools, triage,
};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// One route: its method, path template and required access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

type Handler = MethodRouter<AppState>;

fn table() -> Vec<(RouteSpec, Handler)> {
    use Access::*;
    let r = |method: Method, path: &'static str, access: Access, h: Handler| {
        (
            RouteSpec {
                method,
                path,
                access,
            },
            h,
        )
    };
    vec![
        r(Method::GET, "/", Public, get(public::home)),
        r(
            Method::GET,
            "/static/app.css",
            Public,
            get(public::stylesheet),
        ),
        r(Method::GET, "/healthz", Public, get(public::healthz)),
        r(Method::GET, "/readyz", Public, get(public::readyz)),
        r(Method::GET, "/metrics", Public, get(public::metrics)),
        r(Method::GET, "/sign-in", Public, get(signin::sign_in_form)),
        r(Method::POST, "/sign-in", Public, post(signin::sign_in)),
        r(
            Method::GET,
            "/sign-in/code",
            StaffPending,
            get(signin::code_form),
        ),
        r(
            Method::POST,
            "/sign-in/code",
            StaffPending,
            post(signin::code),
        ),
        r(Method::POST, "/sign-out", Public, post(signin::sign_out)),
        r(Method::GET, "/signed-out", Public, get(signin::signed_out)),
        r(
            Method::GET,
            "/enrol/{token}",
            Public,
            get(signin::enrol_form),
        ),
        r(Method::POST, "/enrol/{token}", Public, post(signin::enrol)),
        r(Method::GET, "/account", SignedIn, get(account::account)),
        r(
            Method::POST,
            "/account/password",
            SignedIn,
            post(account::change_password),
        ),
        r(
            Method::POST,
            "/account/contact",
            Patient,
            post(account::change_contact),
        ),
        r(
            Method::POST,
            "/account/check-in-prompt",
            Patient,
            post(account::change_check_in_prompt),
        ),
        r(Method::GET, "/home", Patient, get(account::patient_home)),
        r(Method::GET, "/check-in", Patient, get(check_ins::form)),
        r(Method::POST, "/check-in", Patient, post(check_ins::submit)),
        r(Method::GET, "/check-ins", Patient, get(check_ins::timeline)),
        // Secure messages (pages/messages.rs): a thread is checked to be
        // the patient's own in the use case.
        r(Method::GET, "/messages", Patient, get(messages::inbox)),
        r(Method::POST, "/messages", Patient, post(messages::start)),
        r(
            Method::GET,
            "/messages/{thread}",
            Patient,
            get(messages::thread),
        ),
        r(
            Method::POST,
            "/messages/{thread}",
            Patient,
            post(messages::patient_reply),
        ),
        // Peer support for members (pages/peer.rs): membership and what a
        // member may see are checked in the use case.
        r(Method::GET, "/peer", Patient, get(peer::groups)),
        r(
            Method::GET,
            "/peer/groups/{group}",
            Patient,
            get(peer::group),
        ),
        r(
            Method::POST,
            "/peer/groups/{group}/join",
            Patient,
            post(peer::join),
        ),
        r(
            Method::POST,
            "/peer/groups/{group}/posts",
            Patient,
            post(peer::create_post),
        ),
        r(
            Method::POST,
            "/peer/posts/{post}/react",
            Patient,
            post(peer::react),
        ),
        r(
            Method::GET,
            "/peer/posts/{post}/report",
            Patient,
            get(peer::report_form),
        ),
        r(
            Method::POST,
            "/peer/posts/{post}/report",
            Patient,
            post(peer::report),
        ),
        // Moderation (pages/peer_moderation.rs): moderators and clinical
        // leads, in their current service.
        r(
            Method::GET,
            "/staff/peer",
            Staff(Permission::Moderate),
            get(peer_moderation::queue),
        ),
        r(
            Method::GET,
            "/staff/peer/posts/{post}",
            Staff(Permission::Moderate),
            get(peer_moderation::post),
        ),
        r(
            Method::POST,
            "/staff/peer/posts/{post}/moderate",
            Staff(Permission::Moderate),
            post(peer_moderation::moderate),
        ),
        r(
            Method::POST,
            "/staff/peer/posts/{post}/contact",
            Staff(Permission::Moderate),
            post(peer_moderation::contact),
        ),
        r(
            Method::POST,
            "/staff/peer/posts/{post}/alert",
            Staff(Permission::Moderate),
            post(peer_moderation::alert),
        ),
        r(
            Method::POST,
            "/staff/peer/posts/{post}/suspend",
            Staff(Permission::Moderate),
            post(peer_moderation::suspend),
        ),
        r(
            Method::GET,
            "/staff/peer/groups",
            Staff(Permission::Moderate),
            get(peer_moderation::groups),
        ),
        r(
            Method::POST,
            "/staff/peer/groups",
            Staff(Permission::Moderate),
            post(peer_moderation::create_group),
        ),
        r(
            Method::GET,
            "/staff/peer/figures",
            Staff(Permission::Moderate),
            get(peer_moderation::figures),
        ),
        r(Method::GET, "/safety-plan", Patient, get(safety_plan::view)),
        // The interactive tools (pages/tools/).
        r(Method::GET, "/tools", Patient, get(tools::list)),
        r(
            Method::GET,
            "/tools/thought-record",
            Patient,
            get(tools::thought_record::page),
        ),
        r(
            Method::POST,
            "/tools/thought-record",
            Patient,
            post(tools::thought_record::submit),
        ),
        r(
            Method::GET,
            "/tools/sleep-diary",
            Patient,
            get(tools::sleep_diary::page),
        ),
        r(
            Method::POST,
            "/tools/sleep-diary",
            Patient,
            post(tools::sleep_diary::submit),
        ),
        r(
            Method::GET,
            "/tools/activities",
            Patient,
            get(tools::forms::activities),
        ),
        r(
            Method::POST,
            "/tools/activities",
            Patient,
            post(tools::forms::add_activity),
        ),
        r(
            Method::GET,
            "/tools/worries",
            Patient,
            get(tools::forms::worries),
        ),
        r(
            Method::POST,
            "/tools/worries",
            Patient,
            post(tools::forms::add_worry),
        ),
        r(
            Method::GET,
            "/tools/exposure",
            Patient,
            get(tools::forms::exposure),
        ),
        r(
            Method::POST,
            "/tools/exposure/steps",
            Patient,
            post(tools::forms::add_step),
        ),
        r(
            Method::POST,
            "/tools/exposure/practice",
            Patient,
            post(tools::forms::add_practice),
        ),
        r(
            Method::GET,
            "/tools/goals",
            Patient,
            get(tools::forms::goals),
        ),
        r(
            Method::POST,
            "/tools/goals",
            Patient,
            post(tools::forms::add_goal),
        ),
        r(
            Method::POST,
            "/tools/goals/ratings",
            Patient,
            post(tools::forms::rate_goal),
        ),
        r(Method::GET, "/library", Patient, get(library::list)),
        r(
            Method::GET,
            "/staff/programmes",
            Staff(Permission::Workspace),
            get(library::staff_list),
        ),
        r(
            Method::GET,
            "/staff/programmes/{programme}/{module}/{page}",
            Staff(Permission::Workspace),
            get(library::staff_read),
        ),
        r(
            Method::GET,
            "/library/{programme}/{module}/{page}",
            Patient,
            get(library::read),
        ),
        // A patient's own programmes (pages/programme.rs): the enrolment
        // is checked to be theirs in the use case.
        r(
            Method::GET,
            "/programme/{enrolment}",
            Patient,
            get(programme::overview),
        ),
        r(
            Method::GET,
            "/programme/{enrolment}/{module}/{page}",
            Patient,
            get(programme::read),
        ),
        r(
            Method::POST,
            "/programme/{enrolment}/done",
            Patient,
            post(programme::done),
        ),
        r(
            Method::POST,
            "/programme/{enrolment}/pause",
            Patient,
            post(programme::pause),
        ),
        r(
            Method::POST,
            "/programme/{enrolment}/resume",
            Patient,
            post(programme::resume),
        ),
        r(
            Method::GET,
            "/safety-plan/edit",
            Patient,
            get(safety_plan::edit_form),
        ),
        r(
            Method::POST,
            "/safety-plan/edit",
            Patient,
            post(safety_plan::edit),
        ),
        r(
            Method::GET,
            "/measures/{instrument}",
            Patient,
            get(measures::form),
        ),
        r(
            Method::POST,
            "/measures/{instrument}",
            Patient,
            post(measures::submit),
        ),
        r(
            Method::GET,
            "/measures/responses/{response}",
            Patient,
            get(measures::result),
        ),
        r(
            Method::GET,
            "/staff",
            Staff(Permission::Workspace),
            get(staff::home),
        ),
        r(
            Method::GET,
            "/alerts",
            Staff(Permission::DutyQueue),
            get(alerts::queue),
        ),
        r(
            Method::GET,
            "/alerts/load",
            Staff(Permission::Reports),
            get(alerts::load),
        ),
        r(
            Method::GET,
            "/alerts/{alert}",
            StaffPatients,
            get(alerts::show),
        ),
        r(
            Method::POST,
            "/alerts/{alert}/acknowledge",
            StaffPatients,
            post(alerts::acknowledge),
        ),
        r(
            Method::POST,
            "/alerts/{alert}/close",
            StaffPatients,
            post(alerts::close),
        ),
        r(
            Method::POST,
            "/staff/service",
            Staff(Permission::Workspace),
            post(staff::choose_service),
        ),
        r(
            Method::GET,
            "/staff/patients/{id}",
            StaffPatients,
            get(staff::patient),
        ),
        r(
            Method::POST,
            "/staff/patients/{id}/sms",
            StaffPatients,
            post(staff::start_sms),
        ),
        r(
            Method::POST,
            "/staff/patients/{id}/check-in-prompt",
            StaffPatients,
            post(staff::set_check_in_prompt),
        ),
        // Enrolments from the staff patient page (pages/enrolments.rs): the
        // patient's record is checked in the use case, as for the page.
        r(
            Method::POST,
            "/staff/patients/{id}/enrolments",
            StaffPatients,
            post(enrolments::enrol),
        ),
        // The care team's side of secure messages, inside the record: the
        // patient and the thread are checked in the use case.
        r(
            Method::GET,
            "/staff/patients/{id}/messages/{thread}",
            StaffPatients,
            get(messages::staff_thread),
        ),
        r(
            Method::POST,
            "/staff/patients/{id}/messages/{thread}",
            StaffPatients,
            post(messages::staff_reply),
        ),
        r(
            Method::POST,
            "/staff/patients/{id}/messages/{thread}/needs-clinician",
            StaffPatients,
            post(messages::needs_clinician),
        ),
        r(
            Method::POST,
            "/staff/enrolments/{enrolment}/unlock",
            StaffPatients,
            post(enrolments::unlock),
        ),
        // Supported reviews (pages/reviews.rs): the queue is the staff
        // member's own; one review is checked against the record in the use case.
        r(
            Method::GET,
            "/staff/reviews",
            StaffPatients,
            get(reviews::queue),
        ),
        r(
            Method::GET,
            "/staff/enrolments/{enrolment}/review",
            StaffPatients,
            get(reviews::show),
        ),
        r(
            Method::POST,
            "/staff/enrolments/{enrolment}/review",
            StaffPatients,
            post(reviews::write),
        ),
        r(
            Method::POST,
            "/staff/enrolments/{enrolment}/pause",
            StaffPatients,
            post(enrolments::pause),
        ),
        r(
            Method::POST,
            "/staff/enrolments/{enrolment}/resume",
            StaffPatients,
            post(enrolments::resume),
        ),
        // Appointments (pages/appointments.rs): the patient, and an
        // appointment's patient, are checked in the use case.
        r(
            Method::GET,
            "/staff/patients/{id}/appointments/new",
            StaffPatients,
            get(appointments::new_form),
        ),
        r(
            Method::POST,
            "/staff/patients/{id}/appointments",
            StaffPatients,
            post(appointments::book),
        ),
        r(
            Method::GET,
            "/staff/appointments",
            StaffPatients,
            get(appointments::list),
        ),
        r(
            Method::POST,
            "/staff/appointments/{appointment}",
            StaffPatients,
            post(appointments::record),
        ),
        r(
            Method::GET,
            "/staff/appointments/{appointment}/edit",
            StaffPatients,
            get(appointments::move_form),
        ),
        r(
            Method::POST,
            "/staff/appointments/{appointment}/edit",
            StaffPatients,
            post(appointments::move_to),
        ),
        r(
            Method::GET,
            "/staff/admin/staff",
            Staff(Permission::ManageStaff),
            get(staff::staff_list),
        ),
        // The dead-letter list (pages/dead_letters.rs).
        r(
            Method::GET,
            "/staff/admin/jobs",
            Staff(Permission::ManageStaff),
            get(dead_letters::list),
        ),
        r(
            Method::POST,
            "/staff/admin/jobs/{job}/retry",
            Staff(Permission::ManageStaff),
            post(dead_letters::retry),
        ),
        r(
            Method::POST,
            "/staff/admin/jobs/{job}/cancel",
            Staff(Permission::ManageStaff),
            post(dead_letters::cancel),
        ),
        // Service reports (pages/reports.rs).
        r(
            Method::GET,
            "/staff/reports",
            Staff(Permission::Reports),
            get(reports::dashboard),
        ),
        r(
            Method::GET,
            "/staff/reports/monthly",
            Staff(Permission::Reports),
            get(reports::monthly),
        ),
        r(
            Method::GET,
            "/staff/reports/csv/{table}",
            Staff(Permission::Reports),
            get(reports::csv),
        ),
        r(
            Method::GET,
            "/staff/reports/parquet/{table}",
            Staff(Permission::Reports),
            get(reports::parquet),
        ),
        r(
            Method::GET,
            "/staff/reports/extract/{kind}",
            Staff(Permission::Reports),
            get(report_extract::extract),
        ),
        r(
            Method::GET,
            "/staff/team",
            Staff(Permission::Reports),
            get(staff::team),
        ),
        // The front door (pages/refer.rs, triage.rs, activate.rs).
        r(Method::GET, "/refer", Public, get(refer::start_form)),
        r(Method::POST, "/refer", Public, post(refer::start)),
        r(Method::GET, "/refer/sent", Public, get(refer::sent)),
        r(
            Method::GET,
            "/refer/{token}/{step}",
            Public,
            get(refer::step_form),
        ),
        r(
            Method::POST,
            "/refer/{token}/{step}",
            Public,
            post(refer::step_save),
        ),
        r(
            Method::GET,
            "/activate/{token}",
            Public,
            get(activate::form),
        ),
        r(
            Method::POST,
            "/activate/{token}",
            Public,
            post(activate::activate),
        ),
        r(
            Method::GET,
            "/staff/triage",
            Staff(Permission::Triage),
            get(triage::queue),
        ),
        r(
            Method::GET,
            "/staff/referrals/new",
            Staff(Permission::Refer),
            get(refer::professional_form),
        ),
        r(
            Method::POST,
            "/staff/referrals/new",
            Staff(Permission::Refer),
            post(refer::professional_submit),
        ),
        r(
            Method::GET,
            "/staff/referrals/{referral}",
            Staff(Permission::Triage),
            get(triage::referral),
        ),
        r(
            Method::POST,
            "/staff/referrals/{referral}/match",
            Staff(Permission::Triage),
            post(triage::record_match),
        ),
        r(
            Method::POST,
            "/staff/referrals/{referral}/decision",
            Staff(Permission::Triage),
            post(triage::decide),
        ),
        r(
            Method::GET,
            "/staff/waiting",
            Staff(Permission::Triage),
            get(triage::waiting),
        ),
        r(
            Method::POST,
            "/staff/episodes/{episode}/contact",
            Staff(Permission::Triage),
            post(triage::treatment_contact),
        ),
        r(
            Method::POST,
            "/staff/episodes/{episode}/discharge",
            Staff(Permission::Triage),
            post(triage::discharge),
        ),
        // The SMS gateway's callbacks: for a gateway holding the configured
        // inbound secret (sms.rs checks it); not served without one.
        r(
            Method::POST,
            "/sms/kannel/inbound",
            Public,
            post(crate::sms::kannel_inbound),
        ),
        r(
            Method::GET,
            "/sms/kannel/status",
            Public,
            get(crate::sms::kannel_status),
        ),
        // GOV.UK Notify's callbacks: for Notify holding a service's callback
        // token (notify_callbacks.rs checks it); refused without one.
        r(
            Method::POST,
            "/api/notify/callbacks/status",
            Public,
            post(crate::notify_callbacks::status),
        ),
        r(
            Method::POST,
            "/api/notify/callbacks/inbound-sms",
            Public,
            post(crate::notify_callbacks::inbound_sms),
        ),
        // The description of everything under /api and /fhir (openapi.rs).
        r(
            Method::GET,
            "/api/openapi.json",
            Public,
            get(openapi::openapi_json),
        ),
        r(
            Method::GET,
            "/api/v1/patients/{id}",
            Api(ApiPermission::PatientRead),
            get(api::patient_json),
        ),
        r(
            Method::GET,
            "/api/v1/reports/summary",
            Api(ApiPermission::ReportsRead),
            get(api::reports_summary),
        ),
        r(
            Method::GET,
            "/fhir/metadata",
            Public,
            get(api::fhir_metadata),
        ),
        r(
            Method::GET,
            "/fhir/Patient/{id}",
            Api(ApiPermission::PatientRead),
            get(api::fhir_patient),
        ),
        // Measures in FHIR (fhir.rs): instruments are public, responses are not.
        r(
            Method::GET,
            "/fhir/Questionnaire",
            Public,
            get(fhir::questionnaire_search),
        ),
        r(
            Method::GET,
            "/fhir/Questionnaire/{instrument}",
            Public,
            get(fhir::questionnaire_read),
        ),
        r(
            Method::POST,
            "/fhir/QuestionnaireResponse",
            Api(ApiPermission::MeasuresWrite),
            post(fhir::response_create),
        ),
        // Search for a data platform (fhir_search.rs): patient.read opens
        // every patient of the client's service.
        r(
            Method::GET,
            "/fhir/QuestionnaireResponse",
            Api(ApiPermission::PatientRead),
            get(fhir_search::response_search),
        ),
        r(
            Method::GET,
            "/fhir/Observation",
            Api(ApiPermission::PatientRead),
            get(fhir_search::observation_search),
        ),
        r(
            Method::GET,
            "/fhir/Patient",
            Api(ApiPermission::PatientRead),
            get(fhir_search::patient_search),
        ),
        r(
            Method::GET,
            "/fhir/QuestionnaireResponse/{response}",
            Api(ApiPermission::PatientRead),
            get(fhir::response_read),
        ),
        r(
            Method::GET,
            "/fhir/Observation/{observation}",
            Api(ApiPermission::PatientRead),
            get(fhir::observation_read),
        ),
        // Referrals in FHIR (fhir_referral.rs).
        r(
            Method::POST,
            "/fhir/ServiceRequest",
            Api(ApiPermission::ReferralCreate),
            post(fhir_referral::service_request_create),
        ),
        r(
            Method::GET,
            "/fhir/ServiceRequest",
            ApiAny(&[ApiPermission::ReferralCreate, ApiPermission::ReferralRead]),
            get(fhir_referral_search::service_request_search),
        ),
        r(
            Method::GET,
            "/fhir/ServiceRequest/{referral}",
            ApiAny(&[ApiPermission::ReferralCreate, ApiPermission::ReferralRead]),
            get(fhir_referral::service_request_read),
        ),
        // Versions and code systems in FHIR (fhir_versions.rs): a vread is
        // allowed to whoever may read the resource.
        r(
            Method::GET,
            "/fhir/Questionnaire/{instrument}/_history/{version}",
            Public,
            get(fhir_versions::questionnaire_vread),
        ),
        r(
            Method::GET,
            "/fhir/QuestionnaireResponse/{response}/_history/{version}",
            Api(ApiPermission::PatientRead),
            get(fhir_versions::response_vread),
        ),
        r(
            Method::GET,
            "/fhir/Observation/{observation}/_history/{version}",
            Api(ApiPermission::PatientRead),
            get(fhir_versions::observation_vread),
        ),
        r(
            Method::GET,
            "/fhir/CodeSystem",
            Public,
            get(fhir_versions::code_system_search),
        ),
        r(
            Method::GET,
            "/fhir/CodeSystem/{codesystem}",
            Public,
            get(fhir_versions::code_system_read),
        ),
        r(
            Method::GET,
            "/fhir/CodeSystem/{codesystem}/_history/{version}",
            Public,
            get(fhir_versions::code_system_vread),
        ),
        // Bulk Data export (fhir_bulk.rs): patient.read, since every level
        // exports the service's patients' records.
        r(
            Method::GET,
            "/fhir/$export",
            Api(ApiPermission::PatientRead),
            get(fhir_bulk::system_export),
        ),
        r(
            Method::GET,
            "/fhir/Patient/$export",
            Api(ApiPermission::PatientRead),
            get(fhir_bulk::patient_export),
        ),
        r(
            Method::GET,
            "/fhir/Group/{group}",
            Api(ApiPermission::PatientRead),
            get(fhir_bulk::group_read),
        ),
        r(
            Method::GET,
            "/fhir/Group/{group}/$export",
            Api(ApiPermission::PatientRead),
            get(fhir_bulk::group_export),
        ),
        r(
            Method::GET,
            "/fhir/$export-status/{export}",
            Api(ApiPermission::PatientRead),
            get(fhir_bulk::export_status),
        ),
        r(
            Method::DELETE,
            "/fhir/$export-status/{export}",
            Api(ApiPermission::PatientRead),
            delete(fhir_bulk::export_cancel),
        ),
        r(
            Method::GET,
            "/fhir/$export-file/{export}/{file}",
            Api(ApiPermission::PatientRead),
            get(fhir_bulk::export_file),
        ),
        // SMART Backend Services (smart.rs): the token endpoint checks the
        // client's signed assertion itself; discovery is public.
        r(Method::POST, "/fhir/token", Public, post(smart::token)),
        r(
            Method::GET,
            "/fhir/.well-known/smart-configuration",
            Public,
            get(smart::smart_configuration),
        ),
        r(
            Method::GET,
            "/.well-known/smart-configuration",
            Public,
            get(smart::smart_configuration),
        ),
    ]
}

/// Every registered route, for the authorization-matrix test.
pub fn route_specs() -> Vec<RouteSpec> {
    table().into_iter().map(|(spec, _)| spec).collect()
}

/// Refuses a request the route's access rule does not allow, before the handler runs.
async fn enforce(access: Access, req: Request, next: Next) -> Result<Response, WebError> {
    let actor = req
        .extensions()
        .get::<Ctx>()
        .map(|c| c.actor.clone())
        .unwrap_or(Actor::Anonymous);
    if allows(&actor, access) {
        return Ok(next.run(req).await);
    }
    match (actor, access) {
        (
            Actor::StaffPending { .. },
            Access::Staff(_) | Access::StaffPatients | Access::SignedIn,
        ) => Ok(Redirect::to("/sign-in/code").into_response()),
        (Actor::Anonymous, _) => Err(AppError::Unauthenticated.into()),
        _ => Err(AppError::Forbidden.into()),
    }
}

pub fn build(state: AppState) -> Router {
    let mut router: Router<AppState> = Router::new();
    for (spec, handler) in table() {
        let access = spec.access;
        router = router.route(
            spec.path,
            handler.route_layer(from_fn(move |req, next| enforce(access, req, next))),
        );
    }
    let app = &state.app;
    let sessions = SessionManagerLayer::new(crate::session_store::DbSessionStore::new(app.clone()))
        .with_name(if state.settings.secure_cookies {
            "__Host-bothy_session"
        } else {
            "bothy_session"
        })
        .with_secure(state.settings.secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::minutes(30),
        ));
    let cors = crate::cors::layer(&state.settings.cors_origins);
    // Layers run outside-in from the bottom of this list.
    let router = router
        .fallback(public::not_found)
        .layer(from_fn_with_state(state.clone(), csrf::check))
        .layer(from_fn_with_state(state.clone(), auth::resolve_actor))
        .layer(sessions)
        .layer(from_fn_with_state(state.clone(), auth::remember_client_ip))
        .layer(RequestBodyLimitLayer::new(state.settings.max_body_bytes))
        .layer(from_fn(crate::fhir::formats))
        .layer(from_fn_with_state(state.clone(), error::render))
        .layer(from_fn_with_state(state.clone(), security::headers))
        .layer(from_fn_with_state(state.clone(), metrics::observe))
        .layer(from_fn(security::request_id));
    // A browser's preflight is answered before sign-in or CSRF see it.
    let router = match cors {
        Some(cors) => router.layer(cors),
        None => router,
    };
    // Outermost, so every answer (error pages too) is compressed with
    // its headers intact; small bodies, images and event streams are
    // left alone, and a streamed body is compressed as it goes.
    router
        .layer(CompressionLayer::new().gzip(true).br(true))
        .with_state(state)
}
