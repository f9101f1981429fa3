//! Everyone who can knock on the door, and setting each of them up.

use super::expected::CALLERS;
use crate::helpers::{Client, TestApp};
use bothy_app::RequestContext;
use bothy_app::measures::Submission;
use bothy_app::policy::{Actor, PatientActor};
use bothy_app::tools::ToolInput;
use bothy_domain::ServiceId;
use bothy_domain::model::{Patient, ResponseSource};
use bothy_domain::referral::{Decision, Details, Source, Step};
use bothy_domain::role::{ApiPermission, Role};
use bothy_domain::tools::ToolKind;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Everyone who can knock on the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Caller {
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
    /// An API client holding patient.read, measures.write and referral.read.
    ApiPatientRead,
    ApiReportsRead,
    /// An API client, once holding both permissions, whose token was revoked.
    ApiRevoked,
    /// An API client of another service holding both permissions.
    ApiOtherService,
}

use Caller::*;

/// The demo staff account a caller signs in as, if any.
pub(super) fn demo_role(caller: Caller) -> Option<&'static str> {
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
pub(super) struct StaffLogin {
    pub(super) email: String,
    pub(super) password: String,
    pub(super) totp_secret: String,
}

/// Everything the callers need, set up once.
pub(super) struct World {
    pub(super) t: TestApp,
    pub(super) demo_service: ServiceId,
    pub(super) demo_patients: Vec<Patient>,
    /// A patient on the supporter's caseload, and one who is not.
    pub(super) on_caseload: String,
    pub(super) off_caseload: String,
    /// Staff of this service holding every role, who stops after the password.
    pub(super) half: StaffLogin,
    /// Administrator and clinical lead of another service.
    pub(super) elsewhere: StaffLogin,
    pub(super) token_patient_read: String,
    pub(super) token_reports_read: String,
    pub(super) token_revoked: String,
    pub(super) token_other_service: String,
    /// A PHQ-9 response of each patient a caller may target, by patient id.
    pub(super) responses: BTreeMap<String, String>,
    /// An enrolment on the relaxation programme of each of them, by patient id.
    pub(super) enrolments: BTreeMap<String, String>,
    /// Each enrolment's first review due date (milliseconds), by patient id.
    pub(super) review_due: BTreeMap<String, String>,
    /// A message thread each of them started, and its first message, by patient id.
    pub(super) threads: BTreeMap<String, (String, String)>,
    /// Two phone appointments of each of them, by patient id (one to
    /// record what happened, one to move), and the demo triage clinician
    /// who is their practitioner (and the matrix's booking's).
    pub(super) appointments: BTreeMap<String, (String, String)>,
    pub(super) practitioner: String,
    /// An exposure step and a goal of each signed-in patient (demo patients
    /// 0 and 1), for the forms that record a practice or a rating of one.
    pub(super) tool_parents: BTreeMap<(usize, &'static str), String>,
    /// The demo's peer support group, which the first demo patient has
    /// joined, and one of its demo posts (by someone who is no caller).
    pub(super) peer_group: String,
    pub(super) peer_post: String,
    /// Fresh front-door fixtures for the caller being tried.
    pub(super) front: Mutex<FrontDoor>,
    /// Two complete bulk exports of the `ap` client: one to read, one to
    /// delete.
    pub(super) exports: (String, String),
    /// A client with SMART keys registered, whose assertions the token
    /// endpoint is sent.
    pub(super) smart_client: String,
}

/// What the front door's routes act on, new for each caller: decisions,
/// activation and discharge each work once.
#[derive(Default, Clone)]
pub(super) struct FrontDoor {
    /// A self-referral draft's resume token.
    pub(super) draft: String,
    /// A referral waiting for triage.
    pub(super) referral: String,
    /// An accepted referral's episode, and its activation token.
    pub(super) episode: String,
    pub(super) activation: String,
    /// An open alert about the caller's target patient.
    pub(super) alert: String,
    /// Two failed jobs of the demo service: one to retry, one to cancel.
    pub(super) failed_jobs: (String, String),
}

pub(super) const NEW_PASSWORD: &str = "a fresh and long password";

pub(super) fn ctx() -> RequestContext {
    RequestContext::default()
}

pub(super) fn enrolment_token(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_string()
}

impl World {
    pub(super) async fn new(t: TestApp) -> Self {
        let app = t.app.clone();
        let mut tx = app.store().read().await.unwrap();
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
            .admin()
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
        let totp_secret = app
            .accounts()
            .enrolment_page(&token)
            .await
            .unwrap()
            .totp_secret;
        let code = bothy_app::credentials::totp_code(&totp_secret, t.clock_secs()).unwrap();
        app.accounts()
            .complete_enrolment(&token, NEW_PASSWORD, NEW_PASSWORD, &code, &ctx())
            .await
            .unwrap();
        let half = StaffLogin {
            email: "harper.half@bothy.test".into(),
            password: NEW_PASSWORD.into(),
            totp_secret,
        };

        // Another service, with an administrator and clinical lead who enrols through the web.
        let other = app
            .admin()
            .create_service("elsewhere", "Elsewhere wellbeing service", &ctx())
            .await
            .unwrap();
        let email = "olive.other@elsewhere.test";
        let new = app
            .admin()
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
        let totp_secret = app
            .accounts()
            .enrolment_page(&token)
            .await
            .unwrap()
            .totp_secret;
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
                app.admin()
                    .register_api_client(service, name, permissions, &ctx())
                    .await
                    .unwrap()
            }
        };
        let token_patient_read = api(
            demo_service,
            "Records feed",
            &[
                ApiPermission::PatientRead,
                ApiPermission::MeasuresWrite,
                ApiPermission::ReferralRead,
            ],
        )
        .await
        .token;
        let token_reports_read = api(demo_service, "Reports feed", &[ApiPermission::ReportsRead])
            .await
            .token;
        let revoked = api(demo_service, "Old feed", &ApiPermission::ALL).await;
        app.admin()
            .revoke_api_client(revoked.id, &ctx())
            .await
            .unwrap();
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
                .measures()
                .submit(&actor, p.id, submission, &ctx())
                .await
                .unwrap();
            responses.insert(id.clone(), done.response.id.to_string());
        }
        // Each of them agreed to text messages, with a mobile of their own,
        // for asking by text.
        for (n, id) in [&t.demo.patients[0].id, &on_caseload, &off_caseload]
            .into_iter()
            .enumerate()
        {
            let index = t.demo.patients.iter().position(|p| &p.id == id).unwrap();
            t.fixtures()
                .agrees_to_texts(index, &format!("+4477009001{n:02}"))
                .await;
        }
        // And an enrolment of each, with no supporter (as the matrix's enrol
        // form asks, so that asking again is answered as done).
        let mut enrolments = BTreeMap::new();
        let mut review_due = BTreeMap::new();
        let triage = t.fixtures().staff_actor("triage_clinician").await;
        for id in [&t.demo.patients[0].id, &on_caseload, &off_caseload] {
            let e = app
                .enrolments()
                .enrol(&triage, id.parse().unwrap(), "relaxation", None, &ctx())
                .await
                .unwrap();
            enrolments.insert(id.clone(), e.id.to_string());
            let due = bothy_domain::reviews::next_due(e.enrolled_at, None, 14);
            review_due.insert(id.clone(), bothy_domain::time::to_millis(due).to_string());
        }

        // And a message thread each of them started.
        let mut threads = BTreeMap::new();
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
            let sent = app
                .messages()
                .start(&actor, "A question", "Hello", "matrix-thread", &ctx())
                .await
                .unwrap();
            threads.insert(
                id.clone(),
                (sent.thread.id.to_string(), sent.message.id.to_string()),
            );
        }

        // Two phone appointments of each, three days ahead at different hours.
        let mut appointments = BTreeMap::new();
        let practitioner = match &triage {
            Actor::Staff(s) => s.id.to_string(),
            _ => unreachable!(),
        };
        let day = (t.today() + jiff::ToSpan::days(3)).to_string();
        for (n, id) in [&t.demo.patients[0].id, &on_caseload, &off_caseload]
            .into_iter()
            .enumerate()
        {
            let mut two = Vec::new();
            for (time, key) in [(9 + n, "matrix-seed"), (18 + n, "matrix-seed-move")] {
                let form = bothy_app::appointments::BookingForm {
                    practitioner: practitioner.clone(),
                    kind: "phone".into(),
                    date: day.clone(),
                    time: format!("{time:02}:00"),
                    minutes: "30".into(),
                    key: key.into(),
                };
                let booked = app
                    .appointments()
                    .book(&triage, id.parse().unwrap(), &form, &ctx())
                    .await
                    .unwrap();
                two.push(booked.appointment.id.to_string());
            }
            appointments.insert(id.clone(), (two[0].clone(), two[1].clone()));
        }

        // An exposure step and a goal of each patient who signs in.
        let mut tool_parents = BTreeMap::new();
        for n in [0, 1] {
            let p = &demo_patients
                .iter()
                .find(|p| p.id.to_string() == t.demo.patients[n].id)
                .unwrap();
            let actor = Actor::Patient(PatientActor {
                id: p.id,
                service_id: p.service_id,
                name: p.full_name(),
            });
            for (kind, fields) in [
                (
                    ToolKind::ExposureStep,
                    [("situation", "The bus"), ("expected_distress", "40")],
                ),
                (ToolKind::Goal, [("goal", "Swim"), ("progress", "2")]),
            ] {
                let fields = fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                let saved = app
                    .tools()
                    .record(
                        &actor,
                        ToolInput::Form(kind, fields),
                        &format!("matrix-{}", kind.as_str()),
                        &ctx(),
                    )
                    .await
                    .unwrap();
                tool_parents.insert((n, kind.as_str()), saved.entry.id.to_string());
            }
        }

        // Two bulk exports of the `ap` client, written at once.
        let ap = app
            .accounts()
            .api_actor(&token_patient_read)
            .await
            .unwrap()
            .unwrap();
        let mut exports = Vec::new();
        for _ in 0..2 {
            let request = bothy_app::bulk_export::ExportRequest {
                request_url: "http://127.0.0.1:8080/fhir/$export".into(),
                types: bothy_app::bulk_export::ExportType::ALL.to_vec(),
                since: None,
            };
            let id = app
                .bulk_exports()
                .kick_off(&ap, request, &ctx())
                .await
                .unwrap();
            app.bulk_exports().run(&id).await.unwrap();
            exports.push(id);
        }
        let smart_client =
            crate::smart_token::smart_client(&t, "Matrix platform", &[ApiPermission::PatientRead])
                .await
                .to_string();

        // The demo group, joined by the first demo patient, and a demo post.
        let (peer_group, peer_post) = {
            let p = demo_patients
                .iter()
                .find(|p| p.id.to_string() == t.demo.patients[0].id)
                .unwrap();
            let actor = Actor::Patient(PatientActor {
                id: p.id,
                service_id: p.service_id,
                name: p.full_name(),
            });
            let groups = app.peer().groups(&actor, &ctx()).await.unwrap();
            let group = groups[0].group.id;
            app.peer()
                .join(&actor, group, "Matrix Member", "", &ctx())
                .await
                .unwrap();
            let page = app
                .peer()
                .group_page(&actor, group, None, &ctx())
                .await
                .unwrap();
            (group.to_string(), page.posts[0].post.id.to_string())
        };

        Self {
            exports: (exports[0].clone(), exports[1].clone()),
            smart_client,
            peer_group,
            peer_post,
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
            enrolments,
            review_due,
            threads,
            appointments,
            practitioner,
            tool_parents,
            front: Mutex::new(FrontDoor::default()),
        }
    }

    /// A triage clinician of the demo service, as the app sees them.
    pub(super) async fn staff_actor(&self, role: &str) -> Actor {
        let email = bothy_domain::person::Email::parse(&self.t.staff(role).email).unwrap();
        let mut tx = self.t.app.store().read().await.unwrap();
        let id = tx.staff_by_email(&email).await.unwrap().unwrap().id;
        tx.rollback().await.unwrap();
        self.t
            .app
            .accounts()
            .staff_actor(id, None)
            .await
            .unwrap()
            .unwrap()
    }

    /// New front-door fixtures for column `col`.
    pub(super) async fn new_front_door(&self, col: usize) {
        let app = &self.t.app;
        let triage = self.staff_actor("triage_clinician").await;
        let Actor::Staff(supporter) = self.staff_actor("supporter").await else {
            unreachable!()
        };
        let draft = app
            .referrals()
            .start(bothy_app::demo::DEMO_SLUG, &ctx())
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
                consents: bothy_domain::referral::Consents {
                    contact_email: true,
                    ..Default::default()
                },
                problems: vec![bothy_domain::referral::Problem::Worry],
                ..Details::default()
            };
            let triage = triage.clone();
            async move {
                let (r, _) = app
                    .referrals()
                    .submit(
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
            programme: None,
        };
        let accepted = app
            .triage()
            .decide(&triage, accepted.id, decision, &ctx())
            .await
            .unwrap();
        let mut tx = app.store().read().await.unwrap();
        let episode = tx
            .open_episode(accepted.patient_id.unwrap())
            .await
            .unwrap()
            .unwrap();
        tx.rollback().await.unwrap();
        self.t.drain_jobs().await;
        let link = format!("{}/activate/", app.settings().public_url);
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
        let alert = self.new_alert(col).await;
        let failed_jobs = (
            self.failed_job(&format!("matrix-failed-{col}-retry")).await,
            self.failed_job(&format!("matrix-failed-{col}-cancel"))
                .await,
        );
        *self.front.lock().unwrap() = FrontDoor {
            draft,
            referral: waiting.id.to_string(),
            episode: episode.id.to_string(),
            activation,
            alert,
            failed_jobs,
        };
    }

    /// A message of the demo service that failed every attempt; its job id.
    async fn failed_job(&self, key: &str) -> String {
        use bothy_app::jobs::{IdempotencyKey, MessageTemplate, Notification, Recipient};
        let app = &self.t.app;
        let mut tx = app.store().begin().await.unwrap();
        let n = Notification {
            to: Recipient::Email(bothy_domain::person::Email::parse("gone@example.org").unwrap()),
            template: MessageTemplate::MeasureDue,
            link: None,
            service: Some(self.demo_service),
            patient: None,
            appointment: None,
        };
        let key = IdempotencyKey::new(key).unwrap();
        app.jobs()
            .enqueue_notification(&mut tx, &key, n)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        self.t
            .raw_sql(&format!(
                "UPDATE jobs SET state = 'failed', attempts = 8, finished_at = 1, \
                 last_error = 'refused' WHERE idempotency_key = '{}'",
                key.as_str()
            ))
            .await;
        self.t.job(key.as_str()).await.unwrap().id
    }

    /// An open alert about column `col`'s target patient: a risk answer
    /// raises one, or joins the one a caller before left open.
    async fn new_alert(&self, col: usize) -> String {
        let p = self.patient(&self.target(CALLERS[col])).clone();
        let actor = Actor::Patient(PatientActor {
            id: p.id,
            service_id: p.service_id,
            name: p.full_name(),
        });
        let mut answers = vec![Some(0); 9];
        answers[8] = Some(1);
        let submission = Submission {
            instrument_id: "phq9".into(),
            version: None,
            answers,
            idempotency_key: format!("matrix-alert-{col}"),
            source: ResponseSource::Web,
        };
        self.t
            .app
            .measures()
            .submit(&actor, p.id, submission, &ctx())
            .await
            .unwrap();
        self.t.open_alerts(p.id).await[0].id.to_string()
    }

    /// A new session for `caller` (a bare client for anonymous and API callers).
    pub(super) async fn session(&self, caller: Caller) -> Client {
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

    pub(super) fn bearer(&self, caller: Caller) -> Option<String> {
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
    pub(super) fn target(&self, caller: Caller) -> String {
        match caller {
            SupporterOwn => self.on_caseload.clone(),
            SupporterOther => self.off_caseload.clone(),
            // The patient signed in as demo patient 0; the other patient is demo patient 1.
            _ => self.t.demo.patients[0].id.clone(),
        }
    }

    pub(super) fn patient(&self, id: &str) -> &Patient {
        self.demo_patients
            .iter()
            .find(|p| p.id.to_string() == id)
            .unwrap()
    }

    /// The caller's password now (for changing it).
    pub(super) fn password(&self, caller: Caller) -> String {
        match (caller, demo_role(caller)) {
            (_, Some(role)) => self.t.staff(role).password.clone(),
            (HalfSignedIn, _) => self.half.password.clone(),
            (OtherServiceStaff, _) => self.elsewhere.password.clone(),
            (Patient | OtherPatient, _) => self.t.demo.patients[0].password.clone(),
            _ => "not a password of anyone".into(),
        }
    }

    /// A fresh single-use enrolment link's token, for a new staff member.
    pub(super) async fn enrolment_token(&self, n: usize) -> String {
        let email = format!("new.starter.{n}@bothy.test");
        let new = self
            .t
            .app
            .admin()
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
}
