//! The use-case layer's one error type. The web layer turns it into a status code.

use crate::db;
use crate::domain::Text;
use crate::domain::validate::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    /// Input that breaks the questionnaire's or the contact rules: every bad field named.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// Input refused for one reason the person can fix (an account or agency form).
    #[error("{}", .0.en)]
    Refused(Text),
    /// Conflicts with what is stored (an account with this e-mail exists, already submitted).
    #[error("{0}")]
    Conflict(String),
    /// The service cannot take this now (shutting down); nothing was stored.
    #[error("the service is not available just now")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<db::Error> for Error {
    fn from(e: db::Error) -> Self {
        match e {
            db::Error::NotFound => Error::NotFound,
            db::Error::Conflict(msg) => Error::Conflict(msg),
            db::Error::Unavailable => Error::Unavailable,
            other => Error::Internal(other.into()),
        }
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(e: sea_orm::DbErr) -> Self {
        Error::Internal(e.into())
    }
}
