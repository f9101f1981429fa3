//! The concurrency suite: the same request (or conflicting ones) sent many
//! times at the same moment, through the router, by people with real
//! sessions and CSRF tokens, on both databases. Each scenario repeats a few
//! rounds and checks the end state: exactly one effect, no server
//! error, and every answer either the idempotent result (the same page the
//! first request got) or a 409 that says what happened.
//!
//! PostgreSQL runs these under READ COMMITTED on a pool of four connections,
//! so requests really interleave; SQLite queues writers for its one write
//! connection, where the same scenarios check that nothing read before the
//! write transaction is trusted. Each file's scenarios share one app (a fresh
//! database costs about a second on PostgreSQL).
//!
//! Routes covered, and what "one effect" means for each:
//! - `POST /staff/referrals/{id}/decision`: one patient, one episode, one
//!   activation link and one message per referral, whoever clicks how often;
//!   a different decision loses with a 409 (`decisions.rs`).
//! - `POST /staff/referrals/{id}/match`: one verdict per candidate
//!   (`decisions.rs`).
//! - `POST /refer/{token}/check` with `POST /refer/{token}/{step}`: sent once,
//!   one message, in the triage queue; an edit never reverts it,
//!   and edits of different steps at once all stay (`self_referral.rs`).
//! - `POST /staff/referrals/new` and `POST /fhir/ServiceRequest`: one referral
//!   per submission key (`self_referral.rs`).
//! - `POST /check-in`, `POST /measures/{instrument}` (send and "save for
//!   later") and `POST /fhir/QuestionnaireResponse`: one stored submission
//!   per idempotency key, one alert for a risk answer (`submissions.rs`).
//! - `POST /tools/thought-record` and `POST /tools/sleep-diary`: one entry
//!   per idempotency key, one alert for risk words (`tools.rs`).
//! - `POST /safety-plan/edit`: every save is a version by design, so N saves
//!   make versions 1..N with none lost or doubled (`submissions.rs`).
//! - `POST /activate/{token}`, `POST /enrol/{token}` and `POST /sign-in/code`:
//!   a link or a one-time code works once (`links.rs`).
//! - `POST /alerts/{id}/acknowledge`, `POST /alerts/{id}/close` and
//!   `POST /staff/episodes/{id}/discharge`: one transition, one audit event
//!   (`alerts.rs`).
//! - `POST /staff/patients/{id}/enrolments`, `POST /staff/enrolments/{enrolment}/unlock`,
//!   `POST /programme/{enrolment}/done` and the pause routes: one enrolment, one
//!   module opened, one completion, one pause (`programme_enrolments.rs`,
//!   beside the rest of the enrolment tests).
//! - `POST /messages`, `POST /messages/{thread}`, `POST
//!   /staff/patients/{id}/messages/{thread}` and its `/needs-clinician`: one
//!   thread, one message, one notice and one mark per key or click
//!   (`messages.rs`, beside the rest of the message tests).
//! - `POST /staff/enrolments/{enrolment}/review`: one review per key, and one
//!   per due date when two people complete it at once, the other a 409
//!   (`reviews.rs`, beside the rest of the review tests).
//! - `POST /staff/patients/{id}/appointments` and `POST
//!   /staff/appointments/{appointment}`: one appointment per form key, one per
//!   practitioner and start, one outcome when two clinicians record at once,
//!   the other a 409 (`appointments/mod.rs`, beside the rest of the
//!   appointment tests).
//! - `GET /staff/patients/{id}`, many at once: each read's audit event is
//!   stored once, before its answer, though reads' events commit together
//!   (`reads.rs`).
//! - Revoking an API client has no route (it is an administrator's command);
//!   the use case is called eight times at once instead: one revocation
//!   (`links.rs`).
//!
//! Left out, and why:
//! - `POST /refer` starts a new draft each time by design (there is nobody to
//!   recognise yet); the per-address limit bounds it.
//! - `POST /staff/episodes/{id}/contact` counts every contact recorded: it is
//!   a counter, not a transition, and the form carries no key that could
//!   tell a double click from a second appointment (see docs/concurrency.md).
//! - `POST /sign-in`, `POST /sign-out`, `POST /staff/service` and
//!   `POST /account/password` change only the caller's own session or
//!   credentials; each request is its own effect.

mod alerts;
mod decisions;
mod links;
mod reads;
mod self_referral;
mod submissions;
mod tools;

use crate::helpers::{Client, Resp, TestApp};
use std::future::Future;
use std::sync::Arc;

/// How many identical requests each round sends at once.
pub(super) const AT_ONCE: usize = 8;

/// How many rounds each test repeats.
pub(super) const ROUNDS: usize = 3;

/// Runs every request at the same moment, each in its own task, released
/// together once all are ready; returns the answers in the same order.
pub(super) async fn at_once<F, T>(requests: Vec<F>) -> Vec<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let gate = Arc::new(tokio::sync::Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|r| {
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.wait().await;
                r.await
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for t in tasks {
        answers.push(t.await.expect("a request panicked"));
    }
    answers
}

/// The same form, posted `n` times at once by one client (a double click,
/// or a form sent again by an impatient browser).
pub(super) async fn post_at_once(
    c: &Client,
    n: usize,
    path: &str,
    fields: &[(&str, &str)],
) -> Vec<Resp> {
    let fields = owned(fields);
    at_once(
        (0..n)
            .map(|_| post_owned(c.clone(), path.to_string(), fields.clone()))
            .collect(),
    )
    .await
}

pub(super) fn owned(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Posts a form (with the client's CSRF token), owning everything so that
/// it can run in its own task.
pub(super) async fn post_owned(c: Client, path: String, fields: Vec<(String, String)>) -> Resp {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form(&path, &pairs).await
}

/// Asserts that no answer is a server error, showing the first that is.
#[track_caller]
pub(super) fn no_server_errors(answers: &[Resp]) {
    if let Some(bad) = answers.iter().find(|r| r.status.is_server_error()) {
        panic!("a server error among {:?}: {}", statuses(answers), bad.body);
    }
}

pub(super) fn statuses(answers: &[Resp]) -> Vec<u16> {
    answers.iter().map(|r| r.status.as_u16()).collect()
}

/// Asserts that every answer redirects to `to`.
#[track_caller]
pub(super) fn all_redirect_to(answers: &[Resp], to: &str) {
    no_server_errors(answers);
    for r in answers {
        assert_eq!(
            r.location(),
            Some(to),
            "answers {:?}: {} {}",
            statuses(answers),
            r.status,
            r.body
        );
    }
}

/// How many audit events of `action` mention `about` in their detail
/// (`about` may hold `%` to match anything between two parts).
pub(crate) async fn audited(t: &TestApp, action: &'static str, about: &str) -> i64 {
    let like = format!("{action}|%{about}%");
    t.count(
        "SELECT COUNT(*) FROM audit_events WHERE action || '|' || COALESCE(detail, '') LIKE $1",
        &like,
    )
    .await
}
