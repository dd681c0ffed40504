//! Mock clouds for the adapter tests: for each provider, a client pointed at a wiremock server
//! and builders for answers in the shapes its API documents (`../shared/provider-apis/…`).
//! The fixtures are our own, written in those shapes. The per-provider suites
//! (`provider_digitalocean.rs`, `provider_vultr.rs`, `provider_linode.rs`) and the shared
//! conformance suite (`provider_conformance.rs`) build their mocks from these.

use std::time::Duration;

use domain::http_retry::HttpSettings;
use wiremock::MockServer;

/// Quick retries, so the suites do not sleep through production backoffs.
pub fn settings() -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_millis(500),
        attempts: 3,
        backoff_base: Duration::from_millis(5),
        backoff_cap: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(2),
    }
}

/// Every request the mock has received so far.
pub async fn requests(server: &MockServer) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .expect("the mock server records requests")
}

/// DigitalOcean v2: envelopes keyed by resource, `links.pages.next` pagination,
/// `{"id", "message"}` error bodies and the rate-limit headers.
pub mod digitalocean {
    use domain::providers::digitalocean::DigitalOceanProvider;
    use domain::providers::{CreateInstance, SshPublicKey};
    use serde_json::{Value, json};
    use wiremock::{MockServer, ResponseTemplate};

    use super::{answer_in_turn, settings};

    pub const TOKEN: &str = "dop_v1_test_token";

    pub fn provider(server: &MockServer) -> DigitalOceanProvider {
        DigitalOceanProvider::with_settings(TOKEN.to_owned(), Some(server.uri()), settings())
            .unwrap()
    }

    /// What DigitalOcean sends with every answer.
    pub fn answer(status: u16, body: Value) -> ResponseTemplate {
        ResponseTemplate::new(status)
            .set_body_json(body)
            .insert_header("ratelimit-limit", "5000")
            .insert_header("ratelimit-remaining", "4990")
            .insert_header("ratelimit-reset", "1767225600")
    }

    pub fn error(status: u16, id: &str, message: &str) -> ResponseTemplate {
        answer(
            status,
            json!({ "id": id, "message": message, "request_id": "b2c1f0e4-test" }),
        )
    }

    pub fn droplet(id: u64, status: &str, v4: Value, v6: Value, tags: &[&str]) -> Value {
        json!({
            "id": id,
            "name": "shop.customer.test",
            "memory": 2048,
            "vcpus": 2,
            "disk": 60,
            "locked": false,
            "status": status,
            "created_at": "2026-11-26T10:00:00Z",
            "features": ["ipv6"],
            "backup_ids": [],
            "next_backup_window": null,
            "snapshot_ids": [],
            "image": { "id": 170000001, "name": "12 x64", "distribution": "Debian", "slug": "debian-12-x64", "public": true },
            "volume_ids": [],
            "size_slug": "s-2vcpu-2gb",
            "networks": { "v4": v4, "v6": v6 },
            "region": { "name": "Singapore 1", "slug": "sgp1", "features": ["ipv6"], "available": true, "sizes": ["s-2vcpu-2gb"] },
            "tags": tags,
        })
    }

    pub fn public_v4() -> Value {
        json!([
            { "ip_address": "10.130.0.7", "netmask": "255.255.240.0", "gateway": "nil", "type": "private" },
            { "ip_address": "203.0.113.24", "netmask": "255.255.240.0", "gateway": "203.0.113.1", "type": "public" },
        ])
    }

    pub fn public_v6() -> Value {
        json!([{ "ip_address": "2001:db8:d0::24", "netmask": 64, "gateway": "2001:db8:d0::1", "type": "public" }])
    }

    pub fn action(id: u64, status: &str, kind: &str) -> Value {
        json!({ "action": {
            "id": id,
            "status": status,
            "type": kind,
            "started_at": "2026-11-26T10:05:00Z",
            "completed_at": null,
            "resource_id": 51000001,
            "resource_type": "droplet",
            "region_slug": "sgp1",
        }})
    }

    /// A catalog of one size and one image, offered in `sgp1` and `fra1`.
    pub async fn mount_catalog(server: &MockServer) {
        let catalog = [
            (
                "/v2/regions",
                json!({ "regions": [
            { "name": "Singapore 1", "slug": "sgp1", "features": ["ipv6"], "available": true, "sizes": ["s-2vcpu-2gb"] },
            { "name": "Frankfurt 1", "slug": "fra1", "features": ["ipv6"], "available": true, "sizes": ["s-2vcpu-2gb"] },
        ], "links": {}, "meta": { "total": 2 } }),
            ),
            (
                "/v2/sizes",
                json!({ "sizes": [
            { "slug": "s-2vcpu-2gb", "memory": 2048, "vcpus": 2, "disk": 60, "transfer": 3.0, "price_monthly": 18.0, "price_hourly": 0.02679, "regions": ["sgp1", "fra1"], "available": true, "description": "Basic" },
        ], "links": {}, "meta": { "total": 1 } }),
            ),
            (
                "/v2/images",
                json!({ "images": [
            { "id": 170000001, "name": "12 x64", "distribution": "Debian", "slug": "debian-12-x64", "public": true, "regions": ["sgp1", "fra1"], "type": "base", "min_disk_size": 15, "status": "available" },
        ], "links": {}, "meta": { "total": 1 } }),
            ),
        ];
        for (at, body) in catalog {
            answer_in_turn(server, "GET", at, vec![answer(200, body)]).await;
        }
    }

    pub fn create_request() -> CreateInstance {
        CreateInstance {
            label: "wr-a1b2c3-42".to_owned(),
            hostname: "shop.customer.test".to_owned(),
            region: "sgp1".to_owned(),
            size: "s-2vcpu-2gb".to_owned(),
            image: "debian-12-x64".to_owned(),
            root_password: Some("Kp7qRt2vXw9yZa3bCd4e".to_owned()),
            ssh_keys: vec![SshPublicKey {
                name: "laptop".to_owned(),
                openssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk customer@laptop".to_owned(),
                fingerprint: "SHA256:abc".to_owned(),
            }],
        }
    }
}

/// Vultr v2: envelopes keyed by resource, cursor pagination through `meta.links.next`,
/// `{"error", "status"}` error bodies, 204 power actions.
pub mod vultr {
    use domain::providers::vultr::VultrProvider;
    use domain::providers::{CreateInstance, SshPublicKey};
    use serde_json::{Value, json};
    use wiremock::{MockServer, ResponseTemplate};

    use super::{answer_in_turn, settings};

    pub const KEY: &str = "VULTRTESTKEY0123456789ABCDEFGHIJ";
    pub const ID: &str = "6a1c2f3e-0b4d-4e5f-8a9b-1c2d3e4f5a6b";

    pub fn provider(server: &MockServer) -> VultrProvider {
        VultrProvider::with_settings(KEY.to_owned(), Some(server.uri()), settings()).unwrap()
    }

    pub fn answer(status: u16, body: Value) -> ResponseTemplate {
        ResponseTemplate::new(status).set_body_json(body)
    }

    pub fn error(status: u16, message: &str) -> ResponseTemplate {
        answer(status, json!({ "error": message, "status": status }))
    }

    pub fn meta(total: u64, next: &str) -> Value {
        json!({ "total": total, "links": { "next": next, "prev": "" } })
    }

    pub fn instance(id: &str, status: &str, power: &str, server: &str, main_ip: &str) -> Value {
        let v6 = if main_ip == "0.0.0.0" {
            json!([])
        } else {
            json!([{ "network": "2001:db8:5:1::", "main_ip": "2001:db8:5:1::a", "network_size": 64 }])
        };
        json!({
            "id": id,
            "os": "Debian 12 x64 (bookworm)",
            "ram": 2048,
            "disk": 55,
            "main_ip": main_ip,
            "vcpu_count": 1,
            "region": "sgp",
            "plan": "vc2-1c-2gb",
            "date_created": "2026-11-26T10:00:00+00:00",
            "status": status,
            "allowed_bandwidth": 2048,
            "netmask_v4": "255.255.254.0",
            "gateway_v4": "198.51.100.1",
            "power_status": power,
            "server_status": server,
            "v6_networks": v6,
            "label": "wr-a1b2c3-42",
            "internal_ip": "",
            "kvm": if status == "pending" { "" } else { "https://my.vultr.com/subs/vps/novnc/api.php?data=T3STT0K3N" },
            "hostname": "shop.customer.test",
            "os_id": 2136,
            "app_id": 0,
            "image_id": "",
            "firewall_group_id": "",
            "features": ["ipv6"],
            "tags": ["wr-a1b2c3-42"],
            "user_scheme": "root",
        })
    }

    pub fn keys() -> Vec<SshPublicKey> {
        vec![SshPublicKey {
            name: "laptop".to_owned(),
            openssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk customer@laptop".to_owned(),
            fingerprint: "SHA256:abc".to_owned(),
        }]
    }

    /// A catalog of one plan and one OS, offered in `sgp` and `nrt`.
    pub async fn mount_catalog(server: &MockServer) {
        let catalog = [
            (
                "/regions",
                json!({ "regions": [
            { "id": "sgp", "city": "Singapore", "country": "SG", "continent": "Asia", "options": ["ddos_protection"] },
            { "id": "nrt", "city": "Tokyo", "country": "JP", "continent": "Asia", "options": [] },
        ], "meta": meta(2, "") }),
            ),
            (
                "/plans",
                json!({ "plans": [
            { "id": "vc2-1c-2gb", "vcpu_count": 1, "ram": 2048, "disk": 55, "disk_count": 1, "bandwidth": 2048, "monthly_cost": 10, "type": "vc2", "locations": ["sgp", "nrt"] },
        ], "meta": meta(1, "") }),
            ),
            (
                "/os",
                json!({ "os": [
            { "id": 2136, "name": "Debian 12 x64 (bookworm)", "arch": "x64", "family": "debian" },
        ], "meta": meta(1, "") }),
            ),
        ];
        for (at, body) in catalog {
            answer_in_turn(server, "GET", at, vec![answer(200, body)]).await;
        }
    }

    pub fn create_request() -> CreateInstance {
        CreateInstance {
            label: "wr-a1b2c3-42".to_owned(),
            hostname: "shop.customer.test".to_owned(),
            region: "sgp".to_owned(),
            size: "vc2-1c-2gb".to_owned(),
            image: "2136".to_owned(),
            root_password: None,
            ssh_keys: keys(),
        }
    }
}

/// Linode v4: `{data, page, pages, results}` pages, bare Linode objects, `{}` for actions,
/// events for progress, `{"errors": [{"field", "reason"}]}` error bodies and the rate-limit
/// headers.
pub mod linode {
    use domain::providers::linode::LinodeProvider;
    use domain::providers::{CreateInstance, SshPublicKey};
    use serde_json::{Value, json};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::{answer_in_turn, settings};

    pub const TOKEN: &str = "linode-personal-access-token-test";
    pub const PASSWORD: &str = "Kp7qRt2vXw9yZa3bCd4e!";

    pub fn provider(server: &MockServer) -> LinodeProvider {
        LinodeProvider::with_settings(
            TOKEN.to_owned(),
            Some(format!("{}/v4", server.uri())),
            settings(),
        )
        .unwrap()
    }

    /// What Linode sends with every answer.
    pub fn answer(status: u16, body: Value) -> ResponseTemplate {
        ResponseTemplate::new(status)
            .set_body_json(body)
            .insert_header("x-ratelimit-limit", "800")
            .insert_header("x-ratelimit-remaining", "790")
            .insert_header("x-ratelimit-reset", "1767225600")
    }

    pub fn error(status: u16, field: Option<&str>, reason: &str) -> ResponseTemplate {
        let item = match field {
            Some(field) => json!({ "field": field, "reason": reason }),
            None => json!({ "reason": reason }),
        };
        answer(status, json!({ "errors": [item] }))
    }

    pub fn page(data: Value, page: u64, pages: u64, results: u64) -> Value {
        json!({ "data": data, "page": page, "pages": pages, "results": results })
    }

    pub fn linode(id: u64, label: &str, status: &str, ipv4: &[&str], ipv6: Option<&str>) -> Value {
        json!({
            "id": id,
            "label": label,
            "group": "",
            "status": status,
            "created": "2026-11-26T10:00:00",
            "updated": "2026-11-26T10:00:00",
            "type": "g6-standard-1",
            "ipv4": ipv4,
            "ipv6": ipv6,
            "image": "linode/debian12",
            "region": "ap-south",
            "specs": { "disk": 51200, "memory": 2048, "vcpus": 1, "gpus": 0, "transfer": 2000 },
            "alerts": { "cpu": 90, "network_in": 10, "network_out": 10, "transfer_quota": 80, "io": 10000 },
            "backups": { "enabled": false, "available": false, "schedule": { "day": null, "window": null }, "last_successful": null },
            "hypervisor": "kvm",
            "watchdog_enabled": true,
            "tags": ["webrana-cloud"],
            "host_uuid": "3a3ddd59d9a78bb8de041391075df44de62bfec8",
            "has_user_data": false,
            "capabilities": [],
        })
    }

    pub fn event(id: u64, action: &str, linode: u64, status: &str) -> Value {
        json!({
            "id": id,
            "action": action,
            "created": "2026-11-26T10:05:00",
            "duration": 12.5,
            "entity": { "id": linode, "label": "wr-a1b2c3-42", "type": "linode", "url": format!("/v4/linode/instances/{linode}") },
            "secondary_entity": null,
            "message": if status == "failed" { "The host could not boot the disk." } else { "" },
            "percent_complete": if status == "finished" { 100 } else { 40 },
            "rate": null,
            "read": false,
            "seen": false,
            "status": status,
            "time_remaining": null,
            "username": "reseller",
        })
    }

    /// A catalog of one type and one image; `ap-south` and `jp-osa` host Linodes.
    pub async fn mount_catalog(server: &MockServer) {
        let catalog = [
            (
                "/v4/regions",
                json!([
                    { "id": "ap-south", "label": "Singapore, SG", "country": "sg", "capabilities": ["Linodes", "Block Storage"], "status": "ok" },
                    { "id": "jp-osa", "label": "Osaka, JP", "country": "jp", "capabilities": ["Linodes"], "status": "ok" },
                ]),
            ),
            (
                "/v4/linode/types",
                json!([
                    { "id": "g6-standard-1", "label": "Linode 2GB", "class": "standard", "vcpus": 1, "memory": 2048, "disk": 51200, "transfer": 2000, "price": { "hourly": 0.018, "monthly": 12.0 } },
                ]),
            ),
            (
                "/v4/images",
                json!([
                    { "id": "linode/debian12", "label": "Debian 12", "vendor": "Debian", "is_public": true, "deprecated": false, "status": "available", "size": 1300, "type": "manual" },
                ]),
            ),
        ];
        for (at, data) in catalog {
            let count = data.as_array().map_or(0, Vec::len) as u64;
            answer_in_turn(
                server,
                "GET",
                at,
                vec![answer(200, page(data, 1, 1, count))],
            )
            .await;
        }
    }

    pub fn create_request() -> CreateInstance {
        CreateInstance {
            label: "wr-a1b2c3-42".to_owned(),
            hostname: "shop.customer.test".to_owned(),
            region: "ap-south".to_owned(),
            size: "g6-standard-1".to_owned(),
            image: "linode/debian12".to_owned(),
            root_password: Some(PASSWORD.to_owned()),
            ssh_keys: vec![SshPublicKey {
                name: "laptop".to_owned(),
                openssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk customer@laptop\n".to_owned(),
                fingerprint: "SHA256:abc".to_owned(),
            }],
        }
    }

    /// The one events page an action's baseline is read from.
    pub async fn mount_events(server: &MockServer, events: Value) {
        let count = events.as_array().map_or(0, Vec::len) as u64;
        Mock::given(method("GET"))
            .and(path("/v4/account/events"))
            .respond_with(answer(200, page(events, 1, 1, count)))
            .mount(server)
            .await;
    }
}

/// Mounts `answers` for `verb path` to be given in turn, one request each, the last one from
/// then on: how a mock server stands in for a cloud whose state moves on (a server that is
/// `new` on the first read and `active` after it, an action `in-progress` and then done).
pub async fn answer_in_turn(
    server: &MockServer,
    verb: &str,
    at: &str,
    answers: Vec<wiremock::ResponseTemplate>,
) {
    let last = answers.len().saturating_sub(1);
    for (turn, answer) in answers.into_iter().enumerate() {
        let mock = wiremock::Mock::given(wiremock::matchers::method(verb))
            .and(wiremock::matchers::path(at))
            .respond_with(answer);
        // Mocks of one priority are tried in the order they were mounted, and a used-up one no
        // longer matches, so each answer is given once and the last one stays.
        let mock = if turn < last {
            mock.up_to_n_times(1)
        } else {
            mock
        };
        mock.mount(server).await;
    }
}
