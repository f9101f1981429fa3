//! Service reports (issue 18): the dashboard's figures agree with a count
//! made here over the rows the test wrote (`seed.rs`) and with SQL written
//! separately; small counts are suppressed with their complements; the
//! CSV is the table as shown; nobody is named; a supporter is refused.

mod extracts;
mod kept;
mod seed;

use crate::both_dbs;
use crate::helpers::TestApp;
use bothy_app::RequestContext;
use bothy_app::dashboard::{Dashboard, Period, ReportRequest};
use bothy_domain::reports::{Breakdown, Edition};
use seed::{FROM, FROM_MS, Seeded, TO, TO_MS, people};
use std::collections::BTreeMap;

both_dbs!(
    a_leads_own_caseload_matches_an_independent_count,
    an_analyst_sees_small_counts_suppressed_with_their_complements,
    the_csv_is_the_table_as_shown_and_names_nobody,
    a_supporter_cannot_reach_reports_and_an_analyst_lands_on_them,
    an_imported_deprivation_edition_sets_the_quintiles,
);

const DAY: i64 = 86_400_000;
const WEEK: i64 = 7 * DAY;

fn request(by: Breakdown, caseload: bool) -> ReportRequest {
    ReportRequest {
        period: Period::new(FROM.parse().unwrap(), TO.parse().unwrap()).unwrap(),
        by,
        quintile: None,
        caseload,
    }
}

async fn dashboard(t: &TestApp, role: &str, r: &ReportRequest) -> Dashboard {
    let actor = t.fixtures().staff_actor(role).await;
    t.app
        .reports()
        .dashboard(&actor, r, &RequestContext::default())
        .await
        .unwrap()
}

/// The cell of `table` in the row labelled `row`, under the first column
/// headed `column`.
fn cell(d: &Dashboard, table: &str, row: &str, column: &str) -> String {
    let t = d.table(table).unwrap();
    let c = t
        .columns
        .iter()
        .position(|c| c == column)
        .unwrap_or_else(|| panic!("{table}: no column {column}"));
    let r = t
        .rows
        .iter()
        .find(|r| r[0] == row)
        .unwrap_or_else(|| panic!("{table}: no row {row}"));
    r[c].clone()
}

fn label(by: Breakdown, p: &Seeded) -> String {
    match by {
        Breakdown::None => "All".into(),
        Breakdown::Quintile => match p.quintile().as_str() {
            "1" => "1 (most deprived)".into(),
            "5" => "5 (least deprived)".into(),
            q => q.into(),
        },
        Breakdown::AgeBand => p.age_band_label().into(),
        Breakdown::Sex => if p.sex == "male" { "Male" } else { "Female" }.into(),
        Breakdown::Ethnicity => p.ethnicity.into(),
        Breakdown::Channel => if p.sms { "SMS" } else { "Web" }.into(),
    }
}

fn within(t: i64) -> bool {
    (FROM_MS..TO_MS).contains(&t)
}

/// Every figure expected of the seeded people, by group: (table, column) -> count.
fn expected(
    by: Breakdown,
    people: &[Seeded],
) -> BTreeMap<String, BTreeMap<(&'static str, &'static str), u64>> {
    let mut out: BTreeMap<String, BTreeMap<(&'static str, &'static str), u64>> = BTreeMap::new();
    for p in people {
        let g = out.entry(label(by, p)).or_default();
        let mut add =
            |k: (&'static str, &'static str), yes: bool| *g.entry(k).or_default() += u64::from(yes);
        if within(p.received) {
            add(("referrals", "All referrals"), true);
            add(("referrals", "Self-referral"), p.source == "self");
            add(("referrals", "Professional"), p.source == "professional");
            add(("referrals", "From another system"), p.source == "fhir");
        }
        if let Some(ft) = p.first_treatment.filter(|ft| within(*ft)) {
            add(("waits", "Started treatment"), true);
            add(("waits", "Within 6 weeks"), ft - p.received <= 6 * WEEK);
            add(("waits", "Within 18 weeks"), ft - p.received <= 18 * WEEK);
        }
        let waiting = p.received < TO_MS
            && p.first_treatment.is_none_or(|ft| ft >= TO_MS)
            && p.discharged.is_none_or(|d| d >= TO_MS);
        add(("waiting-list", "Waiting"), waiting);
        add(
            ("waiting-list", "Over 18 weeks"),
            waiting && TO_MS - p.received > 18 * WEEK,
        );
        if p.discharged.is_some_and(within) {
            let bit = |b: i64| (p.flags >> b) & 1 == 1;
            add(("treatment", "Ended"), true);
            add(("treatment", "Entered treatment"), p.appointments >= 1);
            add(("treatment", "Finished a course"), bit(0));
            add(
                ("treatment", "Ended after one session"),
                p.appointments == 1,
            );
            add(("outcomes", "At caseness"), bit(1));
            add(("outcomes", "Recovered"), bit(2));
            add(("outcomes", "Reliable improvement"), bit(3));
            add(("outcomes", "Reliable recovery"), bit(4));
            add(("outcomes", "Reliable deterioration"), bit(5));
        }
        if let Some((raised, acked)) = p.alert.filter(|(r, _)| within(*r)) {
            add(("alerts", "Raised"), true);
            add(("alerts", "Acknowledged"), acked.is_some());
            add(
                ("alerts", "Acknowledged by the deadline"),
                acked.is_some_and(|a| a <= raised + DAY),
            );
        }
        if within(p.received + DAY) {
            add(("engagement", "Episodes opened"), true);
            add(("engagement", "Activated"), p.activated);
            add(("engagement", "Checked in"), p.checked_in);
        }
    }
    out
}

async fn a_leads_own_caseload_matches_an_independent_count(t: TestApp) {
    let people = people();
    seed::seed(&t, &people).await;
    for by in [
        Breakdown::None,
        Breakdown::Quintile,
        Breakdown::AgeBand,
        Breakdown::Sex,
        Breakdown::Channel,
    ] {
        let d = dashboard(&t, "clinical_lead", &request(by, true)).await;
        assert_eq!(d.suppression.threshold, 1, "a caseload is not suppressed");
        let want = expected(by, &people);
        assert!(!want.is_empty());
        for (group, figures) in &want {
            for ((table, column), n) in figures {
                assert_eq!(
                    cell(&d, table, group, column),
                    n.to_string(),
                    "{by:?} {group}: {table} / {column}"
                );
            }
        }
        // A rate is its two counts with a Wilson interval.
        if by == Breakdown::None {
            let f = &want["All"];
            let rate = bothy_domain::reports::Rate::new(
                f[&("outcomes", "Recovered")],
                f[&("outcomes", "At caseness")],
            );
            assert_eq!(
                cell(&d, "outcomes", "All", "Recovery (95% CI)"),
                format!("{} ({})", rate.percent(), rate.interval_text())
            );
            // The month table adds up to the period's referrals.
            assert_eq!(
                cell(&d, "referrals-by-month", "Total", "All referrals"),
                seed::N.to_string()
            );
        }
    }
}

/// Checks a suppressed table column by column against raw counts:
/// shown cells are exact, 1-4 never shown, and no column with a shown
/// total hides exactly one cell.
fn check_suppressed(d: &Dashboard, table: &str, column: &str, raw: &BTreeMap<String, u64>) {
    let t = d.table(table).unwrap();
    let c = t.columns.iter().position(|h| h == column).unwrap();
    let mut hidden = 0;
    for row in t.rows.iter().filter(|r| r[0] != "Total") {
        let want = raw.get(&row[0]).copied();
        match row[c].as_str() {
            "*" => hidden += 1,
            shown => {
                let n: u64 = shown.parse().unwrap();
                assert!(n == 0 || n >= 5, "{table} {column} {}: {n} shown", row[0]);
                if let Some(w) = want {
                    assert_eq!(n, w, "{table} {column} {}", row[0]);
                }
            }
        }
        if let Some(w) = want
            && (1..5).contains(&w)
        {
            assert_eq!(
                row[c], "*",
                "{table} {column} {}: {w} must be hidden",
                row[0]
            );
        }
    }
    let total = &t.rows.iter().find(|r| r[0] == "Total").unwrap()[c];
    if total != "*" {
        assert_ne!(
            hidden, 1,
            "{table} {column}: one hidden cell beside its total"
        );
    }
}

async fn an_analyst_sees_small_counts_suppressed_with_their_complements(t: TestApp) {
    let people = people();
    seed::seed(&t, &people).await;
    let d = dashboard(&t, "analyst", &request(Breakdown::Quintile, false)).await;
    assert_eq!(d.suppression.threshold, 5);
    let want = expected(Breakdown::Quintile, &people);
    let mut hidden_somewhere = false;
    for (table, column) in [
        ("referrals", "Self-referral"),
        ("referrals", "Professional"),
        ("referrals", "From another system"),
        ("waits", "Started treatment"),
        ("waits", "Within 6 weeks"),
        ("treatment", "Ended after one session"),
        ("outcomes", "Recovered"),
        ("outcomes", "Reliable deterioration"),
        ("alerts", "Raised"),
    ] {
        // Quintiles hold only seeded people (the demo's have no decile).
        let raw: BTreeMap<String, u64> = want
            .iter()
            .map(|(g, f)| (g.clone(), f.get(&(table, column)).copied().unwrap_or(0)))
            .collect();
        hidden_somewhere |= raw.values().any(|n| (1..5).contains(n));
        check_suppressed(&d, table, column, &raw);
    }
    assert!(
        hidden_somewhere,
        "the seed must give some small counts to suppress"
    );
    // Along a row too: each quintile's referrals add up to a published total.
    let refs = d.table("referrals").unwrap();
    for row in &refs.rows {
        let hidden = row[1..4].iter().filter(|c| *c == "*").count();
        if row[4] != "*" {
            assert_ne!(hidden, 1, "referrals row {}: {row:?}", row[0]);
        }
        if row[1] == "*" {
            assert_eq!(row[5], "*", "no share beside a hidden count");
        }
    }
    // The month table, suppressed along both ways.
    let months = d.table("referrals-by-month").unwrap();
    for row in &months.rows {
        for c in &row[1..] {
            if let Ok(n) = c.parse::<u64>() {
                assert!(n == 0 || n >= 5, "month table shows {n}");
            }
        }
    }
    // The whole service's total, counted by SQL written here.
    let sql_total = t
        .count(
            "SELECT COUNT(*) FROM referrals WHERE service_id = (SELECT id FROM services WHERE slug = $1) \
             AND received_at >= 1764547200000 AND received_at < 1794960000000",
            "demo",
        )
        .await;
    assert_eq!(
        cell(&d, "referrals", "Total", "All referrals"),
        sql_total.to_string()
    );
    // Read as an aggregate: audited, naming no patient.
    let reads = t
        .count(
            "SELECT COUNT(*) FROM audit_events WHERE action = $1 AND patient_id IS NULL AND purpose = 'administration'",
            "report.read",
        )
        .await;
    assert!(reads >= 1);
}

async fn the_csv_is_the_table_as_shown_and_names_nobody(t: TestApp) {
    let people = people();
    seed::seed(&t, &people).await;
    let analyst = t.staff_client("analyst").await;
    let q = format!("from={FROM}&to={TO}&by=quintile");
    let page = analyst.get(&format!("/staff/reports?{q}")).await.ok();
    assert!(page.body.contains("Referrals by month and source"));
    assert!(page.body.contains("<svg"));
    for p in &people {
        assert!(
            !page.body.contains(&format!("Seeded{} ", p.i)) && !page.body.contains(&p.postcode)
        );
    }
    let csv = analyst
        .get(&format!("/staff/reports/csv/referrals?{q}"))
        .await
        .ok();
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("referrals-")
    );
    let d = dashboard(&t, "analyst", &request(Breakdown::Quintile, false)).await;
    let table = d.table("referrals").unwrap();
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), table.rows.len() + 1);
    assert!(lines[0].starts_with("Deprivation quintile,Self-referral,"));
    assert_eq!(csv.body, bothy_app::dashboard::csv::table_csv(table));
    assert!(!csv.body.contains("Seeded"));
    assert!(
        t.count(
            "SELECT COUNT(*) FROM audit_events WHERE action = $1",
            "report.exported"
        )
        .await
            >= 1
    );
    // Filtering to one quintile keeps only its people.
    let one = analyst
        .get(&format!("/staff/reports?{q}&quintile=1"))
        .await
        .ok();
    assert!(one.body.contains("deprivation quintile 1 only"));
    // The monthly report.
    let monthly = analyst
        .get("/staff/reports/monthly?month=2026-10")
        .await
        .ok();
    assert!(monthly.body.contains("Monthly report, October 2026"));
    // A bad filter is a field error, not a failure.
    let bad = analyst.get("/staff/reports?from=yesterday").await;
    assert!(bad.status.is_client_error(), "{}", bad.status);
}

async fn a_supporter_cannot_reach_reports_and_an_analyst_lands_on_them(t: TestApp) {
    let supporter = t.staff_client("supporter").await;
    for path in [
        "/staff/reports",
        "/staff/reports/csv/waits",
        "/staff/reports/monthly",
    ] {
        supporter.get(path).await.status(403);
    }
    let analyst = t.staff_client("analyst").await;
    analyst.get("/staff").await.redirects_to("/staff/reports");
    // An analyst cannot ask for a caseload: they have none.
    let actor = t.fixtures().staff_actor("analyst").await;
    let refused = t
        .app
        .reports()
        .dashboard(
            &actor,
            &request(Breakdown::None, true),
            &RequestContext::default(),
        )
        .await;
    assert!(matches!(refused, Err(bothy_app::AppError::Forbidden)));
}

async fn an_imported_deprivation_edition_sets_the_quintiles(t: TestApp) {
    let people = people();
    seed::seed(&t, &people).await;
    // Every seeded postcode district EH1..EH9 with inward 0AB..9AB: put
    // EH1 postcodes in decile 1 and the rest in decile 10.
    let mut lines = vec![Ok("Postcode,SIMD2020v2_Decile".to_string())];
    for d in 1..=9 {
        for n in 0..10 {
            lines.push(Ok(format!("EH{d} {n}AB,{}", if d == 1 { 1 } else { 10 })));
        }
    }
    let ctx = RequestContext::default();
    let n = t
        .app
        .reports()
        .import_deprivation(Edition::Simd2020v2, lines.into_iter(), &ctx)
        .await
        .unwrap();
    assert_eq!(n, 90);
    let bad = vec![
        Ok("EH1 1AA,3".to_string()),
        Ok("EH1 1AA,eleven".to_string()),
    ];
    let err = t
        .app
        .reports()
        .import_deprivation(Edition::Simd2020v2, bad.into_iter(), &ctx)
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("line 2"), "{err:?}");
    let d = dashboard(&t, "clinical_lead", &request(Breakdown::Quintile, true)).await;
    assert!(
        d.deprivation_source.contains("SIMD 2020v2"),
        "{}",
        d.deprivation_source
    );
    let in_eh1 = people
        .iter()
        .filter(|p| p.postcode.starts_with("EH1 "))
        .count();
    assert_eq!(
        cell(&d, "referrals", "1 (most deprived)", "All referrals"),
        in_eh1.to_string()
    );
    assert_eq!(
        cell(&d, "referrals", "5 (least deprived)", "All referrals"),
        (people.len() - in_eh1).to_string()
    );
    // The quintile filter keeps one quintile's people.
    let mut r = request(Breakdown::None, true);
    r.quintile = Some(1);
    let d = dashboard(&t, "clinical_lead", &r).await;
    assert_eq!(
        cell(&d, "referrals", "All", "All referrals"),
        in_eh1.to_string()
    );
}
