#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Vultr adapter against a mock server answering in the shapes the v2 API documents
//! (`../shared/provider-apis/vultr/openapi-reseller-subset.json`): envelopes keyed by resource,
//! cursor pagination through `meta.links.next`, `{"error", "status"}` error bodies, 204 power
//! actions. The fixtures are our own, written in those shapes.

use std::time::{Duration, Instant};

use base64::Engine;
use domain::providers::vultr::VultrProvider;
use domain::providers::{
    Action, ActionHandle, ActionKind, ActionProgress, CloudProvider, ConsoleAccess, ConsoleKind,
    CreateInstance, Lifecycle, ProviderError,
};
use serde_json::{Value, json};
use wiremock::matchers::{bearer_token, body_json, body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod support;

use support::mock_clouds::vultr::*;
use support::mock_clouds::{answer_in_turn, requests};

fn decoded_user_data(body: &Value) -> String {
    let encoded = body["user_data"].as_str().unwrap();
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap(),
    )
    .unwrap()
}

/// The handle of a change Vultr accepted that long ago.
fn accepted_ago(seconds: u64) -> ActionHandle {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    ActionHandle {
        id: Some(format!("accepted-at:{}", unix - seconds)),
        generated_password: None,
    }
}

#[tokio::test]
async fn sends_the_key_and_follows_cursor_pagination() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/regions"))
        .and(query_param("cursor", "bmV4dF9fc2dw"))
        .respond_with(answer(
            200,
            json!({
                "regions": [{ "id": "fra", "city": "Frankfurt", "country": "DE", "continent": "Europe", "options": [] }],
                "meta": meta(2, ""),
            }),
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/regions"))
        .and(bearer_token(KEY))
        .and(query_param("per_page", "500"))
        .respond_with(answer(
            200,
            json!({
                "regions": [{ "id": "sgp", "city": "Singapore", "country": "SG", "continent": "Asia", "options": ["ddos_protection"] }],
                "meta": meta(2, "bmV4dF9fc2dw"),
            }),
        ))
        .mount(&server)
        .await;

    let regions = provider(&server).list_regions().await.unwrap();
    assert_eq!(
        regions
            .iter()
            .map(|r| (r.slug.as_str(), r.name.as_str(), r.country.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("sgp", "Singapore", Some("SG")),
            ("fra", "Frankfurt", Some("DE"))
        ]
    );
    let seen = requests(&server).await;
    assert_eq!(seen.len(), 2);
    for request in &seen {
        assert_eq!(
            request.headers.get("authorization").unwrap(),
            &format!("Bearer {KEY}")
        );
        // The cursor page keeps the page size.
        assert!(request.url.query().unwrap().contains("per_page=500"));
    }
}

#[tokio::test]
async fn plans_carry_their_locations_and_price_in_cents() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/plans"))
        .respond_with(answer(
            200,
            json!({
                "plans": [
                    { "id": "vc2-1c-2gb", "vcpu_count": 1, "ram": 2048, "disk": 55, "disk_count": 1, "bandwidth": 2048, "monthly_cost": 10, "type": "vc2", "locations": ["sgp", "fra"] },
                    { "id": "vc2-1c-0.5gb", "vcpu_count": 1, "ram": 512, "disk": 10, "disk_count": 1, "bandwidth": 500, "monthly_cost": 2.5, "type": "vc2", "locations": [] },
                ],
                "meta": meta(2, ""),
            }),
        ))
        .mount(&server)
        .await;

    let sizes = provider(&server).list_sizes().await.unwrap();
    assert_eq!(sizes.len(), 2);
    assert_eq!(sizes[0].slug, "vc2-1c-2gb");
    assert_eq!(sizes[0].cost_cents_monthly, 1000);
    assert_eq!(sizes[0].memory_mb, 2048);
    assert_eq!(sizes[0].disk_gb, 55);
    assert_eq!(sizes[0].transfer_gb, 2048);
    assert_eq!(sizes[0].regions, ["sgp", "fra"]);
    assert!(sizes[0].available);
    assert_eq!(sizes[1].cost_cents_monthly, 250);
    assert!(!sizes[1].available);
}

#[tokio::test]
async fn images_are_os_ids_without_isos_snapshots_and_apps() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/os"))
        .respond_with(answer(
            200,
            json!({
                "os": [
                    { "id": 2136, "name": "Debian 12 x64 (bookworm)", "arch": "x64", "family": "debian" },
                    { "id": 2284, "name": "Ubuntu 24.04 LTS x64", "arch": "x64", "family": "ubuntu" },
                    { "id": 159, "name": "Custom", "arch": "x64", "family": "iso" },
                    { "id": 164, "name": "Snapshot", "arch": "x64", "family": "snapshot" },
                    { "id": 186, "name": "Application", "arch": "x64", "family": "application" },
                ],
                "meta": meta(5, ""),
            }),
        ))
        .mount(&server)
        .await;

    let images = provider(&server).list_images().await.unwrap();
    assert_eq!(
        images
            .iter()
            .map(|i| (i.slug.as_str(), i.distribution.as_str()))
            .collect::<Vec<_>>(),
        [("2136", "debian"), ("2284", "ubuntu")]
    );
    assert_eq!(images[0].name, "Debian 12 x64 (bookworm)");
}

#[tokio::test]
async fn create_sends_label_os_id_and_keys_and_returns_the_default_password() {
    let server = MockServer::start().await;
    let mut created = instance(ID, "pending", "running", "none", "0.0.0.0");
    created["default_password"] = json!("q8#Vn2!xLp4Rz7Kd");
    Mock::given(method("POST"))
        .and(path("/instances"))
        .and(bearer_token(KEY))
        .and(body_partial_json(json!({
            "region": "sgp",
            "plan": "vc2-1c-2gb",
            "os_id": 2136,
            "label": "wr-a1b2c3-42",
            "hostname": "shop.customer.test",
            "tags": ["wr-a1b2c3-42"],
        })))
        .respond_with(answer(202, json!({ "instance": created })))
        .expect(1)
        .mount(&server)
        .await;

    let adapter = provider(&server);
    let capabilities = adapter.capabilities();
    assert!(!capabilities.accepts_root_password);
    assert!(!capabilities.graceful_shutdown);
    assert!(!capabilities.password_reset);
    assert!(capabilities.rebuild);
    assert!(!capabilities.rebuild_sets_password);
    assert_eq!(capabilities.console, ConsoleKind::ProviderUrl);

    let created = adapter.create_instance(&create_request()).await.unwrap();
    assert_eq!(created.instance.id, ID);
    assert_eq!(created.instance.label, "wr-a1b2c3-42");
    assert_eq!(created.instance.status, Lifecycle::Provisioning);
    assert_eq!(created.instance.ipv4, None);
    assert_eq!(created.instance.ipv6, None);
    assert_eq!(
        created.generated_password.as_deref(),
        Some("q8#Vn2!xLp4Rz7Kd")
    );
    // The password never shows in debug output.
    assert!(!format!("{created:?}").contains("q8#Vn2"));

    let body: Value = requests(&server).await[0].body_json().unwrap();
    // Customer keys go through cloud-init, not account-registered `sshkey_id`s.
    assert!(body.get("sshkey_id").is_none());
    let user_data = decoded_user_data(&body);
    assert!(user_data.starts_with("#cloud-config\n"));
    assert!(user_data.contains("ssh_authorized_keys"));
    assert!(user_data.contains("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk customer@laptop"));
}

#[tokio::test]
async fn create_with_an_image_that_is_not_an_os_id_is_refused_before_calling() {
    let server = MockServer::start().await;
    let request = CreateInstance {
        image: "debian-12-x64".to_owned(),
        ..create_request()
    };
    let refused = provider(&server).create_instance(&request).await;
    assert!(
        matches!(refused, Err(ProviderError::Invalid(_))),
        "{refused:?}"
    );
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn a_create_that_fails_with_5xx_or_times_out_is_not_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/instances"))
        .respond_with(error(500, "Internal server error"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/instances"))
        .respond_with(answer(202, json!({})).set_delay(Duration::from_secs(3)))
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
async fn find_by_label_asks_by_label_and_wants_an_exact_match() {
    let server = MockServer::start().await;
    let mut other = instance(
        "0f0f0f0f-1111-4222-8333-444444444444",
        "active",
        "running",
        "ok",
        "198.51.100.9",
    );
    other["label"] = json!("wr-a1b2c3-42-old");
    Mock::given(method("GET"))
        .and(path("/instances"))
        .and(query_param("label", "wr-a1b2c3-42"))
        .respond_with(answer(
            200,
            json!({
                "instances": [other, instance(ID, "active", "running", "ok", "198.51.100.24")],
                "meta": meta(2, ""),
            }),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/instances"))
        .and(query_param("label", "wr-a1b2c3-43"))
        .respond_with(answer(200, json!({ "instances": [], "meta": meta(0, "") })))
        .mount(&server)
        .await;

    let adapter = provider(&server);
    let found = adapter
        .find_by_label("wr-a1b2c3-42")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, ID);
    assert_eq!(found.ipv4.as_deref(), Some("198.51.100.24"));
    assert_eq!(adapter.find_by_label("wr-a1b2c3-43").await.unwrap(), None);
}

#[tokio::test]
async fn status_fields_map_onto_the_lifecycle() {
    let server = MockServer::start().await;
    let cases = [
        (
            "00000000-0000-4000-8000-000000000001",
            ("pending", "running", "none", "0.0.0.0"),
            Lifecycle::Provisioning,
        ),
        (
            "00000000-0000-4000-8000-000000000002",
            ("active", "running", "installingbooting", "198.51.100.2"),
            Lifecycle::Provisioning,
        ),
        (
            "00000000-0000-4000-8000-000000000003",
            ("active", "running", "ok", "198.51.100.3"),
            Lifecycle::Running,
        ),
        (
            "00000000-0000-4000-8000-000000000004",
            ("active", "stopped", "ok", "198.51.100.4"),
            Lifecycle::Stopped,
        ),
        (
            "00000000-0000-4000-8000-000000000005",
            ("active", "running", "locked", "198.51.100.5"),
            Lifecycle::Provisioning,
        ),
        (
            "00000000-0000-4000-8000-000000000006",
            ("suspended", "stopped", "ok", "198.51.100.6"),
            Lifecycle::Error,
        ),
        (
            "00000000-0000-4000-8000-000000000007",
            ("resizing", "running", "ok", "198.51.100.7"),
            Lifecycle::Provisioning,
        ),
    ];
    for (id, (status, power, server_status, ip), _) in &cases {
        Mock::given(method("GET"))
            .and(path(format!("/instances/{id}")))
            .respond_with(answer(
                200,
                json!({ "instance": instance(id, status, power, server_status, ip) }),
            ))
            .mount(&server)
            .await;
    }
    let adapter = provider(&server);
    for (id, (status, power, server_status, _), expected) in &cases {
        let found = adapter.get_instance(id).await.unwrap();
        assert_eq!(found.status, *expected, "{status}/{power}/{server_status}");
        assert_eq!(
            found.provider_status,
            format!("{status}/{power}/{server_status}")
        );
    }
    let pending = adapter.get_instance(cases[0].0).await.unwrap();
    assert_eq!((pending.ipv4, pending.ipv6), (None, None));
    let running = adapter.get_instance(cases[2].0).await.unwrap();
    assert_eq!(running.ipv4.as_deref(), Some("198.51.100.3"));
    assert_eq!(running.ipv6.as_deref(), Some("2001:db8:5:1::a"));
    let suspended = adapter.get_instance(cases[5].0).await.unwrap();
    assert!(suspended.message.unwrap().contains("suspended"));
}

#[tokio::test]
async fn the_legacy_v6_main_ip_field_is_read_too() {
    let server = MockServer::start().await;
    let mut body = instance(ID, "active", "running", "ok", "198.51.100.24");
    body["v6_networks"] = json!([]);
    body["v6_main_ip"] = json!("2001:db8:5:2::b");
    Mock::given(method("GET"))
        .and(path(format!("/instances/{ID}")))
        .respond_with(answer(200, json!({ "instance": body })))
        .mount(&server)
        .await;
    let found = provider(&server).get_instance(ID).await.unwrap();
    assert_eq!(found.ipv6.as_deref(), Some("2001:db8:5:2::b"));
}

#[tokio::test]
async fn power_actions_answer_204_and_are_followed_by_state() {
    let server = MockServer::start().await;
    for verb in ["start", "halt", "reboot"] {
        Mock::given(method("POST"))
            .and(path(format!("/instances/{ID}/{verb}")))
            .and(bearer_token(KEY))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
    }
    let adapter = provider(&server);
    for action in [Action::PowerOn, Action::PowerOff, Action::Reboot] {
        let handle = adapter.perform_action(ID, &action).await.unwrap();
        assert_eq!(handle, ActionHandle::default());
    }
    // No graceful shutdown and no password reset: refused here, never sent.
    for action in [
        Action::Shutdown,
        Action::ResetPassword {
            password: "Kp7qRt2vXw9yZa3bCd4e".to_owned(),
        },
    ] {
        assert!(matches!(
            adapter.perform_action(ID, &action).await,
            Err(ProviderError::Invalid(_))
        ));
    }
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn action_progress_compares_the_state() {
    let server = MockServer::start().await;
    let running = "00000000-0000-4000-8000-0000000000a1";
    let stopped = "00000000-0000-4000-8000-0000000000a2";
    let booting = "00000000-0000-4000-8000-0000000000a3";
    let suspended = "00000000-0000-4000-8000-0000000000a4";
    for (id, power, server_status, status) in [
        (running, "running", "ok", "active"),
        (stopped, "stopped", "ok", "active"),
        (booting, "running", "installingbooting", "active"),
        (suspended, "stopped", "ok", "suspended"),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("/instances/{id}")))
            .respond_with(answer(
                200,
                json!({ "instance": instance(id, status, power, server_status, "198.51.100.3") }),
            ))
            .mount(&server)
            .await;
    }
    let adapter = provider(&server);
    let none = ActionHandle::default();
    let progress = |id: &'static str, kind: ActionKind, handle: ActionHandle| {
        let adapter = adapter.clone();
        async move { adapter.action_progress(id, kind, &handle).await.unwrap() }
    };

    assert_eq!(
        progress(running, ActionKind::PowerOn, none.clone()).await,
        ActionProgress::Done
    );
    assert_eq!(
        progress(running, ActionKind::Reboot, none.clone()).await,
        ActionProgress::Done
    );
    assert_eq!(
        progress(running, ActionKind::PowerOff, none.clone()).await,
        ActionProgress::InProgress
    );
    assert_eq!(
        progress(stopped, ActionKind::PowerOff, none.clone()).await,
        ActionProgress::Done
    );
    assert_eq!(
        progress(stopped, ActionKind::PowerOn, none.clone()).await,
        ActionProgress::InProgress
    );
    assert_eq!(
        progress(booting, ActionKind::Reboot, none.clone()).await,
        ActionProgress::InProgress
    );
    assert_eq!(
        progress(booting, ActionKind::Rebuild, none.clone()).await,
        ActionProgress::InProgress
    );
    assert!(matches!(
        progress(suspended, ActionKind::PowerOn, none.clone()).await,
        ActionProgress::Failed(_)
    ));
}

#[tokio::test]
async fn a_rebuild_changes_the_os_with_new_keys_and_waits_for_the_reinstall() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/instances/{ID}")))
        .and(body_partial_json(json!({ "os_id": "2284" })))
        .respond_with(answer(
            202,
            json!({ "instance": instance(ID, "active", "running", "ok", "198.51.100.24") }),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/instances/{ID}")))
        .respond_with(answer(
            200,
            json!({ "instance": instance(ID, "active", "running", "ok", "198.51.100.24") }),
        ))
        .mount(&server)
        .await;
    let adapter = provider(&server);
    let rebuild = Action::Rebuild {
        image: "2284".to_owned(),
        password: None,
        ssh_keys: keys(),
    };
    let handle = adapter.perform_action(ID, &rebuild).await.unwrap();
    // Vultr returns no new password on a rebuild, and none is claimed.
    assert_eq!(handle.generated_password, None);
    let patch = requests(&server)
        .await
        .into_iter()
        .find(|request| request.method.as_str() == "PATCH")
        .unwrap();
    let body: Value = patch.body_json().unwrap();
    assert!(decoded_user_data(&body).contains("customer@laptop"));

    // Just accepted, the server still looks as before the reinstall: not done yet.
    assert_eq!(
        adapter
            .action_progress(ID, ActionKind::Rebuild, &handle)
            .await,
        Ok(ActionProgress::InProgress)
    );
    // Once the reinstall had time to start, running and `ok` again is done.
    assert_eq!(
        adapter
            .action_progress(ID, ActionKind::Rebuild, &accepted_ago(120))
            .await,
        Ok(ActionProgress::Done)
    );
}

/// The instance on `plan`, as `GET /instances/{ID}` and the plan change answer it.
fn on_plan(plan: &str, status: &str) -> Value {
    let mut body = instance(ID, status, "running", "ok", "198.51.100.24");
    body["plan"] = json!(plan);
    json!({ "instance": body })
}

#[tokio::test]
async fn a_resize_changes_the_plan_and_waits_for_the_server_on_it() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/instances/{ID}")))
        .and(bearer_token(KEY))
        .and(body_json(json!({ "plan": "vc2-2c-4gb" })))
        .respond_with(answer(202, on_plan("vc2-2c-4gb", "active")))
        .expect(1)
        .mount(&server)
        .await;
    answer_in_turn(
        &server,
        "GET",
        &format!("/instances/{ID}"),
        vec![
            answer(200, on_plan("vc2-2c-4gb", "active")),
            answer(200, on_plan("vc2-1c-2gb", "active")),
            answer(200, on_plan("vc2-2c-4gb", "resizing")),
            answer(200, on_plan("vc2-2c-4gb", "active")),
        ],
    )
    .await;
    let adapter = provider(&server);
    let capabilities = adapter.capabilities();
    assert!(capabilities.resize);
    // Upgrades only, and Vultr restarts the server itself.
    assert!(!capabilities.resize_down);
    assert!(!capabilities.resize_needs_power_off);

    let handle = adapter.resize(ID, "vc2-2c-4gb").await.unwrap();
    assert_eq!(handle.generated_password, None);
    let progress = |handle: ActionHandle| {
        let adapter = adapter.clone();
        async move {
            adapter
                .resize_progress(ID, "vc2-2c-4gb", &handle)
                .await
                .unwrap()
        }
    };
    // Just accepted, the server still runs as before the change: not done yet.
    assert_eq!(progress(handle).await, ActionProgress::InProgress);
    // Later, running on the old plan or resizing is not done; running on the new one is.
    assert_eq!(
        progress(accepted_ago(120)).await,
        ActionProgress::InProgress
    );
    assert_eq!(
        progress(accepted_ago(120)).await,
        ActionProgress::InProgress
    );
    assert_eq!(progress(accepted_ago(120)).await, ActionProgress::Done);
}

#[tokio::test]
async fn a_resize_down_is_refused_and_a_locked_server_is_busy() {
    let server = MockServer::start().await;
    answer_in_turn(
        &server,
        "PATCH",
        &format!("/instances/{ID}"),
        vec![
            error(400, "Unable to change plan: downgrades are not supported"),
            error(400, "Unable to change plan: server is locked"),
        ],
    )
    .await;
    let adapter = provider(&server);
    assert_eq!(
        adapter.resize(ID, "vc2-1c-1gb").await,
        Err(ProviderError::Invalid(
            "Unable to change plan: downgrades are not supported".to_owned()
        ))
    );
    assert_eq!(
        adapter.resize(ID, "vc2-2c-4gb").await,
        Err(ProviderError::Busy)
    );
    // A refused change is not sent again.
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn a_locked_server_is_busy() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/instances/{ID}/reboot")))
        .respond_with(error(400, "Unable to reboot server: server is locked"))
        .mount(&server)
        .await;
    let busy = provider(&server).perform_action(ID, &Action::Reboot).await;
    assert_eq!(busy, Err(ProviderError::Busy));
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn the_console_is_the_kvm_link_fetched_fresh() {
    let server = MockServer::start().await;
    let pending = "00000000-0000-4000-8000-0000000000c1";
    Mock::given(method("GET"))
        .and(path(format!("/instances/{ID}")))
        .respond_with(answer(
            200,
            json!({ "instance": instance(ID, "active", "running", "ok", "198.51.100.24") }),
        ))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/instances/{pending}")))
        .respond_with(answer(
            200,
            json!({ "instance": instance(pending, "pending", "running", "none", "0.0.0.0") }),
        ))
        .mount(&server)
        .await;
    let adapter = provider(&server);
    for _ in 0..2 {
        assert_eq!(
            adapter.console(ID).await,
            Ok(ConsoleAccess::Url {
                url: "https://my.vultr.com/subs/vps/novnc/api.php?data=T3STT0K3N".to_owned()
            })
        );
    }
    // Empty while the server is being created.
    assert_eq!(adapter.console(pending).await, Ok(ConsoleAccess::None));
}

#[tokio::test]
async fn a_rejected_key_says_so() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(error(401, "Invalid API token."))
        .mount(&server)
        .await;
    let failed = provider(&server).list_regions().await.unwrap_err();
    let ProviderError::Provider(message) = &failed else {
        panic!("expected a provider error, got {failed:?}");
    };
    assert!(message.contains("rejected our API token"), "{message}");
    assert!(message.contains("Invalid API token."), "{message}");
    assert!(!message.contains(KEY));
    assert!(!failed.is_transient());
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_forbidden_key_points_at_the_address_allow_list() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(error(403, "Invalid API key"))
        .mount(&server)
        .await;
    let failed = provider(&server).get_instance(ID).await.unwrap_err();
    let ProviderError::Provider(message) = &failed else {
        panic!("expected a provider error, got {failed:?}");
    };
    assert!(message.contains("rejected our API token"), "{message}");
    assert!(message.contains("IP addresses"), "{message}");
    assert!(!failed.is_transient());
}

#[tokio::test]
async fn a_missing_instance_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/instances/{ID}")))
        .respond_with(error(404, "Invalid instance-id."))
        .mount(&server)
        .await;
    let adapter = provider(&server);
    assert_eq!(adapter.get_instance(ID).await, Err(ProviderError::NotFound));
    // Not an instance id at all: nothing to ask.
    assert_eq!(
        adapter.get_instance("../account").await,
        Err(ProviderError::NotFound)
    );
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_429_waits_then_succeeds_and_a_long_one_goes_back() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/instances/{ID}")))
        .respond_with(error(429, "rate limit exceeded").insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/instances/{ID}")))
        .respond_with(answer(
            200,
            json!({ "instance": instance(ID, "active", "running", "ok", "198.51.100.24") }),
        ))
        .mount(&server)
        .await;
    let started = Instant::now();
    let found = provider(&server).get_instance(ID).await.unwrap();
    assert_eq!(found.status, Lifecycle::Running);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(requests(&server).await.len(), 2);

    // Vultr documents no rate-limit headers; without one the client backs off on its own.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(error(429, "rate limit exceeded"))
        .mount(&server)
        .await;
    let limited = provider(&server).list_regions().await.unwrap_err();
    assert_eq!(limited, ProviderError::RateLimited { retry_after: None });
    assert!(limited.is_transient());
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/instances/{ID}")))
        .respond_with(error(503, "Service Unavailable"))
        .mount(&server)
        .await;
    let failed = provider(&server).get_instance(ID).await.unwrap_err();
    assert!(
        matches!(failed, ProviderError::Unavailable(_)),
        "{failed:?}"
    );
    assert!(failed.is_transient());
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn a_power_action_that_fails_with_5xx_is_not_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/instances/{ID}/halt")))
        .respond_with(error(500, "Internal server error"))
        .mount(&server)
        .await;
    let failed = provider(&server)
        .perform_action(ID, &Action::PowerOff)
        .await;
    assert!(
        matches!(failed, Err(ProviderError::Unavailable(_))),
        "{failed:?}"
    );
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn malformed_json_is_an_error_not_a_panic() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/instances/{ID}")))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("{\"instance\": {\"id\": ", "application/json"),
        )
        .mount(&server)
        .await;
    let failed = provider(&server).get_instance(ID).await.unwrap_err();
    assert!(
        matches!(&failed, ProviderError::Provider(message) if message.contains("cannot read")),
        "{failed:?}"
    );
    assert!(!failed.is_transient());
}

#[tokio::test]
async fn delete_is_idempotent() {
    let server = MockServer::start().await;
    let gone = "00000000-0000-4000-8000-0000000000d2";
    Mock::given(method("DELETE"))
        .and(path(format!("/instances/{ID}")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/instances/{gone}")))
        .respond_with(error(404, "Invalid instance-id."))
        .expect(1)
        .mount(&server)
        .await;
    let adapter = provider(&server);
    assert_eq!(adapter.delete_instance(ID).await, Ok(()));
    assert_eq!(adapter.delete_instance(gone).await, Ok(()));
    assert_eq!(adapter.delete_instance("not-a-uuid").await, Ok(()));
}

#[test]
fn debug_output_hides_the_key() {
    let adapter = VultrProvider::new(KEY.to_owned(), None).unwrap();
    let shown = format!("{adapter:?}");
    assert!(!shown.contains(KEY), "{shown}");
    assert!(shown.contains("api.vultr.com/v2"));
    assert_eq!(adapter.name(), "vultr");
}
