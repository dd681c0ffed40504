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

/// One thing a new shop needs before it can take real orders, as the admin's setup checklist
/// shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetupStep {
    /// At least one plan customers can order.
    PlanOnSale,
    /// The seller's address and NPWP, printed on every invoice.
    SellerDetails,
    /// An SMTP server, so e-mail leaves the dev outbox.
    Smtp,
    /// Tripay, so customers pay real money.
    PaymentGateway,
    /// A real cloud (DigitalOcean, Vultr or Linode), so servers are real.
    CloudProvider,
}

impl SetupStep {
    pub const ALL: [Self; 5] = [
        Self::PlanOnSale,
        Self::SellerDetails,
        Self::Smtp,
        Self::PaymentGateway,
        Self::CloudProvider,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PlanOnSale => "plan_on_sale",
            Self::SellerDetails => "seller_details",
            Self::Smtp => "smtp",
            Self::PaymentGateway => "payment_gateway",
            Self::CloudProvider => "cloud_provider",
        }
    }
}

/// A step of the checklist and whether it is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupState {
    pub step: SetupStep,
    pub done: bool,
}
