//! Invoices: issued inside the transaction that creates what they bill, numbered
//! `INV-YYYYMM-NNNNN` from a per-month counter taken in that same transaction, so a number is
//! used exactly once and a rolled-back order leaves no hole.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::db::Tx;
use crate::orders::pricing::{Line, Quote};
use crate::{DbError, db_run, tx_run};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The first period of a new order.
    New,
    Renewal,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Renewal => "renewal",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Invoice {
    pub id: i64,
    pub number: String,
    pub user_id: i64,
    pub order_id: i64,
    pub purpose: String,
    pub period_months: i64,
    pub subtotal: i64,
    pub discount: i64,
    pub tax_rate_bp: i64,
    pub tax: i64,
    pub total: i64,
    /// `unpaid`, `paid`, `expired`, `cancelled` or `refunded`.
    pub status: String,
    pub customer_name: String,
    pub customer_email: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    /// `sandbox`, `tripay`, `manual` (an admin) or `coupon` (nothing to pay).
    pub paid_via: Option<String>,
    pub note: Option<String>,
}

pub(crate) const INVOICE_COLUMNS: &str = "id, number, user_id, order_id, purpose, period_months, \
     subtotal, discount, tax_rate_bp, tax, total, status, customer_name, customer_email, \
     issued_at, expires_at, paid_at, paid_via, note";

/// What a new invoice bills, and for whom.
pub struct NewInvoice<'a> {
    pub user_id: i64,
    pub order_id: i64,
    pub purpose: Purpose,
    pub period_months: i64,
    pub quote: &'a Quote,
    pub now: DateTime<Utc>,
    /// How long it can be paid.
    pub lifetime: Duration,
}

pub fn number(month: &str, sequence: i64) -> String {
    format!("INV-{month}-{sequence:05}")
}

/// Issues an invoice in `tx`; the customer's name and e-mail are copied as they are today.
pub async fn issue(tx: &mut Tx, new: &NewInvoice<'_>) -> Result<Invoice, DbError> {
    let month = new.now.format("%Y%m").to_string();
    // The counter row stays locked until `tx` ends: concurrent invoices queue here, and a
    // rollback gives the number back.
    let sequence: i64 = tx_run!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO invoice_counters (month, last_number) VALUES ($1, 1) \
             ON CONFLICT (month) DO UPDATE SET last_number = invoice_counters.last_number + 1 \
             RETURNING last_number",
        )
        .bind(&month)
        .fetch_one(conn)
        .await
    })?;
    let quote = new.quote;
    let sql = format!(
        "INSERT INTO invoices (number, user_id, order_id, purpose, period_months, subtotal, \
         discount, tax_rate_bp, tax, total, status, customer_name, customer_email, issued_at, \
         expires_at, updated_at) \
         SELECT $1, u.id, $2, $3, $4, $5, $6, $7, $8, $9, 'unpaid', u.name, u.email, $10, $11, $10 \
         FROM users u WHERE u.id = $12 RETURNING {INVOICE_COLUMNS}"
    );
    let invoice: Invoice = tx_run!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(number(&month, sequence))
            .bind(new.order_id)
            .bind(new.purpose.as_str())
            .bind(new.period_months)
            .bind(quote.subtotal)
            .bind(quote.discount)
            .bind(quote.tax_rate_bp)
            .bind(quote.tax)
            .bind(quote.total)
            .bind(new.now)
            .bind(new.now + new.lifetime)
            .bind(new.user_id)
            .fetch_one(conn)
            .await
    })?;
    for (position, line) in quote.lines.iter().enumerate() {
        tx_run!(tx, |conn| {
            sqlx::query(
                "INSERT INTO invoice_lines (invoice_id, position, description, quantity, \
                 unit_price, amount) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(invoice.id)
            .bind(position as i64)
            .bind(&line.description)
            .bind(line.quantity)
            .bind(line.unit_price)
            .bind(line.amount)
            .execute(conn)
            .await
            .map(|_| ())
        })?;
    }
    Ok(invoice)
}

/// Moves an invoice from `from` to `to` (with when and how it was paid, for `paid`); false when
/// it was not in `from`, so a repeated or late change does nothing.
pub(crate) async fn change_status(
    tx: &mut Tx,
    invoice_id: i64,
    from: &[&str],
    to: &str,
    paid: Option<(&str, DateTime<Utc>)>,
    note: Option<&str>,
) -> Result<bool, DbError> {
    let allowed = status_list(from);
    let sql = format!(
        "UPDATE invoices SET status = $1, paid_via = COALESCE($2, paid_via), \
         paid_at = COALESCE($3, paid_at), note = COALESCE($4, note), updated_at = $5 \
         WHERE id = $6 AND status IN ({allowed})"
    );
    let changed = tx_run!(tx, |conn| {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(to)
            .bind(paid.map(|(via, _)| via))
            .bind(paid.map(|(_, at)| at))
            .bind(note)
            .bind(Utc::now())
            .bind(invoice_id)
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(changed == 1)
}

/// `'unpaid', 'expired'` for an `IN (…)`: our own status names, never user input.
pub(crate) fn status_list(statuses: &[&str]) -> String {
    statuses
        .iter()
        .map(|status| format!("'{status}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) async fn by_id_in(tx: &mut Tx, invoice_id: i64) -> Result<Option<Invoice>, DbError> {
    let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE id = $1");
    Ok(tx_run!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(invoice_id)
            .fetch_optional(conn)
            .await
    })?)
}

pub(crate) async fn by_id(db: &crate::Db, invoice_id: i64) -> Result<Option<Invoice>, DbError> {
    let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE id = $1");
    Ok(db_run!(db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(invoice_id)
            .fetch_optional(pool)
            .await
    })?)
}

pub(crate) async fn lines(db: &crate::Db, invoice_id: i64) -> Result<Vec<Line>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        description: String,
        quantity: i64,
        unit_price: i64,
        amount: i64,
    }
    let rows: Vec<Row> = db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT description, quantity, unit_price, amount FROM invoice_lines \
             WHERE invoice_id = $1 ORDER BY position",
        )
        .bind(invoice_id)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows
        .into_iter()
        .map(|row| Line {
            description: row.description,
            quantity: row.quantity,
            unit_price: row.unit_price,
            amount: row.amount,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_zero_padded_per_month() {
        assert_eq!(super::number("202611", 7), "INV-202611-00007");
        assert_eq!(super::number("202612", 12345), "INV-202612-12345");
    }
}
