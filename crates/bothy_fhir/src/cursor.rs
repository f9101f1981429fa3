//! The opaque cursor of keyset paging: where the next page starts, as the
//! order of the search and the last row's sort time and id. A `next` link
//! carries it instead of an offset, so rows stored between two pages
//! neither repeat on the next nor push one out of it.
//!
//! Opaque to clients (hexadecimal, so it needs no escaping in a URL), not
//! secret: a cursor only says where to start within the client's own
//! search, whose conditions and access are checked again on every page.

use bothy_domain::time::{Timestamp, from_millis, to_millis};

const VERSION: &str = "1";

/// A position in one order of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// Which order it belongs to (the search's own short name for it).
    pub order: String,
    pub at: Timestamp,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!(
            "{VERSION}|{}|{}|{}",
            self.order,
            to_millis(self.at),
            self.id
        )
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
    }

    /// Reads a cursor this server wrote; anything else is `None`.
    pub fn decode(s: &str) -> Option<Cursor> {
        if s.is_empty() || !s.len().is_multiple_of(2) || s.len() > 400 {
            return None;
        }
        let bytes: Option<Vec<u8>> = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
            .collect();
        let text = String::from_utf8(bytes?).ok()?;
        let mut parts = text.split('|');
        let (Some(VERSION), Some(order), Some(at), Some(id), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let ok_id = !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let at: i64 = at.parse().ok()?;
        ok_id.then(|| Cursor {
            order: order.to_string(),
            at: from_millis(at),
            id: id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_nothing_else_does() {
        let c = Cursor {
            order: "authored-".into(),
            at: "2026-11-17T10:00:00.123Z".parse().unwrap(),
            id: "2f0c7bde-3a43-4a8a-9d5b-8d3b9b1c2e11".into(),
        };
        let s = c.encode();
        assert!(s.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(Cursor::decode(&s), Some(c));
        for bad in ["", "zz", "abc", "31", &"31".repeat(300)] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
        let sneaky: String = "1|a|0|x' OR 1=1"
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(Cursor::decode(&sneaky), None);
    }
}
