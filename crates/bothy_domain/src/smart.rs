//! SMART Backend Services (SMART App Launch 2.x, "backend services"): the
//! rules of a token request that need no I/O. A client asks for
//! `system/...` scopes; each maps to one of its API permissions, and a
//! scope whose permission the client does not hold is refused, never
//! quietly narrowed, so a client learns at once that it asked for too much.
//! The signed assertion's claims are checked here too: `iss` and `sub` the
//! client's id, `aud` the token endpoint, `exp` in the future and at most
//! five minutes ahead, a `jti` to use once.

use crate::role::ApiPermission;
use serde_json::Value;

/// The longest an assertion may be valid for, in seconds (SMART: five minutes).
pub const MAX_ASSERTION_SECONDS: i64 = 300;

/// How long an access token lasts, in seconds.
pub const ACCESS_TOKEN_SECONDS: i64 = 300;

/// The signing algorithms a client's assertion may use.
pub const ALGORITHMS: [&str; 2] = ["RS384", "ES384"];

/// The resource types a `system/` scope may name, besides `*`.
pub const SCOPE_TYPES: [&str; 5] = [
    "Patient",
    "QuestionnaireResponse",
    "Observation",
    "Group",
    "ServiceRequest",
];

/// Why a scope was refused (`invalid_scope`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("no scope was asked for")]
    Empty,
    #[error("{0} is not a system scope Bothy grants")]
    Unknown(String),
    #[error("{0} asks for more than this client may do")]
    Beyond(String),
}

/// What one scope asks: to read (`read`, `r`, `s`), to write (`write`,
/// `c`, `u`, `d`) or both (`*`).
fn actions(s: &str) -> Option<(bool, bool)> {
    match s {
        "read" => Some((true, false)),
        "write" => Some((false, true)),
        "*" => Some((true, true)),
        v2 if !v2.is_empty() && v2.chars().all(|c| "cruds".contains(c)) => {
            // SMART 2's letters come in this order, each at most once.
            let ordered = "cruds"
                .chars()
                .filter(|c| v2.contains(*c))
                .collect::<String>();
            (ordered == v2).then(|| {
                let read = v2.contains('r') || v2.contains('s');
                let write = v2.contains('c') || v2.contains('u') || v2.contains('d');
                (read, write)
            })
        }
        _ => None,
    }
}

/// The permissions reading and writing a resource type need.
fn needs(resource: &str) -> (Vec<ApiPermission>, Vec<ApiPermission>) {
    use ApiPermission::*;
    match resource {
        "Patient" | "Observation" | "Group" => (vec![PatientRead], vec![]),
        "QuestionnaireResponse" => (vec![PatientRead], vec![MeasuresWrite]),
        "ServiceRequest" => (vec![ReferralRead], vec![ReferralCreate]),
        _ => (vec![], vec![]),
    }
}

/// The permissions granted for `requested` (space-separated scopes) to a
/// client holding `held`: each scope's own, never one not held. `*`
/// grants what the client holds of what it covers, and needs at least one.
pub fn grant(requested: &str, held: &[ApiPermission]) -> Result<Vec<ApiPermission>, ScopeError> {
    let mut granted: Vec<ApiPermission> = Vec::new();
    let mut any = false;
    for scope in requested.split_ascii_whitespace() {
        any = true;
        let unknown = || ScopeError::Unknown(scope.to_string());
        let rest = scope.strip_prefix("system/").ok_or_else(unknown)?;
        let (resource, action) = rest.split_once('.').ok_or_else(unknown)?;
        let (read, write) = actions(action).ok_or_else(unknown)?;
        let mut wants: Vec<ApiPermission> = Vec::new();
        let types: Vec<&str> = if resource == "*" {
            SCOPE_TYPES.to_vec()
        } else if SCOPE_TYPES.contains(&resource) {
            vec![resource]
        } else {
            return Err(unknown());
        };
        for t in types {
            let (r, w) = needs(t);
            if read {
                wants.extend(r);
            }
            if write {
                wants.extend(w);
            }
        }
        let ok: Vec<ApiPermission> = if resource == "*" {
            wants.iter().copied().filter(|p| held.contains(p)).collect()
        } else if wants.iter().all(|p| held.contains(p)) {
            wants.clone()
        } else {
            vec![]
        };
        if ok.is_empty() {
            return Err(ScopeError::Beyond(scope.to_string()));
        }
        for p in ok {
            if !granted.contains(&p) {
                granted.push(p);
            }
        }
    }
    if any {
        Ok(granted)
    } else {
        Err(ScopeError::Empty)
    }
}

/// Why an assertion's claims were refused (`invalid_client`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    #[error("iss and sub must both be the client's id")]
    Issuer,
    #[error("aud must be the token endpoint's URL")]
    Audience,
    #[error("the assertion has expired")]
    Expired,
    #[error("the assertion must expire within five minutes")]
    TooLong,
    #[error("the assertion has no jti")]
    NoJti,
}

/// An assertion's claims that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    pub client_id: String,
    pub jti: String,
    /// Seconds since the epoch.
    pub exp: i64,
}

/// Checks verified `claims` for the token endpoint at `token_url`, at
/// `now` (seconds since the epoch).
pub fn check_claims(claims: &Value, token_url: &str, now: i64) -> Result<Assertion, ClaimsError> {
    let text = |k: &str| claims.get(k).and_then(Value::as_str);
    let (Some(iss), Some(sub)) = (text("iss"), text("sub")) else {
        return Err(ClaimsError::Issuer);
    };
    if iss != sub || iss.is_empty() {
        return Err(ClaimsError::Issuer);
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == token_url,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(token_url)),
        _ => false,
    };
    if !aud_ok {
        return Err(ClaimsError::Audience);
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or(ClaimsError::Expired)?;
    if exp <= now {
        return Err(ClaimsError::Expired);
    }
    if exp > now + MAX_ASSERTION_SECONDS {
        return Err(ClaimsError::TooLong);
    }
    let jti = text("jti")
        .filter(|j| !j.is_empty() && j.len() <= 200)
        .ok_or(ClaimsError::NoJti)?;
    Ok(Assertion {
        client_id: iss.to_string(),
        jti: jti.to_string(),
        exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApiPermission::*;
    use serde_json::json;

    #[test]
    fn scopes_map_to_held_permissions_only() {
        assert_eq!(
            grant("system/*.read", &[PatientRead]),
            Ok(vec![PatientRead])
        );
        assert_eq!(
            grant("system/*.rs", &[PatientRead, ReferralRead, MeasuresWrite]),
            Ok(vec![PatientRead, ReferralRead])
        );
        assert_eq!(
            grant("system/Patient.read system/Observation.rs", &[PatientRead]),
            Ok(vec![PatientRead])
        );
        assert!(matches!(
            grant("system/ServiceRequest.read", &[PatientRead]),
            Err(ScopeError::Beyond(_))
        ));
        assert!(matches!(
            grant("system/*.read", &[MeasuresWrite]),
            Err(ScopeError::Beyond(_))
        ));
        assert!(matches!(
            grant("system/QuestionnaireResponse.cruds", &[PatientRead]),
            Err(ScopeError::Beyond(_))
        ));
        assert!(matches!(
            grant("patient/*.read", &[PatientRead]),
            Err(ScopeError::Unknown(_))
        ));
        assert!(matches!(
            grant("system/Encounter.read", &[PatientRead]),
            Err(ScopeError::Unknown(_))
        ));
        assert!(matches!(
            grant("system/Patient.sr", &[PatientRead]),
            Err(ScopeError::Unknown(_))
        ));
        assert_eq!(grant("  ", &[PatientRead]), Err(ScopeError::Empty));
    }

    #[test]
    fn claims_are_checked() {
        let url = "https://b.example/fhir/token";
        let ok = json!({"iss": "c", "sub": "c", "aud": url, "exp": 1_100, "jti": "j"});
        assert_eq!(
            check_claims(&ok, url, 1_000),
            Ok(Assertion {
                client_id: "c".into(),
                jti: "j".into(),
                exp: 1_100
            })
        );
        let mut bad = ok.clone();
        bad["sub"] = json!("d");
        assert_eq!(check_claims(&bad, url, 1_000), Err(ClaimsError::Issuer));
        let mut bad = ok.clone();
        bad["aud"] = json!("https://elsewhere/token");
        assert_eq!(check_claims(&bad, url, 1_000), Err(ClaimsError::Audience));
        assert_eq!(check_claims(&ok, url, 1_100), Err(ClaimsError::Expired));
        assert_eq!(
            check_claims(&ok, url, 1_100 - 301),
            Err(ClaimsError::TooLong)
        );
        let mut bad = ok.clone();
        bad.as_object_mut().unwrap().remove("jti");
        assert_eq!(check_claims(&bad, url, 1_000), Err(ClaimsError::NoJti));
    }
}
