//! `/api/v1/orders`, `/api/v1/invoices` and the payment gateway's callback.
//!
//! The callback is the one route that takes no session: it is believed only when its
//! `X-Callback-Signature` verifies over the body bytes exactly as they arrived, so it reads the
//! body raw, never through a JSON extractor that would re-serialise it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::billing::payments::{CallbackError, SandboxOutcome};
use domain::billing::pdf;
use domain::orders::OrderFilter;
use domain::orders::coupons::{self, CouponInput};
use model::billing::{Channel, CreditAccount, Invoice, InvoicePage, Payment};
use model::ids::UserId;
use model::orders::{
    Coupon, Order, OrderPage, OrderRequest, Placed, Quote, ResizeOptions, ResizeRequest,
    ResizeStarted,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiJson, Path, Query, views};
use crate::routes::{Routes, get, post, put};
use crate::session::{Admin, Client, SignedIn};
use crate::state::ServerState;

pub fn routes() -> Routes {
    Routes::new()
        .route("/api/v1/orders", get(my_orders).post(place))
        .route("/api/v1/orders/quote", post(quote))
        .route("/api/v1/orders/{id}", get(order))
        .route("/api/v1/orders/{id}/cancel", post(cancel_mine))
        .route("/api/v1/orders/{id}/auto-renew", put(auto_renew))
        .route(
            "/api/v1/orders/{id}/resize",
            get(resize_options).post(request_resize),
        )
        .route("/api/v1/invoices", get(my_invoices))
        .route("/api/v1/invoices/{id}", get(invoice))
        .route("/api/v1/invoices/{id}/pdf", get(invoice_pdf))
        .route("/api/v1/invoices/{id}/channels", get(channels))
        .route("/api/v1/invoices/{id}/payments", post(pay))
        .route(
            "/api/v1/invoices/{id}/pay-with-credit",
            post(pay_with_credit),
        )
        .route("/api/v1/invoices/{id}/apply-credit", post(apply_credit))
        .route("/api/v1/credit", get(my_credit))
        .route("/api/v1/credit/top-ups", post(top_up))
        .route("/api/v1/credit/renewals", put(renewals_from_credit))
        .route(
            "/api/v1/admin/users/{id}/credit",
            get(user_credit).post(adjust_credit),
        )
        .route(domain::billing::CALLBACK_PATH, post(callback))
        .route("/api/v1/payments/sandbox/{reference}", post(sandbox))
        .route("/api/v1/admin/orders", get(admin_orders))
        .route("/api/v1/admin/orders/{id}/cancel", post(cancel))
        .route("/api/v1/admin/orders/{id}/extend", post(extend))
        .route("/api/v1/admin/orders/{id}/retry", post(retry))
        .route("/api/v1/admin/invoices", get(admin_invoices))
        .route("/api/v1/admin/invoices/{id}/mark-paid", post(mark_paid))
        .route("/api/v1/admin/invoices/{id}/refund", post(mark_refunded))
        .route(
            "/api/v1/admin/invoices/{id}/refund-to-credit",
            post(refund_to_credit),
        )
        .route(
            "/api/v1/admin/coupons",
            get(admin_coupons).post(create_coupon),
        )
        .route("/api/v1/admin/coupons/{id}", put(update_coupon))
}

async fn place(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    ApiJson(body): ApiJson<OrderRequest>,
) -> Result<(StatusCode, Json<Placed>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.app.orders.place(&caller, body).await?.into()),
    ))
}

async fn quote(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    ApiJson(body): ApiJson<OrderRequest>,
) -> Result<Json<Quote>, ApiError> {
    Ok(Json(state.app.orders.quote(&caller, &body).await?))
}

async fn my_orders(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<Vec<Order>>, ApiError> {
    Ok(Json(views(state.app.orders.list_mine(&caller).await?)))
}

async fn order(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<OrderPage>, ApiError> {
    Ok(Json(state.app.orders.detail(&caller, id).await?.into()))
}

#[derive(Deserialize)]
struct CancelBody {
    /// The host name, to end a running service; not needed for an unpaid order.
    #[serde(default)]
    confirm: Option<String>,
}

async fn cancel_mine(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<CancelBody>,
) -> Result<Json<Order>, ApiError> {
    let order = state
        .app
        .orders
        .cancel_mine(&caller, id, body.confirm.as_deref())
        .await?;
    Ok(Json(order.into()))
}

#[derive(Deserialize)]
struct EnabledBody {
    enabled: bool,
}

async fn auto_renew(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<EnabledBody>,
) -> Result<Json<Order>, ApiError> {
    let order = state
        .app
        .orders
        .set_auto_renew(&caller, id, body.enabled)
        .await?;
    Ok(Json(order.into()))
}

async fn resize_options(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<ResizeOptions>, ApiError> {
    Ok(Json(
        state
            .app
            .orders
            .resize_options(&caller, id, chrono::Utc::now())
            .await?,
    ))
}

async fn request_resize(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ResizeRequest>,
) -> Result<(StatusCode, Json<ResizeStarted>), ApiError> {
    let requested = state
        .app
        .orders
        .request_resize(&caller, id, body.plan_id.get(), chrono::Utc::now())
        .await?;
    Ok((StatusCode::CREATED, Json(requested.into())))
}

async fn my_invoices(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<Vec<Invoice>>, ApiError> {
    Ok(Json(views(state.app.billing.list(&caller, false).await?)))
}

async fn invoice(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<InvoicePage>, ApiError> {
    let view = state.app.billing.invoice(&caller, id).await?;
    Ok(Json(view.page(
        &state.app.orders.config().seller,
        UserId(caller.user_id),
    )))
}

/// The invoice as a PDF in the reader's language and time zone, for API clients and, as `/invoices/{id}.pdf`
/// (see `router`), the invoice page's download link.
async fn invoice_pdf(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let view = state.app.billing.invoice(&caller, id).await?;
    let reader = state.app.accounts.user(caller.user_id).await?;
    let page = view.page(&state.app.orders.config().seller, UserId(caller.user_id));
    let disposition = format!(
        "inline; filename=\"{}\"",
        pdf::file_name(&page.invoice.number)
    );
    let document = pdf::render(&page, reader.language, reader.time_zone);
    Ok((
        [
            (header::CONTENT_TYPE, pdf::CONTENT_TYPE.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        document,
    )
        .into_response())
}

async fn my_credit(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<CreditAccount>, ApiError> {
    Ok(Json(state.app.billing.credit(&caller).await?))
}

async fn renewals_from_credit(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    ApiJson(body): ApiJson<EnabledBody>,
) -> Result<Json<CreditAccount>, ApiError> {
    Ok(Json(
        state
            .app
            .billing
            .set_renewals_from_credit(&caller, body.enabled)
            .await?,
    ))
}

async fn pay_with_credit(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<Invoice>, ApiError> {
    Ok(Json(
        state
            .app
            .billing
            .pay_with_credit(&caller, id, None)
            .await?
            .into(),
    ))
}

/// Rupiah.
#[derive(Deserialize)]
struct AmountBody {
    amount: i64,
}

/// Pays part of an invoice from the credit, leaving the rest for a payment channel.
async fn apply_credit(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<AmountBody>,
) -> Result<Json<Invoice>, ApiError> {
    let billing = &state.app.billing;
    let invoice = billing
        .pay_with_credit(&caller, id, Some(body.amount))
        .await?;
    Ok(Json(invoice.into()))
}

async fn top_up(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    ApiJson(body): ApiJson<AmountBody>,
) -> Result<(StatusCode, Json<Invoice>), ApiError> {
    let invoice = state.app.billing.top_up(&caller, body.amount).await?;
    Ok((StatusCode::CREATED, Json(invoice.into())))
}

async fn user_credit(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Path(id): Path<i64>,
) -> Result<Json<CreditAccount>, ApiError> {
    Ok(Json(state.app.billing.credit_of_user(&caller, id).await?))
}

/// Rupiah to add (positive) or take (negative), and why.
#[derive(Deserialize)]
struct CreditAdjustmentBody {
    amount: i64,
    note: String,
}

async fn adjust_credit(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<CreditAdjustmentBody>,
) -> Result<Json<CreditAccount>, ApiError> {
    let billing = &state.app.billing;
    billing
        .adjust_credit(&caller, id, body.amount, &body.note)
        .await?;
    Ok(Json(billing.credit_of_user(&caller, id).await?))
}

async fn channels(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Channel>>, ApiError> {
    Ok(Json(state.app.billing.channels_for(&caller, id).await?))
}

#[derive(Deserialize)]
struct PayBody {
    channel: String,
}

async fn pay(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<PayBody>,
) -> Result<(StatusCode, Json<Payment>), ApiError> {
    let payment = state.app.billing.pay(&caller, id, &body.channel).await?;
    Ok((StatusCode::CREATED, Json(payment.into())))
}

/// Answers in Tripay's terms: `{"success": true}` once applied (or already applied), and
/// otherwise a failure the gateway will retry, or that tells a forger nothing useful.
async fn callback(
    State(state): State<ServerState>,
    Client(client): Client,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let applied = state
        .app
        .billing
        .apply_callback(
            &body,
            header("x-callback-signature"),
            header("x-callback-event"),
            Some(&client.ip),
        )
        .await;
    let outcome = match &applied {
        Ok(()) => "accepted",
        Err(CallbackError::BadSignature) => "bad_signature",
        Err(CallbackError::TooMany) => "too_many",
        Err(CallbackError::WrongEvent) => "wrong_event",
        Err(CallbackError::Malformed(_)) => "malformed",
        Err(CallbackError::UnknownReference) => "unknown_reference",
        Err(CallbackError::Mismatch) => "mismatch",
        Err(CallbackError::Db(_) | CallbackError::Order(_)) => "error",
    };
    metrics::counter!("payment_callbacks_total", "outcome" => outcome).increment(1);
    // An error, so error tracking hears of it: a refusal is either someone forging callbacks or
    // a real payment we are not applying. Senders already cut off (`too_many`) are not repeated.
    if !matches!(
        applied,
        Ok(()) | Err(CallbackError::TooMany | CallbackError::Db(_) | CallbackError::Order(_))
    ) {
        tracing::error!(outcome, from_ip = %client.ip, "a payment callback was refused");
    }
    let (status, message) = match applied {
        Ok(()) => return (StatusCode::OK, Json(json!({ "success": true }))),
        Err(CallbackError::BadSignature) => (StatusCode::FORBIDDEN, "Invalid signature".to_owned()),
        Err(CallbackError::TooMany) => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many invalid callbacks; try again in a minute".to_owned(),
        ),
        Err(CallbackError::WrongEvent) => (
            StatusCode::BAD_REQUEST,
            "Unsupported callback event".to_owned(),
        ),
        Err(CallbackError::Malformed(why)) => (StatusCode::BAD_REQUEST, why),
        Err(CallbackError::UnknownReference) => {
            (StatusCode::NOT_FOUND, "Unknown reference".to_owned())
        }
        Err(CallbackError::Mismatch) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Reference or amount does not match".to_owned(),
        ),
        Err(error) => {
            tracing::error!(%error, "payment callback could not be applied");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Try again later".to_owned(),
            )
        }
    };
    (
        status,
        Json(json!({ "success": false, "message": message })),
    )
}

#[derive(Deserialize)]
struct SandboxBody {
    outcome: SandboxOutcome,
}

async fn sandbox(
    State(state): State<ServerState>,
    SignedIn(caller): SignedIn,
    Path(reference): Path<String>,
    ApiJson(body): ApiJson<SandboxBody>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .billing
        .sandbox_complete(&caller, &reference, body.outcome)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn admin_orders(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Query(filter): Query<OrderFilter>,
) -> Result<Json<Vec<Order>>, ApiError> {
    let orders = state.app.orders.list_all(&caller, &filter).await?;
    Ok(Json(views(orders)))
}

/// An admin override's reason, for the customer's history and the audit log.
#[derive(Deserialize)]
struct NoteBody {
    note: String,
}

async fn cancel(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<Json<Order>, ApiError> {
    Ok(Json(
        state
            .app
            .orders
            .cancel(&caller, id, &body.note)
            .await?
            .into(),
    ))
}

#[derive(Deserialize)]
struct ExtendBody {
    days: i64,
    note: String,
}

async fn extend(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ExtendBody>,
) -> Result<Json<Order>, ApiError> {
    Ok(Json(
        state
            .app
            .orders
            .extend(&caller, id, body.days, &body.note)
            .await?
            .into(),
    ))
}

async fn retry(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<Json<Order>, ApiError> {
    Ok(Json(
        state
            .app
            .orders
            .retry(&caller, id, &body.note)
            .await?
            .into(),
    ))
}

async fn admin_invoices(
    State(state): State<ServerState>,
    Admin(caller): Admin,
) -> Result<Json<Vec<Invoice>>, ApiError> {
    Ok(Json(views(state.app.billing.list(&caller, true).await?)))
}

async fn mark_paid(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<Json<Invoice>, ApiError> {
    Ok(Json(
        state
            .app
            .billing
            .mark_paid(&caller, id, &body.note)
            .await?
            .into(),
    ))
}

async fn mark_refunded(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<Json<Invoice>, ApiError> {
    Ok(Json(
        state
            .app
            .billing
            .mark_refunded(&caller, id, &body.note)
            .await?
            .into(),
    ))
}

/// Rupiah to give back (all that is left when absent), and why.
#[derive(Deserialize)]
struct CreditRefundBody {
    amount: Option<i64>,
    note: String,
}

async fn refund_to_credit(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<CreditRefundBody>,
) -> Result<Json<Invoice>, ApiError> {
    let billing = &state.app.billing;
    let invoice = billing
        .refund_to_credit(&caller, id, body.amount, &body.note)
        .await?;
    Ok(Json(invoice.into()))
}

async fn admin_coupons(
    State(state): State<ServerState>,
    Admin(caller): Admin,
) -> Result<Json<Vec<Coupon>>, ApiError> {
    Ok(Json(coupons::list(&state.app.db, &caller).await?))
}

async fn create_coupon(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    ApiJson(body): ApiJson<CouponInput>,
) -> Result<(StatusCode, Json<Coupon>), ApiError> {
    let coupon = coupons::save(&state.app.db, &caller, None, &body).await?;
    Ok((StatusCode::CREATED, Json(coupon)))
}

async fn update_coupon(
    State(state): State<ServerState>,
    Admin(caller): Admin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<CouponInput>,
) -> Result<Json<Coupon>, ApiError> {
    Ok(Json(
        coupons::save(&state.app.db, &caller, Some(id), &body).await?,
    ))
}
