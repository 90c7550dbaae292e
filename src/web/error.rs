//! The web layer's one error type. Pages render it as an HTML page, the JSON API (through
//! [`ApiError`]) as `{"error": …}`; both map it to the same status code.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::db;
use crate::domain::validate::FieldError;
use crate::domain::{Lang, Text};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("sign in required")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("{0}")]
    Conflict(String),
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// Input refused for one reason the person can fix, in both languages.
    #[error("{}", .0.en)]
    Refused(Text),
    /// The service cannot take this now (shutting down); nothing was stored, try again.
    #[error("the service is not available just now; please try again")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl From<db::Error> for AppError {
    fn from(e: db::Error) -> Self {
        match e {
            db::Error::NotFound => AppError::NotFound,
            db::Error::Conflict(msg) => AppError::Conflict(msg),
            db::Error::Unavailable => AppError::Unavailable,
            other => AppError::Internal(other.into()),
        }
    }
}

/// A form whose CSRF token does not verify is refused. A malformed token fails as any of the
/// variants (salt, hash, verify), so every one is a refusal; making a token does not fail.
impl From<axum_csrf::CsrfError> for AppError {
    fn from(_: axum_csrf::CsrfError) -> Self {
        AppError::Forbidden
    }
}

impl From<crate::usecases::Error> for AppError {
    fn from(e: crate::usecases::Error) -> Self {
        use crate::usecases::Error;
        match e {
            Error::NotFound => AppError::NotFound,
            Error::Invalid(errors) => AppError::Validation(errors),
            Error::Refused(text) => AppError::Refused(text),
            Error::Conflict(msg) => AppError::Conflict(msg),
            Error::Unavailable => AppError::Unavailable,
            Error::Internal(e) => AppError::Internal(e),
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::Internal(e.into())
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Validation(_) | AppError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the user may read; internal details stay in the log.
    fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => "internal error".into(),
            other => other.to_string(),
        }
    }

    fn log(&self) {
        if let AppError::Internal(e) = self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let (vi, en) = match status {
            StatusCode::NOT_FOUND => ("Không tìm thấy trang", "Page not found"),
            StatusCode::UNAUTHORIZED => ("Cần đăng nhập", "Please sign in"),
            StatusCode::FORBIDDEN => ("Không có quyền truy cập", "Access denied"),
            StatusCode::CONFLICT => ("Yêu cầu không thực hiện được", "This cannot be done now"),
            StatusCode::INTERNAL_SERVER_ERROR => ("Đã có lỗi xảy ra", "Something went wrong"),
            StatusCode::SERVICE_UNAVAILABLE => (
                "Dịch vụ tạm thời bận, xin thử lại",
                "The service is busy, please try again",
            ),
            _ => (
                "Yêu cầu không hợp lệ",
                "There is a problem with the request",
            ),
        };
        let detail = self.public_message();
        let page = crate::web::views::layout::page(
            Lang::Vi,
            vi,
            html! {
                h1 { (vi) }
                p lang="en" { (en) }
                @if !matches!(status, StatusCode::NOT_FOUND | StatusCode::INTERNAL_SERVER_ERROR) { p { (detail) } }
                p { a href="/" { "Về trang chủ / Home" } }
            },
        );
        (status, page).into_response()
    }
}

/// [`AppError`] rendered as JSON for `/api/v1`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let status = self.0.status();
        let body = match &self.0 {
            AppError::Validation(errors) => {
                let mut fields = BTreeMap::new();
                for e in errors {
                    // The first message per field is the one to fix first.
                    fields
                        .entry(e.field.api_name())
                        .or_insert_with(|| e.message.en.clone());
                }
                serde_json::json!({"error": "validation failed", "fields": fields})
            }
            other => serde_json::json!({"error": other.public_message()}),
        };
        (status, Json(body)).into_response()
    }
}
