//! SSH key server functions (thin calls into `domain::ssh_keys`) and the type the account page
//! shows. Every call acts on the signed-in customer's own keys only.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::auth::server::{caller, client, fail, state};
use crate::errors::AppError;

/// A saved key as the account page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshKeyView {
    pub id: i64,
    pub name: String,
    /// As `ssh-keygen -l` names it: `ED25519`, `ECDSA` or `RSA`.
    pub algorithm: String,
    pub bits: i64,
    pub fingerprint: String,
    /// The day it was added (UTC), `YYYY-MM-DD`.
    pub added: String,
}

#[cfg(feature = "ssr")]
impl From<domain::ssh_keys::SshKey> for SshKeyView {
    fn from(key: domain::ssh_keys::SshKey) -> Self {
        Self {
            id: key.id,
            name: key.name,
            algorithm: key.algorithm.to_uppercase(),
            bits: key.bits,
            fingerprint: key.fingerprint,
            added: key.created_at.format("%Y-%m-%d").to_string(),
        }
    }
}

#[server]
pub async fn my_ssh_keys() -> Result<Vec<SshKeyView>, AppError> {
    let caller = caller()?;
    let keys = domain::ssh_keys::list(&state()?.db, caller.user_id)
        .await
        .map_err(fail)?;
    Ok(keys.into_iter().map(SshKeyView::from).collect())
}

#[server]
pub async fn add_ssh_key(name: String, public_key: String) -> Result<SshKeyView, AppError> {
    let caller = caller()?;
    let key = domain::ssh_keys::add(&state()?.db, caller.user_id, &name, &public_key, &client())
        .await
        .map_err(fail)?;
    Ok(key.into())
}

#[server]
pub async fn remove_ssh_key(id: i64) -> Result<(), AppError> {
    let caller = caller()?;
    domain::ssh_keys::remove(&state()?.db, caller.user_id, id, &client())
        .await
        .map_err(fail)
}
