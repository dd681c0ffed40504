//! Invoices: issued inside the transaction that creates what they bill, numbered
//! `INV-YYYYMM-NNNNN` from a per-month counter taken in that same transaction, so a number is
//! used exactly once and a rolled-back order leaves no hole. Their status changes only through
//! [`transition`], which writes each change to `invoice_events`.

use chrono::{DateTime, Duration, Utc};

use crate::db::Tx;
use crate::orders::pricing::{Line, Quote};
use crate::transitions::{Move, compare_and_set};
use crate::{DbError, db_run, tx_run};
pub use model::billing::Purpose;
pub use model::status::InvoiceStatus;

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Invoice {
    pub id: i64,
    pub number: String,
    pub user_id: i64,
    /// None for a top-up.
    pub order_id: Option<i64>,
    pub purpose: String,
    pub period_months: i64,
    pub subtotal: i64,
    pub discount: i64,
    pub tax_rate_bp: i64,
    pub tax: i64,
    pub total: i64,
    #[sqlx(try_from = "String")]
    pub status: InvoiceStatus,
    pub customer_name: String,
    pub customer_email: String,
    pub customer_company: Option<String>,
    pub customer_address: Option<String>,
    pub customer_npwp: Option<String>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    /// `sandbox`, `tripay`, `manual` (an admin) or `coupon` (nothing to pay).
    pub paid_via: Option<String>,
    pub note: Option<String>,
    /// Paid from the customer's credit before the gateway was asked for the rest.
    pub credit_applied: i64,
    /// Given back to the customer's credit after it was paid.
    pub credit_refunded: i64,
}

impl Invoice {
    /// What a gateway payment must bring in.
    pub fn amount_due(&self) -> i64 {
        self.total - self.credit_applied
    }
}

pub(crate) const INVOICE_COLUMNS: &str = "id, number, user_id, order_id, purpose, period_months, \
     subtotal, discount, tax_rate_bp, tax, total, status, customer_name, customer_email, \
     customer_company, customer_address, customer_npwp, issued_at, expires_at, paid_at, paid_via, \
     note, credit_applied, credit_refunded";

/// What a new invoice bills, and for whom.
pub struct NewInvoice<'a> {
    pub user_id: i64,
    /// None for a top-up.
    pub order_id: Option<i64>,
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

/// Issues an invoice in `tx`; the customer's name, e-mail and billing details are copied as
/// they are today.
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
         discount, tax_rate_bp, tax, total, status, customer_name, customer_email, \
         customer_company, customer_address, customer_npwp, issued_at, expires_at, updated_at) \
         SELECT $1, u.id, $2, $3, $4, $5, $6, $7, $8, $9, $13, u.name, u.email, u.company_name, \
         u.billing_address, u.npwp, $10, $11, $10 \
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
            .bind(InvoiceStatus::Unpaid.as_str())
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
    record_event(
        tx,
        invoice.id,
        None,
        invoice.status,
        InvoiceChange::default(),
    )
    .await?;
    Ok(invoice)
}

/// What goes with a change of an invoice's status.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct InvoiceChange<'a> {
    /// For `paid`: how (`sandbox`, `tripay`, `manual`, `coupon`) and when.
    pub paid: Option<(&'a str, DateTime<Utc>)>,
    /// Why, kept on the invoice and in its history: an admin's note, "service terminated".
    pub note: Option<&'a str>,
    /// The admin who made the change; none for the customer's payment or the platform.
    pub actor_user_id: Option<i64>,
}

/// Moves an invoice to `to` if [`InvoiceStatus::can_become`] allows it from where it is, with
/// when and how it was paid and why, and records the move in `invoice_events`. A repeated or
/// late change does nothing and answers what it found.
pub(crate) async fn transition(
    tx: &mut Tx,
    invoice_id: i64,
    to: InvoiceStatus,
    change: InvoiceChange<'_>,
) -> Result<Move<InvoiceStatus>, DbError> {
    let moved = compare_and_set(tx, "invoices", invoice_id, to).await?;
    let Move::Made { from } = moved else {
        return Ok(moved);
    };
    tx_run!(tx, |conn| {
        sqlx::query(
            "UPDATE invoices SET paid_via = COALESCE($1, paid_via), \
             paid_at = COALESCE($2, paid_at), note = COALESCE($3, note) WHERE id = $4",
        )
        .bind(change.paid.map(|(via, _)| via))
        .bind(change.paid.map(|(_, at)| at))
        .bind(change.note)
        .bind(invoice_id)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    record_event(tx, invoice_id, Some(from), to, change).await?;
    super::credit::invoice_moved(tx, invoice_id, to).await?;
    crate::orders::resize::invoice_closed(tx, invoice_id, to).await?;
    Ok(moved)
}

/// Cancels every unpaid invoice of an order that will not run (cancelled, terminated), so none
/// can be paid any more.
pub(crate) async fn cancel_unpaid(
    tx: &mut Tx,
    order_id: i64,
    change: InvoiceChange<'_>,
) -> Result<(), DbError> {
    let unpaid: Vec<i64> = tx_run!(tx, |conn| {
        sqlx::query_scalar("SELECT id FROM invoices WHERE order_id = $1 AND status = $2")
            .bind(order_id)
            .bind(InvoiceStatus::Unpaid.as_str())
            .fetch_all(conn)
            .await
    })?;
    for invoice_id in unpaid {
        transition(tx, invoice_id, InvoiceStatus::Cancelled, change).await?;
    }
    Ok(())
}

async fn record_event(
    tx: &mut Tx,
    invoice_id: i64,
    from: Option<InvoiceStatus>,
    to: InvoiceStatus,
    change: InvoiceChange<'_>,
) -> Result<(), DbError> {
    tx_run!(tx, |conn| {
        sqlx::query(
            "INSERT INTO invoice_events (invoice_id, at, from_status, to_status, actor_user_id, \
             note) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(invoice_id)
        .bind(Utc::now())
        .bind(from.map(InvoiceStatus::as_str))
        .bind(to.as_str())
        .bind(change.actor_user_id)
        .bind(change.note)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
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

#[derive(sqlx::FromRow)]
struct LineRow {
    description: String,
    quantity: i64,
    unit_price: i64,
    amount: i64,
}

impl From<LineRow> for Line {
    fn from(row: LineRow) -> Self {
        Line {
            description: row.description,
            quantity: row.quantity,
            unit_price: row.unit_price,
            amount: row.amount,
        }
    }
}

const LINES_SQL: &str = "SELECT description, quantity, unit_price, amount FROM invoice_lines \
     WHERE invoice_id = $1 ORDER BY position";

pub(crate) async fn lines(db: &crate::Db, invoice_id: i64) -> Result<Vec<Line>, DbError> {
    let rows: Vec<LineRow> = db_run!(db, |pool| {
        sqlx::query_as(LINES_SQL)
            .bind(invoice_id)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows.into_iter().map(Line::from).collect())
}

pub(crate) async fn lines_in(tx: &mut Tx, invoice_id: i64) -> Result<Vec<Line>, DbError> {
    let rows: Vec<LineRow> = tx_run!(tx, |conn| {
        sqlx::query_as(LINES_SQL)
            .bind(invoice_id)
            .fetch_all(conn)
            .await
    })?;
    Ok(rows.into_iter().map(Line::from).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_zero_padded_per_month() {
        assert_eq!(super::number("202611", 7), "INV-202611-00007");
        assert_eq!(super::number("202612", 12345), "INV-202612-12345");
    }
}
