//! What every domain error tells the edges: a stable code the UI translates and the HTTP layer
//! maps to a status (once, in `app::errors::status_for`), the form field it is about, and how long
//! to wait when the answer is "not now".

use std::time::Duration;

pub trait ErrorCode: std::error::Error {
    /// A stable machine-readable code; `internal` means "log it, tell the client nothing".
    fn code(&self) -> &'static str;

    fn field(&self) -> Option<&'static str> {
        None
    }

    fn retry_after(&self) -> Option<Duration> {
        None
    }
}

impl ErrorCode for crate::rate_limit::RateLimited {
    fn code(&self) -> &'static str {
        "rate_limited"
    }

    fn retry_after(&self) -> Option<Duration> {
        Some(self.retry_after)
    }
}

impl ErrorCode for crate::DbError {
    fn code(&self) -> &'static str {
        "internal"
    }
}
