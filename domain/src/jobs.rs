//! Durable jobs: work that must happen after a change commits and survive a crash.
//!
//! A job is enqueued in the same transaction as the change that needs it. Workers claim due jobs
//! with a lease; a job whose worker died is claimed again once its lease runs out, so handlers
//! must be idempotent. Failures retry with capped exponential backoff and jitter; after the last
//! attempt a job is `dead` until an admin retries it. On PostgreSQL several processes share the
//! work through `FOR UPDATE SKIP LOCKED`; SQLite has one writer at a time, so its claim is a
//! single atomic statement.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use crate::db::Tx;
use crate::{Backend, Db, DbError, db_run, tx_run};
pub use model::status::JobState;

pub const DEFAULT_MAX_ATTEMPTS: i64 = 8;
const MAX_BACKOFF: Duration = Duration::hours(1);

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    #[sqlx(try_from = "String")]
    pub state: JobState,
    pub run_at: DateTime<Utc>,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The job as the admin's jobs page shows it: its payload (which may name customers' data) stays
/// here.
impl From<Job> for model::admin::Job {
    fn from(job: Job) -> Self {
        Self {
            id: job.id.into(),
            kind: job.kind,
            state: job.state,
            run_at: job.run_at,
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            last_error: job.last_error,
        }
    }
}

const JOB_COLUMNS: &str =
    "id, kind, payload, state, run_at, attempts, max_attempts, last_error, created_at, finished_at";

/// Adds a job to run at `run_at` (now or later) as part of the caller's transaction.
pub async fn enqueue(
    tx: &mut Tx,
    kind: &str,
    payload: &serde_json::Value,
    run_at: DateTime<Utc>,
    max_attempts: i64,
) -> Result<i64, DbError> {
    let now = Utc::now();
    let id = tx_run!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO jobs (kind, payload, state, run_at, attempts, max_attempts, created_at) \
             VALUES ($1, $2, 'queued', $3, 0, $4, $5) RETURNING id",
        )
        .bind(kind)
        .bind(payload.to_string())
        .bind(run_at)
        .bind(max_attempts)
        .bind(now)
        .fetch_one(conn)
        .await
    })?;
    tx.queued_jobs();
    Ok(id)
}

/// Takes the next due job (or one whose lease ran out) for `worker` until `lease` has passed.
pub async fn claim(
    db: &Db,
    registry: &Registry,
    worker: &str,
    lease: Duration,
) -> Result<Option<Job>, DbError> {
    bury_abandoned(db, registry).await?;
    claim_except(db, worker, lease, &[], &[]).await
}

/// A job still held by a dead worker after its last attempt will not be tried again: it is
/// `dead`, and the registry's [`Registry::when_dead`] handlers hear of it.
async fn bury_abandoned(db: &Db, registry: &Registry) -> Result<(), DbError> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let died: Vec<(i64, String, Option<String>)> = tx_run!(&mut tx, |conn| {
        sqlx::query_as(
            "UPDATE jobs SET state = 'dead', finished_at = $1, locked_by = NULL, locked_until = NULL, \
             last_error = COALESCE(last_error, 'the worker stopped during the last attempt') \
             WHERE state = 'running' AND locked_until <= $1 AND attempts >= max_attempts \
             RETURNING id, kind, last_error",
        )
        .bind(now)
        .fetch_all(conn)
        .await
    })?;
    for (id, kind, error) in died {
        let error = error.as_deref().unwrap_or_default();
        announce_dead(
            &mut tx,
            registry,
            DeadJob {
                id,
                kind: &kind,
                error,
            },
        )
        .await?;
    }
    tx.commit().await
}

/// [`claim`] of a job whose kind is none of `busy_kinds`.
async fn claim_except(
    db: &Db,
    worker: &str,
    lease: Duration,
    busy_kinds: &[&str],
    first_kinds: &[String],
) -> Result<Option<Job>, DbError> {
    let now = Utc::now();
    // PostgreSQL: concurrent workers skip rows another transaction is claiming. SQLite runs one
    // writer at a time, so the single statement is already exclusive (and has no such clause).
    let lock = match db.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let skip_kinds = kinds_other_than(4, busy_kinds);
    let first = if first_kinds.is_empty() {
        String::new()
    } else {
        format!(
            "CASE WHEN kind IN ({}) THEN 0 ELSE 1 END, ",
            placeholders(4 + busy_kinds.len(), first_kinds.len())
        )
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2, \
         waits_for = NULL WHERE id = (SELECT id FROM jobs WHERE ((state = 'queued' AND run_at <= $3) \
         OR (state = 'running' AND locked_until <= $3)){skip_kinds} ORDER BY {first}run_at, id LIMIT 1{lock}) \
         RETURNING {JOB_COLUMNS}"
    );
    let job = db_run!(db, |pool| {
        let mut query = sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(worker)
            .bind(now + lease)
            .bind(now);
        for kind in busy_kinds {
            query = query.bind(*kind);
        }
        for kind in first_kinds {
            query = query.bind(kind.as_str());
        }
        query.fetch_optional(pool).await
    })?;
    Ok(job)
}

/// What the metrics show of the queue: how many jobs of each kind are in each state, and when
/// the oldest queued job of each kind that is due by `now` was due.
pub struct QueueLoad {
    pub counts: Vec<(String, String, i64)>,
    pub oldest_due: Vec<(String, DateTime<Utc>)>,
}

pub async fn queue_load(db: &Db, now: DateTime<Utc>) -> Result<QueueLoad, DbError> {
    let counts = db_run!(db, |pool| {
        sqlx::query_as("SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state")
            .fetch_all(pool)
            .await
    })?;
    let oldest_due = db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT kind, MIN(run_at) FROM jobs WHERE state = 'queued' AND run_at <= $1 \
             GROUP BY kind",
        )
        .bind(now)
        .fetch_all(pool)
        .await
    })?;
    Ok(QueueLoad { counts, oldest_due })
}

/// When the next queued job whose kind is none of `busy_kinds` is due, if any is queued.
async fn next_due(db: &Db, busy_kinds: &[&str]) -> Result<Option<DateTime<Utc>>, DbError> {
    let sql = format!(
        "SELECT run_at FROM jobs WHERE state = 'queued'{} ORDER BY run_at LIMIT 1",
        kinds_other_than(1, busy_kinds)
    );
    Ok(db_run!(db, |pool| {
        let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()));
        for kind in busy_kinds {
            query = query.bind(*kind);
        }
        query.fetch_optional(pool).await
    })?)
}

/// ` AND kind NOT IN ($first, …)` with a placeholder per kind; nothing when there is none.
fn kinds_other_than(first: usize, kinds: &[&str]) -> String {
    if kinds.is_empty() {
        return String::new();
    }
    format!(" AND kind NOT IN ({})", placeholders(first, kinds.len()))
}

/// `$first, $first+1, …`: `count` numbered placeholders.
fn placeholders(first: usize, count: usize) -> String {
    let numbered: Vec<String> = (first..first + count).map(|n| format!("${n}")).collect();
    numbered.join(", ")
}

/// Marks a claimed job done, if `worker` still holds it.
pub async fn complete(db: &Db, job: &Job, worker: &str) -> Result<(), DbError> {
    db_run!(db, |pool| {
        sqlx::query(
            "UPDATE jobs SET state = 'done', finished_at = $1, locked_by = NULL, locked_until = NULL, last_error = NULL \
             WHERE id = $2 AND locked_by = $3 AND state = 'running'",
        )
        .bind(Utc::now())
        .bind(job.id)
        .bind(worker)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Records a failed attempt: back to the queue after a backoff, or `dead` after the last one.
pub async fn fail(
    db: &Db,
    registry: &Registry,
    job: &Job,
    worker: &str,
    error: &str,
) -> Result<(), DbError> {
    let now = Utc::now();
    let dead = job.attempts >= job.max_attempts;
    let state = if dead {
        JobState::Dead
    } else {
        JobState::Queued
    };
    let mut tx = db.begin().await?;
    let changed = tx_run!(&mut tx, |conn| {
        sqlx::query(
            "UPDATE jobs SET state = $1, run_at = $2, last_error = $3, finished_at = $4, \
             locked_by = NULL, locked_until = NULL WHERE id = $5 AND locked_by = $6 AND state = 'running'",
        )
        .bind(state.as_str())
        .bind(now + backoff(job.attempts))
        .bind(error)
        .bind(dead.then_some(now))
        .bind(job.id)
        .bind(worker)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    if dead && changed > 0 {
        let dead = DeadJob {
            id: job.id,
            kind: &job.kind,
            error,
        };
        announce_dead(&mut tx, registry, dead).await?;
    }
    tx.commit().await
}

/// Logs a job that gave up and runs the handlers that care, in the transaction that buried it.
async fn announce_dead(tx: &mut Tx, registry: &Registry, dead: DeadJob<'_>) -> Result<(), DbError> {
    tracing::error!(
        job_id = dead.id,
        kind = dead.kind,
        error = dead.error,
        "a job gave up after its last attempt"
    );
    for handler in &registry.when_dead {
        handler(tx, dead).await?;
    }
    Ok(())
}

/// Puts a dead job back in the queue with fresh attempts; false when it is not dead.
pub async fn retry(db: &Db, id: i64) -> Result<bool, DbError> {
    let changed = db_run!(db, |pool| {
        sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, finished_at = NULL \
             WHERE id = $2 AND state = 'dead'",
        )
        .bind(Utc::now())
        .bind(id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(changed == 1)
}

/// Hands a claimed job back to the queue to run again at `run_at`: the next step of work that
/// waits on something outside (a server booting), not a failure, so attempts start over.
pub async fn run_again_at(
    db: &Db,
    job: &Job,
    worker: &str,
    run_at: DateTime<Utc>,
) -> Result<(), DbError> {
    requeue(db, job, worker, run_at, None).await
}

/// Hands a claimed job back to the queue until whoever makes `key` happen [`wake`]s it, or
/// until `until` at the latest (a wake that comes between the job's last look and its return
/// to the queue finds nothing to wake).
pub async fn wait_for(
    db: &Db,
    job: &Job,
    worker: &str,
    key: &str,
    until: DateTime<Utc>,
) -> Result<(), DbError> {
    requeue(db, job, worker, until, Some(key)).await
}

/// Back to the queue at `run_at`, waiting for `key` if given, attempts starting over; only if
/// `worker` still holds the job.
async fn requeue(
    db: &Db,
    job: &Job,
    worker: &str,
    run_at: DateTime<Utc>,
    key: Option<&str>,
) -> Result<(), DbError> {
    db_run!(db, |pool| {
        sqlx::query(
            "UPDATE jobs SET state = 'queued', run_at = $1, waits_for = $2, attempts = 0, \
             last_error = NULL, locked_by = NULL, locked_until = NULL \
             WHERE id = $3 AND locked_by = $4 AND state = 'running'",
        )
        .bind(run_at)
        .bind(key)
        .bind(job.id)
        .bind(worker)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Makes every job waiting for `key` due now, as part of the caller's transaction (the one
/// that made `key` happen). Answers how many it woke.
pub async fn wake(tx: &mut Tx, key: &str) -> Result<u64, DbError> {
    let woken = tx_run!(tx, |conn| {
        sqlx::query(
            "UPDATE jobs SET run_at = $1, waits_for = NULL WHERE waits_for = $2 AND state = 'queued'",
        )
        .bind(Utc::now())
        .bind(key)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    if woken > 0 {
        tx.queued_jobs();
    }
    Ok(woken)
}

/// Enqueues a job of a recurring `kind` unless one is already queued or running, so every
/// start-up can ask for the schedule without piling up copies.
pub async fn ensure_scheduled(db: &Db, kind: &str, run_at: DateTime<Utc>) -> Result<bool, DbError> {
    let mut tx = db.begin().await?;
    let existing: i64 = tx_run!(&mut tx, |conn| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE kind = $1 AND state IN ('queued', 'running')",
        )
        .bind(kind)
        .fetch_one(conn)
        .await
    })?;
    if existing > 0 {
        return Ok(false);
    }
    enqueue(
        &mut tx,
        kind,
        &serde_json::json!({}),
        run_at,
        DEFAULT_MAX_ATTEMPTS,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Newest first, optionally one state and/or one kind.
pub async fn list(
    db: &Db,
    state: Option<&str>,
    kind: Option<&str>,
    limit: i64,
) -> Result<Vec<Job>, DbError> {
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE (CAST($1 AS TEXT) IS NULL OR state = $1) \
         AND (CAST($2 AS TEXT) IS NULL OR kind = $2) ORDER BY id DESC LIMIT $3"
    );
    Ok(db_run!(db, |pool| {
        sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(state)
            .bind(kind)
            .bind(limit)
            .fetch_all(pool)
            .await
    })?)
}

/// 30 s, 60 s, 120 s … doubling per attempt up to an hour, each stretched by up to 25 % at
/// random so jobs that failed together do not retry together.
fn backoff(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.clamp(1, 12) - 1).unwrap_or(0);
    let base = Duration::seconds(30_i64 << doublings).min(MAX_BACKOFF);
    let mut byte = [0u8; 1];
    let jitter = if getrandom::fill(&mut byte).is_ok() {
        i64::from(byte[0])
    } else {
        0
    };
    base + base * i32::try_from(jitter).unwrap_or(0) / 1024
}

/// What a handler tells the queue when it did not fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobOutcome {
    Done,
    /// Not finished, nothing wrong: run the job again at this time (see [`run_again_at`]).
    RunAgainAt(DateTime<Utc>),
    /// Not finished, waiting for `key` to happen: run the job again when it is [`wake`]d, or
    /// at `until` at the latest (see [`wait_for`]).
    WaitFor {
        key: String,
        until: DateTime<Utc>,
    },
}

impl From<()> for JobOutcome {
    fn from((): ()) -> Self {
        Self::Done
    }
}

type HandlerFuture = Pin<Box<dyn Future<Output = Result<JobOutcome, String>> + Send>>;
type Handler = Arc<dyn Fn(Job) -> HandlerFuture + Send + Sync>;

/// A job that gave up after its last attempt.
#[derive(Clone, Copy, Debug)]
pub struct DeadJob<'a> {
    pub id: i64,
    pub kind: &'a str,
    pub error: &'a str,
}

/// What a [`Registry::when_dead`] handler answers: it borrows the burying transaction.
pub type DeadJobFuture<'t> = Pin<Box<dyn Future<Output = Result<(), DbError>> + Send + 't>>;
type DeadJobHandler =
    Arc<dyn for<'t> Fn(&'t mut Tx, DeadJob<'t>) -> DeadJobFuture<'t> + Send + Sync>;

/// What each job kind does. Every server process registers every kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Handler>,
    first: Vec<String>,
    when_dead: Vec<DeadJobHandler>,
}

impl Registry {
    /// Due jobs of `kind` are claimed before other due jobs: the steps a customer is waiting
    /// on (a server being made) go ahead of the e-mails about them.
    pub fn first(mut self, kind: &str) -> Self {
        self.first.push(kind.to_owned());
        self
    }

    /// `handler` runs in the transaction that marks a job dead, so what it records (telling the
    /// admins, say) commits with the burial or not at all. The queue itself knows no feature.
    pub fn when_dead<F>(mut self, handler: F) -> Self
    where
        F: for<'t> Fn(&'t mut Tx, DeadJob<'t>) -> DeadJobFuture<'t> + Send + Sync + 'static,
    {
        self.when_dead.push(Arc::new(handler));
        self
    }

    /// `handler` answers `Ok(())` or `Ok(JobOutcome)` when it did its part, `Err(reason)` to
    /// retry with backoff.
    pub fn on<F, Fut, O>(mut self, kind: &str, handler: F) -> Self
    where
        F: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, String>> + Send + 'static,
        O: Into<JobOutcome>,
    {
        let handler = Arc::new(handler);
        self.handlers.insert(
            kind.to_owned(),
            Arc::new(move |job| {
                let handler = Arc::clone(&handler);
                Box::pin(async move { handler(job).await.map(Into::into) })
            }),
        );
        self
    }
}

/// Claims and runs one job; answers what it ran, or `None` when nothing was due.
pub async fn run_once(
    db: &Db,
    registry: &Registry,
    worker: &str,
    lease: Duration,
) -> Result<Option<Job>, DbError> {
    bury_abandoned(db, registry).await?;
    let Some(job) = claim_except(db, worker, lease, &[], &registry.first).await? else {
        return Ok(None);
    };
    execute(db, registry, worker, &job).await?;
    Ok(Some(job))
}

/// Runs a claimed job's handler and records what came of it. Everything logged meanwhile
/// carries the job's id and kind; with Sentry on, the run is a transaction named after its kind.
#[tracing::instrument(
    name = "job",
    skip_all,
    fields(
        job_id = job.id,
        kind = %job.kind,
        attempt = job.attempts,
        sentry.name = %format_args!("job {}", job.kind),
        sentry.op = "queue.process",
    )
)]
async fn execute(db: &Db, registry: &Registry, worker: &str, job: &Job) -> Result<(), DbError> {
    let outcome = match registry.handlers.get(&job.kind) {
        Some(handler) => handler(job.clone()).await,
        None => Err(format!("no handler for job kind `{}`", job.kind)),
    };
    match outcome {
        Ok(JobOutcome::Done) => complete(db, job, worker).await,
        Ok(JobOutcome::RunAgainAt(run_at)) => run_again_at(db, job, worker, run_at).await,
        Ok(JobOutcome::WaitFor { key, until }) => wait_for(db, job, worker, &key, until).await,
        Err(error) => {
            tracing::warn!(job_id = job.id, kind = %job.kind, attempts = job.attempts, %error, "job failed");
            fail(db, registry, job, worker, &error).await
        }
    }
}

/// How many jobs one process runs at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Concurrency {
    /// Jobs at once, of any kinds.
    pub total: usize,
    /// Jobs of one kind at once, so a burst of one kind (the e-mails after a sale) leaves
    /// slots for the others (the servers being made).
    pub per_kind: usize,
}

impl Default for Concurrency {
    fn default() -> Self {
        Self {
            total: 16,
            per_kind: 8,
        }
    }
}

/// How a process works through the queue.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    /// Unique per process: the name its leases are held under.
    pub name: String,
    pub concurrency: Concurrency,
    /// The longest wait between two looks at the queue. Jobs queued in this process start at
    /// once and jobs due later start when due; this bounds how late a job queued by another
    /// process (another node) starts.
    pub idle: StdDuration,
    /// How long a claimed job is held before another worker may take it over.
    pub lease: Duration,
}

/// The kinds with `per_kind` jobs running in this process already.
fn kinds_at_limit(running: &HashMap<tokio::task::Id, String>, per_kind: usize) -> Vec<&str> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for kind in running.values() {
        *counts.entry(kind.as_str()).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|(_, count)| *count >= per_kind)
        .map(|(kind, _)| kind)
        .collect()
}

/// How often leases given up by crashed workers on their last attempt are looked for.
const ABANDONED_EVERY: StdDuration = StdDuration::from_secs(10);

/// Runs jobs until `stop` resolves, up to `settings.concurrency` at once; then lets the jobs in
/// hand finish (anything else waits in the database for the next start).
pub async fn run(
    db: Db,
    registry: Registry,
    settings: WorkerSettings,
    stop: impl Future<Output = ()>,
) {
    let registry = Arc::new(registry);
    let queued = db.feed().jobs_queued();
    let mut running = tokio::task::JoinSet::new();
    let mut kinds: HashMap<tokio::task::Id, String> = HashMap::new();
    let mut last_burial: Option<tokio::time::Instant> = None;
    tokio::pin!(stop);
    loop {
        // Listening before looking: a job queued while we look still wakes us.
        let woken = queued.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if last_burial.is_none_or(|at| at.elapsed() >= ABANDONED_EVERY) {
            if let Err(error) = bury_abandoned(&db, &registry).await {
                tracing::error!(%error, "job worker could not reach the database");
            }
            last_burial = Some(tokio::time::Instant::now());
        }
        let mut wait = settings.idle;
        while running.len() < settings.concurrency.total {
            let full = kinds_at_limit(&kinds, settings.concurrency.per_kind);
            match claim_except(&db, &settings.name, settings.lease, &full, &registry.first).await {
                Ok(Some(job)) => {
                    let kind = job.kind.clone();
                    let (db, registry, name) =
                        (db.clone(), Arc::clone(&registry), settings.name.clone());
                    let task = running.spawn(async move {
                        if let Err(error) = execute(&db, &registry, &name, &job).await {
                            tracing::error!(job_id = job.id, %error, "could not record a job's outcome");
                        }
                    });
                    kinds.insert(task.id(), kind);
                }
                Ok(None) => {
                    if let Ok(Some(due)) = next_due(&db, &full).await {
                        // Never quite zero: a due job another node is claiming right now is
                        // skipped by our claim until that node commits.
                        let until_due = (due - Utc::now()).to_std().unwrap_or_default();
                        wait = wait.min(until_due.max(StdDuration::from_millis(5)));
                    }
                    break;
                }
                Err(error) => {
                    tracing::error!(%error, "job worker could not reach the database");
                    break;
                }
            }
        }
        tokio::select! {
            () = &mut stop => break,
            Some(finished) = running.join_next_with_id(), if !running.is_empty() => {
                let id = match finished {
                    Ok((id, ())) => id,
                    Err(error) => {
                        // `panic`: the panic hook reported it already, with its backtrace.
                        tracing::error!(panic = %error, "a job's handler panicked; it runs again when its lease runs out");
                        error.id()
                    }
                };
                kinds.remove(&id);
            }
            () = &mut woken => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
    while running.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        for attempts in 1..=20 {
            let base = Duration::seconds(30 << (attempts.min(12) - 1)).min(MAX_BACKOFF);
            let wait = backoff(attempts);
            assert!(
                wait >= base && wait <= base + base / 4,
                "{attempts}: {wait}"
            );
        }
    }
}
