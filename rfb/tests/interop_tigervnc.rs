#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Against TigerVNC's Xvnc on loopback (Debian: tigervnc-standalone-server, tigervnc-tools,
//! x11-xserver-utils, x11-utils (xev, xdpyinfo), x11-apps, xdotool; see
//! install-interop-deps.sh).
//! Each test starts its own Xvnc on a free display and port and stops it at the end.

#[allow(dead_code)]
mod interop;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use interop::{
    Connection, Process, TempDir, binaries_installed, check_vnc_authentication, difference_box,
    free_display, free_port, wait_for_port,
};
use rfb::{Config, Encoding, Event};

const TIMEOUT: Duration = Duration::from_secs(15);

struct Xvnc {
    display: u16,
    port: u16,
    log: std::path::PathBuf,
    // Dropped last: stops the server after every X client of the test.
    _process: Process,
}

impl Xvnc {
    fn start(directory: &TempDir, width: u16, height: u16, security: &[&str]) -> Xvnc {
        // A display or port taken between choosing and binding makes Xvnc exit: try another.
        for _ in 0..5 {
            let (display, port) = (free_display(), free_port());
            let log = directory.join(&format!("xvnc-{display}.log"));
            let mut process = Process::spawn(
                Command::new("Xvnc")
                    .arg(format!(":{display}"))
                    .args(["-geometry", &format!("{width}x{height}"), "-depth", "24"])
                    .args(["-rfbport", &port.to_string(), "-localhost"])
                    .args(["-interface", "127.0.0.1", "-nolisten", "tcp"])
                    .args(["-desktop", "rfb-interop"])
                    .args(security),
                "Xvnc",
                &log,
            );
            // Xvnc opens its RFB port before its X display takes clients: an X client started
            // in between fails with "unable to open display".
            if wait_for_port(&mut process, port, &log) && display_ready(display) {
                return Xvnc {
                    display,
                    port,
                    log,
                    _process: process,
                };
            }
        }
        panic!("Xvnc did not start in 5 attempts");
    }

    fn x_command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.env("DISPLAY", format!(":{}", self.display));
        command
    }

    /// Runs an X client to completion.
    fn run(&self, program: &str, args: &[&str]) {
        let status = self.x_command(program).args(args).status().unwrap();
        assert!(status.success(), "{program} {args:?} failed: {status}");
    }

    /// Starts a long-running X client, stopped when the returned process is dropped.
    fn spawn(&self, program: &str, args: &[&str], log: &Path) -> Process {
        Process::spawn(self.x_command(program).args(args), program, log)
    }
}

/// Whether X display `display` takes clients within [`TIMEOUT`], as `xdpyinfo` finds.
fn display_ready(display: u16) -> bool {
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        let answered = Command::new("xdpyinfo")
            .args(["-display", &format!(":{display}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if answered {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Every pseudo-encoding plus the given pixel encodings: the pseudo-encodings change what the
/// server sends (Cursor keeps the pointer out of the framebuffer, Fence makes TigerVNC wait
/// for answers), so comparisons between encodings keep them identical.
fn config_with(pixel_encodings: &[Encoding]) -> Config {
    let mut encodings = pixel_encodings.to_vec();
    encodings.extend([
        Encoding::DesktopSize,
        Encoding::ExtendedDesktopSize,
        Encoding::LastRect,
        Encoding::DesktopName,
        Encoding::Cursor,
        Encoding::Fence,
    ]);
    Config {
        encodings,
        ..Config::default()
    }
}

fn wait_for_log(log: &Path, what: &str, timeout: Duration, mut poke: impl FnMut()) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains(what) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{what:?} not in {} after {timeout:?}:\n{text}",
            log.display()
        );
        poke();
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn tigervnc_without_password_frames_updates_and_input() {
    if !binaries_installed(
        "tigervnc_without_password_frames_updates_and_input",
        &["Xvnc", "xdpyinfo", "xsetroot", "xev"],
    ) {
        return;
    }
    let directory = TempDir::new("xvnc-none");
    let xvnc = Xvnc::start(&directory, 320, 200, &["-SecurityTypes", "None"]);
    xvnc.run("xsetroot", &["-solid", "#335577"]);

    let mut connection = Connection::open(xvnc.port, Config::default());
    connection.handshake().unwrap();
    assert_eq!(
        connection.events[0],
        Event::Connected {
            width: 320,
            height: 200,
            name: "rfb-interop".to_owned()
        }
    );
    connection.pump_until(
        "the whole screen in the root colour",
        TIMEOUT,
        |connection| connection.screen_is([0x33, 0x55, 0x77]),
    );

    // A change on the X screen arrives as an update to the automatic incremental request.
    xvnc.run("xsetroot", &["-solid", "#aa2211"]);
    connection.pump_until("the new root colour", TIMEOUT, |connection| {
        connection.screen_is([0xaa, 0x22, 0x11])
    });
    assert!(
        connection
            .events
            .iter()
            .any(|event| matches!(event, Event::Cursor(_))),
        "TigerVNC sends the pointer image when asked: {:?}",
        connection.events
    );

    // Pointer and keys, observed by xev listening on the root window. xev needs a moment to
    // select its events, so click until it reports the click.
    let xev_log = directory.join("xev.log");
    let _xev = xvnc.spawn(
        "xev",
        &["-root", "-event", "keyboard", "-event", "button"],
        &xev_log,
    );
    let text = wait_for_log(&xev_log, "root:(123,45)", TIMEOUT, || {
        connection.client.pointer(123, 45, 0b001).unwrap();
        connection.client.pointer(123, 45, 0b000).unwrap();
        connection.pump().unwrap();
    });
    assert!(text.contains("ButtonPress event") && text.contains("button 1"));

    for keysym in [0x61, 0xff0d] {
        connection.client.key(keysym, true).unwrap();
        connection.client.key(keysym, false).unwrap();
    }
    connection.pump().unwrap();
    let text = wait_for_log(&xev_log, "keysym 0xff0d, Return", TIMEOUT, || {
        connection.pump().unwrap();
    });
    assert!(text.contains("KeyPress event"));
    assert!(text.contains("keysym 0x61, a"), "{text}");
    // TigerVNC accepts QEMU's extended key events too: the XT scancode of the B key arrives.
    assert!(connection.client.extended_key_events_available());
    connection.client.key_scancode(0x62, 0x30, true).unwrap();
    connection.client.key_scancode(0x62, 0x30, false).unwrap();
    wait_for_log(&xev_log, "keysym 0x62, b", TIMEOUT, || {
        connection.pump().unwrap();
    });
    // An extended key: Right arrow is E0 4D, which goes on the wire as 0xCD.
    connection
        .client
        .key_scancode(0xff53, 0xe04d, true)
        .unwrap();
    connection
        .client
        .key_scancode(0xff53, 0xe04d, false)
        .unwrap();
    wait_for_log(&xev_log, "keysym 0xff53, Right", TIMEOUT, || {
        connection.pump().unwrap();
    });

    // Clipboard towards the server is accepted without breaking the session.
    connection.client.cut_text("dari konsol").unwrap();
    xvnc.run("xsetroot", &["-solid", "#102030"]);
    connection.pump_until("a colour after the cut text", TIMEOUT, |connection| {
        connection.screen_is([0x10, 0x20, 0x30])
    });
}

/// Paints a two-colour plaid with an anti-aliased logo on top, waits until the Raw view is
/// stable, then checks that each other encoding decodes exactly the same pixels.
#[test]
fn tigervnc_every_encoding_decodes_the_same_pixels() {
    if !binaries_installed(
        "tigervnc_every_encoding_decodes_the_same_pixels",
        &["Xvnc", "xdpyinfo", "xsetroot", "xlogo", "xdotool"],
    ) {
        return;
    }
    let directory = TempDir::new("xvnc-encodings");
    let xvnc = Xvnc::start(&directory, 400, 300, &["-SecurityTypes", "None"]);
    xvnc.run(
        "xsetroot",
        &["-mod", "3", "5", "-fg", "#ff8000", "-bg", "#003366"],
    );
    let _logo = xvnc.spawn(
        "xlogo",
        &["-render", "-geometry", "180x150+40+30"],
        &directory.join("xlogo.log"),
    );

    let reference = stable_screen(&xvnc, &[Encoding::Raw]);
    assert_plausible_pixels(&reference);

    for encodings in [
        vec![Encoding::Hextile],
        vec![Encoding::Rre],
        vec![Encoding::Zrle],
        Encoding::default_preference(),
    ] {
        let mut connection = Connection::open(xvnc.port, config_with(&encodings));
        connection.handshake().unwrap();
        let outcome = wait_for_screen(&mut connection, &reference);
        assert_eq!(outcome, None, "{encodings:?} decoded differently");
    }

    // Moving a window makes TigerVNC send CopyRect for the moved area.
    let mut connection = Connection::open(
        xvnc.port,
        config_with(&[Encoding::CopyRect, Encoding::Zrle]),
    );
    connection.handshake().unwrap();
    assert_eq!(wait_for_screen(&mut connection, &reference), None);
    xvnc.run(
        "xdotool",
        &[
            "search",
            "--class",
            "xlogo",
            "windowmove",
            "--sync",
            "150",
            "120",
        ],
    );
    let moved_reference = stable_screen(&xvnc, &[Encoding::Raw]);
    assert_ne!(moved_reference, reference);
    assert_eq!(wait_for_screen(&mut connection, &moved_reference), None);
    drop(connection);
    // Xvnc logs per-encoder statistics when a viewer disconnects: proof that each decoder
    // above really got data in its encoding.
    let log = wait_for_log(&xvnc.log, "EncodeManager:   CopyRect:", TIMEOUT, || {});
    for encoder in ["Raw", "Hextile", "RRE", "ZRLE"] {
        assert!(
            log.contains(&format!("EncodeManager:   {encoder}:")),
            "Xvnc never used {encoder}:\n{log}"
        );
    }
}

/// Connects with `encodings` and returns the framebuffer once no update has come for a second.
fn stable_screen(xvnc: &Xvnc, encodings: &[Encoding]) -> Vec<u8> {
    let mut connection = Connection::open(xvnc.port, config_with(encodings));
    connection.handshake().unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let mut last_change = Instant::now();
    let mut seen_pixels = false;
    loop {
        let events = connection.pump().unwrap();
        if events
            .iter()
            .any(|event| matches!(event, Event::FramebufferUpdated { .. }))
        {
            seen_pixels = true;
            last_change = Instant::now();
        }
        if seen_pixels && last_change.elapsed() > Duration::from_secs(1) {
            return connection.client.framebuffer().rgba().to_vec();
        }
        assert!(Instant::now() < deadline, "the screen never settled");
    }
}

/// Pumps until the framebuffer equals `expected`; returns where it still differs on timeout.
fn wait_for_screen(
    connection: &mut Connection,
    expected: &[u8],
) -> Option<(usize, usize, usize, usize)> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        connection.pump().unwrap();
        let framebuffer = connection.client.framebuffer();
        let difference = difference_box(framebuffer.width(), framebuffer.rgba(), expected);
        if difference.is_none() || Instant::now() > deadline {
            return difference;
        }
    }
}

/// The plaid's exact colours must be there (so the pixel format is right), plus the logo's
/// anti-aliased shades.
fn assert_plausible_pixels(rgba: &[u8]) {
    let mut colours: Vec<[u8; 3]> = rgba
        .chunks_exact(4)
        .map(|pixel| [pixel[0], pixel[1], pixel[2]])
        .collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.contains(&[0xff, 0x80, 0x00]),
        "plaid foreground missing"
    );
    assert!(
        colours.contains(&[0x00, 0x33, 0x66]),
        "plaid background missing"
    );
    assert!(
        colours.len() > 4,
        "expected the logo's shades as well, got {colours:?}"
    );
}

#[test]
fn tigervnc_vnc_authentication() {
    if !binaries_installed(
        "tigervnc_vnc_authentication",
        &["Xvnc", "xdpyinfo", "vncpasswd"],
    ) {
        return;
    }
    let directory = TempDir::new("xvnc-password");
    let password_file = directory.join("passwd");
    let output = Command::new("vncpasswd")
        .arg("-f")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"konsol42\nkonsol42\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(output.status.success());
    std::fs::write(&password_file, &output.stdout).unwrap();
    let xvnc = Xvnc::start(
        &directory,
        64,
        48,
        &[
            "-SecurityTypes",
            "VncAuth",
            "-PasswordFile",
            password_file.to_str().unwrap(),
        ],
    );

    check_vnc_authentication(xvnc.port, "konsol42", TIMEOUT);
}
