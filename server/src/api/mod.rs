//! The REST API for programs (`/api/v1`): bearer tokens instead of cookies. Errors answer
//! `{"error": {"code", "message", "field"?}}` with the status the code's kind gives, the same
//! a server function answers for the same failure; a request that cannot be read (its JSON
//! body, path or query) answers 400 `invalid`.

use axum::Json;
use axum::extract::path::ErrorKind as PathErrorKind;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use domain::accounts::tokens::ACCESS_TOKEN_LIFETIME;
use domain::accounts::{BillingDetailsUpdate, IssuedTokens, Login};
use domain::error::Code;
use model::accounts::User;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use self::error::ApiError;
use crate::routes::{Routes, get, post, put};
use crate::session::{Admin, Client, SignedIn};
use crate::state::ServerState;

mod catalog;
mod client_errors;
pub mod error;
mod instances;
mod notifications;
mod orders;
mod ssh_keys;
mod telegram;

/// A JSON body whose rejection (bad JSON, a missing field, an unknown action) answers in the
/// API's own error shape: 400 `invalid`, naming the field, with serde's description.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::unreadable(&rejection)),
        }
    }
}

/// axum's `Path`, answering a parameter that does not parse in the API's error shape.
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(error)) => {
                let field = match error.kind() {
                    PathErrorKind::ParseErrorAtKey { key, .. }
                    | PathErrorKind::InvalidUtf8InPathParam { key }
                    | PathErrorKind::DeserializeError { key, .. } => Some(key.clone()),
                    _ => None,
                };
                Err(ApiError::malformed(field, error.body_text()))
            }
            // The route and its handler disagree about the parameters: ours to fix.
            Err(rejection) => {
                tracing::error!(%rejection, "a route's path parameters do not match its handler");
                Err(ApiError::new(
                    Code::Internal,
                    "something went wrong on our side; please try again",
                ))
            }
        }
    }
}

/// axum's `Query`, answering a query string that does not parse in the API's error shape.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::unreadable(&rejection)),
        }
    }
}

/// Rows as the API shows them (see `model`): never a database row itself, so a column change
/// cannot change an answer by accident.
fn views<T, U: From<T>>(rows: Vec<T>) -> Vec<U> {
    rows.into_iter().map(U::from).collect()
}

pub fn routes() -> Routes {
    Routes::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/refresh", post(refresh))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/billing-details", put(update_billing_details))
        .route("/api/v1/admin/users", get(admin_users))
        .route("/api/v1/admin/users/{id}/suspend", post(admin_suspend))
        .merge(catalog::routes())
        .merge(client_errors::routes())
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
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    state
        .app
        .limits
        .login
        .check(&client.ip, &body.email)
        .await?;
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
    ApiJson(body): ApiJson<RefreshBody>,
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

/// Each field optional; an empty or missing one clears what was there.
#[derive(Deserialize)]
struct BillingDetailsBody {
    company: Option<String>,
    address: Option<String>,
    npwp: Option<String>,
}

async fn update_billing_details(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    ApiJson(body): ApiJson<BillingDetailsBody>,
) -> Result<Json<User>, ApiError> {
    let update = BillingDetailsUpdate {
        company: body.company.as_deref(),
        address: body.address.as_deref(),
        npwp: body.npwp.as_deref(),
    };
    Ok(Json(
        state
            .app
            .accounts
            .update_billing_details(&caller, update)
            .await?
            .into(),
    ))
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
    ApiJson(body): ApiJson<SuspendBody>,
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
