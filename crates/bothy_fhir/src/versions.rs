//! `meta.versionId` and `meta.lastUpdated`, and the HTTP validators built
//! from them (`ETag: W/"{versionId}"`, `Last-Modified`).
//!
//! How a resource's version is numbered (only the current version is kept,
//! so `vread` answers for it alone):
//! - a stored measure response, and the Observation of its total, never
//!   change once stored: version "1";
//! - a referral counts its changes ([`record_version`]);
//! - what Bothy serves from its content (Questionnaires, CodeSystems, the
//!   CapabilityStatement) is versioned by what it says ([`content_version`]),
//!   so every server running the same content gives the same version, and it
//!   changes exactly when the content does.

use crate::instant;
use bothy_domain::time::Timestamp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The version of a record that is never changed after it is stored.
pub const FIRST_VERSION: &str = "1";

/// A stored record's version: its count of writes, 1 for the first.
pub fn record_version(n: i64) -> String {
    n.max(1).to_string()
}

/// The version of content-derived `resource`: the first 16 hex digits of
/// the SHA-256 of its JSON without `meta`.
pub fn content_version(resource: &Value) -> String {
    let mut v = resource.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("meta");
    }
    let digest = Sha256::digest(v.to_string().as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Sets `meta.versionId` and `meta.lastUpdated`, keeping the rest of `meta`.
pub fn set_meta(resource: &mut Value, version_id: &str, last_updated: Timestamp) {
    if !resource.get("meta").is_some_and(Value::is_object) {
        resource["meta"] = json!({});
    }
    resource["meta"]["versionId"] = json!(version_id);
    resource["meta"]["lastUpdated"] = json!(instant(last_updated));
}

/// The weak ETag FHIR uses for a version (R4 http.html#versioning).
pub fn etag(version_id: &str) -> String {
    format!("W/\"{version_id}\"")
}

/// A resource's `meta.versionId`, if it has one.
pub fn version_of(resource: &Value) -> Option<&str> {
    resource.get("meta")?.get("versionId")?.as_str()
}

/// A resource's `meta.lastUpdated`, if it has one that reads as a time.
pub fn last_updated_of(resource: &Value) -> Option<Timestamp> {
    resource
        .get("meta")?
        .get("lastUpdated")?
        .as_str()?
        .parse()
        .ok()
}

/// The version an `If-Match` or `_history` value names: `W/"3"`, `"3"` or `3`.
pub fn version_from_etag(v: &str) -> &str {
    let v = v.trim();
    let v = v.strip_prefix("W/").unwrap_or(v);
    v.trim_matches('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_is_added_beside_what_is_there() {
        let mut r = json!({ "resourceType": "Patient", "meta": { "profile": ["p"] } });
        let t: Timestamp = "2026-11-17T10:00:00.1239Z".parse().unwrap();
        set_meta(&mut r, "2", t);
        assert_eq!(r["meta"]["profile"][0], "p");
        assert_eq!(r["meta"]["versionId"], "2");
        assert_eq!(r["meta"]["lastUpdated"], "2026-11-17T10:00:00.123Z");
        assert_eq!(version_of(&r), Some("2"));
        assert_eq!(
            last_updated_of(&r),
            Some("2026-11-17T10:00:00.123Z".parse().unwrap())
        );
    }

    #[test]
    fn content_versions_follow_the_content_not_its_meta() {
        let a = json!({ "resourceType": "CodeSystem", "id": "x", "count": 1 });
        let mut b = a.clone();
        set_meta(&mut b, "9", Timestamp::UNIX_EPOCH);
        assert_eq!(content_version(&a), content_version(&b));
        assert_eq!(content_version(&a).len(), 16);
        let c = json!({ "resourceType": "CodeSystem", "id": "x", "count": 2 });
        assert_ne!(content_version(&a), content_version(&c));
    }

    #[test]
    fn etags_read_back_as_versions() {
        assert_eq!(etag("3"), "W/\"3\"");
        for v in ["W/\"3\"", "\"3\"", "3", " W/\"3\" "] {
            assert_eq!(version_from_etag(v), "3");
        }
        assert_eq!(record_version(0), "1");
        assert_eq!(record_version(4), "4");
    }
}
