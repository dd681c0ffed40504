//! Server functions for ordering and paying: the price of an order, placing it, the customer's
//! orders and invoices, paying an invoice through a channel, and the sandbox checkout's two
//! buttons. Each calls one domain function and maps its answer into the plain types below.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::auth::server::{caller, fail, reject, state};
use crate::errors::AppError;

/// What the order wizard sends: the same fields as `domain::orders::OrderRequest`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderInput {
    pub plan_id: i64,
    pub region: String,
    pub image: String,
    pub hostname: String,
    pub period_months: i64,
    #[serde(default)]
    pub ssh_key_ids: Vec<i64>,
    #[serde(default)]
    pub coupon: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceLine {
    pub description: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub amount: i64,
}

/// An order's price before it is placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteView {
    pub lines: Vec<PriceLine>,
    pub subtotal: i64,
    /// What the billing period takes off.
    pub period_discount: i64,
    /// What the coupon takes off, after the period's discount.
    pub coupon_discount: i64,
    pub tax_rate_bp: i64,
    pub tax: i64,
    pub total: i64,
}

/// A rate in basis points as a percentage: `11`, or `11,5` with `decimal` = `,`.
pub fn tax_percent(rate_bp: i64, decimal: char) -> String {
    let (whole, rest) = (rate_bp / 100, rate_bp % 100);
    if rest == 0 {
        whole.to_string()
    } else {
        format!(
            "{whole}{decimal}{}",
            format!("{rest:02}").trim_end_matches('0')
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub id: i64,
    pub hostname: String,
    pub plan_id: i64,
    pub plan_name: String,
    /// The region's slug (`sbx-jkt1`).
    pub region: String,
    /// The image's slug (`ubuntu-24-04-x64`).
    pub image: String,
    pub period_months: i64,
    pub status: String,
    pub status_message: Option<String>,
    pub instance_id: Option<i64>,
    pub paid_until: Option<String>,
    pub created: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEventLine {
    pub at: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceSummary {
    pub id: i64,
    pub number: String,
    pub order_id: i64,
    /// `new` or `renewal`.
    pub purpose: String,
    pub period_months: i64,
    pub total: i64,
    pub status: String,
    /// Unpaid, but its time to be paid is over (the expiry job has not closed it yet).
    pub overdue: bool,
    pub issued: String,
    pub expires: String,
    pub paid: Option<String>,
}

/// Everything the order page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPage {
    pub order: OrderSummary,
    pub events: Vec<OrderEventLine>,
    pub invoices: Vec<InvoiceSummary>,
}

/// A placed order and the invoice to pay for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacedView {
    pub order_id: i64,
    pub invoice_id: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerView {
    pub legal_name: String,
    pub address: String,
    pub npwp: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDoc {
    pub summary: InvoiceSummary,
    pub subtotal: i64,
    pub discount: i64,
    pub tax_rate_bp: i64,
    pub tax: i64,
    pub customer_name: String,
    pub customer_email: String,
    /// `sandbox`, `tripay`, `manual` or `coupon`.
    pub paid_via: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstructionView {
    pub title: String,
    pub steps: Vec<String>,
}

/// One payment attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentInfo {
    pub reference: String,
    pub gateway: String,
    pub channel: String,
    pub amount: i64,
    pub fee: i64,
    pub total_amount: i64,
    pub status: String,
    /// Unpaid and still within its time: the one the customer can pay now.
    pub open: bool,
    pub pay_code: Option<String>,
    pub qr_string: Option<String>,
    /// The QRIS string drawn as a QR code (an SVG data URL), for phones to scan.
    pub qr_image: Option<String>,
    pub checkout_url: Option<String>,
    pub instructions: Vec<InstructionView>,
    pub expires: String,
    pub paid: Option<String>,
}

/// Everything the invoice page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoicePage {
    pub invoice: InvoiceDoc,
    pub lines: Vec<PriceLine>,
    /// Newest first.
    pub payments: Vec<PaymentInfo>,
    pub seller: SellerView,
    /// The invoice's owner is looking (admins may look at others' invoices but not pay them).
    pub mine: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    pub code: String,
    pub name: String,
    pub group: String,
    pub fee: i64,
}

/// What the sandbox checkout page shows about one payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxPayment {
    pub invoice_id: i64,
    pub invoice_number: String,
    pub payment: PaymentInfo,
}

#[cfg(feature = "ssr")]
mod convert {
    use chrono::{DateTime, Utc};
    use domain::billing::invoices::Invoice;
    use domain::billing::payments::Instruction;
    use domain::billing::{InvoiceView, PaymentView};
    use domain::orders::pricing::Line;
    use domain::orders::{Order, OrderDetail, OrderEvent};

    use super::*;

    pub fn time(at: DateTime<Utc>) -> String {
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    }

    pub fn line(line: Line) -> PriceLine {
        PriceLine {
            description: line.description,
            quantity: line.quantity,
            unit_price: line.unit_price,
            amount: line.amount,
        }
    }

    pub fn order(order: Order) -> OrderSummary {
        OrderSummary {
            id: order.id,
            hostname: order.hostname,
            plan_id: order.plan_id,
            plan_name: order.plan_name,
            region: order.region_slug,
            image: order.image_slug,
            period_months: order.period_months,
            status: order.status,
            status_message: order.status_message,
            instance_id: order.instance_id,
            paid_until: order.paid_until.map(time),
            created: time(order.created_at),
        }
    }

    fn event(event: OrderEvent) -> OrderEventLine {
        OrderEventLine {
            at: time(event.at),
            from_status: event.from_status,
            to_status: event.to_status,
            note: event.note,
        }
    }

    pub fn invoice(invoice: &Invoice, now: DateTime<Utc>) -> InvoiceSummary {
        InvoiceSummary {
            id: invoice.id,
            number: invoice.number.clone(),
            order_id: invoice.order_id,
            purpose: invoice.purpose.clone(),
            period_months: invoice.period_months,
            total: invoice.total,
            status: invoice.status.clone(),
            overdue: invoice.status == "unpaid" && invoice.expires_at <= now,
            issued: time(invoice.issued_at),
            expires: time(invoice.expires_at),
            paid: invoice.paid_at.map(time),
        }
    }

    pub fn detail(detail: OrderDetail) -> OrderPage {
        let now = Utc::now();
        OrderPage {
            order: order(detail.order),
            events: detail.events.into_iter().map(event).collect(),
            invoices: detail
                .invoices
                .iter()
                .map(|one| invoice(one, now))
                .collect(),
        }
    }

    /// The QR code for a QRIS string, drawn like the two-factor set-up's: an SVG data URL.
    pub fn qr_image(text: &str) -> Option<String> {
        use base64::Engine;
        use base64::engine::general_purpose::STANDARD;
        let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
        let svg = code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build();
        Some(format!(
            "data:image/svg+xml;base64,{}",
            STANDARD.encode(svg)
        ))
    }

    fn instruction(instruction: Instruction) -> InstructionView {
        InstructionView {
            title: instruction.title,
            steps: instruction.steps,
        }
    }

    pub fn payment(payment: PaymentView, now: DateTime<Utc>) -> PaymentInfo {
        PaymentInfo {
            open: payment.status == "unpaid" && payment.expires_at > now,
            qr_image: payment.qr_string.as_deref().and_then(qr_image),
            reference: payment.reference,
            gateway: payment.gateway,
            channel: payment.channel,
            amount: payment.amount,
            fee: payment.fee_customer,
            total_amount: payment.total_amount,
            status: payment.status,
            pay_code: payment.pay_code,
            qr_string: payment.qr_string,
            checkout_url: payment.checkout_url,
            instructions: payment.instructions.into_iter().map(instruction).collect(),
            expires: time(payment.expires_at),
            paid: payment.paid_at.map(time),
        }
    }

    pub fn invoice_page(
        view: InvoiceView,
        seller: &domain::orders::Seller,
        viewer: i64,
    ) -> InvoicePage {
        let now = Utc::now();
        let invoice = view.invoice;
        InvoicePage {
            mine: invoice.user_id == viewer,
            invoice: InvoiceDoc {
                summary: super::convert::invoice(&invoice, now),
                subtotal: invoice.subtotal,
                discount: invoice.discount,
                tax_rate_bp: invoice.tax_rate_bp,
                tax: invoice.tax,
                customer_name: invoice.customer_name,
                customer_email: invoice.customer_email,
                paid_via: invoice.paid_via,
                note: invoice.note,
            },
            lines: view.lines.into_iter().map(line).collect(),
            payments: view
                .payments
                .into_iter()
                .map(|one| payment(one, now))
                .collect(),
            seller: SellerView {
                legal_name: seller.legal_name.clone(),
                address: seller.address.clone(),
                npwp: seller.npwp.clone(),
            },
        }
    }

    pub fn request(input: OrderInput) -> domain::orders::OrderRequest {
        domain::orders::OrderRequest {
            plan_id: input.plan_id,
            region: input.region,
            image: input.image,
            hostname: input.hostname,
            period_months: input.period_months,
            ssh_key_ids: input.ssh_key_ids,
            coupon: input.coupon,
        }
    }
}

/// The price of an order as it would be billed now, for the wizard's review step.
#[server]
pub async fn quote_order(order: OrderInput) -> Result<QuoteView, AppError> {
    let quote = state()?
        .orders
        .quote(&caller()?, &convert::request(order))
        .await
        .map_err(fail)?;
    Ok(QuoteView {
        lines: quote.lines.into_iter().map(convert::line).collect(),
        subtotal: quote.subtotal,
        period_discount: quote.period_discount,
        coupon_discount: quote.coupon_discount,
        tax_rate_bp: quote.tax_rate_bp,
        tax: quote.tax,
        total: quote.total,
    })
}

#[server]
pub async fn place_order(order: OrderInput) -> Result<PlacedView, AppError> {
    let placed = state()?
        .orders
        .place(&caller()?, convert::request(order))
        .await
        .map_err(fail)?;
    Ok(PlacedView {
        order_id: placed.order.id,
        invoice_id: placed.invoice.id,
    })
}

#[server]
pub async fn my_orders() -> Result<Vec<OrderSummary>, AppError> {
    let orders = state()?.orders.list_mine(&caller()?).await.map_err(fail)?;
    Ok(orders.into_iter().map(convert::order).collect())
}

#[server]
pub async fn load_order(id: i64) -> Result<OrderPage, AppError> {
    let detail = state()?.orders.detail(&caller()?, id).await.map_err(fail)?;
    Ok(convert::detail(detail))
}

#[server]
pub async fn my_invoices() -> Result<Vec<InvoiceSummary>, AppError> {
    let invoices = state()?
        .billing
        .list(&caller()?, false)
        .await
        .map_err(fail)?;
    let now = chrono::Utc::now();
    Ok(invoices
        .iter()
        .map(|invoice| convert::invoice(invoice, now))
        .collect())
}

/// An invoice with its lines, payments and the seller that issued it.
#[server]
pub async fn load_invoice(id: i64) -> Result<InvoicePage, AppError> {
    let (state, caller) = (state()?, caller()?);
    let view = state.billing.invoice(&caller, id).await.map_err(fail)?;
    Ok(convert::invoice_page(
        view,
        &state.orders.config().seller,
        caller.user_id,
    ))
}

/// The ways to pay an invoice, with the fee each adds.
#[server]
pub async fn payment_channels(invoice_id: i64) -> Result<Vec<ChannelView>, AppError> {
    let channels = state()?
        .billing
        .channels_for(&caller()?, invoice_id)
        .await
        .map_err(fail)?;
    Ok(channels
        .into_iter()
        .map(|channel| ChannelView {
            code: channel.code,
            name: channel.name,
            group: channel.group,
            fee: channel.fee,
        })
        .collect())
}

/// Starts paying an invoice through `channel`; the same channel again answers the open payment.
#[server]
pub async fn pay_invoice(invoice_id: i64, channel: String) -> Result<PaymentInfo, AppError> {
    let payment = state()?
        .billing
        .pay(&caller()?, invoice_id, &channel)
        .await
        .map_err(fail)?;
    Ok(convert::payment(payment, chrono::Utc::now()))
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
        invoice_id: invoice.id,
        invoice_number: invoice.number,
        payment: convert::payment(payment, chrono::Utc::now()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn a_qris_string_becomes_an_svg_qr_code() {
        use base64::Engine;
        let url =
            convert::qr_image("SANDBOX-QRIS|SBX-1|INV-202611-00001|83250").unwrap_or_default();
        let encoded = url
            .strip_prefix("data:image/svg+xml;base64,")
            .unwrap_or_default();
        let svg = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap_or_default();
        let svg = String::from_utf8(svg).unwrap_or_default();
        assert!(svg.contains("<svg"), "{url}");
        let width: u32 = svg
            .split("width=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|width| width.parse().ok())
            .unwrap_or_default();
        assert!(width >= 240, "big enough to scan from a screen: {width}");
    }

    #[test]
    fn tax_rates_read_as_percentages() {
        assert_eq!(tax_percent(1_100, ','), "11");
        assert_eq!(tax_percent(1_200, ','), "12");
        assert_eq!(tax_percent(1_150, ','), "11,5");
        assert_eq!(tax_percent(1_125, '.'), "11.25");
        assert_eq!(tax_percent(0, ','), "0");
    }
}
