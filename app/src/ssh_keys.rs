//! SSH key server functions (thin calls into `domain::ssh_keys`). Every call acts on the
//! signed-in customer's own keys only.

use leptos::prelude::*;
use model::SshKeyId;
use model::ssh_keys::SshKey;

#[cfg(feature = "ssr")]
use crate::auth::server::{caller, client, fail, state};
use crate::errors::AppError;

#[server]
pub async fn my_ssh_keys() -> Result<Vec<SshKey>, AppError> {
    let caller = caller()?;
    let keys = domain::ssh_keys::list(&state()?.db, caller.user_id)
        .await
        .map_err(fail)?;
    Ok(keys.into_iter().map(SshKey::from).collect())
}

#[server]
pub async fn add_ssh_key(name: String, public_key: String) -> Result<SshKey, AppError> {
    let caller = caller()?;
    let key = domain::ssh_keys::add(&state()?.db, caller.user_id, &name, &public_key, &client())
        .await
        .map_err(fail)?;
    Ok(key.into())
}

#[server]
pub async fn remove_ssh_key(id: SshKeyId) -> Result<(), AppError> {
    let caller = caller()?;
    domain::ssh_keys::remove(&state()?.db, caller.user_id, id.get(), &client())
        .await
        .map_err(fail)
}
