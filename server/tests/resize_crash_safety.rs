//! Crash safety of a paid move to another plan: the `server` binary is killed with SIGKILL while
//! the resize job works (queued, the resize call marked as sent, the provider already resized),
//! started again on the same database, and must end where an uninterrupted run ends: the
//! resize done once, the order and the server on the new plan, the provider's server on the new
//! size and running, the history and the notice written once, every job finished without a
//! failure and nothing refunded. Each point is tried on SQLite and on PostgreSQL.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::binary::{PATIENCE, ServerProcess, seed_customer_and_plan};

use std::time::{Duration, Instant};

use chrono::Utc;
use domain::caller::ClientInfo;
use domain::testing::{TestDb, sandbox_plan_input};
use domain::{AppState, Db, both_backends, db_run};
use reqwest::StatusCode;
use serde_json::{Value, json};

const BUDI: &str = "budi@webrana.test";
const BIGGER_SIZE: &str = "sbx-2c-2g";

/// Slow enough that a resize is still under way when the kill comes, quick enough that each
/// scenario ends in seconds.
const SANDBOX_TIMING: &[(&str, &str)] =
    &[("SANDBOX_CREATE_SECS", "1"), ("SANDBOX_ACTION_SECS", "2")];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KillPoint {
    /// The resize invoice is paid and the job queued.
    Paid,
    /// The resize call is marked as sent, and may or may not have reached the provider.
    ResizeSent,
    /// The provider has the server on its new size; its answer may not be stored yet.
    ResizedAtProvider,
}

both_backends! {
    async fn killed_once_the_resize_is_paid(test: TestDb) {
        crash_and_recover(test, KillPoint::Paid).await;
    }

    async fn killed_once_the_resize_is_sent(test: TestDb) {
        crash_and_recover(test, KillPoint::ResizeSent).await;
    }

    async fn killed_once_the_provider_resized(test: TestDb) {
        crash_and_recover(test, KillPoint::ResizedAtProvider).await;
    }
}

async fn crash_and_recover(test: TestDb, point: KillPoint) {
    seed_customer_and_plan(&test, BUDI).await;
    let micro = bigger_plan(&test).await;
    let db = &test.db;
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(&test, dir.path(), SANDBOX_TIMING).await;
    let token = server.log_in(BUDI).await;
    let order_id = running_service(&server, db, &token).await;

    let (status, started) = server
        .call(
            "POST",
            &format!("/api/v1/orders/{order_id}/resize"),
            Some(&token),
            Some(json!({ "plan_id": micro })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let invoice_id = started["invoice"]["id"].as_i64().unwrap();
    pay_in_sandbox(&server, &token, invoice_id).await;
    let reached = match point {
        KillPoint::Paid => {
            "SELECT COUNT(*) FROM resizes WHERE order_id = $1 \
             AND status <> 'awaiting_payment'"
        }
        KillPoint::ResizeSent => {
            "SELECT COUNT(*) FROM resizes WHERE order_id = $1 \
             AND status = 'resizing' AND step_started_at IS NOT NULL"
        }
        KillPoint::ResizedAtProvider => {
            "SELECT COUNT(*) FROM sandbox_servers s \
             JOIN instances i ON i.label = s.label \
             WHERE i.order_id = $1 AND s.size = 'sbx-2c-2g'"
        }
    };
    let started = Instant::now();
    while count(db, reached, order_id).await == 0 {
        assert!(
            started.elapsed() < PATIENCE,
            "the kill point was never reached:\n{}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    server.kill();
    let context = format!("killed at {point:?} with {}", progress(db, order_id).await);
    time_passes_while_down(db).await;
    server.restart().await;

    wait_until_resized(&server, db, order_id, &context).await;
    wait_until_settled(&server, db, &context).await;
    let (order_plan, server_plan, server_size, server_status): (i64, i64, String, String) =
        db_run!(db, |pool| {
            sqlx::query_as(
                "SELECT o.plan_id, i.plan_id, i.size_slug, i.status FROM orders o \
                 JOIN instances i ON i.id = o.instance_id WHERE o.id = $1",
            )
            .bind(order_id)
            .fetch_one(pool)
            .await
        })
        .unwrap();
    assert_eq!(
        (
            order_plan,
            server_plan,
            server_size.as_str(),
            server_status.as_str()
        ),
        (micro, micro, BIGGER_SIZE, "running"),
        "{context}"
    );
    let at_provider: (String, String) = db_run!(db, |pool| {
        sqlx::query_as("SELECT size, status FROM sandbox_servers WHERE status <> 'deleted'")
            .fetch_one(pool)
            .await
    })
    .unwrap();
    assert_eq!(
        at_provider,
        (BIGGER_SIZE.to_owned(), "running".to_owned()),
        "{context}"
    );
    for (what, sql) in [
        (
            "the server's history says it was resized once",
            "SELECT COUNT(*) FROM instance_events e JOIN instances i ON i.id = e.instance_id \
             WHERE i.order_id = $1 AND e.kind = 'resized'",
        ),
        (
            "the order's history notes the new plan once",
            "SELECT COUNT(*) FROM order_events WHERE order_id = $1 \
             AND note = 'plan changed to: Micro'",
        ),
        (
            "the owner is told once",
            "SELECT COUNT(*) FROM notifications n JOIN orders o ON o.user_id = n.user_id \
             WHERE o.id = $1 AND n.event = 'resized'",
        ),
        (
            "one resize, done",
            "SELECT COUNT(*) FROM resizes WHERE order_id = $1 AND status = 'done' \
             AND error IS NULL",
        ),
    ] {
        assert_eq!(count(db, sql, order_id).await, 1, "{what} ({context})");
    }
    let (unfinished, balance): (i64, i64) = db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM jobs WHERE state <> 'done' AND run_at <= $1 \
             AND kind IN ('instance_resize', 'instance_action')), \
             (SELECT credit_balance FROM users WHERE email = $2)",
        )
        .bind(Utc::now())
        .bind(BUDI)
        .fetch_one(pool)
        .await
    })
    .unwrap();
    assert_eq!(
        (unfinished, balance),
        (0, 0),
        "every job done, nothing refunded ({context})"
    );
}

/// A bigger sandbox plan in Jakarta: 2 vCPUs and 2 GB at Rp 150,000 a month.
async fn bigger_plan(test: &TestDb) -> i64 {
    let config = domain::DomainConfig {
        providers: support::instant_sandbox(&test.db),
        ..support::config()
    };
    let state = AppState::new(test.db.clone(), &config).await.unwrap();
    let admin_id: i64 = db_run!(&test.db, |pool| {
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(support::ADMIN.0)
            .fetch_one(pool)
            .await
    })
    .unwrap();
    let admin = domain::caller::Caller {
        user_id: admin_id,
        session_id: 0,
        role: domain::accounts::Role::Admin,
        email_verified: true,
    };
    let mut plan = sandbox_plan_input("Micro", &["sbx-jkt1"], &["ubuntu-24-04-x64"]);
    plan.size_slug = BIGGER_SIZE.into();
    plan.price_idr_monthly = 150_000;
    state
        .catalog
        .create_plan(&admin, &ClientInfo::default(), &plan)
        .await
        .unwrap()
        .id
}

/// Orders the plan "Nano", pays through the sandbox and waits until its server runs.
async fn running_service(server: &ServerProcess, db: &Db, token: &str) -> i64 {
    let plan_id: i64 = db_run!(db, |pool| {
        sqlx::query_scalar("SELECT id FROM plans WHERE name = 'Nano'")
            .fetch_one(pool)
            .await
    })
    .unwrap();
    let order = json!({
        "plan_id": plan_id,
        "region": "sbx-jkt1",
        "image": "ubuntu-24-04-x64",
        "hostname": "web-1",
        "period_months": 1,
    });
    let (status, placed) = server
        .call("POST", "/api/v1/orders", Some(token), Some(order))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let order_id = placed["order"]["id"].as_i64().unwrap();
    pay_in_sandbox(server, token, placed["invoice"]["id"].as_i64().unwrap()).await;
    let started = Instant::now();
    while count(
        db,
        "SELECT COUNT(*) FROM orders WHERE id = $1 AND status = 'active'",
        order_id,
    )
    .await
        == 0
    {
        assert!(
            started.elapsed() < PATIENCE,
            "the order never ran:\n{}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    order_id
}

/// Pays the invoice through the sandbox gateway's QRIS and its checkout's "Pay".
async fn pay_in_sandbox(server: &ServerProcess, token: &str, invoice_id: i64) {
    let (status, payment) = server
        .call(
            "POST",
            &format!("/api/v1/invoices/{invoice_id}/payments"),
            Some(token),
            Some(json!({ "channel": "QRIS" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{payment}");
    let reference = payment["reference"].as_str().unwrap();
    let (status, body) = server
        .call(
            "POST",
            &format!("/api/v1/payments/sandbox/{reference}"),
            Some(token),
            Some(json!({ "outcome": "pay" })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

async fn count(db: &Db, sql: &'static str, order_id: i64) -> i64 {
    db_run!(db, |pool| {
        sqlx::query_scalar(sql).bind(order_id).fetch_one(pool).await
    })
    .unwrap()
}

/// What a restart finds after a real outage of some minutes: the dead worker's job leases have
/// run out, and so has the window in which a call whose answer was lost may still show at the
/// provider before it is sent again. The test moves those clocks on instead of waiting.
async fn time_passes_while_down(db: &Db) {
    let long_ago = Utc::now() - chrono::Duration::minutes(10);
    for sql in [
        "UPDATE jobs SET locked_until = $1 WHERE state = 'running'",
        "UPDATE resizes SET step_started_at = $1 WHERE step_started_at IS NOT NULL",
    ] {
        db_run!(db, |pool| {
            sqlx::query(sql)
                .bind(long_ago)
                .execute(pool)
                .await
                .map(|_| ())
        })
        .unwrap();
    }
}

/// Waits for the resize to be done; a failed one fails the test at once.
async fn wait_until_resized(server: &ServerProcess, db: &Db, order_id: i64, context: &str) {
    let started = Instant::now();
    loop {
        let status: String = db_run!(db, |pool| {
            sqlx::query_scalar("SELECT status FROM resizes WHERE order_id = $1")
                .bind(order_id)
                .fetch_one(pool)
                .await
        })
        .unwrap();
        if status == "done" {
            return;
        }
        if status == "failed" || started.elapsed() > PATIENCE {
            panic!(
                "after the restart: {}\n({context})\n{}",
                progress(db, order_id).await,
                server.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until no job is running or due.
async fn wait_until_settled(server: &ServerProcess, db: &Db, context: &str) {
    let started = Instant::now();
    loop {
        let busy: i64 = db_run!(db, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM jobs WHERE state = 'running' \
                 OR (state = 'queued' AND run_at <= $1)",
            )
            .bind(Utc::now())
            .fetch_one(pool)
            .await
        })
        .unwrap();
        if busy == 0 {
            return;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "the jobs never settled ({context})\n{}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where the resize, the server at the provider and the resize jobs stand, for failure messages.
async fn progress(db: &Db, order_id: i64) -> String {
    db_run!(db, |pool| {
        let resize: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT status, provider_handle, error FROM resizes WHERE order_id = $1",
        )
        .bind(order_id)
        .fetch_optional(pool)
        .await
        .unwrap();
        let provider: Vec<(String, String)> =
            sqlx::query_as("SELECT size, status FROM sandbox_servers")
                .fetch_all(pool)
                .await
                .unwrap();
        let jobs: Vec<(String, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT kind, state, attempts, last_error FROM jobs \
             WHERE kind IN ('instance_resize', 'instance_action') ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        Ok::<Value, sqlx::Error>(json!({
            "resize": format!("{resize:?}"),
            "provider": format!("{provider:?}"),
            "jobs": format!("{jobs:?}"),
        }))
    })
    .unwrap()
    .to_string()
}
