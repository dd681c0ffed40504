//! Error tracking: a local envelope catcher stands in for Sentry's ingest endpoint and reads
//! what the server sends: browser reports, refused callbacks, dead jobs, server errors and
//! performance traces, each scrubbed of secrets.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::Request;
use axum::routing::post;
use domain::accounts::inputs::Language;
use domain::jobs::{self, Registry};
use domain::testing::TestDb;
use serde_json::{Value, json};
use support::binary::{PATIENCE, ServerProcess, seed_customer_and_plan};

/// What Sentry would have received: every envelope, as sent.
#[derive(Clone, Default)]
struct Catcher {
    envelopes: Arc<Mutex<Vec<String>>>,
    dsn: String,
}

/// One item of an envelope: its header's `type` and its payload.
struct Item {
    kind: String,
    payload: Value,
    /// The whole envelope the item came in, to prove what is absent from it.
    envelope: String,
}

impl Catcher {
    fn start() -> Self {
        let envelopes = Arc::new(Mutex::new(Vec::new()));
        let router = Router::new()
            .route(
                "/api/{project}/envelope/",
                post(
                    |State(envelopes): State<Arc<Mutex<Vec<String>>>>, body: Bytes| async move {
                        envelopes
                            .lock()
                            .unwrap()
                            .push(String::from_utf8_lossy(&body).into_owned());
                        "{}"
                    },
                ),
            )
            .with_state(Arc::clone(&envelopes));
        // On a thread of its own: a failing assertion's panic goes to Sentry too, and the
        // panic hook waits for it to be sent, which a catcher on the test's thread never takes.
        let (started, addr) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                started.send(support::serve(router).await).unwrap();
                std::future::pending::<()>().await;
            });
        });
        let addr = addr.recv().unwrap();
        Self {
            envelopes,
            dsn: format!("http://0123456789abcdef0123456789abcdef@{addr}/42"),
        }
    }

    fn items(&self) -> Vec<Item> {
        let envelopes = self.envelopes.lock().unwrap().clone();
        let mut items = Vec::new();
        for envelope in envelopes {
            let lines: Vec<&str> = envelope.lines().collect();
            // Line 0 is the envelope's header; then each item is a header and a payload.
            for pair in lines[1..].chunks(2) {
                let [header, payload] = pair else { continue };
                let header: Value = serde_json::from_str(header).unwrap_or(Value::Null);
                items.push(Item {
                    kind: header["type"].as_str().unwrap_or_default().to_owned(),
                    payload: serde_json::from_str(payload).unwrap_or(Value::Null),
                    envelope: envelope.clone(),
                });
            }
        }
        items
    }

    /// The first item `matches` accepts, waiting for it to arrive.
    async fn wait_for(&self, what: &str, matches: impl Fn(&Item) -> bool) -> Item {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(item) = self.items().into_iter().find(|item| matches(item)) {
                return item;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} reached the catcher; it got: {:?}",
                self.envelopes.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn event_says(item: &Item, text: &str) -> bool {
    item.kind == "event" && item.payload.to_string().contains(text)
}

fn assert_absent(item: &Item, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            !item.envelope.contains(secret),
            "`{secret}` reached the error tracker: {}",
            item.envelope
        );
    }
}

#[tokio::test]
async fn the_server_sends_scrubbed_browser_reports_refusals_and_traces() {
    let test = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let catcher = Catcher::start();
    seed_customer_and_plan(&test, "sari@webrana.test").await;
    let server = ServerProcess::start(
        &test,
        dir.path(),
        &[
            ("SENTRY_DSN", &catcher.dsn),
            ("SENTRY_ENVIRONMENT", "test"),
            ("SENTRY_TRACES_SAMPLE_RATE", "1"),
            ("LOG_FORMAT", "json"),
        ],
    )
    .await;
    let bearer = server.log_in("sari@webrana.test").await;
    let (_, me) = server.call("GET", "/api/v1/me", Some(&bearer), None).await;
    let user_id = me["id"].as_i64().expect("my id");
    let http = reqwest::Client::new();

    // What a page's panic hook sends, with secrets where careless code might put them.
    let report = json!({
        "kind": "panic",
        "message": "panicked at app/src/pages/servers.rs:40: root password=hunter2 for sari@webrana.test",
        "stack": "Error\n    at reset (webrana.js:1:2) token=st4ck-t0ken",
        "route": "/servers/7/console?ticket=t1ck3t",
    });
    let sent = http
        .post(format!("{}/api/v1/client-errors", server.url))
        .bearer_auth(&bearer)
        .header("content-type", "text/plain;charset=UTF-8")
        .header("cookie", "access=c00kie-value")
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36",
        )
        .body(report.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 202, "{}", server.log_tail());
    let browser = catcher
        .wait_for("browser report", |item| {
            item.kind == "event" && item.payload["tags"]["source"] == "browser"
        })
        .await;
    let event = &browser.payload;
    assert_eq!(event["level"], Value::Null, "an error");
    assert_eq!(event["tags"]["kind"], "panic");
    assert_eq!(event["tags"]["route"], "/servers/7/console");
    assert_eq!(event["user"]["id"], user_id.to_string());
    assert_eq!(event["environment"], "test");
    assert!(
        event["release"].as_str().unwrap().starts_with("webrana@0."),
        "{event}"
    );
    assert!(
        event["contexts"]["browser"]["name"]
            .as_str()
            .unwrap()
            .contains("Chrome/140")
    );
    assert!(
        event["message"]
            .as_str()
            .unwrap()
            .contains("root password=[Filtered]"),
        "{event}"
    );
    assert_absent(
        &browser,
        &[
            "hunter2",
            "sari@webrana.test",
            "st4ck-t0ken",
            "t1ck3t",
            "c00kie-value",
            &bearer,
        ],
    );

    // A forged payment callback: refused, and an event that never carries the signature.
    let forged = http
        .post(format!("{}{}", server.url, domain::billing::CALLBACK_PATH))
        .header("x-callback-signature", "f0rg3d-signature")
        .header("x-callback-event", "payment_status")
        .header("authorization", "Bearer s3cret-bearer")
        .body(r#"{"reference":"T0001","status":"PAID"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let request_id = forged.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let refused = catcher
        .wait_for("refused callback", |item| {
            event_says(item, "a payment callback was refused")
        })
        .await;
    assert_eq!(
        refused.payload["tags"]["request_id"],
        request_id.as_str(),
        "{}",
        refused.payload
    );
    // An event's level is left out when it is `error`, the default.
    assert_eq!(refused.payload["level"], Value::Null);
    assert_eq!(refused.payload["logger"], "server::api::orders");
    assert_eq!(refused.payload["request"]["method"], "POST");
    assert_eq!(
        refused.payload["request"]["url"],
        format!("{}{}", server.url, domain::billing::CALLBACK_PATH)
    );
    assert_absent(&refused, &["f0rg3d-signature", "s3cret-bearer"]);
    // The same refusal in the JSON log, with the request's span and id.
    let logged = server
        .log()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["message"] == "a payment callback was refused")
        .unwrap_or_else(|| panic!("no JSON line for the refusal: {}", server.log_tail()));
    assert_eq!(logged["level"], "ERROR");
    assert_eq!(logged["target"], "server::api::orders");
    assert!(logged["timestamp"].is_string(), "{logged}");
    let spans = logged["spans"].as_array().expect("the line's spans");
    assert_eq!(spans[0]["name"], "request", "{logged}");
    assert_eq!(spans[0]["request_id"], request_id.as_str(), "{logged}");
    assert_eq!(spans[0]["method"], "POST", "{logged}");

    // Every request is traced at a sample rate of 1, named by its route.
    let listed = http
        .get(format!("{}/api/v1/catalog/plans", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    let trace = catcher
        .wait_for("request transaction", |item| {
            item.kind == "transaction" && item.payload["transaction"] == "GET /api/v1/catalog/plans"
        })
        .await;
    assert_eq!(trace.payload["contexts"]["trace"]["op"], "http.server");
    assert_eq!(trace.payload["contexts"]["trace"]["status"], "ok");
    assert_eq!(
        trace.payload["tags"]["request_id"],
        listed.headers()["x-request-id"].to_str().unwrap()
    );
}

#[tokio::test]
async fn browser_reports_are_checked_capped_and_limited() {
    let test = TestDb::sqlite().await;
    let env = support::env(&test).await;
    let report = |body: String| {
        Request::post("/api/v1/client-errors")
            .header("content-type", "text/plain;charset=UTF-8")
            .header("x-forwarded-for", "198.51.100.7")
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let good = json!({ "kind": "error", "message": "x is undefined", "route": "/" }).to_string();

    let too_big = json!({ "kind": "error", "message": "a".repeat(20_000), "route": "/" });
    let answer = support::send(&env.router, report(too_big.to_string())).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains("at most 16384 bytes"),
        "{}",
        answer.body
    );

    let unknown_kind = json!({ "kind": "oops", "message": "m", "route": "/" }).to_string();
    let answer = support::send(&env.router, report(unknown_kind)).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    let no_path = json!({ "kind": "error", "message": "m", "route": "https://elsewhere" });
    let answer = support::send(&env.router, report(no_path.to_string())).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("starting with /"), "{}", answer.body);

    // A page in a reload loop: the first reports pass, then the client is told to wait.
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(
            support::send(&env.router, report(good.clone()))
                .await
                .status,
        );
    }
    assert_eq!(statuses[..10], [202; 10]);
    assert_eq!(statuses[10..], [429, 429]);
}

#[tokio::test]
async fn dead_jobs_and_server_errors_become_events_with_their_ids() {
    let catcher = Catcher::start();
    let _sentry = server::error_tracking::init(&server::error_tracking::SentrySettings {
        dsn: catcher.dsn.parse().unwrap(),
        environment: "test".to_owned(),
        release: server::error_tracking::default_release(),
        traces_sample_rate: 0.0,
    });
    server::telemetry::init(server::config::LogFormat::Text, true);
    let test = TestDb::sqlite().await;

    let registry = Registry::default().on("always_fails", |_job| async {
        Err::<(), _>("the disk is full; token=j0b-s3cret".to_owned())
    });
    let mut tx = test.db.begin().await.unwrap();
    let job_id = jobs::enqueue(&mut tx, "always_fails", &json!({}), chrono::Utc::now(), 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    jobs::run_once(
        &test.db,
        &registry,
        "test-worker",
        chrono::Duration::minutes(1),
    )
    .await
    .unwrap();
    let dead = catcher
        .wait_for("dead job", |item| {
            event_says(item, "a job gave up after its last attempt")
        })
        .await;
    let said = dead.payload.to_string();
    assert!(said.contains("always_fails"), "{said}");
    assert!(said.contains(&format!("\"job_id\":{job_id}")), "{said}");
    assert_absent(&dead, &["j0b-s3cret"]);

    // A database gone from under a request: a 500, reported once, with the request's id. The
    // request before it logged on this same thread; its lines are not the failed request's.
    // It was a signed-in customer's; the failed one is anonymous, and stays so.
    let env = support::env(&test).await;
    support::customer(&env.state, "budi@webrana.test", Language::Id).await;
    let bearer = support::access_token(&env.router, "budi@webrana.test", support::PASSWORD).await;
    let before = support::get(&env.router, "/api/v1/me", Some(&bearer)).await;
    assert_eq!(before.status, 200, "{}", before.body);
    test.db.close().await;
    let answer = support::get(&env.router, "/api/v1/catalog/plans", None).await;
    assert_eq!(answer.status, 500, "{}", answer.body);
    let failed = catcher
        .wait_for("server error", |item| event_says(item, "request failed"))
        .await;
    assert!(
        failed.payload["tags"]["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{}",
        failed.payload
    );
    assert_eq!(
        catcher
            .items()
            .iter()
            .filter(|item| item.kind == "event"
                && item.payload["tags"]["request_id"] == failed.payload["tags"]["request_id"])
            .count(),
        1,
        "one 500, one event"
    );
    assert_eq!(failed.payload["request"]["method"], "GET");
    assert_eq!(failed.payload["tags"]["route"], "/api/v1/catalog/plans");
    assert_eq!(failed.payload["user"], Value::Null, "{}", failed.payload);
    let breadcrumbs = failed.payload["breadcrumbs"].to_string();
    assert!(
        !breadcrumbs.contains("finished processing request"),
        "another request's lines: {breadcrumbs}"
    );
}
