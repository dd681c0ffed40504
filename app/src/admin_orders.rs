//! Admin server functions for orders and billing: every order with filters, one order with its
//! history and invoices, the overrides (cancel, retry, extend, mark paid, mark refunded), every
//! invoice, and coupons. Permission checks and every rule live in `domain::orders` and
//! `domain::billing`; these only read the form and shape the answer for the pages.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::auth::server::{caller, fail, state};
use crate::errors::AppError;
#[cfg(feature = "ssr")]
use crate::errors::Code;

/// An order as the admin pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRow {
    pub id: i64,
    pub user_id: i64,
    pub customer_email: String,
    pub plan_name: String,
    pub region: String,
    pub image: String,
    pub hostname: String,
    pub period_months: i64,
    pub status: String,
    pub status_message: Option<String>,
    pub instance_id: Option<i64>,
    pub paid_until: Option<String>,
    pub placed: String,
}

/// One change of an order's status (or, from a status to itself, an extension).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEventRow {
    pub at: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRow {
    pub id: i64,
    pub number: String,
    pub customer_name: String,
    pub customer_email: String,
    pub order_id: i64,
    /// `new` or `renewal`.
    pub purpose: String,
    pub period_months: i64,
    pub total: i64,
    /// `unpaid`, `paid`, `expired`, `cancelled` or `refunded`.
    pub status: String,
    pub issued: String,
    pub paid_at: Option<String>,
    /// `sandbox`, `tripay`, `manual` or `coupon`.
    pub paid_via: Option<String>,
    pub note: Option<String>,
}

/// Everything the admin's order page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPage {
    pub order: OrderRow,
    pub events: Vec<OrderEventRow>,
    /// Newest first.
    pub invoices: Vec<InvoiceRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponRow {
    pub id: i64,
    pub code: String,
    /// `percent` or `fixed`.
    pub kind: String,
    pub amount: i64,
    /// As the table shows them (`2026-11-01 00:00 UTC`).
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    /// As a `datetime-local` field takes them (`2026-11-01T00:00`, UTC).
    pub valid_from_input: String,
    pub valid_until_input: String,
    pub max_uses: Option<i64>,
    pub max_uses_per_customer: Option<i64>,
    pub used: i64,
    /// Empty: every plan.
    pub plan_ids: Vec<i64>,
    pub active: bool,
}

/// The coupon form, posted as `coupon[code]`… Numbers and times come as typed, so an unreadable
/// one is refused with a message on its field rather than failing the whole request. An unticked
/// checkbox sends nothing, hence the defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponForm {
    pub code: String,
    pub kind: String,
    pub amount: String,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_until: String,
    #[serde(default)]
    pub max_uses: String,
    #[serde(default)]
    pub max_uses_per_customer: String,
    #[serde(default)]
    pub plan_ids: Vec<i64>,
    #[serde(default)]
    pub active: Option<String>,
}

/// The order statuses, in the order an order lives through them.
pub const ORDER_STATUSES: [&str; 9] = [
    "pending_payment",
    "paid",
    "provisioning",
    "active",
    "failed",
    "suspended",
    "cancelled",
    "expired",
    "terminated",
];

pub const INVOICE_STATUSES: [&str; 5] = ["unpaid", "paid", "expired", "cancelled", "refunded"];

#[cfg(feature = "ssr")]
mod convert {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    use domain::billing::invoices::Invoice;
    use domain::orders::coupons::Coupon;
    use domain::orders::{Order, OrderError, OrderEvent};

    use super::*;

    pub fn time(at: DateTime<Utc>) -> String {
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    }

    fn input_time(at: Option<DateTime<Utc>>) -> String {
        at.map(|at| at.format("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default()
    }

    pub fn invalid(field: &'static str, code: Code, message: &str) -> OrderError {
        OrderError::Invalid {
            field,
            code,
            message: message.to_owned(),
        }
    }

    pub fn order(order: Order) -> OrderRow {
        OrderRow {
            id: order.id,
            user_id: order.user_id,
            customer_email: order.owner_email,
            plan_name: order.plan_name,
            region: order.region_slug,
            image: order.image_slug,
            hostname: order.hostname,
            period_months: order.period_months,
            status: order.status,
            status_message: order.status_message,
            instance_id: order.instance_id,
            paid_until: order.paid_until.map(time),
            placed: time(order.created_at),
        }
    }

    pub fn event(event: OrderEvent) -> OrderEventRow {
        OrderEventRow {
            at: time(event.at),
            from_status: event.from_status,
            to_status: event.to_status,
            note: event.note,
        }
    }

    pub fn invoice(invoice: Invoice) -> InvoiceRow {
        InvoiceRow {
            id: invoice.id,
            number: invoice.number,
            customer_name: invoice.customer_name,
            customer_email: invoice.customer_email,
            order_id: invoice.order_id,
            purpose: invoice.purpose,
            period_months: invoice.period_months,
            total: invoice.total,
            status: invoice.status,
            issued: time(invoice.issued_at),
            paid_at: invoice.paid_at.map(time),
            paid_via: invoice.paid_via,
            note: invoice.note,
        }
    }

    pub fn coupon(coupon: Coupon) -> CouponRow {
        CouponRow {
            id: coupon.id,
            code: coupon.code,
            kind: coupon.kind.as_str().to_owned(),
            amount: coupon.amount,
            valid_from_input: input_time(coupon.valid_from),
            valid_until_input: input_time(coupon.valid_until),
            valid_from: coupon.valid_from.map(time),
            valid_until: coupon.valid_until.map(time),
            max_uses: coupon.max_uses,
            max_uses_per_customer: coupon.max_uses_per_customer,
            used: coupon.used,
            plan_ids: coupon.plan_ids,
            active: coupon.active,
        }
    }

    /// A `date` field: empty is none.
    pub fn date(text: &str, field: &'static str) -> Result<Option<NaiveDate>, OrderError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| invalid(field, Code::DateInvalid, "write a date as YYYY-MM-DD"))
    }

    /// A `datetime-local` field, read as UTC like every time the admin pages show.
    pub fn date_time(text: &str, field: &'static str) -> Result<Option<DateTime<Utc>>, OrderError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
            .map(|at| Some(at.and_utc()))
            .ok_or_else(|| invalid(field, Code::DateInvalid, "write a time as YYYY-MM-DD HH:MM"))
    }

    /// A whole number; empty is none.
    pub fn number(text: &str, field: &'static str, code: Code) -> Result<Option<i64>, OrderError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        // People write thousands with dots or spaces: "50.000".
        let digits: String = text.chars().filter(|c| !matches!(c, '.' | ' ')).collect();
        digits
            .parse()
            .map(Some)
            .map_err(|_| invalid(field, code, "write a whole number"))
    }
}

#[cfg(feature = "ssr")]
fn admin() -> Result<domain::accounts::Caller, AppError> {
    let caller = caller()?;
    caller.require_admin().map_err(fail)?;
    Ok(caller)
}

/// Every order, newest first, narrowed by status, a part of the customer's e-mail or the host
/// name, and the days it was placed between (`YYYY-MM-DD`, both included).
#[server]
pub async fn admin_orders(
    status: String,
    search: String,
    from: String,
    to: String,
) -> Result<Vec<OrderRow>, AppError> {
    let filter = domain::orders::OrderFilter {
        status: Some(status.trim().to_owned()).filter(|s| !s.is_empty()),
        search: Some(search.trim().to_owned()).filter(|s| !s.is_empty()),
        placed_from: convert::date(&from, "placed_from").map_err(fail)?,
        placed_to: convert::date(&to, "placed_to").map_err(fail)?,
    };
    let orders = state()?
        .orders
        .list_all(&caller()?, &filter)
        .await
        .map_err(fail)?;
    Ok(orders.into_iter().map(convert::order).collect())
}

#[server]
pub async fn admin_order(id: i64) -> Result<OrderPage, AppError> {
    // The domain shows an order to its owner too; this page is for admins only.
    let detail = state()?.orders.detail(&admin()?, id).await.map_err(fail)?;
    Ok(OrderPage {
        order: convert::order(detail.order),
        events: detail.events.into_iter().map(convert::event).collect(),
        invoices: detail.invoices.into_iter().map(convert::invoice).collect(),
    })
}

#[server]
pub async fn admin_cancel_order(id: i64, note: String) -> Result<OrderRow, AppError> {
    let order = state()?
        .orders
        .cancel(&caller()?, id, &note)
        .await
        .map_err(fail)?;
    Ok(convert::order(order))
}

/// Provisions a failed order again.
#[server]
pub async fn admin_retry_order(id: i64, note: String) -> Result<OrderRow, AppError> {
    let order = state()?
        .orders
        .retry(&caller()?, id, &note)
        .await
        .map_err(fail)?;
    Ok(convert::order(order))
}

/// Moves a running service's paid period on by `days`.
#[server]
pub async fn admin_extend_order(id: i64, days: String, note: String) -> Result<OrderRow, AppError> {
    let days = convert::number(&days, "days", Code::DaysInvalid)
        .map_err(fail)?
        .ok_or_else(|| {
            fail(convert::invalid(
                "days",
                Code::DaysInvalid,
                "how many days?",
            ))
        })?;
    let order = state()?
        .orders
        .extend(&caller()?, id, days, &note)
        .await
        .map_err(fail)?;
    Ok(convert::order(order))
}

/// Settles an invoice paid outside the gateway (a bank transfer).
#[server]
pub async fn admin_mark_invoice_paid(
    invoice_id: i64,
    note: String,
) -> Result<InvoiceRow, AppError> {
    let invoice = state()?
        .billing
        .mark_paid(&caller()?, invoice_id, &note)
        .await
        .map_err(fail)?;
    Ok(convert::invoice(invoice))
}

/// Records that a paid invoice's money was given back.
#[server]
pub async fn admin_mark_invoice_refunded(
    invoice_id: i64,
    note: String,
) -> Result<InvoiceRow, AppError> {
    let invoice = state()?
        .billing
        .mark_refunded(&caller()?, invoice_id, &note)
        .await
        .map_err(fail)?;
    Ok(convert::invoice(invoice))
}

/// Every customer's invoices, newest first; `status` keeps those in that status.
#[server]
pub async fn admin_all_invoices(status: String) -> Result<Vec<InvoiceRow>, AppError> {
    let status = status.trim();
    if !status.is_empty() && !INVOICE_STATUSES.contains(&status) {
        return Err(fail(convert::invalid(
            "status",
            Code::StatusInvalid,
            "no such invoice status",
        )));
    }
    let invoices = state()?
        .billing
        .list(&caller()?, true)
        .await
        .map_err(fail)?;
    // `Billing::list` has no status filter yet; it answers the newest 500, filtered here.
    Ok(invoices
        .into_iter()
        .filter(|invoice| status.is_empty() || invoice.status == status)
        .map(convert::invoice)
        .collect())
}

#[server]
pub async fn admin_coupons() -> Result<Vec<CouponRow>, AppError> {
    let coupons = domain::orders::coupons::list(&state()?.db, &caller()?)
        .await
        .map_err(fail)?;
    Ok(coupons.into_iter().map(convert::coupon).collect())
}

/// Creates a coupon, or rewrites coupon `id` (its use count stays).
#[server]
pub async fn admin_save_coupon(
    #[server(default)] id: Option<i64>,
    coupon: CouponForm,
) -> Result<CouponRow, AppError> {
    use domain::orders::coupons::CouponInput;
    use domain::orders::pricing::CouponKind;
    let admin = caller()?;
    let kind = CouponKind::parse(&coupon.kind).ok_or_else(|| {
        fail(convert::invalid(
            "kind",
            Code::CouponKindInvalid,
            "percent or fixed",
        ))
    })?;
    let input = CouponInput {
        code: coupon.code,
        kind,
        // Zero is refused by the domain with its own message, as an empty amount should be.
        amount: convert::number(&coupon.amount, "amount", Code::CouponAmountInvalid)
            .map_err(fail)?
            .unwrap_or(0),
        valid_from: convert::date_time(&coupon.valid_from, "valid_from").map_err(fail)?,
        valid_until: convert::date_time(&coupon.valid_until, "valid_until").map_err(fail)?,
        max_uses: convert::number(&coupon.max_uses, "max_uses", Code::CouponLimitInvalid)
            .map_err(fail)?,
        max_uses_per_customer: convert::number(
            &coupon.max_uses_per_customer,
            "max_uses_per_customer",
            Code::CouponLimitInvalid,
        )
        .map_err(fail)?,
        plan_ids: coupon.plan_ids,
        active: coupon.active.is_some(),
    };
    let saved = domain::orders::coupons::save(&state()?.db, &admin, id, &input)
        .await
        .map_err(fail)?;
    Ok(convert::coupon(saved))
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::convert::{date, date_time, number};
    use crate::errors::Code;

    #[test]
    fn numbers_read_as_admins_write_them() {
        let amount = Code::CouponAmountInvalid;
        assert_eq!(number("", "amount", amount).unwrap(), None);
        assert_eq!(number(" 10 ", "amount", amount).unwrap(), Some(10));
        assert_eq!(number("50.000", "amount", amount).unwrap(), Some(50_000));
        assert_eq!(
            number("1 250 000", "amount", amount).unwrap(),
            Some(1_250_000)
        );
        let error = number("nol", "max_uses", Code::CouponLimitInvalid).unwrap_err();
        assert!(matches!(
            error,
            domain::orders::OrderError::Invalid {
                field: "max_uses",
                code: Code::CouponLimitInvalid,
                ..
            }
        ));
    }

    #[test]
    fn form_times_are_utc_and_empty_means_none() {
        assert_eq!(date_time("", "valid_from").unwrap(), None);
        let at = date_time("2026-12-31T23:59", "valid_until")
            .unwrap()
            .unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-31T23:59:00+00:00");
        let with_seconds = date_time("2026-12-31T23:59:30", "valid_until")
            .unwrap()
            .unwrap();
        assert_eq!(with_seconds.to_rfc3339(), "2026-12-31T23:59:30+00:00");
        assert!(date_time("31/12/2026", "valid_until").is_err());
        assert_eq!(
            date("2026-11-02", "placed_from")
                .unwrap()
                .map(|d| d.to_string()),
            Some("2026-11-02".to_owned())
        );
        assert!(date("kemarin", "placed_from").is_err());
    }
}
