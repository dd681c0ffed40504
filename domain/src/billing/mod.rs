//! Invoices and their payment: numbering, tax, the payment gateway (Tripay, or the sandbox when
//! no `TRIPAY_*` is set), callbacks applied once however often and in whatever order they come,
//! and reconciling payments a lost callback left behind.
//!
//! Both gateways speak Tripay's callback: the sandbox signs its callbacks with a key of its own
//! and posts them to the same endpoint, so the path a real payment takes is the one tested.

pub mod channels;
pub mod credit;
pub mod invoices;
pub mod payments;
pub mod pdf;
pub mod refusals;
pub mod tripay;
mod views;
pub mod worker;

use crate::caller::NotAdmin;
use crate::error::{Code, ErrorCode};
use crate::orders::OrderError;
use crate::{DbError, settings};

pub use self::payments::{Billing, Gateway, InvoiceView, PaymentView};

/// Where gateways post their callbacks, below the public URL.
pub const CALLBACK_PATH: &str = "/api/v1/payments/tripay/callback";

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error("no such invoice")]
    NotFound,
    #[error("admins only")]
    Forbidden,
    #[error("{message}")]
    Invalid {
        field: &'static str,
        code: Code,
        message: String,
    },
    #[error("this invoice is {0} and cannot be paid")]
    NotPayable(String),
    #[error("this invoice is {0}; only a paid invoice can be refunded")]
    NotRefundable(String),
    #[error("the payment gateway: {0}")]
    Gateway(#[from] tripay::TripayError),
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for BillingError {
    fn from(error: sqlx::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

impl From<NotAdmin> for BillingError {
    fn from(_: NotAdmin) -> Self {
        Self::Forbidden
    }
}

impl ErrorCode for BillingError {
    fn code(&self) -> Code {
        match self {
            Self::NotFound => Code::NotFound,
            Self::Forbidden => Code::Forbidden,
            Self::Invalid { code, .. } => *code,
            Self::NotPayable(_) => Code::InvoiceNotPayable,
            Self::NotRefundable(_) => Code::InvoiceNotRefundable,
            Self::Gateway(error) => error.code(),
            Self::Order(error) => error.code(),
            Self::Db(error) => error.code(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::Order(error) => error.field(),
            _ => None,
        }
    }
}

/// The key the sandbox gateway signs its callbacks with: made on first start and shared by
/// every node through the database.
pub async fn sandbox_private_key(db: &crate::Db) -> Result<String, DbError> {
    let candidate = format!("sbx-{}", uuid::Uuid::new_v4().simple());
    Ok(
        settings::get_or_insert(db, "sandbox_payment_key", &candidate)
            .await?
            .value,
    )
}
