//! FHIR search for a data platform: `GET /fhir/Patient`,
//! `GET /fhir/QuestionnaireResponse` and `GET /fhir/Observation` over the
//! client's service (`patient.read` opens all of its patients, so no
//! patient need be named), with `_include` / `_revinclude` between them.
//!
//! Every search also takes:
//! - `_count` (default 50; more than 100 is served as 100);
//! - `_cursor`, from a `next` link: keyset paging (the last row's sort time
//!   and id), so a response stored between two pages is never served twice
//!   and never pushes another out of sight. A feed follows new data with
//!   `_sort=_lastUpdated` (oldest first), where new rows come at the end;
//! - `_total`: `accurate` (or `estimate`) counts every match, `none` does
//!   not (`_totalMethod=count`, which fhirpy's `count()` sends, is read as
//!   `accurate`); by default a search naming one patient is counted (a few hundred
//!   rows at most) and a service-wide one is not, since counting reads
//!   every match while a page reads only its own rows;
//! - `_summary`: `count` (the total alone), `true` (summary elements),
//!   `false`; `_elements`: the elements wanted. Both mark what they cut
//!   `SUBSETTED` and keep what a resource cannot be without, and apply to
//!   matches, not to included resources;
//! - `Prefer: handling=lenient`: a parameter (or `_include` value) not
//!   supported is ignored and named in an OperationOutcome entry (search
//!   mode `outcome`); otherwise it is refused with 400, since ignoring it
//!   would answer a wider search than asked. A supported parameter with a
//!   value that cannot be read is a 400 either way.
//!
//! A search naming a patient the client may not see answers 404, exactly
//! like one naming nobody. Each search is one audited read
//! (`bothy_app::fhir_search`).

use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::fhir::{base, error, fhir, field, not_found, or_not_found, query_pairs, with_query};
use crate::fhir_referral_search::lenient;
use crate::fhir_versions;
use crate::openapi::{Bundle, OperationOutcome};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use bothy_app::fhir_search::{
    Extras, IdentifiedPatient, PatientSearch, ResponseOrder, ResponseSearch,
};
use bothy_domain::PatientId;
use bothy_domain::identifiers::NhsNumber;
use bothy_domain::instruments::Instrument;
use bothy_domain::model::MeasureResponse;
use bothy_domain::time::Timestamp;
use bothy_fhir::bundle::{self, Page, warning};
use bothy_fhir::codes::total_coding;
use bothy_fhir::cursor::Cursor;
use bothy_fhir::observation::total_observation;
use bothy_fhir::questionnaire::{canonical_url, questionnaire};
use bothy_fhir::response::questionnaire_response;
use bothy_fhir::search::{TimeRange, date_params, day_params};
use bothy_fhir::service_request::CHI_SYSTEMS;
use bothy_fhir::subset::{Subset, subset};
use serde_json::Value;

/// What every search here takes besides its own parameters.
const COMMON: [&str; 8] = [
    "_count",
    "_cursor",
    "_total",
    "_totalMethod",
    "_summary",
    "_elements",
    "_sort",
    "_format",
];

const QR_PARAMS: [&str; 6] = [
    "subject",
    "patient",
    "questionnaire",
    "authored",
    "status",
    "_lastUpdated",
];
const QR_INCLUDES: [&str; 3] = [
    "QuestionnaireResponse:subject",
    "QuestionnaireResponse:patient",
    "QuestionnaireResponse:questionnaire",
];
const OBS_PARAMS: [&str; 6] = [
    "subject",
    "patient",
    "code",
    "date",
    "status",
    "_lastUpdated",
];
const OBS_INCLUDES: [&str; 3] = [
    "Observation:subject",
    "Observation:patient",
    "Observation:derived-from",
];
const PATIENT_PARAMS: [&str; 6] = [
    "identifier",
    "name",
    "family",
    "given",
    "birthdate",
    "_lastUpdated",
];
const PATIENT_REVINCLUDES: [&str; 4] = [
    "QuestionnaireResponse:subject",
    "QuestionnaireResponse:patient",
    "Observation:subject",
    "Observation:patient",
];

fn bad(name: &str, message: impl Into<String>) -> WebError {
    error(
        StatusCode::BAD_REQUEST,
        "The search parameters need checking",
        vec![field(name, message)],
    )
}

/// A search's parameters: those understood, and those lenient handling
/// ignored, with why.
struct Read {
    known: Vec<(String, String)>,
    ignored: Vec<(String, String)>,
}

impl Read {
    /// Sorts the query into understood and not; anything not understood is
    /// a 400 unless the client asked for lenient handling. `include` is the
    /// include parameter this search takes and its supported values.
    fn new(
        raw: Option<&str>,
        headers: &HeaderMap,
        own: &[&str],
        include: (&str, &[&str]),
    ) -> Result<Read, WebError> {
        let (include_name, includes) = include;
        let mut supported: Vec<&str> = own.to_vec();
        supported.extend(COMMON);
        supported.push(include_name);
        let mut read = Read {
            known: Vec::new(),
            ignored: Vec::new(),
        };
        for (k, v) in query_pairs(raw)? {
            if k == include_name && !includes.contains(&v.as_str()) {
                let why = format!(
                    "{k}={v} is not supported here; supported: {}",
                    includes.join(", ")
                );
                read.ignored.push((k, why));
            } else if supported.contains(&k.as_str()) {
                read.known.push((k, v));
            } else {
                let why = format!(
                    "{k} is not a supported search parameter here; supported: {}",
                    supported.join(", ")
                );
                read.ignored.push((k, why));
            }
        }
        if !read.ignored.is_empty() && !lenient(headers) {
            let fields = read
                .ignored
                .iter()
                .map(|(k, why)| field(k.clone(), why.clone()))
                .collect();
            return Err(error(
                StatusCode::BAD_REQUEST,
                "Unsupported search parameters",
                fields,
            ));
        }
        Ok(read)
    }

    fn values(&self, name: &str) -> Vec<&str> {
        self.known
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn one(&self, name: &str) -> Result<Option<&str>, WebError> {
        match self.values(name).as_slice() {
            [] => Ok(None),
            [v] => Ok(Some(*v)),
            _ => Err(bad(name, format!("Give {name} once"))),
        }
    }

    /// Comma-separated values of a parameter given at most once.
    fn list(&self, name: &str) -> Result<Option<Vec<&str>>, WebError> {
        Ok(self
            .one(name)?
            .map(|v| v.split(',').map(str::trim).collect()))
    }

    fn dates(&self, name: &str) -> Result<TimeRange, WebError> {
        date_params(&self.values(name)).map_err(|m| bad(name, m))
    }

    /// The patient named by `subject` or `patient`: `None` when neither
    /// is given, `Some(None)` when the id names nobody.
    fn patient(&self, base: &str) -> Result<Option<Option<PatientId>>, WebError> {
        let given: Vec<&str> = self
            .values("subject")
            .into_iter()
            .chain(self.values("patient"))
            .collect();
        let subject = match given.as_slice() {
            [] => return Ok(None),
            [s] => *s,
            _ => return Err(bad("subject", "Give one subject (or patient), once")),
        };
        let relative = subject
            .strip_prefix(base)
            .and_then(|s| s.strip_prefix('/'))
            .unwrap_or(subject);
        let id = match relative.split_once('/') {
            Some(("Patient", id)) => id,
            None => relative,
            Some(_) => {
                return Err(bad(
                    "subject",
                    "Only patients have measures here: subject=Patient/{id}",
                ));
            }
        };
        Ok(Some(id.parse().ok()))
    }

    /// The warnings for what was ignored.
    fn warnings(&self) -> Vec<Value> {
        self.ignored
            .iter()
            .map(|(_, why)| warning("not-supported", format!("Ignored: {why}")))
            .collect()
    }

    fn includes(&self, name: &str) -> Vec<&str> {
        self.values(name)
    }
}

/// How a search's page is shaped: its size, where it starts, what is
/// counted and how much of each resource is served.
struct Shape {
    count: usize,
    cursor: Option<Cursor>,
    total: bool,
    no_rows: bool,
    subset: Subset,
}

fn shape(read: &Read, order: &str, names_patient: bool) -> Result<Shape, WebError> {
    let count = crate::fhir::page_size(read.one("_count")?)
        .ok_or_else(|| bad("_count", "_count must be a whole number, 0 or more"))?;
    let cursor = match read.one("_cursor")? {
        None => None,
        Some(v) => {
            let c = Cursor::decode(v).ok_or_else(|| {
                bad(
                    "_cursor",
                    "This cursor was not given by this search: follow the next link as it is",
                )
            })?;
            if c.order != order {
                return Err(bad(
                    "_cursor",
                    "This cursor belongs to a search in another order: follow the next link as it is",
                ));
            }
            Some(c)
        }
    };
    let mut total = match read.one("_total")? {
        None => names_patient,
        Some("none") => false,
        Some("accurate" | "estimate") => true,
        Some(_) => return Err(bad("_total", "_total is none, estimate or accurate")),
    };
    // Aidbox's name for it, which fhirpy's `count()` sends.
    match read.one("_totalMethod")? {
        None => {}
        Some("count" | "estimate") => total = true,
        Some("none") => total = false,
        Some(_) => {
            return Err(bad(
                "_totalMethod",
                "_totalMethod is count, estimate or none (or give _total)",
            ));
        }
    }
    let mut no_rows = count == 0;
    let mut how = Subset::Full;
    match read.one("_summary")? {
        None | Some("false") => {}
        Some("true") => how = Subset::Summary,
        Some("count") => no_rows = true,
        Some(_) => {
            return Err(bad(
                "_summary",
                "_summary is count, true or false here (text and data are not served)",
            ));
        }
    }
    // A count asked for without matches is what the total is for.
    total |= no_rows;
    if let Some(list) = read.list("_elements")? {
        if how != Subset::Full {
            return Err(bad(
                "_elements",
                "Give _elements or _summary=true, not both",
            ));
        }
        let names: Vec<String> = list
            .into_iter()
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect();
        let readable = names.iter().all(|n| {
            n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'[' | b']'))
        });
        if names.is_empty() || !readable {
            return Err(bad(
                "_elements",
                "_elements is a comma-separated list of element names, such as status,subject",
            ));
        }
        how = Subset::Elements(names);
    }
    Ok(Shape {
        count,
        cursor,
        total,
        no_rows,
        subset: how,
    })
}

/// The `self` and `next` links: the understood parameters as given (the
/// cursor only in `self`), `_count` as served.
fn links(url: &str, read: &Read, shape: &Shape, next: Option<Cursor>) -> (String, Option<String>) {
    let mut q: Vec<(&str, String)> = read
        .known
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "_count" | "_cursor" | "_format"))
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    q.push(("_count", shape.count.to_string()));
    let mut this = q.clone();
    if let Some(c) = &shape.cursor {
        this.push(("_cursor", c.encode()));
    }
    let next = next.map(|c| {
        q.push(("_cursor", c.encode()));
        with_query(url, &q)
    });
    (with_query(url, &this), next)
}

fn extras(shape: &Shape, related: bool) -> Extras {
    Extras {
        total: shape.total,
        no_rows: shape.no_rows,
        related,
    }
}

/// A FHIR Patient with its identifiers, versioned by what it says and last
/// updated when the record was made (the only time it keeps): the read
/// and every search serve the same resource.
pub(crate) fn patient_resource(p: &IdentifiedPatient) -> Value {
    let mut v =
        bothy_fhir::patient_identified(&p.patient, p.nhs_number.as_deref(), p.chi.as_deref());
    v["meta"]["lastUpdated"] = serde_json::json!(bothy_fhir::instant(p.patient.created_at));
    fhir_versions::versioned(&v).into_owned()
}

fn patient_entry(base: &str, p: &IdentifiedPatient) -> (String, Value) {
    (
        format!("{base}/Patient/{}", p.patient.id),
        patient_resource(p),
    )
}

fn qr_entry(base: &str, inst: &Instrument, r: &MeasureResponse) -> (String, Value) {
    (
        format!("{base}/QuestionnaireResponse/{}", r.id),
        questionnaire_response(base, inst, r),
    )
}

fn obs_entry(base: &str, inst: &Instrument, r: &MeasureResponse) -> (String, Value) {
    (
        format!("{base}/Observation/{}", r.id),
        total_observation(inst, r),
    )
}

/// Short names of the response orders, as cursors carry them.
fn order_name(order: ResponseOrder) -> &'static str {
    match order {
        ResponseOrder::AuthoredNewest => "completed-",
        ResponseOrder::AuthoredOldest => "completed+",
        ResponseOrder::ReceivedOldest => "received+",
        ResponseOrder::ReceivedNewest => "received-",
    }
}

/// The order `_sort` asks for; `completed` is the resource's own name for
/// when a measure was completed (`authored`, an Observation's `date`).
fn response_order(read: &Read, completed: &str) -> Result<ResponseOrder, WebError> {
    let v = read.one("_sort")?;
    Ok(match v {
        None => ResponseOrder::AuthoredNewest,
        Some("_lastUpdated") => ResponseOrder::ReceivedOldest,
        Some("-_lastUpdated") => ResponseOrder::ReceivedNewest,
        Some(s) if s == completed => ResponseOrder::AuthoredOldest,
        Some(s) if s.strip_prefix('-') == Some(completed) => ResponseOrder::AuthoredNewest,
        Some(_) => {
            return Err(bad(
                "_sort",
                format!(
                    "Sort by -{completed} (newest first, the default), {completed}, \
                     _lastUpdated (oldest received first: what a feed follows) or -_lastUpdated"
                ),
            ));
        }
    })
}

fn after(cursor: &Option<Cursor>) -> Option<(Timestamp, String)> {
    cursor.as_ref().map(|c| (c.at, c.id.clone()))
}

/// What a response search shares between its two resources: the patient,
/// dates, order and page. A patient id that cannot exist is not found.
fn response_query(
    read: &Read,
    base: &str,
    completed: &str,
) -> Result<(ResponseSearch, Shape), WebError> {
    let patient = match read.patient(base)? {
        None => None,
        Some(Some(p)) => Some(p),
        // An id that cannot exist names nobody: not found, like a patient
        // the client may not see.
        Some(None) => return Err(not_found("Patient")),
    };
    let order = response_order(read, completed)?;
    let authored = read.dates(completed)?;
    let received = read.dates("_lastUpdated")?;
    let shape = shape(read, order_name(order), patient.is_some())?;
    let q = ResponseSearch {
        patient,
        authored_from: authored.from,
        authored_to: authored.to,
        received_from: received.from,
        received_to: received.to,
        order,
        after: after(&shape.cursor),
        limit: shape.count as i64,
        ..Default::default()
    };
    Ok((q, shape))
}

/// `GET /fhir/QuestionnaireResponse`.
#[utoipa::path(
    get,
    path = "/fhir/QuestionnaireResponse",
    tag = "fhir",
    summary = "Search the service's completed measures",
    params(
        ("subject" = Option<String>, Query, description = "`Patient/{id}`: one patient's responses (`patient` is the same); without it, the whole service's"),
        ("patient" = Option<String>, Query, description = "The same as `subject`"),
        ("questionnaire" = Option<String>, Query, description = "Comma-separated: a Questionnaire's canonical URL (optionally `|version`) or `Questionnaire/{id}`"),
        ("authored" = Option<Vec<String>>, Query, explode, description = "When completed: a date or time with an optional prefix (`ge`, `lt`, ...); repeatable"),
        ("_lastUpdated" = Option<Vec<String>>, Query, explode, description = "When Bothy received it, as `authored`"),
        ("status" = Option<String>, Query, description = "Comma-separated; every stored response is `completed`"),
        ("_include" = Option<Vec<String>>, Query, explode, description = "`QuestionnaireResponse:subject` (or `:patient`): the Patients; `QuestionnaireResponse:questionnaire`: the Questionnaires"),
        ("_sort" = Option<String>, Query, description = "`-authored` (the default), `authored`, `_lastUpdated` or `-_lastUpdated`"),
        ("_count" = Option<u32>, Query, description = "Results per page (default 50; more than 100 is served as 100)"),
        ("_cursor" = Option<String>, Query, description = "Where a page starts: from a `next` link, as it is"),
        ("_total" = Option<String>, Query, description = "`accurate` or `none`; by default counted when one patient is named"),
        ("_summary" = Option<String>, Query, description = "`count`, `true` or `false`"),
        ("_elements" = Option<String>, Query, description = "Comma-separated element names"),
        ("_format" = Option<String>, Query, description = "JSON only (`json`, `application/fhir+json`); any other format is refused with 406"),
    ),
    responses(
        (status = 200, description = "A searchset Bundle of QuestionnaireResponses", body = Bundle, content_type = "application/fhir+json"),
        (status = 400, description = "The search parameters need checking, or one is not supported (unless `Prefer: handling=lenient`)", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 404, description = "No patient with this id that this client may see", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn response_search(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let base = base(&state);
    let read = Read::new(
        raw.as_deref(),
        &headers,
        &QR_PARAMS,
        ("_include", &QR_INCLUDES),
    )?;
    let (mut q, shape) = response_query(&read, &base, "authored")?;
    let catalogue = state.app.catalogue();
    if let Some(list) = read.list("questionnaire")? {
        let mut wanted = Vec::new();
        for v in list {
            let (url, version) = match v.split_once('|') {
                Some((u, v)) => (u, Some(v.to_string())),
                None => (v, None),
            };
            // The canonical URL is `{base}/Questionnaire/{id}`; a relative
            // reference names the same. Not one of ours: it matches nothing.
            let relative = url
                .strip_prefix(base.as_str())
                .map_or(url, |u| u.trim_start_matches('/'));
            let id = relative.strip_prefix("Questionnaire/");
            if let Some(inst) = catalogue.iter().find(|i| Some(i.id.as_str()) == id) {
                wanted.push((inst.id.clone(), version));
            }
        }
        q.instruments = Some(wanted);
    }
    if let Some(list) = read.list("status")?
        && !list.contains(&"completed")
    {
        q.instruments = Some(Vec::new());
    }
    let includes = read.includes("_include");
    let with_patients = includes
        .iter()
        .any(|i| i.ends_with(":subject") || i.ends_with(":patient"));
    let order = q.order;
    let page = state
        .app
        .measures()
        .search_for_client(
            &ctx.actor,
            q,
            extras(&shape, with_patients),
            "QuestionnaireResponse",
            &ctx.request,
        )
        .await
        .map_err(or_not_found("Patient"))?;
    let mut included: Vec<(String, Value)> = page
        .patients
        .iter()
        .map(|p| patient_entry(&base, p))
        .collect();
    if includes.contains(&"QuestionnaireResponse:questionnaire") {
        for (_, inst) in &page.responses {
            included.push((
                canonical_url(&base, inst),
                fhir_versions::content(&state, questionnaire(&base, inst)),
            ));
        }
    }
    let matches = page
        .responses
        .iter()
        .map(|(r, inst)| {
            let (url, v) = qr_entry(&base, inst, r);
            (url, subset(v, &shape.subset))
        })
        .collect();
    let next = page.next.map(|(at, id)| Cursor {
        order: order_name(order).into(),
        at,
        id,
    });
    let (self_url, next) = links(
        &format!("{base}/QuestionnaireResponse"),
        &read,
        &shape,
        next,
    );
    Ok(fhir(
        StatusCode::OK,
        &bundle::page(Page {
            self_url,
            next,
            total: page.total.map(|t| t as usize),
            matches,
            included,
            warnings: read.warnings(),
        }),
    ))
}

/// `GET /fhir/Observation`: the total scores of the service's measures.
#[utoipa::path(
    get,
    path = "/fhir/Observation",
    tag = "fhir",
    summary = "Search the service's measure totals",
    params(
        ("subject" = Option<String>, Query, description = "`Patient/{id}`: one patient's (`patient` is the same); without it, the whole service's"),
        ("patient" = Option<String>, Query, description = "The same as `subject`"),
        ("code" = Option<String>, Query, description = "Comma-separated total codes, `system|code` or `code` (LOINC, or https://bothy.health/fhir/CodeSystem/measures)"),
        ("date" = Option<Vec<String>>, Query, explode, description = "When completed: a date or time with an optional prefix; repeatable"),
        ("_lastUpdated" = Option<Vec<String>>, Query, explode, description = "When Bothy received it, as `date`"),
        ("status" = Option<String>, Query, description = "Comma-separated; every total is `final`"),
        ("_include" = Option<Vec<String>>, Query, explode, description = "`Observation:subject` (or `:patient`): the Patients; `Observation:derived-from`: the QuestionnaireResponses"),
        ("_sort" = Option<String>, Query, description = "`-date` (the default), `date`, `_lastUpdated` or `-_lastUpdated`"),
        ("_count" = Option<u32>, Query, description = "Results per page (default 50; more than 100 is served as 100)"),
        ("_cursor" = Option<String>, Query, description = "Where a page starts: from a `next` link, as it is"),
        ("_total" = Option<String>, Query, description = "`accurate` or `none`; by default counted when one patient is named"),
        ("_summary" = Option<String>, Query, description = "`count`, `true` or `false`"),
        ("_elements" = Option<String>, Query, description = "Comma-separated element names"),
        ("_format" = Option<String>, Query, description = "JSON only"),
    ),
    responses(
        (status = 200, description = "A searchset Bundle of Observations", body = Bundle, content_type = "application/fhir+json"),
        (status = 400, description = "The search parameters need checking, or one is not supported (unless `Prefer: handling=lenient`)", body = OperationOutcome, content_type = "application/fhir+json"),
        (status = 404, description = "No patient with this id that this client may see", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn observation_search(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let base = base(&state);
    let read = Read::new(
        raw.as_deref(),
        &headers,
        &OBS_PARAMS,
        ("_include", &OBS_INCLUDES),
    )?;
    let (mut q, shape) = response_query(&read, &base, "date")?;
    if let Some(list) = read.list("code")? {
        let wanted = state
            .app
            .catalogue()
            .iter()
            .filter(|inst| {
                let (system, code) = total_coding(inst);
                list.iter().any(|v| match v.split_once('|') {
                    Some((s, c)) => (s.is_empty() || s == system) && c == code,
                    None => *v == code,
                })
            })
            .map(|inst| (inst.id.clone(), None))
            .collect();
        q.instruments = Some(wanted);
    }
    if let Some(list) = read.list("status")?
        && !list.contains(&"final")
    {
        q.instruments = Some(Vec::new());
    }
    let includes = read.includes("_include");
    let with_patients = includes
        .iter()
        .any(|i| *i == "Observation:subject" || *i == "Observation:patient");
    let order = q.order;
    let page = state
        .app
        .measures()
        .search_for_client(
            &ctx.actor,
            q,
            extras(&shape, with_patients),
            "Observation",
            &ctx.request,
        )
        .await
        .map_err(or_not_found("Patient"))?;
    let mut included: Vec<(String, Value)> = page
        .patients
        .iter()
        .map(|p| patient_entry(&base, p))
        .collect();
    if includes.contains(&"Observation:derived-from") {
        included.extend(
            page.responses
                .iter()
                .map(|(r, inst)| qr_entry(&base, inst, r)),
        );
    }
    let matches = page
        .responses
        .iter()
        .map(|(r, inst)| {
            let (url, v) = obs_entry(&base, inst, r);
            (url, subset(v, &shape.subset))
        })
        .collect();
    let next = page.next.map(|(at, id)| Cursor {
        order: order_name(order).into(),
        at,
        id,
    });
    let (self_url, next) = links(&format!("{base}/Observation"), &read, &shape, next);
    Ok(fhir(
        StatusCode::OK,
        &bundle::page(Page {
            self_url,
            next,
            total: page.total.map(|t| t as usize),
            matches,
            included,
            warnings: read.warnings(),
        }),
    ))
}

/// Reads `identifier` into the search; `false` when it can match nothing
/// (a system whose identifiers Bothy does not keep).
fn patient_identifier(v: &str, q: &mut PatientSearch) -> Result<bool, WebError> {
    let (system, value) = match v.split_once('|') {
        Some((s, v)) => (Some(s), v),
        None => (None, v),
    };
    // Stored without spaces, as they were checked.
    let value: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    if value.is_empty() {
        return Err(bad("identifier", "Give the identifier as system|value"));
    }
    match system {
        Some(s) if s == NhsNumber::FHIR_SYSTEM => q.nhs_number = Some(value),
        Some(s) if CHI_SYSTEMS.contains(&s) => q.chi = Some(value),
        None | Some("") => q.any_identifier = Some(value),
        Some(_) => return Ok(false),
    }
    Ok(true)
}

/// `GET /fhir/Patient`.
#[utoipa::path(
    get,
    path = "/fhir/Patient",
    tag = "fhir",
    summary = "Search the service's patients",
    params(
        ("identifier" = Option<String>, Query, description = "NHS number (`https://fhir.nhs.uk/Id/nhs-number|{number}`) or CHI (`urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53|{number}` or `https://fhir.nhs.uk/Id/chi-number|{number}`); a value alone matches either"),
        ("name" = Option<Vec<String>>, Query, explode, description = "Starts the given or family name, in any case; repeatable"),
        ("family" = Option<String>, Query, description = "Starts the family name"),
        ("given" = Option<String>, Query, description = "Starts the given name"),
        ("birthdate" = Option<Vec<String>>, Query, explode, description = "A date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`) with an optional prefix; repeatable"),
        ("_lastUpdated" = Option<Vec<String>>, Query, explode, description = "When the record was made, with an optional prefix"),
        ("_revinclude" = Option<Vec<String>>, Query, explode, description = "`QuestionnaireResponse:subject` or `Observation:subject` (or `:patient`): the page's patients' responses or totals"),
        ("_sort" = Option<String>, Query, description = "`_lastUpdated` only (oldest record first, the default)"),
        ("_count" = Option<u32>, Query, description = "Results per page (default 50; more than 100 is served as 100)"),
        ("_cursor" = Option<String>, Query, description = "Where a page starts: from a `next` link, as it is"),
        ("_total" = Option<String>, Query, description = "`accurate` or `none` (the default)"),
        ("_summary" = Option<String>, Query, description = "`count`, `true` or `false`"),
        ("_elements" = Option<String>, Query, description = "Comma-separated element names"),
        ("_format" = Option<String>, Query, description = "JSON only"),
    ),
    responses(
        (status = 200, description = "A searchset Bundle of Patients", body = Bundle, content_type = "application/fhir+json"),
        (status = 400, description = "The search parameters need checking, or one is not supported (unless `Prefer: handling=lenient`)", body = OperationOutcome, content_type = "application/fhir+json"),
    )
)]
pub async fn patient_search(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    const ORDER: &str = "created+";
    let base = base(&state);
    let read = Read::new(
        raw.as_deref(),
        &headers,
        &PATIENT_PARAMS,
        ("_revinclude", &PATIENT_REVINCLUDES),
    )?;
    match read.one("_sort")? {
        None | Some("_lastUpdated") => {}
        Some(_) => {
            return Err(bad(
                "_sort",
                "Patients come oldest record first (_lastUpdated) only",
            ));
        }
    }
    let shape = shape(&read, ORDER, false)?;
    let mut q = PatientSearch {
        after: after(&shape.cursor),
        limit: shape.count as i64,
        ..Default::default()
    };
    let mut possible = true;
    if let Some(v) = read.one("identifier")? {
        possible = patient_identifier(v, &mut q)?;
    }
    q.names = read
        .values("name")
        .into_iter()
        .map(str::to_string)
        .collect();
    q.family = read.one("family")?.map(str::to_string);
    q.given = read.one("given")?.map(str::to_string);
    let blank = |n: &Option<String>| n.as_deref().is_some_and(|n| n.trim().is_empty());
    if blank(&q.family) || blank(&q.given) || q.names.iter().any(|n| n.trim().is_empty()) {
        return Err(bad("name", "Give a name to search for"));
    }
    let (born_from, born_to) =
        day_params(&read.values("birthdate")).map_err(|m| bad("birthdate", m))?;
    q.born_from = born_from.map(|d| d.to_string());
    q.born_to = born_to.map(|d| d.to_string());
    let made = read.dates("_lastUpdated")?;
    (q.created_from, q.created_to) = (made.from, made.to);

    let revincludes = read.includes("_revinclude");
    let (with_qr, with_obs) = (
        revincludes
            .iter()
            .any(|r| r.starts_with("QuestionnaireResponse:")),
        revincludes.iter().any(|r| r.starts_with("Observation:")),
    );
    let mut warnings = read.warnings();
    let (mut matches, mut included, mut total, mut next) = (Vec::new(), Vec::new(), None, None);
    if possible {
        let page = state
            .app
            .records()
            .search_for_client(
                &ctx.actor,
                q,
                extras(&shape, with_qr || with_obs),
                &ctx.request,
            )
            .await?;
        matches = page
            .patients
            .iter()
            .map(|p| {
                let (url, v) = patient_entry(&base, p);
                (url, subset(v, &shape.subset))
            })
            .collect();
        for (r, inst) in &page.responses {
            if with_qr {
                included.push(qr_entry(&base, inst, r));
            }
            if with_obs {
                included.push(obs_entry(&base, inst, r));
            }
        }
        if page.truncated {
            warnings.push(warning(
                "too-costly",
                format!(
                    "_revinclude stopped at {} responses on this page: search those patients' \
                     QuestionnaireResponses or Observations for the rest",
                    bothy_app::fhir_search::REVINCLUDE_LIMIT
                ),
            ));
        }
        total = page.total.map(|t| t as usize);
        next = page.next.map(|(at, id)| Cursor {
            order: ORDER.into(),
            at,
            id,
        });
    } else if shape.total {
        total = Some(0);
    }
    let (self_url, next) = links(&format!("{base}/Patient"), &read, &shape, next);
    Ok(fhir(
        StatusCode::OK,
        &bundle::page(Page {
            self_url,
            next,
            total,
            matches,
            included,
            warnings,
        }),
    ))
}
