//! Server functions for in-app notifications: the bell's first look, the notifications page,
//! marking read, the category × channel preferences and the Telegram link.

use leptos::prelude::*;
use model::NotificationId;
use model::notifications::{Category, Channel, NotificationPage, Preference, TelegramStatus};

#[cfg(feature = "ssr")]
use crate::auth::server::{caller, fail, optional_caller, state};
use crate::errors::AppError;

/// How many notifications the bell's dropdown shows.
pub const BELL_SIZE: i64 = 8;
/// How many the notifications page loads at a time.
pub const PAGE_SIZE: i64 = 20;

/// The bell's first look; nothing for a visitor (asking is not an error, so pages rendered for
/// visitors keep their status).
#[server]
pub async fn bell_notifications() -> Result<Option<NotificationPage>, AppError> {
    let Some(caller) = optional_caller() else {
        return Ok(None);
    };
    let found = state()?
        .notifications
        .list(&caller, false, None, BELL_SIZE)
        .await
        .map_err(fail)?;
    Ok(Some(found.into()))
}

#[server]
pub async fn list_notifications(
    before: Option<NotificationId>,
) -> Result<NotificationPage, AppError> {
    let found = state()?
        .notifications
        .list(
            &caller()?,
            false,
            before.map(NotificationId::get),
            PAGE_SIZE,
        )
        .await
        .map_err(fail)?;
    Ok(found.into())
}

#[server]
pub async fn mark_notification_read(id: NotificationId) -> Result<(), AppError> {
    state()?
        .notifications
        .mark_read(&caller()?, id.get())
        .await
        .map_err(fail)
}

#[server]
pub async fn mark_all_notifications_read() -> Result<u64, AppError> {
    state()?
        .notifications
        .mark_all_read(&caller()?)
        .await
        .map_err(fail)
}

#[server]
pub async fn notification_preferences() -> Result<Vec<Preference>, AppError> {
    state()?
        .notifications
        .preferences(&caller()?)
        .await
        .map_err(fail)
}

#[server]
pub async fn set_notification_preference(
    category: Category,
    channel: Channel,
    enabled: bool,
) -> Result<(), AppError> {
    state()?
        .notifications
        .set_preference(&caller()?, category, channel, enabled)
        .await
        .map_err(fail)
}

#[server]
pub async fn telegram_info() -> Result<TelegramStatus, AppError> {
    state()?
        .notifications
        .telegram_status(&caller()?)
        .await
        .map_err(fail)
}

/// A one-time deep link that opens the bot.
#[server]
pub async fn telegram_link() -> Result<String, AppError> {
    state()?
        .notifications
        .telegram_link(&caller()?)
        .await
        .map_err(fail)
}

#[server]
pub async fn telegram_unlink() -> Result<(), AppError> {
    state()?
        .notifications
        .telegram_unlink(&caller()?)
        .await
        .map_err(fail)
}
