//! The durable job that moves a paid-for server to its new plan at the provider
//! ([`crate::orders::resize`] asks for it): power the server off where the provider needs that,
//! resize it, start it again if it ran before, then give the order and the server the new plan.
//!
//! Like provisioning, each step is written down before its provider call is sent, so a run after
//! a crash knows a call may be out: it first asks the provider where the server stands (its
//! size, its power) and sends the call again only when nothing shows it arrived within
//! [`LOST_CALL_SHOWS_WITHIN`]. A resize is never sent twice while the first may be under way.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::work_error::WorkError;
use super::worker::poll_interval;
use super::{HistoryLine, InstanceStatus, Instances, record_event, transition};
use crate::billing::credit;
use crate::jobs::{Job, JobOutcome};
use crate::notifications::{self, Notice};
use crate::orders::resize::{self, ResizeStatus};
use crate::providers::{
    Action, ActionHandle, ActionKind, ActionProgress, CloudProvider, Lifecycle, ProviderInstance,
};
use crate::transitions::compare_and_set;
use crate::{db_run, tx_run};

pub const RESIZE_JOB: &str = "instance_resize";

/// How long a power step may take before the resize is called failed.
const POWER_GIVES_UP_AFTER: Duration = Duration::minutes(15);
/// How long the resize itself may take: a provider copies the disk, about a minute per GB.
const RESIZE_GIVES_UP_AFTER: Duration = Duration::hours(2);
/// How long a call whose answer was lost (a crash right after it was sent) is waited for
/// before it is sent again.
const LOST_CALL_SHOWS_WITHIN: Duration = Duration::minutes(2);

#[derive(Deserialize)]
struct ResizePayload {
    resize_id: i64,
}

#[derive(sqlx::FromRow)]
struct ResizeRow {
    id: i64,
    order_id: i64,
    instance_id: i64,
    invoice_id: Option<i64>,
    to_plan_id: i64,
    to_size_slug: String,
    #[sqlx(try_from = "String")]
    status: ResizeStatus,
    was_running: Option<bool>,
    provider_handle: Option<String>,
    /// When the step's provider call was sent (`None`: not yet).
    step_started_at: Option<DateTime<Utc>>,
    /// When the step began (or its call was sent).
    updated_at: DateTime<Utc>,
}

impl ResizeRow {
    fn handle(&self) -> Result<Option<ActionHandle>, WorkError> {
        Ok(self
            .provider_handle
            .as_deref()
            .map(serde_json::from_str)
            .transpose()?)
    }

    /// How long since the step's call was sent.
    fn waited(&self) -> Duration {
        self.step_started_at
            .map_or_else(Duration::zero, |sent| Utc::now() - sent)
    }

    /// How long since the step began.
    fn in_step(&self) -> Duration {
        Utc::now() - self.updated_at
    }
}

/// What to do after looking at the provider.
enum Next {
    /// Ask again at this time.
    Wait(DateTime<Utc>),
    /// Go on to this status now (the step's call not sent yet).
    Step(ResizeStatus),
    Fail(String),
}

impl Instances {
    #[tracing::instrument(name = "server.resize", skip_all)]
    pub(crate) async fn run_resize(&self, job: &Job) -> Result<JobOutcome, WorkError> {
        let ResizePayload { resize_id } = serde_json::from_str(&job.payload)?;
        // Each pass takes one step; a step that only changes the row goes straight on.
        loop {
            let Some(row) = self.resize_row(resize_id).await? else {
                return Ok(JobOutcome::Done);
            };
            if !row.status.is_under_way() {
                return Ok(JobOutcome::Done);
            }
            let instance = self.by_id(row.instance_id).await?;
            let (Some(provider_id), Ok(provider)) = (
                instance.provider_instance_id.clone(),
                self.provider(&instance.provider),
            ) else {
                self.resize_failed(&row, None, "the server or its provider is gone")
                    .await?;
                return Ok(JobOutcome::Done);
            };
            if matches!(
                instance.status,
                InstanceStatus::Deleting | InstanceStatus::Deleted
            ) {
                self.resize_failed(&row, None, "the server was deleted")
                    .await?;
                return Ok(JobOutcome::Done);
            }
            let provider = provider.as_ref();
            let next = match row.status {
                ResizeStatus::Queued => {
                    if self.open_action(row.instance_id).await? {
                        // The owner's last action finishes first.
                        Next::Wait(Utc::now() + Duration::seconds(5))
                    } else {
                        self.begin_resize(&row, provider, &provider_id).await?
                    }
                }
                ResizeStatus::Stopping => self.stopping(&row, provider, &provider_id).await?,
                ResizeStatus::Resizing => self.resizing(&row, provider, &provider_id).await?,
                ResizeStatus::Starting => self.starting(&row, provider, &provider_id).await?,
                _ => return Ok(JobOutcome::Done),
            };
            match next {
                Next::Wait(at) => return Ok(JobOutcome::RunAgainAt(at)),
                Next::Fail(reason) => {
                    let current = provider.get_instance(&provider_id).await.ok();
                    self.resize_failed(&row, current.as_ref(), &reason).await?;
                    return Ok(JobOutcome::Done);
                }
                Next::Step(ResizeStatus::Done) => {
                    let current = provider.get_instance(&provider_id).await?;
                    self.resize_done(&row, &current).await?;
                    return Ok(JobOutcome::Done);
                }
                Next::Step(status) => self.step(&row, status, None).await?,
            }
        }
    }

    async fn resize_row(&self, id: i64) -> Result<Option<ResizeRow>, WorkError> {
        Ok(db_run!(self.db(), |pool| {
            sqlx::query_as::<_, ResizeRow>(
                "SELECT id, order_id, instance_id, invoice_id, to_plan_id, to_size_slug, status, \
                 was_running, provider_handle, step_started_at, updated_at FROM resizes WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await
        })?)
    }

    async fn open_action(&self, instance_id: i64) -> Result<bool, WorkError> {
        let open: i64 = db_run!(self.db(), |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM instance_actions WHERE instance_id = $1 \
                 AND state IN ('pending', 'running')",
            )
            .bind(instance_id)
            .fetch_one(pool)
            .await
        })?;
        Ok(open > 0)
    }

    /// Notes whether the server runs now (it is started again at the end) and picks the first
    /// step.
    async fn begin_resize(
        &self,
        row: &ResizeRow,
        provider: &dyn CloudProvider,
        provider_id: &str,
    ) -> Result<Next, WorkError> {
        let current = provider.get_instance(provider_id).await?;
        let was_running = current.status == Lifecycle::Running;
        db_run!(self.db(), |pool| {
            sqlx::query("UPDATE resizes SET was_running = $1 WHERE id = $2 AND was_running IS NULL")
                .bind(was_running)
                .bind(row.id)
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(Next::Step(
            if was_running && provider.capabilities().resize_needs_power_off {
                ResizeStatus::Stopping
            } else {
                ResizeStatus::Resizing
            },
        ))
    }

    async fn stopping(
        &self,
        row: &ResizeRow,
        provider: &dyn CloudProvider,
        provider_id: &str,
    ) -> Result<Next, WorkError> {
        let current = provider.get_instance(provider_id).await?;
        if current.status == Lifecycle::Stopped {
            return Ok(Next::Step(ResizeStatus::Resizing));
        }
        self.power_step(row, provider, provider_id, ActionKind::PowerOff)
            .await
    }

    async fn starting(
        &self,
        row: &ResizeRow,
        provider: &dyn CloudProvider,
        provider_id: &str,
    ) -> Result<Next, WorkError> {
        let current = provider.get_instance(provider_id).await?;
        match current.status {
            Lifecycle::Running => Ok(Next::Step(ResizeStatus::Done)),
            // Still coming back from the resize by itself.
            Lifecycle::Provisioning if row.in_step() < POWER_GIVES_UP_AFTER => {
                Ok(Next::Wait(Utc::now() + poll_interval(row.in_step())))
            }
            _ => {
                self.power_step(row, provider, provider_id, ActionKind::PowerOn)
                    .await
            }
        }
    }

    /// Sends the power call `kind` once (again after a lost answer) and waits for it.
    async fn power_step(
        &self,
        row: &ResizeRow,
        provider: &dyn CloudProvider,
        provider_id: &str,
        kind: ActionKind,
    ) -> Result<Next, WorkError> {
        let action = match kind {
            ActionKind::PowerOn => Action::PowerOn,
            _ => Action::PowerOff,
        };
        match (row.step_started_at, row.handle()?) {
            (_, Some(handle)) => {
                let waited = row.waited();
                match provider.action_progress(provider_id, kind, &handle).await? {
                    ActionProgress::Failed(reason) => Ok(Next::Fail(reason)),
                    _ if waited > POWER_GIVES_UP_AFTER => Ok(Next::Fail(format!(
                        "the provider did not finish the {kind} within 15 minutes"
                    ))),
                    // Done shows in the server's state, read at the start of the next pass.
                    _ => Ok(Next::Wait(Utc::now() + poll_interval(waited))),
                }
            }
            (Some(_), None) if row.waited() < LOST_CALL_SHOWS_WITHIN => {
                Ok(Next::Wait(Utc::now() + Duration::seconds(10)))
            }
            _ => {
                self.mark_sent(row).await?;
                match provider.perform_action(provider_id, &action).await {
                    Ok(handle) => {
                        self.step(row, row.status, Some(&handle)).await?;
                        Ok(Next::Wait(Utc::now() + Duration::seconds(2)))
                    }
                    Err(error) if error.is_transient() => Err(error.into()),
                    Err(error) => Ok(Next::Fail(error.to_string())),
                }
            }
        }
    }

    async fn resizing(
        &self,
        row: &ResizeRow,
        provider: &dyn CloudProvider,
        provider_id: &str,
    ) -> Result<Next, WorkError> {
        let size = row.to_size_slug.as_str();
        let after = |current: &ProviderInstance| {
            if row.was_running == Some(true) && current.status != Lifecycle::Running {
                ResizeStatus::Starting
            } else {
                ResizeStatus::Done
            }
        };
        match (row.step_started_at, row.handle()?) {
            (_, Some(handle)) => {
                let waited = row.waited();
                match provider.resize_progress(provider_id, size, &handle).await? {
                    ActionProgress::Failed(reason) => Ok(Next::Fail(reason)),
                    ActionProgress::Done => {
                        let current = provider.get_instance(provider_id).await?;
                        if current.size == size {
                            Ok(Next::Step(after(&current)))
                        } else if waited > RESIZE_GIVES_UP_AFTER {
                            Ok(Next::Fail(format!(
                                "the provider finished, but the server is on {}",
                                current.size
                            )))
                        } else {
                            Ok(Next::Wait(Utc::now() + poll_interval(waited)))
                        }
                    }
                    ActionProgress::InProgress if waited > RESIZE_GIVES_UP_AFTER => Ok(Next::Fail(
                        "the provider did not finish the resize within 2 hours".into(),
                    )),
                    ActionProgress::InProgress => {
                        Ok(Next::Wait(Utc::now() + poll_interval(waited)))
                    }
                }
            }
            (sent, None) => {
                // A resize whose answer was lost shows as the new size; until then, and for a
                // while after it was sent, nothing is sent again.
                let current = provider.get_instance(provider_id).await?;
                if current.size == size {
                    let busy = current.status == Lifecycle::Provisioning
                        && row.in_step() < RESIZE_GIVES_UP_AFTER;
                    return Ok(if busy {
                        Next::Wait(Utc::now() + Duration::seconds(5))
                    } else {
                        Next::Step(after(&current))
                    });
                }
                if sent.is_some() && row.waited() < LOST_CALL_SHOWS_WITHIN {
                    return Ok(Next::Wait(Utc::now() + Duration::seconds(10)));
                }
                self.mark_sent(row).await?;
                match provider.resize(provider_id, size).await {
                    Ok(handle) => {
                        self.step(row, ResizeStatus::Resizing, Some(&handle))
                            .await?;
                        Ok(Next::Wait(Utc::now() + Duration::seconds(2)))
                    }
                    Err(error) if error.is_transient() => Err(error.into()),
                    Err(error) => Ok(Next::Fail(error.to_string())),
                }
            }
        }
    }

    /// Writes down that the step's call is about to be sent.
    async fn mark_sent(&self, row: &ResizeRow) -> Result<(), WorkError> {
        db_run!(self.db(), |pool| {
            sqlx::query(
                "UPDATE resizes SET step_started_at = $1, provider_handle = NULL, updated_at = $1 \
                 WHERE id = $2 AND status = $3",
            )
            .bind(Utc::now())
            .bind(row.id)
            .bind(row.status.as_str())
            .execute(pool)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// Moves the resize to `status` (a new step: nothing sent yet), or with `handle` records the
    /// answer to the call its current step sent.
    async fn step(
        &self,
        row: &ResizeRow,
        status: ResizeStatus,
        handle: Option<&ActionHandle>,
    ) -> Result<(), WorkError> {
        let mut tx = self.db().begin().await?;
        if status != row.status {
            compare_and_set(&mut tx, "resizes", row.id, status).await?;
            record_event(
                &mut tx,
                row.instance_id,
                "resize_step",
                "info",
                Some(status.as_str()),
            )
            .await?;
        }
        let stored = handle
            .map(|handle| {
                serde_json::to_string(&ActionHandle {
                    generated_password: None,
                    ..handle.clone()
                })
            })
            .transpose()?;
        tx_run!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE resizes SET provider_handle = $1, \
                 step_started_at = CASE WHEN CAST($1 AS TEXT) IS NULL THEN NULL \
                     ELSE step_started_at END WHERE id = $2 AND status = $3",
            )
            .bind(&stored)
            .bind(row.id)
            .bind(status.as_str())
            .execute(conn)
            .await
            .map(|_| ())
        })?;
        tx.commit().await?;
        Ok(())
    }

    /// The server is on its new size: the order and the server take the new plan, and the
    /// owner hears of it.
    async fn resize_done(
        &self,
        row: &ResizeRow,
        current: &ProviderInstance,
    ) -> Result<(), WorkError> {
        let now = Utc::now();
        let mut tx = self.db().begin().await?;
        if !resize::finish(&mut tx, row.id, ResizeStatus::Done, None).await? {
            return Ok(());
        }
        let (hostname, user_id, plan_name, order_status): (String, i64, String, String) =
            tx_run!(&mut tx, |conn| {
                sqlx::query_as(
                    "SELECT o.hostname, o.user_id, p.name, o.status FROM orders o \
                     JOIN plans p ON p.id = $2 WHERE o.id = $1",
                )
                .bind(row.order_id)
                .bind(row.to_plan_id)
                .fetch_one(conn)
                .await
            })?;
        tx_run!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE instances SET plan_id = $1, size_slug = $2, provider_status = $3, \
                 updated_at = $4 WHERE id = $5",
            )
            .bind(row.to_plan_id)
            .bind(&row.to_size_slug)
            .bind(&current.provider_status)
            .bind(now)
            .bind(row.instance_id)
            .execute(conn)
            .await
            .map(|_| ())
        })?;
        tx_run!(&mut tx, |conn| {
            sqlx::query("UPDATE orders SET plan_id = $1, updated_at = $2 WHERE id = $3")
                .bind(row.to_plan_id)
                .bind(now)
                .bind(row.order_id)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        let message = format!("{} ({})", plan_name, row.to_size_slug);
        let line = HistoryLine {
            kind: "resized",
            level: "success",
            message: Some(&message),
        };
        if !transition(&mut tx, row.instance_id, current.status, line)
            .await?
            .made()
        {
            record_event(
                &mut tx,
                row.instance_id,
                line.kind,
                line.level,
                line.message,
            )
            .await?;
        }
        resize::record_resized(&mut tx, row.order_id, &order_status, &plan_name).await?;
        notifications::notify(
            &mut tx,
            user_id,
            &Notice::resized(row.order_id, &hostname, &plan_name),
        )
        .await?;
        tx.commit().await?;
        metrics::counter!("resizes_finished_total", "outcome" => "done").increment(1);
        Ok(())
    }

    /// The resize will not happen: what was paid for it goes back to the owner's credit, the
    /// server is started again if it ran before and is off now, and the owner and the admins
    /// hear of it.
    async fn resize_failed(
        &self,
        row: &ResizeRow,
        current: Option<&ProviderInstance>,
        reason: &str,
    ) -> Result<(), WorkError> {
        let mut tx = self.db().begin().await?;
        if !resize::finish(&mut tx, row.id, ResizeStatus::Failed, Some(reason)).await? {
            return Ok(());
        }
        let message = format!("resize: {reason}");
        let line = HistoryLine {
            kind: "resize_failed",
            level: "error",
            message: Some(&message),
        };
        let moved = match current {
            Some(current) => transition(&mut tx, row.instance_id, current.status, line)
                .await?
                .made(),
            None => false,
        };
        if !moved {
            record_event(
                &mut tx,
                row.instance_id,
                line.kind,
                line.level,
                line.message,
            )
            .await?;
        }
        if row.was_running == Some(true)
            && current.is_some_and(|current| current.status == Lifecycle::Stopped)
        {
            super::suspension::power_on_if_stopped(&mut tx, row.instance_id).await?;
        }
        let refunded = match row.invoice_id {
            Some(invoice_id) => credit::refund_in_full(&mut tx, invoice_id, &message).await?,
            None => 0,
        };
        let (hostname, user_id): (String, i64) = tx_run!(&mut tx, |conn| {
            sqlx::query_as("SELECT hostname, user_id FROM orders WHERE id = $1")
                .bind(row.order_id)
                .fetch_one(conn)
                .await
        })?;
        notifications::notify(
            &mut tx,
            user_id,
            &Notice::resize_failed(row.order_id, &hostname, refunded),
        )
        .await?;
        notifications::notify_admins(
            &mut tx,
            &Notice::admin_resize_failed(row.order_id, &hostname, reason),
        )
        .await?;
        tx.commit().await?;
        metrics::counter!("resizes_finished_total", "outcome" => "failed").increment(1);
        Ok(())
    }
}
