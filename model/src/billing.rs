//! Invoices and payments as the invoice pages, the checkout and the REST API exchange them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{InvoiceId, OrderId, UserId};
use crate::status::{InvoiceStatus, PaymentStatus};

/// What an invoice bills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The first period of a new order.
    New,
    Renewal,
    /// The rest of the paid period at a bigger plan's price.
    Resize,
    /// Credit bought ahead; it bills no order.
    TopUp,
}

impl Purpose {
    pub const ALL: [Self; 4] = [Self::New, Self::Renewal, Self::Resize, Self::TopUp];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Renewal => "renewal",
            Self::Resize => "resize",
            Self::TopUp => "top_up",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|purpose| purpose.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub id: InvoiceId,
    /// `INV-YYYYMM-NNNNN`.
    pub number: String,
    pub user_id: UserId,
    /// None for a top-up, which bills no order.
    pub order_id: Option<OrderId>,
    pub purpose: Purpose,
    pub period_months: i64,
    pub subtotal: i64,
    pub discount: i64,
    pub tax_rate_bp: i64,
    pub tax: i64,
    pub total: i64,
    pub status: InvoiceStatus,
    /// Unpaid, but its time to be paid is over (the expiry job has not closed it yet).
    pub overdue: bool,
    pub customer_name: String,
    pub customer_email: String,
    /// The customer's company, address and NPWP as they were when the invoice was issued (or
    /// last changed while it was unpaid).
    #[serde(default)]
    pub buyer: crate::accounts::BillingDetails,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    /// `sandbox`, `tripay`, `manual` (an admin) or `coupon` (nothing to pay).
    pub paid_via: Option<String>,
    pub note: Option<String>,
    /// What the customer's credit paid of it before the gateway was asked for the rest.
    #[serde(default)]
    pub credit_applied: i64,
    /// What went back to the customer's credit after it was paid.
    #[serde(default)]
    pub credit_refunded: i64,
}

impl Invoice {
    /// What is still to be paid through a gateway (or the credit).
    pub fn amount_due(&self) -> i64 {
        self.total - self.credit_applied
    }

    /// The status as the customer should read it: an unpaid invoice past its time is expired
    /// even before the job that closes it has run.
    pub fn shown_status(&self) -> InvoiceStatus {
        if self.overdue {
            InvoiceStatus::Expired
        } else {
            self.status
        }
    }
}

/// How to pay through one channel, step by step, as the gateway tells it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instruction {
    pub title: String,
    pub steps: Vec<String>,
}

/// One payment attempt as the customer sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub reference: String,
    pub gateway: String,
    pub channel: String,
    pub amount: i64,
    /// What the channel adds on top, paid by the customer.
    pub fee: i64,
    pub total_amount: i64,
    pub status: PaymentStatus,
    /// Unpaid and still within its time: the one the customer can pay now.
    pub open: bool,
    pub pay_code: Option<String>,
    pub qr_string: Option<String>,
    /// The QRIS string drawn as a QR code (an SVG data URL), for phones to scan.
    pub qr_image: Option<String>,
    pub checkout_url: Option<String>,
    pub instructions: Vec<Instruction>,
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
}

impl Payment {
    /// The status as the customer should read it: an unpaid payment past its time is expired.
    pub fn shown_status(&self) -> PaymentStatus {
        if self.status == PaymentStatus::Unpaid && !self.open {
            PaymentStatus::Expired
        } else {
            self.status
        }
    }
}

/// Who issued the invoices: printed on each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seller {
    pub legal_name: String,
    pub address: String,
    /// The seller's tax id (Nomor Pokok Wajib Pajak).
    pub npwp: String,
}

impl Default for Seller {
    fn default() -> Self {
        Self {
            legal_name: "Webrana Cloud".to_owned(),
            address: String::new(),
            npwp: String::new(),
        }
    }
}

/// One line of an invoice or a quote; discounts are negative lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub description: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub amount: i64,
}

/// An invoice with its lines, payments (newest first) and the seller that issued it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoicePage {
    pub invoice: Invoice,
    pub lines: Vec<Line>,
    pub payments: Vec<Payment>,
    pub seller: Seller,
    /// The invoice's owner is looking (admins may look at others' invoices but not pay them).
    pub mine: bool,
}

/// A way to pay, with the fee it adds to the invoice it was asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub code: String,
    pub name: String,
    pub group: String,
    pub fee: i64,
    /// The channel needs the customer's phone number and their profile has none.
    #[serde(default)]
    pub phone_needed: bool,
}

/// What the sandbox checkout page shows about one payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxPayment {
    pub invoice_id: InvoiceId,
    pub invoice_number: String,
    pub payment: Payment,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_purpose_reads_back_from_its_name() {
        for purpose in Purpose::ALL {
            assert_eq!(Purpose::parse(purpose.as_str()), Some(purpose));
        }
        assert_eq!(Purpose::parse("gift"), None);
    }
}

/// Why a customer's credit changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditKind {
    /// An admin added or took credit, with a reason.
    Adjustment,
    /// Credit paid an invoice, wholly or in part.
    InvoicePayment,
    /// Credit bought through the payment gateway.
    TopUp,
    /// Credit that paid part of an invoice which then closed unpaid, given back.
    Returned,
    /// Money of a paid invoice given back as credit.
    Refund,
}

impl CreditKind {
    pub const ALL: [Self; 5] = [
        Self::Adjustment,
        Self::InvoicePayment,
        Self::TopUp,
        Self::Returned,
        Self::Refund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Adjustment => "adjustment",
            Self::InvoicePayment => "invoice_payment",
            Self::TopUp => "top_up",
            Self::Returned => "returned",
            Self::Refund => "refund",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// One change of a customer's credit, with the balance it left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditEntry {
    pub id: i64,
    /// Rupiah in (positive) or out (negative).
    pub amount: i64,
    pub balance_after: i64,
    pub kind: CreditKind,
    pub invoice_id: Option<InvoiceId>,
    pub invoice_number: Option<String>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A customer's credit: what they have, and its latest changes (newest first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditAccount {
    pub balance: i64,
    /// Renewal invoices are paid from the credit as they are issued, when it covers them.
    pub pays_renewals: bool,
    pub entries: Vec<CreditEntry>,
}
