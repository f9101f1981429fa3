//! FHIR search for other systems: a service's patients and measure
//! responses (as QuestionnaireResponses and as the Observations of their
//! totals), for an API client holding `patient.read`, which opens every
//! patient of its service. The service is always the client's own,
//! whatever the search says; a patient the search names who is not the
//! client's to see is `NotFound`, exactly like one that does not exist.
//!
//! Each search is one audited read (a snapshot only where several
//! statements must agree, `search_work`) and one event naming how many
//! records the page returned and included, committed before anything is
//! returned. A page is fetched by keyset (see `bothy_store`'s
//! `fhir_search`): one row more than the page shows says whether another
//! follows, and the last row shown is where it starts.

use crate::measures::Measures;
use crate::policy::ApiActor;
use crate::records::Records;
use crate::{Actor, AppError, AuditEvent, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::audit::Action;
use bothy_domain::instruments::Instrument;
use bothy_domain::model::MeasureResponse;
use bothy_domain::role::ApiPermission;
use bothy_domain::time::Timestamp;
pub use bothy_store::{IdentifiedPatient, PatientSearch, ResponseOrder, ResponseSearch};

/// What a search wants besides its page of matches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras {
    /// Count every match (`_total=accurate`, `_summary=count`).
    pub total: bool,
    /// No matches, only the count (`_summary=count`, `_count=0`).
    pub no_rows: bool,
    /// The page's responses' patients (`_include`), or the page's
    /// patients' responses (`_revinclude`).
    pub related: bool,
}

/// Responses `_revinclude` adds to one page at most; past it the page
/// says so, and the client searches those patients' responses instead.
pub const REVINCLUDE_LIMIT: i64 = 500;

/// One page of a response search.
pub struct ResponsePage<'a> {
    pub responses: Vec<(MeasureResponse, &'a Instrument)>,
    /// Where the next page starts, when there is one.
    pub next: Option<(Timestamp, String)>,
    pub total: Option<i64>,
    /// The patients of the page's responses, when asked for.
    pub patients: Vec<IdentifiedPatient>,
}

/// One page of a patient search.
pub struct PatientPage<'a> {
    pub patients: Vec<IdentifiedPatient>,
    pub next: Option<(Timestamp, String)>,
    pub total: Option<i64>,
    /// The page's patients' responses, when asked for.
    pub responses: Vec<(MeasureResponse, &'a Instrument)>,
    /// Whether the responses stopped at [`REVINCLUDE_LIMIT`].
    pub truncated: bool,
}

/// A unit of work for a search: one snapshot when it reads, in several
/// statements, figures that must agree (a page with its related records,
/// or a patient page with its total); otherwise each statement sees the
/// latest commit, without the round trips of a transaction. (A response
/// page and its total are one statement; so is a page alone, besides, for
/// a response search for one patient that finds none, the patient's check.)
async fn search_work<'a>(
    app: &'a crate::App,
    actor: &'a Actor,
    snapshot: bool,
    ctx: &'a RequestContext,
) -> Result<crate::work::Work<'a>, AppError> {
    if snapshot {
        app.look(actor, ctx).await
    } else {
        app.glance(actor, ctx).await
    }
}

fn reader(actor: &Actor) -> Result<&ApiActor, AppError> {
    match actor {
        Actor::Api(a) if a.permissions.contains(&ApiPermission::PatientRead) => Ok(a),
        _ => Err(AppError::Forbidden),
    }
}

/// `rows` fetched with one more than `size`: the page, and where the next
/// one starts if that extra row came back.
fn split<T>(
    mut rows: Vec<T>,
    size: i64,
    position: impl Fn(&T) -> (Timestamp, String),
) -> (Vec<T>, Option<(Timestamp, String)>) {
    let size = usize::try_from(size).unwrap_or(0);
    if rows.len() <= size {
        return (rows, None);
    }
    rows.truncate(size);
    let next = rows.last().map(position);
    (rows, next)
}

fn distinct(ids: impl Iterator<Item = PatientId>) -> Vec<PatientId> {
    let mut out: Vec<PatientId> = Vec::new();
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

impl<'a> Measures<'a> {
    /// A page of the client's service's responses matching `q`; `what`
    /// names the resource searched in the audit trail.
    pub async fn search_for_client(
        &self,
        actor: &Actor,
        mut q: ResponseSearch,
        extras: Extras,
        what: &str,
        ctx: &RequestContext,
    ) -> Result<ResponsePage<'a>, AppError> {
        let a = reader(actor)?;
        q.service = Some(a.service_id);
        let mut work = search_work(self.app, actor, extras.related, ctx).await?;
        let page = ResponseSearch {
            limit: q.limit + 1,
            ..q.clone()
        };
        let (rows, total) = match (extras.no_rows, extras.total) {
            (true, false) => (Vec::new(), None),
            (true, true) => (Vec::new(), Some(work.tx().count_responses(&q).await?)),
            (false, false) => (work.tx().search_responses(&page).await?, None),
            (false, true) => {
                let (rows, n) = work.tx().search_responses_counted(&page).await?;
                (rows, Some(n))
            }
        };
        // A response found for the patient named is of the client's
        // service, so the patient is the client's to see; only an empty
        // page needs the patient read to tell "none yet" from `NotFound`.
        if let Some(p) = q.patient
            && rows.is_empty()
        {
            work.patient(p).await?;
        }
        let (rows, next) = split(rows, q.limit, |r| q.order.position(r));
        let patients = if extras.related {
            let ids = distinct(rows.iter().map(|r| r.patient_id));
            let mut found = work.tx().patients_identified(a.service_id, &ids).await?;
            ids.iter().filter_map(|id| found.remove(id)).collect()
        } else {
            Vec::new()
        };
        let mut event = AuditEvent::new(Action::MeasureSearch)
            .service(a.service_id)
            .detail(format!(
                "{what} search: {} responses returned, {} patients included",
                rows.len(),
                patients.len()
            ));
        if let Some(p) = q.patient {
            event = event.patient(p);
        }
        work.audit(event).await?;
        work.finish().await?;
        let responses = rows
            .into_iter()
            .filter_map(|r| {
                let inst = self.app.catalogue.get(&r.instrument_id)?;
                Some((r, inst))
            })
            .collect();
        Ok(ResponsePage {
            responses,
            next,
            total,
            patients,
        })
    }
}

impl<'a> Records<'a> {
    /// A page of the client's service's patients matching `q`, oldest
    /// record first.
    pub async fn search_for_client(
        &self,
        actor: &Actor,
        mut q: PatientSearch,
        extras: Extras,
        ctx: &RequestContext,
    ) -> Result<PatientPage<'a>, AppError> {
        let a = reader(actor)?;
        q.service = Some(a.service_id);
        let mut work = search_work(self.app, actor, extras.total || extras.related, ctx).await?;
        let rows = if extras.no_rows {
            Vec::new()
        } else {
            let page = PatientSearch {
                limit: q.limit + 1,
                ..q.clone()
            };
            work.tx().search_patients(&page).await?
        };
        let (patients, next) = split(rows, q.limit, |p| {
            (p.patient.created_at, p.patient.id.to_string())
        });
        let total = if extras.total {
            Some(work.tx().count_patients_matching(&q).await?)
        } else {
            None
        };
        let (mut responses, mut truncated) = (Vec::new(), false);
        if extras.related {
            let ids: Vec<PatientId> = patients.iter().map(|p| p.patient.id).collect();
            responses = work
                .tx()
                .responses_of_patients(a.service_id, &ids, REVINCLUDE_LIMIT + 1)
                .await?;
            truncated = responses.len() as i64 > REVINCLUDE_LIMIT;
            responses.truncate(REVINCLUDE_LIMIT as usize);
        }
        let event = AuditEvent::new(Action::PatientList)
            .service(a.service_id)
            .detail(format!(
                "Patient search: {} patients returned, {} responses included",
                patients.len(),
                responses.len()
            ));
        work.audit(event).await?;
        work.finish().await?;
        let responses = responses
            .into_iter()
            .filter_map(|r| {
                let inst = self.app.catalogue.get(&r.instrument_id)?;
                Some((r, inst))
            })
            .collect();
        Ok(PatientPage {
            patients,
            next,
            total,
            responses,
            truncated,
        })
    }

    /// One patient with their identifiers, for whoever may see the record
    /// (the FHIR read). Audited as [`Records::patient`] is.
    pub async fn identified_patient(
        &self,
        actor: &Actor,
        id: PatientId,
        ctx: &RequestContext,
    ) -> Result<IdentifiedPatient, AppError> {
        let mut work = self.app.look(actor, ctx).await?;
        let patient = work.patient(id).await?;
        let mut found = work
            .tx()
            .patients_identified(patient.service_id, &[id])
            .await?;
        work.audit(
            AuditEvent::new(Action::PatientRead)
                .patient(id)
                .service(patient.service_id),
        )
        .await?;
        work.finish().await?;
        found.remove(&id).ok_or(AppError::NotFound)
    }
}
