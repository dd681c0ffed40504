//! Error tracking and performance traces in Sentry, on when `SENTRY_DSN` is set.
//!
//! Error-level log lines become Sentry events (warnings and info lines ride along as
//! breadcrumbs), panics are captured with their backtrace, and spans become transactions at
//! `SENTRY_TRACES_SAMPLE_RATE`. An event captured while serving a request carries its request
//! id, route and the signed-in user's id (never the e-mail), and the lines that request logged
//! before it. Whatever leaves the process passes through [`scrub_envelope`] first: the one place
//! that decides what Sentry may see.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, Uri};
use axum::middleware::Next;
use axum::response::Response;
use sentry::integrations::tracing::{ErrorLayer, SpanLayer};
use sentry::protocol::{Breadcrumb, EnvelopeItem, Event, Transaction};
use sentry::transports::UreqHttpTransportOptions;
use sentry::types::Dsn;
use sentry::{
    ClientInitGuard, ClientOptions, Envelope, SentryFutureExt, Transport, TransportOptions,
};
use serde_json::Value;
use tracing::{Level, Metadata};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::FilterFn;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::router::REQUEST_ID_HEADER;
use domain::accounts::request::Authenticated;

/// What `SENTRY_*` configure.
#[derive(Clone, Debug)]
pub struct SentrySettings {
    pub dsn: Dsn,
    pub environment: String,
    pub release: String,
    /// The share of requests, jobs and console sessions traced, 0 to 1.
    pub traces_sample_rate: f32,
}

/// This build's name in Sentry: `webrana@VERSION`, and `+COMMIT` when built from a checkout.
pub fn default_release() -> String {
    match option_env!("WEBRANA_COMMIT") {
        Some(commit) if !commit.is_empty() => {
            format!("webrana@{}+{commit}", env!("CARGO_PKG_VERSION"))
        }
        _ => format!("webrana@{}", env!("CARGO_PKG_VERSION")),
    }
}

/// Starts the Sentry client; keep the guard for the life of the process (dropping it sends
/// what is queued). Call before the async runtime starts, so every runtime thread shares it.
pub fn init(settings: &SentrySettings) -> ClientInitGuard {
    let mut options = ClientOptions::new().traces_sample_rate(settings.traces_sample_rate);
    options.dsn = Some(settings.dsn.clone());
    options.release = Some(settings.release.clone().into());
    options.environment = Some(settings.environment.clone().into());
    // Headers, cookies and bodies stay out unless we put them in; user ids are set by us.
    options.send_default_pii = false;
    // Panics carry their backtrace; a stack of where an error line was logged is mostly the
    // runtime's, and would make every event tens of kilobytes.
    options.attach_stacktrace = false;
    options.shutdown_timeout = Duration::from_secs(5);
    options.before_send = Some(Arc::new(describe_request));
    options.transport = Some(Arc::new(|options: &ClientOptions| {
        // Always there: the factory is only used with a DSN.
        let http = TransportOptions::try_from_client_options(options)
            .map(|general| UreqHttpTransportOptions::from(general).build());
        Arc::new(Scrubbed(http)) as Arc<dyn Transport>
    }));
    sentry::init(options)
}

/// Whether the running client samples traces at all (`SENTRY_TRACES_SAMPLE_RATE` above 0).
pub fn traces_sampled() -> bool {
    sentry::Hub::current().client().is_some_and(|client| {
        matches!(
            client.options().traces_sampling_strategy,
            sentry::TracesSamplingStrategy::FixedRate(rate) if rate > 0.0
        )
    })
}

/// The tracing layers that feed Sentry: error lines as events, the lines before them as
/// breadcrumbs and, when traces are sampled, the performance spans (those naming a
/// `sentry.op`: jobs, orders, callbacks, provisioning steps, provider calls, console sessions)
/// as transactions. Every other span stays out: each Sentry span costs a hub per poll.
pub fn layers<S>(traces: bool) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
{
    // Each filter says the most it lets through, so debug and trace lines stay as cheap as
    // they are without Sentry: skipped at the call site.
    let spans = traces.then(|| {
        SpanLayer::new()
            .with_filter(FilterFn::new(performance_span).with_max_level_hint(Level::INFO))
    });
    // An absent layer (no traces) is a layer that does nothing.
    Layer::and_then(
        spans,
        ErrorLayer::new()
            .enable_span_attributes()
            // The performance spans too: their fields (a job's, an order's) go with the event.
            .with_filter(
                FilterFn::new(|metadata: &Metadata<'_>| {
                    performance_span(metadata) || becomes_event(metadata)
                })
                .with_max_level_hint(Level::INFO),
            ),
    )
    .and_then(
        Breadcrumbs.with_filter(
            FilterFn::new(|metadata: &Metadata<'_>| {
                metadata.is_event() && *metadata.level() <= Level::INFO && !becomes_event(metadata)
            })
            .with_max_level_hint(Level::INFO),
        ),
    )
}

fn performance_span(metadata: &Metadata<'_>) -> bool {
    metadata.is_span()
        && *metadata.level() <= Level::INFO
        && metadata.fields().field("sentry.op").is_some()
}

/// An error line is an event, except the one logged after a panic: the panic hook has sent
/// that panic already, with its backtrace.
fn becomes_event(metadata: &Metadata<'_>) -> bool {
    metadata.is_event()
        && *metadata.level() == Level::ERROR
        && metadata.fields().field("panic").is_none()
}

/// Marks an answer whose failure was reported already (logged as an error, or a panic), so
/// [`track_request`] does not report the same 5xx again.
#[derive(Clone, Copy, Debug)]
pub struct ErrorReported;

/// The most lines kept as breadcrumbs for one request's events.
const REQUEST_BREADCRUMBS: usize = 50;

tokio::task_local! {
    /// The request the running task serves, for the events captured while serving it.
    static REQUEST: RequestContext;
}

/// What an event captured during a request is told of it: its id, route and caller, and the
/// lines logged before it. Kept by the request's task instead of a Sentry hub per request,
/// which costs a share of every request's time to serve the few that fail.
struct RequestContext {
    request_id: Option<HeaderValue>,
    method: Method,
    uri: Uri,
    host: Option<HeaderValue>,
    route: Option<MatchedPath>,
    /// Whether the request runs on a hub of its own (it is traced).
    traced: bool,
    user_id: OnceLock<i64>,
    breadcrumbs: Mutex<VecDeque<Breadcrumb>>,
}

impl RequestContext {
    fn of(request: &Request) -> Self {
        let headers = request.headers();
        Self {
            request_id: headers.get(REQUEST_ID_HEADER).cloned(),
            method: request.method().clone(),
            uri: request.uri().clone(),
            host: headers.get(axum::http::header::HOST).cloned(),
            route: request.extensions().get::<MatchedPath>().cloned(),
            traced: false,
            user_id: OnceLock::new(),
            breadcrumbs: Mutex::new(VecDeque::new()),
        }
    }

    fn request_id(&self) -> Option<&str> {
        self.request_id.as_ref().and_then(|id| id.to_str().ok())
    }

    /// `GET /api/v1/servers/{id}`: the route, so one transaction name serves every server.
    fn name(&self) -> String {
        let path = self
            .route
            .as_ref()
            .map_or_else(|| self.uri.path(), MatchedPath::as_str);
        format!("{} {path}", self.method)
    }

    /// The request as Sentry shows it: method and address without the query string (which
    /// may hold a console ticket), and no headers (which may hold credentials).
    fn describe(&self) -> sentry::protocol::Request {
        let host = self.host.as_ref().and_then(|host| host.to_str().ok());
        let url = host.and_then(|host| format!("http://{host}{}", self.uri.path()).parse().ok());
        sentry::protocol::Request {
            method: Some(self.method.to_string()),
            url,
            ..sentry::protocol::Request::default()
        }
    }

    fn remember(&self, breadcrumb: Breadcrumb) {
        let mut breadcrumbs = self
            .breadcrumbs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if breadcrumbs.len() == REQUEST_BREADCRUMBS {
            breadcrumbs.pop_front();
        }
        breadcrumbs.push_back(breadcrumb);
    }

    /// Fills what the event does not say itself. The lines before it are this request's: the
    /// thread's own breadcrumbs come from whatever else ran on it.
    fn apply(&self, event: &mut Event<'static>) {
        if let Some(request_id) = self.request_id() {
            event
                .tags
                .entry("request_id".to_owned())
                .or_insert_with(|| request_id.to_owned());
        }
        if let Some(route) = &self.route {
            event
                .tags
                .entry("route".to_owned())
                .or_insert_with(|| route.as_str().to_owned());
        }
        if event.user.is_none()
            && let Some(user_id) = self.user_id.get()
        {
            event.user = Some(user(*user_id));
        }
        if event.request.is_none() {
            event.request = Some(self.describe());
        }
        let breadcrumbs = self
            .breadcrumbs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        event.breadcrumbs = breadcrumbs.iter().cloned().collect::<Vec<_>>().into();
    }
}

fn user(id: i64) -> sentry::User {
    sentry::User {
        id: Some(id.to_string()),
        ..sentry::User::default()
    }
}

/// Whether requests are traced at all: set once, as the router is built.
#[derive(Clone, Copy)]
pub struct RequestTracing {
    pub traces: bool,
}

/// Serves the request with its [`RequestContext`] at hand for events, as a transaction when it
/// is sampled, and reports a 5xx answer that nothing on the way reported. Runs outside the
/// request's span. Only a sampled request gets a hub of its own, which carries its transaction
/// to the spans and events inside.
pub async fn track_request(
    State(tracing): State<RequestTracing>,
    request: Request,
    next: Next,
) -> Response {
    let mut context = RequestContext::of(&request);
    let transaction = tracing
        .traces
        .then(|| start_transaction(&context, &request))
        .flatten();
    context.traced = transaction.is_some();
    REQUEST
        .scope(context, async move {
            let response = match transaction {
                Some(transaction) => traced(transaction, request, next).await,
                None => next.run(request).await,
            };
            let status = response.status();
            if status.is_server_error()
                && status != axum::http::StatusCode::SERVICE_UNAVAILABLE
                && response.extensions().get::<ErrorReported>().is_none()
            {
                sentry::capture_message(&format!("answered {status}"), sentry::Level::Error);
            }
            response
        })
        .await
}

/// The request's transaction, when it is sampled (or its caller's trace was).
fn start_transaction(context: &RequestContext, request: &Request) -> Option<sentry::Transaction> {
    let headers = request
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
    let trace =
        sentry::TransactionContext::continue_from_headers(&context.name(), "http.server", headers);
    let transaction = sentry::start_transaction(trace);
    #[expect(
        deprecated,
        reason = "its `true` is reliable (the transaction will be sent), and that is all we ask"
    )]
    let sampled = transaction.is_sampled();
    sampled.then_some(transaction)
}

async fn traced(transaction: sentry::Transaction, request: Request, next: Next) -> Response {
    let hub = Arc::new(sentry::Hub::new_from_top(sentry::Hub::current()));
    transaction.set_request(REQUEST.with(RequestContext::describe));
    hub.configure_scope(|scope| {
        if let Some(request_id) = REQUEST.with(|context| context.request_id().map(str::to_owned)) {
            scope.set_tag("request_id", request_id);
        }
        scope.set_span(Some(transaction.clone().into()));
    });
    let response = next.run(request).bind_hub(Arc::clone(&hub)).await;
    transaction.set_status(span_status(response.status()));
    // Sent with the request's scope: its tags and caller.
    sentry::Hub::run(hub, || transaction.finish());
    response
}

fn span_status(status: axum::http::StatusCode) -> sentry::protocol::SpanStatus {
    use axum::http::StatusCode;
    use sentry::protocol::SpanStatus;
    match status {
        StatusCode::UNAUTHORIZED => SpanStatus::Unauthenticated,
        StatusCode::FORBIDDEN => SpanStatus::PermissionDenied,
        StatusCode::NOT_FOUND => SpanStatus::NotFound,
        StatusCode::TOO_MANY_REQUESTS => SpanStatus::ResourceExhausted,
        StatusCode::CONFLICT => SpanStatus::AlreadyExists,
        StatusCode::SERVICE_UNAVAILABLE => SpanStatus::Unavailable,
        status if status.is_client_error() => SpanStatus::InvalidArgument,
        status if status.is_server_error() => SpanStatus::InternalError,
        status if status.is_success() || status.is_redirection() => SpanStatus::Ok,
        _ => SpanStatus::UnknownError,
    }
}

/// Puts the signed-in user's id (never the e-mail) on the request's events and transaction.
/// Runs inside the session layer, which knows who it is.
pub async fn tag_user(request: Request, next: Next) -> Response {
    let user_id = request
        .extensions()
        .get::<Authenticated>()
        .and_then(|authenticated| authenticated.0.as_ref())
        .map(|caller| caller.user_id);
    if let Some(user_id) = user_id {
        let traced = REQUEST
            .try_with(|context| {
                let _ = context.user_id.set(user_id);
                context.traced
            })
            .unwrap_or(false);
        // On the traced request's own hub, for its transaction; any other hub is the thread's,
        // shared with whatever runs next.
        if traced {
            sentry::configure_scope(|scope| scope.set_user(Some(user(user_id))));
        }
    }
    next.run(request).await
}

/// Fills in an event captured during a request from its [`RequestContext`]; runs on the
/// capturing thread, inside the request's task.
fn describe_request(mut event: Event<'static>) -> Option<Event<'static>> {
    let _ = REQUEST.try_with(|context| context.apply(&mut event));
    Some(event)
}

/// Info and warning lines as breadcrumbs: a request's go with its [`RequestContext`], the rest
/// to the thread's hub.
struct Breadcrumbs;

impl<S> Layer<S> for Breadcrumbs
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
{
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        let mut fields = BreadcrumbFields::default();
        event.record(&mut fields);
        let breadcrumb = Breadcrumb {
            ty: "log".to_owned(),
            category: Some(metadata.target().to_owned()),
            level: if *metadata.level() == Level::WARN {
                sentry::Level::Warning
            } else {
                sentry::Level::Info
            },
            message: fields.message,
            data: fields.data,
            ..Breadcrumb::default()
        };
        if REQUEST.try_with(|_| ()).is_ok() {
            REQUEST.with(|context| context.remember(breadcrumb));
        } else {
            sentry::add_breadcrumb(breadcrumb);
        }
    }
}

/// A log line's message and other fields, as a breadcrumb holds them.
#[derive(Default)]
struct BreadcrumbFields {
    message: Option<String>,
    data: sentry::protocol::Map<String, Value>,
}

impl tracing::field::Visit for BreadcrumbFields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.record_value(field, Value::String(format!("{value:?}")));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.record_value(field, Value::String(value.to_owned()));
    }

    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.record_value(field, value.into());
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.record_value(field, value.into());
    }

    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        self.record_value(field, value.into());
    }

    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.record_value(field, value.into());
    }
}

impl BreadcrumbFields {
    fn record_value(&mut self, field: &tracing::field::Field, value: Value) {
        match (field.name(), value) {
            ("message", Value::String(message)) => self.message = Some(message),
            (name, value) => {
                self.data.insert(name.to_owned(), value);
            }
        }
    }
}

/// The HTTP transport, with every envelope scrubbed on its way out.
struct Scrubbed<T>(Option<T>);

impl<T: Transport> Transport for Scrubbed<T> {
    fn send_envelope(&self, envelope: Envelope) {
        if let (Some(http), Some(envelope)) = (&self.0, scrub_envelope(envelope)) {
            http.send_envelope(envelope);
        }
    }

    fn flush(&self, timeout: Duration) -> bool {
        self.0.as_ref().is_none_or(|http| http.flush(timeout))
    }

    fn shutdown(&self, timeout: Duration) -> bool {
        self.0.as_ref().is_none_or(|http| http.shutdown(timeout))
    }
}

/// What stands in for a removed value.
pub const FILTERED: &str = "[Filtered]";

/// Parts of field, header and parameter names whose values are never sent: passwords (root,
/// VNC, account), tokens and tickets, cookies, signatures (Tripay's callback signature), keys.
const SENSITIVE_NAMES: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "ticket",
    "signature",
    "cookie",
    "authorization",
    "api_key",
    "apikey",
    "private_key",
    "otp",
    "email",
];

fn is_sensitive(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace('-', "_");
    SENSITIVE_NAMES.iter().any(|part| name.contains(part))
}

/// The envelope with events and transactions scrubbed; `None` when an item could not be
/// scrubbed (it is dropped rather than sent as it is).
pub fn scrub_envelope(envelope: Envelope) -> Option<Envelope> {
    let headers = envelope.headers().clone();
    let mut scrubbed = Envelope::new().with_headers(headers);
    for item in envelope.into_items() {
        let item = match item {
            EnvelopeItem::Event(event) => {
                EnvelopeItem::Event(Box::new(scrub_json::<Event<'static>>(&event)?))
            }
            EnvelopeItem::Transaction(transaction) => EnvelopeItem::Transaction(Box::new(
                scrub_json::<Transaction<'static>>(&transaction)?,
            )),
            // Sessions and client reports hold counts and statuses only.
            other => other,
        };
        scrubbed.add_item(item);
    }
    Some(scrubbed)
}

fn scrub_json<T: serde::Serialize + serde::de::DeserializeOwned>(item: &T) -> Option<T> {
    let mut value = serde_json::to_value(item).ok()?;
    scrub_value(&mut value);
    match serde_json::from_value(value) {
        Ok(item) => Some(item),
        Err(error) => {
            tracing::warn!(%error, "a Sentry item could not be scrubbed; not sent");
            None
        }
    }
}

/// Replaces the values of sensitive keys anywhere in `value`, and sensitive parts of every
/// string (`password=…` in a message, a query string, a bearer token, an e-mail address).
pub fn scrub_value(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if is_sensitive(key) && !value.is_null() {
                    *value = Value::String(FILTERED.to_owned());
                } else {
                    scrub_value(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub_value),
        Value::String(text) => *text = scrub_text(text),
        _ => {}
    }
}

/// Removes secrets written into text: the value after a sensitive name and `=` or `:`, a
/// bearer token, and e-mail addresses.
pub fn scrub_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut hide_next_value = false;
    // `"password": "…"`: a name alone, then `:` or `=` as a word of its own.
    let mut after_sensitive_name = false;
    for word in split_keeping_separators(text) {
        if word.chars().all(is_separator) {
            out.push_str(word);
            continue;
        }
        let is_scheme = word.eq_ignore_ascii_case("bearer") || word.eq_ignore_ascii_case("basic");
        if hide_next_value {
            // `Authorization: Bearer …`: the scheme may stay, the credential after it goes.
            if is_scheme {
                out.push_str(word);
            } else {
                out.push_str(FILTERED);
                hide_next_value = false;
            }
            continue;
        }
        if after_sensitive_name && (word == ":" || word == "=") {
            out.push_str(word);
            hide_next_value = true;
            after_sensitive_name = false;
            continue;
        }
        after_sensitive_name = false;
        if let Some((name, rest)) = word.split_once(['=', ':'])
            && is_sensitive(name.trim_matches(|c: char| !c.is_alphanumeric() && c != '_'))
        {
            out.push_str(&word[..=name.len()]);
            if rest.is_empty() {
                hide_next_value = true;
            } else {
                out.push_str(FILTERED);
            }
            continue;
        }
        if is_scheme {
            out.push_str(word);
            hide_next_value = true;
        } else if looks_like_email(word) {
            out.push_str(FILTERED);
        } else {
            after_sensitive_name =
                is_sensitive(word.trim_matches(|c: char| !c.is_alphanumeric() && c != '_'));
            out.push_str(word);
        }
    }
    out
}

/// What separates the words of [`scrub_text`]: a name and its value stay in one word.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '&' | ',' | ';' | '"' | '\'' | '(' | ')' | '{' | '}' | '?'
        )
}

fn split_keeping_separators(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_separator = None;
    for (index, c) in text.char_indices() {
        let separator = is_separator(c);
        if in_separator.is_some_and(|was| was != separator) {
            parts.push(&text[start..index]);
            start = index;
        }
        in_separator = Some(separator);
    }
    if start < text.len() {
        parts.push(&text[start..]);
    }
    parts
}

/// `name@host.tld` with a top-level domain of letters, so `webrana@0.1.0+abc` (a release) is
/// not taken for one.
fn looks_like_email(word: &str) -> bool {
    let word = word.trim_matches(|c: char| matches!(c, '<' | '>' | '.' | ':'));
    word.split_once('@').is_some_and(|(user, host)| {
        let top_level = host.rsplit_once('.').map(|(_, tld)| tld);
        !user.is_empty()
            && !host.starts_with('.')
            && top_level
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_of_secrets_are_filtered_out_of_text() {
        let cases = [
            (
                "login failed password=hunter2 for user 7",
                "login failed password=[Filtered] for user 7",
            ),
            (
                "GET /ws/console/5?ticket=abc123&x=1",
                "GET /ws/console/5?ticket=[Filtered]&x=1",
            ),
            (
                "root_password: s3cret, done",
                "root_password: [Filtered], done",
            ),
            (
                "Authorization: Bearer eyJhbGciOi.x.y",
                "Authorization: Bearer [Filtered]",
            ),
            (
                r#"{"vnc_password": "pw1", "ok": true}"#,
                r#"{"vnc_password": "[Filtered]", "ok": true}"#,
            ),
            ("wrong password for user 9", "wrong password for user 9"),
            (
                "sent with Bearer eyJhbGciOi.x.y now",
                "sent with Bearer [Filtered] now",
            ),
            (
                "mail to budi@example.co.id failed",
                "mail to [Filtered] failed",
            ),
            (
                "X-Callback-Signature=deadbeef",
                "X-Callback-Signature=[Filtered]",
            ),
            ("order 12 placed: ok", "order 12 placed: ok"),
            (
                "release webrana@0.1.0+f13dfe9",
                "release webrana@0.1.0+f13dfe9",
            ),
        ];
        for (raw, clean) in cases {
            assert_eq!(scrub_text(raw), clean, "{raw}");
        }
    }

    #[test]
    fn sensitive_keys_are_filtered_at_any_depth() {
        let mut value = serde_json::json!({
            "request": {
                "headers": {"Cookie": "access=abc", "X-Request-Id": "r-1"},
                "query_string": "ticket=t0k3n",
            },
            "extra": {"vnc_password": "pw", "order_id": 12, "nested": [{"api_key": "k"}]},
            "user": {"id": "7", "email": "budi@example.com"},
        });
        scrub_value(&mut value);
        assert_eq!(
            value,
            serde_json::json!({
                "request": {
                    "headers": {"Cookie": FILTERED, "X-Request-Id": "r-1"},
                    "query_string": "ticket=[Filtered]",
                },
                "extra": {"vnc_password": FILTERED, "order_id": 12, "nested": [{"api_key": FILTERED}]},
                "user": {"id": "7", "email": FILTERED},
            })
        );
    }

    #[test]
    fn an_envelope_keeps_its_event_but_loses_its_secrets() {
        let mut event = Event {
            message: Some("payment refused: signature=abc".to_owned()),
            ..Event::default()
        };
        event
            .extra
            .insert("password".to_owned(), Value::String("hunter2".to_owned()));
        event.extra.insert("order_id".to_owned(), Value::from(42));
        let id = event.event_id;
        let scrubbed = scrub_envelope(Envelope::from(event)).expect("scrubbed");
        let event = scrubbed.event().expect("the event is kept");
        assert_eq!(event.event_id, id);
        assert_eq!(
            event.message.as_deref(),
            Some("payment refused: signature=[Filtered]")
        );
        assert_eq!(event.extra["password"], FILTERED);
        assert_eq!(event.extra["order_id"], 42);
    }
}
