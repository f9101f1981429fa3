use super::*;
use proptest::prelude::*;

fn today() -> Date {
    Date::new(2026, 11, 21).unwrap()
}

#[test]
fn phone_numbers_normalise_to_e164() {
    for (typed, want) in [
        ("07700 900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("0044 (131) 496 0000", "+441314960000"),
        ("+1 202-555-0100", "+12025550100"),
    ] {
        assert_eq!(
            PhoneNumber::parse(typed).map(|p| p.to_string()),
            Ok(want.to_string()),
            "{typed}"
        );
    }
    for bad in [
        "",
        "0770090012",
        "077009001234",
        "+44 07700 900123",
        "7700900123",
        "0770O900123",
        "+4+4",
        "<script>",
    ] {
        assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
    }
    assert!(PhoneNumber::parse("07700900123").unwrap().is_uk_mobile());
    assert!(!PhoneNumber::parse("01314960000").unwrap().is_uk_mobile());
}

#[test]
fn emails_are_lower_cased_and_checked() {
    assert_eq!(
        Email::parse(" Ann.Smith@Example.NHS.uk ").unwrap().as_str(),
        "ann.smith@example.nhs.uk"
    );
    for bad in [
        "",
        "ann",
        "ann@",
        "@example.com",
        "ann@example",
        "ann@@example.com",
        "a b@example.com",
        "ann@exa mple.com",
        "<a>@x.com",
        "ann@.example.com",
        "ann@example..com",
    ] {
        assert!(Email::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn names_keep_every_script_and_refuse_empty_or_control() {
    for good in ["Siân O'Neill-Ross", "Nguyễn Văn An", "محمد", "X Æ A-12"] {
        assert!(PersonName::parse(good).is_ok(), "{good}");
    }
    assert_eq!(
        PersonName::parse("  Ann   Smith ").unwrap().as_str(),
        "Ann Smith"
    );
    for bad in ["", "   ", "123", "Ann\nSmith", "Ann\u{0}"] {
        assert!(PersonName::parse(bad).is_err(), "{bad:?}");
    }
    assert!(PersonName::parse(&"a".repeat(101)).is_err());
    assert!(PersonName::parse(&"a".repeat(100)).is_ok());
}

#[test]
fn dates_of_birth_must_be_real_past_and_plausible() {
    assert!(DateOfBirth::from_parts("29", "2", "2024", today()).is_ok());
    assert!(DateOfBirth::from_parts("29", "2", "2023", today()).is_err());
    assert!(DateOfBirth::from_parts("22", "11", "2026", today()).is_err());
    assert!(DateOfBirth::from_parts("21", "11", "2026", today()).is_ok());
    assert!(DateOfBirth::from_parts("20", "11", "1906", today()).is_err());
    assert!(DateOfBirth::from_parts("21", "11", "1906", today()).is_ok());
    assert!(DateOfBirth::from_parts("1", "1", "90", today()).is_err());
    assert!(DateOfBirth::parse("1990-03-27", today()).is_ok());
    assert!(DateOfBirth::parse("27/03/1990", today()).is_err());
    let dob = DateOfBirth::parse("2000-11-22", today()).unwrap();
    assert_eq!(dob.age_on(today()), 25);
    assert_eq!(dob.age_on(Date::new(2026, 11, 22).unwrap()), 26);
}

#[test]
fn passwords_follow_length_rules() {
    assert!(NewPassword::parse("short").is_err());
    assert!(NewPassword::parse("aaaaaaaaaaaa").is_err());
    assert!(NewPassword::parse("Password123").is_err());
    assert!(NewPassword::parse("correct horse battery").is_ok());
    assert!(NewPassword::parse(&"x1".repeat(65)).is_err());
    assert_eq!(
        format!("{:?}", NewPassword::parse("correct horse battery").unwrap()),
        "NewPassword(<redacted>)"
    );
}

proptest! {
    #[test]
    fn any_uk_mobile_in_any_spacing_parses_to_one_form(n in 0u32..1_000_000_000, spaces in proptest::collection::vec(any::<bool>(), 11)) {
        let digits = format!("07{:09}", n);
        let typed: String = digits.chars().zip(spaces).flat_map(|(c, s)| if s { vec![c, ' '] } else { vec![c] }).collect();
        let parsed = PhoneNumber::parse(&typed).unwrap();
        prop_assert_eq!(parsed.as_str(), format!("+44{}", &digits[1..]));
        prop_assert_eq!(PhoneNumber::parse(parsed.as_str()).unwrap(), parsed);
    }

    #[test]
    fn parsing_never_panics_and_valid_values_round_trip(s in "\\PC{0,40}") {
        if let Ok(e) = Email::parse(&s) { prop_assert_eq!(Email::parse(e.as_str()).unwrap(), e); }
        if let Ok(p) = PhoneNumber::parse(&s) { prop_assert_eq!(PhoneNumber::parse(p.as_str()).unwrap(), p); }
        if let Ok(n) = PersonName::parse(&s) { prop_assert_eq!(PersonName::parse(n.as_str()).unwrap(), n); }
        let _ = DateOfBirth::parse(&s, today());
    }
}

#[test]
fn names_refuse_invisible_control_and_unassigned_characters() {
    for (bad, says) in [
        ("Ann\u{202E}nivaR", "invisible"),     // right-to-left override
        ("Ann\u{200B}Smith", "invisible"),     // zero-width space
        ("\u{FEFF}Ann", "invisible"),          // byte order mark
        ("Ann\u{00AD}e", "invisible"),         // soft hyphen
        ("Ann\u{2066}x\u{2069}", "invisible"), // isolates
        ("Ann\u{0007}", "control"),
        ("Ann\nSmith", "control"),
        ("Ann\u{2028}Smith", "control"), // line separator
        ("Ann\u{E000}", "not a letter"), // private use
        ("Ann\u{0378}", "not a letter"), // unassigned
        ("Ann\u{10FFFF}", "not a letter"),
    ] {
        let err = PersonName::parse(bad).unwrap_err().to_string();
        assert!(err.contains(says), "{bad:?}: {err}");
        assert!(!err.contains(bad), "the message never echoes the input");
    }
    for good in [
        "Zoë",
        "O'Neill-Nguyễn",
        "محمد",
        "José María",
        "Þórunn",
        "李小龍",
        // A zero-width non-joiner inside a word is spelling (Persian).
        "می\u{200C}خواهم",
        // A zero-width joiner between letters (Sinhala, Malayalam).
        "ශ්\u{200D}රී",
    ] {
        assert_eq!(PersonName::parse(good).unwrap().as_str(), good, "{good}");
    }
    // Joiners out of a word are invisible characters like any other.
    for bad in ["\u{200C}Ann", "Ann\u{200D}", "Ann \u{200D} Smith"] {
        assert!(PersonName::parse(bad).is_err(), "{bad:?}");
    }
}
