//! Servers on both databases, driven through the real job queue against the sandbox cloud:
//! provisioning, every customer action, refusals that change nothing, ownership, a worker that
//! dies mid-create, failures, status sync, and a provider that is no longer configured.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use domain::accounts::Role;
use domain::caller::{Caller, ClientInfo};
use domain::console::sandbox_screen::SandboxScreens;
use domain::error::{Code, ErrorCode};
use domain::instances::{self, ActionRequest, InstanceError, Instances, ProvisionRequest};
use domain::jobs::{self, Registry};
use domain::providers::sandbox::{SandboxProvider, SandboxTiming};
use domain::providers::{ActionKind, CloudProvider, CreateInstance, Providers};
use domain::secrets::SecretBox;
use domain::testing::{TestDb, drain, sandbox_plan_input};
use domain::{AppState, Db, DomainConfig, both_backends, catalog, db_run};

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKsXBOX/axZiN/9Ua5j0YgUOJmQX+jocWPs7QIZ2d+eb test@webrana";

struct Env {
    state: AppState,
    admin: Caller,
    alice: Caller,
    bob: Caller,
    plan_id: i64,
    jobs: Registry,
}

fn caller(user_id: i64, role: Role) -> Caller {
    Caller {
        user_id,
        session_id: 0,
        role,
        email_verified: true,
    }
}

fn instant_sandbox(db: &Db) -> Providers {
    sandbox_taking(
        db,
        SandboxTiming {
            create: StdDuration::ZERO,
            action: StdDuration::ZERO,
        },
    )
}

fn sandbox_taking(db: &Db, timing: SandboxTiming) -> Providers {
    Providers::default().with(Arc::new(SandboxProvider::new(
        db.clone(),
        timing,
        SandboxScreens::default(),
    )))
}

async fn env(test: &TestDb) -> Env {
    env_with(test, instant_sandbox(&test.db)).await
}

async fn env_with(test: &TestDb, providers: Providers) -> Env {
    let config = DomainConfig {
        providers,
        ..Default::default()
    };
    let state = AppState::new(test.db.clone(), &config).await.unwrap();
    let mut ids = Vec::new();
    for email in [
        "root@webrana.test",
        "alice@webrana.test",
        "bob@webrana.test",
    ] {
        let user = state
            .accounts
            .create_admin(email, "Someone", "ruang-server-aman-1")
            .await
            .unwrap();
        ids.push(user.id);
    }
    let admin = caller(ids[0], Role::Admin);
    state.catalog.sync_provider("sandbox").await.unwrap();
    let client = ClientInfo {
        ip: "203.0.113.9".into(),
        user_agent: "test".into(),
    };
    let plan = state
        .catalog
        .create_plan(
            &admin,
            &client,
            &sandbox_plan_input(
                "Nano",
                &["sbx-jkt1", "sbx-sgp1"],
                &["ubuntu-24-04-x64", "debian-12-x64", "sandbox-broken"],
            ),
        )
        .await
        .unwrap();
    let jobs = instances::worker::register(Registry::default(), state.instances.clone());
    Env {
        admin,
        alice: caller(ids[1], Role::Customer),
        bob: caller(ids[2], Role::Customer),
        plan_id: plan.id,
        jobs,
        state,
    }
}

fn request(env: &Env, user: &Caller, hostname: &str, image: &str) -> ProvisionRequest {
    ProvisionRequest {
        user_id: user.user_id,
        plan_id: env.plan_id,
        region: "sbx-jkt1".into(),
        image: image.into(),
        hostname: hostname.into(),
        ssh_key_ids: Vec::new(),
    }
}

async fn running_server(env: &Env, hostname: &str) -> i64 {
    let instance = env
        .state
        .instances
        .provision_for_user(
            &env.admin,
            request(env, &env.alice, hostname, "ubuntu-24-04-x64"),
        )
        .await
        .unwrap();
    drain(&env.state.db, &env.jobs).await;
    instance.id
}

async fn act(env: &Env, id: i64, kind: ActionKind) -> Result<(), InstanceError> {
    env.state
        .instances
        .request_action(
            &env.alice,
            id,
            ActionRequest {
                kind,
                image: None,
                confirm: None,
            },
        )
        .await
        .map(|_| ())
}

async fn count(db: &Db, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    db_run!(db, |pool| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_one(pool)
            .await
    })
    .unwrap()
}

both_backends! {
    async fn a_new_server_is_first_looked_at_when_its_provider_says_it_is_made(test: TestDb) {
        let timing = SandboxTiming { create: StdDuration::from_secs(5), action: StdDuration::ZERO };
        let env = env_with(&test, sandbox_taking(&test.db, timing)).await;
        env.state
            .instances
            .provision_for_user(&env.admin, request(&env, &env.alice, "web-1", "ubuntu-24-04-x64"))
            .await
            .unwrap();
        let before = Utc::now();
        let ran = jobs::run_once(&test.db, &env.jobs, "w", Duration::minutes(5)).await.unwrap().unwrap();
        assert_eq!(ran.kind, instances::PROVISION_JOB);
        let waiting = jobs::list(&test.db, Some("queued"), Some(instances::PROVISION_JOB), 1).await.unwrap();
        let next_look = waiting[0].run_at;
        assert!(
            next_look >= before + Duration::seconds(5) && next_look <= Utc::now() + Duration::seconds(6),
            "looked at again {} after the create, not on the 2 s schedule",
            next_look - before
        );
    }

    async fn an_admin_provisions_for_a_customer_and_the_server_boots(test: TestDb) {
        let env = env(&test).await;
        let client = ClientInfo { ip: "203.0.113.9".into(), user_agent: "test".into() };
        let key = domain::ssh_keys::add(&test.db, env.alice.user_id, "laptop", KEY, &client).await.unwrap();
        let bobs = domain::ssh_keys::add(&test.db, env.bob.user_id, "bob", KEY, &client).await.unwrap();
        let mut with_bobs_key = request(&env, &env.alice, "web-2", "ubuntu-24-04-x64");
        with_bobs_key.ssh_key_ids = vec![bobs.id];
        let refused = env.state.instances.provision_for_user(&env.admin, with_bobs_key).await.unwrap_err();
        assert_eq!(refused.code(), Code::NotFound, "another customer's key is not hers to install");
        let mut with_key = request(&env, &env.alice, "Web-1", "ubuntu-24-04-x64");
        with_key.ssh_key_ids = vec![key.id];
        let created = env.state.instances.provision_for_user(&env.admin, with_key).await.unwrap();
        assert_eq!((created.status.as_str(), created.hostname.as_str()), ("provisioning", "web-1"));
        assert!(created.ipv4.is_none() && !created.password_waiting);
        drain(&test.db, &env.jobs).await;

        let mine = env.state.instances.list_mine(&env.alice).await.unwrap();
        assert_eq!(mine.len(), 1);
        let server = &mine[0];
        assert_eq!(server.status.as_str(), "running");
        assert!(server.ipv4.as_deref().unwrap().starts_with("192.0.2."));
        assert!(server.ipv6.as_deref().unwrap().starts_with("2001:db8:"));
        assert_eq!((server.plan_name.as_str(), server.region_name.as_str()), ("Nano", "Sandbox Jakarta 1"));
        assert!(server.password_waiting);
        let installed: i64 = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT ssh_keys FROM sandbox_servers").fetch_one(pool).await
        })
        .unwrap();
        assert_eq!(installed, 1, "the chosen key went to the provider");

        let detail = env.state.instances.detail(&env.alice, server.id).await.unwrap();
        let kinds: Vec<&str> = detail.events.iter().rev().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["provisioning_requested", "provider_created", "ready"]);
        let offered: Vec<_> = detail.actions.iter().filter(|a| a.unavailable.is_none()).map(|a| a.kind).collect();
        assert_eq!(
            offered,
            [ActionKind::PowerOff, ActionKind::Shutdown, ActionKind::Reboot, ActionKind::ResetPassword, ActionKind::Rebuild]
        );

        // The password is shown once, stored encrypted, never in plain text.
        let password = env.state.instances.reveal_password(&env.alice, server.id).await.unwrap();
        assert_eq!(password.len(), 20);
        let stored: String = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT root_password FROM instances WHERE id = $1").bind(server.id).fetch_one(pool).await
        })
        .unwrap();
        assert!(stored.starts_with("v2:") && !stored.contains(&password));
        let again = env.state.instances.reveal_password(&env.alice, server.id).await.unwrap_err();
        assert_eq!(again.code(), Code::PasswordUnavailable);
    }

    async fn every_action_runs_through_the_queue(test: TestDb) {
        let env = env(&test).await;
        let id = running_server(&env, "app").await;
        let status = |env: &Env| {
            let instances = env.state.instances.clone();
            let alice = env.alice.clone();
            async move { instances.detail(&alice, id).await.unwrap().instance.status.to_string() }
        };
        for (kind, after) in [
            (ActionKind::Shutdown, "stopped"),
            (ActionKind::PowerOn, "running"),
            (ActionKind::PowerOff, "stopped"),
            (ActionKind::PowerOn, "running"),
            (ActionKind::Reboot, "running"),
        ] {
            act(&env, id, kind).await.unwrap();
            assert_eq!(
                env.state.instances.detail(&env.alice, id).await.unwrap().instance.open_action.as_deref(),
                Some(kind.as_str())
            );
            drain(&test.db, &env.jobs).await;
            assert_eq!(status(&env).await, after, "after {kind}");
        }

        env.state.instances.reveal_password(&env.alice, id).await.unwrap();
        act(&env, id, ActionKind::ResetPassword).await.unwrap();
        drain(&test.db, &env.jobs).await;
        let detail = env.state.instances.detail(&env.alice, id).await.unwrap();
        assert!(detail.instance.password_waiting, "a reset shows the new password once");
        let first = env.state.instances.reveal_password(&env.alice, id).await.unwrap();

        let rebuild = ActionRequest { kind: ActionKind::Rebuild, image: Some("debian-12-x64".into()), confirm: Some("APP".into()) };
        env.state.instances.request_action(&env.alice, id, rebuild).await.unwrap();
        drain(&test.db, &env.jobs).await;
        let detail = env.state.instances.detail(&env.alice, id).await.unwrap();
        assert_eq!((detail.instance.image_slug.as_str(), detail.instance.status.as_str()), ("debian-12-x64", "running"));
        let second = env.state.instances.reveal_password(&env.alice, id).await.unwrap();
        assert_ne!(first, second);
        let done: Vec<_> = detail.recent_actions.iter().map(|a| a.state.as_str()).collect();
        assert_eq!(done, ["done"; 7]);
        assert_eq!(detail.events.iter().filter(|e| e.kind == "action_done").count(), 7);
    }

    async fn refused_requests_change_nothing(test: TestDb) {
        let env = env(&test).await;
        let id = running_server(&env, "db").await;
        let (actions, jobs_before) = (count(&test.db, "instance_actions").await, count(&test.db, "jobs").await);

        // Not possible in this state, and a rebuild without the typed confirmation.
        assert_eq!(act(&env, id, ActionKind::PowerOn).await.unwrap_err().code(), Code::AlreadyRunning);
        let unconfirmed = ActionRequest { kind: ActionKind::Rebuild, image: Some("debian-12-x64".into()), confirm: Some("other".into()) };
        let error = env.state.instances.request_action(&env.alice, id, unconfirmed).await.unwrap_err();
        assert_eq!((error.code(), error.field()), (Code::ConfirmationMismatch, Some("confirm")));
        assert!(error.to_string().contains("db"));
        let unknown_image = ActionRequest { kind: ActionKind::Rebuild, image: Some("windows-95".into()), confirm: Some("db".into()) };
        assert!(env.state.instances.request_action(&env.alice, id, unknown_image).await.is_err());
        assert_eq!(count(&test.db, "instance_actions").await, actions);
        assert_eq!(count(&test.db, "jobs").await, jobs_before);

        // One action at a time.
        act(&env, id, ActionKind::Reboot).await.unwrap();
        let busy = act(&env, id, ActionKind::PowerOff).await.unwrap_err();
        assert_eq!(busy.code(), Code::ActionInProgress);
        assert!(busy.to_string().contains("reboot"));

        // Bad host names and duplicates, per customer.
        let bad = env.state.instances.provision_for_user(&env.admin, request(&env, &env.alice, "-bad_", "ubuntu-24-04-x64")).await.unwrap_err();
        assert_eq!((bad.code(), bad.field()), (Code::HostnameInvalid, Some("hostname")));
        let taken = env.state.instances.provision_for_user(&env.admin, request(&env, &env.alice, "DB", "ubuntu-24-04-x64")).await.unwrap_err();
        assert_eq!(taken.code(), Code::HostnameTaken);
        env.state.instances.provision_for_user(&env.admin, request(&env, &env.bob, "db", "ubuntu-24-04-x64")).await.unwrap();
        let mut elsewhere = request(&env, &env.alice, "db-2", "ubuntu-24-04-x64");
        elsewhere.region = "sbx-tyo1".into();
        assert!(env.state.instances.provision_for_user(&env.admin, elsewhere).await.is_err());
        let not_admin = env.state.instances.provision_for_user(&env.alice, request(&env, &env.alice, "db-3", "ubuntu-24-04-x64")).await.unwrap_err();
        assert_eq!(not_admin.code(), Code::Forbidden);
        assert_eq!(count(&test.db, "instances").await, 2);
    }

    async fn nobody_sees_or_touches_another_customers_server(test: TestDb) {
        let env = env(&test).await;
        let id = running_server(&env, "private").await;
        let instances = &env.state.instances;
        assert_eq!(instances.detail(&env.bob, id).await.unwrap_err().code(), Code::NotFound);
        assert_eq!(instances.events(&env.bob, id).await.unwrap_err().code(), Code::NotFound);
        let reboot = ActionRequest { kind: ActionKind::Reboot, image: None, confirm: None };
        assert_eq!(instances.request_action(&env.bob, id, reboot).await.unwrap_err().code(), Code::NotFound);
        assert_eq!(instances.reveal_password(&env.bob, id).await.unwrap_err().code(), Code::NotFound);
        assert!(instances.list_mine(&env.bob).await.unwrap().is_empty());
        assert_eq!(instances.detail(&env.bob, id + 1000).await.unwrap_err().code(), Code::NotFound);
        // Admins see every server but do not act as its owner.
        assert!(instances.detail(&env.admin, id).await.is_ok());
        assert_eq!(instances.list_all(&env.admin, &Default::default(), 50).await.unwrap().len(), 1);
        assert_eq!(instances.list_all(&env.alice, &Default::default(), 50).await.unwrap_err().code(), Code::Forbidden);
        assert!(instances.detail(&env.alice, id).await.unwrap().instance.password_waiting);
    }

    async fn a_create_whose_worker_died_is_found_not_repeated(test: TestDb) {
        let env = env(&test).await;
        let created = env
            .state
            .instances
            .provision_for_user(&env.admin, request(&env, &env.alice, "phoenix", "ubuntu-24-04-x64"))
            .await
            .unwrap();
        // A worker takes the job, sends the create, and dies before writing down the answer.
        let job = jobs::claim(&test.db, &env.jobs, "doomed", Duration::seconds(-1)).await.unwrap().unwrap();
        assert_eq!(job.kind, instances::PROVISION_JOB);
        let label: String = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT label FROM instances WHERE id = $1").bind(created.id).fetch_one(pool).await
        })
        .unwrap();
        let sandbox = SandboxProvider::new(test.db.clone(), SandboxTiming { create: StdDuration::ZERO, action: StdDuration::ZERO }, SandboxScreens::default());
        sandbox
            .create_instance(&CreateInstance {
                label,
                hostname: "phoenix".into(),
                region: "sbx-jkt1".into(),
                size: "sbx-1c-1g".into(),
                image: "ubuntu-24-04-x64".into(),
                root_password: Some("an-earlier-attempts-password".into()),
                ssh_keys: Vec::new(),
            })
            .await
            .unwrap();
        // Its lease has run out: another worker picks the job up and finishes it once.
        drain(&test.db, &env.jobs).await;
        assert_eq!(count(&test.db, "sandbox_servers").await, 1);
        let detail = env.state.instances.detail(&env.alice, created.id).await.unwrap();
        assert_eq!(detail.instance.status.as_str(), "running");
        assert_eq!(detail.events.iter().filter(|e| e.kind == "ready").count(), 1);
        let finished = jobs::list(&test.db, Some("done"), Some(instances::PROVISION_JOB), 10).await.unwrap();
        assert_eq!(finished.len(), 1);
        assert_eq!(finished[0].attempts, 2, "the dead worker's attempt, then the one that finished");
    }

    async fn a_server_that_fails_to_boot_says_why(test: TestDb) {
        let env = env(&test).await;
        let id = running_server(&env, "broken-one").await;
        let broken = env
            .state
            .instances
            .provision_for_user(&env.admin, request(&env, &env.alice, "broken-two", "sandbox-broken"))
            .await
            .unwrap();
        drain(&test.db, &env.jobs).await;
        let detail = env.state.instances.detail(&env.alice, broken.id).await.unwrap();
        assert_eq!(detail.instance.status.as_str(), "error");
        assert!(detail.instance.status_message.as_deref().unwrap().contains("did not boot"));
        assert!(!detail.instance.password_waiting, "no password the provider did not accept");
        assert!(detail.events.iter().any(|e| e.kind == "provisioning_failed" && e.level == "error"));
        assert!(detail.actions.iter().all(|a| a.unavailable.as_deref() == Some("not_ready")));
        assert_eq!(env.state.instances.detail(&env.alice, id).await.unwrap().instance.status.as_str(), "running");
    }

    async fn status_sync_picks_up_changes_made_elsewhere(test: TestDb) {
        let env = env(&test).await;
        let id = running_server(&env, "drifty").await;
        let gone = running_server(&env, "gone").await;
        db_run!(&test.db, |pool| {
            sqlx::query("UPDATE sandbox_servers SET status = 'stopped' WHERE label LIKE '%-' || $1")
                .bind(id.to_string())
                .execute(pool)
                .await
                .map(|_| ())
        })
        .unwrap();
        db_run!(&test.db, |pool| {
            sqlx::query("UPDATE sandbox_servers SET status = 'deleted' WHERE label LIKE '%-' || $1")
                .bind(gone.to_string())
                .execute(pool)
                .await
                .map(|_| ())
        })
        .unwrap();
        assert_eq!(env.state.instances.sync_statuses().await.unwrap(), 2);
        let detail = env.state.instances.detail(&env.alice, id).await.unwrap();
        assert_eq!(detail.instance.status.as_str(), "stopped");
        assert_eq!(detail.events[0].kind, "status_changed");
        assert_eq!(env.state.instances.detail(&env.alice, gone).await.unwrap().instance.status.as_str(), "deleted");
        assert_eq!(env.state.instances.sync_statuses().await.unwrap(), 0, "nothing changes twice");

        // The recurring job keeps itself scheduled.
        assert!(jobs::ensure_scheduled(&test.db, instances::STATUS_SYNC_JOB, Utc::now()).await.unwrap());
        assert!(!jobs::ensure_scheduled(&test.db, instances::STATUS_SYNC_JOB, Utc::now()).await.unwrap());
        jobs::run_once(&test.db, &env.jobs, "w", Duration::minutes(5)).await.unwrap().unwrap();
        let queued = jobs::list(&test.db, Some("queued"), Some(instances::STATUS_SYNC_JOB), 10).await.unwrap();
        assert_eq!(queued.len(), 1);
        assert!(queued[0].run_at > Utc::now() + Duration::minutes(4));
    }

    async fn a_root_password_copied_to_another_server_does_not_open_there(test: TestDb) {
        let env = env(&test).await;
        let first = running_server(&env, "satu").await;
        let second = running_server(&env, "dua").await;
        let stored: Vec<String> = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT root_password FROM instances ORDER BY id").fetch_all(pool).await
        })
        .unwrap();
        assert!(stored.iter().all(|sealed| sealed.starts_with("v2:")), "{stored:?}");
        db_run!(&test.db, |pool| {
            sqlx::query("UPDATE instances SET root_password = $1 WHERE id = $2").bind(&stored[0]).bind(second).execute(pool).await.map(|_| ())
        })
        .unwrap();
        let moved = env.state.instances.reveal_password(&env.alice, second).await.unwrap_err();
        assert_eq!(moved.code(), Code::Internal, "{moved}");
        let own = env.state.instances.reveal_password(&env.alice, first).await.unwrap();
        assert_eq!(own.len(), 20);
    }

    async fn servers_of_a_removed_provider_stay_listed_with_actions_refused(test: TestDb) {
        let env = env(&test).await;
        let id = running_server(&env, "orphan").await;
        let secrets = SecretBox::configured_or_generated(&test.db, None).await.unwrap();
        let without = Instances::new(
            test.db.clone(),
            Providers::default(),
            catalog::Catalog::new(test.db.clone(), Providers::default()),
            secrets,
            &env.state.installation_id,
        );
        let detail = without.detail(&env.alice, id).await.unwrap();
        assert!(detail.instance.ipv4.is_some(), "still listed with its address");
        assert!(detail.capabilities.is_none());
        assert!(detail.actions.iter().all(|a| a.unavailable.as_deref() == Some("provider_unavailable")));
        let reboot = ActionRequest { kind: ActionKind::Reboot, image: None, confirm: None };
        let error = without.request_action(&env.alice, id, reboot).await.unwrap_err();
        assert_eq!(error.code(), Code::ProviderUnavailable);
        assert!(error.to_string().contains("sandbox"));
    }
}

both_backends! {
    async fn a_failed_server_moves_only_when_its_provider_says_it_runs_and_once(test: TestDb) {
        let env = env(&test).await;
        let broken = env
            .state
            .instances
            .provision_for_user(&env.admin, request(&env, &env.alice, "broken-one", "sandbox-broken"))
            .await
            .unwrap();
        drain(&test.db, &env.jobs).await;
        let provider_says = |status: &'static str| {
            let db = test.db.clone();
            async move {
                db_run!(&db, |pool| {
                    sqlx::query("UPDATE sandbox_servers SET status = $1 WHERE label LIKE '%-' || $2")
                        .bind(status)
                        .bind(broken.id.to_string())
                        .execute(pool)
                        .await
                        .map(|_| ())
                })
                .unwrap();
            }
        };
        let status_changes = || async {
            let events = env.state.instances.events(&env.alice, broken.id).await.unwrap();
            events
                .into_iter()
                .filter(|event| event.kind == "status_changed")
                .map(|event| event.message.unwrap_or_default())
                .collect::<Vec<_>>()
        };

        // Illegal: a failed server does not become stopped; nothing changes, nothing is told.
        provider_says("stopped").await;
        assert_eq!(env.state.instances.sync_statuses().await.unwrap(), 0);
        let server = env.state.instances.detail(&env.alice, broken.id).await.unwrap().instance;
        assert_eq!(server.status.as_str(), "error");
        assert!(status_changes().await.is_empty());

        // It runs after all: one move, told once however often it is reported.
        provider_says("running").await;
        assert_eq!(env.state.instances.sync_statuses().await.unwrap(), 1);
        assert_eq!(env.state.instances.sync_statuses().await.unwrap(), 0, "a repeated report is no move");
        let server = env.state.instances.detail(&env.alice, broken.id).await.unwrap().instance;
        assert_eq!(server.status.as_str(), "running");
        assert_eq!(status_changes().await, ["error → running"]);
    }
}
