//! SMART Backend Services: API clients' public keys, the assertions' used
//! `jti`s (one use each, by primary key) and the short-lived access tokens
//! issued for them (by hash, never the token itself).

use crate::api_clients::CLIENT_COLUMNS;
use crate::{StoreError, Tx};
use bothy_domain::ApiClientId;
use bothy_domain::model::ApiClient;
use bothy_domain::time::{Timestamp, to_millis};

/// One registered public key of a client.
#[derive(Debug, Clone)]
pub struct ClientKey {
    pub kid: String,
    /// `RS384` or `ES384`.
    pub alg: String,
    /// The JWK, as JSON.
    pub jwk: String,
}

impl Tx {
    pub async fn api_client(&mut self, id: ApiClientId) -> Result<Option<ApiClient>, StoreError> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM api_clients WHERE id = $1");
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(crate::api_clients::client).transpose()
    }

    /// Adds a key; a second key with the same `kid` is a constraint error.
    pub async fn insert_api_client_key(
        &mut self,
        client: ApiClientId,
        key: &ClientKey,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO api_client_keys (client_id, kid, alg, jwk, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(client.to_string())
        .bind(&key.kid)
        .bind(&key.alg)
        .bind(&key.jwk)
        .bind(to_millis(now))
        .execute()
        .await?;
        Ok(())
    }

    pub async fn api_client_key(
        &mut self,
        client: ApiClientId,
        kid: &str,
    ) -> Result<Option<ClientKey>, StoreError> {
        let row = self
            .query("SELECT kid, alg, jwk FROM api_client_keys WHERE client_id = $1 AND kid = $2")
            .bind(client.to_string())
            .bind(kid)
            .fetch_optional()
            .await?;
        row.map(|r| {
            Ok(ClientKey {
                kid: r.try_get("kid")?,
                alg: r.try_get("alg")?,
                jwk: r.try_get("jwk")?,
            })
        })
        .transpose()
    }

    /// Records an assertion's `jti` as used; false if it was used already.
    pub async fn use_assertion(
        &mut self,
        client: ApiClientId,
        jti: &str,
        expires_at: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = self
            .query(
                "INSERT INTO smart_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (client_id, jti) DO NOTHING",
            )
            .bind(client.to_string())
            .bind(jti)
            .bind(to_millis(expires_at))
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_smart_token(
        &mut self,
        token_hash: &str,
        client: ApiClientId,
        permissions: &str,
        scope: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO smart_tokens (token_hash, client_id, permissions, scope, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(client.to_string())
        .bind(permissions)
        .bind(scope)
        .bind(to_millis(now))
        .bind(to_millis(expires_at))
        .execute()
        .await?;
        Ok(())
    }

    /// The client an unexpired access token was issued to, with the
    /// permissions its scopes granted in place of the client's own.
    pub async fn api_client_by_smart_token(
        &mut self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<ApiClient>, StoreError> {
        let sql = format!(
            "SELECT {cols}, t.permissions AS granted FROM smart_tokens t \
             JOIN api_clients c ON c.id = t.client_id \
             WHERE t.token_hash = $1 AND t.expires_at > $2",
            cols = CLIENT_COLUMNS
                .split(", ")
                .map(|c| format!("c.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .bind(to_millis(now))
            .fetch_optional()
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut client = crate::api_clients::client(&row)?;
        let granted: String = row.try_get("granted")?;
        client
            .permissions
            .retain(|p| granted.split(' ').any(|g| g == p.as_str()));
        Ok(Some(client))
    }

    /// Removes used assertions and access tokens that expired before `now`.
    pub async fn delete_expired_smart(&mut self, now: Timestamp) -> Result<u64, StoreError> {
        let a = self
            .query("DELETE FROM smart_assertions WHERE expires_at < $1")
            .bind(to_millis(now))
            .execute()
            .await?;
        let t = self
            .query("DELETE FROM smart_tokens WHERE expires_at < $1")
            .bind(to_millis(now))
            .execute()
            .await?;
        Ok(a.rows_affected() + t.rows_affected())
    }
}
