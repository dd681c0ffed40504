//! The sandbox server's screen over real TCP: the repo's own RFB client (`rfb`) logs in with the
//! screen's VNC password, reads the boot log off the framebuffer, types at the login prompt and
//! the shell; wrong passwords, shared screens, the connection cap, raw protocol edge cases and
//! closing. Only the last test, the sandbox provider's console, has a database.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use domain::providers::{Action, CloudProvider, ConsoleAccess, CreateInstance, ProviderError};
use domain::sandbox::screen::{SandboxScreens, ScreenEndpoint, screen_text};
use domain::sandbox::{SandboxProvider, SandboxTiming};
use domain::testing::TestDb;
use rfb::{Client, Config, Event, Password};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Long enough for a loaded CI machine, short enough that a hang fails the test.
const WAIT: Duration = Duration::from_secs(15);
const RETURN: u32 = 0xff0d;

/// A VNC viewer: the sans-I/O client on a tokio socket.
struct Viewer {
    stream: TcpStream,
    client: Client,
    events: Vec<Event>,
    /// Pixels arrived since the screen was last read as text.
    updated: bool,
}

impl Viewer {
    async fn connect(endpoint: &ScreenEndpoint, password: &str) -> Result<Viewer, rfb::Error> {
        Self::connect_with(endpoint, password, true).await
    }

    /// Connects with ClientInit's shared flag as given.
    async fn connect_with(
        endpoint: &ScreenEndpoint,
        password: &str,
        shared: bool,
    ) -> Result<Viewer, rfb::Error> {
        let stream = TcpStream::connect(("127.0.0.1", endpoint.port))
            .await
            .unwrap();
        let mut viewer = Viewer {
            stream,
            client: Client::new(Config {
                password: Some(Password::new(password)),
                shared,
                ..Config::default()
            }),
            events: Vec::new(),
            updated: true,
        };
        timeout(WAIT, async {
            while !viewer.client.is_connected() {
                viewer.pump().await?;
            }
            Ok::<(), rfb::Error>(())
        })
        .await
        .expect("the handshake timed out")?;
        Ok(viewer)
    }

    /// Sends what the client queued, then reads once from the server and feeds it in.
    async fn pump(&mut self) -> Result<(), rfb::Error> {
        let outgoing = self.client.take_outgoing();
        if !outgoing.is_empty() {
            self.stream.write_all(&outgoing).await.unwrap();
        }
        let mut received = vec![0u8; 64 * 1024];
        let count = self.stream.read(&mut received).await.unwrap();
        assert!(count > 0, "the screen closed the connection");
        self.client.feed(&received[..count])?;
        while let Some(event) = self.client.next_event() {
            self.updated |= matches!(event, Event::FramebufferUpdated { .. });
            self.events.push(event);
        }
        Ok(())
    }

    fn text(&self) -> Vec<String> {
        let framebuffer = self.client.framebuffer();
        screen_text(
            framebuffer.rgba(),
            framebuffer.width(),
            framebuffer.height(),
        )
    }

    /// Pumps until the screen's text satisfies `done`.
    async fn until(&mut self, what: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        // What is already on the screen counts.
        self.updated = true;
        let waited = timeout(WAIT, async {
            loop {
                // Reading text off the pixels is slow in a debug build: only after an update.
                if std::mem::take(&mut self.updated) {
                    let text = self.text();
                    if done(&text) {
                        return text;
                    }
                }
                self.pump().await.unwrap();
            }
        })
        .await;
        match waited {
            Ok(text) => text,
            Err(_) => panic!(
                "no {what} after {WAIT:?}; the screen shows:\n{}",
                self.text().join("\n")
            ),
        }
    }

    /// Queues the key presses of a line and Return; the next pump sends them.
    fn type_line(&mut self, line: &str) {
        for keysym in line.bytes().map(u32::from).chain([RETURN]) {
            self.client.key(keysym, true).unwrap();
            self.client.key(keysym, false).unwrap();
        }
    }
}

fn has_line(text: &[String], wanted: &str) -> bool {
    text.iter().any(|line| line == wanted)
}

fn login_prompt_shown(text: &[String]) -> bool {
    has_line(text, "web-1.example.test login:")
}

#[tokio::test]
async fn a_viewer_sees_the_boot_log_logs_in_and_runs_a_command() {
    let screens = SandboxScreens::default();
    let endpoint = screens
        .open("sbx-1", "web-1.example.test", None)
        .await
        .unwrap();
    assert_eq!(endpoint.password.len(), 8);
    assert!(endpoint.password.chars().all(|c| c.is_ascii_alphanumeric()));
    // Opened once: later calls get the same screen.
    assert_eq!(
        screens
            .open("sbx-1", "web-1.example.test", None)
            .await
            .unwrap(),
        endpoint
    );

    let mut viewer = Viewer::connect(&endpoint, &endpoint.password)
        .await
        .unwrap();
    assert_eq!(
        viewer.events[0],
        Event::Connected {
            width: 640,
            height: 400,
            name: "web-1.example.test (Webrana sandbox)".to_owned(),
        }
    );
    let text = viewer.until("login prompt", login_prompt_shown).await;
    assert!(
        text[0].starts_with("[    0.000000] Linux version 6.1.0-sandbox"),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|line| line.contains("Mounting root filesystem"))
    );
    assert!(text.iter().any(|line| line.contains("simulated screen")));

    viewer.type_line("root");
    viewer
        .until("password prompt", |text| has_line(text, "Password:"))
        .await;
    viewer.type_line("s3cret-pw");
    viewer
        .until("shell prompt", |text| {
            has_line(text, "root@web-1.example.test:~#")
        })
        .await;
    viewer.type_line("echo hello");
    let text = viewer
        .until("the echo", |text| {
            text.windows(2).any(|pair| {
                pair[0] == "root@web-1.example.test:~# echo hello" && pair[1] == "hello"
            })
        })
        .await;
    assert!(has_line(
        &text,
        "Welcome to web-1.example.test (Webrana sandbox)"
    ));
    assert!(!text.iter().any(|line| line.contains("s3cret")), "{text:?}");
    viewer
        .until("a fresh prompt", |text| {
            text.last().is_some_and(String::is_empty)
                && text
                    .iter()
                    .filter(|line| *line == "root@web-1.example.test:~#")
                    .count()
                    == 1
        })
        .await;
}

#[tokio::test]
async fn a_wrong_password_is_refused() {
    let screens = SandboxScreens::default();
    let endpoint = screens
        .open("sbx-2", "web-1.example.test", None)
        .await
        .unwrap();
    let refused = Viewer::connect(&endpoint, "wrongpw1").await.err();
    assert_eq!(
        refused,
        Some(rfb::Error::AuthenticationFailed {
            reason: "authentication failed".to_owned()
        })
    );
    // One character off fails too, and the right password still works afterwards.
    let mut wrong = endpoint.password.clone();
    wrong.replace_range(..1, if wrong.starts_with('A') { "B" } else { "A" });
    assert!(Viewer::connect(&endpoint, &wrong).await.is_err());
    let mut viewer = Viewer::connect(&endpoint, &endpoint.password)
        .await
        .unwrap();
    viewer.until("login prompt", login_prompt_shown).await;
}

#[tokio::test]
async fn viewers_share_one_screen_and_a_waiting_viewer_sees_changes() {
    let screens = SandboxScreens::default();
    let endpoint = screens
        .open("sbx-3", "web-1.example.test", None)
        .await
        .unwrap();
    let mut typist = Viewer::connect(&endpoint, &endpoint.password)
        .await
        .unwrap();
    typist.until("login prompt", login_prompt_shown).await;
    let mut watcher = Viewer::connect(&endpoint, &endpoint.password)
        .await
        .unwrap();
    watcher.until("login prompt", login_prompt_shown).await;

    // The watcher has an incremental request outstanding; the typist's keys must answer it.
    typist.type_line("admin");
    typist
        .until("password prompt", |text| has_line(text, "Password:"))
        .await;
    let watched = watcher
        .until("the other viewer's typing", |text| {
            has_line(text, "web-1.example.test login: admin") && has_line(text, "Password:")
        })
        .await;
    assert_eq!(watched, typist.text());

    // A reconnect finds the screen as it was left.
    drop(typist);
    let again = Viewer::connect(&endpoint, &endpoint.password)
        .await
        .unwrap();
    let mut again = again;
    let text = again
        .until("the same screen", |text| has_line(text, "Password:"))
        .await;
    assert_eq!(text, watched);
}

/// Reads until the server closes the connection (end of stream or reset).
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buffer = vec![0u8; 64 * 1024];
    timeout(WAIT, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// A new connection gets no RFB greeting: refused, or closed without a word.
async fn no_greeting(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await else {
        return true;
    };
    let mut greeting = [0u8; 12];
    match timeout(Duration::from_secs(2), stream.read_exact(&mut greeting)).await {
        Ok(Ok(_)) => false,
        Ok(Err(_)) => true,
        // Connected but silent: the listener is gone but the kernel still held the socket.
        Err(_) => false,
    }
}

#[tokio::test]
async fn close_ends_every_connection_and_refuses_new_ones() {
    let screens = SandboxScreens::default();
    let endpoint = screens
        .open("sbx-4", "web-1.example.test", None)
        .await
        .unwrap();
    let mut viewer = Viewer::connect(&endpoint, &endpoint.password)
        .await
        .unwrap();
    viewer.until("login prompt", login_prompt_shown).await;
    viewer.type_line("root");
    viewer
        .until("password prompt", |text| has_line(text, "Password:"))
        .await;

    screens.close("sbx-4");
    screens.close("sbx-4");
    screens.close("never-opened");
    assert!(
        closed_by_server(&mut viewer.stream).await,
        "the viewer stayed connected"
    );
    let refused = timeout(WAIT, async {
        while !no_greeting(endpoint.port).await {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(refused.is_ok(), "the closed screen still answers");

    // Opened again, it is a fresh boot with a new password.
    let fresh = screens
        .open("sbx-4", "web-1.example.test", None)
        .await
        .unwrap();
    assert_ne!(fresh, endpoint);
    let mut viewer = Viewer::connect(&fresh, &fresh.password).await.unwrap();
    let text = viewer.until("login prompt", login_prompt_shown).await;
    assert!(!has_line(&text, "Password:"), "{text:?}");
}

#[tokio::test]
async fn screens_of_different_servers_are_separate() {
    let screens = SandboxScreens::default();
    let first = screens
        .open("sbx-5", "web-1.example.test", None)
        .await
        .unwrap();
    let second = screens
        .open("sbx-6", "db-2.example.test", None)
        .await
        .unwrap();
    assert_ne!(first.port, second.port);
    assert!(Viewer::connect(&second, &first.password).await.is_err());
    let mut viewer = Viewer::connect(&second, &second.password).await.unwrap();
    viewer
        .until("its own host name", |text| {
            has_line(text, "db-2.example.test login:")
        })
        .await;
    // Dropping every handle stops every screen.
    drop(screens);
    assert!(closed_by_server(&mut viewer.stream).await);
}

/// The handshake by hand, as an RFB 3.3 client, up to ServerInit; returns the screen's name.
async fn handshake_3_3(stream: &mut TcpStream, password: &str) -> String {
    let mut version = [0u8; 12];
    stream.read_exact(&mut version).await.unwrap();
    assert_eq!(&version, b"RFB 003.008\n");
    stream.write_all(b"RFB 003.003\n").await.unwrap();
    // 3.3: the server names the security type, no list.
    assert_eq!(stream.read_u32().await.unwrap(), 2);
    let mut challenge = [0u8; 16];
    stream.read_exact(&mut challenge).await.unwrap();
    let response = rfb::challenge_response(&Password::new(password), &challenge);
    stream.write_all(&response).await.unwrap();
    assert_eq!(stream.read_u32().await.unwrap(), 0);
    stream.write_all(&[0]).await.unwrap();
    assert_eq!(stream.read_u16().await.unwrap(), 640);
    assert_eq!(stream.read_u16().await.unwrap(), 400);
    let mut format = [0u8; 16];
    stream.read_exact(&mut format).await.unwrap();
    assert_eq!(
        format,
        [32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]
    );
    let length = stream.read_u32().await.unwrap();
    assert!(length < 1024);
    let mut name = vec![0u8; length as usize];
    stream.read_exact(&mut name).await.unwrap();
    String::from_utf8(name).unwrap()
}

#[tokio::test]
async fn a_3_3_client_with_a_big_endian_format_gets_its_pixels_and_is_cut_off_on_garbage() {
    let screens = SandboxScreens::default();
    let endpoint = screens
        .open("sbx-7", "web-1.example.test", None)
        .await
        .unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", endpoint.port))
        .await
        .unwrap();
    timeout(WAIT, async {
        assert_eq!(
            handshake_3_3(&mut stream, &endpoint.password).await,
            "web-1.example.test (Webrana sandbox)"
        );
        // Big-endian, red in the top byte: each pixel arrives as R, G, B, 0.
        let mut set_pixel_format = vec![0, 0, 0, 0];
        set_pixel_format
            .extend_from_slice(&[32, 24, 1, 1, 0, 255, 0, 255, 0, 255, 24, 16, 8, 0, 0, 0]);
        stream.write_all(&set_pixel_format).await.unwrap();
        // An encoding list, a pointer event and some clipboard text, all read and ignored.
        stream
            .write_all(&[2, 0, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x21])
            .await
            .unwrap();
        stream.write_all(&[5, 1, 0, 10, 0, 10]).await.unwrap();
        stream
            .write_all(&[6, 0, 0, 0, 0, 0, 0, 3, b'a', b'b', b'c'])
            .await
            .unwrap();
        stream
            .write_all(&[3, 0, 0, 0, 0, 0, 2, 128, 1, 144])
            .await
            .unwrap();

        assert_eq!(stream.read_u8().await.unwrap(), 0);
        stream.read_u8().await.unwrap();
        assert_eq!(stream.read_u16().await.unwrap(), 1);
        let mut rect = [0u8; 12];
        stream.read_exact(&mut rect).await.unwrap();
        assert_eq!(rect, [0, 0, 0, 0, 2, 128, 1, 144, 0, 0, 0, 0]);
        let mut pixels = vec![0u8; 640 * 400 * 4];
        stream.read_exact(&mut pixels).await.unwrap();
        let mut rgba = pixels.clone();
        for pixel in rgba.chunks_mut(4) {
            pixel[3] = 255;
        }
        let text = screen_text(&rgba, 640, 400);
        assert!(login_prompt_shown(&text), "{text:?}");
        assert!(pixels.chunks(4).any(|pixel| pixel == [0xc8, 0xc8, 0xc8, 0]));

        // An unknown message type ends the connection.
        stream.write_all(&[200, 0, 0, 0]).await.unwrap();
        assert!(closed_by_server(&mut stream).await);
    })
    .await
    .expect("timed out");
}

#[tokio::test]
async fn a_viewer_asking_for_the_screen_to_itself_throws_the_others_off() {
    let screens = SandboxScreens::default();
    let endpoint = screens
        .open("sbx-10", "web-1.example.test", None)
        .await
        .unwrap();
    let mut first = Viewer::connect(&endpoint, &endpoint.password)
        .await
        .unwrap();
    first.until("login prompt", login_prompt_shown).await;
    let mut second = Viewer::connect(&endpoint, &endpoint.password)
        .await
        .unwrap();
    second.until("login prompt", login_prompt_shown).await;

    let mut alone = Viewer::connect_with(&endpoint, &endpoint.password, false)
        .await
        .unwrap();
    assert!(closed_by_server(&mut first.stream).await);
    assert!(closed_by_server(&mut second.stream).await);
    alone.until("login prompt", login_prompt_shown).await;
    alone.type_line("root");
    alone
        .until("password prompt", |text| has_line(text, "Password:"))
        .await;
}

/// Sends a non-incremental FramebufferUpdateRequest and reads the update: its rectangles
/// and the bytes of pixels after each header.
async fn request_area(stream: &mut TcpStream, area: [u16; 4]) -> Vec<([u16; 4], usize)> {
    let mut request = vec![3, 0];
    for field in area {
        request.extend_from_slice(&field.to_be_bytes());
    }
    stream.write_all(&request).await.unwrap();
    assert_eq!(stream.read_u8().await.unwrap(), 0);
    stream.read_u8().await.unwrap();
    let count = stream.read_u16().await.unwrap();
    let mut rects = Vec::new();
    for _ in 0..count {
        let mut rect = [0u16; 4];
        for field in &mut rect {
            *field = stream.read_u16().await.unwrap();
        }
        assert_eq!(stream.read_i32().await.unwrap(), 0, "not Raw");
        let mut pixels = vec![0u8; usize::from(rect[2]) * usize::from(rect[3]) * 4];
        stream.read_exact(&mut pixels).await.unwrap();
        rects.push((rect, pixels.len()));
    }
    rects
}

#[tokio::test]
async fn a_full_update_request_gets_only_the_rectangle_asked_for() {
    let screens = SandboxScreens::default();
    let endpoint = screens
        .open("sbx-11", "web-1.example.test", None)
        .await
        .unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", endpoint.port))
        .await
        .unwrap();
    timeout(WAIT, async {
        handshake_3_3(&mut stream, &endpoint.password).await;
        // A one-pixel probe gets one pixel, however often it asks.
        for _ in 0..3 {
            assert_eq!(
                request_area(&mut stream, [5, 5, 1, 1]).await,
                [([5, 5, 1, 1], 4)]
            );
        }
        // Cut to the screen.
        assert_eq!(
            request_area(&mut stream, [600, 380, 100, 100]).await,
            [([600, 380, 40, 20], 40 * 20 * 4)]
        );
        // Nothing of it on the screen: an empty update, so the viewer is not left waiting.
        assert_eq!(request_area(&mut stream, [700, 0, 10, 10]).await, []);
        assert_eq!(
            request_area(&mut stream, [0, 0, 640, 400]).await,
            [([0, 0, 640, 400], 640 * 400 * 4)]
        );
        // Nothing else was sent in between.
        let mut extra = [0u8; 1];
        let more = timeout(Duration::from_millis(300), stream.read(&mut extra)).await;
        assert!(more.is_err(), "unasked bytes: {more:?}");
    })
    .await
    .expect("timed out");
}

#[tokio::test]
async fn an_unservable_pixel_format_or_a_huge_clipboard_ends_the_connection() {
    let screens = SandboxScreens::default();
    let endpoint = screens
        .open("sbx-8", "web-1.example.test", None)
        .await
        .unwrap();
    let eight_bit = [0, 0, 0, 0, 8, 8, 0, 1, 0, 7, 0, 7, 0, 3, 5, 2, 0, 0, 0, 0];
    let huge_clipboard = [6, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff];
    for message in [&eight_bit[..], &huge_clipboard[..]] {
        let mut stream = TcpStream::connect(("127.0.0.1", endpoint.port))
            .await
            .unwrap();
        timeout(WAIT, handshake_3_3(&mut stream, &endpoint.password))
            .await
            .unwrap();
        stream.write_all(message).await.unwrap();
        assert!(closed_by_server(&mut stream).await);
    }
}

#[tokio::test]
async fn a_screen_serves_at_most_eight_connections_at_once() {
    let screens = SandboxScreens::default();
    let endpoint = screens
        .open("sbx-9", "web-1.example.test", None)
        .await
        .unwrap();
    let mut open = Vec::new();
    for _ in 0..8 {
        let mut stream = TcpStream::connect(("127.0.0.1", endpoint.port))
            .await
            .unwrap();
        let mut greeting = [0u8; 12];
        timeout(WAIT, stream.read_exact(&mut greeting))
            .await
            .unwrap()
            .unwrap();
        open.push(stream);
    }
    let mut ninth = TcpStream::connect(("127.0.0.1", endpoint.port))
        .await
        .unwrap();
    let mut greeting = [0u8; 12];
    let answer = timeout(WAIT, ninth.read_exact(&mut greeting))
        .await
        .unwrap();
    assert!(answer.is_err(), "a ninth connection was served");

    // A slot that frees up can be used again.
    drop(open.pop());
    let served = timeout(WAIT, async {
        loop {
            let mut stream = TcpStream::connect(("127.0.0.1", endpoint.port))
                .await
                .unwrap();
            if stream.read_exact(&mut greeting).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(served.is_ok());
}

#[tokio::test]
async fn the_sandbox_provider_opens_the_screen_of_a_running_server_only() {
    let test = TestDb::sqlite().await;
    let instant = SandboxTiming {
        create: Duration::ZERO,
        action: Duration::ZERO,
    };
    let sandbox = SandboxProvider::new(test.db.clone(), instant, SandboxScreens::default());
    let created = sandbox
        .create_instance(&CreateInstance {
            label: "wr-screen-1".to_owned(),
            hostname: "shop.customer.test".to_owned(),
            region: "sbx-sgp1".to_owned(),
            size: "sbx-1c-1g".to_owned(),
            image: "debian-12-x64".to_owned(),
            root_password: Some("Kp7qRt2vXw9yZa3bCd4e".to_owned()),
            ssh_keys: Vec::new(),
        })
        .await
        .unwrap();
    let id = created.instance.id;
    let endpoint = |access: ConsoleAccess| match access {
        ConsoleAccess::Vnc {
            host,
            port,
            password: Some(password),
        } => {
            assert_eq!(host, "127.0.0.1");
            ScreenEndpoint { port, password }
        }
        other => panic!("not a VNC console: {other:?}"),
    };
    // The screen shows the host name the customer chose, not the provider label.
    let login = |text: &[String]| has_line(text, "shop.customer.test login:");

    let first = endpoint(sandbox.console(&id).await.unwrap());
    assert_eq!(endpoint(sandbox.console(&id).await.unwrap()), first);
    let mut viewer = Viewer::connect(&first, &first.password).await.unwrap();
    viewer.until("login prompt", login).await;

    // A reboot ends the screen once it has happened; the next console is a fresh boot.
    sandbox.perform_action(&id, &Action::Reboot).await.unwrap();
    sandbox.get_instance(&id).await.unwrap();
    assert!(closed_by_server(&mut viewer.stream).await);
    let second = endpoint(sandbox.console(&id).await.unwrap());
    assert_ne!(second, first);

    // Powered off: the viewer is cut off and no console opens until it runs again.
    let mut viewer = Viewer::connect(&second, &second.password).await.unwrap();
    viewer.until("login prompt", login).await;
    sandbox
        .perform_action(&id, &Action::PowerOff)
        .await
        .unwrap();
    sandbox.get_instance(&id).await.unwrap();
    assert!(closed_by_server(&mut viewer.stream).await);
    match sandbox.console(&id).await {
        Err(ProviderError::Invalid(message)) => {
            assert!(message.contains("not running"), "{message}");
        }
        other => panic!("a stopped server's console opened: {other:?}"),
    }
    sandbox.perform_action(&id, &Action::PowerOn).await.unwrap();
    sandbox.get_instance(&id).await.unwrap();
    let third = endpoint(sandbox.console(&id).await.unwrap());

    // Deleting cuts the screen off at once.
    let mut viewer = Viewer::connect(&third, &third.password).await.unwrap();
    viewer.until("login prompt", login).await;
    sandbox.delete_instance(&id).await.unwrap();
    assert!(closed_by_server(&mut viewer.stream).await);
    assert!(sandbox.console(&id).await.is_err());
}
