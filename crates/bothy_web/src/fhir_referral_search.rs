//! `GET /fhir/ServiceRequest?...`: a sender follows its referrals' status
//! as triage decides. The same access as reading one (`referral.create`:
//! the referrals this client sent; `referral.read`: every sent referral of
//! the service), checked by `Referrals::search_for_client`.
//!
//! Parameters (each at most once; all given must hold):
//! - `identifier`: the sender's identifier, `system|value`, `|value` (sent
//!   without a system) or `value` (any system).
//! - `requester:identifier` (or `requester` with the same token): the ODS
//!   code of the requesting organisation, or the SDS user id or GMC number
//!   of the practitioner. Requesters are contained resources, which a
//!   reference cannot name from outside, so they are found by identifier.
//! - `subject` / `patient`: `Patient/{id}` (a referral accepted onto that
//!   record); `subject:identifier` / `patient:identifier`: an NHS number or
//!   CHI as sent.
//! - `status`: comma-separated FHIR request statuses, mapped as the
//!   resource writes them (`bothy_fhir::service_request`): `active` while
//!   waiting or in triage, `completed` once accepted, `revoked` when
//!   signposted or declined; other statuses find nothing.
//! - `_count` (default 50, more than 100 served as 100) and `_offset`.
//!
//! An unknown parameter is a 400, since ignoring it would answer a wider
//! search than asked; with `Prefer: handling=lenient` it is ignored and
//! named in an OperationOutcome entry (search mode `outcome`).

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::fhir::{base, error, fhir, field};
use crate::openapi::{Bundle, OperationOutcome};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use bothy_app::fhir_referrals::ReferralSearch;
use bothy_domain::identifiers::NhsNumber;
use bothy_domain::referral::Status;
use bothy_domain::referral::as_sent::{GMC, ODS, SDS_USER};
use bothy_fhir::bundle;
use bothy_fhir::service_request::{CHI_SYSTEMS, service_request_as_sent};
use serde_json::{Value, json};

const SR: &str = "ServiceRequest";
/// Matches considered by one search: paging goes no further.
const SEARCH_LIMIT: usize = 1000;

const KNOWN: [&str; 12] = [
    "identifier",
    "requester",
    "requester:identifier",
    "subject",
    "subject:identifier",
    "patient",
    "patient:identifier",
    "status",
    "_count",
    "_offset",
    "_format",
    "_sort",
];

fn bad(name: &str, message: impl Into<String>) -> WebError {
    error(
        StatusCode::BAD_REQUEST,
        "The search parameters need checking",
        vec![field(name, message)],
    )
}

pub(crate) fn lenient(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case("handling=lenient"))
}

/// A token `system|value`: (Some(system), value), `""` for `|value`; a
/// bare value is (None, value).
fn token(v: &str) -> (Option<String>, String) {
    match v.split_once('|') {
        Some((s, v)) => (Some(s.to_string()), v.to_string()),
        None => (None, v.to_string()),
    }
}

/// The domain statuses a FHIR status stands for (as the resource writes them).
fn statuses(fhir_status: &str) -> Option<&'static [Status]> {
    match fhir_status {
        "active" => Some(&[Status::Received, Status::InfoRequested]),
        "completed" => Some(&[Status::Accepted]),
        "revoked" => Some(&[Status::Signposted, Status::Declined]),
        "draft" | "on-hold" | "entered-in-error" | "unknown" => Some(&[]),
        _ => None,
    }
}

/// Reads the parameters into a search; `Ok(None)` when they can match nothing.
fn read(pairs: &[(String, String)], base: &str) -> Result<Option<ReferralSearch>, WebError> {
    let mut q = ReferralSearch::default();
    let one = |name: &str| -> Result<Option<&str>, WebError> {
        let mut it = pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        let first = it.next();
        if it.next().is_some() {
            return Err(bad(name, format!("Give {name} once")));
        }
        Ok(first)
    };
    if let Some(v) = one("identifier")? {
        let (system, value) = token(v);
        if value.is_empty() {
            return Err(bad("identifier", "Give the identifier as system|value"));
        }
        q.identifier = Some((system, value));
    }
    for name in ["requester", "requester:identifier"] {
        let Some(v) = one(name)? else { continue };
        match token(v) {
            (Some(s), value) if s == ODS && !value.is_empty() => q.ods = Some(value),
            (Some(s), value) if (s == SDS_USER || s == GMC) && !value.is_empty() => {
                q.practitioner = Some((s, value))
            }
            _ => {
                return Err(bad(
                    name,
                    format!(
                        "Find a requester by its identifier: {ODS}|{{ODS code}}, \
                         {SDS_USER}|{{id}} or {GMC}|{{number}}"
                    ),
                ));
            }
        }
    }
    for name in ["subject", "patient"] {
        if let Some(v) = one(name)? {
            let rel = v
                .strip_prefix(base)
                .and_then(|s| s.strip_prefix('/'))
                .unwrap_or(v);
            let id = rel.strip_prefix("Patient/").unwrap_or(rel);
            match id.parse() {
                Ok(p) => q.patient = Some(p),
                // An id that cannot exist names nobody.
                Err(_) => return Ok(None),
            }
        }
        let name = format!("{name}:identifier");
        if let Some(v) = one(&name)? {
            match token(v) {
                (Some(s), value) if s == NhsNumber::FHIR_SYSTEM => q.nhs_number = Some(value),
                (Some(s), value) if CHI_SYSTEMS.contains(&s.as_str()) => q.chi = Some(value),
                _ => {
                    return Err(bad(
                        &name,
                        format!(
                            "Find a person by NHS number ({}|{{number}}) or CHI ({}|{{number}})",
                            NhsNumber::FHIR_SYSTEM,
                            CHI_SYSTEMS[1]
                        ),
                    ));
                }
            }
        }
    }
    if let Some(v) = one("status")? {
        for s in v.split(',') {
            match statuses(s.trim()) {
                Some(list) => q.statuses.extend_from_slice(list),
                None => {
                    return Err(bad(
                        "status",
                        format!(
                            "{s:?} is not a request status: active (waiting for triage), \
                             completed (accepted), revoked (signposted or declined)"
                        ),
                    ));
                }
            }
        }
        if q.statuses.is_empty() {
            return Ok(None);
        }
    }
    if let Some(v) = one("_sort")?
        && v != "-authored"
    {
        return Err(bad("_sort", "Results come newest first (-authored) only"));
    }
    q.limit = SEARCH_LIMIT as i64;
    Ok(Some(q))
}

/// `GET /fhir/ServiceRequest`.
#[utoipa::path(
    get,
    path = "/fhir/ServiceRequest",
    tag = "fhir",
    summary = "Find referrals and follow their status",
    params(
        ("identifier" = Option<String>, Query, description = "The sender's identifier: `system|value`, `|value` or `value`"),
        ("requester:identifier" = Option<String>, Query, description = "The requester's ODS code, SDS user id or GMC number as `system|value` (`requester` is read the same way)"),
        ("subject" = Option<String>, Query, description = "`Patient/{id}`: referrals accepted onto this record (`patient` is the same)"),
        ("subject:identifier" = Option<String>, Query, description = "The person's NHS number or CHI as `system|value` (`patient:identifier` is the same)"),
        ("status" = Option<String>, Query, description = "Comma-separated: `active` (waiting for triage), `completed` (accepted), `revoked` (signposted or declined)"),
        ("_count" = Option<u32>, Query, description = "Results per page (default 50; more than 100 is served as 100)"),
        ("_offset" = Option<u32>, Query, maximum = 1000, description = "Results to skip"),
        ("_format" = Option<String>, Query, description = "JSON only"),
    ),
    responses(
        (status = 200, description = "A searchset Bundle of ServiceRequests, newest first", body = Bundle, content_type = "application/fhir+json"),
        (status = 400, description = "The search parameters need checking, or one is not supported (unless `Prefer: handling=lenient`)", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn service_request_search(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "The search parameters could not be read",
                Vec::new(),
            )
        })?;
    let (known, unknown): (Vec<_>, Vec<_>) = pairs
        .into_iter()
        .partition(|(k, _)| KNOWN.contains(&k.as_str()));
    let supported = KNOWN.join(", ");
    if !unknown.is_empty() && !lenient(&headers) {
        let fields = unknown
            .iter()
            .map(|(k, _)| {
                field(
                    k.clone(),
                    format!("{k} is not a supported search parameter here; supported: {supported}"),
                )
            })
            .collect();
        return Err(error(
            StatusCode::BAD_REQUEST,
            "Unsupported search parameters",
            fields,
        ));
    }
    let base = base(&state);
    let value = |name: &str| {
        known
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let whole = |name: &str| bad(name, format!("{name} must be a whole number, 0 or more"));
    let count = crate::fhir::page_size(value("_count")).ok_or_else(|| whole("_count"))?;
    let offset = match value("_offset") {
        None => 0,
        Some(v) => crate::fhir::whole_number(v).ok_or_else(|| whole("_offset"))?,
    };
    if offset > SEARCH_LIMIT {
        return Err(bad(
            "_offset",
            format!("_offset must be {SEARCH_LIMIT} or less: narrow the search"),
        ));
    }
    let found = match read(&known, &base)? {
        Some(q) => {
            state
                .app
                .referrals()
                .search_for_client(&ctx.actor, q, &ctx.request)
                .await?
        }
        None => Vec::new(),
    };
    let total = found.len();
    let entries: Vec<(String, Value)> = found
        .iter()
        .skip(offset)
        .take(count)
        .map(|(r, sent)| {
            (
                format!("{base}/{SR}/{}", r.id),
                service_request_as_sent(&base, r, sent.as_ref(), state.app.catalogue()),
            )
        })
        .collect();
    let link = |offset: usize| {
        let mut q: Vec<(&str, String)> = known
            .iter()
            .filter(|(k, _)| k != "_count" && k != "_offset")
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        q.push(("_count", count.to_string()));
        if offset > 0 {
            q.push(("_offset", offset.to_string()));
        }
        format!(
            "{base}/{SR}?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        )
    };
    let next = (count > 0 && offset + count < total).then(|| link(offset + count));
    let mut v = bundle::searchset(&link(offset), total, entries, next.as_deref());
    if !unknown.is_empty() {
        let issues: Vec<Value> = unknown
            .iter()
            .map(|(k, _)| {
                json!({
                    "severity": "warning",
                    "code": "not-supported",
                    "diagnostics": format!("{k} is not a supported search parameter here and was ignored; supported: {supported}"),
                })
            })
            .collect();
        let outcome = json!({
            "resource": { "resourceType": "OperationOutcome", "issue": issues },
            "search": { "mode": "outcome" },
        });
        match v["entry"].as_array_mut() {
            Some(e) => e.push(outcome),
            None => v["entry"] = json!([outcome]),
        }
    }
    Ok(fhir(StatusCode::OK, &v))
}

/// Conditional create (`If-None-Exist: identifier=...`): the referral the
/// sender's identifier already names among those this client may read, if
/// one; `None` (create it) if none; 412 if several (the same identifier
/// from two senders, seen by a client holding `referral.read`). Only
/// `identifier` is searched: it is what a sender knows its referral by.
pub(crate) async fn if_none_exist(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
) -> Result<
    Option<(
        bothy_domain::referral::Referral,
        Option<bothy_domain::referral::as_sent::AsSent>,
    )>,
    WebError,
> {
    let Some(search) = crate::fhir_versions::if_none_exist(headers)? else {
        return Ok(None);
    };
    let bad = |message: &str| {
        error(
            StatusCode::BAD_REQUEST,
            "If-None-Exist needs checking; nothing was stored",
            vec![field("If-None-Exist", message)],
        )
    };
    let identifier = match search.as_slice() {
        [(k, v)] if k == "identifier" => token(v),
        _ => {
            return Err(bad(
                "A conditional create of a ServiceRequest searches by identifier alone, \
                 such as identifier=https://example.org/referrals|R123",
            ));
        }
    };
    if identifier.1.is_empty() {
        return Err(bad("Give the identifier as system|value"));
    }
    let q = ReferralSearch {
        identifier: Some(identifier),
        limit: 2,
        ..ReferralSearch::default()
    };
    let mut found = state
        .app
        .referrals()
        .search_for_client(&ctx.actor, q, &ctx.request)
        .await?;
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(error(
            StatusCode::PRECONDITION_FAILED,
            "If-None-Exist matches more than one ServiceRequest; nothing was stored",
            vec![field("If-None-Exist", "Give the identifier's system too")],
        )),
    }
}
