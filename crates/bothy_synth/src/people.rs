//! People: names, age, sex, ethnicity, postcode and deprivation decile.
//!
//! The distributions describe people referred to an NHS Talking Therapies
//! service in England, not the whole population; `docs/synth.md` gives
//! their sources and the reasoning.

use crate::rng::Rng;
use bothy_domain::time::Date;

const GIVEN: [&str; 40] = [
    "Aisha", "Alex", "Amelia", "Amir", "Ava", "Ben", "Chloe", "Chris", "Daniel", "Ella", "Emily",
    "Fatima", "George", "Grace", "Harry", "Hannah", "Isla", "Jack", "James", "Jade", "Joshua",
    "Kai", "Leah", "Liam", "Lucy", "Mia", "Mohammed", "Nathan", "Olivia", "Oscar", "Priya", "Rhys",
    "Ruby", "Ryan", "Sam", "Sophie", "Thomas", "Tom", "Yusuf", "Zara",
];
const FAMILY: [&str; 40] = [
    "Ahmed", "Ali", "Allen", "Bailey", "Baker", "Begum", "Brown", "Clarke", "Davies", "Evans",
    "Green", "Hall", "Harris", "Hughes", "Hussain", "Jackson", "Jones", "Khan", "King", "Lee",
    "Lewis", "Martin", "Mensah", "Moore", "Nowak", "Okafor", "Patel", "Roberts", "Robinson",
    "Shah", "Singh", "Smith", "Taylor", "Thomas", "Thompson", "Walker", "White", "Williams",
    "Wilson", "Wood",
];

/// Age bands of referrals (years, inclusive) and their share: most people
/// referred are young adults, few are over 65.
const AGE_BANDS: [((i64, i64), f64); 6] = [
    ((18, 25), 0.22),
    ((26, 35), 0.26),
    ((36, 45), 0.20),
    ((46, 55), 0.16),
    ((56, 65), 0.10),
    ((66, 85), 0.06),
];

/// About two referrals in three are women's.
const SEX: [(&str, f64); 4] = [
    ("female", 0.65),
    ("male", 0.335),
    ("other", 0.005),
    ("not_stated", 0.01),
];

/// Broad ethnic groups of the 2021 census, England (ONS TS021), with a few
/// records not stated as in routine data.
const ETHNICITY: [(&str, f64); 6] = [
    ("white", 0.790),
    ("asian", 0.094),
    ("black", 0.041),
    ("mixed", 0.030),
    ("other", 0.021),
    ("not_stated", 0.024),
];

/// IMD deciles (1 most deprived): each holds a tenth of England's small
/// areas, but referrals come more from deprived ones.
const IMD: [(i64, f64); 10] = [
    (1, 0.13),
    (2, 0.12),
    (3, 0.115),
    (4, 0.105),
    (5, 0.10),
    (6, 0.095),
    (7, 0.09),
    (8, 0.085),
    (9, 0.08),
    (10, 0.08),
];

/// Postcode districts in England to build postcodes in. A synthetic
/// postcode is not a real address and its decile is drawn independently.
const DISTRICTS: [&str; 24] = [
    "B23", "BD3", "BS5", "CV1", "DE22", "DN4", "HU5", "L8", "LE2", "LS6", "M14", "ME7", "N17",
    "NE4", "NG7", "NR2", "OX4", "PL4", "PO4", "S10", "SE15", "SO14", "ST4", "WV10",
];
/// Letters allowed in the inward code (no C, I, K, M, O or V).
const INWARD: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

#[derive(Debug, Clone)]
pub struct Person {
    pub given_name: &'static str,
    pub family_name: &'static str,
    pub date_of_birth: Date,
    pub sex: &'static str,
    pub ethnicity: &'static str,
    pub postcode: String,
    pub imd_decile: i64,
}

pub fn person(r: &mut Rng, today: Date) -> Person {
    let (lo, hi) = r.pick(&AGE_BANDS);
    let age = r.range(lo, hi);
    let days = age * 365 + r.range(0, 364);
    let date_of_birth = today
        .checked_sub(jiff::Span::new().days(days))
        .unwrap_or(today);
    let given_name = GIVEN[r.below(GIVEN.len() as u64) as usize];
    let family_name = FAMILY[r.below(FAMILY.len() as u64) as usize];
    Person {
        given_name,
        family_name,
        date_of_birth,
        sex: r.pick(&SEX),
        ethnicity: r.pick(&ETHNICITY),
        postcode: postcode(r),
        imd_decile: r.pick(&IMD),
    }
}

fn postcode(r: &mut Rng) -> String {
    let district = r.choose(&DISTRICTS);
    let a = *r.choose(INWARD) as char;
    let b = *r.choose(INWARD) as char;
    format!("{district} {}{a}{b}", r.range(1, 9))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bothy_domain::identifiers::UkPostcode;

    #[test]
    fn people_are_adults_with_valid_postcodes() {
        let today = Date::constant(2026, 6, 1);
        let mut r = Rng::stream(1, 1);
        for _ in 0..2000 {
            let p = person(&mut r, today);
            let age = p.date_of_birth.until(today).unwrap().get_days() / 365;
            assert!((18..=86).contains(&age), "{age}");
            assert!(UkPostcode::parse(&p.postcode).is_ok(), "{}", p.postcode);
            assert!((1..=10).contains(&p.imd_decile));
        }
    }
}
