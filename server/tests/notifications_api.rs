//! `/api/v1/notifications` through the real router on both databases: a customer pages through
//! their notifications, counts and marks them read, sets preferences; another customer's
//! notification answers 404, bad input 422, no token 401. A forged payment callback posted to
//! the router shows in the admin's list, not the customer's.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use domain::accounts::inputs::Language;
use domain::notifications::{Notice, notify};
use domain::testing::TestDb;
use domain::{both_backends, db_run};
use serde_json::json;

const SARI: &str = "sari@webrana.test";
const BUDI: &str = "budi@webrana.test";

async fn user_id(test: &TestDb, email: &str) -> i64 {
    db_run!(&test.db, |pool| {
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(pool)
            .await
    })
    .unwrap()
}

both_backends! {
    async fn customers_page_count_and_mark_their_notifications(test: TestDb) {
        let env = support::env(&test).await;
        env.customer(SARI, Language::En).await;
        env.customer(BUDI, Language::Id).await;
        let (sari, budi) = (user_id(&test, SARI).await, user_id(&test, BUDI).await);
        let mut tx = test.db.begin().await.unwrap();
        for invoice in 1..=3 {
            notify(&mut tx, sari, &Notice::payment_received(invoice, &format!("INV-202611-0000{invoice}"), 83_250)).await.unwrap();
        }
        let budis = notify(&mut tx, budi, &Notice::payment_expired(9, "INV-202611-00009")).await.unwrap();
        tx.commit().await.unwrap();
        let token = env.access_token(SARI).await;

        let unauthenticated = support::get(&env.router, "/api/v1/notifications", None).await;
        assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
        let first = support::get(&env.router, "/api/v1/notifications?limit=2", Some(&token)).await;
        assert_eq!(first.status, StatusCode::OK);
        let page = first.json();
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        assert_eq!(page["unread"], 3);
        assert_eq!(page["items"][0]["title"], "Payment received", "in Sari's language");
        assert_eq!(page["items"][0]["link"], "/invoices/3", "newest first");
        let next = format!("/api/v1/notifications?limit=2&before={}", page["next_before"]);
        let rest = support::get(&env.router, &next, Some(&token)).await.json();
        assert_eq!(rest["items"].as_array().unwrap().len(), 1);
        assert!(rest["next_before"].is_null());
        let bad = support::get(&env.router, "/api/v1/notifications?limit=500", Some(&token)).await;
        assert_eq!((bad.status, bad.json()["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("limit_invalid")));

        let newest = page["items"][0]["id"].as_i64().unwrap();
        let read = support::api(&env.router, "POST", &format!("/api/v1/notifications/{newest}/read"), None, Some(&token)).await;
        assert_eq!(read.status, StatusCode::NO_CONTENT);
        let others = support::api(&env.router, "POST", &format!("/api/v1/notifications/{budis}/read"), None, Some(&token)).await;
        assert_eq!(others.status, StatusCode::NOT_FOUND);
        let count = support::get(&env.router, "/api/v1/notifications/unread-count", Some(&token)).await.json();
        assert_eq!(count["unread"], 2);
        let unread = support::get(&env.router, "/api/v1/notifications?unread=true", Some(&token)).await.json();
        assert_eq!(unread["items"].as_array().unwrap().len(), 2);
        let all = support::api(&env.router, "POST", "/api/v1/notifications/read-all", None, Some(&token)).await;
        assert_eq!(all.json()["marked"], 2);
        let count = support::get(&env.router, "/api/v1/notifications/unread-count", Some(&token)).await.json();
        assert_eq!(count["unread"], 0);
        let budi_token = env.access_token(BUDI).await;
        let budi_count = support::get(&env.router, "/api/v1/notifications/unread-count", Some(&budi_token)).await.json();
        assert_eq!(budi_count["unread"], 1, "Budi's stays unread");
    }

    async fn preferences_are_read_and_set(test: TestDb) {
        let env = support::env(&test).await;
        env.customer(SARI, Language::En).await;
        let token = env.access_token(SARI).await;
        let shown = support::get(&env.router, "/api/v1/notifications/preferences", Some(&token)).await.json();
        assert_eq!(shown.as_array().unwrap().len(), 15, "five categories on three channels");
        let actions_email = shown.as_array().unwrap().iter().find(|p| p["category"] == "actions" && p["channel"] == "email").cloned().unwrap();
        assert_eq!(actions_email["enabled"], false, "server actions are not e-mailed unless asked for");
        let off = json!({ "category": "billing", "channel": "email", "enabled": false });
        let set = support::api(&env.router, "PUT", "/api/v1/notifications/preferences", Some(off), Some(&token)).await;
        assert_eq!(set.status, StatusCode::OK);
        let billing_email = set.json().as_array().unwrap().iter().find(|p| p["category"] == "billing" && p["channel"] == "email").cloned().unwrap();
        assert_eq!(billing_email["enabled"], false);
        let locked = json!({ "category": "security", "channel": "in_app", "enabled": false });
        let refused = support::api(&env.router, "PUT", "/api/v1/notifications/preferences", Some(locked), Some(&token)).await;
        assert_eq!((refused.status, refused.json()["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("security_in_app_required")));
        let unknown = json!({ "category": "gossip", "channel": "email", "enabled": true });
        let refused = support::api(&env.router, "PUT", "/api/v1/notifications/preferences", Some(unknown), Some(&token)).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert_eq!((refused.json()["error"]["code"].as_str(), refused.json()["error"]["field"].as_str()), (Some("invalid"), Some("category")));
    }

    async fn a_forged_payment_callback_is_in_the_admins_notifications(test: TestDb) {
        let env = support::env(&test).await;
        support::admin(&env.state).await;
        env.customer(SARI, Language::En).await;
        let forged = Request::post(domain::billing::CALLBACK_PATH)
            .header("content-type", "application/json")
            .header("x-callback-event", "payment_status")
            .header("x-callback-signature", "5ec12e7")
            .body(Body::from(r#"{"reference":"T0001","status":"PAID","total_amount":1}"#))
            .unwrap();
        assert_eq!(support::send(&env.router, forged).await.status, StatusCode::FORBIDDEN);

        let admin = support::access_token(&env.router, support::ADMIN.0, support::ADMIN.1).await;
        let page = support::get(&env.router, "/api/v1/notifications", Some(&admin)).await.json();
        let told: Vec<_> = page["items"].as_array().unwrap().iter().filter(|item| item["event"] == "admin_payment_callback_refused").collect();
        assert_eq!(told.len(), 1, "{page}");
        assert_eq!(told[0]["category"], "admin");
        assert_eq!(told[0]["link"], "/admin/audit?action=payment_callback_bad_signature");
        let text = format!("{} {}", told[0]["title"], told[0]["body"]);
        assert!(!text.contains("5ec12e7") && !text.contains("T0001"), "{text}");
        let sari = env.access_token(SARI).await;
        let theirs = support::get(&env.router, "/api/v1/notifications", Some(&sari)).await.json();
        assert!(theirs["items"].as_array().unwrap().iter().all(|item| item["category"] != "admin"), "{theirs}");
    }
}
