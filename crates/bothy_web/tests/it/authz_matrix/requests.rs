//! Making each request as each caller, and judging the answer.

use super::callers::{
    Caller::{self, *},
    NEW_PASSWORD, World,
};
use super::expected::*;
use crate::helpers::{Client, Resp};
use axum::body::Body;
use axum::http::{Method, Request, header};
use bothy_app::AppError;
use bothy_domain::ids::ResponseId;
use bothy_web::RouteSpec;
use serde_json::json;
use std::time::Duration;

impl World {
    /// Plausible, valid fields for a form route: the point is authorization, not validation.
    pub(super) async fn form_fields(
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
            "/safety-plan/edit" => f(&[("coping_strategies", "Walk by the sea")]),
            "/tools/thought-record" => {
                let key = format!("matrix-thought-{col}");
                f(&[
                    ("situation", "A meeting at work"),
                    ("feelings", "Worried"),
                    ("feeling_before", "60"),
                    ("hot_thought", "They think I am slow"),
                    ("belief_before", "50"),
                    ("key", &key),
                ])
            }
            "/tools/sleep-diary" => {
                // A night of its own per caller, some days back.
                let now = jiff::Timestamp::from_second(t.clock_secs() as i64).unwrap();
                let night = now
                    .to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap())
                    .date()
                    .checked_sub(jiff::Span::new().days(2 + col as i64))
                    .unwrap()
                    .to_string();
                let key = format!("matrix-night-{col}");
                f(&[
                    ("night_of", &night),
                    ("went_to_bed", "23:00"),
                    ("minutes_to_fall_asleep", "15"),
                    ("minutes_awake_in_night", "20"),
                    ("woke_finally", "06:30"),
                    ("got_up", "07:00"),
                    ("key", &key),
                ])
            }
            "/tools/activities" => {
                let key = format!("matrix-activity-{col}");
                f(&[
                    ("activity", "A walk"),
                    ("status", "planned"),
                    ("day", &self.t.today().to_string()),
                    ("time_of_day", "evening"),
                    ("key", &key),
                ])
            }
            "/tools/worries" => {
                let key = format!("matrix-worry-{col}");
                f(&[
                    ("worry", "Money"),
                    ("worry_type", "practical"),
                    ("distress", "50"),
                    ("key", &key),
                ])
            }
            "/tools/exposure/steps" => {
                let key = format!("matrix-step-{col}");
                f(&[
                    ("situation", "The shop"),
                    ("expected_distress", "30"),
                    ("key", &key),
                ])
            }
            "/tools/goals" => {
                let key = format!("matrix-goal-{col}");
                f(&[("goal", "Walk more"), ("progress", "3"), ("key", &key)])
            }
            // A practice or a rating of the caller's own step or goal.
            "/tools/exposure/practice" | "/tools/goals/ratings" => {
                let n = usize::from(caller == OtherPatient);
                let key = format!("matrix-{}-{col}", spec.path);
                if spec.path == "/tools/goals/ratings" {
                    let goal = &self.tool_parents[&(n, "goal")];
                    f(&[("rated_goal", goal), ("rating", "4"), ("key", &key)])
                } else {
                    let step = &self.tool_parents[&(n, "exposure_step")];
                    f(&[
                        ("step", step),
                        ("practised_on", &self.t.today().to_string()),
                        ("minutes", "15"),
                        ("distress_before", "40"),
                        ("distress_after", "20"),
                        ("key", &key),
                    ])
                }
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
                    .accounts()
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
            "/alerts/{alert}/close" => f(&[("outcome", "contacted_person")]),
            // The enrolment the world made (asking again is answered as
            // done), and its first module, open since enrolment.
            "/staff/patients/{id}/sms" => f(&[("ask", "mood")]),
            "/staff/patients/{id}/check-in-prompt" => f(&[("prompt_time", "18:30")]),
            "/staff/patients/{id}/enrolments" => {
                f(&[("programme", "relaxation"), ("supporter", "")])
            }
            "/staff/enrolments/{enrolment}/unlock" | "/programme/{enrolment}/done" => {
                f(&[("module", "1")])
            }
            // The target's first review, with one key for every caller, so
            // a second allowed caller is answered as the first.
            "/staff/enrolments/{enrolment}/review" => {
                let target = self.target(caller);
                let due = self.review_due.get(&target).cloned().unwrap_or_default();
                f(&[
                    ("feedback", "Well done"),
                    ("due", &due),
                    ("key", "matrix-review"),
                ])
            }
            // A message, with a key per caller; the thread is the target's.
            "/messages" => {
                let key = format!("matrix-start-{col}");
                f(&[("subject", "Sleep"), ("body", "A question"), ("key", &key)])
            }
            "/messages/{thread}" | "/staff/patients/{id}/messages/{thread}" => {
                let key = format!("matrix-reply-{col}");
                f(&[("body", "A reply"), ("key", &key)])
            }
            // Peer support: a group name and post key per caller.
            "/peer/groups/{group}/join" => {
                let name = format!("Matrix Caller {col}");
                f(&[("pseudonym", &name), ("invite_code", "")])
            }
            "/peer/groups/{group}/posts" => {
                let key = format!("matrix-peer-{col}");
                let body = format!("A kind word from caller {col}");
                f(&[("body", &body), ("key", &key)])
            }
            "/peer/posts/{post}/react" => f(&[("reaction", "support")]),
            "/peer/posts/{post}/report" => f(&[("reason", "A matrix report")]),
            // Approve again, from the state the post is in now, as the
            // moderator's page would show it.
            "/staff/peer/posts/{post}/moderate" => {
                let moderator = self.staff_actor("moderator").await;
                let post = self
                    .t
                    .app
                    .peer()
                    .moderation_post(
                        &moderator,
                        self.peer_post.parse().unwrap(),
                        &bothy_app::RequestContext::default(),
                    )
                    .await
                    .unwrap()
                    .post;
                let needs = if post.needs_review { "1" } else { "0" };
                f(&[
                    ("action", "approve"),
                    ("status", post.status.as_str()),
                    ("needs_review", needs),
                    ("reason", ""),
                    ("body", ""),
                ])
            }
            "/staff/peer/posts/{post}/contact" | "/staff/peer/posts/{post}/alert" => {
                f(&[("reason", "A matrix note")])
            }
            "/staff/peer/posts/{post}/suspend" => f(&[("days", "1"), ("reason", "A matrix pause")]),
            "/staff/peer/groups" => {
                let name = format!("Matrix group {col}");
                f(&[
                    ("name", &name),
                    ("kind", "open"),
                    ("description", "For the matrix"),
                    ("rules", "Be kind"),
                    ("mode", "post"),
                    ("hours", "always"),
                    ("outside_hours", "read_only"),
                ])
            }
            "/staff/patients/{id}/messages/{thread}/needs-clinician" => {
                let target = self.target(caller);
                let message = self
                    .threads
                    .get(&target)
                    .map(|(_, m)| m.clone())
                    .unwrap_or_default();
                f(&[("message", &message), ("needs", "yes")])
            }
            // A booking, one key per target patient, so a second allowed
            // caller is answered as the first; at an hour of the target's own.
            "/staff/patients/{id}/appointments" => {
                let target = self.target(caller);
                let hour = if target == self.on_caseload {
                    "14:00"
                } else if target == self.off_caseload {
                    "15:00"
                } else {
                    "16:00"
                };
                let day = (self.t.today() + jiff::ToSpan::days(3)).to_string();
                f(&[
                    ("practitioner", &self.practitioner),
                    ("kind", "phone"),
                    ("date", &day),
                    ("time", hour),
                    ("minutes", "30"),
                    ("key", "matrix-appointment"),
                ])
            }
            // Cancelled by the service: the same again is answered as done.
            "/staff/appointments/{appointment}" => f(&[("status", "cancelled_by_service")]),
            // Moved an hour on, from the form's first sight (sequence 0): the
            // same move again is answered as done.
            "/staff/appointments/{appointment}/edit" => {
                let target = self.target(caller);
                let hour = if target == self.on_caseload {
                    "21:30"
                } else if target == self.off_caseload {
                    "22:30"
                } else {
                    "23:30"
                };
                let day = (self.t.today() + jiff::ToSpan::days(3)).to_string();
                f(&[
                    ("date", &day),
                    ("time", hour),
                    ("minutes", "20"),
                    ("sequence", "0"),
                ])
            }
            "/account/contact" => f(&[("contact", "email")]),
            "/account/check-in-prompt" => f(&[("prompt_time", "09:00")]),
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
    pub(super) async fn call(
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
            let mut headers: Vec<(&str, &str)> = bearer
                .iter()
                .map(|b| ("authorization", b.as_str()))
                .collect();
            if spec.path.ends_with("/$export") {
                // A bulk export's kick-off, with the headers it needs.
                headers.push(("accept", "application/fhir+json"));
                headers.push(("prefer", "respond-async"));
            }
            return c.get_with(&path, &headers).await;
        }
        if is(spec, ("POST", "/fhir/token")) {
            // The token endpoint is public: whoever calls it, a client's
            // signed assertion is what it checks.
            let a = crate::smart_token::assertion(
                &self.t,
                &self.smart_client,
                "es384",
                "es384-test",
                json!({}),
            );
            return crate::smart_token::request_token(c, &a, "system/*.read").await;
        }
        if let (Some(b), true) = (&bearer, is(spec, ("POST", "/fhir/QuestionnaireResponse"))) {
            // A valid PHQ-9 for the target, as a FHIR client would send it.
            let inst = self.t.app.measures().instrument("phq9").unwrap();
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
                "questionnaire": format!("{}/fhir/Questionnaire/phq9", self.t.app.settings().public_url),
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
    pub(super) fn path(&self, spec: &RouteSpec, patient: &str, token: &str) -> String {
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
        let enrolment = self
            .enrolments
            .get(patient)
            .cloned()
            .unwrap_or_else(|| bothy_domain::ids::EnrolmentId::random().to_string());
        let thread = self
            .threads
            .get(patient)
            .map(|(t, _)| t.clone())
            .unwrap_or_else(|| bothy_domain::ids::ThreadId::random().to_string());
        let appointment = self
            .appointments
            .get(patient)
            .map(|(record, moved)| {
                if spec.path.ends_with("/edit") {
                    moved.clone()
                } else {
                    record.clone()
                }
            })
            .unwrap_or_else(|| bothy_domain::ids::AppointmentId::random().to_string());
        let mut path = spec
            .path
            .replace("{appointment}", &appointment)
            .replace("{id}", patient)
            .replace("{thread}", &thread)
            // A FHIR Group is the service, by its short name; any other
            // `{group}` is a peer support group.
            .replace(
                "{group}",
                if spec.path.starts_with("/fhir/") {
                    "demo"
                } else {
                    &self.peer_group
                },
            )
            .replace("{post}", &self.peer_post)
            .replace("{enrolment}", &enrolment)
            .replace("{token}", token)
            .replace("{step}", "about")
            .replace(
                "{job}",
                if spec.path.ends_with("/cancel") {
                    &front.failed_jobs.1
                } else {
                    &front.failed_jobs.0
                },
            )
            .replace("{referral}", &front.referral)
            .replace("{episode}", &front.episode)
            .replace("{alert}", &front.alert)
            .replace("{instrument}", "phq9")
            .replace("{programme}", "relaxation")
            .replace("{module}", "01-slow-breathing")
            .replace("{page}", "1")
            .replace("{response}", &response)
            .replace("{observation}", &response)
            .replace("{codesystem}", "measures")
            .replace(
                "{export}",
                if spec.method == Method::DELETE {
                    &self.exports.1
                } else {
                    &self.exports.0
                },
            )
            .replace("{file}", "1")
            .replace("{table}", "waits")
            .replace("{kind}", "ptwt");
        if path.contains("{version}") {
            // The current version: a stored response's is 1, content's is
            // what bothy_fhir::versions says of it.
            let catalogue = self.t.app.catalogue();
            let content = if path.starts_with("/fhir/Questionnaire/") {
                let base = bothy_fhir::base_url(&self.t.app.settings().public_url);
                bothy_fhir::questionnaire::questionnaire(&base, catalogue.get("phq9").unwrap())
            } else {
                bothy_fhir::codes::measures_code_system(catalogue)
            };
            let version = if path.starts_with("/fhir/Questionnaire/")
                || path.starts_with("/fhir/CodeSystem/")
            {
                bothy_fhir::versions::content_version(&content)
            } else {
                "1".to_string()
            };
            path = path.replace("{version}", &version);
        }
        if is(spec, ("GET", "/fhir/QuestionnaireResponse")) {
            path.push_str(&format!("?subject=Patient/{patient}"));
        }
        path
    }

    /// What the response means. An enrolment that succeeds sends the new
    /// person to /sign-in, so for it "allowed" means the link was used up.
    pub(super) async fn judge(&self, spec: &RouteSpec, r: &Resp, token: &str) -> Seen {
        if is(spec, ("POST", "/enrol/{token}"))
            && r.status.is_redirection()
            && r.location() == Some("/sign-in")
        {
            let used = matches!(
                self.t.app.accounts().enrolment_page(token).await,
                Err(AppError::Gone)
            );
            return if used { Seen::Allowed } else { Seen::Refused };
        }
        seen(r)
    }

    /// Text that must never reach a caller outside the demo service.
    pub(super) fn demo_secrets(&self) -> Vec<String> {
        let mut s: Vec<String> = self.demo_patients.iter().map(|p| p.full_name()).collect();
        s.extend(self.t.demo.staff.iter().map(|m| m.email.clone()));
        s.push(self.t.demo.service.clone());
        s
    }
}
