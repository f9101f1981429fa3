//! Server-rendered pages, one module per area.

pub mod account;
pub mod activate;
pub mod alerts;
pub mod appointments;
pub mod caseload;
pub mod check_ins;
pub mod dead_letters;
pub mod enrolments;
pub mod library;
pub mod measures;
pub mod messages;
pub mod peer;
pub mod peer_moderation;
pub mod programme;
pub mod public;
pub mod refer;
pub mod report_extract;
pub mod reports;
pub mod reviews;
pub mod safety_plan;
pub mod signin;
pub mod staff;
pub mod tools;
pub mod triage;

use crate::error::WebError;
use bothy_app::{AppError, FieldError};

/// Splits a use case's result into field errors to show on the form, or a
/// failure to render as an error page.
pub fn field_errors<T>(r: Result<T, AppError>) -> Result<Result<T, Vec<FieldError>>, WebError> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(AppError::Invalid(fields)) => Ok(Err(fields)),
        Err(e) => Err(e.into()),
    }
}
