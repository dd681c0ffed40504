//! What a customer decides about their own orders without asking anyone: cancel an order not
//! paid yet (its coupon use is given back), end a service now (its server is deleted; typing
//! the host name confirms), or let it end with its paid period by turning auto-renew off (no
//! renewal invoice is issued, and an open one is cancelled), and turn auto-renew back on.
//!
//! What was paid for a period already begun is not given back: the service ends, the money
//! stays (docs/billing.md). Only the order's owner may do any of this; to everyone else the
//! order does not exist.

use chrono::{DateTime, Utc};

use super::{
    Order, OrderError, OrderStatus, Orders, cancel_with_server, coupons, invalid, record_event,
};
use crate::billing::invoices::{self, InvoiceChange};
use crate::caller::Caller;
use crate::db::Tx;
use crate::error::Code;
use crate::tx_run;

/// The history's note when the customer cancels, translated on the order page.
pub const CANCELLED_BY_CUSTOMER: &str = "cancelled by the customer";
/// The history's note when a service ends with its paid period, auto-renew off.
pub const ENDED_WITH_PERIOD: &str = "auto-renew was off: the service ended with its paid period";
/// The history's notes when auto-renew is turned off and on.
pub const AUTO_RENEW_OFF: &str = "auto-renew turned off";
pub const AUTO_RENEW_ON: &str = "auto-renew turned on";

impl Orders {
    /// The caller's own order, or not found: another customer's, and an admin's look at
    /// someone else's, are both refused, since these are the owner's decisions.
    pub(super) async fn own(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<(Order, OrderStatus), OrderError> {
        let order = self.by_id(id).await?;
        if order.user_id != caller.user_id {
            return Err(OrderError::NotFound);
        }
        let status = OrderStatus::parse(&order.status).ok_or(OrderError::NotFound)?;
        Ok((order, status))
    }

    /// Cancels one of the caller's orders. One waiting for payment is cancelled with its
    /// invoice, and its coupon use is given back. A running or suspended service ends now and
    /// its server is deleted: `confirm` must be its host name. An order on its way to a server
    /// (paid, being made) or already closed cannot be cancelled.
    pub async fn cancel_mine(
        &self,
        caller: &Caller,
        id: i64,
        confirm: Option<&str>,
    ) -> Result<Order, OrderError> {
        let (order, status) = self.own(caller, id).await?;
        let ends_service = match status {
            OrderStatus::PendingPayment => false,
            OrderStatus::Active | OrderStatus::Suspended => true,
            from => {
                return Err(OrderError::IllegalTransition {
                    from,
                    to: OrderStatus::Cancelled,
                });
            }
        };
        if ends_service
            && !confirm.is_some_and(|typed| typed.trim().eq_ignore_ascii_case(&order.hostname))
        {
            return Err(invalid(
                "confirm",
                Code::ConfirmationMismatch,
                format!(
                    "type the host name, {}, to confirm that its server is deleted",
                    order.hostname
                ),
            ));
        }
        let mut tx = self.db.begin().await?;
        cancel_with_server(
            &mut tx,
            id,
            order.instance_id,
            Some(caller.user_id),
            CANCELLED_BY_CUSTOMER,
        )
        .await?;
        if !ends_service {
            coupons::release(&mut tx, id).await?;
        }
        tx.commit().await?;
        self.by_id(id).await
    }

    /// Turns auto-renew of one of the caller's services on or off. Off, no renewal invoice is
    /// issued and an open one is cancelled: the service ends when its paid period does. On
    /// again, the hourly renewal sweep issues the invoice when it is due. Setting what is
    /// already set changes nothing.
    pub async fn set_auto_renew(
        &self,
        caller: &Caller,
        id: i64,
        on: bool,
    ) -> Result<Order, OrderError> {
        let (order, status) = self.own(caller, id).await?;
        if !matches!(
            status,
            OrderStatus::Paid
                | OrderStatus::Provisioning
                | OrderStatus::Active
                | OrderStatus::Suspended
        ) {
            return Err(invalid(
                "auto_renew",
                Code::NotRunning,
                "only a service that runs or is on its way has a renewal to change",
            ));
        }
        if order.auto_renew == on {
            return Ok(order);
        }
        let mut tx = self.db.begin().await?;
        let now = Utc::now();
        let changed = tx_run!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE orders SET auto_renew = $1, updated_at = $2 WHERE id = $3 \
                 AND auto_renew = $4",
            )
            .bind(on)
            .bind(now)
            .bind(id)
            .bind(!on)
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
        })?;
        if changed == 1 {
            let note = if on { AUTO_RENEW_ON } else { AUTO_RENEW_OFF };
            record_event(
                &mut tx,
                id,
                Some(status),
                status,
                Some(caller.user_id),
                Some(note),
                now,
            )
            .await?;
            if !on {
                invoices::cancel_unpaid(
                    &mut tx,
                    id,
                    InvoiceChange {
                        note: Some(AUTO_RENEW_OFF),
                        actor_user_id: Some(caller.user_id),
                        ..InvoiceChange::default()
                    },
                )
                .await?;
            }
        }
        tx.commit().await?;
        self.by_id(id).await
    }
}

/// Ends, at `now`, a service whose owner turned auto-renew off and whose paid period is over:
/// the order is cancelled and its server deleted. Part of the due-dates sweep; answers whether
/// this call ended it (another node, or a renewal turned back on, may have come first).
pub(super) async fn end_with_period(
    tx: &mut Tx,
    order_id: i64,
    instance_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<bool, OrderError> {
    let still_due: Option<i64> = tx_run!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT id FROM orders WHERE id = $1 AND NOT auto_renew AND paid_until <= $2 \
             AND status IN ('active', 'suspended')",
        )
        .bind(order_id)
        .bind(now)
        .fetch_optional(conn)
        .await
    })?;
    if still_due.is_none() {
        return Ok(false);
    }
    cancel_with_server(tx, order_id, instance_id, None, ENDED_WITH_PERIOD).await?;
    Ok(true)
}
