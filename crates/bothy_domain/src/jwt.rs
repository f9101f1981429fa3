//! JSON Web Tokens signed with HS256 (RFC 7519, RFC 7515), the one kind
//! Bothy makes and checks: GOV.UK Notify's API tokens (`iss` the service id,
//! `iat`) and signed Jitsi Meet room links (`iss`, `aud`, `sub`, `room`,
//! `exp`). Only HS256 is accepted when checking, whatever the header says,
//! so a token cannot choose a weaker algorithm ("alg": "none").

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is not three base64url parts")]
    Malformed,
    #[error("the token's header is not {{\"alg\":\"HS256\",\"typ\":\"JWT\"}}")]
    Algorithm,
    #[error("the token's signature does not match")]
    Signature,
    #[error("the token's claims are not a JSON object")]
    Claims,
}

/// Signs `claims` (a JSON object) with `secret`.
pub fn sign_hs256(claims: &serde_json::Value, secret: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(
        mac(secret, signing_input.as_bytes())
            .finalize()
            .into_bytes(),
    );
    format!("{signing_input}.{signature}")
}

/// Checks `token`'s HS256 signature with `secret` and returns its claims.
/// What the claims mean (issuer, times) is the caller's to check.
pub fn verify_hs256(token: &str, secret: &[u8]) -> Result<serde_json::Value, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| JwtError::Malformed)
    };
    let header: serde_json::Value =
        serde_json::from_slice(&decode(header)?).map_err(|_| JwtError::Malformed)?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
        return Err(JwtError::Algorithm);
    }
    let signing_input_len = token.len() - signature.len() - 1;
    mac(secret, &token.as_bytes()[..signing_input_len])
        .verify_slice(&decode(signature)?)
        .map_err(|_| JwtError::Signature)?;
    let claims: serde_json::Value =
        serde_json::from_slice(&decode(payload)?).map_err(|_| JwtError::Claims)?;
    if claims.is_object() {
        Ok(claims)
    } else {
        Err(JwtError::Claims)
    }
}

fn mac(secret: &[u8], input: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(input);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_the_rfc_7515_example_signature() {
        // RFC 7515 appendix A.1: its header differs from ours, so check the
        // MAC on its exact signing input and key.
        let key = URL_SAFE_NO_PAD
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .unwrap();
        let input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        let sig = URL_SAFE_NO_PAD.encode(mac(&key, input.as_bytes()).finalize().into_bytes());
        assert_eq!(sig, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        let token = format!("{input}.{sig}");
        assert_eq!(verify_hs256(&token, &key).unwrap()["iss"], "joe");
    }

    #[test]
    fn a_signed_token_verifies_and_a_changed_one_does_not() {
        let claims = json!({"iss": "26785a09-ab16-4eb0-8407-a37497a57506", "iat": 1_700_000_000});
        let token = sign_hs256(&claims, b"secret");
        assert_eq!(verify_hs256(&token, b"secret").unwrap(), claims);
        assert_eq!(verify_hs256(&token, b"other"), Err(JwtError::Signature));
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(json!({"iss": "someone else", "iat": 1}).to_string());
        parts[1] = &forged;
        assert_eq!(
            verify_hs256(&parts.join("."), b"secret"),
            Err(JwtError::Signature)
        );
        assert_eq!(verify_hs256("a.b", b"secret"), Err(JwtError::Malformed));
        assert_eq!(verify_hs256("", b"secret"), Err(JwtError::Malformed));
    }

    #[test]
    fn only_hs256_is_accepted() {
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(br#"{"iss":"x"}"#)
        );
        assert_eq!(verify_hs256(&none, b"secret"), Err(JwtError::Algorithm));
    }
}
