//! How a customer reads the status of an order, an invoice or a payment: its words and the
//! coloured badge it is shown in.

use leptos::prelude::*;

use crate::i18n::{Messages, use_i18n};
use model::status::{InvoiceStatus, OrderStatus, PaymentStatus, Status};

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

/// A coloured pill for an order's, invoice's or payment's status.
#[component]
pub fn Badge<S: Status>(
    status: S,
    text: fn(&'static Messages, S) -> &'static str,
    testid: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let colour = match status.as_str() {
        "active" | "paid" => {
            "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300"
        }
        "failed" | "expired" | "suspended" => {
            "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300"
        }
        "cancelled" | "terminated" | "refunded" => {
            "bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300"
        }
        "provisioning" => "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
        _ => "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300",
    };
    view! {
        <span data-testid=testid data-status=status.as_str() class=format!("inline-flex items-center rounded-full px-2.5 py-0.5 text-xs font-semibold print:border print:border-current {colour}")>
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
