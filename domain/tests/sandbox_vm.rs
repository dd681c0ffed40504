//! The sandbox's VM consoles for real: QEMU boots the guest of `scripts/sandbox-vm/build`, the
//! repo's own RFB client logs in to QEMU's VNC server with the endpoint's password, types root's
//! password at the guest's login prompt and a command at its shell, and the guest's serial port
//! shows the command ran. Then the provider: its console is such a VM, and a power-off stops it.
//! Plus, without VMs, the root password hash the sandbox keeps on both databases.
//!
//! These tests need QEMU and the guest: they fail (never skip) when either is missing, saying
//! to run `scripts/sandbox-vm/build`. The guest is looked for in `SANDBOX_VM_DIR`, else in
//! `<workspace>/target/sandbox-vm`. A boot costs about 3 core-seconds of TCG, so VMs are few.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use domain::providers::{
    Action, CloudProvider, ConsoleAccess, CreateInstance, ProviderError, SshPublicKey,
};
use domain::sandbox::screen::SandboxScreens;
use domain::sandbox::vm::{
    DEFAULT_GUEST_DIR, SandboxVmGuest, VmProcess, hash_root_password, ready_line,
};
use domain::sandbox::{SandboxProvider, SandboxTiming};
use domain::testing::TestDb;
use domain::{both_backends, db_run};
use rfb::{Client, Config, Event, Password};
use sha_crypt::{PasswordHashRef, PasswordVerifier as _, ShaCrypt};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::timeout;

const PASSWORD: &str = "Rahasia-Uji-2024";
const HOSTNAME: &str = "konsol-uji";
/// A TCG boot takes 6–12 s on an idle 2-core machine; tests and builds may share the cores.
const BOOT: Duration = Duration::from_secs(180);
const STEP: Duration = Duration::from_secs(60);
const SHIFT_L: u32 = 0xffe1;
const RETURN: u32 = 0xff0d;

/// QEMU and the guest, or a failure that says how to install them.
fn guest() -> SandboxVmGuest {
    let dir = std::env::var_os("SANDBOX_VM_DIR").map_or_else(
        || {
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
            workspace.join(DEFAULT_GUEST_DIR)
        },
        PathBuf::from,
    );
    SandboxVmGuest::find(&dir)
        .unwrap_or_else(|missing| panic!("the sandbox VM tests need QEMU and the guest: {missing}"))
}

fn verifies(hash: &str, password: &str) -> bool {
    let hash = PasswordHashRef::new(hash).unwrap();
    ShaCrypt::SHA512
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A VNC viewer: the sans-I/O client on a tokio socket.
struct Viewer {
    stream: TcpStream,
    client: Client,
    frames: usize,
}

impl Viewer {
    async fn connect(port: u16, password: &str) -> Result<Viewer, rfb::Error> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let mut viewer = Viewer {
            stream,
            client: Client::new(Config {
                password: Some(Password::new(password)),
                ..Config::default()
            }),
            frames: 0,
        };
        timeout(STEP, async {
            while !viewer.client.is_connected() {
                viewer.pump().await?;
            }
            Ok::<(), rfb::Error>(())
        })
        .await
        .expect("the handshake timed out")?;
        Ok(viewer)
    }

    /// Sends what the client queued, then reads for up to 100 ms and feeds what came.
    async fn pump(&mut self) -> Result<(), rfb::Error> {
        let outgoing = self.client.take_outgoing();
        if !outgoing.is_empty() {
            self.stream.write_all(&outgoing).await.unwrap();
        }
        let mut received = vec![0u8; 256 * 1024];
        if let Ok(read) = timeout(Duration::from_millis(100), self.stream.read(&mut received)).await
        {
            let count = read.unwrap();
            assert!(count > 0, "QEMU closed the VNC connection");
            self.client.feed(&received[..count])?;
        }
        while let Some(event) = self.client.next_event() {
            if matches!(event, Event::FramebufferUpdated { .. }) {
                self.frames += 1;
            }
        }
        Ok(())
    }

    /// Pumps until `done`, or fails after `limit` naming what it waited for.
    async fn until(&mut self, what: &str, limit: Duration, mut done: impl FnMut(&Viewer) -> bool) {
        let deadline = Instant::now() + limit;
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "no {what} after {limit:?} ({} text rows on the screen)",
                self.rows()
            );
            self.pump().await.unwrap();
        }
    }

    /// Text rows of the 80x25 VGA console (9x16 cells) with something written in them; the
    /// blinking cursor alone (an underline of 18 pixels) does not count.
    fn rows(&self) -> usize {
        let framebuffer = self.client.framebuffer();
        let width = usize::from(framebuffer.width());
        if width == 0 {
            return 0;
        }
        framebuffer
            .rgba()
            .chunks(width * 4 * 16)
            .filter(|row| {
                row.chunks_exact(4)
                    .filter(|pixel| pixel[..3].iter().any(|&channel| channel > 0x40))
                    .count()
                    > 40
            })
            .count()
    }

    /// Pumps until the number of written rows is above `before` and has not changed for a
    /// second: the guest printed its answer and waits for input.
    async fn settled_above(&mut self, what: &str, before: usize) -> usize {
        let deadline = Instant::now() + STEP;
        let mut seen = (self.rows(), Instant::now());
        loop {
            self.pump().await.unwrap();
            let rows = self.rows();
            if rows != seen.0 {
                seen = (rows, Instant::now());
            } else if rows > before && seen.1.elapsed() > Duration::from_secs(1) {
                return rows;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} after {STEP:?} ({rows} text rows, {before} before)"
            );
        }
    }

    fn tap(&mut self, keysym: u32) {
        self.client.key(keysym, true).unwrap();
        self.client.key(keysym, false).unwrap();
    }

    /// Types a line and Return as keysyms. QEMU maps keysyms to scancodes with an en-us keymap
    /// and adds no Shift of its own, so Shift_L goes around capitals and shifted symbols.
    fn type_line(&mut self, line: &str) {
        for c in line.chars() {
            let keysym = u32::from(c);
            if c.is_ascii_uppercase() || "~!@#$%^&*()_+{}|:\"<>?".contains(c) {
                self.client.key(SHIFT_L, true).unwrap();
                self.tap(keysym);
                self.client.key(SHIFT_L, false).unwrap();
            } else {
                self.tap(keysym);
            }
        }
        self.tap(RETURN);
    }
}

fn serial(process: &VmProcess) -> String {
    String::from_utf8_lossy(&std::fs::read(process.serial_log()).unwrap_or_default()).into_owned()
}

/// Until QEMU is gone (killed and reaped, so no zombie either) and its directory removed.
async fn stopped(process: &VmProcess) {
    let gone = timeout(Duration::from_secs(15), async {
        loop {
            let alive = Path::new(&format!("/proc/{}", process.pid)).exists();
            if !alive && !process.dir.exists() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        gone.is_ok(),
        "QEMU {} or its directory {} outlived the screen",
        process.pid,
        process.dir.display()
    );
}

fn cmdline(pid: u32) -> String {
    String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/cmdline")).unwrap())
        .replace('\0', " ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vm_boots_to_a_login_that_takes_the_root_password_hash() {
    let screens = SandboxScreens::with_vms(guest());
    let hash = hash_root_password(PASSWORD).unwrap();
    let started = Instant::now();
    // Overlapping opens get one VM.
    let (first, second) = tokio::join!(
        screens.open("sbx-1", HOSTNAME, Some(&hash)),
        screens.open("sbx-1", HOSTNAME, Some(&hash))
    );
    let endpoint = first.unwrap();
    assert_eq!(second.unwrap(), endpoint);
    assert_eq!(endpoint.password.len(), 8);
    let process = screens.vm_process("sbx-1").unwrap();
    eprintln!(
        "QEMU {} listening after {:?}",
        process.pid,
        started.elapsed()
    );

    // Secrets only in files of mode 0600, and never the plaintext password anywhere.
    let command = cmdline(process.pid);
    assert!(command.contains("qemu-system-x86_64"), "{command}");
    assert!(command.contains("-accel tcg"), "{command}");
    assert!(
        command.contains(&format!("hostname={HOSTNAME}")),
        "{command}"
    );
    assert!(!command.contains(&endpoint.password) && !command.contains(&hash));
    for (file, contents) in [
        ("vnc-password", endpoint.password.as_str()),
        ("rootpw-hash", hash.as_str()),
    ] {
        let path = process.dir.join(file);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), contents);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    for entry in std::fs::read_dir(&process.dir).unwrap() {
        let contents = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!String::from_utf8_lossy(&contents).contains(PASSWORD));
    }

    // QEMU's VNC server wants the endpoint's password.
    assert!(matches!(
        Viewer::connect(endpoint.port, "salah123").await.err(),
        Some(rfb::Error::AuthenticationFailed { .. })
    ));
    let mut viewer = Viewer::connect(endpoint.port, &endpoint.password)
        .await
        .unwrap();
    // SeaBIOS, then the kernel: VGA text mode, 80x25 cells of 9x16.
    viewer
        .until("720x400 text mode", BOOT, |viewer| {
            let framebuffer = viewer.client.framebuffer();
            (framebuffer.width(), framebuffer.height()) == (720, 400)
        })
        .await;
    let ready = ready_line(HOSTNAME);
    viewer
        .until("ready line on the serial port", BOOT, |_| {
            serial(&process).contains(&ready)
        })
        .await;
    eprintln!("guest ready after {:?}", started.elapsed());
    // getty on the serial port prompts at the moment getty on the screen does; keys typed
    // before that would be flushed.
    let prompt = format!("{HOSTNAME} login:");
    viewer
        .until("login prompt on the serial port", STEP, |_| {
            serial(&process).contains(&prompt)
        })
        .await;

    // The issue text and `konsol-uji login:` on the screen.
    let rows = viewer.settled_above("login prompt", 2).await;
    viewer.type_line("root");
    let rows = viewer.settled_above("password prompt", rows).await;
    viewer.type_line(PASSWORD);
    let rows = viewer.settled_above("shell", rows).await;
    viewer.type_line("echo halo-uji > /dev/ttyS0");
    viewer
        .until("`halo-uji` on the serial port", STEP, |_| {
            serial(&process).contains("halo-uji")
        })
        .await;
    eprintln!(
        "logged in and ran a command after {:?}; {rows} rows, {} frames",
        started.elapsed(),
        viewer.frames
    );
    assert!(viewer.frames > 10, "{} frames", viewer.frames);

    // Closing kills QEMU (the viewer is cut off), reaps it and removes its directory.
    screens.close("sbx-1");
    assert!(screens.vm_process("sbx-1").is_none());
    stopped(&process).await;
    let mut rest = Vec::new();
    let closed = timeout(STEP, viewer.stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the viewer stayed connected");
}

fn request(label: &str, root_password: Option<&str>) -> CreateInstance {
    CreateInstance {
        label: label.to_owned(),
        hostname: HOSTNAME.to_owned(),
        region: "sbx-sgp1".to_owned(),
        size: "sbx-1c-1g".to_owned(),
        image: "debian-12-x64".to_owned(),
        root_password: root_password.map(str::to_owned),
        ssh_keys: vec![SshPublicKey {
            name: "laptop".to_owned(),
            openssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk customer@laptop".to_owned(),
            fingerprint: "SHA256:abc".to_owned(),
        }],
    }
}

const INSTANT: SandboxTiming = SandboxTiming {
    create: Duration::ZERO,
    action: Duration::ZERO,
};

async fn stored_hash(test: &TestDb, id: &str) -> Option<String> {
    let number: i64 = id.trim_start_matches("sbx-").parse().unwrap();
    db_run!(&test.db, |pool| {
        sqlx::query_scalar("SELECT root_password_hash FROM sandbox_servers WHERE id = $1")
            .bind(number)
            .fetch_one(pool)
            .await
    })
    .unwrap()
}

both_backends! {
    async fn the_sandbox_keeps_root_passwords_only_as_sha512_crypt(test: TestDb) {
        let sandbox = SandboxProvider::new(test.db.clone(), INSTANT, SandboxScreens::default());
        let with_password = sandbox.create_instance(&request("wr-hash-1", Some(PASSWORD))).await.unwrap().instance.id;
        let hash = stored_hash(&test, &with_password).await.unwrap();
        assert!(hash.starts_with("$6$") && verifies(&hash, PASSWORD), "{hash}");
        let keys_only = sandbox.create_instance(&request("wr-hash-2", None)).await.unwrap().instance.id;
        assert_eq!(stored_hash(&test, &keys_only).await, None);

        let reset = Action::ResetPassword { password: "Baru-Sekali-77".to_owned() };
        sandbox.perform_action(&with_password, &reset).await.unwrap();
        let new_hash = stored_hash(&test, &with_password).await.unwrap();
        assert!(verifies(&new_hash, "Baru-Sekali-77") && !verifies(&new_hash, PASSWORD));

        // A rebuild installs the password it is given, or none.
        sandbox.get_instance(&with_password).await.unwrap();
        let rebuild = |password: Option<&str>| Action::Rebuild {
            image: "ubuntu-24-04-x64".to_owned(),
            password: password.map(str::to_owned),
            ssh_keys: Vec::new(),
        };
        sandbox.perform_action(&with_password, &rebuild(None)).await.unwrap();
        assert_eq!(stored_hash(&test, &with_password).await, None);
        sandbox.get_instance(&with_password).await.unwrap();
        sandbox.perform_action(&keys_only, &rebuild(Some("Dibangun-Ulang-5"))).await.unwrap();
        assert!(verifies(&stored_hash(&test, &keys_only).await.unwrap(), "Dibangun-Ulang-5"));
        // Other actions keep it.
        sandbox.perform_action(&keys_only, &Action::Reboot).await.unwrap();
        sandbox.get_instance(&keys_only).await.unwrap();
        assert!(verifies(&stored_hash(&test, &keys_only).await.unwrap(), "Dibangun-Ulang-5"));
    }

    async fn the_provider_console_is_a_vm_that_a_power_off_stops(test: TestDb) {
        let screens = SandboxScreens::with_vms(guest());
        let sandbox = SandboxProvider::new(test.db.clone(), INSTANT, screens.clone());
        let id = sandbox.create_instance(&request("wr-vm-1", Some(PASSWORD))).await.unwrap().instance.id;
        let (port, password) = match sandbox.console(&id).await.unwrap() {
            ConsoleAccess::Vnc { host, port, password: Some(password) } => {
                assert_eq!(host, "127.0.0.1");
                (port, password)
            }
            other => panic!("not a VNC console: {other:?}"),
        };
        let process = screens.vm_process(&id).unwrap();
        // The VM got the server's host name and the hash the sandbox keeps, nothing else.
        assert!(cmdline(process.pid).contains(&format!("hostname={HOSTNAME}")));
        let hash = stored_hash(&test, &id).await.unwrap();
        assert_eq!(std::fs::read_to_string(process.dir.join("rootpw-hash")).unwrap(), hash);
        // The same VM for the next console.
        assert!(matches!(sandbox.console(&id).await.unwrap(), ConsoleAccess::Vnc { port: again, .. } if again == port));

        // It is QEMU's screen: a frame of the VM arrives.
        let mut viewer = Viewer::connect(port, &password).await.unwrap();
        viewer.until("a frame", STEP, |viewer| viewer.frames > 0).await;

        sandbox.perform_action(&id, &Action::PowerOff).await.unwrap();
        sandbox.get_instance(&id).await.unwrap();
        stopped(&process).await;
        assert!(screens.vm_process(&id).is_none());
        assert!(matches!(sandbox.console(&id).await, Err(ProviderError::Invalid(_))));
    }
}
