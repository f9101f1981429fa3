//! How a report query turns the person behind a row (a referral, an
//! episode, an alert) into a group key: deprivation quintile (from the
//! imported postcode look-up, or the decile recorded with the demographics
//! when no edition is chosen), age band, sex, ethnicity or channel. The
//! report tables carry these on each row (migration 36).

use bothy_domain::reports::{AgeBand, Breakdown, Edition};
use bothy_domain::time::Timestamp;
use bothy_domain::{ServiceId, StaffId};

/// What one dashboard read covers.
#[derive(Debug, Clone)]
pub struct ReportScope {
    pub service: ServiceId,
    pub from: Timestamp,
    pub to: Timestamp,
    pub by: Breakdown,
    /// Only people in this deprivation quintile (1..=5).
    pub quintile: Option<u8>,
    /// The look-up to take deciles from; None: the recorded decile.
    pub edition: Option<Edition>,
    /// Age is counted on this day, as YYYYMMDD.
    pub age_on: i64,
    /// Only this supporter's caseload.
    pub supporter: Option<StaffId>,
}

/// The column of a report table (migration 36) holding the decile to
/// group by: the edition's look-up, or the decile recorded with the
/// demographics when no edition is chosen.
pub(crate) fn decile_column(edition: Option<Edition>) -> &'static str {
    match edition {
        Some(Edition::Simd2020v2) => "simd",
        Some(Edition::Imd2019) => "imd",
        None => "decile",
    }
}

/// A group key and a filter over a report table's row `x`, each of which
/// carries its person's groups (written at the time of each change).
pub(crate) struct ScopeSql {
    pub key: String,
    pub filter: String,
}

impl ScopeSql {
    pub fn new(scope: &ReportScope) -> ScopeSql {
        let quintile = format!("((x.{} + 1) / 2)", decile_column(scope.edition));
        let key = match scope.by {
            Breakdown::None => "'all'".to_string(),
            Breakdown::Quintile => format!("COALESCE(CAST({quintile} AS TEXT), '')"),
            Breakdown::AgeBand => age_band_sql("x.born", scope.age_on),
            Breakdown::Sex => "COALESCE(x.sex, '')".to_string(),
            Breakdown::Ethnicity => "COALESCE(x.ethnicity, '')".to_string(),
            Breakdown::Channel => "CASE WHEN x.sms = 1 THEN 'sms' ELSE 'web' END".to_string(),
        };
        // $4, the supporter, is always named so that both databases see
        // the same parameters; it is NULL unless the caseload is asked for.
        let mut filter =
            "AND (CAST($4 AS TEXT) IS NULL OR x.supporter_id = CAST($4 AS TEXT))".to_string();
        if let Some(q) = scope.quintile.filter(|q| (1..=5).contains(q)) {
            filter.push_str(&format!(" AND {quintile} = {q}"));
        }
        ScopeSql { key, filter }
    }
}

/// The age band's lowest age as text ('' when the date of birth is
/// missing or malformed), from exact age in years on `on` (YYYYMMDD),
/// computed as (on - born) / 10000 like `reports::groups::age_years`;
/// `born` is the date of birth as YYYYMMDD, NULL when it was not a date.
fn age_band_sql(born: &str, on: i64) -> String {
    let age = format!("(({on} - {born}) / 10000)");
    let arms: String = AgeBand::ALL
        .iter()
        .rev()
        .map(|b| format!(" WHEN {age} >= {0} THEN '{0}'", b.lowest()))
        .collect();
    format!("CASE WHEN {born} IS NULL THEN '' ELSE CASE{arms} ELSE '0' END END")
}
