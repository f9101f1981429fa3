use super::*;

const MAIN: &str = "+++\ntitle = \"Test\"\ncondition = \"depression\"\npopulation = \"adults\"\nversion = \"1.0.0\"\nlicence = \"CC-BY-SA-4.0\"\nreading_age = 11\nauthors = [\"A\"]\nclinical_reviewer = \"\"\nreviewed_on = \"\"\nkind = \"guided\"\nmodules = [\"01-one\"]\n+++\n\nThis is not a crisis service.\n\n{{crisis}}\n";

fn module_file(body: &str) -> String {
    format!(
        "+++\ntitle = \"One\"\nminutes = 10\nmeasures = [\"phq9\"]\nhomework = \"Do it.\"\n+++\n\n{body}"
    )
}

const GOOD_BODY: &str = "## First page\n\nWe start here. It is short.\n\n{{tool: thought-record}}\n\n## What you learned\n\nSee [the start](module:01-one) again.\n\n{{reflect: What helped?}}\n";

fn files(main: &str, module: &str) -> Vec<(String, String)> {
    vec![
        ("programme.md".into(), main.into()),
        ("01-one.md".into(), module.into()),
    ]
}

fn problems(main: &str, module: &str) -> Vec<String> {
    match parse_programme("test", &files(main, module)) {
        Ok(_) => Vec::new(),
        Err(p) => p.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn a_good_programme_reads_into_modules_pages_and_blocks() {
    let parsed = parse_programme("test", &files(MAIN, &module_file(GOOD_BODY))).unwrap();
    let p = parsed.programme;
    assert_eq!(p.kind, Kind::Guided);
    assert!(p.introduction.contains(&Block::Crisis));
    let m = &p.modules[0];
    assert_eq!(m.measures, ["phq9"]);
    assert_eq!(m.pages.len(), 2);
    assert_eq!(m.pages[0].title, "First page");
    assert_eq!(m.pages[0].blocks[1], Block::Tool(Tool::ThoughtRecord));
    assert_eq!(m.pages[1].blocks[1], Block::Reflect("What helped?".into()));
    assert_eq!(p.tools().collect::<Vec<_>>(), [Tool::ThoughtRecord]);
}

#[test]
fn every_problem_names_its_file_and_line() {
    let body = "Stray text.\n## Only page\n\n{{tool: mood-ring}}\n<b>bold</b>\n[x](http://example.org)\n[y](module:09-nine)\n{{wat}}\n";
    let found = problems(MAIN, &module_file(body));
    let expect = [
        "test/01-one.md:8: text before the first page",
        "test/01-one.md:11: unknown tool \"mood-ring\"",
        "test/01-one.md:12: HTML is not allowed",
        "test/01-one.md:13: link to \"http://example.org\"",
        "test/01-one.md:15: unknown {{wat}}",
        "test/01-one.md: a module has 2 to 8 pages",
        "test/01-one.md:14: link to module:09-nine but the programme has no such module",
    ];
    for e in expect {
        assert!(
            found.iter().any(|f| f.starts_with(e)),
            "{e:?} not in {found:#?}"
        );
    }
}

#[test]
fn front_matter_errors_give_the_line_and_the_field() {
    let bad = MAIN.replace("reading_age = 11", "reading_age = \"eleven\"");
    let found = problems(&bad, &module_file(GOOD_BODY));
    assert!(
        found[0].starts_with("test/programme.md:7: front matter"),
        "{found:?}"
    );
    let unknown = MAIN.replace("kind = \"guided\"", "kind = \"guided\"\ncolour = \"blue\"");
    let found = problems(&unknown, &module_file(GOOD_BODY));
    assert!(found[0].contains("colour"), "{found:?}");
    let no_crisis = MAIN.replace("{{crisis}}", "");
    assert!(problems(&no_crisis, &module_file(GOOD_BODY))[0].contains("crisis contacts"));
    let bad_version = MAIN.replace("1.0.0", "one");
    assert!(problems(&bad_version, &module_file(GOOD_BODY))[0].contains("semantic version"));
}

#[test]
fn listed_modules_must_exist_and_files_must_be_listed() {
    let mut f = files(
        &MAIN.replace("[\"01-one\"]", "[\"01-one\", \"02-two\"]"),
        &module_file(GOOD_BODY),
    );
    f.push(("03-extra.md".into(), module_file(GOOD_BODY)));
    let found: Vec<String> = parse_programme("test", &f)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        found.iter().any(|p| p.contains("02-two.md does not exist")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("test/03-extra.md: not listed")),
        "{found:?}"
    );
}

#[test]
fn a_hard_page_is_flagged_against_the_reading_age() {
    let hard = "Cognitive behavioural therapy conceptualises psychological difficulties as maintained by interacting cognitive, physiological, emotional and behavioural processes, and therapeutic interventions systematically target dysfunctional appraisals, maladaptive safety behaviours and attentional biases that perpetuate distress across heterogeneous presentations. Consequently, practitioners individualise formulations collaboratively, operationalising idiosyncratic maintenance mechanisms.";
    let body = format!("## Hard\n\n{hard}\n\n## Easy\n\nYou did well.\n");
    let found = problems(MAIN, &module_file(&body));
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("test/01-one.md:8: this page reads at about age")),
        "{found:?}"
    );
}

#[test]
fn unknown_measures_and_library_links_are_found_across_programmes() {
    let body = GOOD_BODY.replace("module:01-one", "library:relaxation");
    let sources = vec![(
        "test".to_string(),
        files(MAIN, &module_file(&body).replace("phq9", "phq99")),
    )];
    let (ok, found) = load(&sources, &["phq9"]);
    assert!(ok.is_empty());
    let found: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(
        found.iter().any(|p| p.contains("measure \"phq99\"")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p.contains("library:relaxation")),
        "{found:?}"
    );
}

#[test]
fn a_later_source_replaces_a_programme_with_the_same_id() {
    let v2 = MAIN.replace("1.0.0", "2.0.0");
    let sources = vec![
        ("test".to_string(), files(MAIN, &module_file(GOOD_BODY))),
        ("test".to_string(), files(&v2, &module_file(GOOD_BODY))),
    ];
    let (ok, found) = load(&sources, &["phq9"]);
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].version, "2.0.0");
}
