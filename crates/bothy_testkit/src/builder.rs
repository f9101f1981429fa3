//! Fixtures made through the app's use cases rather than its pages: for
//! tests whose point is what happens next, not the forms that got there
//! (those are tested on their own, through the router).

use crate::{Db, TestApp};
use bothy_app::policy::Actor;
use bothy_app::referrals::{AboutYou, StepInput};
use bothy_app::{AppSettings, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::person::Email;
use bothy_domain::referral::{Consents, Decision, Referral, Step};
use std::time::Duration;

/// The password fixtures give the patients they activate.
pub const PATIENT_PASSWORD: &str = "a long and private password";

/// Someone referring themself to the demo service.
#[derive(Debug, Clone)]
pub struct Person {
    pub given: String,
    pub family: String,
    pub email: String,
    /// Day, month, year.
    pub dob: (u8, u8, u16),
    /// A phone number, or empty.
    pub phone: String,
    /// The answer to "How may we contact you?": email, sms, both or none.
    pub contact: &'static str,
}

impl Person {
    pub fn new(given: &str, family: &str, email: &str) -> Person {
        Person {
            given: given.into(),
            family: family.into(),
            email: email.into(),
            dob: (14, 6, 1988),
            phone: String::new(),
            contact: "email",
        }
    }
}

/// A patient made by [`Fixtures::patient`]: accepted from a self-referral,
/// in an open episode, with an account that can sign in.
#[derive(Debug, Clone)]
pub struct NewPatient {
    pub id: PatientId,
    pub email: String,
    pub referral: Referral,
}

/// Use cases run as the demo service's staff.
pub struct Fixtures<'a> {
    t: &'a TestApp,
}

impl TestApp {
    pub fn fixtures(&self) -> Fixtures<'_> {
        Fixtures { t: self }
    }

    /// An app with fixtures made before the test starts.
    pub fn builder(db: Db) -> TestAppBuilder {
        TestAppBuilder {
            db,
            settings: AppSettings::default(),
            service_settings: String::new(),
            patients: 0,
        }
    }
}

/// `TestApp::builder(db).patients(2).build()`: an app and its patients.
pub struct TestAppBuilder {
    db: Db,
    settings: AppSettings,
    service_settings: String,
    patients: usize,
}

impl TestAppBuilder {
    pub fn settings(mut self, settings: AppSettings) -> Self {
        self.settings = settings;
        self
    }

    /// More of the demo service's settings file (TOML sections such as
    /// `[screening]`), as a deployment's `{service}.toml` would give them.
    pub fn service_settings(mut self, toml: &str) -> Self {
        self.service_settings = toml.to_string();
        self
    }

    /// `n` patients besides the demo's, each in an open episode.
    pub fn patients(mut self, n: usize) -> Self {
        self.patients = n;
        self
    }

    /// None when PostgreSQL is asked for but not configured.
    pub async fn build(self) -> Option<(TestApp, Vec<NewPatient>)> {
        let t = TestApp::assembled(self.db, self.settings, &self.service_settings).await?;
        let mut made = Vec::new();
        for i in 0..self.patients {
            let p = Person::new("Fixture", "Person", &format!("fixture{i}@example.org"));
            made.push(t.fixtures().patient(&p).await);
        }
        Some((t, made))
    }
}

fn ctx() -> RequestContext {
    RequestContext::default()
}

impl Fixtures<'_> {
    /// Gives demo staff member `who` the `role` in the service `slug` too.
    pub async fn grant(&self, who: &str, slug: &str, role: bothy_domain::role::Role) {
        let email = Email::parse(&self.t.staff(who).email).unwrap();
        let mut tx = self.t.app.store().begin().await.unwrap();
        let me = tx.staff_by_email(&email).await.unwrap().unwrap();
        let service = tx.service_by_slug(slug).await.unwrap().unwrap();
        let grant = bothy_domain::model::RoleGrant {
            service_id: service.id,
            role,
        };
        tx.grant_role(me.id, grant).await.unwrap();
        tx.commit().await.unwrap();
    }

    /// A second service, "Borders wellbeing" (`borders`), where demo staff
    /// member `who` is also a clinical lead.
    pub async fn lead_in_borders(&self, who: &str) {
        self.t
            .app
            .admin()
            .create_service("borders", "Borders wellbeing", &ctx())
            .await
            .unwrap();
        self.grant(who, "borders", bothy_domain::role::Role::ClinicalLead)
            .await;
    }

    /// The demo staff member with `role` as the app sees them.
    pub async fn staff_actor(&self, role: &str) -> Actor {
        let email = Email::parse(&self.t.staff(role).email).unwrap();
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

    /// A self-referral to the demo service with every step answered, sent
    /// (a minute after it was started, as a person would).
    pub async fn self_referral(&self, p: &Person, phq9: &[i32], gad7: &[i32]) -> Referral {
        let referrals = self.t.app.referrals();
        let draft = referrals.start("demo", &ctx()).await.unwrap();
        let token = draft.resume_token;
        let some = |v: &[i32]| v.iter().map(|&a| Some(a)).collect();
        let steps = [
            StepInput::About(Box::new(AboutYou {
                given_name: p.given.clone(),
                family_name: p.family.clone(),
                dob_day: p.dob.0.to_string(),
                dob_month: p.dob.1.to_string(),
                dob_year: p.dob.2.to_string(),
                email: p.email.clone(),
                phone: p.phone.clone(),
                preferred_channel: p.contact.into(),
                language: String::new(),
                accessibility_needs: String::new(),
                nhs_number: String::new(),
                chi: String::new(),
                postcode: "EH1 1AA".into(),
            })),
            StepInput::Gp {
                practice: "Riverside Medical Practice".into(),
            },
            StepInput::Help {
                text: "I have been feeling flat since the winter.".into(),
                problems: vec!["low_mood".into(), "sleep".into()],
            },
            StepInput::Questions(
                [
                    ("phq9".to_string(), some(phq9)),
                    ("gad7".to_string(), some(gad7)),
                ]
                .into(),
            ),
            StepInput::Consent(Consents {
                treatment: true,
                contact_email: true,
                ..Consents::default()
            }),
        ];
        for step in steps {
            referrals.save_step(&token, step, &ctx()).await.unwrap();
        }
        self.t.clock.advance(Duration::from_secs(60));
        referrals.send(&token, "", &ctx()).await.unwrap()
    }

    /// Accepts `referral` to `step` as the triage clinician, with Sam
    /// Supporter as practitioner; returns the activation token sent to the
    /// person (runs the queued jobs to send it).
    pub async fn accept(&self, referral: &Referral, step: Step) -> String {
        let triage = self.staff_actor("triage_clinician").await;
        let practitioner = match self.staff_actor("supporter").await {
            Actor::Staff(s) => s.id,
            _ => unreachable!("a demo supporter is staff"),
        };
        self.t
            .app
            .triage()
            .decide(
                &triage,
                referral.id,
                Decision::Accept {
                    step,
                    practitioner,
                    programme: None,
                },
                &ctx(),
            )
            .await
            .unwrap();
        let email = referral.details.email.clone().expect("a referral by email");
        self.t.drain_jobs().await;
        let link = format!("{}/activate/", self.t.app.settings().public_url);
        let sent = self.t.outbox.sent();
        let message = sent
            .iter()
            .rev()
            .find(|m| m.to == email && m.body.contains(&link))
            .unwrap_or_else(|| panic!("no activation message to {email}: {sent:#?}"));
        let at = message.body.find(&link).unwrap() + link.len();
        message.body[at..at + 64].to_string()
    }

    /// A patient accepted to the programme from a low-scoring self-referral,
    /// activated with [`PATIENT_PASSWORD`].
    pub async fn patient(&self, p: &Person) -> NewPatient {
        let referral = self
            .self_referral(p, &[1, 1, 1, 1, 1, 0, 0, 0, 0], &[1, 1, 1, 0, 0, 0, 0])
            .await;
        let token = self.accept(&referral, Step::Programme).await;
        let id = self
            .t
            .app
            .activation()
            .activate(&token, &p.email, PATIENT_PASSWORD, PATIENT_PASSWORD, &ctx())
            .await
            .unwrap();
        NewPatient {
            id,
            email: p.email.clone(),
            referral,
        }
    }

    /// Demo patient `n`, given the number `phone` and agreeing to text
    /// messages (texts first), as if they had chosen so on their account page.
    pub async fn agrees_to_texts(&self, n: usize, phone: &str) -> PatientId {
        let id = &self.t.demo.patients[n].id;
        self.t
            .raw_sql(&format!(
                "UPDATE patients SET phone = '{phone}' WHERE id = '{id}'"
            ))
            .await;
        self.t
            .raw_sql(&format!(
                "INSERT INTO contact_preferences (patient_id, email, sms, preferred, updated_at) \
                 VALUES ('{id}', 1, 1, 'sms', 0) \
                 ON CONFLICT (patient_id) DO UPDATE SET sms = 1, preferred = 'sms'"
            ))
            .await;
        id.parse().unwrap()
    }
}
