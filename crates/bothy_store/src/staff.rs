use crate::db::Row;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::model::{RoleGrant, StaffMember};
use bothy_domain::person::{Email, PersonName};
use bothy_domain::role::Role;
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{ServiceId, StaffId};

/// Which of the staff `staff_in_roles` reads.
#[derive(Debug, Clone, Copy)]
pub enum StaffPick<'a> {
    /// Any this many of them, in no order: a caller that finds no more
    /// than it asked for sorts them; one that finds more knows it has a
    /// large service without reading or sorting all of it.
    AtMost(i64),
    Id(StaffId),
    Email(&'a Email),
}

const STAFF_COLUMNS: &str =
    "id, email, display_name, password_hash, totp_secret, created_at, disabled_at";

fn staff(row: &Row) -> Result<StaffMember, StoreError> {
    Ok(StaffMember {
        id: parse(&row.try_get::<String>("id")?, "staff id")?,
        email: Email::from_stored(row.try_get("email")?),
        name: PersonName::from_stored(row.try_get("display_name")?),
        password_hash: row.try_get("password_hash")?,
        totp_secret: row.try_get("totp_secret")?,
        created_at: from_millis(row.try_get("created_at")?),
        disabled_at: row.try_get::<Option<i64>>("disabled_at")?.map(from_millis),
    })
}

/// A member of staff and their roles from the rows of a join of `staff`
/// (its columns by name) with `staff_roles` (`grant_service`, `role`; null
/// for someone without any): None when there is no member of staff.
pub(crate) fn staff_and_grants(
    rows: &[Row],
) -> Result<Option<(StaffMember, Vec<RoleGrant>)>, StoreError> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    if first.try_get::<Option<String>>("id")?.is_none() {
        return Ok(None);
    }
    let member = staff(first)?;
    let mut grants = Vec::with_capacity(rows.len());
    for r in rows {
        if let Some(service) = r.try_get::<Option<String>>("grant_service")? {
            grants.push(RoleGrant {
                service_id: parse(&service, "service id")?,
                role: parse(&r.try_get::<String>("role")?, "role")?,
            });
        }
    }
    Ok(Some((member, grants)))
}

/// A pending staff enrolment, found by the hash of its single-use token.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub staff_id: StaffId,
    pub totp_secret: String,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

impl Tx {
    pub async fn insert_staff(&mut self, s: &StaffMember) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO staff (id, email, display_name, password_hash, totp_secret, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(s.id.to_string())
        .bind(s.email.as_str())
        .bind(s.name.as_str())
        .bind(s.password_hash.clone())
        .bind(s.totp_secret.clone())
        .bind(to_millis(s.created_at))
        .execute()
        .await?;
        Ok(())
    }

    pub async fn staff_by_email(
        &mut self,
        email: &Email,
    ) -> Result<Option<StaffMember>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE email = $1"
        ));
        let row = self
            .query(sql)
            .bind(email.as_str())
            .fetch_optional()
            .await?;
        row.as_ref().map(staff).transpose()
    }

    pub async fn staff_by_id(&mut self, id: StaffId) -> Result<Option<StaffMember>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1"));
        let row = self
            .query(sql)
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(staff).transpose()
    }

    /// A staff member and every role they hold, in one read (who is asking,
    /// on every request).
    pub async fn staff_with_roles(
        &mut self,
        id: StaffId,
    ) -> Result<Option<(StaffMember, Vec<RoleGrant>)>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS}, r.service_id AS grant_service, r.role FROM staff s \
             LEFT JOIN staff_roles r ON r.staff_id = s.id WHERE s.id = $1 ORDER BY r.service_id, r.role"
        ));
        let rows = self.query(sql).bind(id.to_string()).fetch_all().await?;
        staff_and_grants(&rows)
    }

    /// Staff holding any role in `service`, with their roles there.
    pub async fn staff_of_service(
        &mut self,
        service: ServiceId,
    ) -> Result<Vec<(StaffMember, Vec<Role>)>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS}, r.role FROM staff s JOIN staff_roles r ON r.staff_id = s.id \
             WHERE r.service_id = $1 ORDER BY s.display_name, s.id, r.role"
        ));
        let rows = self
            .query(sql)
            .bind(service.to_string())
            .fetch_all()
            .await?;
        let mut out: Vec<(StaffMember, Vec<Role>)> = Vec::new();
        for row in &rows {
            let member = staff(row)?;
            let role: Role = parse(&row.try_get::<String>("role")?, "role")?;
            match out.last_mut() {
                Some((last, roles)) if last.id == member.id => roles.push(role),
                _ => out.push((member, vec![role])),
            }
        }
        Ok(out)
    }

    /// Enabled staff holding any of `roles` in `service`: at most a number
    /// of them, or the one with an id or an email. Reads only what it
    /// returns, so a form can offer a large service's staff without
    /// reading them all.
    pub async fn staff_in_roles(
        &mut self,
        service: ServiceId,
        roles: &[Role],
        pick: StaffPick<'_>,
    ) -> Result<Vec<StaffMember>, StoreError> {
        let (only, limit) = match pick {
            StaffPick::AtMost(n) => ("", n),
            StaffPick::Id(_) => ("AND s.id = $2", 1),
            StaffPick::Email(_) => ("AND s.email = $2", 1),
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS} FROM staff s WHERE s.disabled_at IS NULL {only} \
             AND EXISTS (SELECT 1 FROM staff_roles r WHERE r.staff_id = s.id \
             AND r.service_id = $1 AND r.role IN ({roles})) \
             LIMIT {limit}",
            roles = roles
                .iter()
                .map(|r| format!("'{}'", r.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
        ));
        let mut q = self.query(sql).bind(service.to_string());
        match pick {
            StaffPick::AtMost(_) => {}
            StaffPick::Id(id) => q = q.bind(id.to_string()),
            StaffPick::Email(email) => q = q.bind(email.as_str().to_string()),
        }
        q.fetch_all().await?.iter().map(staff).collect()
    }

    /// The display names of these members of staff (those not found are
    /// left out): for naming the few a page mentions without reading the
    /// whole service's staff.
    pub async fn staff_names(
        &mut self,
        ids: &[StaffId],
    ) -> Result<std::collections::HashMap<StaffId, String>, StoreError> {
        let mut unique: Vec<StaffId> = ids.to_vec();
        unique.sort();
        unique.dedup();
        if unique.is_empty() {
            return Ok(Default::default());
        }
        self.query_in(
            "SELECT id, display_name FROM staff WHERE id IN ({ids})",
            &unique,
        )
        .fetch_all()
        .await?
        .iter()
        .map(|r| {
            Ok((
                parse(&r.try_get::<String>("id")?, "staff id")?,
                r.try_get::<String>("display_name")?,
            ))
        })
        .collect()
    }

    pub async fn grant_role(&mut self, staff: StaffId, grant: RoleGrant) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO staff_roles (staff_id, service_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(staff.to_string())
        .bind(grant.service_id.to_string())
        .bind(grant.role.as_str())
        .execute()
        .await?;
        Ok(())
    }

    pub async fn roles_of(&mut self, staff: StaffId) -> Result<Vec<RoleGrant>, StoreError> {
        let rows = self.query("SELECT service_id, role FROM staff_roles WHERE staff_id = $1 ORDER BY service_id, role")
            .bind(staff.to_string())
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok(RoleGrant {
                    service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
                    role: parse(&r.try_get::<String>("role")?, "role")?,
                })
            })
            .collect()
    }

    /// Disables a staff member's account; false if unknown or already disabled.
    pub async fn disable_staff(&mut self, id: StaffId, at: Timestamp) -> Result<bool, StoreError> {
        let done = self
            .query("UPDATE staff SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL")
            .bind(id.to_string())
            .bind(to_millis(at))
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_staff_password(
        &mut self,
        id: StaffId,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        self.query("UPDATE staff SET password_hash = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(password_hash)
            .execute()
            .await?;
        Ok(())
    }

    pub async fn set_staff_credentials(
        &mut self,
        id: StaffId,
        password_hash: &str,
        totp_secret: &str,
    ) -> Result<(), StoreError> {
        self.query("UPDATE staff SET password_hash = $2, totp_secret = $3, totp_last_step = NULL WHERE id = $1")
            .bind(id.to_string())
            .bind(password_hash)
            .bind(totp_secret)
            .execute()
            .await?;
        Ok(())
    }

    /// Records that the TOTP code for `step` was used, only if no code of
    /// this or a later step was used before. Returns false for a replay.
    pub async fn use_totp_step(&mut self, id: StaffId, step: i64) -> Result<bool, StoreError> {
        let done = self.query(
            "UPDATE staff SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(id.to_string())
        .bind(step)
        .execute()
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_enrolment(
        &mut self,
        token_hash: &str,
        e: &Enrolment,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO staff_enrolments (token_hash, staff_id, totp_secret, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(e.staff_id.to_string())
        .bind(&e.totp_secret)
        .bind(to_millis(now))
        .bind(to_millis(e.expires_at))
        .execute()
        .await?;
        Ok(())
    }

    pub async fn enrolment(&mut self, token_hash: &str) -> Result<Option<Enrolment>, StoreError> {
        let row = self.query("SELECT staff_id, totp_secret, expires_at, used_at FROM staff_enrolments WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional()
            .await?;
        row.map(|r| {
            Ok(Enrolment {
                staff_id: parse(&r.try_get::<String>("staff_id")?, "staff id")?,
                totp_secret: r.try_get("totp_secret")?,
                expires_at: from_millis(r.try_get("expires_at")?),
                used_at: r.try_get::<Option<i64>>("used_at")?.map(from_millis),
            })
        })
        .transpose()
    }

    /// Marks an enrolment used if it is still unused and unexpired; false otherwise.
    /// The condition is in the UPDATE so that two simultaneous uses cannot both win.
    pub async fn use_enrolment(
        &mut self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = self.query(
            "UPDATE staff_enrolments SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(to_millis(now))
        .execute()
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
