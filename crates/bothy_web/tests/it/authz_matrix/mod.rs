//! The authorization matrix: every route of `bothy_web::route_specs()`,
//! requested by every kind of caller, checked against one explicit table of
//! who may do what. A route without a row in the table fails the test, so no
//! route can be added without deciding who may call it.

use crate::both_dbs_service;
use crate::helpers::TestApp;
use axum::http::Method;
use bothy_app::policy::Access;
use bothy_domain::PatientId;
use std::time::Duration;

mod callers;
mod expected;
mod requests;

use callers::{Caller::*, World};
use expected::*;

// The matrix sends many messages to the same few people within a few
// (fake) hours; the limits per address have their own tests
// (delivery/pacing.rs), so here they are set out of the way.
both_dbs_service!(
    unpaced;
    every_route_answers_every_caller_as_the_table_says
);

fn unpaced() -> &'static str {
    "[messages]\nmax_per_hour = 60\nmax_per_day = 500\n"
}

async fn every_route_answers_every_caller_as_the_table_says(t: TestApp) {
    let routes = bothy_web::route_specs();
    let expected = expected_rows(&routes);
    let w = World::new(t).await;
    let mut wrong = Vec::new();

    for (col, &caller) in CALLERS.iter().enumerate() {
        // Let the sign-in throttle (a few attempts per account per 15 minutes) refill.
        w.t.clock.advance(Duration::from_secs(15 * 60));
        let main = w.session(caller).await;
        let mut spares = Vec::new();
        for _ in REPLACES_SESSION {
            spares.push(w.session(caller).await);
        }
        let token = w.enrolment_token(col).await;
        w.new_front_door(col).await;
        let target = w.patient(&w.target(caller)).clone();
        let mut last = None;

        for (spec, row) in routes.iter().zip(&expected) {
            if is(spec, ENDS_SESSION) {
                last = Some((spec, row[col]));
                continue;
            }
            let client = if REPLACES_SESSION.iter().any(|r| is(spec, *r)) {
                spares.pop().unwrap()
            } else {
                main.clone()
            };
            let r = w.call(caller, col, &client, spec, &token).await;
            let got = w.judge(spec, &r, &token).await;
            let want = row[col];
            let cell = format!("{caller:?} {} {}", spec.method, spec.path);
            if got != want {
                wrong.push(format!(
                    "{cell}: expected {want:?}, got {got:?} ({} {:?})",
                    r.status,
                    r.location()
                ));
            }
            if about_patient(spec) {
                // A form post answers with a redirect to the patient's page.
                let named = names(spec, &r.body, &target)
                    || r.location()
                        .is_some_and(|l| l.contains(&target.id.to_string()));
                if got == Seen::Allowed && !named {
                    wrong.push(format!(
                        "{cell}: allowed, but the answer is not about the patient asked for"
                    ));
                }
                if got == Seen::Refused && named {
                    wrong.push(format!("{cell}: refused, yet the answer names the patient"));
                }
            }
            let outsider = matches!(caller, OtherServiceStaff | ApiOtherService);
            if let Some(leak) = w
                .demo_secrets()
                .into_iter()
                // A service's name is public: people choose it to refer themselves.
                .filter(|s| !(spec.access == Access::Public && *s == w.t.demo.service))
                .find(|s| outsider && r.body.contains(s))
            {
                wrong.push(format!("{cell}: shows {leak:?} of another service"));
            }
        }

        // A refusal never tells whether the record exists: a real patient the
        // caller may not see answers exactly like an id that names nobody.
        for (spec, row) in routes.iter().zip(&expected) {
            if !about_patient(spec) || spec.method != Method::GET || row[col] != Seen::Refused {
                continue;
            }
            let cell = format!("{caller:?} {} {}", spec.method, spec.path);
            let missing = PatientId::random().to_string();
            let bearer = w.bearer(caller);
            let headers: Vec<(&str, &str)> = bearer
                .iter()
                .map(|b| ("authorization", b.as_str()))
                .collect();
            let real = main
                .get_with(&w.path(spec, &w.target(caller), &token), &headers)
                .await;
            let none = main
                .get_with(&w.path(spec, &missing, &token), &headers)
                .await;
            if (real.status, real.location(), without_request_id(&real))
                != (none.status, none.location(), without_request_id(&none))
            {
                wrong.push(format!(
                    "{cell}: a real record answers {} but a missing one {}",
                    real.status, none.status
                ));
            }
            // Those who may open some records but not this one: plainly not found.
            let may_open_some = match spec.access {
                Access::StaffPatients => matches!(caller, SupporterOther | OtherServiceStaff),
                Access::Api(_) => caller == ApiOtherService,
                _ => false,
            };
            if may_open_some && (real.status.as_u16(), none.status.as_u16()) != (404, 404) {
                wrong.push(format!(
                    "{cell}: expected 404 for both a hidden and a missing record, got {} and {}",
                    real.status, none.status
                ));
            }
        }

        if let Some((spec, want)) = last {
            let r = w.call(caller, col, &main, spec, &token).await;
            let got = w.judge(spec, &r, &token).await;
            if got != want {
                wrong.push(format!(
                    "{caller:?} {} {}: expected {want:?}, got {got:?} ({})",
                    spec.method, spec.path, r.status
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells of the authorization matrix are wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
