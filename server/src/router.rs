//! The HTTP surface: health probes, server-rendered pages, server functions and static files,
//! wrapped in request-id, tracing and compression layers.

use std::any::Any;
use std::sync::LazyLock;
use std::time::Duration;

use app::seo::SiteInfo;
use app::{App, shell};
use axum::extract::State;
use axum::handler::Handler;
use axum::http::{HeaderName, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, middleware};
use domain::accounts::request::CookiePolicy;
use leptos::prelude::provide_context;
use leptos::server_fn::axum::server_fn_paths;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::routes::{Endpoint, Kind, Routes, get};
use crate::security_headers::security_headers;
use crate::session::session_layer;
use crate::state::ServerState;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The app's routes, listed once per process. Listing them renders the app with resource
/// loading switched off by a process-wide flag (leptos-rs/leptos#4773): a page rendered while
/// another router is being built (tests build many at once) would wait forever for its data.
static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));

pub fn router(state: ServerState) -> Router {
    let routes = ROUTES.clone();
    // Server-rendered pages and server functions must see the same context.
    let context = {
        let app = state.app.clone();
        let cookies = CookiePolicy {
            secure: state.web.secure_cookies,
        };
        let site = SiteInfo {
            origin: state.web.public_url.clone(),
            support_email: state.web.support_email.clone(),
        };
        move || {
            provide_context(app.clone());
            provide_context(cookies);
            provide_context(site.clone());
        }
    };
    let render_shell = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    // Files of the built site are served as they are; only what is not there reaches Leptos's
    // handler, which answers with our 404 page. (Its own file serving sometimes answered a file
    // with 404 while a 404 page was rendered at the same moment.)
    let not_found =
        leptos_axum::file_and_error_handler_with_context::<ServerState, _>(context.clone(), shell)
            .with_state(state.clone());
    let static_files = ServeDir::new(&*state.leptos_options.site_root).fallback(not_found);
    // Per request: its id, route and caller on every event; a transaction when sampled.
    let error_tracking = sentry::Hub::current().client().is_some();
    let mut routes = own_routes(&state)
        .into_router()
        .leptos_routes_with_context(&state, routes, context, render_shell)
        .fallback_service(static_files);
    if error_tracking {
        // Inside the session layer below: it reads who is signed in.
        routes = routes.layer(middleware::from_fn(crate::error_tracking::tag_user));
    }
    let mut routes = routes.layer(
        ServiceBuilder::new()
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|request: &Request<_>| {
                        let request_id = request
                            .headers()
                            .get(REQUEST_ID_HEADER)
                            .and_then(|id| id.to_str().ok())
                            .unwrap_or_default();
                        tracing::info_span!(
                            "request",
                            method = %request.method(),
                            path = %request.uri().path(),
                            request_id,
                        )
                    })
                    // A 5xx is logged as an error where it happened, with why: this
                    // line is a warning, so error tracking hears of it once.
                    .on_failure(DefaultOnFailure::new().level(Level::WARN))
                    .on_response(
                        DefaultOnResponse::new()
                            .level(Level::INFO)
                            .latency_unit(tower_http::LatencyUnit::Millis),
                    ),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
            // Outside the panic guard, so a panic counts as the 500 it is answered with.
            .layer(middleware::from_fn(crate::metrics::track_requests))
            .layer(panic_guard())
            .layer(middleware::from_fn_with_state(
                state.clone(),
                security_headers,
            ))
            .layer(middleware::from_fn_with_state(state.clone(), session_layer))
            .layer(CompressionLayer::new()),
    );
    if error_tracking {
        // Outside the request's span: a sampled request's spans belong to its transaction.
        let tracing = crate::error_tracking::RequestTracing {
            traces: crate::error_tracking::traces_sampled(),
        };
        routes = routes.layer(middleware::from_fn_with_state(
            tracing,
            crate::error_tracking::track_request,
        ));
    }
    let routes = routes
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuid))
        .with_state(state);
    // Rewritten before it is routed: a layer of the router itself runs after routing.
    Router::new().fallback_service(
        ServiceBuilder::new()
            .map_request(invoice_pdf_address)
            .service(routes),
    )
}

/// `/invoices/{id}.pdf`, the address an invoice's PDF is known by, is answered by the REST
/// route `/api/v1/invoices/{id}/pdf`: axum's router takes nothing after a parameter in a
/// segment, and the invoice page `/invoices/{id}` holds that segment anyway.
fn invoice_pdf_address<B>(mut request: Request<B>) -> Request<B> {
    let id = request
        .uri()
        .path()
        .strip_prefix("/invoices/")
        .and_then(|rest| rest.strip_suffix(".pdf"))
        .filter(|id| !id.is_empty() && !id.contains('/'));
    if let Some(uri) = id.and_then(|id| format!("/api/v1/invoices/{id}/pdf").parse().ok()) {
        *request.uri_mut() = uri;
    }
    request
}

/// The routes of our own (not Leptos's pages and server functions), listed as they are routed.
fn own_routes(state: &ServerState) -> Routes {
    Routes::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(crate::api::routes())
        .merge(crate::live::routes(state))
        .merge(crate::console::routes())
        .merge(crate::seo::routes())
}

/// Every method and path [`router`] answers: our own routes, every page of the app and every
/// server function, from the same lists the router is built from.
pub fn endpoints(state: &ServerState) -> Vec<Endpoint> {
    let own = own_routes(state).endpoints().to_vec();
    let pages = ROUTES.iter().flat_map(|route| {
        route.methods().map(|method| Endpoint {
            kind: Kind::Page,
            method: http_method(method),
            path: route.path().to_owned(),
        })
    });
    let server_fns = server_fn_paths().map(|(path, method)| Endpoint {
        kind: Kind::ServerFn,
        method,
        path: path.to_owned(),
    });
    own.into_iter().chain(pages).chain(server_fns).collect()
}

fn http_method(method: leptos_router::Method) -> Method {
    match method {
        leptos_router::Method::Get => Method::GET,
        leptos_router::Method::Post => Method::POST,
        leptos_router::Method::Put => Method::PUT,
        leptos_router::Method::Delete => Method::DELETE,
        leptos_router::Method::Patch => Method::PATCH,
    }
}

/// Turns a panic while a request is handled into a 500 for that request and an error in the
/// log (inside the request's span, so with its id), instead of a dropped connection. A page
/// whose body is already streaming when it panics can only be cut short.
pub fn panic_guard() -> CatchPanicLayer<fn(Box<dyn Any + Send + 'static>) -> Response> {
    CatchPanicLayer::custom(answer_panic)
}

fn answer_panic(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    tracing::error!(panic = message, "a request panicked; answered 500");
    crate::api::error::ApiError::new(
        domain::error::Code::Internal,
        "something went wrong on our side; please try again",
    )
    .into_response()
}

/// Liveness: the process answers. Deliberately touches nothing else.
async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: the process is not stopping, the database answers and every migration in this
/// binary is applied. Anyone can ask, so the answer is only yes or no; why not is in the log.
async fn readyz(State(state): State<ServerState>) -> impl IntoResponse {
    // A stopping node asks nothing of the database: the answer is no either way.
    let ready = !state.lifecycle.is_draining() && database_ready(&state.app.db).await;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(serde_json::json!({ "ready": ready })))
}

async fn database_ready(db: &domain::Db) -> bool {
    let readiness =
        tokio::time::timeout(Duration::from_secs(5), domain::health::readiness(db)).await;
    match readiness {
        Ok(readiness) if readiness.is_ready() => true,
        Ok(readiness) => {
            tracing::warn!(
                backend = readiness.backend.as_str(),
                database_reachable = readiness.database_reachable,
                pending_migrations = ?readiness.pending_migrations,
                "not ready"
            );
            false
        }
        Err(_) => {
            tracing::warn!("not ready: the readiness check timed out");
            false
        }
    }
}
