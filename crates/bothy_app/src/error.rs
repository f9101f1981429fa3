//! Error policy: use cases return [`AppError`], the one error type the web
//! edge renders (as an HTML page, JSON, or a FHIR OperationOutcome). The store's
//! errors become `Unavailable` or `Internal`; the cause is logged, never shown.
//! `anyhow` is used only outside requests (the CLI, start-up).

use bothy_store::StoreError;

/// A problem with one field of a submitted form, shown next to that field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The form field's name (and id), e.g. `email` or `item-9`.
    pub field: String,
    pub message: String,
}

/// The words every "database unavailable" error carries, so that an
/// error that reaches the web layer only as text (the session layer's) is
/// still known for what it is.
pub const DATABASE_UNAVAILABLE: &str = bothy_store::UNAVAILABLE;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not found, or not visible to this person: the two answer the same so
    /// that nobody can learn whether a record exists.
    #[error("not found")]
    NotFound,
    /// Signed in, but this role may not do this.
    #[error("forbidden")]
    Forbidden,
    /// Not signed in (or the session has ended).
    #[error("sign-in required")]
    Unauthenticated,
    /// Sign-in refused. One message whatever the reason, so that nobody can
    /// learn which accounts exist.
    #[error("Email, password or code not recognised")]
    SignInRefused,
    #[error("too many attempts")]
    TooManyRequests,
    /// The input was understood but is not valid; each field says why.
    #[error("check the form")]
    Invalid(Vec<FieldError>),
    /// A link that was valid once but is used up or expired.
    #[error("this link has expired or has already been used")]
    Gone,
    /// A link used up by too many refused tries; the message says how to get a new one.
    #[error("{0}")]
    UsedUp(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("{}", DATABASE_UNAVAILABLE)]
    Unavailable(#[source] StoreError),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// Each field's problem, as the domain's parsers report them.
    pub fn fields(problems: Vec<(&'static str, String)>) -> Self {
        AppError::Invalid(
            problems
                .into_iter()
                .map(|(field, message)| FieldError {
                    field: field.to_string(),
                    message,
                })
                .collect(),
        )
    }

    /// A form's key that keeps a resent form to one `thing` (a post, a
    /// message, a booking, a review): 1 to 100 characters once trimmed.
    pub(crate) fn form_key<'k>(key: &'k str, thing: &str) -> Result<&'k str, AppError> {
        let key = key.trim();
        if key.is_empty() || key.len() > 100 {
            return Err(AppError::field(
                "key",
                format!("Each {thing} needs a key of 1 to 100 characters"),
            ));
        }
        Ok(key)
    }

    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal(Box::new(e))
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => AppError::Unavailable(e),
            other => AppError::Internal(Box::new(other)),
        }
    }
}

/// Collects field errors from several validations, so a form shows every problem at once.
#[derive(Default)]
pub struct Validation(Vec<FieldError>);

impl Validation {
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &'static str,
        r: Result<T, E>,
    ) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(FieldError {
                    field: field.to_string(),
                    message: e.to_string(),
                });
                None
            }
        }
    }

    pub fn fail(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_string(),
            message: message.into(),
        });
    }

    pub fn fail_owned(&mut self, field: String, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.0))
        }
    }
}
