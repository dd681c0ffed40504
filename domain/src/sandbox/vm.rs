//! The sandbox's screens as real virtual machines: when QEMU and the tiny guest that
//! `scripts/sandbox-vm/build` makes are installed, every running sandbox server with an open
//! console is a QEMU VM (Debian's kernel and a busybox initramfs, no disk, no network) whose VGA
//! screen is the console. QEMU's own VNC server listens on loopback with VNC Authentication,
//! exactly what the console proxy expects of any hypervisor, so the whole path is real RFB.
//!
//! One VM per screen, started by [`SandboxScreens`](super::screen::SandboxScreens):
//!
//! * `-accel tcg` always (KVM hangs on the machines this runs on; see docs/sandbox-vm.md),
//!   `-m 128 -smp 1`, about 190 MiB of RSS and 0.3 % of a core once booted.
//! * The VNC password (random, 8 characters: all VNC Authentication uses) and the root
//!   password's SHA-512 crypt hash reach QEMU through 0600 files in the VM's own 0700 directory,
//!   never on a command line; the guest reads the hash through fw_cfg. The plaintext root
//!   password never leaves the panel.
//! * QEMU is our child (`kill_on_drop`, no `-daemonize`), so closing a screen kills and reaps it
//!   and removes its directory. Directories live under `$TMPDIR/webrana-sandbox-vms/<our pid>/`;
//!   the first VM a process starts sweeps the directories of processes that are gone and kills
//!   the QEMUs they left (a crashed panel's VMs live until the next start, no longer).

use std::io;
use std::net::{Ipv4Addr, TcpListener as StdTcpListener};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use std::{fmt, fs};

use sha_crypt::{PasswordHasher as _, ShaCrypt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use super::endpoint::{ScreenEndpoint, random_password};

/// The QEMU binary looked for on `PATH`.
pub const QEMU: &str = "qemu-system-x86_64";
/// The guest's kernel and initramfs, in the guest directory.
pub const KERNEL_FILE: &str = "vmlinuz";
pub const INITRD_FILE: &str = "initramfs.cpio.gz";
/// Where `scripts/sandbox-vm/build` puts the guest by default, relative to the repository.
pub const DEFAULT_GUEST_DIR: &str = "target/sandbox-vm";
/// What to do when something is missing.
pub const INSTALL_HINT: &str = "run scripts/sandbox-vm/build (it installs QEMU from Debian's \
     packages and builds the guest; see docs/sandbox-vm.md)";

/// The fw_cfg blob the guest reads root's password hash from.
const ROOT_HASH_BLOB: &str = "opt/webrana/rootpw-hash";
const MEMORY_MB: &str = "128";
/// Starts tried when QEMU exits at once because another process took its port meanwhile.
const START_ATTEMPTS: usize = 5;
/// QEMU listens on its VNC port a fraction of a second after it starts, even on a busy machine.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);
/// VNC port = 5900 + display number.
const VNC_BASE_PORT: u16 = 5900;
const MAX_HOSTNAME: usize = 63;
const STATE_ROOT: &str = "webrana-sandbox-vms";
const PIDFILE: &str = "qemu.pid";
const SERIAL_LOG: &str = "serial.log";
const QEMU_LOG: &str = "qemu.log";

/// QEMU and the guest it boots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxVmGuest {
    pub qemu: PathBuf,
    pub kernel: PathBuf,
    pub initrd: PathBuf,
}

impl SandboxVmGuest {
    /// `qemu-system-x86_64` from `PATH` and the guest in `dir`, or what is missing and how to
    /// install it.
    pub fn find(dir: &Path) -> Result<Self, String> {
        let qemu = find_in_path(QEMU);
        let kernel = dir.join(KERNEL_FILE);
        let initrd = dir.join(INITRD_FILE);
        let mut missing = Vec::new();
        if qemu.is_none() {
            missing.push(format!("{QEMU} is not on PATH"));
        }
        for file in [&kernel, &initrd] {
            if !file.is_file() {
                missing.push(format!("{} is missing", file.display()));
            }
        }
        match qemu {
            Some(qemu) if missing.is_empty() => Ok(Self {
                qemu,
                kernel: std::path::absolute(&kernel).unwrap_or(kernel),
                initrd: std::path::absolute(&initrd).unwrap_or(initrd),
            }),
            _ => Err(format!("{}; {INSTALL_HINT}", missing.join(", "))),
        }
    }
}

fn find_in_path(binary: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|directory| directory.join(binary))
        .find(|candidate| {
            fs::metadata(candidate)
                .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        })
}

/// Root's password as the guest's /etc/shadow takes it: SHA-512 crypt (`$6$rounds=5000$…`)
/// with a random salt.
pub fn hash_root_password(password: &str) -> io::Result<String> {
    let mut salt = [0u8; 12];
    getrandom::fill(&mut salt).map_err(io::Error::other)?;
    ShaCrypt::SHA512
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| io::Error::other(error.to_string()))
}

/// The host name the guest gets: letters, digits, `-` and `.`, at most 63, as its /init
/// accepts. Anything else is replaced, so nothing can reach the kernel command line but one
/// `hostname=` word.
pub fn guest_hostname(hostname: &str) -> String {
    let cleaned: String = hostname
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .take(MAX_HOSTNAME)
        .collect();
    let cleaned = cleaned.trim_start_matches('-');
    if cleaned.is_empty() {
        "sandbox".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// The line the guest writes to its serial port when its login prompts start.
pub fn ready_line(hostname: &str) -> String {
    format!(
        "=== webrana sandbox VM '{}' ready ===",
        guest_hostname(hostname)
    )
}

/// The QEMU process behind a screen, for operators and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmProcess {
    pub pid: u32,
    /// The VM's own directory (removed when it stops).
    pub dir: PathBuf,
}

impl VmProcess {
    /// The guest's serial port, written by QEMU.
    pub fn serial_log(&self) -> PathBuf {
        self.dir.join(SERIAL_LOG)
    }
}

/// One screen's VM, or none yet: opens of the same screen wait for each other here, so a
/// server never gets two VMs.
#[derive(Debug, Default)]
pub(crate) struct VmSlot {
    vm: tokio::sync::Mutex<Option<SandboxVm>>,
}

impl VmSlot {
    /// The running VM's endpoint, starting one if there is none (or it has exited, say
    /// because its guest powered off).
    pub(crate) async fn open(
        &self,
        guest: &SandboxVmGuest,
        key: &str,
        hostname: &str,
        root_password_hash: Option<&str>,
    ) -> io::Result<ScreenEndpoint> {
        let mut vm = self.vm.lock().await;
        if let Some(running) = vm.as_mut()
            && running.is_running()
        {
            return Ok(running.endpoint.clone());
        }
        // A VM that exited by itself is cleaned up before its successor starts.
        drop(vm.take());
        let started = SandboxVm::start(guest, key, hostname, root_password_hash).await?;
        let endpoint = started.endpoint.clone();
        *vm = Some(started);
        Ok(endpoint)
    }

    /// The QEMU process, when a VM has started and no open is busy with the slot.
    pub(crate) fn process(&self) -> Option<VmProcess> {
        let vm = self.vm.try_lock().ok()?;
        vm.as_ref().and_then(SandboxVm::process)
    }
}

/// A QEMU process and its directory; dropping it kills the process, reaps it and removes the
/// directory.
pub(crate) struct SandboxVm {
    child: Option<Child>,
    dir: PathBuf,
    endpoint: ScreenEndpoint,
}

impl fmt::Debug for SandboxVm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxVm")
            .field("pid", &self.child.as_ref().and_then(Child::id))
            .field("dir", &self.dir)
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

impl SandboxVm {
    async fn start(
        guest: &SandboxVmGuest,
        key: &str,
        hostname: &str,
        root_password_hash: Option<&str>,
    ) -> io::Result<Self> {
        let dir = new_vm_dir(key)?;
        // From here on every way out, an error or a cancelled open, cleans up through Drop.
        let mut vm = Self {
            child: None,
            dir,
            endpoint: ScreenEndpoint {
                port: 0,
                password: random_password()?,
            },
        };
        let hostname = guest_hostname(hostname);
        write_secret(&vm.dir.join("vnc-password"), &vm.endpoint.password)?;
        let hash_file = vm.dir.join("rootpw-hash");
        if let Some(hash) = root_password_hash {
            write_secret(&hash_file, hash)?;
        }
        let mut last_failure = String::new();
        for attempt in 1..=START_ATTEMPTS {
            let port = free_vnc_port()?;
            let mut child = vm
                .command(
                    guest,
                    &hostname,
                    port,
                    root_password_hash.map(|_| &*hash_file),
                )?
                .spawn()
                .map_err(|error| {
                    io::Error::new(
                        error.kind(),
                        format!("cannot run {}: {error}", guest.qemu.display()),
                    )
                })?;
            match wait_until_listening(&mut child, port).await? {
                Started::Listening => {
                    tracing::info!(server = key, pid = child.id(), port, "sandbox VM started");
                    vm.child = Some(child);
                    vm.endpoint.port = port;
                    return Ok(vm);
                }
                Started::Exited(status) => {
                    let log = fs::read_to_string(vm.dir.join(QEMU_LOG)).unwrap_or_default();
                    last_failure = format!("QEMU exited at start ({status}): {}", log.trim());
                    // Someone took the port between our look and QEMU's bind: another port.
                    let port_taken = log.contains("in use") || log.contains("available port");
                    if !port_taken {
                        break;
                    }
                    tracing::debug!(attempt, port, "sandbox VM: port taken, trying another");
                }
            }
        }
        Err(io::Error::other(last_failure))
    }

    fn command(
        &self,
        guest: &SandboxVmGuest,
        hostname: &str,
        port: u16,
        root_password_hash: Option<&Path>,
    ) -> io::Result<Command> {
        let display = port - VNC_BASE_PORT;
        let log = fs::File::create(self.dir.join(QEMU_LOG))?;
        let mut command = Command::new(&guest.qemu);
        command
            .arg("-name")
            .arg(hostname)
            .args(["-accel", "tcg", "-nodefaults", "-machine", "pc"])
            .args(["-m", MEMORY_MB, "-smp", "1"])
            .arg("-kernel")
            .arg(&guest.kernel)
            .arg("-initrd")
            .arg(&guest.initrd)
            .arg("-append")
            .arg(format!(
                "console=tty0 console=ttyS0,115200 hostname={hostname} quiet"
            ))
            .args(["-vga", "std", "-display", "none"])
            .arg("-object")
            .arg(format!(
                "secret,id=vnc,file={}",
                option_path(&self.dir.join("vnc-password"))?
            ))
            .arg("-vnc")
            .arg(format!("127.0.0.1:{display},password-secret=vnc"))
            .arg("-chardev")
            .arg(format!(
                "file,id=serial,path={}",
                option_path(&self.dir.join(SERIAL_LOG))?
            ))
            .args(["-serial", "chardev:serial"])
            .arg("-pidfile")
            .arg(self.dir.join(PIDFILE));
        if let Some(file) = root_password_hash {
            command
                .arg("-fw_cfg")
                .arg(format!("name={ROOT_HASH_BLOB},file={}", option_path(file)?));
        }
        command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        Ok(command)
    }

    fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    fn process(&self) -> Option<VmProcess> {
        Some(VmProcess {
            pid: self.child.as_ref()?.id()?,
            dir: self.dir.clone(),
        })
    }
}

impl Drop for SandboxVm {
    fn drop(&mut self) {
        let dir = std::mem::take(&mut self.dir);
        let Some(mut child) = self.child.take() else {
            remove_vm_dir(&dir);
            return;
        };
        let pid = child.id();
        // SIGKILL: the guest keeps nothing worth a graceful shutdown, and QEMU writes no file
        // after its start, so the directory can go at once.
        if let Err(error) = child.start_kill() {
            tracing::debug!(%error, "sandbox VM: already gone");
        }
        remove_vm_dir(&dir);
        tracing::info!(pid, "sandbox VM stopped");
        // Reaped by a task when there is a runtime; otherwise tokio's orphan reaper does it.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = child.wait().await {
                    tracing::warn!(%error, "sandbox VM: reaping QEMU failed");
                }
                if dir.exists() {
                    remove_vm_dir(&dir);
                }
            });
        }
    }
}

enum Started {
    Listening,
    Exited(ExitStatus),
}

/// Until QEMU accepts TCP connections on its VNC port, or exits.
async fn wait_until_listening(child: &mut Child, port: u16) -> io::Result<Started> {
    let deadline = Instant::now() + LISTEN_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Started::Exited(status));
        }
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .is_ok()
        {
            // Still alive: the listener is QEMU's, not another process's that won the port.
            if let Some(status) = child.try_wait()? {
                return Ok(Started::Exited(status));
            }
            return Ok(Started::Listening);
        }
        if Instant::now() > deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("QEMU did not listen on port {port} within {LISTEN_TIMEOUT:?}"),
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// A loopback port nobody listens on now, above 5900 so it is a VNC display number. QEMU binds
/// it a moment later; if someone else did first, QEMU exits and the start is tried again.
fn free_vnc_port() -> io::Result<u16> {
    for _ in 0..20 {
        let port = StdTcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        if port > VNC_BASE_PORT {
            return Ok(port);
        }
    }
    Err(io::Error::other("no free port above 5900"))
}

/// A path inside a QEMU `key=value,…` option, where a comma is written twice.
fn option_path(path: &Path) -> io::Result<String> {
    path.to_str()
        .map(|text| text.replace(',', ",,"))
        .ok_or_else(|| io::Error::other(format!("{} is not UTF-8", path.display())))
}

/// Written for this process's user only.
fn write_secret(path: &Path, contents: &str) -> io::Result<()> {
    use std::io::Write as _;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

/// `$TMPDIR/webrana-sandbox-vms`, where every process keeps its VMs' directories.
fn state_root() -> PathBuf {
    std::env::temp_dir().join(STATE_ROOT)
}

/// A fresh directory for one VM: `<state root>/<our pid>/<server key>-<n>`, mode 0700.
fn new_vm_dir(key: &str) -> io::Result<PathBuf> {
    static SWEPT: Once = Once::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let root = state_root();
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&root)?;
    check_ours(&root)?;
    SWEPT.call_once(|| sweep(&root));
    let process = root.join(std::process::id().to_string());
    let name: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let dir = process.join(format!("{name}-{}", NEXT.fetch_add(1, Ordering::Relaxed)));
    let mut attempts = 0;
    loop {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&process)?;
        check_ours(&process)?;
        match fs::DirBuilder::new().mode(0o700).create(&dir) {
            // The last VM of this process stopped in between and took the empty directory.
            Err(error) if error.kind() == io::ErrorKind::NotFound && attempts < 3 => {
                attempts += 1;
            }
            created => return created.map(|()| dir),
        }
    }
}

/// Secrets go into these directories, which may sit in a shared /tmp: they must be real
/// directories of this process's user, not anyone's symlinks.
fn check_ours(dir: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(dir)?;
    let uid = fs::metadata("/proc/self")?.uid();
    if meta.is_dir() && meta.uid() == uid && meta.mode() & 0o077 == 0 {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} must be a directory of user {uid} with mode 0700",
                dir.display()
            ),
        ))
    }
}

/// Removes a VM's directory, and this process's directory with it when that was the last.
fn remove_vm_dir(dir: &Path) {
    remove_tree(dir);
    // Fails, as it should, while other VMs' directories are in it.
    if let Some(process) = dir.parent() {
        let _ = fs::remove_dir(process);
    }
}

fn remove_tree(dir: &Path) {
    if let Err(error) = fs::remove_dir_all(dir)
        && error.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!(%error, dir = %dir.display(), "sandbox VM: cannot remove a directory");
    }
}

/// Removes the directories of processes that are gone (and of an earlier process that had our
/// pid), first killing the QEMUs still running from them.
fn sweep(root: &Path) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    let ours = std::process::id();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != ours && Path::new("/proc").join(pid.to_string()).exists() {
            continue;
        }
        let dir = entry.path();
        if let Ok(vms) = fs::read_dir(&dir) {
            for vm in vms.flatten() {
                kill_leftover(&vm.path());
            }
        }
        remove_tree(&dir);
        tracing::info!(
            process = pid,
            "removed sandbox VMs left by a process that is gone"
        );
    }
}

/// Kills the QEMU a leftover VM directory's pidfile names, if that process still is that QEMU
/// (its command line names the pidfile), not some other process that got its pid.
fn kill_leftover(vm_dir: &Path) {
    let pidfile = vm_dir.join(PIDFILE);
    let Some(pid) = fs::read_to_string(&pidfile)
        .ok()
        .and_then(|text| text.trim().parse::<u32>().ok())
    else {
        return;
    };
    let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
        return;
    };
    let names = |needle: &[u8]| cmdline.windows(needle.len()).any(|part| part == needle);
    if !names(b"qemu") || !names(pidfile.as_os_str().as_bytes()) {
        return;
    }
    match std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .stdin(Stdio::null())
        .status()
    {
        Ok(status) if status.success() => {
            tracing::info!(pid, "killed a sandbox VM left by a process that is gone");
        }
        Ok(status) => tracing::warn!(pid, %status, "cannot kill a leftover sandbox VM"),
        Err(error) => tracing::warn!(pid, %error, "cannot run kill for a leftover sandbox VM"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_made_safe_for_the_kernel_command_line() {
        assert_eq!(guest_hostname("shop.customer.test"), "shop.customer.test");
        assert_eq!(guest_hostname("konsol-uji"), "konsol-uji");
        assert_eq!(guest_hostname("x init=/bin/sh"), "x-init--bin-sh");
        assert_eq!(guest_hostname("--a"), "a");
        assert_eq!(guest_hostname(""), "sandbox");
        assert_eq!(guest_hostname("ümlaut"), "mlaut");
        assert_eq!(guest_hostname(&"a".repeat(100)).len(), 63);
        assert_eq!(
            ready_line("bad name"),
            "=== webrana sandbox VM 'bad-name' ready ==="
        );
    }

    #[test]
    fn root_passwords_become_salted_sha512_crypt_hashes() {
        use sha_crypt::{PasswordHashRef, PasswordVerifier as _};
        let hash = hash_root_password("Rahasia-Uji-2024")
            .ok()
            .unwrap_or_default();
        assert!(hash.starts_with("$6$"), "{hash}");
        assert!(!hash.contains("Rahasia"));
        assert!(
            hash.chars()
                .all(|c| c.is_ascii_alphanumeric() || "$./=".contains(c)),
            "{hash}"
        );
        let parsed = PasswordHashRef::new(&hash).ok();
        let verify = |password: &str| {
            parsed.is_some_and(|parsed| {
                ShaCrypt::SHA512
                    .verify_password(password.as_bytes(), parsed)
                    .is_ok()
            })
        };
        assert!(verify("Rahasia-Uji-2024"));
        assert!(!verify("Rahasia-Uji-2025"));
        assert_ne!(
            hash_root_password("Rahasia-Uji-2024")
                .ok()
                .unwrap_or_default(),
            hash
        );
    }

    #[test]
    fn option_paths_double_their_commas() {
        assert_eq!(
            option_path(Path::new("/tmp/a,b/vnc")).ok().as_deref(),
            Some("/tmp/a,,b/vnc")
        );
    }

    #[test]
    fn a_sweep_kills_the_vms_of_processes_that_are_gone_and_nothing_else() {
        use std::os::unix::process::ExitStatusExt as _;
        use std::process::Command;

        let root = tempfile::tempdir().unwrap();
        let mut gone = Command::new("true").spawn().unwrap();
        let dead = gone.id();
        gone.wait().unwrap();
        // Stand-ins for QEMU: a shell whose command line names `qemu` and the pidfile, like
        // the panel's QEMU, and a process that got a pidfile's pid but is no QEMU.
        let leftover = |owner: u32, vm: &str, command_line_names_it: bool| {
            let dir = root.path().join(owner.to_string()).join(vm);
            fs::create_dir_all(&dir).unwrap();
            let pidfile = dir.join(PIDFILE);
            let mut command = Command::new("sh");
            // `read` is built in: no grandchild outlives the test. It waits on the pipe.
            command.args(["-c", "read line"]).stdin(Stdio::piped());
            if command_line_names_it {
                command.arg(QEMU).arg(&pidfile);
            }
            let child = command.spawn().unwrap();
            fs::write(&pidfile, format!("{}\n", child.id())).unwrap();
            child
        };
        let mut stale = leftover(dead, "sbx-1-1", true);
        let mut stranger = leftover(dead, "sbx-2-2", false);
        // PID 1 is alive: its directory is not a leftover.
        let mut alive = leftover(1, "sbx-3-3", true);

        sweep(root.path());

        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = stale.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the leftover QEMU was not killed"
            );
            std::thread::sleep(POLL);
        };
        assert_eq!(status.signal(), Some(9));
        assert!(
            stranger.try_wait().unwrap().is_none(),
            "a stranger was killed"
        );
        assert!(
            alive.try_wait().unwrap().is_none(),
            "a live panel's VM was killed"
        );
        assert!(!root.path().join(dead.to_string()).exists());
        assert!(root.path().join("1/sbx-3-3").exists());
        for mut child in [stranger, alive] {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    #[test]
    fn a_missing_guest_says_how_to_build_it() {
        let missing = SandboxVmGuest::find(Path::new("/nonexistent/sandbox-vm")).err();
        let message = missing.unwrap_or_default();
        assert!(
            message.contains("/nonexistent/sandbox-vm/vmlinuz is missing"),
            "{message}"
        );
        assert!(
            message.contains("initramfs.cpio.gz is missing"),
            "{message}"
        );
        assert!(message.contains("scripts/sandbox-vm/build"), "{message}");
    }
}
