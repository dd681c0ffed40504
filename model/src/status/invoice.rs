//! How an invoice may move (the server's `invoices::transition` stores each change in
//! `invoice_events`). Money that comes in for an invoice that is no longer unpaid does not move
//! it: the payment is recorded for an admin to refund.

use super::statuses;

statuses! {
    pub enum InvoiceStatus as "invoice" {
        Unpaid = "unpaid",
        /// Through the gateway, by an admin (a bank transfer) or by a coupon (nothing to pay).
        Paid = "paid",
        /// Its time to pay ran out.
        Expired = "expired",
        /// Its order was cancelled or terminated before it was paid.
        Cancelled = "cancelled",
        /// Its money went back to the customer.
        Refunded = "refunded",
    }
}

impl InvoiceStatus {
    /// Whether an invoice in this status may move to `next`.
    pub fn can_become(self, next: Self) -> bool {
        use InvoiceStatus::*;
        matches!(
            (self, next),
            (Unpaid, Paid | Expired | Cancelled) | (Paid, Refunded)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::InvoiceStatus::*;
    use crate::status::check_table;

    #[test]
    fn paid_then_refunded_is_allowed_and_final_states_lead_nowhere() {
        check_table(
            &[
                (Unpaid, Paid),
                (Paid, Refunded),
                (Unpaid, Expired),
                (Unpaid, Cancelled),
            ],
            &[Expired, Cancelled, Refunded],
        );
    }

    #[test]
    fn only_a_paid_invoice_is_refunded_and_a_paid_one_is_not_cancelled() {
        for from in [Unpaid, Expired, Cancelled] {
            assert!(!from.can_become(Refunded), "{from} → refunded");
        }
        assert!(!Paid.can_become(Cancelled));
        assert!(!Paid.can_become(Unpaid));
    }
}
