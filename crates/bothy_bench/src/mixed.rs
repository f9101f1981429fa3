//! W7, a mixed load at a fixed rate: patients submitting PHQ-9 forms and
//! checking in, staff opening their home and patient pages, FHIR clients
//! creating and searching QuestionnaireResponses, all at once. Each kind
//! of request is its own open loop at its share of the rate, on its own
//! connections, all started together: latencies count from when each
//! request was due (no coordinated omission) and are reported per kind.

use crate::load::open_loop;
use crate::reads::Get;
use crate::stats::{Samples, Summary};
use crate::writes::{CheckIn, FhirPhq9, FormPhq9};
use std::time::Duration;

/// Each kind's share of the requests.
pub const SHARES: Shares = Shares {
    form: 0.15,
    check_in: 0.30,
    staff_home: 0.10,
    patient_page: 0.20,
    fhir_create: 0.15,
    fhir_search: 0.10,
};

#[derive(Debug, Clone, Copy)]
pub struct Shares {
    pub form: f64,
    pub check_in: f64,
    pub staff_home: f64,
    pub patient_page: f64,
    pub fhir_create: f64,
    pub fhir_search: f64,
}

/// The connections of each kind.
pub struct Clients {
    pub forms: Vec<FormPhq9>,
    pub check_ins: Vec<CheckIn>,
    pub staff_homes: Vec<Get>,
    pub patient_pages: Vec<Get>,
    pub fhir_creates: Vec<FhirPhq9>,
    pub fhir_searches: Vec<Get>,
}

/// One kind's result: its name, its rate and its summary.
pub struct Part {
    pub kind: &'static str,
    pub rate: f64,
    pub summary: Summary,
}

/// Runs every kind at once for `duration`, `rate` requests a second in all;
/// returns each kind's result and all requests together.
pub async fn run(c: Clients, rate: f64, duration: Duration) -> (Vec<Part>, Summary) {
    let s = SHARES;
    let ((form, _), (check_in, _), (home, _), (page, _), (create, _), (search, _)) = tokio::join!(
        open_loop(c.forms, rate * s.form, duration),
        open_loop(c.check_ins, rate * s.check_in, duration),
        open_loop(c.staff_homes, rate * s.staff_home, duration),
        open_loop(c.patient_pages, rate * s.patient_page, duration),
        open_loop(c.fhir_creates, rate * s.fhir_create, duration),
        open_loop(c.fhir_searches, rate * s.fhir_search, duration),
    );
    let parts = [
        ("W7 mixed: PHQ-9 form", s.form, form),
        ("W7 mixed: mood check-in", s.check_in, check_in),
        ("W7 mixed: staff home", s.staff_home, home),
        ("W7 mixed: patient page", s.patient_page, page),
        ("W7 mixed: FHIR create", s.fhir_create, create),
        ("W7 mixed: FHIR search", s.fhir_search, search),
    ];
    let elapsed = parts
        .iter()
        .map(|(_, _, p)| p.elapsed)
        .max()
        .unwrap_or_default();
    let all = Samples::merge(parts.iter().map(|(_, _, p)| p.clone()), elapsed).summary();
    let parts = parts
        .into_iter()
        .map(|(kind, share, samples)| Part {
            kind,
            rate: rate * share,
            summary: samples.summary(),
        })
        .collect();
    (parts, all)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shares_make_the_whole() {
        let s = super::SHARES;
        let sum =
            s.form + s.check_in + s.staff_home + s.patient_page + s.fhir_create + s.fhir_search;
        assert!((sum - 1.0).abs() < 1e-9);
    }
}
