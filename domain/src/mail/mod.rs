//! Outgoing e-mail. Messages are written to the `emails` table inside the transaction that
//! caused them (so a rolled-back change sends nothing) and delivered afterwards by the worker in
//! [`delivery`]. With no SMTP server configured the table is the dev outbox admins can read.

pub mod delivery;

use chrono::{DateTime, Utc};

use crate::db::Tx;
use crate::{Db, DbError, db_run, tx_run};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct StoredEmail {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i64,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

pub async fn enqueue(tx: &mut Tx, email: &OutgoingEmail) -> Result<(), DbError> {
    let now = Utc::now();
    tx_run!(tx, |conn| {
        sqlx::query(
            "INSERT INTO emails (to_address, subject, body_text, body_html, created_at, attempts, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $5)",
        )
        .bind(&email.to)
        .bind(&email.subject)
        .bind(&email.text)
        .bind(&email.html)
        .bind(now)
        .bind(0_i64)
        .execute(conn)
        .await.map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Newest first; `to` narrows to one recipient.
pub async fn list(
    db: &Db,
    to: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<StoredEmail>, DbError> {
    Ok(db_run!(db, |pool| {
        sqlx::query_as::<_, StoredEmail>(
            "SELECT id, to_address, subject, body_text, body_html, created_at, attempts, sent_at, last_error \
             FROM emails WHERE (CAST($1 AS TEXT) IS NULL OR to_address = $1) \
             ORDER BY id DESC LIMIT $2 OFFSET $3",
        )
        .bind(to)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await
    })?)
}

/// Escapes text for HTML bodies: names and other user input never become markup.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
