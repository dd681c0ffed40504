//! The one compare-and-set behind every lifecycle's transition function (invoices, payments,
//! servers): ask the status's table, then change the row only while it still has the status
//! that was read, so a repeated or late change does nothing and of two racing changes only one
//! is made. Each lifecycle's own function adds what its move means: the history row, the
//! columns that go with the new status.

use chrono::Utc;
use model::status::{Status, UnknownStatus};

use crate::db::Tx;
use crate::{DbError, tx_run};

/// What asking for a move did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Move<S> {
    /// It moved, from `from`.
    Made { from: S },
    /// It already had the status asked for (a repeated change): nothing was written.
    Repeated,
    /// Its table has no move from where it is: nothing was written.
    Refused { from: S },
}

impl<S> Move<S> {
    pub(crate) fn made(&self) -> bool {
        matches!(self, Self::Made { .. })
    }
}

/// Moves row `id` of `table` (one of ours, never input) to `to` if the table of legal moves
/// allows it from the status the row has.
pub(crate) async fn compare_and_set<S: Status>(
    tx: &mut Tx,
    table: &'static str,
    id: i64,
    to: S,
) -> Result<Move<S>, DbError> {
    let from = current::<S>(tx, table, id).await?;
    if from == to {
        return Ok(Move::Repeated);
    }
    if !from.can_become(to) {
        return Ok(Move::Refused { from });
    }
    let sql =
        format!("UPDATE {table} SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4");
    let changed = tx_run!(tx, |conn| {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(to.as_str())
            .bind(Utc::now())
            .bind(id)
            .bind(from.as_str())
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
    })?;
    if changed == 1 {
        return Ok(Move::Made { from });
    }
    // Another transaction moved the row between the read and the write (PostgreSQL lets the
    // write wait for it and then finds the row moved on): the change asked for is late.
    let now = current::<S>(tx, table, id).await?;
    Ok(if now == to {
        Move::Repeated
    } else {
        Move::Refused { from: now }
    })
}

async fn current<S: Status>(tx: &mut Tx, table: &'static str, id: i64) -> Result<S, DbError> {
    let sql = format!("SELECT status FROM {table} WHERE id = $1");
    let text: String = tx_run!(tx, |conn| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id)
            .fetch_one(conn)
            .await
    })?;
    S::parse(&text).ok_or_else(|| {
        DbError::Query(sqlx::Error::Decode(Box::new(UnknownStatus {
            subject: S::SUBJECT,
            text,
        })))
    })
}
