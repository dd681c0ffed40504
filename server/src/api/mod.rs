//! The REST API for programs (`/api/v1`): bearer tokens instead of cookies. Errors answer
//! `{"error": {"code", "message"}}` with the status `app::errors::status_for` gives the code.

use app::errors::status_for;
use axum::extract::{Path, Query, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::accounts::tokens::ACCESS_TOKEN_LIFETIME;
use domain::accounts::{IssuedTokens, Login};
use domain::error::ErrorCode;
use model::accounts::User;
use serde::Deserialize;
use serde_json::json;

use crate::router::ServerState;
use crate::session::{Admin, Client, SignedIn};

mod catalog;
mod instances;
mod notifications;
mod orders;
mod ssh_keys;
mod telegram;

#[derive(Debug)]
pub struct ApiError {
    code: String,
    message: String,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(code: &str, message: &str) -> Self {
        Self {
            code: code.to_owned(),
            message: message.to_owned(),
            retry_after_secs: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(status_for(&self.code))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (
            status,
            Json(json!({ "error": { "code": self.code, "message": self.message } })),
        )
            .into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl<E: ErrorCode> From<E> for ApiError {
    fn from(error: E) -> Self {
        let code = error.code();
        let message = if code == "internal" {
            tracing::error!(%error, "request failed");
            "something went wrong on our side; please try again".to_owned()
        } else {
            error.to_string()
        };
        Self {
            code: code.to_owned(),
            message,
            retry_after_secs: error.retry_after().map(|wait| wait.as_secs().max(1)),
        }
    }
}

/// A JSON body whose rejection (bad JSON, a missing field, an unknown action) answers in the
/// API's own error shape, with serde's description of what was wrong.
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    Json<T>: axum::extract::FromRequest<S, Rejection = axum::extract::rejection::JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::new("invalid_body", &rejection.body_text())),
        }
    }
}

/// Rows as the API shows them (see `model`): never a database row itself, so a column change
/// cannot change an answer by accident.
fn views<T, U: From<T>>(rows: Vec<T>) -> Vec<U> {
    rows.into_iter().map(U::from).collect()
}

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/refresh", post(refresh))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/admin/users", get(admin_users))
        .route("/api/v1/admin/users/{id}/suspend", post(admin_suspend))
        .merge(catalog::routes())
        .merge(ssh_keys::routes())
        .merge(instances::routes())
        .merge(orders::routes())
        .merge(notifications::routes())
        .merge(telegram::routes())
}

#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
    code: Option<String>,
}

fn token_answer(tokens: IssuedTokens) -> Json<serde_json::Value> {
    Json(json!({
        "token_type": "Bearer",
        "access_token": tokens.access_token,
        "expires_in": ACCESS_TOKEN_LIFETIME.num_seconds(),
        "refresh_token": tokens.refresh_token,
        "user": User::from(tokens.user),
    }))
}

async fn login(
    State(state): State<ServerState>,
    Client(client): Client,
    Json(body): Json<LoginBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    state.app.limits.login.check(&client.ip, &body.email)?;
    let login = Login {
        email: &body.email,
        password: &body.password,
        second_factor: body.code.as_deref(),
    };
    Ok(token_answer(
        state.app.accounts.log_in(login, &client).await?,
    ))
}

#[derive(Deserialize)]
struct RefreshBody {
    refresh_token: String,
}

async fn refresh(
    State(state): State<ServerState>,
    Client(client): Client,
    Json(body): Json<RefreshBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(token_answer(
        state
            .app
            .accounts
            .refresh(&body.refresh_token, &client)
            .await?,
    ))
}

async fn logout(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Client(client): Client,
) -> Result<StatusCode, ApiError> {
    state.app.accounts.log_out(&caller, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<User>, ApiError> {
    Ok(Json(state.app.accounts.user(caller.user_id).await?.into()))
}

#[derive(Deserialize)]
struct UserSearch {
    search: Option<String>,
}

async fn admin_users(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Query(query): Query<UserSearch>,
) -> Result<Json<Vec<User>>, ApiError> {
    Ok(Json(views(
        state
            .app
            .accounts
            .list_users(&caller, query.search.as_deref(), 100, 0)
            .await?,
    )))
}

#[derive(Deserialize)]
struct SuspendBody {
    suspended: bool,
}

async fn admin_suspend(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Client(client): Client,
    Path(id): Path<i64>,
    Json(body): Json<SuspendBody>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(
        state
            .app
            .accounts
            .set_suspended(&caller, id, body.suspended, &client)
            .await?
            .into(),
    ))
}
