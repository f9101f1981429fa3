//! Bothy's domain: typed ids, values validated on construction, roles and
//! permissions, the audit chain's hashing rule, and crisis contacts.
//!
//! This crate does no I/O, is not async, contains no SQL or HTTP, and never
//! reads the clock: the current time is always a parameter.

pub mod alerts;
pub mod appointments;
pub mod audit;
pub mod caseload;
pub mod check_in;
pub mod contact;
pub mod crisis;
pub mod detectors;
pub mod gsm7;
pub mod identifiers;
pub mod ids;
pub mod instruments;
pub mod jwt;
pub mod matching;
pub mod messages;
pub mod model;
pub mod monitoring;
pub mod outcomes;
pub mod pacing;
pub mod peer;
pub mod person;
pub mod programmes;
pub mod referral;
pub mod reminders;
pub mod reports;
pub mod reviews;
pub mod role;
pub mod safety_case;
pub mod safety_plan;
pub mod smart;
pub mod sms;
pub mod summaries;
pub mod text;
pub mod time;
pub mod tools;

#[cfg(test)]
mod fuzz;

pub use ids::{ApiClientId, PatientId, ServiceId, StaffId};
