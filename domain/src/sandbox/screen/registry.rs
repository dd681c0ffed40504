//! Which sandbox server has which screen: started on the first console, shared by every
//! viewer, stopped when the server goes down.

use std::collections::HashMap;
use std::io;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::net::TcpListener;
use tokio::task::AbortHandle;

use super::server::{Screen, listen};
use crate::sandbox::endpoint::{ScreenEndpoint, random_password};
use crate::sandbox::vm::{SandboxVmGuest, VmProcess, VmSlot};

/// The running screens of sandbox servers, by server id. Clones share them; when the last clone
/// is dropped every screen stops (and every VM is killed).
#[derive(Clone, Debug, Default)]
pub struct SandboxScreens {
    screens: Arc<Mutex<HashMap<String, Slot>>>,
    /// The guest every screen boots; `None` draws the built-in screen instead.
    vms: Option<Arc<SandboxVmGuest>>,
}

/// One server's screen.
#[derive(Debug)]
enum Slot {
    BuiltIn(Running),
    Vm(Arc<VmSlot>),
}

#[derive(Debug)]
struct Running {
    endpoint: ScreenEndpoint,
    listener: AbortHandle,
}

impl Drop for Running {
    /// Aborting the listener task drops its set of connection tasks, which aborts them all.
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl SandboxScreens {
    /// Screens that are real VMs of `guest` (the default, [`SandboxScreens::default`], draws
    /// the built-in screen).
    pub fn with_vms(guest: SandboxVmGuest) -> Self {
        Self {
            screens: Arc::default(),
            vms: Some(Arc::new(guest)),
        }
    }

    /// The guest the screens boot, or `None` for the built-in screen.
    pub fn vm_guest(&self) -> Option<&SandboxVmGuest> {
        self.vms.as_deref()
    }

    /// Starts the screen of a sandbox server once (later calls return the same endpoint, even
    /// when they overlap). A VM gets `hostname` and root's password hash (`None`: root is
    /// locked); the built-in screen shows the host name and takes any password.
    pub async fn open(
        &self,
        server_id: &str,
        hostname: &str,
        root_password_hash: Option<&str>,
    ) -> io::Result<ScreenEndpoint> {
        let Some(guest) = &self.vms else {
            return self.open_built_in(server_id, hostname);
        };
        let slot = {
            let mut screens = self.lock();
            match screens.get(server_id) {
                Some(Slot::Vm(slot)) => Arc::clone(slot),
                _ => {
                    let slot = Arc::new(VmSlot::default());
                    let replaced =
                        screens.insert(server_id.to_owned(), Slot::Vm(Arc::clone(&slot)));
                    drop(screens);
                    drop(replaced);
                    slot
                }
            }
        };
        // Concurrent opens of one server share the slot and wait for each other inside it.
        let endpoint = slot
            .open(guest, server_id, hostname, root_password_hash)
            .await?;
        // Closed while it booted: the VM goes with this last handle on its slot.
        let current = matches!(
            self.lock().get(server_id),
            Some(Slot::Vm(now)) if Arc::ptr_eq(now, &slot)
        );
        if current {
            Ok(endpoint)
        } else {
            Err(io::Error::other("the screen was closed while it started"))
        }
    }

    fn open_built_in(&self, server_id: &str, hostname: &str) -> io::Result<ScreenEndpoint> {
        let mut screens = self.lock();
        if let Some(Slot::BuiltIn(running)) = screens.get(server_id)
            && !running.listener.is_finished()
        {
            return Ok(running.endpoint.clone());
        }
        // Bound synchronously under the lock, so two concurrent opens cannot start two screens.
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let listener = TcpListener::from_std(listener)?;
        let password = random_password()?;
        let screen = Arc::new(Screen::new(hostname, &password));
        let task = tokio::spawn(listen(listener, screen));
        let endpoint = ScreenEndpoint { port, password };
        let replaced = screens.insert(
            server_id.to_owned(),
            Slot::BuiltIn(Running {
                endpoint: endpoint.clone(),
                listener: task.abort_handle(),
            }),
        );
        drop(screens);
        drop(replaced);
        Ok(endpoint)
    }

    /// Stops a server's screen: its listener and every connection to it, or its VM (killed,
    /// reaped, its directory removed). No-op if none.
    pub fn close(&self, server_id: &str) {
        let removed = self.lock().remove(server_id);
        drop(removed);
    }

    /// The QEMU process behind a server's screen, when screens are VMs and its VM runs (and no
    /// open is starting it right now).
    pub fn vm_process(&self, server_id: &str) -> Option<VmProcess> {
        let slot = match self.lock().get(server_id) {
            Some(Slot::Vm(slot)) => Arc::clone(slot),
            _ => return None,
        };
        slot.process()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Slot>> {
        // The map stays consistent even if a holder panicked: every change is one insert/remove.
        self.screens.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
