//! FHIR search as a data platform uses it: Patient, QuestionnaireResponse
//! and Observation over the client's whole service, each parameter,
//! `_include` / `_revinclude`, `_summary`, `_elements`, `_total`, lenient
//! and strict handling, keyset paging with responses stored between pages,
//! and who may search. Every resource served is validated as FHIR R4.

use crate::both_dbs;
use crate::fhir_measures::{base, clients, expressions, get, path_of, post_json, response};
use crate::fhir_support::Emitted;
use crate::helpers::{Client, Resp, TestApp};
use bothy_domain::PatientId;
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;

both_dbs!(
    patients_are_found_by_identifier_name_and_birth_date,
    measures_are_searched_across_the_service_with_includes,
    unsupported_parameters_are_refused_unless_lenient,
    pages_never_repeat_or_skip_as_responses_arrive,
    searches_see_only_the_clients_service_and_need_patient_read,
);

const NHS: &str = "https://fhir.nhs.uk/Id/nhs-number";
const CHI: &str = "urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53";

async fn search(c: &Client, auth: &str, q: &str) -> Resp {
    get(c, q, auth).await
}

async fn lenient(c: &Client, auth: &str, q: &str) -> Resp {
    c.get_with(
        q,
        &[("authorization", auth), ("prefer", "handling=lenient")],
    )
    .await
}

/// The ids of the entries in `mode` (`match`, `include`), in order.
fn ids(bundle: &Value, mode: &str) -> Vec<String> {
    bundle["entry"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|e| e["search"]["mode"] == mode)
                .map(|e| e["resource"]["id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn types(bundle: &Value, mode: &str) -> Vec<String> {
    bundle["entry"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|e| e["search"]["mode"] == mode)
                .map(|e| e["resource"]["resourceType"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn next(bundle: &Value) -> Option<String> {
    bundle["link"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["relation"] == "next")
        .map(|l| path_of(l["url"].as_str().unwrap()).to_string())
}

async fn audited(t: &TestApp, detail: &str) -> i64 {
    t.count(
        "SELECT COUNT(*) FROM audit_events WHERE detail LIKE $1",
        detail,
    )
    .await
}

/// Stores a PHQ-9 for `patient` under `key`, `clock` minutes on.
async fn phq9(t: &TestApp, c: &Client, auth: &str, patient: &str, key: &str) -> String {
    let inst = t.app.measures().instrument("phq9").unwrap().clone();
    t.clock.advance(Duration::from_secs(60));
    let r = post_json(c, auth, &response(&inst, patient, key, &[1; 9]))
        .await
        .status(201)
        .json();
    r["id"].as_str().unwrap().to_string()
}

async fn patients_are_found_by_identifier_name_and_birth_date(t: TestApp) {
    let out = Emitted::new();
    let cl = clients(&t).await;
    let c = t.client();
    let p: Vec<String> = t.demo.patients.iter().map(|p| p.id.clone()).collect();
    t.raw_sql(&format!(
        "UPDATE patients SET nhs_number = '9434765919', chi = '0101601234' WHERE id = '{}'",
        p[0]
    ))
    .await;
    let find = |q: &str| format!("/fhir/Patient?{q}");

    // By NHS number, CHI (either system) or either value alone.
    for q in [
        format!("identifier={NHS}|9434765919"),
        format!("identifier={CHI}|0101601234"),
        "identifier=https://fhir.nhs.uk/Id/chi-number|0101601234".to_string(),
        "identifier=943%20476%205919".to_string(),
        "identifier=0101601234".to_string(),
    ] {
        let b = search(&c, &cl.reader, &find(q.as_str())).await.ok().json();
        assert_eq!(ids(&b, "match"), [p[0].clone()], "{q}");
    }
    let found = out.keep(
        "patient-by-nhs-number",
        &search(
            &c,
            &cl.reader,
            &find(&format!("identifier={NHS}|9434765919")),
        )
        .await
        .ok(),
    );
    let resource = &found["entry"][0]["resource"];
    assert_eq!(resource["identifier"][0]["system"], NHS);
    assert_eq!(resource["identifier"][1]["value"], "0101601234");
    // The read serves the same resource, at the same version.
    let read = out.keep(
        "patient-read",
        &get(&c, &format!("/fhir/Patient/{}", p[0]), &cl.reader)
            .await
            .ok(),
    );
    assert_eq!(&read, resource);
    let other_system = search(
        &c,
        &cl.reader,
        &find("identifier=urn:example:mrn|9434765919"),
    )
    .await
    .ok()
    .json();
    assert!(other_system["entry"].is_null());

    // What each search should find, from every patient's name and birth date.
    let all = search(&c, &cl.reader, &find("_count=100"))
        .await
        .ok()
        .json();
    let people: Vec<[String; 4]> = all["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let r = &e["resource"];
            let s = |v: &Value| v.as_str().unwrap().to_string();
            [
                s(&r["id"]),
                s(&r["name"][0]["given"][0]).to_lowercase(),
                s(&r["name"][0]["family"]).to_lowercase(),
                s(&r["birthDate"]),
            ]
        })
        .collect();
    assert_eq!(people.len(), 12);
    let expect = |f: &dyn Fn(&[String; 4]) -> bool| -> Vec<String> {
        let mut v: Vec<String> = people
            .iter()
            .filter(|p| f(p))
            .map(|p| p[0].clone())
            .collect();
        v.sort();
        v
    };
    let found = |b: &Value| {
        let mut v = ids(b, "match");
        v.sort();
        v
    };

    // Names: the start of the given or family name, in any case.
    let fraser = search(&c, &cl.reader, &find("name=fraser&_total=accurate"))
        .await
        .ok()
        .json();
    let want = expect(&|p| p[1].starts_with("fraser") || p[2].starts_with("fraser"));
    assert!(!want.is_empty());
    assert_eq!(fraser["total"], want.len());
    assert_eq!(found(&fraser), want);
    let family = search(&c, &cl.reader, &find("family=FRAS"))
        .await
        .ok()
        .json();
    assert_eq!(found(&family), expect(&|p| p[2].starts_with("fras")));
    let given = search(&c, &cl.reader, &find("given=Fras&name=k"))
        .await
        .ok()
        .json();
    assert_eq!(
        found(&given),
        expect(&|p| p[1].starts_with("fras") && (p[1].starts_with('k') || p[2].starts_with('k')))
    );

    // Birth dates at their precision, with prefixes.
    let born = search(&c, &cl.reader, &find("birthdate=1960"))
        .await
        .ok()
        .json();
    assert_eq!(found(&born), expect(&|p| p[3].starts_with("1960")));
    let later = search(&c, &cl.reader, &find("birthdate=ge1990&_total=accurate"))
        .await
        .ok()
        .json();
    let want = expect(&|p| p[3].as_str() >= "1990");
    assert!(!want.is_empty());
    assert_eq!(later["total"], want.len());
    let one_day = people[3][3].clone();
    let day = search(&c, &cl.reader, &find(&format!("birthdate={one_day}")))
        .await
        .ok()
        .json();
    assert_eq!(found(&day), expect(&|p| p[3] == one_day));

    // _summary=count: the total alone; _total=none and the default: none.
    let count = out.keep(
        "patient-count",
        &search(&c, &cl.reader, &find("_summary=count")).await.ok(),
    );
    assert_eq!(count["total"], 12);
    assert!(count["entry"].is_null());
    assert!(all["total"].is_null());

    // _elements: what was asked and what cannot be left out, marked.
    let names = out.keep(
        "patient-elements",
        &search(
            &c,
            &cl.reader,
            &find(&format!("_elements=name&birthdate={one_day}")),
        )
        .await
        .ok(),
    );
    let r = &names["entry"][0]["resource"];
    assert!(r["name"].is_array() && r["birthDate"].is_null() && r["identifier"].is_null());
    assert_eq!(r["meta"]["tag"][0]["code"], "SUBSETTED");
    let summary = out.keep(
        "patient-summary",
        &search(
            &c,
            &cl.reader,
            &find(&format!("_summary=true&birthdate={one_day}")),
        )
        .await
        .ok(),
    );
    assert_eq!(
        summary["entry"][0]["resource"]["birthDate"],
        one_day.as_str()
    );

    // Every patient once, page by page (all made at the same moment: the
    // id breaks the tie).
    let before = audited(
        &t,
        "Patient search: 5 patients returned, 0 responses included",
    )
    .await;
    let mut seen = Vec::new();
    let mut page = Some(find("_count=5"));
    let mut pages = 0;
    while let Some(q) = page {
        let b = out.keep(
            &format!("patient-page-{pages}"),
            &search(&c, &cl.reader, &q).await.ok(),
        );
        seen.extend(ids(&b, "match"));
        page = next(&b);
        pages += 1;
    }
    assert_eq!(pages, 3);
    let distinct: HashSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), distinct.len()), (12, 12));
    // One audit event per search, naming how many were returned.
    assert_eq!(
        audited(
            &t,
            "Patient search: 5 patients returned, 0 responses included"
        )
        .await,
        before + 2
    );
    out.validate();
}

async fn measures_are_searched_across_the_service_with_includes(t: TestApp) {
    let out = Emitted::new();
    let cl = clients(&t).await;
    let c = t.client();
    let base = base();
    let p: Vec<String> = t.demo.patients.iter().map(|p| p.id.clone()).collect();
    let gad7 = t.app.measures().instrument("gad7").unwrap().clone();
    let phq9_inst = t.app.measures().instrument("phq9").unwrap().clone();
    let a = phq9(&t, &c, &cl.writer, &p[0], "a").await;
    let b = phq9(&t, &c, &cl.writer, &p[0], "b").await;
    t.clock.advance(Duration::from_secs(60));
    let since = t.app.clock().now();
    let g = post_json(&c, &cl.writer, &response(&gad7, &p[1], "g", &[2; 7]))
        .await
        .status(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let qr = |q: &str| format!("/fhir/QuestionnaireResponse?{q}");
    let obs = |q: &str| format!("/fhir/Observation?{q}");

    // The whole service, newest first, counted when asked, one audit event.
    let before = audited(
        &t,
        "QuestionnaireResponse search: 3 responses returned, 2 patients included",
    )
    .await;
    let all = out.keep(
        "qr-all-with-subjects",
        &search(
            &c,
            &cl.reader,
            &qr("_total=accurate&_include=QuestionnaireResponse:subject"),
        )
        .await
        .ok(),
    );
    assert_eq!(all["total"], 3);
    assert_eq!(ids(&all, "match"), [g.clone(), b.clone(), a.clone()]);
    let mut included = ids(&all, "include");
    included.sort();
    let mut want = vec![p[0].clone(), p[1].clone()];
    want.sort();
    assert_eq!(included, want, "each patient once");
    assert_eq!(
        audited(
            &t,
            "QuestionnaireResponse search: 3 responses returned, 2 patients included"
        )
        .await,
        before + 1
    );
    // Without the total by default, unless one patient is named.
    let plain = search(&c, &cl.reader, &qr("")).await.ok().json();
    assert!(plain["total"].is_null());
    let one = search(&c, &cl.reader, &qr(&format!("patient=Patient/{}", p[0])))
        .await
        .ok()
        .json();
    assert_eq!(one["total"], 2);
    let uncounted = search(
        &c,
        &cl.reader,
        &qr(&format!("subject=Patient/{}&_total=none", p[0])),
    )
    .await
    .ok()
    .json();
    assert!(uncounted["total"].is_null());

    // By questionnaire (canonical URL, with or without version, or reference).
    for (q, want) in [
        (
            format!("questionnaire={base}/Questionnaire/gad7"),
            vec![g.clone()],
        ),
        (
            "questionnaire=Questionnaire/phq9".into(),
            vec![b.clone(), a.clone()],
        ),
        (
            format!(
                "questionnaire={base}/Questionnaire/phq9|{}",
                phq9_inst.version
            ),
            vec![b.clone(), a.clone()],
        ),
        (
            format!("questionnaire={base}/Questionnaire/phq9|0.0"),
            vec![],
        ),
        (
            "questionnaire=Questionnaire/phq9,Questionnaire/gad7&_sort=authored".into(),
            vec![a.clone(), b.clone(), g.clone()],
        ),
        (
            "status=completed&_sort=_lastUpdated".into(),
            vec![a.clone(), b.clone(), g.clone()],
        ),
        ("status=in-progress".into(), vec![]),
        (format!("_lastUpdated=ge{since}"), vec![g.clone()]),
        (
            format!("_lastUpdated=lt{since}&_sort=-_lastUpdated"),
            vec![b.clone(), a.clone()],
        ),
        (format!("authored=ge{since}"), vec![g.clone()]),
    ] {
        let r = search(&c, &cl.reader, &qr(q.as_str())).await.ok().json();
        assert_eq!(ids(&r, "match"), want, "{q}");
    }
    let with_q = out.keep(
        "qr-with-questionnaires",
        &search(
            &c,
            &cl.reader,
            &qr("_include=QuestionnaireResponse:questionnaire"),
        )
        .await
        .ok(),
    );
    assert_eq!(
        types(&with_q, "include"),
        ["Questionnaire", "Questionnaire"]
    );

    // Observations: by code, patient and date; with their responses.
    let (system, code) = bothy_fhir::codes::total_coding(&gad7);
    let by_code = out.keep(
        "obs-by-code",
        &search(&c, &cl.reader, &obs(&format!("code={system}|{code}&_include=Observation:derived-from&_include=Observation:patient")))
            .await
            .ok(),
    );
    assert_eq!(ids(&by_code, "match"), std::slice::from_ref(&g));
    let mut inc = types(&by_code, "include");
    inc.sort();
    assert_eq!(inc, ["Patient", "QuestionnaireResponse"]);
    let (_, phq9_code) = bothy_fhir::codes::total_coding(&phq9_inst);
    for (q, want) in [
        (format!("code={phq9_code}"), vec![b.clone(), a.clone()]),
        ("code=no-such-code".into(), vec![]),
        (format!("subject=Patient/{}", p[1]), vec![g.clone()]),
        (
            format!("date=lt{since}&_sort=date"),
            vec![a.clone(), b.clone()],
        ),
        ("status=final&_count=1".into(), vec![g.clone()]),
        ("status=preliminary".into(), vec![]),
    ] {
        let r = search(&c, &cl.reader, &obs(q.as_str())).await.ok().json();
        assert_eq!(ids(&r, "match"), want, "{q}");
    }

    // Subsets of each resource, still valid.
    let summary = out.keep(
        "qr-summary",
        &search(&c, &cl.reader, &qr("_summary=true")).await.ok(),
    );
    let r = &summary["entry"][0]["resource"];
    assert!(r["item"].is_null() && r["subject"].is_object());
    assert_eq!(r["meta"]["tag"][0]["code"], "SUBSETTED");
    let elements = out.keep(
        "obs-elements",
        &search(&c, &cl.reader, &obs("_elements=subject")).await.ok(),
    );
    let r = &elements["entry"][0]["resource"];
    assert!(r["subject"].is_object() && r["code"].is_object() && r["status"] == "final");
    assert!(r["valueQuantity"].is_null());
    let count = out.keep(
        "obs-count",
        &search(&c, &cl.reader, &obs("_summary=count")).await.ok(),
    );
    assert_eq!(count["total"], 3);
    assert!(count["entry"].is_null());

    // From the patients' side: their responses and totals.
    t.raw_sql(&format!(
        "UPDATE patients SET nhs_number = '9434765919' WHERE id = '{}'",
        p[0]
    ))
    .await;
    let rev = out.keep(
        "patient-revinclude",
        &search(
            &c,
            &cl.reader,
            "/fhir/Patient?identifier=9434765919&_revinclude=QuestionnaireResponse:subject&_revinclude=Observation:patient",
        )
        .await
        .ok(),
    );
    assert_eq!(ids(&rev, "match"), [p[0].clone()]);
    let mut inc = types(&rev, "include");
    inc.sort();
    assert_eq!(
        inc,
        [
            "Observation",
            "Observation",
            "QuestionnaireResponse",
            "QuestionnaireResponse"
        ]
    );
    out.validate();
}

async fn unsupported_parameters_are_refused_unless_lenient(t: TestApp) {
    let out = Emitted::new();
    let cl = clients(&t).await;
    let c = t.client();
    let patient = t.demo.patients[0].id.clone();
    phq9(&t, &c, &cl.writer, &patient, "x").await;
    phq9(&t, &c, &cl.writer, &patient, "y").await;

    // Strict (the default): 400, naming each.
    for (label, q, want) in [
        (
            "unknown",
            "/fhir/QuestionnaireResponse?foo=bar&bar=1",
            vec!["foo", "bar"],
        ),
        (
            "include",
            "/fhir/QuestionnaireResponse?_include=QuestionnaireResponse:author",
            vec!["_include"],
        ),
        (
            "revinclude-on-qr",
            "/fhir/QuestionnaireResponse?_revinclude=Observation:subject",
            vec!["_revinclude"],
        ),
        (
            "include-on-patient",
            "/fhir/Patient?_include=Patient:organization",
            vec!["_include"],
        ),
        (
            "obs-unknown",
            "/fhir/Observation?value-quantity=gt3",
            vec!["value-quantity"],
        ),
    ] {
        let r = search(&c, &cl.reader, q).await;
        assert_eq!(r.status.as_u16(), 400, "{label}: {}", r.body);
        let outcome = out.keep(&format!("strict-{label}"), &r);
        assert_eq!(expressions(&outcome), want, "{label}");
    }
    // Lenient: ignored, answered, and said so in an outcome entry.
    let r = out.keep(
        "lenient",
        &lenient(
            &c,
            &cl.reader,
            "/fhir/QuestionnaireResponse?foo=bar&_include=QuestionnaireResponse:author&_count=5",
        )
        .await
        .ok(),
    );
    assert_eq!(ids(&r, "match").len(), 2);
    let last = r["entry"].as_array().unwrap().last().unwrap();
    assert_eq!(last["search"]["mode"], "outcome");
    let issues = last["resource"]["issue"].as_array().unwrap();
    assert_eq!(issues.len(), 2);
    assert!(issues[0]["diagnostics"].as_str().unwrap().contains("foo"));
    assert!(
        issues[1]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("QuestionnaireResponse:author")
    );
    let self_url = r["link"][0]["url"].as_str().unwrap();
    assert!(
        !self_url.contains("foo") && self_url.contains("_count=5"),
        "{self_url}"
    );
    let p = out.keep(
        "lenient-patient",
        &lenient(&c, &cl.reader, "/fhir/Patient?gender=female&_count=1")
            .await
            .ok(),
    );
    assert_eq!(types(&p, "outcome"), ["OperationOutcome"]);

    // A supported parameter that cannot be read is a 400 however asked.
    let page = search(&c, &cl.reader, "/fhir/QuestionnaireResponse?_count=1")
        .await
        .ok()
        .json();
    let cursor = next(&page)
        .unwrap()
        .split("_cursor=")
        .nth(1)
        .unwrap()
        .to_string();
    for (label, q, param) in [
        (
            "summary-text",
            "/fhir/QuestionnaireResponse?_summary=text".to_string(),
            "_summary",
        ),
        ("total", "/fhir/Observation?_total=maybe".into(), "_total"),
        (
            "cursor",
            "/fhir/QuestionnaireResponse?_cursor=abc".into(),
            "_cursor",
        ),
        ("sort", "/fhir/Observation?_sort=value".into(), "_sort"),
        ("patient-sort", "/fhir/Patient?_sort=name".into(), "_sort"),
        (
            "birthdate",
            "/fhir/Patient?birthdate=1990-01-01T00:00:00Z".into(),
            "birthdate",
        ),
        ("date", "/fhir/Observation?date=17/11/2026".into(), "date"),
        (
            "subject",
            "/fhir/Observation?subject=Group/1".into(),
            "subject",
        ),
        (
            "elements",
            "/fhir/Patient?_elements=name;birthDate".into(),
            "_elements",
        ),
        ("count", "/fhir/Patient?_count=many".into(), "_count"),
    ] {
        let r = lenient(&c, &cl.reader, &q).await;
        assert_eq!(r.status.as_u16(), 400, "{label}: {}", r.body);
        let outcome = out.keep(&format!("bad-{label}"), &r);
        assert_eq!(expressions(&outcome), [param], "{label}");
    }
    // A cursor of one order does not serve another.
    let r = search(
        &c,
        &cl.reader,
        &format!("/fhir/QuestionnaireResponse?_sort=_lastUpdated&_cursor={cursor}"),
    )
    .await
    .status(400);
    assert_eq!(expressions(&r.json()), ["_cursor"]);
    out.validate();
}

async fn pages_never_repeat_or_skip_as_responses_arrive(t: TestApp) {
    let out = Emitted::new();
    let cl = clients(&t).await;
    let c = t.client();
    let p: Vec<String> = t.demo.patients.iter().map(|p| p.id.clone()).collect();
    let mut stored = Vec::new();
    for i in 0..7 {
        stored.push(phq9(&t, &c, &cl.writer, &p[i % 3], &format!("first-{i}")).await);
    }

    // A feed, oldest received first: what arrives between pages comes at
    // the end and is served once.
    let mut seen = Vec::new();
    let mut page = Some("/fhir/QuestionnaireResponse?_sort=_lastUpdated&_count=3&_include=QuestionnaireResponse:subject".to_string());
    let mut n = 0;
    while let Some(q) = page {
        assert!(!q.contains("_offset"), "{q}");
        let b = out.keep(&format!("feed-{n}"), &search(&c, &cl.reader, &q).await.ok());
        seen.extend(ids(&b, "match"));
        page = next(&b);
        if page.is_some() && n < 3 {
            let key = format!("between-{n}");
            stored.push(phq9(&t, &c, &cl.writer, &p[3 + n], &key).await);
        }
        n += 1;
    }
    let distinct: HashSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "none repeated: {seen:?}");
    assert_eq!(seen, stored, "none skipped, in the order received");

    // Newest first (the default): what arrives is newer than every page
    // already served, so it never pushes one onto the next page again.
    let before: Vec<String> = stored.iter().rev().cloned().collect();
    let mut seen = Vec::new();
    let mut page = Some("/fhir/QuestionnaireResponse?_count=4".to_string());
    let mut n = 0;
    while let Some(q) = page {
        let b = out.keep(
            &format!("newest-{n}"),
            &search(&c, &cl.reader, &q).await.ok(),
        );
        seen.extend(ids(&b, "match"));
        page = next(&b);
        phq9(&t, &c, &cl.writer, &p[0], &format!("later-{n}")).await;
        n += 1;
    }
    assert_eq!(
        seen, before,
        "every response there at the start, once, newest first"
    );

    // One patient's responses, oldest first, as the search did before.
    let mut seen = Vec::new();
    let mut page = Some(format!(
        "/fhir/QuestionnaireResponse?subject=Patient/{}&_sort=authored&_count=1",
        p[1]
    ));
    while let Some(q) = page {
        let b = search(&c, &cl.reader, &q).await.ok().json();
        assert_eq!(b["total"], 2);
        seen.extend(ids(&b, "match"));
        page = next(&b);
    }
    assert_eq!(seen, [stored[1].clone(), stored[4].clone()]);
    out.validate();
}

async fn searches_see_only_the_clients_service_and_need_patient_read(t: TestApp) {
    let out = Emitted::new();
    let cl = clients(&t).await;
    let c = t.client();
    let patient = t.demo.patients[0].id.clone();
    phq9(&t, &c, &cl.writer, &patient, "mine").await;
    for path in [
        "/fhir/Patient",
        "/fhir/QuestionnaireResponse",
        "/fhir/Observation",
        "/fhir/Patient?_revinclude=QuestionnaireResponse:subject&_total=accurate",
        "/fhir/QuestionnaireResponse?_include=QuestionnaireResponse:subject",
    ] {
        // Another service's client finds nothing of this one.
        let r = search(&c, &cl.other, path).await.ok();
        assert!(!r.body.contains(&patient), "{path}");
        let b = out.keep("other-service", &r);
        assert!(b["entry"].is_null(), "{path}: {b}");
        // Without patient.read: refused.
        search(&c, &cl.write_only, path).await.status(403);
        // With it: this service's.
        let mine = search(&c, &cl.reader, path).await.ok();
        assert!(mine.body.contains(&patient), "{path}");
    }
    // Naming a patient of another service is not found, as naming nobody.
    for kind in ["QuestionnaireResponse", "Observation"] {
        let hidden = search(
            &c,
            &cl.other,
            &format!("/fhir/{kind}?subject=Patient/{patient}"),
        )
        .await
        .status(404);
        let missing = search(
            &c,
            &cl.other,
            &format!("/fhir/{kind}?subject=Patient/{}", PatientId::random()),
        )
        .await
        .status(404);
        assert_eq!(hidden.body, missing.body);
        search(
            &c,
            &cl.other,
            &format!("/fhir/{kind}?subject=Patient/not-an-id"),
        )
        .await
        .status(404);
    }
    // What the CapabilityStatement says is what is served.
    let cap = c.get("/fhir/metadata").await.ok().json();
    let resource = |kind: &str| {
        cap["rest"][0]["resource"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["type"] == kind)
            .unwrap()
            .clone()
    };
    let patient_cap = resource("Patient");
    assert!(
        patient_cap["interaction"]
            .to_string()
            .contains("search-type")
    );
    assert!(
        patient_cap["searchRevInclude"]
            .to_string()
            .contains("Observation:subject")
    );
    assert!(
        resource("Observation")["searchParam"]
            .to_string()
            .contains("\"code\"")
    );
    assert!(
        resource("QuestionnaireResponse")["searchInclude"]
            .to_string()
            .contains("QuestionnaireResponse:subject")
    );
    out.validate();
}
