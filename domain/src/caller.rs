//! Who a request acts for: the signed-in person and where they called from. Every feature takes
//! a [`Caller`]; it lives below them all, so that none needs the accounts module for it.

use model::accounts::Role;

use crate::error::{Code, ErrorCode};

/// Where a request came from, for sessions and the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: i64,
    pub session_id: i64,
    pub role: Role,
    pub email_verified: bool,
}

/// A customer asked for what only an admin may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("only an admin may do this")]
pub struct NotAdmin;

impl ErrorCode for NotAdmin {
    fn code(&self) -> Code {
        Code::Forbidden
    }
}

impl Caller {
    pub fn require_admin(&self) -> Result<(), NotAdmin> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(NotAdmin)
        }
    }
}
