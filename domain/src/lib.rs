//! Webrana Cloud's server-side domain: the data layer and the business rules behind every page and
//! API. Nothing here knows about Leptos, HTML or HTTP; the `server` crate and the server functions
//! in `app` call into it through [`AppState`].

pub mod db;
pub mod health;
pub mod settings;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use db::{Backend, Db, DbError};

/// Everything a request handler or server function needs, cloned cheaply into each request.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    /// Identifies this installation's database across restarts and nodes; see [`settings`].
    pub installation_id: String,
}

impl AppState {
    /// Builds the state from an open, migrated database.
    pub async fn new(db: Db) -> Result<Self, DbError> {
        let installation_id = settings::installation_id(&db).await?;
        Ok(Self {
            db,
            installation_id,
        })
    }
}
