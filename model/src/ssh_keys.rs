//! Customers' saved SSH public keys, as the account page and the API list them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::SshKeyId;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshKey {
    pub id: SshKeyId,
    pub name: String,
    /// OpenSSH one-line form: `ssh-ed25519 AAAA… comment`.
    pub public_key: String,
    /// SHA256, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// `ed25519`, `ecdsa` or `rsa`.
    pub algorithm: String,
    pub bits: i64,
    pub created_at: DateTime<Utc>,
}

impl SshKey {
    /// The key type as `ssh-keygen -l` writes it: `ED25519`, `ECDSA`, `RSA`.
    pub fn algorithm_name(&self) -> String {
        self.algorithm.to_uppercase()
    }
}
