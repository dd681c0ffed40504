//! Console tickets and sessions on both databases, against the sandbox cloud's real screen:
//! who may open a console, a ticket's single use, its lifetime and binding to server and IP,
//! the per-user cap, and the record every session leaves.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use domain::accounts::Role;
use domain::audit::{self, AuditFilter};
use domain::caller::{Caller, ClientInfo};
use domain::console::sandbox_screen::SandboxScreens;
use domain::console::{ConsoleError, Opening, SESSIONS_PER_USER, Traffic};
use domain::error::{Code, ErrorCode};
use domain::instances::{self, ActionRequest, ProvisionRequest};
use domain::jobs::Registry;
use domain::providers::ActionKind;
use domain::providers::Providers;
use domain::providers::sandbox::{SandboxProvider, SandboxTiming};
use domain::testing::{TestDb, drain, sandbox_plan_input};
use domain::{AppState, DomainConfig, both_backends, db_run};

const HOME: &str = "198.51.100.7";

struct Env {
    state: AppState,
    admin: Caller,
    alice: Caller,
    bob: Caller,
    jobs: Registry,
    server: i64,
}

fn caller(user_id: i64, role: Role) -> Caller {
    Caller {
        user_id,
        session_id: 0,
        role,
        email_verified: true,
    }
}

/// Alice's running sandbox server, with Bob as a stranger and an admin.
async fn env(test: &TestDb) -> Env {
    let providers = Providers::default().with(Arc::new(SandboxProvider::new(
        test.db.clone(),
        SandboxTiming {
            create: StdDuration::ZERO,
            action: StdDuration::ZERO,
        },
        SandboxScreens::default(),
    )));
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
    let alice = caller(ids[1], Role::Customer);
    state.catalog.sync_provider("sandbox").await.unwrap();
    let client = ClientInfo {
        ip: HOME.into(),
        user_agent: "test".into(),
    };
    let plan = state
        .catalog
        .create_plan(
            &admin,
            &client,
            &sandbox_plan_input("Nano", &["sbx-jkt1"], &["debian-12-x64"]),
        )
        .await
        .unwrap();
    let jobs = instances::worker::register(Registry::default(), state.instances.clone());
    let instance = state
        .instances
        .provision_for_user(
            &admin,
            ProvisionRequest {
                user_id: alice.user_id,
                plan_id: plan.id,
                region: "sbx-jkt1".into(),
                image: "debian-12-x64".into(),
                hostname: "kopi".into(),
                ssh_key_ids: Vec::new(),
            },
        )
        .await
        .unwrap();
    drain(&state.db, &jobs).await;
    Env {
        admin,
        alice,
        bob: caller(ids[2], Role::Customer),
        jobs,
        server: instance.id,
        state,
    }
}

async fn ticket(env: &Env, who: &Caller) -> Result<String, ConsoleError> {
    match env.state.consoles.open(who, env.server, HOME).await? {
        Opening::Ticket { ticket, expires_at } => {
            let lifetime = expires_at - Utc::now();
            assert!(lifetime > Duration::seconds(55) && lifetime <= Duration::seconds(60));
            Ok(ticket)
        }
        other => panic!("the sandbox has a console of its own, got {other:?}"),
    }
}

async fn audit_actions(env: &Env) -> Vec<String> {
    audit::list(
        &env.state.db,
        &AuditFilter {
            limit: 50,
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap()
    .into_iter()
    .map(|entry| entry.action)
    .filter(|action| action.starts_with("console."))
    .collect()
}

both_backends! {
    async fn a_ticket_opens_the_real_screen_once(test: TestDb) {
        let env = env(&test).await;
        let ticket = ticket(&env, &env.alice).await.unwrap();
        let session = env.state.consoles.redeem(&env.alice, &ticket, env.server, HOME).await.unwrap();
        assert_eq!(session.user_id, env.alice.user_id);
        assert_eq!(session.instance_id, env.server);
        assert_eq!(session.target.host, "127.0.0.1");
        assert!(session.target.password.as_deref().is_some_and(|p| !p.is_empty()));
        // The password stays out of logs.
        let shown = format!("{:?}", session.target);
        assert!(!shown.contains(session.target.password.as_deref().unwrap()), "{shown}");
        // It really is a VNC server.
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", session.target.port)).await.unwrap();
        let mut greeting = [0u8; 12];
        tokio::io::AsyncReadExt::read_exact(&mut stream, &mut greeting).await.unwrap();
        assert_eq!(&greeting, b"RFB 003.008\n");

        let again = env.state.consoles.redeem(&env.alice, &ticket, env.server, HOME).await.unwrap_err();
        assert!(matches!(again, ConsoleError::TicketRefused), "{again:?}");
        assert_eq!(again.code(), Code::ConsoleTicketRefused);
        assert!(env.state.consoles.redeem(&env.alice, "made-up", env.server, HOME).await.is_err());
    }

    async fn only_the_owner_and_admins_get_tickets(test: TestDb) {
        let env = env(&test).await;
        let refused = ticket(&env, &env.bob).await.unwrap_err();
        assert_eq!(refused.code(), Code::NotFound);
        let admins = ticket(&env, &env.admin).await.unwrap();
        let session = env.state.consoles.redeem(&env.admin, &admins, env.server, HOME).await.unwrap();
        assert_eq!(session.user_id, env.admin.user_id);
        let none: i64 = db_run!(&env.state.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM console_tickets WHERE user_id = $1")
                .bind(env.bob.user_id)
                .fetch_one(pool)
                .await
        })
        .unwrap();
        assert_eq!(none, 0, "a refusal issues nothing");
    }

    async fn a_ticket_is_bound_to_its_user_server_ip_and_minute(test: TestDb) {
        let env = env(&test).await;
        // From elsewhere: refused, and burnt for the rightful address too.
        let stolen = ticket(&env, &env.alice).await.unwrap();
        assert!(matches!(
            env.state.consoles.redeem(&env.alice, &stolen, env.server, "203.0.113.66").await,
            Err(ConsoleError::TicketRefused)
        ));
        assert!(env.state.consoles.redeem(&env.alice, &stolen, env.server, HOME).await.is_err());
        // Presented by someone else, even from the same address.
        let lent = ticket(&env, &env.alice).await.unwrap();
        assert!(matches!(
            env.state.consoles.redeem(&env.bob, &lent, env.server, HOME).await,
            Err(ConsoleError::TicketRefused)
        ));
        assert!(env.state.consoles.redeem(&env.alice, &lent, env.server, HOME).await.is_err());
        // For another server.
        let wrong_server = ticket(&env, &env.alice).await.unwrap();
        assert!(matches!(
            env.state.consoles.redeem(&env.alice, &wrong_server, env.server + 1000, HOME).await,
            Err(ConsoleError::TicketRefused)
        ));
        // Too late.
        let late = ticket(&env, &env.alice).await.unwrap();
        db_run!(&env.state.db, |pool| {
            sqlx::query("UPDATE console_tickets SET expires_at = $1 WHERE used_at IS NULL")
                .bind(Utc::now() - Duration::seconds(1))
                .execute(pool)
                .await
                .map(|_| ())
        })
        .unwrap();
        assert!(matches!(
            env.state.consoles.redeem(&env.alice, &late, env.server, HOME).await,
            Err(ConsoleError::TicketRefused)
        ));
        let sessions: i64 = db_run!(&env.state.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM console_sessions").fetch_one(pool).await
        })
        .unwrap();
        assert_eq!(sessions, 0);
    }

    async fn a_stopped_server_has_no_console(test: TestDb) {
        let env = env(&test).await;
        // A ticket issued while running is no good once the server is off.
        let early = ticket(&env, &env.alice).await.unwrap();
        env.state
            .instances
            .request_action(&env.alice, env.server, ActionRequest { kind: ActionKind::PowerOff, image: None, confirm: None })
            .await
            .unwrap();
        drain(&env.state.db, &env.jobs).await;
        let refused = ticket(&env, &env.alice).await.unwrap_err();
        assert!(matches!(refused, ConsoleError::NotRunning), "{refused:?}");
        assert_eq!(refused.code(), Code::ConsoleNotRunning);
        assert!(matches!(
            env.state.consoles.redeem(&env.alice, &early, env.server, HOME).await,
            Err(ConsoleError::NotRunning)
        ));
    }

    async fn open_sessions_are_capped_per_user(test: TestDb) {
        let env = env(&test).await;
        let mut sessions = Vec::new();
        for _ in 0..SESSIONS_PER_USER {
            let ticket = ticket(&env, &env.alice).await.unwrap();
            sessions.push(env.state.consoles.redeem(&env.alice, &ticket, env.server, HOME).await.unwrap());
        }
        let refused = ticket(&env, &env.alice).await.unwrap_err();
        assert!(matches!(refused, ConsoleError::TooManySessions), "{refused:?}");
        assert_eq!(refused.code(), Code::ConsoleSessionsExhausted);
        // Others are not held back by Alice's sessions.
        ticket(&env, &env.admin).await.unwrap();

        env.state.consoles.close(sessions[0].id, Traffic::default(), "closed by the browser").await.unwrap();
        ticket(&env, &env.alice).await.unwrap();
        // A session whose process died (no heartbeat for minutes) stops counting.
        let ticket4 = ticket(&env, &env.alice).await.unwrap();
        env.state.consoles.redeem(&env.alice, &ticket4, env.server, HOME).await.unwrap();
        assert!(ticket(&env, &env.alice).await.is_err());
        db_run!(&env.state.db, |pool| {
            sqlx::query("UPDATE console_sessions SET last_seen_at = $1 WHERE id = $2")
                .bind(Utc::now() - Duration::minutes(3))
                .bind(sessions[1].id)
                .execute(pool)
                .await
                .map(|_| ())
        })
        .unwrap();
        ticket(&env, &env.alice).await.unwrap();
    }

    async fn tickets_redeemed_at_once_still_respect_the_cap(test: TestDb) {
        let env = env(&test).await;
        let mut tickets = Vec::new();
        for _ in 0..SESSIONS_PER_USER + 2 {
            tickets.push(ticket(&env, &env.alice).await.unwrap());
        }
        let mut redeeming = tokio::task::JoinSet::new();
        for ticket in tickets {
            let (consoles, alice, server) = (env.state.consoles.clone(), env.alice.clone(), env.server);
            redeeming.spawn(async move { consoles.redeem(&alice, &ticket, server, HOME).await.map(|session| session.id) });
        }
        let mut opened = 0;
        while let Some(redeemed) = redeeming.join_next().await {
            match redeemed.unwrap() {
                Ok(_) => opened += 1,
                Err(error) => assert!(matches!(error, ConsoleError::TooManySessions), "{error:?}"),
            }
        }
        assert_eq!(opened, SESSIONS_PER_USER);
    }

    async fn every_session_is_recorded_with_its_traffic(test: TestDb) {
        let env = env(&test).await;
        let ticket = ticket(&env, &env.alice).await.unwrap();
        let session = env.state.consoles.redeem(&env.alice, &ticket, env.server, HOME).await.unwrap();
        env.state.consoles.heartbeat(session.id, Traffic { to_client: 10, to_server: 2 }).await.unwrap();
        let running = env.state.consoles.sessions(&env.alice, env.server, 10).await.unwrap();
        assert_eq!(running.len(), 1);
        assert_eq!((running[0].bytes_to_client, running[0].bytes_to_server), (10, 2));
        assert!(running[0].ended_at.is_none());

        let traffic = Traffic { to_client: 123_456, to_server: 789 };
        env.state.consoles.close(session.id, traffic, "idle timeout").await.unwrap();
        // Closing twice records nothing more.
        env.state.consoles.close(session.id, Traffic::default(), "again").await.unwrap();
        let ended = env.state.consoles.sessions(&env.admin, env.server, 10).await.unwrap();
        assert_eq!(ended[0].client_ip, HOME);
        assert_eq!(ended[0].end_reason.as_deref(), Some("idle timeout"));
        assert_eq!((ended[0].bytes_to_client, ended[0].bytes_to_server), (123_456, 789));
        assert!(ended[0].ended_at.is_some());
        assert_eq!(audit_actions(&env).await, ["console.closed", "console.opened"]);
        let closed = &audit::list(&env.state.db, &AuditFilter { action: Some("console.closed".into()), limit: 1, ..AuditFilter::default() })
            .await
            .unwrap()[0];
        let detail = closed.detail.as_deref().unwrap();
        assert!(detail.contains("123456 bytes to the browser") && detail.contains("idle timeout"), "{detail}");
        assert_eq!(closed.actor_user_id, Some(env.alice.user_id));
        // Strangers do not see the record.
        assert!(env.state.consoles.sessions(&env.bob, env.server, 10).await.is_err());
    }
}
