//! How a durable job may move (the server's `jobs` module): claimed, then done, back in the
//! queue (a failed attempt to retry, or work waiting on something outside), or dead after its
//! last attempt until an admin retries it.

use super::statuses;

statuses! {
    pub enum JobState as "job" {
        Queued = "queued",
        /// Claimed by a worker under a lease; claimed again by another once the lease runs out.
        Running = "running",
        Done = "done",
        /// Its last attempt failed: it waits for an admin.
        Dead = "dead",
    }
}

impl JobState {
    /// Whether a job in this state may move to `next`.
    pub fn can_become(self, next: Self) -> bool {
        use JobState::*;
        matches!(
            (self, next),
            (Queued, Running) | (Running, Done | Queued | Dead) | (Dead, Queued)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::JobState::*;
    use crate::status::check_table;

    #[test]
    fn run_retry_and_revive_are_allowed_and_done_is_final() {
        check_table(
            &[
                (Queued, Running),
                (Running, Done),
                (Running, Queued),
                (Running, Dead),
                (Dead, Queued),
            ],
            &[Done],
        );
    }

    #[test]
    fn nothing_finishes_without_being_claimed() {
        for to in [Done, Dead] {
            assert!(!Queued.can_become(to), "queued → {to}");
        }
        assert!(
            !Dead.can_become(Running),
            "a dead job is queued again first"
        );
    }
}
