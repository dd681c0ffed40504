//! How a service's move to another plan may go (the server's `orders::resize` and
//! `instances::resize`): it waits for its invoice (when something is due), is queued once paid,
//! then the server is powered off where the provider needs that, resized, and started again if
//! it ran before. It ends done or failed, or cancelled when its invoice closes unpaid.

use super::statuses;

statuses! {
    pub enum ResizeStatus as "resize" {
        /// Its invoice is not paid yet.
        AwaitingPayment = "awaiting_payment",
        /// Paid (or nothing was due): the job will start it.
        Queued = "queued",
        /// The server is being powered off, which the provider needs for a resize.
        Stopping = "stopping",
        /// The provider is resizing the server.
        Resizing = "resizing",
        /// The server is being started again.
        Starting = "starting",
        Done = "done",
        Failed = "failed",
        /// Its invoice expired or was cancelled before it was paid.
        Cancelled = "cancelled",
    }
}

impl ResizeStatus {
    /// Whether a resize in this status may move to `next`.
    pub fn can_become(self, next: Self) -> bool {
        use ResizeStatus::*;
        match (self, next) {
            (AwaitingPayment, next) => matches!(next, Queued | Cancelled),
            (Queued, next) => matches!(next, Stopping | Resizing | Starting | Done | Failed),
            (Stopping, next) => matches!(next, Resizing | Failed),
            (Resizing, next) => matches!(next, Starting | Done | Failed),
            (Starting, next) => matches!(next, Done | Failed),
            (Done | Failed | Cancelled, _) => false,
        }
    }

    /// Under way: paid for and not finished. The server refuses its owner's actions meanwhile.
    pub fn is_under_way(self) -> bool {
        matches!(
            self,
            Self::Queued | Self::Stopping | Self::Resizing | Self::Starting
        )
    }
}

#[cfg(test)]
mod tests {
    use super::ResizeStatus::*;

    #[test]
    fn a_resize_is_paid_then_carried_out_once() {
        crate::status::check_table(
            &[
                (AwaitingPayment, Queued),
                (Queued, Stopping),
                (Stopping, Resizing),
                (Resizing, Starting),
                (Starting, Done),
                (Queued, Resizing),
                (Resizing, Done),
                (AwaitingPayment, Cancelled),
                (Resizing, Failed),
            ],
            &[Done, Failed, Cancelled],
        );
        assert!(
            !AwaitingPayment.can_become(Resizing),
            "not before it is paid"
        );
        assert!(!Resizing.can_become(Stopping), "never back");
        assert!(Starting.is_under_way() && !AwaitingPayment.is_under_way() && !Done.is_under_way());
    }
}
