//! What observability costs: requests per second on `/api/v1/catalog/plans` (JSON) and `/plans`
//! (a server-rendered page) with metrics, logs and Sentry off, each on alone, and all on. Run it
//! with `scripts/bench-observability`; the figures go to `docs/benchmarks.md`.
//!
//! Off is `RUST_LOG=warn` text logs, no `METRICS_ADDR`, no `SENTRY_DSN`; the parts are listed in
//! [`VARIANTS`]. Sentry sends to a local envelope catcher in this process.
//!
//! Each variant runs on a server of its own; the variants take turns for `--rounds` (3) rounds of
//! `--seconds` (5) per endpoint with `--connections` (16) clients, and the median round counts.
//! `--only logs,errors` runs off and the variants whose names hold one of those words. Each
//! server runs on the machine's last core and the load on the others (see the script).

// A bench reports and panics on what it cannot do, like a test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use chrono::Utc;
use domain::accounts::Role;
use domain::accounts::tokens::{JwtKeys, SigningKey};
use domain::testing::TestDb;

use support::{Server, seed_plan, seed_users};

const JWT_SECRET: &str = "bench-secret-bench-secret-bench-secret-0123";
const ENDPOINTS: [&str; 2] = ["/api/v1/catalog/plans", "/plans"];

/// What a variant switches on.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    /// `RUST_LOG=info`, `LOG_FORMAT=json`: a line per request and per span closed.
    Logs,
    /// `METRICS_ADDR`, scraped once a second meanwhile.
    Metrics,
    /// `SENTRY_DSN` to the local catcher, with this `SENTRY_TRACES_SAMPLE_RATE`.
    Sentry(&'static str),
}

/// Each part alone, then all together; the first is the baseline.
const VARIANTS: &[(&str, &[Part])] = &[
    ("off", &[]),
    // The same again on a server of its own: how far two equal servers differ is the noise.
    ("off, a second server", &[]),
    ("JSON info logs", &[Part::Logs]),
    ("metrics", &[Part::Metrics]),
    ("Sentry, errors only", &[Part::Sentry("0")]),
    ("Sentry, traces 0.01", &[Part::Sentry("0.01")]),
    ("Sentry, traces 0.1", &[Part::Sentry("0.1")]),
    (
        "all, traces 0.01",
        &[Part::Logs, Part::Metrics, Part::Sentry("0.01")],
    ),
    (
        "all, traces 0.1",
        &[Part::Logs, Part::Metrics, Part::Sentry("0.1")],
    ),
];

struct Options {
    seconds: u64,
    connections: usize,
    rounds: usize,
    /// `--only`: the variants whose names hold one of these (comma-separated); off always runs.
    only: Vec<String>,
}

impl Options {
    fn parse() -> Self {
        let mut options = Self {
            seconds: 5,
            connections: 16,
            rounds: 3,
            only: Vec::new(),
        };
        let mut args = std::env::args().skip(1);
        while let Some(name) = args.next() {
            // `cargo bench` passes `--bench` to every bench target.
            if name == "--bench" {
                continue;
            }
            let value = args
                .next()
                .unwrap_or_else(|| panic!("{name} needs a value"));
            let number = || -> u64 {
                value
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}: not a number"))
            };
            match name.as_str() {
                "--seconds" => options.seconds = number(),
                "--connections" => options.connections = number() as usize,
                "--rounds" => options.rounds = number() as usize,
                "--only" => options.only = value.split(',').map(str::to_owned).collect(),
                _ => panic!("unknown option {name}"),
            }
        }
        options
    }
}

/// One way of running the server, on a database of its own.
struct Variant {
    name: String,
    server: Server,
    metrics_url: Option<String>,
    _test: TestDb,
    /// Requests per second, per endpoint, one figure per round.
    rates: [Vec<f64>; 2],
    /// The server's processor time per request in microseconds, per endpoint and round.
    cpu: [Vec<f64>; 2],
}

#[tokio::main]
async fn main() {
    let options = Options::parse();
    let envelopes = Arc::new(AtomicU64::new(0));
    let catcher = start_catcher(Arc::clone(&envelopes)).await;

    let mut variants = Vec::new();
    let chosen = VARIANTS.iter().enumerate().filter(|(index, (name, _))| {
        *index == 0
            || options.only.is_empty()
            || options.only.iter().any(|part| name.contains(part))
    });
    for (_, (name, parts)) in chosen {
        let metrics_port = support::free_port().to_string();
        let mut vars = Vec::new();
        for part in *parts {
            match *part {
                Part::Logs => vars.extend([
                    ("RUST_LOG".to_owned(), "info".to_owned()),
                    ("LOG_FORMAT".to_owned(), "json".to_owned()),
                ]),
                Part::Metrics => vars.push((
                    "METRICS_ADDR".to_owned(),
                    format!("127.0.0.1:{metrics_port}"),
                )),
                Part::Sentry(rate) => vars.extend([
                    (
                        "SENTRY_DSN".to_owned(),
                        format!("http://0123456789abcdef0123456789abcdef@{catcher}/1"),
                    ),
                    ("SENTRY_TRACES_SAMPLE_RATE".to_owned(), rate.to_owned()),
                ]),
            }
        }
        let mut variant = variant(name, vars).await;
        if parts.contains(&Part::Metrics) {
            variant.metrics_url = Some(format!("http://127.0.0.1:{metrics_port}/metrics"));
        }
        variants.push(variant);
    }

    for round in 1..=options.rounds {
        for variant in &mut variants {
            for (index, endpoint) in ENDPOINTS.iter().enumerate() {
                let (rate, cpu) = load(
                    &options,
                    &variant.server,
                    endpoint,
                    variant.metrics_url.as_deref(),
                )
                .await;
                variant.rates[index].push(rate);
                variant.cpu[index].push(cpu);
                println!(
                    "round {round}, {}: {endpoint} {rate:.0}/s, {cpu:.1} µs of CPU per request",
                    variant.name
                );
            }
        }
    }

    println!(
        "\n{} connections, {} s per endpoint, median of {} rounds; {} envelopes reached the catcher",
        options.connections,
        options.seconds,
        options.rounds,
        envelopes.load(Ordering::Relaxed)
    );
    println!(
        "| variant | {0} req/s | {0} CPU µs/request | {1} req/s | {1} CPU µs/request |",
        ENDPOINTS[0], ENDPOINTS[1]
    );
    println!("|---|---|---|---|---|");
    for variant in &variants {
        let mut cells = Vec::new();
        for index in 0..ENDPOINTS.len() {
            cells.push(against_off(
                &variant.rates[index],
                &variants[0].rates[index],
                0,
            ));
            cells.push(against_off(&variant.cpu[index], &variants[0].cpu[index], 1));
        }
        println!("| {} | {} |", variant.name, cells.join(" | "));
    }
    for variant in variants {
        variant.server.stop();
    }
}

async fn variant(name: &str, vars: Vec<(String, String)>) -> Variant {
    let test = TestDb::sqlite().await;
    let mut env: Vec<(&str, &str)> = vec![("JWT_SECRET", JWT_SECRET), ("SANDBOX_VM", "off")];
    env.extend(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut server = Server::start(test.url(), &env);
    server.wait_ready().await;
    // The server gets the last core, every thread it has and will start; the script runs this
    // process (the load) on the others. Sharing cores, the scheduler's split between load and
    // server moved figures by ±10 % from one server to the next.
    let last_core = std::thread::available_parallelism().map_or(1, |n| n.get()) - 1;
    if last_core > 0 {
        let pinned = std::process::Command::new("taskset")
            .args(["-a", "-p", "-c", &last_core.to_string()])
            .arg(server.pid().to_string())
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(pinned.success(), "taskset: {pinned}");
    }
    let admin = seed_users(&test, "admin", "admin", 1).await[0];
    let keys = JwtKeys::new(SigningKey::new(JWT_SECRET.as_bytes().to_vec()), vec![]);
    let token = keys
        .issue(admin.0, admin.1, Role::Admin, Utc::now())
        .unwrap();
    seed_plan(&server, &token).await;
    Variant {
        name: name.to_owned(),
        server,
        metrics_url: None,
        _test: test,
        rates: [Vec::new(), Vec::new()],
        cpu: [Vec::new(), Vec::new()],
    }
}

/// `--connections` clients asking for `endpoint` for `--seconds`; answers requests per second
/// and the server's processor time per request in microseconds. The second is the sharper
/// measure of a cost: the load generator shares the machine's cores, and how the scheduler
/// splits them moves throughput by ±10 % from one round to the next.
/// With `metrics_url`, Prometheus's scrape is played meanwhile, once a second.
async fn load(
    options: &Options,
    server: &Server,
    endpoint: &str,
    metrics_url: Option<&str>,
) -> (f64, f64) {
    let cpu_before = server.cpu_seconds();
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let answered = Arc::new(AtomicU64::new(0));
    let url = server.url(endpoint);
    let clients: Vec<_> = (0..options.connections)
        .map(|_| {
            let (answered, url) = (Arc::clone(&answered), url.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder().no_proxy().build().unwrap();
                while Instant::now() < deadline {
                    let answer = client.get(&url).send().await.unwrap();
                    assert!(answer.status().is_success(), "{url}: {}", answer.status());
                    answer.bytes().await.unwrap();
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    if let Some(metrics_url) = metrics_url {
        let scraper = reqwest::Client::new();
        while Instant::now() < deadline {
            let text = scraper
                .get(metrics_url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(text.contains("http_requests_total"), "{text}");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    for client in clients {
        client.await.unwrap();
    }
    let cpu = server.cpu_seconds() - cpu_before;
    let answered = answered.load(Ordering::Relaxed) as f64;
    (
        answered / options.seconds as f64,
        cpu / answered * 1_000_000.0,
    )
}

/// The median of `figures` and how far it is from the median of `off`, in per cent.
fn against_off(figures: &[f64], off: &[f64], decimals: usize) -> String {
    let (figure, off) = (median(figures), median(off));
    format!(
        "{figure:.decimals$} ({:+.1} %)",
        (figure - off) / off * 100.0
    )
}

fn median(rates: &[f64]) -> f64 {
    let mut sorted = rates.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// Stands in for Sentry's ingest endpoint: counts envelopes, answers as Sentry does.
async fn start_catcher(envelopes: Arc<AtomicU64>) -> std::net::SocketAddr {
    let router = Router::new().route(
        "/api/{project}/envelope/",
        post(move || {
            envelopes.fetch_add(1, Ordering::Relaxed);
            async { "{}" }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}
