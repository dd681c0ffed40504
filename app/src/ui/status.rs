//! How a customer reads the status of an order, an invoice, a payment or a change of plan: its words and the
//! coloured badge it is shown in.

use leptos::prelude::*;

use crate::i18n::{Messages, use_i18n};
use crate::ui::style::{PILL, PILL_BAD, PILL_BUSY, PILL_GOOD, PILL_QUIET, PILL_WAITING};
use model::status::{InvoiceStatus, OrderStatus, PaymentStatus, ResizeStatus, Status};

pub fn order_status_text(m: &'static Messages, status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::PendingPayment => m.orders_status_pending_payment,
        OrderStatus::Paid => m.orders_status_paid,
        OrderStatus::Provisioning => m.orders_status_provisioning,
        OrderStatus::Active => m.orders_status_active,
        OrderStatus::Failed => m.orders_status_failed,
        OrderStatus::Cancelled => m.orders_status_cancelled,
        OrderStatus::Expired => m.orders_status_expired,
        OrderStatus::Suspended => m.orders_status_suspended,
        OrderStatus::Terminated => m.orders_status_terminated,
    }
}

pub fn invoice_status_text(m: &'static Messages, status: InvoiceStatus) -> &'static str {
    match status {
        InvoiceStatus::Unpaid => m.orders_invoice_status_unpaid,
        InvoiceStatus::Paid => m.orders_invoice_status_paid,
        InvoiceStatus::Expired => m.orders_invoice_status_expired,
        InvoiceStatus::Cancelled => m.orders_invoice_status_cancelled,
        InvoiceStatus::Refunded => m.orders_invoice_status_refunded,
    }
}

pub fn payment_status_text(m: &'static Messages, status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Unpaid => m.orders_payment_status_unpaid,
        PaymentStatus::Paid => m.orders_payment_status_paid,
        PaymentStatus::Expired => m.orders_payment_status_expired,
        PaymentStatus::Failed => m.orders_payment_status_failed,
        PaymentStatus::Refunded => m.orders_payment_status_refunded,
    }
}

pub fn resize_status_text(m: &'static Messages, status: ResizeStatus) -> &'static str {
    match status {
        ResizeStatus::AwaitingPayment => m.orders_resize_status_awaiting_payment,
        ResizeStatus::Queued => m.orders_resize_status_queued,
        ResizeStatus::Stopping => m.orders_resize_status_stopping,
        ResizeStatus::Resizing => m.orders_resize_status_resizing,
        ResizeStatus::Starting => m.orders_resize_status_starting,
        ResizeStatus::Done => m.orders_resize_status_done,
        ResizeStatus::Failed => m.orders_resize_status_failed,
        ResizeStatus::Cancelled => m.orders_resize_status_cancelled,
    }
}

/// A coloured pill for an order's, invoice's, payment's or resize's status.
#[component]
pub fn Badge<S: Status>(
    status: S,
    text: fn(&'static Messages, S) -> &'static str,
    testid: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let colour = match status.as_str() {
        "active" | "paid" | "done" => PILL_GOOD,
        "failed" | "expired" | "suspended" => PILL_BAD,
        "cancelled" | "terminated" | "refunded" => PILL_QUIET,
        "provisioning" | "queued" | "stopping" | "resizing" | "starting" => PILL_BUSY,
        _ => PILL_WAITING,
    };
    view! {
        <span data-testid=testid data-status=status.as_str() class=format!("{PILL} {colour}")>
            {move || text(i18n.t(), status)}
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn every_order_status_has_its_own_text() {
        for lang in Lang::ALL {
            let m = lang.messages();
            let texts: std::collections::BTreeSet<_> = OrderStatus::ALL
                .iter()
                .map(|status| order_status_text(m, *status))
                .collect();
            assert_eq!(texts.len(), OrderStatus::ALL.len(), "{lang:?}");
            assert!(!texts.contains(m.orders_status_unknown));
        }
    }
}
