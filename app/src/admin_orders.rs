//! Admin server functions for orders and billing: every order with filters, one order with its
//! history and invoices, the overrides (cancel, retry, extend, mark paid, mark refunded, refund
//! to credit), every
//! invoice, and coupons. Permission checks and every rule live in `domain::orders` and
//! `domain::billing`; these only read the form and shape the answer for the pages.

use leptos::prelude::*;
use model::billing::Invoice;
use model::ids::{CouponId, InvoiceId, OrderId};
use model::orders::{Coupon, Order, OrderPage};
#[cfg(feature = "ssr")]
use model::status::InvoiceStatus;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::auth::server::{caller, fail, state};
use crate::errors::AppError;
#[cfg(feature = "ssr")]
use crate::errors::{Code, reject};

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

/// Reading the admin forms: numbers, dates and times come as typed, so an unreadable one is
/// refused with a message on its field.
#[cfg(feature = "ssr")]
mod form {
    use chrono::{DateTime, NaiveDate, Utc};
    use domain::orders::OrderError;
    use model::time::TimeZone;

    use crate::errors::Code;

    pub fn invalid(field: &'static str, code: Code, message: &str) -> OrderError {
        OrderError::Invalid {
            field,
            code,
            message: message.to_owned(),
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

    /// A `datetime-local` field, read in the admin's time zone as the pages show times.
    pub fn date_time(
        text: &str,
        field: &'static str,
        zone: TimeZone,
    ) -> Result<Option<DateTime<Utc>>, OrderError> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        model::time::parse_form_input(text, zone)
            .map(Some)
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
fn admin() -> Result<domain::caller::Caller, AppError> {
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
) -> Result<Vec<Order>, AppError> {
    let filter = domain::orders::OrderFilter {
        status: Some(status.trim().to_owned()).filter(|s| !s.is_empty()),
        search: Some(search.trim().to_owned()).filter(|s| !s.is_empty()),
        placed_from: form::date(&from, "placed_from").map_err(fail)?,
        placed_to: form::date(&to, "placed_to").map_err(fail)?,
    };
    let orders = state()?
        .orders
        .list_all(&caller()?, &filter)
        .await
        .map_err(fail)?;
    Ok(orders.into_iter().map(Into::into).collect())
}

#[server]
pub async fn admin_order(id: OrderId) -> Result<OrderPage, AppError> {
    // The domain shows an order to its owner too; this page is for admins only.
    let detail = state()?
        .orders
        .detail(&admin()?, id.get())
        .await
        .map_err(fail)?;
    Ok(detail.into())
}

#[server]
pub async fn admin_cancel_order(id: OrderId, note: String) -> Result<Order, AppError> {
    let order = state()?
        .orders
        .cancel(&caller()?, id.get(), &note)
        .await
        .map_err(fail)?;
    Ok(order.into())
}

/// Provisions a failed order again.
#[server]
pub async fn admin_retry_order(id: OrderId, note: String) -> Result<Order, AppError> {
    let order = state()?
        .orders
        .retry(&caller()?, id.get(), &note)
        .await
        .map_err(fail)?;
    Ok(order.into())
}

/// Moves a running service's paid period on by `days`.
#[server]
pub async fn admin_extend_order(
    id: OrderId,
    days: String,
    note: String,
) -> Result<Order, AppError> {
    let days = form::number(&days, "days", Code::DaysInvalid)
        .map_err(fail)?
        .ok_or_else(|| fail(form::invalid("days", Code::DaysInvalid, "how many days?")))?;
    let order = state()?
        .orders
        .extend(&caller()?, id.get(), days, &note)
        .await
        .map_err(fail)?;
    Ok(order.into())
}

/// Settles an invoice paid outside the gateway (a bank transfer).
#[server]
pub async fn admin_mark_invoice_paid(
    invoice_id: InvoiceId,
    note: String,
) -> Result<Invoice, AppError> {
    let invoice = state()?
        .billing
        .mark_paid(&caller()?, invoice_id.get(), &note)
        .await
        .map_err(fail)?;
    Ok(invoice.into())
}

/// Records that a paid invoice's money was given back.
#[server]
pub async fn admin_mark_invoice_refunded(
    invoice_id: InvoiceId,
    note: String,
) -> Result<Invoice, AppError> {
    let invoice = state()?
        .billing
        .mark_refunded(&caller()?, invoice_id.get(), &note)
        .await
        .map_err(fail)?;
    Ok(invoice.into())
}

/// Gives `amount` rupiah of a paid invoice (all that is left when empty) back as credit.
#[server]
pub async fn admin_refund_to_credit(
    invoice_id: InvoiceId,
    amount: String,
    note: String,
) -> Result<Invoice, AppError> {
    let amount = match amount.trim() {
        "" => None,
        typed => Some(typed.parse::<i64>().map_err(|_| {
            reject(AppError {
                field: Some("amount".into()),
                ..AppError::new(Code::CreditAmountInvalid)
            })
        })?),
    };
    let invoice = state()?
        .billing
        .refund_to_credit(&caller()?, invoice_id.get(), amount, &note)
        .await
        .map_err(fail)?;
    Ok(invoice.into())
}

/// Every customer's invoices, newest first; `status` keeps those in that status.
#[server]
pub async fn admin_all_invoices(status: String) -> Result<Vec<Invoice>, AppError> {
    let status = status.trim();
    let wanted = match status {
        "" => None,
        status => Some(InvoiceStatus::parse(status).ok_or_else(|| {
            fail(form::invalid(
                "status",
                Code::StatusInvalid,
                "no such invoice status",
            ))
        })?),
    };
    let invoices = state()?
        .billing
        .list(&caller()?, true)
        .await
        .map_err(fail)?;
    // `Billing::list` has no status filter yet; it answers the newest 500, filtered here.
    Ok(invoices
        .into_iter()
        .filter(|invoice| wanted.is_none_or(|wanted| invoice.status == wanted))
        .map(Into::into)
        .collect())
}

#[server]
pub async fn admin_coupons() -> Result<Vec<Coupon>, AppError> {
    let coupons = domain::orders::coupons::list(&state()?.db, &caller()?)
        .await
        .map_err(fail)?;
    Ok(coupons)
}

/// Creates a coupon, or rewrites coupon `id` (its use count stays).
#[server]
pub async fn admin_save_coupon(
    #[server(default)] id: Option<CouponId>,
    coupon: CouponForm,
) -> Result<Coupon, AppError> {
    use domain::orders::coupons::CouponInput;
    use model::orders::CouponKind;
    let admin = caller()?;
    let kind = CouponKind::parse(&coupon.kind).ok_or_else(|| {
        fail(form::invalid(
            "kind",
            Code::CouponKindInvalid,
            "percent or fixed",
        ))
    })?;
    // The form showed times on the admin's clock, so it is read on that clock.
    let zone = crate::time::use_time_zone().get();
    let input = CouponInput {
        code: coupon.code,
        kind,
        // Zero is refused by the domain with its own message, as an empty amount should be.
        amount: form::number(&coupon.amount, "amount", Code::CouponAmountInvalid)
            .map_err(fail)?
            .unwrap_or(0),
        valid_from: form::date_time(&coupon.valid_from, "valid_from", zone).map_err(fail)?,
        valid_until: form::date_time(&coupon.valid_until, "valid_until", zone).map_err(fail)?,
        max_uses: form::number(&coupon.max_uses, "max_uses", Code::CouponLimitInvalid)
            .map_err(fail)?,
        max_uses_per_customer: form::number(
            &coupon.max_uses_per_customer,
            "max_uses_per_customer",
            Code::CouponLimitInvalid,
        )
        .map_err(fail)?,
        plan_ids: coupon.plan_ids,
        active: coupon.active.is_some(),
    };
    let saved = domain::orders::coupons::save(&state()?.db, &admin, id.map(CouponId::get), &input)
        .await
        .map_err(fail)?;
    Ok(saved)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::form::{date, date_time, number};
    use crate::errors::Code;
    use model::time::TimeZone;

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
    fn form_times_are_read_in_the_admins_zone_and_empty_means_none() {
        assert_eq!(date_time("", "valid_from", TimeZone::Wib).unwrap(), None);
        let at = date_time("2026-12-31T23:59", "valid_until", TimeZone::Wib)
            .unwrap()
            .unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-31T16:59:00+00:00");
        let with_seconds = date_time("2026-12-31T23:59:30", "valid_until", TimeZone::Utc)
            .unwrap()
            .unwrap();
        assert_eq!(with_seconds.to_rfc3339(), "2026-12-31T23:59:30+00:00");
        assert!(date_time("31/12/2026", "valid_until", TimeZone::Wib).is_err());
        assert_eq!(
            date("2026-11-02", "placed_from")
                .unwrap()
                .map(|d| d.to_string()),
            Some("2026-11-02".to_owned())
        );
        assert!(date("kemarin", "placed_from").is_err());
    }
}
