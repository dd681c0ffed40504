#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Reminders before each step of an unpaid renewal, on both databases, on the sweep's own
//! clock: due in 3 days and in 1, overdue, suspended tomorrow, deleted in 3 days and tomorrow;
//! each once, in the customer's language, and none once the renewal is paid.

use chrono::Duration;
use domain::accounts::ProfileUpdate;
use domain::testing::TestDb;
use domain::{DomainConfig, both_backends, db_run};
use model::language::Language;

mod support;
use support::shop::{self, Shop};

/// Sari's notifications of the reminder events, oldest first: event and title.
async fn reminders(test: &TestDb, shop: &Shop) -> Vec<(String, String)> {
    db_run!(&test.db, |pool| {
        sqlx::query_as(
            "SELECT event, title FROM notifications WHERE user_id = $1 AND event IN \
             ('invoice_reminder', 'invoice_overdue', 'suspension_warning', 'termination_warning') \
             ORDER BY id",
        )
        .bind(shop.sari.user_id)
        .fetch_all(pool)
        .await
    })
    .unwrap()
}

both_backends! {
    async fn every_step_of_an_unpaid_renewal_is_announced_once(test: TestDb) {
        let shop = shop::open(&test, DomainConfig::default()).await;
        let (order_id, end) = shop.running_service("web-1").await;
        let orders = &shop.state.orders;
        orders.issue_renewals(end - Duration::days(7)).await.unwrap();
        let invoice = orders.detail(&shop.sari, order_id).await.unwrap().invoices[0].number.clone();

        assert_eq!(orders.send_reminders(end - Duration::days(4)).await.unwrap(), 0);
        for (at, expected) in [
            (end - Duration::days(3), 1),
            (end - Duration::days(2), 0),
            (end - Duration::hours(20), 1),
            (end - Duration::hours(20), 0),
            (end + Duration::hours(1), 0),
            (end + Duration::days(1), 1),
            (end + Duration::hours(50), 1),
        ] {
            assert_eq!(orders.send_reminders(at).await.unwrap(), expected, "at {at}");
        }
        // Suspended at the end of the grace; then two warnings before deletion.
        let suspended_at = end + Duration::days(3);
        assert_eq!(orders.enforce_due_dates(suspended_at).await.unwrap().suspended, 1);
        assert_eq!(orders.send_reminders(suspended_at + Duration::days(1)).await.unwrap(), 0);
        assert_eq!(orders.send_reminders(suspended_at + Duration::days(11)).await.unwrap(), 1);
        assert_eq!(orders.send_reminders(suspended_at + Duration::days(13)).await.unwrap(), 1);
        assert_eq!(orders.send_reminders(suspended_at + Duration::days(13)).await.unwrap(), 0);

        let sent = reminders(&test, &shop).await;
        let expected = [
            ("invoice_reminder", format!("Tagihan {invoice} jatuh tempo dalam 3 hari")),
            ("invoice_reminder", format!("Tagihan {invoice} jatuh tempo dalam 1 hari")),
            ("invoice_overdue", format!("Tagihan {invoice} lewat jatuh tempo")),
            ("suspension_warning", "web-1 ditangguhkan besok".to_owned()),
            ("termination_warning", "web-1 dihapus dalam 3 hari".to_owned()),
            ("termination_warning", "web-1 dihapus besok".to_owned()),
        ];
        assert_eq!(sent, expected.map(|(event, title)| (event.to_owned(), title)));
    }
}

both_backends! {
    async fn reminders_speak_the_customers_language_and_stop_once_paid(test: TestDb) {
        let shop = shop::open(&test, DomainConfig::default()).await;
        shop.state
            .accounts
            .update_profile(&shop.sari, ProfileUpdate { name: "Sari Wulandari", phone: None, language: Language::En, time_zone: Default::default() })
            .await
            .unwrap();
        let (order_id, end) = shop.running_service("web-1").await;
        let orders = &shop.state.orders;
        orders.issue_renewals(end - Duration::days(7)).await.unwrap();
        let renewal = orders.detail(&shop.sari, order_id).await.unwrap().invoices[0].clone();

        // A sweep that was down for days sends only the step it is in, never a stale one.
        assert_eq!(orders.send_reminders(end - Duration::hours(2)).await.unwrap(), 1);
        let sent = reminders(&test, &shop).await;
        assert_eq!(sent, [("invoice_reminder".to_owned(), format!("Invoice {} is due in 1 day", renewal.number))]);

        shop.state.billing.mark_paid(&shop.admin, renewal.id, "BCA transfer").await.unwrap();
        for days in [1, 2, 3, 14] {
            assert_eq!(orders.send_reminders(end + Duration::days(days)).await.unwrap(), 0, "paid: nothing more");
        }
        // The next period reminds again, once its own renewal is due.
        let next_end = orders.detail(&shop.sari, order_id).await.unwrap().order.paid_until.unwrap();
        orders.issue_renewals(next_end - Duration::days(7)).await.unwrap();
        assert_eq!(orders.send_reminders(next_end - Duration::days(3)).await.unwrap(), 1);
    }
}
