//! `/api/v1/ssh-keys`: the caller's own SSH public keys. Another customer's key id answers 404,
//! exactly like an id that does not exist.

use app::auth::server::{Authenticated, RequestClient};
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use domain::ssh_keys::{self, SshKey};
use serde::Deserialize;

use super::{ApiError, require_caller};
use super::{ApiJson, Path};
use crate::router::ServerState;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/api/v1/ssh-keys", get(list).post(add))
        .route("/api/v1/ssh-keys/{id}", delete(remove))
}

async fn list(
    State(state): State<ServerState>,
    Extension(authenticated): Extension<Authenticated>,
) -> Result<Json<Vec<SshKey>>, ApiError> {
    let caller = require_caller(&authenticated)?;
    Ok(Json(ssh_keys::list(&state.app.db, caller.user_id).await?))
}

#[derive(Deserialize)]
struct NewKey {
    name: String,
    public_key: String,
}

async fn add(
    State(state): State<ServerState>,
    Extension(authenticated): Extension<Authenticated>,
    Extension(RequestClient(client)): Extension<RequestClient>,
    ApiJson(body): ApiJson<NewKey>,
) -> Result<(StatusCode, Json<SshKey>), ApiError> {
    let caller = require_caller(&authenticated)?;
    let key = ssh_keys::add(
        &state.app.db,
        caller.user_id,
        &body.name,
        &body.public_key,
        &client,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(key)))
}

async fn remove(
    State(state): State<ServerState>,
    Extension(authenticated): Extension<Authenticated>,
    Extension(RequestClient(client)): Extension<RequestClient>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let caller = require_caller(&authenticated)?;
    ssh_keys::remove(&state.app.db, caller.user_id, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
