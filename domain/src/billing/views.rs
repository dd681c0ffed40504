//! Invoices and payments as the pages and the REST API see them: each stored row turned into its
//! `model` type here, once. Whether an invoice is overdue or a payment still open depends on
//! the time it is looked at, so these take the clock's reading.

use chrono::{DateTime, Utc};
use model::billing as view;
use model::ids::{InvoiceId, OrderId, UserId};
use model::status::{InvoiceStatus, PaymentStatus};

use super::invoices::Invoice;
use super::payments::{InvoiceView, PaymentView};

impl Invoice {
    pub fn view(self, now: DateTime<Utc>) -> view::Invoice {
        view::Invoice {
            overdue: self.status == InvoiceStatus::Unpaid && self.expires_at <= now,
            id: InvoiceId(self.id),
            number: self.number,
            user_id: UserId(self.user_id),
            order_id: self.order_id.map(OrderId),
            // Our own column, written only from `Purpose::as_str`.
            purpose: view::Purpose::parse(&self.purpose).unwrap_or(view::Purpose::New),
            period_months: self.period_months,
            subtotal: self.subtotal,
            discount: self.discount,
            tax_rate_bp: self.tax_rate_bp,
            tax: self.tax,
            total: self.total,
            status: self.status,
            customer_name: self.customer_name,
            customer_email: self.customer_email,
            buyer: model::accounts::BillingDetails {
                company: self.customer_company,
                address: self.customer_address,
                npwp: self.customer_npwp,
            },
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            paid_at: self.paid_at,
            paid_via: self.paid_via,
            note: self.note,
            credit_applied: self.credit_applied,
            credit_refunded: self.credit_refunded,
        }
    }
}

impl From<Invoice> for view::Invoice {
    fn from(invoice: Invoice) -> Self {
        invoice.view(Utc::now())
    }
}

impl PaymentView {
    pub fn view(self, now: DateTime<Utc>) -> view::Payment {
        view::Payment {
            open: self.status == PaymentStatus::Unpaid && self.expires_at > now,
            qr_image: self
                .qr_string
                .as_deref()
                .and_then(|text| crate::qr::svg_data_url(text, 240)),
            reference: self.reference,
            gateway: self.gateway,
            channel: self.channel,
            amount: self.amount,
            fee: self.fee_customer,
            total_amount: self.total_amount,
            status: self.status,
            pay_code: self.pay_code,
            qr_string: self.qr_string,
            checkout_url: self.checkout_url,
            instructions: self.instructions,
            expires_at: self.expires_at,
            paid_at: self.paid_at,
        }
    }
}

impl From<PaymentView> for view::Payment {
    fn from(payment: PaymentView) -> Self {
        payment.view(Utc::now())
    }
}

impl InvoiceView {
    /// The invoice page for `viewer`, with the seller printed on it.
    pub fn page(self, seller: &view::Seller, viewer: UserId) -> view::InvoicePage {
        let now = Utc::now();
        view::InvoicePage {
            mine: self.invoice.user_id == viewer.get(),
            invoice: self.invoice.view(now),
            lines: self.lines,
            payments: self
                .payments
                .into_iter()
                .map(|payment| payment.view(now))
                .collect(),
            seller: seller.clone(),
        }
    }
}
