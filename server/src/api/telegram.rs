//! `/api/v1/telegram`: linking the caller's Telegram chat (a one-time deep link to the bot),
//! its status and unlinking; and the webhook Telegram posts the bot's updates to, believed only
//! with the secret agreed in `setWebhook`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use model::notifications::TelegramStatus;
use serde_json::{Value, json};

use super::{ApiError, ApiJson};
use crate::routes::{Routes, get, post};
use crate::session::SignedIn;
use crate::state::ServerState;

/// The header Telegram sends the webhook secret in.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

pub fn routes() -> Routes {
    Routes::new()
        .route("/api/v1/telegram", get(status))
        .route("/api/v1/telegram/link", post(link).delete(unlink))
        .route("/api/v1/telegram/webhook", post(webhook))
}

async fn status(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<TelegramStatus>, ApiError> {
    Ok(Json(
        state.app.notifications.telegram_status(&caller).await?,
    ))
}

async fn link(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<Value>, ApiError> {
    let url = state.app.notifications.telegram_link(&caller).await?;
    Ok(Json(json!({ "url": url })))
}

async fn unlink(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
) -> Result<StatusCode, ApiError> {
    state.app.notifications.telegram_unlink(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn webhook(
    State(state): State<ServerState>,
    headers: HeaderMap,
    ApiJson(update): ApiJson<Value>,
) -> Result<StatusCode, ApiError> {
    let secret = headers
        .get(SECRET_HEADER)
        .and_then(|value| value.to_str().ok());
    state
        .app
        .notifications
        .telegram_webhook(secret, &update)
        .await?;
    Ok(StatusCode::OK)
}
