#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The provisioning worker against mock clouds that misbehave the way the real ones are known to
//! (`../shared/provider-apis/README.md`): a create whose answer never arrives, a new server that
//! answers 404 for a while, a graceful shutdown the guest ignores. Driven through the real job
//! queue on both databases, from an admin's "provision for user" to a running server, and a
//! paid resize on DigitalOcean, which needs the droplet off.

mod support;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use domain::accounts::Role;
use domain::caller::{Caller, ClientInfo};
use domain::catalog::PlanInput;
use domain::instances::{self, ActionRequest, Instance, ProvisionRequest};
use domain::jobs::Registry;
use domain::providers::{ActionKind, CloudProvider, Providers};
use domain::testing::{TestDb, drain};
use domain::{AppState, Db, DomainConfig, both_backends, db_run};
use serde_json::{Value, json};
use support::mock_clouds::{answer_in_turn, digitalocean, linode, requests, vultr};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// One cloud's catalog entries the plan is made of.
struct Offer {
    size: &'static str,
    region: &'static str,
    image: &'static str,
}

const DIGITALOCEAN: Offer = Offer {
    size: "s-2vcpu-2gb",
    region: "sgp1",
    image: "debian-12-x64",
};
const VULTR: Offer = Offer {
    size: "vc2-1c-2gb",
    region: "sgp",
    image: "2136",
};
const LINODE: Offer = Offer {
    size: "g6-standard-1",
    region: "ap-south",
    image: "linode/debian12",
};

struct Env {
    state: AppState,
    jobs: Registry,
    customer: Caller,
    instance_id: i64,
    /// The unique label the worker creates and looks the server up by.
    label: String,
}

fn caller(user_id: i64, role: Role) -> Caller {
    Caller {
        user_id,
        session_id: 0,
        role,
        email_verified: true,
    }
}

/// A platform whose only cloud is `provider`, with its catalog synced, one plan priced from
/// `offer`, and a server just ordered by an admin for a customer (nothing sent to the cloud yet).
async fn ordered_on(test: &TestDb, provider: Arc<dyn CloudProvider>, offer: &Offer) -> Env {
    let name = provider.name().to_owned();
    let config = DomainConfig {
        providers: Providers::default().with(provider),
        ..Default::default()
    };
    let state = AppState::new(test.db.clone(), &config).await.unwrap();
    let admin = state
        .accounts
        .create_admin("root@webrana.test", "Root", "ruang-server-aman-1")
        .await
        .unwrap();
    let customer = state
        .accounts
        .create_admin("sari@webrana.test", "Sari", "ruang-server-aman-2")
        .await
        .unwrap();
    let admin = caller(admin.id, Role::Admin);
    let customer = caller(customer.id, Role::Customer);
    state.catalog.sync_provider(&name).await.unwrap();
    let client = ClientInfo {
        ip: "203.0.113.9".into(),
        user_agent: "test".into(),
    };
    let plan = state
        .catalog
        .create_plan(
            &admin,
            &client,
            &PlanInput {
                name: "Cloud 2G".into(),
                provider: name,
                size_slug: offer.size.into(),
                vcpus: None,
                memory_mb: None,
                disk_gb: None,
                transfer_gb: None,
                price_idr_monthly: 450_000,
                discount_3m_percent: 0,
                discount_6m_percent: 0,
                discount_12m_percent: 0,
                region_slugs: vec![offer.region.into()],
                image_slugs: vec![offer.image.into()],
                visible: true,
                sort_order: 0,
            },
        )
        .await
        .unwrap();
    let instance = state
        .instances
        .provision_for_user(
            &admin,
            ProvisionRequest {
                user_id: customer.user_id,
                plan_id: plan.id,
                region: offer.region.into(),
                image: offer.image.into(),
                hostname: "shop.customer.test".into(),
                ssh_key_ids: Vec::new(),
            },
        )
        .await
        .unwrap();
    let label: String = db_run!(&test.db, |pool| {
        sqlx::query_scalar("SELECT label FROM instances WHERE id = $1")
            .bind(instance.id)
            .fetch_one(pool)
            .await
    })
    .unwrap();
    Env {
        jobs: instances::worker::register(Registry::default(), state.instances.clone()),
        state,
        customer,
        instance_id: instance.id,
        label,
    }
}

impl Env {
    async fn server(&self) -> Instance {
        let mine = self
            .state
            .instances
            .list_mine(&self.customer)
            .await
            .unwrap();
        mine.into_iter()
            .find(|server| server.id == self.instance_id)
            .unwrap()
    }

    async fn event_kinds(&self) -> Vec<String> {
        self.state
            .instances
            .events(&self.customer, self.instance_id)
            .await
            .unwrap()
            .into_iter()
            .map(|event| event.kind)
            .collect()
    }
}

async fn sent(server: &MockServer, verb: &str, at: &str) -> Vec<Value> {
    requests(server)
        .await
        .into_iter()
        .filter(|request| request.method.as_str() == verb && request.url.path() == at)
        .map(|request| serde_json::from_slice(&request.body).unwrap_or(Value::Null))
        .collect()
}

fn no_droplets() -> ResponseTemplate {
    digitalocean::answer(
        200,
        json!({ "droplets": [], "links": {}, "meta": { "total": 0 } }),
    )
}

/// No droplet under any tag yet, and a create that answers with droplet `id`, still `new`.
async fn accepts_one_create(cloud: &MockServer, id: u64, label: &str) {
    use digitalocean::{answer, droplet};
    answer_in_turn(cloud, "GET", "/v2/droplets", vec![no_droplets()]).await;
    let created = droplet(id, "new", json!([]), json!([]), &[label]);
    answer_in_turn(
        cloud,
        "POST",
        "/v2/droplets",
        vec![answer(202, json!({ "droplet": created }))],
    )
    .await;
}

/// Makes the last create look `by` older, as if the wait for it to show had passed.
async fn backdate_create(db: &Db, instance_id: i64, by: Duration) {
    db_run!(db, |pool| {
        sqlx::query("UPDATE instances SET create_sent_at = $1 WHERE id = $2")
            .bind(Utc::now() - by)
            .bind(instance_id)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
}

both_backends! {
    async fn a_create_whose_answer_is_lost_makes_one_server(test: TestDb) {
        use digitalocean::{answer, droplet, public_v4, public_v6};
        let cloud = MockServer::start().await;
        digitalocean::mount_catalog(&cloud).await;
        let env = ordered_on(&test, Arc::new(digitalocean::provider(&cloud)), &DIGITALOCEAN).await;
        let label = env.label.as_str();
        // DigitalOcean makes the droplet, but its answer arrives only after the client gave up.
        Mock::given(method("POST"))
            .and(path("/v2/droplets"))
            .respond_with(
                answer(202, json!({ "droplet": droplet(51000009, "new", json!([]), json!([]), &[label]) }))
                    .set_delay(StdDuration::from_secs(2)),
            )
            .mount(&cloud)
            .await;
        // The new droplet is missing from lists at first, as DigitalOcean documents.
        answer_in_turn(&cloud, "GET", "/v2/droplets", vec![
            no_droplets(),
            no_droplets(),
            answer(200, json!({
                "droplets": [droplet(51000009, "active", public_v4(), public_v6(), &[label])],
                "links": {}, "meta": { "total": 1 },
            })),
        ]).await;
        answer_in_turn(&cloud, "GET", "/v2/droplets/51000009", vec![
            answer(200, json!({ "droplet": droplet(51000009, "active", public_v4(), public_v6(), &[label]) })),
        ]).await;

        drain(&test.db, &env.jobs).await;

        assert_eq!(sent(&cloud, "POST", "/v2/droplets").await.len(), 1, "one create, never a second");
        let lookups = requests(&cloud).await.into_iter()
            .filter(|request| request.url.path() == "/v2/droplets"
                && request.url.query_pairs().any(|(key, value)| key == "tag_name" && value == label))
            .count();
        assert_eq!(lookups, 3, "looked up before the create, and until the lost one showed");
        let server = env.server().await;
        assert_eq!((server.status.as_str(), server.ipv4.as_deref()), ("running", Some("203.0.113.24")));
        assert!(server.password_waiting, "the password sent in user_data is the one that works");
        assert!(env.event_kinds().await.contains(&"provider_created".to_owned()));
    }

    async fn a_lost_create_that_never_shows_is_sent_again_after_the_wait(test: TestDb) {
        use digitalocean::{answer, droplet, public_v4, public_v6};
        let cloud = MockServer::start().await;
        digitalocean::mount_catalog(&cloud).await;
        let env = ordered_on(&test, Arc::new(digitalocean::provider(&cloud)), &DIGITALOCEAN).await;
        let label = env.label.as_str();
        // The first create dies on the way (a gateway error, nothing made); the second lands.
        answer_in_turn(&cloud, "POST", "/v2/droplets", vec![
            digitalocean::error(503, "service_unavailable", "Service Unavailable"),
            answer(202, json!({ "droplet": droplet(51000010, "new", json!([]), json!([]), &[label]) })),
        ]).await;
        answer_in_turn(&cloud, "GET", "/v2/droplets", vec![no_droplets()]).await;
        answer_in_turn(&cloud, "GET", "/v2/droplets/51000010", vec![
            answer(200, json!({ "droplet": droplet(51000010, "active", public_v4(), public_v6(), &[label]) })),
        ]).await;

        // Within the wait, nothing is sent again however often the job runs.
        for _ in 0..3 {
            let _ = domain::jobs::run_once(&test.db, &env.jobs, "w", Duration::minutes(5)).await.unwrap();
            db_run!(&test.db, |pool| {
                sqlx::query("UPDATE jobs SET run_at = $1 WHERE state = 'queued'")
                    .bind(Utc::now())
                    .execute(pool)
                    .await
                    .map(|_| ())
            })
            .unwrap();
        }
        assert_eq!(sent(&cloud, "POST", "/v2/droplets").await.len(), 1);
        assert_eq!(env.server().await.status.as_str(), "provisioning");

        backdate_create(&test.db, env.instance_id, Duration::minutes(3)).await;
        drain(&test.db, &env.jobs).await;
        assert_eq!(sent(&cloud, "POST", "/v2/droplets").await.len(), 2);
        assert_eq!(env.server().await.status.as_str(), "running");
    }

    async fn a_droplet_missing_right_after_create_is_waited_for(test: TestDb) {
        use digitalocean::{answer, droplet, error, public_v4, public_v6};
        let cloud = MockServer::start().await;
        digitalocean::mount_catalog(&cloud).await;
        let env = ordered_on(&test, Arc::new(digitalocean::provider(&cloud)), &DIGITALOCEAN).await;
        let label = env.label.as_str();
        accepts_one_create(&cloud, 51000011, label).await;
        let missing = || error(404, "not_found", "The resource you were accessing could not be found.");
        answer_in_turn(&cloud, "GET", "/v2/droplets/51000011", vec![
            missing(),
            missing(),
            answer(200, json!({ "droplet": droplet(51000011, "active", public_v4(), public_v6(), &[label]) })),
        ]).await;

        drain(&test.db, &env.jobs).await;

        assert_eq!(sent(&cloud, "POST", "/v2/droplets").await.len(), 1);
        assert_eq!(sent(&cloud, "GET", "/v2/droplets/51000011").await.len(), 3);
        let server = env.server().await;
        assert_eq!((server.status.as_str(), server.ipv4.as_deref()), ("running", Some("203.0.113.24")));
    }

    async fn a_vultr_instance_missing_right_after_create_is_waited_for(test: TestDb) {
        use vultr::{ID, answer, error, instance, meta};
        let cloud = MockServer::start().await;
        vultr::mount_catalog(&cloud).await;
        let env = ordered_on(&test, Arc::new(vultr::provider(&cloud)), &VULTR).await;
        Mock::given(method("GET"))
            .and(path("/instances"))
            .and(query_param("label", env.label.as_str()))
            .respond_with(answer(200, json!({ "instances": [], "meta": meta(0, "") })))
            .mount(&cloud)
            .await;
        let mut created = instance(ID, "pending", "running", "none", "0.0.0.0");
        created["label"] = json!(env.label);
        created["default_password"] = json!("v7#Generated!Pw");
        answer_in_turn(&cloud, "POST", "/instances", vec![answer(202, json!({ "instance": created }))]).await;
        let mut up = instance(ID, "active", "running", "ok", "198.51.100.7");
        up["label"] = json!(env.label);
        answer_in_turn(&cloud, "GET", &format!("/instances/{ID}"), vec![
            error(404, "Invalid instance-id."),
            answer(200, json!({ "instance": up })),
        ]).await;

        drain(&test.db, &env.jobs).await;

        assert_eq!(sent(&cloud, "POST", "/instances").await.len(), 1);
        let server = env.server().await;
        assert_eq!((server.status.as_str(), server.ipv4.as_deref()), ("running", Some("198.51.100.7")));
        let revealed = env.state.instances.reveal_password(&env.customer, env.instance_id).await.unwrap();
        assert_eq!(revealed, "v7#Generated!Pw", "Vultr's own password is the one that works");
    }

    async fn a_linode_missing_right_after_create_is_waited_for(test: TestDb) {
        use linode::{answer, error, page};
        const ID: u64 = 41000007;
        let cloud = MockServer::start().await;
        linode::mount_catalog(&cloud).await;
        let env = ordered_on(&test, Arc::new(linode::provider(&cloud)), &LINODE).await;
        let linode_in = |status: &str| {
            linode::linode(ID, &env.label, status, &["203.0.113.50"], Some("2001:db8::f03c:91ff:fe24:3a2f/128"))
        };
        answer_in_turn(&cloud, "GET", "/v4/linode/instances", vec![answer(200, page(json!([]), 1, 1, 0))]).await;
        answer_in_turn(&cloud, "POST", "/v4/linode/instances", vec![answer(200, linode_in("provisioning"))]).await;
        answer_in_turn(&cloud, "GET", &format!("/v4/linode/instances/{ID}"), vec![
            error(404, None, "Not found"),
            answer(200, linode_in("booting")),
            answer(200, linode_in("running")),
        ]).await;

        drain(&test.db, &env.jobs).await;

        let creates = sent(&cloud, "POST", "/v4/linode/instances").await;
        assert_eq!(creates.len(), 1);
        let server = env.server().await;
        assert_eq!((server.status.as_str(), server.ipv4.as_deref()), ("running", Some("203.0.113.50")));
        let revealed = env.state.instances.reveal_password(&env.customer, env.instance_id).await.unwrap();
        assert_eq!(creates[0]["root_pass"], json!(revealed), "the password Linode was given is the one shown");
    }

    async fn a_shutdown_the_guest_ignores_ends_in_a_power_off(test: TestDb) {
        use digitalocean::{action, answer, droplet, public_v4, public_v6};
        let cloud = MockServer::start().await;
        digitalocean::mount_catalog(&cloud).await;
        let env = ordered_on(&test, Arc::new(digitalocean::provider(&cloud)), &DIGITALOCEAN).await;
        let label = env.label.as_str();
        accepts_one_create(&cloud, 51000012, label).await;
        answer_in_turn(&cloud, "GET", "/v2/droplets/51000012", vec![
            answer(200, json!({ "droplet": droplet(51000012, "active", public_v4(), public_v6(), &[label]) })),
            answer(200, json!({ "droplet": droplet(51000012, "off", public_v4(), public_v6(), &[label]) })),
        ]).await;
        drain(&test.db, &env.jobs).await;
        assert_eq!(env.server().await.status.as_str(), "running");

        answer_in_turn(&cloud, "POST", "/v2/droplets/51000012/actions", vec![
            answer(201, action(7001, "in-progress", "shutdown")),
            answer(201, action(7002, "in-progress", "power_off")),
        ]).await;
        // The guest never acts on the shutdown request; the power-off completes.
        answer_in_turn(&cloud, "GET", "/v2/actions/7001", vec![answer(200, action(7001, "in-progress", "shutdown"))]).await;
        answer_in_turn(&cloud, "GET", "/v2/actions/7002", vec![answer(200, action(7002, "completed", "power_off"))]).await;
        env.state.instances.request_action(&env.customer, env.instance_id, ActionRequest {
            kind: ActionKind::Shutdown,
            image: None,
            confirm: None,
        }).await.unwrap();
        // The grace a guest gets has passed.
        db_run!(&test.db, |pool| {
            sqlx::query("UPDATE instance_actions SET created_at = $1")
                .bind(Utc::now() - Duration::minutes(3))
                .execute(pool)
                .await
                .map(|_| ())
        })
        .unwrap();

        drain(&test.db, &env.jobs).await;

        let kinds: Vec<Value> = sent(&cloud, "POST", "/v2/droplets/51000012/actions").await
            .into_iter().map(|body| body["type"].clone()).collect();
        assert_eq!(kinds, [json!("shutdown"), json!("power_off")], "one shutdown, one power-off");
        assert_eq!(env.server().await.status.as_str(), "stopped");
        let events = env.event_kinds().await;
        assert!(events.contains(&"shutdown_forced".to_owned()), "{events:?}");
        assert!(events.contains(&"action_done".to_owned()), "{events:?}");
    }

    async fn a_paid_digitalocean_resize_powers_off_resizes_with_the_disk_and_powers_on(test: TestDb) {
        use digitalocean::{action, answer, droplet, public_v4, public_v6};
        let cloud = MockServer::start().await;
        digitalocean::mount_catalog(&cloud).await;
        let env = ordered_on(&test, Arc::new(digitalocean::provider(&cloud)), &DIGITALOCEAN).await;
        let label = env.label.clone();
        accepts_one_create(&cloud, 51000020, &label).await;
        let on = |status: &str, size: &str| {
            let mut found = droplet(51000020, status, public_v4(), public_v6(), &[label.as_str()]);
            found["size_slug"] = json!(size);
            answer(200, json!({ "droplet": found }))
        };
        answer_in_turn(&cloud, "GET", "/v2/droplets/51000020", vec![on("active", "s-2vcpu-2gb")]).await;
        drain(&test.db, &env.jobs).await;
        assert_eq!(env.server().await.status.as_str(), "running");

        // The service behind the server has paid for a bigger size.
        let (plan_id, user_id): (i64, i64) = db_run!(&test.db, |pool| {
            sqlx::query_as("SELECT plan_id, user_id FROM instances WHERE id = $1")
                .bind(env.instance_id).fetch_one(pool).await
        }).unwrap();
        let order_id: i64 = db_run!(&test.db, |pool| {
            sqlx::query_scalar(
                "INSERT INTO orders (user_id, plan_id, region_slug, image_slug, hostname, period_months, \
                 status, instance_id, paid_until, created_at, updated_at) \
                 VALUES ($1, $2, 'sgp1', 'debian-12-x64', 'shop.customer.test', 1, 'active', $3, $4, $5, $5) RETURNING id",
            )
            .bind(user_id).bind(plan_id).bind(env.instance_id).bind(Utc::now() + Duration::days(20)).bind(Utc::now())
            .fetch_one(pool).await
        }).unwrap();
        let resize_id: i64 = db_run!(&test.db, |pool| {
            sqlx::query_scalar(
                "INSERT INTO resizes (order_id, instance_id, from_plan_id, to_plan_id, to_size_slug, status, \
                 requested_by, created_at, updated_at) VALUES ($1, $2, $3, $3, 's-4vcpu-8gb', 'queued', $4, $5, $5) RETURNING id",
            )
            .bind(order_id).bind(env.instance_id).bind(plan_id).bind(user_id).bind(Utc::now())
            .fetch_one(pool).await
        }).unwrap();
        let mut tx = env.state.db.begin().await.unwrap();
        domain::jobs::enqueue(&mut tx, instances::resize::RESIZE_JOB, &json!({ "resize_id": resize_id }), Utc::now(), 8).await.unwrap();
        tx.commit().await.unwrap();
        // DigitalOcean resizes only a droplet that is off, and leaves it off.
        cloud.reset().await;
        answer_in_turn(&cloud, "GET", "/v2/droplets/51000020", vec![
            on("active", "s-2vcpu-2gb"),
            on("active", "s-2vcpu-2gb"),
            on("off", "s-2vcpu-2gb"),
            on("off", "s-2vcpu-2gb"),
            on("off", "s-4vcpu-8gb"),
            on("off", "s-4vcpu-8gb"),
            on("active", "s-4vcpu-8gb"),
        ]).await;
        answer_in_turn(&cloud, "POST", "/v2/droplets/51000020/actions", vec![
            answer(201, action(36000001, "in-progress", "power_off")),
            answer(201, action(36000002, "in-progress", "resize")),
            answer(201, action(36000003, "in-progress", "power_on")),
        ]).await;
        answer_in_turn(&cloud, "GET", "/v2/actions/36000002", vec![
            answer(200, action(36000002, "in-progress", "resize")),
            answer(200, action(36000002, "completed", "resize")),
        ]).await;

        drain(&test.db, &env.jobs).await;

        let sent = sent(&cloud, "POST", "/v2/droplets/51000020/actions").await;
        let kinds: Vec<&str> = sent.iter().map(|body| body["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["power_off", "resize", "power_on"]);
        assert_eq!((sent[1]["size"].as_str(), sent[1]["disk"].as_bool()), (Some("s-4vcpu-8gb"), Some(true)));
        let (status, size): (String, String) = db_run!(&test.db, |pool| {
            sqlx::query_as("SELECT r.status, i.size_slug FROM resizes r JOIN instances i ON i.id = r.instance_id WHERE r.id = $1")
                .bind(resize_id).fetch_one(pool).await
        }).unwrap();
        assert_eq!((status.as_str(), size.as_str()), ("done", "s-4vcpu-8gb"));
        let server = env.server().await;
        assert_eq!((server.status.as_str(), server.open_action), ("running", None));
        assert!(env.event_kinds().await.contains(&"resized".to_owned()));
    }
}
