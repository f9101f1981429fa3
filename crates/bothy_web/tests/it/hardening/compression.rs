//! Responses are compressed (gzip or Brotli, as the client accepts) with
//! every security header kept; and since a compressed page's size could
//! otherwise hint at a secret in it (BREACH), the CSRF token in a page is
//! masked afresh on every response.

use crate::both_dbs;
use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::{Request, header};
use std::io::Read;
use tower::ServiceExt;

both_dbs!(
    pages_are_compressed_with_their_security_headers,
    the_csrf_token_differs_on_every_page_and_each_works,
);

async fn fetch(t: &TestApp, path: &str, accept: Option<&str>) -> (axum::http::HeaderMap, Vec<u8>) {
    let mut req = Request::get(path);
    if let Some(a) = accept {
        req = req.header(header::ACCEPT_ENCODING, a);
    }
    let res = t
        .router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    (headers, body)
}

fn text(encoding: Option<&str>, body: &[u8]) -> String {
    let mut out = String::new();
    match encoding {
        Some("gzip") => {
            flate2::read::GzDecoder::new(body)
                .read_to_string(&mut out)
                .unwrap();
        }
        Some("br") => {
            brotli_decompressor::Decompressor::new(body, 4096)
                .read_to_string(&mut out)
                .unwrap();
        }
        _ => out = String::from_utf8(body.to_vec()).unwrap(),
    }
    out
}

async fn pages_are_compressed_with_their_security_headers(t: TestApp) {
    let (plain_headers, plain) = fetch(&t, "/sign-in", None).await;
    assert!(plain_headers.get(header::CONTENT_ENCODING).is_none());
    for (accept, want) in [("gzip", "gzip"), ("br", "br"), ("gzip, deflate, br", "br")] {
        for path in ["/sign-in", "/static/app.css", "/no/such/page"] {
            let (h, body) = fetch(&t, path, Some(accept)).await;
            assert_eq!(
                h.get(header::CONTENT_ENCODING)
                    .and_then(|v| v.to_str().ok()),
                Some(want),
                "{path} with {accept}"
            );
            assert!(
                h.get(header::VARY)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
                "{path}"
            );
            for name in [
                "content-security-policy",
                "x-content-type-options",
                "x-frame-options",
                "referrer-policy",
                "cache-control",
                "x-request-id",
            ] {
                assert!(h.contains_key(name), "{path} with {accept} lost {name}");
            }
            let page = text(Some(want), &body);
            if path != "/static/app.css" {
                assert!(page.contains("id=\"crisis\""), "{path}: {page}");
            }
        }
    }
    let (_, gz) = fetch(&t, "/sign-in", Some("gzip")).await;
    assert!(
        gz.len() * 2 < plain.len(),
        "{} vs {}",
        gz.len(),
        plain.len()
    );
}

async fn the_csrf_token_differs_on_every_page_and_each_works(t: TestApp) {
    let c = t.client();
    c.get("/sign-in").await.ok();
    let first = c.csrf();
    c.get("/sign-in").await.ok();
    let second = c.csrf();
    assert_ne!(first, second, "the same secret, masked differently");
    let s = t.staff("analyst").clone();
    for token in [first, second] {
        let body = serde_urlencoded::to_string([
            ("csrf_token", token.as_str()),
            ("email", s.email.as_str()),
            ("password", "not the password"),
        ])
        .unwrap();
        c.post_raw(
            "/sign-in",
            "application/x-www-form-urlencoded",
            body.into_bytes(),
        )
        .await
        .status(401);
    }
    // A token of another session does not work here.
    let other = t.client();
    other.get("/sign-in").await.ok();
    let body = serde_urlencoded::to_string([
        ("csrf_token", other.csrf().as_str()),
        ("email", s.email.as_str()),
        ("password", "x"),
    ])
    .unwrap();
    c.post_raw(
        "/sign-in",
        "application/x-www-form-urlencoded",
        body.into_bytes(),
    )
    .await
    .status(403);
}
