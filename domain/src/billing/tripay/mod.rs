//! Tripay (tripay.co.id), the Indonesian payment gateway: its API client and its callback
//! verifier, in one place (notes in `../shared/docs/tripay.md`).
//!
//! The client lists the payment channels (kept in memory for an hour, so checkout pages do not
//! ask Tripay each time), creates closed-payment transactions signed with the merchant's private
//! key, and reads a transaction back. Every answer is Tripay's envelope,
//! `{"success", "message", "data"}`, sometimes with a non-2xx status; `success: false` becomes
//! [`TripayError::Rejected`] with Tripay's own message.
//!
//! Only a GET is repeated after an unclear failure (a timeout, a 5xx). A create is sent again
//! only when Tripay certainly did not act on it: the connection was never made, or it answered
//! 429. A create whose answer was lost is the caller's to recover, by looking the transaction up
//! by our `merchant_ref` ([`TripayClient::transactions_by_merchant_ref`]), never ours to resend.
//!
//! Callbacks are verified over the raw bytes as received, in constant time, before anything is
//! read from them; [`parse_callback`] then reads the fields leniently, since Tripay sends some
//! numbers as strings and leaves optional fields out.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::error::{Code, ErrorCode};
use crate::http_retry::HttpSettings;

mod client;
mod signature;
#[cfg(test)]
mod tests;
mod wire;

pub use client::TripayClient;
pub use signature::{callback_signature, transaction_signature, verify_callback};
pub use wire::parse_callback;

/// Tripay's sandbox API (its own credentials, no money moves).
pub const SANDBOX_BASE_URL: &str = "https://tripay.co.id/api-sandbox";
/// Tripay's production API.
pub const PRODUCTION_BASE_URL: &str = "https://tripay.co.id/api";

/// The `X-Callback-Event` value of a payment's status change, the only event we act on.
pub const CALLBACK_EVENT: &str = "payment_status";
/// The header carrying the hex HMAC-SHA256 of a callback's raw body.
pub const CALLBACK_SIGNATURE_HEADER: &str = "x-callback-signature";
/// The header naming a callback's event.
pub const CALLBACK_EVENT_HEADER: &str = "x-callback-event";

/// How long the channel list is served from memory.
pub const CHANNELS_TTL: Duration = Duration::from_secs(60 * 60);

/// The transactions looked at when searching by `merchant_ref`: one page, the most Tripay gives.
const TRANSACTIONS_PER_PAGE: &str = "50";

/// Why a call to Tripay (or reading one of its callbacks) failed.
#[derive(Debug, thiserror::Error)]
pub enum TripayError {
    /// Tripay refused our credentials (HTTP 401 or 403): a wrong or revoked API key, a sandbox
    /// key against production (or the reverse), or our address missing from the IP whitelist.
    #[error(
        "Tripay refused our credentials ({0}); an administrator must check TRIPAY_API_KEY \
         (sandbox and production keys differ) and the IP whitelist in Tripay's merchant dashboard"
    )]
    Unauthorized(String),
    /// Tripay answered `success: false`, with its message (an inactive channel, an amount
    /// outside the channel's limits, a bad signature…), or the request was one Tripay would
    /// refuse and was not sent.
    #[error("Tripay refused the request: {0}")]
    Rejected(String),
    /// Tripay answered 429 more often than the retries allow.
    #[error("Tripay is rate limiting us")]
    RateLimited,
    /// No answer: cannot connect, a timeout, a 5xx.
    #[error("the payment gateway cannot be reached: {0}")]
    Unavailable(String),
    /// An answer or a callback that does not have Tripay's documented shape.
    #[error("a Tripay message we cannot read: {0}")]
    Malformed(String),
}

impl TripayError {
    /// Whether trying the same request later can succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::RateLimited | Self::Unavailable(_))
    }
}

impl ErrorCode for TripayError {
    fn code(&self) -> Code {
        match self {
            // Our configuration, not the customer's doing: logged, and the client told nothing.
            Self::Unauthorized(_) => Code::Internal,
            Self::Rejected(_) => Code::PaymentRejected,
            Self::RateLimited => Code::RateLimited,
            Self::Unavailable(_) | Self::Malformed(_) => Code::PaymentGatewayUnavailable,
        }
    }
}

/// One merchant's credentials and where its API is.
#[derive(Clone)]
pub struct TripayConfig {
    /// Sent as `Authorization: Bearer …`.
    pub api_key: String,
    /// Signs transactions and verifies callbacks.
    pub private_key: String,
    /// `T12345`.
    pub merchant_code: String,
    /// [`SANDBOX_BASE_URL`], [`PRODUCTION_BASE_URL`], or a mock's address in tests; a trailing
    /// `/` is optional.
    pub base_url: String,
}

/// Never shows the keys.
impl fmt::Debug for TripayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TripayConfig")
            .field("merchant_code", &self.merchant_code)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// How patient the client is and how long the channel list is kept. The defaults suit
/// production; tests shrink them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TripaySettings {
    pub http: HttpSettings,
    pub channels_ttl: Duration,
}

impl Default for TripaySettings {
    fn default() -> Self {
        Self {
            http: HttpSettings::default(),
            channels_ttl: CHANNELS_TTL,
        }
    }
}

/// Whether a channel's payment can happen on our own page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelKind {
    /// A pay code, VA number or QR string we show ourselves.
    Direct,
    /// The customer must be sent to Tripay's `checkout_url` / `pay_url` (some e-wallets).
    Redirect,
}

/// A way to pay, as the merchant's Tripay account offers it.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentChannel {
    /// `BRIVA`, `QRIS`, `ALFAMART`…: what [`NewTransaction::method`] takes.
    pub code: String,
    pub name: String,
    /// `Virtual Account`, `E-Wallet`, `Convenience Store`…
    pub group: String,
    pub kind: ChannelKind,
    pub active: bool,
    /// The customer's share of the fee (`fee_customer`): a flat part in rupiah…
    pub fee_flat: i64,
    /// …and a percentage of the amount (`0.7` is 0.7 %).
    pub fee_percent: f64,
    /// The merchant's share (`fee_merchant`), in the same two parts.
    pub merchant_fee_flat: i64,
    pub merchant_fee_percent: f64,
    /// Bounds Tripay puts on the whole fee, both shares together (`minimum_fee`,
    /// `maximum_fee`).
    pub minimum_fee: Option<i64>,
    pub maximum_fee: Option<i64>,
    pub minimum_amount: Option<i64>,
    pub maximum_amount: Option<i64>,
    /// Empty when Tripay gives none.
    pub icon_url: String,
}

impl PaymentChannel {
    /// What paying `amount` through this channel adds for the customer, as Tripay charges it:
    /// each share is its flat part plus its percentage of the amount, rounded up to the next
    /// whole rupiah (so the figure shown never falls short); the whole fee is then held within
    /// the channel's minimum and maximum. A customer who bears the whole fee pays it as bounded;
    /// one who shares it pays their part, never more than the bounded whole; one with no share
    /// pays nothing, whatever the minimum. The fee Tripay actually charged is in the created
    /// [`Transaction::fee_customer`].
    pub fn customer_fee(&self, amount: i64) -> i64 {
        let customer = fee_share(self.fee_flat, self.fee_percent, amount);
        if customer == 0 {
            return 0;
        }
        let merchant = fee_share(self.merchant_fee_flat, self.merchant_fee_percent, amount);
        let mut whole = customer.saturating_add(merchant);
        if let Some(maximum) = self.maximum_fee.filter(|maximum| *maximum >= 0) {
            whole = whole.min(maximum);
        }
        if let Some(minimum) = self.minimum_fee {
            whole = whole.max(minimum);
        }
        if merchant == 0 {
            whole
        } else {
            customer.min(whole)
        }
    }

    /// Whether `amount` is within the channel's limits (not whether it is active).
    pub fn accepts(&self, amount: i64) -> bool {
        self.minimum_amount.is_none_or(|minimum| amount >= minimum)
            && self.maximum_amount.is_none_or(|maximum| amount <= maximum)
    }
}

/// One share of a channel's fee for `amount`: `flat` plus `percent` % of it, rounded up.
fn fee_share(flat: i64, percent: f64, amount: i64) -> i64 {
    let amount = i128::from(amount.max(0));
    // In thousandths of a percent, so 0.7 % is 700 of 100 000, without float rounding.
    let rate = if percent.is_finite() && percent > 0.0 {
        (percent * 1000.0).round() as i128
    } else {
        0
    };
    let percent_part = amount.saturating_mul(rate).saturating_add(99_999) / 100_000;
    let fee = i128::from(flat.max(0)).saturating_add(percent_part);
    i64::try_from(fee).unwrap_or(i64::MAX)
}

/// One line of a transaction. Tripay requires the lines to add up to the amount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderItem {
    pub sku: Option<String>,
    pub name: String,
    /// Rupiah per unit.
    pub price: i64,
    pub quantity: i64,
}

/// A closed-payment transaction to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTransaction {
    /// The channel code, from [`PaymentChannel::code`].
    pub method: String,
    /// Our invoice number; callbacks and the lookup after a lost answer find it by this.
    pub merchant_ref: String,
    /// Rupiah, the sum of `price × quantity` of `order_items`, without the customer's fee.
    pub amount: i64,
    pub customer_name: String,
    pub customer_email: String,
    /// `08…`; some channels (e-wallets) require it.
    pub customer_phone: Option<String>,
    pub order_items: Vec<OrderItem>,
    /// Overrides the callback URL of the merchant's dashboard for this transaction.
    pub callback_url: Option<String>,
    /// Where Tripay's checkout page sends the customer after paying.
    pub return_url: Option<String>,
    /// When the pay code stops working, in Unix seconds (each channel has its own limits).
    pub expired_time: i64,
}

impl NewTransaction {
    /// Refuses what Tripay would refuse, without asking it.
    fn check(&self) -> Result<(), TripayError> {
        if self.merchant_ref.trim().is_empty() {
            return Err(TripayError::Rejected(
                "a transaction needs our merchant_ref, which its callbacks are matched by".into(),
            ));
        }
        if self.amount <= 0 {
            return Err(TripayError::Rejected(format!(
                "the amount must be positive, not {}",
                self.amount
            )));
        }
        let total = self.order_items.iter().try_fold(0_i64, |sum, item| {
            item.price
                .checked_mul(item.quantity)
                .and_then(|line| sum.checked_add(line))
        });
        if total != Some(self.amount) {
            return Err(TripayError::Rejected(format!(
                "the order items add up to {}, not to the amount {}",
                total.map_or_else(|| "more than we can count".to_owned(), |t| t.to_string()),
                self.amount
            )));
        }
        Ok(())
    }

    /// The JSON body of `transaction/create`, with the signature.
    fn body(&self, signature: String) -> Value {
        let items: Vec<Value> = self
            .order_items
            .iter()
            .map(|item| {
                let mut line = json!({
                    "name": item.name,
                    "price": item.price,
                    "quantity": item.quantity,
                });
                if let Some(sku) = &item.sku {
                    line["sku"] = json!(sku);
                }
                line
            })
            .collect();
        let mut body = json!({
            "method": self.method,
            "merchant_ref": self.merchant_ref,
            "amount": self.amount,
            "customer_name": self.customer_name,
            "customer_email": self.customer_email,
            "order_items": items,
            "expired_time": self.expired_time,
            "signature": signature,
        });
        let optional = [
            ("customer_phone", &self.customer_phone),
            ("callback_url", &self.callback_url),
            ("return_url", &self.return_url),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                body[key] = json!(value);
            }
        }
        body
    }
}

/// Where a transaction stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    Unpaid,
    Paid,
    Expired,
    Failed,
    Refund,
}

impl PaymentStatus {
    /// Tripay's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unpaid => "UNPAID",
            Self::Paid => "PAID",
            Self::Expired => "EXPIRED",
            Self::Failed => "FAILED",
            Self::Refund => "REFUND",
        }
    }

    /// Reads Tripay's word, in whatever case.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        [
            Self::Unpaid,
            Self::Paid,
            Self::Expired,
            Self::Failed,
            Self::Refund,
        ]
        .into_iter()
        .find(|status| status.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to pay at one kind of place (an ATM, a banking app…).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    pub title: String,
    /// As Tripay writes them; they may hold simple HTML (`<b>`), so render them as text.
    pub steps: Vec<String>,
}

/// A transaction as Tripay reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// Tripay's id (`T…`, `DEV-T…` in the sandbox).
    pub reference: String,
    pub merchant_ref: String,
    /// The channel code.
    pub payment_method: String,
    /// The amount we asked for (the items' total): `total_amount - fee_customer`.
    pub amount: i64,
    /// The fee added for the customer.
    pub fee_customer: i64,
    /// What the customer pays, fee included: Tripay's `amount`, and the `total_amount` its
    /// callbacks carry.
    pub total_amount: i64,
    /// The fee taken from what we receive.
    pub fee_merchant: i64,
    /// What reaches the merchant's balance: `total_amount - fee_merchant`.
    pub amount_received: i64,
    /// The VA number or pay code of a direct channel.
    pub pay_code: Option<String>,
    /// The raw QRIS payload, to render as a QR code.
    pub qr_string: Option<String>,
    /// Tripay's picture of that QR code.
    pub qr_url: Option<String>,
    /// Tripay's payment page; empty only if Tripay left it out (its list answers may).
    pub checkout_url: String,
    /// Where a redirect channel pays.
    pub pay_url: Option<String>,
    pub status: PaymentStatus,
    pub expired_time: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub instructions: Vec<Instruction>,
}

/// A payment's status change, as a verified callback reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackPayment {
    pub reference: String,
    /// Empty for some open payments.
    pub merchant_ref: String,
    /// The channel code (`payment_method_code`; Tripay's `payment_method` is sometimes a label
    /// such as `QRIS` for the code `QRIS2`, and is used only when the code is missing).
    pub payment_method: String,
    /// What the customer paid, fee included.
    pub total_amount: i64,
    pub fee_merchant: i64,
    pub fee_customer: i64,
    /// What reaches the merchant's balance (`total_amount - fee_merchant` when left out).
    pub amount_received: i64,
    /// `false` for an open payment (a reusable VA); ours are closed.
    pub is_closed_payment: bool,
    pub status: PaymentStatus,
    pub paid_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}
