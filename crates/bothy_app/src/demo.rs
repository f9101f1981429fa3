//! The demo service: staff of every role and synthetic patients, created
//! once and reused. Demo accounts have fixed, published passwords and
//! second-factor secrets; they exist only in a deployment started with
//! `bothy demo`, which refuses to run against a database that holds any
//! other service.

use crate::{App, AppError, AuditEvent, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::model::{Patient, RoleGrant, Service, ServiceSlug, StaffMember};
use bothy_domain::person::{DateOfBirth, Email, PersonName, PhoneNumber};
use bothy_domain::role::Role;
use bothy_domain::time::Date;
use bothy_domain::{PatientId, ServiceId, StaffId};

pub const DEMO_SLUG: &str = "demo";
/// The synthetic population `bothy demo` adds beside the demo service
/// (`bothy_synth`): generated people, no accounts, so it may share the
/// demo's database.
pub const DEMO_SYNTH_SLUG: &str = "synth";

#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoStaff {
    pub email: String,
    pub password: String,
    pub totp_secret: String,
    pub role: String,
    pub name: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoPatient {
    pub email: String,
    pub password: String,
    pub name: String,
    pub id: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoAccounts {
    pub base_url: String,
    pub service: String,
    pub staff: Vec<DemoStaff>,
    pub patients: Vec<DemoPatient>,
}

const STAFF: [(Role, &str); 6] = [
    (Role::Admin, "Alex Admin"),
    (Role::TriageClinician, "Tariq Triage"),
    (Role::Supporter, "Sam Supporter"),
    (Role::ClinicalLead, "Lee Lead"),
    (Role::Moderator, "Morgan Moderator"),
    (Role::Analyst, "Ana Analyst"),
];

const GIVEN: [&str; 12] = [
    "Aileen", "Bashir", "Catriona", "Dylan", "Eilidh", "Fraser", "Grace", "Hamish", "Isla",
    "Jamal", "Kirsty", "Lewis",
];
const FAMILY: [&str; 12] = [
    "Anderson", "Begum", "Campbell", "Docherty", "Evans", "Fraser", "Gillies", "Hussain",
    "Ireland", "Jones", "Kowalski", "MacLeod",
];

/// Demo-only second-factor secret for a role: public, fixed, and useless
/// anywhere but the demo (base32 of a readable 20-byte string).
fn demo_totp_secret(role: Role) -> String {
    let mut seed = format!("bothy-demo-{}", role.as_str()).into_bytes();
    seed.resize(20, b'!');
    totp_rs::Secret::Raw(seed).to_encoded().to_string()
}

fn demo_password(who: &str) -> String {
    format!("demo-only-{who}-password")
}

/// The demo service: fixed accounts for trying Bothy, never real data.
pub struct Demo<'a> {
    pub(crate) app: &'a App,
}

impl Demo<'_> {
    /// Creates the demo service if it does not exist, and returns its accounts.
    pub async fn ensure(&self, ctx: &RequestContext) -> Result<DemoAccounts, AppError> {
        let mut tx = self.app.store.read().await?;
        let existing = tx.service_by_slug(DEMO_SLUG).await?;
        let others = tx
            .list_services()
            .await?
            .into_iter()
            .filter(|s| ![DEMO_SLUG, DEMO_SYNTH_SLUG].contains(&s.slug.as_str()))
            .count();
        tx.rollback().await?;
        if others > 0 {
            return Err(AppError::Conflict(
                "this database holds real services; run the demo with its own --data-dir or database".into(),
            ));
        }
        if existing.is_none() {
            self.create().await?;
            let mut tx = self.app.store.begin().await?;
            self.app
                .audit(
                    &mut tx,
                    &crate::Actor::System,
                    ctx,
                    AuditEvent::new(Action::DemoCreated),
                )
                .await?;
            tx.commit().await?;
        }
        let mut tx = self.app.store.read().await?;
        let service = tx
            .service_by_slug(DEMO_SLUG)
            .await?
            .ok_or(AppError::NotFound)?;
        let patients = tx.patients_of_service(service.id, 1000).await?;
        tx.rollback().await?;
        Ok(DemoAccounts {
            base_url: self.app.settings.public_url.clone(),
            service: service.name,
            staff: STAFF
                .iter()
                .map(|(role, name)| DemoStaff {
                    email: format!("{}@demo.bothy.test", role.as_str().replace('_', ".")),
                    password: demo_password(role.as_str()),
                    totp_secret: demo_totp_secret(*role),
                    role: role.as_str().to_string(),
                    name: name.to_string(),
                })
                .collect(),
            patients: patients
                .iter()
                .filter_map(|p| {
                    let email = p.email.as_ref()?.to_string();
                    Some(DemoPatient {
                        password: demo_password("patient"),
                        email,
                        name: p.full_name(),
                        id: p.id.to_string(),
                    })
                })
                .collect(),
        })
    }

    async fn create(&self) -> Result<(), AppError> {
        let now = self.app.clock.now();
        let today = bothy_domain::time::uk_date(now);
        let service = Service {
            id: ServiceId::random(),
            slug: ServiceSlug::parse(DEMO_SLUG).map_err(AppError::internal)?,
            name: "Demo digital CBT service".into(),
            created_at: now,
        };
        let patient_hash = self
            .app
            .passwords
            .hash(&demo_password("patient"))
            .await
            .map_err(AppError::internal)?;
        let mut tx = self.app.store.begin().await?;
        tx.insert_service(&service).await?;
        // The demo covers Edinburgh and the Lothians, so finding it by postcode works.
        tx.set_service_areas(service.id, "EH").await?;
        let mut supporter = None;
        for (role, name) in STAFF {
            let hash = self
                .app
                .passwords
                .hash(&demo_password(role.as_str()))
                .await
                .map_err(AppError::internal)?;
            let email = format!("{}@demo.bothy.test", role.as_str().replace('_', "."));
            let member = StaffMember {
                id: StaffId::random(),
                email: Email::parse(&email).map_err(AppError::internal)?,
                name: PersonName::parse(name).map_err(AppError::internal)?,
                password_hash: Some(hash),
                totp_secret: Some(demo_totp_secret(role)),
                created_at: now,
                disabled_at: None,
            };
            tx.insert_staff(&member).await?;
            tx.grant_role(
                member.id,
                RoleGrant {
                    service_id: service.id,
                    role,
                },
            )
            .await?;
            if role == Role::Supporter {
                supporter = Some(member.id);
            }
        }
        let mut people = Vec::new();
        for (i, (given, family)) in GIVEN.iter().zip(FAMILY.iter().cycle().skip(5)).enumerate() {
            let year = 1960 + (i as i16 * 7) % 45;
            let dob = Date::new(year, (i % 12 + 1) as i8, (i % 27 + 1) as i8)
                .map_err(AppError::internal)?;
            let p = Patient {
                id: PatientId::random(),
                service_id: service.id,
                given_name: PersonName::parse(given).map_err(AppError::internal)?,
                family_name: PersonName::parse(family).map_err(AppError::internal)?,
                date_of_birth: DateOfBirth::new(dob, today).map_err(AppError::internal)?,
                email: Some(
                    Email::parse(&format!(
                        "{}.{}@demo.bothy.test",
                        given.to_lowercase(),
                        family.to_lowercase()
                    ))
                    .map_err(AppError::internal)?,
                ),
                phone: Some(
                    PhoneNumber::parse(&format!("07700 900{:03}", 100 + i))
                        .map_err(AppError::internal)?,
                ),
                // The supporter has every other person on their caseload.
                supporter_id: if i % 2 == 0 { supporter } else { None },
                created_at: now,
                programme_supporters: Vec::new(),
            };
            tx.insert_patient(&p, Some(&patient_hash)).await?;
            // Demo people agreed to both channels, email first.
            let both = bothy_domain::contact::ContactChoice::from_form("both")
                .ok_or_else(|| AppError::internal(std::io::Error::other("contact choice")))?;
            tx.set_contact_choice(p.id, both, now).await?;
            people.push(p.id);
        }
        demo_group(&mut tx, service.id, &people, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The demo's peer support group: open, post-moderated, moderated at all
/// hours (so the demo can always post), with a few approved posts by the
/// third to fifth demo people (the first two stay free to join).
async fn demo_group(
    tx: &mut bothy_store::Tx,
    service: ServiceId,
    people: &[PatientId],
    now: bothy_domain::time::Timestamp,
) -> Result<(), AppError> {
    use bothy_domain::ids::{MemberId, PostId};
    use bothy_domain::peer::{self, Member, Post, PostStatus, Priority};
    let form = peer::GroupForm {
        name: "Coffee and chat",
        kind: "open",
        programme: "",
        description: "A friendly space for anyone using the service to share how the week is \
                      going and what helps.",
        rules: "Be kind. Keep it anonymous: no names, contact details or links. \
                Do not describe ways of hurting yourself. If you need help now, use the \
                contacts at the top of the page.",
        mode: "post",
        hours: "always",
        links_allowed: false,
        outside_hours: "read_only",
    };
    let new = peer::parse_group(&form)
        .map_err(|_| AppError::internal(std::io::Error::other("demo group")))?;
    let group = crate::peer::new_group(service, new, now);
    tx.insert_peer_group(&group, None).await?;
    let posts = [
        (
            "Quiet Heron",
            "Managed a short walk by the canal today. Small steps.",
        ),
        (
            "Hillwalker",
            "The breathing exercise from module one helped before a hard phone call.",
        ),
        (
            "Tea and toast",
            "Evenings are the hardest for me. What do you all do to wind down?",
        ),
    ];
    for (n, (name, body)) in posts.iter().enumerate() {
        let Some(patient) = people.get(n + 2) else {
            break;
        };
        let member = Member {
            id: MemberId::random(),
            group_id: group.id,
            service_id: service,
            patient_id: *patient,
            pseudonym: name.to_string(),
            joined_at: now,
            suspended_until: None,
        };
        tx.insert_peer_member(&member, &peer::pseudonym_key(name))
            .await?;
        let at = now
            .checked_sub(jiff::SignedDuration::from_hours(3 - n as i64))
            .unwrap_or(now);
        let post = Post {
            id: PostId::random(),
            group_id: group.id,
            service_id: service,
            member_id: member.id,
            pseudonym: member.pseudonym.clone(),
            parent_id: None,
            body: body.to_string(),
            status: PostStatus::Visible,
            needs_review: false,
            priority: Priority::Routine,
            hold_reasons: Vec::new(),
            risk: false,
            queued_at: Some(at),
            deadline: None,
            created_at: at,
            reviewed_at: Some(at),
            status_reason: None,
            edit_note: None,
            report_count: 0,
            escalated_at: None,
        };
        tx.insert_peer_post(&post, &format!("demo-{n}")).await?;
    }
    Ok(())
}
