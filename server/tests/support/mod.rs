//! What the router-level tests share: the real router over a test database, requests sent with
//! `oneshot` and answered as status, headers and body, log-in for a bearer token or session
//! cookies, and the users the tests act as.

// Each test binary compiles this module on its own (`mod support;`) and uses only part of it;
// without this, every binary would warn about the helpers it happens not to call.
#![allow(dead_code)]

pub mod binary;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use domain::accounts::SignUp;
use domain::accounts::inputs::Language;
use domain::caller::ClientInfo;
use domain::console::sandbox_screen::SandboxScreens;
use domain::providers::Providers;
use domain::providers::sandbox::{SandboxProvider, SandboxTiming};
use domain::testing::TestDb;
use domain::{AppState, Db, DomainConfig};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use server::router::router;
use server::state::{ServerState, WebSettings};
use tower::ServiceExt;

/// Where the tests' browser-style requests come from: the public URL the router is given.
pub const ORIGIN: &str = "http://127.0.0.1:3000";
/// The password of the customers made by [`customer`].
pub const PASSWORD: &str = "kopi-tubruk-pagi-7";
/// The admin made by [`admin`]: e-mail and password.
pub const ADMIN: (&str, &str) = ("root@webrana.test", "ruang-server-aman-1");

/// The router and the domain state behind it.
pub struct Env {
    pub router: Router,
    pub state: AppState,
}

/// The domain configuration most tests use: the default one, reached at [`ORIGIN`].
pub fn config() -> DomainConfig {
    DomainConfig {
        public_url: ORIGIN.into(),
        ..Default::default()
    }
}

/// The sandbox cloud alone, on the test database.
pub fn sandbox(db: &Db, timing: SandboxTiming) -> Providers {
    Providers::default().with(Arc::new(SandboxProvider::new(
        db.clone(),
        timing,
        SandboxScreens::default(),
    )))
}

/// The sandbox cloud making servers and carrying out actions at once, on the test database.
pub fn instant_sandbox(db: &Db) -> Providers {
    sandbox(
        db,
        SandboxTiming {
            create: std::time::Duration::ZERO,
            action: std::time::Duration::ZERO,
        },
    )
}

/// Marks every account's e-mail address verified, as if each had followed its link.
pub async fn verify_every_email(db: &Db) {
    domain::db_run!(db, |pool| {
        sqlx::query("UPDATE users SET email_verified_at = created_at")
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
}

/// The sandbox's catalogue, and the plan "Nano" on its smallest size in Jakarta with Ubuntu,
/// made by `admin`.
pub async fn nano_plan(state: &AppState, admin: &domain::caller::Caller) -> domain::catalog::Plan {
    state.catalog.sync_provider("sandbox").await.unwrap();
    state
        .catalog
        .create_plan(
            admin,
            &ClientInfo::default(),
            &domain::testing::sandbox_plan_input("Nano", &["sbx-jkt1"], &["ubuntu-24-04-x64"]),
        )
        .await
        .unwrap()
}

/// How the test routers are reached: at [`ORIGIN`], over plain http.
pub fn web_settings() -> WebSettings {
    WebSettings {
        public_url: ORIGIN.into(),
        secure_cookies: false,
        console_idle: std::time::Duration::from_secs(15 * 60),
        session_recheck: server::state::SESSION_RECHECK,
        trusted_proxies: Vec::new(),
        support_email: "support@webrana.test".into(),
    }
}

/// The real router over `state`, served at [`ORIGIN`] without `Secure` cookies.
pub fn router_for(state: AppState) -> Router {
    router_with_web(state, web_settings())
}

/// The real router over `state`, reached as `web` says.
pub fn router_with_web(state: AppState, web: WebSettings) -> Router {
    router(server_state(state, web))
}

/// What the router is built from: `state`, reached as `web` says.
pub fn server_state(state: AppState, web: WebSettings) -> ServerState {
    ServerState {
        leptos_options: LeptosOptions::builder().output_name("webrana").build(),
        app: state,
        web,
        lifecycle: server::state::Lifecycle::default(),
    }
}

/// Serves `router` on a free loopback port, with client addresses, as the binary does.
pub async fn serve(router: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    serve_on(listener, router)
}

/// Serves `router` on `listener` (bound before the router was built, when the state must know
/// its own address), with client addresses, as the binary does.
pub fn serve_on(listener: tokio::net::TcpListener, router: Router) -> std::net::SocketAddr {
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    address
}

/// The domain state built from `config` on the test database, and the router over it.
pub async fn start(test: &TestDb, config: &DomainConfig) -> Env {
    start_on(test.db.clone(), config).await
}

/// [`start`] on a database of the caller's (a second node's own pool on the same database).
pub async fn start_on(db: Db, config: &DomainConfig) -> Env {
    let state = AppState::new(db, config).await.unwrap();
    Env {
        router: router_for(state.clone()),
        state,
    }
}

/// [`start`] with [`config`].
pub async fn env(test: &TestDb) -> Env {
    start(test, &config()).await
}

impl Env {
    /// Signs up the customer Budi at `email` with [`PASSWORD`].
    pub async fn customer(&self, email: &str, language: Language) {
        customer(&self.state, email, language).await;
    }

    /// An access token for the customer at `email`, logged in with [`PASSWORD`].
    pub async fn access_token(&self, email: &str) -> String {
        access_token(&self.router, email, PASSWORD).await
    }

    /// The session cookies of the customer at `email`, logged in with [`PASSWORD`].
    pub async fn session_cookies(&self, email: &str) -> String {
        session_cookies(&self.router, email, PASSWORD).await
    }
}

/// What the router answered.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as it came, for answers that are not text (a PDF).
    pub bytes: Vec<u8>,
}

impl Answer {
    /// The body as JSON; panics, showing the body, if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The `name=value` part of every `Set-Cookie` header.
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .collect()
    }
}

/// Sends one request through the router.
pub async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes: bytes.to_vec(),
    }
}

/// A REST call with an optional JSON body and bearer token; `method` is a [`Method`] or its name.
pub async fn api<M>(
    router: &Router,
    method: M,
    path: &str,
    body: Option<Value>,
    bearer: Option<&str>,
) -> Answer
where
    Method: TryFrom<M>,
    <Method as TryFrom<M>>::Error: Into<axum::http::Error>,
{
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    send(router, with_json(request, body.as_ref())).await
}

/// The request `request` builds, with `body` as JSON, or empty.
pub fn with_json(request: axum::http::request::Builder, body: Option<&Value>) -> Request<Body> {
    match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap()
}

/// A GET with an optional bearer token.
pub async fn get(router: &Router, path: &str, bearer: Option<&str>) -> Answer {
    api(router, Method::GET, path, None, bearer).await
}

/// A POST of `body` as JSON with an optional bearer token.
pub async fn post_json(router: &Router, path: &str, body: Value, bearer: Option<&str>) -> Answer {
    api(router, Method::POST, path, Some(body), bearer).await
}

/// A page as a browser asks for it, with optional cookies (`lang=en`, a session).
pub async fn page(router: &Router, path: &str, cookie: Option<&str>) -> Answer {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    send(router, request.body(Body::empty()).unwrap()).await
}

/// A browser-style server-function call (form body, JSON answer) with optional cookies, sent
/// from `origin` if any.
pub async fn server_fn_from(
    router: &Router,
    origin: Option<&str>,
    path: &str,
    form: &str,
    cookie: Option<&str>,
) -> Answer {
    let mut request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    send(router, request.body(Body::from(form.to_owned())).unwrap()).await
}

/// A browser-style server-function call from our own origin.
pub async fn server_fn(router: &Router, path: &str, form: &str, cookie: Option<&str>) -> Answer {
    server_fn_from(router, Some(ORIGIN), path, form, cookie).await
}

/// A log-in over the REST API, whatever it answers.
pub async fn login(router: &Router, email: &str, password: &str) -> Answer {
    let body = json!({ "email": email, "password": password });
    post_json(router, "/api/v1/auth/login", body, None).await
}

/// Logs in over the REST API and answers the access token.
pub async fn access_token(router: &Router, email: &str, password: &str) -> String {
    let answer = login(router, email, password).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()["access_token"].as_str().unwrap().to_owned()
}

/// Logs in through the server function and answers the session cookies.
pub async fn session_cookies(router: &Router, email: &str, password: &str) -> String {
    let form = format!("email={}&password={password}", email.replace('@', "%40"));
    let answer = server_fn(router, app::auth::LogIn::PATH, &form, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.cookies().join("; ")
}

/// Signs up the customer Budi at `email` with [`PASSWORD`].
pub async fn customer(state: &AppState, email: &str, language: Language) {
    let input = SignUp {
        name: "Budi",
        email,
        password: PASSWORD,
        phone: None,
        language,
    };
    state
        .accounts
        .sign_up(input, &ClientInfo::default())
        .await
        .unwrap();
}

/// Makes the admin [`ADMIN`], named Root.
pub async fn admin(state: &AppState) {
    admin_caller(state).await;
}

/// Makes the [`ADMIN`] and answers them as a caller of domain functions.
pub async fn admin_caller(state: &AppState) -> domain::caller::Caller {
    let admin = state
        .accounts
        .create_admin(ADMIN.0, "Root", ADMIN.1)
        .await
        .unwrap();
    domain::caller::Caller {
        user_id: admin.id,
        session_id: 0,
        role: domain::accounts::Role::Admin,
        email_verified: true,
    }
}

/// `text` percent-encoded for a form body.
pub fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}
