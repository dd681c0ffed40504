//! Outgoing e-mail. Messages are written to the `emails` table, with a `deliver_email` job,
//! inside the transaction that caused them (so a rolled-back change sends nothing); the job
//! worker delivers them afterwards through [`delivery`]. With no SMTP server configured the
//! table is the dev outbox admins can read.

pub mod delivery;

use chrono::{DateTime, Utc};

use crate::accounts::inputs::Language;
use crate::db::Tx;
use crate::{Db, DbError, db_run, jobs, tx_run};

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
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// An e-mail in Webrana Cloud's one layout: a greeting, a paragraph and an optional link, as
/// plain text and as HTML (everything escaped), in the recipient's language.
pub fn compose(
    to: &str,
    name: &str,
    language: Language,
    subject: &str,
    paragraph: &str,
    link: Option<&str>,
) -> OutgoingEmail {
    let greeting = match language {
        Language::En => format!("Hello {name},"),
        Language::Id => format!("Halo {name},"),
    };
    let text = match link {
        Some(link) => format!("{greeting}\n\n{paragraph}\n\n{link}\n\n— Webrana Cloud\n"),
        None => format!("{greeting}\n\n{paragraph}\n\n— Webrana Cloud\n"),
    };
    let link_html = link
        .map(|link| {
            let link = escape_html(link);
            format!("<p><a href=\"{link}\">{link}</a></p>")
        })
        .unwrap_or_default();
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>{}</p><p>{}</p>{link_html}<p>— Webrana Cloud</p></body></html>",
        escape_html(&greeting),
        escape_html(paragraph),
    );
    OutgoingEmail {
        to: to.to_owned(),
        subject: format!("{subject} · Webrana Cloud"),
        text,
        html,
    }
}

/// Stores the e-mail and schedules its delivery, both in the caller's transaction.
pub async fn enqueue(tx: &mut Tx, email: &OutgoingEmail) -> Result<(), DbError> {
    let now = Utc::now();
    let id: i64 = tx_run!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO emails (to_address, subject, body_text, body_html, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&email.to)
        .bind(&email.subject)
        .bind(&email.text)
        .bind(&email.html)
        .bind(now)
        .fetch_one(conn)
        .await
    })?;
    let payload = serde_json::json!({ "email_id": id });
    jobs::enqueue(
        tx,
        delivery::JOB_KIND,
        &payload,
        now,
        delivery::MAX_ATTEMPTS,
    )
    .await?;
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
            "SELECT id, to_address, subject, body_text, body_html, created_at, sent_at, last_error \
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
