use crate::db::Row;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::model::ApiClient;
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{ApiClientId, ServiceId};

/// The columns [`client`] reads.
pub(crate) const CLIENT_COLUMNS: &str = "id, service_id, name, permissions, created_at, revoked_at";

pub(crate) fn client(row: &Row) -> Result<ApiClient, StoreError> {
    let permissions: String = row.try_get("permissions")?;
    Ok(ApiClient {
        id: parse(&row.try_get::<String>("id")?, "API client id")?,
        service_id: parse(&row.try_get::<String>("service_id")?, "service id")?,
        name: row.try_get("name")?,
        permissions: permissions
            .split(' ')
            .filter(|p| !p.is_empty())
            .map(|p| parse(p, "API permission"))
            .collect::<Result<_, _>>()?,
        created_at: from_millis(row.try_get("created_at")?),
        revoked_at: row.try_get::<Option<i64>>("revoked_at")?.map(from_millis),
    })
}

impl Tx {
    pub async fn insert_api_client(
        &mut self,
        c: &ApiClient,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        let permissions: Vec<&str> = c.permissions.iter().map(|p| p.as_str()).collect();
        self.query(
            "INSERT INTO api_clients (id, service_id, name, token_hash, permissions, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(c.id.to_string())
        .bind(c.service_id.to_string())
        .bind(&c.name)
        .bind(token_hash)
        .bind(permissions.join(" "))
        .bind(to_millis(c.created_at))
        .execute()
        .await?;
        Ok(())
    }

    /// The client holding this token, whether or not it has been revoked.
    pub async fn api_client_by_token_hash(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<ApiClient>, StoreError> {
        let row = self.query(
            "SELECT id, service_id, name, permissions, created_at, revoked_at FROM api_clients WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional()
        .await?;
        row.as_ref().map(client).transpose()
    }

    pub async fn api_clients_of_service(
        &mut self,
        service: ServiceId,
    ) -> Result<Vec<ApiClient>, StoreError> {
        let rows = self
            .query(
                "SELECT id, service_id, name, permissions, created_at, revoked_at FROM api_clients \
             WHERE service_id = $1 ORDER BY name, id",
            )
            .bind(service.to_string())
            .fetch_all()
            .await?;
        rows.iter().map(client).collect()
    }

    /// Revokes a client; false if there is no such client or it was already revoked.
    pub async fn revoke_api_client(
        &mut self,
        id: ApiClientId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = self
            .query("UPDATE api_clients SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id.to_string())
            .bind(to_millis(now))
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
