//! Orders as the pages and the REST API see them: each stored row turned into its `model`
//! type here, once, so neither edge copies or reshapes them.

use model::ids::{InstanceId, OrderId, PlanId, UserId};
use model::orders as view;
use model::status::OrderStatus;

use super::{Order, OrderDetail, OrderEvent, Placed};
use crate::billing::invoices::Invoice;

/// A status read back from our own column; one written by an older release that no longer
/// exists reads as the nearest thing a person can act on: pending, i.e. nothing happened yet.
fn status(text: &str) -> OrderStatus {
    OrderStatus::parse(text).unwrap_or(OrderStatus::PendingPayment)
}

impl From<Order> for view::Order {
    fn from(order: Order) -> Self {
        Self {
            id: OrderId(order.id),
            user_id: UserId(order.user_id),
            owner_email: order.owner_email,
            plan_id: PlanId(order.plan_id),
            plan_name: order.plan_name,
            region: order.region_slug,
            image: order.image_slug,
            hostname: order.hostname,
            period_months: order.period_months,
            status: status(&order.status),
            status_message: order.status_message,
            instance_id: order.instance_id.map(InstanceId),
            paid_until: order.paid_until,
            auto_renew: order.auto_renew,
            created_at: order.created_at,
        }
    }
}

impl From<OrderEvent> for view::OrderEvent {
    fn from(event: OrderEvent) -> Self {
        Self {
            at: event.at,
            from_status: event.from_status.as_deref().map(status),
            to_status: status(&event.to_status),
            note: event.note,
        }
    }
}

impl From<OrderDetail> for view::OrderPage {
    fn from(detail: OrderDetail) -> Self {
        Self {
            order: detail.order.into(),
            events: detail.events.into_iter().map(Into::into).collect(),
            invoices: detail.invoices.into_iter().map(Invoice::into).collect(),
        }
    }
}

impl From<Placed> for view::Placed {
    fn from(placed: Placed) -> Self {
        Self {
            order: placed.order.into(),
            invoice: placed.invoice.into(),
        }
    }
}
