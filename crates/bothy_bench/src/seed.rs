//! The accounts the workloads use, created fresh for each run next to the
//! synthetic patients (whose accounts have no passwords): a clinical lead
//! enrolled through the App's own enrolment use cases (password and a known
//! second-factor secret), an API client registered through the App, and
//! patients with passwords. Patients with a password are only ever created
//! by activation, which needs a triage decision; the benchmark writes them
//! through the store as `bothy demo` does, with the same password hashing.

use anyhow::Context;
use bothy_app::credentials::{hash_password, totp_code};
use bothy_app::{App, RequestContext};
use bothy_domain::model::{Patient, Service};
use bothy_domain::person::{DateOfBirth, Email, PersonName};
use bothy_domain::role::{ApiPermission, Role};
use bothy_domain::time::{Date, uk_date};
use bothy_domain::{PatientId, StaffId};

const PASSWORD: &str = "bench-only-password-not-secret";

pub struct Accounts {
    pub staff_email: String,
    pub staff_totp: String,
    pub password: String,
    pub patients: Vec<(PatientId, String)>,
    pub api_token: String,
}

/// Creates the accounts in `service`; `tag` makes their emails unique to this run.
pub async fn accounts(
    app: &App,
    service: &Service,
    tag: &str,
    patients: usize,
) -> anyhow::Result<Accounts> {
    let ctx = RequestContext::default();
    let staff_email = format!("bench-lead-{tag}@bench.bothy.test");
    let new = app
        .create_staff(
            service.id,
            &staff_email,
            "Bench Lead",
            &[Role::ClinicalLead],
            &ctx,
        )
        .await
        .context("cannot create the benchmark's clinician")?;
    let token = new
        .enrolment_link
        .rsplit('/')
        .next()
        .context("no enrolment token")?
        .to_string();
    let page = app.enrolment_page(&token).await?;
    let code = totp_code(&page.totp_secret, unix_secs(app)).context("cannot compute a code")?;
    app.complete_enrolment(&token, PASSWORD, PASSWORD, &code, &ctx)
        .await
        .context("cannot enrol the benchmark's clinician")?;
    let api = app
        .register_api_client(
            service.id,
            &format!("Benchmark {tag}"),
            &[ApiPermission::MeasuresWrite, ApiPermission::PatientRead],
            &ctx,
        )
        .await?;
    let hash = tokio::task::spawn_blocking(|| hash_password(PASSWORD)).await?;
    let now = app.clock.now();
    let today = uk_date(now);
    let mut tx = app.store.begin().await?;
    let mut made = Vec::new();
    for i in 0..patients {
        let email = format!("bench-{tag}-{i}@bench.bothy.test");
        let p = Patient {
            id: PatientId::random(),
            service_id: service.id,
            given_name: PersonName::parse("Bench").map_err(|e| anyhow::anyhow!("{e:?}"))?,
            family_name: PersonName::parse("Patient").map_err(|e| anyhow::anyhow!("{e:?}"))?,
            date_of_birth: DateOfBirth::new(Date::new(1990, 1 + (i % 12) as i8, 1)?, today)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
            email: Some(Email::parse(&email).map_err(|e| anyhow::anyhow!("{e:?}"))?),
            phone: None,
            supporter_id: None::<StaffId>,
            created_at: now,
        };
        tx.insert_patient(&p, Some(&hash)).await?;
        made.push((p.id, email));
    }
    tx.commit().await?;
    Ok(Accounts {
        staff_email,
        staff_totp: page.totp_secret,
        password: PASSWORD.into(),
        patients: made,
        api_token: api.token,
    })
}

pub fn unix_secs(app: &App) -> u64 {
    u64::try_from(app.clock.now().as_second()).unwrap_or(0)
}
