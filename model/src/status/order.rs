//! How an order may move: every change of status goes through [`OrderStatus::can_become`]
//! (the server's `orders::transition` stores each change in `order_events`).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    Provisioning,
    Active,
    /// The provider could not make the server; an admin can retry.
    Failed,
    Cancelled,
    /// Its first invoice expired unpaid.
    Expired,
    /// A renewal went unpaid past the grace period: the server is off.
    Suspended,
    /// Deleted at the provider.
    Terminated,
}

impl OrderStatus {
    /// In the order an order lives through them, as the admin's filter lists them.
    pub const ALL: [Self; 9] = [
        Self::PendingPayment,
        Self::Paid,
        Self::Provisioning,
        Self::Active,
        Self::Failed,
        Self::Suspended,
        Self::Cancelled,
        Self::Expired,
        Self::Terminated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Paid => "paid",
            Self::Provisioning => "provisioning",
            Self::Active => "active",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Suspended => "suspended",
            Self::Terminated => "terminated",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

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
                | (Suspended, Active | Terminated)
        )
    }

    /// No way out: nothing more happens to the order.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Cancelled | Self::Expired | Self::Terminated)
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    #[test]
    fn the_happy_path_and_the_renewal_loop_are_allowed() {
        for (from, to) in [
            (PendingPayment, Paid),
            (Paid, Provisioning),
            (Provisioning, Active),
            (Active, Suspended),
            (Suspended, Active),
            (Suspended, Terminated),
            (Provisioning, Failed),
            (Failed, Provisioning),
            (PendingPayment, Expired),
        ] {
            assert!(from.can_become(to), "{from} → {to}");
        }
    }

    #[test]
    fn final_states_lead_nowhere_and_nothing_skips_payment() {
        for from in [Cancelled, Expired, Terminated] {
            assert!(from.is_final());
            for to in OrderStatus::ALL {
                assert!(!from.can_become(to), "{from} → {to}");
            }
        }
        for to in [Provisioning, Active, Suspended, Terminated] {
            assert!(!PendingPayment.can_become(to), "unpaid → {to}");
        }
        for status in OrderStatus::ALL {
            assert!(!status.can_become(status), "{status} → itself");
        }
    }

    #[test]
    fn every_status_reads_back_from_its_name() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::parse("shipped"), None);
    }
}
