//! What happens to a service when its paid period ends. One whose owner turned auto-renew off
//! ends then (cancelled, its server deleted). One whose renewal goes unpaid: `renewal_grace`
//! after its paid period ends it is suspended (its server powered off and locked), and `termination_after` later it
//! is terminated (its server deleted, its unpaid invoices cancelled). Paying the renewal while
//! suspended brings it back ([`super::invoice_paid`]). Like renewals, the sweep takes `now` as
//! an argument so tests run it on their own clock; run twice, it does nothing the second time.

use chrono::{DateTime, Utc};

use super::{OrderError, OrderStatus, Orders, self_service, transition};
use crate::billing::invoices::{self, InvoiceChange};
use crate::instances::suspension;
use crate::{db_run, tx_run};

pub const DUE_DATES_JOB: &str = "order_due_dates";

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub suspended: usize,
    pub terminated: usize,
    /// Services ended with their paid period because their owner turned auto-renew off.
    pub ended: usize,
    /// Suspended servers found running again and powered off.
    pub powered_off: usize,
}

#[derive(sqlx::FromRow)]
struct Service {
    id: i64,
    instance_id: Option<i64>,
}

impl Orders {
    pub async fn enforce_due_dates(&self, now: DateTime<Utc>) -> Result<Sweep, OrderError> {
        let mut sweep = Sweep::default();
        let ending = self
            .services(
                "o.status IN ('active', 'suspended') AND NOT o.auto_renew \
                 AND o.paid_until IS NOT NULL AND o.paid_until <= $1",
                now,
            )
            .await?;
        for service in ending {
            let mut tx = self.db().begin().await?;
            if self_service::end_with_period(&mut tx, service.id, service.instance_id, now)
                .await
                .or_else(ignore_moved_on)?
            {
                tx.commit().await?;
                sweep.ended += 1;
            }
        }
        let overdue = self
            .services(
                "o.status = 'active' AND o.paid_until IS NOT NULL AND o.paid_until <= $1",
                now - self.config().renewal_grace,
            )
            .await?;
        for service in overdue {
            let mut tx = self.db().begin().await?;
            // Claimed with the condition checked again under the row's lock: a renewal paid a
            // moment ago has moved the period on.
            let claimed = tx_run!(&mut tx, |conn| {
                sqlx::query(
                    "UPDATE orders SET suspended_at = $1 WHERE id = $2 AND status = 'active' \
                     AND paid_until <= $3",
                )
                .bind(now)
                .bind(service.id)
                .bind(now - self.config().renewal_grace)
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
            })?;
            if claimed == 0 {
                continue;
            }
            transition(
                &mut tx,
                service.id,
                OrderStatus::Suspended,
                None,
                Some("the renewal invoice was not paid"),
            )
            .await?;
            if let Some(instance_id) = service.instance_id {
                suspension::suspend(&mut tx, instance_id, "the renewal invoice was not paid")
                    .await?;
            }
            tx.commit().await?;
            sweep.suspended += 1;
        }

        let ending = self
            .services(
                "o.status = 'suspended' AND o.suspended_at <= $1",
                now - self.config().termination_after,
            )
            .await?;
        for service in ending {
            let mut tx = self.db().begin().await?;
            if !transition(
                &mut tx,
                service.id,
                OrderStatus::Terminated,
                None,
                Some("suspended unpaid until the end of the notice period"),
            )
            .await
            .map_or_else(ignore_moved_on, |_| Ok(true))?
            {
                continue;
            }
            invoices::cancel_unpaid(
                &mut tx,
                service.id,
                InvoiceChange {
                    note: Some("service terminated"),
                    ..InvoiceChange::default()
                },
            )
            .await?;
            if let Some(instance_id) = service.instance_id {
                suspension::terminate(&mut tx, instance_id, "the service was terminated").await?;
            }
            tx.commit().await?;
            sweep.terminated += 1;
        }

        let still_suspended = self
            .services(
                "o.status = 'suspended' AND o.suspended_at > $1",
                now - self.config().termination_after,
            )
            .await?;
        for service in still_suspended {
            let Some(instance_id) = service.instance_id else {
                continue;
            };
            let mut tx = self.db().begin().await?;
            if suspension::keep_off(&mut tx, instance_id).await? {
                sweep.powered_off += 1;
            }
            tx.commit().await?;
        }
        Ok(sweep)
    }

    async fn services(
        &self,
        condition: &str,
        bound: DateTime<Utc>,
    ) -> Result<Vec<Service>, OrderError> {
        let sql =
            format!("SELECT o.id, o.instance_id FROM orders o WHERE {condition} ORDER BY o.id");
        Ok(db_run!(self.db(), |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(bound)
                .fetch_all(pool)
                .await
        })?)
    }
}

/// Another node (or a payment) moved the order on since it was read: nothing to do for it.
fn ignore_moved_on(error: OrderError) -> Result<bool, OrderError> {
    match error {
        OrderError::IllegalTransition { .. } => Ok(false),
        other => Err(other),
    }
}
