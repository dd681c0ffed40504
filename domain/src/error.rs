//! What every domain error tells the edges: a stable [`Code`] the UI translates and whose kind
//! decides the HTTP status (for server functions and the REST API alike), the form field it is
//! about, and how long to wait when the answer is "not now".

use std::time::Duration;

pub use model::error::{Code, ErrorKind};

pub trait ErrorCode: std::error::Error {
    /// The code clients see; an [`ErrorKind::Internal`] one means "log it, tell the client
    /// nothing".
    fn code(&self) -> Code;

    fn field(&self) -> Option<&'static str> {
        None
    }

    fn retry_after(&self) -> Option<Duration> {
        None
    }
}

/// A bare code, for failures at the edge that no domain function saw (an argument that does not
/// parse).
impl ErrorCode for Code {
    fn code(&self) -> Code {
        *self
    }
}

impl ErrorCode for crate::rate_limit::RateLimited {
    fn code(&self) -> Code {
        Code::RateLimited
    }

    fn retry_after(&self) -> Option<Duration> {
        Some(self.retry_after)
    }
}

impl ErrorCode for crate::DbError {
    fn code(&self) -> Code {
        // Text the database cannot hold came from the caller: it is their unreadable input.
        if self.is_unstorable_text() {
            Code::Malformed
        } else {
            Code::Internal
        }
    }
}
