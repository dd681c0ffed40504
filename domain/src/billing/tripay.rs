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
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::error::{Code, ErrorCode};
use crate::http_retry::{self, Attempt, Exchange, HttpSettings};

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
    pub minimum_amount: Option<i64>,
    pub maximum_amount: Option<i64>,
    /// Empty when Tripay gives none.
    pub icon_url: String,
}

impl PaymentChannel {
    /// What paying `amount` through this channel adds for the customer: the flat part plus the
    /// percentage of the amount, rounded up to the next whole rupiah (so the estimate shown never
    /// falls short of what Tripay charges). The fee Tripay actually charged is in the created
    /// [`Transaction::fee_customer`].
    pub fn customer_fee(&self, amount: i64) -> i64 {
        let amount = i128::from(amount.max(0));
        // In thousandths of a percent, so 0.7 % is 700 of 100 000, without float rounding.
        let rate = if self.fee_percent.is_finite() && self.fee_percent > 0.0 {
            (self.fee_percent * 1000.0).round() as i128
        } else {
            0
        };
        let percent_part = amount.saturating_mul(rate).saturating_add(99_999) / 100_000;
        let fee = i128::from(self.fee_flat.max(0)).saturating_add(percent_part);
        i64::try_from(fee).unwrap_or(i64::MAX)
    }

    /// Whether `amount` is within the channel's limits (not whether it is active).
    pub fn accepts(&self, amount: i64) -> bool {
        self.minimum_amount.is_none_or(|minimum| amount >= minimum)
            && self.maximum_amount.is_none_or(|maximum| amount <= maximum)
    }
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

/// Tripay's API for one merchant. Clones share the HTTP connections and the channel cache.
#[derive(Clone)]
pub struct TripayClient {
    http: reqwest::Client,
    config: Arc<TripayConfig>,
    base_url: String,
    settings: TripaySettings,
    channels: Arc<Mutex<Option<CachedChannels>>>,
}

struct CachedChannels {
    fetched: Instant,
    channels: Vec<PaymentChannel>,
}

/// Never shows the keys.
impl fmt::Debug for TripayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TripayClient")
            .field("merchant_code", &self.config.merchant_code)
            .field("base_url", &self.base_url)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl TripayClient {
    pub fn new(config: TripayConfig) -> Result<Self, TripayError> {
        Self::with_settings(config, TripaySettings::default())
    }

    pub fn with_settings(
        config: TripayConfig,
        settings: TripaySettings,
    ) -> Result<Self, TripayError> {
        let http = reqwest::Client::builder()
            .timeout(settings.http.timeout)
            .user_agent(concat!("webrana-cloud/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| {
                TripayError::Unavailable(format!("cannot set up the Tripay client: {error}"))
            })?;
        Ok(Self {
            http,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            config: Arc::new(config),
            settings,
            channels: Arc::new(Mutex::new(None)),
        })
    }

    /// Every channel of the merchant, active or not, from memory when fetched less than
    /// [`TripaySettings::channels_ttl`] ago.
    #[tracing::instrument(skip(self))]
    pub async fn payment_channels(&self) -> Result<Vec<PaymentChannel>, TripayError> {
        let fresh = self
            .cache()
            .as_ref()
            .filter(|cached| cached.fetched.elapsed() < self.settings.channels_ttl)
            .map(|cached| cached.channels.clone());
        if let Some(channels) = fresh {
            return Ok(channels);
        }
        let raw: Vec<RawChannel> = self
            .call(Method::GET, "merchant/payment-channel", &[], None)
            .await?;
        let channels: Vec<PaymentChannel> = raw.into_iter().map(RawChannel::into_channel).collect();
        *self.cache() = Some(CachedChannels {
            fetched: Instant::now(),
            channels: channels.clone(),
        });
        Ok(channels)
    }

    /// Creates a closed-payment transaction. Sent once: after a timeout or a 5xx, Tripay may
    /// have created it, so look it up with [`Self::transactions_by_merchant_ref`] before trying
    /// again.
    #[tracing::instrument(
        skip(self, request),
        fields(
            merchant_ref = %request.merchant_ref,
            method = %request.method,
            amount = request.amount,
        )
    )]
    pub async fn create_transaction(
        &self,
        request: &NewTransaction,
    ) -> Result<Transaction, TripayError> {
        request.check()?;
        let signature = transaction_signature(
            &self.config.private_key,
            &self.config.merchant_code,
            &request.merchant_ref,
            request.amount,
        );
        let body = request.body(signature);
        let raw: RawTransaction = self
            .call(Method::POST, "transaction/create", &[], Some(&body))
            .await?;
        raw.into_transaction()
    }

    /// One transaction by Tripay's reference.
    #[tracing::instrument(skip(self))]
    pub async fn transaction_detail(&self, reference: &str) -> Result<Transaction, TripayError> {
        let raw: RawTransaction = self
            .call(
                Method::GET,
                "transaction/detail",
                &[("reference", reference)],
                None,
            )
            .await?;
        raw.into_transaction()
    }

    /// The merchant's transactions with our `merchant_ref` (newest first): how a create whose
    /// answer was lost is found.
    #[tracing::instrument(skip(self))]
    pub async fn transactions_by_merchant_ref(
        &self,
        merchant_ref: &str,
    ) -> Result<Vec<Transaction>, TripayError> {
        let raw: Vec<RawTransaction> = self
            .call(
                Method::GET,
                "merchant/transactions",
                &[
                    ("merchant_ref", merchant_ref),
                    ("page", "1"),
                    ("per_page", TRANSACTIONS_PER_PAGE),
                    ("sort", "desc"),
                ],
                None,
            )
            .await?;
        raw.into_iter()
            .map(RawTransaction::into_transaction)
            .collect()
    }

    fn cache(&self) -> MutexGuard<'_, Option<CachedChannels>> {
        // The cache holds plain data, whole or not at all: a panic elsewhere cannot leave it
        // half written.
        self.channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<T, TripayError> {
        let (status, text) = self.send(method, path, query, body).await?;
        read_answer(status, &text)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<(StatusCode, String), TripayError> {
        // Repeating a GET changes nothing; repeating a create may create a second transaction.
        let idempotent = method == Method::GET;
        let settings = &self.settings.http;
        let method = &method;
        let answer = http_retry::with_retries(settings, "Tripay", method, path, || async move {
            let mut request = self
                .http
                .request(method.clone(), format!("{}/{path}", self.base_url))
                .bearer_auth(&self.config.api_key)
                .query(query);
            if let Some(body) = body {
                request = request.json(body);
            }
            let transport = |error| {
                TripayError::Unavailable(http_retry::transport_failure(settings, "Tripay", error))
            };
            match http_retry::exchange(request, idempotent, transport).await {
                Ok(answer) => judge(answer, idempotent, settings),
                Err(attempt) => attempt,
            }
        })
        .await?;
        tracing::debug!(%method, path, status = %answer.status, "Tripay answered");
        Ok((answer.status, answer.text))
    }
}

/// A 429 or a 5xx is Tripay not answering; everything else is read by [`read_answer`].
fn judge(answer: Exchange, idempotent: bool, settings: &HttpSettings) -> Attempt<TripayError> {
    if answer.status == StatusCode::TOO_MANY_REQUESTS {
        // Refused before any work was done: safe to repeat, even a create.
        return match answer.retry_after {
            Some(wait) if wait > settings.max_retry_after => {
                Attempt::Fail(TripayError::RateLimited)
            }
            wait => Attempt::Retry {
                error: TripayError::RateLimited,
                wait,
            },
        };
    }
    if answer.status.is_server_error() {
        let error = TripayError::Unavailable(format!(
            "Tripay answered {}: {}",
            answer.status,
            message_or_excerpt(&answer.text)
        ));
        // A 5xx may come after the work was done, so only a GET goes again.
        return if idempotent {
            Attempt::Retry { error, wait: None }
        } else {
            Attempt::Fail(error)
        };
    }
    Attempt::Answer(answer)
}

/// Reads Tripay's envelope out of an answer that is not a 429 or a 5xx.
fn read_answer<T: DeserializeOwned>(status: StatusCode, text: &str) -> Result<T, TripayError> {
    let envelope = serde_json::from_str::<Envelope>(text);
    let message = envelope
        .as_ref()
        .ok()
        .and_then(|envelope| envelope.message.clone());
    let reason = || status.canonical_reason().unwrap_or("no reason").to_owned();
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        return Err(TripayError::Unauthorized(format!(
            "{status}: {}",
            message.unwrap_or_else(reason)
        )));
    }
    let envelope = envelope.map_err(|error| {
        if status.is_success() {
            TripayError::Malformed(error.to_string())
        } else {
            TripayError::Malformed(format!(
                "Tripay answered {status} with a body that is not its JSON ({error}): {}",
                excerpt(text)
            ))
        }
    })?;
    match envelope.success {
        Some(true) if status.is_success() => {}
        None if status.is_success() => {
            return Err(TripayError::Malformed(
                "the answer has no `success` flag".into(),
            ));
        }
        _ => {
            return Err(TripayError::Rejected(message.unwrap_or_else(|| {
                format!("Tripay answered {status} without a message")
            })));
        }
    }
    let data = envelope
        .data
        .ok_or_else(|| TripayError::Malformed("a successful answer without `data`".into()))?;
    serde_json::from_value(data).map_err(|error| TripayError::Malformed(error.to_string()))
}

/// Tripay's message from an error body, or the start of the body.
fn message_or_excerpt(text: &str) -> String {
    serde_json::from_str::<Envelope>(text)
        .ok()
        .and_then(|envelope| envelope.message)
        .unwrap_or_else(|| {
            let excerpt = excerpt(text);
            if excerpt.trim().is_empty() {
                "no message".to_owned()
            } else {
                excerpt
            }
        })
}

fn excerpt(text: &str) -> String {
    text.chars().take(200).collect()
}

// --- Signatures ---------------------------------------------------------------------------

fn mac(key: &str) -> Hmac<Sha256> {
    match Hmac::<Sha256>::new_from_slice(key.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
        Err(_) => unreachable!("HMAC-SHA256 accepts keys of any length"),
    }
}

/// The `signature` of `transaction/create`: lower-case hex HMAC-SHA256, keyed by the private
/// key, of `merchant_code + merchant_ref + amount` (the amount in base 10, nothing between).
pub fn transaction_signature(
    private_key: &str,
    merchant_code: &str,
    merchant_ref: &str,
    amount: i64,
) -> String {
    let mut mac = mac(private_key);
    mac.update(format!("{merchant_code}{merchant_ref}{amount}").as_bytes());
    to_hex(&mac.finalize().into_bytes())
}

/// The `X-Callback-Signature` of a callback body: lower-case hex HMAC-SHA256 of the raw bytes,
/// keyed by the private key.
pub fn callback_signature(private_key: &str, raw_body: &[u8]) -> String {
    let mut mac = mac(private_key);
    mac.update(raw_body);
    to_hex(&mac.finalize().into_bytes())
}

/// Whether `signature_header` is the signature of `raw_body`, exactly as received (re-serialised
/// JSON does not match). Compared in constant time; either case of hex is accepted.
pub fn verify_callback(private_key: &str, raw_body: &[u8], signature_header: &str) -> bool {
    let Some(expected) = from_hex(signature_header.trim()) else {
        return false;
    };
    let mut mac = mac(private_key);
    mac.update(raw_body);
    mac.verify_slice(&expected).is_ok()
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| {
            let high = char::from(pair[0]).to_digit(16)?;
            let low = char::from(pair[1]).to_digit(16)?;
            u8::try_from((high << 4) | low).ok()
        })
        .collect()
}

// --- Callback -----------------------------------------------------------------------------

/// Reads a callback body, after [`verify_callback`] has accepted it. Numbers may come as
/// strings, `is_closed_payment` as 0/1, `paid_at` as Unix seconds or null; optional fields may
/// be missing. A body that cannot be read is an error, never a panic.
pub fn parse_callback(raw_body: &[u8]) -> Result<CallbackPayment, TripayError> {
    let raw: RawCallback = serde_json::from_slice(raw_body)
        .map_err(|error| TripayError::Malformed(format!("the callback: {error}")))?;
    let missing = |field: &str| TripayError::Malformed(format!("the callback has no `{field}`"));
    let reference = raw.reference.ok_or_else(|| missing("reference"))?;
    let total_amount = raw.total_amount.ok_or_else(|| missing("total_amount"))?;
    let status = raw.status.ok_or_else(|| missing("status"))?;
    let status = PaymentStatus::parse(&status).ok_or_else(|| {
        TripayError::Malformed(format!(
            "the callback's status `{status}` is not one we know"
        ))
    })?;
    let fee_merchant = raw.fee_merchant.unwrap_or(0);
    Ok(CallbackPayment {
        reference,
        merchant_ref: raw.merchant_ref.unwrap_or_default(),
        payment_method: raw
            .payment_method_code
            .or(raw.payment_method)
            .unwrap_or_default(),
        total_amount,
        fee_merchant,
        fee_customer: raw.fee_customer.unwrap_or(0),
        amount_received: raw
            .amount_received
            .unwrap_or(total_amount.saturating_sub(fee_merchant)),
        is_closed_payment: raw.is_closed_payment.unwrap_or(true),
        status,
        paid_at: raw.paid_at,
        note: raw.note,
    })
}

// --- Tripay's shapes, read leniently ------------------------------------------------------

#[derive(Deserialize)]
struct Envelope {
    #[serde(default, deserialize_with = "lenient::bool")]
    success: Option<bool>,
    #[serde(default, deserialize_with = "lenient::string")]
    message: Option<String>,
    #[serde(default)]
    data: Option<Value>,
}

#[derive(Deserialize)]
struct RawChannel {
    #[serde(default, deserialize_with = "lenient::string")]
    code: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    group: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    kind: Option<String>,
    #[serde(default)]
    fee_customer: Option<RawFee>,
    #[serde(default, deserialize_with = "lenient::int")]
    minimum_amount: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    maximum_amount: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    icon_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::bool")]
    active: Option<bool>,
}

#[derive(Deserialize)]
struct RawFee {
    #[serde(default, deserialize_with = "lenient::int")]
    flat: Option<i64>,
    #[serde(default, deserialize_with = "lenient::float")]
    percent: Option<f64>,
}

impl RawChannel {
    fn into_channel(self) -> PaymentChannel {
        let fee = self.fee_customer;
        let code = self.code.unwrap_or_default();
        PaymentChannel {
            name: self.name.unwrap_or_else(|| code.clone()),
            code,
            group: self.group.unwrap_or_default(),
            // Tripay's checkout page works for every channel, so an unknown kind is sent there.
            kind: match self.kind.as_deref().map(str::to_ascii_lowercase).as_deref() {
                Some("direct") => ChannelKind::Direct,
                _ => ChannelKind::Redirect,
            },
            // A list entry is a channel on offer unless it says otherwise.
            active: self.active.unwrap_or(true),
            fee_flat: fee.as_ref().and_then(|fee| fee.flat).unwrap_or(0),
            fee_percent: fee.as_ref().and_then(|fee| fee.percent).unwrap_or(0.0),
            minimum_amount: self.minimum_amount,
            maximum_amount: self.maximum_amount,
            icon_url: self.icon_url.unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
struct RawTransaction {
    #[serde(default, deserialize_with = "lenient::string")]
    reference: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    merchant_ref: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    payment_method: Option<String>,
    /// What the customer pays, fee included.
    #[serde(default, deserialize_with = "lenient::int")]
    amount: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    fee_merchant: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    fee_customer: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    amount_received: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pay_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pay_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    checkout_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    qr_string: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    qr_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient::time")]
    expired_time: Option<DateTime<Utc>>,
    /// The list's name for `expired_time`.
    #[serde(default, deserialize_with = "lenient::time")]
    expired_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient::time")]
    paid_at: Option<DateTime<Utc>>,
    #[serde(default)]
    instructions: Option<Vec<RawInstruction>>,
}

#[derive(Deserialize)]
struct RawInstruction {
    #[serde(default, deserialize_with = "lenient::string")]
    title: Option<String>,
    #[serde(default)]
    steps: Option<Vec<String>>,
}

impl RawTransaction {
    fn into_transaction(self) -> Result<Transaction, TripayError> {
        let missing =
            |field: &str| TripayError::Malformed(format!("a transaction without `{field}`"));
        let reference = self.reference.ok_or_else(|| missing("reference"))?;
        let total_amount = self.amount.ok_or_else(|| missing("amount"))?;
        let status = self.status.ok_or_else(|| missing("status"))?;
        let status = PaymentStatus::parse(&status).ok_or_else(|| {
            TripayError::Malformed(format!(
                "transaction {reference} has the status `{status}`, not one we know"
            ))
        })?;
        let expired_time = self
            .expired_time
            .or(self.expired_at)
            .ok_or_else(|| missing("expired_time"))?;
        let fee_customer = self.fee_customer.unwrap_or(0);
        let fee_merchant = self.fee_merchant.unwrap_or(0);
        Ok(Transaction {
            merchant_ref: self.merchant_ref.unwrap_or_default(),
            payment_method: self.payment_method.unwrap_or_default(),
            amount: total_amount.saturating_sub(fee_customer),
            fee_customer,
            total_amount,
            fee_merchant,
            amount_received: self
                .amount_received
                .unwrap_or(total_amount.saturating_sub(fee_merchant)),
            pay_code: self.pay_code,
            qr_string: self.qr_string,
            qr_url: self.qr_url,
            checkout_url: self.checkout_url.unwrap_or_default(),
            pay_url: self.pay_url,
            status,
            expired_time,
            paid_at: self.paid_at,
            instructions: self
                .instructions
                .unwrap_or_default()
                .into_iter()
                .map(|instruction| Instruction {
                    title: instruction.title.unwrap_or_default(),
                    steps: instruction.steps.unwrap_or_default(),
                })
                .collect(),
            reference,
        })
    }
}

#[derive(Deserialize)]
struct RawCallback {
    #[serde(default, deserialize_with = "lenient::string")]
    reference: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    merchant_ref: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    payment_method: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    payment_method_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    total_amount: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    fee_merchant: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    fee_customer: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    amount_received: Option<i64>,
    #[serde(default, deserialize_with = "lenient::bool")]
    is_closed_payment: Option<bool>,
    #[serde(default, deserialize_with = "lenient::string")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient::time")]
    paid_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient::string")]
    note: Option<String>,
}

/// Field readers that take what Tripay sends: numbers as numbers or strings, flags as booleans
/// or 0/1, `null` and `""` as absent. Anything else is an error, never a guess.
mod lenient {
    use chrono::{DateTime, Utc};
    use serde::de::{Deserialize, Deserializer, Error};
    use serde_json::Value;

    pub fn int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
        int_of(&Value::deserialize(deserializer)?).map_err(D::Error::custom)
    }

    pub fn float<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(None),
            Value::Number(number) => Ok(number.as_f64()),
            Value::String(text) if text.trim().is_empty() => Ok(None),
            Value::String(text) => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|number| number.is_finite())
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("expected a number, got \"{text}\""))),
            other => Err(D::Error::custom(format!("expected a number, got {other}"))),
        }
    }

    pub fn bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let flag = match &value {
            Value::Null => return Ok(None),
            Value::Bool(flag) => Some(*flag),
            Value::Number(number) => match number.as_i64() {
                Some(0) => Some(false),
                Some(1) => Some(true),
                _ => None,
            },
            Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
                "" => return Ok(None),
                "1" | "true" => Some(true),
                "0" | "false" => Some(false),
                _ => None,
            },
            _ => None,
        };
        flag.map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected true/false or 1/0, got {value}")))
    }

    pub fn string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(None),
            Value::String(text) if text.is_empty() => Ok(None),
            Value::String(text) => Ok(Some(text)),
            // A pay code sometimes comes as a bare number.
            Value::Number(number) => Ok(Some(number.to_string())),
            other => Err(D::Error::custom(format!("expected a string, got {other}"))),
        }
    }

    /// Unix seconds; `0` is "not yet", as `null` is.
    pub fn time<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        match int_of(&Value::deserialize(deserializer)?).map_err(D::Error::custom)? {
            None | Some(0) => Ok(None),
            Some(seconds) => DateTime::from_timestamp(seconds, 0)
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("{seconds} is not a time"))),
        }
    }

    /// A whole number of rupiah (or seconds): `154250`, `"154250"`, `154250.0`, `"154250.00"`.
    /// A fraction is an error: money here has none.
    pub fn int_of(value: &Value) -> Result<Option<i64>, String> {
        let whole = |number: f64| {
            (number.is_finite() && number.fract() == 0.0 && number.abs() < 9.0e15)
                .then_some(number as i64)
        };
        match value {
            Value::Null => Ok(None),
            Value::Number(number) => number
                .as_i64()
                .or_else(|| number.as_f64().and_then(whole))
                .map(Some)
                .ok_or_else(|| format!("expected a whole number, got {number}")),
            Value::String(text) => {
                let text = text.trim();
                if text.is_empty() {
                    return Ok(None);
                }
                text.parse::<i64>()
                    .ok()
                    .or_else(|| text.parse::<f64>().ok().and_then(whole))
                    .map(Some)
                    .ok_or_else(|| format!("expected a whole number, got \"{text}\""))
            }
            other => Err(format!("expected a whole number, got {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The worked example of Tripay's integration notes (made-up keys), recomputed with Python's
    // `hmac` and `openssl dgst`.
    const PRIVATE_KEY: &str = "AbCdE-12345-FgHiJ-67890-KlMnO";
    const CALLBACK: &[u8] = br#"{"reference":"DEV-T12345123456ABCDE","merchant_ref":"INV-2024-000123","payment_method":"BRIVA","payment_method_code":"BRIVA","total_amount":154250,"fee_merchant":0,"fee_customer":4250,"total_fee":4250,"amount_received":150000,"is_closed_payment":1,"status":"PAID","paid_at":1718000000,"note":null}"#;
    const CALLBACK_SIGNATURE: &str =
        "0db9480d499bd65b1cc7272d9357836d7d8e6cb7c0af2f2595cda00c5fb3918e";

    fn channel(flat: i64, percent: f64) -> PaymentChannel {
        PaymentChannel {
            code: "QRIS".into(),
            name: "QRIS".into(),
            group: "E-Wallet".into(),
            kind: ChannelKind::Direct,
            active: true,
            fee_flat: flat,
            fee_percent: percent,
            minimum_amount: Some(10_000),
            maximum_amount: Some(5_000_000),
            icon_url: String::new(),
        }
    }

    #[test]
    fn transaction_signature_matches_the_worked_example() {
        assert_eq!(
            transaction_signature(PRIVATE_KEY, "T12345", "INV-2024-000123", 150_000),
            "71d47c94110362ad92a405242b73024a6a60c70a0065fb2e1f7c5ad6c8bf4dc0"
        );
    }

    #[test]
    fn callback_signature_matches_the_worked_example() {
        assert_eq!(CALLBACK.len(), 297);
        assert_eq!(
            callback_signature(PRIVATE_KEY, CALLBACK),
            CALLBACK_SIGNATURE
        );
        assert!(verify_callback(PRIVATE_KEY, CALLBACK, CALLBACK_SIGNATURE));
        assert!(verify_callback(
            PRIVATE_KEY,
            CALLBACK,
            &format!(" {} ", CALLBACK_SIGNATURE.to_ascii_uppercase())
        ));
    }

    #[test]
    fn verification_refuses_anything_else() {
        assert!(!verify_callback(
            "another-key",
            CALLBACK,
            CALLBACK_SIGNATURE
        ));
        assert!(!verify_callback(PRIVATE_KEY, CALLBACK, ""));
        assert!(!verify_callback(PRIVATE_KEY, CALLBACK, "not hex at all"));
        assert!(!verify_callback(
            PRIVATE_KEY,
            CALLBACK,
            &CALLBACK_SIGNATURE[..62]
        ));
        assert!(!verify_callback(
            PRIVATE_KEY,
            CALLBACK,
            &format!("{CALLBACK_SIGNATURE}00")
        ));
        // `+a` would pass `u8::from_str_radix`; it is not a hex digit pair.
        let plus = format!("+{}", &CALLBACK_SIGNATURE[1..]);
        assert!(!verify_callback(PRIVATE_KEY, CALLBACK, &plus));
        let mut tampered = CALLBACK.to_vec();
        tampered[100] ^= 1;
        assert!(!verify_callback(PRIVATE_KEY, &tampered, CALLBACK_SIGNATURE));
    }

    #[test]
    fn hex_round_trips() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(from_hex(&to_hex(&bytes)), Some(bytes));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }

    #[test]
    fn the_worked_callback_parses() {
        let payment = parse_callback(CALLBACK).unwrap();
        assert_eq!(payment.reference, "DEV-T12345123456ABCDE");
        assert_eq!(payment.merchant_ref, "INV-2024-000123");
        assert_eq!(payment.payment_method, "BRIVA");
        assert_eq!(payment.total_amount, 154_250);
        assert_eq!(payment.fee_customer, 4_250);
        assert_eq!(payment.amount_received, 150_000);
        assert!(payment.is_closed_payment);
        assert_eq!(payment.status, PaymentStatus::Paid);
        assert_eq!(payment.paid_at, DateTime::from_timestamp(1_718_000_000, 0));
        assert_eq!(payment.note, None);
    }

    #[test]
    fn callbacks_are_read_leniently() {
        let body = json!({
            "reference": "T0099000000000000042",
            "merchant_ref": "WC-2025-0007",
            "payment_method": "QRIS",
            "payment_method_code": "QRIS2",
            "total_amount": "101450",
            "fee_merchant": "0",
            "fee_customer": 1450,
            "is_closed_payment": "0",
            "status": "paid",
            "paid_at": "1750000000",
            "note": "",
        });
        let payment = parse_callback(body.to_string().as_bytes()).unwrap();
        assert_eq!(payment.payment_method, "QRIS2");
        assert_eq!(payment.total_amount, 101_450);
        assert_eq!(payment.fee_merchant, 0);
        assert_eq!(payment.fee_customer, 1_450);
        // Left out: what the merchant keeps is the total less the merchant's fee.
        assert_eq!(payment.amount_received, 101_450);
        assert!(!payment.is_closed_payment);
        assert_eq!(payment.status, PaymentStatus::Paid);
        assert_eq!(payment.paid_at, DateTime::from_timestamp(1_750_000_000, 0));
        assert_eq!(payment.note, None);

        let minimal =
            br#"{"reference":"T1","status":"EXPIRED","total_amount":5000.0,"paid_at":null}"#;
        let payment = parse_callback(minimal).unwrap();
        assert_eq!(payment.merchant_ref, "");
        assert_eq!(payment.payment_method, "");
        assert_eq!(payment.total_amount, 5_000);
        assert!(payment.is_closed_payment);
        assert_eq!(payment.status, PaymentStatus::Expired);
        assert_eq!(payment.paid_at, None);
    }

    #[test]
    fn unreadable_callbacks_are_errors() {
        let bodies: [&[u8]; 7] = [
            b"",
            b"not json",
            b"[]",
            br#"{"status":"PAID","total_amount":1}"#,
            br#"{"reference":"T1","status":"PAID"}"#,
            br#"{"reference":"T1","status":"SETTLED","total_amount":1}"#,
            br#"{"reference":"T1","status":"PAID","total_amount":"12.5"}"#,
        ];
        for body in bodies {
            let error = parse_callback(body).unwrap_err();
            assert!(
                matches!(error, TripayError::Malformed(_)),
                "{}: {error:?}",
                String::from_utf8_lossy(body)
            );
        }
        let flag = br#"{"reference":"T1","status":"PAID","total_amount":1,"is_closed_payment":2}"#;
        assert!(parse_callback(flag).is_err());
    }

    #[test]
    fn statuses_parse_in_any_case() {
        for status in [
            PaymentStatus::Unpaid,
            PaymentStatus::Paid,
            PaymentStatus::Expired,
            PaymentStatus::Failed,
            PaymentStatus::Refund,
        ] {
            assert_eq!(PaymentStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                PaymentStatus::parse(&status.as_str().to_ascii_lowercase()),
                Some(status)
            );
        }
        assert_eq!(PaymentStatus::parse("REFUNDED"), None);
    }

    #[test]
    fn customer_fee_adds_the_flat_part_and_rounds_the_percentage_up() {
        // The fee calculator's example: 750 + 0.70 % of 100 000.
        assert_eq!(channel(750, 0.7).customer_fee(100_000), 1_450);
        // 0.7 % of 150 001 is 1 050.007: one rupiah more, never less.
        assert_eq!(channel(750, 0.7).customer_fee(150_001), 750 + 1_051);
        assert_eq!(channel(0, 0.7).customer_fee(150_000), 1_050);
        // 2.5 % given as a float that is not exact in binary.
        assert_eq!(channel(0, 2.5).customer_fee(10_001), 251);
        assert_eq!(channel(0, 0.1 + 0.2).customer_fee(100_000), 300);
        assert_eq!(channel(4_250, 0.0).customer_fee(150_000), 4_250);
        assert_eq!(channel(0, 0.0).customer_fee(150_000), 0);
        assert_eq!(channel(0, f64::NAN).customer_fee(150_000), 0);
        assert_eq!(channel(500, 1.0).customer_fee(-10), 500);
        assert_eq!(channel(0, 100.0).customer_fee(i64::MAX), i64::MAX);
        assert_eq!(channel(0, f64::MAX).customer_fee(i64::MAX), i64::MAX);
    }

    #[test]
    fn channel_limits() {
        let channel = channel(0, 0.0);
        assert!(!channel.accepts(9_999));
        assert!(channel.accepts(10_000));
        assert!(channel.accepts(5_000_000));
        assert!(!channel.accepts(5_000_001));
        let unlimited = PaymentChannel {
            minimum_amount: None,
            maximum_amount: None,
            ..channel
        };
        assert!(unlimited.accepts(1));
    }

    #[test]
    fn channel_fields_are_read_leniently() {
        let raw: RawChannel = serde_json::from_value(json!({
            "group": "Virtual Account",
            "code": "MANDIRIVA",
            "name": "Mandiri Virtual Account",
            "type": "DIRECT",
            "fee_merchant": { "flat": 0, "percent": 0 },
            "fee_customer": { "flat": "4000", "percent": "0.25" },
            "total_fee": { "flat": 4000, "percent": "0.25" },
            "minimum_fee": null,
            "maximum_fee": null,
            "minimum_amount": "10000",
            "icon_url": null,
            "active": 1,
            "some_new_field": [1, 2, 3],
        }))
        .unwrap();
        let channel = raw.into_channel();
        assert_eq!(channel.kind, ChannelKind::Direct);
        assert_eq!(channel.fee_flat, 4_000);
        assert!((channel.fee_percent - 0.25).abs() < 1e-9);
        assert_eq!(channel.minimum_amount, Some(10_000));
        assert_eq!(channel.maximum_amount, None);
        assert_eq!(channel.icon_url, "");
        assert!(channel.active);
    }

    #[test]
    fn answers_are_read_by_status_and_success_flag() {
        let ok: Result<Vec<i64>, _> = read_answer(
            StatusCode::OK,
            r#"{"success":true,"message":"","data":[1,2]}"#,
        );
        assert_eq!(ok.unwrap(), vec![1, 2]);
        let refused: Result<Value, _> = read_answer(
            StatusCode::OK,
            r#"{"success":false,"message":"Channel tidak aktif"}"#,
        );
        assert!(matches!(refused, Err(TripayError::Rejected(m)) if m == "Channel tidak aktif"));
        let bad_request: Result<Value, _> =
            read_answer(StatusCode::BAD_REQUEST, r#"{"success":false}"#);
        assert!(matches!(bad_request, Err(TripayError::Rejected(m)) if m.contains("400")));
        let key: Result<Value, _> = read_answer(
            StatusCode::UNAUTHORIZED,
            r#"{"success":false,"message":"Invalid API Key"}"#,
        );
        assert!(matches!(key, Err(TripayError::Unauthorized(m)) if m.contains("Invalid API Key")));
        let html: Result<Value, _> = read_answer(StatusCode::NOT_FOUND, "<html>nope</html>");
        assert!(matches!(html, Err(TripayError::Malformed(_))));
        let flagless: Result<Value, _> = read_answer(StatusCode::OK, r#"{"data":1}"#);
        assert!(matches!(flagless, Err(TripayError::Malformed(_))));
        let dataless: Result<Value, _> = read_answer(StatusCode::OK, r#"{"success":true}"#);
        assert!(matches!(dataless, Err(TripayError::Malformed(_))));
    }

    #[test]
    fn items_must_add_up_to_the_amount() {
        let mut request = NewTransaction {
            method: "BRIVA".into(),
            merchant_ref: "WC-1".into(),
            amount: 200_000,
            customer_name: "Sari".into(),
            customer_email: "sari@example.test".into(),
            customer_phone: None,
            order_items: vec![
                OrderItem {
                    sku: None,
                    name: "VPS".into(),
                    price: 50_000,
                    quantity: 3,
                },
                OrderItem {
                    sku: None,
                    name: "Backup".into(),
                    price: 50_000,
                    quantity: 1,
                },
            ],
            callback_url: None,
            return_url: None,
            expired_time: 1_800_000_000,
        };
        request.check().unwrap();
        request.amount = 199_999;
        assert!(matches!(request.check(), Err(TripayError::Rejected(_))));
        request.amount = 200_000;
        request.order_items[0].quantity = i64::MAX;
        assert!(matches!(request.check(), Err(TripayError::Rejected(_))));
        request.order_items.clear();
        request.amount = 0;
        assert!(matches!(request.check(), Err(TripayError::Rejected(_))));
    }

    #[test]
    fn debug_hides_the_keys() {
        let config = TripayConfig {
            api_key: "DEV-secret-api-key".into(),
            private_key: "secret-private-key".into(),
            merchant_code: "T12345".into(),
            base_url: SANDBOX_BASE_URL.into(),
        };
        let client = TripayClient::new(config.clone()).unwrap();
        for shown in [format!("{config:?}"), format!("{client:?}")] {
            assert!(!shown.contains("secret"), "{shown}");
            assert!(shown.contains("T12345"));
        }
    }

    #[test]
    fn error_codes() {
        assert_eq!(TripayError::Unauthorized("x".into()).code(), Code::Internal);
        assert_eq!(
            TripayError::Rejected("x".into()).code(),
            Code::PaymentRejected
        );
        assert_eq!(TripayError::RateLimited.code(), Code::RateLimited);
        assert_eq!(
            TripayError::Unavailable("x".into()).code(),
            Code::PaymentGatewayUnavailable
        );
        assert!(TripayError::Unavailable("x".into()).is_transient());
        assert!(!TripayError::Rejected("x".into()).is_transient());
    }
}
