//! Two `server` processes on one PostgreSQL and one Redis behind HAProxy, run with
//! `deploy/haproxy/haproxy.cfg` (round-robin, no sticky sessions), as an operator runs them:
//!
//! - They act as one: orders placed and paid through the balancer reach both nodes, both job
//!   workers compete for the work, and every order gets exactly one server, made once at the
//!   provider. A console ticket issued by one node opens the console on the other.
//! - A rolling restart (SIGTERM to one node, start it again, then the other) under mixed traffic
//!   fails no request, and every open bell reconnects and catches up with what it missed.
//!   `scripts/bench-rolling-restart` runs the same with more clients and prints the figures that
//!   docs/benchmarks.md records.
//!
//! That a notification committed on one node reaches a socket on the other is proven on its own
//! in `live_notifications.rs`.

// Test code: a failed unwrap is a failed test; the restart's figures are its report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use domain::db_run;
use domain::testing::TestDb;
use futures_util::StreamExt;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::binary::{PATIENCE, ServerProcess, call, free_port, seed_customer_and_plan};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const BUDI: &str = "budi@webrana.test";

/// Servers made and acted on in a second or so, so orders placed under load finish within it.
const SANDBOX_PACE: [(&str, &str); 2] =
    [("SANDBOX_CREATE_SECS", "1"), ("SANDBOX_ACTION_SECS", "1")];

/// One cluster at a time: two nodes, a balancer and the load already fill two cores.
static ONE_CLUSTER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// HAProxy as a plain process on loopback, its access log in a file.
struct Balancer {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Balancer {
    fn start(dir: &Path, port: u16, nodes: [&ServerProcess; 2]) -> Self {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/haproxy/haproxy.cfg");
        let log = dir.join("haproxy.log");
        let output = File::create(&log).unwrap();
        let child = Command::new("haproxy")
            .args(["-db", "-f"])
            .arg(&config)
            .env("WEBRANA_LISTEN", format!("127.0.0.1:{port}"))
            .env("WEBRANA_NODE_A", format!("127.0.0.1:{}", nodes[0].port()))
            .env("WEBRANA_NODE_B", format!("127.0.0.1:{}", nodes[1].port()))
            .stdin(Stdio::null())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .expect("haproxy (scripts/setup installs it from Debian's packages)");
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    async fn wait_ready(&mut self) {
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(answer) = http.get(format!("{}/readyz", self.url)).send().await
                && answer.status().is_success()
            {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("haproxy stopped ({status}):\n{}", self.access_log());
            }
            assert!(started.elapsed() < PATIENCE, "haproxy never answered");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn access_log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How many requests each node answered, from the access log (health checks are not in it).
    fn answered_by(&self) -> [usize; 2] {
        let log = self.access_log();
        [" web nodes/a ", " web nodes/b "]
            .map(|node| log.lines().filter(|line| line.contains(node)).count())
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The database, the Redis-sharing nodes' balancer and a client of it: what every customer
/// task shares. The nodes themselves stay with the test, which restarts them.
struct Cluster {
    test: TestDb,
    balancer: Balancer,
    plan_id: i64,
    http: reqwest::Client,
    _dirs: [tempfile::TempDir; 3],
}

impl Cluster {
    async fn start(vars: &[(&str, &str)]) -> (Self, [ServerProcess; 2]) {
        let redis_url =
            std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
        let test = TestDb::postgres().await;
        let plan_id = seed_customer_and_plan(&test, BUDI).await;
        let dirs = [(); 3].map(|()| tempfile::tempdir().unwrap());
        let balancer_port = free_port();
        let public_url = format!("http://127.0.0.1:{balancer_port}");
        let mut shared = vec![
            ("REDIS_URL", redis_url.as_str()),
            // Cookies, CSRF origins and links name the address people use: the balancer's.
            ("PUBLIC_URL", public_url.as_str()),
            ("TRUSTED_PROXIES", "127.0.0.1"),
        ];
        shared.extend(SANDBOX_PACE);
        shared.extend(vars);
        let a = ServerProcess::start(&test, dirs[0].path(), &shared).await;
        let b = ServerProcess::start(&test, dirs[1].path(), &shared).await;
        let mut balancer = Balancer::start(dirs[2].path(), balancer_port, [&a, &b]);
        balancer.wait_ready().await;
        let cluster = Self {
            test,
            balancer,
            plan_id,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            _dirs: dirs,
        };
        (cluster, [a, b])
    }

    /// A REST call through the balancer.
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<(StatusCode, Value), reqwest::Error> {
        call(&self.http, &self.balancer.url, method, path, token, body).await
    }

    async fn log_in(&self) -> String {
        let body = json!({ "email": BUDI, "password": support::PASSWORD });
        let (status, answer) = self
            .call("POST", "/api/v1/auth/login", None, Some(body))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer["access_token"].as_str().unwrap().to_owned()
    }

    fn logs(&self, nodes: &[ServerProcess; 2]) -> String {
        format!(
            "node a:\n{}\nnode b:\n{}\nbalancer:\n{}",
            nodes[0].log_tail(),
            nodes[1].log_tail(),
            self.balancer.access_log()
        )
    }

    async fn order_status(&self, order_id: i64) -> String {
        db_run!(&self.test.db, |pool| {
            sqlx::query_scalar::<_, String>("SELECT status FROM orders WHERE id = $1")
                .bind(order_id)
                .fetch_one(pool)
                .await
        })
        .unwrap()
    }

    async fn wait_until_active(&self, nodes: &[ServerProcess; 2], order_id: i64) {
        let started = Instant::now();
        while self.order_status(order_id).await != "active" {
            assert!(
                started.elapsed() < PATIENCE,
                "order {order_id} is {}:\n{}",
                self.order_status(order_id).await,
                self.logs(nodes)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How many jobs are still to run or running.
    async fn jobs_pending(&self) -> i64 {
        db_run!(&self.test.db, |pool| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running') AND run_at <= $1",
            )
            .bind(chrono::Utc::now())
            .fetch_one(pool)
            .await
        })
        .unwrap()
    }
}

/// One order through the balancer: placed, a payment started and paid at the sandbox checkout.
/// Answers the order's id, or what went wrong on the way.
async fn order_and_pay(cluster: &Cluster, token: &str, hostname: &str) -> Result<i64, String> {
    let order = json!({
        "plan_id": cluster.plan_id,
        "region": "sbx-jkt1",
        "image": "ubuntu-24-04-x64",
        "hostname": hostname,
        "period_months": 1,
    });
    let placed = expect(
        cluster.call("POST", "/api/v1/orders", Some(token), Some(order)),
        &[StatusCode::CREATED],
        "place an order",
    )
    .await?;
    let invoice_id = placed["invoice"]["id"].as_i64().unwrap();
    let payment = expect(
        cluster.call(
            "POST",
            &format!("/api/v1/invoices/{invoice_id}/payments"),
            Some(token),
            Some(json!({ "channel": "QRIS" })),
        ),
        &[StatusCode::CREATED],
        "start a payment",
    )
    .await?;
    let reference = payment["reference"].as_str().unwrap();
    expect(
        cluster.call(
            "POST",
            &format!("/api/v1/payments/sandbox/{reference}"),
            Some(token),
            Some(json!({ "outcome": "pay" })),
        ),
        &[StatusCode::NO_CONTENT],
        "pay",
    )
    .await?;
    Ok(placed["order"]["id"].as_i64().unwrap())
}

/// The answer's body when its status is one of `wanted`; otherwise what happened, as a failure.
async fn expect(
    request: impl Future<Output = Result<(StatusCode, Value), reqwest::Error>>,
    wanted: &[StatusCode],
    what: &str,
) -> Result<Value, String> {
    match request.await {
        Ok((status, body)) if wanted.contains(&status) => Ok(body),
        Ok((status, body)) => Err(format!("{what}: {status} {body}")),
        Err(error) => Err(format!("{what}: no answer: {error}")),
    }
}

#[tokio::test]
async fn two_nodes_behind_a_balancer_act_as_one() {
    let _alone = ONE_CLUSTER_AT_A_TIME.lock().await;
    let (cluster, nodes) = Cluster::start(&[]).await;
    let token = cluster.log_in().await;

    let mut orders = Vec::new();
    for n in 0..6 {
        orders.push(
            order_and_pay(&cluster, &token, &format!("web-{n}"))
                .await
                .unwrap(),
        );
    }
    for &order_id in &orders {
        cluster.wait_until_active(&nodes, order_id).await;
    }
    let servers_per_order = db_run!(&cluster.test.db, |pool| {
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT order_id, COUNT(*) FROM instances GROUP BY order_id ORDER BY order_id",
        )
        .fetch_all(pool)
        .await
    })
    .unwrap();
    assert_eq!(
        servers_per_order,
        orders.iter().map(|&id| (id, 1)).collect::<Vec<_>>(),
        "one server per order"
    );
    let made_at_the_provider = db_run!(&cluster.test.db, |pool| {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sandbox_servers")
            .fetch_one(pool)
            .await
    })
    .unwrap();
    assert_eq!(made_at_the_provider, 6, "each server made once");
    let dead_jobs = db_run!(&cluster.test.db, |pool| {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM jobs WHERE state = 'dead'")
            .fetch_one(pool)
            .await
    })
    .unwrap();
    assert_eq!(dead_jobs, 0);
    let [by_a, by_b] = cluster.balancer.answered_by();
    assert!(by_a > 0 && by_b > 0, "a: {by_a}, b: {by_b}");

    // A ticket issued by node a opens the console on node b: tickets live in the database and
    // the screen is found from there.
    let [a, b] = &nodes;
    let cookies = log_in_with_cookies(&cluster, &a.url).await;
    let instance_id = db_run!(&cluster.test.db, |pool| {
        sqlx::query_scalar::<_, i64>("SELECT id FROM instances WHERE order_id = $1")
            .bind(orders[0])
            .fetch_one(pool)
            .await
    })
    .unwrap();
    let (status, opened) = server_fn(
        &cluster,
        &a.url,
        app::console::OpenConsole::PATH,
        &format!("id={instance_id}"),
        Some(&cookies),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    let path = opened["Proxy"]["path"].as_str().unwrap();
    let mut request = format!("ws://127.0.0.1:{}{path}", b.port())
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    headers.insert("cookie", cookies.parse().unwrap());
    headers.insert("origin", cluster.balancer.url.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .unwrap_or_else(|error| panic!("{error}:\n{}", cluster.logs(&nodes)));
    let greeting = tokio::time::timeout(PATIENCE, socket.next())
        .await
        .expect("the console speaks first")
        .unwrap()
        .unwrap();
    assert_eq!(greeting.into_data().as_ref(), b"RFB 003.008\n");
}

/// Logs in through the server function on the node at `base`, as a browser on the balancer's
/// page would; answers the session cookies.
async fn log_in_with_cookies(cluster: &Cluster, base: &str) -> String {
    let form = format!(
        "email={}&password={}",
        BUDI.replace('@', "%40"),
        support::PASSWORD
    );
    let answer = cluster
        .http
        .post(format!("{base}{}", app::auth::LogIn::PATH))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("origin", &cluster.balancer.url)
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok()?.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

async fn server_fn(
    cluster: &Cluster,
    base: &str,
    path: &str,
    form: &str,
    cookie: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = cluster
        .http
        .post(format!("{base}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("origin", &cluster.balancer.url)
        .body(form.to_owned());
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status();
    let body = answer.text().await.unwrap();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// The load of the rolling restart, from the environment so the bench can raise it.
struct Load {
    clients: usize,
    bells: usize,
    /// How long traffic runs before, between and after the restarts.
    settle: Duration,
}

impl Load {
    fn from_env() -> Self {
        let number = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .map(|value| value.parse().expect(name))
                .unwrap_or(default)
        };
        Self {
            clients: number("ROLLING_RESTART_CLIENTS", 6) as usize,
            bells: number("ROLLING_RESTART_BELLS", 4) as usize,
            settle: Duration::from_secs(number("ROLLING_RESTART_SETTLE_SECS", 2)),
        }
    }
}

/// What the clients saw, by kind of request.
#[derive(Default)]
struct Tally {
    answered: Mutex<BTreeMap<&'static str, Vec<Duration>>>,
    failures: Mutex<Vec<String>>,
}

impl Tally {
    fn record(&self, kind: &'static str, took: Duration, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => self
                .answered
                .lock()
                .unwrap()
                .entry(kind)
                .or_default()
                .push(took),
            Err(failure) => self.failures.lock().unwrap().push(failure),
        }
    }
}

/// One client's endless mix of what customers do, until `stop`.
async fn customer_traffic(
    cluster: Arc<Cluster>,
    token: Arc<String>,
    instance_id: i64,
    first: usize,
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
    orders: Arc<AtomicU64>,
) {
    let mut turn = first;
    while !stop.load(Ordering::Relaxed) {
        turn += 1;
        let started = Instant::now();
        let bearer = Some(token.as_str());
        let (kind, outcome) = match turn % 8 {
            0 => ("order and pay", {
                let n = orders.fetch_add(1, Ordering::Relaxed);
                order_and_pay(&cluster, &token, &format!("load-{n}"))
                    .await
                    .map(drop)
            }),
            1 => (
                "server action",
                expect(
                    cluster.call(
                        "POST",
                        &format!("/api/v1/instances/{instance_id}/actions"),
                        bearer,
                        Some(json!({ "type": "reboot" })),
                    ),
                    // Another client's reboot may still be running.
                    &[StatusCode::ACCEPTED, StatusCode::CONFLICT],
                    "reboot",
                )
                .await
                .map(drop),
            ),
            2 => ("page", page(&cluster, "/").await),
            5 => ("page", page(&cluster, "/plans").await),
            3 => (
                "catalog",
                expect(
                    cluster.call("GET", "/api/v1/catalog/plans", None, None),
                    &[StatusCode::OK],
                    "catalog",
                )
                .await
                .map(drop),
            ),
            4 | 6 => (
                "servers",
                expect(
                    cluster.call("GET", "/api/v1/instances", bearer, None),
                    &[StatusCode::OK],
                    "servers",
                )
                .await
                .map(drop),
            ),
            _ => (
                "notifications",
                expect(
                    cluster.call("GET", "/api/v1/notifications", bearer, None),
                    &[StatusCode::OK],
                    "notifications",
                )
                .await
                .map(drop),
            ),
        };
        tally.record(kind, started.elapsed(), outcome);
    }
}

async fn page(cluster: &Cluster, path: &str) -> Result<(), String> {
    match cluster
        .http
        .get(format!("{}{path}", cluster.balancer.url))
        .send()
        .await
    {
        Ok(answer) if answer.status() == StatusCode::OK => answer
            .text()
            .await
            .map(drop)
            .map_err(|error| format!("page {path}: cut short: {error}")),
        Ok(answer) => Err(format!("page {path}: {}", answer.status())),
        Err(error) => Err(format!("page {path}: no answer: {error}")),
    }
}

/// An open bell through the balancer, as the page keeps one: reconnects whenever its socket
/// ends, asking for what came after the newest notification it has.
#[derive(Default)]
struct Bell {
    heard: Mutex<BTreeSet<i64>>,
    connections: AtomicU64,
    refused: Mutex<Vec<String>>,
}

async fn keep_bell_open(cluster: Arc<Cluster>, token: Arc<String>, bell: Arc<Bell>) {
    let host = cluster
        .balancer
        .url
        .trim_start_matches("http://")
        .to_owned();
    loop {
        let after = bell.heard.lock().unwrap().last().copied();
        let query = after.map(|id| format!("?after={id}")).unwrap_or_default();
        let mut request = format!("ws://{host}/ws/notifications{query}")
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let mut socket = match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => socket,
            Err(error) => {
                bell.refused.lock().unwrap().push(error.to_string());
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        bell.connections.fetch_add(1, Ordering::Relaxed);
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Text(text) = message {
                let message: Value = serde_json::from_str(&text).unwrap();
                if let Some(id) = message["notification"]["id"].as_i64() {
                    bell.heard.lock().unwrap().insert(id);
                }
            }
        }
        // The page waits a moment (with jitter) before reconnecting; so does this bell.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// Several threads: the clients keep going while the test waits for a node to exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_behind_the_balancer_fails_no_request() {
    let _alone = ONE_CLUSTER_AT_A_TIME.lock().await;
    let load = Load::from_env();
    // Longer than the balancer takes to see a node go (deploy/haproxy/haproxy.cfg: 1 s).
    let (cluster, mut nodes) = Cluster::start(&[("SHUTDOWN_DRAIN_SECS", "2")]).await;
    let token = Arc::new(cluster.log_in().await);
    let first = order_and_pay(&cluster, &token, "web-1").await.unwrap();
    cluster.wait_until_active(&nodes, first).await;
    let instance_id = db_run!(&cluster.test.db, |pool| {
        sqlx::query_scalar::<_, i64>("SELECT id FROM instances WHERE order_id = $1")
            .bind(first)
            .fetch_one(pool)
            .await
    })
    .unwrap();

    let cluster = Arc::new(cluster);
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let orders = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..load.clients)
        .map(|n| {
            tokio::spawn(customer_traffic(
                cluster.clone(),
                token.clone(),
                instance_id,
                n,
                stop.clone(),
                tally.clone(),
                orders.clone(),
            ))
        })
        .collect();
    let bells: Vec<Arc<Bell>> = (0..load.bells).map(|_| Arc::default()).collect();
    let bell_tasks: Vec<_> = bells
        .iter()
        .map(|bell| tokio::spawn(keep_bell_open(cluster.clone(), token.clone(), bell.clone())))
        .collect();

    let began = Instant::now();
    tokio::time::sleep(load.settle).await;
    let mut restarts = Vec::new();
    for (name, node) in ["a", "b"].into_iter().zip(nodes.iter_mut()) {
        let asked = Instant::now();
        let status = tokio::task::block_in_place(|| node.terminate());
        let stopped = asked.elapsed();
        assert!(status.success(), "node {name} stopped with {status}");
        node.restart().await;
        restarts.push((name, stopped, asked.elapsed()));
        tokio::time::sleep(load.settle).await;
    }
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
    let traffic_time = began.elapsed();

    // Orders placed last finish their provisioning; then every bell has heard everything.
    let started = Instant::now();
    let notified = loop {
        let notified = db_run!(&cluster.test.db, |pool| {
            sqlx::query_scalar::<_, i64>(
                "SELECT n.id FROM notifications n JOIN users u ON u.id = n.user_id \
                 WHERE u.email = $1 AND n.in_app ORDER BY n.id",
            )
            .bind(BUDI)
            .fetch_all(pool)
            .await
        })
        .unwrap();
        let notified: BTreeSet<i64> = notified.into_iter().collect();
        let all_heard = bells
            .iter()
            .all(|bell| *bell.heard.lock().unwrap() == notified);
        if all_heard && cluster.jobs_pending().await == 0 {
            break notified;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "the bells heard {:?} of {} notifications",
            bells
                .iter()
                .map(|bell| bell.heard.lock().unwrap().len())
                .collect::<Vec<_>>(),
            notified.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for task in bell_tasks {
        task.abort();
    }

    let failures = tally.failures.lock().unwrap().clone();
    let answered = tally.answered.lock().unwrap();
    let total: usize = answered.values().map(Vec::len).sum();
    println!(
        "rolling restart: {} clients and {} bells through HAProxy for {:.1} s",
        load.clients,
        load.bells,
        traffic_time.as_secs_f64()
    );
    for (name, stopped, back) in &restarts {
        println!(
            "  node {name}: stopped {:.2} s after SIGTERM, ready again {:.2} s after it",
            stopped.as_secs_f64(),
            back.as_secs_f64()
        );
    }
    println!(
        "  {total} requests answered, {} failed; requests per node: {:?}",
        failures.len(),
        cluster.balancer.answered_by()
    );
    for (kind, times) in answered.iter() {
        let mut times = times.clone();
        times.sort();
        let at = |p: f64| times[((times.len() - 1) as f64 * p) as usize].as_secs_f64() * 1000.0;
        println!(
            "  {kind:>14}: {:>6} answered, p50 {:>7.1} ms, p99 {:>7.1} ms, slowest {:>7.1} ms",
            times.len(),
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
    for (n, bell) in bells.iter().enumerate() {
        println!(
            "  bell {n}: {} connections, {} refused attempts, heard {} of {} notifications",
            bell.connections.load(Ordering::Relaxed),
            bell.refused.lock().unwrap().len(),
            bell.heard.lock().unwrap().len(),
            notified.len()
        );
    }

    assert!(
        failures.is_empty(),
        "{} requests failed: {:#?}\n{}",
        failures.len(),
        &failures[..failures.len().min(10)],
        cluster.logs(&nodes)
    );
    for bell in &bells {
        assert!(
            bell.refused.lock().unwrap().is_empty(),
            "a bell could not reconnect: {:?}",
            bell.refused.lock().unwrap()
        );
        // Each bell sat on a node that stopped, so it came back at least once.
        assert!(bell.connections.load(Ordering::Relaxed) >= 2);
    }
    assert!(notified.len() > 1, "the load made notifications to hear");
}
