//! In-app notifications as the bell, the notifications page, the live feed and the REST API
//! carry them, and the per-category, per-channel choices of who receives what.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::NotificationId;

/// What a notification is about; people choose channels per category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Billing,
    /// A server's life: provisioning, ready, resized, suspended, deleted.
    Server,
    /// What the customer asked of a server (power, reboot, password reset, rebuild) done or
    /// failed: they are looking at the page, so no e-mail unless they ask for one.
    Actions,
    Security,
    Admin,
}

impl Category {
    pub const ALL: [Self; 5] = [
        Self::Billing,
        Self::Server,
        Self::Actions,
        Self::Security,
        Self::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Billing => "billing",
            Self::Server => "server",
            Self::Actions => "actions",
            Self::Security => "security",
            Self::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|category| category.as_str() == text)
    }
}

/// A stored category that is none of [`Category::ALL`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownCategory(pub String);

impl fmt::Display for UnknownCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown notification category `{}`", self.0)
    }
}

impl std::error::Error for UnknownCategory {}

/// How the server reads a stored category: one it does not know is an error, not a guess.
impl TryFrom<String> for Category {
    type Error = UnknownCategory;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text).ok_or(UnknownCategory(text))
    }
}

/// Where a notification reaches its reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    InApp,
    Email,
    Telegram,
}

impl Channel {
    pub const ALL: [Self; 3] = [Self::InApp, Self::Email, Self::Telegram];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InApp => "in_app",
            Self::Email => "email",
            Self::Telegram => "telegram",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|channel| channel.as_str() == text)
    }
}

/// A notification as its reader sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: NotificationId,
    /// A code such as `payment_received`.
    pub event: String,
    pub category: Category,
    /// In the reader's language.
    pub title: String,
    pub body: String,
    /// A path inside the app.
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl Notification {
    pub fn is_read(&self) -> bool {
        self.read_at.is_some()
    }

    /// Shows it read at once, while the server is told; a time it already has is kept.
    pub fn mark_read(&mut self) {
        self.read_at.get_or_insert_with(Utc::now);
    }
}

/// A page of a reader's notifications, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    pub unread: i64,
    /// Pass as `before` for the next page; `None` on the last one.
    pub next_before: Option<NotificationId>,
}

/// One category on one channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preference {
    pub category: Category,
    pub channel: Channel,
    pub enabled: bool,
    /// Cannot be turned off.
    pub locked: bool,
}

/// A reader's Telegram link, as the settings show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelegramStatus {
    /// Whether this installation has a bot at all.
    pub available: bool,
    pub linked_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_and_channels_read_back_from_their_names() {
        for category in Category::ALL {
            assert_eq!(
                Category::try_from(category.as_str().to_owned()),
                Ok(category)
            );
        }
        assert_eq!(
            Category::try_from("gossip".to_owned()),
            Err(UnknownCategory("gossip".to_owned()))
        );
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.as_str()), Some(channel));
        }
    }
}
