//! What billing does to a server without its owner asking: power it off when the service is
//! suspended (and keep it off), power it on again when the service is paid, and delete it when
//! the service is terminated or replaced. These run inside the order's transaction, so the
//! order's new status and the server's work commit together; the provider calls themselves are
//! durable jobs (the action job, and [`DELETE_JOB`]).

use chrono::Utc;
use serde::Deserialize;

use super::work_error::WorkError;
use super::{ACTION_JOB, HistoryLine, InstanceStatus, Instances, record_event, transition};
use crate::db::Tx;
use crate::jobs::{self, Job, JobOutcome};
use crate::providers::{ActionKind, ProviderError};
use crate::{DbError, db_run, tx_run};

pub const DELETE_JOB: &str = "instance_delete";

/// Marks the server suspended (its owner's actions are refused) and powers it off.
pub(crate) async fn suspend(tx: &mut Tx, instance_id: i64, reason: &str) -> Result<(), DbError> {
    let changed = tx_run!(tx, |conn| {
        sqlx::query(
            "UPDATE instances SET suspended_at = $1, updated_at = $1 \
             WHERE id = $2 AND suspended_at IS NULL",
        )
        .bind(Utc::now())
        .bind(instance_id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    if changed > 0 {
        record_event(tx, instance_id, "suspended", "error", Some(reason)).await?;
    }
    keep_off(tx, instance_id).await.map(|_| ())
}

/// Powers a suspended server off again if it runs (an action was still open when it was
/// suspended, or it was started from the provider's panel); answers whether it queued that.
pub(crate) async fn keep_off(tx: &mut Tx, instance_id: i64) -> Result<bool, DbError> {
    queue_when(
        tx,
        instance_id,
        ActionKind::PowerOff,
        InstanceStatus::Running,
    )
    .await
}

/// Lifts the suspension and powers the server on.
pub(crate) async fn resume(tx: &mut Tx, instance_id: i64) -> Result<(), DbError> {
    let changed = tx_run!(tx, |conn| {
        sqlx::query(
            "UPDATE instances SET suspended_at = NULL, updated_at = $1 \
             WHERE id = $2 AND suspended_at IS NOT NULL",
        )
        .bind(Utc::now())
        .bind(instance_id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    if changed > 0 {
        record_event(tx, instance_id, "resumed", "success", None).await?;
        queue_when(
            tx,
            instance_id,
            ActionKind::PowerOn,
            InstanceStatus::Stopped,
        )
        .await?;
    }
    Ok(())
}

/// Queues the deletion of the server at its provider; one that never reached the provider is
/// deleted at once. Its provider id is read in the transaction that moves it: the create that
/// stores the id runs only for a server being made, and such a server's order is never
/// terminated (it is replaced only once its creation failed).
pub(crate) async fn terminate(tx: &mut Tx, instance_id: i64, reason: &str) -> Result<(), DbError> {
    let now = Utc::now();
    let provider_instance_id: Option<String> = tx_run!(tx, |conn| {
        sqlx::query_scalar("SELECT provider_instance_id FROM instances WHERE id = $1")
            .bind(instance_id)
            .fetch_one(conn)
            .await
    })?;
    let to = match provider_instance_id {
        Some(_) => InstanceStatus::Deleting,
        None => InstanceStatus::Deleted,
    };
    let line = HistoryLine {
        kind: "terminated",
        level: "error",
        message: Some(reason),
    };
    if !transition(tx, instance_id, to, line).await?.made() {
        return Ok(());
    }
    if to == InstanceStatus::Deleted {
        forget_passwords(tx, instance_id).await?;
        return Ok(());
    }
    jobs::enqueue(
        tx,
        DELETE_JOB,
        &serde_json::json!({ "instance_id": instance_id }),
        now,
        jobs::DEFAULT_MAX_ATTEMPTS,
    )
    .await
    .map(|_| ())
}

/// A deleted server's passwords are of no use to anyone any more.
async fn forget_passwords(tx: &mut Tx, instance_id: i64) -> Result<(), DbError> {
    tx_run!(tx, |conn| {
        sqlx::query(
            "UPDATE instances SET root_password = NULL, pending_root_password = NULL WHERE id = $1",
        )
        .bind(instance_id)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Powers the server on if it is stopped and nothing else is under way (after a resize that
/// failed with the server off); answers whether it queued that.
pub(crate) async fn power_on_if_stopped(tx: &mut Tx, instance_id: i64) -> Result<bool, DbError> {
    queue_when(
        tx,
        instance_id,
        ActionKind::PowerOn,
        InstanceStatus::Stopped,
    )
    .await
}

/// Queues `kind` on the server, requested by the platform, when its status is `when` and no
/// other action is open; answers whether it did.
async fn queue_when(
    tx: &mut Tx,
    instance_id: i64,
    kind: ActionKind,
    when: InstanceStatus,
) -> Result<bool, DbError> {
    let now = Utc::now();
    let action_id: Option<i64> = tx_run!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO instance_actions (instance_id, kind, state, created_at) \
             SELECT id, $1, 'pending', $2 FROM instances \
             WHERE id = $3 AND status = $4 AND provider_instance_id IS NOT NULL \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(kind.as_str())
        .bind(now)
        .bind(instance_id)
        .bind(when.as_str())
        .fetch_optional(conn)
        .await
    })?;
    let Some(action_id) = action_id else {
        return Ok(false);
    };
    record_event(
        tx,
        instance_id,
        "action_requested",
        "info",
        Some(kind.as_str()),
    )
    .await?;
    jobs::enqueue(
        tx,
        ACTION_JOB,
        &serde_json::json!({ "action_id": action_id }),
        now,
        jobs::DEFAULT_MAX_ATTEMPTS,
    )
    .await?;
    Ok(true)
}

#[derive(Deserialize)]
struct DeletePayload {
    instance_id: i64,
}

impl Instances {
    /// Deletes a terminated server at its provider; one already gone counts as deleted.
    pub(crate) async fn run_delete(&self, job: &Job) -> Result<JobOutcome, WorkError> {
        let DeletePayload { instance_id } = serde_json::from_str(&job.payload)?;
        let instance = self.by_id(instance_id).await?;
        if instance.status != InstanceStatus::Deleting {
            return Ok(JobOutcome::Done);
        }
        if let Some(provider_id) = &instance.provider_instance_id {
            let provider = self.provider(&instance.provider)?;
            match provider.delete_instance(provider_id).await {
                Ok(()) | Err(ProviderError::NotFound) => {}
                Err(error) => return Err(error.into()),
            }
        }
        let mut tx = self.db().begin().await?;
        let line = HistoryLine {
            kind: "deleted",
            level: "info",
            message: None,
        };
        if transition(&mut tx, instance_id, InstanceStatus::Deleted, line)
            .await?
            .made()
        {
            forget_passwords(&mut tx, instance_id).await?;
        }
        tx.commit().await?;
        Ok(JobOutcome::Done)
    }

    /// Whether a server of `order_id` is still being deleted (a retry waits for its host name).
    pub(crate) async fn deleting_for_order(&self, order_id: i64) -> Result<bool, DbError> {
        let count: i64 = db_run!(self.db(), |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM instances WHERE order_id = $1 AND status = $2")
                .bind(order_id)
                .bind(InstanceStatus::Deleting.as_str())
                .fetch_one(pool)
                .await
        })?;
        Ok(count > 0)
    }
}
