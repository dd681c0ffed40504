//! Prometheus metrics, served on a listener of their own (`METRICS_ADDR`) and never on the
//! public port. Requests are counted by route template (`/api/v1/orders/{id}`, never the raw
//! path), method and status, with their duration; the job queue and the database pool are read
//! when Prometheus scrapes; open sockets are counted as they open and close. No label holds a
//! user id, an address or anything else a visitor chooses.

use std::sync::OnceLock;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use domain::db::Pool;
use domain::jobs;
use domain::{AppState, Db, DbError};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

/// Request durations, in seconds: from a cached page to a slow provider call.
const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// From an order to a running server, in seconds: a minute on most clouds, up to an hour.
const PROVISIONING_BUCKETS: &[f64] = &[
    10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0, 600.0, 1200.0, 3600.0,
];
/// The job states a queue gauge is kept for (done jobs are history, not load).
const JOB_STATES: [&str; 3] = ["queued", "running", "dead"];

/// The process's recorder, installed on first use: `metrics` has one per process. Until it is
/// installed every metric is a no-op, so a server without `METRICS_ADDR` pays nothing for them.
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                DURATION_BUCKETS,
            )
            .and_then(|builder| {
                builder.set_buckets_for_metric(
                    Matcher::Full("provisioning_duration_seconds".into()),
                    PROVISIONING_BUCKETS,
                )
            })
            .and_then(PrometheusBuilder::install_recorder)
            .unwrap_or_else(|error| panic!("the metrics recorder cannot be installed: {error}"));
        // Counted up and down as sockets open and close: 0 until the first, not absent.
        for gauge in ["notification_sockets_open", "console_sessions_open"] {
            metrics::gauge!(gauge).set(0.0);
        }
        handle
    })
}

/// Counts each request by method, route template and status, with its duration. A request no
/// route matched (a static file, a page that does not exist) counts as `unmatched`.
pub async fn track_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = match *request.method() {
        Method::GET
        | Method::HEAD
        | Method::POST
        | Method::PUT
        | Method::DELETE
        | Method::PATCH
        | Method::OPTIONS => request.method().as_str().to_owned(),
        _ => "other".to_owned(),
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    let labels = [
        ("method", method),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Serves `/metrics` on `listener` until the process ends.
pub fn serve(listener: TcpListener, state: AppState) {
    recorder();
    let router = Router::new()
        .route("/metrics", get(scrape))
        .with_state(state);
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "the metrics listener stopped");
        }
    });
}

async fn scrape(State(state): State<AppState>) -> Response {
    if let Err(error) = read_queue_and_pool(&state.db).await {
        tracing::warn!(%error, "metrics: the job queue could not be read");
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        recorder().render(),
    )
        .into_response()
}

/// Sets the gauges read from the database: jobs by kind and state, how long the oldest due job
/// of each kind has waited, and the pool's connections.
pub async fn read_queue_and_pool(db: &Db) -> Result<(), DbError> {
    let (size, idle) = match db.pool() {
        Pool::Sqlite(pool) => (pool.size(), pool.num_idle()),
        Pool::Postgres(pool) => (pool.size(), pool.num_idle()),
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX);
    metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("db_pool_connections", "state" => "in_use")
        .set(f64::from(size.saturating_sub(idle)));

    let now = Utc::now();
    let jobs::QueueLoad { counts, oldest_due } = jobs::queue_load(db, now).await?;
    let mut kinds: Vec<&str> = counts.iter().map(|(kind, _, _)| kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    for kind in kinds {
        // Every state of every kind is set, so a count that fell to nothing reads 0, not its
        // last value.
        for state in JOB_STATES {
            let count = counts
                .iter()
                .find(|(k, s, _)| k == kind && s == state)
                .map_or(0, |(_, _, count)| *count);
            metrics::gauge!("jobs", "kind" => kind.to_owned(), "state" => state).set(count as f64);
        }
        let waited = oldest_due
            .iter()
            .find(|(k, _)| k == kind)
            .map_or(0.0, |(_, due)| {
                (now - *due).num_milliseconds().max(0) as f64 / 1000.0
            });
        metrics::gauge!("job_queue_oldest_due_seconds", "kind" => kind.to_owned()).set(waited);
    }
    Ok(())
}
