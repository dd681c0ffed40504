//! Accounts as their owners and admins see them: no password hashes, no two-factor secrets.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::time::TimeZone;
use crate::{Language, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Admin => "admin",
        }
    }

    /// The role stored as `text`: anything but `admin` grants nothing more than a customer's.
    pub fn from_stored(text: &str) -> Self {
        if text == "admin" {
            Self::Admin
        } else {
            Self::Customer
        }
    }
}

/// An account: the signed-in user's own, or one in the admin's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub language: Language,
    /// Where times are shown to this person, on pages and in e-mails.
    #[serde(default)]
    pub time_zone: TimeZone,
    pub email_verified: bool,
    pub suspended: bool,
    pub two_factor_enabled: bool,
    pub created_at: DateTime<Utc>,
    /// Printed on the invoices issued to this account.
    #[serde(default)]
    pub billing: BillingDetails,
    /// Rupiah of credit, which pays invoices (see `billing::CreditAccount`).
    #[serde(default)]
    pub credit_balance: i64,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// What a business customer needs on a tax invoice besides their name: the company billed,
/// its address and its tax id. Each is optional; an empty one is not printed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingDetails {
    pub company: Option<String>,
    pub address: Option<String>,
    /// Nomor Pokok Wajib Pajak, written as [`crate::inputs::Npwp`] formats it.
    pub npwp: Option<String>,
}

/// A signed-in device, as the account page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: i64,
    pub user_agent: String,
    pub ip: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    /// The session this page was asked from.
    pub current: bool,
}

/// What an authenticator app needs to start making codes; shown once, while two-factor is set up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorSetup {
    pub secret: String,
    pub otpauth_uri: String,
    /// The `otpauth` URI as a QR code, an SVG `data:` URL.
    pub qr_data_url: String,
}
