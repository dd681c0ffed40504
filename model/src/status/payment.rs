//! How one attempt to pay an invoice may move, as its gateway reports it (the server's
//! `payments::transition`). Money can arrive after the attempt expired or failed: the attempt
//! still becomes paid, so the money is never lost from view.

use super::statuses;

statuses! {
    pub enum PaymentStatus as "payment" {
        /// Waiting for the customer's money.
        Unpaid = "unpaid",
        Paid = "paid",
        Expired = "expired",
        Failed = "failed",
        /// Its money went back to the customer.
        Refunded = "refunded",
    }
}

impl PaymentStatus {
    /// Whether a payment in this status may move to `next`.
    pub fn can_become(self, next: Self) -> bool {
        use PaymentStatus::*;
        matches!(
            (self, next),
            (Unpaid, Paid | Expired | Failed) | (Expired | Failed, Paid) | (Paid, Refunded)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::PaymentStatus::*;
    use crate::status::check_table;

    #[test]
    fn paid_late_or_refunded_is_allowed_and_a_refund_is_final() {
        check_table(
            &[
                (Unpaid, Paid),
                (Paid, Refunded),
                (Unpaid, Expired),
                (Expired, Paid),
                (Unpaid, Failed),
                (Failed, Paid),
            ],
            &[Refunded],
        );
    }

    #[test]
    fn a_paid_payment_neither_expires_nor_fails() {
        for to in [Unpaid, Expired, Failed] {
            assert!(!Paid.can_become(to), "paid → {to}");
        }
        assert!(!Unpaid.can_become(Refunded));
    }
}
