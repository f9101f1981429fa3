//! Values typed by people: free text, identifiers (NHS number, CHI,
//! postcode), names, emails, phone numbers, dates of birth, check-ins and
//! safety plans. Each parser must answer with its typed error for anything
//! at all, and what it accepts must be in its canonical form: parsing the
//! accepted value again gives the same value.

use super::{config, text};
use crate::check_in::NewCheckIn;
use crate::identifiers::{Chi, NhsNumber, UkPostcode, modulus11_check_digit};
use crate::person::{DateOfBirth, Email, NewPassword, PersonName, PhoneNumber};
use crate::safety_plan::{SafetyPlan, SafetyPlanText};
use crate::text::{Lines, check};
use crate::time::{Date, Timestamp};
use proptest::prelude::*;
use proptest::sample::select;

/// Digits with the separators people type between them.
fn spaced(digits: String) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        select(&["", "", "", " ", "-", "  ", "\u{a0}", "/"][..]),
        0..=digits.len(),
    )
    .prop_map(move |seps| {
        digits
            .chars()
            .zip(seps.iter().chain(std::iter::repeat(&"")))
            .map(|(d, s)| format!("{d}{s}"))
            .collect()
    })
}

/// NHS numbers: mostly valid (a real check digit), typed with separators.
fn nhs_like() -> impl Strategy<Value = String> {
    let valid = proptest::array::uniform9(0u8..10).prop_filter_map("no check digit", |nine| {
        NhsNumber::from_first_nine(nine).map(|n| n.as_str().to_owned())
    });
    prop_oneof![3 => valid.prop_flat_map(spaced), 1 => "[0-9 -]{0,14}", 1 => text()]
}

/// CHI numbers: a real date, any sequence digits, a modulus 11 check digit.
fn chi_like() -> impl Strategy<Value = String> {
    let valid = (
        1u8..=31,
        1u8..=12,
        0u8..100,
        proptest::array::uniform3(0u8..10),
    )
        .prop_filter_map("no check digit", |(d, m, y, rest)| {
            let nine = [
                d / 10,
                d % 10,
                m / 10,
                m % 10,
                y / 10,
                y % 10,
                rest[0],
                rest[1],
                rest[2],
            ];
            modulus11_check_digit(nine).map(|c| {
                nine.iter()
                    .chain([&c])
                    .map(|d| char::from(b'0' + d))
                    .collect()
            })
        });
    prop_oneof![3 => valid.prop_flat_map(spaced), 1 => "[0-9 -]{0,14}", 1 => text()]
}

fn postcode_like() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z]{1,2}[0-9][0-9A-Za-z]? {0,2}[0-9][A-Za-z]{2}",
        1 => "[A-Z0-9 ]{0,10}",
        1 => text(),
    ]
}

fn today() -> impl Strategy<Value = Date> {
    // 1970 to 2100: dates of birth and CHI centuries depend on it.
    (0i64..47_480).prop_map(|d| {
        Date::new(1970, 1, 1)
            .unwrap()
            .checked_add(jiff::Span::new().days(d))
            .unwrap()
    })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn free_text_rules_never_panic_and_one_line_implies_many(s in text()) {
        if check(&s, Lines::One).is_ok() {
            prop_assert!(check(&s, Lines::Many).is_ok());
            prop_assert!(!s.contains('\n'));
        }
        if s.contains('\u{202e}') || s.contains('\u{200b}') || s.contains('\u{e000}') {
            prop_assert!(check(&s, Lines::Many).is_err());
        }
    }

    #[test]
    fn nhs_numbers_are_canonical(s in nhs_like()) {
        if let Ok(n) = NhsNumber::parse(&s) {
            prop_assert_eq!(n.as_str().len(), 10);
            prop_assert_eq!(NhsNumber::parse(n.as_str()), Ok(n));
        }
    }

    #[test]
    fn chi_numbers_are_canonical_and_born_by_today(s in chi_like(), today in today()) {
        if let Ok(c) = Chi::parse(&s, today) {
            prop_assert!(c.date_of_birth() <= today);
            prop_assert!(c.matches_date_of_birth(c.date_of_birth()));
            let again = Chi::parse(c.as_str(), today).expect("an accepted CHI reads again");
            prop_assert_eq!(again.as_str(), c.as_str());
            prop_assert_eq!(again.date_of_birth(), c.date_of_birth());
        }
    }

    #[test]
    fn postcodes_are_canonical(s in postcode_like()) {
        if let Ok(p) = UkPostcode::parse(&s) {
            prop_assert_eq!(format!("{} {}", p.outward(), p.inward()), p.as_str());
            prop_assert!(p.outward().starts_with(p.area()));
            prop_assert_eq!(UkPostcode::parse(p.as_str()), Ok(p));
        }
    }

    #[test]
    fn names_emails_and_phones_are_canonical_and_storable(s in text(), e in "[a-z.+_-]{0,8}@[a-z-]{0,8}(\\.[a-z]{0,4}){0,2}", p in "[+]?[0-9 ()-]{0,16}") {
        for input in [&s, &e, &p] {
            if let Ok(n) = PersonName::parse(input) {
                prop_assert!(check(n.as_str(), Lines::One).is_ok());
                prop_assert_eq!(PersonName::parse(n.as_str()), Ok(n));
            }
            if let Ok(m) = Email::parse(input) {
                prop_assert!(check(m.as_str(), Lines::One).is_ok());
                prop_assert_eq!(Email::parse(m.as_str()), Ok(m));
            }
            if let Ok(ph) = PhoneNumber::parse(input) {
                prop_assert_eq!(PhoneNumber::parse(ph.as_str()), Ok(ph));
            }
            let _ = NewPassword::parse(input);
        }
    }

    #[test]
    fn dates_of_birth_are_in_the_past_and_read_back(
        s in prop_oneof!["[0-9]{4}-[0-9]{2}-[0-9]{2}", text()],
        parts in ("[0-9]{0,3}", "[0-9]{0,3}", "-?[0-9]{0,5}"),
        today in today(),
    ) {
        let typed = DateOfBirth::parse(&s, today);
        let boxes = DateOfBirth::from_parts(&parts.0, &parts.1, &parts.2, today);
        for dob in [typed, boxes].into_iter().flatten() {
            prop_assert!(dob.date() <= today);
            prop_assert!(dob.age_on(today) >= 0);
            prop_assert_eq!(DateOfBirth::parse(&dob.date().to_string(), today), Ok(dob));
        }
    }

    #[test]
    fn check_ins_and_safety_plans_are_refused_by_field(
        fields in proptest::collection::vec(prop_oneof!["-?[0-9]{1,3}(\\.5)?", text()], 5),
        now in 946_684_800i64..4_102_444_800,
        offset in -1_000_000i64..1_000_000,
    ) {
        let now = Timestamp::from_second(now).unwrap();
        let at = Timestamp::from_second(now.as_second() + offset).ok();
        match NewCheckIn::parse(&fields[0], &fields[1], &fields[2], &fields[3], at, now) {
            Ok(c) => prop_assert!(c.mood <= 10 && c.checked_in_at <= now.checked_add(jiff::SignedDuration::from_mins(5)).unwrap()),
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
        let plan = SafetyPlanText {
            warning_signs: fields[0].clone(),
            coping_strategies: fields[1].clone(),
            people_and_places: fields[2].clone(),
            professionals: fields[3].clone(),
            safe_environment: fields[4].clone(),
        };
        if let Ok(p) = SafetyPlan::parse(&plan) {
            prop_assert_eq!(SafetyPlan::parse(&p.to_text()), Ok(p));
        }
    }
}
