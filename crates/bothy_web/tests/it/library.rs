//! The self-help library (issue 14): every patient can read the library
//! programmes page by page, with the crisis contacts where a programme asks
//! for them; guided programmes are not in it, and nobody else reads it.

use crate::both_dbs;
use crate::helpers::TestApp;

both_dbs!(
    a_patient_reads_a_library_guide_page_by_page,
    the_library_is_for_patients_and_holds_only_library_programmes,
    every_link_in_the_library_leads_to_a_page,
    staff_read_every_programme_with_its_tools_marked,
);

async fn a_patient_reads_a_library_guide_page_by_page(t: TestApp) {
    let c = t.patient_client(0).await;
    let home = c.get("/home").await.ok();
    assert!(
        home.body.contains("href=\"/library\""),
        "the home page links to the library"
    );
    let list = c.get("/library").await.ok().has_crisis_panel();
    for title in ["Relaxation", "Sleep", "stress"] {
        assert!(list.body.contains(title), "{title} in {}", list.body);
    }
    let first = format!(
        "/library/relaxation/{}/1",
        module_id(&list.body, "relaxation")
    );
    let page = c.get(&first).await.ok().has_crisis_panel();
    assert!(page.body.contains("Page 1 of"), "{}", page.body);
    assert!(
        !page.body.contains("rel=\"prev\""),
        "the first page has no previous page"
    );
    // Follow "Next page" to the end of the guide: every page answers, and
    // the last has no next page.
    let mut saw_reflection = page.body.contains("Something to think about");
    let mut at = page;
    let mut pages = 1;
    while let Some(next) = link(&at.body, "rel=\"next\"") {
        at = c.get(&next).await.ok();
        assert!(at.body.contains("rel=\"prev\""), "{next} links back");
        saw_reflection |= at.body.contains("Something to think about");
        pages += 1;
        assert!(pages < 40, "the pages end");
    }
    assert!(pages >= 4, "{pages} pages in the relaxation guide");
    // The guide's reflection questions show as something to think about.
    assert!(saw_reflection);
}

async fn the_library_is_for_patients_and_holds_only_library_programmes(t: TestApp) {
    let c = t.patient_client(0).await;
    // A guided programme is offered with a supporter, not in the library.
    c.get("/library/low-mood/01-getting-started/1")
        .await
        .status(404);
    let list = c.get("/library").await.ok();
    assert!(!list.body.contains("Lifting low mood"), "{}", list.body);
    let module = module_id(&list.body, "relaxation");
    c.get(&format!("/library/relaxation/{module}/0"))
        .await
        .status(404);
    c.get(&format!("/library/relaxation/{module}/99"))
        .await
        .status(404);
    c.get("/library/relaxation/no-such-module/1")
        .await
        .status(404);
    c.get("/library/no-such-guide/x/1").await.status(404);
    // Staff and visitors who are not signed in do not read it as patients.
    let anon = t.client();
    let r = anon.get("/library").await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.body);
    let staff = t.staff_client("analyst").await;
    staff.get("/library").await.status(403);
}

async fn every_link_in_the_library_leads_to_a_page(t: TestApp) {
    let c = t.patient_client(0).await;
    let list = c.get("/library").await.ok();
    let mut links = Vec::new();
    for guide in ["relaxation", "sleep-hygiene", "coping-with-stress"] {
        let mut at = c
            .get(&format!(
                "/library/{guide}/{}/1",
                module_id(&list.body, guide)
            ))
            .await
            .ok();
        loop {
            links.extend(library_links(&at.body));
            let Some(next) = link(&at.body, "rel=\"next\"") else {
                break;
            };
            at = c.get(&next).await.ok();
        }
    }
    // The guides link to each other (library:) and within themselves
    // (module:), each to the first page of what they name.
    for wanted in [
        "/library/relaxation/01-slow-breathing/1",
        "/library/sleep-hygiene/01-daytime-habits/1",
        "/library/sleep-hygiene/02-bedroom-and-winding-down/1",
    ] {
        assert!(
            links.iter().any(|l| l == wanted),
            "{wanted} not in {links:?}"
        );
    }
    links.sort();
    links.dedup();
    for l in &links {
        c.get(l).await.ok();
    }
}

async fn staff_read_every_programme_with_its_tools_marked(t: TestApp) {
    let c = t.staff_client("supporter").await;
    let list = c.get("/staff/programmes").await.ok();
    assert!(
        list.body.contains("href=\"/staff/programmes\""),
        "the navigation links to it"
    );
    for title in ["Lifting low mood", "Sleeping well again", "Relaxation"] {
        assert!(list.body.contains(title), "{title} in {}", list.body);
    }
    assert!(list.body.contains("Not yet reviewed"), "{}", list.body);
    // The low mood programme's first module embeds the goals tool, shown
    // as a marked place; its crisis contacts and pages read as patients'.
    let first = "/staff/programmes/low-mood/01-getting-started/1";
    assert!(list.body.contains(first), "{}", list.body);
    let mut at = c.get(first).await.ok();
    let mut saw_tool = false;
    loop {
        saw_tool |= at.body.contains("Interactive tool: Goals");
        let Some(next) = link(&at.body, "rel=\"next\"") else {
            break;
        };
        assert!(next.starts_with("/staff/programmes/low-mood/"), "{next}");
        at = c.get(&next).await.ok();
    }
    assert!(saw_tool, "the goals tool is marked where it sits");
    c.get("/staff/programmes/low-mood/01-getting-started/99")
        .await
        .status(404);
    // Patients read the library, not the staff's shelf.
    let p = t.patient_client(0).await;
    p.get("/staff/programmes").await.status(403);
}

/// Every `/library/...` link in a page's text (not the pager's, which carry `rel`).
fn library_links(body: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|rest| {
            let (href, after) = rest.split_once('"')?;
            (href.starts_with("/library/") && !after.starts_with(" rel=")).then(|| href.to_string())
        })
        .collect()
}

/// The first module's id of `programme` in the library list.
fn module_id(body: &str, programme: &str) -> String {
    let prefix = format!("href=\"/library/{programme}/");
    let start = body.find(&prefix).expect("a link to the guide") + prefix.len();
    body[start..].split('/').next().unwrap().to_string()
}

/// The href of the link carrying `attr`.
fn link(body: &str, attr: &str) -> Option<String> {
    let at = body.find(attr)?;
    let before = &body[..at];
    let href = before.rfind("href=\"")? + 6;
    Some(before[href..].split('"').next()?.to_string())
}
