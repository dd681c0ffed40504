//! The API's one error answer: `{"error": {"code", "message", "field"?}}` with the status its
//! code's kind gives, and `Retry-After` when the caller should wait.

use app::errors::field_in_serde_message;
use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::error::{Code, ErrorCode, ErrorKind};
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    code: Code,
    message: String,
    /// The request field the error is about, when there is one.
    field: Option<String>,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(code: Code, message: &str) -> Self {
        Self {
            code,
            message: message.to_owned(),
            field: None,
            retry_after_secs: None,
        }
    }

    /// A request that cannot be read (the caller's mistake, not ours): 400 `invalid`, with what
    /// was wrong and, when known, the field.
    pub(super) fn malformed(field: Option<String>, message: String) -> Self {
        Self {
            field,
            message,
            ..Self::new(Code::Malformed, "")
        }
    }

    /// A JSON body or query string that does not deserialize. Below axum's rejection is serde's
    /// own message, prefixed with the path of the field when it is not the top level.
    pub(super) fn unreadable(rejection: &dyn std::error::Error) -> Self {
        let serde_message = rejection.source().map(ToString::to_string);
        Self::malformed(
            serde_message.as_deref().and_then(field_in_serde_message),
            rejection.to_string(),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(field) = self.field {
            error["field"] = field.into();
        }
        let mut response = (status, Json(json!({ "error": error }))).into_response();
        if self.code.kind() == ErrorKind::Internal {
            // Logged as an error where it was made (or a panic the hook reported).
            response
                .extensions_mut()
                .insert(crate::error_tracking::ErrorReported);
        }
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl<E: ErrorCode> From<E> for ApiError {
    fn from(error: E) -> Self {
        let code = error.code();
        let message = if code.kind() == ErrorKind::Internal {
            tracing::error!(%error, "request failed");
            "something went wrong on our side; please try again".to_owned()
        } else {
            error.to_string()
        };
        Self {
            code,
            message,
            field: error.field().map(str::to_owned),
            retry_after_secs: error.retry_after().map(|wait| wait.as_secs().max(1)),
        }
    }
}
