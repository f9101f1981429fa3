//! FHIR searches over a service's measure responses and patients, paged by
//! keyset: each page starts after the last row of the one before (its sort
//! time and id, carried in the `next` link's cursor), never at an offset, so
//! rows stored between pages neither repeat nor push others out of sight.
//! Every order walks an index of migration 28 from the cursor with a LIMIT:
//! a page reads the rows it returns. A count is run only when the client
//! asks for a total: of responses, in the page's own statement.

use crate::db::{Query, Row};
use crate::measures::{RESPONSE_COLUMNS, response};
use crate::patients::{PATIENT_COLUMNS, patient};
use crate::{StoreError, Tx};
use bothy_domain::model::{MeasureResponse, Patient};
use bothy_domain::time::{Timestamp, to_millis};
use bothy_domain::{PatientId, ServiceId};
use std::collections::HashMap;

/// The order of a response search, and so the index it walks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ResponseOrder {
    /// By when completed (`authored`, else received), newest first.
    #[default]
    AuthoredNewest,
    AuthoredOldest,
    /// By when Bothy received it (`meta.lastUpdated`), oldest first: the
    /// order a feed follows, since new responses come at its end.
    ReceivedOldest,
    ReceivedNewest,
}

impl ResponseOrder {
    fn key(self) -> &'static str {
        match self {
            Self::AuthoredNewest | Self::AuthoredOldest => "COALESCE(authored_at, submitted_at)",
            Self::ReceivedOldest | Self::ReceivedNewest => "submitted_at",
        }
    }

    fn descending(self) -> bool {
        matches!(self, Self::AuthoredNewest | Self::ReceivedNewest)
    }

    fn direction(self) -> &'static str {
        if self.descending() { "DESC" } else { "ASC" }
    }

    /// Where `r` stands in this order: what a cursor after it holds.
    pub fn position(self, r: &MeasureResponse) -> (Timestamp, String) {
        let at = match self {
            Self::AuthoredNewest | Self::AuthoredOldest => r.authored(),
            Self::ReceivedOldest | Self::ReceivedNewest => r.submitted_at,
        };
        (at, r.id.to_string())
    }
}

/// Which responses a search wants. Every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct ResponseSearch {
    /// The service searched; without one nothing is found.
    pub service: Option<ServiceId>,
    pub patient: Option<PatientId>,
    /// Any of these instruments, each at one version if given; `None` for
    /// any instrument, an empty list for none.
    pub instruments: Option<Vec<(String, Option<String>)>>,
    /// Completed (`authored`, else received) in [from, to).
    pub authored_from: Option<Timestamp>,
    pub authored_to: Option<Timestamp>,
    /// Received in [from, to).
    pub received_from: Option<Timestamp>,
    pub received_to: Option<Timestamp>,
    pub order: ResponseOrder,
    /// Only responses after this position (time, id) in `order`.
    pub after: Option<(Timestamp, String)>,
    pub limit: i64,
}

/// Which patients a search wants, oldest record first. Every condition
/// given must hold.
#[derive(Debug, Clone, Default)]
pub struct PatientSearch {
    pub service: Option<ServiceId>,
    pub nhs_number: Option<String>,
    pub chi: Option<String>,
    /// An NHS number or a CHI: either matches.
    pub any_identifier: Option<String>,
    /// Each starts the given or the family name, in any case.
    pub names: Vec<String>,
    pub family: Option<String>,
    pub given: Option<String>,
    /// Born on or after, and before (ISO dates, `YYYY-MM-DD`).
    pub born_from: Option<String>,
    pub born_to: Option<String>,
    /// Record made in [from, to).
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
    /// Only patients after this position (record made, id).
    pub after: Option<(Timestamp, String)>,
    pub limit: i64,
}

/// A patient with the identifiers a FHIR Patient carries.
#[derive(Debug, Clone)]
pub struct IdentifiedPatient {
    pub patient: Patient,
    pub nhs_number: Option<String>,
    pub chi: Option<String>,
}

/// A statement's conditions and their arguments, numbered as they are added.
#[derive(Default)]
struct Conditions {
    wh: Vec<String>,
    args: Vec<Arg>,
}

enum Arg {
    Text(String),
    Int(i64),
}

impl Conditions {
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }
    fn text(&mut self, s: impl Into<String>) -> String {
        self.arg(Arg::Text(s.into()))
    }
    fn int(&mut self, i: i64) -> String {
        self.arg(Arg::Int(i))
    }
    fn push(&mut self, c: String) {
        self.wh.push(c);
    }
    /// `expr` within [from, to) in milliseconds.
    fn range(&mut self, expr: &str, from: Option<Timestamp>, to: Option<Timestamp>) {
        if let Some(f) = from {
            let p = self.int(to_millis(f));
            self.push(format!("{expr} >= {p}"));
        }
        if let Some(t) = to {
            let p = self.int(to_millis(t));
            self.push(format!("{expr} < {p}"));
        }
    }
    /// After (or, descending, before) a keyset position: `(key, id)` past
    /// `(t, i)`, written with a bound on `key` alone first, which both
    /// databases use to start the index walk at the cursor (SQLite does
    /// not for a row value on an expression).
    fn after(&mut self, key: &str, after: &Option<(Timestamp, String)>, descending: bool) {
        if let Some((at, id)) = after {
            let (t1, t2) = (self.int(to_millis(*at)), self.int(to_millis(*at)));
            let i = self.text(id.clone());
            let op = if descending { "<" } else { ">" };
            self.push(format!(
                "{key} {op}= {t1} AND ({key} {op} {t2} OR id {op} {i})"
            ));
        }
    }
    fn sql(&self) -> String {
        self.wh.join(" AND ")
    }
    fn bind(self, mut q: Query<'_>) -> Query<'_> {
        for a in self.args {
            q = match a {
                Arg::Text(s) => q.bind(s),
                Arg::Int(i) => q.bind(i),
            };
        }
        q
    }
}

/// A `LIKE` pattern for text that starts with `prefix`, in lower case.
fn starts_with(prefix: &str) -> String {
    let mut p = String::new();
    for c in prefix.to_lowercase().chars() {
        if matches!(c, '\\' | '%' | '_') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl ResponseSearch {
    /// The statement of one page (each row with its `position` in the
    /// order), its arguments, and the conditions without the cursor, which
    /// hold on every page; `None` when nothing can match.
    fn page(&self) -> Option<(Conditions, String, String)> {
        let mut c = self.conditions()?;
        let every_page = c.sql();
        let (key, dir) = (self.order.key(), self.order.direction());
        c.after(key, &self.after, self.order.descending());
        let limit = self.limit;
        let page = format!(
            "SELECT {RESPONSE_COLUMNS}, {key} AS position FROM measure_responses WHERE {} \
             ORDER BY {key} {dir}, id {dir} LIMIT {limit}",
            c.sql()
        );
        Some((c, every_page, page))
    }

    /// The conditions, without the cursor; `None` when nothing can match.
    fn conditions(&self) -> Option<Conditions> {
        let service = self.service?;
        let mut c = Conditions::default();
        let s = c.text(service.to_string());
        c.push(format!("service_id = {s}"));
        if let Some(p) = self.patient {
            let p = c.text(p.to_string());
            c.push(format!("patient_id = {p}"));
        }
        if let Some(list) = &self.instruments {
            if list.is_empty() {
                return None;
            }
            let mut any = Vec::new();
            for (id, version) in list {
                let i = c.text(id.clone());
                match version {
                    Some(v) => {
                        let v = c.text(v.clone());
                        any.push(format!(
                            "(instrument_id = {i} AND instrument_version = {v})"
                        ));
                    }
                    None => any.push(format!("instrument_id = {i}")),
                }
            }
            c.push(format!("({})", any.join(" OR ")));
        }
        c.range(
            "COALESCE(authored_at, submitted_at)",
            self.authored_from,
            self.authored_to,
        );
        c.range("submitted_at", self.received_from, self.received_to);
        Some(c)
    }
}

impl PatientSearch {
    fn conditions(&self) -> Option<Conditions> {
        let service = self.service?;
        let mut c = Conditions::default();
        let s = c.text(service.to_string());
        c.push(format!("service_id = {s}"));
        if let Some(n) = &self.nhs_number {
            let n = c.text(n.clone());
            c.push(format!("nhs_number = {n}"));
        }
        if let Some(n) = &self.chi {
            let n = c.text(n.clone());
            c.push(format!("chi = {n}"));
        }
        if let Some(v) = &self.any_identifier {
            let (a, b) = (c.text(v.clone()), c.text(v.clone()));
            c.push(format!("(nhs_number = {a} OR chi = {b})"));
        }
        for name in &self.names {
            let (a, b) = (c.text(starts_with(name)), c.text(starts_with(name)));
            c.push(format!(
                "(LOWER(family_name) LIKE {a} ESCAPE '\\' OR LOWER(given_name) LIKE {b} ESCAPE '\\')"
            ));
        }
        if let Some(f) = &self.family {
            let f = c.text(starts_with(f));
            c.push(format!("LOWER(family_name) LIKE {f} ESCAPE '\\'"));
        }
        if let Some(g) = &self.given {
            let g = c.text(starts_with(g));
            c.push(format!("LOWER(given_name) LIKE {g} ESCAPE '\\'"));
        }
        if let Some(d) = &self.born_from {
            let d = c.text(d.clone());
            c.push(format!("date_of_birth >= {d}"));
        }
        if let Some(d) = &self.born_to {
            let d = c.text(d.clone());
            c.push(format!("date_of_birth < {d}"));
        }
        c.range("created_at", self.created_from, self.created_to);
        Some(c)
    }
}

fn identified(r: &Row) -> Result<IdentifiedPatient, StoreError> {
    Ok(IdentifiedPatient {
        patient: patient(r)?,
        nhs_number: r.try_get("nhs_number")?,
        chi: r.try_get("chi")?,
    })
}

impl Tx {
    /// One page of a response search, in its order.
    pub async fn search_responses(
        &mut self,
        q: &ResponseSearch,
    ) -> Result<Vec<MeasureResponse>, StoreError> {
        let Some((c, _, page)) = q.page() else {
            return Ok(Vec::new());
        };
        let query = self.query(sqlx::AssertSqlSafe(page));
        let rows = c.bind(query).fetch_all().await?;
        rows.iter().map(response).collect()
    }

    /// One page of a response search with how many responses match on
    /// every page together, in one statement, so that the two agree
    /// without a transaction around them. The count's one row is joined
    /// to the page's rows: an empty page still brings its count.
    pub async fn search_responses_counted(
        &mut self,
        q: &ResponseSearch,
    ) -> Result<(Vec<MeasureResponse>, i64), StoreError> {
        let Some((c, every_page, page)) = q.page() else {
            return Ok((Vec::new(), 0));
        };
        let dir = q.order.direction();
        let sql = format!(
            "SELECT t.total_matches, p.* FROM \
             (SELECT COUNT(*) AS total_matches FROM measure_responses WHERE {every_page}) t \
             LEFT JOIN ({page}) p ON 1 = 1 ORDER BY p.position {dir}, p.id {dir}"
        );
        let query = self.query(sqlx::AssertSqlSafe(sql));
        let rows = c.bind(query).fetch_all().await?;
        let total = match rows.first() {
            Some(r) => r.try_get("total_matches")?,
            None => 0,
        };
        let mut found = Vec::with_capacity(rows.len());
        for r in &rows {
            // The empty page's one row: the count, and no response.
            if r.try_get::<Option<String>>("id")?.is_some() {
                found.push(response(r)?);
            }
        }
        Ok((found, total))
    }

    /// How many responses a search matches, on every page together.
    pub async fn count_responses(&mut self, q: &ResponseSearch) -> Result<i64, StoreError> {
        let Some(c) = q.conditions() else {
            return Ok(0);
        };
        let sql = format!(
            "SELECT COUNT(*) AS n FROM measure_responses WHERE {}",
            c.sql()
        );
        let query = self.query(sqlx::AssertSqlSafe(sql));
        c.bind(query).fetch_one().await?.try_get("n")
    }

    /// One page of a patient search, oldest record first.
    pub async fn search_patients(
        &mut self,
        q: &PatientSearch,
    ) -> Result<Vec<IdentifiedPatient>, StoreError> {
        let Some(mut c) = q.conditions() else {
            return Ok(Vec::new());
        };
        c.after("created_at", &q.after, false);
        let limit = q.limit;
        let sql = format!(
            "SELECT {PATIENT_COLUMNS}, nhs_number, chi FROM patients WHERE {} \
             ORDER BY created_at, id LIMIT {limit}",
            c.sql()
        );
        let query = self.query(sqlx::AssertSqlSafe(sql));
        let rows = c.bind(query).fetch_all().await?;
        rows.iter().map(identified).collect()
    }

    /// How many patients a search matches, on every page together.
    pub async fn count_patients_matching(&mut self, q: &PatientSearch) -> Result<i64, StoreError> {
        let Some(c) = q.conditions() else {
            return Ok(0);
        };
        let sql = format!("SELECT COUNT(*) AS n FROM patients WHERE {}", c.sql());
        let query = self.query(sqlx::AssertSqlSafe(sql));
        c.bind(query).fetch_one().await?.try_get("n")
    }

    /// The patients of `service` with these ids (a page's worth), with
    /// their identifiers, by id. Others are left out.
    pub async fn patients_identified(
        &mut self,
        service: ServiceId,
        ids: &[PatientId],
    ) -> Result<HashMap<PatientId, IdentifiedPatient>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT {PATIENT_COLUMNS}, nhs_number, chi FROM patients WHERE service_id = $2 AND id IN ({{ids}})"
        );
        self.query_in(&sql, ids)
            .bind(service.to_string())
            .fetch_all()
            .await?
            .iter()
            .map(|r| identified(r).map(|p| (p.patient.id, p)))
            .collect()
    }

    /// The responses of these patients of `service` (a page's worth), at
    /// most `limit`, each patient's oldest first: what `_revinclude` adds.
    pub async fn responses_of_patients(
        &mut self,
        service: ServiceId,
        ids: &[PatientId],
        limit: i64,
    ) -> Result<Vec<MeasureResponse>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {RESPONSE_COLUMNS} FROM measure_responses WHERE service_id = $2 AND patient_id IN ({{ids}}) \
             ORDER BY patient_id, submitted_at, id LIMIT {limit}"
        );
        let rows = self
            .query_in(&sql, ids)
            .bind(service.to_string())
            .fetch_all()
            .await?;
        rows.iter().map(response).collect()
    }
}
