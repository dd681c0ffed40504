#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Against QEMU's built-in VNC server (Debian: qemu-system-x86; see install-interop-deps.sh).
//! A diskless VM shows SeaBIOS in VGA text mode, 720x400. QEMU's `screendump` over QMP gives
//! the true screen contents to compare the decoded framebuffer with.

#[allow(dead_code)]
mod interop;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use interop::{
    Connection, Process, TempDir, binaries_installed, check_vnc_authentication, difference_box,
    free_port, read_ppm, wait_for_port,
};
use rfb::{Config, Encoding, Event};

const TIMEOUT: Duration = Duration::from_secs(20);
const QEMU: &str = "qemu-system-x86_64";
/// The blinking text cursor is the one thing that may differ between a screendump and a
/// frame decoded a moment earlier or later: one 9x16 character cell.
const CHARACTER_CELL: (usize, usize) = (9, 16);

struct Qemu {
    port: u16,
    qmp: Qmp,
    directory: PathBuf,
    _process: Process,
}

impl Qemu {
    /// A diskless VM whose SeaBIOS offers the boot menu for 60 s ("Press ESC for boot
    /// menu"), so the screen waits for a key.
    fn start(directory: &TempDir, vnc_options: &str, extra: &[&str]) -> Qemu {
        for _ in 0..5 {
            let port = loop {
                let port = free_port();
                if port > 5900 {
                    break port;
                }
            };
            let qmp_socket = directory.join(&format!("qmp-{port}.sock"));
            let log = directory.join(&format!("qemu-{port}.log"));
            let mut process = Process::spawn(
                Command::new(QEMU)
                    .args(["-display", "none", "-nodefaults", "-vga", "std"])
                    .args(["-m", "32", "-accel", "tcg"])
                    .args(["-boot", "menu=on,splash-time=60000"])
                    .arg("-qmp")
                    .arg(format!("unix:{},server=on,wait=off", qmp_socket.display()))
                    .arg("-vnc")
                    .arg(format!("127.0.0.1:{}{vnc_options}", port - 5900))
                    .args(extra),
                QEMU,
                &log,
            );
            if wait_for_port(&mut process, port, &log) {
                return Qemu {
                    port,
                    qmp: Qmp::connect(&qmp_socket),
                    directory: directory.0.clone(),
                    _process: process,
                };
            }
        }
        panic!("QEMU did not start in 5 attempts");
    }

    /// The screen as QEMU itself sees it.
    fn screendump(&mut self) -> Vec<u8> {
        let path = self.directory.join("screen.ppm");
        let answer = self.qmp.execute(&format!(
            r#"{{"execute": "screendump", "arguments": {{"filename": "{}"}}}}"#,
            path.display()
        ));
        assert!(answer.contains("\"return\""), "screendump failed: {answer}");
        let (width, height, rgba) = read_ppm(&path);
        assert_eq!((width, height), (720, 400));
        rgba
    }
}

/// A minimal QMP client: one JSON command per line, answers recognised by their key.
struct Qmp {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Qmp {
    fn connect(socket: &Path) -> Qmp {
        let deadline = Instant::now() + Duration::from_secs(10);
        let stream = loop {
            match UnixStream::connect(socket) {
                Ok(stream) => break stream,
                Err(error) if Instant::now() < deadline => {
                    let _ = error;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(error) => panic!("no QMP socket: {error}"),
            }
        };
        let mut qmp = Qmp {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        };
        // Under load an event (VNC_CONNECTED) can come before the greeting reaches us.
        loop {
            let mut line = String::new();
            assert!(qmp.reader.read_line(&mut line).unwrap() > 0, "QMP closed");
            if line.contains("\"QMP\"") {
                break;
            }
        }
        let answer = qmp.execute(r#"{"execute": "qmp_capabilities"}"#);
        assert!(answer.contains("\"return\""), "{answer}");
        qmp
    }

    /// Sends a command and returns its answer, skipping asynchronous event lines.
    fn execute(&mut self, command: &str) -> String {
        writeln!(self.writer, "{command}").unwrap();
        loop {
            let mut line = String::new();
            assert!(self.reader.read_line(&mut line).unwrap() > 0, "QMP closed");
            if line.contains("\"return\"") || line.contains("\"error\"") {
                return line;
            }
        }
    }
}

/// Pumps until the framebuffer matches a fresh screendump, apart from the text cursor.
fn wait_until_screen_matches_qemu(connection: &mut Connection, qemu: &mut Qemu, what: &str) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        for _ in 0..4 {
            connection.pump().unwrap();
        }
        let truth = qemu.screendump();
        let framebuffer = connection.client.framebuffer();
        let difference = difference_box(framebuffer.width(), framebuffer.rgba(), &truth);
        match difference {
            None => return,
            Some((_, _, width, height))
                if width <= CHARACTER_CELL.0 && height <= CHARACTER_CELL.1 =>
            {
                return;
            }
            Some(area) => assert!(
                Instant::now() < deadline,
                "{what}: decoded frame differs from QEMU's screendump in {area:?}"
            ),
        }
    }
}

/// Pixels that are not black: SeaBIOS's grey text on black.
fn lit_pixels(rgba: &[u8]) -> usize {
    rgba.chunks_exact(4)
        .filter(|pixel| pixel[..3] != [0, 0, 0])
        .count()
}

#[test]
fn qemu_frames_in_every_encoding_and_extended_key_events() {
    if !binaries_installed(
        "qemu_frames_in_every_encoding_and_extended_key_events",
        &[QEMU],
    ) {
        return;
    }
    let directory = TempDir::new("qemu");
    let mut qemu = Qemu::start(&directory, "", &[]);

    let mut connection = Connection::open(qemu.port, Config::default());
    connection.handshake().unwrap();
    let Event::Connected {
        width,
        height,
        name,
    } = connection.events[0].clone()
    else {
        panic!("not connected: {:?}", connection.events);
    };
    assert_eq!(name, "QEMU");
    // Right after start the VGA card is still in its 640x480 graphics mode; SeaBIOS then
    // switches to 720x400 text, which QEMU announces as a desktop size change.
    connection.pump_until("the text mode size", TIMEOUT, |connection| {
        let framebuffer = connection.client.framebuffer();
        (framebuffer.width(), framebuffer.height()) == (720, 400)
    });
    if (width, height) != (720, 400) {
        assert!(connection.events.contains(&Event::Resized {
            width: 720,
            height: 400
        }));
    }
    connection.pump_until(
        "QEMU to accept extended key events",
        TIMEOUT,
        |connection| connection.client.extended_key_events_available(),
    );
    connection.pump_until("SeaBIOS's text", TIMEOUT, |connection| {
        lit_pixels(connection.client.framebuffer().rgba()) > 500
    });
    wait_until_screen_matches_qemu(&mut connection, &mut qemu, "boot prompt");
    let prompt = connection.client.framebuffer().rgba().to_vec();

    // Escape as a raw XT scancode (0x01) opens SeaBIOS's boot menu: the key reached the guest.
    connection.client.key_scancode(0xff1b, 0x01, true).unwrap();
    connection.client.key_scancode(0xff1b, 0x01, false).unwrap();
    connection.pump_until("the boot menu", TIMEOUT, |connection| {
        lit_pixels(connection.client.framebuffer().rgba()) > lit_pixels(&prompt) + 500
    });
    wait_until_screen_matches_qemu(&mut connection, &mut qemu, "boot menu");

    // The menu stays put: every encoding QEMU offers must decode to the same screen.
    let mut bytes_per_encoding = Vec::new();
    for encodings in [
        vec![Encoding::Raw],
        vec![Encoding::Hextile],
        vec![Encoding::Zrle],
        Encoding::default_preference(),
    ] {
        let mut connection = Connection::open(
            qemu.port,
            Config {
                encodings: encodings.clone(),
                ..Config::default()
            },
        );
        connection.handshake().unwrap();
        wait_until_screen_matches_qemu(&mut connection, &mut qemu, &format!("{encodings:?}"));
        bytes_per_encoding.push((encodings[0], connection.bytes_received));
    }
    // QEMU has no encoder statistics to read, but sizes tell: the compressing encodings must
    // need a small fraction of the bytes Raw needed for the same screen.
    let (_, raw_bytes) = bytes_per_encoding[0];
    assert!(raw_bytes > 100_000, "Raw: {raw_bytes} bytes");
    for (encoding, bytes) in &bytes_per_encoding[1..] {
        assert!(
            bytes * 10 < raw_bytes,
            "{encoding:?}: {bytes} bytes, Raw {raw_bytes}"
        );
    }
    eprintln!("bytes received per preferred encoding: {bytes_per_encoding:?}");
}

#[test]
fn qemu_vnc_authentication() {
    if !binaries_installed("qemu_vnc_authentication", &[QEMU]) {
        return;
    }
    let directory = TempDir::new("qemu-password");
    let qemu = Qemu::start(
        &directory,
        ",password-secret=vncpw",
        &["-object", "secret,id=vncpw,data=konsol42"],
    );

    check_vnc_authentication(qemu.port, "konsol42", TIMEOUT);
}
