#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Customers' credit on both databases: admins add and take credit with a reason, never below
//! zero even when many spends race; an invoice paid wholly from credit is paid exactly once and
//! its order goes on as after any payment; renewals are paid from credit as they are issued when
//! the customer asks for that and the credit covers them.

use chrono::Duration;
use domain::error::{Code, ErrorCode};
use domain::testing::{TestDb, drain};
use domain::{DomainConfig, both_backends};
use model::billing::CreditKind;

mod support;
use support::shop::{self, Shop};

async fn open(test: &TestDb) -> Shop {
    shop::open(test, DomainConfig::default()).await
}

/// The order's renewal invoice, and the end of its paid period.
async fn renewal_of(
    shop: &Shop,
    order_id: i64,
) -> (
    domain::billing::invoices::Invoice,
    chrono::DateTime<chrono::Utc>,
) {
    let detail = shop
        .state
        .orders
        .detail(&shop.sari, order_id)
        .await
        .unwrap();
    let renewal = detail
        .invoices
        .iter()
        .find(|invoice| invoice.purpose == "renewal")
        .unwrap()
        .clone();
    (renewal, detail.order.paid_until.unwrap())
}

both_backends! {
    async fn admins_add_and_take_credit_with_a_reason_never_below_zero(test: TestDb) {
        let shop = open(&test).await;
        let billing = &shop.state.billing;
        let sari = shop.sari.user_id;
        assert_eq!(billing.credit(&shop.sari).await.unwrap().balance, 0);

        for (amount, note, code) in [
            (0, "nothing", Code::CreditAmountInvalid),
            (100_000_001, "typo", Code::CreditAmountInvalid),
            (50_000, "  ", Code::NoteRequired),
            (-1, "more than there is", Code::CreditInsufficient),
        ] {
            let refused = billing.adjust_credit(&shop.admin, sari, amount, note).await.unwrap_err();
            assert_eq!(refused.code(), code, "{amount} {note:?}");
        }
        assert_eq!(billing.adjust_credit(&shop.admin, 999_999, 5_000, "who?").await.unwrap_err().code(), Code::NotFound);
        assert_eq!(billing.adjust_credit(&shop.sari, sari, 5_000, "me").await.unwrap_err().code(), Code::Forbidden);

        assert_eq!(billing.adjust_credit(&shop.admin, sari, 100_000, "Kompensasi gangguan").await.unwrap(), 100_000);
        // Ten deductions of 30.000 at once: three fit, the rest are refused, none goes below zero.
        let mut spends = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let (billing, admin) = (billing.clone(), shop.admin.clone());
            spends.spawn(async move { billing.adjust_credit(&admin, sari, -30_000, "race").await });
        }
        let results = spends.join_all().await;
        let made = results.iter().filter(|result| result.is_ok()).count();
        assert_eq!(made, 3, "{results:?}");
        assert!(results.iter().filter_map(|result| result.as_ref().err()).all(|error| error.code() == Code::CreditInsufficient));

        let account = billing.credit(&shop.sari).await.unwrap();
        assert_eq!(account.balance, 10_000);
        assert_eq!(account.entries.len(), 4);
        assert_eq!(account.entries.iter().map(|entry| entry.amount).sum::<i64>(), account.balance, "the ledger adds up to the balance");
        assert!(account.entries.iter().all(|entry| entry.balance_after >= 0 && entry.kind == CreditKind::Adjustment));
        assert_eq!(account.entries.last().unwrap().note.as_deref(), Some("Kompensasi gangguan"));
        assert_eq!(billing.credit_of_user(&shop.admin, sari).await.unwrap(), account);
        assert_eq!(billing.credit_of_user(&shop.sari, sari).await.unwrap_err().code(), Code::Forbidden);
    }

    async fn an_invoice_paid_from_credit_is_paid_once_and_its_order_goes_on(test: TestDb) {
        let shop = open(&test).await;
        let billing = &shop.state.billing;
        let placed = shop.state.orders.place(&shop.sari, shop.order("kredit-1", 1, None)).await.unwrap();
        let total = placed.invoice.total;

        // Not enough credit: refused, nothing paid, nothing taken.
        billing.adjust_credit(&shop.admin, shop.sari.user_id, total - 1, "hampir").await.unwrap();
        let refused = billing.pay_with_credit(&shop.sari, placed.invoice.id).await.unwrap_err();
        assert_eq!(refused.code(), Code::CreditInsufficient);
        assert_eq!(billing.credit(&shop.sari).await.unwrap().balance, total - 1);
        let view = billing.invoice(&shop.sari, placed.invoice.id).await.unwrap();
        assert_eq!(view.invoice.status.as_str(), "unpaid");

        // Enough: two tries at once pay it once.
        billing.adjust_credit(&shop.admin, shop.sari.user_id, 10_001, "cukup").await.unwrap();
        let (first, second) = tokio::join!(
            billing.pay_with_credit(&shop.sari, placed.invoice.id),
            billing.pay_with_credit(&shop.sari, placed.invoice.id)
        );
        assert_eq!([first.is_ok(), second.is_ok()].iter().filter(|ok| **ok).count(), 1, "{first:?} {second:?}");
        let refusal = first.err().or(second.err()).unwrap();
        assert_eq!(refusal.code(), Code::InvoiceNotPayable);
        let account = billing.credit(&shop.sari).await.unwrap();
        assert_eq!(account.balance, 10_000);
        let payment = &account.entries[0];
        assert_eq!((payment.kind, payment.amount), (CreditKind::InvoicePayment, -total));
        assert_eq!(payment.invoice_number.as_deref(), Some(placed.invoice.number.as_str()));
        let view = billing.invoice(&shop.sari, placed.invoice.id).await.unwrap();
        assert_eq!((view.invoice.status.as_str(), view.invoice.paid_via.as_deref()), ("paid", Some("credit")));

        // Someone else's invoice is not found; the order is provisioned as after any payment.
        let other = shop.state.orders.place(&shop.admin, shop.order("kredit-2", 1, None)).await.unwrap();
        assert_eq!(billing.pay_with_credit(&shop.sari, other.invoice.id).await.unwrap_err().code(), Code::NotFound);
        drain(&test.db, &shop.jobs).await;
        let detail = shop.state.orders.detail(&shop.sari, placed.order.id).await.unwrap();
        assert_eq!(detail.order.status.as_str(), "active");
    }

    async fn renewals_are_paid_from_credit_when_asked_and_covered(test: TestDb) {
        let shop = open(&test).await;
        let (billing, orders) = (&shop.state.billing, &shop.state.orders);
        let (first, end) = shop.running_service("web-1").await;
        let (second, _) = shop.running_service("web-2").await;
        let (third, _) = shop.running_service("web-3").await;
        let account = billing.set_renewals_from_credit(&shop.sari, true).await.unwrap();
        assert!(account.pays_renewals);
        // Enough for one renewal and a bit: the first renewal issued is paid, the others wait.
        billing.adjust_credit(&shop.admin, shop.sari.user_id, 90_000, "deposit").await.unwrap();
        // The three were provisioned moments apart; a minute later all three are due.
        assert_eq!(orders.issue_renewals(end + Duration::minutes(1) - Duration::days(7)).await.unwrap(), 3);
        drain(&test.db, &shop.jobs).await;

        let (paid, until) = renewal_of(&shop, first).await;
        assert_eq!((paid.status.as_str(), paid.paid_via.as_deref()), ("paid", Some("credit")));
        assert!(until > end, "the period moved on");
        for order_id in [second, third] {
            let (waiting, until) = renewal_of(&shop, order_id).await;
            assert_eq!(waiting.status.as_str(), "unpaid", "not covered");
            assert!(until <= end + Duration::minutes(1));
        }
        let account = billing.credit(&shop.sari).await.unwrap();
        assert_eq!(account.balance, 90_000 - paid.total);
        assert_eq!(account.entries[0].invoice_number.as_deref(), Some(paid.number.as_str()));

        // Turned off, a renewal is left to be paid, however much credit there is.
        billing.set_renewals_from_credit(&shop.sari, false).await.unwrap();
        billing.adjust_credit(&shop.admin, shop.sari.user_id, 1_000_000, "more").await.unwrap();
        let (fourth, end) = shop.running_service("web-4").await;
        orders.issue_renewals(end - Duration::days(7)).await.unwrap();
        let (waiting, _) = renewal_of(&shop, fourth).await;
        assert_eq!(waiting.status.as_str(), "unpaid");
    }
}
