//! Telegram: the Bot API's `sendMessage`, linking a user's chat with a one-time deep link
//! (`t.me/<bot>?start=<token>`, redeemed when the bot receives `/start <token>` from that chat),
//! unlinking (from the profile, by `/stop`, or when the user blocks the bot), and the durable job
//! that sends each notification a linked user wants on Telegram.
//!
//! Telegram takes no idempotency key: the job marks a message sent right after Telegram accepts
//! it, so a crash between the two can repeat that one message, never more.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::{NotificationError, Notifications, TelegramStatus};
use crate::caller::Caller;
use crate::error::Code;
use crate::jobs::{Job, JobOutcome};
use crate::mail::escape_html;
use crate::outcomes::{self, Service};
use crate::secrets::{random_token, token_hash};
use crate::{DbError, db_run, tx_run};

/// How long a deep link can be redeemed.
const LINK_LIFETIME: Duration = Duration::minutes(10);

/// The bot's credentials and where its API is (Telegram's, or a mock in tests).
#[derive(Clone)]
pub struct TelegramBot {
    http: reqwest::Client,
    api_url: String,
    token: String,
    username: String,
    /// What Telegram sends in `X-Telegram-Bot-Api-Secret-Token` with every webhook update.
    webhook_secret: String,
}

/// Never shows the token.
impl std::fmt::Debug for TelegramBot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramBot")
            .field("api_url", &self.api_url)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error("Telegram asks us to wait {0} s")]
    RetryAfter(u64),
    #[error("the user blocked the bot or deleted the chat")]
    Blocked,
    #[error("Telegram refused the message: {0}")]
    Refused(String),
    #[error("Telegram cannot be reached: {0}")]
    Unavailable(String),
}

#[derive(Deserialize)]
struct Answer {
    ok: bool,
    description: Option<String>,
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    retry_after: Option<u64>,
}

impl TelegramBot {
    pub fn new(api_url: &str, token: String, username: String, webhook_secret: String) -> Self {
        let http = reqwest::Client::builder()
            .timeout(StdDuration::from_secs(15))
            .build()
            .unwrap_or_default();
        Self {
            http,
            api_url: api_url.trim_end_matches('/').to_owned(),
            token,
            username: username.trim_start_matches('@').to_owned(),
            webhook_secret,
        }
    }

    /// Sends `html` (Telegram's HTML subset, dynamic text escaped) to `chat_id`.
    pub async fn send_message(&self, chat_id: i64, html: &str) -> Result<(), TelegramError> {
        let answer = self
            .http
            .post(format!("{}/bot{}/sendMessage", self.api_url, self.token))
            .json(&serde_json::json!({
                "chat_id": chat_id,
                "text": html,
                "parse_mode": "HTML",
                "link_preview_options": { "is_disabled": true },
            }))
            .send()
            .await
            .map_err(|error| TelegramError::Unavailable(error.without_url().to_string()))?;
        let status = answer.status();
        let body: Answer = answer.json().await.map_err(|error| {
            TelegramError::Unavailable(format!("{status}: {}", error.without_url()))
        })?;
        if body.ok {
            return Ok(());
        }
        let description = body.description.unwrap_or_else(|| status.to_string());
        match status.as_u16() {
            429 => Err(TelegramError::RetryAfter(
                body.parameters
                    .and_then(|parameters| parameters.retry_after)
                    .unwrap_or(5),
            )),
            403 => Err(TelegramError::Blocked),
            500..=599 => Err(TelegramError::Unavailable(description)),
            _ => Err(TelegramError::Refused(description)),
        }
    }
}

impl Notifications {
    fn bot(&self) -> Result<&TelegramBot, NotificationError> {
        self.telegram.as_ref().ok_or(NotificationError::Invalid {
            field: "telegram",
            code: Code::TelegramUnavailable,
            message: "this installation has no Telegram bot".to_owned(),
        })
    }

    pub async fn telegram_status(
        &self,
        caller: &Caller,
    ) -> Result<TelegramStatus, NotificationError> {
        let linked_at: Option<DateTime<Utc>> = db_run!(self.db(), |pool| {
            sqlx::query_scalar("SELECT linked_at FROM telegram_links WHERE user_id = $1")
                .bind(caller.user_id)
                .fetch_optional(pool)
                .await
        })?;
        Ok(TelegramStatus {
            available: self.telegram.is_some(),
            linked_at,
        })
    }

    /// A one-time link that opens the bot; pressing Start in Telegram links that chat.
    pub async fn telegram_link(&self, caller: &Caller) -> Result<String, NotificationError> {
        let bot = self.bot()?;
        let token = random_token().map_err(|_| NotificationError::Invalid {
            field: "telegram",
            code: Code::Internal,
            message: "no randomness available".to_owned(),
        })?;
        db_run!(self.db(), |pool| {
            sqlx::query(
                "INSERT INTO telegram_link_tokens (token_hash, user_id, expires_at) \
                 VALUES ($1, $2, $3)",
            )
            .bind(token_hash(&token))
            .bind(caller.user_id)
            .bind(Utc::now() + LINK_LIFETIME)
            .execute(pool)
            .await
            .map(|_| ())
        })?;
        Ok(format!("https://t.me/{}?start={token}", bot.username))
    }

    pub async fn telegram_unlink(&self, caller: &Caller) -> Result<(), NotificationError> {
        db_run!(self.db(), |pool| {
            sqlx::query("DELETE FROM telegram_links WHERE user_id = $1")
                .bind(caller.user_id)
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// An update posted to our webhook, believed only with the secret agreed with Telegram
    /// (compared in constant time).
    pub async fn telegram_webhook(
        &self,
        secret: Option<&str>,
        update: &Value,
    ) -> Result<(), NotificationError> {
        use subtle::ConstantTimeEq as _;
        let bot = self.bot()?;
        let expected = bot.webhook_secret.as_bytes();
        let given = secret.unwrap_or_default().as_bytes();
        if !bool::from(given.ct_eq(expected)) {
            return Err(NotificationError::Forbidden);
        }
        self.telegram_update(update).await
    }

    /// An update the bot received (webhook): `/start <token>` links the chat it came from,
    /// `/stop` unlinks it; anything else is ignored. The chat is the one Telegram says the
    /// message came from, never an id inside the text.
    pub async fn telegram_update(&self, update: &Value) -> Result<(), NotificationError> {
        let bot = self.bot()?;
        let message = &update["message"];
        let (Some(chat_id), Some(text)) =
            (message["chat"]["id"].as_i64(), message["text"].as_str())
        else {
            return Ok(());
        };
        if text.trim() == "/stop" {
            db_run!(self.db(), |pool| {
                sqlx::query("DELETE FROM telegram_links WHERE chat_id = $1")
                    .bind(chat_id)
                    .execute(pool)
                    .await
                    .map(|_| ())
            })?;
            return self
                .reply(
                    bot,
                    chat_id,
                    "Notifikasi dihentikan. / Notifications stopped.",
                )
                .await;
        }
        let Some(token) = text.trim().strip_prefix("/start ") else {
            return Ok(());
        };
        let now = Utc::now();
        let mut tx = self.db().begin().await?;
        let user_id: Option<i64> = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar(
                "UPDATE telegram_link_tokens SET used_at = $1 WHERE token_hash = $2 \
                 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
            )
            .bind(now)
            .bind(token_hash(token.trim()))
            .fetch_optional(conn)
            .await
        })?;
        let Some(user_id) = user_id else {
            drop(tx);
            return self
                .reply(
                    bot,
                    chat_id,
                    "Tautan ini sudah tidak berlaku; buat yang baru di profil Anda. / This link has expired; make a new one in your profile.",
                )
                .await;
        };
        tx_run!(&mut tx, |conn| {
            sqlx::query(
                "INSERT INTO telegram_links (user_id, chat_id, linked_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id) DO UPDATE SET chat_id = EXCLUDED.chat_id, \
                 linked_at = EXCLUDED.linked_at",
            )
            .bind(user_id)
            .bind(chat_id)
            .bind(now)
            .execute(conn)
            .await
            .map(|_| ())
        })?;
        tx.commit().await?;
        self.reply(
            bot,
            chat_id,
            "Akun Webrana Cloud Anda terhubung. / Your Webrana Cloud account is linked.",
        )
        .await
    }

    /// A courtesy answer in the chat; failing to send it changes nothing already done.
    async fn reply(
        &self,
        bot: &TelegramBot,
        chat_id: i64,
        text: &str,
    ) -> Result<(), NotificationError> {
        if let Err(error) = bot.send_message(chat_id, text).await {
            tracing::warn!(%error, "could not answer in Telegram");
        }
        Ok(())
    }

    pub(crate) async fn run_telegram(&self, job: &Job) -> Result<JobOutcome, String> {
        #[derive(Deserialize)]
        struct Payload {
            notification_id: i64,
        }
        #[derive(sqlx::FromRow)]
        struct Pending {
            user_id: i64,
            chat_id: Option<i64>,
            title: String,
            body: String,
            link: Option<String>,
            sent: bool,
        }
        let Ok(Payload { notification_id }) = serde_json::from_str(&job.payload) else {
            return Ok(JobOutcome::Done);
        };
        let Some(bot) = self.telegram.as_ref() else {
            return Err("no Telegram bot is configured".to_owned());
        };
        let pending: Option<Pending> = db_run!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT n.user_id, t.chat_id, n.title, n.body, n.link, \
                 (n.telegram_sent_at IS NOT NULL) AS sent FROM notifications n \
                 LEFT JOIN telegram_links t ON t.user_id = n.user_id WHERE n.id = $1",
            )
            .bind(notification_id)
            .fetch_optional(pool)
            .await
        })
        .map_err(|error: sqlx::Error| error.to_string())?;
        // Sent already, or unlinked since: nothing to do.
        let Some((pending, chat_id)) = pending
            .filter(|pending| !pending.sent)
            .and_then(|pending| pending.chat_id.map(|chat_id| (pending, chat_id)))
        else {
            return Ok(JobOutcome::Done);
        };
        let mut html = format!(
            "<b>{}</b>\n{}",
            escape_html(&pending.title),
            escape_html(&pending.body)
        );
        if let Some(link) = &pending.link {
            html.push_str(&format!("\n{}{}", self.public_url(), escape_html(link)));
        }
        // The health page hears of deliveries and failures; "wait" and "blocked" are Telegram
        // working as it should.
        match bot.send_message(chat_id, &html).await {
            Ok(()) => {
                outcomes::succeeded(self.db(), Service::Telegram, None).await;
                self.mark_sent(notification_id)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(JobOutcome::Done)
            }
            Err(TelegramError::RetryAfter(seconds)) => Ok(JobOutcome::RunAgainAt(
                Utc::now() + Duration::seconds(i64::try_from(seconds).unwrap_or(60)),
            )),
            Err(TelegramError::Blocked) => {
                tracing::info!(
                    user_id = pending.user_id,
                    "the user blocked the bot; unlinked"
                );
                db_run!(self.db(), |pool| {
                    sqlx::query("DELETE FROM telegram_links WHERE user_id = $1")
                        .bind(pending.user_id)
                        .execute(pool)
                        .await
                        .map(|_| ())
                })
                .map_err(|error: sqlx::Error| error.to_string())?;
                Ok(JobOutcome::Done)
            }
            Err(error) => {
                let error = error.to_string();
                outcomes::failed(self.db(), Service::Telegram, &error).await;
                Err(error)
            }
        }
    }

    async fn mark_sent(&self, notification_id: i64) -> Result<(), DbError> {
        db_run!(self.db(), |pool| {
            sqlx::query("UPDATE notifications SET telegram_sent_at = $1 WHERE id = $2")
                .bind(Utc::now())
                .bind(notification_id)
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }
}
