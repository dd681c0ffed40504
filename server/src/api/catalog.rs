//! The catalog over JSON: what is on sale under `/api/v1/catalog/` (public, no token needed), and
//! for admins the plan CRUD under `/api/v1/admin/plans`, the provider sizes plans are made from,
//! and "sync now".

use app::auth::server::{Authenticated, RequestClient};
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::catalog::{OfferedImage, OfferedRegion, Plan, PlanInput, PublicPlan, Size};
use serde_json::{Value, json};

use super::Path;
use super::{ApiError, ApiJson, require_caller};
use crate::router::ServerState;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/api/v1/catalog/plans", get(public_plans))
        .route("/api/v1/catalog/regions", get(public_regions))
        .route("/api/v1/catalog/images", get(public_images))
        .route("/api/v1/admin/catalog/sync", post(sync))
        .route("/api/v1/admin/catalog/sizes", get(sizes))
        .route("/api/v1/admin/plans", get(plans).post(create_plan))
        .route(
            "/api/v1/admin/plans/{id}",
            get(plan).put(update_plan).delete(delete_plan),
        )
}

async fn public_plans(State(state): State<ServerState>) -> Result<Json<Vec<PublicPlan>>, ApiError> {
    Ok(Json(state.app.catalog.public_plans().await?))
}

async fn public_regions(
    State(state): State<ServerState>,
) -> Result<Json<Vec<OfferedRegion>>, ApiError> {
    Ok(Json(state.app.catalog.public_regions().await?))
}

async fn public_images(
    State(state): State<ServerState>,
) -> Result<Json<Vec<OfferedImage>>, ApiError> {
    Ok(Json(state.app.catalog.public_images().await?))
}

/// Queues a sync from every provider; it runs within seconds, so the answer is 202.
async fn sync(
    State(state): State<ServerState>,
    Extension(authenticated): Extension<Authenticated>,
    Extension(RequestClient(client)): Extension<RequestClient>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let caller = require_caller(&authenticated)?;
    let queued = state.app.catalog.request_sync(&caller, &client).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "queued": queued }))))
}

async fn sizes(
    State(state): State<ServerState>,
    Extension(authenticated): Extension<Authenticated>,
) -> Result<Json<Vec<Size>>, ApiError> {
    let caller = require_caller(&authenticated)?;
    Ok(Json(state.app.catalog.sizes(&caller).await?))
}

async fn plans(
    State(state): State<ServerState>,
    Extension(authenticated): Extension<Authenticated>,
) -> Result<Json<Vec<Plan>>, ApiError> {
    let caller = require_caller(&authenticated)?;
    Ok(Json(state.app.catalog.plans(&caller).await?))
}

async fn plan(
    State(state): State<ServerState>,
    Extension(authenticated): Extension<Authenticated>,
    Path(id): Path<i64>,
) -> Result<Json<Plan>, ApiError> {
    let caller = require_caller(&authenticated)?;
    Ok(Json(state.app.catalog.plan(&caller, id).await?))
}

async fn create_plan(
    State(state): State<ServerState>,
    Extension(authenticated): Extension<Authenticated>,
    Extension(RequestClient(client)): Extension<RequestClient>,
    ApiJson(input): ApiJson<PlanInput>,
) -> Result<(StatusCode, Json<Plan>), ApiError> {
    let caller = require_caller(&authenticated)?;
    let plan = state
        .app
        .catalog
        .create_plan(&caller, &client, &input)
        .await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

async fn update_plan(
    State(state): State<ServerState>,
    Extension(authenticated): Extension<Authenticated>,
    Extension(RequestClient(client)): Extension<RequestClient>,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<PlanInput>,
) -> Result<Json<Plan>, ApiError> {
    let caller = require_caller(&authenticated)?;
    Ok(Json(
        state
            .app
            .catalog
            .update_plan(&caller, &client, id, &input)
            .await?,
    ))
}

async fn delete_plan(
    State(state): State<ServerState>,
    Extension(authenticated): Extension<Authenticated>,
    Extension(RequestClient(client)): Extension<RequestClient>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let caller = require_caller(&authenticated)?;
    state.app.catalog.delete_plan(&caller, &client, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
