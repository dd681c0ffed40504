//! Graceful shutdown: requests already running finish; the grace period bounds the wait.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use server::startup::serve;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

async fn slow_server(
    handler_delay: Duration,
    grace: Duration,
) -> (
    String,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let router = Router::new().route(
        "/slow",
        get(move || async move {
            tokio::time::sleep(handler_delay).await;
            "finished"
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/slow", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        router,
        async move {
            let _ = stopped.await;
        },
        grace,
    ));
    (url, stop, server)
}

#[tokio::test]
async fn in_flight_requests_finish_after_the_stop_signal() {
    let (url, stop, server) =
        slow_server(Duration::from_millis(500), Duration::from_secs(10)).await;
    let request = tokio::spawn(async move { reqwest::get(&url).await?.text().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    assert_eq!(request.await.unwrap().unwrap(), "finished");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server kept running after its last request")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn the_grace_period_bounds_the_wait_for_stuck_requests() {
    let (url, stop, server) =
        slow_server(Duration::from_secs(3600), Duration::from_millis(200)).await;
    let request = tokio::spawn(async move { reqwest::get(&url).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("server waited past its grace period")
        .unwrap()
        .unwrap();
    request.abort();
}
