//! A service's video provider (`[video]` in its settings file) and the link
//! to an appointment's call.
//!
//! ```toml
//! [video]
//! provider = "jitsi"                 # a self-hosted Jitsi Meet
//! base_url = "https://meet.example.nhs.uk"
//! app_id = "bothy"                   # the token's iss, Jitsi's app_id
//! audience = "jitsi"                 # the token's aud (default "jitsi")
//! ```
//!
//! or a fixed waiting area, such as NHS Scotland's Near Me:
//!
//! ```toml
//! [video]
//! provider = "fixed"
//! base_url = "https://nhs.attendanywhere.com/example/waiting-area"
//! ```
//!
//! A Jitsi link is the appointment's own room with a token signed with the
//! deployment's `video.jitsi_secret` (HS256; claims `iss`, `aud`, `sub` the
//! Jitsi domain, `room`, `exp` an hour after the end), so only those given
//! the link can open the room, and only until shortly after it ends. A
//! fixed link is the same for every appointment: the waiting area's own
//! sign-in admits people.

use crate::jwt;
use crate::time::Timestamp;
use serde::Deserialize;

/// The longest `base_url`.
pub const MAX_URL_CHARS: usize = 200;
/// How long after the end a Jitsi token still opens the room, in seconds.
pub const TOKEN_GRACE_SECONDS: i64 = 3600;

/// `[video]` as written in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VideoFile {
    provider: Option<String>,
    base_url: Option<String>,
    app_id: Option<String>,
    audience: Option<String>,
}

/// A service's video provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provider {
    /// A self-hosted Jitsi Meet with token authentication.
    Jitsi {
        base_url: String,
        app_id: String,
        audience: String,
    },
    /// One waiting-area address for every appointment.
    Fixed { url: String },
}

impl VideoFile {
    /// The provider, or none when the section is absent; every problem as
    /// (field under `video.`, message).
    pub fn validate(self) -> Result<Option<Provider>, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let Some(provider) = self.provider else {
            if self.base_url.is_some() || self.app_id.is_some() || self.audience.is_some() {
                errors.push((
                    "video.provider".into(),
                    "\"jitsi\" or \"fixed\", with base_url".into(),
                ));
                return Err(errors);
            }
            return Ok(None);
        };
        let url = match self.base_url.as_deref().map(str::trim) {
            Some(u) if good_url(u) => Some(u.trim_end_matches('/').to_owned()),
            _ => {
                errors.push((
                    "video.base_url".into(),
                    format!(
                        "an https:// address of at most {MAX_URL_CHARS} characters, without spaces"
                    ),
                ));
                None
            }
        };
        let word = |v: &Option<String>, field: &str, errors: &mut Vec<(String, String)>| match v
            .as_deref()
            .map(str::trim)
        {
            Some(s)
                if !s.is_empty() && s.len() <= 100 && s.chars().all(|c| c.is_ascii_graphic()) =>
            {
                Some(s.to_owned())
            }
            _ => {
                errors.push((
                    format!("video.{field}"),
                    "one word of at most 100 letters, digits or punctuation".into(),
                ));
                None
            }
        };
        let provider = match provider.as_str() {
            "jitsi" => {
                let app_id = word(&self.app_id, "app_id", &mut errors);
                let audience = match &self.audience {
                    None => Some("jitsi".to_owned()),
                    some => word(some, "audience", &mut errors),
                };
                match (url, app_id, audience) {
                    (Some(base_url), Some(app_id), Some(audience)) => Some(Provider::Jitsi {
                        base_url,
                        app_id,
                        audience,
                    }),
                    _ => None,
                }
            }
            "fixed" => {
                if self.app_id.is_some() || self.audience.is_some() {
                    errors.push((
                        "video.app_id".into(),
                        "a fixed address takes no app_id or audience".into(),
                    ));
                }
                url.map(|url| Provider::Fixed { url })
            }
            other => {
                errors.push((
                    "video.provider".into(),
                    format!("{other:?} is not a provider: \"jitsi\" or \"fixed\""),
                ));
                None
            }
        };
        match provider {
            Some(p) if errors.is_empty() => Ok(Some(p)),
            _ => Err(errors),
        }
    }
}

fn good_url(u: &str) -> bool {
    u.strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        && u.chars().count() <= MAX_URL_CHARS
        && u.chars().all(|c| c.is_ascii_graphic())
        && !u.contains(['"', '<', '>', '\\'])
}

/// Why a link cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the Jitsi secret (video.jitsi_secret) is not configured")]
    NoSecret,
    #[error("the appointment has no video room")]
    NoRoom,
}

impl Provider {
    /// The Jitsi domain: the base address's host, the token's `sub`.
    pub fn domain(&self) -> &str {
        let url = match self {
            Provider::Jitsi { base_url, .. } => base_url,
            Provider::Fixed { url } => url,
        };
        let rest = url.strip_prefix("https://").unwrap_or(url);
        let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        host.rsplit_once('@')
            .map_or(host, |(_, h)| h)
            .split(':')
            .next()
            .unwrap_or(host)
    }

    /// Whether booking a video appointment can work with `secret` (Jitsi
    /// needs one).
    pub fn ready(&self, secret: Option<&[u8]>) -> Result<(), LinkError> {
        match (self, secret) {
            (Provider::Jitsi { .. }, None) => Err(LinkError::NoSecret),
            _ => Ok(()),
        }
    }

    /// The link to join the call in `room`, which ends at `ends_at`. For
    /// Jitsi, the room's address with `?jwt=` a token signed with `secret`.
    /// The same appointment always gets the same link.
    pub fn join_link(
        &self,
        room: Option<&str>,
        ends_at: Timestamp,
        secret: Option<&[u8]>,
    ) -> Result<String, LinkError> {
        match self {
            Provider::Fixed { url } => Ok(url.clone()),
            Provider::Jitsi {
                base_url,
                app_id,
                audience,
            } => {
                let room = room.ok_or(LinkError::NoRoom)?;
                let secret = secret.ok_or(LinkError::NoSecret)?;
                let claims = serde_json::json!({
                    "iss": app_id,
                    "aud": audience,
                    "sub": self.domain(),
                    "room": room,
                    "exp": ends_at.as_second() + TOKEN_GRACE_SECONDS,
                });
                let token = jwt::sign_hs256(&claims, secret);
                Ok(format!("{base_url}/{room}?jwt={token}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<Provider>, Vec<(String, String)>> {
        #[derive(Deserialize)]
        struct F {
            video: VideoFile,
        }
        toml::from_str::<F>(text).unwrap().video.validate()
    }

    #[test]
    fn jitsi_and_fixed_providers_are_read_and_checked() {
        let p = parse(
            "[video]\nprovider = \"jitsi\"\nbase_url = \"https://meet.example.org/\"\napp_id = \"bothy\"\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            p,
            Provider::Jitsi {
                base_url: "https://meet.example.org".into(),
                app_id: "bothy".into(),
                audience: "jitsi".into()
            }
        );
        assert_eq!(p.domain(), "meet.example.org");
        let f = parse("[video]\nprovider = \"fixed\"\nbase_url = \"https://nhs.example/wait\"\n")
            .unwrap()
            .unwrap();
        assert_eq!(
            f.join_link(None, Timestamp::UNIX_EPOCH, None).unwrap(),
            "https://nhs.example/wait"
        );
        for (bad, field) in [
            (
                "provider = \"zoom\"\nbase_url = \"https://z.example\"",
                "video.provider",
            ),
            (
                "provider = \"jitsi\"\nbase_url = \"http://meet.example.org\"\napp_id = \"b\"",
                "video.base_url",
            ),
            (
                "provider = \"jitsi\"\nbase_url = \"https://meet.example.org\"",
                "video.app_id",
            ),
            (
                "provider = \"fixed\"\nbase_url = \"https://x.example/a b\"",
                "video.base_url",
            ),
            ("base_url = \"https://x.example\"", "video.provider"),
        ] {
            let errors = parse(&format!("[video]\n{bad}\n")).unwrap_err();
            assert_eq!(errors[0].0, field, "{bad}: {errors:?}");
        }
        assert_eq!(parse("[video]\n").unwrap(), None);
    }

    #[test]
    fn a_jitsi_link_carries_a_token_that_verifies_with_the_secret() {
        let p = Provider::Jitsi {
            base_url: "https://meet.example.org".into(),
            app_id: "bothy".into(),
            audience: "jitsi".into(),
        };
        let end: Timestamp = "2026-12-08T10:50:00Z".parse().unwrap();
        assert_eq!(p.ready(None), Err(LinkError::NoSecret));
        assert_eq!(
            p.join_link(Some("bothy-abc"), end, None),
            Err(LinkError::NoSecret)
        );
        let link = p
            .join_link(Some("bothy-abc"), end, Some(b"s3cret"))
            .unwrap();
        assert_eq!(
            link,
            p.join_link(Some("bothy-abc"), end, Some(b"s3cret"))
                .unwrap()
        );
        let token = link
            .strip_prefix("https://meet.example.org/bothy-abc?jwt=")
            .unwrap();
        let claims = jwt::verify_hs256(token, b"s3cret").unwrap();
        assert_eq!(claims["iss"], "bothy");
        assert_eq!(claims["aud"], "jitsi");
        assert_eq!(claims["sub"], "meet.example.org");
        assert_eq!(claims["room"], "bothy-abc");
        assert_eq!(claims["exp"], end.as_second() + TOKEN_GRACE_SECONDS);
        assert!(jwt::verify_hs256(token, b"other").is_err());
    }
}
