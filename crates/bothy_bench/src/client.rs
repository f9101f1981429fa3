//! A minimal HTTP/1.1 client for the load generator: one keep-alive
//! connection per simulated client (hyper's connection-level API, no pool),
//! a cookie jar, and the CSRF token read from the last page that had one.
//! It reads the status, the cookies and the body, nothing more, so that it
//! costs the two shared cores as little as possible.

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub struct Conn {
    addr: SocketAddr,
    /// The local address connections come from (the server throttles
    /// sign-ins per client address), or the system's choice.
    source: Option<IpAddr>,
    sender: SendRequest<Full<Bytes>>,
    cookies: BTreeMap<String, String>,
    csrf: Option<String>,
    bearer: Option<String>,
}

/// What a request returned.
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: Bytes,
}

impl Answer {
    /// 2xx, or a redirect (forms answer with 303 to the result page).
    pub fn is_success(&self) -> bool {
        self.status.is_success() || self.status.is_redirection()
    }
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Conn> {
        Conn::open_from(addr, None).await
    }

    /// A connection from the local address `source` (see [`source_address`]).
    pub async fn open_from(addr: SocketAddr, source: Option<IpAddr>) -> anyhow::Result<Conn> {
        let sender = handshake(addr, source).await?;
        Ok(Conn {
            addr,
            source,
            sender,
            cookies: BTreeMap::new(),
            csrf: None,
            bearer: None,
        })
    }

    /// A connection that sends `Authorization: Bearer {token}`.
    pub fn with_bearer(mut self, token: &str) -> Self {
        self.bearer = Some(format!("Bearer {token}"));
        self
    }

    pub fn csrf(&self) -> String {
        self.csrf.clone().unwrap_or_default()
    }

    pub async fn get(&mut self, path: &str) -> anyhow::Result<Answer> {
        self.send(Method::GET, path, None, Bytes::new()).await
    }

    /// Posts a form with the session's CSRF token, as a browser would.
    pub async fn post_form(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> anyhow::Result<Answer> {
        let csrf = self.csrf();
        let mut all = vec![("csrf_token", csrf.as_str())];
        all.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&all).context("cannot encode a form")?;
        self.send(
            Method::POST,
            path,
            Some("application/x-www-form-urlencoded"),
            Bytes::from(body),
        )
        .await
    }

    pub async fn post_json(
        &mut self,
        path: &str,
        content_type: &str,
        body: String,
    ) -> anyhow::Result<Answer> {
        self.send(Method::POST, path, Some(content_type), Bytes::from(body))
            .await
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Bytes,
    ) -> anyhow::Result<Answer> {
        if self.sender.ready().await.is_err() {
            // The server closed the connection (an error answer may do so): open another.
            self.sender = handshake(self.addr, self.source).await?;
        }
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.addr.to_string());
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        if let Some(b) = &self.bearer {
            req = req.header(header::AUTHORIZATION, b.as_str());
        }
        if !self.cookies.is_empty() {
            let cookie: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header(header::COOKIE, cookie.join("; "));
        }
        let req = req
            .body(Full::new(body))
            .context("cannot build a request")?;
        let res = self
            .sender
            .send_request(req)
            .await
            .context("request failed")?;
        let status = res.status();
        for sc in res.headers().get_all(header::SET_COOKIE) {
            let Ok(sc) = sc.to_str() else { continue };
            let (pair, attrs) = sc.split_once(';').unwrap_or((sc, ""));
            let Some((k, v)) = pair.split_once('=') else {
                continue;
            };
            if v.is_empty() || attrs.to_ascii_lowercase().contains("max-age=0") {
                self.cookies.remove(k.trim());
            } else {
                self.cookies.insert(k.trim().to_string(), v.to_string());
            }
        }
        let location = res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = res
            .into_body()
            .collect()
            .await
            .context("cannot read an answer")?
            .to_bytes();
        if let Some(token) = find_csrf(&body) {
            self.csrf = Some(token);
        }
        Ok(Answer {
            status,
            location,
            body,
        })
    }
}

async fn handshake(
    addr: SocketAddr,
    source: Option<IpAddr>,
) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = match source {
        None => tokio::net::TcpStream::connect(addr).await,
        Some(ip) => {
            let socket = match ip {
                IpAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
                IpAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
            }?;
            socket.bind(SocketAddr::new(ip, 0))?;
            socket.connect(addr).await
        }
    }
    .with_context(|| format!("cannot connect to {addr}"))?;
    stream.set_nodelay(true).ok();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP handshake failed")?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// The hidden CSRF field's value in an HTML page.
fn find_csrf(body: &[u8]) -> Option<String> {
    const MARK: &[u8] = b"name=\"csrf_token\" value=\"";
    let at = body.windows(MARK.len()).position(|w| w == MARK)? + MARK.len();
    let end = body[at..].iter().position(|&b| b == b'"')?;
    String::from_utf8(body[at..at + end].to_vec()).ok()
}

/// Fails unless the answer is a redirect to `to`.
pub fn expect_redirect(a: &Answer, to: &str, what: &str) -> anyhow::Result<()> {
    if a.status.is_redirection() && a.location.as_deref() == Some(to) {
        return Ok(());
    }
    bail!(
        "{what}: expected a redirect to {to}, got {} to {:?}",
        a.status,
        a.location
    )
}

impl Conn {
    /// Another connection carrying the same session (cookies, CSRF token, token).
    pub async fn open_like(&self) -> anyhow::Result<Conn> {
        let mut c = Conn::open_from(self.addr, self.source).await?;
        c.cookies = self.cookies.clone();
        c.csrf = self.csrf.clone();
        c.bearer = self.bearer.clone();
        Ok(c)
    }
}

/// The `k`th of many distinct loopback addresses (127.1.0.1 onwards), so
/// that a server on 127.0.0.1 sees clients at different addresses. Linux
/// routes all of 127.0.0.0/8 to the loopback interface; see [`sources_work`].
pub fn source_address(k: u32) -> IpAddr {
    let k = k % (250 * 250 * 250);
    let [a, b, c] = [k / 62_500, (k / 250) % 250, k % 250].map(|x| x as u8);
    IpAddr::V4(Ipv4Addr::new(127, 1 + a, b, 1 + c))
}

/// Whether this machine lets a connection come from [`source_address`]es
/// (Linux does; some systems only have 127.0.0.1).
pub fn sources_work() -> bool {
    tokio::net::TcpSocket::new_v4()
        .and_then(|s| s.bind(SocketAddr::new(source_address(0), 0)))
        .is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn source_addresses_are_distinct_loopback_addresses() {
        let all: std::collections::BTreeSet<_> = (0..70_000).map(super::source_address).collect();
        assert_eq!(all.len(), 70_000);
        assert!(all.iter().all(|a| a.is_loopback()));
    }

    #[test]
    fn finds_the_csrf_field() {
        let page =
            br#"<form><input type="hidden" name="csrf_token" value="ab12"><input name="x"></form>"#;
        assert_eq!(super::find_csrf(page).as_deref(), Some("ab12"));
        assert_eq!(super::find_csrf(b"<p>none</p>"), None);
    }
}
