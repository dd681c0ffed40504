//! The durable job that turns a paid order into a running server: it records the server and
//! queues its creation in one transaction with the order's move to `provisioning`, then watches
//! the server until it runs (the order becomes `active` and its paid period starts) or fails.
//! Run twice after a crash, it finds the order where the first run left it and goes on from there.

use chrono::{Duration, Utc};
use serde::Deserialize;

use super::due_dates::DUE_DATES_JOB;
use super::renewals::RENEWAL_JOB;
use super::{OrderError, OrderStatus, Orders, PROVISION_JOB, period_end, transition};
use crate::error::Code;
use crate::instances::{Instances, ProvisionRequest, provisioned_key};
use crate::jobs::{Job, JobOutcome, Registry};
use crate::{db_run, tx_run};

/// How often a server being deleted before a retry is looked at.
const WATCH_EVERY: Duration = Duration::seconds(3);

/// How long an order waits for its server before it looks again by itself: the server's job
/// wakes it the moment the server runs or fails, so this only covers a wake that came between
/// the order's last look and its wait.
const WAKE_AT_LATEST: Duration = Duration::seconds(15);

/// How often renewal invoices, and services overdue, are looked for.
const SWEEP_EVERY: Duration = Duration::hours(1);

pub fn register(registry: Registry, orders: Orders, instances: Instances) -> Registry {
    let renewing = orders.clone();
    let sweeping = orders.clone();
    registry
        .on(PROVISION_JOB, move |job| {
            let orders = orders.clone();
            let instances = instances.clone();
            async move {
                orders
                    .run_provision(&instances, &job)
                    .await
                    .map_err(|error| error.to_string())
            }
        })
        .first(PROVISION_JOB)
        .on(RENEWAL_JOB, move |_job| {
            let orders = renewing.clone();
            async move {
                orders
                    .issue_renewals(Utc::now())
                    .await
                    .map_err(|error| error.to_string())?;
                Ok::<_, String>(JobOutcome::RunAgainAt(Utc::now() + SWEEP_EVERY))
            }
        })
        .on(DUE_DATES_JOB, move |_job| {
            let orders = sweeping.clone();
            async move {
                orders
                    .enforce_due_dates(Utc::now())
                    .await
                    .map_err(|error| error.to_string())?;
                orders
                    .send_reminders(Utc::now())
                    .await
                    .map_err(|error| error.to_string())?;
                Ok::<_, String>(JobOutcome::RunAgainAt(Utc::now() + SWEEP_EVERY))
            }
        })
}

#[derive(Deserialize)]
struct Payload {
    order_id: i64,
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    user_id: i64,
    plan_id: i64,
    region_slug: String,
    image_slug: String,
    hostname: String,
    period_months: i64,
    ssh_key_ids: String,
    status: String,
    instance_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct ServerState {
    status: String,
    status_message: Option<String>,
}

impl Orders {
    async fn run_provision(
        &self,
        instances: &Instances,
        job: &Job,
    ) -> Result<JobOutcome, OrderError> {
        let Payload { order_id } =
            serde_json::from_str(&job.payload).map_err(|error| OrderError::Invalid {
                field: "payload",
                code: Code::Internal,
                message: error.to_string(),
            })?;
        let Some(order) = db_run!(self.db(), |pool| {
            sqlx::query_as::<_, OrderRow>(
                "SELECT user_id, plan_id, region_slug, image_slug, hostname, period_months, \
                 ssh_key_ids, status, instance_id FROM orders WHERE id = $1",
            )
            .bind(order_id)
            .fetch_optional(pool)
            .await
        })?
        else {
            return Ok(JobOutcome::Done);
        };
        match (OrderStatus::parse(&order.status), order.instance_id) {
            (Some(OrderStatus::Paid), _) => self.start_server(instances, order_id, &order).await,
            // An admin's retry: the failed attempt's server is deleted first, which frees its
            // host name for the new one.
            (Some(OrderStatus::Provisioning), None) => {
                if instances.deleting_for_order(order_id).await? {
                    return Ok(JobOutcome::RunAgainAt(Utc::now() + WATCH_EVERY));
                }
                self.start_server(instances, order_id, &order).await
            }
            (Some(OrderStatus::Provisioning), Some(instance_id)) => {
                self.watch_server(order_id, instance_id, order.period_months)
                    .await
            }
            _ => Ok(JobOutcome::Done),
        }
    }

    async fn start_server(
        &self,
        instances: &Instances,
        order_id: i64,
        order: &OrderRow,
    ) -> Result<JobOutcome, OrderError> {
        let request = ProvisionRequest {
            user_id: order.user_id,
            plan_id: order.plan_id,
            region: order.region_slug.clone(),
            image: order.image_slug.clone(),
            hostname: order.hostname.clone(),
            ssh_key_ids: serde_json::from_str(&order.ssh_key_ids).unwrap_or_default(),
        };
        // Read before the transaction begins (see `Instances::prepare`).
        let prepared = match instances.prepare(&request).await {
            Ok(prepared) => prepared,
            Err(crate::instances::InstanceError::Db(error)) => return Err(error.into()),
            Err(error) => return self.cannot_make(order_id, order, &error).await,
        };
        let mut tx = self.db().begin().await?;
        let instance_id = match instances
            .create_in(&mut tx, &prepared, Some(order_id))
            .await
        {
            Ok(id) => id,
            Err(crate::instances::InstanceError::Db(error)) => return Err(error.into()),
            Err(error) => {
                drop(tx);
                return self.cannot_make(order_id, order, &error).await;
            }
        };
        tx_run!(&mut tx, |conn| {
            sqlx::query("UPDATE orders SET instance_id = $1 WHERE id = $2")
                .bind(instance_id)
                .bind(order_id)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        if order.status == OrderStatus::Paid.as_str() {
            transition(&mut tx, order_id, OrderStatus::Provisioning, None, None).await?;
        }
        tx.commit().await?;
        Ok(wait_for_server(instance_id))
    }

    /// What was sold can no longer be made (the plan, region, image or provider went away, or
    /// the host name is taken): the order fails with the reason, for an admin to settle.
    async fn cannot_make(
        &self,
        order_id: i64,
        order: &OrderRow,
        error: &crate::instances::InstanceError,
    ) -> Result<JobOutcome, OrderError> {
        let mut tx = self.db().begin().await?;
        if order.status == OrderStatus::Paid.as_str() {
            transition(&mut tx, order_id, OrderStatus::Provisioning, None, None).await?;
        }
        transition(
            &mut tx,
            order_id,
            OrderStatus::Failed,
            None,
            Some(&error.to_string()),
        )
        .await?;
        tx.commit().await?;
        Ok(JobOutcome::Done)
    }

    async fn watch_server(
        &self,
        order_id: i64,
        instance_id: i64,
        period_months: i64,
    ) -> Result<JobOutcome, OrderError> {
        let server = db_run!(self.db(), |pool| {
            sqlx::query_as::<_, ServerState>(
                "SELECT status, status_message FROM instances WHERE id = $1",
            )
            .bind(instance_id)
            .fetch_one(pool)
            .await
        })?;
        let now = Utc::now();
        match server.status.as_str() {
            "provisioning" => Ok(wait_for_server(instance_id)),
            "running" | "stopped" => {
                let mut tx = self.db().begin().await?;
                transition(&mut tx, order_id, OrderStatus::Active, None, None).await?;
                // The paid period starts when the server is there to use.
                tx_run!(&mut tx, |conn| {
                    sqlx::query("UPDATE orders SET paid_until = $1 WHERE id = $2")
                        .bind(period_end(now, period_months))
                        .bind(order_id)
                        .execute(conn)
                        .await
                        .map(|_| ())
                })?;
                tx.commit().await?;
                Ok(JobOutcome::Done)
            }
            _ => {
                let reason = server
                    .status_message
                    .unwrap_or_else(|| format!("the server is {}", server.status));
                let mut tx = self.db().begin().await?;
                transition(&mut tx, order_id, OrderStatus::Failed, None, Some(&reason)).await?;
                tx.commit().await?;
                Ok(JobOutcome::Done)
            }
        }
    }
}

/// The order's job sleeps until its server's job wakes it.
fn wait_for_server(instance_id: i64) -> JobOutcome {
    JobOutcome::WaitFor {
        key: provisioned_key(instance_id),
        until: Utc::now() + WAKE_AT_LATEST,
    }
}
