use super::moderation::{MODERATION_DEADLINES, reasons_from_str, reasons_to_string};
use super::*;
use crate::alerts::Severity;
use crate::detectors::{DEFAULT_LEXICON, Lexicon};
use std::sync::OnceLock;

fn lexicon() -> &'static Lexicon {
    static L: OnceLock<Lexicon> = OnceLock::new();
    L.get_or_init(|| Lexicon::parse(DEFAULT_LEXICON).expect("shipped lexicon loads"))
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

const OWN: OwnDetails<'static> = OwnDetails {
    given_name: "Alex",
    family_name: "Morrison",
    email: Some("alex.morrison@example.com"),
    phone: Some("07700900123"),
};

#[test]
fn group_names_refuse_identifying_details() {
    assert_eq!(
        parse_pseudonym("  Quiet   Heron ", &OWN).unwrap(),
        "Quiet Heron"
    );
    for bad in [
        "Alex",
        "alex m",
        "AlexMorrison",
        "Morrison1",
        "M0rr1son",
        "ａｌｅｘ",
        "alexmorrison99",
        "x07700900123",
        "me@example.com",
        "www.me.com",
        "ab",
        "a name that is far too long to be a name",
        "<script>",
        "Heron\u{202E}",
    ] {
        assert!(parse_pseudonym(bad, &OWN).is_err(), "{bad}");
    }
    // Someone else's name is not refused here: it is theirs to choose.
    assert!(parse_pseudonym("Sam Storm", &OWN).is_ok());
}

#[test]
fn posts_are_plain_text_of_limited_length_without_links() {
    assert_eq!(parse_post(" Hello\r\nall ", false).unwrap(), "Hello\nall");
    assert!(parse_post("", false).is_err());
    assert!(parse_post(&"x".repeat(POST_MAX), false).is_ok());
    let long = parse_post(&"x".repeat(POST_MAX + 1), false).unwrap_err();
    assert!(long[0].1.contains("2000 characters or fewer"));
    assert!(parse_post("see https://example.org", false).is_err());
    assert!(parse_post("see https://example.org", true).is_ok());
    assert!(parse_post("bad\u{0007}bell", false).is_err());
    // Markup is kept as typed; pages escape it.
    assert_eq!(parse_post("<b>hi</b>", false).unwrap(), "<b>hi</b>");
}

#[test]
fn screening_holds_risk_contact_methods_and_identity() {
    let s = screen_post(lexicon(), "Had a better day today, went for a walk.");
    assert!(!s.holds());
    let s = screen_post(lexicon(), "I want to kill myself");
    assert_eq!(s.reasons, [HoldReason::Risk]);
    assert!(s.risk.is_some());
    // Unicode tricks fold back to the phrase.
    for trick in [
        "I want to ｋｉｌｌ ｍｙｓｅｌｆ",
        "I want to ki\u{200D}ll myself",
        "I want to k1ll mys3lf",
        "I want to кill myself",
    ] {
        assert!(screen_post(lexicon(), trick).risk.is_some(), "{trick}");
    }
    assert_eq!(
        screen_post(lexicon(), "text me on 07700 900123").reasons,
        [HoldReason::ContactDetails]
    );
    assert!(
        screen_post(lexicon(), "how many paracetamol is too many")
            .reasons
            .contains(&HoldReason::SelfHarmMethod)
    );
    assert!(
        screen_post(lexicon(), "I saw Jane Doe at the clinic")
            .reasons
            .contains(&HoldReason::Identity)
    );
    assert!(!screen_post(lexicon(), "I would never hurt myself").holds());
}

#[test]
fn the_state_machine_allows_only_its_moves() {
    use PostStatus::*;
    assert_eq!(Action::Approve.apply(Held), Ok(Visible));
    assert_eq!(Action::Hide.apply(Held), Ok(Hidden));
    assert_eq!(Action::Hide.apply(Visible), Ok(Hidden));
    assert_eq!(Action::Remove.apply(Hidden), Ok(Removed));
    assert_eq!(Action::Edit.apply(Held), Ok(Visible));
    assert_eq!(Action::Approve.apply(Hidden), Ok(Visible));
    assert!(Action::Edit.apply(Hidden).is_err());
    assert!(Action::Hide.apply(Hidden).is_err());
    for a in [Action::Approve, Action::Edit, Action::Hide, Action::Remove] {
        assert!(a.apply(Removed).is_err());
        assert_eq!(Action::parse(a.as_str()), Some(a));
    }
}

#[test]
fn priorities_put_risk_first_and_deadlines_follow_hours() {
    assert_eq!(
        Priority::of(&[HoldReason::Risk], Some(Severity::Urgent)),
        Priority::UrgentRisk
    );
    assert_eq!(
        Priority::of(&[HoldReason::Risk], Some(Severity::High)),
        Priority::Risk
    );
    assert_eq!(
        Priority::of(&[HoldReason::Reported], None),
        Priority::Concern
    );
    assert_eq!(
        Priority::of(&[HoldReason::PreModeration], None),
        Priority::Routine
    );
    assert!(Priority::UrgentRisk.rank() > Priority::Routine.rank());
    for p in [
        Priority::Routine,
        Priority::Concern,
        Priority::Risk,
        Priority::UrgentRisk,
    ] {
        assert_eq!(Priority::from_rank(p.rank()), p);
    }
    let hours = weekday_hours("09:00-17:00").unwrap().validate().unwrap();
    MODERATION_DEADLINES.validate(&hours).unwrap();
    // Wednesday 2026-01-07 10:00 UK time (GMT).
    let at = ts("2026-01-07T10:00:00Z");
    assert_eq!(
        deadline(Priority::UrgentRisk, at, &hours),
        ts("2026-01-07T10:30:00Z")
    );
    assert_eq!(
        deadline(Priority::Risk, at, &hours),
        ts("2026-01-07T11:00:00Z")
    );
    assert_eq!(
        deadline(Priority::Concern, at, &hours),
        ts("2026-01-07T14:00:00Z")
    );
    assert_eq!(
        deadline(Priority::Routine, at, &hours),
        ts("2026-01-08T10:00:00Z")
    );
    // Held on Saturday night: the clock starts on Monday morning.
    let sat = ts("2026-01-10T22:00:00Z");
    assert_eq!(
        deadline(Priority::UrgentRisk, sat, &hours),
        ts("2026-01-12T09:30:00Z")
    );
}

#[test]
fn outside_hours_a_group_is_read_only_or_held() {
    let mut group = Group {
        id: crate::ids::GroupId::random(),
        service_id: crate::ids::ServiceId::random(),
        name: "Evenings".into(),
        kind: GroupKind::Open,
        programme: None,
        description: "d".into(),
        rules: "r".into(),
        mode: ModerationMode::Post,
        hours: weekday_hours("09:00-17:00").unwrap(),
        links_allowed: false,
        outside_hours: OutsideHours::ReadOnly,
        invite_code: None,
        created_at: ts("2026-01-01T00:00:00Z"),
    };
    assert_eq!(
        group.posting(ts("2026-01-07T10:00:00Z")),
        Posting::Open(ModerationMode::Post)
    );
    assert_eq!(group.posting(ts("2026-01-07T20:00:00Z")), Posting::ReadOnly);
    group.outside_hours = OutsideHours::PreModerated;
    assert_eq!(
        group.posting(ts("2026-01-07T20:00:00Z")),
        Posting::HeldUntilMorning
    );
    group.hours = weekday_hours("always").unwrap();
    assert_eq!(
        group.posting(ts("2026-01-10T03:00:00Z")),
        Posting::Open(ModerationMode::Post)
    );
}

#[test]
fn group_forms_are_checked_together() {
    let form = GroupForm {
        name: "Carers",
        kind: "closed",
        programme: "",
        description: "For carers",
        rules: "Be kind",
        mode: "pre",
        hours: "09:00-17:00",
        links_allowed: false,
        outside_hours: "read_only",
    };
    let g = parse_group(&form).unwrap();
    assert_eq!(g.kind, GroupKind::Closed);
    let bad = parse_group(&GroupForm {
        kind: "programme",
        hours: "nine to five",
        mode: "?",
        ..form
    })
    .unwrap_err();
    let fields: Vec<_> = bad.iter().map(|(f, _)| *f).collect();
    assert_eq!(fields, ["programme", "mode", "hours"]);
}

#[test]
fn reactions_and_reasons_read_back() {
    for r in Reaction::ALL {
        assert_eq!(Reaction::parse(r.as_str()), Some(r));
    }
    assert_eq!(Reaction::parse("laugh"), None);
    let reasons = [HoldReason::Risk, HoldReason::Identity];
    assert_eq!(reasons_from_str(&reasons_to_string(&reasons)), reasons);
    assert!(parse_reason("").is_err());
    assert!(parse_reason("Shares a method").is_ok());
}
