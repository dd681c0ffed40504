//! Attempt limits across nodes, through the real routers on both databases: two nodes (each
//! its own state, router and Redis connection, one database), asked in turn as a load balancer
//! without sticky sessions would, count one guesser's log-ins, reset requests and sign-ups
//! together when they share Redis, and each on its own when they do not.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use app::auth::{RequestPasswordReset, SignUp};
use axum::http::StatusCode;
use domain::accounts::inputs::Language;
use domain::rate_limit::SharedTally;
use domain::testing::TestDb;
use domain::{DomainConfig, both_backends};
use leptos::server_fn::ServerFn;
use support::{Env, PASSWORD, form_encode, login, server_fn};

const OWNER: &str = "pemilik@webrana.test";

/// Two nodes on the test database; with `shared`, both count in one Redis tally.
async fn two_nodes(test: &TestDb, shared: bool) -> [Env; 2] {
    let redis_url =
        std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    // Each run counts under its own prefix, so runs sharing the Redis do not meet.
    let prefix = format!("test-{}", uuid::Uuid::new_v4());
    let node = || async {
        let shared_limits = if shared {
            Some(SharedTally::connect(&redis_url, &prefix).await.unwrap())
        } else {
            None
        };
        let config = DomainConfig {
            shared_limits,
            ..support::config()
        };
        support::start_on(test.db.clone(), &config).await
    };
    let nodes = [node().await, node().await];
    support::customer(&nodes[0].state, OWNER, Language::Id).await;
    nodes
}

/// The statuses of `attempts` requests made by `ask`, sent to the nodes in turn.
async fn in_turn(
    nodes: &[Env; 2],
    attempts: usize,
    ask: impl AsyncFn(&Env) -> StatusCode,
) -> Vec<u16> {
    let mut statuses = Vec::new();
    for attempt in 0..attempts {
        statuses.push(ask(&nodes[attempt % 2]).await.as_u16());
    }
    statuses
}

async fn wrong_password(node: &Env) -> StatusCode {
    login(&node.router, OWNER, "salah-sekali-12").await.status
}

async fn reset_request(node: &Env) -> StatusCode {
    let form = format!("email={}", form_encode(OWNER));
    server_fn(&node.router, RequestPasswordReset::PATH, &form, None)
        .await
        .status
}

async fn sign_up_again(node: &Env) -> StatusCode {
    let form = format!(
        "name=Budi&email={}&password={PASSWORD}&language=id",
        form_encode(OWNER)
    );
    server_fn(&node.router, SignUp::PATH, &form, None)
        .await
        .status
}

both_backends! {
    async fn nodes_sharing_redis_hold_one_guesser_to_one_allowance(test: TestDb) {
        let nodes = two_nodes(&test, true).await;
        // Log-in: 10 tries at one address from one client, then a wait, on either node.
        let mut expected = vec![401; 10];
        expected.extend([429, 429]);
        assert_eq!(in_turn(&nodes, 12, wrong_password).await, expected);
        // Reset: 3 requests for one address, then a wait.
        assert_eq!(in_turn(&nodes, 4, reset_request).await, [200, 200, 200, 429]);
        // Sign-up of one address: 3 an hour from anywhere.
        assert_eq!(in_turn(&nodes, 4, sign_up_again).await, [200, 200, 200, 429]);
        for node in &nodes {
            assert_eq!(node.state.limits.login.remembered(), 0, "counted in Redis, not in the node");
        }
    }

    async fn nodes_without_redis_each_give_their_own_allowance(test: TestDb) {
        let nodes = two_nodes(&test, false).await;
        // Each node has seen 6 of the 12: within its own burst of 10.
        assert_eq!(in_turn(&nodes, 12, wrong_password).await, vec![401; 12]);
        assert_eq!(in_turn(&nodes, 6, reset_request).await, vec![200; 6]);
    }
}
