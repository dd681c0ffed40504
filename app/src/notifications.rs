//! Server functions for in-app notifications: the bell's first look, the notifications page,
//! marking read, the category × channel preferences and the Telegram link.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::auth::server::{caller, fail, optional_caller, reject, state};
use crate::errors::AppError;

/// How many notifications the bell's dropdown shows.
pub const BELL_SIZE: i64 = 8;
/// How many the notifications page loads at a time.
pub const PAGE_SIZE: i64 = 20;

/// A notification as the bell and the page show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: i64,
    pub event: String,
    pub category: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    /// When it happened, already written for people (UTC).
    pub created: String,
    pub read: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub items: Vec<Item>,
    pub unread: i64,
    pub next_before: Option<i64>,
}

/// One category on one channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferenceRow {
    pub category: String,
    pub channel: String,
    pub enabled: bool,
    pub locked: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelegramView {
    pub available: bool,
    pub linked_since: Option<String>,
}

/// Writes an RFC 3339 time (what the live feed sends) the way the pages show times, so an item
/// that arrived live looks like one loaded with the page.
pub fn time_text(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(date), Some(clock)) => format!("{date} {clock} UTC"),
        _ => rfc3339.to_owned(),
    }
}

#[cfg(feature = "ssr")]
fn item(notification: domain::notifications::InAppNotification) -> Item {
    Item {
        id: notification.id,
        created: notification
            .created_at
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        read: notification.read_at.is_some(),
        event: notification.event,
        category: notification.category,
        title: notification.title,
        body: notification.body,
        link: notification.link,
    }
}

#[cfg(feature = "ssr")]
fn page(found: domain::notifications::NotificationPage) -> Page {
    Page {
        items: found.items.into_iter().map(item).collect(),
        unread: found.unread,
        next_before: found.next_before,
    }
}

/// The bell's first look; nothing for a visitor (asking is not an error, so pages rendered for
/// visitors keep their status).
#[server]
pub async fn bell_notifications() -> Result<Option<Page>, AppError> {
    let Some(caller) = optional_caller() else {
        return Ok(None);
    };
    let found = state()?
        .notifications
        .list(&caller, false, None, BELL_SIZE)
        .await
        .map_err(fail)?;
    Ok(Some(page(found)))
}

#[server]
pub async fn list_notifications(before: Option<i64>) -> Result<Page, AppError> {
    let found = state()?
        .notifications
        .list(&caller()?, false, before, PAGE_SIZE)
        .await
        .map_err(fail)?;
    Ok(page(found))
}

#[server]
pub async fn mark_notification_read(id: i64) -> Result<(), AppError> {
    state()?
        .notifications
        .mark_read(&caller()?, id)
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
pub async fn notification_preferences() -> Result<Vec<PreferenceRow>, AppError> {
    let found = state()?
        .notifications
        .preferences(&caller()?)
        .await
        .map_err(fail)?;
    Ok(found
        .into_iter()
        .map(|preference| PreferenceRow {
            category: preference.category.as_str().to_owned(),
            channel: preference.channel.as_str().to_owned(),
            enabled: preference.enabled,
            locked: preference.locked,
        })
        .collect())
}

#[server]
pub async fn set_notification_preference(
    category: String,
    channel: String,
    enabled: bool,
) -> Result<(), AppError> {
    use domain::notifications::{Category, Channel};
    let unknown = |field: &str| reject(AppError::malformed(Some(field.to_owned())));
    let category = Category::parse(&category).ok_or_else(|| unknown("category"))?;
    let channel = Channel::parse(&channel).ok_or_else(|| unknown("channel"))?;
    state()?
        .notifications
        .set_preference(&caller()?, category, channel, enabled)
        .await
        .map_err(fail)
}

#[server]
pub async fn telegram_info() -> Result<TelegramView, AppError> {
    let status = state()?
        .notifications
        .telegram_status(&caller()?)
        .await
        .map_err(fail)?;
    Ok(TelegramView {
        available: status.available,
        linked_since: status
            .linked_at
            .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string()),
    })
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
