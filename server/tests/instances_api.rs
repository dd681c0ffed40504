//! `/api/v1/instances` through the real router on both databases: a customer sees and acts on
//! their own servers only (every route answers 404 for another customer's id), actions are
//! queued and refused with clear answers, and admins provision for customers.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use app::i18n::Lang;
use axum::Router;
use axum::http::StatusCode;
use chrono::Duration;
use domain::accounts::Role;
use domain::caller::{Caller, ClientInfo};
use domain::jobs::{self, Registry};
use domain::testing::{TestDb, sandbox_plan_input};
use domain::{AppState, DomainConfig, both_backends, db_run, instances};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use support::ADMIN;

struct Env {
    router: Router,
    state: AppState,
    admin: String,
    alice: String,
    bob: String,
    plan_id: i64,
}

/// Made as admins with the admin's password (`ADMIN.1`); alice and bob are then made customers.
const USERS: [&str; 3] = [ADMIN.0, "alice@webrana.test", "bob@webrana.test"];

/// A REST call answering its status and JSON body (`null` when the body is not JSON).
async fn call(
    router: &Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let answer = support::api(router, method, path, body, token).await;
    (
        answer.status,
        serde_json::from_str(&answer.body).unwrap_or(Value::Null),
    )
}

async fn env(test: &TestDb) -> Env {
    let config = DomainConfig {
        providers: support::instant_sandbox(&test.db),
        ..Default::default()
    };
    let support::Env { router, state } = support::start(test, &config).await;
    let client = ClientInfo {
        ip: "203.0.113.7".into(),
        user_agent: "test".into(),
    };
    let mut ids = Vec::new();
    for email in USERS {
        ids.push(
            state
                .accounts
                .create_admin(email, "Someone", ADMIN.1)
                .await
                .unwrap()
                .id,
        );
    }
    let admin = Caller {
        user_id: ids[0],
        session_id: 0,
        role: Role::Admin,
        email_verified: true,
    };
    for &customer in &ids[1..] {
        state
            .accounts
            .set_role(&admin, customer, Role::Customer, &client)
            .await
            .unwrap();
    }
    state.catalog.sync_provider("sandbox").await.unwrap();
    let nano = sandbox_plan_input(
        "Nano",
        &["sbx-jkt1"],
        &["ubuntu-24-04-x64", "debian-12-x64"],
    );
    let plan = state
        .catalog
        .create_plan(&admin, &client, &nano)
        .await
        .unwrap();
    let mut tokens = Vec::new();
    for email in USERS {
        tokens.push(support::access_token(&router, email, ADMIN.1).await);
    }
    Env {
        router,
        state,
        admin: tokens[0].clone(),
        alice: tokens[1].clone(),
        bob: tokens[2].clone(),
        plan_id: plan.id,
    }
}

/// Runs the queue until it is empty, treating "run again later" as "now".
async fn settle(env: &Env) {
    let registry = instances::worker::register(Registry::default(), env.state.instances.clone());
    for _ in 0..100 {
        if jobs::run_once(&env.state.db, &registry, "t", Duration::minutes(5))
            .await
            .unwrap()
            .is_some()
        {
            continue;
        }
        let waiting = db_run!(&env.state.db, |pool| {
            sqlx::query(
                "UPDATE jobs SET run_at = $1 WHERE state = 'queued' AND kind LIKE 'instance_%'",
            )
            .bind(chrono::Utc::now())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })
        .unwrap();
        if waiting == 0 {
            return;
        }
    }
    panic!("jobs did not settle");
}

async fn alices_server(env: &Env) -> i64 {
    let alice_id = env
        .state
        .accounts
        .find_by_email(
            &Caller {
                user_id: 1,
                session_id: 0,
                role: Role::Admin,
                email_verified: true,
            },
            "alice@webrana.test",
        )
        .await
        .unwrap()
        .id;
    let body = json!({ "user_id": alice_id, "plan_id": env.plan_id, "region": "sbx-jkt1", "image": "ubuntu-24-04-x64", "hostname": "web-1" });
    let (status, created) = call(
        &env.router,
        "POST",
        "/api/v1/admin/instances",
        Some(&env.admin),
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{created}");
    assert_eq!(created["status"], "provisioning");
    settle(env).await;
    created["id"].as_i64().unwrap()
}

/// Whether `answer` carries exactly the fields of `T`: one it lacks fails to read, one it has
/// beyond them is lost on the way back.
fn is_exactly<T: DeserializeOwned + Serialize>(answer: &Value) -> bool {
    serde_json::from_value::<T>(answer.clone())
        .and_then(serde_json::to_value)
        .is_ok_and(|again| again == *answer)
}

both_backends! {
    async fn answers_carry_the_api_types_and_no_secrets_or_provider_internals(test: TestDb) {
        let env = env(&test).await;
        let id = alices_server(&env).await;
        let (_, list) = call(&env.router, "GET", "/api/v1/instances", Some(&env.alice), None).await;
        assert!(is_exactly::<Vec<model::instances::Instance>>(&list), "{list}");
        let (_, detail) = call(&env.router, "GET", &format!("/api/v1/instances/{id}"), Some(&env.alice), None).await;
        assert!(is_exactly::<model::instances::InstanceDetail>(&detail), "{detail}");
        let (_, all) = call(&env.router, "GET", "/api/v1/admin/instances", Some(&env.admin), None).await;
        assert!(is_exactly::<Vec<model::instances::Instance>>(&all), "{all}");
        for server in [&list[0], &detail["instance"], &all[0]] {
            for secret in ["root_password", "provider_instance_id", "label"] {
                assert!(server.get(secret).is_none(), "{secret} in {server}");
            }
        }
        // The row holds all three, so the answer left them out on purpose.
        let stored: (Option<String>, Option<String>) = db_run!(&test.db, |pool| {
            sqlx::query_as("SELECT root_password, provider_instance_id FROM instances WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
        })
        .unwrap();
        assert!(stored.0.is_some() && stored.1.is_some(), "{stored:?}");
    }

    async fn every_instance_route_hides_other_customers_servers(test: TestDb) {
        let env = env(&test).await;
        let id = alices_server(&env).await;
        let reboot = json!({ "type": "reboot" });
        let routes: [(&str, String, Option<Value>); 4] = [
            ("GET", format!("/api/v1/instances/{id}"), None),
            ("GET", format!("/api/v1/instances/{id}/events"), None),
            ("POST", format!("/api/v1/instances/{id}/actions"), Some(reboot.clone())),
            ("POST", format!("/api/v1/instances/{id}/root-password"), None),
        ];
        for (method, path, body) in &routes {
            let (status, answer) = call(&env.router, method, path, Some(&env.bob), body.clone()).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
            assert_eq!(answer["error"]["code"], "not_found");
            let (status, _) = call(&env.router, method, path, None, body.clone()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path} without a token");
        }
        let (status, list) = call(&env.router, "GET", "/api/v1/instances", Some(&env.bob), None).await;
        assert_eq!((status, list), (StatusCode::OK, json!([])));
        // Nothing bob tried was queued.
        let (_, detail) = call(&env.router, "GET", &format!("/api/v1/instances/{id}"), Some(&env.alice), None).await;
        assert!(detail["instance"]["open_action"].is_null(), "{detail}");
        assert_eq!(detail["instance"]["password_waiting"], true);
    }

    async fn the_owner_reads_acts_and_gets_the_password_once(test: TestDb) {
        let env = env(&test).await;
        let id = alices_server(&env).await;
        let (status, list) = call(&env.router, "GET", "/api/v1/instances", Some(&env.alice), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list[0]["hostname"], "web-1");
        assert_eq!(list[0]["status"], "running");
        assert!(list[0]["ipv4"].as_str().unwrap().starts_with("192.0.2."));
        assert!(list[0].get("label").is_none());

        let (status, detail) = call(&env.router, "GET", &format!("/api/v1/instances/{id}"), Some(&env.alice), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(detail["capabilities"]["console"], "vnc_proxy");
        let power_on = detail["actions"].as_array().unwrap().iter().find(|a| a["kind"] == "power_on").unwrap();
        assert_eq!(power_on["unavailable"], "already_running");

        let password_path = format!("/api/v1/instances/{id}/root-password");
        let (status, password) = call(&env.router, "POST", &password_path, Some(&env.alice), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(password["root_password"].as_str().unwrap().len(), 20);
        let (status, again) = call(&env.router, "POST", &password_path, Some(&env.alice), None).await;
        assert_eq!((status, again["error"]["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("password_unavailable")));

        let actions = format!("/api/v1/instances/{id}/actions");
        let (status, action) = call(&env.router, "POST", &actions, Some(&env.alice), Some(json!({ "type": "shutdown" }))).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{action}");
        assert_eq!(action["state"], "pending");
        let (status, busy) = call(&env.router, "POST", &actions, Some(&env.alice), Some(json!({ "type": "reboot" }))).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(busy["error"]["message"].as_str().unwrap().contains("shutdown"), "{busy}");
        settle(&env).await;
        let (_, detail) = call(&env.router, "GET", &format!("/api/v1/instances/{id}"), Some(&env.alice), None).await;
        assert_eq!(detail["instance"]["status"], "stopped");

        // Bad requests say what is wrong: one that cannot be read at all is 400.
        let (status, unknown) = call(&env.router, "POST", &actions, Some(&env.alice), Some(json!({ "type": "explode" }))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!((unknown["error"]["code"].as_str(), unknown["error"]["field"].as_str()), (Some("invalid"), Some("type")));
        assert!(unknown["error"]["message"].as_str().unwrap().contains("explode"), "{unknown}");
        let (status, not_now) = call(&env.router, "POST", &actions, Some(&env.alice), Some(json!({ "type": "reboot" }))).await;
        assert_eq!((status, not_now["error"]["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("needs_running")));
        let rebuild = json!({ "type": "rebuild", "image": "debian-12-x64", "confirm": "nope" });
        let (status, unconfirmed) = call(&env.router, "POST", &actions, Some(&env.alice), Some(rebuild)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unconfirmed["error"]["message"].as_str().unwrap().contains("web-1"));
    }

    async fn only_admins_list_everything_and_provision(test: TestDb) {
        let env = env(&test).await;
        alices_server(&env).await;
        let (status, all) = call(&env.router, "GET", "/api/v1/admin/instances?search=alice", Some(&env.admin), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(all.as_array().unwrap().len(), 1);
        assert_eq!(all[0]["owner_email"], "alice@webrana.test");
        let (status, _) = call(&env.router, "GET", "/api/v1/admin/instances", Some(&env.alice), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let body = json!({ "user_id": 2, "plan_id": env.plan_id, "region": "sbx-jkt1", "image": "ubuntu-24-04-x64", "hostname": "sneaky" });
        let (status, _) = call(&env.router, "POST", "/api/v1/admin/instances", Some(&env.alice), Some(body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let taken = json!({ "user_id": 2, "plan_id": env.plan_id, "region": "sbx-jkt1", "image": "ubuntu-24-04-x64", "hostname": "WEB-1" });
        let (status, answer) = call(&env.router, "POST", "/api/v1/admin/instances", Some(&env.admin), Some(taken)).await;
        assert_eq!((status, answer["error"]["code"].clone()), (StatusCode::CONFLICT, json!("hostname_taken")));
    }

    async fn a_provider_failure_answers_alike_through_rest_and_server_functions(test: TestDb) {
        let env = env(&test).await;
        let id = alices_server(&env).await;
        // The same database served by a node on which the server's provider is no longer
        // configured: the server is listed, actions on it are refused as "not now".
        let without = support::start_on(test.db.clone(), &support::config()).await.router;
        let reboot = json!({ "type": "reboot" });
        let (status, rest) = call(&without, "POST", &format!("/api/v1/instances/{id}/actions"), Some(&env.alice), Some(reboot)).await;
        assert_eq!((status, rest["error"]["code"].clone()), (StatusCode::SERVICE_UNAVAILABLE, json!("provider_unavailable")), "{rest}");

        let cookies = support::session_cookies(&without, USERS[1], ADMIN.1).await;
        let path = <app::instances::RunServerAction as leptos::server_fn::ServerFn>::PATH;
        let answer = support::server_fn(&without, path, &format!("id={id}&kind=reboot"), Some(&cookies)).await;
        assert_eq!((answer.status, answer.json()["code"].clone()), (status, rest["error"]["code"].clone()), "{}", answer.body);
    }

    async fn pages_of_other_customers_servers_and_of_the_admin_draw_nothing_of_them(test: TestDb) {
        let env = env(&test).await;
        let id = alices_server(&env).await;
        let m = Lang::Id.messages();
        let alice = support::session_cookies(&env.router, USERS[1], ADMIN.1).await;
        let bob = support::session_cookies(&env.router, USERS[2], ADMIN.1).await;
        let admin = support::session_cookies(&env.router, USERS[0], ADMIN.1).await;
        let console = format!("/servers/{id}/console");

        let theirs = support::page(&env.router, &console, Some(&bob)).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND);
        assert!(theirs.body.contains(m.servers_error_not_found), "{}", theirs.body);
        assert!(!theirs.body.contains("<canvas") && !theirs.body.contains("web-1"), "{}", theirs.body);

        let own = support::page(&env.router, &console, Some(&alice)).await;
        assert_eq!(own.status, StatusCode::OK);
        assert!(own.body.contains("<canvas") && own.body.contains("web-1"), "{}", own.body);

        // A customer on an admin page learns only that it is not theirs: no admin menu, no heading.
        let refused = support::page(&env.router, "/admin/users", Some(&alice)).await;
        assert!(refused.body.contains(m.errors_forbidden), "{}", refused.body);
        assert!(!refused.body.contains("data-testid=\"admin-menu\""), "{}", refused.body);
        assert!(!refused.body.contains("href=\"/admin/jobs\""), "{}", refused.body);
        let served = support::page(&env.router, "/admin/users", Some(&admin)).await;
        assert!(served.body.contains("data-testid=\"admin-menu\""), "{}", served.body);
        assert!(!served.body.contains(m.errors_forbidden));
    }
}
