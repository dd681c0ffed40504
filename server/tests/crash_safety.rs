//! Crash safety from the payment callback to a running server: the `server` binary is killed
//! with SIGKILL at set points on that way, started again on the same database, and must end
//! where an uninterrupted run ends: the invoice and its one payment paid, one server made at the
//! provider and running, each order transition recorded once, every job finished without a
//! failure. The same callback posted again afterwards changes nothing. Each point is tried on
//! SQLite and on PostgreSQL.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::binary::{PATIENCE, ServerProcess, seed_customer_and_plan};

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use domain::billing::{CALLBACK_PATH, tripay};
use domain::db::Pool;
use domain::testing::TestDb;
use domain::{Db, both_backends, db_run, tx_run};
use reqwest::StatusCode;
use serde_json::{Value, json};

const BUDI: &str = "budi@webrana.test";

/// Long enough that "created but not running yet" lasts well past a kill, short enough that
/// every scenario ends in seconds.
const SANDBOX_TIMING: &[(&str, &str)] =
    &[("SANDBOX_CREATE_SECS", "2"), ("SANDBOX_ACTION_SECS", "1")];

/// Where, on the way from the callback to a running server, the server is killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KillPoint {
    /// The callback has reached its handler, which waits for a row lock the test holds: the
    /// payment is being written but not committed.
    CallbackInFlight,
    /// The sandbox checkout's "Pay" has been answered, so the callback it posts was applied.
    CallbackAnswered,
    /// The order is `provisioning` and its server recorded, not yet running.
    ServerRecorded,
    /// The create is marked as sent, and may or may not have reached the provider.
    CreateSent,
    /// The provider has made the server; its answer may not be stored yet.
    CreatedAtProvider,
}

both_backends! {
    async fn killed_while_the_callback_is_in_flight(test: TestDb) {
        crash_and_recover(test, KillPoint::CallbackInFlight).await;
    }

    async fn killed_right_after_the_callback_is_answered(test: TestDb) {
        crash_and_recover(test, KillPoint::CallbackAnswered).await;
    }

    async fn killed_once_the_server_is_recorded(test: TestDb) {
        crash_and_recover(test, KillPoint::ServerRecorded).await;
    }

    async fn killed_once_the_create_is_sent(test: TestDb) {
        crash_and_recover(test, KillPoint::CreateSent).await;
    }

    async fn killed_once_the_provider_made_the_server(test: TestDb) {
        crash_and_recover(test, KillPoint::CreatedAtProvider).await;
    }
}

async fn crash_and_recover(test: TestDb, point: KillPoint) {
    let plan_id = seed_customer_and_plan(&test, BUDI).await;
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(&test, dir.path(), SANDBOX_TIMING).await;
    let token = server.log_in(BUDI).await;
    let bill = order_and_start_paying(&server, &token, plan_id).await;
    let key = domain::billing::sandbox_private_key(&test.db)
        .await
        .unwrap();
    let callback = Callback::paid(&key, &bill);
    let db = &test.db;

    match point {
        KillPoint::CallbackInFlight => {
            // The callback's transaction blocks on the payment row; only then does the kill come.
            let mut lock = db.begin().await.unwrap();
            tx_run!(&mut lock, |conn| {
                sqlx::query("UPDATE payments SET updated_at = updated_at WHERE reference = $1")
                    .bind(&bill.reference)
                    .execute(conn)
                    .await
                    .map(|_| ())
            })
            .unwrap();
            let in_flight = tokio::spawn({
                let url = server.url.clone();
                let callback = callback.clone();
                async move { callback.post(&url).await }
            });
            wait_until_blocked_on_the_payment(&test, &server).await;
            server.kill();
            let answer = in_flight.await.unwrap();
            assert!(
                answer.is_err(),
                "a killed server answered the callback: {answer:?}"
            );
            // The lock changed nothing; ending it lets the restarted server write.
            lock.commit().await.unwrap();
            assert_eq!(
                (
                    payment_status(db, &bill.reference).await,
                    order_status(db, bill.order_id).await
                ),
                ("unpaid".to_owned(), "pending_payment".to_owned()),
                "a callback killed before its commit left nothing behind"
            );
        }
        KillPoint::CallbackAnswered => {
            let (status, body) = server
                .call(
                    "POST",
                    &format!("/api/v1/payments/sandbox/{}", bill.reference),
                    Some(&token),
                    Some(json!({ "outcome": "pay" })),
                )
                .await;
            assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
            server.kill();
            assert_eq!(payment_status(db, &bill.reference).await, "paid");
            let order = order_status(db, bill.order_id).await;
            assert!(
                order == "paid" || order == "provisioning",
                "killed right after the callback, the order is {order}"
            );
        }
        KillPoint::ServerRecorded | KillPoint::CreateSent | KillPoint::CreatedAtProvider => {
            let reached = match point {
                KillPoint::ServerRecorded => "SELECT COUNT(*) FROM instances WHERE order_id = $1",
                KillPoint::CreateSent => {
                    "SELECT COUNT(*) FROM instances WHERE order_id = $1 \
                     AND create_sent_at IS NOT NULL"
                }
                KillPoint::CreatedAtProvider => {
                    "SELECT COUNT(*) FROM sandbox_servers s \
                     JOIN instances i ON i.label = s.label WHERE i.order_id = $1"
                }
                KillPoint::CallbackInFlight | KillPoint::CallbackAnswered => unreachable!(),
            };
            assert_eq!(callback.post(&server.url).await.unwrap(), success());
            let order_id = bill.order_id;
            poll_until(&server, move || async move {
                count(db, reached, order_id).await > 0
            })
            .await;
            server.kill();
            assert_eq!(order_status(db, bill.order_id).await, "provisioning");
            assert_eq!(instance_statuses(db, bill.order_id).await, ["provisioning"]);
        }
    }

    let killed_at = progress(db, bill.order_id).await;
    let leases = time_passes_while_down(db).await;
    // Where the kill landed, for every failure message from here on.
    let context = format!("killed at {point:?} with {killed_at}; {leases} job leases ended");
    let server = ServerProcess::start(&test, dir.path(), SANDBOX_TIMING).await;
    if point == KillPoint::CallbackInFlight {
        // Tripay posts a callback again until it is answered with success.
        assert_eq!(callback.post(&server.url).await.unwrap(), success());
    }
    wait_until_running(&server, db, bill.order_id, &context).await;
    wait_until_settled(&server, db, bill.order_id, &context).await;

    let end = EndState::read(db, bill.order_id).await;
    end.assert_complete(&bill, &context, &server);

    // The gateway's late duplicate (here after the restart) is answered as applied and ignored.
    for _ in 0..2 {
        assert_eq!(callback.post(&server.url).await.unwrap(), success());
    }
    // Anything a replay wrongly queued would have been picked up by the worker by now.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    wait_until_settled(&server, db, bill.order_id, &context).await;
    assert_eq!(
        EndState::read(db, bill.order_id).await,
        end,
        "replaying the callback changed something ({context})"
    );
}

/// An order waiting for its payment, and the payment started for it.
struct Bill {
    order_id: i64,
    number: String,
    reference: String,
    total: i64,
}

async fn order_and_start_paying(server: &ServerProcess, token: &str, plan_id: i64) -> Bill {
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
    let invoice_id = placed["invoice"]["id"].as_i64().unwrap();
    let (status, payment) = server
        .call(
            "POST",
            &format!("/api/v1/invoices/{invoice_id}/payments"),
            Some(token),
            Some(json!({ "channel": "QRIS" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{payment}");
    Bill {
        order_id: placed["order"]["id"].as_i64().unwrap(),
        number: placed["invoice"]["number"].as_str().unwrap().to_owned(),
        reference: payment["reference"].as_str().unwrap().to_owned(),
        total: payment["total_amount"].as_i64().unwrap(),
    }
}

/// A `PAID` callback for the bill, signed with the sandbox gateway's key as Tripay signs its own.
#[derive(Clone)]
struct Callback {
    body: Vec<u8>,
    signature: String,
}

impl Callback {
    fn paid(key: &str, bill: &Bill) -> Self {
        let body = format!(
            r#"{{"reference":"{}","merchant_ref":"{}","payment_method":"QRIS","payment_method_code":"QRIS","total_amount":{total},"fee_merchant":0,"fee_customer":0,"total_fee":0,"amount_received":{total},"is_closed_payment":1,"status":"PAID","paid_at":{},"note":null}}"#,
            bill.reference,
            bill.number,
            Utc::now().timestamp(),
            total = bill.total,
        )
        .into_bytes();
        Self {
            signature: tripay::callback_signature(key, &body),
            body,
        }
    }

    /// Posts the callback to the server at `url`: its status and JSON answer, or the transport
    /// error when no answer came.
    async fn post(&self, url: &str) -> reqwest::Result<(StatusCode, Value)> {
        let answer = reqwest::Client::new()
            .post(format!("{url}{CALLBACK_PATH}"))
            .header("content-type", "application/json")
            .header("x-callback-event", tripay::CALLBACK_EVENT)
            .header("x-callback-signature", &self.signature)
            .body(self.body.clone())
            .timeout(Duration::from_secs(30))
            .send()
            .await?;
        let status = answer.status();
        let text = answer.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }
}

fn success() -> (StatusCode, Value) {
    (StatusCode::OK, json!({ "success": true }))
}

/// Waits until the callback's handler is stuck behind the test's lock, about to write the
/// payment.
async fn wait_until_blocked_on_the_payment(test: &TestDb, server: &ServerProcess) {
    poll_until(server, move || async move {
        server
            .log()
            .lines()
            .any(|line| line.contains("started processing request") && line.contains(CALLBACK_PATH))
    })
    .await;
    match test.db.pool() {
        // PostgreSQL shows the server's UPDATE waiting for the row lock.
        Pool::Postgres(pool) => {
            poll_until(server, move || async move {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND wait_event_type = 'Lock' AND query LIKE 'UPDATE payments%'",
                )
                .fetch_one(pool)
                .await
                .unwrap()
                    > 0
            })
            .await;
        }
        // SQLite shows no waiters. The handler reads the payment and invoice, then waits up to
        // its busy timeout (5 s) for the write lock the test holds: half a second puts the kill
        // inside that wait.
        Pool::Sqlite(_) => tokio::time::sleep(Duration::from_millis(500)).await,
    }
}

/// Polls `reached` in a tight loop; panics with the server's log if it never holds.
async fn poll_until<F, Fut>(server: &ServerProcess, mut reached: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    while !reached().await {
        assert!(
            started.elapsed() < PATIENCE,
            "the kill point was never reached:\n{}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// What the restart finds is what it would find after a real outage of some minutes: the dead
/// worker's job leases (five minutes) have run out, and so has the window in which a create
/// whose answer was lost may still show up at the provider (two minutes) before it is sent
/// again. The test moves those clocks on instead of waiting; answers how many leases it ended.
async fn time_passes_while_down(db: &Db) -> u64 {
    let long_ago = Utc::now() - chrono::Duration::minutes(10);
    let leases = db_run!(db, |pool| {
        sqlx::query("UPDATE jobs SET locked_until = $1 WHERE state = 'running'")
            .bind(long_ago)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    })
    .unwrap();
    db_run!(db, |pool| {
        sqlx::query(
            "UPDATE instances SET create_sent_at = $1 \
             WHERE create_sent_at IS NOT NULL AND provider_instance_id IS NULL",
        )
        .bind(long_ago)
        .execute(pool)
        .await
        .map(|_| ())
    })
    .unwrap();
    leases
}

/// Waits for the order to be `active`; a failed order or server fails the test at once.
async fn wait_until_running(server: &ServerProcess, db: &Db, order_id: i64, context: &str) {
    let started = Instant::now();
    loop {
        let order = order_status(db, order_id).await;
        let instances = instance_statuses(db, order_id).await;
        if order == "active" {
            assert_eq!(instances, ["running"]);
            return;
        }
        if order == "failed"
            || instances.iter().any(|status| status == "error")
            || started.elapsed() > PATIENCE
        {
            panic!(
                "after the restart: {}\n({context})\n{}",
                progress(db, order_id).await,
                server.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until no job is running or due: what the way to a running server set off (e-mails
/// among it) has all been done.
async fn wait_until_settled(server: &ServerProcess, db: &Db, order_id: i64, context: &str) {
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
        if started.elapsed() > PATIENCE {
            panic!(
                "the jobs never settled: {}\n({context})\n{}",
                progress(db, order_id).await,
                server.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A server's status, provider id, when its create was sent, and its message.
type ServerProgress = (
    String,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<String>,
);

/// Where the order, its server, the provider and the jobs stand, for failure messages.
async fn progress(db: &Db, order_id: i64) -> String {
    db_run!(db, |pool| {
        let order: (String, Option<String>) =
            sqlx::query_as("SELECT status, status_message FROM orders WHERE id = $1")
                .bind(order_id)
                .fetch_one(pool)
                .await
                .unwrap();
        let instances: Vec<ServerProgress> = sqlx::query_as(
            "SELECT status, provider_instance_id, create_sent_at, status_message \
             FROM instances WHERE order_id = $1 ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(pool)
        .await
        .unwrap();
        let provider: Vec<(String, String, Option<String>)> =
            sqlx::query_as("SELECT label, status, ipv4 FROM sandbox_servers ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap();
        let jobs: Vec<(String, String, DateTime<Utc>, Option<String>)> = sqlx::query_as(
            "SELECT kind, state, run_at, last_error FROM jobs \
             WHERE kind IN ($1, $2) OR state NOT IN ('queued', 'done') ORDER BY id",
        )
        .bind(domain::orders::PROVISION_JOB)
        .bind(domain::instances::PROVISION_JOB)
        .fetch_all(pool)
        .await
        .unwrap();
        format!(
            "order {order:?}; servers (status, provider id, create sent, message) {instances:?}; \
             at the provider (label, status, IPv4) {provider:?}; jobs (kind, state, run at, \
             error) {jobs:?}"
        )
    })
}

async fn count(db: &Db, sql: &'static str, id: i64) -> i64 {
    db_run!(db, |pool| {
        sqlx::query_scalar(sql).bind(id).fetch_one(pool).await
    })
    .unwrap()
}

async fn order_status(db: &Db, order_id: i64) -> String {
    db_run!(db, |pool| {
        sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
            .bind(order_id)
            .fetch_one(pool)
            .await
    })
    .unwrap()
}

async fn payment_status(db: &Db, reference: &str) -> String {
    db_run!(db, |pool| {
        sqlx::query_scalar("SELECT status FROM payments WHERE reference = $1")
            .bind(reference)
            .fetch_one(pool)
            .await
    })
    .unwrap()
}

async fn instance_statuses(db: &Db, order_id: i64) -> Vec<String> {
    db_run!(db, |pool| {
        sqlx::query_scalar("SELECT status FROM instances WHERE order_id = $1 ORDER BY id")
            .bind(order_id)
            .fetch_all(pool)
            .await
    })
    .unwrap()
}

/// Everything the way from payment to server writes, read straight from the database.
#[derive(Debug, PartialEq)]
struct EndState {
    /// Status, server, end of the paid period, last change.
    order: (String, Option<i64>, Option<DateTime<Utc>>, DateTime<Utc>),
    /// Status and how it was paid, per invoice of the order.
    invoices: Vec<(String, Option<String>)>,
    /// Reference and status, per payment of those invoices.
    payments: Vec<(String, String)>,
    /// Id, status, provider id and label, per server of the order.
    instances: Vec<(i64, String, Option<String>, String)>,
    /// Label and status of every server the sandbox cloud made.
    provider_servers: Vec<(String, String)>,
    /// From and to, per order transition.
    order_events: Vec<(Option<String>, String)>,
    /// The kinds of the servers' events, in order.
    instance_events: Vec<String>,
    /// Kind, payload and state of every job.
    jobs: Vec<(String, String, String, Option<String>)>,
    /// Recipient and subject of every e-mail.
    emails: Vec<(String, String)>,
    /// Payment problems the callback endpoint recorded (refused callbacks, money to refund).
    payment_alarms: Vec<String>,
}

impl EndState {
    async fn read(db: &Db, order_id: i64) -> Self {
        db_run!(db, |pool| {
            let order = sqlx::query_as(
                "SELECT status, instance_id, paid_until, updated_at FROM orders WHERE id = $1",
            )
            .bind(order_id)
            .fetch_one(pool)
            .await
            .unwrap();
            let invoices = sqlx::query_as(
                "SELECT status, paid_via FROM invoices WHERE order_id = $1 ORDER BY id",
            )
            .bind(order_id)
            .fetch_all(pool)
            .await
            .unwrap();
            let payments = sqlx::query_as(
                "SELECT p.reference, p.status FROM payments p \
                 JOIN invoices i ON i.id = p.invoice_id WHERE i.order_id = $1 ORDER BY p.id",
            )
            .bind(order_id)
            .fetch_all(pool)
            .await
            .unwrap();
            let instances = sqlx::query_as(
                "SELECT id, status, provider_instance_id, label FROM instances \
                 WHERE order_id = $1 ORDER BY id",
            )
            .bind(order_id)
            .fetch_all(pool)
            .await
            .unwrap();
            let provider_servers =
                sqlx::query_as("SELECT label, status FROM sandbox_servers ORDER BY id")
                    .fetch_all(pool)
                    .await
                    .unwrap();
            let order_events = sqlx::query_as(
                "SELECT from_status, to_status FROM order_events WHERE order_id = $1 ORDER BY id",
            )
            .bind(order_id)
            .fetch_all(pool)
            .await
            .unwrap();
            let instance_events = sqlx::query_scalar(
                "SELECT e.kind FROM instance_events e \
                 JOIN instances i ON i.id = e.instance_id WHERE i.order_id = $1 ORDER BY e.id",
            )
            .bind(order_id)
            .fetch_all(pool)
            .await
            .unwrap();
            let jobs =
                sqlx::query_as("SELECT kind, payload, state, last_error FROM jobs ORDER BY id")
                    .fetch_all(pool)
                    .await
                    .unwrap();
            let emails = sqlx::query_as("SELECT to_address, subject FROM emails ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap();
            let payment_alarms = sqlx::query_scalar(
                "SELECT action FROM audit_log WHERE action LIKE 'payment%' ORDER BY id",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            Self {
                order,
                invoices,
                payments,
                instances,
                provider_servers,
                order_events,
                instance_events,
                jobs,
                emails,
                payment_alarms,
            }
        })
    }

    /// Asserts everything happened, once; failures show where the kill landed and the log.
    fn assert_complete(&self, bill: &Bill, context: &str, server: &ServerProcess) {
        let log = || format!("({context})\n{}", server.log_tail());
        let transitions: Vec<(Option<&str>, &str)> = self
            .order_events
            .iter()
            .map(|(from, to)| (from.as_deref(), to.as_str()))
            .collect();
        assert_eq!(
            transitions,
            [
                (None, "pending_payment"),
                (Some("pending_payment"), "paid"),
                (Some("paid"), "provisioning"),
                (Some("provisioning"), "active"),
            ],
            "each transition once {}",
            log()
        );
        assert_eq!(self.order.0, "active");
        assert!(self.order.2.is_some(), "the paid period started {}", log());
        assert_eq!(
            self.invoices,
            [("paid".to_owned(), Some("sandbox".to_owned()))],
            "one invoice, paid through the gateway {}",
            log()
        );
        assert_eq!(
            self.payments,
            [(bill.reference.clone(), "paid".to_owned())],
            "one payment, paid {}",
            log()
        );
        let [(instance_id, status, provider_id, label)] = self.instances.as_slice() else {
            panic!("one server for the order: {:?} {}", self.instances, log());
        };
        assert_eq!(
            self.order.1,
            Some(*instance_id),
            "the order names its server"
        );
        assert_eq!(status, "running");
        assert!(
            provider_id
                .as_deref()
                .is_some_and(|id| id.starts_with("sbx-")),
            "{provider_id:?}"
        );
        assert_eq!(
            self.provider_servers,
            [(label.clone(), "running".to_owned())],
            "the provider made one server, the order's {}",
            log()
        );
        assert_eq!(
            self.instance_events,
            ["provisioning_requested", "provider_created", "ready"],
            "the server was created once and became ready once {}",
            log()
        );
        for (kind, payload, state, last_error) in &self.jobs {
            assert!(
                state != "dead" && last_error.is_none(),
                "job {kind} {payload} is {state} with error {last_error:?} {}",
                log()
            );
        }
        for kind in [
            domain::orders::PROVISION_JOB,
            domain::instances::PROVISION_JOB,
        ] {
            let runs: Vec<&str> = self
                .jobs
                .iter()
                .filter(|job| job.0 == kind)
                .map(|job| job.2.as_str())
                .collect();
            assert_eq!(runs, ["done"], "one {kind} job, finished {}", log());
        }
        for (at, email) in self.emails.iter().enumerate() {
            assert!(
                !self.emails[..at].contains(email),
                "e-mailed twice: {email:?} {}",
                log()
            );
        }
        assert!(
            self.payment_alarms.is_empty(),
            "the callback endpoint raised {:?} {}",
            self.payment_alarms,
            log()
        );
    }
}
