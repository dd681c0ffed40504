//! Prometheus metrics through the real router and the real binary, on both databases: requests
//! are counted by route template, method and status (never a raw path), the job queue and pool
//! are read at scrape time, and `/metrics` answers on `METRICS_ADDR` only, never on the public
//! port.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration, Utc};
use domain::accounts::inputs::Language;
use domain::jobs::{self, Registry};
use domain::{DomainConfig, both_backends};
use serde_json::json;
use server::metrics::{read_queue_and_pool, recorder};

/// The value of the sample named `name` whose labels include every one of `labels`.
fn sample(rendered: &str, name: &str, labels: &[&str]) -> Option<f64> {
    rendered
        .lines()
        .filter(|line| {
            line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} "))
        })
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

both_backends! {
    async fn requests_are_counted_by_route_template_and_status(test: TestDb) {
        recorder();
        let env = support::env(&test).await;
        let plans = support::get(&env.router, "/api/v1/catalog/plans", None).await;
        assert_eq!(plans.status, 200);
        let order = support::get(&env.router, "/api/v1/orders/918273645", None).await;
        assert_eq!(order.status, 401);
        support::page(&env.router, "/no-such-page-5551234", None).await;

        let rendered = recorder().render();
        let counted = |labels: &[&str]| sample(&rendered, "http_requests_total", labels).unwrap_or(0.0);
        assert!(counted(&[r#"method="GET""#, r#"route="/api/v1/catalog/plans""#, r#"status="200""#]) >= 1.0, "{rendered}");
        assert!(counted(&[r#"route="/api/v1/orders/{id}""#, r#"status="401""#]) >= 1.0, "{rendered}");
        assert!(counted(&[r#"route="unmatched""#, r#"status="404""#]) >= 1.0, "{rendered}");
        assert!(sample(&rendered, "http_request_duration_seconds_bucket", &[r#"route="/api/v1/catalog/plans""#, r#"le="+Inf""#]).unwrap() >= 1.0);
        for raw in ["918273645", "5551234"] {
            assert!(!rendered.contains(raw), "a raw path reached a label: {raw}");
        }
    }

    async fn the_job_queue_and_pool_are_read_when_scraped(test: TestDb) {
        recorder();
        // Each backend's test has its own kind: the recorder is the whole test process's.
        let kind = format!("metrics_probe_{}", test.db.backend());
        let kind_label = format!(r#"kind="{kind}""#);
        let mut tx = test.db.begin().await.unwrap();
        for _ in 0..2 {
            jobs::enqueue(&mut tx, &kind, &json!({}), Utc::now() - Duration::seconds(90), 1).await.unwrap();
        }
        tx.commit().await.unwrap();
        read_queue_and_pool(&test.db).await.unwrap();
        let rendered = recorder().render();
        assert_eq!(sample(&rendered, "jobs", &[&kind_label, r#"state="queued""#]), Some(2.0), "{rendered}");
        assert_eq!(sample(&rendered, "jobs", &[&kind_label, r#"state="dead""#]), Some(0.0));
        assert!(sample(&rendered, "job_queue_oldest_due_seconds", &[&kind_label]).unwrap() >= 90.0);
        assert!(sample(&rendered, "db_pool_connections", &[r#"state="idle""#]).is_some());

        // Each job fails its only attempt and dies: the queue empties and the gauges follow.
        let registry = Registry::default().on(&kind, |_job| async { Err::<(), _>("probe".to_owned()) });
        domain::testing::drain(&test.db, &registry).await;
        read_queue_and_pool(&test.db).await.unwrap();
        let rendered = recorder().render();
        assert_eq!(sample(&rendered, "jobs", &[&kind_label, r#"state="queued""#]), Some(0.0));
        assert_eq!(sample(&rendered, "jobs", &[&kind_label, r#"state="dead""#]), Some(2.0));
        assert_eq!(sample(&rendered, "job_queue_oldest_due_seconds", &[&kind_label]), Some(0.0));
    }

    async fn metrics_answer_on_their_own_listener_only(test: TestDb) {
        let metrics_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let metrics_addr = format!("127.0.0.1:{metrics_port}");
        let dir = tempfile::tempdir().unwrap();
        let server = support::binary::ServerProcess::start(&test, dir.path(), &[("METRICS_ADDR", &metrics_addr)]).await;
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let public = http.get(format!("{}/api/v1/catalog/plans", server.url)).send().await.unwrap();
        assert_eq!(public.status(), 200);
        let on_public_port = http.get(format!("{}/metrics", server.url)).send().await.unwrap();
        assert_eq!(on_public_port.status(), 404, "metrics never on the public port");
        let scraped = http.get(format!("http://{metrics_addr}/metrics")).send().await.unwrap();
        assert_eq!(scraped.status(), 200);
        let rendered = scraped.text().await.unwrap();
        assert!(sample(&rendered, "http_requests_total", &[r#"route="/api/v1/catalog/plans""#, r#"status="200""#]).unwrap() >= 1.0, "{rendered}");
        assert!(sample(&rendered, "db_pool_connections", &[r#"state="in_use""#]).is_some(), "{rendered}");
    }
}

/// The metric names a PromQL expression reads: what is left once label matchers, `by (…)`
/// lists, functions, keywords, durations and numbers are taken out.
fn metrics_read_by(expr: &str) -> Vec<String> {
    // Aggregations can stand before `by (…)` rather than their argument.
    const KEYWORDS: &[&str] = &[
        "by", "without", "and", "or", "unless", "on", "ignoring", "offset", "bool", "sum", "min",
        "max", "avg", "count", "group", "stddev", "stdvar", "topk", "bottomk", "quantile",
    ];
    let mut text = String::new();
    let mut depth = 0;
    for c in expr.chars() {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            _ if depth == 0 => text.push(c),
            _ => {}
        }
    }
    let text = text.replace("by (", "by(");
    let mut names = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphabetic() || c == '_') {
        rest = &rest[start..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        let is_function = after.trim_start().starts_with('(');
        if !is_function && !KEYWORDS.contains(&word) {
            names.push(word.to_owned());
        }
        rest = after;
        // `by(route, le)`: the labels inside are not metrics.
        if word == "by" || word == "without" {
            rest = rest.split_once(')').map_or("", |(_, after)| after);
        }
    }
    names
}

/// Every `expr` in a dashboard or rule file (JSON or YAML, read as text).
fn expressions(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        for panel in json["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().unwrap() {
                found.push(target["expr"].as_str().unwrap().to_owned());
            }
        }
        return found;
    }
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(expr) = line.trim_start().strip_prefix("expr:") else {
            continue;
        };
        if expr.trim() == "|" {
            let mut block = String::new();
            while lines
                .peek()
                .is_some_and(|next| next.starts_with("          "))
            {
                block.push_str(lines.next().unwrap().trim());
                block.push(' ');
            }
            found.push(block);
        } else {
            found.push(expr.trim().to_owned());
        }
    }
    found
}

#[test]
fn metric_names_are_told_from_functions_labels_and_keywords() {
    assert_eq!(
        metrics_read_by(
            r#"histogram_quantile(0.95, sum by (route, le) (rate(http_request_duration_seconds_bucket[5m])))"#
        ),
        ["http_request_duration_seconds_bucket"]
    );
    assert_eq!(
        metrics_read_by(
            r#"max by (instance) (db_pool_connections{state="idle"}) == 0 and max by (instance) (db_pool_connections{state="in_use"}) > 0"#
        ),
        ["db_pool_connections", "db_pool_connections"]
    );
    assert_eq!(metrics_read_by(r#"up{job="webrana"} == 0"#), ["up"]);
}

/// Tests that compare counters before and after run one at a time: the recorder is the whole
/// test process's.
static COUNTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

both_backends! {
    async fn the_business_is_counted_and_every_dashboard_and_alert_reads_it(test: TestDb) {
        let _one_at_a_time = COUNTING.lock().await;
        recorder();
        // The sandbox checkout posts its signed callback to the public URL: this router.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let config = DomainConfig {
            public_url: format!("http://{}", listener.local_addr().unwrap()),
            providers: support::instant_sandbox(&test.db),
            ..support::config()
        };
        let env = support::start(&test, &config).await;
        support::serve_on(listener, env.router.clone());
        let admin = support::admin_caller(&env.state).await;
        env.customer("budi@webrana.test", Language::Id).await;
        support::verify_every_email(&test.db).await;
        let plan = support::nano_plan(&env.state, &admin).await;
        let bearer = env.access_token("budi@webrana.test").await;
        let before = recorder().render();

        let order = json!({ "plan_id": plan.id, "region": "sbx-jkt1", "image": "ubuntu-24-04-x64", "hostname": "web-1", "period_months": 1 });
        let placed = support::post_json(&env.router, "/api/v1/orders", order, Some(&bearer)).await;
        assert_eq!(placed.status, 201, "{}", placed.body);
        let invoice = placed.json()["invoice"]["id"].clone();
        let payment = support::post_json(&env.router, &format!("/api/v1/invoices/{invoice}/payments"), json!({ "channel": "QRIS" }), Some(&bearer)).await;
        assert_eq!(payment.status, 201, "{}", payment.body);
        let reference = payment.json()["reference"].as_str().unwrap().to_owned();
        let paid = support::post_json(&env.router, &format!("/api/v1/payments/sandbox/{reference}"), json!({ "outcome": "pay" }), Some(&bearer)).await;
        assert!(paid.status.is_success(), "{}", paid.body);
        let forged = axum::http::Request::post(domain::billing::CALLBACK_PATH)
            .header("x-callback-signature", "forged")
            .header("x-callback-event", "payment_status")
            .body(axum::body::Body::from("{}"))
            .unwrap();
        assert_eq!(support::send(&env.router, forged).await.status, 403);
        let registry = domain::orders::worker::register(
            domain::instances::worker::register(Registry::default(), env.state.instances.clone()),
            env.state.orders.clone(),
            env.state.instances.clone(),
        );
        domain::testing::drain(&test.db, &registry).await;
        let after = recorder().render();

        let grew = |name: &str, labels: &[&str]| {
            sample(&after, name, labels).unwrap_or(0.0) - sample(&before, name, labels).unwrap_or(0.0)
        };
        assert_eq!(grew("orders_placed_total", &[]), 1.0, "{after}");
        assert_eq!(grew("payments_started_total", &[r#"channel="QRIS""#]), 1.0);
        assert_eq!(grew("payment_callbacks_total", &[r#"outcome="accepted""#]), 1.0);
        assert_eq!(grew("payment_callbacks_total", &[r#"outcome="bad_signature""#]), 1.0);
        assert_eq!(grew("provisioning_finished_total", &[r#"provider="sandbox""#, r#"outcome="running""#]), 1.0);
        assert_eq!(grew("provisioning_duration_seconds_count", &[r#"provider="sandbox""#, r#"outcome="running""#]), 1.0);

        // With every kind of metric now exported, every dashboard panel and alert must read
        // one of them.
        read_queue_and_pool(&test.db).await.unwrap();
        every_query_reads_an_exported_metric(&recorder().render());
    }
}

/// Fails on a query in the dashboards or alert rules that reads a metric not in `rendered`.
fn every_query_reads_an_exported_metric(rendered: &str) {
    let exported = |name: &str| {
        rendered.lines().any(|line| {
            line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} "))
        })
    };
    let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    let mut read = 0;
    for file in [
        "grafana/dashboards/overview.json",
        "grafana/dashboards/business.json",
        "grafana/dashboards/live.json",
        "prometheus/alerts.yml",
    ] {
        let text = std::fs::read_to_string(deploy.join(file)).unwrap();
        let exprs = expressions(&text);
        assert!(!exprs.is_empty(), "{file} has queries");
        for expr in exprs {
            // `up` is Prometheus's own, set for every scrape.
            for name in metrics_read_by(&expr)
                .into_iter()
                .filter(|name| name != "up")
            {
                assert!(
                    exported(&name),
                    "{file}: `{name}` (in `{expr}`) is not a metric the server exports"
                );
                read += 1;
            }
        }
    }
    assert!(read >= 12, "only {read} metric reads found");
}
