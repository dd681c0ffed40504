//! Outgoing e-mail. Messages are written to the `emails` table, with a `deliver_email` job,
//! inside the transaction that caused them (so a rolled-back change sends nothing); the job
//! worker delivers them afterwards through [`delivery`]. With no SMTP server configured the
//! table is the dev outbox admins can read.

pub mod delivery;

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use minijinja::{Environment, context};
use serde::Serialize;

use crate::db::Tx;
use crate::{Db, DbError, db_run, jobs, tx_run};
use model::Language;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
}

/// A file that goes with an e-mail (a paid invoice's PDF), stored with it until delivery.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
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

impl StoredEmail {
    /// The e-mail as the admin's outbox page shows it: the HTML part stays here, and the text
    /// too where an SMTP server delivers the mail (`smtp_delivery`).
    pub fn for_admin(self, smtp_delivery: bool) -> model::admin::OutboxEmail {
        model::admin::OutboxEmail {
            id: self.id,
            to: self.to_address,
            subject: self.subject,
            body_text: (!smtp_delivery).then_some(self.body_text),
            created_at: self.created_at,
            sent_at: self.sent_at,
        }
    }
}

/// What a delivered e-mail keeps of `body`: its one-time links (`?token=…`) lose their token,
/// which only the recipient's copy needs.
pub fn without_tokens(body: &str) -> String {
    const MARK: &str = "token=";
    const REMOVED: &str = "removed-after-delivery";
    let mut kept = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find(MARK) {
        let (before, after) = rest.split_at(at + MARK.len());
        kept.push_str(before);
        let token_end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.~%".contains(c)))
            .unwrap_or(after.len());
        if token_end > 0 {
            kept.push_str(REMOVED);
        }
        rest = &after[token_end..];
    }
    kept.push_str(rest);
    kept
}

/// Every e-mail's layout, as templates: HTML (escaped automatically, as its name ends in
/// `.html`) and plain text.
static LAYOUT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut layout = Environment::new();
    layout.set_trim_blocks(true);
    for (name, source) in [
        ("email.html", include_str!("templates/email.html")),
        ("email.txt", include_str!("templates/email.txt")),
    ] {
        // The templates are part of the binary; the unit tests below render both.
        #[allow(clippy::expect_used)]
        layout
            .add_template(name, source)
            .expect("the e-mail templates parse");
    }
    layout
});

/// What an e-mail says, before it is laid out.
#[derive(Clone, Copy, Debug, Default)]
pub struct Letter<'a> {
    pub subject: &'a str,
    pub paragraph: &'a str,
    pub link: Option<&'a str>,
    /// Where the recipient chose to get this kind of e-mail: adds a footer pointing there.
    pub settings_link: Option<&'a str>,
    pub invoice: Option<&'a InvoiceSummary>,
}

/// An invoice as an e-mail about it shows it: every line, the tax and the total; while it is
/// unpaid, when to pay by and a button to pay. Amounts and times come written for the reader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvoiceSummary {
    pub number: String,
    pub lines: Vec<SummaryLine>,
    /// `PPN 11 %` and its amount; none when the invoice has no tax (a top-up).
    pub tax: Option<SummaryLine>,
    /// Taken off from the customer's credit.
    pub credit: Option<SummaryLine>,
    pub total: String,
    pub payment: Option<PaymentDue>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SummaryLine {
    pub description: String,
    pub amount: String,
}

/// What is left to pay of an unpaid invoice, by when, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PaymentDue {
    pub amount: String,
    pub before: String,
    pub link: String,
}

/// An e-mail in Webrana Cloud's one layout, in the recipient's language: a greeting, a
/// paragraph, the invoice it is about and a link, as plain text and as HTML.
pub fn compose(to: &str, name: &str, language: Language, letter: &Letter<'_>) -> OutgoingEmail {
    let en = language == Language::En;
    let pick = |id: &'static str, en_text: &'static str| if en { en_text } else { id };
    let values = context! {
        lang => language.code(),
        subject => letter.subject,
        greeting => format!("{} {name},", pick("Halo", "Hello")),
        paragraph => letter.paragraph,
        link => letter.link,
        open_label => pick("Buka di Webrana Cloud", "Open in Webrana Cloud"),
        invoice => letter.invoice,
        invoice_label => pick("Tagihan", "Invoice"),
        total_label => pick("Total", "Total"),
        pay_before_label => pick("Bayar sebelum", "Pay before"),
        pay_label => pick("Bayar", "Pay"),
        settings_link => letter.settings_link,
        settings_text => pick(
            "Anda menerima e-mail ini sesuai pengaturan notifikasi Anda; ubah di",
            "You get this e-mail because of your notification settings; change them at",
        ),
    };
    OutgoingEmail {
        to: to.to_owned(),
        subject: format!("{} · Webrana Cloud", letter.subject),
        text: render("email.txt", &values),
        html: render("email.html", &values),
        attachments: Vec::new(),
    }
}

fn render(template: &str, values: &minijinja::Value) -> String {
    // Only a missing template or a bad filter fails to render; neither can happen with the two
    // fixed templates, which the unit tests render.
    #[allow(clippy::expect_used)]
    LAYOUT
        .get_template(template)
        .and_then(|template| template.render(values))
        .expect("the e-mail templates render")
}

/// Stores the e-mail with its attachments and schedules its delivery, all in the caller's
/// transaction.
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
    for (position, attachment) in email.attachments.iter().enumerate() {
        tx_run!(tx, |conn| {
            sqlx::query(
                "INSERT INTO email_attachments (email_id, position, filename, content_type, \
                 content) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(position as i64)
            .bind(&attachment.filename)
            .bind(&attachment.content_type)
            .bind(&attachment.content)
            .execute(conn)
            .await
            .map(|_| ())
        })?;
    }
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

/// The files stored with an e-mail, in the order they were attached.
pub async fn attachments(db: &Db, email_id: i64) -> Result<Vec<Attachment>, DbError> {
    Ok(db_run!(db, |pool| {
        sqlx::query_as::<_, Attachment>(
            "SELECT filename, content_type, content FROM email_attachments \
             WHERE email_id = $1 ORDER BY position",
        )
        .bind(email_id)
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
    fn delivered_copies_keep_their_links_but_not_their_tokens() {
        let email = compose(
            "sari@webrana.test",
            "Sari",
            Language::En,
            &Letter {
                subject: "Reset your password",
                paragraph: "Someone asked to reset your password.",
                link: Some("https://webrana.test/reset-password?token=Zm9v-YmFy_0.9~a%2B"),
                settings_link: None,
                invoice: None,
            },
        );
        for body in [&email.text, &email.html] {
            assert!(body.contains("Zm9v-YmFy_0.9~a%2B"));
            let kept = without_tokens(body);
            assert!(!kept.contains("Zm9v"), "{kept}");
            assert!(
                kept.contains("reset-password?token=removed-after-delivery"),
                "{kept}"
            );
        }
        assert_eq!(
            without_tokens("a=1&token=abc&b=2 token=\ntoken="),
            "a=1&token=removed-after-delivery&b=2 token=\ntoken="
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn the_plain_text_reads_as_a_letter() {
        let email = compose(
            "sari@webrana.test",
            "Sari",
            Language::En,
            &Letter {
                subject: "Payment received",
                paragraph: "We received Rp 50.000.",
                link: Some("https://webrana.test/invoices/1"),
                settings_link: None,
                invoice: None,
            },
        );
        assert_eq!(email.subject, "Payment received · Webrana Cloud");
        assert_eq!(
            email.text,
            "Hello Sari,\n\nWe received Rp 50.000.\n\nhttps://webrana.test/invoices/1\n\n— Webrana Cloud\n"
        );
        assert!(!email.html.contains("notification settings"));
    }

    #[test]
    fn what_people_typed_is_escaped_in_html_only() {
        let email = compose(
            "x@webrana.test",
            "<b>Budi</b> & co",
            Language::Id,
            &Letter {
                subject: "Server siap",
                paragraph: "Server \"web-1\" siap.",
                link: None,
                settings_link: Some("https://webrana.test/notifications"),
                invoice: None,
            },
        );
        assert!(
            email.text.starts_with(
                "Halo <b>Budi</b> & co,\n\nServer \"web-1\" siap.\n\n— Webrana Cloud\n"
            )
        );
        assert!(
            email
                .html
                .contains("Halo &lt;b&gt;Budi&lt;&#x2f;b&gt; &amp; co,"),
            "{}",
            email.html
        );
        assert!(!email.html.contains("<b>Budi"));
        assert!(email.html.contains("<html lang=\"id\">"));
        assert!(
            !email.html.contains("Buka di Webrana Cloud"),
            "no link, no button"
        );
        assert!(email.text.ends_with(
            "Anda menerima e-mail ini sesuai pengaturan notifikasi Anda; ubah di https://webrana.test/notifications\n"
        ), "{}", email.text);
        // Escaped in attributes too; mail clients read `&#x2f;` as `/`.
        assert!(
            email
                .html
                .contains("href=\"https:&#x2f;&#x2f;webrana.test&#x2f;notifications\"")
        );
    }
}
