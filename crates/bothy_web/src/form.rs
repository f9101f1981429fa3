//! Form bodies, decoded strictly. A name or value that is not UTF-8, raw or
//! percent-encoded, makes the whole form a 400 that says so; a lenient
//! decoder (axum's `Form`, which clippy's `disallowed-types` keeps out)
//! would store U+FFFD replacement characters in its place instead.

use crate::error::WebError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::de::DeserializeOwned;

/// A form body (`application/x-www-form-urlencoded`), every part UTF-8.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, WebError> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';').next().is_some_and(|m| {
                    m.trim()
                        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                })
            });
        if !is_form {
            return Err(WebError::status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| WebError::status(e.into_response().status()))?;
        if !is_utf8_form(&body) {
            return Err(WebError {
                message: "The form could not be read: some of what was sent is not UTF-8 text. \
                          Go back, check what you typed (or pasted) and try again."
                    .into(),
                ..WebError::status(StatusCode::BAD_REQUEST)
            });
        }
        serde_urlencoded::from_bytes(&body)
            .map(Form)
            .map_err(|_| WebError::status(StatusCode::UNPROCESSABLE_ENTITY))
    }
}

/// Whether every name and value of a form body decodes to UTF-8.
pub fn is_utf8_form(body: &[u8]) -> bool {
    body.split(|b| *b == b'&').all(|pair| {
        pair.split(|b| *b == b'=')
            .all(|part| percent_encoding::percent_decode(part).decode_utf8().is_ok())
    })
}

#[cfg(test)]
mod tests {
    use super::is_utf8_form;

    #[test]
    fn only_utf8_forms_pass() {
        for good in [
            &b"a=1&b=two+words&c=%C3%A9t%C3%A9"[..],
            b"name=Zo%C3%AB&empty=&flag",
            "raw=Zoë".as_bytes(),
            b"odd=%zz&pct=%",
            b"",
        ] {
            assert!(is_utf8_form(good), "{good:?}");
        }
        for bad in [
            &b"a=%FF"[..],
            b"a=%C3%28",
            b"%ED%A0%80=x",
            b"a=\xff\xfe",
            b"a=ok&b=%C3",
        ] {
            assert!(!is_utf8_form(bad), "{bad:?}");
        }
    }
}
