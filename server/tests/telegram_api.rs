//! `/api/v1/telegram` through the real router on both databases: a customer gets a deep link,
//! the webhook links their chat only with the agreed secret, and they unlink from the profile.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::{Method, Request, StatusCode};
use domain::accounts::inputs::Language;
use domain::notifications::telegram::TelegramBot;
use domain::{DomainConfig, both_backends};
use serde_json::{Value, json};

const SARI: &str = "sari@webrana.test";

async fn webhook(router: &axum::Router, secret: Option<&str>, update: &Value) -> StatusCode {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/telegram/webhook")
        .header("content-type", "application/json");
    if let Some(secret) = secret {
        request = request.header("x-telegram-bot-api-secret-token", secret);
    }
    support::send(
        router,
        request
            .body(axum::body::Body::from(update.to_string()))
            .unwrap(),
    )
    .await
    .status
}

both_backends! {
    async fn a_customer_links_and_unlinks_a_chat_through_the_webhook(test: TestDb) {
        // Telegram itself is unreachable here: the bot's courtesy replies fail, which changes
        // nothing (they are only logged).
        let bot = TelegramBot::new("http://127.0.0.1:9", "123:abc".into(), "WebranaBot".into(), "hook-secret".into());
        let config = DomainConfig { telegram: Some(bot), ..support::config() };
        let env = support::start(&test, &config).await;
        env.customer(SARI, Language::Id).await;
        let token = env.access_token(SARI).await;

        let status = support::get(&env.router, "/api/v1/telegram", Some(&token)).await.json();
        assert_eq!((status["available"].as_bool(), status["linked_at"].is_null()), (Some(true), true));
        let link = support::api(&env.router, "POST", "/api/v1/telegram/link", None, Some(&token)).await.json();
        let url = link["url"].as_str().unwrap();
        let start = url.strip_prefix("https://t.me/WebranaBot?start=").unwrap();
        let update = json!({ "update_id": 1, "message": { "message_id": 1, "date": 0, "text": format!("/start {start}"), "chat": { "id": 777, "type": "private" } } });

        assert_eq!(webhook(&env.router, None, &update).await, StatusCode::FORBIDDEN);
        assert_eq!(webhook(&env.router, Some("guess"), &update).await, StatusCode::FORBIDDEN);
        let status = support::get(&env.router, "/api/v1/telegram", Some(&token)).await.json();
        assert!(status["linked_at"].is_null(), "a forged update links nothing");
        assert_eq!(webhook(&env.router, Some("hook-secret"), &update).await, StatusCode::OK);
        let status = support::get(&env.router, "/api/v1/telegram", Some(&token)).await.json();
        assert!(status["linked_at"].is_string());

        let unlinked = support::api(&env.router, "DELETE", "/api/v1/telegram/link", None, Some(&token)).await;
        assert_eq!(unlinked.status, StatusCode::NO_CONTENT);
        let status = support::get(&env.router, "/api/v1/telegram", Some(&token)).await.json();
        assert!(status["linked_at"].is_null());
    }

    async fn without_a_bot_linking_answers_a_clear_error(test: TestDb) {
        let env = support::env(&test).await;
        env.customer(SARI, Language::Id).await;
        let token = env.access_token(SARI).await;
        let refused = support::api(&env.router, "POST", "/api/v1/telegram/link", None, Some(&token)).await;
        assert_eq!((refused.status, refused.json()["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("telegram_unavailable")));
    }
}
