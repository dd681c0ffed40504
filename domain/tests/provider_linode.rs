#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Linode adapter against a mock server answering in the shapes the v4 API documents
//! (`../shared/provider-apis/linode/openapi-reseller-subset.json` and the conventions text):
//! `{data, page, pages, results}` pages, bare Linode objects, `{}` for actions, events for
//! progress, `{"errors": [{"field", "reason"}]}` error bodies and the rate-limit headers. The
//! fixtures are our own, written in those shapes.

use std::time::{Duration, Instant};

use domain::providers::linode::LinodeProvider;
use domain::providers::{
    Action, ActionHandle, ActionKind, ActionProgress, CloudProvider, ConsoleAccess, ConsoleKind,
    CreateInstance, Lifecycle, ProviderError,
};
use serde_json::{Value, json};
use wiremock::matchers::{bearer_token, body_json, body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod support;

use support::mock_clouds::linode::*;
use support::mock_clouds::{answer_in_turn, requests};

#[tokio::test]
async fn sends_the_token_and_follows_pagination() {
    let server = MockServer::start().await;
    let region = |id: &str, label: &str, country: &str, status: &str, caps: Value| {
        json!({ "id": id, "label": label, "country": country, "capabilities": caps, "status": status,
                "resolvers": { "ipv4": "192.0.2.0,192.0.2.1", "ipv6": "2001:db8::,2001:db8::1" }, "site_type": "core" })
    };
    Mock::given(method("GET"))
        .and(path("/v4/regions"))
        .and(bearer_token(TOKEN))
        .and(query_param("page", "1"))
        .respond_with(answer(
            200,
            page(
                json!([region(
                    "ap-south",
                    "Singapore, SG",
                    "sg",
                    "ok",
                    json!(["Linodes", "Block Storage"])
                )]),
                1,
                2,
                3,
            ),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v4/regions"))
        .and(bearer_token(TOKEN))
        .and(query_param("page", "2"))
        .respond_with(answer(
            200,
            page(
                json!([
                    region(
                        "eu-central",
                        "Frankfurt, DE",
                        "de",
                        "outage",
                        json!(["Linodes"])
                    ),
                    region(
                        "us-objonly",
                        "Object only",
                        "us",
                        "ok",
                        json!(["Object Storage"])
                    ),
                ]),
                2,
                2,
                3,
            ),
        ))
        .mount(&server)
        .await;

    let regions = provider(&server).list_regions().await.unwrap();
    assert_eq!(
        regions
            .iter()
            .map(|r| (r.slug.as_str(), r.available))
            .collect::<Vec<_>>(),
        [("ap-south", true), ("eu-central", false)]
    );
    assert_eq!(regions[0].name, "Singapore, SG");
    assert_eq!(regions[0].country.as_deref(), Some("SG"));
    let seen = requests(&server).await;
    assert_eq!(seen.len(), 2);
    for request in &seen {
        assert_eq!(
            request.headers.get("authorization").unwrap(),
            &format!("Bearer {TOKEN}")
        );
        assert!(request.url.query().unwrap().contains("page_size=500"));
    }
}

#[tokio::test]
async fn types_become_sizes_in_every_linode_region() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/linode/types"))
        .respond_with(answer(200, page(json!([
            { "id": "g6-nanode-1", "label": "Nanode 1GB", "class": "nanode", "vcpus": 1, "memory": 1024, "disk": 25600, "transfer": 1000, "network_out": 1000, "gpus": 0,
              "price": { "hourly": 0.0075, "monthly": 5.0 }, "region_prices": [{ "id": "id-cgk", "hourly": 0.009, "monthly": 6.0 }],
              "addons": { "backups": { "price": { "hourly": 0.003, "monthly": 2.0 }, "region_prices": [] } }, "successor": null },
            { "id": "g6-standard-2", "label": "Linode 4GB", "class": "standard", "vcpus": 2, "memory": 4096, "disk": 81920, "transfer": 4000, "network_out": 4000, "gpus": 0,
              "price": { "hourly": 0.036, "monthly": 24.0 }, "region_prices": [],
              "addons": { "backups": { "price": { "hourly": 0.0075, "monthly": 5.0 }, "region_prices": [] } }, "successor": null },
        ]), 1, 1, 2)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v4/regions"))
        .respond_with(answer(200, page(json!([
            { "id": "ap-south", "label": "Singapore, SG", "country": "sg", "capabilities": ["Linodes"], "status": "ok" },
            { "id": "us-east", "label": "Newark, NJ", "country": "us", "capabilities": ["Linodes", "NodeBalancers"], "status": "ok" },
            { "id": "us-objonly", "label": "Object only", "country": "us", "capabilities": ["Object Storage"], "status": "ok" },
        ]), 1, 1, 3)))
        .mount(&server)
        .await;

    let sizes = provider(&server).list_sizes().await.unwrap();
    assert_eq!(sizes.len(), 2);
    assert_eq!(sizes[0].slug, "g6-nanode-1");
    assert_eq!(
        (sizes[0].vcpus, sizes[0].memory_mb, sizes[0].disk_gb),
        (1, 1024, 25)
    );
    assert_eq!(sizes[0].transfer_gb, 1000);
    // Jakarta charges more than the base price: the dearest region is the cost.
    assert_eq!(sizes[0].cost_cents_monthly, 600);
    assert_eq!(sizes[0].regions, ["ap-south", "us-east"]);
    assert!(sizes[0].available);
    assert_eq!(sizes[1].disk_gb, 80);
    assert_eq!(sizes[1].cost_cents_monthly, 2400);
}

#[tokio::test]
async fn images_are_the_public_available_ones() {
    let server = MockServer::start().await;
    let image = |id: &str, label: &str, vendor: Value, public: bool, deprecated: bool| {
        json!({ "id": id, "label": label, "vendor": vendor, "is_public": public, "deprecated": deprecated,
                "status": "available", "size": 2500, "type": "manual", "created": "2025-06-10T00:00:00",
                "created_by": "linode", "description": "", "eol": "2028-06-30T04:00:00", "expiry": null,
                "updated": "2025-06-10T00:00:00", "capabilities": ["cloud-init"], "tags": [], "total_size": 2500, "regions": [] })
    };
    Mock::given(method("GET"))
        .and(path("/v4/images"))
        .respond_with(answer(
            200,
            page(
                json!([
                    image("linode/debian12", "Debian 12", json!("Debian"), true, false),
                    image(
                        "linode/rocky9",
                        "Rocky Linux 9",
                        json!("Rocky Linux"),
                        true,
                        false
                    ),
                    image("linode/centos7", "CentOS 7", json!("CentOS"), true, true),
                    image("private/123", "my golden image", json!(null), false, false),
                ]),
                1,
                1,
                4,
            ),
        ))
        .mount(&server)
        .await;

    let images = provider(&server).list_images().await.unwrap();
    assert_eq!(images.len(), 2);
    assert_eq!(images[0].slug, "linode/debian12");
    assert_eq!(images[0].name, "Debian 12");
    assert_eq!(images[0].distribution, "debian");
    assert_eq!(images[0].min_disk_gb, Some(3));
    assert_eq!(images[1].distribution, "rocky");
}

#[tokio::test]
async fn create_sends_label_root_pass_and_authorized_keys() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v4/linode/instances"))
        .and(bearer_token(TOKEN))
        .and(body_partial_json(json!({
            "type": "g6-standard-1",
            "region": "ap-south",
            "image": "linode/debian12",
            "label": "wr-a1b2c3-42",
            "root_pass": PASSWORD,
            "authorized_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk customer@laptop"],
            "tags": ["webrana-cloud"],
        })))
        .respond_with(answer(
            200,
            linode(
                51000001,
                "wr-a1b2c3-42",
                "provisioning",
                &["203.0.113.50", "192.168.140.20"],
                Some("2001:db8::f03c:91ff:fe24:3a2f/128"),
            ),
        ))
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
    assert_eq!(created.instance.ipv4.as_deref(), Some("203.0.113.50"));
    assert_eq!(
        created.instance.ipv6.as_deref(),
        Some("2001:db8::f03c:91ff:fe24:3a2f")
    );
    // We chose the password; Linode generates none.
    assert_eq!(created.generated_password, None);
}

#[tokio::test]
async fn create_without_password_or_with_a_bad_label_is_refused_before_calling() {
    let server = MockServer::start().await;
    let adapter = provider(&server);
    let no_password = CreateInstance {
        root_password: None,
        ..create_request()
    };
    assert!(matches!(
        adapter.create_instance(&no_password).await,
        Err(ProviderError::Invalid(_))
    ));
    let bad_label = CreateInstance {
        label: "wr a1b2c3 42".to_owned(),
        ..create_request()
    };
    assert!(matches!(
        adapter.create_instance(&bad_label).await,
        Err(ProviderError::Invalid(_))
    ));
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn a_weak_password_is_refused_with_the_field() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v4/linode/instances"))
        .respond_with(error(
            400,
            Some("root_pass"),
            "Password does not meet strength requirement.",
        ))
        .mount(&server)
        .await;
    let refused = provider(&server).create_instance(&create_request()).await;
    assert_eq!(
        refused.unwrap_err(),
        ProviderError::Invalid(
            "root_pass: Password does not meet strength requirement.".to_owned()
        )
    );
}

#[tokio::test]
async fn a_create_that_fails_with_5xx_or_times_out_is_not_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v4/linode/instances"))
        .respond_with(error(500, None, "Internal Server Error"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v4/linode/instances"))
        .respond_with(answer(200, json!({})).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let adapter = provider(&server);
    let failed = adapter.create_instance(&create_request()).await;
    assert!(
        matches!(failed, Err(ProviderError::Unavailable(_))),
        "{failed:?}"
    );
    assert_eq!(requests(&server).await.len(), 1);
    let failed = adapter.create_instance(&create_request()).await;
    assert!(
        matches!(failed, Err(ProviderError::Unavailable(_))),
        "{failed:?}"
    );
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn find_by_label_reads_every_page_and_filters() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/linode/instances"))
        .and(query_param("page", "1"))
        .respond_with(answer(
            200,
            page(
                json!([linode(
                    7,
                    "someone-elses",
                    "running",
                    &["198.51.100.7"],
                    None
                )]),
                1,
                2,
                2,
            ),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v4/linode/instances"))
        .and(query_param("page", "2"))
        .respond_with(answer(
            200,
            page(
                json!([linode(
                    51000001,
                    "wr-a1b2c3-42",
                    "running",
                    &["203.0.113.50"],
                    Some("2001:db8::1/128")
                )]),
                2,
                2,
                2,
            ),
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
    assert_eq!(found.ipv4.as_deref(), Some("203.0.113.50"));
    assert_eq!(adapter.find_by_label("wr-a1b2c3-43").await.unwrap(), None);
}

#[tokio::test]
async fn linode_statuses_map_onto_the_lifecycle() {
    let server = MockServer::start().await;
    let cases = [
        ("provisioning", Lifecycle::Provisioning),
        ("booting", Lifecycle::Provisioning),
        ("rebuilding", Lifecycle::Provisioning),
        ("cloning", Lifecycle::Provisioning),
        ("restoring", Lifecycle::Provisioning),
        ("running", Lifecycle::Running),
        ("rebooting", Lifecycle::Running),
        ("shutting_down", Lifecycle::Running),
        ("migrating", Lifecycle::Running),
        ("busy", Lifecycle::Running),
        ("offline", Lifecycle::Stopped),
        ("stopped", Lifecycle::Stopped),
        ("deleting", Lifecycle::Deleting),
        ("billing_suspension", Lifecycle::Error),
        ("melted", Lifecycle::Error),
    ];
    for (id, (status, _)) in cases.iter().enumerate() {
        Mock::given(method("GET"))
            .and(path(format!("/v4/linode/instances/{}", id + 1)))
            .respond_with(answer(
                200,
                linode(
                    id as u64 + 1,
                    "wr-x-1",
                    status,
                    &["192.168.130.9", "203.0.113.9"],
                    Some("2001:db8::9/128"),
                ),
            ))
            .mount(&server)
            .await;
    }
    let adapter = provider(&server);
    for (id, (status, expected)) in cases.iter().enumerate() {
        let found = adapter.get_instance(&(id + 1).to_string()).await.unwrap();
        assert_eq!(
            (found.status, found.provider_status.as_str()),
            (*expected, *status)
        );
        assert_eq!(found.message.is_some(), *expected == Lifecycle::Error);
        // The private address is skipped even when listed first.
        assert_eq!(found.ipv4.as_deref(), Some("203.0.113.9"));
        assert_eq!(found.ipv6.as_deref(), Some("2001:db8::9"));
    }
    // No console API: the server exists, and there is nothing to open.
    assert_eq!(adapter.console("1").await, Ok(ConsoleAccess::None));
}

#[tokio::test]
async fn capabilities_say_what_linode_does() {
    let server = MockServer::start().await;
    let capabilities = provider(&server).capabilities();
    assert!(capabilities.graceful_shutdown);
    assert!(capabilities.password_reset);
    assert!(capabilities.password_reset_needs_stop);
    assert!(capabilities.rebuild);
    assert!(capabilities.accepts_root_password);
    assert!(capabilities.rebuild_sets_password);
    assert!(capabilities.resize);
    // Down to a plan whose disk holds the data, and without stopping it first.
    assert!(capabilities.resize_down);
    assert!(!capabilities.resize_needs_power_off);
    assert_eq!(capabilities.console, ConsoleKind::None);
}

#[tokio::test]
async fn actions_post_to_their_commands_and_note_the_newest_event() {
    let server = MockServer::start().await;
    mount_events(
        &server,
        json!([
            event(900, "linode_create", 51000001, "finished"),
            event(899, "linode_boot", 51000001, "finished"),
        ]),
    )
    .await;
    for command in ["boot", "shutdown", "reboot"] {
        Mock::given(method("POST"))
            .and(path(format!("/v4/linode/instances/51000001/{command}")))
            .respond_with(answer(200, json!({})))
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/v4/linode/instances/51000001/rebuild"))
        .and(body_partial_json(json!({
            "image": "linode/ubuntu24.04",
            "root_pass": PASSWORD,
            "authorized_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk customer@laptop"],
        })))
        .respond_with(answer(
            200,
            linode(
                51000001,
                "wr-a1b2c3-42",
                "rebuilding",
                &["203.0.113.50"],
                None,
            ),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let adapter = provider(&server);
    for action in [
        Action::PowerOn,
        Action::PowerOff,
        Action::Shutdown,
        Action::Reboot,
    ] {
        let handle = adapter.perform_action("51000001", &action).await.unwrap();
        assert_eq!(handle.id.as_deref(), Some("900"));
        assert_eq!(handle.generated_password, None);
    }
    let rebuild = Action::Rebuild {
        image: "linode/ubuntu24.04".to_owned(),
        password: Some(PASSWORD.to_owned()),
        ssh_keys: create_request().ssh_keys,
    };
    let handle = adapter.perform_action("51000001", &rebuild).await.unwrap();
    assert_eq!(handle.id.as_deref(), Some("900"));
    // Our password is the one installed; Linode chose none.
    assert_eq!(handle.generated_password, None);

    let posted: Vec<String> = requests(&server)
        .await
        .into_iter()
        .filter(|request| request.method.as_str() == "POST")
        .map(|request| request.url.path().to_owned())
        .collect();
    assert_eq!(
        posted,
        [
            "/v4/linode/instances/51000001/boot",
            "/v4/linode/instances/51000001/shutdown",
            "/v4/linode/instances/51000001/shutdown",
            "/v4/linode/instances/51000001/reboot",
            "/v4/linode/instances/51000001/rebuild",
        ]
    );
}

#[tokio::test]
async fn a_rebuild_without_a_password_is_refused_before_calling() {
    let server = MockServer::start().await;
    let rebuild = Action::Rebuild {
        image: "linode/ubuntu24.04".to_owned(),
        password: None,
        ssh_keys: Vec::new(),
    };
    assert!(matches!(
        provider(&server).perform_action("51000001", &rebuild).await,
        Err(ProviderError::Invalid(_))
    ));
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn password_reset_sends_root_pass() {
    let server = MockServer::start().await;
    mount_events(&server, json!([])).await;
    Mock::given(method("POST"))
        .and(path("/v4/linode/instances/51000001/password"))
        .and(body_json(json!({ "root_pass": PASSWORD })))
        .respond_with(answer(200, json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let reset = Action::ResetPassword {
        password: PASSWORD.to_owned(),
    };
    let handle = provider(&server)
        .perform_action("51000001", &reset)
        .await
        .unwrap();
    assert_eq!(handle.id.as_deref(), Some("0"));
}

#[tokio::test]
async fn a_busy_linode_means_busy() {
    let server = MockServer::start().await;
    mount_events(&server, json!([])).await;
    Mock::given(method("POST"))
        .and(path("/v4/linode/instances/51000001/reboot"))
        .respond_with(error(400, None, "Linode busy."))
        .mount(&server)
        .await;
    let busy = provider(&server)
        .perform_action("51000001", &Action::Reboot)
        .await;
    assert_eq!(busy, Err(ProviderError::Busy));
    assert!(ProviderError::Busy.is_transient());
    // The baseline read, then the one refused POST.
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn progress_follows_the_first_matching_event_after_the_action() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/account/events"))
        .and(query_param("page", "1"))
        .respond_with(answer(
            200,
            page(
                json!([
                    // Another Linode's boot and another action of ours: not ours.
                    event(1006, "linode_boot", 7, "finished"),
                    event(1005, "linode_reboot", 51000001, "started"),
                    event(1004, "linode_boot", 51000002, "failed"),
                    event(1003, "linode_boot", 51000001, "finished"),
                ]),
                1,
                2,
                8,
            ),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v4/account/events"))
        .and(query_param("page", "2"))
        .respond_with(answer(
            200,
            page(
                json!([
                    event(1002, "password_reset", 51000001, "finished"),
                    // Before the action: an old shutdown must not count as ours.
                    event(1000, "linode_shutdown", 51000001, "finished"),
                    event(999, "linode_reboot", 51000001, "finished"),
                ]),
                2,
                2,
                8,
            ),
        ))
        .mount(&server)
        .await;
    let adapter = provider(&server);
    let after = |id: &str| ActionHandle {
        id: Some(id.to_owned()),
        generated_password: None,
    };

    assert_eq!(
        adapter
            .action_progress("51000001", ActionKind::PowerOn, &after("1000"))
            .await,
        Ok(ActionProgress::Done)
    );
    assert_eq!(
        adapter
            .action_progress("51000001", ActionKind::Reboot, &after("1000"))
            .await,
        Ok(ActionProgress::InProgress)
    );
    assert_eq!(
        adapter
            .action_progress("51000001", ActionKind::ResetPassword, &after("1000"))
            .await,
        Ok(ActionProgress::Done)
    );
    // Its event is not recorded yet.
    assert_eq!(
        adapter
            .action_progress("51000001", ActionKind::Shutdown, &after("1000"))
            .await,
        Ok(ActionProgress::InProgress)
    );
    let failed = adapter
        .action_progress("51000002", ActionKind::PowerOn, &after("1000"))
        .await
        .unwrap();
    let ActionProgress::Failed(reason) = failed else {
        panic!("expected a failure, got {failed:?}");
    };
    assert!(reason.contains("could not boot"), "{reason}");
    // No handle to start from is a programming error, not a wait.
    assert!(matches!(
        adapter
            .action_progress("51000001", ActionKind::PowerOn, &ActionHandle::default())
            .await,
        Err(ProviderError::Invalid(_))
    ));
}

#[tokio::test]
async fn a_resize_is_warm_and_followed_by_its_event() {
    let server = MockServer::start().await;
    let created = event(900, "linode_create", 51000001, "finished");
    let resize = |status: &str| event(901, "linode_resize", 51000001, status);
    answer_in_turn(
        &server,
        "GET",
        "/v4/account/events",
        vec![
            answer(200, page(json!([created]), 1, 1, 1)),
            answer(200, page(json!([resize("started"), created]), 1, 1, 2)),
            answer(200, page(json!([resize("finished"), created]), 1, 1, 2)),
        ],
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/v4/linode/instances/51000001/resize"))
        .and(bearer_token(TOKEN))
        .and(body_json(json!({
            "type": "g6-standard-2",
            "allow_auto_disk_resize": true,
            "migration_type": "warm",
        })))
        .respond_with(answer(200, json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let adapter = provider(&server);

    let handle = adapter.resize("51000001", "g6-standard-2").await.unwrap();
    assert_eq!(handle.id.as_deref(), Some("900"));
    assert_eq!(
        adapter
            .resize_progress("51000001", "g6-standard-2", &handle)
            .await,
        Ok(ActionProgress::InProgress)
    );
    assert_eq!(
        adapter
            .resize_progress("51000001", "g6-standard-2", &handle)
            .await,
        Ok(ActionProgress::Done)
    );
}

#[tokio::test]
async fn a_resize_without_an_event_to_follow_waits_for_the_new_type_running() {
    let server = MockServer::start().await;
    let on = |kind: &str, status: &str| {
        let mut body = linode(51000001, "wr-a1b2c3-42", status, &["203.0.113.50"], None);
        body["type"] = json!(kind);
        answer(200, body)
    };
    answer_in_turn(
        &server,
        "GET",
        "/v4/linode/instances/51000001",
        vec![
            on("g6-standard-1", "running"),
            on("g6-standard-2", "migrating"),
            on("g6-standard-2", "running"),
        ],
    )
    .await;
    let adapter = provider(&server);
    let no_event = ActionHandle::default();
    for expected in [
        ActionProgress::InProgress,
        ActionProgress::InProgress,
        ActionProgress::Done,
    ] {
        assert_eq!(
            adapter
                .resize_progress("51000001", "g6-standard-2", &no_event)
                .await,
            Ok(expected)
        );
    }
}

#[tokio::test]
async fn a_resize_to_a_disk_too_small_is_refused_with_linodes_reason() {
    let server = MockServer::start().await;
    mount_events(&server, json!([])).await;
    Mock::given(method("POST"))
        .and(path("/v4/linode/instances/51000001/resize"))
        .respond_with(error(
            400,
            None,
            "The Linode's disks take more space than the new type offers.",
        ))
        .mount(&server)
        .await;
    let refused = provider(&server).resize("51000001", "g6-nanode-1").await;
    assert_eq!(
        refused,
        Err(ProviderError::Invalid(
            "The Linode's disks take more space than the new type offers.".to_owned()
        ))
    );
    // The baseline read, then the one refused POST.
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn events_listed_oldest_first_are_read_from_the_last_page() {
    let server = MockServer::start().await;
    let events_page = |number: u64, events: Value| {
        Mock::given(method("GET"))
            .and(path("/v4/account/events"))
            .and(query_param("page", number.to_string()))
            .respond_with(answer(200, page(events, number, 3, 6)))
    };
    events_page(
        1,
        json!([
            event(990, "linode_create", 51000001, "finished"),
            event(991, "linode_boot", 51000001, "finished"),
        ]),
    )
    .mount(&server)
    .await;
    events_page(
        2,
        json!([
            event(995, "linode_reboot", 51000001, "finished"),
            event(1001, "linode_reboot", 51000001, "started"),
        ]),
    )
    .mount(&server)
    .await;
    events_page(
        3,
        json!([
            event(1002, "linode_boot", 7, "finished"),
            event(1003, "linode_reboot", 51000001, "finished"),
        ]),
    )
    .mount(&server)
    .await;
    Mock::given(method("POST"))
        .and(path("/v4/linode/instances/51000001/reboot"))
        .respond_with(answer(200, json!({})))
        .mount(&server)
        .await;
    let adapter = provider(&server);

    // The baseline is the newest id, on the last page.
    let handle = adapter
        .perform_action("51000001", &Action::Reboot)
        .await
        .unwrap();
    assert_eq!(handle.id.as_deref(), Some("1003"));

    // From the last page backward, the first reboot after 1000 is 1001, still running; the
    // older, finished reboot 995 is not ours.
    let after = ActionHandle {
        id: Some("1000".to_owned()),
        generated_password: None,
    };
    assert_eq!(
        adapter
            .action_progress("51000001", ActionKind::Reboot, &after)
            .await,
        Ok(ActionProgress::InProgress)
    );
    let after = ActionHandle {
        id: Some("1001".to_owned()),
        generated_password: None,
    };
    assert_eq!(
        adapter
            .action_progress("51000001", ActionKind::Reboot, &after)
            .await,
        Ok(ActionProgress::Done)
    );
}

#[tokio::test]
async fn a_rejected_token_says_so() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(error(401, None, "Invalid Token"))
        .mount(&server)
        .await;
    let failed = provider(&server).list_regions().await.unwrap_err();
    let ProviderError::Provider(message) = &failed else {
        panic!("expected a provider error, got {failed:?}");
    };
    assert!(message.contains("rejected our API token"), "{message}");
    assert!(message.contains("Invalid Token"), "{message}");
    assert!(!message.contains(TOKEN));
    assert!(!failed.is_transient());
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_missing_linode_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/linode/instances/404404"))
        .respond_with(error(404, None, "Not found"))
        .mount(&server)
        .await;
    let adapter = provider(&server);
    assert_eq!(
        adapter.get_instance("404404").await,
        Err(ProviderError::NotFound)
    );
    // Not a Linode id at all: nothing to ask.
    assert_eq!(
        adapter.get_instance("../account").await,
        Err(ProviderError::NotFound)
    );
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_429_waits_as_told_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/linode/instances/51000001"))
        .respond_with(
            error(429, None, "Too many requests")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("retry-after", "1"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v4/linode/instances/51000001"))
        .respond_with(answer(
            200,
            linode(51000001, "wr-a1b2c3-42", "running", &["203.0.113.50"], None),
        ))
        .mount(&server)
        .await;

    let started = Instant::now();
    let found = provider(&server).get_instance("51000001").await.unwrap();
    assert_eq!(found.status, Lifecycle::Running);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn a_429_asking_for_a_long_wait_goes_back_to_the_caller() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(error(429, None, "Too many requests").insert_header("retry-after", "60"))
        .mount(&server)
        .await;
    let limited = provider(&server)
        .get_instance("51000001")
        .await
        .unwrap_err();
    assert_eq!(
        limited,
        ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(60))
        }
    );
    assert!(limited.is_transient());
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/linode/instances/51000001"))
        .respond_with(error(503, None, "Service Unavailable"))
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
async fn malformed_json_is_an_error_not_a_panic() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/linode/instances/51000001"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{\"id\": ", "application/json"))
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
        .and(path("/v4/linode/instances/51000001"))
        .respond_with(answer(200, json!({})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v4/linode/instances/51000002"))
        .respond_with(error(404, None, "Not found"))
        .expect(1)
        .mount(&server)
        .await;
    let adapter = provider(&server);
    assert_eq!(adapter.delete_instance("51000001").await, Ok(()));
    assert_eq!(adapter.delete_instance("51000002").await, Ok(()));
    assert_eq!(adapter.delete_instance("not-a-linode").await, Ok(()));
}

#[test]
fn debug_output_hides_the_token() {
    let adapter = LinodeProvider::new(TOKEN.to_owned(), None).unwrap();
    let shown = format!("{adapter:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("api.linode.com/v4"));
    assert_eq!(adapter.name(), "linode");
}
