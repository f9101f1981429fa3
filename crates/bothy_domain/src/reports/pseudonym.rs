//! Pseudonyms for a reporting extract: HMAC-SHA256 (RFC 2104, FIPS 198-1)
//! of the export's own label and a record's id, under a key the service
//! holds in its configuration (`reports.extract_key`) and never writes to
//! an extract. The label makes pseudonyms differ between exports, so two
//! extracts cannot be joined on them; within one export the same person
//! has one pseudonym, so their episodes can be counted together.
//! Without the key a pseudonym cannot be turned back into an id, nor
//! computed from a guessed id.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The service's extract key. Debug never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ExtractKey(Vec<u8>);

impl std::fmt::Debug for ExtractKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExtractKey(***)")
    }
}

impl ExtractKey {
    /// At least 32 bytes: as long as the hash (RFC 2104 section 3).
    pub fn new(key: &[u8]) -> Option<ExtractKey> {
        (key.len() >= 32).then(|| ExtractKey(key.to_vec()))
    }

    /// The pseudonym of `id` in the export labelled `export`: 32 hex
    /// characters (128 bits of the MAC).
    pub fn pseudonym(&self, export: &str, id: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(export.as_bytes());
        mac.update(&[0]);
        mac.update(id.as_bytes());
        mac.finalize().into_bytes()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_within_an_export_and_differ_between() {
        assert!(ExtractKey::new(b"short").is_none());
        let k = ExtractKey::new(&[7; 32]).unwrap();
        let a = k.pseudonym("export-1", "patient-1");
        assert_eq!(a.len(), 32);
        assert_eq!(a, k.pseudonym("export-1", "patient-1"));
        assert_ne!(a, k.pseudonym("export-2", "patient-1"));
        assert_ne!(a, k.pseudonym("export-1", "patient-2"));
        // The separator keeps "ab"+"c" apart from "a"+"bc".
        assert_ne!(k.pseudonym("ab", "c"), k.pseudonym("a", "bc"));
        let other = ExtractKey::new(&[8; 32]).unwrap();
        assert_ne!(a, other.pseudonym("export-1", "patient-1"));
        assert_eq!(format!("{k:?}"), "ExtractKey(***)");
    }

    #[test]
    fn matches_rfc_4231_test_case_2_prefix() {
        // RFC 4231 case 2 uses key "Jefe", too short for an extract key;
        // check the MAC itself with it through the same construction.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
