//! Orders as the order wizard, the order pages and the REST API exchange them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::billing::{Invoice, Line};
use crate::ids::{CouponId, InstanceId, InvoiceId, OrderId, PlanId, SshKeyId, UserId};
use crate::status::{OrderStatus, ResizeStatus};

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

/// What a customer asks for to move a service to another plan:
/// `POST /api/v1/orders/{id}/resize`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResizeRequest {
    pub plan_id: PlanId,
}

/// A plan a service can move to, and what moving now is billed (docs/billing.md, "Resize").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResizeOption {
    pub plan_id: PlanId,
    pub plan_name: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    /// Its monthly price before any discount.
    pub price_idr_monthly: i64,
    /// Smaller than the plan the service has: nothing is billed, nothing given back.
    pub smaller: bool,
    /// The rest of the paid period at the new plan's price less the old one's, with PPN;
    /// `total` 0 when nothing is due.
    pub quote: Quote,
}

/// One move of a service to another plan, as its owner and admins follow it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resize {
    pub id: i64,
    pub order_id: OrderId,
    pub from_plan_name: String,
    pub to_plan_name: String,
    pub status: ResizeStatus,
    /// The invoice for the rest of the period; none when nothing was due.
    pub invoice_id: Option<InvoiceId>,
    /// Why it failed, in the provider's or our words.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Where a service stands for a move to another plan: the plans it can move to now, or why it
/// cannot, and its latest resize.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResizeOptions {
    pub options: Vec<ResizeOption>,
    /// Why no move can be asked for now (an error code the UI translates), when none can.
    pub unavailable: Option<String>,
    /// How much of the paid period is left and how long it is, in seconds: the share billed.
    pub remaining_seconds: i64,
    pub period_seconds: i64,
    pub latest: Option<Resize>,
}

/// A resize asked for, and its invoice when something is due (pay it to start the resize).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResizeStarted {
    pub resize: Resize,
    pub invoice: Option<Invoice>,
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
