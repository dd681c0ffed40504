#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Customers' credit on both databases: admins add and take credit with a reason, never below
//! zero even when many spends race; an invoice paid wholly from credit is paid exactly once and
//! its order goes on as after any payment; renewals are paid from credit as they are issued when
//! the customer asks for that and the credit covers them; credit bought through the gateway;
//! part of an invoice paid from credit and the rest through the gateway, the part given back when
//! the invoice closes unpaid or is paid twice; paid invoices refunded to credit, wholly or in part.

use chrono::Duration;
use domain::billing::invoices::Invoice;
use domain::billing::{self, PaymentView, tripay};
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

/// Starts paying `invoice` through the sandbox gateway's QRIS.
async fn start_payment(shop: &Shop, invoice: &Invoice) -> PaymentView {
    shop.state
        .billing
        .pay(&shop.sari, invoice.id, "QRIS")
        .await
        .unwrap()
}

/// The gateway's signed callback that `payment` was paid.
async fn paid(shop: &Shop, invoice: &Invoice, payment: &PaymentView) {
    let body = serde_json::json!({
        "reference": payment.reference,
        "merchant_ref": invoice.number,
        "payment_method": "QRIS",
        "payment_method_code": "QRIS",
        "total_amount": payment.total_amount,
        "fee_merchant": 0,
        "fee_customer": 0,
        "total_fee": 0,
        "amount_received": payment.amount,
        "is_closed_payment": 1,
        "status": "PAID",
        "paid_at": chrono::Utc::now().timestamp(),
        "note": null,
    })
    .to_string();
    let key = billing::sandbox_private_key(&shop.state.db).await.unwrap();
    let signature = tripay::callback_signature(&key, body.as_bytes());
    shop.state
        .billing
        .apply_callback(
            body.as_bytes(),
            Some(&signature),
            Some("payment_status"),
            Some("198.51.100.4"),
        )
        .await
        .unwrap();
}

async fn invoice(shop: &Shop, id: i64) -> Invoice {
    shop.state
        .billing
        .invoice(&shop.admin, id)
        .await
        .unwrap()
        .invoice
}

async fn balance(shop: &Shop) -> i64 {
    shop.state.billing.credit(&shop.sari).await.unwrap().balance
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
        let refused = billing.pay_with_credit(&shop.sari, placed.invoice.id, None).await.unwrap_err();
        assert_eq!(refused.code(), Code::CreditInsufficient);
        assert_eq!(billing.credit(&shop.sari).await.unwrap().balance, total - 1);
        let view = billing.invoice(&shop.sari, placed.invoice.id).await.unwrap();
        assert_eq!(view.invoice.status.as_str(), "unpaid");

        // Enough: two tries at once pay it once.
        billing.adjust_credit(&shop.admin, shop.sari.user_id, 10_001, "cukup").await.unwrap();
        let (first, second) = tokio::join!(
            billing.pay_with_credit(&shop.sari, placed.invoice.id, None),
            billing.pay_with_credit(&shop.sari, placed.invoice.id, None)
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
        assert_eq!(billing.pay_with_credit(&shop.sari, other.invoice.id, None).await.unwrap_err().code(), Code::NotFound);
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

    async fn credit_is_bought_through_the_gateway_without_tax(test: TestDb) {
        let shop = open(&test).await;
        let billing = &shop.state.billing;
        for amount in [9_999, 50_000_001, -10_000] {
            assert_eq!(billing.top_up(&shop.sari, amount).await.unwrap_err().code(), Code::TopUpAmountInvalid, "{amount}");
        }
        let top_up = billing.top_up(&shop.sari, 250_000).await.unwrap();
        assert_eq!((top_up.purpose.as_str(), top_up.order_id, top_up.tax, top_up.total), ("top_up", None, 0, 250_000));
        // Credit does not pay for credit.
        assert_eq!(billing.pay_with_credit(&shop.sari, top_up.id, None).await.unwrap_err().code(), Code::CreditAmountInvalid);

        let payment = start_payment(&shop, &top_up).await;
        assert_eq!(payment.amount, 250_000);
        paid(&shop, &top_up, &payment).await;
        let account = billing.credit(&shop.sari).await.unwrap();
        assert_eq!(account.balance, 250_000);
        let entry = &account.entries[0];
        assert_eq!((entry.kind, entry.amount, entry.invoice_id.map(|id| id.get())), (CreditKind::TopUp, 250_000, Some(top_up.id)));
        assert_eq!(invoice(&shop, top_up.id).await.status.as_str(), "paid");
        // One not paid in time expires like any invoice, and adds nothing.
        let unwanted = billing.top_up(&shop.sari, 15_000).await.unwrap();
        let past = chrono::Utc::now() - Duration::minutes(1);
        for sql in ["UPDATE invoices SET expires_at = $1 WHERE id = $2", "UPDATE jobs SET run_at = $1 WHERE kind = 'invoice_expiry' AND $2 > 0"] {
            domain::db_run!(&test.db, |pool| {
                sqlx::query(sql).bind(past).bind(unwanted.id).execute(pool).await.map(|_| ())
            })
            .unwrap();
        }
        drain(&test.db, &shop.jobs).await;
        assert_eq!(invoice(&shop, unwanted.id).await.status.as_str(), "expired");
        assert_eq!(balance(&shop).await, 250_000);

        // A paid top-up is credit already: it is not refunded to credit again.
        let refused = billing.refund_to_credit(&shop.admin, top_up.id, None, "dua kali").await.unwrap_err();
        assert_eq!(refused.code(), Code::CreditAmountInvalid);
    }

    async fn part_paid_from_credit_and_the_rest_through_the_gateway(test: TestDb) {
        let shop = open(&test).await;
        let billing = &shop.state.billing;
        let placed = shop.state.orders.place(&shop.sari, shop.order("sebagian-1", 1, None)).await.unwrap();
        let total = placed.invoice.total;
        billing.adjust_credit(&shop.admin, shop.sari.user_id, 30_000, "deposit").await.unwrap();
        // A payment asked for before the credit was used asks for the whole total.
        let early = start_payment(&shop, &placed.invoice).await;
        assert_eq!(early.amount, total);

        for amount in [0, -5, total + 1] {
            let refused = billing.pay_with_credit(&shop.sari, placed.invoice.id, Some(amount)).await.unwrap_err();
            assert_eq!(refused.code(), Code::CreditAmountInvalid, "{amount}");
        }
        let refused = billing.pay_with_credit(&shop.sari, placed.invoice.id, Some(30_001)).await.unwrap_err();
        assert_eq!(refused.code(), Code::CreditInsufficient);
        assert_eq!(balance(&shop).await, 30_000, "a refusal takes nothing");

        let part = billing.pay_with_credit(&shop.sari, placed.invoice.id, Some(30_000)).await.unwrap();
        assert_eq!((part.status.as_str(), part.credit_applied, part.amount_due()), ("unpaid", 30_000, total - 30_000));
        assert_eq!(balance(&shop).await, 0);
        // The gateway is now asked for the rest only, in a new payment.
        let rest = start_payment(&shop, &part).await;
        assert_ne!(rest.reference, early.reference);
        assert_eq!((rest.amount, rest.total_amount), (total - 30_000, total - 30_000));
        paid(&shop, &part, &rest).await;
        let settled = invoice(&shop, placed.invoice.id).await;
        assert_eq!((settled.status.as_str(), settled.credit_applied), ("paid", 30_000));
        drain(&test.db, &shop.jobs).await;
        let detail = shop.state.orders.detail(&shop.sari, placed.order.id).await.unwrap();
        assert_eq!(detail.order.status.as_str(), "active", "paid in two parts, the order goes on");

        // The early payment for the whole total comes in too: money an admin sends back, as for
        // any invoice paid twice; the credit it paid for again is not touched.
        paid(&shop, &part, &early).await;
        assert_eq!(balance(&shop).await, 0);

        // An admin records the gateway's money refunded: the part the credit paid goes back.
        billing.mark_refunded(&shop.admin, placed.invoice.id, "transfer BCA 123").await.unwrap();
        let account = billing.credit(&shop.sari).await.unwrap();
        assert_eq!((account.balance, account.entries[0].kind), (30_000, CreditKind::Refund));
        let refunded = invoice(&shop, placed.invoice.id).await;
        assert_eq!((refunded.status.as_str(), refunded.credit_refunded), ("refunded", 30_000));
    }

    async fn credit_comes_back_when_its_invoice_closes_unpaid_or_is_paid_in_full(test: TestDb) {
        let shop = open(&test).await;
        let billing = &shop.state.billing;
        billing.adjust_credit(&shop.admin, shop.sari.user_id, 50_000, "deposit").await.unwrap();

        // Cancelled unpaid: the credit it took comes back.
        let cancelled = shop.state.orders.place(&shop.sari, shop.order("batal-1", 1, None)).await.unwrap();
        billing.pay_with_credit(&shop.sari, cancelled.invoice.id, Some(20_000)).await.unwrap();
        assert_eq!(balance(&shop).await, 30_000);
        shop.state.orders.cancel_mine(&shop.sari, cancelled.order.id, None).await.unwrap();
        let account = billing.credit(&shop.sari).await.unwrap();
        assert_eq!((account.balance, account.entries[0].kind, account.entries[0].amount), (50_000, CreditKind::Returned, 20_000));
        let closed = invoice(&shop, cancelled.invoice.id).await;
        assert_eq!((closed.status.as_str(), closed.credit_applied), ("cancelled", 0));

        // A payment for the whole total, asked for before the credit was used, settles it: the
        // credit used is given back rather than kept twice.
        let placed = shop.state.orders.place(&shop.sari, shop.order("penuh-1", 1, None)).await.unwrap();
        let whole = start_payment(&shop, &placed.invoice).await;
        billing.pay_with_credit(&shop.sari, placed.invoice.id, Some(10_000)).await.unwrap();
        assert_eq!(balance(&shop).await, 40_000);
        paid(&shop, &placed.invoice, &whole).await;
        let settled = invoice(&shop, placed.invoice.id).await;
        assert_eq!((settled.status.as_str(), settled.credit_applied), ("paid", 0));
        let account = billing.credit(&shop.sari).await.unwrap();
        assert_eq!((account.balance, account.entries[0].kind), (50_000, CreditKind::Returned));
        assert_eq!(account.entries.iter().map(|entry| entry.amount).sum::<i64>(), account.balance, "the ledger adds up to the balance");
    }

    async fn admins_refund_paid_invoices_to_credit_wholly_or_in_part(test: TestDb) {
        let shop = open(&test).await;
        let billing = &shop.state.billing;
        let placed = shop.state.orders.place(&shop.sari, shop.order("refund-1", 1, None)).await.unwrap();
        let total = placed.invoice.total;
        // Unpaid: nothing to refund.
        let refused = billing.refund_to_credit(&shop.admin, placed.invoice.id, None, "belum").await.unwrap_err();
        assert_eq!(refused.code(), Code::InvoiceNotRefundable);
        let payment = start_payment(&shop, &placed.invoice).await;
        paid(&shop, &placed.invoice, &payment).await;

        assert_eq!(billing.refund_to_credit(&shop.sari, placed.invoice.id, None, "saya").await.unwrap_err().code(), Code::Forbidden);
        assert_eq!(billing.refund_to_credit(&shop.admin, placed.invoice.id, None, " ").await.unwrap_err().code(), Code::NoteRequired);
        for amount in [0, total + 1] {
            let refused = billing.refund_to_credit(&shop.admin, placed.invoice.id, Some(amount), "salah").await.unwrap_err();
            assert_eq!(refused.code(), Code::CreditAmountInvalid, "{amount}");
        }

        let part = billing.refund_to_credit(&shop.admin, placed.invoice.id, Some(25_000), "Gangguan 2 hari").await.unwrap();
        assert_eq!((part.status.as_str(), part.credit_refunded), ("paid", 25_000));
        let account = billing.credit(&shop.sari).await.unwrap();
        assert_eq!(account.balance, 25_000);
        let entry = &account.entries[0];
        assert_eq!((entry.kind, entry.amount, entry.note.as_deref()), (CreditKind::Refund, 25_000, Some("Gangguan 2 hari")));
        let detail = shop.state.orders.detail(&shop.admin, placed.order.id).await.unwrap();
        assert!(detail.events.iter().any(|event| event.note.as_deref().is_some_and(|note| note.contains("refunded to credit"))), "{:?}", detail.events);

        // The rest, all at once: the invoice is refunded, and no more can go back.
        let rest = billing.refund_to_credit(&shop.admin, placed.invoice.id, None, "Berhenti").await.unwrap();
        assert_eq!((rest.status.as_str(), rest.credit_refunded), ("refunded", total));
        assert_eq!(balance(&shop).await, total);
        let again = billing.refund_to_credit(&shop.admin, placed.invoice.id, Some(1), "lagi").await.unwrap_err();
        assert_eq!(again.code(), Code::InvoiceNotRefundable);
        let filter = domain::audit::AuditFilter { action: Some("invoice_refunded_to_credit".into()), limit: 10, ..Default::default() };
        assert_eq!(domain::audit::list(&test.db, &filter).await.unwrap().len(), 2);
    }
}
