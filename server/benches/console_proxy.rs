//! The browser console's WebSocket proxy (`server::console::relay`) against websockify, on
//! loopback. A VNC server generated in this process streams a fixed amount of Raw
//! FramebufferUpdates (screen-sized, pixel data generated once and reused) as fast as the
//! socket takes them, and answers every KeyEvent at once with a 1x1 update. A client reads the
//! stream through each path and reports throughput (median of the runs), then times KeyEvent
//! round trips one at a time. The paths: "direct TCP" (the baseline for added latency),
//! "ours" (an axum route doing `authenticate` + `relay`, served by `server::startup::serve`
//! exactly as production serves the router) and "websockify" (the Python proxy, a child
//! process). For each proxy it also reads the CPU time the proxy itself spent during the
//! throughput runs (its runtime's threads; websockify's process and its per-connection
//! child), since on a small machine the client, the VNC server and the proxy share the cores
//! and throughput alone may measure the client. Run it with `scripts/bench-console`; the
//! figures go to `docs/benchmarks.md`.
//!
//! Options (`--name value`): `--megabytes` per throughput run (200; MB = 10^6 bytes),
//! `--runs` (3), `--round-trips` (2000), `--websockify PATH` (without it that path is
//! skipped), `--nodelay on|off` (off: TCP_NODELAY on the proxy's browser-facing sockets,
//! which production's `serve` does not set; `on` shows what setting it would change).

// A bench reports and panics on what it cannot do, like a test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use domain::console::VncTarget;
use futures_util::{SinkExt, StreamExt};
use server::console::{TrafficCounter, authenticate, relay};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

const WIDTH: u16 = 1280;
const HEIGHT: u16 = 720;
/// Round trips before the timed ones, so connection warm-up (first allocations, the
/// websockify child's first select) is not in the percentiles.
const WARM_UP_ROUND_TRIPS: usize = 100;
/// The answer to a KeyEvent: a FramebufferUpdate of one 1x1 Raw rectangle.
const KEY_ANSWER_LEN: usize = 4 + 12 + 4;
/// The proxy runtime's thread name, by which its CPU time is found in /proc.
const PROXY_THREADS: &str = "console-proxy";
/// /proc reports CPU time in USER_HZ ticks, 100 a second on every Linux architecture we run.
const TICKS_PER_SECOND: f64 = 100.0;

struct Options {
    megabytes: usize,
    runs: usize,
    round_trips: usize,
    websockify: Option<String>,
    nodelay: bool,
}

impl Options {
    fn parse() -> Self {
        let mut options = Self {
            megabytes: 200,
            runs: 3,
            round_trips: 2_000,
            websockify: None,
            nodelay: false,
        };
        let mut args = std::env::args().skip(1);
        while let Some(name) = args.next() {
            // `cargo bench` passes `--bench` to every bench target.
            if name == "--bench" {
                continue;
            }
            let value = args
                .next()
                .unwrap_or_else(|| usage(&format!("{name} needs a value")));
            let number = || -> usize {
                value
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| usage(&format!("{name}: not a positive number")))
            };
            match name.as_str() {
                "--megabytes" => options.megabytes = number(),
                "--runs" => options.runs = number(),
                "--round-trips" => options.round_trips = number(),
                "--websockify" => options.websockify = Some(value),
                "--nodelay" if value == "on" || value == "off" => options.nodelay = value == "on",
                _ => usage(&format!("unknown option {name} {value}")),
            }
        }
        options
    }
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "{problem}\nusage: console_proxy [--megabytes N] [--runs N] [--round-trips N] \
         [--websockify PATH] [--nodelay on|off]"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let options = Options::parse();
    let session = Arc::new(Session::generate(options.megabytes * 1_000_000));
    let vnc = start_vnc_server(session.clone()).await;
    let target = VncTarget {
        host: "127.0.0.1".to_owned(),
        port: vnc.port(),
        password: None,
    };
    let proxy = start_proxy(target, options.nodelay);
    let mut websockify = options
        .websockify
        .as_deref()
        .map(|path| Websockify::start(path, vnc.port()));
    if let Some(websockify) = &websockify {
        websockify.wait_ready().await;
    }
    println!(
        "stream per run: {} FramebufferUpdates of Raw rectangles ({WIDTH}x{HEIGHT} screen), \
         {:.1} MB; {} runs; {} key round trips after {WARM_UP_ROUND_TRIPS} untimed",
        session.update_count,
        session.len as f64 / 1e6,
        options.runs,
        options.round_trips,
    );

    let mut results = Vec::new();
    let direct = measure(
        "direct TCP",
        Link::tcp(vnc).await,
        CpuProbe::Nothing,
        &session,
        &options,
    )
    .await;
    results.push(direct);
    let ours = measure(
        if options.nodelay {
            "ours (relay, nodelay)"
        } else {
            "ours (relay)"
        },
        Link::websocket(proxy, "/console").await,
        CpuProbe::Threads(PROXY_THREADS),
        &session,
        &options,
    )
    .await;
    results.push(ours);
    if let Some(websockify) = &websockify {
        let result = measure(
            "websockify",
            Link::websocket(websockify.addr, "/").await,
            CpuProbe::ProcessTree(websockify.child.id()),
            &session,
            &options,
        )
        .await;
        results.push(result);
    }
    if let Some(websockify) = websockify.as_mut() {
        websockify.stop();
    }
    report(&results);
}

/// One generated session: the FramebufferUpdates a run streams, and its exact length.
struct Session {
    /// A cycle of updates a desktop produces, each message ready to write.
    cycle: Vec<Vec<u8>>,
    /// Updates streamed per run: whole cycles and then part of one.
    update_count: usize,
    len: usize,
}

impl Session {
    fn generate(at_least: usize) -> Self {
        let pixels = random_pixels(usize::from(WIDTH) * usize::from(HEIGHT) * 4);
        let glyph_row: Vec<[u16; 4]> = (0..24).map(|i| [100 + i * 9, 400, 9, 18]).collect();
        let cycle = [
            // The whole screen (a workspace switch, the first frame).
            vec![[0, 0, WIDTH, HEIGHT]],
            // A window redrawn after a move.
            vec![[240, 60, 800, 600]],
            // A scrolling terminal's content.
            vec![[160, 90, 960, 540]],
            // Typing: a row of glyph cells and the clock.
            [glyph_row, vec![[1180, 696, 100, 24]]].concat(),
            // A video playing in a window.
            vec![[320, 180, 640, 360]],
            // A menu opening, and its highlighted entry.
            vec![[500, 200, 240, 320], [500, 232, 240, 24]],
        ]
        .iter()
        .map(|rects| raw_update(rects, &pixels))
        .collect::<Vec<_>>();
        let (mut update_count, mut len) = (0, 0);
        while len < at_least {
            len += cycle[update_count % cycle.len()].len();
            update_count += 1;
        }
        Self {
            cycle,
            update_count,
            len,
        }
    }

    fn updates(&self) -> impl Iterator<Item = &[u8]> {
        self.cycle
            .iter()
            .cycle()
            .take(self.update_count)
            .map(Vec::as_slice)
    }
}

/// Deterministic noise, so runs stream the same bytes (xorshift64).
fn random_pixels(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut pixels = Vec::with_capacity(len + 8);
    while pixels.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        pixels.extend_from_slice(&state.to_le_bytes());
    }
    pixels.truncate(len);
    pixels
}

fn raw_update(rects: &[[u16; 4]], pixels: &[u8]) -> Vec<u8> {
    let mut message = vec![0, 0];
    message.extend_from_slice(&(rects.len() as u16).to_be_bytes());
    for &[x, y, width, height] in rects {
        for value in [x, y, width, height] {
            message.extend_from_slice(&value.to_be_bytes());
        }
        message.extend_from_slice(&0i32.to_be_bytes());
        let len = usize::from(width) * usize::from(height) * 4;
        // Different rectangles start at different places in the noise.
        let start =
            ((usize::from(y) * usize::from(WIDTH) + usize::from(x)) * 4).min(pixels.len() - len);
        message.extend_from_slice(&pixels[start..start + len]);
    }
    message
}

fn server_init() -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&WIDTH.to_be_bytes());
    bytes.extend_from_slice(&HEIGHT.to_be_bytes());
    // 32 bpp, depth 24, little endian, true colour, 8 bits a channel at 16/8/0.
    bytes.extend_from_slice(&[32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
    let name = b"console bench";
    bytes.extend_from_slice(&(name.len() as u32).to_be_bytes());
    bytes.extend_from_slice(name);
    bytes
}

async fn start_vnc_server(session: Arc<Session>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let session = session.clone();
            tokio::spawn(async move {
                if let Err(error) = serve_vnc(stream, &session).await {
                    eprintln!("generated VNC server: {error}");
                }
            });
        }
    });
    addr
}

/// The server side of one connection: RFB 3.8 with security None, then the session on every
/// full (non-incremental) update request and a 1x1 update for every KeyEvent.
async fn serve_vnc(mut stream: TcpStream, session: &Session) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    stream.write_all(b"RFB 003.008\n").await?;
    let mut version = [0u8; 12];
    stream.read_exact(&mut version).await?;
    stream.write_all(&[1, 1]).await?;
    if stream.read_u8().await? != 1 {
        return Err(std::io::Error::other(
            "the client chose a security type not offered",
        ));
    }
    stream.write_all(&0u32.to_be_bytes()).await?;
    let _shared = stream.read_u8().await?;
    stream.write_all(&server_init()).await?;

    let key_answer = raw_update(&[[0, 0, 1, 1]], &[1, 2, 3, 0]);
    let (reader, mut writer) = stream.into_split();
    // Small client messages arrive a few bytes at a time; one buffer saves a syscall each.
    let mut reader = BufReader::new(reader);
    let mut body = [0u8; 20];
    loop {
        let kind = match reader.read_u8().await {
            Ok(kind) => kind,
            Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(error) => return Err(error),
        };
        match kind {
            0 => reader.read_exact(&mut body[..19]).await.map(drop)?,
            2 => {
                reader.read_exact(&mut body[..3]).await?;
                let count = u16::from_be_bytes([body[1], body[2]]);
                for _ in 0..count {
                    reader.read_i32().await?;
                }
            }
            3 => {
                reader.read_exact(&mut body[..9]).await?;
                if body[0] == 0 {
                    for update in session.updates() {
                        writer.write_all(update).await?;
                    }
                }
            }
            4 => {
                reader.read_exact(&mut body[..7]).await?;
                writer.write_all(&key_answer).await?;
            }
            5 => reader.read_exact(&mut body[..5]).await.map(drop)?,
            6 => {
                reader.read_exact(&mut body[..3]).await?;
                let len = reader.read_u32().await?;
                let mut text = vec![0u8; len as usize];
                reader.read_exact(&mut text).await?;
            }
            other => {
                return Err(std::io::Error::other(format!(
                    "unknown client message type {other}"
                )));
            }
        }
    }
}

/// Path A: the production relay behind an axum route, on a runtime of its own as the server
/// process would have (the bench's client and VNC server run on the main one).
fn start_proxy(target: VncTarget, nodelay: bool) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .thread_name(PROXY_THREADS)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            let router = Router::new()
                .route("/console", get(proxy_console))
                .with_state(Arc::new(target));
            if nodelay {
                let listener = listener.tap_io(|stream| {
                    let _ = stream.set_nodelay(true);
                });
                axum::serve(listener, router).await.unwrap();
            } else {
                server::startup::serve(
                    listener,
                    router,
                    std::future::pending(),
                    Duration::from_secs(1),
                )
                .await
                .unwrap();
            }
        });
    });
    addr
}

/// What `server::console`'s upgrade handler does once the ticket is redeemed.
async fn proxy_console(ws: WebSocketUpgrade, State(target): State<Arc<VncTarget>>) -> Response {
    let server = match authenticate(&target).await {
        Ok(server) => server,
        Err(error) => {
            return (axum::http::StatusCode::BAD_GATEWAY, error.to_string()).into_response();
        }
    };
    ws.max_message_size(256 * 1024)
        .on_upgrade(move |socket| async move {
            let traffic = TrafficCounter::default();
            relay(
                socket,
                server,
                Duration::from_secs(3600),
                &traffic,
                std::future::pending(),
            )
            .await;
        })
}

/// Path B: `websockify <listen> <target>`, binary frames, one child process per connection
/// as it runs by default.
struct Websockify {
    child: Child,
    addr: SocketAddr,
}

impl Websockify {
    fn start(path: &str, vnc_port: u16) -> Self {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let child = Command::new(path)
            .arg(addr.to_string())
            .arg(format!("127.0.0.1:{vnc_port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {path}: {error}"));
        Self { child, addr }
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(self.addr).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "websockify did not listen on {} within 20 s",
                self.addr
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Websockify {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A client's byte stream to the VNC server, over plain TCP or binary WebSocket frames.
struct Link {
    transport: Transport,
    /// Bytes received but not read yet.
    pending: Vec<u8>,
    scratch: Vec<u8>,
}

enum Transport {
    Tcp(TcpStream),
    WebSocket(Box<WebSocketStream<TcpStream>>),
}

impl Link {
    async fn tcp(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Self::new(Transport::Tcp(stream))
    }

    async fn websocket(addr: SocketAddr, path: &str) -> Self {
        // As browsers do: no Nagle delay on small input messages.
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (socket, _) = tokio_tungstenite::client_async(format!("ws://{addr}{path}"), stream)
            .await
            .unwrap();
        Self::new(Transport::WebSocket(Box::new(socket)))
    }

    fn new(transport: Transport) -> Self {
        Self {
            transport,
            pending: Vec::new(),
            scratch: vec![0; 256 * 1024],
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        match &mut self.transport {
            Transport::Tcp(stream) => stream.write_all(bytes).await.unwrap(),
            Transport::WebSocket(socket) => socket
                .send(Message::Binary(bytes.to_vec().into()))
                .await
                .unwrap(),
        }
    }

    /// Receives bytes and hands them to `take`, which answers how many it used; the rest
    /// stay pending.
    async fn receive(&mut self, mut take: impl FnMut(&[u8]) -> usize) {
        if !self.pending.is_empty() {
            let used = take(&self.pending);
            self.pending.drain(..used);
            return;
        }
        match &mut self.transport {
            Transport::Tcp(stream) => {
                let n = stream.read(&mut self.scratch).await.unwrap();
                assert!(n > 0, "the connection closed");
                let used = take(&self.scratch[..n]);
                self.pending.extend_from_slice(&self.scratch[used..n]);
            }
            Transport::WebSocket(socket) => loop {
                match socket.next().await {
                    Some(Ok(Message::Binary(data))) => {
                        let used = take(&data);
                        self.pending.extend_from_slice(&data[used..]);
                        break;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    other => panic!("the WebSocket ended: {other:?}"),
                }
            },
        }
    }

    async fn read_exact(&mut self, len: usize) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(len);
        while bytes.len() < len {
            self.receive(|chunk| {
                let used = chunk.len().min(len - bytes.len());
                bytes.extend_from_slice(&chunk[..used]);
                used
            })
            .await;
        }
        bytes
    }

    /// Reads and drops `len` bytes, as fast as they come.
    async fn skip(&mut self, len: usize) {
        let mut left = len;
        while left > 0 {
            self.receive(|chunk| {
                let used = chunk.len().min(left);
                left -= used;
                used
            })
            .await;
        }
    }

    /// The RFB client's handshake: 3.8, security None, shared, ServerInit.
    async fn handshake(&mut self) {
        let version = self.read_exact(12).await;
        assert_eq!(version, b"RFB 003.008\n");
        self.send(b"RFB 003.008\n").await;
        let count = self.read_exact(1).await[0];
        let types = self.read_exact(usize::from(count)).await;
        assert!(types.contains(&1), "security None not offered: {types:?}");
        self.send(&[1]).await;
        assert_eq!(self.read_exact(4).await, [0, 0, 0, 0], "security failed");
        self.send(&[1]).await;
        let init = self.read_exact(24).await;
        assert_eq!(
            init[..4],
            [WIDTH.to_be_bytes(), HEIGHT.to_be_bytes()].concat()
        );
        let name_len = u32::from_be_bytes([init[20], init[21], init[22], init[23]]);
        self.read_exact(name_len as usize).await;
    }

    async fn close(self) {
        match self.transport {
            Transport::Tcp(mut stream) => {
                let _ = stream.shutdown().await;
            }
            Transport::WebSocket(socket) => {
                let mut socket = *socket;
                let _ = socket.close(None).await;
            }
        }
    }
}

/// Where the CPU time of the proxy under test is found.
enum CpuProbe {
    Nothing,
    /// This process's threads of that name.
    Threads(&'static str),
    /// A process and its children (websockify forks one per connection).
    ProcessTree(u32),
}

impl CpuProbe {
    /// User and system seconds so far.
    fn seconds(&self) -> Option<(f64, f64)> {
        let ticks: Vec<(u64, u64)> = match self {
            CpuProbe::Nothing => return None,
            CpuProbe::Threads(name) => std::fs::read_dir("/proc/self/task")
                .unwrap()
                .filter_map(|task| {
                    let task = task.ok()?.path();
                    let comm = std::fs::read_to_string(task.join("comm")).ok()?;
                    (comm.trim_end() == *name).then(|| cpu_ticks(&task.join("stat")))?
                })
                .collect(),
            CpuProbe::ProcessTree(root) => std::fs::read_dir("/proc")
                .unwrap()
                .filter_map(|process| {
                    let stat = process.ok()?.path().join("stat");
                    let text = std::fs::read_to_string(&stat).ok()?;
                    let pid: u32 = text.split_whitespace().next()?.parse().ok()?;
                    let parent: u32 = stat_fields(&text)?.get(1)?.parse().ok()?;
                    (pid == *root || parent == *root).then(|| cpu_ticks(&stat))?
                })
                .collect(),
        };
        let (user, system) = ticks
            .iter()
            .fold((0, 0), |(user, system), (u, s)| (user + u, system + s));
        Some((
            user as f64 / TICKS_PER_SECOND,
            system as f64 / TICKS_PER_SECOND,
        ))
    }
}

/// The fields of a /proc stat line after the command name, which may hold spaces; the first is
/// field 3 (state).
fn stat_fields(text: &str) -> Option<Vec<&str>> {
    let (_, rest) = text.rsplit_once(')')?;
    Some(rest.split_whitespace().collect())
}

/// utime and stime (fields 14 and 15) of a /proc stat file.
fn cpu_ticks(stat: &std::path::Path) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(stat).ok()?;
    let fields = stat_fields(&text)?;
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some((user, system))
}

struct PathResult {
    name: &'static str,
    /// MB/s of each throughput run.
    runs: Vec<f64>,
    /// The proxy's CPU seconds (user, system) over all throughput runs, and their wall time.
    proxy_cpu: Option<((f64, f64), f64)>,
    bytes_streamed: usize,
    /// Sorted round-trip times.
    round_trips: Vec<Duration>,
}

impl PathResult {
    fn throughput(&self) -> f64 {
        let mut runs = self.runs.clone();
        runs.sort_by(f64::total_cmp);
        runs[runs.len() / 2]
    }

    /// The proxy's CPU seconds per GB streamed, and the share of one core it kept busy.
    fn cpu_per_gigabyte(&self) -> Option<(f64, f64)> {
        let ((user, system), wall) = self.proxy_cpu?;
        let cpu = user + system;
        Some((cpu / (self.bytes_streamed as f64 / 1e9), cpu / wall))
    }

    /// Nearest-rank percentile.
    fn percentile(&self, percent: f64) -> Duration {
        let rank = ((percent / 100.0) * self.round_trips.len() as f64).ceil() as usize;
        self.round_trips[rank.clamp(1, self.round_trips.len()) - 1]
    }
}

async fn measure(
    name: &'static str,
    mut link: Link,
    probe: CpuProbe,
    session: &Session,
    options: &Options,
) -> PathResult {
    link.handshake().await;
    let full_request = [
        [3u8, 0].as_slice(),
        &0u16.to_be_bytes(),
        &0u16.to_be_bytes(),
        &WIDTH.to_be_bytes(),
        &HEIGHT.to_be_bytes(),
    ]
    .concat();
    let mut runs = Vec::new();
    let cpu_before = probe.seconds();
    let streaming = Instant::now();
    for _ in 0..options.runs {
        let started = Instant::now();
        link.send(&full_request).await;
        link.skip(session.len).await;
        let seconds = started.elapsed().as_secs_f64();
        runs.push(session.len as f64 / 1e6 / seconds);
    }
    let wall = streaming.elapsed().as_secs_f64();
    let proxy_cpu = cpu_before
        .zip(probe.seconds())
        .map(|(before, after)| ((after.0 - before.0, after.1 - before.1), wall));

    let mut round_trips = Vec::with_capacity(options.round_trips);
    for index in 0..WARM_UP_ROUND_TRIPS + options.round_trips {
        // 'a' pressed and released in turn.
        let key = [4, u8::from(index % 2 == 0), 0, 0, 0, 0, 0, 0x61];
        let started = Instant::now();
        link.send(&key).await;
        let answer = link.read_exact(KEY_ANSWER_LEN).await;
        let took = started.elapsed();
        // A byte lost or duplicated anywhere in the stream would misalign this.
        assert_eq!(
            answer[..4],
            [0, 0, 0, 1],
            "{name}: the stream lost its framing"
        );
        if index >= WARM_UP_ROUND_TRIPS {
            round_trips.push(took);
        }
    }
    round_trips.sort();
    link.close().await;
    let result = PathResult {
        name,
        runs,
        proxy_cpu,
        bytes_streamed: session.len * options.runs,
        round_trips,
    };
    println!(
        "{name}: runs {} MB/s; RTT p50 {:.1} µs, p99 {:.1} µs{}",
        result
            .runs
            .iter()
            .map(|run| format!("{run:.0}"))
            .collect::<Vec<_>>()
            .join(", "),
        micros(result.percentile(50.0)),
        micros(result.percentile(99.0)),
        match result.proxy_cpu {
            Some(((user, system), wall)) => format!(
                "; proxy CPU {:.2} s (user {user:.2}, system {system:.2}) in {wall:.2} s of streaming",
                user + system
            ),
            None => String::new(),
        },
    );
    result
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

fn report(results: &[PathResult]) {
    let direct = &results[0];
    println!();
    println!(
        "| path | throughput (median) | proxy CPU per GB | proxy busy | RTT p50 | RTT p99 | added p50 | added p99 |\n|---|---|---|---|---|---|---|---|"
    );
    for result in results {
        let added =
            |percent| micros(result.percentile(percent)) - micros(direct.percentile(percent));
        let (cpu_per_gigabyte, busy) = match result.cpu_per_gigabyte() {
            Some((per_gigabyte, busy)) => (
                format!("{per_gigabyte:.2} s"),
                format!("{:.0} %", busy * 100.0),
            ),
            None => ("–".to_owned(), "–".to_owned()),
        };
        println!(
            "| {} | {:.0} MB/s | {cpu_per_gigabyte} | {busy} | {:.1} µs | {:.1} µs | {:+.1} µs | {:+.1} µs |",
            result.name,
            result.throughput(),
            micros(result.percentile(50.0)),
            micros(result.percentile(99.0)),
            added(50.0),
            added(99.0),
        );
    }
    if let [_, ours, websockify] = results {
        println!(
            "\nours / websockify throughput: {:.2}x (target: at least 3x); ours added p99: {:.3} ms (target: under 1 ms)",
            ours.throughput() / websockify.throughput(),
            (micros(ours.percentile(99.0)) - micros(direct.percentile(99.0))) / 1000.0,
        );
        // A proxy adds work to the direct path and cannot stream faster than it: where 3x
        // websockify is above the direct figure, this machine cannot show the target.
        println!(
            "3x websockify is {:.0} MB/s; the same stream with no proxy at all: {:.0} MB/s ({:.2}x websockify)",
            3.0 * websockify.throughput(),
            direct.throughput(),
            direct.throughput() / websockify.throughput(),
        );
        println!(
            "share of the unproxied stream's throughput: ours {:.0} %, websockify {:.0} %",
            100.0 * ours.throughput() / direct.throughput(),
            100.0 * websockify.throughput() / direct.throughput(),
        );
        if let (Some((ours_cpu, _)), Some((theirs_cpu, _))) =
            (ours.cpu_per_gigabyte(), websockify.cpu_per_gigabyte())
        {
            println!(
                "websockify / ours CPU per GB relayed: {:.2}x",
                theirs_cpu / ours_cpu
            );
        }
    }
}
