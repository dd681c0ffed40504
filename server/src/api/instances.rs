//! `/api/v1/instances`: the caller's servers, one server with its actions and history, asking
//! for an action and the one-time root password; `/api/v1/admin/instances` for admins. Another
//! customer's instance id answers 404, exactly like one that does not exist.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::instances::{ActionRequest, InstanceFilter, ProvisionRequest};
use model::instances::{Instance, InstanceAction, InstanceDetail, InstanceEvent};
use serde_json::json;

use super::{ApiError, ApiJson, Path, Query, views};
use crate::routes::{Routes, get, post};
use crate::session::{Admin, SignedIn};
use crate::state::ServerState;

pub fn routes() -> Routes {
    Routes::new()
        .route("/api/v1/instances", get(list))
        .route("/api/v1/instances/{id}", get(detail))
        .route("/api/v1/instances/{id}/events", get(events))
        .route("/api/v1/instances/{id}/actions", post(act))
        .route(
            "/api/v1/instances/{id}/root-password",
            post(reveal_password),
        )
        .route("/api/v1/admin/instances", get(admin_list).post(provision))
}

async fn list(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<Vec<Instance>>, ApiError> {
    Ok(Json(views(state.app.instances.list_mine(&caller).await?)))
}

async fn detail(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<InstanceDetail>, ApiError> {
    Ok(Json(state.app.instances.detail(&caller, id).await?.into()))
}

async fn events(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<Vec<InstanceEvent>>, ApiError> {
    Ok(Json(views(state.app.instances.events(&caller, id).await?)))
}

/// Answers 202: the action is queued; `GET /api/v1/instances/{id}` shows when it is done.
async fn act(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ActionRequest>,
) -> Result<(StatusCode, Json<InstanceAction>), ApiError> {
    let action = state
        .app
        .instances
        .request_action(&caller, id, body)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(action.into())))
}

async fn reveal_password(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let password = state.app.instances.reveal_password(&caller, id).await?;
    Ok(Json(json!({ "root_password": password })))
}

async fn admin_list(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Query(filter): Query<InstanceFilter>,
) -> Result<Json<Vec<Instance>>, ApiError> {
    Ok(Json(views(
        state.app.instances.list_all(&caller, &filter, 200).await?,
    )))
}

/// Answers 202: the server is being created.
async fn provision(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    ApiJson(body): ApiJson<ProvisionRequest>,
) -> Result<(StatusCode, Json<Instance>), ApiError> {
    let instance = state
        .app
        .instances
        .provision_for_user(&caller, body)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(instance.into())))
}
