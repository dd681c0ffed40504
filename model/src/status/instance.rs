//! How a customer's server may move (the server's `instances::transition`, which writes the
//! line in its history). Most moves are the provider's: the status is what the provider last
//! reported (a busy server, rebuilding or booting, reads as provisioning), except `deleting`,
//! which is ours: the deletion is queued and nothing the provider says brings the server back.

use super::statuses;

statuses! {
    /// Where a server is in its life, whatever its provider calls it.
    pub enum InstanceStatus as "server" {
        /// Being made, or busy at the provider (rebuilding, booting).
        Provisioning = "provisioning",
        Running = "running",
        Stopped = "stopped",
        /// Its deletion at the provider is queued.
        Deleting = "deleting",
        Deleted = "deleted",
        /// Its creation failed, or the provider reports something we cannot use.
        Error = "error",
    }
}

impl InstanceStatus {
    /// Whether a server in this status may move to `next`.
    pub fn can_become(self, next: Self) -> bool {
        use InstanceStatus::*;
        match (self, next) {
            (Deleting, next) => next == Deleted,
            (Deleted, _) => false,
            // A failed server stays failed unless its provider says it runs after all.
            (Error, next) => matches!(next, Running | Deleting | Deleted),
            (Provisioning, next) => matches!(next, Running | Error | Deleting | Deleted),
            (Running | Stopped, next) => next != self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::InstanceStatus::*;
    use crate::status::check_table;

    #[test]
    fn made_run_stopped_and_deleted_is_allowed_and_deleted_is_final() {
        check_table(
            &[
                (Provisioning, Running),
                (Running, Stopped),
                (Stopped, Running),
                (Running, Provisioning),
                (Running, Deleting),
                (Deleting, Deleted),
                (Provisioning, Error),
                (Error, Running),
                (Error, Deleted),
            ],
            &[Deleted],
        );
    }

    #[test]
    fn a_server_being_deleted_or_failed_is_not_brought_back_by_a_report() {
        for to in [Provisioning, Running, Stopped, Error] {
            assert!(!Deleting.can_become(to), "deleting → {to}");
        }
        for to in [Provisioning, Stopped] {
            assert!(!Error.can_become(to), "error → {to}");
        }
        assert!(!Provisioning.can_become(Stopped), "made servers run first");
    }
}
