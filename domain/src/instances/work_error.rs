//! What can stop a server's job: the job's own payload, the database or the stored server, or the
//! provider. Shared by the provisioning and action jobs (`worker`) and the deletion of a
//! suspended service's server (`suspension`), so neither has to import the other for it.

use super::InstanceError;
use crate::providers::ProviderError;

/// What a failed attempt leaves in the job's `last_error`: never a secret, since no error
/// carries one.
pub(super) fn describe(error: WorkError) -> String {
    error.to_string()
}

#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    #[error("bad job payload: {0}")]
    Payload(#[from] serde_json::Error),
    #[error(transparent)]
    Instance(#[from] InstanceError),
    #[error("provider: {0}")]
    Provider(#[from] ProviderError),
}

impl From<sqlx::Error> for WorkError {
    fn from(error: sqlx::Error) -> Self {
        Self::Instance(error.into())
    }
}

impl From<crate::DbError> for WorkError {
    fn from(error: crate::DbError) -> Self {
        Self::Instance(error.into())
    }
}

impl From<crate::secrets::SecretError> for WorkError {
    fn from(error: crate::secrets::SecretError) -> Self {
        Self::Instance(error.into())
    }
}
