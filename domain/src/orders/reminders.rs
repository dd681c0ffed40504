//! Reminders before each step of an unpaid renewal, so no step comes as a surprise: the invoice
//! is due in 3 days and in 1 day, it is overdue (a day after), the service is suspended
//! tomorrow, and a suspended service is deleted in 3 days and tomorrow. Each is sent once per
//! paid period, through every channel the customer chose for billing, in their language. A
//! sweep that missed a step (the platform was down) sends only the step it is in now, never a
//! stale one. Like the other sweeps it takes `now` as an argument.

use chrono::{DateTime, Duration, Utc};

use super::{OrderError, Orders};
use crate::notifications::{self, Notice};
use crate::{db_run, tx_run};

/// A step a customer is reminded of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reminder {
    DueIn3Days,
    DueIn1Day,
    Overdue,
    SuspensionTomorrow,
    TerminationIn3Days,
    TerminationIn1Day,
}

impl Reminder {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DueIn3Days => "due_in_3_days",
            Self::DueIn1Day => "due_in_1_day",
            Self::Overdue => "overdue",
            Self::SuspensionTomorrow => "suspension_tomorrow",
            Self::TerminationIn3Days => "termination_in_3_days",
            Self::TerminationIn1Day => "termination_in_1_day",
        }
    }
}

/// A service with an unpaid renewal invoice, as the sweep reads it.
#[derive(Clone, Debug, sqlx::FromRow)]
struct Unpaid {
    id: i64,
    user_id: i64,
    hostname: String,
    status: String,
    paid_until: DateTime<Utc>,
    suspended_at: Option<DateTime<Utc>>,
    invoice_id: i64,
    number: String,
    total: i64,
}

/// When each step comes: the end of the paid period, suspension `grace` after it, and
/// termination `termination_after` after suspension.
#[derive(Clone, Copy, Debug)]
pub struct Steps {
    pub grace: Duration,
    pub termination_after: Duration,
}

impl Steps {
    /// The reminder a service is due at `now`, with the moment it warns of: each reminder
    /// holds from its time until the next one's (or the step itself), so a late sweep sends
    /// only the one it is in.
    pub fn due(
        self,
        paid_until: DateTime<Utc>,
        suspended_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<(Reminder, DateTime<Utc>)> {
        let day = Duration::days(1);
        let windows = match suspended_at {
            None => {
                let suspension = paid_until + self.grace;
                vec![
                    (
                        Reminder::DueIn3Days,
                        paid_until - day * 3,
                        paid_until - day,
                        paid_until,
                    ),
                    (
                        Reminder::DueIn1Day,
                        paid_until - day,
                        paid_until,
                        paid_until,
                    ),
                    (
                        Reminder::Overdue,
                        paid_until + day,
                        suspension - day,
                        suspension,
                    ),
                    (
                        Reminder::SuspensionTomorrow,
                        suspension - day,
                        suspension,
                        suspension,
                    ),
                ]
            }
            Some(suspended_at) => {
                let termination = suspended_at + self.termination_after;
                // Suspension is past: only the two warnings before deletion remain.
                vec![
                    (
                        Reminder::TerminationIn3Days,
                        termination - day * 3,
                        termination - day,
                        termination,
                    ),
                    (
                        Reminder::TerminationIn1Day,
                        termination - day,
                        termination,
                        termination,
                    ),
                ]
            }
        };
        windows
            .into_iter()
            .find(|(_, from, until, _)| *from <= now && now < *until)
            .map(|(reminder, _, _, step)| (reminder, step))
    }
}

impl Orders {
    fn steps(&self) -> Steps {
        Steps {
            grace: self.config().renewal_grace,
            termination_after: self.config().termination_after,
        }
    }

    /// Sends the reminders due at `now`; answers how many were sent. Run twice, it sends none
    /// the second time.
    pub async fn send_reminders(&self, now: DateTime<Utc>) -> Result<usize, OrderError> {
        let services: Vec<Unpaid> = db_run!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT o.id, o.user_id, o.hostname, o.status, o.paid_until, o.suspended_at, \
                 i.id AS invoice_id, i.number, i.total FROM orders o \
                 JOIN invoices i ON i.order_id = o.id AND i.purpose = 'renewal' \
                 AND i.status = 'unpaid' \
                 WHERE o.status IN ('active', 'suspended') AND o.paid_until IS NOT NULL \
                 AND o.paid_until <= $1 ORDER BY o.id",
            )
            .bind(now + Duration::days(3))
            .fetch_all(pool)
            .await
        })?;
        let steps = self.steps();
        let mut sent = 0;
        for service in services {
            let suspended_at = service
                .suspended_at
                .filter(|_| service.status == "suspended");
            let Some((reminder, step)) = steps.due(service.paid_until, suspended_at, now) else {
                continue;
            };
            let mut tx = self.db().begin().await?;
            let first = tx_run!(&mut tx, |conn| {
                sqlx::query(
                    "INSERT INTO reminders_sent (order_id, kind, period_end, sent_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(service.id)
                .bind(reminder.as_str())
                .bind(service.paid_until)
                .bind(now)
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
            })?;
            if first == 0 {
                continue;
            }
            let notice = Notice::reminder(
                reminder,
                service.invoice_id,
                &service.hostname,
                &service.number,
                service.total,
                step,
            );
            notifications::notify(&mut tx, service.user_id, &notice).await?;
            tx.commit().await?;
            sent += 1;
        }
        Ok(sent)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn each_reminder_holds_until_the_next_one() {
        let steps = Steps {
            grace: Duration::days(3),
            termination_after: Duration::days(14),
        };
        let end = Utc.with_ymd_and_hms(2027, 1, 7, 9, 0, 0).unwrap();
        let at = |hours: i64| {
            steps
                .due(end, None, end + Duration::hours(hours))
                .map(|(r, _)| r)
        };
        assert_eq!(at(-80), None);
        assert_eq!(at(-72), Some(Reminder::DueIn3Days));
        assert_eq!(at(-25), Some(Reminder::DueIn3Days));
        assert_eq!(at(-24), Some(Reminder::DueIn1Day));
        assert_eq!(at(-1), Some(Reminder::DueIn1Day));
        assert_eq!(at(0), None, "due: the invoice itself says so");
        assert_eq!(at(24), Some(Reminder::Overdue));
        assert_eq!(at(47), Some(Reminder::Overdue));
        assert_eq!(at(48), Some(Reminder::SuspensionTomorrow));
        assert_eq!(
            steps
                .due(end, None, end + Duration::hours(50))
                .map(|(_, step)| step),
            Some(end + Duration::days(3))
        );
        assert_eq!(at(72), None, "suspended by now");

        let suspended = end + Duration::days(3);
        let at = |hours: i64| {
            steps
                .due(end, Some(suspended), suspended + Duration::hours(hours))
                .map(|(r, _)| r)
        };
        assert_eq!(at(1), None);
        assert_eq!(at(11 * 24), Some(Reminder::TerminationIn3Days));
        assert_eq!(at(13 * 24), Some(Reminder::TerminationIn1Day));
        assert_eq!(at(14 * 24), None);

        // A grace of a day leaves no room for "overdue": straight to "suspended tomorrow".
        let short = Steps {
            grace: Duration::days(1),
            ..steps
        };
        assert_eq!(
            short
                .due(end, None, end + Duration::hours(1))
                .map(|(r, _)| r),
            Some(Reminder::SuspensionTomorrow)
        );
    }
}
