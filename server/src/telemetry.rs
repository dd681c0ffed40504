//! Logging: human-readable lines by default, one JSON object per line with `LOG_FORMAT=json`
//! (with each line's spans). A performance span (one naming a `sentry.op`: a job, an order, a
//! payment callback, a provisioning step, a provider call, a console session) writes a line
//! with its duration as it closes. `RUST_LOG` narrows or widens what is logged. With Sentry on,
//! the same spans and lines feed it too.

use std::time::Instant;

use tracing::span;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

const DEFAULT_FILTER: &str = "info,sqlx=warn,tower_http=info";

/// `error_tracking`: feed Sentry too (its client is started already).
pub fn init(format: LogFormat, error_tracking: bool) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let lines = tracing_subscriber::fmt::layer().with_target(true);
    let lines = match format {
        LogFormat::Text => lines.boxed(),
        LogFormat::Json => lines
            .json()
            .flatten_event(true)
            // The span list ends with the current span: naming it twice would double the
            // work of every line.
            .with_current_span(false)
            .with_span_list(true)
            .boxed(),
    };
    let sentry = error_tracking
        .then(|| crate::error_tracking::layers(crate::error_tracking::traces_sampled()));
    // Tests may have installed a subscriber already; the first one stays.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(lines)
        .with(SpanTimings)
        .with(sentry)
        .try_init();
}

/// Writes `span closed` with the span's name and how long it was open, for performance spans
/// only: a line for every span would double what a request logs.
struct SpanTimings;

struct Opened(Instant);

impl<S> tracing_subscriber::Layer<S> for SpanTimings
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
{
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        if attrs.metadata().fields().field("sentry.op").is_some()
            && let Some(span) = ctx.span(id)
        {
            span.extensions_mut().insert(Opened(Instant::now()));
        }
    }

    fn on_close(&self, id: span::Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(Opened(at)) = span.extensions_mut().remove::<Opened>() else {
            return;
        };
        let elapsed_ms = at.elapsed().as_secs_f64() * 1000.0;
        // Inside the span's parent, so the line carries the ids the parent spans hold.
        let parent = span.parent().map(|parent| parent.id());
        tracing::info!(parent: parent, span = span.name(), elapsed_ms, "span closed");
    }
}
