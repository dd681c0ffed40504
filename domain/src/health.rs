//! Whether this node can serve: the database answers and its schema is up to date.

use crate::{Backend, Db};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Readiness {
    pub backend: Backend,
    pub database_reachable: bool,
    /// Migrations shipped in this binary that the database has not applied.
    pub pending_migrations: Vec<i64>,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.database_reachable && self.pending_migrations.is_empty()
    }
}

/// Checks the database; failures are reported in the answer (and logged), never raised, since
/// "not ready" is the answer a load balancer asks for.
#[tracing::instrument(skip(db))]
pub async fn readiness(db: &Db) -> Readiness {
    let backend = db.backend();
    let checked = async {
        db.ping().await?;
        db.pending_migrations().await
    }
    .await;
    match checked {
        Ok(pending_migrations) => Readiness {
            backend,
            database_reachable: true,
            pending_migrations,
        },
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            Readiness {
                backend,
                database_reachable: false,
                pending_migrations: Vec::new(),
            }
        }
    }
}
