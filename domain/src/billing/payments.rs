//! Paying an invoice: the customer picks a channel, the gateway gives a pay code, a QRIS string
//! or a checkout link, and the gateway's callback settles it. A callback is believed only when
//! its signature over the raw body verifies, its event is `payment_status`, and its reference,
//! invoice and amount all match what we asked for; it then changes state at most once.
//!
//! A payment's status changes only through [`transition`]. It keeps no history table of its
//! own: an attempt moves at most twice (paid, then perhaps refunded; or expired or failed, then
//! perhaps paid late), its row keeps when it was made, paid and last changed, and what a person
//! asks about afterwards is the invoice's, which `invoice_events` records (paid through which
//! gateway, refunded), and the audit log's (a forged callback, money that needs refunding).

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::channels::{self, ExpiryWindows};
use super::credit;
use super::invoices::{self, Invoice, InvoiceChange, InvoiceStatus};
use super::refusals::{Refusal, Refusals};
use super::tripay::{self, TripayClient};
use super::{BillingError, sandbox_private_key};
use crate::audit::{self, AuditEvent};
use crate::caller::Caller;
use crate::db::Tx;
use crate::error::Code;
use crate::notifications::notices::BilledBy;
use crate::notifications::{self, Notice, alerts};
use crate::orders::pricing::Line;
use crate::outcomes::{self, Service};
use crate::transitions::{Move, compare_and_set};
use crate::{Db, DbError, db_run, orders, tx_run};
use model::accounts::Role;
pub use model::status::PaymentStatus;

/// Where payments go.
#[derive(Clone, Debug)]
pub enum Gateway {
    /// No money moves: a checkout page of our own settles the invoice through a callback
    /// signed with `private_key`, posted to `callback_url` like Tripay's.
    Sandbox {
        private_key: String,
        callback_url: String,
    },
    Tripay {
        client: TripayClient,
        /// The merchant's private key, which signs Tripay's callbacks.
        private_key: String,
        callback_url: String,
    },
}

impl Gateway {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sandbox { .. } => "sandbox",
            Self::Tripay { .. } => "tripay",
        }
    }

    fn private_key(&self) -> &str {
        match self {
            Self::Sandbox { private_key, .. } | Self::Tripay { private_key, .. } => private_key,
        }
    }

    /// The sandbox gateway, with a key made on first start and kept in the database.
    pub async fn sandbox(db: &Db, callback_url: String) -> Result<Self, DbError> {
        Ok(Self::Sandbox {
            private_key: sandbox_private_key(db).await?,
            callback_url,
        })
    }
}

pub use model::billing::{Channel, Instruction};

/// The sandbox's channels: one of each kind a real gateway offers (a QR code, a virtual account,
/// an e-wallet that needs the customer's phone), without fees.
fn sandbox_channels() -> Vec<Channel> {
    [
        ("QRIS", "QRIS (sandbox)", "QRIS"),
        ("BRIVA", "BRI Virtual Account (sandbox)", "Virtual Account"),
        ("OVO", "OVO (sandbox)", "E-Wallet"),
    ]
    .into_iter()
    .map(|(code, name, group)| Channel {
        code: code.into(),
        name: name.into(),
        group: group.into(),
        fee: 0,
        phone_needed: false,
    })
    .collect()
}

/// One payment attempt as the customer sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentView {
    pub reference: String,
    pub gateway: String,
    pub channel: String,
    pub amount: i64,
    pub fee_customer: i64,
    pub total_amount: i64,
    pub status: PaymentStatus,
    pub pay_code: Option<String>,
    pub qr_string: Option<String>,
    pub checkout_url: Option<String>,
    pub instructions: Vec<Instruction>,
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct PaymentRow {
    id: i64,
    invoice_id: i64,
    reference: String,
    gateway: String,
    channel: String,
    amount: i64,
    fee_customer: i64,
    total_amount: i64,
    #[sqlx(try_from = "String")]
    status: PaymentStatus,
    pay_code: Option<String>,
    qr_string: Option<String>,
    checkout_url: Option<String>,
    instructions: String,
    expires_at: DateTime<Utc>,
    paid_at: Option<DateTime<Utc>>,
}

const PAYMENT_COLUMNS: &str = "id, invoice_id, reference, gateway, channel, amount, fee_customer, \
     total_amount, status, pay_code, qr_string, checkout_url, instructions, expires_at, paid_at";

impl From<PaymentRow> for PaymentView {
    fn from(row: PaymentRow) -> Self {
        Self {
            reference: row.reference,
            gateway: row.gateway,
            channel: row.channel,
            amount: row.amount,
            fee_customer: row.fee_customer,
            total_amount: row.total_amount,
            status: row.status,
            pay_code: row.pay_code,
            qr_string: row.qr_string,
            checkout_url: row.checkout_url,
            instructions: serde_json::from_str(&row.instructions).unwrap_or_default(),
            expires_at: row.expires_at,
            paid_at: row.paid_at,
        }
    }
}

/// An invoice with everything its page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceView {
    pub invoice: Invoice,
    pub lines: Vec<Line>,
    pub payments: Vec<PaymentView>,
}

/// Why a callback was turned away. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    #[error("invalid signature")]
    BadSignature,
    /// This sender's callbacks failed their signature too often this minute: not looked at.
    #[error("too many refused callbacks from this sender")]
    TooMany,
    #[error("unsupported callback event")]
    WrongEvent,
    #[error("unreadable callback: {0}")]
    Malformed(String),
    #[error("no payment with this reference")]
    UnknownReference,
    #[error("the reference, invoice or amount does not match the payment")]
    Mismatch,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Order(#[from] orders::OrderError),
}

impl From<sqlx::Error> for CallbackError {
    fn from(error: sqlx::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

/// How old an open payment is before its missing callback is looked for: Tripay calls back
/// within seconds of the money arriving.
pub const RECONCILE_AFTER: chrono::Duration = chrono::Duration::minutes(5);

/// The most payments one sweep asks about, so a backlog is worked through over several sweeps
/// instead of one long one.
const RECONCILE_BATCH: i64 = 200;

/// How long to wait before asking about a payment again, after a check found it unpaid and
/// `checks` checks had come before that one: 10 minutes, then 20, 40, and at most an hour, so a
/// customer who pays an hour later is still found within the hour and an abandoned payment
/// costs Tripay a call an hour at most.
pub fn next_check(checks: i64) -> chrono::Duration {
    let doublings = u32::try_from(checks.clamp(0, 3)).unwrap_or(3);
    (chrono::Duration::minutes(10) * 2_i32.pow(doublings)).min(chrono::Duration::hours(1))
}

/// What one reconcile sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Payments asked about.
    pub checked: u64,
    /// Of those, the ones whose status changed (paid, expired, failed or refunded).
    pub settled: u64,
}

#[derive(sqlx::FromRow)]
struct DuePayment {
    #[sqlx(flatten)]
    payment: PaymentRow,
    #[sqlx(rename = "reconcile_checks")]
    checks: i64,
}

/// What the sandbox checkout page can make happen to a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SandboxOutcome {
    Pay,
    Expire,
}

#[derive(Clone, Debug)]
pub struct Billing {
    db: Db,
    gateway: Gateway,
    windows: ExpiryWindows,
    http: reqwest::Client,
    refusals: Arc<Refusals>,
}

/// A channel the invoice can be paid through now, and when its pay code would expire.
struct Offer {
    channel: Channel,
    expires_at: DateTime<Utc>,
}

pub(super) fn invalid(field: &'static str, code: Code, message: impl Into<String>) -> BillingError {
    BillingError::Invalid {
        field,
        code,
        message: message.into(),
    }
}

impl Billing {
    pub fn new(db: Db, gateway: Gateway) -> Self {
        Self {
            db,
            gateway,
            windows: ExpiryWindows::default(),
            http: reqwest::Client::new(),
            refusals: Arc::default(),
        }
    }

    /// How long each channel's pay codes may live, where the operator knows better than
    /// [`channels::DEFAULT_WINDOW`].
    pub fn with_expiry_windows(mut self, windows: ExpiryWindows) -> Self {
        self.windows = windows;
        self
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub fn gateway_name(&self) -> &'static str {
        self.gateway.name()
    }

    /// Payments go through a real gateway, not the sandbox's pretend one.
    pub fn takes_real_money(&self) -> bool {
        !matches!(self.gateway, Gateway::Sandbox { .. })
    }

    /// The ways to pay one of the caller's invoices now, with the fee each adds to it.
    pub async fn channels_for(
        &self,
        caller: &Caller,
        invoice_id: i64,
    ) -> Result<Vec<Channel>, BillingError> {
        let invoice = self.visible_invoice(caller, invoice_id).await?;
        let phone = self.phone_of(invoice.user_id).await?;
        Ok(self
            .offers(&invoice, phone.is_some(), Utc::now())
            .await?
            .into_iter()
            .map(|offer| offer.channel)
            .collect())
    }

    /// The ways to pay `invoice` at `now`: the gateway's channels that take its total and can
    /// keep a pay code alive for at least their shortest window before the invoice ends.
    async fn offers(
        &self,
        invoice: &Invoice,
        has_phone: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<Offer>, BillingError> {
        let channels = match &self.gateway {
            Gateway::Sandbox { .. } => sandbox_channels(),
            Gateway::Tripay { client, .. } => client
                .payment_channels()
                .await?
                .into_iter()
                .filter(|channel| channel.active && channel.accepts(invoice.amount_due()))
                .map(|channel| Channel {
                    fee: channel.customer_fee(invoice.amount_due()),
                    code: channel.code,
                    name: channel.name,
                    group: channel.group,
                    phone_needed: false,
                })
                .collect(),
        };
        Ok(channels
            .into_iter()
            .filter_map(|mut channel| {
                let window = self.windows.window(&channel.code);
                let expires_at = window.expiry(now, invoice.expires_at)?;
                channel.phone_needed = channels::needs_phone(&channel.code) && !has_phone;
                Some(Offer {
                    channel,
                    expires_at,
                })
            })
            .collect())
    }

    /// The phone number on a customer's profile, which some channels need.
    async fn phone_of(&self, user_id: i64) -> Result<Option<String>, BillingError> {
        let phone: Option<Option<String>> = db_run!(&self.db, |pool| {
            sqlx::query_scalar("SELECT phone FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await
        })?;
        Ok(phone.flatten())
    }

    async fn visible_invoice(&self, caller: &Caller, id: i64) -> Result<Invoice, BillingError> {
        let invoice = invoices::by_id(&self.db, id)
            .await?
            .ok_or(BillingError::NotFound)?;
        if invoice.user_id == caller.user_id || caller.role == Role::Admin {
            Ok(invoice)
        } else {
            Err(BillingError::NotFound)
        }
    }

    /// The caller's own invoice, if it can be paid now (unpaid and not past its time).
    pub(super) async fn payable_invoice(
        &self,
        caller: &Caller,
        invoice_id: i64,
    ) -> Result<Invoice, BillingError> {
        let invoice = self.visible_invoice(caller, invoice_id).await?;
        if invoice.user_id != caller.user_id {
            return Err(BillingError::NotFound);
        }
        if invoice.status != InvoiceStatus::Unpaid || invoice.expires_at <= Utc::now() {
            let status = if invoice.status == InvoiceStatus::Unpaid {
                InvoiceStatus::Expired
            } else {
                invoice.status
            };
            return Err(BillingError::NotPayable(status.to_string()));
        }
        Ok(invoice)
    }

    pub async fn invoice(&self, caller: &Caller, id: i64) -> Result<InvoiceView, BillingError> {
        let invoice = self.visible_invoice(caller, id).await?;
        let lines = invoices::lines(&self.db, id).await?;
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE invoice_id = $1 ORDER BY id DESC"
        );
        let payments: Vec<PaymentRow> = db_run!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id)
                .fetch_all(pool)
                .await
        })?;
        Ok(InvoiceView {
            invoice,
            lines,
            payments: payments.into_iter().map(PaymentView::from).collect(),
        })
    }

    /// The caller's invoices, or with `all` (admins only) everyone's; newest first.
    pub async fn list(&self, caller: &Caller, all: bool) -> Result<Vec<Invoice>, BillingError> {
        if all {
            caller.require_admin()?;
        }
        let sql = format!(
            "SELECT {} FROM invoices WHERE (CAST($1 AS BIGINT) IS NULL OR user_id = $1) \
             ORDER BY id DESC LIMIT 500",
            invoices::INVOICE_COLUMNS
        );
        let user = (!all).then_some(caller.user_id);
        Ok(db_run!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(user)
                .fetch_all(pool)
                .await
        })?)
    }

    /// Starts paying an invoice through `channel`; asking again for the same channel while its
    /// payment is open answers that payment, so a double click does not make two.
    pub async fn pay(
        &self,
        caller: &Caller,
        invoice_id: i64,
        channel: &str,
    ) -> Result<PaymentView, BillingError> {
        let invoice = self.payable_invoice(caller, invoice_id).await?;
        let now = Utc::now();
        let phone = self.phone_of(invoice.user_id).await?;
        let offered = self.offers(&invoice, phone.is_some(), now).await?;
        let Some(Offer {
            channel: chosen,
            expires_at,
        }) = offered
            .into_iter()
            .find(|offer| offer.channel.code == channel)
        else {
            return Err(invalid(
                "channel",
                Code::ChannelUnknown,
                format!("`{channel}` is not a way to pay this invoice now"),
            ));
        };
        if chosen.phone_needed {
            return Err(invalid(
                "phone",
                Code::PhoneRequired,
                format!(
                    "{} needs your phone number: add it on your profile, then pay",
                    chosen.name
                ),
            ));
        }
        // Credit paid part of the invoice since a payment was asked for: that one asks too much.
        let due = invoice.amount_due();
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE invoice_id = $1 AND channel = $2 \
             AND status = $4 AND expires_at > $3 AND amount = $5 ORDER BY id DESC"
        );
        let open: Option<PaymentRow> = db_run!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(invoice_id)
                .bind(channel)
                .bind(now)
                .bind(PaymentStatus::Unpaid.as_str())
                .bind(due)
                .fetch_optional(pool)
                .await
        })?;
        if let Some(open) = open {
            return Ok(open.into());
        }
        let started = match &self.gateway {
            Gateway::Sandbox { .. } => {
                let reference = format!(
                    "SBX-{}",
                    uuid::Uuid::new_v4().simple().to_string()[..16].to_ascii_uppercase()
                );
                let qris = chosen.group == "QRIS";
                let virtual_account = chosen.group == "Virtual Account";
                PaymentView {
                    checkout_url: Some(format!("/pay/sandbox/{reference}")),
                    pay_code: virtual_account.then(|| {
                        format!("8808{}", &invoice.number.replace(['I', 'N', 'V', '-'], ""))
                    }),
                    qr_string: qris
                        .then(|| format!("SANDBOX-QRIS|{}|{}|{}", reference, invoice.number, due)),
                    instructions: vec![Instruction {
                        title: "Sandbox".into(),
                        steps: vec![
                            "No money moves: this installation runs the sandbox payment gateway."
                                .into(),
                            "Open the checkout page and choose Pay or Let it expire.".into(),
                        ],
                    }],
                    reference,
                    gateway: "sandbox".into(),
                    channel: chosen.code.clone(),
                    amount: due,
                    fee_customer: 0,
                    total_amount: due,
                    status: PaymentStatus::Unpaid,
                    expires_at,
                    paid_at: None,
                }
            }
            Gateway::Tripay {
                client,
                callback_url,
                ..
            } => {
                let created = client
                    .create_transaction(&tripay::NewTransaction {
                        method: chosen.code.clone(),
                        merchant_ref: invoice.number.clone(),
                        amount: due,
                        customer_name: invoice.customer_name.clone(),
                        customer_email: invoice.customer_email.clone(),
                        customer_phone: phone.as_deref().map(channels::local_phone),
                        // One line for the whole invoice: Tripay checks that the items add up
                        // to the amount, and our lines do not carry the tax.
                        order_items: vec![tripay::OrderItem {
                            sku: Some(invoice.number.clone()),
                            name: format!("Webrana Cloud {}", invoice.number),
                            price: due,
                            quantity: 1,
                        }],
                        callback_url: Some(callback_url.clone()),
                        return_url: None,
                        expired_time: expires_at.timestamp(),
                    })
                    .await?;
                PaymentView {
                    reference: created.reference,
                    gateway: "tripay".into(),
                    channel: chosen.code.clone(),
                    amount: due,
                    fee_customer: created.fee_customer,
                    total_amount: created.total_amount,
                    status: PaymentStatus::Unpaid,
                    pay_code: created.pay_code,
                    qr_string: created.qr_string,
                    checkout_url: Some(created.checkout_url),
                    instructions: created
                        .instructions
                        .into_iter()
                        .map(|instruction| Instruction {
                            title: instruction.title,
                            steps: instruction.steps,
                        })
                        .collect(),
                    expires_at: created.expired_time,
                    paid_at: None,
                }
            }
        };
        let instructions =
            serde_json::to_string(&started.instructions).unwrap_or_else(|_| "[]".into());
        db_run!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO payments (invoice_id, gateway, reference, channel, amount, \
                 fee_customer, total_amount, status, pay_code, qr_string, checkout_url, \
                 instructions, expires_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $14, $8, $9, $10, $11, $12, $13, $13)",
            )
            .bind(invoice_id)
            .bind(&started.gateway)
            .bind(&started.reference)
            .bind(&started.channel)
            .bind(started.amount)
            .bind(started.fee_customer)
            .bind(started.total_amount)
            .bind(&started.pay_code)
            .bind(&started.qr_string)
            .bind(&started.checkout_url)
            .bind(&instructions)
            .bind(started.expires_at)
            .bind(now)
            .bind(started.status.as_str())
            .execute(pool)
            .await
            .map(|_| ())
        })?;
        metrics::counter!("payments_started_total", "channel" => started.channel.clone())
            .increment(1);
        Ok(started)
    }

    /// Applies a gateway callback: `raw` exactly as received, with its `X-Callback-Signature`
    /// and `X-Callback-Event` headers. Nothing is read from the body before the signature holds,
    /// and a sender whose signatures keep failing is not listened to for a while (see
    /// [`refusals`](super::refusals)).
    /// One that is applied is noted for the admin health page ([`outcomes`]).
    #[tracing::instrument(
        name = "payment.callback",
        skip_all,
        fields(event = event.unwrap_or_default(), sentry.op = "payment.callback")
    )]
    pub async fn apply_callback(
        &self,
        raw: &[u8],
        signature: Option<&str>,
        event: Option<&str>,
        from_ip: Option<&str>,
    ) -> Result<(), CallbackError> {
        let signed = signature.is_some_and(|signature| {
            tripay::verify_callback(self.gateway.private_key(), raw, signature)
        });
        if !signed {
            let now = Instant::now();
            if self.refusals.is_cut_off(from_ip, now) {
                return Err(CallbackError::TooMany);
            }
            self.refusals.count_bad_signature(from_ip, now);
            self.security_event(Refusal::BadSignature, from_ip, None)
                .await?;
            return Err(CallbackError::BadSignature);
        }
        if event != Some(tripay::CALLBACK_EVENT) {
            return Err(CallbackError::WrongEvent);
        }
        let callback = tripay::parse_callback(raw)
            .map_err(|error| CallbackError::Malformed(error.to_string()))?;
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE reference = $1");
        let payment: Option<PaymentRow> = db_run!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(&callback.reference)
                .fetch_optional(pool)
                .await
        })?;
        let Some(payment) = payment else {
            self.security_event(
                Refusal::UnknownReference,
                from_ip,
                Some(format!("reference {}", callback.reference)),
            )
            .await?;
            return Err(CallbackError::UnknownReference);
        };
        let invoice = invoices::by_id(&self.db, payment.invoice_id)
            .await?
            .ok_or(CallbackError::UnknownReference)?;
        if invoice.number != callback.merchant_ref || payment.total_amount != callback.total_amount
        {
            self.security_event(
                Refusal::Mismatch,
                from_ip,
                Some(format!(
                    "reference {}: merchant_ref {} for {}, total {} for {}",
                    callback.reference,
                    callback.merchant_ref,
                    invoice.number,
                    callback.total_amount,
                    payment.total_amount
                )),
            )
            .await?;
            return Err(CallbackError::Mismatch);
        }
        self.apply_status(
            &payment,
            callback.status,
            callback.paid_at.unwrap_or_else(Utc::now),
        )
        .await?;
        outcomes::succeeded(&self.db, Service::PaymentCallback, Some(&payment.channel)).await;
        Ok(())
    }

    /// Moves a payment, its invoice and the order behind it on for what the gateway reports,
    /// once: a status the payment already has, or cannot come to from where it is, changes
    /// nothing. Answers the status it moved the payment to, if it moved it.
    async fn apply_status(
        &self,
        payment: &PaymentRow,
        reported: tripay::PaymentStatus,
        at: DateTime<Utc>,
    ) -> Result<Option<PaymentStatus>, CallbackError> {
        let to = match reported {
            tripay::PaymentStatus::Paid => PaymentStatus::Paid,
            tripay::PaymentStatus::Expired => PaymentStatus::Expired,
            tripay::PaymentStatus::Failed => PaymentStatus::Failed,
            tripay::PaymentStatus::Refund => PaymentStatus::Refunded,
            tripay::PaymentStatus::Unpaid => return Ok(None),
        };
        let mut tx = self.db.begin().await?;
        if !transition(&mut tx, payment.id, to, at).await?.made() {
            return Ok(None);
        }
        match to {
            PaymentStatus::Paid => {
                let settled = invoices::transition(
                    &mut tx,
                    payment.invoice_id,
                    InvoiceStatus::Paid,
                    InvoiceChange {
                        paid: Some((payment.gateway.as_str(), at)),
                        ..InvoiceChange::default()
                    },
                )
                .await?;
                let invoice = invoices::by_id_in(&mut tx, payment.invoice_id)
                    .await?
                    .ok_or(CallbackError::UnknownReference)?;
                if settled.made() {
                    credit::paid_through_gateway(&mut tx, &invoice, payment.amount).await?;
                    orders::invoice_paid(&mut tx, &invoice).await?;
                } else {
                    // Money came in for an invoice already settled another way or closed:
                    // an admin must refund it.
                    record(
                        &mut tx,
                        "payment_needs_refund",
                        None,
                        format!(
                            "payment {} for invoice {}",
                            payment.reference, payment.invoice_id
                        ),
                    )
                    .await?;
                    let notice = Notice::admin_payment_needs_refund(
                        BilledBy::of(invoice.order_id, invoice.id),
                        &invoice.number,
                        payment.total_amount,
                        &payment.gateway,
                        &payment.channel,
                    );
                    notifications::notify_admins(&mut tx, &notice).await?;
                }
            }
            PaymentStatus::Refunded => {
                let refunded = invoices::transition(
                    &mut tx,
                    payment.invoice_id,
                    InvoiceStatus::Refunded,
                    InvoiceChange::default(),
                )
                .await?;
                if refunded.made() {
                    let detail = format!("payment {}", payment.reference);
                    record(&mut tx, "invoice_refunded", None, detail).await?;
                    let invoice = invoices::by_id_in(&mut tx, payment.invoice_id)
                        .await?
                        .ok_or(CallbackError::UnknownReference)?;
                    orders::refunds::invoice_refunded(&mut tx, &invoice).await?;
                }
            }
            PaymentStatus::Unpaid | PaymentStatus::Expired | PaymentStatus::Failed => {}
        }
        tx.commit().await?;
        Ok(Some(to))
    }

    /// Logs a refused callback, and writes it to the audit log unless this reason already has an
    /// entry from the last minute; the next entry says how many it stands for. Each entry is
    /// told to the admins in its transaction, held to a notice per window by
    /// [`alerts`](crate::notifications::alerts).
    async fn security_event(
        &self,
        reason: Refusal,
        ip: Option<&str>,
        detail: Option<String>,
    ) -> Result<(), DbError> {
        let action = reason.action();
        tracing::warn!(
            action,
            ip,
            detail = detail.as_deref(),
            "payment callback refused"
        );
        let Some(refused) = self.refusals.count(reason, Instant::now()) else {
            return Ok(());
        };
        let detail = match detail {
            Some(latest) => format!("{refused} refused since the last entry; the latest: {latest}"),
            None => format!("{refused} refused since the last entry"),
        };
        let mut tx = self.db.begin().await?;
        record(&mut tx, action, ip, detail).await?;
        alerts::callback_refused(&mut tx, self.gateway.name(), reason, refused).await?;
        tx.commit().await
    }

    /// A sandbox payment of the caller's (or any, for an admin) by its reference, with its
    /// invoice: what the sandbox checkout page shows.
    pub async fn sandbox_payment(
        &self,
        caller: &Caller,
        reference: &str,
    ) -> Result<(Invoice, PaymentView), BillingError> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE reference = $1 AND gateway = 'sandbox'"
        );
        let payment: PaymentRow = db_run!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(reference)
                .fetch_optional(pool)
                .await
        })?
        .ok_or(BillingError::NotFound)?;
        let invoice = self.visible_invoice(caller, payment.invoice_id).await?;
        Ok((invoice, payment.into()))
    }

    /// The sandbox checkout page's buttons: signs a callback for the payment, as Tripay would,
    /// and posts it to the callback endpoint. The owner presses them; an admin may too (to help
    /// a customer through a test), and that is written to the audit log.
    pub async fn sandbox_complete(
        &self,
        caller: &Caller,
        reference: &str,
        outcome: SandboxOutcome,
    ) -> Result<(), BillingError> {
        let Gateway::Sandbox {
            private_key,
            callback_url,
        } = &self.gateway
        else {
            return Err(BillingError::NotFound);
        };
        let (invoice, payment) = self.sandbox_payment(caller, reference).await?;
        let now = Utc::now();
        let (status, paid_at) = match outcome {
            SandboxOutcome::Pay => ("PAID", Some(now.timestamp())),
            SandboxOutcome::Expire => ("EXPIRED", None),
        };
        let body = serde_json::json!({
            "reference": payment.reference,
            "merchant_ref": invoice.number,
            "payment_method": payment.channel,
            "payment_method_code": payment.channel,
            "total_amount": payment.total_amount,
            "fee_merchant": 0,
            "fee_customer": payment.fee_customer,
            "total_fee": payment.fee_customer,
            "amount_received": payment.amount,
            "is_closed_payment": 1,
            "status": status,
            "paid_at": paid_at,
            "note": null,
        })
        .to_string();
        let signature = tripay::callback_signature(private_key, body.as_bytes());
        let answer = self
            .http
            .post(callback_url)
            .header("content-type", "application/json")
            .header("x-callback-event", tripay::CALLBACK_EVENT)
            .header("x-callback-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|error| {
                BillingError::Gateway(tripay::TripayError::Unavailable(error.to_string()))
            })?;
        if !answer.status().is_success() {
            return Err(BillingError::Gateway(tripay::TripayError::Unavailable(
                format!("the callback endpoint answered {}", answer.status()),
            )));
        }
        if invoice.user_id != caller.user_id {
            let mut tx = self.db.begin().await?;
            audit::record(
                &mut tx,
                AuditEvent {
                    action: "sandbox_payment_by_admin",
                    actor_user_id: Some(caller.user_id),
                    subject_user_id: Some(invoice.user_id),
                    detail: Some(format!(
                        "sandbox payment {} of invoice {} marked {status}",
                        payment.reference, invoice.number
                    )),
                    ..Default::default()
                },
            )
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Asks the gateway how each open payment of an invoice stands and applies what it says:
    /// the net under a lost callback. Answers whether the invoice is paid now.
    pub async fn reconcile(&self, invoice_id: i64) -> Result<bool, BillingError> {
        if let Gateway::Tripay { client, .. } = &self.gateway {
            let sql = format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments WHERE invoice_id = $1 AND status = $2 AND gateway = 'tripay'"
            );
            let open: Vec<PaymentRow> = db_run!(&self.db, |pool| {
                sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(invoice_id)
                    .bind(PaymentStatus::Unpaid.as_str())
                    .fetch_all(pool)
                    .await
            })?;
            for payment in open {
                self.check_with_gateway(client, &payment).await?;
            }
        }
        let invoice = invoices::by_id(&self.db, invoice_id)
            .await?
            .ok_or(BillingError::NotFound)?;
        Ok(invoice.status == InvoiceStatus::Paid)
    }

    /// Asks Tripay about every open payment that should have heard back by now and applies
    /// what it says, so a payment whose callback was lost is settled within
    /// [`RECONCILE_AFTER`] plus one sweep. A payment Tripay still reports unpaid is asked again
    /// later and later ([`next_check`]); one Tripay cannot answer for is asked again at the
    /// next step too, and the sweep goes on with the others. `now` is an argument so tests
    /// can move the clock.
    pub async fn reconcile_open_payments(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Reconciled, BillingError> {
        let Gateway::Tripay { client, .. } = &self.gateway else {
            return Ok(Reconciled::default());
        };
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS}, reconcile_checks FROM payments \
             WHERE gateway = 'tripay' AND status = $1 AND created_at <= $2 \
             AND (next_check_at IS NULL OR next_check_at <= $3) \
             ORDER BY created_at LIMIT {RECONCILE_BATCH}"
        );
        let due: Vec<DuePayment> = db_run!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(PaymentStatus::Unpaid.as_str())
                .bind(now - RECONCILE_AFTER)
                .bind(now)
                .fetch_all(pool)
                .await
        })?;
        let mut reconciled = Reconciled::default();
        for DuePayment { payment, checks } in due {
            reconciled.checked += 1;
            match self.check_with_gateway(client, &payment).await {
                Ok(None) => {}
                Ok(Some(status)) => {
                    tracing::info!(
                        reference = %payment.reference,
                        %status,
                        "payment reconciled with the gateway"
                    );
                    reconciled.settled += 1;
                    continue;
                }
                Err(BillingError::Gateway(error)) => {
                    tracing::warn!(
                        reference = %payment.reference,
                        %error,
                        "cannot ask the gateway about a payment; asking again later"
                    );
                }
                Err(error) => return Err(error),
            }
            let next = now + next_check(checks);
            db_run!(&self.db, |pool| {
                sqlx::query(
                    "UPDATE payments SET reconcile_checks = reconcile_checks + 1, \
                     next_check_at = $1 WHERE id = $2 AND status = $3",
                )
                .bind(next)
                .bind(payment.id)
                .bind(PaymentStatus::Unpaid.as_str())
                .execute(pool)
                .await
                .map(|_| ())
            })?;
        }
        Ok(reconciled)
    }

    /// Reads one payment back from Tripay and applies its status: a total that differs from
    /// ours is believed no more than a callback's would be. Answers the status it moved the
    /// payment to, if it moved it.
    async fn check_with_gateway(
        &self,
        client: &TripayClient,
        payment: &PaymentRow,
    ) -> Result<Option<PaymentStatus>, BillingError> {
        let found = client.transaction_detail(&payment.reference).await?;
        if found.total_amount != payment.total_amount {
            tracing::warn!(
                reference = %payment.reference,
                reported = found.total_amount,
                expected = payment.total_amount,
                "the gateway reports another total for a payment; not applied"
            );
            return Ok(None);
        }
        self.apply_status(
            payment,
            found.status,
            found.paid_at.unwrap_or_else(Utc::now),
        )
        .await
        .map_err(|error| match error {
            CallbackError::Db(error) => BillingError::Db(error),
            CallbackError::Order(error) => BillingError::Order(error),
            other => invalid("payment", Code::ReconcileFailed, other.to_string()),
        })
    }

    /// An admin settles an invoice paid outside the gateway (a bank transfer), with a note.
    pub async fn mark_paid(
        &self,
        admin: &Caller,
        invoice_id: i64,
        note: &str,
    ) -> Result<Invoice, BillingError> {
        let (note, mut tx, invoice) = self
            .admin_override(
                admin,
                invoice_id,
                note,
                "say how it was paid (for example the bank transfer's reference)",
            )
            .await?;
        let paid = invoices::transition(
            &mut tx,
            invoice_id,
            InvoiceStatus::Paid,
            InvoiceChange {
                paid: Some(("manual", Utc::now())),
                note: Some(note),
                actor_user_id: Some(admin.user_id),
            },
        )
        .await?;
        if !paid.made() {
            return Err(BillingError::NotPayable(invoice.status.to_string()));
        }
        orders::invoice_paid(&mut tx, &invoice).await?;
        audit::record(
            &mut tx,
            AuditEvent {
                action: "invoice_marked_paid",
                actor_user_id: Some(admin.user_id),
                subject_user_id: Some(invoice.user_id),
                detail: Some(format!("{}: {note}", invoice.number)),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        invoices::by_id(&self.db, invoice_id)
            .await?
            .ok_or(BillingError::NotFound)
    }
}

impl Billing {
    /// What every admin change to an invoice starts with: the admin, a reason (`hint` says
    /// which), and the invoice read in the change's transaction.
    pub(super) async fn admin_override<'a>(
        &self,
        admin: &Caller,
        invoice_id: i64,
        note: &'a str,
        hint: &str,
    ) -> Result<(&'a str, Tx, Invoice), BillingError> {
        admin.require_admin()?;
        let note = note.trim();
        if note.is_empty() {
            return Err(invalid("note", Code::NoteRequired, hint));
        }
        let mut tx = self.db.begin().await?;
        let invoice = invoices::by_id_in(&mut tx, invoice_id)
            .await?
            .ok_or(BillingError::NotFound)?;
        Ok((note, tx, invoice))
    }

    /// An admin records that a paid invoice's money went back to the customer, with a note;
    /// the order's history shows it. The service itself is the admin's to cancel or keep.
    pub async fn mark_refunded(
        &self,
        admin: &Caller,
        invoice_id: i64,
        note: &str,
    ) -> Result<Invoice, BillingError> {
        let (note, mut tx, invoice) = self
            .admin_override(
                admin,
                invoice_id,
                note,
                "say how the money went back (for example the transfer's reference)",
            )
            .await?;
        let refunded = invoices::transition(
            &mut tx,
            invoice_id,
            InvoiceStatus::Refunded,
            InvoiceChange {
                note: Some(note),
                actor_user_id: Some(admin.user_id),
                ..InvoiceChange::default()
            },
        )
        .await?;
        if !refunded.made() {
            return Err(BillingError::NotRefundable(invoice.status.to_string()));
        }
        move_all(
            &mut tx,
            invoice_id,
            PaymentStatus::Paid,
            PaymentStatus::Refunded,
        )
        .await?;
        let detail = format!("{} refunded: {note}", invoice.number);
        self.refund_recorded(tx, admin, &invoice, "invoice_refunded", detail)
            .await
    }

    /// Ends an admin's refund: the order's history and the audit log say what went back and
    /// why, the change is committed, and the invoice is read back as it is now.
    pub(super) async fn refund_recorded(
        &self,
        mut tx: Tx,
        admin: &Caller,
        invoice: &Invoice,
        action: &'static str,
        detail: String,
    ) -> Result<Invoice, BillingError> {
        if let Some(order_id) = invoice.order_id {
            orders::note_event(&mut tx, order_id, admin.user_id, &detail).await?;
        }
        audit::record(
            &mut tx,
            AuditEvent {
                action,
                actor_user_id: Some(admin.user_id),
                subject_user_id: Some(invoice.user_id),
                detail: Some(detail),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        invoices::by_id(&self.db, invoice.id)
            .await?
            .ok_or(BillingError::NotFound)
    }
}

async fn record(
    tx: &mut Tx,
    action: &str,
    ip: Option<&str>,
    detail: String,
) -> Result<(), DbError> {
    audit::record(
        tx,
        AuditEvent {
            action,
            ip,
            detail: Some(detail),
            ..Default::default()
        },
    )
    .await
}

/// Moves a payment to `to` if [`PaymentStatus::can_become`] allows it from where it is; a
/// payment that becomes paid keeps `at`, when the gateway says the money came. A repeated or
/// late change does nothing and answers what it found.
pub(crate) async fn transition(
    tx: &mut Tx,
    payment_id: i64,
    to: PaymentStatus,
    at: DateTime<Utc>,
) -> Result<Move<PaymentStatus>, DbError> {
    let moved = compare_and_set(tx, "payments", payment_id, to).await?;
    if moved.made() && to == PaymentStatus::Paid {
        tx_run!(tx, |conn| {
            sqlx::query("UPDATE payments SET paid_at = $1 WHERE id = $2")
                .bind(at)
                .bind(payment_id)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
    }
    Ok(moved)
}

/// Moves every payment of an invoice that is `from` to `to`: the invoice's own change decides
/// for all its attempts (it expired, its money went back).
pub(crate) async fn move_all(
    tx: &mut Tx,
    invoice_id: i64,
    from: PaymentStatus,
    to: PaymentStatus,
) -> Result<(), DbError> {
    let payments: Vec<i64> = tx_run!(tx, |conn| {
        sqlx::query_scalar("SELECT id FROM payments WHERE invoice_id = $1 AND status = $2")
            .bind(invoice_id)
            .bind(from.as_str())
            .fetch_all(conn)
            .await
    })?;
    let now = Utc::now();
    for payment_id in payments {
        transition(tx, payment_id, to, now).await?;
    }
    Ok(())
}
