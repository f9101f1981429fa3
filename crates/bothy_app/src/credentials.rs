//! Passwords (argon2id), one-time codes (TOTP, RFC 6238) and bearer/link tokens.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use totp_rs::{Secret, TOTP};

/// Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).unwrap_or_default(),
    )
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the operating system's random number generator failed");
    b
}

/// Hashes a password. CPU-heavy by design: call from a blocking thread.
pub fn hash_password(password: &str) -> String {
    let salt =
        SaltString::encode_b64(&random_bytes::<16>()).expect("16 bytes is a valid salt length");
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with valid parameters cannot fail")
        .to_string()
}

/// Checks a password against a stored hash. With no stored hash (no such
/// account, or not yet enrolled) it checks against a fixed hash anyway, so
/// the answer takes the same time whether or not the account exists.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("a password that no account has"));
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && real
}

/// A new random token for a link or an API client, and the SHA-256 hash
/// that is stored. Tokens carry 256 bits, so a fast hash is enough: nobody
/// can guess one, and the database never holds a usable token.
pub fn new_token(prefix: &str) -> (String, String) {
    let token = format!("{prefix}{}", hex::encode(random_bytes::<32>()));
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new TOTP secret, base32 as authenticator apps expect (160 bits, RFC 4226's recommendation).
pub fn new_totp_secret() -> String {
    Secret::Raw(random_bytes::<20>().to_vec())
        .to_encoded()
        .to_string()
}

fn totp(secret_b32: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_string()).to_bytes().ok()?;
    TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some("Bothy".to_string()),
        account.to_string(),
    )
    .ok()
}

/// The `otpauth://` URI an authenticator app reads.
pub fn totp_uri(secret_b32: &str, account: &str) -> Option<String> {
    totp(secret_b32, account).map(|t| t.get_url())
}

/// The current code for a secret (for demo accounts and tests).
pub fn totp_code(secret_b32: &str, unix_secs: u64) -> Option<String> {
    totp(secret_b32, "x").map(|t| t.generate(unix_secs))
}

/// If `code` is right for the time step before, at or after `unix_secs`
/// (allowing for a phone clock 30 s out), the step it matched. The caller
/// records the step so that a code cannot be used twice.
pub fn totp_matching_step(secret_b32: &str, code: &str, unix_secs: u64) -> Option<i64> {
    let t = totp(secret_b32, "x")?;
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = unix_secs / 30;
    [step.saturating_sub(1), step, step + 1]
        .into_iter()
        .find_map(|s| {
            let expected = t.generate(s * 30);
            bool::from(expected.as_bytes().ct_eq(code.as_bytes())).then_some(s as i64)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", Some(&h)));
        assert!(!verify_password("wrong horse battery", Some(&h)));
        assert!(!verify_password("a password that no account has", None));
        assert!(!verify_password("x", Some("not a hash")));
    }

    #[test]
    fn totp_accepts_adjacent_steps_only() {
        let secret = new_totp_secret();
        let now = 1_800_000_000;
        let code = totp_code(&secret, now).unwrap();
        assert_eq!(
            totp_matching_step(&secret, &code, now),
            Some((now / 30) as i64)
        );
        assert!(totp_matching_step(&secret, &code, now + 30).is_some());
        assert!(totp_matching_step(&secret, &code, now + 95).is_none());
        assert!(totp_matching_step(&secret, "12345", now).is_none());
        assert!(
            totp_uri(&secret, "ann@example.org")
                .unwrap()
                .starts_with("otpauth://totp/")
        );
    }

    #[test]
    fn tokens_are_unique_and_only_their_hash_is_kept() {
        let (a, ha) = new_token("bothy_");
        let (b, _) = new_token("bothy_");
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), ha);
        assert!(!ha.contains(&a));
    }
}
