//! The real router, driven request by request, on SQLite and on PostgreSQL.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use app::auth::SignUp;
use app::pages::status::PlatformStatus;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::accounts::inputs::Language;
use domain::testing::TestDb;
use domain::{DomainConfig, both_backends};
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use support::{page, send, server_fn, server_fn_from};
use tower::ServiceExt;

async fn router_for(test: &TestDb) -> Router {
    support::start(test, &DomainConfig::default()).await.router
}

both_backends! {
    async fn healthz_answers_without_touching_the_database(test: TestDb) {
        let router = router_for(&test).await;
        test.db.close().await;
        let answer = page(&router, "/healthz", None).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.json()["status"], "ok");
    }

    async fn readyz_answers_ready_or_not_and_nothing_more(test: TestDb) {
        let router = router_for(&test).await;
        let answer = page(&router, "/readyz", None).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.json(), serde_json::json!({ "ready": true }));

        test.db.close().await;
        let answer = page(&router, "/readyz", None).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.json(), serde_json::json!({ "ready": false }));
    }

    async fn home_page_is_rendered_in_the_visitors_language_and_theme(test: TestDb) {
        let router = router_for(&test).await;
        let answer = page(&router, "/", None).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
        assert!(answer.body.contains("<html lang=\"id\""), "{}", answer.body);
        assert!(answer.body.contains("Server cloud cepat, dibayar dengan cara Indonesia"));
        assert!(!answer.body.contains("class=\"dark\""));

        let answer = page(&router, "/", Some("theme=dark; lang=en")).await;
        assert!(answer.body.contains("<html lang=\"en\" class=\"dark\""), "{}", answer.body);
        assert!(answer.body.contains("Fast cloud servers, paid the Indonesian way"));

        // An unknown language falls back to Bahasa Indonesia instead of failing.
        let answer = page(&router, "/", Some("lang=fr")).await;
        assert!(answer.body.contains("<html lang=\"id\""));
    }

    async fn unknown_paths_get_a_localised_404_page(test: TestDb) {
        let router = router_for(&test).await;
        let answer = page(&router, "/tidak/ada", None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert!(answer.body.contains("Halaman tidak ditemukan"), "{}", answer.body);
        let answer = page(&router, "/missing", Some("lang=en")).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert!(answer.body.contains("Page not found"));
    }

    async fn status_server_function_reads_the_domain(test: TestDb) {
        let router = router_for(&test).await;
        let answer = server_fn_from(&router, None, <PlatformStatus as ServerFn>::PATH, "", None).await;
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

    async fn requests_that_cannot_be_read_answer_400_naming_the_field(test: TestDb) {
        let env = support::env(&test).await;
        let code_and_field = |error: &Value| (error["code"].as_str().map(str::to_owned), error["field"].as_str().map(str::to_owned));
        let invalid = |field: &str| (Some("invalid".to_owned()), Some(field.to_owned()));

        // A sign-up form without its language: the caller's mistake, not ours.
        let form = "name=Budi&email=budi%40example.id&password=kopi-tubruk-pagi-7";
        let answer = server_fn(&env.router, <SignUp as ServerFn>::PATH, form, None).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
        assert_eq!(code_and_field(&answer.json()), invalid("language"));

        // The REST API says the same about a log-in without its password,
        let login = json!({ "email": "budi@example.id" });
        let answer = support::post_json(&env.router, "/api/v1/auth/login", login, None).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
        assert_eq!(code_and_field(&answer.json()["error"]), invalid("password"));
        assert!(answer.json()["error"]["message"].as_str().unwrap().contains("missing field `password`"), "{}", answer.body);

        // about a value of the wrong type, in a body, a query string or a path,
        env.customer("budi@example.id", Language::Id).await;
        let token = env.access_token("budi@example.id").await;
        let wrong_type = json!({ "category": "billing", "channel": "email", "enabled": "yes" });
        let answer = support::api(&env.router, "PUT", "/api/v1/notifications/preferences", Some(wrong_type), Some(&token)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
        assert_eq!(code_and_field(&answer.json()["error"]), invalid("enabled"));
        let answer = support::get(&env.router, "/api/v1/notifications?before=yesterday", Some(&token)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
        assert_eq!(code_and_field(&answer.json()["error"]), invalid("before"));
        let answer = support::get(&env.router, "/api/v1/instances/web-1", Some(&token)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
        assert_eq!(answer.json()["error"]["code"], "invalid");

        // and about JSON that is not JSON.
        let answer = send(&env.router, Request::post("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{\"email\": "))
            .unwrap()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
        assert_eq!(answer.json()["error"]["code"], "invalid");
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let test = TestDb::sqlite().await;
    let router = router_for(&test).await;
    let answer = page(&router, "/healthz", None).await;
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

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_next_request_is_served() {
    let panicking = Router::new()
        .route(
            "/boom",
            axum::routing::get(|| async {
                if true {
                    panic!("the handler broke");
                }
                "never"
            }),
        )
        .route("/fine", axum::routing::get(|| async { "fine" }))
        .layer(server::router::panic_guard());
    let address = support::serve(panicking).await;
    // One client with one pooled connection: the 500 comes back as an answer, not a reset.
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    let broken = client
        .get(format!("http://{address}/boom"))
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), reqwest::StatusCode::INTERNAL_SERVER_ERROR);
    let body: serde_json::Value = broken.json().await.unwrap();
    assert_eq!(body["error"]["code"], "internal");
    assert!(
        !body.to_string().contains("the handler broke"),
        "the panic stays in the log: {body}"
    );
    let fine = client
        .get(format!("http://{address}/fine"))
        .send()
        .await
        .unwrap();
    assert_eq!(fine.text().await.unwrap(), "fine");
}
