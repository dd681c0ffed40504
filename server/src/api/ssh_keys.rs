//! `/api/v1/ssh-keys`: the caller's own SSH public keys. Another customer's key id answers 404,
//! exactly like an id that does not exist.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::ssh_keys;
use model::ssh_keys::SshKey;
use serde::Deserialize;

use super::{ApiError, ApiJson, Path, views};
use crate::routes::{Routes, delete, get};
use crate::session::{Client, SignedIn};
use crate::state::ServerState;

pub fn routes() -> Routes {
    Routes::new()
        .route("/api/v1/ssh-keys", get(list).post(add))
        .route("/api/v1/ssh-keys/{id}", delete(remove))
}

async fn list(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<Vec<SshKey>>, ApiError> {
    Ok(Json(views(
        ssh_keys::list(&state.app.db, caller.user_id).await?,
    )))
}

#[derive(Deserialize)]
struct NewKey {
    name: String,
    public_key: String,
}

async fn add(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Client(client): Client,
    ApiJson(body): ApiJson<NewKey>,
) -> Result<(StatusCode, Json<SshKey>), ApiError> {
    let key = ssh_keys::add(
        &state.app.db,
        caller.user_id,
        &body.name,
        &body.public_key,
        &client,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(key.into())))
}

async fn remove(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Client(client): Client,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    ssh_keys::remove(&state.app.db, caller.user_id, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
