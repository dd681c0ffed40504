//! How an order may move: every change of status goes through [`OrderStatus::can_become`]
//! (the server's `orders::transition` stores each change in `order_events`).

use super::statuses;

statuses! {
    pub enum OrderStatus as "order" {
        PendingPayment = "pending_payment",
        Paid = "paid",
        Provisioning = "provisioning",
        Active = "active",
        /// The provider could not make the server; an admin can retry.
        Failed = "failed",
        /// A renewal went unpaid past the grace period: the server is off.
        Suspended = "suspended",
        Cancelled = "cancelled",
        /// Its first invoice expired unpaid.
        Expired = "expired",
        /// Deleted at the provider.
        Terminated = "terminated",
    }
}

impl OrderStatus {
    /// Whether an order in this status may move to `next`.
    pub fn can_become(self, next: Self) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (PendingPayment, Paid | Cancelled | Expired)
                | (Paid, Provisioning | Cancelled)
                | (Provisioning, Active | Failed)
                // An admin retries, or gives up and refunds.
                | (Failed, Provisioning | Cancelled)
                | (Active, Suspended | Terminated | Cancelled)
                // The customer may end a suspended service too, rather than wait for it.
                | (Suspended, Active | Terminated | Cancelled)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use crate::status::check_table;

    #[test]
    fn the_happy_path_and_the_renewal_loop_are_allowed_and_final_states_lead_nowhere() {
        check_table(
            &[
                (PendingPayment, Paid),
                (Paid, Provisioning),
                (Provisioning, Active),
                (Active, Suspended),
                (Suspended, Active),
                (Suspended, Terminated),
                (Suspended, Cancelled),
                (Provisioning, Failed),
                (Failed, Provisioning),
                (PendingPayment, Expired),
            ],
            &[Cancelled, Expired, Terminated],
        );
    }

    #[test]
    fn nothing_skips_payment() {
        for to in [Provisioning, Active, Suspended, Terminated] {
            assert!(!PendingPayment.can_become(to), "unpaid → {to}");
        }
    }
}
