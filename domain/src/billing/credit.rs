//! Each customer's credit: a ledger of signed rupiah entries (`credit_entries`) and the balance
//! they add up to, kept on the user row. Both change only through [`record`], in one transaction:
//! the balance moves in a single conditional `UPDATE … WHERE credit_balance + amount >= 0`, which
//! PostgreSQL applies under the row's lock and SQLite under its one writer, so parallel spends
//! can never take it below zero; the loser is told the credit is not enough.

use chrono::{DateTime, Utc};
use model::billing::{CreditAccount, CreditEntry, CreditKind};
use model::ids::InvoiceId;

use super::invoices::{self, Invoice, InvoiceChange, InvoiceStatus};
use super::payments::invalid;
use super::{Billing, BillingError};
use crate::audit::{self, AuditEvent};
use crate::caller::Caller;
use crate::db::Tx;
use crate::error::Code;
use crate::orders::OrderError;
use crate::{DbError, db_run, orders, tx_run};

/// The most an admin moves in one adjustment: a typo of a few zeros is refused, not booked.
pub const MAX_ADJUSTMENT: i64 = 100_000_000;
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
    /// The debit that pays `invoice` in full.
    fn paying(invoice: &Invoice) -> Self {
        Entry {
            user_id: invoice.user_id,
            amount: -invoice.total,
            kind: CreditKind::InvoicePayment,
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
    if book(tx, Entry::paying(invoice)).await?.is_none() {
        return Ok(false);
    }
    // Issued in this transaction, so still unpaid: the change is always made.
    invoices::transition(
        tx,
        invoice.id,
        InvoiceStatus::Paid,
        InvoiceChange {
            paid: Some(("credit", Utc::now())),
            ..Default::default()
        },
    )
    .await?;
    orders::invoice_paid(tx, invoice).await?;
    Ok(true)
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

    /// Pays the caller's unpaid invoice wholly from their credit: the invoice is paid (`credit`)
    /// and its order goes on exactly as after any payment, in one transaction with the debit.
    pub async fn pay_with_credit(
        &self,
        caller: &Caller,
        invoice_id: i64,
    ) -> Result<Invoice, BillingError> {
        let invoice = self.payable_invoice(caller, invoice_id).await?;
        let mut tx = self.db().begin().await?;
        let paid = invoices::transition(
            &mut tx,
            invoice_id,
            InvoiceStatus::Paid,
            InvoiceChange {
                paid: Some(("credit", Utc::now())),
                ..Default::default()
            },
        )
        .await?;
        if !paid.made() {
            return Err(BillingError::NotPayable(invoice.status.to_string()));
        }
        record(&mut tx, Entry::paying(&invoice)).await?;
        orders::invoice_paid(&mut tx, &invoice).await?;
        tx.commit().await?;
        invoices::by_id(self.db(), invoice_id)
            .await?
            .ok_or(BillingError::NotFound)
    }
}
