//! `/api/v1/notifications`: the caller's in-app notifications (newest first, a page at a time,
//! optionally only unread), marking them read, the unread count for the bell, and the
//! per-category, per-channel preferences. Another user's notification answers 404.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use model::notifications::{Category, Channel, NotificationPage, Preference};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiJson, Path, Query};
use crate::routes::{Routes, get, post};
use crate::session::SignedIn;
use crate::state::ServerState;

pub fn routes() -> Routes {
    Routes::new()
        .route("/api/v1/notifications", get(list))
        .route("/api/v1/notifications/unread-count", get(unread_count))
        .route("/api/v1/notifications/read-all", post(read_all))
        .route("/api/v1/notifications/{id}/read", post(read))
        .route(
            "/api/v1/notifications/preferences",
            get(preferences).put(set_preference),
        )
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    unread: bool,
    before: Option<i64>,
    limit: Option<i64>,
}

async fn list(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Query(query): Query<ListQuery>,
) -> Result<Json<NotificationPage>, ApiError> {
    let page = state
        .app
        .notifications
        .list(
            &caller,
            query.unread,
            query.before,
            query.limit.unwrap_or(20),
        )
        .await?;
    Ok(Json(page.into()))
}

async fn unread_count(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<Value>, ApiError> {
    let unread = state.app.notifications.unread_count(&caller).await?;
    Ok(Json(json!({ "unread": unread })))
}

async fn read(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.app.notifications.mark_read(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn read_all(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<Value>, ApiError> {
    let marked = state.app.notifications.mark_all_read(&caller).await?;
    Ok(Json(json!({ "marked": marked })))
}

async fn preferences(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<Vec<Preference>>, ApiError> {
    Ok(Json(state.app.notifications.preferences(&caller).await?))
}

#[derive(Deserialize)]
struct PreferenceBody {
    category: Category,
    channel: Channel,
    enabled: bool,
}

async fn set_preference(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    ApiJson(body): ApiJson<PreferenceBody>,
) -> Result<Json<Vec<Preference>>, ApiError> {
    let notifications = &state.app.notifications;
    notifications
        .set_preference(&caller, body.category, body.channel, body.enabled)
        .await?;
    Ok(Json(notifications.preferences(&caller).await?))
}
