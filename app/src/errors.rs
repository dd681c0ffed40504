//! The one error type server functions return: a stable code the UI translates, the field it is
//! about (for forms), and for rate limits how long to wait. Its HTTP status follows from the
//! code's kind (`model::error`), the same table the REST API answers by.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
pub use model::error::{Code, ErrorKind};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}")]
pub struct AppError {
    pub code: Code,
    pub field: Option<String>,
    pub retry_after_secs: Option<u64>,
}

impl AppError {
    pub fn new(code: Code) -> Self {
        Self {
            code,
            field: None,
            retry_after_secs: None,
        }
    }

    /// An argument or field the caller sent that cannot be read: 400 `invalid`, naming it.
    pub fn malformed(field: Option<String>) -> Self {
        Self {
            field,
            ..Self::new(Code::Malformed)
        }
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

/// The field a serde error message is about, if it names one: `missing field `language``,
/// `unknown field `x`, expected …`, or a message behind a path (`plan.period: invalid type…`, as
/// `serde_path_to_error` writes them). An unknown variant names the value, not the field, so
/// only a path can tell which field it was in.
pub fn field_in_serde_message(message: &str) -> Option<String> {
    let (path, detail) = match message.split_once(": ") {
        // A path is a dotted list of names; anything else before ": " is part of the message.
        Some((path, detail))
            if !path.is_empty()
                && path
                    .split('.')
                    .all(|part| !part.is_empty() && part.chars().all(is_name_char)) =>
        {
            (Some(path), detail)
        }
        _ => (None, message),
    };
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| detail.find(prefix).map(|at| &detail[at + prefix.len()..]))
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name);
    match (path, named) {
        (Some(path), Some(name)) => Some(format!("{path}.{name}")),
        (Some(path), None) => Some(path.to_owned()),
        (None, name) => name.map(str::to_owned),
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '[' || c == ']'
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        answered(match value {
            // Arguments are only ever read on the server: what the caller sent does not parse.
            ServerFnErrorErr::Args(message) => Self::malformed(field_in_serde_message(&message)),
            ServerFnErrorErr::MissingArg(name) => Self::malformed(Some(name)),
            // On the server, deserializing is reading the caller's arguments (a JSON-encoded
            // server function, a body that is not UTF-8); in the browser it is reading our answer.
            ServerFnErrorErr::Deserialization(message) if cfg!(feature = "ssr") => {
                Self::malformed(field_in_serde_message(&message))
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
                Self::new(Code::Network)
            }
            _ => Self::new(Code::Internal),
        })
    }
}

/// On the server these errors are raised while a server function's request is handled: its
/// response gets the error's status (server_fn would answer 500 for all of them).
#[cfg(feature = "ssr")]
fn answered(error: AppError) -> AppError {
    reject(error)
}

/// Sets the response status (and `Retry-After`) for `error` and hands it back.
#[cfg(feature = "ssr")]
pub fn reject(error: AppError) -> AppError {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(
            http::StatusCode::from_u16(error.status())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
        );
        if let Some(secs) = error.retry_after_secs
            && let Ok(value) = http::HeaderValue::from_str(&secs.to_string())
        {
            response.insert_header(http::header::RETRY_AFTER, value);
        }
    }
    error
}

#[cfg(not(feature = "ssr"))]
fn answered(error: AppError) -> AppError {
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_name_their_field() {
        let field = |message| field_in_serde_message(message);
        assert_eq!(field("missing field `language`"), Some("language".into()));
        assert_eq!(
            field("unknown field `colour`, expected `name` or `size`"),
            Some("colour".into())
        );
        assert_eq!(
            field("type: unknown variant `explode`, expected one of `reboot`, `rebuild`"),
            Some("type".into())
        );
        assert_eq!(
            field("coupon: missing field `kind` at line 1 column 30"),
            Some("coupon.kind".into())
        );
        assert_eq!(
            field("items[0].name: invalid type: integer `1`, expected a string"),
            Some("items[0].name".into())
        );
        assert_eq!(field("unknown variant `fr`, expected `id` or `en`"), None);
        assert_eq!(field("invalid type: integer `1`, expected a string"), None);
        assert_eq!(field("expected value at line 1 column 1"), None);
    }

    #[test]
    fn arguments_that_do_not_parse_are_the_callers_fault() {
        let error = AppError::from_server_fn_error(ServerFnErrorErr::Args(
            "missing field `language`".into(),
        ));
        assert_eq!(error, AppError::malformed(Some("language".into())));
        assert_eq!((error.code.as_str(), error.status()), ("invalid", 400));
        let missing = AppError::from_server_fn_error(ServerFnErrorErr::MissingArg("id".into()));
        assert_eq!(missing.field.as_deref(), Some("id"));
        let unreachable =
            AppError::from_server_fn_error(ServerFnErrorErr::Request("connection refused".into()));
        assert_eq!(unreachable.code, Code::Network);
    }
}
