//! Notifications: every customer-facing event (an order placed, a payment received, a server
//! ready…) becomes one row per recipient, written by [`notify`] in the transaction of the change
//! that caused it, so a change and its notification commit or roll back together. The row is
//! the in-app notification and the outbox the e-mail delivery job renders from; a user's
//! preferences choose the channels per category, except that security notifications always
//! show in-app.

pub mod alerts;
pub mod notices;
pub mod telegram;
pub mod worker;

use chrono::{DateTime, Utc};

use crate::caller::Caller;
use crate::db::{Committed, Tx};
use crate::error::{Code, ErrorCode};
use crate::{Db, DbError, db_run, jobs, tx_run};
use model::Language;
use model::billing::Seller;
use model::time::TimeZone;

pub use self::notices::Notice;

pub const EMAIL_JOB: &str = "notification_email";
pub const TELEGRAM_JOB: &str = "notification_telegram";

pub use model::notifications::{Category, Channel, Preference, TelegramStatus};

#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    #[error("no such notification")]
    NotFound,
    #[error("this request is not from our Telegram bot")]
    Forbidden,
    #[error("{message}")]
    Invalid {
        field: &'static str,
        code: Code,
        message: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for NotificationError {
    fn from(error: sqlx::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

impl ErrorCode for NotificationError {
    fn code(&self) -> Code {
        match self {
            Self::NotFound => Code::NotFound,
            Self::Forbidden => Code::Forbidden,
            Self::Invalid { code, .. } => *code,
            Self::Db(error) => error.code(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// An in-app notification as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct InAppNotification {
    pub id: i64,
    pub event: String,
    #[sqlx(try_from = "String")]
    pub category: Category,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, event, category, title, body, link, created_at, read_at";

/// How many notifications [`Notifications::since`] answers at once.
pub const SINCE_PAGE: usize = 100;

/// How long a notification may take from getting its id to being committed, for live feeds to
/// look back over: a transaction on PostgreSQL takes its id when it inserts and another one
/// that started later can commit first. Writing transactions here last milliseconds; a minute
/// also absorbs the nodes' clocks being a little apart.
pub const LATE_COMMIT_WINDOW: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// A page of a user's notifications, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationPage {
    pub items: Vec<InAppNotification>,
    pub unread: i64,
    /// Pass as `before` for the next page; `None` on the last one.
    pub next_before: Option<i64>,
}

/// The notification as the bell, the pages, the live feed and the REST API show it.
impl From<InAppNotification> for model::notifications::Notification {
    fn from(notification: InAppNotification) -> Self {
        Self {
            id: notification.id.into(),
            event: notification.event,
            category: notification.category,
            title: notification.title,
            body: notification.body,
            link: notification.link,
            created_at: notification.created_at,
            read_at: notification.read_at,
        }
    }
}

impl From<NotificationPage> for model::notifications::NotificationPage {
    fn from(page: NotificationPage) -> Self {
        Self {
            items: page.items.into_iter().map(Into::into).collect(),
            unread: page.unread,
            next_before: page.next_before.map(Into::into),
        }
    }
}

/// Security notifications always show in-app: nobody should miss a log-in from a new device.
fn locked_on(category: Category, channel: Channel) -> bool {
    category == Category::Security && channel == Channel::InApp
}

/// Whether a channel is on for a category when the user never said: every channel is on
/// until turned off (Telegram only reaches a user who linked a chat), except e-mail about the
/// actions a customer just took on the page.
fn default_enabled(category: Category, channel: Channel) -> bool {
    !(category == Category::Actions && channel == Channel::Email)
}

/// Writes `notice` for `user_id` in the caller's transaction and queues its e-mail when the
/// user wants one. Answers the notification's id.
pub async fn notify(tx: &mut Tx, user_id: i64, notice: &Notice) -> Result<i64, DbError> {
    let written = write(tx, user_id, notice).await?;
    if written.wants_email {
        queue_emails(tx, &[written.id]).await?;
    }
    Ok(written.id)
}

/// Writes `notice` for every active admin, with one e-mail job for all of them.
pub async fn notify_admins(tx: &mut Tx, notice: &Notice) -> Result<(), DbError> {
    let admins: Vec<i64> = tx_run!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT id FROM users WHERE role = 'admin' AND suspended_at IS NULL ORDER BY id",
        )
        .fetch_all(conn)
        .await
    })?;
    let mut emailed = Vec::new();
    for admin in admins {
        let written = write(tx, admin, notice).await?;
        if written.wants_email {
            emailed.push(written.id);
        }
    }
    if !emailed.is_empty() {
        queue_emails(tx, &emailed).await?;
    }
    Ok(())
}

/// A notification just written, and whether its reader wants it by e-mail.
struct Written {
    id: i64,
    wants_email: bool,
}

/// Writes the notification row (and queues its Telegram message when the reader linked a chat
/// and wants one); the e-mail is the caller's to queue.
async fn write(tx: &mut Tx, user_id: i64, notice: &Notice) -> Result<Written, DbError> {
    let (language, time_zone): (String, String) = tx_run!(tx, |conn| {
        sqlx::query_as("SELECT language, time_zone FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(conn)
            .await
    })?;
    let language = Language::from_code(&language).unwrap_or_default();
    let time_zone = TimeZone::from_iana(&time_zone).unwrap_or_default();
    let chosen: Vec<(String, bool)> = tx_run!(tx, |conn| {
        sqlx::query_as(
            "SELECT channel, enabled FROM notification_preferences \
             WHERE user_id = $1 AND category = $2",
        )
        .bind(user_id)
        .bind(notice.category.as_str())
        .fetch_all(conn)
        .await
    })?;
    let wants = |channel: Channel| {
        chosen
            .iter()
            .find(|(name, _)| name == channel.as_str())
            .map_or_else(|| default_enabled(notice.category, channel), |(_, on)| *on)
    };
    let in_app = locked_on(notice.category, Channel::InApp) || wants(Channel::InApp);
    let text = notice.text(language, time_zone);
    let id: i64 = tx_run!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO notifications (user_id, event, category, title, body, link, in_app, \
             created_at, attached_invoice_id, invoice_pdf) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(user_id)
        .bind(notice.event)
        .bind(notice.category.as_str())
        .bind(&text.title)
        .bind(&text.body)
        .bind(&notice.link)
        .bind(in_app)
        .bind(Utc::now())
        .bind(notice.invoice)
        .bind(notice.invoice_pdf)
        .fetch_one(conn)
        .await
    })?;
    tx.announce(Committed::Notification { user_id, id });
    if wants(Channel::Telegram) {
        let linked: Option<i64> = tx_run!(tx, |conn| {
            sqlx::query_scalar("SELECT chat_id FROM telegram_links WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(conn)
                .await
        })?;
        if linked.is_some() {
            jobs::enqueue(
                tx,
                TELEGRAM_JOB,
                &serde_json::json!({ "notification_id": id }),
                Utc::now(),
                worker::MAX_ATTEMPTS,
            )
            .await?;
        }
    }
    Ok(Written {
        id,
        wants_email: wants(Channel::Email),
    })
}

/// One job that e-mails each of these notifications to its reader.
async fn queue_emails(tx: &mut Tx, notification_ids: &[i64]) -> Result<(), DbError> {
    jobs::enqueue(
        tx,
        EMAIL_JOB,
        &serde_json::json!({ "notification_ids": notification_ids }),
        Utc::now(),
        worker::MAX_ATTEMPTS,
    )
    .await?;
    Ok(())
}

/// A user's in-app notifications.
#[derive(Clone, Debug)]
pub struct Notifications {
    db: Db,
    public_url: String,
    telegram: Option<telegram::TelegramBot>,
    /// Printed on the invoice PDFs that go with billing e-mails.
    seller: Seller,
}

impl Notifications {
    pub fn new(
        db: Db,
        public_url: String,
        telegram: Option<telegram::TelegramBot>,
        seller: Seller,
    ) -> Self {
        Self {
            db,
            public_url: public_url.trim_end_matches('/').to_owned(),
            telegram,
            seller,
        }
    }

    pub(crate) fn seller(&self) -> &Seller {
        &self.seller
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub(crate) fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Newest first, `limit` (1–100) at a time, older than `before` when given.
    pub async fn list(
        &self,
        caller: &Caller,
        unread_only: bool,
        before: Option<i64>,
        limit: i64,
    ) -> Result<NotificationPage, NotificationError> {
        if !(1..=100).contains(&limit) {
            return Err(NotificationError::Invalid {
                field: "limit",
                code: Code::LimitInvalid,
                message: "ask for 1 to 100 notifications at a time".to_owned(),
            });
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM notifications WHERE user_id = $1 AND in_app \
             AND (NOT $2 OR read_at IS NULL) AND ($3 IS NULL OR id < $3) \
             ORDER BY id DESC LIMIT $4"
        );
        let mut items: Vec<InAppNotification> = db_run!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(caller.user_id)
                .bind(unread_only)
                .bind(before)
                .bind(limit + 1)
                .fetch_all(pool)
                .await
        })?;
        let more = items.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next_before = if more {
            items.last().map(|item| item.id)
        } else {
            None
        };
        Ok(NotificationPage {
            unread: self.unread_count(caller).await?,
            items,
            next_before,
        })
    }

    /// The caller's notifications created at `from` or later, oldest first. A live feed asks
    /// for the last [`LATE_COMMIT_WINDOW`] of them, besides [`Notifications::since`]: on
    /// PostgreSQL a notification can commit after one with a higher id was already sent.
    pub async fn created_since(
        &self,
        caller: &Caller,
        from: DateTime<Utc>,
    ) -> Result<Vec<InAppNotification>, NotificationError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM notifications WHERE user_id = $1 AND in_app \
             AND created_at >= $2 ORDER BY id"
        );
        Ok(db_run!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(caller.user_id)
                .bind(from)
                .fetch_all(pool)
                .await
        })?)
    }

    /// The caller's notifications newer than `after`, oldest first and at most
    /// [`SINCE_PAGE`]: what a client that was away missed (ask again after the last for more).
    pub async fn since(
        &self,
        caller: &Caller,
        after: i64,
    ) -> Result<Vec<InAppNotification>, NotificationError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM notifications WHERE user_id = $1 AND in_app AND id > $2 \
             ORDER BY id LIMIT {SINCE_PAGE}"
        );
        Ok(db_run!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(caller.user_id)
                .bind(after)
                .fetch_all(pool)
                .await
        })?)
    }

    /// The id of the caller's newest notification, or 0: where a live feed starts.
    pub async fn newest_id(&self, caller: &Caller) -> Result<i64, NotificationError> {
        let newest: Option<i64> = db_run!(&self.db, |pool| {
            sqlx::query_scalar("SELECT MAX(id) FROM notifications WHERE user_id = $1")
                .bind(caller.user_id)
                .fetch_one(pool)
                .await
        })?;
        Ok(newest.unwrap_or(0))
    }

    pub async fn unread_count(&self, caller: &Caller) -> Result<i64, NotificationError> {
        Ok(db_run!(&self.db, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND in_app \
                 AND read_at IS NULL",
            )
            .bind(caller.user_id)
            .fetch_one(pool)
            .await
        })?)
    }

    /// Marks one of the caller's notifications read; reading it again changes nothing.
    pub async fn mark_read(&self, caller: &Caller, id: i64) -> Result<(), NotificationError> {
        let found: Option<i64> = db_run!(&self.db, |pool| {
            sqlx::query_scalar(
                "UPDATE notifications SET read_at = COALESCE(read_at, $1) \
                 WHERE id = $2 AND user_id = $3 AND in_app RETURNING id",
            )
            .bind(Utc::now())
            .bind(id)
            .bind(caller.user_id)
            .fetch_optional(pool)
            .await
        })?;
        found.ok_or(NotificationError::NotFound)?;
        self.db.feed().publish(Committed::NotificationsRead {
            user_id: caller.user_id,
        });
        Ok(())
    }

    /// Every category and channel with whether it is on for the caller.
    pub async fn preferences(&self, caller: &Caller) -> Result<Vec<Preference>, NotificationError> {
        let chosen: Vec<(String, String, bool)> = db_run!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT category, channel, enabled FROM notification_preferences WHERE user_id = $1",
            )
            .bind(caller.user_id)
            .fetch_all(pool)
            .await
        })?;
        let mut all = Vec::new();
        for category in Category::ALL {
            for channel in Channel::ALL {
                let enabled = chosen
                    .iter()
                    .find(|(c, ch, _)| c == category.as_str() && ch == channel.as_str())
                    .map_or_else(|| default_enabled(category, channel), |(_, _, on)| *on);
                all.push(Preference {
                    category,
                    channel,
                    enabled: enabled || locked_on(category, channel),
                    locked: locked_on(category, channel),
                });
            }
        }
        Ok(all)
    }

    /// Turns one category on or off on one channel for the caller.
    pub async fn set_preference(
        &self,
        caller: &Caller,
        category: Category,
        channel: Channel,
        enabled: bool,
    ) -> Result<(), NotificationError> {
        if locked_on(category, channel) && !enabled {
            return Err(NotificationError::Invalid {
                field: "enabled",
                code: Code::SecurityInAppRequired,
                message: "security notifications always show in the app".to_owned(),
            });
        }
        db_run!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO notification_preferences (user_id, category, channel, enabled) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, category, channel) \
                 DO UPDATE SET enabled = EXCLUDED.enabled",
            )
            .bind(caller.user_id)
            .bind(category.as_str())
            .bind(channel.as_str())
            .bind(enabled)
            .execute(pool)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// Marks all the caller's notifications read; answers how many were unread.
    pub async fn mark_all_read(&self, caller: &Caller) -> Result<u64, NotificationError> {
        let marked = db_run!(&self.db, |pool| {
            sqlx::query(
                "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
            )
            .bind(Utc::now())
            .bind(caller.user_id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        self.db.feed().publish(Committed::NotificationsRead {
            user_id: caller.user_id,
        });
        Ok(marked)
    }
}
