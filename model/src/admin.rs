//! What the admin pages list besides accounts: the e-mails the platform wrote, the audit log and
//! the background jobs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::status::JobState;
use crate::{JobId, UserId};

/// An e-mail as written to the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEmail {
    pub id: i64,
    pub to: String,
    pub subject: String,
    /// What it says, on an installation without SMTP (the dev outbox). Where an SMTP server
    /// delivers the mail it is `None`: it would show admins other people's reset and
    /// verification links.
    pub body_text: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Handed to the SMTP server; never, on an installation without one.
    pub sent_at: Option<DateTime<Utc>>,
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// A code such as `login` or `plan_created`.
    pub action: String,
    pub actor_user_id: Option<UserId>,
    pub subject_user_id: Option<UserId>,
    pub subject_email: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

/// A background job and where it stands (its payload stays on the server).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub state: JobState,
    pub run_at: DateTime<Utc>,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
}
