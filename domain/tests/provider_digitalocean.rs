#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The DigitalOcean adapter against a mock server answering in the shapes the v2 API documents
//! (`../shared/provider-apis/digitalocean/openapi-reseller-subset.json`): envelopes keyed by
//! resource, `links.pages.next` pagination, `{"id", "message"}` error bodies and the rate-limit
//! headers. The fixtures are our own, written in those shapes.

use std::time::{Duration, Instant};

use domain::providers::digitalocean::DigitalOceanProvider;
use domain::providers::{
    Action, ActionHandle, ActionKind, ActionProgress, CloudProvider, ConsoleAccess, CreateInstance,
    Lifecycle, ProviderError,
};
use serde_json::{Value, json};
use wiremock::matchers::{bearer_token, body_json, body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod support;

use support::mock_clouds::digitalocean::*;
use support::mock_clouds::{answer_in_turn, requests, settings};

#[tokio::test]
async fn sends_the_token_and_follows_pagination() {
    let server = MockServer::start().await;
    let next = format!(
        "{}/v2/regions?page=2&per_page=200",
        "https://api.digitalocean.com"
    );
    Mock::given(method("GET"))
        .and(path("/v2/regions"))
        .and(query_param("page", "2"))
        .respond_with(answer(200, json!({
            "regions": [{ "name": "Frankfurt 1", "slug": "fra1", "features": [], "available": false, "sizes": [] }],
            "links": { "pages": { "first": "https://api.digitalocean.com/v2/regions?page=1&per_page=200", "prev": "https://api.digitalocean.com/v2/regions?page=1&per_page=200" } },
            "meta": { "total": 2 },
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/regions"))
        .and(bearer_token(TOKEN))
        .and(query_param("per_page", "200"))
        .respond_with(answer(200, json!({
            "regions": [{ "name": "Singapore 1", "slug": "sgp1", "features": ["ipv6"], "available": true, "sizes": ["s-1vcpu-1gb"] }],
            "links": { "pages": { "last": next, "next": next } },
            "meta": { "total": 2 },
        })))
        .mount(&server)
        .await;

    let regions = provider(&server).list_regions().await.unwrap();
    assert_eq!(
        regions
            .iter()
            .map(|r| (r.slug.as_str(), r.available))
            .collect::<Vec<_>>(),
        [("sgp1", true), ("fra1", false)]
    );
    assert_eq!(regions[0].name, "Singapore 1");
    let seen = requests(&server).await;
    assert_eq!(seen.len(), 2);
    for request in &seen {
        assert_eq!(
            request.headers.get("authorization").unwrap(),
            &format!("Bearer {TOKEN}")
        );
    }
}

#[tokio::test]
async fn sizes_carry_their_regions_and_price_in_cents() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/sizes"))
        .respond_with(answer(200, json!({
            "sizes": [
                { "slug": "s-1vcpu-1gb", "memory": 1024, "vcpus": 1, "disk": 25, "transfer": 1.0, "price_monthly": 6.0, "price_hourly": 0.00893, "regions": ["sgp1", "fra1"], "available": true, "description": "Basic" },
                { "slug": "s-2vcpu-4gb", "memory": 4096, "vcpus": 2, "disk": 80, "transfer": 4.0, "price_monthly": 24.0, "price_hourly": 0.03571, "regions": [], "available": false, "description": "Basic" },
            ],
            "links": {},
            "meta": { "total": 2 },
        })))
        .mount(&server)
        .await;

    let sizes = provider(&server).list_sizes().await.unwrap();
    assert_eq!(sizes.len(), 2);
    assert_eq!(sizes[0].slug, "s-1vcpu-1gb");
    assert_eq!(sizes[0].cost_cents_monthly, 600);
    assert_eq!(sizes[0].transfer_gb, 1000);
    assert_eq!(sizes[0].memory_mb, 1024);
    assert_eq!(sizes[0].regions, ["sgp1", "fra1"]);
    assert!(!sizes[1].available);
}

#[tokio::test]
async fn images_are_the_public_distributions() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/images"))
        .and(query_param("type", "distribution"))
        .respond_with(answer(200, json!({
            "images": [
                { "id": 170000001, "name": "12 x64", "distribution": "Debian", "slug": "debian-12-x64", "public": true, "regions": ["sgp1"], "type": "base", "min_disk_size": 15, "status": "available" },
                { "id": 170000002, "name": "9 x64", "distribution": "Rocky Linux", "slug": "rockylinux-9-x64", "public": true, "regions": ["sgp1"], "type": "base", "min_disk_size": 10, "status": "available" },
                { "id": 170000003, "name": "private build", "distribution": "Ubuntu", "slug": null, "public": false, "regions": ["sgp1"], "type": "custom", "min_disk_size": 20, "status": "available" },
            ],
            "links": {},
            "meta": { "total": 3 },
        })))
        .mount(&server)
        .await;

    let images = provider(&server).list_images().await.unwrap();
    assert_eq!(images.len(), 2);
    assert_eq!(images[0].slug, "debian-12-x64");
    assert_eq!(images[0].name, "Debian 12 x64");
    assert_eq!(images[0].distribution, "debian");
    assert_eq!(images[0].min_disk_gb, Some(15));
    assert_eq!(images[1].distribution, "rocky");
}

#[tokio::test]
async fn create_tags_the_label_and_delivers_password_and_keys_by_cloud_init() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/droplets"))
        .and(bearer_token(TOKEN))
        .and(body_partial_json(json!({
            "name": "shop.customer.test",
            "region": "sgp1",
            "size": "s-2vcpu-2gb",
            "image": "debian-12-x64",
            "tags": ["wr-a1b2c3-42"],
        })))
        .respond_with(answer(202, json!({
            "droplet": droplet(51000001, "new", json!([]), json!([]), &["wr-a1b2c3-42"]),
            "links": { "actions": [{ "id": 900001, "rel": "create", "href": "https://api.digitalocean.com/v2/actions/900001" }] },
        })))
        .expect(1)
        .mount(&server)
        .await;

    let created = provider(&server)
        .create_instance(&create_request())
        .await
        .unwrap();
    assert_eq!(created.instance.id, "51000001");
    assert_eq!(created.instance.label, "wr-a1b2c3-42");
    assert_eq!(created.instance.status, Lifecycle::Provisioning);
    assert_eq!(created.instance.ipv4, None);
    assert_eq!(created.generated_password, None);

    let body: Value = requests(&server).await[0].body_json().unwrap();
    // Customer keys go through cloud-init, not DigitalOcean's account-registered `ssh_keys`.
    assert!(body.get("ssh_keys").is_none());
    let user_data = body["user_data"].as_str().unwrap();
    assert!(user_data.starts_with("#cloud-config\n"));
    assert!(user_data.contains("chpasswd"));
    assert!(user_data.contains("Kp7qRt2vXw9yZa3bCd4e"));
    assert!(user_data.contains("ssh_authorized_keys"));
    assert!(user_data.contains("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk customer@laptop"));
}

#[tokio::test]
async fn create_without_password_or_key_is_refused_before_calling() {
    let server = MockServer::start().await;
    let request = CreateInstance {
        root_password: None,
        ssh_keys: Vec::new(),
        ..create_request()
    };
    let refused = provider(&server).create_instance(&request).await;
    assert!(matches!(refused, Err(ProviderError::Invalid(_))));
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn a_create_that_fails_with_5xx_is_not_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/droplets"))
        .respond_with(error(500, "server_error", "Unexpected server-side error"))
        .mount(&server)
        .await;
    let failed = provider(&server).create_instance(&create_request()).await;
    assert!(
        matches!(failed, Err(ProviderError::Unavailable(_))),
        "{failed:?}"
    );
    assert_eq!(requests(&server).await.len(), 1);
}

/// A cloud that reads each request in full and then hangs up without a word: the create
/// reached it, its answer never comes back. Answers how many requests it read.
async fn hanging_up_cloud() -> (String, tokio::task::JoinHandle<usize>) {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = tokio::spawn(async move {
        let mut read = 0;
        while let Ok(Ok((mut socket, _))) =
            tokio::time::timeout(Duration::from_millis(700), listener.accept()).await
        {
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            // Up to the end of the JSON body: the whole create has arrived.
            while !request.ends_with(b"}") {
                match socket.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            read += 1;
            drop(socket);
        }
        read
    });
    (base, served)
}

#[tokio::test]
async fn a_create_whose_connection_drops_after_sending_is_not_sent_again() {
    let (base, served) = hanging_up_cloud().await;
    let provider =
        DigitalOceanProvider::with_settings(TOKEN.to_owned(), Some(base), settings()).unwrap();
    let failed = provider.create_instance(&create_request()).await;
    assert!(
        matches!(&failed, Err(error) if error.is_transient()),
        "a lost answer is worth another look later, not a failure: {failed:?}"
    );
    assert_eq!(served.await.unwrap(), 1, "the create was sent once");
}

#[tokio::test]
async fn a_create_whose_answer_times_out_is_not_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/droplets"))
        .respond_with(answer(202, json!({})).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let failed = provider(&server).create_instance(&create_request()).await;
    assert!(
        matches!(failed, Err(ProviderError::Unavailable(_))),
        "{failed:?}"
    );
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn find_by_label_asks_by_tag() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/droplets"))
        .and(query_param("tag_name", "wr-a1b2c3-42"))
        .respond_with(answer(200, json!({
            "droplets": [droplet(51000001, "active", public_v4(), public_v6(), &["wr-a1b2c3-42"])],
            "links": {},
            "meta": { "total": 1 },
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/droplets"))
        .and(query_param("tag_name", "wr-a1b2c3-43"))
        .respond_with(answer(
            200,
            json!({ "droplets": [], "links": {}, "meta": { "total": 0 } }),
        ))
        .mount(&server)
        .await;

    let adapter = provider(&server);
    let found = adapter
        .find_by_label("wr-a1b2c3-42")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, "51000001");
    assert_eq!(found.ipv4.as_deref(), Some("203.0.113.24"));
    assert_eq!(adapter.find_by_label("wr-a1b2c3-43").await.unwrap(), None);
}

#[tokio::test]
async fn droplet_statuses_map_onto_the_lifecycle() {
    let server = MockServer::start().await;
    let cases = [
        (1, droplet(1, "new", json!([]), json!([]), &["wr-x-1"])),
        (
            2,
            droplet(2, "active", public_v4(), public_v6(), &["wr-x-2"]),
        ),
        // Active, but only the private address exists yet.
        (
            3,
            droplet(
                3,
                "active",
                json!([{ "ip_address": "10.130.0.9", "netmask": "255.255.240.0", "gateway": "nil", "type": "private" }]),
                json!([]),
                &["wr-x-3"],
            ),
        ),
        (4, droplet(4, "off", public_v4(), public_v6(), &["wr-x-4"])),
        (5, droplet(5, "archive", json!([]), json!([]), &["wr-x-5"])),
    ];
    for (id, body) in cases {
        Mock::given(method("GET"))
            .and(path(format!("/v2/droplets/{id}")))
            .respond_with(answer(200, json!({ "droplet": body })))
            .mount(&server)
            .await;
    }
    let adapter = provider(&server);

    let new = adapter.get_instance("1").await.unwrap();
    assert_eq!(
        (new.status, new.provider_status.as_str()),
        (Lifecycle::Provisioning, "new")
    );
    let running = adapter.get_instance("2").await.unwrap();
    assert_eq!(running.status, Lifecycle::Running);
    assert_eq!(running.ipv4.as_deref(), Some("203.0.113.24"));
    assert_eq!(running.ipv6.as_deref(), Some("2001:db8:d0::24"));
    assert_eq!(running.label, "wr-x-2");
    let no_ip_yet = adapter.get_instance("3").await.unwrap();
    assert_eq!(
        (no_ip_yet.status, no_ip_yet.ipv4),
        (Lifecycle::Running, None)
    );
    assert_eq!(
        adapter.get_instance("4").await.unwrap().status,
        Lifecycle::Stopped
    );
    assert_eq!(
        adapter.get_instance("5").await.unwrap().status,
        Lifecycle::Deleted
    );
    // No console API: the server exists, and there is nothing to open.
    assert_eq!(adapter.console("2").await, Ok(ConsoleAccess::None));
}

#[tokio::test]
async fn a_rejected_token_says_so() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(error(401, "unauthorized", "Unable to authenticate you."))
        .mount(&server)
        .await;
    let failed = provider(&server).list_regions().await.unwrap_err();
    let ProviderError::Provider(message) = &failed else {
        panic!("expected a provider error, got {failed:?}");
    };
    assert!(message.contains("rejected our API token"), "{message}");
    assert!(message.contains("Unable to authenticate you."), "{message}");
    assert!(!message.contains(TOKEN));
    assert!(!failed.is_transient());
    // A refused token is not retried.
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_missing_droplet_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/droplets/404404"))
        .respond_with(error(
            404,
            "not_found",
            "The resource you were accessing could not be found.",
        ))
        .mount(&server)
        .await;
    let adapter = provider(&server);
    assert_eq!(
        adapter.get_instance("404404").await,
        Err(ProviderError::NotFound)
    );
    // Not a droplet id at all: nothing to ask.
    assert_eq!(
        adapter.get_instance("../v2/account").await,
        Err(ProviderError::NotFound)
    );
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn actions_start_and_are_followed_to_the_end() {
    let server = MockServer::start().await;
    for (kind, id) in [
        ("power_on", 1),
        ("power_off", 2),
        ("shutdown", 3),
        ("reboot", 4),
    ] {
        Mock::given(method("POST"))
            .and(path("/v2/droplets/51000001/actions"))
            .and(body_partial_json(json!({ "type": kind })))
            .respond_with(answer(201, action(id, "in-progress", kind)))
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/v2/droplets/51000001/actions"))
        .and(body_partial_json(
            json!({ "type": "rebuild", "image": "ubuntu-24-04-x64" }),
        ))
        .respond_with(answer(201, action(5, "in-progress", "rebuild")))
        .mount(&server)
        .await;
    for (id, status) in [(1, "in-progress"), (2, "completed"), (3, "errored")] {
        Mock::given(method("GET"))
            .and(path(format!("/v2/actions/{id}")))
            .respond_with(answer(200, action(id, status, "power_on")))
            .mount(&server)
            .await;
    }
    let adapter = provider(&server);

    let actions = [
        (Action::PowerOn, "1"),
        (Action::PowerOff, "2"),
        (Action::Shutdown, "3"),
        (Action::Reboot, "4"),
    ];
    for (action, id) in actions {
        let handle = adapter.perform_action("51000001", &action).await.unwrap();
        assert_eq!(handle.id.as_deref(), Some(id));
    }
    let rebuild = Action::Rebuild {
        image: "ubuntu-24-04-x64".to_owned(),
        password: Some("Kp7qRt2vXw9yZa3bCd4e".to_owned()),
        ssh_keys: Vec::new(),
    };
    let handle = adapter.perform_action("51000001", &rebuild).await.unwrap();
    assert_eq!(handle.id.as_deref(), Some("5"));
    // DigitalOcean's rebuild cannot take a password: none is claimed.
    assert_eq!(handle.generated_password, None);

    let progress = |id: &str| ActionHandle {
        id: Some(id.to_owned()),
        generated_password: None,
    };
    let kind = ActionKind::PowerOn;
    assert_eq!(
        adapter
            .action_progress("51000001", kind, &progress("1"))
            .await,
        Ok(ActionProgress::InProgress)
    );
    assert_eq!(
        adapter
            .action_progress("51000001", kind, &progress("2"))
            .await,
        Ok(ActionProgress::Done)
    );
    assert!(matches!(
        adapter
            .action_progress("51000001", kind, &progress("3"))
            .await,
        Ok(ActionProgress::Failed(_))
    ));
}

#[tokio::test]
async fn a_resize_takes_the_disk_along_and_is_followed_by_its_action() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/droplets/51000001/actions"))
        .and(bearer_token(TOKEN))
        .and(body_json(
            json!({ "type": "resize", "size": "s-2vcpu-4gb", "disk": true }),
        ))
        .respond_with(answer(201, action(36804700, "in-progress", "resize")))
        .expect(1)
        .mount(&server)
        .await;
    answer_in_turn(
        &server,
        "GET",
        "/v2/actions/36804700",
        vec![
            answer(200, action(36804700, "in-progress", "resize")),
            answer(200, action(36804700, "completed", "resize")),
        ],
    )
    .await;
    let adapter = provider(&server);
    let capabilities = adapter.capabilities();
    assert!(capabilities.resize);
    // The disk grows for good, and the droplet must be off.
    assert!(!capabilities.resize_down);
    assert!(capabilities.resize_needs_power_off);

    let handle = adapter.resize("51000001", "s-2vcpu-4gb").await.unwrap();
    assert_eq!(handle.id.as_deref(), Some("36804700"));
    assert_eq!(
        adapter
            .resize_progress("51000001", "s-2vcpu-4gb", &handle)
            .await,
        Ok(ActionProgress::InProgress)
    );
    assert_eq!(
        adapter
            .resize_progress("51000001", "s-2vcpu-4gb", &handle)
            .await,
        Ok(ActionProgress::Done)
    );
}

#[tokio::test]
async fn a_resize_of_a_droplet_that_is_on_is_refused_with_the_reason() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/droplets/51000001/actions"))
        .respond_with(error(
            422,
            "unprocessable_entity",
            "Droplet must be powered off before it can be resized.",
        ))
        .mount(&server)
        .await;
    let refused = provider(&server).resize("51000001", "s-2vcpu-4gb").await;
    assert_eq!(
        refused,
        Err(ProviderError::Invalid(
            "Droplet must be powered off before it can be resized.".to_owned()
        ))
    );
    // Not a droplet id: nothing is sent.
    assert_eq!(
        provider(&server)
            .resize("../v2/account", "s-2vcpu-4gb")
            .await,
        Err(ProviderError::NotFound)
    );
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn password_reset_is_not_offered_and_never_sent() {
    let server = MockServer::start().await;
    let adapter = provider(&server);
    assert!(!adapter.capabilities().password_reset);
    assert!(adapter.capabilities().accepts_root_password);
    let reset = Action::ResetPassword {
        password: "Kp7qRt2vXw9yZa3bCd4e".to_owned(),
    };
    assert!(matches!(
        adapter.perform_action("51000001", &reset).await,
        Err(ProviderError::Invalid(_))
    ));
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn a_pending_event_means_busy() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/droplets/51000001/actions"))
        .respond_with(error(
            422,
            "unprocessable_entity",
            "Droplet already has a pending event.",
        ))
        .mount(&server)
        .await;
    let busy = provider(&server)
        .perform_action("51000001", &Action::Reboot)
        .await;
    assert_eq!(busy, Err(ProviderError::Busy));
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn other_422s_carry_the_providers_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/droplets"))
        .respond_with(error(
            422,
            "unprocessable_entity",
            "Size is not available in this region.",
        ))
        .mount(&server)
        .await;
    let refused = provider(&server).create_instance(&create_request()).await;
    assert_eq!(
        refused.unwrap_err(),
        ProviderError::Invalid("Size is not available in this region.".to_owned())
    );
}

#[tokio::test]
async fn a_429_waits_as_told_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/droplets/51000001"))
        .respond_with(
            error(429, "too_many_requests", "API rate limit exceeded.")
                .insert_header("ratelimit-remaining", "0")
                .insert_header("retry-after", "1"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/droplets/51000001"))
        .respond_with(answer(200, json!({ "droplet": droplet(51000001, "active", public_v4(), public_v6(), &["wr-a1b2c3-42"]) })))
        .mount(&server)
        .await;

    let started = Instant::now();
    let found = provider(&server).get_instance("51000001").await.unwrap();
    assert_eq!(found.status, Lifecycle::Running);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn a_429_asking_for_a_long_wait_goes_back_to_the_caller() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            error(429, "too_many_requests", "API rate limit exceeded.")
                .insert_header("retry-after", "29"),
        )
        .mount(&server)
        .await;
    let limited = provider(&server)
        .get_instance("51000001")
        .await
        .unwrap_err();
    assert_eq!(
        limited,
        ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(29))
        }
    );
    assert!(limited.is_transient());
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/droplets/51000001"))
        .respond_with(error(
            503,
            "service_unavailable",
            "Service temporarily unavailable",
        ))
        .mount(&server)
        .await;
    let failed = provider(&server)
        .get_instance("51000001")
        .await
        .unwrap_err();
    assert!(
        matches!(failed, ProviderError::Unavailable(_)),
        "{failed:?}"
    );
    assert!(failed.is_transient());
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn a_server_error_then_success_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/actions/7"))
        .respond_with(error(502, "server_error", "Bad gateway"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/actions/7"))
        .respond_with(answer(200, action(7, "completed", "reboot")))
        .mount(&server)
        .await;
    let handle = ActionHandle {
        id: Some("7".to_owned()),
        generated_password: None,
    };
    let progress = provider(&server)
        .action_progress("51000001", ActionKind::Reboot, &handle)
        .await;
    assert_eq!(progress, Ok(ActionProgress::Done));
}

#[tokio::test]
async fn a_slow_answer_times_out_as_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(answer(200, json!({ "regions": [] })).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let started = Instant::now();
    let failed = provider(&server).list_regions().await.unwrap_err();
    assert!(
        matches!(&failed, ProviderError::Unavailable(message) if message.contains("no answer")),
        "{failed:?}"
    );
    // Three tries of 0.5 s each, not three of 3 s.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn malformed_json_is_an_error_not_a_panic() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/droplets/51000001"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("{\"droplet\": {\"id\": ", "application/json"),
        )
        .mount(&server)
        .await;
    let failed = provider(&server)
        .get_instance("51000001")
        .await
        .unwrap_err();
    assert!(
        matches!(&failed, ProviderError::Provider(message) if message.contains("cannot read")),
        "{failed:?}"
    );
    assert!(!failed.is_transient());
}

#[tokio::test]
async fn delete_is_idempotent() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/v2/droplets/51000001"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v2/droplets/51000002"))
        .respond_with(error(
            404,
            "not_found",
            "The resource you were accessing could not be found.",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let adapter = provider(&server);
    assert_eq!(adapter.delete_instance("51000001").await, Ok(()));
    assert_eq!(adapter.delete_instance("51000002").await, Ok(()));
}

#[tokio::test]
async fn an_unreachable_api_is_unavailable() {
    // Nothing listens on the discard port; the connection is refused at once.
    let adapter = DigitalOceanProvider::with_settings(
        TOKEN.to_owned(),
        Some("http://127.0.0.1:9".to_owned()),
        settings(),
    )
    .unwrap();
    let failed = adapter.get_instance("51000001").await.unwrap_err();
    assert!(
        matches!(&failed, ProviderError::Unavailable(message) if message.contains("cannot connect")),
        "{failed:?}"
    );
}

#[test]
fn debug_output_hides_the_token() {
    let adapter = DigitalOceanProvider::new(TOKEN.to_owned(), None).unwrap();
    let shown = format!("{adapter:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("api.digitalocean.com"));
    assert_eq!(adapter.name(), "digitalocean");
}
