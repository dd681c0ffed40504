//! Orders as the order wizard, the order pages and the REST API exchange them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::billing::{Invoice, Line};
use crate::ids::{CouponId, InstanceId, OrderId, PlanId, SshKeyId, UserId};
use crate::status::OrderStatus;

/// What a customer orders: the wizard's answers, and the REST API's `POST /api/v1/orders`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    pub plan_id: PlanId,
    /// The region's slug (`sbx-jkt1`).
    pub region: String,
    /// The image's slug (`ubuntu-24-04-x64`).
    pub image: String,
    pub hostname: String,
    pub period_months: i64,
    #[serde(default)]
    pub ssh_key_ids: Vec<SshKeyId>,
    #[serde(default)]
    pub coupon: Option<String>,
}

/// An order's price, before it is placed or as it was billed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub lines: Vec<Line>,
    /// Before any discount.
    pub subtotal: i64,
    /// The period's discount and the coupon's, together.
    pub discount: i64,
    /// Of `discount`, what the billing period takes off.
    pub period_discount: i64,
    /// Of `discount`, what the coupon takes off.
    pub coupon_discount: i64,
    pub tax_rate_bp: i64,
    pub tax: i64,
    pub total: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub user_id: UserId,
    pub owner_email: String,
    pub plan_id: PlanId,
    pub plan_name: String,
    /// The region's slug.
    pub region: String,
    /// The image's slug.
    pub image: String,
    pub hostname: String,
    pub period_months: i64,
    pub status: OrderStatus,
    /// Why it failed or what an admin noted, in a person's words.
    pub status_message: Option<String>,
    pub instance_id: Option<InstanceId>,
    pub paid_until: Option<DateTime<Utc>>,
    /// A renewal invoice is issued before the paid period ends; when off, the service ends
    /// with its paid period.
    pub auto_renew: bool,
    pub created_at: DateTime<Utc>,
}

/// One change of an order's status (or, from a status to itself, an extension).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub at: DateTime<Utc>,
    pub from_status: Option<OrderStatus>,
    pub to_status: OrderStatus,
    pub note: Option<String>,
}

/// An order with its history and its invoices (newest first), for its owner and for admins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPage {
    pub order: Order,
    pub events: Vec<OrderEvent>,
    pub invoices: Vec<Invoice>,
}

/// A placed order and the invoice to pay for it (already paid when nothing was due).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placed {
    pub order: Order,
    pub invoice: Invoice,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouponKind {
    /// `amount` percent off.
    Percent,
    /// `amount` rupiah off.
    Fixed,
}

impl CouponKind {
    pub const ALL: [Self; 2] = [Self::Percent, Self::Fixed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Percent => "percent",
            Self::Fixed => "fixed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    pub id: CouponId,
    pub code: String,
    pub kind: CouponKind,
    pub amount: i64,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub max_uses: Option<i64>,
    pub max_uses_per_customer: Option<i64>,
    pub used: i64,
    /// Empty: every plan.
    pub plan_ids: Vec<PlanId>,
    pub active: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_request_needs_only_what_a_person_picks() {
        let request: OrderRequest = serde_json::from_str(
            r#"{"plan_id": 3, "region": "sbx-jkt1", "image": "debian-12", "hostname": "web-1", "period_months": 1}"#,
        )
        .unwrap_or_default();
        assert_eq!(request.plan_id, PlanId(3));
        assert!(request.ssh_key_ids.is_empty());
        assert_eq!(request.coupon, None);
    }

    #[test]
    fn every_coupon_kind_reads_back_from_its_name() {
        for kind in CouponKind::ALL {
            assert_eq!(CouponKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(CouponKind::parse("free"), None);
    }
}
