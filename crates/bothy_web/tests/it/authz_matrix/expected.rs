//! The table of who may call each route, and reading it against the routes.

use super::callers::Caller::{self, *};
use crate::helpers::Resp;
use bothy_domain::model::Patient;
use bothy_web::RouteSpec;

/// The columns of [`EXPECTED`], in order.
pub(super) const CALLERS: [Caller; 16] = [
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
/// - API clients: `ap` patient.read, measures.write and referral.read, `ar` reports.read
///   only, `ax` revoked, `ao` another service's client.
///
/// Routes without a patient in the path act on the caller's own service, so
/// staff and API clients of another service may use them for their own.
///
/// Bearer tokens count only on `/api` and `/fhir`: on pages an API client is
/// an anonymous cookie session, so its form posts without a CSRF token are refused.
#[rustfmt::skip]
pub(super) const EXPECTED: &[(&str, &str, &str)] = &[
    //                                  an hs   ad tc s+ s- cl mo ay   pa po   os   ap ar ax ao
    ("GET",  "/",                      "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/static/app.css",        "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/healthz",               "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/readyz",                "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    // Only for a scraper holding the configured token; none is configured here
    // (hardening::metrics tests it with one).
    ("GET",  "/metrics",               ".  .  | .  .  .  .  .  .  .  | .  .  | .  | .  .  .  ."),
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
    ("POST", "/account/contact",       ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/account/check-in-prompt",
                                       ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/home",                  ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/check-in",              ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/check-in",              ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/check-ins",             ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    // Peer support for members: any patient of the service; what a member
    // may see or do is checked in the use case (the other patient has
    // joined by the time they post).
    ("GET",  "/peer",                  ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/peer/groups/{group}",   ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/peer/groups/{group}/join",
                                       ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/peer/groups/{group}/posts",
                                       ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/peer/posts/{post}/react",
                                       ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/peer/posts/{post}/report",
                                       ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/peer/posts/{post}/report",
                                       ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    // Moderation: moderators and clinical leads; another service's lead
    // has a queue, groups and figures of their own, and none of this post.
    ("GET",  "/staff/peer",            ".  .  | .  .  .  .  Y  Y  .  | .  .  | Y  | .  .  .  ."),
    ("GET",  "/staff/peer/posts/{post}",
                                       ".  .  | .  .  .  .  Y  Y  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/peer/posts/{post}/moderate",
                                       ".  .  | .  .  .  .  Y  Y  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/peer/posts/{post}/contact",
                                       ".  .  | .  .  .  .  Y  Y  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/peer/posts/{post}/alert",
                                       ".  .  | .  .  .  .  Y  Y  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/peer/posts/{post}/suspend",
                                       ".  .  | .  .  .  .  Y  Y  .  | .  .  | .  | .  .  .  ."),
    ("GET",  "/staff/peer/groups",     ".  .  | .  .  .  .  Y  Y  .  | .  .  | Y  | .  .  .  ."),
    ("POST", "/staff/peer/groups",     ".  .  | .  .  .  .  Y  Y  .  | .  .  | Y  | .  .  .  ."),
    ("GET",  "/staff/peer/figures",    ".  .  | .  .  .  .  Y  Y  .  | .  .  | Y  | .  .  .  ."),
    // Secure messages: a patient's own threads; someone else's thread is not found.
    ("GET",  "/messages",              ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/messages",              ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/messages/{thread}",     ".  .  | .  .  .  .  .  .  .  | Y  .  | .  | .  .  .  ."),
    ("POST", "/messages/{thread}",     ".  .  | .  .  .  .  .  .  .  | Y  .  | .  | .  .  .  ."),
    ("GET",  "/safety-plan",           ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    // The tools act on the signed-in patient's own entries: no patient in the path.
    ("GET",  "/tools",                 ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/tools/thought-record",  ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/tools/thought-record",  ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/tools/sleep-diary",     ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/tools/sleep-diary",     ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/tools/activities",      ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/tools/activities",      ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/tools/worries",         ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/tools/worries",         ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/tools/exposure",        ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/tools/exposure/steps",  ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/tools/exposure/practice", ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/tools/goals",           ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/tools/goals",           ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/tools/goals/ratings",   ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/library",               ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/library/{programme}/{module}/{page}",
                                       ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    // A patient's own programme: someone else's enrolment is not found.
    ("GET",  "/programme/{enrolment}", ".  .  | .  .  .  .  .  .  .  | Y  .  | .  | .  .  .  ."),
    ("GET",  "/programme/{enrolment}/{module}/{page}",
                                       ".  .  | .  .  .  .  .  .  .  | Y  .  | .  | .  .  .  ."),
    ("POST", "/programme/{enrolment}/done",
                                       ".  .  | .  .  .  .  .  .  .  | Y  .  | .  | .  .  .  ."),
    ("POST", "/programme/{enrolment}/pause",
                                       ".  .  | .  .  .  .  .  .  .  | Y  .  | .  | .  .  .  ."),
    ("POST", "/programme/{enrolment}/resume",
                                       ".  .  | .  .  .  .  .  .  .  | Y  .  | .  | .  .  .  ."),
    ("GET",  "/safety-plan/edit",      ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/safety-plan/edit",      ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/measures/{instrument}", ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("POST", "/measures/{instrument}", ".  .  | .  .  .  .  .  .  .  | Y  Y  | .  | .  .  .  ."),
    ("GET",  "/measures/responses/{response}", ".  .  | .  .  .  .  .  .  .  | Y  .  | .  | .  .  .  ."),
    ("GET",  "/staff",                 ".  .  | Y  Y  Y  Y  Y  Y  Y  | .  .  | Y  | .  .  .  ."),
    ("GET",  "/staff/programmes",      ".  .  | Y  Y  Y  Y  Y  Y  Y  | .  .  | Y  | .  .  .  ."),
    ("GET",  "/staff/programmes/{programme}/{module}/{page}",
                                       ".  .  | Y  Y  Y  Y  Y  Y  Y  | .  .  | Y  | .  .  .  ."),
    ("POST", "/staff/service",         ".  .  | Y  Y  Y  Y  Y  Y  Y  | .  .  | Y  | .  .  .  ."),
    ("GET",  "/staff/patients/{id}",   ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    // Alerts: the duty queue for duty staff (the other service's lead sees
    // their own); one alert for duty staff and the patient's own supporter.
    ("GET",  "/alerts",                ".  .  | .  Y  .  .  Y  .  .  | .  .  | Y  | .  .  .  ."),
    ("GET",  "/alerts/load",           ".  .  | Y  .  .  .  Y  .  Y  | .  .  | Y  | .  .  .  ."),
    ("GET",  "/alerts/{alert}",        ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/alerts/{alert}/acknowledge",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/alerts/{alert}/close",  ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    // Asking by text message: whoever may open the patient's record.
    ("POST", "/staff/patients/{id}/sms",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/patients/{id}/check-in-prompt",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    // The SMS gateway's callbacks: only for the gateway holding the inbound
    // secret; none is configured here (it::sms tests them with one).
    ("POST", "/sms/kannel/inbound",".  .  | .  .  .  .  .  .  .  | .  .  | .  | .  .  .  ."),
    ("GET",  "/sms/kannel/status", ".  .  | .  .  .  .  .  .  .  | .  .  | .  | .  .  .  ."),
    // Enrolments: whoever may open the patient's record.
    ("POST", "/staff/patients/{id}/enrolments",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/enrolments/{enrolment}/unlock",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/enrolments/{enrolment}/pause",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/enrolments/{enrolment}/resume",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    // Reviews: the queue for staff who may open records (each sees their
    // own); one review for whoever may open the patient's record.
    ("GET",  "/staff/reviews",         ".  .  | .  Y  Y  Y  Y  .  .  | .  .  | Y  | .  .  .  ."),
    ("GET",  "/staff/enrolments/{enrolment}/review",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/enrolments/{enrolment}/review",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    // Appointments: booking and recording for whoever may open the
    // patient's record; the list for staff who may open records (each sees
    // their own, or their service's).
    ("GET",  "/staff/patients/{id}/appointments/new",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/patients/{id}/appointments",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("GET",  "/staff/appointments",    ".  .  | .  Y  Y  Y  Y  .  .  | .  .  | Y  | .  .  .  ."),
    ("POST", "/staff/appointments/{appointment}",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("GET",  "/staff/appointments/{appointment}/edit",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/appointments/{appointment}/edit",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    // Messages inside the record: whoever may open the patient's record.
    ("GET",  "/staff/patients/{id}/messages/{thread}",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/patients/{id}/messages/{thread}",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/patients/{id}/messages/{thread}/needs-clinician",
                                       ".  .  | .  Y  Y  .  Y  .  .  | .  .  | .  | .  .  .  ."),
    ("GET",  "/staff/admin/staff",     ".  .  | Y  .  .  .  .  .  .  | .  .  | Y  | .  .  .  ."),
    // The dead-letter list: the demo service's failed jobs are its
    // administrator's; another service's administrator finds none of them.
    ("GET",  "/staff/admin/jobs",      ".  .  | Y  .  .  .  .  .  .  | .  .  | Y  | .  .  .  ."),
    ("POST", "/staff/admin/jobs/{job}/retry",
                                       ".  .  | Y  .  .  .  .  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/staff/admin/jobs/{job}/cancel",
                                       ".  .  | Y  .  .  .  .  .  .  | .  .  | .  | .  .  .  ."),
    ("GET",  "/staff/reports",         ".  .  | Y  .  .  .  Y  .  Y  | .  .  | Y  | .  .  .  ."),
    ("GET",  "/staff/reports/monthly", ".  .  | Y  .  .  .  Y  .  Y  | .  .  | Y  | .  .  .  ."),
    ("GET",  "/staff/reports/csv/{table}",
                                       ".  .  | Y  .  .  .  Y  .  Y  | .  .  | Y  | .  .  .  ."),
    ("GET",  "/staff/reports/parquet/{table}",
                                       ".  .  | Y  .  .  .  Y  .  Y  | .  .  | Y  | .  .  .  ."),
    // No extract key is configured here, so no extract exists for anyone
    // (404); reports::extracts tests who may take one with a key.
    ("GET",  "/staff/reports/extract/{kind}",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | .  .  .  ."),
    ("GET",  "/staff/team",            ".  .  | Y  .  .  .  Y  .  Y  | .  .  | Y  | .  .  .  ."),
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
    // Only for GOV.UK Notify holding a service's callback token; none is
    // configured here (delivery::notify_callbacks tests it with one).
    ("POST", "/api/notify/callbacks/status",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | .  .  .  ."),
    ("POST", "/api/notify/callbacks/inbound-sms",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | .  .  .  ."),
    ("GET",  "/api/openapi.json",      "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
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
    // Searching a service's measures and patients (fhir_search): without a
    // patient named, another service's client searches its own service and
    // finds nothing of this one.
    ("GET",  "/fhir/Observation",      ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  Y"),
    ("GET",  "/fhir/Patient",          ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  Y"),
    ("GET",  "/fhir/QuestionnaireResponse/{response}",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
    ("GET",  "/fhir/Observation/{observation}",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
    // Referrals from other systems: `ap` lacks referral.create, so only the
    // other service's client (holding it) may send one, to its own service.
    // Reading back needs referral.read in the referral's service (or to have
    // sent it: fhir_referrals tests that); patient.read alone does not do.
    ("POST", "/fhir/ServiceRequest",   ".  .  | .  .  .  .  .  .  .  | .  .  | .  | .  .  .  Y"),
    // Searching is allowed to the same clients; another service's client
    // finds only its own service's referrals (none here).
    ("GET",  "/fhir/ServiceRequest",   ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  Y"),
    ("GET",  "/fhir/ServiceRequest/{referral}",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
    // A version of a resource: whoever may read the resource.
    ("GET",  "/fhir/Questionnaire/{instrument}/_history/{version}",
                                       "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/fhir/QuestionnaireResponse/{response}/_history/{version}",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
    ("GET",  "/fhir/Observation/{observation}/_history/{version}",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
    // Code systems hold no patient data: public, like the Questionnaires.
    ("GET",  "/fhir/CodeSystem",       "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/fhir/CodeSystem/{codesystem}",
                                       "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/fhir/CodeSystem/{codesystem}/_history/{version}",
                                       "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    // Bulk export (fhir_bulk): patient.read; another service's client
    // exports its own service, and the demo service's Group, and `ap`'s
    // exports, are not found for it.
    ("GET",  "/fhir/$export",          ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  Y"),
    ("GET",  "/fhir/Patient/$export",  ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  Y"),
    ("GET",  "/fhir/Group/{group}",    ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
    ("GET",  "/fhir/Group/{group}/$export",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
    ("GET",  "/fhir/$export-status/{export}",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
    ("DELETE", "/fhir/$export-status/{export}",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
    ("GET",  "/fhir/$export-file/{export}/{file}",
                                       ".  .  | .  .  .  .  .  .  .  | .  .  | .  | Y  .  .  ."),
    // SMART Backend Services: the token endpoint authenticates by the
    // signed assertion sent, whoever sends it; discovery is public.
    ("POST", "/fhir/token",            "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/fhir/.well-known/smart-configuration",
                                       "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
    ("GET",  "/.well-known/smart-configuration",
                                       "Y  Y  | Y  Y  Y  Y  Y  Y  Y  | Y  Y  | Y  | Y  Y  Y  Y"),
];

/// Routes that change whom the session belongs to when they succeed: each
/// is requested on a session of its own, so the caller's main session keeps
/// its identity for the other routes.
pub(super) const REPLACES_SESSION: [(&str, &str); 2] =
    [("POST", "/sign-in"), ("POST", "/sign-in/code")];

/// Ends the session: requested last, on the main session.
pub(super) const ENDS_SESSION: (&str, &str) = ("POST", "/sign-out");

pub(super) fn is(spec: &RouteSpec, (method, path): (&str, &str)) -> bool {
    spec.method.as_str() == method && spec.path == path
}

/// FHIR routes about one patient's measures: the caller's target patient
/// (named in the body, the query or through a response of theirs).
pub(super) const FHIR_MEASURES: [(&str, &str); 6] = [
    ("POST", "/fhir/QuestionnaireResponse"),
    ("GET", "/fhir/QuestionnaireResponse"),
    ("GET", "/fhir/QuestionnaireResponse/{response}"),
    ("GET", "/fhir/Observation/{observation}"),
    (
        "GET",
        "/fhir/QuestionnaireResponse/{response}/_history/{version}",
    ),
    ("GET", "/fhir/Observation/{observation}/_history/{version}"),
];

pub(super) fn is_fhir_measures(spec: &RouteSpec) -> bool {
    FHIR_MEASURES.iter().any(|r| is(spec, *r))
}

/// Whether the route's answer is about the caller's target patient.
pub(super) fn about_patient(spec: &RouteSpec) -> bool {
    spec.path.contains("{id}") || is_fhir_measures(spec)
}

/// Whether `body` names `patient`: FHIR resources reference the patient by
/// id; pages show their name.
pub(super) fn names(spec: &RouteSpec, body: &str, patient: &Patient) -> bool {
    if is_fhir_measures(spec) {
        body.contains(&format!("Patient/{}", patient.id))
    } else {
        body.contains(patient.given_name.as_str())
    }
}

/// The expected row of every route, in route order. Fails if a route has no
/// row, a row names no route, or a row has the wrong number of cells.
pub(super) fn expected_rows(routes: &[RouteSpec]) -> Vec<Vec<Seen>> {
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
pub(super) enum Seen {
    Allowed,
    Refused,
    /// 400: let through by the access rule, yet not served.
    BadRequest,
    /// Anything else (422, 5xx ...): always wrong here.
    Unclear,
}

pub(super) fn seen(r: &Resp) -> Seen {
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
pub(super) fn without_request_id(r: &Resp) -> String {
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
