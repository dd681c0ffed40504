//! `DEMO=true` (what `scripts/run` sets) on a new database: the binary opens a demo shop, an
//! admin whose one-time password only the terminal shows, and sandbox plans on sale; once, on
//! both databases.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use domain::both_backends;
use domain::demo::DEMO_ADMIN_EMAIL;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::binary::ServerProcess;

const OPENED: &str = "Demo shop opened";

async fn plans_on_sale(server: &ServerProcess) -> Vec<String> {
    let (status, plans) = server
        .call("GET", "/api/v1/catalog/plans", None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{plans}");
    plans
        .as_array()
        .unwrap()
        .iter()
        .map(|plan| plan["name"].as_str().unwrap().to_owned())
        .collect()
}

both_backends! {
    async fn a_new_database_opens_as_a_demo_shop_once(test: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let mut server = ServerProcess::start(&test, dir.path(), &[("DEMO", "true")]).await;
        let log = server.log();
        assert!(log.contains(OPENED), "{}", server.log_tail());
        let password = log
            .split("one-time password ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap()
            .to_owned();
        assert_eq!(password.len(), 20, "{password}");

        // The printed password logs the demo admin in; the plans are on sale to anyone.
        let (status, answer) = server
            .call("POST", "/api/v1/auth/login", None, Some(json!({ "email": DEMO_ADMIN_EMAIL, "password": password })))
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let token = answer["access_token"].as_str().unwrap().to_owned();
        let (_, me) = server.call("GET", "/api/v1/me", Some(&token), None).await;
        assert_eq!(me["role"], Value::from("admin"), "{me}");
        assert_eq!(plans_on_sale(&server).await, ["Demo Nano", "Demo Micro", "Demo Pro"]);

        // Started again, the database is not new: no second admin, no second set of plans.
        server.terminate();
        server.restart().await;
        assert_eq!(server.log().matches(OPENED).count(), 1, "{}", server.log_tail());
        assert_eq!(plans_on_sale(&server).await.len(), 3);
    }

    async fn without_demo_a_new_database_stays_empty(test: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let server = ServerProcess::start(&test, dir.path(), &[]).await;
        assert!(!server.log().contains(OPENED), "{}", server.log_tail());
        assert!(plans_on_sale(&server).await.is_empty());
        let (status, _) = server
            .call("POST", "/api/v1/auth/login", None, Some(json!({ "email": DEMO_ADMIN_EMAIL, "password": "x".repeat(20) })))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}
