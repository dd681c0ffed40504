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

pub const DEFAULT_MAX_ATTEMPTS: i64 = 8;
const MAX_BACKOFF: Duration = Duration::hours(1);

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub state: String,
    pub run_at: DateTime<Utc>,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
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
    Ok(tx_run!(tx, |conn| {
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
    })?)
}

/// Takes the next due job (or one whose lease ran out) for `worker` until `lease` has passed.
pub async fn claim(db: &Db, worker: &str, lease: Duration) -> Result<Option<Job>, DbError> {
    let now = Utc::now();
    // A job still held by a dead worker after its last attempt will not be tried again.
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
        announce_dead(&mut tx, id, &kind, error.as_deref().unwrap_or_default()).await?;
    }
    tx.commit().await?;
    // PostgreSQL: concurrent workers skip rows another transaction is claiming. SQLite runs one
    // writer at a time, so the single statement is already exclusive (and has no such clause).
    let lock = match db.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2 \
         WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= $3) \
         OR (state = 'running' AND locked_until <= $3) ORDER BY run_at, id LIMIT 1{lock}) \
         RETURNING {JOB_COLUMNS}"
    );
    let job = db_run!(db, |pool| {
        sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(worker)
            .bind(now + lease)
            .bind(now)
            .fetch_optional(pool)
            .await
    })?;
    Ok(job)
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
pub async fn fail(db: &Db, job: &Job, worker: &str, error: &str) -> Result<(), DbError> {
    let now = Utc::now();
    let dead = job.attempts >= job.max_attempts;
    let state = if dead { "dead" } else { "queued" };
    let mut tx = db.begin().await?;
    let changed = tx_run!(&mut tx, |conn| {
        sqlx::query(
            "UPDATE jobs SET state = $1, run_at = $2, last_error = $3, finished_at = $4, \
             locked_by = NULL, locked_until = NULL WHERE id = $5 AND locked_by = $6 AND state = 'running'",
        )
        .bind(state)
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
        announce_dead(&mut tx, job.id, &job.kind, error).await?;
    }
    tx.commit().await
}

/// Tells the admins a job gave up: its work needs a person now.
async fn announce_dead(tx: &mut Tx, id: i64, kind: &str, error: &str) -> Result<(), DbError> {
    tracing::error!(
        job_id = id,
        kind,
        error,
        "a job gave up after its last attempt"
    );
    crate::notifications::notify_admins(
        tx,
        &crate::notifications::Notice::admin_job_dead(id, kind, error),
    )
    .await
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
    db_run!(db, |pool| {
        sqlx::query(
            "UPDATE jobs SET state = 'queued', run_at = $1, attempts = 0, last_error = NULL, \
             locked_by = NULL, locked_until = NULL WHERE id = $2 AND locked_by = $3 AND state = 'running'",
        )
        .bind(run_at)
        .bind(job.id)
        .bind(worker)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobOutcome {
    Done,
    /// Not finished, nothing wrong: run the job again at this time (see [`run_again_at`]).
    RunAgainAt(DateTime<Utc>),
}

impl From<()> for JobOutcome {
    fn from((): ()) -> Self {
        Self::Done
    }
}

type HandlerFuture = Pin<Box<dyn Future<Output = Result<JobOutcome, String>> + Send>>;
type Handler = Arc<dyn Fn(Job) -> HandlerFuture + Send + Sync>;

/// What each job kind does. Every server process registers every kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Handler>,
}

impl Registry {
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
    let Some(job) = claim(db, worker, lease).await? else {
        return Ok(None);
    };
    let outcome = match registry.handlers.get(&job.kind) {
        Some(handler) => handler(job.clone()).await,
        None => Err(format!("no handler for job kind `{}`", job.kind)),
    };
    match outcome {
        Ok(JobOutcome::Done) => complete(db, &job, worker).await?,
        Ok(JobOutcome::RunAgainAt(run_at)) => run_again_at(db, &job, worker, run_at).await?,
        Err(error) => {
            tracing::warn!(job_id = job.id, kind = %job.kind, attempts = job.attempts, %error, "job failed");
            fail(db, &job, worker, &error).await?;
        }
    }
    Ok(Some(job))
}

/// Runs jobs until `stop` resolves, polling every `idle` when the queue is empty.
pub async fn run(
    db: Db,
    registry: Registry,
    worker: String,
    idle: StdDuration,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        let ran = match run_once(&db, &registry, &worker, Duration::minutes(5)).await {
            Ok(ran) => ran.is_some(),
            Err(error) => {
                tracing::error!(%error, "job worker could not reach the database");
                false
            }
        };
        if ran {
            continue;
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(idle) => {}
        }
    }
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
