//! The one error type server functions return: a stable code the UI translates, the field it is
//! about (for forms), and for rate limits how long to wait. The HTTP status for each code is
//! decided here, once, for server functions and the REST API alike.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}")]
pub struct AppError {
    pub code: String,
    pub field: Option<String>,
    pub retry_after_secs: Option<u64>,
}

impl AppError {
    pub fn new(code: &str) -> Self {
        Self {
            code: code.to_owned(),
            field: None,
            retry_after_secs: None,
        }
    }

    pub fn status(&self) -> u16 {
        status_for(&self.code)
    }
}

/// The HTTP status for an error code.
pub fn status_for(code: &str) -> u16 {
    match code {
        "unauthenticated"
        | "invalid_credentials"
        | "two_factor_required"
        | "invalid_two_factor_code"
        | "refresh_reused" => 401,
        "forbidden"
        | "account_suspended"
        | "csrf"
        | "email_not_verified"
        | "console_ticket_refused" => 403,
        "not_found" => 404,
        "already_exists"
        | "ssh_key_name_taken"
        | "ssh_key_duplicate"
        | "hostname_taken"
        | "action_in_progress"
        | "illegal_transition"
        | "invoice_not_payable"
        | "invoice_not_refundable"
        | "coupon_code_taken"
        | "console_not_running"
        | "console_unavailable" => 409,
        "link_invalid" => 410,
        "account_locked" => 423,
        "rate_limited" | "console_sessions_exhausted" => 429,
        "console_unreachable" => 502,
        "payment_gateway_unavailable" | "busy" => 503,
        "internal" | "network" => 500,
        _ => 422,
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let code = match value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => "network",
            _ => "internal",
        };
        Self::new(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_statuses() {
        assert_eq!(status_for("invalid_credentials"), 401);
        assert_eq!(status_for("forbidden"), 403);
        assert_eq!(status_for("rate_limited"), 429);
        assert_eq!(status_for("password_too_short"), 422);
        assert_eq!(status_for("internal"), 500);
        assert_eq!(
            status_for("busy"),
            503,
            "too many password checks at once: come back shortly"
        );
    }
}
