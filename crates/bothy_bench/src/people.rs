//! This run's people, made before the server starts (`make`), and their
//! sessions, signed in through the server once it runs (`sign_in`), each
//! from a loopback address of its own.

use crate::client::{Conn, source_address};
use crate::flood::accounts_needed;
use crate::reads::staff_session;
use crate::run::Options;
use crate::seed::{self, Fresh, FreshPatient, PASSWORD, StaffAccount};
use crate::writes::Patient;
use anyhow::Context;
use bothy_app::App;
use bothy_app::credentials::totp_code;
use bothy_domain::model::Service;
use bothy_domain::role::Role;
use std::net::{IpAddr, SocketAddr};

/// Everyone this run signs in, made before the server starts.
pub struct People {
    pub lead: StaffAccount,
    pub clinicians: Vec<StaffAccount>,
    pub api_token: String,
    /// Per client count: the W1 form's, FHIR's and W2's patients.
    pub writes: Vec<[Vec<FreshPatient>; 3]>,
    /// W3's one hot patient, and W4's.
    pub hot: FreshPatient,
    pub search: FreshPatient,
    /// Per clinician, the patients they read.
    pub caseloads: Vec<Vec<FreshPatient>>,
    pub mixed: Vec<FreshPatient>,
    pub flood_accounts: Vec<FreshPatient>,
}

/// Distinct client addresses for sign-ins, when the machine allows them.
pub struct Sources {
    pub next: u32,
    pub varied: bool,
}

impl Sources {
    fn take(&mut self) -> Option<IpAddr> {
        let ip = self.varied.then(|| source_address(self.next));
        self.next += 1;
        ip
    }
}

/// The signed-in sessions.
pub struct Sessions {
    pub lead: Conn,
    pub clinicians: Vec<(StaffAccount, Conn)>,
    /// Per client count: the W1 form's and W2's patients.
    pub writes: Vec<(Vec<Patient>, Vec<Patient>)>,
    pub mixed: Vec<Patient>,
}

pub async fn make(
    app: &App,
    service: &Service,
    tag: &str,
    opts: &Options,
) -> anyhow::Result<(People, Fresh)> {
    let email = |what: &str| format!("bench-{what}-{tag}@bench.bothy.test");
    let lead = seed::staff(app, service, Role::ClinicalLead, email("lead")).await?;
    let mut clinicians = Vec::new();
    for i in 0..opts.clinicians {
        let role = if i % 2 == 0 {
            Role::ClinicalLead
        } else {
            Role::Supporter
        };
        clinicians.push(seed::staff(app, service, role, email(&format!("staff{i}"))).await?);
    }
    let api_token = seed::api_client(app, service, tag).await?;
    let mut fresh = Fresh::new(app, service).await?;
    // Everyone at once (about one generated patient in nine is in
    // treatment), then dealt out.
    let per_count: Vec<usize> = opts
        .clients
        .iter()
        .map(|n| n * opts.patients_per_client)
        .collect();
    let flood_accounts = accounts_needed(opts.flood);
    let total = 3 * per_count.iter().sum::<usize>()
        + 2
        + clinicians.len() * opts.patients_per_clinician
        + opts.mixed_patients
        + flood_accounts;
    let mut all = fresh.patients(app, total).await?.into_iter();
    let mut take = |k: usize| -> Vec<FreshPatient> { all.by_ref().take(k).collect() };
    let mut writes = Vec::new();
    for k in per_count {
        writes.push([take(k), take(k), take(k)]);
    }
    let mut two = take(2);
    let search = two.pop().context("no patient")?;
    let hot = two.pop().context("no patient")?;
    let caseloads: Vec<Vec<FreshPatient>> = clinicians
        .iter()
        .map(|_| take(opts.patients_per_clinician))
        .collect();
    let mixed = take(opts.mixed_patients);
    let flood_accounts = take(flood_accounts);
    let signing_in = writes
        .iter()
        .flat_map(|[form, _, check_in]| form.iter().chain(check_in))
        .chain(&mixed)
        .chain(&flood_accounts);
    fresh.can_sign_in(app, signing_in).await?;
    // A supporter reads their own caseload.
    let mut tx = app.store().begin().await?;
    for (c, patients) in clinicians.iter().zip(&caseloads) {
        if c.role == Role::Supporter {
            for p in patients {
                tx.set_patient_supporter(p.id, c.id).await?;
            }
        }
    }
    tx.commit().await?;
    Ok((
        People {
            lead,
            clinicians,
            api_token,
            writes,
            hot,
            search,
            caseloads,
            mixed,
            flood_accounts,
        },
        fresh,
    ))
}

/// Signs in every session the workloads use, a few at a time, each from an
/// address of its own.
pub async fn sign_in(
    app: &App,
    addr: SocketAddr,
    people: &People,
    tag: &str,
    sources: &mut Sources,
) -> anyhow::Result<Sessions> {
    let staff = |s: &StaffAccount, source: Option<IpAddr>| {
        let code = totp_code(&s.totp_secret, seed::unix_secs(app) + 30);
        let email = s.email.clone();
        async move {
            let code = code.context("no code")?;
            staff_session(addr, source, &email, PASSWORD, &code).await
        }
    };
    let lead = staff(&people.lead, sources.take()).await?;
    let mut clinicians = Vec::new();
    for c in &people.clinicians {
        clinicians.push((c.clone(), staff(c, sources.take()).await?));
    }
    let mut sign_in = |list: &[FreshPatient], what: &str| {
        list.iter()
            .enumerate()
            .map(|(i, p)| (p.email.clone(), format!("{tag}-{what}-{i}"), sources.take()))
            .collect::<Vec<_>>()
    };
    let mut writes = Vec::new();
    for (i, w) in people.writes.iter().enumerate() {
        let form = patients(addr, sign_in(&w[0], &format!("form{i}"))).await?;
        let check_in = patients(addr, sign_in(&w[2], &format!("mood{i}"))).await?;
        writes.push((form, check_in));
    }
    let mixed = patients(addr, sign_in(&people.mixed, "mixed")).await?;
    Ok(Sessions {
        lead,
        clinicians,
        writes,
        mixed,
    })
}

/// Signs patients in, eight at a time (the server hashes two at once).
async fn patients(
    addr: SocketAddr,
    list: Vec<(String, String, Option<IpAddr>)>,
) -> anyhow::Result<Vec<Patient>> {
    let mut out = Vec::new();
    for chunk in list.chunks(8) {
        let mut set = tokio::task::JoinSet::new();
        for (i, (email, tag, source)) in chunk.iter().cloned().enumerate() {
            set.spawn(async move {
                (
                    i,
                    Patient::sign_in(addr, source, &email, PASSWORD, tag).await,
                )
            });
        }
        let mut done = Vec::new();
        while let Some(r) = set.join_next().await {
            let (i, p) = r?;
            done.push((i, p?));
        }
        done.sort_by_key(|(i, _)| *i);
        out.extend(done.into_iter().map(|(_, p)| p));
    }
    Ok(out)
}
