//! How a report query reaches the person behind a row (a referral, an
//! episode, an alert) and turns them into a group key: deprivation
//! quintile (from the imported postcode look-up, or the decile recorded
//! with the demographics when no edition is chosen), age band, sex,
//! ethnicity or channel.

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

/// Which table the rows come from.
#[derive(Clone, Copy)]
pub(crate) enum Person {
    Referral,
    Episode,
    Alert,
}

pub(crate) struct ScopeSql {
    pub joins: String,
    pub key: String,
    pub filter: String,
}

impl ScopeSql {
    pub fn new(scope: &ReportScope, person: Person) -> ScopeSql {
        // The referral carries its own date of birth, postcode and channel
        // (a self-referral has no patient until it is accepted).
        let (joins, dob, postcode, channel) = match person {
            Person::Referral => (
                "LEFT JOIN patients p ON p.id = r.patient_id \
                 LEFT JOIN patient_demographics d ON d.patient_id = r.patient_id",
                "r.date_of_birth",
                "COALESCE(r.postcode, d.postcode)",
                "CASE WHEN r.preferred_channel = 'sms' THEN 'sms' ELSE 'web' END",
            ),
            Person::Episode | Person::Alert => (
                if matches!(person, Person::Episode) {
                    "JOIN patients p ON p.id = e.patient_id \
                     LEFT JOIN patient_demographics d ON d.patient_id = e.patient_id \
                     LEFT JOIN contact_preferences c ON c.patient_id = e.patient_id"
                } else {
                    "JOIN patients p ON p.id = a.patient_id \
                     LEFT JOIN patient_demographics d ON d.patient_id = a.patient_id \
                     LEFT JOIN contact_preferences c ON c.patient_id = a.patient_id"
                },
                "p.date_of_birth",
                "COALESCE(d.postcode, p.postcode)",
                "CASE WHEN c.sms = 1 THEN 'sms' ELSE 'web' END",
            ),
        };
        let mut joins = joins.to_string();
        let decile = match scope.edition {
            Some(edition) => {
                joins.push_str(&format!(
                    " LEFT JOIN deprivation_lookup l ON l.edition = '{}' AND l.postcode = {postcode}",
                    edition.as_str()
                ));
                "l.decile"
            }
            None => "d.imd_decile",
        };
        let quintile = format!("(({decile} + 1) / 2)");
        let key = match scope.by {
            Breakdown::None => "'all'".to_string(),
            Breakdown::Quintile => format!("COALESCE(CAST({quintile} AS TEXT), '')"),
            Breakdown::AgeBand => age_band_sql(dob, scope.age_on),
            Breakdown::Sex => "COALESCE(d.sex, '')".to_string(),
            Breakdown::Ethnicity => "COALESCE(d.ethnicity, '')".to_string(),
            Breakdown::Channel => channel.to_string(),
        };
        // $4, the supporter, is always named so that both databases see
        // the same parameters; it is NULL unless the caseload is asked for.
        let mut filter =
            "AND (CAST($4 AS TEXT) IS NULL OR p.supporter_id = CAST($4 AS TEXT))".to_string();
        if let Some(q) = scope.quintile.filter(|q| (1..=5).contains(q)) {
            filter.push_str(&format!(" AND {quintile} = {q}"));
        }
        ScopeSql { joins, key, filter }
    }
}

/// The age band's lowest age as text ('' when the date of birth is
/// missing or malformed), from exact age in years on `on` (YYYYMMDD),
/// computed as (on - born) / 10000 like `reports::groups::age_years`.
fn age_band_sql(dob: &str, on: i64) -> String {
    let age = format!("(({on} - CAST(REPLACE({dob}, '-', '') AS BIGINT)) / 10000)");
    let arms: String = AgeBand::ALL
        .iter()
        .rev()
        .map(|b| format!(" WHEN {age} >= {0} THEN '{0}'", b.lowest()))
        .collect();
    format!("CASE WHEN {dob} LIKE '____-__-__' THEN CASE{arms} ELSE '0' END ELSE '' END")
}
