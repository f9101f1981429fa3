//! Setting up a deployment: services, staff and API clients. Used by
//! `bothy admin` and by the administrator's pages.

use crate::credentials::{new_token, new_totp_secret};
use crate::policy::Permission;
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::model::{ApiClient, RoleGrant, Service, ServiceSlug, StaffMember};
use bothy_domain::person::{Email, PersonName};
use bothy_domain::role::{ApiPermission, Role};
use bothy_domain::text::{self, Lines};
use bothy_domain::{ApiClientId, ServiceId, StaffId};
use bothy_store::{Enrolment, SessionAccount};

/// A new staff member and the single-use link that lets them set a password and second factor.
#[derive(Debug, Clone)]
pub struct NewStaff {
    pub id: StaffId,
    pub enrolment_link: String,
}

/// A newly registered API client and its token, shown once and never stored.
#[derive(Debug, Clone)]
pub struct NewApiClient {
    pub id: ApiClientId,
    pub token: String,
}

fn system() -> Actor {
    Actor::System
}

/// Running a deployment: services, staff accounts, API clients.
pub struct Admin<'a> {
    pub(crate) app: &'a App,
}

impl Admin<'_> {
    pub async fn create_service(
        &self,
        slug: &str,
        name: &str,
        ctx: &RequestContext,
    ) -> Result<Service, AppError> {
        let slug = ServiceSlug::parse(slug).map_err(|e| AppError::field("slug", e.to_string()))?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(AppError::field(
                "name",
                "Service name must be 1 to 120 characters",
            ));
        }
        if let Err(e) = text::check(name, Lines::One) {
            return Err(AppError::field(
                "name",
                e.message("Service name", Lines::One),
            ));
        }
        let service = Service {
            id: ServiceId::random(),
            slug,
            name: name.to_string(),
            created_at: self.app.clock.now(),
        };
        let mut tx = self.app.store.begin().await?;
        tx.insert_service(&service).await.map_err(|e| {
            if e.is_constraint("slug") {
                AppError::field("slug", "A service with this short name already exists")
            } else {
                e.into()
            }
        })?;
        let event = AuditEvent::new(Action::ServiceCreated).service(service.id);
        self.app.audit(&mut tx, &system(), ctx, event).await?;
        tx.commit().await?;
        Ok(service)
    }

    /// Sets the postcode areas (e.g. "EH") or districts (e.g. "EH1") a
    /// service covers; returns them normalised.
    pub async fn set_service_areas(
        &self,
        service: ServiceId,
        areas: &str,
        ctx: &RequestContext,
    ) -> Result<Vec<String>, AppError> {
        let mut list: Vec<String> = Vec::new();
        for a in areas
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|a| !a.is_empty())
        {
            let a = a.to_ascii_uppercase();
            let valid = (1..=4).contains(&a.len())
                && a.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && a.chars().all(|c| c.is_ascii_alphanumeric());
            if !valid {
                return Err(AppError::field(
                    "areas",
                    format!("{a:?} is not a postcode area or district, like EH or EH1"),
                ));
            }
            if !list.contains(&a) {
                list.push(a);
            }
        }
        let mut tx = self.app.store.begin().await?;
        tx.set_service_areas(service, &list.join(" ")).await?;
        let event = AuditEvent::new(Action::ServiceAreasSet).service(service);
        self.app
            .audit(&mut tx, &system(), ctx, event.detail(list.join(" ")))
            .await?;
        tx.commit().await?;
        Ok(list)
    }

    pub async fn service_by_slug(&self, slug: &str) -> Result<Service, AppError> {
        let mut tx = self.app.store.read().await?;
        let s = tx.service_by_slug(slug).await?;
        tx.rollback().await?;
        s.ok_or_else(|| AppError::field("service", format!("There is no service called {slug:?}")))
    }

    /// Creates a staff member with roles in one service (or adds the roles if
    /// the email already belongs to staff) and, for a new account, a link to enrol.
    pub async fn create_staff(
        &self,
        service: ServiceId,
        email: &str,
        name: &str,
        roles: &[Role],
        ctx: &RequestContext,
    ) -> Result<NewStaff, AppError> {
        let mut v = crate::error::Validation::default();
        let email = v.check("email", Email::parse(email));
        let name = v.check("name", PersonName::parse(name));
        if roles.is_empty() {
            v.fail("roles", "Choose at least one role");
        }
        v.finish()?;
        let (Some(email), Some(name)) = (email, name) else {
            return Err(AppError::field("email", "Enter an email address"));
        };
        let now = self.app.clock.now();
        let exists = || {
            AppError::field(
                "email",
                "A staff member with this email address already exists",
            )
        };
        let mut tx = self.app.store.begin().await?;
        if tx.staff_by_email(&email).await?.is_some() {
            return Err(exists());
        }
        let member = StaffMember {
            id: StaffId::random(),
            email,
            name,
            password_hash: None,
            totp_secret: None,
            created_at: now,
            disabled_at: None,
        };
        // The same address added at the same moment: the unique index refuses
        // the second, which is told as above.
        tx.insert_staff(&member).await.map_err(|e| {
            if e.is_constraint("email") {
                exists()
            } else {
                e.into()
            }
        })?;
        for role in roles {
            tx.grant_role(
                member.id,
                RoleGrant {
                    service_id: service,
                    role: *role,
                },
            )
            .await?;
        }
        let (token, hash) = new_token("");
        let expires_at = now
            .checked_add(self.app.settings.enrolment_link_lifetime)
            .map_err(AppError::internal)?;
        tx.insert_enrolment(
            &hash,
            &Enrolment {
                staff_id: member.id,
                totp_secret: new_totp_secret(),
                expires_at,
                used_at: None,
            },
            now,
        )
        .await?;
        let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let event = AuditEvent::new(Action::StaffCreated)
            .service(service)
            .detail(format!("staff {} roles {}", member.id, roles.join(" ")));
        self.app.audit(&mut tx, &system(), ctx, event).await?;
        tx.commit().await?;
        Ok(NewStaff {
            id: member.id,
            enrolment_link: format!(
                "{}/enrol/{token}",
                self.app.settings.public_url.trim_end_matches('/')
            ),
        })
    }

    /// Staff of the administrator's service, for the staff page.
    pub async fn list_staff(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(StaffMember, Vec<Role>)>, AppError> {
        let Actor::Staff(s) = actor else {
            return Err(AppError::Forbidden);
        };
        if !s.has(Permission::ManageStaff) {
            return Err(AppError::Forbidden);
        }
        let mut tx = self.app.store.read().await?;
        let staff = tx.staff_of_service(s.service_id).await?;
        tx.rollback().await?;
        Ok(staff)
    }

    pub async fn register_api_client(
        &self,
        service: ServiceId,
        name: &str,
        permissions: &[ApiPermission],
        ctx: &RequestContext,
    ) -> Result<NewApiClient, AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(AppError::field(
                "name",
                "Client name must be 1 to 120 characters",
            ));
        }
        if let Err(e) = text::check(name, Lines::One) {
            return Err(AppError::field(
                "name",
                e.message("Client name", Lines::One),
            ));
        }
        if permissions.is_empty() {
            return Err(AppError::field(
                "permissions",
                "Grant at least one permission",
            ));
        }
        let (token, hash) = new_token("bothy_");
        let client = ApiClient {
            id: ApiClientId::random(),
            service_id: service,
            name: name.to_string(),
            permissions: permissions.to_vec(),
            created_at: self.app.clock.now(),
            revoked_at: None,
        };
        let mut tx = self.app.store.begin().await?;
        tx.insert_api_client(&client, &hash).await?;
        let event = AuditEvent::new(Action::ApiClientCreated)
            .service(service)
            .detail(format!("client {}", client.id));
        self.app.audit(&mut tx, &system(), ctx, event).await?;
        tx.commit().await?;
        Ok(NewApiClient {
            id: client.id,
            token,
        })
    }

    pub async fn revoke_api_client(
        &self,
        id: ApiClientId,
        ctx: &RequestContext,
    ) -> Result<(), AppError> {
        let mut tx = self.app.store.begin().await?;
        if !tx.revoke_api_client(id, self.app.clock.now()).await? {
            return Err(AppError::NotFound);
        }
        let event = AuditEvent::new(Action::ApiClientRevoked).detail(format!("client {id}"));
        self.app.audit(&mut tx, &system(), ctx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables a staff member (someone leaving, or an account at risk): they
    /// cannot sign in, and every session of theirs ends now, on every server.
    pub async fn disable_staff(
        &self,
        email: &str,
        ctx: &RequestContext,
    ) -> Result<StaffId, AppError> {
        let email = Email::parse(email).map_err(|e| AppError::field("email", e.to_string()))?;
        let mut tx = self.app.store.begin().await?;
        let member = tx
            .staff_by_email(&email)
            .await?
            .ok_or_else(|| AppError::field("email", "No staff member has this email address"))?;
        if !tx.disable_staff(member.id, self.app.clock.now()).await? {
            return Err(AppError::field(
                "email",
                "This staff member is already disabled",
            ));
        }
        tx.end_sessions(SessionAccount::Staff(member.id), None)
            .await?;
        let event = AuditEvent::new(Action::StaffDisabled).detail(format!("staff {}", member.id));
        self.app.audit(&mut tx, &system(), ctx, event).await?;
        tx.commit().await?;
        Ok(member.id)
    }
}
