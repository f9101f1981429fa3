//! Matching tests. Every person here is invented; identifiers come from the
//! NHS number test range or are computed.

use super::names::{Agreement, compare, jaro_winkler, tokens};
use super::*;
use crate::identifiers::{ChiCheckForm, luhn_check_digit};
use proptest::prelude::*;

fn today() -> Date {
    Date::new(2026, 11, 21).unwrap()
}

fn dob() -> Date {
    Date::new(1990, 5, 14).unwrap()
}

fn person(given: &str, family: &str, postcode: Option<&str>) -> PersonDetails {
    PersonDetails {
        given_name: given.to_string(),
        family_name: family.to_string(),
        date_of_birth: dob(),
        nhs_number: None,
        chi: None,
        postcode: postcode.map(|p| UkPostcode::parse(p).unwrap()),
    }
}

/// NHS numbers from the test range.
fn test_nhs(k: u8) -> NhsNumber {
    (0..=9)
        .find_map(|x| NhsNumber::from_first_nine([9, 9, 9, 4, 0, 0, k / 10, k % 10, x]))
        .unwrap()
}

/// A Luhn-form CHI number for `dob()` that does not also pass modulus 11.
fn test_chi() -> Chi {
    (0..100u8)
        .find_map(|k| {
            let nine = [1, 4, 0, 5, 9, 0, k / 10, k % 10, 8];
            let n: String = nine
                .iter()
                .chain(&[luhn_check_digit(nine)])
                .map(|d| char::from(b'0' + d))
                .collect();
            Chi::parse(&n, today())
                .ok()
                .filter(|c| c.check_form() == ChiCheckForm::Luhn)
        })
        .unwrap()
}

#[test]
fn jaro_winkler_matches_the_published_examples() {
    // Winkler's examples, as usually quoted: MARTHA/MARHTA 0.961,
    // DWAYNE/DUANE 0.840, DIXON/DICKSONX 0.813.
    let close = |a: &str, b: &str, want: f64| {
        let got = jaro_winkler(a, b);
        assert!((got - want).abs() < 0.0005, "{a}/{b}: {got}");
    };
    close("martha", "marhta", 0.961);
    close("dwayne", "duane", 0.840);
    close("dixon", "dicksonx", 0.813);
    close("same", "same", 1.0);
    close("abc", "xyz", 0.0);
    assert_eq!(jaro_winkler("", ""), 1.0);
    assert_eq!(jaro_winkler("a", ""), 0.0);
}

#[test]
fn names_are_normalised_for_comparison() {
    assert_eq!(tokens("Siân"), ["sian"]);
    assert_eq!(tokens("SIA\u{302}N"), ["sian"]); // decomposed accent
    assert_eq!(tokens("O'Brien"), ["obrien"]);
    assert_eq!(tokens("O’Brien"), ["obrien"]);
    assert_eq!(tokens("McLeod"), ["macleod"]);
    assert_eq!(tokens("Mc Leod"), ["mac", "leod"]);
    assert_eq!(tokens("Smith-Jones"), ["smith", "jones"]);
    assert_eq!(tokens("  J.  A. "), ["j", "a"]);
    assert_eq!(
        tokens("Øystein Åberg Straße"),
        ["oystein", "aberg", "strasse"]
    );
    assert_eq!(tokens("Łukasz Wróbel"), ["lukasz", "wrobel"]);
    assert_eq!(tokens("Ciarán Ó Dálaigh"), ["ciaran", "o", "dalaigh"]);

    let agreement = |a: &str, b: &str| compare(a, b).agreement;
    assert_eq!(agreement("Macleod", "Macleod"), Agreement::Identical);
    assert_eq!(agreement("Macleod", "MacLeod"), Agreement::Equivalent);
    assert_eq!(agreement("McLeod", "MacLeod"), Agreement::Equivalent);
    assert_eq!(agreement("Mac Leod", "MacLeod"), Agreement::Equivalent);
    assert_eq!(agreement("Siân", "SIAN"), Agreement::Equivalent);
    assert_eq!(
        agreement("Smith Jones", "Smith-Jones"),
        Agreement::Equivalent
    );
    assert_eq!(agreement("Smith", "Smith-Jones"), Agreement::Part);
    assert_eq!(agreement("Mary Ann", "Mary"), Agreement::Part);
    assert_eq!(agreement("J", "John"), Agreement::Initial);
    assert_eq!(agreement("J. A.", "John Andrew"), Agreement::Initial);
    assert_eq!(agreement("Smyth", "Smith"), Agreement::Similar);
    assert_eq!(agreement("Jon", "John"), Agreement::Similar);
    assert_eq!(agreement("Ailsa", "Morag"), Agreement::Different);
    assert_eq!(agreement("K", "John"), Agreement::Different);
    assert_eq!(agreement("", "John"), Agreement::Different);
}

#[test]
fn an_identifier_match_wins_even_when_the_rest_differs() {
    let mut referral = person("Catriona", "Munro", Some("IV2 3BX"));
    referral.nhs_number = Some(test_nhs(1));
    let same_details = person("Catriona", "Munro", Some("IV2 3BX"));
    let mut same_number = person("Kate", "Ross", None);
    same_number.nhs_number = Some(test_nhs(1));
    same_number.date_of_birth = Date::new(1991, 5, 14).unwrap();

    let found = find_candidates(&referral, [(1, &same_details), (2, &same_number)]);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].patient, 2);
    assert_eq!(found[0].strength, Strength::Identifier);
    assert_eq!(found[0].score, 1.0);
    assert!(
        found[0].reason.starts_with("Same NHS number"),
        "{}",
        found[0].reason
    );
    assert!(
        found[0].reason.contains("date of birth differs"),
        "{}",
        found[0].reason
    );
    assert!(
        found[0].reason.contains("names differ"),
        "{}",
        found[0].reason
    );
    assert_eq!(found[1].patient, 1);
    assert_eq!(found[1].strength, Strength::Strong);
    assert_eq!(
        found[1].reason,
        "Same date of birth, given name, family name and postcode"
    );
}

#[test]
fn the_same_chi_number_is_an_identifier_match() {
    let mut referral = person("Ruaridh", "Fraser", None);
    referral.chi = Some(test_chi());
    let mut patient = person("Ruaridh", "Fraser", Some("PH1 5RB"));
    patient.chi = Some(test_chi());
    let a = assess(&referral, &patient);
    assert_eq!(a.strength, Some(Strength::Identifier));
    assert_eq!(a.reason, "Same CHI number");
}

#[test]
fn the_same_person_typed_differently_is_found() {
    let cases = [
        // (referral, patient, words the reason must contain)
        (
            person("SIAN", "JONES", Some("cf10 1aa")),
            person("Sian", "Jones", Some("CF10 1AA")),
            "given name similar (SIAN / Sian)",
        ),
        (
            person("Siân", "Jones", Some("CF10 1AA")),
            person("Sian", "Jones", Some("CF10 1AA")),
            "given name similar (Siân / Sian)",
        ),
        (
            person("Iain", "Macleod", Some("EH1 1AA")),
            person("Iain", "MacLeod", Some("EH1 1AA")),
            "Same date of birth, given name and postcode; family name similar (Macleod / MacLeod)",
        ),
        (
            person("Iain", "McLeod", Some("EH1 1AA")),
            person("Iain", "MacLeod", None),
            "family name similar (McLeod / MacLeod)",
        ),
        (
            person("Jones", "Siân", Some("CF10 1AA")),
            person("Sian", "Jones", Some("CF101AA")),
            "same names with given and family names swapped (Jones Siân / Sian Jones)",
        ),
        (
            person("Niamh", "O'Brien", Some("BT1 1AA")),
            person("Niamh", "OBrien", Some("BT1 1AA")),
            "family name similar (O'Brien / OBrien)",
        ),
        (
            person("Anna", "Smith-Jones", Some("G1 1AA")),
            person("Anna", "Smith", Some("G1 1AA")),
            "family name partly the same (Smith-Jones / Smith)",
        ),
        (
            person("J.", "Campbell", Some("AB10 1AA")),
            person("James", "Campbell", Some("AB10 1AA")),
            "given name initial matches (J. / James)",
        ),
        (
            person("Eilidh", "Smyth", Some("KY1 1AA")),
            person("Eilidh", "Smith", Some("KY1 2BB")),
            "family name similar (Smyth / Smith); same postcode district (KY1)",
        ),
    ];
    for (referral, patient, words) in cases {
        let found = find_candidates(&referral, [("p", &patient)]);
        assert_eq!(found.len(), 1, "{referral:?} / {patient:?}");
        assert!(found[0].score >= THRESHOLD);
        assert!(found[0].reason.contains(words), "{}", found[0].reason);
        // Each direction gives the same score.
        assert_eq!(assess(&patient, &referral).score, found[0].score);
    }
}

#[test]
fn different_people_sharing_a_birthday_and_district_are_not_candidates() {
    let referral = person("Ewan", "Campbell", Some("EH1 1AA"));
    for other in [
        person("Fiona", "Macdonald", Some("EH1 2BB")),
        person("Priya", "Sharma", Some("EH1 3DD")),
        person("Tomasz", "Nowak", Some("EH1 1AA")),
        person("Grace", "Okafor", None),
    ] {
        let a = assess(&referral, &other);
        assert!(a.score < THRESHOLD, "{other:?}: {} ({})", a.score, a.reason);
        assert_eq!(a.strength, None);
        assert!(find_candidates(&referral, [(0, &other)]).is_empty());
    }
    // A different date of birth is never a demographic candidate.
    let mut twin_days_apart = person("Ewan", "Campbell", Some("EH1 1AA"));
    twin_days_apart.date_of_birth = Date::new(1990, 5, 15).unwrap();
    let a = assess(&referral, &twin_days_apart);
    assert_eq!((a.score, a.strength), (0.0, None));
    assert_eq!(a.reason, "Different date of birth");
}

#[test]
fn twins_are_candidates_with_a_clear_reason() {
    let mut referral = person("Ailsa", "Grant", Some("DD1 4HN"));
    referral.nhs_number = Some(test_nhs(2));
    let mut twin = person("Morag", "Grant", Some("DD1 4HN"));
    twin.nhs_number = Some(test_nhs(3));
    let found = find_candidates(&referral, [(7, &twin)]);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].strength, Strength::Possible);
    assert_eq!(
        found[0].reason,
        format!(
            "Same date of birth, family name and postcode; given names differ (Ailsa / Morag); \
             could be a twin or another member of the same family; but the NHS numbers differ ({} / {})",
            test_nhs(2),
            test_nhs(3)
        )
    );
}

#[test]
fn candidates_are_ranked_identifier_then_score() {
    let referral = person("Isla", "Reid", Some("G12 8QQ"));
    let district = person("Isla", "Reid", Some("G12 9AB"));
    let exact = person("Isla", "Reid", Some("G12 8QQ"));
    let nobody = person("Callum", "Baird", Some("G12 8QQ"));
    let mut by_chi = person("Isla", "Reid", None);
    by_chi.chi = Some(test_chi());
    let mut referral_with_chi = referral.clone();
    referral_with_chi.chi = Some(test_chi());
    let found = find_candidates(
        &referral_with_chi,
        [
            ("district", &district),
            ("nobody", &nobody),
            ("exact", &exact),
            ("chi", &by_chi),
        ],
    );
    let order: Vec<_> = found.iter().map(|c| c.patient).collect();
    assert_eq!(order, ["chi", "exact", "district"]);
    assert!(found[1].score > found[2].score);
}

fn name_part() -> impl Strategy<Value = String> {
    proptest::sample::select(vec![
        "Siân",
        "Sian",
        "MacLeod",
        "McLeod",
        "Macleod",
        "O'Brien",
        "Smith-Jones",
        "Smith",
        "Anna",
        "Ann",
        "J",
        "John",
        "Jon",
        "Morag",
        "Ailsa",
        "Grant",
        "Fraser",
        "Ó Dálaigh",
        "Mary Ann",
        "Łukasz",
    ])
    .prop_map(str::to_string)
}

fn postcode_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(
        proptest::sample::select(vec!["EH1 1AA", "EH1 2BB", "G1 1AA", "CF10 1AA", "EH11 1AA"])
            .prop_map(str::to_string),
    )
}

/// The same text with its case and spacing changed: every character's case
/// may flip, and spaces may be added around words or doubled.
fn retype(s: &str, flips: &[bool], spaces: &[u8]) -> String {
    let mut out = " ".repeat(usize::from(spaces.first().copied().unwrap_or(0) % 3));
    for (i, c) in s.chars().enumerate() {
        let flip = flips.get(i).copied().unwrap_or(false);
        if c == ' ' {
            out.push_str(&" ".repeat(1 + usize::from(spaces.get(i).copied().unwrap_or(0) % 3)));
        } else if flip && c.is_uppercase() {
            out.extend(c.to_lowercase());
        } else if flip {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
    }
    out.push_str(&" ".repeat(usize::from(spaces.last().copied().unwrap_or(0) % 2)));
    out
}

fn details(given: &str, family: &str, postcode: Option<&str>) -> PersonDetails {
    PersonDetails {
        given_name: given.to_string(),
        family_name: family.to_string(),
        date_of_birth: dob(),
        nhs_number: None,
        chi: None,
        postcode: postcode.map(|p| UkPostcode::parse(p).unwrap()),
    }
}

proptest! {
    #[test]
    fn case_and_spacing_do_not_change_the_score(
        (g1, f1, g2, f2) in (name_part(), name_part(), name_part(), name_part()),
        (p1, p2) in (postcode_text(), postcode_text()),
        flips in proptest::collection::vec(any::<bool>(), 40),
        spaces in proptest::collection::vec(any::<u8>(), 40),
    ) {
        let a = details(&g1, &f1, p1.as_deref());
        let b = details(&g2, &f2, p2.as_deref());
        let retyped = details(
            &retype(&g1, &flips, &spaces),
            &retype(&f1, &flips[7..], &spaces[3..]),
            p1.as_deref().map(|p| retype(p, &flips[13..], &spaces[5..])).as_deref(),
        );
        let score = assess(&a, &b).score;
        prop_assert_eq!(assess(&retyped, &b).score, score);
        prop_assert_eq!(assess(&b, &retyped).score, score);
        // And the order of the two records does not matter.
        prop_assert_eq!(assess(&b, &a).score, score);
        prop_assert!((0.0..=1.0).contains(&score));
    }

    #[test]
    fn a_person_always_matches_their_own_record_retyped(
        (g, f) in (name_part(), name_part()),
        p in postcode_text(),
        flips in proptest::collection::vec(any::<bool>(), 40),
        spaces in proptest::collection::vec(any::<u8>(), 40),
    ) {
        let record = details(&g, &f, p.as_deref());
        let retyped = details(&retype(&g, &flips, &spaces), &retype(&f, &flips[9..], &spaces[9..]), p.as_deref());
        let a = assess(&retyped, &record);
        prop_assert!(a.score >= 0.8, "{} {}", a.score, a.reason);
        prop_assert!(a.strength.is_some());
    }

    #[test]
    fn jaro_winkler_is_symmetric_and_bounded(a in "[a-z]{0,12}", b in "[a-z]{0,12}") {
        let x = jaro_winkler(&a, &b);
        prop_assert_eq!(x, jaro_winkler(&b, &a));
        prop_assert!((0.0..=1.0).contains(&x));
        prop_assert_eq!(jaro_winkler(&a, &a), 1.0);
    }
}
