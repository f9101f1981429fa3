//! Text messages through Kannel, the open-source SMS gateway: each message
//! is one `GET /cgi-bin/sendsms` to its smsbox, with a delivery-report URL
//! that brings the network's report back to Bothy
//! (`/sms/kannel/status?key=...&type=%d`, Kannel's `dlr-url` and
//! `dlr-mask`; Kannel user's guide, "Delivery reports"). Replies come in
//! through an `sms-service` that posts them to `/sms/kannel/inbound`
//! (bothy_web). Both callbacks carry the inbound secret as HTTP Basic
//! credentials in the URL, which Kannel sends as an Authorization header.
//!
//! Errors are sorted for the queue: no connection, a time-out or a 5xx
//! (smsbox's queue full) is temporary; a 4xx (a refused number, wrong
//! credentials) is permanent and shows in the dead-letter list. Nothing
//! logged names the number or the text.

use bothy_app::notify::{Delivery, Notifier, OutgoingMessage, SendError, SendFuture};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use std::time::Duration;

/// Kannel's delivery-report types asked for: delivered (1), failed (2),
/// buffered (4), accepted by the network (8) and refused by it (16).
pub const DLR_MASK: u8 = 31;

/// Where Kannel is and how Bothy is reached back.
#[derive(Clone)]
pub struct KannelSettings {
    /// smsbox's sendsms interface, `host:port`.
    pub sendsms: String,
    pub username: String,
    pub password: String,
    /// The number or name texts come from; smsbox's `global-sender` unset.
    pub sender: Option<String>,
    /// Bothy's address as Kannel reaches it, `http://host:port`.
    pub callback_base: String,
    /// The secret Kannel gives back on delivery reports and replies.
    pub inbound_secret: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for KannelSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KannelSettings")
            .field("sendsms", &self.sendsms)
            .field("username", &self.username)
            .field("callback_base", &self.callback_base)
            .finish_non_exhaustive()
    }
}

/// The Kannel notifier.
#[derive(Debug, Clone)]
pub struct KannelNotifier {
    settings: KannelSettings,
}

impl KannelNotifier {
    pub fn new(settings: KannelSettings) -> Result<Self, String> {
        if !settings.callback_base.starts_with("http://")
            && !settings.callback_base.starts_with("https://")
        {
            return Err("the callback address must start with http:// or https://".into());
        }
        Ok(Self { settings })
    }

    /// The sendsms request's path and query for `message`.
    pub fn request_path(&self, message: &OutgoingMessage) -> String {
        let s = &self.settings;
        let e = |v: &str| utf8_percent_encode(v, NON_ALPHANUMERIC).to_string();
        let (scheme, rest) = s
            .callback_base
            .trim_end_matches('/')
            .split_once("://")
            .unwrap_or(("http", &s.callback_base));
        let dlr_url = format!(
            "{scheme}://kannel:{}@{rest}/sms/kannel/status?key={}&type=%d",
            e(&s.inbound_secret),
            message.idempotency_key.as_str()
        );
        let mut query = format!(
            "username={}&password={}&to={}&text={}&charset=UTF-8&dlr-mask={DLR_MASK}&dlr-url={}",
            e(&s.username),
            e(&s.password),
            e(&message.to),
            e(&message.body),
            e(&dlr_url)
        );
        if let Some(from) = &s.sender {
            query.push_str(&format!("&from={}", e(from)));
        }
        format!("/cgi-bin/sendsms?{query}")
    }

    async fn send_now(&self, message: &OutgoingMessage) -> Result<Delivery, SendError> {
        let temporary = |what: &str| SendError::Temporary(format!("kannel: {what}"));
        let stream = tokio::net::TcpStream::connect(&self.settings.sendsms)
            .await
            .map_err(|e| temporary(&format!("cannot connect ({})", e.kind())))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|_| temporary("HTTP handshake failed"))?;
        tokio::spawn(conn);
        let request = Request::get(self.request_path(message))
            .header(hyper::header::HOST, &self.settings.sendsms)
            .body(Empty::<Bytes>::new())
            .map_err(|_| SendError::Permanent("kannel: the request cannot be made".into()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|_| temporary("no answer"))?;
        let status = response.status();
        // smsbox answers "0: Accepted for delivery" or "3: Queued for later
        // delivery"; its error text says what was wrong with the request.
        let body = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let said: String = String::from_utf8_lossy(&body).chars().take(80).collect();
        match status {
            s if s.is_success() => Ok(Delivery::Sent),
            s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => {
                Err(temporary(&format!("{s}: {said}")))
            }
            s => Err(SendError::Permanent(format!("kannel: {s}: {said}"))),
        }
    }
}

impl Notifier for KannelNotifier {
    fn send<'a>(&'a self, message: &'a OutgoingMessage) -> SendFuture<'a> {
        Box::pin(async move {
            tokio::time::timeout(self.settings.timeout, self.send_now(message))
                .await
                .unwrap_or_else(|_| Err(SendError::Temporary("kannel: timed out".into())))
        })
    }
}
