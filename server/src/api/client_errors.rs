//! `POST /api/v1/client-errors`: what goes wrong in a browser (a WASM panic, an uncaught error,
//! an unhandled promise rejection) reported by the page itself, logged and forwarded to Sentry
//! with the route and the browser. The `sentry` crate has no wasm32 build, and loading Sentry's
//! script from a CDN would put a third party in every page, so the page reports to us.
//!
//! Anyone can report, signed in or not, so reports are small (the body is capped before it is
//! read), counted per client and in total, and scrubbed like every event on the way out.

use axum::Extension;
use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::error::Code;
use domain::rate_limit::ALL_REPORTS;
use serde::Deserialize;

use super::error::ApiError;
use crate::error_tracking::scrub_text;
use crate::routes::{Routes, post};
use crate::session::Client;
use crate::state::ServerState;
use domain::accounts::request::Authenticated;

/// The largest report read, in bytes: a message and a stack trace, not a page dump.
pub const MAX_REPORT_BYTES: usize = 16 * 1024;
/// What is kept of a message, in characters.
const MAX_MESSAGE_CHARS: usize = 1_000;
/// What is kept of a stack trace, in characters.
const MAX_STACK_CHARS: usize = 8_000;
/// What is kept of a route, in characters.
const MAX_ROUTE_CHARS: usize = 200;

pub fn routes() -> Routes {
    Routes::new().route("/api/v1/client-errors", post(report))
}

/// What went wrong, as the page saw it.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum ReportKind {
    Panic,
    Error,
    UnhandledRejection,
}

impl ReportKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Panic => "panic",
            Self::Error => "error",
            Self::UnhandledRejection => "unhandled_rejection",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    kind: ReportKind,
    message: String,
    #[serde(default)]
    stack: Option<String>,
    /// The page's path, as the browser's location showed it.
    route: String,
}

/// Accepts a report with 202 (nothing to answer), or says what was wrong with it.
async fn report(
    State(state): State<ServerState>,
    Client(client): Client,
    Extension(Authenticated(caller)): Extension<Authenticated>,
    body: Body,
) -> Result<Response, ApiError> {
    let body = to_bytes(body, MAX_REPORT_BYTES).await.map_err(|_| {
        ApiError::new(
            Code::Malformed,
            &format!("an error report may be at most {MAX_REPORT_BYTES} bytes"),
        )
    })?;
    // Read whatever the content type says: `navigator.sendBeacon` with a string sends
    // `text/plain`, the only kind a page can send while it is being torn down.
    let report: Report = serde_json::from_slice(&body).map_err(|error| {
        ApiError::new(
            Code::Malformed,
            &format!("an error report is JSON with kind, message and route: {error}"),
        )
    })?;
    if report.message.trim().is_empty() || !report.route.starts_with('/') {
        return Err(ApiError::new(
            Code::Malformed,
            "an error report needs a message and the page's path (starting with /)",
        ));
    }
    state
        .app
        .limits
        .error_reports
        .check(&client.ip, ALL_REPORTS)
        .await?;
    // Scrubbed here already, since the message goes to our own log too.
    let message = scrub_text(&shortened(&report.message, MAX_MESSAGE_CHARS));
    let stack = report
        .stack
        .as_deref()
        .map(|stack| scrub_text(&shortened(stack, MAX_STACK_CHARS)));
    // The path only: a query string may hold a console ticket.
    let route = shortened(
        report.route.split(['?', '#']).next().unwrap_or_default(),
        MAX_ROUTE_CHARS,
    );
    tracing::warn!(
        kind = report.kind.as_str(),
        route = %route,
        message = %message,
        "a browser reported an error"
    );
    forward(
        report.kind,
        &message,
        stack,
        &route,
        &client.user_agent,
        caller.map(|c| c.user_id),
    );
    Ok(StatusCode::ACCEPTED.into_response())
}

/// Sends the report to Sentry as an event of its own (a no-op while Sentry is off).
fn forward(
    kind: ReportKind,
    message: &str,
    stack: Option<String>,
    route: &str,
    browser: &str,
    user_id: Option<i64>,
) {
    use sentry::protocol::{Context, Event, Level, Map};

    let mut event = Event {
        level: Level::Error,
        message: Some(message.to_owned()),
        logger: Some("browser".to_owned()),
        transaction: Some(route.to_owned()),
        ..Event::default()
    };
    event.tags.insert("source".to_owned(), "browser".to_owned());
    event
        .tags
        .insert("kind".to_owned(), kind.as_str().to_owned());
    event.tags.insert("route".to_owned(), route.to_owned());
    let mut browser_context = Map::new();
    browser_context.insert("name".to_owned(), browser.into());
    event
        .contexts
        .insert("browser".to_owned(), Context::Other(browser_context));
    if let Some(stack) = stack {
        event.extra.insert("stack".to_owned(), stack.into());
    }
    if let Some(id) = user_id {
        event.user = Some(sentry::User {
            id: Some(id.to_string()),
            ..sentry::User::default()
        });
    }
    sentry::capture_event(event);
}

fn shortened(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
