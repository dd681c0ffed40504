//! Admin notices a flood could repeat: refused payment callbacks. Anyone can post to the
//! callback endpoint, and each refusal record (one audit entry per reason a minute, per server
//! process) told to every admin by e-mail and Telegram would be hundreds of messages over a
//! night of forged posts, on every node, burying the one that matters.
//!
//! So each reason tells the admins at once the first time: a gateway key that no longer matches
//! ours is news, and real payments wait on it. After that it tells them at most once per
//! [`WINDOW`]: what is refused meanwhile is counted in `admin_alert_windows` and told, with the
//! count, by one summary job at the window's end. The count is written in the refusal's own
//! transaction, in the database, so it holds across nodes and restarts, and a refusal record
//! that rolls back counts nothing. Each reason has its own window: a flood of forgeries (which
//! can only fail the signature) does not hold back a correctly signed callback that does not
//! match its payment.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::{Notice, Notifications, notify_admins};
use crate::billing::refusals::Refusal;
use crate::db::Tx;
use crate::jobs::{self, Job, JobOutcome};
use crate::{DbError, tx_run};

pub const SUMMARY_JOB: &str = "admin_alert_summary";

/// A night-long flood makes 16 notices per reason rather than hundreds, and an admin who was
/// told still hears within half an hour that it goes on, and how much.
pub const WINDOW: Duration = Duration::minutes(30);

/// A reason's window as stored.
#[derive(sqlx::FromRow)]
struct Window {
    /// Refusals not yet told.
    held_back: i64,
    /// When the admins were last told; never, when `None`.
    notified_at: Option<DateTime<Utc>>,
    /// When the summary job queued for this window is due; `None` while none is queued.
    summary_at: Option<DateTime<Utc>>,
}

/// What the summary job tells about.
#[derive(Deserialize)]
struct Summary {
    gateway: String,
    reason: Refusal,
}

impl Window {
    /// When the admins may be told again; at once, when `None`.
    fn reopens_at(&self) -> Option<DateTime<Utc>> {
        self.notified_at.map(|told| told + WINDOW)
    }
}

/// `refused` callbacks of `gateway` were refused for `reason` and recorded in `tx`: tells every
/// admin now, or counts them for the summary at the end of the window.
pub async fn callback_refused(
    tx: &mut Tx,
    gateway: &str,
    reason: Refusal,
    refused: u64,
) -> Result<(), DbError> {
    let now = Utc::now();
    // The upsert locks the reason's row on PostgreSQL until this transaction ends, so two
    // nodes refusing at once cannot both find the window open.
    let window: Window = tx_run!(tx, |conn| {
        sqlx::query_as(
            "INSERT INTO admin_alert_windows (alert, held_back) VALUES ($1, $2) \
             ON CONFLICT (alert) DO UPDATE \
             SET held_back = admin_alert_windows.held_back + EXCLUDED.held_back \
             RETURNING held_back, notified_at, summary_at",
        )
        .bind(reason.action())
        .bind(i64::try_from(refused).unwrap_or(i64::MAX))
        .fetch_one(conn)
        .await
    })?;
    match window.reopens_at() {
        Some(due) if now < due => {
            if window.summary_at.is_none() {
                let summary = serde_json::json!({ "gateway": gateway, "reason": reason });
                jobs::enqueue(tx, SUMMARY_JOB, &summary, due, jobs::DEFAULT_MAX_ATTEMPTS).await?;
                set_summary_at(tx, reason, Some(due)).await?;
            }
            Ok(())
        }
        // Even with a summary job queued: should that job die, refusals must still be told.
        _ => tell(tx, gateway, reason, window.held_back, now).await,
    }
}

/// Tells every admin of the `count` refusals held back, and starts a new window.
async fn tell(
    tx: &mut Tx,
    gateway: &str,
    reason: Refusal,
    count: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, |conn| {
        sqlx::query(
            "UPDATE admin_alert_windows SET held_back = 0, notified_at = $1 WHERE alert = $2",
        )
        .bind(now)
        .bind(reason.action())
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    notify_admins(tx, &Notice::admin_callback_refused(gateway, reason, count)).await
}

async fn set_summary_at(
    tx: &mut Tx,
    reason: Refusal,
    due: Option<DateTime<Utc>>,
) -> Result<(), DbError> {
    tx_run!(tx, |conn| {
        sqlx::query("UPDATE admin_alert_windows SET summary_at = $1 WHERE alert = $2")
            .bind(due)
            .bind(reason.action())
            .execute(conn)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

impl Notifications {
    /// The end of a window: tells what was held back, if anything was. A refusal after the
    /// window ended may have told it already (the worker was busy); then this waits for the
    /// end of the window that started, so a reason has one summary job at a time.
    pub(super) async fn run_summary(&self, job: &Job) -> Result<JobOutcome, String> {
        let summary: Summary = serde_json::from_str(&job.payload)
            .map_err(|error| format!("unreadable payload: {error}"))?;
        self.summarise(&summary)
            .await
            .map_err(|error| error.to_string())
    }

    async fn summarise(&self, summary: &Summary) -> Result<JobOutcome, DbError> {
        let now = Utc::now();
        let mut tx = self.db().begin().await?;
        // A write, not a read, so that PostgreSQL locks the row against a refusal at the same
        // moment.
        let window: Option<Window> = tx_run!(&mut tx, |conn| {
            sqlx::query_as(
                "UPDATE admin_alert_windows SET held_back = held_back WHERE alert = $1 \
                 RETURNING held_back, notified_at, summary_at",
            )
            .bind(summary.reason.action())
            .fetch_optional(conn)
            .await
        })?;
        let Some(window) = window.filter(|window| window.held_back > 0) else {
            set_summary_at(&mut tx, summary.reason, None).await?;
            tx.commit().await?;
            return Ok(JobOutcome::Done);
        };
        if let Some(due) = window.reopens_at().filter(|due| now < *due) {
            set_summary_at(&mut tx, summary.reason, Some(due)).await?;
            tx.commit().await?;
            return Ok(JobOutcome::RunAgainAt(due));
        }
        tell(
            &mut tx,
            &summary.gateway,
            summary.reason,
            window.held_back,
            now,
        )
        .await?;
        set_summary_at(&mut tx, summary.reason, None).await?;
        tx.commit().await?;
        Ok(JobOutcome::Done)
    }
}
