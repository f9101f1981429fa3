//! The authorization matrix: every route of `bothy_web::route_specs()`,
//! requested by every kind of caller, checked against one explicit table of
//! who may do what. A route without a row in the table fails the test, so no
//! route can be added without deciding who may call it.

use crate::both_dbs;
use crate::helpers::{Client, Resp, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, header};
use bothy_app::measures::Submission;
use bothy_app::policy::{Access, Actor, PatientActor};
use bothy_app::{AppError, RequestContext};
use bothy_domain::ids::ResponseId;
use bothy_domain::model::{Patient, ResponseSource};
use bothy_domain::referral::{Decision, Details, Source, Step};
use bothy_domain::role::{ApiPermission, Role};
use bothy_domain::{PatientId, ServiceId};
use bothy_web::RouteSpec;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

both_dbs!(every_route_answers_every_caller_as_the_table_says);

/// Everyone who can knock on the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    /// Staff (holding every role) who gave their password but not yet their code.
    HalfSignedIn,
    Admin,
    TriageClinician,
    /// The supporter, asking for a patient on their caseload.
    SupporterOwn,
    /// The supporter, asking for a patient who is not on their caseload.
    SupporterOther,
    ClinicalLead,
    Moderator,
    Analyst,
    /// A patient; where the path names a patient, it is themself.
    Patient,
    /// A patient; where the path names a patient, it is someone else.
    OtherPatient,
    /// Administrator and clinical lead of another service, asking about this service's patient.
    OtherServiceStaff,
    /// An API client holding patient.read and measures.write.
    ApiPatientRead,
    ApiReportsRead,
    /// An API client, once holding both permissions, whose token was revoked.
    ApiRevoked,
    /// An API client of another service holding both permissions.
    ApiOtherService,
}

use Caller::*;

/// The columns of [`EXPECTED`], in order.
const CALLERS: [Caller; 16] = [
    Anonymous,
    HalfSignedIn,
    Admin,
    TriageClinician,
    SupporterOwn,
    SupporterOther,
    ClinicalLead,
    Moderator,
    Analyst,
    Patient,
    OtherPatient,
    OtherServiceStaff,
    ApiPatientRead,
    ApiReportsRead,
    ApiRevoked,
    ApiOtherService,
];

/// Who may call each route: `Y` allowed, `.` refused, `b` 400 Bad Request
/// (see below); spaces and `|` are only for reading. Columns, in the order
/// of [`CALLERS`]:
///
/// - `an` anonymous, `hs` staff half signed in (password, no code yet);
/// - demo service staff: `ad` admin, `tc` triage clinician, `s+` supporter
///   (patient on their caseload), `s-` supporter (patient not on it), `cl`
///   clinical lead, `mo` moderator, `ay` analyst;
/// - `pa` patient (their own record), `po` patient (someone else's record);
/// - `os` admin and clinical lead of another service (this service's patient);
/// - API clients: `ap` patient.read and measures.write, `ar` reports.read
///   only, `ax` revoked, `ao` another service's client.
///
/// Routes without a patient in the path act on the caller's own service, so
/// staff and API clients of another service may use them for their own.
///
/// Bearer tokens count only on `/api` and `/fhir`: on pages an API client is
/// an anonymous cookie session, so its form posts without a CSRF token are refused.
#[rustfmt::skip]
const EXPECTED: &[(&str, &str, &str)] = &[
    //                                  an hs   ad tc s+ s- cl mo ay   pa po   os   ap ar ax ao
    ("GET",  "/",                      "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/static/app.css",        "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/healthz",               "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/readyz",                "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/metrics",               "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/sign-in",               "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("POST", "/sign-in",               "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | .  .  .  ."),
    ("GET",  "/sign-in/code",          ".  Y  | .  .  .  .  .  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/sign-in/code",          ".  Y  | .  .  .  .  .  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/sign-out",              "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | .  .  .  ."),
    ("GET",  "/signed-out",            "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/enrol/{token}",         "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("POST", "/enrol/{token}",         "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | .  .  .  ."),
    ("GET",  "/account",               ".  .  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | .  .  .  ."),
    ("POST", "/account/password",      ".  .  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | .  .  .  ."),
    ("GET",  "/home",                  ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/check-in",              ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/check-in",              ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/check-ins",             ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/measures/{instrument}", ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/measures/{instrument}", ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/measures/responses/{response}", ".  .  | .  .  .  .  .  .  .  | Y  .  | .  | .  .  .  ."),
    ("GET",  "/staff",                 ".  .  | Y  Y  Y  Y  Y  Y  Y  | .  .  | Y  | .  .  .  ."),
    ("POST", "/staff/service",         ".  .  | Y  Y  Y  Y  Y  Y  Y  | .  .  | Y  | .  .  .  ."),
    ("GET",  "/staff/patients/{id}",   ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("GET",  "/staff/admin/staff",     ".  .  | Y  .  .  .  .  .  .  | .  .  | Y  | .  .  .  ."),
    ("GET",  "/staff/reports",         ".  .  | Y  .  .  .  Y  .  Y  | .  .  | Y  | .  .  .  ."),
    // The front door. Self-referral and activation are public: the resume
    // or activation link is the credential. Bearer clients are anonymous
    // cookie sessions on pages, so their posts lack a CSRF token.
    ("GET",  "/refer",                 "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("POST", "/refer",                 "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | .  .  .  ."),
    ("GET",  "/refer/sent",            "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/refer/{token}/{step}",  "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("POST", "/refer/{token}/{step}",  "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | .  .  .  ."),
    ("GET",  "/activate/{token}",      "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("POST", "/activate/{token}",      "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | .  .  .  ."),
    // Triage works on this service's referrals only: the other service's
    // staff see their own (empty) queue and lists, never this one's referrals.
    ("GET",  "/staff/triage",          ".  .  | .  Y  .  .  Y  .  .  | .  .  | Y  | .  .  .  ."),
    ("GET",  "/staff/referrals/new",   ".  .  | Y  Y  .  .  Y  .  .  | .  .  | Y  | .  .  .  ."),
    ("POST", "/staff/referrals/new",   ".  .  | Y  Y  .  .  Y  .  .  | .  .  | Y  | .  .  .  ."),
    ("GET",  "/staff/referrals/{referral}",
                                       ".  .  | .  Y  .  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/referrals/{referral}/match",
                                       ".  .  | .  Y  .  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/referrals/{referral}/decision",
                                       ".  .  | .  Y  .  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("GET",  "/staff/waiting",         ".  .  | .  Y  .  .  Y  .  .  | .  .  | Y  | .  .  .  ."),
    ("POST", "/staff/episodes/{episode}/contact",
                                       ".  .  | .  Y  .  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/episodes/{episode}/discharge",
                                       ".  .  | .  Y  .  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("GET",  "/api/v1/patients/{id}",  ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
    ("GET",  "/api/v1/reports/summary",".  .  | .  .  .  .  .  .  .  | .  .  | .  | .  Y  .  Y"),
    ("GET",  "/fhir/metadata",         "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/fhir/Patient/{id}",     ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
    ("GET",  "/fhir/Questionnaire",    "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/fhir/Questionnaire/{instrument}",
                                       "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("POST", "/fhir/QuestionnaireResponse",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
    ("GET",  "/fhir/QuestionnaireResponse",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
    ("GET",  "/fhir/QuestionnaireResponse/{response}",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
    ("GET",  "/fhir/Observation/{observation}",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
    // Referrals from other systems: `ap` lacks referral.create, so only the
    // other service's client (holding it) may send one, to its own service;
    // reading back needs patient.read or referral.create in the referral's service.
    ("POST", "/fhir/ServiceRequest",   ".  .  | .  .  .  .  .  .  .  | .  .  | .  | .  .  .  Y"),
    ("GET",  "/fhir/ServiceRequest/{referral}",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
];

/// Routes that change whom the session belongs to when they succeed: each
/// is requested on a session of its own, so the caller's main session keeps
/// its identity for the other routes.
const REPLACES_SESSION: [(&str, &str); 2] = [("POST", "/sign-in"), ("POST", "/sign-in/code")];

/// Ends the session: requested last, on the main session.
const ENDS_SESSION: (&str, &str) = ("POST", "/sign-out");

fn is(spec: &RouteSpec, (method, path): (&str, &str)) -> bool {
    spec.method.as_str() == method && spec.path == path
}

/// FHIR routes about one patient's measures: the caller's target patient
/// (named in the body, the query or through a response of theirs).
const FHIR_MEASURES: [(&str, &str); 4] = [
    ("POST", "/fhir/QuestionnaireResponse"),
    ("GET", "/fhir/QuestionnaireResponse"),
    ("GET", "/fhir/QuestionnaireResponse/{response}"),
    ("GET", "/fhir/Observation/{observation}"),
];

fn is_fhir_measures(spec: &RouteSpec) -> bool {
    FHIR_MEASURES.iter().any(|r| is(spec, *r))
}

/// Whether the route's answer is about the caller's target patient.
fn about_patient(spec: &RouteSpec) -> bool {
    spec.path.contains("{id}") || is_fhir_measures(spec)
}

/// Whether `body` names `patient`: FHIR resources reference the patient by
/// id; pages show their name.
fn names(spec: &RouteSpec, body: &str, patient: &Patient) -> bool {
    if is_fhir_measures(spec) {
        body.contains(&format!("Patient/{}", patient.id))
    } else {
        body.contains(patient.given_name.as_str())
    }
}

/// The expected row of every route, in route order. Fails if a route has no
/// row, a row names no route, or a row has the wrong number of cells.
fn expected_rows(routes: &[RouteSpec]) -> Vec<Vec<Seen>> {
    for (method, path, _) in EXPECTED {
        assert!(
            routes.iter().any(|r| is(r, (method, path))),
            "EXPECTED has a row for {method} {path}, which is not a route"
        );
    }
    routes
        .iter()
        .map(|spec| {
            let Some((_, _, cells)) = EXPECTED.iter().find(|(m, p, _)| is(spec, (m, p))) else {
                panic!(
                    "{} {} has no row in EXPECTED: decide who may call it and add one",
                    spec.method, spec.path
                )
            };
            let row: Vec<Seen> = cells
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '|')
                .map(|c| match c {
                    'Y' => Seen::Allowed,
                    '.' => Seen::Refused,
                    _ => panic!("{} {}: cell {c:?} is not Y or .", spec.method, spec.path),
                })
                .collect();
            assert_eq!(
                row.len(),
                CALLERS.len(),
                "{} {}: wrong number of cells",
                spec.method,
                spec.path
            );
            row
        })
        .collect()
}

/// What a response says about authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Allowed,
    Refused,
    /// 400: let through by the access rule, yet not served.
    BadRequest,
    /// Anything else (422, 5xx ...): always wrong here.
    Unclear,
}

fn seen(r: &Resp) -> Seen {
    match r.status.as_u16() {
        200..=299 => Seen::Allowed,
        300..=399 => match r.location() {
            Some("/sign-in" | "/sign-in/code") => Seen::Refused,
            _ => Seen::Allowed,
        },
        400 => Seen::BadRequest,
        401 | 403 | 404 => Seen::Refused,
        _ => Seen::Unclear,
    }
}

/// The body with this response's request id blanked, for comparing two answers.
fn without_request_id(r: &Resp) -> String {
    let id = r
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if id.is_empty() {
        r.body.clone()
    } else {
        r.body.replace(id, "")
    }
}

/// The demo staff account a caller signs in as, if any.
fn demo_role(caller: Caller) -> Option<&'static str> {
    Some(match caller {
        Admin => "admin",
        TriageClinician => "triage_clinician",
        SupporterOwn | SupporterOther => "supporter",
        ClinicalLead => "clinical_lead",
        Moderator => "moderator",
        Analyst => "analyst",
        _ => return None,
    })
}

/// A staff member with their own credentials (not a demo account).
struct StaffLogin {
    email: String,
    password: String,
    totp_secret: String,
}

/// Everything the callers need, set up once.
struct World {
    t: TestApp,
    demo_service: ServiceId,
    demo_patients: Vec<Patient>,
    /// A patient on the supporter's caseload, and one who is not.
    on_caseload: String,
    off_caseload: String,
    /// Staff of this service holding every role, who stops after the password.
    half: StaffLogin,
    /// Administrator and clinical lead of another service.
    elsewhere: StaffLogin,
    token_patient_read: String,
    token_reports_read: String,
    token_revoked: String,
    token_other_service: String,
    /// A PHQ-9 response of each patient a caller may target, by patient id.
    responses: BTreeMap<String, String>,
    /// Fresh front-door fixtures for the caller being tried.
    front: Mutex<FrontDoor>,
}

/// What the front door's routes act on, new for each caller: decisions,
/// activation and discharge each work once.
#[derive(Default, Clone)]
struct FrontDoor {
    /// A self-referral draft's resume token.
    draft: String,
    /// A referral waiting for triage.
    referral: String,
    /// An accepted referral's episode, and its activation token.
    episode: String,
    activation: String,
}

const NEW_PASSWORD: &str = "a fresh and long password";

fn ctx() -> RequestContext {
    RequestContext::default()
}

fn enrolment_token(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_string()
}

impl World {
    async fn new(t: TestApp) -> Self {
        let app = t.app.clone();
        let mut tx = app.store.read().await.unwrap();
        let demo_service = tx
            .service_by_slug(bothy_app::demo::DEMO_SLUG)
            .await
            .unwrap()
            .unwrap()
            .id;
        let demo_patients = tx.patients_of_service(demo_service, 1000).await.unwrap();
        tx.rollback().await.unwrap();
        let supporter = demo_patients
            .iter()
            .find_map(|p| p.supporter_id)
            .expect("the demo supporter has a caseload");
        let on_caseload = demo_patients
            .iter()
            .find(|p| p.supporter_id == Some(supporter))
            .unwrap()
            .id
            .to_string();
        let off_caseload = demo_patients
            .iter()
            .find(|p| p.supporter_id.is_none())
            .unwrap()
            .id
            .to_string();

        // Staff of this service holding every role, enrolled directly: signs in with a password only.
        let new = app
            .create_staff(
                demo_service,
                "harper.half@bothy.test",
                "Harper Half",
                &Role::ALL,
                &ctx(),
            )
            .await
            .unwrap();
        let token = enrolment_token(&new.enrolment_link);
        let totp_secret = app.enrolment_page(&token).await.unwrap().totp_secret;
        let code = bothy_app::credentials::totp_code(&totp_secret, t.clock_secs()).unwrap();
        app.complete_enrolment(&token, NEW_PASSWORD, NEW_PASSWORD, &code, &ctx())
            .await
            .unwrap();
        let half = StaffLogin {
            email: "harper.half@bothy.test".into(),
            password: NEW_PASSWORD.into(),
            totp_secret,
        };

        // Another service, with an administrator and clinical lead who enrols through the web.
        let other = app
            .create_service("elsewhere", "Elsewhere wellbeing service", &ctx())
            .await
            .unwrap();
        let email = "olive.other@elsewhere.test";
        let new = app
            .create_staff(
                other.id,
                email,
                "Olive Other",
                &[Role::Admin, Role::ClinicalLead],
                &ctx(),
            )
            .await
            .unwrap();
        let token = enrolment_token(&new.enrolment_link);
        let c = t.client();
        c.get(&format!("/enrol/{token}")).await.ok();
        let totp_secret = app.enrolment_page(&token).await.unwrap().totp_secret;
        let code = bothy_app::credentials::totp_code(&totp_secret, t.clock_secs()).unwrap();
        let password = "olive's own long password";
        c.post_form(
            &format!("/enrol/{token}"),
            &[
                ("password", password),
                ("confirm", password),
                ("code", &code),
            ],
        )
        .await
        .redirects_to("/sign-in");
        let elsewhere = StaffLogin {
            email: email.into(),
            password: password.into(),
            totp_secret,
        };

        let api = |service, name: &'static str, permissions: &'static [ApiPermission]| {
            let app = app.clone();
            async move {
                app.register_api_client(service, name, permissions, &ctx())
                    .await
                    .unwrap()
            }
        };
        let token_patient_read = api(
            demo_service,
            "Records feed",
            &[ApiPermission::PatientRead, ApiPermission::MeasuresWrite],
        )
        .await
        .token;
        let token_reports_read = api(demo_service, "Reports feed", &[ApiPermission::ReportsRead])
            .await
            .token;
        let revoked = api(demo_service, "Old feed", &ApiPermission::ALL).await;
        app.revoke_api_client(revoked.id, &ctx()).await.unwrap();
        let token_other_service = api(other.id, "Elsewhere feed", &ApiPermission::ALL)
            .await
            .token;

        // A response of each patient a caller may target, for the FHIR reads.
        let mut responses = BTreeMap::new();
        for id in [&t.demo.patients[0].id, &on_caseload, &off_caseload] {
            let p = demo_patients
                .iter()
                .find(|p| &p.id.to_string() == id)
                .unwrap();
            let actor = Actor::Patient(PatientActor {
                id: p.id,
                service_id: p.service_id,
                name: p.full_name(),
            });
            let submission = Submission {
                instrument_id: "phq9".into(),
                version: None,
                answers: vec![Some(0); 9],
                idempotency_key: "matrix-seed".into(),
                source: ResponseSource::Web,
            };
            let done = app
                .submit_measure(&actor, p.id, submission, &ctx())
                .await
                .unwrap();
            responses.insert(id.clone(), done.response.id.to_string());
        }

        Self {
            t,
            demo_service,
            demo_patients,
            on_caseload,
            off_caseload,
            half,
            elsewhere,
            token_patient_read,
            token_reports_read,
            token_revoked: revoked.token,
            token_other_service,
            responses,
            front: Mutex::new(FrontDoor::default()),
        }
    }

    /// A triage clinician of the demo service, as the app sees them.
    async fn staff_actor(&self, role: &str) -> Actor {
        let email = bothy_domain::person::Email::parse(&self.t.staff(role).email).unwrap();
        let mut tx = self.t.app.store.read().await.unwrap();
        let id = tx.staff_by_email(&email).await.unwrap().unwrap().id;
        tx.rollback().await.unwrap();
        self.t.app.staff_actor(id, None).await.unwrap().unwrap()
    }

    /// New front-door fixtures for column `col`.
    async fn new_front_door(&self, col: usize) {
        let app = &self.t.app;
        let triage = self.staff_actor("triage_clinician").await;
        let Actor::Staff(supporter) = self.staff_actor("supporter").await else {
            unreachable!()
        };
        let draft = app
            .start_self_referral(bothy_app::demo::DEMO_SLUG, &ctx())
            .await
            .unwrap()
            .resume_token;
        let refer = |n: &'static str| {
            let email = format!("matrix.{n}.{col}@example.org");
            let details = Details {
                given_name: Some("Morven".into()),
                family_name: Some(format!("Matrix{n}")),
                date_of_birth: Some("1970-05-05".parse().unwrap()),
                email: Some(email.clone()),
                preferred_channel: Some(bothy_domain::referral::Channel::Email),
                problems: vec![bothy_domain::referral::Problem::Worry],
                ..Details::default()
            };
            let triage = triage.clone();
            async move {
                let (r, _) = app
                    .submit_referral(
                        &triage,
                        details,
                        Source::Professional,
                        &format!("matrix-{n}-{col}"),
                        &ctx(),
                    )
                    .await
                    .unwrap();
                (r, email)
            }
        };
        let (waiting, _) = refer("waiting").await;
        let (accepted, email) = refer("accepted").await;
        let decision = Decision::Accept {
            step: Step::Therapist,
            practitioner: supporter.id,
        };
        let accepted = app
            .decide(&triage, accepted.id, decision, &ctx())
            .await
            .unwrap();
        let mut tx = app.store.read().await.unwrap();
        let episode = tx
            .open_episode(accepted.patient_id.unwrap())
            .await
            .unwrap()
            .unwrap();
        tx.rollback().await.unwrap();
        self.t.drain_jobs().await;
        let link = format!("{}/activate/", app.settings.public_url);
        let activation = self
            .t
            .outbox
            .sent()
            .into_iter()
            .filter(|m| m.to == email)
            .find_map(|m| {
                m.body
                    .split(&link)
                    .nth(1)
                    .map(|rest| rest[..64].to_string())
            })
            .expect("an activation message");
        *self.front.lock().unwrap() = FrontDoor {
            draft,
            referral: waiting.id.to_string(),
            episode: episode.id.to_string(),
            activation,
        };
    }

    /// A new session for `caller` (a bare client for anonymous and API callers).
    async fn session(&self, caller: Caller) -> Client {
        let t = &self.t;
        if let Some(role) = demo_role(caller) {
            return t.staff_client(role).await;
        }
        match caller {
            Patient => t.patient_client(0).await,
            OtherPatient => t.patient_client(1).await,
            HalfSignedIn | OtherServiceStaff => {
                let who = if caller == HalfSignedIn {
                    &self.half
                } else {
                    &self.elsewhere
                };
                let c = t.client();
                c.get("/sign-in").await.ok();
                c.post_form(
                    "/sign-in",
                    &[("email", &who.email), ("password", &who.password)],
                )
                .await
                .redirects_to("/sign-in/code");
                if caller == OtherServiceStaff {
                    c.get("/sign-in/code").await.ok();
                    t.clock.advance(Duration::from_secs(30));
                    let code = bothy_app::credentials::totp_code(&who.totp_secret, t.clock_secs())
                        .unwrap();
                    c.post_form("/sign-in/code", &[("code", &code)])
                        .await
                        .redirects_to("/staff");
                }
                c
            }
            _ => t.client(),
        }
    }

    fn bearer(&self, caller: Caller) -> Option<String> {
        let token = match caller {
            ApiPatientRead => &self.token_patient_read,
            ApiReportsRead => &self.token_reports_read,
            ApiRevoked => &self.token_revoked,
            ApiOtherService => &self.token_other_service,
            _ => return None,
        };
        Some(format!("Bearer {token}"))
    }

    /// The patient whose id goes into `{id}` for `caller`.
    fn target(&self, caller: Caller) -> String {
        match caller {
            SupporterOwn => self.on_caseload.clone(),
            SupporterOther => self.off_caseload.clone(),
            // The patient signed in as demo patient 0; the other patient is demo patient 1.
            _ => self.t.demo.patients[0].id.clone(),
        }
    }

    fn patient(&self, id: &str) -> &Patient {
        self.demo_patients
            .iter()
            .find(|p| p.id.to_string() == id)
            .unwrap()
    }

    /// The caller's password now (for changing it).
    fn password(&self, caller: Caller) -> String {
        match (caller, demo_role(caller)) {
            (_, Some(role)) => self.t.staff(role).password.clone(),
            (HalfSignedIn, _) => self.half.password.clone(),
            (OtherServiceStaff, _) => self.elsewhere.password.clone(),
            (Patient | OtherPatient, _) => self.t.demo.patients[0].password.clone(),
            _ => "not a password of anyone".into(),
        }
    }

    /// A fresh single-use enrolment link's token, for a new staff member.
    async fn enrolment_token(&self, n: usize) -> String {
        let email = format!("new.starter.{n}@bothy.test");
        let new = self
            .t
            .app
            .create_staff(
                self.demo_service,
                &email,
                "Nia Newstart",
                &[Role::Moderator],
                &ctx(),
            )
            .await
            .unwrap();
        enrolment_token(&new.enrolment_link)
    }

    /// Plausible, valid fields for a form route: the point is authorization, not validation.
    async fn form_fields(
        &self,
        caller: Caller,
        col: usize,
        spec: &RouteSpec,
        token: &str,
    ) -> Vec<(String, String)> {
        let t = &self.t;
        let f = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        match spec.path {
            // Saving unfinished answers: the one measure post that needs no answers.
            "/measures/{instrument}" => f(&[("action", "save")]),
            "/check-in" => {
                let key = format!("matrix-check-in-{col}");
                f(&[("mood", "5"), ("key", &key)])
            }
            "/staff/service" => {
                let slug = if caller == Caller::OtherServiceStaff {
                    "elsewhere"
                } else {
                    "demo"
                };
                f(&[("service", slug)])
            }
            "/sign-in" => {
                // A different demo patient per caller, so the per-account throttle never interferes.
                let p = &t.demo.patients[2 + col % (t.demo.patients.len() - 2)];
                f(&[("email", &p.email), ("password", &p.password)])
            }
            "/sign-in/code" => {
                // Each code works once: move to a fresh 30-second step first.
                t.clock.advance(Duration::from_secs(30));
                let code =
                    bothy_app::credentials::totp_code(&self.half.totp_secret, t.clock_secs())
                        .unwrap();
                f(&[("code", &code)])
            }
            "/enrol/{token}" => {
                let secret = t
                    .app
                    .enrolment_page(token)
                    .await
                    .map(|p| p.totp_secret)
                    .unwrap_or_default();
                let code =
                    bothy_app::credentials::totp_code(&secret, t.clock_secs()).unwrap_or_default();
                f(&[
                    ("password", NEW_PASSWORD),
                    ("confirm", NEW_PASSWORD),
                    ("code", &code),
                ])
            }
            "/refer" => f(&[("service", bothy_app::demo::DEMO_SLUG)]),
            "/refer/{token}/{step}" => {
                let email = format!("caller.{col}@example.org");
                f(&[
                    ("given_name", "Callum"),
                    ("family_name", "Caller"),
                    ("dob_day", "3"),
                    ("dob_month", "4"),
                    ("dob_year", "1985"),
                    ("email", &email),
                    ("preferred_channel", "email"),
                ])
            }
            "/activate/{token}" => {
                let email = format!("activated.{col}@example.org");
                f(&[
                    ("email", &email),
                    ("password", NEW_PASSWORD),
                    ("confirm", NEW_PASSWORD),
                ])
            }
            "/staff/referrals/new" => {
                let email = format!("referred.{col}@example.org");
                let key = format!("matrix-form-{col}");
                f(&[
                    ("given_name", "Rhona"),
                    ("family_name", "Referred"),
                    ("dob_day", "9"),
                    ("dob_month", "9"),
                    ("dob_year", "1979"),
                    ("email", &email),
                    ("preferred_channel", "email"),
                    ("gp_practice", "Leith Walk Surgery"),
                    ("problem_text", "Low mood"),
                    ("referrer_name", "Dr Ross"),
                    ("referrer_organisation", "Leith Walk Surgery"),
                    ("key", &key),
                ])
            }
            "/staff/referrals/{referral}/match" => {
                let patient = self.t.demo.patients[0].id.clone();
                f(&[("patient_id", &patient), ("verdict", "reject")])
            }
            "/staff/referrals/{referral}/decision" => {
                f(&[("decision", "decline"), ("reason", "Not the right service")])
            }
            "/staff/episodes/{episode}/discharge" => f(&[("reason", "Moved away")]),
            "/account/password" => {
                // The same password again: a valid change that keeps later sign-ins working.
                let current = self.password(caller);
                f(&[
                    ("current_password", &current),
                    ("new_password", &current),
                    ("confirm", &current),
                ])
            }
            _ => Vec::new(),
        }
    }

    /// Requests `spec` as `caller`. Forms carry a valid CSRF token, from a
    /// page loaded just before, as a browser's would.
    async fn call(
        &self,
        caller: Caller,
        col: usize,
        c: &Client,
        spec: &RouteSpec,
        token: &str,
    ) -> Resp {
        let path = self.path(spec, &self.target(caller), token);
        let bearer = self.bearer(caller);
        if spec.method == Method::GET {
            let headers: Vec<(&str, &str)> = bearer
                .iter()
                .map(|b| ("authorization", b.as_str()))
                .collect();
            return c.get_with(&path, &headers).await;
        }
        if let (Some(b), true) = (&bearer, is(spec, ("POST", "/fhir/QuestionnaireResponse"))) {
            // A valid PHQ-9 for the target, as a FHIR client would send it.
            let inst = self.t.app.instrument("phq9").unwrap();
            let items: Vec<serde_json::Value> = inst
                .items
                .iter()
                .map(|i| json!({ "linkId": i.loinc, "answer": [{ "valueInteger": 0 }] }))
                .collect();
            let body = json!({
                "resourceType": "QuestionnaireResponse",
                "status": "completed",
                "identifier": { "value": format!("matrix-{col}") },
                "subject": { "reference": format!("Patient/{}", self.target(caller)) },
                "questionnaire": format!("{}/fhir/Questionnaire/phq9", self.t.app.settings.public_url),
                "item": items,
            });
            return c
                .send(
                    Request::post(&path)
                        .header(header::AUTHORIZATION, b)
                        .header(header::CONTENT_TYPE, "application/fhir+json")
                        .body(Body::from(body.to_string()))
                        .unwrap(),
                )
                .await;
        }
        if let (Some(b), true) = (&bearer, is(spec, ("POST", "/fhir/ServiceRequest"))) {
            // A valid referral of someone new, as another system would send it.
            let body = json!({
                "resourceType": "ServiceRequest",
                "identifier": [{ "value": format!("matrix-sr-{col}") }],
                "status": "active",
                "intent": "order",
                "subject": { "reference": "#p" },
                "requester": { "reference": "#gp" },
                "reasonCode": [{ "text": "Low mood" }],
                "contained": [
                    {
                        "resourceType": "Patient", "id": "p",
                        "name": [{ "family": "Fhirmatrix", "given": ["Morven"] }],
                        "birthDate": "1970-05-05",
                        "telecom": [{ "system": "email", "value": format!("matrix.sr.{col}@example.org") }],
                    },
                    { "resourceType": "Practitioner", "id": "gp", "name": [{ "text": "Dr Ross" }] },
                ],
            });
            return c
                .send(
                    Request::post(&path)
                        .header(header::AUTHORIZATION, b)
                        .header(header::CONTENT_TYPE, "application/fhir+json")
                        .body(Body::from(body.to_string()))
                        .unwrap(),
                )
                .await;
        }
        let mut fields = self.form_fields(caller, col, spec, token).await;
        let mut req = Request::builder().method(spec.method.clone()).uri(&path);
        match &bearer {
            Some(b) => req = req.header(header::AUTHORIZATION, b),
            None => {
                let form_page = match caller {
                    Anonymous => "/sign-in",
                    HalfSignedIn => "/sign-in/code",
                    _ => "/account",
                };
                c.get(form_page).await.ok();
                fields.insert(0, ("csrf_token".into(), c.csrf()));
            }
        }
        let body = serde_urlencoded::to_string(&fields).unwrap();
        c.send(
            req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    /// The path of `spec` about `patient`: their id, a response of theirs
    /// (a random id for anyone else), or a search for them.
    fn path(&self, spec: &RouteSpec, patient: &str, token: &str) -> String {
        let response = self
            .responses
            .get(patient)
            .cloned()
            .unwrap_or_else(|| ResponseId::random().to_string());
        let front = self.front.lock().unwrap().clone();
        let token = if spec.path.starts_with("/refer/") {
            front.draft.as_str()
        } else if spec.path.starts_with("/activate/") {
            front.activation.as_str()
        } else {
            token
        };
        let mut path = spec
            .path
            .replace("{id}", patient)
            .replace("{token}", token)
            .replace("{step}", "about")
            .replace("{referral}", &front.referral)
            .replace("{episode}", &front.episode)
            .replace("{instrument}", "phq9")
            .replace("{response}", &response)
            .replace("{observation}", &response);
        if is(spec, ("GET", "/fhir/QuestionnaireResponse")) {
            path.push_str(&format!("?subject=Patient/{patient}"));
        }
        path
    }

    /// What the response means. An enrolment that succeeds sends the new
    /// person to /sign-in, so for it "allowed" means the link was used up.
    async fn judge(&self, spec: &RouteSpec, r: &Resp, token: &str) -> Seen {
        if is(spec, ("POST", "/enrol/{token}"))
            && r.status.is_redirection()
            && r.location() == Some("/sign-in")
        {
            let used = matches!(self.t.app.enrolment_page(token).await, Err(AppError::Gone));
            return if used { Seen::Allowed } else { Seen::Refused };
        }
        seen(r)
    }

    /// Text that must never reach a caller outside the demo service.
    fn demo_secrets(&self) -> Vec<String> {
        let mut s: Vec<String> = self.demo_patients.iter().map(|p| p.full_name()).collect();
        s.extend(self.t.demo.staff.iter().map(|m| m.email.clone()));
        s.push(self.t.demo.service.clone());
        s
    }
}

async fn every_route_answers_every_caller_as_the_table_says(t: TestApp) {
    let routes = bothy_web::route_specs();
    let expected = expected_rows(&routes);
    let w = World::new(t).await;
    let mut wrong = Vec::new();

    for (col, &caller) in CALLERS.iter().enumerate() {
        // Let the sign-in throttle (a few attempts per account per 15 minutes) refill.
        w.t.clock.advance(Duration::from_secs(15 * 60));
        let main = w.session(caller).await;
        let mut spares = Vec::new();
        for _ in REPLACES_SESSION {
            spares.push(w.session(caller).await);
        }
        let token = w.enrolment_token(col).await;
        w.new_front_door(col).await;
        let target = w.patient(&w.target(caller)).clone();
        let mut last = None;

        for (spec, row) in routes.iter().zip(&expected) {
            if is(spec, ENDS_SESSION) {
                last = Some((spec, row[col]));
                continue;
            }
            let client = if REPLACES_SESSION.iter().any(|r| is(spec, *r)) {
                spares.pop().unwrap()
            } else {
                main.clone()
            };
            let r = w.call(caller, col, &client, spec, &token).await;
            let got = w.judge(spec, &r, &token).await;
            let want = row[col];
            let cell = format!("{caller:?} {} {}", spec.method, spec.path);
            if got != want {
                wrong.push(format!(
                    "{cell}: expected {want:?}, got {got:?} ({} {:?})",
                    r.status,
                    r.location()
                ));
            }
            if about_patient(spec) {
                let named = names(spec, &r.body, &target);
                if got == Seen::Allowed && !named {
                    wrong.push(format!(
                        "{cell}: allowed, but the answer is not about the patient asked for"
                    ));
                }
                if got == Seen::Refused && named {
                    wrong.push(format!("{cell}: refused, yet the answer names the patient"));
                }
            }
            let outsider = matches!(caller, OtherServiceStaff | ApiOtherService);
            if let Some(leak) = w
                .demo_secrets()
                .into_iter()
                // A service's name is public: people choose it to refer themselves.
                .filter(|s| !(spec.access == Access::Public && *s == w.t.demo.service))
                .find(|s| outsider && r.body.contains(s))
            {
                wrong.push(format!("{cell}: shows {leak:?} of another service"));
            }
        }

        // A refusal never tells whether the record exists: a real patient the
        // caller may not see answers exactly like an id that names nobody.
        for (spec, row) in routes.iter().zip(&expected) {
            if !about_patient(spec) || spec.method != Method::GET || row[col] != Seen::Refused {
                continue;
            }
            let cell = format!("{caller:?} {} {}", spec.method, spec.path);
            let missing = PatientId::random().to_string();
            let bearer = w.bearer(caller);
            let headers: Vec<(&str, &str)> = bearer
                .iter()
                .map(|b| ("authorization", b.as_str()))
                .collect();
            let real = main
                .get_with(&w.path(spec, &w.target(caller), &token), &headers)
                .await;
            let none = main
                .get_with(&w.path(spec, &missing, &token), &headers)
                .await;
            if (real.status, real.location(), without_request_id(&real))
                != (none.status, none.location(), without_request_id(&none))
            {
                wrong.push(format!(
                    "{cell}: a real record answers {} but a missing one {}",
                    real.status, none.status
                ));
            }
            // Those who may open some records but not this one: plainly not found.
            let may_open_some = match spec.access {
                Access::StaffPatients => matches!(caller, SupporterOther | OtherServiceStaff),
                Access::Api(_) => caller == ApiOtherService,
                _ => false,
            };
            if may_open_some && (real.status.as_u16(), none.status.as_u16()) != (404, 404) {
                wrong.push(format!(
                    "{cell}: expected 404 for both a hidden and a missing record, got {} and {}",
                    real.status, none.status
                ));
            }
        }

        if let Some((spec, want)) = last {
            let r = w.call(caller, col, &main, spec, &token).await;
            let got = w.judge(spec, &r, &token).await;
            if got != want {
                wrong.push(format!(
                    "{caller:?} {} {}: expected {want:?}, got {got:?} ({})",
                    spec.method, spec.path, r.status
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells of the authorization matrix are wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
