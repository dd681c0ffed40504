//! Helpers for tests against real VNC servers on loopback: finding binaries, free ports and
//! displays, owning server processes, and driving a [`Client`] over a `TcpStream`.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use rfb::{Client, Config, Error, Event, Password};

/// Returns false (and says why, loudly) when a server binary the test needs is not installed.
/// Nothing else may make an interop test skip.
pub fn binaries_installed(test: &str, binaries: &[&str]) -> bool {
    let missing: Vec<&str> = binaries
        .iter()
        .copied()
        .filter(|binary| find_in_path(binary).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    eprintln!(
        "\n*** SKIPPING {test}: {} not installed. Run rfb/tests/install-interop-deps.sh. ***\n",
        missing.join(", ")
    );
    false
}

fn find_in_path(binary: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|directory| directory.join(binary))
        .find(|candidate| candidate.is_file())
}

/// A port nobody listens on right now. The listener is dropped before the server binds it;
/// tests retry with another port if a server then fails to start.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An X display number with no lock file, from a range unlikely to be used by anything else;
/// each call in this process gets a different one.
pub fn free_display() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 400 + (std::process::id() % 200) as u16 * 10;
    loop {
        let display = base + NEXT.fetch_add(1, Ordering::Relaxed) % 2000;
        let lock = PathBuf::from(format!("/tmp/.X{display}-lock"));
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{display}"));
        if !lock.exists() && !socket.exists() {
            return display;
        }
    }
}

/// A child process that is stopped when dropped: SIGTERM first so X servers remove their lock
/// files, SIGKILL if it is still there after two seconds.
pub struct Process {
    name: String,
    child: Child,
}

impl Process {
    pub fn spawn(command: &mut Command, name: &str, log: &Path) -> Process {
        let log_file = std::fs::File::create(log).unwrap();
        let child = command
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {name}: {error}"));
        Process {
            name: name.to_owned(),
            child,
        }
    }

    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.has_exited() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if self.has_exited() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("{} ignored SIGTERM; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until something accepts TCP connections on `port`, failing early if `server` exits.
pub fn wait_for_port(server: &mut Process, port: u16, log: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if server.has_exited() {
            eprintln!(
                "server exited during start-up:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            return false;
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on port {port} after 15 s");
}

/// A scratch directory removed at the end of the test.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicU16 = AtomicU16::new(0);
        let path = std::env::temp_dir().join(format!(
            "rfb-interop-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A [`Client`] wired to a TCP connection: the I/O loop a real console runs, in miniature.
pub struct Connection {
    pub client: Client,
    stream: TcpStream,
    /// Every event seen so far, in order.
    pub events: Vec<Event>,
    /// Bytes read from the server so far.
    pub bytes_received: usize,
}

impl Connection {
    pub fn open(port: u16, config: Config) -> Connection {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        Connection {
            client: Client::new(config),
            stream,
            events: Vec::new(),
            bytes_received: 0,
        }
    }

    /// Sends what the client queued, reads what has arrived (waiting up to 50 ms), feeds it,
    /// and returns the new events. A closed connection is reported as such.
    pub fn pump(&mut self) -> Result<Vec<Event>, Error> {
        let outgoing = self.client.take_outgoing();
        if !outgoing.is_empty() {
            self.stream.write_all(&outgoing).unwrap();
        }
        let mut buffer = [0u8; 64 * 1024];
        match self.stream.read(&mut buffer) {
            Ok(0) => panic!(
                "the server closed the connection; events so far: {:?}",
                self.events
            ),
            Ok(count) => {
                self.bytes_received += count;
                self.client.feed(&buffer[..count])?;
            }
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(error) => panic!("reading from the server failed: {error}"),
        }
        let mut new_events = Vec::new();
        while let Some(event) = self.client.next_event() {
            new_events.push(event);
        }
        self.events.extend(new_events.iter().cloned());
        let outgoing = self.client.take_outgoing();
        if !outgoing.is_empty() {
            self.stream.write_all(&outgoing).unwrap();
        }
        Ok(new_events)
    }

    /// Pumps until `done` holds, or panics after `timeout` describing `what` was awaited.
    pub fn pump_until(
        &mut self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&Connection) -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Err(error) = self.pump() {
                panic!("connection failed while waiting for {what}: {error}");
            }
            if done(self) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out after {timeout:?} waiting for {what}; events: {:?}",
                    self.events
                );
            }
        }
    }

    /// Pumps until the handshake ends, returning the error if it fails.
    pub fn handshake(&mut self) -> Result<(), Error> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.client.is_connected() {
            self.pump()?;
            assert!(
                Instant::now() < deadline,
                "handshake did not finish in 10 s; events: {:?}",
                self.events
            );
        }
        Ok(())
    }

    /// True when every framebuffer pixel has this colour.
    pub fn screen_is(&self, rgb: [u8; 3]) -> bool {
        self.client
            .framebuffer()
            .rgba()
            .chunks_exact(4)
            .all(|pixel| pixel[..3] == rgb)
    }
}

/// Reads a binary PPM (P6, maxval 255), as QEMU's `screendump` writes, into RGBA.
pub fn read_ppm(path: &Path) -> (u16, u16, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    let mut fields = Vec::new();
    let mut position = 0;
    // Header: magic, width, height, maxval, separated by whitespace, then one whitespace byte.
    while fields.len() < 4 {
        while bytes[position].is_ascii_whitespace() {
            position += 1;
        }
        let start = position;
        while !bytes[position].is_ascii_whitespace() {
            position += 1;
        }
        fields.push(String::from_utf8(bytes[start..position].to_vec()).unwrap());
    }
    position += 1;
    assert_eq!(fields[0], "P6");
    assert_eq!(fields[3], "255");
    let width: u16 = fields[1].parse().unwrap();
    let height: u16 = fields[2].parse().unwrap();
    let rgb = &bytes[position..];
    assert_eq!(rgb.len(), usize::from(width) * usize::from(height) * 3);
    let rgba = rgb
        .chunks_exact(3)
        .flat_map(|pixel| [pixel[0], pixel[1], pixel[2], 255])
        .collect();
    (width, height, rgba)
}

/// The bounding box (x, y, width, height) of the pixels where two equal-sized RGBA images
/// differ, or `None` when they are identical.
pub fn difference_box(
    width: u16,
    left: &[u8],
    right: &[u8],
) -> Option<(usize, usize, usize, usize)> {
    assert_eq!(left.len(), right.len());
    let width = usize::from(width);
    let mut bounds: Option<(usize, usize, usize, usize)> = None;
    for (index, (a, b)) in left.chunks_exact(4).zip(right.chunks_exact(4)).enumerate() {
        if a != b {
            let (x, y) = (index % width, index / width);
            bounds = Some(match bounds {
                None => (x, y, x, y),
                Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
            });
        }
    }
    bounds.map(|(x0, y0, x1, y1)| (x0, y0, x1 - x0 + 1, y1 - y0 + 1))
}

/// The three password paths against a server whose VNC password is `password`: given upfront,
/// asked for by the client and sent later, and wrong (the server's reason comes back).
pub fn check_vnc_authentication(port: u16, password: &str, timeout: Duration) {
    let mut connection = Connection::open(
        port,
        Config {
            password: Some(Password::new(password)),
            ..Config::default()
        },
    );
    connection.handshake().unwrap();
    connection.pump_until("pixels", timeout, |connection| {
        connection
            .events
            .iter()
            .any(|event| matches!(event, Event::FramebufferUpdated { .. }))
    });

    let mut connection = Connection::open(port, Config::default());
    connection.pump_until("the password prompt", timeout, |connection| {
        connection.events.contains(&Event::PasswordRequired)
    });
    connection
        .client
        .send_password(&Password::new(password))
        .unwrap();
    connection.handshake().unwrap();

    let mut connection = Connection::open(
        port,
        Config {
            password: Some(Password::new("salah")),
            ..Config::default()
        },
    );
    match connection.handshake() {
        Err(Error::AuthenticationFailed { reason }) => assert!(!reason.is_empty()),
        other => panic!("expected an authentication failure, got {other:?}"),
    }
}
