//! Every page under concurrent requests, through the real router on a real port, on both
//! databases: 32 requests at once, 2,048 in all per database, over every public page (in both
//! languages), every customer page and every admin page, with real data behind them. Each must
//! answer as it does alone (same status, a whole document), no request may panic and no
//! connection may drop, and no task the pages start may panic after them. Server-side rendering
//! once panicked under concurrency only (a page title read outside its request's reactive
//! arena; a signal set while rendering that restarted a load after the answer had gone), which
//! no one-at-a-time test could see.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::StatusCode;
use domain::accounts::inputs::Language;
use domain::jobs::{self, Registry};
use domain::testing::TestDb;
use domain::{DomainConfig, both_backends, instances};
use futures_util::StreamExt;
use serde_json::json;
use support::{ADMIN, PASSWORD};

const REQUESTS: usize = 2_048;
const AT_ONCE: usize = 32;
const CUSTOMER: &str = "budi@webrana.test";

/// Panics of the server in this test binary (on the runtime's threads and in tasks spawned
/// there, not a test's own failed assertion), counted by a hook that still prints each one.
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // Test threads are named after their test (`module::sqlite`).
            let in_a_test = std::thread::current()
                .name()
                .is_some_and(|name| name.contains("::"));
            if !in_a_test {
                PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

/// A page and the session it is asked for with.
struct Visit {
    path: String,
    cookie: Option<String>,
}

/// The customer has a placed order with its invoice and a payment to make, and a server; the
/// admin sees them all. Answers every page of the app as its intended visitor asks for it.
async fn visits(test: &TestDb) -> (axum::Router, Vec<Visit>) {
    let config = DomainConfig {
        providers: support::instant_sandbox(&test.db),
        ..support::config()
    };
    let support::Env { router, state } = support::start(test, &config).await;
    let admin = support::admin_caller(&state).await;
    support::customer(&state, CUSTOMER, Language::Id).await;
    support::verify_every_email(&test.db).await;
    let plan = support::nano_plan(&state, &admin).await;
    let bearer = support::access_token(&router, CUSTOMER, PASSWORD).await;
    let order = json!({ "plan_id": plan.id, "region": "sbx-jkt1", "image": "ubuntu-24-04-x64", "hostname": "web-1", "period_months": 1 });
    let placed = support::post_json(&router, "/api/v1/orders", order, Some(&bearer)).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    let placed = placed.json();
    let (order_id, invoice_id) = (
        placed["order"]["id"].clone(),
        placed["invoice"]["id"].clone(),
    );
    let payment = support::post_json(
        &router,
        &format!("/api/v1/invoices/{invoice_id}/payments"),
        json!({ "channel": "QRIS" }),
        Some(&bearer),
    )
    .await;
    assert_eq!(payment.status, StatusCode::CREATED, "{}", payment.body);
    let reference = payment.json()["reference"].as_str().unwrap().to_owned();
    let admin_bearer = support::access_token(&router, ADMIN.0, ADMIN.1).await;
    let customer_id = state
        .accounts
        .find_by_email(&admin, CUSTOMER)
        .await
        .unwrap()
        .id;
    let server = json!({ "user_id": customer_id, "plan_id": plan.id, "region": "sbx-jkt1", "image": "ubuntu-24-04-x64", "hostname": "db-1" });
    let server = support::post_json(
        &router,
        "/api/v1/admin/instances",
        server,
        Some(&admin_bearer),
    )
    .await;
    assert_eq!(server.status, StatusCode::ACCEPTED, "{}", server.body);
    let server_id = server.json()["id"].clone();
    let registry = instances::worker::register(Registry::default(), state.instances.clone());
    domain::testing::drain(&state.db, &registry).await;
    assert!(
        jobs::list(&state.db, Some("dead"), None, 1)
            .await
            .unwrap()
            .is_empty()
    );

    let customer = Some(support::session_cookies(&router, CUSTOMER, PASSWORD).await);
    let admin = Some(support::session_cookies(&router, ADMIN.0, ADMIN.1).await);
    let mut visits = Vec::new();
    for path in [
        "/",
        "/status",
        "/terms",
        "/privacy",
        "/contact",
        "/plans",
        "/signup",
        "/login",
        "/verify-email?token=nope",
        "/forgot-password",
        "/reset-password?token=nope",
        "/no-such-page",
    ] {
        for language in ["", "lang=en"] {
            let separator = if path.contains('?') { '&' } else { '?' };
            let path = if language.is_empty() {
                path.to_owned()
            } else {
                format!("{path}{separator}{language}")
            };
            visits.push(Visit { path, cookie: None });
        }
    }
    for path in [
        "/".to_owned(),
        "/plans".to_owned(),
        "/account".to_owned(),
        "/notifications".to_owned(),
        "/servers".to_owned(),
        format!("/servers/{server_id}"),
        format!("/servers/{server_id}/console"),
        format!("/order?plan={}", plan.id),
        "/orders".to_owned(),
        format!("/orders/{order_id}"),
        "/invoices".to_owned(),
        format!("/invoices/{invoice_id}"),
        format!("/pay/sandbox/{reference}"),
    ] {
        visits.push(Visit {
            path,
            cookie: customer.clone(),
        });
    }
    for path in [
        "/admin/users".to_owned(),
        "/admin/outbox".to_owned(),
        "/admin/audit".to_owned(),
        "/admin/jobs".to_owned(),
        "/admin/health".to_owned(),
        "/admin/orders".to_owned(),
        format!("/admin/orders/{order_id}"),
        "/admin/invoices".to_owned(),
        "/admin/coupons".to_owned(),
        "/admin/plans".to_owned(),
        "/admin/regions".to_owned(),
        "/admin/images".to_owned(),
        "/admin/servers".to_owned(),
    ] {
        visits.push(Visit {
            path,
            cookie: admin.clone(),
        });
    }
    (router, visits)
}

/// The status and body of one page, or why none came.
async fn fetch(
    client: &reqwest::Client,
    base: &str,
    visit: &Visit,
) -> Result<(StatusCode, String), String> {
    let mut request = client.get(format!("{base}{}", visit.path));
    if let Some(cookie) = &visit.cookie {
        request = request.header("cookie", cookie);
    }
    let response = request
        .send()
        .await
        .map_err(|error| format!("{}: {error:?}", visit.path))?;
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    let body = response
        .text()
        .await
        .map_err(|error| format!("{}: body: {error:?}", visit.path))?;
    Ok((status, body))
}

/// A document that got to its end (the data for hydration follows `</html>`).
fn whole(body: &str) -> bool {
    body.contains("</body>") && body.contains("</html>")
}

both_backends! {
    async fn every_page_answers_as_it_does_alone_under_32_concurrent_requests(test: TestDb) {
        count_panics();
        let (router, visits) = visits(&test).await;
        let base = format!("http://{}", support::serve(router).await);
        let client = reqwest::Client::builder().no_proxy().build().unwrap();

        let mut alone = HashMap::new();
        for visit in &visits {
            let (status, body) = fetch(&client, &base, visit).await.unwrap();
            assert!(status.is_success() || status.is_client_error(), "{}: {status}", visit.path);
            assert!(whole(&body), "{}: not a whole page ({} bytes)", visit.path, body.len());
            alone.insert(visit.path.clone(), status);
        }
        let panics_before = PANICS.load(Ordering::SeqCst);

        let answers: Vec<_> = futures_util::stream::iter((0..REQUESTS).map(|n| &visits[n % visits.len()]))
            .map(|visit| {
                let (client, base) = (&client, &base);
                async move { (visit, fetch(client, base, visit).await) }
            })
            .buffer_unordered(AT_ONCE)
            .collect()
            .await;

        let mut failures = Vec::new();
        for (visit, answer) in &answers {
            match answer {
                Ok((status, body)) if *status == alone[&visit.path] && whole(body) => {}
                Ok((status, body)) => failures.push(format!("{}: {status}, {} bytes", visit.path, body.len())),
                Err(error) => failures.push(error.clone()),
            }
        }
        assert_eq!(answers.len(), REQUESTS);
        assert!(failures.is_empty(), "{} of {REQUESTS} failed: {:#?}", failures.len(), &failures[..failures.len().min(20)]);
        assert_eq!(PANICS.load(Ordering::SeqCst), panics_before, "no request may panic");
    }
}
