#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The contract every cloud adapter meets, whatever the cloud behind it: the in-database
//! sandbox, and DigitalOcean, Vultr and Linode each against a mock server that answers in its
//! API's documented shapes and moves on like the real cloud (a new server is building on the
//! first look and running with an address later; an action is in progress before it is done).
//!
//! One contract, [`meets_the_contract`], run once per adapter, so a behaviour the worker and the
//! UI rely on cannot hold for one cloud and quietly not for another.

mod support;

use std::time::Duration;

use domain::console::sandbox_screen::SandboxScreens;
use domain::providers::sandbox::{SandboxProvider, SandboxTiming};
use domain::providers::{
    Action, ActionHandle, ActionKind, ActionProgress, CloudProvider, CreateInstance, Lifecycle,
    ProviderError, ProviderInstance, SshPublicKey,
};
use domain::testing::TestDb;
use serde_json::json;
use support::mock_clouds::{answer_in_turn, digitalocean, linode, requests, vultr};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// How many looks a server gets to come up, or an action to finish, before the contract fails.
const POLLS: usize = 10;
/// The pause between two looks: the mocks move on per request, the sandbox at once.
const POLL_PAUSE: Duration = Duration::from_millis(10);
/// A label no cloud in these tests has a server under.
const UNKNOWN_LABEL: &str = "wr-nobody-0";

/// One cloud as the contract meets it.
struct Scenario<'a> {
    /// A create this cloud accepts.
    request: CreateInstance,
    /// An id in the adapter's own format that names no server.
    unknown_id: &'static str,
    /// The mock standing in for the cloud, to see which requests reached it; `None` for the
    /// sandbox, which has no wire.
    mock: Option<&'a MockServer>,
    /// The credential the adapter holds, which its `Debug` must never show.
    secret: Option<&'static str>,
}

impl Scenario<'_> {
    /// How many requests have reached the cloud so far (always 0 for the sandbox).
    async fn requests_seen(&self) -> usize {
        match self.mock {
            Some(server) => requests(server).await.len(),
            None => 0,
        }
    }
}

/// What every adapter does, in the order the worker relies on it. Answers the actions it refused
/// as unsupported, for each test to say which those are for its cloud.
async fn meets_the_contract(provider: &dyn CloudProvider, cloud: &Scenario<'_>) -> Vec<ActionKind> {
    let name = provider.name();
    let capabilities = provider.capabilities();

    // The catalog: regions, sizes and images to sell, each size only where it is offered.
    let regions = provider.list_regions().await.unwrap();
    let sizes = provider.list_sizes().await.unwrap();
    let images = provider.list_images().await.unwrap();
    assert!(!regions.is_empty(), "{name}: no regions");
    assert!(!sizes.is_empty(), "{name}: no sizes");
    assert!(!images.is_empty(), "{name}: no images");
    for size in &sizes {
        for offered in &size.regions {
            assert!(
                regions.iter().any(|region| &region.slug == offered),
                "{name}: size {} names the unlisted region {offered}",
                size.slug
            );
        }
    }

    // A create answers the new server under our unique label.
    let created = provider.create_instance(&cloud.request).await.unwrap();
    assert_eq!(created.instance.label, cloud.request.label, "{name}");
    let id = created.instance.id.clone();

    // The label finds it again (how a create whose answer was lost is recovered), and a label
    // nobody used finds nothing.
    let found = provider.find_by_label(&cloud.request.label).await.unwrap();
    let found = found.unwrap_or_else(|| panic!("{name}: find_by_label missed the new server"));
    assert_eq!(
        (found.id.as_str(), found.label.as_str()),
        (id.as_str(), cloud.request.label.as_str()),
        "{name}"
    );
    assert_eq!(
        provider.find_by_label(UNKNOWN_LABEL).await.unwrap(),
        None,
        "{name}"
    );

    // Looking again and again, the server comes up: running, with a public IPv4.
    let running = until_running_with_ipv4(provider, &id).await;
    assert_eq!(running.label, cloud.request.label, "{name}");
    // It reports the size it runs on, which is how some clouds' resizes are seen to be done.
    assert_eq!(running.size, cloud.request.size, "{name}");

    // A supported action is accepted and followed to its end.
    let handle = provider.perform_action(&id, &Action::Reboot).await.unwrap();
    until_done(provider, &id, ActionKind::Reboot, &handle).await;

    // How a resize goes only means something for a cloud that can resize.
    assert!(
        capabilities.resize || !(capabilities.resize_down || capabilities.resize_needs_power_off),
        "{name}: {capabilities:?}"
    );

    // An action the capabilities rule out is refused here, before anything reaches the cloud.
    let mut refused_kinds = Vec::new();
    for kind in ActionKind::ALL {
        let Some(reason) = kind.unsupported_reason(&capabilities) else {
            continue;
        };
        let before = cloud.requests_seen().await;
        let refused = provider.perform_action(&id, &action_of(kind)).await;
        assert!(
            matches!(refused, Err(ProviderError::Invalid(_))),
            "{name}: {kind} ({reason}) answered {refused:?}"
        );
        assert_eq!(
            cloud.requests_seen().await,
            before,
            "{name}: the unsupported {kind} reached the cloud"
        );
        refused_kinds.push(kind);
    }

    // A server the cloud does not have is `NotFound`, not some other failure.
    assert_eq!(
        provider.get_instance(cloud.unknown_id).await,
        Err(ProviderError::NotFound),
        "{name}"
    );

    // Deleting starts the end, and deleting what is already gone is no error.
    provider.delete_instance(&id).await.unwrap();
    provider.delete_instance(&id).await.unwrap();

    // The adapter can be logged without its credential.
    if let Some(secret) = cloud.secret {
        let shown = format!("{provider:?}");
        assert!(!shown.contains(secret), "{name}: Debug shows the token");
    }
    refused_kinds
}

/// Polls `get_instance` until the server is running with an IPv4, at most [`POLLS`] times.
async fn until_running_with_ipv4(provider: &dyn CloudProvider, id: &str) -> ProviderInstance {
    let mut seen = Vec::new();
    for _ in 0..POLLS {
        let instance = provider.get_instance(id).await.unwrap();
        if instance.status == Lifecycle::Running && instance.ipv4.is_some() {
            return instance;
        }
        assert_ne!(
            instance.status,
            Lifecycle::Error,
            "{}: {instance:?}",
            provider.name()
        );
        seen.push(instance.provider_status);
        tokio::time::sleep(POLL_PAUSE).await;
    }
    panic!(
        "{}: not running with an IPv4 after {POLLS} looks: {seen:?}",
        provider.name()
    );
}

/// Polls `action_progress` until the action is done, at most [`POLLS`] times.
async fn until_done(
    provider: &dyn CloudProvider,
    id: &str,
    kind: ActionKind,
    handle: &ActionHandle,
) {
    for _ in 0..POLLS {
        match provider.action_progress(id, kind, handle).await.unwrap() {
            ActionProgress::Done => return,
            ActionProgress::InProgress => tokio::time::sleep(POLL_PAUSE).await,
            ActionProgress::Failed(why) => panic!("{}: {kind} failed: {why}", provider.name()),
        }
    }
    panic!("{}: {kind} not done after {POLLS} looks", provider.name());
}

/// An action of this kind with harmless arguments.
fn action_of(kind: ActionKind) -> Action {
    match kind {
        ActionKind::PowerOn => Action::PowerOn,
        ActionKind::PowerOff => Action::PowerOff,
        ActionKind::Shutdown => Action::Shutdown,
        ActionKind::Reboot => Action::Reboot,
        ActionKind::ResetPassword => Action::ResetPassword {
            password: "Zq8wLm3nVb6cXs1dFg5h".to_owned(),
        },
        ActionKind::Rebuild => Action::Rebuild {
            image: "debian-12-x64".to_owned(),
            password: Some("Zq8wLm3nVb6cXs1dFg5h".to_owned()),
            ssh_keys: Vec::new(),
        },
    }
}

#[tokio::test]
async fn the_sandbox_meets_the_contract() {
    let test = TestDb::sqlite().await;
    let timing = SandboxTiming {
        create: Duration::ZERO,
        action: Duration::ZERO,
    };
    let sandbox = SandboxProvider::new(test.db.clone(), timing, SandboxScreens::default());
    let cloud = Scenario {
        request: CreateInstance {
            label: "wr-a1b2c3-42".to_owned(),
            hostname: "shop.customer.test".to_owned(),
            region: "sbx-sgp1".to_owned(),
            size: "sbx-1c-1g".to_owned(),
            image: "debian-12-x64".to_owned(),
            root_password: Some("Kp7qRt2vXw9yZa3bCd4e".to_owned()),
            ssh_keys: vec![SshPublicKey {
                name: "laptop".to_owned(),
                openssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk customer@laptop".to_owned(),
                fingerprint: "SHA256:abc".to_owned(),
            }],
        },
        unknown_id: "sbx-999999",
        mock: None,
        secret: None,
    };
    let refused = meets_the_contract(&sandbox, &cloud).await;
    assert!(refused.is_empty(), "refused {refused:?}");
}

#[tokio::test]
async fn digitalocean_meets_the_contract() {
    use digitalocean::{action, answer, droplet, error, public_v4, public_v6};
    const DROPLET: &str = "51000001";
    const ACTION: &str = "36804636";
    let server = MockServer::start().await;
    let request = digitalocean::create_request();
    let label = request.label.as_str();
    let new = || droplet(51000001, "new", json!([]), json!([]), &[label]);
    let up = || droplet(51000001, "active", public_v4(), public_v6(), &[label]);

    digitalocean::mount_catalog(&server).await;
    answer_in_turn(
        &server,
        "POST",
        "/v2/droplets",
        vec![answer(202, json!({ "droplet": new() }))],
    )
    .await;
    // The label is the droplet's tag; any other tag has no droplets.
    Mock::given(method("GET"))
        .and(path("/v2/droplets"))
        .and(query_param("tag_name", label))
        .respond_with(answer(
            200,
            json!({ "droplets": [up()], "links": {}, "meta": { "total": 1 } }),
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    answer_in_turn(
        &server,
        "GET",
        "/v2/droplets",
        vec![answer(
            200,
            json!({ "droplets": [], "links": {}, "meta": { "total": 0 } }),
        )],
    )
    .await;
    // `new`, then `active` before its IPv4 exists (as DigitalOcean documents), then up.
    let no_address_yet = droplet(51000001, "active", json!([]), json!([]), &[label]);
    answer_in_turn(
        &server,
        "GET",
        &format!("/v2/droplets/{DROPLET}"),
        vec![
            answer(200, json!({ "droplet": new() })),
            answer(200, json!({ "droplet": no_address_yet })),
            answer(200, json!({ "droplet": up() })),
        ],
    )
    .await;
    answer_in_turn(
        &server,
        "POST",
        &format!("/v2/droplets/{DROPLET}/actions"),
        vec![answer(201, action(36804636, "in-progress", "reboot"))],
    )
    .await;
    answer_in_turn(
        &server,
        "GET",
        &format!("/v2/actions/{ACTION}"),
        vec![
            answer(200, action(36804636, "in-progress", "reboot")),
            answer(200, action(36804636, "completed", "reboot")),
        ],
    )
    .await;
    let missing = || {
        error(
            404,
            "not_found",
            "The resource you were accessing could not be found.",
        )
    };
    answer_in_turn(&server, "GET", "/v2/droplets/99999999", vec![missing()]).await;
    answer_in_turn(
        &server,
        "DELETE",
        &format!("/v2/droplets/{DROPLET}"),
        vec![ResponseTemplate::new(204), missing()],
    )
    .await;

    let cloud = Scenario {
        request,
        unknown_id: "99999999",
        mock: Some(&server),
        secret: Some(digitalocean::TOKEN),
    };
    let refused = meets_the_contract(&digitalocean::provider(&server), &cloud).await;
    assert_eq!(refused, [ActionKind::ResetPassword]);
}

#[tokio::test]
async fn vultr_meets_the_contract() {
    use vultr::{ID, answer, error, instance, meta};
    let server = MockServer::start().await;
    let request = vultr::create_request();
    let pending = || instance(ID, "pending", "running", "none", "0.0.0.0");
    let up = || instance(ID, "active", "running", "ok", "198.51.100.7");

    vultr::mount_catalog(&server).await;
    let mut created = pending();
    created["default_password"] = json!("v7#Generated!Pw");
    answer_in_turn(
        &server,
        "POST",
        "/instances",
        vec![answer(202, json!({ "instance": created }))],
    )
    .await;
    // The label is the instance's label; any other label has no instances.
    Mock::given(method("GET"))
        .and(path("/instances"))
        .and(query_param("label", request.label.as_str()))
        .respond_with(answer(
            200,
            json!({ "instances": [up()], "meta": meta(1, "") }),
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    answer_in_turn(
        &server,
        "GET",
        "/instances",
        vec![answer(200, json!({ "instances": [], "meta": meta(0, "") }))],
    )
    .await;
    // `pending` with the `0.0.0.0` placeholder, then up; a reboot is followed by the state.
    answer_in_turn(
        &server,
        "GET",
        &format!("/instances/{ID}"),
        vec![
            answer(200, json!({ "instance": pending() })),
            answer(200, json!({ "instance": up() })),
        ],
    )
    .await;
    answer_in_turn(
        &server,
        "POST",
        &format!("/instances/{ID}/reboot"),
        vec![ResponseTemplate::new(204)],
    )
    .await;
    const UNKNOWN: &str = "00000000-0000-4000-8000-000000000000";
    answer_in_turn(
        &server,
        "GET",
        &format!("/instances/{UNKNOWN}"),
        vec![error(404, "Not found")],
    )
    .await;
    answer_in_turn(
        &server,
        "DELETE",
        &format!("/instances/{ID}"),
        vec![ResponseTemplate::new(204), error(404, "Not found")],
    )
    .await;

    let cloud = Scenario {
        request,
        unknown_id: UNKNOWN,
        mock: Some(&server),
        secret: Some(vultr::KEY),
    };
    let refused = meets_the_contract(&vultr::provider(&server), &cloud).await;
    assert_eq!(refused, [ActionKind::Shutdown, ActionKind::ResetPassword]);
}

#[tokio::test]
async fn linode_meets_the_contract() {
    use linode::{answer, error, event, page};
    const LINODE: u64 = 41000001;
    let server = MockServer::start().await;
    let request = linode::create_request();
    let label = request.label.as_str();
    let server_in = |status: &str| {
        linode::linode(
            LINODE,
            label,
            status,
            &["203.0.113.50", "192.168.140.20"],
            Some("2001:db8::f03c:91ff:fe24:3a2f/128"),
        )
    };

    linode::mount_catalog(&server).await;
    answer_in_turn(
        &server,
        "POST",
        "/v4/linode/instances",
        vec![answer(200, server_in("provisioning"))],
    )
    .await;
    // The label is found by reading the account's Linodes.
    answer_in_turn(
        &server,
        "GET",
        "/v4/linode/instances",
        vec![answer(200, page(json!([server_in("running")]), 1, 1, 1))],
    )
    .await;
    answer_in_turn(
        &server,
        "GET",
        &format!("/v4/linode/instances/{LINODE}"),
        vec![
            answer(200, server_in("provisioning")),
            answer(200, server_in("booting")),
            answer(200, server_in("running")),
        ],
    )
    .await;
    // Progress comes from the events: the baseline before the reboot, then its event started
    // and finished.
    let created = event(100, "linode_create", LINODE, "finished");
    answer_in_turn(
        &server,
        "GET",
        "/v4/account/events",
        vec![
            answer(200, page(json!([created]), 1, 1, 1)),
            answer(
                200,
                page(
                    json!([event(101, "linode_reboot", LINODE, "started"), created]),
                    1,
                    1,
                    2,
                ),
            ),
            answer(
                200,
                page(
                    json!([event(101, "linode_reboot", LINODE, "finished"), created]),
                    1,
                    1,
                    2,
                ),
            ),
        ],
    )
    .await;
    answer_in_turn(
        &server,
        "POST",
        &format!("/v4/linode/instances/{LINODE}/reboot"),
        vec![answer(200, json!({}))],
    )
    .await;
    answer_in_turn(
        &server,
        "GET",
        "/v4/linode/instances/99999999",
        vec![error(404, None, "Not found")],
    )
    .await;
    answer_in_turn(
        &server,
        "DELETE",
        &format!("/v4/linode/instances/{LINODE}"),
        vec![answer(200, json!({})), error(404, None, "Not found")],
    )
    .await;

    let cloud = Scenario {
        request,
        unknown_id: "99999999",
        mock: Some(&server),
        secret: Some(linode::TOKEN),
    };
    let refused = meets_the_contract(&linode::provider(&server), &cloud).await;
    assert!(refused.is_empty(), "refused {refused:?}");
}
