//! The real router, driven request by request, on SQLite and on PostgreSQL.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use app::pages::status::PlatformStatus;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::testing::TestDb;
use domain::{AppState, DomainConfig, both_backends};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use leptos::server_fn::ServerFn;
use server::router::{ServerState, WebSettings, router};
use tower::ServiceExt;

async fn router_for(test: &TestDb) -> Router {
    let app = AppState::new(test.db.clone(), &DomainConfig::default())
        .await
        .unwrap();
    let leptos_options = LeptosOptions::builder().output_name("webrana").build();
    let web = WebSettings {
        public_url: "http://127.0.0.1:3000".into(),
        secure_cookies: false,
    };
    router(ServerState {
        leptos_options,
        app,
        web,
    })
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(router: &Router, path: &str, cookie: Option<&str>) -> Answer {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    send(router, request.body(Body::empty()).unwrap()).await
}

both_backends! {
    async fn healthz_answers_without_touching_the_database(test: TestDb) {
        let router = router_for(&test).await;
        test.db.close().await;
        let answer = get(&router, "/healthz", None).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.json()["status"], "ok");
    }

    async fn readyz_reports_database_and_migrations(test: TestDb) {
        let router = router_for(&test).await;
        let answer = get(&router, "/readyz", None).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let body = answer.json();
        assert_eq!(body["ready"], true);
        assert_eq!(body["backend"], test.db.backend().as_str());
        assert_eq!(body["pending_migrations"], serde_json::json!([]));
        let installation_id = domain::settings::installation_id(&test.db).await.unwrap();
        assert_eq!(body["installation_id"], installation_id);

        test.db.close().await;
        let answer = get(&router, "/readyz", None).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.json()["database_reachable"], false);
    }

    async fn home_page_is_rendered_in_the_visitors_language_and_theme(test: TestDb) {
        let router = router_for(&test).await;
        let answer = get(&router, "/", None).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
        assert!(answer.body.contains("<html lang=\"id\""), "{}", answer.body);
        assert!(answer.body.contains("Server cloud cepat, dibayar dengan cara Indonesia"));
        assert!(!answer.body.contains("class=\"dark\""));

        let answer = get(&router, "/", Some("theme=dark; lang=en")).await;
        assert!(answer.body.contains("<html lang=\"en\" class=\"dark\""), "{}", answer.body);
        assert!(answer.body.contains("Fast cloud servers, paid the Indonesian way"));

        // An unknown language falls back to Bahasa Indonesia instead of failing.
        let answer = get(&router, "/", Some("lang=fr")).await;
        assert!(answer.body.contains("<html lang=\"id\""));
    }

    async fn unknown_paths_get_a_localised_404_page(test: TestDb) {
        let router = router_for(&test).await;
        let answer = get(&router, "/tidak/ada", None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert!(answer.body.contains("Halaman tidak ditemukan"), "{}", answer.body);
        let answer = get(&router, "/missing", Some("lang=en")).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert!(answer.body.contains("Page not found"));
    }

    async fn status_server_function_reads_the_domain(test: TestDb) {
        let router = router_for(&test).await;
        let request = Request::post(<PlatformStatus as ServerFn>::PATH)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(Body::empty())
            .unwrap();
        let answer = send(&router, request).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let body = answer.json();
        assert_eq!(body["database_reachable"], true);
        assert_eq!(body["schema_up_to_date"], true);
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));

        test.db.close().await;
        let answer = send(&router, Request::post(<PlatformStatus as ServerFn>::PATH)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::empty())
            .unwrap()).await;
        assert_eq!(answer.json()["database_reachable"], false);
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let test = TestDb::sqlite().await;
    let router = router_for(&test).await;
    let answer = get(&router, "/healthz", None).await;
    let generated = answer.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 36, "{generated}");

    let request = Request::get("/healthz")
        .header("x-request-id", "from-the-load-balancer")
        .body(Body::empty())
        .unwrap();
    let answer = send(&router, request).await;
    assert_eq!(answer.headers["x-request-id"], "from-the-load-balancer");
}

#[tokio::test]
async fn pages_are_compressed_for_clients_that_accept_it() {
    let test = TestDb::sqlite().await;
    let router = router_for(&test).await;
    let request = Request::get("/")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
}
