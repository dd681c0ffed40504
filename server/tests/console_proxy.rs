//! The console end to end below the browser, on both databases: a customer asks the real
//! router for a ticket, opens `/ws/console/{id}` on a real socket, and drives the sandbox
//! server's screen with the `rfb` client through the proxy (no password on the browser side);
//! a used ticket, someone else's session, a stranger and a stopped server are refused (and use
//! the ticket up); a console left without input, even one asking for updates all the time, is
//! closed with 4408; the `binary` subprotocol is echoed, a close frame answered, a viewer's
//! wish for the screen to itself not passed on; every session is recorded.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use domain::accounts::Role;

use domain::caller::Caller;
use domain::jobs::Registry;
use domain::providers::ActionKind;
use domain::sandbox::SandboxTiming;
use domain::sandbox::screen::screen_text;
use domain::testing::{TestDb, drain, sandbox_plan_input};
use domain::{AppState, DomainConfig, both_backends, db_run, instances};
use futures_util::{SinkExt, StreamExt};
use leptos::server_fn::ServerFn;
use serde_json::Value;
use server::state::WebSettings;
use support::{ADMIN, ORIGIN};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const ALICE: &str = "alice@webrana.test";
const BOB: &str = "bob@webrana.test";
const PATIENCE: Duration = Duration::from_secs(10);

struct Env {
    state: AppState,
    address: SocketAddr,
    jobs: Registry,
    alice: Caller,
    server: i64,
}

/// Alice's running sandbox server behind a router served on a real port.
async fn env(test: &TestDb, idle: Duration) -> Env {
    let config = DomainConfig {
        providers: support::sandbox(
            &test.db,
            SandboxTiming {
                create: Duration::ZERO,
                action: Duration::ZERO,
            },
        ),
        public_url: ORIGIN.into(),
        ..Default::default()
    };
    let state = AppState::new(test.db.clone(), &config).await.unwrap();
    let mut ids = Vec::new();
    for email in [ADMIN.0, ALICE, BOB] {
        let user = state
            .accounts
            .create_admin(email, "Someone", ADMIN.1)
            .await
            .unwrap();
        ids.push(user.id);
    }
    let admin = Caller {
        user_id: ids[0],
        session_id: 0,
        role: Role::Admin,
        email_verified: true,
    };
    let client = domain::caller::ClientInfo::default();
    for &customer in &ids[1..] {
        state
            .accounts
            .set_role(&admin, customer, Role::Customer, &client)
            .await
            .unwrap();
    }
    state.catalog.sync_provider("sandbox").await.unwrap();
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
            instances::ProvisionRequest {
                user_id: ids[1],
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

    let web = WebSettings {
        console_idle: idle,
        session_recheck: Duration::from_millis(200),
        ..support::web_settings()
    };
    let address = support::serve(support::router_with_web(state.clone(), web)).await;
    Env {
        state,
        address,
        jobs,
        alice: Caller {
            user_id: ids[1],
            session_id: 0,
            role: Role::Customer,
            email_verified: true,
        },
        server: instance.id,
    }
}

/// Session cookies for `email`, logged in over the real socket.
async fn cookies(env: &Env, email: &str) -> String {
    let form = format!("email={}&password={}", email.replace('@', "%40"), ADMIN.1);
    let (status, _, cookies) = server_fn(env, app::auth::LogIn::PATH, &form, None).await;
    assert_eq!(status, 200);
    cookies
}

/// A browser-style server-function call over the socket (so the client address is the real
/// one): status, JSON answer and the cookies it set.
async fn server_fn(
    env: &Env,
    path: &str,
    form: &str,
    cookie: Option<&str>,
) -> (u16, Value, String) {
    let mut request = reqwest::Client::new()
        .post(format!("http://{}{path}", env.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("origin", ORIGIN)
        .body(form.to_owned());
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    let body = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::Null),
        cookies,
    )
}

/// Asks for a console of `server` as the holder of `cookie`: the WebSocket path, or the
/// status and error code.
async fn open_console(env: &Env, server: i64, cookie: &str) -> Result<String, (u16, String)> {
    let (status, body, _) = server_fn(
        env,
        app::console::OpenConsole::PATH,
        &format!("id={server}"),
        Some(cookie),
    )
    .await;
    match body["Proxy"]["path"].as_str() {
        Some(path) if status == 200 => Ok(path.to_owned()),
        _ => Err((status, body["code"].as_str().unwrap_or_default().to_owned())),
    }
}

async fn connect(env: &Env, path: &str, cookie: &str) -> Result<Socket, WsError> {
    connect_asking(env, path, cookie, None)
        .await
        .map(|(socket, _)| socket)
}

/// [`connect`], asking for a WebSocket subprotocol; also answers the one the server chose.
async fn connect_asking(
    env: &Env,
    path: &str,
    cookie: &str,
    subprotocol: Option<&str>,
) -> Result<(Socket, Option<String>), WsError> {
    let mut request = format!("ws://{}{path}", env.address)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("cookie", cookie.parse().unwrap());
    request
        .headers_mut()
        .insert("origin", ORIGIN.parse().unwrap());
    if let Some(subprotocol) = subprotocol {
        request
            .headers_mut()
            .insert("sec-websocket-protocol", subprotocol.parse().unwrap());
    }
    let (socket, response) = tokio_tungstenite::connect_async(request).await?;
    let chosen = response
        .headers()
        .get("sec-websocket-protocol")
        .map(|value| value.to_str().unwrap().to_owned());
    Ok((socket, chosen))
}

fn refused_with(result: Result<Socket, WsError>) -> u16 {
    match result {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("expected a refusal, the socket opened"),
    }
}

/// The browser's side: an `rfb` client with no password, fed from the socket.
struct Viewer {
    socket: Socket,
    client: rfb::Client,
}

impl Viewer {
    fn new(socket: Socket) -> Self {
        Self::with_config(socket, rfb::Config::default())
    }

    fn with_config(socket: Socket, config: rfb::Config) -> Self {
        Self {
            socket,
            client: rfb::Client::new(config),
        }
    }

    fn screen(&self) -> Vec<String> {
        let framebuffer = self.client.framebuffer();
        screen_text(
            framebuffer.rgba(),
            framebuffer.width(),
            framebuffer.height(),
        )
    }

    /// Sends what the client queued, then feeds it what arrives until `done` holds.
    async fn until(&mut self, what: &str, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let outgoing = self.client.take_outgoing();
            if !outgoing.is_empty() {
                self.socket
                    .send(Message::Binary(outgoing.into()))
                    .await
                    .unwrap();
            }
            while self.client.next_event().is_some() {}
            if done(self) {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{what}: not seen; screen:\n{:#?}",
                self.screen()
            );
            match tokio::time::timeout(left, self.socket.next()).await {
                Ok(Some(Ok(Message::Binary(bytes)))) => self.client.feed(&bytes).unwrap(),
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) | Err(_) => {}
                Ok(other) => panic!("{what}: the socket ended: {other:?}"),
            }
        }
    }

    /// Keeps the screen coming (the client asks after every update, which is not input) until
    /// the proxy closes the console; answers its close frame.
    async fn closed(&mut self) -> CloseFrame {
        let closing = async {
            loop {
                let outgoing = self.client.take_outgoing();
                if !outgoing.is_empty() {
                    let _ = self.socket.send(Message::Binary(outgoing.into())).await;
                }
                match self.socket.next().await {
                    Some(Ok(Message::Close(frame))) => return frame,
                    Some(Ok(Message::Binary(bytes))) => self.client.feed(&bytes).unwrap(),
                    Some(Ok(_)) => {}
                    other => panic!("the socket ended without a close frame: {other:?}"),
                }
            }
        };
        tokio::time::timeout(PATIENCE, closing)
            .await
            .expect("the console closed in time")
            .expect("a close frame with a code")
    }

    async fn type_line(&mut self, text: &str) {
        for keysym in text.chars().map(u32::from).chain([0xff0d]) {
            self.client.key(keysym, true).unwrap();
            self.client.key(keysym, false).unwrap();
        }
        self.until("keys sent", |_| true).await;
    }

    fn shows(&self, line: &str) -> bool {
        self.screen().iter().any(|row| row.trim_end() == line)
    }
}

async fn sessions(env: &Env) -> Vec<(Option<String>, i64, i64)> {
    db_run!(&env.state.db, |pool| {
        sqlx::query_as::<_, (Option<String>, i64, i64)>(
            "SELECT end_reason, bytes_to_client, bytes_to_server FROM console_sessions ORDER BY id",
        )
        .fetch_all(pool)
        .await
    })
    .unwrap()
}

/// The sessions once every one has ended (the proxy records the end after the socket closes).
async fn ended_sessions(env: &Env) -> Vec<(Option<String>, i64, i64)> {
    tokio::time::timeout(PATIENCE, async {
        loop {
            let records = sessions(env).await;
            if records.iter().all(|(reason, _, _)| reason.is_some()) {
                return records;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap()
}

both_backends! {
    async fn a_customer_types_on_the_screen_through_the_proxy(test: TestDb) {
        let env = env(&test, Duration::from_secs(900)).await;
        let alice = cookies(&env, ALICE).await;
        let path = open_console(&env, env.server, &alice).await.unwrap();
        assert!(path.starts_with(&format!("/ws/console/{}?ticket=", env.server)), "{path}");

        let mut viewer = Viewer::new(connect(&env, &path, &alice).await.unwrap());
        viewer.until("the login prompt", |viewer| viewer.shows("kopi login:")).await;
        assert_eq!((viewer.client.framebuffer().width(), viewer.client.framebuffer().height()), (640, 400));
        viewer.type_line("root").await;
        viewer.type_line("sandbox").await;
        viewer.type_line("echo halo dunia").await;
        viewer.until("the echo", |viewer| viewer.shows("halo dunia")).await;
        viewer.socket.close(None).await.unwrap();

        // The same ticket again: refused before any WebSocket opens.
        assert_eq!(refused_with(connect(&env, &path, &alice).await), 403);

        let records = ended_sessions(&env).await;
        assert_eq!(records.len(), 1);
        let (reason, to_client, to_server) = &records[0];
        assert_eq!(reason.as_deref(), Some("closed by the browser"));
        // At least one whole 640x400 frame of 32-bit pixels went down; keys went up.
        assert!(*to_client > 640 * 400 * 4, "{to_client}");
        assert!(*to_server > 20 * 8, "{to_server}");
    }

    async fn another_users_session_and_strangers_are_refused(test: TestDb) {
        let env = env(&test, Duration::from_secs(900)).await;
        let alice = cookies(&env, ALICE).await;
        let bob = cookies(&env, BOB).await;
        // Bob cannot ask for Alice's console, nor use a ticket she was given.
        assert_eq!(open_console(&env, env.server, &bob).await, Err((404, "not_found".into())));
        let path = open_console(&env, env.server, &alice).await.unwrap();
        assert_eq!(refused_with(connect(&env, &path, &bob).await), 403);
        // That attempt burnt the ticket.
        assert_eq!(refused_with(connect(&env, &path, &alice).await), 403);
        // No session, no ticket; and a ticket shown without one is used up.
        let fresh = open_console(&env, env.server, &alice).await.unwrap();
        assert_eq!(refused_with(connect(&env, &fresh, "").await), 401);
        assert_eq!(refused_with(connect(&env, &fresh, &alice).await), 403);
        let bare = format!("/ws/console/{}", env.server);
        assert_eq!(refused_with(connect(&env, &bare, &alice).await), 400);
        assert!(sessions(&env).await.is_empty());

        // A stopped server has no console.
        env.state
            .instances
            .request_action(&env.alice, env.server, instances::ActionRequest { kind: ActionKind::PowerOff, image: None, confirm: None })
            .await
            .unwrap();
        drain(&env.state.db, &env.jobs).await;
        assert_eq!(
            open_console(&env, env.server, &alice).await,
            Err((409, "console_not_running".into()))
        );
    }

    async fn a_console_without_input_is_closed(test: TestDb) {
        let env = env(&test, Duration::from_secs(1)).await;
        let alice = cookies(&env, ALICE).await;
        let path = open_console(&env, env.server, &alice).await.unwrap();
        let mut viewer = Viewer::new(connect(&env, &path, &alice).await.unwrap());
        viewer.until("the login prompt", |viewer| viewer.shows("kopi login:")).await;
        // Update requests keep flowing (the client asks after every update); they are not input.
        let close = viewer.closed().await;
        assert_eq!(close.code, CloseCode::from(4408));
        assert_eq!(close.reason.as_str(), "idle timeout");
        let records = ended_sessions(&env).await;
        assert_eq!(records[0].0.as_deref(), Some("idle timeout"));
    }

    async fn a_console_closes_when_its_session_ends(test: TestDb) {
        let env = env(&test, Duration::from_secs(600)).await;
        let alice = cookies(&env, ALICE).await;
        let path = open_console(&env, env.server, &alice).await.unwrap();
        let mut viewer = Viewer::new(connect(&env, &path, &alice).await.unwrap());
        viewer.until("the login prompt", |viewer| viewer.shows("kopi login:")).await;
        let access = alice.split("; ").find_map(|pair| pair.strip_prefix("webrana_access=")).unwrap();
        let caller = env.state.accounts.authenticate(access).await.unwrap();
        env.state.accounts.log_out_everywhere(&caller, &domain::caller::ClientInfo::default()).await.unwrap();
        let close = viewer.closed().await;
        assert_eq!((close.code, close.reason.as_str()), (CloseCode::from(4401), "signed out"));
        let records = ended_sessions(&env).await;
        assert_eq!(records[0].0.as_deref(), Some("signed out"));
    }

    async fn a_console_that_only_asks_for_updates_is_closed_when_idle(test: TestDb) {
        let env = env(&test, Duration::from_secs(2)).await;
        let alice = cookies(&env, ALICE).await;
        let path = open_console(&env, env.server, &alice).await.unwrap();
        let mut viewer = Viewer::new(connect(&env, &path, &alice).await.unwrap());
        viewer.until("the login prompt", |viewer| viewer.shows("kopi login:")).await;
        // A viewer polling a pixel every 100 ms, as monitoring probes and some clients do:
        // answered every time, and never input.
        let probe: &[u8] = &[3, 0, 0, 5, 0, 5, 0, 1, 0, 1];
        let mut answered = 0;
        let mut poll = tokio::time::interval(Duration::from_millis(100));
        let close = tokio::time::timeout(PATIENCE, async {
            loop {
                tokio::select! {
                    _ = poll.tick() => {
                        let _ = viewer.socket.send(Message::Binary(probe.to_vec().into())).await;
                    }
                    message = viewer.socket.next() => match message {
                        Some(Ok(Message::Close(frame))) => return frame,
                        Some(Ok(Message::Binary(_))) => answered += 1,
                        Some(Ok(_)) => {}
                        other => panic!("the socket ended without a close frame: {other:?}"),
                    },
                }
            }
        })
        .await
        .expect("a console asking only for updates stayed open")
        .unwrap();
        assert_eq!(close.code, CloseCode::from(4408));
        assert!(answered >= 3, "the probes were not answered ({answered})");
        let records = ended_sessions(&env).await;
        assert_eq!(records[0].0.as_deref(), Some("idle timeout"));
    }

    async fn the_binary_subprotocol_is_echoed_and_none_is_not_invented(test: TestDb) {
        let env = env(&test, Duration::from_secs(900)).await;
        let alice = cookies(&env, ALICE).await;
        // noVNC 1.0/1.1 and Proxmox's noVNC always ask for `binary`; browsers drop an upgrade
        // that does not echo it.
        let path = open_console(&env, env.server, &alice).await.unwrap();
        let (socket, chosen) = connect_asking(&env, &path, &alice, Some("binary")).await.unwrap();
        assert_eq!(chosen.as_deref(), Some("binary"));
        let mut viewer = Viewer::new(socket);
        viewer.until("the login prompt", |viewer| viewer.shows("kopi login:")).await;
        viewer.socket.close(None).await.unwrap();

        let path = open_console(&env, env.server, &alice).await.unwrap();
        let (_, chosen) = connect_asking(&env, &path, &alice, None).await.unwrap();
        assert_eq!(chosen, None);
    }

    async fn a_close_frame_from_the_browser_is_answered(test: TestDb) {
        let env = env(&test, Duration::from_secs(900)).await;
        let alice = cookies(&env, ALICE).await;
        let path = open_console(&env, env.server, &alice).await.unwrap();
        let mut viewer = Viewer::new(connect(&env, &path, &alice).await.unwrap());
        viewer.until("the login prompt", |viewer| viewer.shows("kopi login:")).await;
        viewer
            .socket
            .close(Some(CloseFrame {
                code: CloseCode::Away,
                reason: "tab closed".into(),
            }))
            .await
            .unwrap();
        // The answer echoes the code, instead of TCP dropping (1006 in a browser).
        let answer = tokio::time::timeout(PATIENCE, async {
            loop {
                match viewer.socket.next().await {
                    Some(Ok(Message::Close(frame))) => return frame,
                    Some(Ok(_)) => {}
                    other => panic!("no close frame came back: {other:?}"),
                }
            }
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(answer.code, CloseCode::Away);
        let records = ended_sessions(&env).await;
        assert_eq!(records[0].0.as_deref(), Some("closed by the browser"));
    }

    async fn a_viewer_asking_for_the_screen_to_itself_does_not_throw_the_others_off(test: TestDb) {
        let env = env(&test, Duration::from_secs(900)).await;
        let alice = cookies(&env, ALICE).await;
        let path = open_console(&env, env.server, &alice).await.unwrap();
        let mut first = Viewer::new(connect(&env, &path, &alice).await.unwrap());
        first.until("the login prompt", |viewer| viewer.shows("kopi login:")).await;

        // The sandbox's screen, like QEMU's, ends every other viewer for a ClientInit that is
        // not shared; the proxy always passes it on as shared.
        let path = open_console(&env, env.server, &alice).await.unwrap();
        let exclusive = rfb::Config { shared: false, ..rfb::Config::default() };
        let mut second = Viewer::with_config(connect(&env, &path, &alice).await.unwrap(), exclusive);
        second.until("the login prompt", |viewer| viewer.shows("kopi login:")).await;

        first.type_line("root").await;
        first.until("the password prompt", |viewer| viewer.shows("Password:")).await;
        second.until("the first viewer's typing", |viewer| viewer.shows("Password:")).await;
    }
}
