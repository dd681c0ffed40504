//! Server functions for ordering and paying: the price of an order, placing it, the customer's
//! orders and invoices, paying an invoice through a channel, and the sandbox checkout's two
//! buttons. Each calls one domain function and answers its `model` type.

use leptos::prelude::*;
use model::billing::{Channel, CreditAccount, Invoice, InvoicePage, Payment, SandboxPayment};
use model::ids::{InvoiceId, OrderId, PlanId};
use model::orders::{Order, OrderPage, OrderRequest, Placed, Quote, ResizeOptions, ResizeStarted};

#[cfg(feature = "ssr")]
use crate::auth::server::{caller, fail, state};
use crate::errors::AppError;
#[cfg(feature = "ssr")]
use crate::errors::reject;
#[cfg(feature = "ssr")]
use model::ids::UserId;

pub use model::money::tax_percent;

/// The price of an order as it would be billed now, for the wizard's review step.
#[server]
pub async fn quote_order(order: OrderRequest) -> Result<Quote, AppError> {
    state()?
        .orders
        .quote(&caller()?, &order)
        .await
        .map_err(fail)
}

/// The price as the order form fills in (plan, period, coupon), before the host name is there.
#[server]
pub async fn preview_price(order: OrderRequest) -> Result<Quote, AppError> {
    state()?
        .orders
        .preview(&caller()?, &order)
        .await
        .map_err(fail)
}

/// The host name as it would be used (lower case), or why it cannot: not a valid name, or one
/// of the caller's orders or servers has it. The order form asks as the name is typed.
#[server]
pub async fn check_hostname(hostname: String) -> Result<String, AppError> {
    state()?
        .orders
        .free_hostname(&caller()?, &hostname)
        .await
        .map_err(fail)
}

#[server]
pub async fn place_order(order: OrderRequest) -> Result<Placed, AppError> {
    let placed = state()?
        .orders
        .place(&caller()?, order)
        .await
        .map_err(fail)?;
    Ok(placed.into())
}

#[server]
pub async fn my_orders() -> Result<Vec<Order>, AppError> {
    let orders = state()?.orders.list_mine(&caller()?).await.map_err(fail)?;
    Ok(orders.into_iter().map(Into::into).collect())
}

#[server]
pub async fn load_order(id: OrderId) -> Result<OrderPage, AppError> {
    let detail = state()?
        .orders
        .detail(&caller()?, id.get())
        .await
        .map_err(fail)?;
    Ok(detail.into())
}

#[server]
pub async fn my_invoices() -> Result<Vec<Invoice>, AppError> {
    let invoices = state()?
        .billing
        .list(&caller()?, false)
        .await
        .map_err(fail)?;
    Ok(invoices.into_iter().map(Into::into).collect())
}

/// An invoice with its lines, payments and the seller that issued it.
#[server]
pub async fn load_invoice(id: InvoiceId) -> Result<InvoicePage, AppError> {
    let (state, caller) = (state()?, caller()?);
    let view = state
        .billing
        .invoice(&caller, id.get())
        .await
        .map_err(fail)?;
    Ok(view.page(&state.orders.config().seller, UserId(caller.user_id)))
}

/// The ways to pay an invoice, with the fee each adds.
#[server]
pub async fn payment_channels(invoice_id: InvoiceId) -> Result<Vec<Channel>, AppError> {
    state()?
        .billing
        .channels_for(&caller()?, invoice_id.get())
        .await
        .map_err(fail)
}

/// Cancels one of the caller's orders: an unpaid one at once, a running service when
/// `confirm` is its host name (its server is deleted).
#[server]
pub async fn cancel_my_order(id: OrderId, confirm: Option<String>) -> Result<Order, AppError> {
    let order = state()?
        .orders
        .cancel_mine(&caller()?, id.get(), confirm.as_deref())
        .await
        .map_err(fail)?;
    Ok(order.into())
}

/// Turns auto-renew of one of the caller's services on or off.
#[server]
pub async fn set_auto_renew(id: OrderId, enabled: bool) -> Result<Order, AppError> {
    let order = state()?
        .orders
        .set_auto_renew(&caller()?, id.get(), enabled)
        .await
        .map_err(fail)?;
    Ok(order.into())
}

/// The plans one of the caller's services can move to now, with what each costs, and its
/// latest resize.
#[server]
pub async fn load_resize_options(id: OrderId) -> Result<ResizeOptions, AppError> {
    state()?
        .orders
        .resize_options(&caller()?, id.get(), chrono::Utc::now())
        .await
        .map_err(fail)
}

/// Asks for one of the caller's services to move to `plan_id`; answers the invoice to pay, if
/// anything is due.
#[server]
pub async fn request_resize(id: OrderId, plan_id: PlanId) -> Result<ResizeStarted, AppError> {
    let requested = state()?
        .orders
        .request_resize(&caller()?, id.get(), plan_id.get(), chrono::Utc::now())
        .await
        .map_err(fail)?;
    Ok(requested.into())
}

/// Starts paying an invoice through `channel`; the same channel again answers the open payment.
#[server]
pub async fn pay_invoice(invoice_id: InvoiceId, channel: String) -> Result<Payment, AppError> {
    let payment = state()?
        .billing
        .pay(&caller()?, invoice_id.get(), &channel)
        .await
        .map_err(fail)?;
    Ok(payment.into())
}

/// The caller's credit balance and its latest changes.
#[server]
pub async fn my_credit() -> Result<CreditAccount, AppError> {
    state()?.billing.credit(&caller()?).await.map_err(fail)
}

/// Whether the caller's renewals are paid from their credit as they are issued.
#[server]
pub async fn set_renewals_from_credit(enabled: bool) -> Result<CreditAccount, AppError> {
    state()?
        .billing
        .set_renewals_from_credit(&caller()?, enabled)
        .await
        .map_err(fail)
}

/// Pays the caller's invoice from their credit: `amount` of it, or all that is left to pay.
#[server]
pub async fn pay_with_credit(
    invoice_id: InvoiceId,
    amount: Option<i64>,
) -> Result<Invoice, AppError> {
    let invoice = state()?
        .billing
        .pay_with_credit(&caller()?, invoice_id.get(), amount)
        .await
        .map_err(fail)?;
    Ok(invoice.into())
}

/// Issues an invoice for `amount` rupiah of credit.
#[server]
pub async fn top_up_credit(amount: i64) -> Result<Invoice, AppError> {
    let invoice = state()?
        .billing
        .top_up(&caller()?, amount)
        .await
        .map_err(fail)?;
    Ok(invoice.into())
}

/// The sandbox payment `reference` with its invoice, if it is one of the caller's.
#[server]
pub async fn sandbox_checkout(reference: String) -> Result<SandboxPayment, AppError> {
    let (invoice, payment) = state()?
        .billing
        .sandbox_payment(&caller()?, &reference)
        .await
        .map_err(fail)?;
    Ok(SandboxPayment {
        invoice_id: InvoiceId(invoice.id),
        invoice_number: invoice.number,
        payment: payment.into(),
    })
}

/// The sandbox checkout's buttons: `pay` or `expire` the payment, through a signed callback.
#[server]
pub async fn finish_sandbox_payment(reference: String, outcome: String) -> Result<(), AppError> {
    use domain::billing::payments::SandboxOutcome;
    let outcome = match outcome.as_str() {
        "pay" => SandboxOutcome::Pay,
        "expire" => SandboxOutcome::Expire,
        _ => return Err(reject(AppError::malformed(Some("outcome".into())))),
    };
    state()?
        .billing
        .sandbox_complete(&caller()?, &reference, outcome)
        .await
        .map_err(fail)
}
