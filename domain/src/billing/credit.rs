//! Each customer's credit: a ledger of signed rupiah entries (`credit_entries`) and the balance
//! they add up to, kept on the user row. Both change only through [`record`], in one transaction:
//! the balance moves in a single conditional `UPDATE … WHERE credit_balance + amount >= 0`, which
//! PostgreSQL applies under the row's lock and SQLite under its one writer, so parallel spends
//! can never take it below zero; the loser is told the credit is not enough.
//!
//! Credit comes in from admins, paid top-ups, refunds of paid invoices, and credit given back by
//! an invoice it paid part of that then closed unpaid (or was paid again in full through the
//! gateway). It goes out paying invoices, wholly or in part: the invoice keeps what its owner's
//! credit paid (`credit_applied`) and what went back to it (`credit_refunded`), so each of those
//! moves happens once.

use chrono::{DateTime, Utc};
use model::billing::{CreditAccount, CreditEntry, CreditKind};
use model::ids::InvoiceId;

use super::invoices::{self, Invoice, InvoiceChange, InvoiceStatus, NewInvoice, Purpose};
use super::payments::invalid;
use super::{Billing, BillingError};
use crate::audit::{self, AuditEvent};
use crate::caller::Caller;
use crate::db::Tx;
use crate::error::Code;
use crate::orders::OrderError;
use crate::orders::pricing::{Line, Quote, Words};
use crate::{DbError, db_run, jobs, orders, tx_run};

/// The most an admin moves in one adjustment: a typo of a few zeros is refused, not booked.
pub const MAX_ADJUSTMENT: i64 = 100_000_000;
/// The least credit bought at once (what the payment channels take at least) and the most.
pub const MIN_TOP_UP: i64 = 10_000;
pub const MAX_TOP_UP: i64 = 50_000_000;
/// How long a top-up invoice can be paid: one that is not paid is simply not wanted any more.
const TOP_UP_LIFETIME: chrono::Duration = chrono::Duration::hours(24);
/// How many of the latest entries a customer's credit page lists.
const LISTED_ENTRIES: i64 = 100;

/// One change to a customer's credit, with why.
pub(crate) struct Entry<'a> {
    pub user_id: i64,
    pub amount: i64,
    pub kind: CreditKind,
    pub invoice_id: Option<i64>,
    pub note: Option<&'a str>,
    pub actor_user_id: Option<i64>,
}

impl Entry<'_> {
    /// `amount` moved by the platform because of `invoice`.
    fn for_invoice(invoice: &Invoice, amount: i64, kind: CreditKind) -> Self {
        Entry {
            user_id: invoice.user_id,
            amount,
            kind,
            invoice_id: Some(invoice.id),
            note: None,
            actor_user_id: None,
        }
    }
}

/// Books `entry` in `tx`; the balance it leaves, or [`Code::CreditInsufficient`] (and nothing
/// changed) when it would go below zero.
pub(crate) async fn record(tx: &mut Tx, entry: Entry<'_>) -> Result<i64, BillingError> {
    book(tx, entry).await?.ok_or_else(|| {
        invalid(
            "amount",
            Code::CreditInsufficient,
            "the credit does not cover this",
        )
    })
}

/// [`record`], answering `None` (and changing nothing) when the credit does not cover it.
async fn book(tx: &mut Tx, entry: Entry<'_>) -> Result<Option<i64>, DbError> {
    let now = Utc::now();
    let balance: Option<i64> = tx_run!(tx, |conn| {
        sqlx::query_scalar(
            "UPDATE users SET credit_balance = credit_balance + $1, updated_at = $2 \
             WHERE id = $3 AND credit_balance + $1 >= 0 RETURNING credit_balance",
        )
        .bind(entry.amount)
        .bind(now)
        .bind(entry.user_id)
        .fetch_optional(conn)
        .await
    })?;
    let Some(balance) = balance else {
        return Ok(None);
    };
    tx_run!(tx, |conn| {
        sqlx::query(
            "INSERT INTO credit_entries (user_id, amount, balance_after, kind, invoice_id, note, \
             actor_user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(entry.user_id)
        .bind(entry.amount)
        .bind(balance)
        .bind(entry.kind.as_str())
        .bind(entry.invoice_id)
        .bind(entry.note)
        .bind(entry.actor_user_id)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(Some(balance))
}

/// Pays `amount` of the unpaid `invoice` from its owner's credit in `tx`; when that covers what
/// was left, the invoice is paid (`credit`) and what it bought goes on. `false`, with nothing
/// changed, when the credit is short; an error (roll `tx` back) when the invoice changed since it
/// was read.
async fn apply(tx: &mut Tx, invoice: &Invoice, amount: i64) -> Result<bool, OrderError> {
    let debit = Entry::for_invoice(invoice, -amount, CreditKind::InvoicePayment);
    if book(tx, debit).await?.is_none() {
        return Ok(false);
    }
    let applied: Option<i64> = tx_run!(tx, |conn| {
        sqlx::query_scalar(
            "UPDATE invoices SET credit_applied = credit_applied + $1, updated_at = $2 \
             WHERE id = $3 AND status = $4 AND credit_applied + $1 <= total \
             RETURNING credit_applied",
        )
        .bind(amount)
        .bind(Utc::now())
        .bind(invoice.id)
        .bind(InvoiceStatus::Unpaid.as_str())
        .fetch_optional(conn)
        .await
    })?;
    let Some(applied) = applied else {
        return Err(OrderError::Invalid {
            field: "invoice",
            code: Code::InvoiceNotPayable,
            message: "the invoice changed meanwhile: open it again".into(),
        });
    };
    if applied < invoice.total {
        return Ok(true);
    }
    let paid = invoices::transition(
        tx,
        invoice.id,
        InvoiceStatus::Paid,
        InvoiceChange {
            paid: Some(("credit", Utc::now())),
            ..Default::default()
        },
    )
    .await?;
    if paid.made() {
        orders::invoice_paid(tx, invoice).await?;
    }
    Ok(true)
}

/// Pays a renewal invoice just issued in `tx` from its owner's credit, when they asked for that
/// and the credit covers it; `false`, with nothing changed, otherwise.
pub(crate) async fn pay_renewal(tx: &mut Tx, invoice: &Invoice) -> Result<bool, OrderError> {
    let wanted: bool = tx_run!(tx, |conn| {
        sqlx::query_scalar("SELECT renew_from_credit FROM users WHERE id = $1")
            .bind(invoice.user_id)
            .fetch_one(conn)
            .await
    })?;
    if !wanted {
        return Ok(false);
    }
    apply(tx, invoice, invoice.total).await
}

/// A paid top-up becomes credit, in the transaction that marked it paid.
pub(crate) async fn topped_up(tx: &mut Tx, invoice: &Invoice) -> Result<(), DbError> {
    book(
        tx,
        Entry::for_invoice(invoice, invoice.total, CreditKind::TopUp),
    )
    .await?;
    Ok(())
}

/// A top-up refunded at the gateway takes its credit back, as much of it as is left; what was
/// spent already is written to the audit log for an admin to settle with the customer.
pub(crate) async fn top_up_refunded(tx: &mut Tx, invoice: &Invoice) -> Result<(), DbError> {
    let balance: i64 = tx_run!(tx, |conn| {
        sqlx::query_scalar("SELECT credit_balance FROM users WHERE id = $1")
            .bind(invoice.user_id)
            .fetch_one(conn)
            .await
    })?;
    let taken = balance.min(invoice.total);
    if taken > 0 {
        book(tx, Entry::for_invoice(invoice, -taken, CreditKind::Refund)).await?;
    }
    if taken < invoice.total {
        audit::record(
            tx,
            AuditEvent {
                action: "top_up_refunded_after_spending",
                subject_user_id: Some(invoice.user_id),
                detail: Some(format!(
                    "{} refunded at the gateway; {} rupiah of its credit was spent already",
                    invoice.number,
                    invoice.total - taken
                )),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(())
}

/// A gateway payment of `paid` rupiah settled `invoice`: when the owner's credit paid part of it
/// after that payment was asked for, the payment covered that part too, and it goes back.
pub(super) async fn paid_through_gateway(
    tx: &mut Tx,
    invoice: &Invoice,
    paid: i64,
) -> Result<(), DbError> {
    let excess = (paid - invoice.amount_due()).min(invoice.credit_applied);
    if excess > 0 {
        give_back(tx, invoice, excess, CreditKind::Returned).await?;
    }
    Ok(())
}

/// What an invoice's move to `to` does to the credit that paid part of it: an invoice that closes
/// unpaid gives it all back, and a refunded one what was not refunded to the credit already.
pub(super) async fn invoice_moved(
    tx: &mut Tx,
    invoice_id: i64,
    to: InvoiceStatus,
) -> Result<(), DbError> {
    let kind = match to {
        InvoiceStatus::Expired | InvoiceStatus::Cancelled => CreditKind::Returned,
        InvoiceStatus::Refunded => CreditKind::Refund,
        InvoiceStatus::Unpaid | InvoiceStatus::Paid => return Ok(()),
    };
    let Some(invoice) = invoices::by_id_in(tx, invoice_id).await? else {
        return Ok(());
    };
    let amount = match kind {
        CreditKind::Refund => invoice
            .credit_applied
            .min(invoice.total - invoice.credit_refunded),
        _ => invoice.credit_applied,
    };
    if amount > 0 {
        give_back(tx, &invoice, amount, kind).await?;
    }
    Ok(())
}

/// Gives all of a paid invoice not refunded yet back to its owner's credit, with `note`, and
/// marks it refunded (a resize that failed); answers how much went back.
pub(crate) async fn refund_in_full(
    tx: &mut Tx,
    invoice_id: i64,
    note: &str,
) -> Result<i64, DbError> {
    let Some(invoice) = invoices::by_id_in(tx, invoice_id).await? else {
        return Ok(0);
    };
    if invoice.status != InvoiceStatus::Paid {
        return Ok(0);
    }
    let left = invoice.total - invoice.credit_refunded;
    if left > 0 {
        give_back(tx, &invoice, left, CreditKind::Refund).await?;
    }
    invoices::transition(
        tx,
        invoice_id,
        InvoiceStatus::Refunded,
        InvoiceChange {
            note: Some(note),
            ..Default::default()
        },
    )
    .await?;
    Ok(left)
}

/// Books `amount` back to the owner of `invoice`: as credit it paid and no longer pays
/// (`Returned`), or as money of a paid invoice refunded (`Refund`).
async fn give_back(
    tx: &mut Tx,
    invoice: &Invoice,
    amount: i64,
    kind: CreditKind,
) -> Result<(), DbError> {
    let column = if kind == CreditKind::Refund {
        "credit_refunded = credit_refunded + $1"
    } else {
        "credit_applied = credit_applied - $1"
    };
    let sql = format!("UPDATE invoices SET {column}, updated_at = $2 WHERE id = $3");
    tx_run!(tx, |conn| {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(amount)
            .bind(Utc::now())
            .bind(invoice.id)
            .execute(conn)
            .await
            .map(|_| ())
    })?;
    book(tx, Entry::for_invoice(invoice, amount, kind)).await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    amount: i64,
    balance_after: i64,
    kind: String,
    invoice_id: Option<i64>,
    invoice_number: Option<String>,
    note: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<EntryRow> for CreditEntry {
    fn from(row: EntryRow) -> Self {
        Self {
            id: row.id,
            amount: row.amount,
            balance_after: row.balance_after,
            // Our own column, written only from `CreditKind::as_str`.
            kind: CreditKind::parse(&row.kind).unwrap_or(CreditKind::Adjustment),
            invoice_id: row.invoice_id.map(InvoiceId),
            invoice_number: row.invoice_number,
            note: row.note,
            created_at: row.created_at,
        }
    }
}

impl Billing {
    /// The caller's credit and its latest changes.
    pub async fn credit(&self, caller: &Caller) -> Result<CreditAccount, BillingError> {
        self.credit_of(caller.user_id).await
    }

    /// Whether the caller's renewal invoices are paid from their credit as they are issued.
    pub async fn set_renewals_from_credit(
        &self,
        caller: &Caller,
        enabled: bool,
    ) -> Result<CreditAccount, BillingError> {
        db_run!(self.db(), |pool| {
            sqlx::query("UPDATE users SET renew_from_credit = $1, updated_at = $2 WHERE id = $3")
                .bind(enabled)
                .bind(Utc::now())
                .bind(caller.user_id)
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        self.credit_of(caller.user_id).await
    }

    /// A customer's credit, for admins.
    pub async fn credit_of_user(
        &self,
        admin: &Caller,
        user_id: i64,
    ) -> Result<CreditAccount, BillingError> {
        admin.require_admin()?;
        self.credit_of(user_id).await
    }

    async fn credit_of(&self, user_id: i64) -> Result<CreditAccount, BillingError> {
        let found: Option<(i64, bool)> = db_run!(self.db(), |pool| {
            sqlx::query_as("SELECT credit_balance, renew_from_credit FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await
        })?;
        let (balance, pays_renewals) = found.ok_or(BillingError::NotFound)?;
        let rows: Vec<EntryRow> = db_run!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT c.id, c.amount, c.balance_after, c.kind, c.invoice_id, \
                 i.number AS invoice_number, c.note, c.created_at FROM credit_entries c \
                 LEFT JOIN invoices i ON i.id = c.invoice_id WHERE c.user_id = $1 \
                 ORDER BY c.id DESC LIMIT $2",
            )
            .bind(user_id)
            .bind(LISTED_ENTRIES)
            .fetch_all(pool)
            .await
        })?;
        Ok(CreditAccount {
            balance,
            pays_renewals,
            entries: rows.into_iter().map(CreditEntry::from).collect(),
        })
    }

    /// An admin adds credit to a customer (a goodwill gesture, money received outside the
    /// gateway) or takes it back, never below zero; the reason goes to the ledger and the
    /// audit log. Answers the new balance.
    pub async fn adjust_credit(
        &self,
        admin: &Caller,
        user_id: i64,
        amount: i64,
        note: &str,
    ) -> Result<i64, BillingError> {
        admin.require_admin()?;
        if amount == 0 || amount.abs() > MAX_ADJUSTMENT {
            return Err(invalid(
                "amount",
                Code::CreditAmountInvalid,
                format!(
                    "give an amount in rupiah other than 0, at most {MAX_ADJUSTMENT} either way"
                ),
            ));
        }
        let note = note.trim();
        if note.is_empty() {
            return Err(invalid(
                "note",
                Code::NoteRequired,
                "say why the credit changes",
            ));
        }
        let mut tx = self.db().begin().await?;
        let known: Option<i64> = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(conn)
                .await
        })?;
        if known.is_none() {
            return Err(BillingError::NotFound);
        }
        let balance = record(
            &mut tx,
            Entry {
                user_id,
                amount,
                kind: CreditKind::Adjustment,
                invoice_id: None,
                note: Some(note),
                actor_user_id: Some(admin.user_id),
            },
        )
        .await?;
        audit::record(
            &mut tx,
            AuditEvent {
                action: "credit_adjusted",
                actor_user_id: Some(admin.user_id),
                subject_user_id: Some(user_id),
                detail: Some(format!("{amount:+} rupiah: {note}")),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(balance)
    }

    /// Pays the caller's unpaid invoice from their credit: `amount` of what is left to pay, or
    /// all of it. Paying all of it pays the invoice (`credit`) and its order goes on exactly as
    /// after any payment, in one transaction with the debit; paying part leaves the rest for a
    /// payment channel, whose payment is then asked for the rest only.
    pub async fn pay_with_credit(
        &self,
        caller: &Caller,
        invoice_id: i64,
        amount: Option<i64>,
    ) -> Result<Invoice, BillingError> {
        let invoice = self.payable_invoice(caller, invoice_id).await?;
        if invoice.purpose == Purpose::TopUp.as_str() {
            return Err(invalid(
                "invoice",
                Code::CreditAmountInvalid,
                "a top-up is paid through a payment channel, not from the credit it buys",
            ));
        }
        let due = invoice.amount_due();
        let amount = amount.unwrap_or(due);
        if !(1..=due).contains(&amount) {
            return Err(invalid(
                "amount",
                Code::CreditAmountInvalid,
                format!("give an amount in rupiah from 1 to {due}, what is left to pay"),
            ));
        }
        let mut tx = self.db().begin().await?;
        if !apply(&mut tx, &invoice, amount).await? {
            drop(tx);
            // Short because a payment at the same moment settled the invoice: say that instead.
            let now = invoices::by_id(self.db(), invoice_id).await?;
            if let Some(settled) = now.filter(|now| now.status != InvoiceStatus::Unpaid) {
                return Err(BillingError::NotPayable(settled.status.to_string()));
            }
            return Err(invalid(
                "amount",
                Code::CreditInsufficient,
                "the credit does not cover this",
            ));
        }
        tx.commit().await?;
        invoices::by_id(self.db(), invoice_id)
            .await?
            .ok_or(BillingError::NotFound)
    }

    /// Issues an invoice for `amount` rupiah of credit, paid through a payment channel like any
    /// other; when it is paid the amount is added to the caller's credit. Credit is bought
    /// without tax: the PPN is on the invoices it pays.
    pub async fn top_up(&self, caller: &Caller, amount: i64) -> Result<Invoice, BillingError> {
        if !(MIN_TOP_UP..=MAX_TOP_UP).contains(&amount) {
            return Err(invalid(
                "amount",
                Code::TopUpAmountInvalid,
                format!("top up from {MIN_TOP_UP} to {MAX_TOP_UP} rupiah"),
            ));
        }
        let now = Utc::now();
        let mut tx = self.db().begin().await?;
        let language = crate::accounts::language_in(&mut tx, caller.user_id).await?;
        let quote = Quote {
            lines: vec![Line {
                description: Words(language).top_up().into(),
                quantity: 1,
                unit_price: amount,
                amount,
            }],
            subtotal: amount,
            discount: 0,
            period_discount: 0,
            coupon_discount: 0,
            tax_rate_bp: 0,
            tax: 0,
            total: amount,
        };
        let invoice = invoices::issue(
            &mut tx,
            &NewInvoice {
                user_id: caller.user_id,
                order_id: None,
                purpose: Purpose::TopUp,
                period_months: 0,
                quote: &quote,
                now,
                lifetime: TOP_UP_LIFETIME,
            },
        )
        .await?;
        jobs::enqueue(
            &mut tx,
            orders::INVOICE_EXPIRY_JOB,
            &serde_json::json!({ "invoice_id": invoice.id }),
            invoice.expires_at,
            jobs::DEFAULT_MAX_ATTEMPTS,
        )
        .await?;
        tx.commit().await?;
        Ok(invoice)
    }

    /// An admin gives back `amount` rupiah of a paid invoice (all that is left when `None`) as
    /// credit, with a reason in the ledger, the order's history and the audit log. Once all of
    /// it is back the invoice is refunded; the service stays the admin's to end or keep.
    pub async fn refund_to_credit(
        &self,
        admin: &Caller,
        invoice_id: i64,
        amount: Option<i64>,
        note: &str,
    ) -> Result<Invoice, BillingError> {
        let (note, mut tx, invoice) = self
            .admin_override(
                admin,
                invoice_id,
                note,
                "say why the money goes back to the credit",
            )
            .await?;
        if invoice.status != InvoiceStatus::Paid {
            return Err(BillingError::NotRefundable(invoice.status.to_string()));
        }
        if invoice.purpose == Purpose::TopUp.as_str() {
            return Err(invalid(
                "invoice",
                Code::CreditAmountInvalid,
                "a top-up is already credit: take it back with a credit adjustment",
            ));
        }
        let left = invoice.total - invoice.credit_refunded;
        let amount = amount.unwrap_or(left);
        if !(1..=left).contains(&amount) {
            return Err(invalid(
                "amount",
                Code::CreditAmountInvalid,
                format!("give an amount in rupiah from 1 to {left}, what is not refunded yet"),
            ));
        }
        let refunded: Option<i64> = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar(
                "UPDATE invoices SET credit_refunded = credit_refunded + $1, updated_at = $2 \
                 WHERE id = $3 AND status = $4 AND credit_refunded + $1 <= total \
                 RETURNING credit_refunded",
            )
            .bind(amount)
            .bind(Utc::now())
            .bind(invoice_id)
            .bind(InvoiceStatus::Paid.as_str())
            .fetch_optional(conn)
            .await
        })?;
        let Some(refunded) = refunded else {
            return Err(BillingError::NotRefundable(invoice.status.to_string()));
        };
        record(
            &mut tx,
            Entry {
                note: Some(note),
                actor_user_id: Some(admin.user_id),
                ..Entry::for_invoice(&invoice, amount, CreditKind::Refund)
            },
        )
        .await?;
        if refunded == invoice.total {
            invoices::transition(
                &mut tx,
                invoice_id,
                InvoiceStatus::Refunded,
                InvoiceChange {
                    note: Some(note),
                    actor_user_id: Some(admin.user_id),
                    ..Default::default()
                },
            )
            .await?;
        }
        let detail = format!(
            "{} of {} refunded to credit: {note}",
            model::Rupiah(amount),
            invoice.number
        );
        self.refund_recorded(tx, admin, &invoice, "invoice_refunded_to_credit", detail)
            .await
    }
}
