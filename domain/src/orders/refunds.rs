//! What a refund made at the payment gateway takes back (a `REFUND` callback, or the same
//! status found by reconciling): the money went back to the customer, so what the invoice
//! bought ends. A new order's service is cancelled and its server deleted; a renewal's period
//! is taken off the service, which then renews, or is suspended and terminated, like any
//! service whose period ran out; a top-up's credit is taken back. An admin's "mark refunded" records money sent back outside the
//! gateway and leaves the service to that admin (docs/billing.md).

use chrono::{DateTime, Utc};

use super::{OrderError, OrderStatus, cancel_with_server, period_start, record_event};
use crate::billing::credit;
use crate::billing::invoices::{Invoice, Purpose};
use crate::db::Tx;
use crate::notifications::{self, Notice};
use crate::tx_run;

/// The history's note when a refund at the gateway ends a service, translated on the order page.
pub const REFUNDED: &str = "the payment was refunded";

#[derive(sqlx::FromRow)]
struct Refunded {
    status: String,
    instance_id: Option<i64>,
    paid_until: Option<DateTime<Utc>>,
    hostname: String,
}

/// Applies a gateway refund of `invoice`, inside the transaction that marked it refunded.
pub(crate) async fn invoice_refunded(tx: &mut Tx, invoice: &Invoice) -> Result<(), OrderError> {
    let Some(order_id) = invoice.order_id else {
        return Ok(credit::top_up_refunded(tx, invoice).await?);
    };
    let order: Option<Refunded> = tx_run!(tx, |conn| {
        sqlx::query_as("SELECT status, instance_id, paid_until, hostname FROM orders WHERE id = $1")
            .bind(order_id)
            .fetch_optional(conn)
            .await
    })?;
    let Some(Refunded {
        status,
        instance_id,
        paid_until,
        hostname,
    }) = order
    else {
        return Ok(());
    };
    let status = OrderStatus::parse(&status).ok_or(OrderError::NotFound)?;
    if invoice.purpose == Purpose::Renewal.as_str() {
        let Some(paid_until) =
            paid_until.filter(|_| matches!(status, OrderStatus::Active | OrderStatus::Suspended))
        else {
            return Ok(());
        };
        let back = period_start(paid_until, invoice.period_months);
        tx_run!(tx, |conn| {
            sqlx::query("UPDATE orders SET paid_until = $1, updated_at = $2 WHERE id = $3")
                .bind(back)
                .bind(Utc::now())
                .bind(order_id)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        let note = format!(
            "renewal {} refunded: paid until {}",
            invoice.number,
            back.format("%Y-%m-%d %H:%M UTC")
        );
        record_event(
            tx,
            order_id,
            Some(status),
            status,
            None,
            Some(&note),
            Utc::now(),
        )
        .await?;
        let notice = Notice::renewal_refunded(order_id, &hostname, &invoice.number, back);
        notifications::notify(tx, invoice.user_id, &notice).await?;
        return Ok(());
    }
    match status {
        OrderStatus::Paid | OrderStatus::Failed | OrderStatus::Active | OrderStatus::Suspended => {
            cancel_with_server(tx, order_id, instance_id, None, REFUNDED).await?;
        }
        // Its server is being made: an admin ends the service once the server is there.
        OrderStatus::Provisioning => {
            let notice =
                Notice::admin_refunded_while_provisioning(order_id, &hostname, &invoice.number);
            notifications::notify_admins(tx, &notice).await?;
        }
        OrderStatus::PendingPayment
        | OrderStatus::Cancelled
        | OrderStatus::Expired
        | OrderStatus::Terminated => {}
    }
    Ok(())
}
