//! Reporting extracts shaped like the national datasets, one row per
//! episode active in the period, pseudonymised per export with the
//! service's key (`bothy_domain::reports::pseudonym`) and written a page
//! at a time, so an extract of a national database streams in bounded
//! memory. The field mapping is in docs/reports.md.

use super::columns::{Cell, Kind};
use super::csv::line;
use super::parquet_file::ParquetFile;
use crate::policy::Permission;
use crate::{Actor, App, AppError, AuditEvent, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::reports::{Edition, ExtractKey, Period};
use bothy_domain::time::{from_millis, to_millis, uk_date};
use bothy_store::{ExtractRow, ReportScope};

/// Rows read and written per page of CSV.
const PAGE: i64 = 2_000;
/// Rows per page of Parquet, each page one row group: large enough for
/// column readers to skip well, small enough to hold (about 4 MB).
const PARQUET_PAGE: i64 = 10_000;

/// Which national dataset an extract is shaped like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtractKind {
    /// Public Health Scotland, psychological therapies waiting times
    /// (the CAPTND fields for a care pathway).
    PtWaitingTimes,
    /// NHS England, the NHS Talking Therapies Data Set's key fields.
    TalkingTherapies,
}

impl ExtractKind {
    pub fn parse(s: &str) -> Option<ExtractKind> {
        match s {
            "ptwt" => Some(ExtractKind::PtWaitingTimes),
            "talking-therapies" => Some(ExtractKind::TalkingTherapies),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExtractKind::PtWaitingTimes => "ptwt",
            ExtractKind::TalkingTherapies => "talking-therapies",
        }
    }

    /// Each field's name and type, in order.
    fn header(self) -> &'static [(&'static str, Kind)] {
        match self {
            ExtractKind::PtWaitingTimes => &[
                ("UCPN", Kind::Text),
                ("PATIENT_PSEUDONYM", Kind::Text),
                ("REF_REC_DATE", Kind::Date),
                ("REF_SOURCE", Kind::Text),
                ("REF_ACC_DATE", Kind::Date),
                ("FIRST_TREAT_APP_DATE", Kind::Date),
                ("CASE_CLOSED_DATE", Kind::Date),
                ("WAIT_WEEKS", Kind::Int),
                ("WAIT_STATUS", Kind::Text),
                ("AGE_BAND", Kind::Int),
                ("SEX", Kind::Text),
                ("ETHNICITY", Kind::Text),
                ("SIMD_DECILE", Kind::Int),
                ("CHANNEL", Kind::Text),
            ],
            ExtractKind::TalkingTherapies => &[
                ("ServiceRequestId", Kind::Text),
                ("LocalPatientId", Kind::Text),
                ("ReferralRequestReceivedDate", Kind::Date),
                ("SourceOfReferral", Kind::Text),
                ("FirstTreatmentDate", Kind::Date),
                ("ServDischDate", Kind::Date),
                ("EndReason", Kind::Text),
                ("TreatmentAppointments", Kind::Int),
                ("ProblemDescriptor", Kind::Text),
                ("AgeBand", Kind::Int),
                ("Gender", Kind::Text),
                ("EthnicCategory", Kind::Text),
                ("IMD_Decile", Kind::Int),
                ("PHQ9_FirstScore", Kind::Float),
                ("PHQ9_LastScore", Kind::Float),
                ("GAD7_FirstScore", Kind::Float),
                ("GAD7_LastScore", Kind::Float),
                ("CompletedTreatment_Flag", Kind::Int),
                ("NotCaseness_Flag", Kind::Int),
                ("Recovery_Flag", Kind::Int),
                ("ReliableImprovement_Flag", Kind::Int),
                ("ReliableRecovery_Flag", Kind::Int),
                ("ReliableDeterioration_Flag", Kind::Int),
            ],
        }
    }
}

/// The file format of a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
}

impl Format {
    /// `csv` (the default when absent) or `parquet`.
    pub fn parse(s: Option<&str>) -> Option<Format> {
        match s.map(str::trim).unwrap_or("") {
            "" | "csv" => Some(Format::Csv),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Parquet => "application/vnd.apache.parquet",
        }
    }
}

/// The file being written (None once it has ended).
enum Output {
    Csv { header_sent: bool },
    Parquet(Box<ParquetFile>),
}

/// An extract being written: authorised, audited and keyed once, then
/// read a page at a time by [`Extract::next_chunk`].
pub struct Extract {
    kind: ExtractKind,
    scope: ReportScope,
    label: String,
    key: ExtractKey,
    after: String,
    format: Format,
    output: Option<Output>,
}

fn date(ms: Option<i64>) -> Cell {
    ms.map_or(Cell::Null, |ms| Cell::Date(uk_date(from_millis(ms))))
}

fn float(v: Option<f64>) -> Cell {
    v.map_or(Cell::Null, Cell::Float)
}

fn int(v: Option<i64>) -> Cell {
    v.map_or(Cell::Null, Cell::Int)
}

fn flag(flags: Option<i64>, bit: u32) -> Cell {
    int(flags.map(|f| (f >> bit) & 1))
}

impl Extract {
    pub fn file_name(&self) -> String {
        format!(
            "{}.{}",
            self.label.replace(':', "-"),
            self.format.extension()
        )
    }

    fn row(&self, r: &ExtractRow) -> Vec<Cell> {
        let ep = Cell::Text(self.key.pseudonym(&self.label, &r.episode_id));
        let person = Cell::Text(self.key.pseudonym(&self.label, &r.patient_id));
        let end = to_millis(self.scope.to);
        let age_band = int(r.age_band.parse().ok());
        let decile = int(r.decile);
        let sex = Cell::text_or_null(r.sex.as_deref());
        let ethnicity = Cell::text_or_null(r.ethnicity.as_deref());
        match self.kind {
            ExtractKind::PtWaitingTimes => {
                let (weeks, status) = match (r.received_at, r.first_treatment_at) {
                    (Some(rec), Some(ft)) if ft < end => {
                        (Cell::Int((ft - rec) / (7 * 86_400_000)), "completed")
                    }
                    (Some(rec), _) => (Cell::Int((end - rec) / (7 * 86_400_000)), "ongoing"),
                    _ => (Cell::Null, ""),
                };
                vec![
                    ep,
                    person,
                    date(r.received_at),
                    Cell::text(r.source.as_str()),
                    date(r.decided_at),
                    date(r.first_treatment_at),
                    date(r.discharged_at),
                    weeks,
                    Cell::text_or_null(Some(status).filter(|s| !s.is_empty())),
                    age_band,
                    sex,
                    ethnicity,
                    decile,
                    Cell::text(if r.sms { "sms" } else { "web" }),
                ]
            }
            ExtractKind::TalkingTherapies => {
                let f = r.outcome_flags;
                // At caseness is bit 1 of a finished course; "not caseness"
                // is a finished course without it.
                let not_caseness = int(f.map(|f| i64::from(f & 1 == 1 && f & 2 == 0)));
                vec![
                    ep,
                    person,
                    date(r.received_at),
                    Cell::text(r.source.as_str()),
                    date(r.first_treatment_at),
                    date(r.discharged_at),
                    Cell::text_or_null(r.discharge_reason.as_deref()),
                    Cell::Int(r.treatment_appointments),
                    Cell::text(r.problem_descriptor.as_str()),
                    age_band,
                    sex,
                    ethnicity,
                    decile,
                    float(r.phq9_first),
                    float(r.phq9_last),
                    float(r.gad7_first),
                    float(r.gad7_last),
                    flag(f, 0),
                    not_caseness,
                    flag(f, 2),
                    flag(f, 3),
                    flag(f, 4),
                    flag(f, 5),
                ]
            }
        }
    }

    /// The next piece of the file (a CSV header or Parquet's magic number
    /// first, Parquet's footer last), or None once it has all been given.
    pub async fn next_chunk(&mut self, app: &App) -> Result<Option<Vec<u8>>, AppError> {
        let Some(output) = self.output.as_mut() else {
            return Ok(None);
        };
        let page = match output {
            Output::Csv { .. } => PAGE,
            Output::Parquet(_) => PARQUET_PAGE,
        };
        let mut tx = app.store.read().await?;
        let rows = tx
            .report_extract_page(&self.scope, &self.after, page)
            .await?;
        tx.rollback().await?;
        if let Some(last) = rows.last() {
            self.after = last.episode_id.clone();
        }
        let last_page = (rows.len() as i64) < page;
        let rows: Vec<Vec<Cell>> = rows.iter().map(|r| self.row(r)).collect();
        let Some(output) = self.output.as_mut() else {
            return Ok(None);
        };
        let mut chunk = match output {
            Output::Csv { header_sent } => {
                let mut out = String::new();
                if !*header_sent {
                    *header_sent = true;
                    let h: Vec<String> = self
                        .kind
                        .header()
                        .iter()
                        .map(|(n, _)| n.to_string())
                        .collect();
                    out.push_str(&line(&h));
                }
                for r in &rows {
                    out.push_str(&line(&r.iter().map(Cell::to_text).collect::<Vec<_>>()));
                }
                out.into_bytes()
            }
            Output::Parquet(file) => file.row_group(&rows)?,
        };
        // The last page ends the file: Parquet's footer follows it.
        if last_page && let Some(Output::Parquet(file)) = self.output.take() {
            chunk.extend(file.finish()?);
        }
        Ok(Some(chunk))
    }
}

impl crate::outcomes::Reports<'_> {
    /// Starts an extract of the actor's service for `period`: refused
    /// without the Reports permission, and when the service holds no
    /// extract key (NotFound). Audited once, as an export.
    pub async fn start_extract(
        &self,
        actor: &Actor,
        kind: ExtractKind,
        format: Format,
        period: &Period,
        ctx: &RequestContext,
    ) -> Result<Extract, AppError> {
        let Actor::Staff(staff) = actor else {
            return Err(AppError::Forbidden);
        };
        if !staff.has(Permission::Reports) {
            return Err(AppError::Forbidden);
        }
        let app = self.app;
        // Without a key (`reports.extract_key`) there are no extracts: the
        // route answers as if it did not exist.
        let key = app.settings.extract_key.clone().ok_or(AppError::NotFound)?;
        let (from, to) = period.bounds();
        self.outcome_tally(staff.service_id, from, to).await?;
        let mut tx = app.store.begin().await?;
        let edition = tx
            .deprivation_editions()
            .await?
            .iter()
            .find_map(|e| Edition::parse(&e.edition).ok());
        let now = app.clock.now();
        let label = format!(
            "{}:{}:{}:{}:{}",
            kind.as_str(),
            staff.service_id,
            period.from,
            period.to,
            to_millis(now)
        );
        let event = AuditEvent::new(Action::ReportExported)
            .service(staff.service_id)
            .detail(format!("extract {label} as {}", format.extension()));
        app.audit(&mut tx, actor, ctx, event).await?;
        tx.commit().await?;
        Ok(Extract {
            kind,
            scope: ReportScope {
                service: staff.service_id,
                from,
                to,
                by: bothy_domain::reports::Breakdown::AgeBand,
                quintile: None,
                edition,
                age_on: period.age_on(),
                supporter: None,
            },
            label,
            key,
            after: String::new(),
            format,
            output: Some(match format {
                Format::Csv => Output::Csv { header_sent: false },
                Format::Parquet => {
                    let columns: Vec<_> = kind
                        .header()
                        .iter()
                        .map(|(n, k)| (n.to_string(), *k))
                        .collect();
                    Output::Parquet(Box::new(ParquetFile::new(&columns)?))
                }
            }),
        })
    }
}
