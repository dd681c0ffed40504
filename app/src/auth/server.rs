//! Server-side glue for the account server functions: the caller and client the HTTP layer
//! resolved, the session cookies, and turning domain errors into [`AppError`]s with a status.

use domain::AppState;
use domain::accounts::request::{Authenticated, CookiePolicy, RequestClient, session_cookies};
use domain::caller::{Caller, ClientInfo};
use domain::error::ErrorCode;
use http::HeaderValue;
use http::header::SET_COOKIE;
use http::request::Parts;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::errors::{AppError, Code, ErrorKind, reject};

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::new(Code::Internal))
}

fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// The signed-in caller, if any; asking is not an error.
pub fn optional_caller() -> Option<Caller> {
    parts().and_then(|parts| {
        parts
            .extensions
            .get::<Authenticated>()
            .and_then(|a| a.0.clone())
    })
}

/// The signed-in caller, or a 401 for functions that need one.
pub fn caller() -> Result<Caller, AppError> {
    optional_caller().ok_or_else(|| reject(AppError::new(Code::Unauthenticated)))
}

pub fn client() -> ClientInfo {
    parts()
        .and_then(|parts| parts.extensions.get::<RequestClient>().map(|c| c.0.clone()))
        .unwrap_or_default()
}

/// Maps a domain error to what the client may know; internals are logged, never sent.
pub fn fail(error: impl ErrorCode) -> AppError {
    let code = error.code();
    if code.kind() == ErrorKind::Internal {
        tracing::error!(%error, "request failed");
    }
    reject(AppError {
        code,
        field: error.field().map(str::to_owned),
        retry_after_secs: error.retry_after().map(|wait| wait.as_secs().max(1)),
    })
}

fn append_cookies(access: &str, refresh: &str) {
    let policy = use_context::<CookiePolicy>().unwrap_or_default();
    if let Some(response) = use_context::<ResponseOptions>() {
        for cookie in session_cookies(access, refresh, policy) {
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.append_header(SET_COOKIE, value);
            }
        }
    }
}

pub fn set_session_cookies(access: &str, refresh: &str) {
    append_cookies(access, refresh);
}

/// Pages show times in the account's zone from the next one on, rendered on the server too (see
/// `crate::time`); the browser sets the same cookie when it can.
pub fn remember_time_zone(zone: model::time::TimeZone) {
    let cookie = crate::preferences::preference_cookie(crate::time::TIME_ZONE_COOKIE, zone.iana());
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&cookie),
    ) {
        response.append_header(SET_COOKIE, value);
    }
}

pub fn clear_session_cookies() {
    append_cookies("", "");
}
