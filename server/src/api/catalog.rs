//! The catalog over JSON: what is on sale under `/api/v1/catalog/` (public, no token needed), and
//! for admins the plan CRUD under `/api/v1/admin/plans`, the provider sizes plans are made from,
//! and "sync now".

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::catalog::PlanInput;
use model::catalog::{OfferedImage, OfferedRegion, Plan, PublicPlan, Size};
use serde_json::{Value, json};

use super::{ApiError, ApiJson, Path, views};
use crate::routes::{Routes, get, post};
use crate::session::{Admin, Client};
use crate::state::ServerState;

pub fn routes() -> Routes {
    Routes::new()
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
    Ok(Json(views(state.app.catalog.public_plans().await?)))
}

async fn public_regions(
    State(state): State<ServerState>,
) -> Result<Json<Vec<OfferedRegion>>, ApiError> {
    Ok(Json(views(state.app.catalog.public_regions().await?)))
}

async fn public_images(
    State(state): State<ServerState>,
) -> Result<Json<Vec<OfferedImage>>, ApiError> {
    Ok(Json(views(state.app.catalog.public_images().await?)))
}

/// Queues a sync from every provider; it runs within seconds, so the answer is 202.
async fn sync(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Client(client): Client,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let queued = state.app.catalog.request_sync(&caller, &client).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "queued": queued }))))
}

async fn sizes(
    State(state): State<ServerState>,
    Admin(caller): Admin,
) -> Result<Json<Vec<Size>>, ApiError> {
    Ok(Json(views(state.app.catalog.sizes(&caller).await?)))
}

async fn plans(
    State(state): State<ServerState>,
    Admin(caller): Admin,
) -> Result<Json<Vec<Plan>>, ApiError> {
    Ok(Json(views(state.app.catalog.plans(&caller).await?)))
}

async fn plan(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Path(id): Path<i64>,
) -> Result<Json<Plan>, ApiError> {
    Ok(Json(state.app.catalog.plan(&caller, id).await?.into()))
}

async fn create_plan(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Client(client): Client,
    ApiJson(input): ApiJson<PlanInput>,
) -> Result<(StatusCode, Json<Plan>), ApiError> {
    let plan = state
        .app
        .catalog
        .create_plan(&caller, &client, &input)
        .await?;
    Ok((StatusCode::CREATED, Json(plan.into())))
}

async fn update_plan(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Client(client): Client,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<PlanInput>,
) -> Result<Json<Plan>, ApiError> {
    Ok(Json(
        state
            .app
            .catalog
            .update_plan(&caller, &client, id, &input)
            .await?
            .into(),
    ))
}

async fn delete_plan(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Client(client): Client,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.app.catalog.delete_plan(&caller, &client, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
