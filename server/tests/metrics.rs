//! Prometheus metrics through the real router and the real binary, on both databases: requests
//! are counted by route template, method and status (never a raw path), the job queue and pool
//! are read at scrape time, and `/metrics` answers on `METRICS_ADDR` only, never on the public
//! port.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration, Utc};
use domain::both_backends;
use domain::jobs::{self, Registry};
use serde_json::json;
use server::metrics::{read_queue_and_pool, recorder};

/// The value of the sample named `name` whose labels include every one of `labels`.
fn sample(rendered: &str, name: &str, labels: &[&str]) -> Option<f64> {
    rendered
        .lines()
        .filter(|line| line.starts_with(&format!("{name}{{")))
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

both_backends! {
    async fn every_dashboard_panel_and_alert_reads_a_metric_the_server_exports(test: TestDb) {
        recorder();
        let env = support::env(&test).await;
        support::get(&env.router, "/api/v1/catalog/plans", None).await;
        read_queue_and_pool(&test.db).await.unwrap();
        let mut tx = test.db.begin().await.unwrap();
        jobs::enqueue(&mut tx, "dashboard_probe", &json!({}), Utc::now(), 1).await.unwrap();
        tx.commit().await.unwrap();
        read_queue_and_pool(&test.db).await.unwrap();
        let rendered = recorder().render();
        let exported = |name: &str| rendered.lines().any(|line| line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} ")));

        let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
        let mut read = 0;
        for file in ["grafana/dashboards/overview.json", "grafana/dashboards/live.json", "prometheus/alerts.yml"] {
            let text = std::fs::read_to_string(deploy.join(file)).unwrap();
            let exprs = expressions(&text);
            assert!(!exprs.is_empty(), "{file} has queries");
            for expr in exprs {
                // `up` is Prometheus's own, set for every scrape.
                for name in metrics_read_by(&expr).into_iter().filter(|name| name != "up") {
                    assert!(exported(&name), "{file}: `{name}` (in `{expr}`) is not a metric the server exports");
                    read += 1;
                }
            }
        }
        assert!(read >= 12, "only {read} metric reads found");
    }
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
