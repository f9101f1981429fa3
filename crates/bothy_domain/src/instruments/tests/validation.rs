//! Each validation rule, on a small valid file with one thing broken. Every
//! error must name the file and the field.

use crate::instruments::{Catalogue, ContentError, score};

const BASE: &str = r#"
id = "test"
short_name = "T"
name = "Test"
version = "1"
preamble = "How often?"
total_min = 0
total_max = 6

[[options]]
score = 0
label = "No"

[[options]]
score = 1
label = "Some"

[[options]]
score = 2
label = "Lots"

[[items]]
n = 1
text = "One"

[[items]]
n = 2
text = "Two"

[[items]]
n = 3
text = "Three"

[scoring]
method = "sum"
prorating = { rule = "none" }
source = { url = "https://example.org/scoring", verification = "verified" }

[[bands]]
min = 0
max = 2
label = "low"

[[bands]]
min = 3
max = 6
label = "high"

[bands_source]
url = "https://example.org/bands"
verification = "secondary_source"
note = "A summary."

[caseness]
operator = ">="
value = 3
source = { url = "https://example.org/caseness", verification = "verified" }

[reliable_change]
value = 2
source = { url = "https://example.org/rci", verification = "unverified_recall" }

[[risk_items]]
item = 3
above = 0
source = { url = "https://example.org/risk", verification = "verified" }

[licence]
status = "free"
official_wording = true
source = { url = "https://example.org/licence", verification = "verified" }
"#;

fn errors_for(files: &[(&str, &str)]) -> Vec<ContentError> {
    match Catalogue::from_sources(files) {
        Ok(_) => Vec::new(),
        Err(e) => e,
    }
}

fn broken(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "BASE has no {from:?}");
    BASE.replacen(from, to, 1)
}

/// The one file `text`, named `test.toml`, must fail with an error on
/// `field` whose message contains `says`.
#[track_caller]
fn assert_error(text: &str, field: &str, says: &str) {
    let errors = errors_for(&[("test.toml", text)]);
    assert!(
        errors
            .iter()
            .any(|e| e.file == "test.toml" && e.field == field && e.message.contains(says)),
        "expected {field}: ...{says}... in {errors:#?}"
    );
}

#[test]
fn the_base_file_is_valid_and_scores() {
    let catalogue = Catalogue::from_sources(&[("test.toml", BASE)]).expect("valid");
    let t = catalogue.get("test").unwrap();
    let s = score(t, &[Some(1), Some(2), Some(1)]).unwrap();
    assert_eq!(s.total, 4.0);
    assert_eq!(s.band.as_deref(), Some("high"));
    assert_eq!(s.risk_items, vec![3]);
    let unverified: Vec<String> = t.unverified_rules().into_iter().map(|(r, _)| r).collect();
    assert_eq!(unverified, ["bands", "reliable_change"]);
}

#[test]
fn the_id_must_match_the_file_name() {
    let errors = errors_for(&[("phq9.toml", BASE)]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].file, "phq9.toml");
    assert_eq!(errors[0].field, "id");
    assert!(errors[0].message.contains("must be named test.toml"));
    assert_error(
        &broken(r#"id = "test""#, r#"id = "Test-1""#),
        "id",
        "not a valid instrument id",
    );
    let errors = errors_for(&[("test.txt", BASE)]);
    assert!(
        errors.iter().any(|e| e.message.contains(".toml")),
        "{errors:#?}"
    );
}

#[test]
fn duplicate_ids_are_rejected() {
    let errors = errors_for(&[("test.toml", BASE), ("more/test.toml", BASE)]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].file, "more/test.toml");
    assert_eq!(errors[0].field, "id");
    assert!(
        errors[0]
            .message
            .contains("duplicate instrument id \"test\"")
    );
    assert!(errors[0].message.contains("test.toml already defines it"));
}

#[test]
fn items_must_be_numbered_in_order() {
    assert_error(
        &broken("n = 2", "n = 5"),
        "items[1].n",
        "item 2 is numbered 5",
    );
}

#[test]
fn option_scores_must_differ() {
    assert_error(
        &broken("score = 1", "score = 0"),
        "options[1].score",
        "duplicate option score 0",
    );
}

#[test]
fn an_option_cannot_score_beyond_the_total_range() {
    let text = broken(
        "text = \"Three\"",
        "text = \"Three\"\noptions = [{ score = 0, label = \"a\" }, { score = 9, label = \"b\" }]",
    );
    assert_error(
        &text,
        "items[2].options[1].score",
        "outside the total range 0 to 6",
    );
    assert_error(
        &text,
        "total_max",
        "highest possible sum of the items is 13",
    );
}

#[test]
fn the_total_range_must_be_what_the_items_produce() {
    assert_error(
        &broken("total_max = 6", "total_max = 7"),
        "total_max",
        "is 7 but the highest possible sum of the items is 6",
    );
    assert_error(
        &broken("total_min = 0", "total_min = 1"),
        "total_min",
        "lowest possible",
    );
}

#[test]
fn bands_must_cover_the_range_without_overlap_or_gaps() {
    assert_error(
        &broken("min = 3", "min = 2"),
        "bands[1].min",
        "overlaps band \"low\"",
    );
    assert_error(
        &broken("min = 3", "min = 4"),
        "bands[1].min",
        "gap between 2",
    );
    let last = |max: &str| broken("max = 6\nlabel", &format!("max = {max}\nlabel"));
    assert_error(&last("5"), "bands[1].max", "end at 5");
    assert_error(&last("7"), "bands[1]", "outside the total range");
    assert_error(&last("5.5"), "bands[1]", "fractional bound");
    let no_source = broken(
        "[bands_source]\nurl = \"https://example.org/bands\"\nverification = \"secondary_source\"\nnote = \"A summary.\"\n",
        "",
    );
    assert_error(&no_source, "bands_source", "bands need a source");
}

#[test]
fn caseness_and_reliable_change_must_fit_the_range() {
    assert_error(
        &broken("value = 3", "value = 7"),
        "caseness.value",
        "outside the total range",
    );
    assert_error(
        &broken("value = 3", "value = -1"),
        "caseness.value",
        "outside the total range",
    );
    assert_error(
        &broken("value = 3", "value = 0"),
        "caseness.value",
        "met by every score",
    );
    assert_error(
        &broken(
            "operator = \">=\"\nvalue = 3",
            "operator = \">\"\nvalue = 6",
        ),
        "caseness.value",
        "can never be met",
    );
    assert_error(
        &broken("value = 2", "value = -1"),
        "reliable_change.value",
        "not a positive change",
    );
    assert_error(
        &broken("value = 2", "value = 0"),
        "reliable_change.value",
        "not a positive change",
    );
    assert_error(
        &broken("value = 2", "value = 7"),
        "reliable_change.value",
        "larger than the whole total range",
    );
}

#[test]
fn a_risk_item_must_exist_and_be_able_to_trigger() {
    assert_error(
        &broken("item = 3", "item = 4"),
        "risk_items[0].item",
        "item 4 does not exist: this instrument has items 1 to 3",
    );
    assert_error(
        &broken("item = 3", "item = 0"),
        "risk_items[0].item",
        "does not exist",
    );
    assert_error(
        &broken("above = 0", "above = 2"),
        "risk_items[0].above",
        "could never be raised",
    );
    assert_error(
        &broken("above = 0", "above = -1"),
        "risk_items[0].above",
        "would always be raised",
    );
}

#[test]
fn a_reverse_scored_item_needs_options() {
    let text = r#"
id = "test"
short_name = "T"
name = "Test"
version = "1"
total_min = 0
total_max = 2

[[items]]
n = 1
text = "One"
options = [{ score = 0, label = "a" }, { score = 2, label = "b" }]

[[items]]
n = 2
text = "Two"
reverse = true

[scoring]
method = "sum"
prorating = { rule = "none" }
source = { url = "https://example.org/s", verification = "verified" }

[licence]
status = "free"
official_wording = true
source = { url = "https://example.org/l", verification = "verified" }
"#;
    assert_error(
        text,
        "items[1].reverse",
        "reverse scored but has no options",
    );
    assert_error(
        &text.replace("reverse = true", ""),
        "items[1].options",
        "item 2 has no options",
    );
}

#[test]
fn a_subscale_must_be_declared() {
    assert_error(
        &broken("text = \"One\"", "text = \"One\"\nsubscale = \"worry\""),
        "items[0].subscale",
        "subscale \"worry\", which is not declared",
    );
    let declared = broken(
        "[[items]]\nn = 1",
        "[[subscales]]\nid = \"worry\"\nname = \"Worry\"\n\n[[items]]\nn = 1",
    );
    assert_error(&declared, "subscales[0]", "subscale \"worry\" has no items");
}

const CONVERTED: &str = r#"
id = "test"
short_name = "T"
name = "Test"
version = "1"
total_min = 0.5
total_max = 60.5

[[options]]
score = 0
label = "No"

[[options]]
score = 2
label = "Yes"

[[items]]
n = 1
text = "One"

[[items]]
n = 2
text = "Two"

[[items]]
n = 3
text = "Three"

[scoring]
method = "sum"
prorating = { rule = "none" }
source = { url = "https://example.org/s", verification = "verified" }
TABLE

[licence]
status = "free"
official_wording = true
source = { url = "https://example.org/l", verification = "verified" }
"#;

#[test]
fn a_conversion_table_must_cover_every_raw_total_and_rise() {
    let rows: Vec<String> = (0..=6)
        .map(|raw| format!("{{ raw = {raw}, score = {}.5 }}", raw * 10))
        .collect();
    let table = format!("conversion = [{}]", rows.join(", "));
    let with = |table: &str| CONVERTED.replace("TABLE", table);
    let good = with(&table);
    let catalogue = Catalogue::from_sources(&[("test.toml", good.as_str())])
        .expect("a full, rising table is valid");
    let s = score(catalogue.get("test").unwrap(), &[Some(2), Some(0), Some(2)]).unwrap();
    assert_eq!((s.total, s.raw_total), (40.5, Some(4)));

    let missing = table.replace("{ raw = 4, score = 40.5 }, ", "");
    assert_error(
        &with(&missing),
        "scoring.conversion",
        "every raw total from 0 to 6; missing: 4",
    );
    let falling = table.replace("score = 40.5", "score = 10.0");
    assert_error(&with(&falling), "scoring.conversion", "not monotonic");
    let outside = table.replace("raw = 6,", "raw = 9,");
    assert_error(
        &with(&outside),
        "scoring.conversion[6].raw",
        "outside the possible raw totals",
    );
    let prorated = with(&table).replace(
        "prorating = { rule = \"none\" }",
        "prorating = { rule = \"mean_of_answered\", max_missing = 1 }",
    );
    assert_error(
        &prorated,
        "scoring.prorating",
        "cannot be combined with prorating",
    );
    let mean = with(&table).replace("method = \"sum\"", "method = \"mean\"");
    assert_error(&mean, "scoring.conversion", "use method = \"sum\"");
}

#[test]
fn prorating_must_leave_an_item_answered() {
    assert_error(
        &broken(
            "prorating = { rule = \"none\" }",
            "prorating = { rule = \"mean_of_answered\", max_missing = 3 }",
        ),
        "scoring.prorating.max_missing",
        "only 3 required items",
    );
    assert_error(
        &broken(
            "prorating = { rule = \"none\" }",
            "prorating = { rule = \"mean_of_answered\", max_missing = 0 }",
        ),
        "scoring.prorating.max_missing",
        "use rule = \"none\"",
    );
    Catalogue::from_sources(&[(
        "test.toml",
        broken(
            "prorating = { rule = \"none\" }",
            "prorating = { rule = \"mean_of_answered\", max_missing = 2 }",
        )
        .as_str(),
    )])
    .expect("two of three may be missing");
}

#[test]
fn every_rule_needs_a_source_address() {
    assert_error(
        &broken("https://example.org/caseness", ""),
        "caseness.source.url",
        "every rule must name where it was read",
    );
    assert_error(
        &broken("https://example.org/risk", "see the manual"),
        "risk_items[0].source.url",
        "is not an address",
    );
    assert_error(
        &broken("https://example.org/bands", " "),
        "bands_source.url",
        "is empty",
    );
    assert_error(
        &broken("https://example.org/licence", ""),
        "licence.source.url",
        "is empty",
    );
}

#[test]
fn unknown_and_mistyped_fields_are_named() {
    assert_error(
        &broken("text = \"Two\"", "text = \"Two\"\nrevers = true"),
        "[[items]] revers",
        "unknown field `revers`",
    );
    let errors = errors_for(&[("test.toml", &broken("score = 2", "score = \"two\""))]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].field, "[[options]] score");
    assert!(
        errors[0].message.starts_with("line 19:"),
        "{}",
        errors[0].message
    );
    let missing = broken("name = \"Test\"\n", "");
    let errors = errors_for(&[("test.toml", &missing)]);
    assert!(
        errors[0].message.contains("missing field `name`"),
        "{errors:#?}"
    );
}

#[test]
fn every_problem_in_a_file_is_reported_at_once() {
    let text = broken("n = 2", "n = 5").replace("item = 3", "item = 8");
    let errors = errors_for(&[("test.toml", &text)]);
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert!(fields.contains(&"items[1].n"), "{fields:?}");
    // The display form names file, field and problem.
    assert!(errors[0].to_string().starts_with("test.toml: items[1].n: "));
}

#[test]
fn a_deployment_file_replaces_the_default_with_the_same_id() {
    let defaults = Catalogue::from_sources(&[("test.toml", BASE)]).unwrap();
    let local =
        broken("value = 3", "value = 4").replace("version = \"1\"", "version = \"local-1\"");
    let extra = BASE.replace("id = \"test\"", "id = \"extra\"");
    let merged = Catalogue::with_overrides(
        defaults,
        &[
            ("test.toml", local.as_str()),
            ("extra.toml", extra.as_str()),
        ],
    )
    .unwrap();
    assert_eq!(merged.len(), 2);
    let t = merged.get("test").unwrap();
    assert_eq!(t.version, "local-1");
    assert_eq!(t.caseness.as_ref().unwrap().value, 4.0);
    assert!(merged.is_overridden("test"));
    assert!(!merged.is_overridden("extra"));
    assert_eq!(
        merged.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["extra", "test"]
    );

    let defaults = Catalogue::from_sources(&[("test.toml", BASE)]).unwrap();
    let bad = broken("value = 3", "value = 40");
    let errors = Catalogue::with_overrides(defaults, &[("test.toml", bad.as_str())]).unwrap_err();
    assert_eq!(errors[0].file, "test.toml");
    assert_eq!(errors[0].field, "caseness.value");
}
