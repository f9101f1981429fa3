//! The one integration-test binary: the whole application in-process on a
//! fresh database (SQLite always; PostgreSQL too when
//! `BOTHY_TEST_DATABASE_URL` is set), with a fake clock.

mod helpers;

// The kit's macros, where the modules look for them (`crate::both_dbs`).
pub(crate) use bothy_testkit::{both_dbs, both_dbs_service, both_dbs_with};

mod alert_closing;
mod alerts;
mod api_clients;
mod appointments;
mod audit;
mod authz_matrix;
mod bad_input;
mod caseload;
mod check_ins;
mod concurrency;
mod delivery;
mod enrolment;
mod fhir_bad_responses;
mod fhir_bulk;
mod fhir_http;
mod fhir_measures;
mod fhir_referral_conditional;
mod fhir_referrals;
mod fhir_referrals_coded;
mod fhir_search;
mod fhir_support;
mod fhir_versions;
mod fhirpy_export;
mod fhirpy_referral;
mod fhirpy_search;
mod front_door;
mod fuzz;
mod hardening;
mod jobs;
mod library;
mod measures;
mod messages;
mod monitoring_sweep;
mod openapi;
mod pages;
mod peer;
mod programme_enrolments;
mod reports;
mod reviews;
mod safety_plan;
mod schema;
mod sign_in;
mod smart_token;
mod sms;
mod supporter_by_email;
mod tools;
mod tools_forms;
mod waiting_reminders;
