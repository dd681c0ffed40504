//! The catalog through the real router on both databases: public JSON and pages need no token,
//! admin routes answer 401 without one and 403 to customers, and bad input gets a 422 that says
//! what is wrong.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use app::catalog::{AdminPlans, AdminSyncCatalog, PublicPlans};
use axum::http::{Method, StatusCode};
use domain::accounts::inputs::Language;
use domain::both_backends;
use domain::providers::sandbox::SandboxTiming;
use domain::testing::TestDb;
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use support::{ADMIN, Answer, Env, PASSWORD, api as call};

const CUSTOMER: (&str, &str) = ("budi@example.com", PASSWORD);

/// The router with the sandbox provider, its catalog synced, and an admin and a customer.
async fn env(test: &TestDb) -> Env {
    let config = domain::DomainConfig {
        providers: support::sandbox(&test.db, SandboxTiming::default()),
        ..support::config()
    };
    let env = support::start(test, &config).await;
    env.state.catalog.sync_provider("sandbox").await.unwrap();
    support::admin(&env.state).await;
    support::customer(&env.state, CUSTOMER.0, Language::Id).await;
    env
}

async fn token(env: &Env, (email, password): (&str, &str)) -> String {
    support::access_token(&env.router, email, password).await
}

/// A browser-style server-function call with the session cookies of `login`, if any.
async fn server_fn(env: &Env, path: &str, cookie: Option<&str>) -> Answer {
    support::server_fn(&env.router, path, "", cookie).await
}

async fn cookies(env: &Env, (email, password): (&str, &str)) -> String {
    support::session_cookies(&env.router, email, password).await
}

fn basic() -> Value {
    json!({
        "name": "Basic 1 GB",
        "provider": "sandbox",
        "size_slug": "sbx-1c-1g",
        "price_idr_monthly": 75000,
        "discount_12m_percent": 20,
        "region_slugs": ["sbx-jkt1", "sbx-sgp1"],
        "image_slugs": ["ubuntu-24-04-x64", "debian-12-x64"]
    })
}

both_backends! {
    async fn admins_manage_plans_over_json(test: TestDb) {
        let env = env(&test).await;
        let admin = token(&env, ADMIN).await;
        let sizes = call(&env.router, Method::GET, "/api/v1/admin/catalog/sizes", None, Some(&admin)).await;
        assert_eq!(sizes.status, StatusCode::OK, "{}", sizes.body);
        assert_eq!(sizes.json().as_array().unwrap().len(), 4);

        let created = call(&env.router, Method::POST, "/api/v1/admin/plans", Some(basic()), Some(&admin)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let plan = created.json();
        let id = plan["id"].as_i64().unwrap();
        assert_eq!((plan["vcpus"].as_i64(), plan["memory_mb"].as_i64()), (Some(1), Some(1024)));
        assert_eq!(plan["on_sale"], true);

        let mut changed = basic();
        changed["name"] = json!("Basic 1 GB Promo");
        changed["visible"] = json!(false);
        let updated = call(&env.router, Method::PUT, &format!("/api/v1/admin/plans/{id}"), Some(changed), Some(&admin)).await;
        assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
        assert_eq!(updated.json()["on_sale"], false);
        let fetched = call(&env.router, Method::GET, &format!("/api/v1/admin/plans/{id}"), None, Some(&admin)).await;
        assert_eq!(fetched.json()["name"], "Basic 1 GB Promo");
        let listed = call(&env.router, Method::GET, "/api/v1/admin/plans", None, Some(&admin)).await;
        assert_eq!(listed.json().as_array().unwrap().len(), 1);

        let deleted = call(&env.router, Method::DELETE, &format!("/api/v1/admin/plans/{id}"), None, Some(&admin)).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        let gone = call(&env.router, Method::GET, &format!("/api/v1/admin/plans/{id}"), None, Some(&admin)).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        assert_eq!(gone.json()["error"]["code"], "not_found");

        let sync = call(&env.router, Method::POST, "/api/v1/admin/catalog/sync", None, Some(&admin)).await;
        assert_eq!(sync.status, StatusCode::ACCEPTED, "{}", sync.body);
        assert_eq!(sync.json(), json!({ "queued": true }));
        let queued = domain::jobs::list(&test.db, Some("queued"), Some(domain::catalog::SYNC_JOB_KIND), 10).await.unwrap();
        assert_eq!(queued.len(), 1);
    }

    async fn bad_plans_get_422_with_a_readable_message(test: TestDb) {
        let env = env(&test).await;
        let admin = token(&env, ADMIN).await;
        let post = |body: Value| {
            let (router, admin) = (env.router.clone(), admin.clone());
            async move { call(&router, Method::POST, "/api/v1/admin/plans", Some(body), Some(&admin)).await }
        };

        let mut free = basic();
        free["price_idr_monthly"] = json!(0);
        let answer = post(free).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.body);
        assert_eq!(answer.json()["error"]["code"], "plan_price_invalid");
        assert!(answer.json()["error"]["message"].as_str().unwrap().contains("monthly price"), "{}", answer.body);

        let mut far = basic();
        far["size_slug"] = json!("sbx-4c-8g");
        let answer = post(far).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer.json()["error"]["code"], "plan_region_not_offered");
        let message = answer.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains("sbx-jkt1") && message.contains("sbx-sgp1"), "{message}");

        let answer = post(json!({ "name": "No price" })).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.json()["error"]["code"], "invalid");
        assert!(answer.json()["error"]["message"].as_str().unwrap().contains("missing field"), "{}", answer.body);

        assert_eq!(post(basic()).await.status, StatusCode::CREATED);
        let twice = post(basic()).await;
        assert_eq!(twice.status, StatusCode::CONFLICT);
        assert_eq!(twice.json()["error"]["message"], "a plan named `Basic 1 GB` already exists");
    }

    async fn only_admins_reach_admin_routes(test: TestDb) {
        let env = env(&test).await;
        let customer = token(&env, CUSTOMER).await;
        let routes = [
            (Method::GET, "/api/v1/admin/plans", None),
            (Method::POST, "/api/v1/admin/plans", Some(basic())),
            (Method::GET, "/api/v1/admin/plans/1", None),
            (Method::PUT, "/api/v1/admin/plans/1", Some(basic())),
            (Method::DELETE, "/api/v1/admin/plans/1", None),
            (Method::GET, "/api/v1/admin/catalog/sizes", None),
            (Method::POST, "/api/v1/admin/catalog/sync", None),
        ];
        for (method, path, body) in routes {
            let anonymous = call(&env.router, method.clone(), path, body.clone(), None).await;
            assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{method} {path}: {}", anonymous.body);
            let answer = call(&env.router, method.clone(), path, body, Some(&customer)).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{method} {path}: {}", answer.body);
            assert_eq!(answer.json()["error"]["code"], "forbidden");
        }
        let plans: i64 = domain::db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM plans").fetch_one(pool).await
        }).unwrap();
        assert_eq!(plans, 0, "nothing was created");

        // The server functions behind the admin pages refuse customers the same way.
        let customer_cookies = cookies(&env, CUSTOMER).await;
        assert_eq!(server_fn(&env, AdminPlans::PATH, Some(&customer_cookies)).await.status, StatusCode::FORBIDDEN);
        assert_eq!(server_fn(&env, AdminSyncCatalog::PATH, Some(&customer_cookies)).await.status, StatusCode::FORBIDDEN);
        assert_eq!(server_fn(&env, AdminPlans::PATH, None).await.status, StatusCode::UNAUTHORIZED);
        let admin_cookies = cookies(&env, ADMIN).await;
        assert_eq!(server_fn(&env, AdminSyncCatalog::PATH, Some(&admin_cookies)).await.status, StatusCode::OK);
    }

    async fn visitors_see_what_is_on_sale_without_signing_in(test: TestDb) {
        let env = env(&test).await;
        let admin = token(&env, ADMIN).await;
        call(&env.router, Method::POST, "/api/v1/admin/plans", Some(basic()), Some(&admin)).await;
        let mut hidden = basic();
        hidden["name"] = json!("Internal");
        hidden["visible"] = json!(false);
        call(&env.router, Method::POST, "/api/v1/admin/plans", Some(hidden), Some(&admin)).await;

        let plans = call(&env.router, Method::GET, "/api/v1/catalog/plans", None, None).await;
        assert_eq!(plans.status, StatusCode::OK, "{}", plans.body);
        let plans = plans.json();
        assert_eq!(plans.as_array().unwrap().len(), 1);
        let plan = &plans[0];
        assert_eq!(plan["name"], "Basic 1 GB");
        assert_eq!(plan["price_idr_monthly"], 75000);
        assert_eq!(plan["terms"][3], json!({ "months": 12, "discount_percent": 20, "total_idr": 720000 }));
        assert_eq!(plan["regions"][0]["name"], "Sandbox Jakarta 1");
        assert_eq!(plan["images"].as_array().unwrap().len(), 2);

        let regions = call(&env.router, Method::GET, "/api/v1/catalog/regions", None, None).await;
        assert_eq!(regions.json().as_array().unwrap().len(), 3);
        let images = call(&env.router, Method::GET, "/api/v1/catalog/images", None, None).await;
        assert_eq!(images.json()[0]["logo"], "almalinux");

        let listed = server_fn(&env, PublicPlans::PATH, None).await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
        assert_eq!(listed.json()[0]["name"], "Basic 1 GB");

        // The page itself is rendered on the server, prices in rupiah, in either language.
        let page = support::page(&env.router, "/plans", None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Paket &amp; harga") || page.body.contains("Paket & harga"), "{}", page.body);
        assert!(page.body.contains("Rp 75.000"), "{}", page.body);
        assert!(page.body.contains("Rp 720.000"));
        assert!(!page.body.contains("Internal"));
        let english = support::page(&env.router, "/plans", Some("lang=en")).await;
        assert!(english.body.contains("Plans &amp; pricing") || english.body.contains("Plans & pricing"));
        assert!(english.body.contains("/month"));
    }
}
