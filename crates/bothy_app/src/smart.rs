//! SMART Backend Services authorization: a registered client trades an
//! assertion it signed (RS384 or ES384, with a key registered by
//! `bothy admin add-api-client-key`) for a short-lived access token that
//! works on `/fhir` like the client's own bearer token, limited to the
//! permissions its scopes map to (`bothy_domain::smart`).
//!
//! Signatures are checked by `jsonwebtoken` (pinned in the workspace: ring
//! as its crypto, already built for rustls; no PEM parsing, so keys are
//! JWKs). The algorithm is the registered key's, whatever the assertion's
//! header claims. Each `jti` is stored with a unique key until the
//! assertion expires, so an assertion is used at most once.

use crate::credentials::{new_token, token_hash};
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bothy_domain::ApiClientId;
use bothy_domain::audit::Action;
use bothy_domain::role::ApiPermission;
use bothy_domain::smart::{self, ACCESS_TOKEN_SECONDS, ClaimsError, ScopeError};
use bothy_domain::time::{from_millis, to_millis};
use bothy_store::ClientKey;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

/// The assertion type SMART requires.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What a token request sent (`application/x-www-form-urlencoded`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<String>,
    pub scope: Option<String>,
}

/// An access token issued.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: i64,
    pub scope: String,
}

/// Why a token request was refused, as RFC 6749 section 5.2 names it.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("only client_credentials is supported")]
    UnsupportedGrantType,
    #[error("{0}")]
    InvalidClient(String),
    #[error("{0}")]
    InvalidScope(String),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<bothy_store::StoreError> for TokenError {
    fn from(e: bothy_store::StoreError) -> Self {
        TokenError::App(e.into())
    }
}

/// SMART Backend Services.
pub struct Smart<'a> {
    pub(crate) app: &'a App,
}

/// The algorithm a key is for, if it is a public RS384 or ES384 key.
fn key_algorithm(jwk: &Value) -> Result<&'static str, String> {
    if jwk.get("d").is_some() {
        return Err("this is a private key: register only the public key".into());
    }
    let alg = jwk.get("alg").and_then(Value::as_str);
    let parsed: Jwk = serde_json::from_value(jwk.clone())
        .map_err(|e| format!("not a JWK Bothy can read: {e}"))?;
    let want = match &parsed.algorithm {
        AlgorithmParameters::RSA(_) => "RS384",
        AlgorithmParameters::EllipticCurve(ec) if matches!(ec.curve, EllipticCurve::P384) => {
            "ES384"
        }
        _ => return Err("the key must be RSA (RS384) or EC P-384 (ES384)".into()),
    };
    if alg.is_some_and(|a| a != want) {
        return Err(format!("the key's alg must be {want}"));
    }
    DecodingKey::from_jwk(&parsed).map_err(|e| format!("the key cannot be used: {e}"))?;
    Ok(want)
}

/// The unverified `iss` of an assertion: which client's keys to check it with.
fn unverified_issuer(assertion: &str) -> Option<String> {
    let payload = assertion.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims.get("iss")?.as_str().map(str::to_string)
}

fn bad_client(why: impl Into<String>) -> TokenError {
    TokenError::InvalidClient(why.into())
}

impl Smart<'_> {
    /// The token endpoint's URL: what an assertion's `aud` must be.
    pub fn token_url(&self) -> String {
        format!(
            "{}/token",
            bothy_fhir::base_url(&self.app.settings.public_url)
        )
    }

    /// Registers public keys for a client from a JWK or a JWK Set; each
    /// needs a `kid`. Returns the kids added.
    pub async fn add_key(
        &self,
        client: ApiClientId,
        jwk_text: &str,
        ctx: &RequestContext,
    ) -> Result<Vec<String>, AppError> {
        let bad = |m: String| AppError::field("jwk", m);
        let doc: Value =
            serde_json::from_str(jwk_text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let keys: Vec<Value> = match doc.get("keys").and_then(Value::as_array) {
            Some(list) => list.clone(),
            None => vec![doc],
        };
        if keys.is_empty() {
            return Err(bad("the key set has no keys".into()));
        }
        let mut tx = self.app.store.begin().await?;
        let found = tx.api_client(client).await?;
        let Some(found) = found.filter(|c| c.revoked_at.is_none()) else {
            return Err(AppError::NotFound);
        };
        let mut kids = Vec::new();
        for key in keys {
            let alg = key_algorithm(&key).map_err(bad)?;
            let kid = key
                .get("kid")
                .and_then(Value::as_str)
                .filter(|k| !k.is_empty() && k.len() <= 200)
                .ok_or_else(|| bad("each key needs a kid".into()))?
                .to_string();
            let stored = ClientKey {
                kid: kid.clone(),
                alg: alg.to_string(),
                jwk: key.to_string(),
            };
            match tx
                .insert_api_client_key(client, &stored, self.app.clock.now())
                .await
            {
                Err(e) if e.is_constraint("") => {
                    return Err(AppError::Conflict(format!(
                        "the client already has a key {kid}"
                    )));
                }
                r => r?,
            }
            kids.push(kid);
        }
        let event = AuditEvent::new(Action::ApiClientKeyAdded)
            .service(found.service_id)
            .detail(format!("client {client}: keys {}", kids.join(", ")));
        self.app.audit(&mut tx, &Actor::System, ctx, event).await?;
        tx.commit().await?;
        Ok(kids)
    }

    /// The token endpoint: checks the request, the client's assertion and
    /// its scopes, and issues an access token.
    pub async fn token(
        &self,
        req: &TokenRequest,
        ctx: &RequestContext,
    ) -> Result<IssuedToken, TokenError> {
        let missing = |name: &str| TokenError::InvalidRequest(format!("{name} is required"));
        match req.grant_type.as_deref() {
            Some("client_credentials") => {}
            Some(_) => return Err(TokenError::UnsupportedGrantType),
            None => return Err(missing("grant_type")),
        }
        match req.client_assertion_type.as_deref() {
            Some(ASSERTION_TYPE) => {}
            Some(_) => {
                return Err(TokenError::InvalidRequest(format!(
                    "client_assertion_type must be {ASSERTION_TYPE}"
                )));
            }
            None => return Err(missing("client_assertion_type")),
        }
        let assertion = req
            .client_assertion
            .as_deref()
            .ok_or_else(|| missing("client_assertion"))?;
        let scope = req.scope.as_deref().ok_or_else(|| missing("scope"))?;

        let header = jsonwebtoken::decode_header(assertion)
            .map_err(|_| bad_client("client_assertion is not a signed JWT"))?;
        let kid = header
            .kid
            .ok_or_else(|| bad_client("the assertion's header has no kid"))?;
        let client_id: ApiClientId = unverified_issuer(assertion)
            .and_then(|i| i.parse().ok())
            .ok_or_else(|| bad_client("the assertion's iss is not a registered client"))?;

        let mut tx = self.app.store.begin().await?;
        let client = tx
            .api_client(client_id)
            .await?
            .filter(|c| c.revoked_at.is_none())
            .ok_or_else(|| bad_client("the assertion's iss is not a registered client"))?;
        let key = tx
            .api_client_key(client_id, &kid)
            .await?
            .ok_or_else(|| bad_client("no key with this kid is registered for the client"))?;
        let alg = match key.alg.as_str() {
            "RS384" => Algorithm::RS384,
            "ES384" => Algorithm::ES384,
            _ => {
                return Err(bad_client(
                    "the registered key's algorithm is not supported",
                ));
            }
        };
        if header.alg != alg {
            return Err(bad_client(format!(
                "the assertion must be signed {}",
                key.alg
            )));
        }
        let jwk: Jwk = serde_json::from_str(&key.jwk).map_err(AppError::internal)?;
        let decoding = DecodingKey::from_jwk(&jwk).map_err(AppError::internal)?;
        // The claims are checked below, by the rules of bothy_domain::smart.
        let mut validation = Validation::new(alg);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<Value>(assertion, &decoding, &validation)
            .map_err(|_| bad_client("the assertion's signature does not match the client's key"))?
            .claims;
        let now = self.app.clock.now();
        let checked = smart::check_claims(&claims, &self.token_url(), to_millis(now) / 1000)
            .map_err(|e: ClaimsError| bad_client(e.to_string()))?;
        if checked.client_id != client_id.to_string() {
            return Err(bad_client(ClaimsError::Issuer.to_string()));
        }
        let granted = smart::grant(scope, &client.permissions)
            .map_err(|e: ScopeError| TokenError::InvalidScope(e.to_string()))?;
        if !tx
            .use_assertion(client_id, &checked.jti, from_millis(checked.exp * 1000))
            .await?
        {
            return Err(bad_client("this assertion's jti has been used already"));
        }
        let (token, hash) = new_token("bothy_smart_");
        let expires = now
            .checked_add(std::time::Duration::from_secs(ACCESS_TOKEN_SECONDS as u64))
            .unwrap_or(now);
        let permissions: Vec<&str> = granted.iter().map(|p: &ApiPermission| p.as_str()).collect();
        let scope = scope.split_ascii_whitespace().collect::<Vec<_>>().join(" ");
        tx.insert_smart_token(
            &hash,
            client_id,
            &permissions.join(" "),
            &scope,
            now,
            expires,
        )
        .await?;
        let event = AuditEvent::new(Action::SmartTokenIssued)
            .service(client.service_id)
            .detail(format!("client {client_id}: {scope}"));
        self.app.audit(&mut tx, &Actor::System, ctx, event).await?;
        tx.commit().await?;
        Ok(IssuedToken {
            access_token: token,
            expires_in: ACCESS_TOKEN_SECONDS,
            scope,
        })
    }

    /// The client holding an unexpired access token, with its scopes' permissions.
    pub(crate) async fn client_by_token(
        &self,
        tx: &mut bothy_store::Tx,
        token: &str,
    ) -> Result<Option<bothy_domain::model::ApiClient>, AppError> {
        Ok(tx
            .api_client_by_smart_token(&token_hash(token), self.app.clock.now())
            .await?)
    }
}
