//! What each event says, in Bahasa Indonesia and English. A notice is built where the event
//! happens, with the facts it needs; [`super::notify`] picks the recipient's language.

use super::Category;
use crate::accounts::inputs::Language;
use crate::providers::ActionKind;

/// A title and a sentence or two.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pub title: String,
    pub body: String,
}

/// One event to tell someone about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// A stable code (`payment_received`), for clients and tests.
    pub event: &'static str,
    pub category: Category,
    /// Where in the app it leads.
    pub link: Option<String>,
    id: Text,
    en: Text,
}

fn text(title: impl Into<String>, body: impl Into<String>) -> Text {
    Text {
        title: title.into(),
        body: body.into(),
    }
}

/// Integer rupiah as people write it: `Rp 1.250.000`.
pub fn rupiah(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    let sign = if amount < 0 { "-" } else { "" };
    format!("{sign}Rp {grouped}")
}

/// An action's name in Bahasa Indonesia and English.
fn action_names(kind: ActionKind) -> (&'static str, &'static str) {
    match kind {
        ActionKind::PowerOn => ("Menyalakan", "Power on"),
        ActionKind::PowerOff => ("Mematikan", "Power off"),
        ActionKind::Shutdown => ("Mematikan dengan aman", "Shutdown"),
        ActionKind::Reboot => ("Memulai ulang", "Reboot"),
        ActionKind::ResetPassword => ("Mengatur ulang kata sandi root", "Root password reset"),
        ActionKind::Rebuild => ("Memasang ulang", "Rebuild"),
    }
}

impl Notice {
    pub fn text(&self, language: Language) -> &Text {
        match language {
            Language::Id => &self.id,
            Language::En => &self.en,
        }
    }

    fn new(
        event: &'static str,
        category: Category,
        link: Option<String>,
        id: Text,
        en: Text,
    ) -> Self {
        Self {
            event,
            category,
            link,
            id,
            en,
        }
    }

    pub fn order_placed(order_id: i64, hostname: &str, invoice: &str, total: i64) -> Self {
        let amount = rupiah(total);
        Self::new(
            "order_placed",
            Category::Billing,
            Some(format!("/orders/{order_id}")),
            text(
                format!("Pesanan {hostname} diterima"),
                format!("Tagihan {invoice} sebesar {amount} menunggu pembayaran."),
            ),
            text(
                format!("Order {hostname} placed"),
                format!("Invoice {invoice} for {amount} is waiting for payment."),
            ),
        )
    }

    pub fn renewal_invoice(invoice_id: i64, hostname: &str, invoice: &str, total: i64) -> Self {
        let amount = rupiah(total);
        Self::new(
            "renewal_due",
            Category::Billing,
            Some(format!("/invoices/{invoice_id}")),
            text(
                format!("Perpanjangan {hostname} jatuh tempo"),
                format!("Tagihan perpanjangan {invoice} sebesar {amount} sudah terbit."),
            ),
            text(
                format!("Renewal of {hostname} is due"),
                format!("Renewal invoice {invoice} for {amount} has been issued."),
            ),
        )
    }

    pub fn payment_received(invoice_id: i64, invoice: &str, total: i64) -> Self {
        let amount = rupiah(total);
        Self::new(
            "payment_received",
            Category::Billing,
            Some(format!("/invoices/{invoice_id}")),
            text(
                "Pembayaran diterima",
                format!("Tagihan {invoice} sebesar {amount} telah lunas. Terima kasih!"),
            ),
            text(
                "Payment received",
                format!("Invoice {invoice} for {amount} is paid. Thank you!"),
            ),
        )
    }

    pub fn payment_expired(invoice_id: i64, invoice: &str) -> Self {
        Self::new(
            "payment_expired",
            Category::Billing,
            Some(format!("/invoices/{invoice_id}")),
            text(
                "Tagihan kedaluwarsa",
                format!("Tagihan {invoice} tidak dibayar sebelum batas waktunya."),
            ),
            text(
                "Invoice expired",
                format!("Invoice {invoice} was not paid in time."),
            ),
        )
    }

    pub fn provisioning_started(order_id: i64, hostname: &str) -> Self {
        Self::new(
            "provisioning_started",
            Category::Server,
            Some(format!("/orders/{order_id}")),
            text(
                format!("Server {hostname} sedang dibuat"),
                "Kami memberi tahu Anda begitu server siap.",
            ),
            text(
                format!("Creating server {hostname}"),
                "We will tell you as soon as it is ready.",
            ),
        )
    }

    pub fn server_ready(instance_id: Option<i64>, hostname: &str, ipv4: Option<&str>) -> Self {
        let address = ipv4.unwrap_or("-");
        Self::new(
            "server_ready",
            Category::Server,
            instance_id.map(|id| format!("/servers/{id}")),
            text(
                format!("Server {hostname} siap"),
                format!("Server Anda berjalan di {address}."),
            ),
            text(
                format!("Server {hostname} is ready"),
                format!("Your server is running at {address}."),
            ),
        )
    }

    pub fn provisioning_failed(order_id: i64, hostname: &str) -> Self {
        Self::new(
            "provisioning_failed",
            Category::Server,
            Some(format!("/orders/{order_id}")),
            text(
                format!("Server {hostname} gagal dibuat"),
                "Tim kami sudah diberi tahu dan akan mencoba lagi atau mengembalikan dana Anda.",
            ),
            text(
                format!("Server {hostname} could not be created"),
                "Our team has been told and will retry or refund you.",
            ),
        )
    }

    pub fn suspended(order_id: i64, hostname: &str) -> Self {
        Self::new(
            "suspended",
            Category::Billing,
            Some(format!("/orders/{order_id}")),
            text(
                format!("Layanan {hostname} ditangguhkan"),
                "Tagihan perpanjangan belum dibayar, jadi server dimatikan. Bayar tagihannya untuk menyalakannya kembali.",
            ),
            text(
                format!("Service {hostname} suspended"),
                "The renewal invoice is unpaid, so the server was powered off. Pay the invoice to bring it back.",
            ),
        )
    }

    pub fn resumed(order_id: i64, hostname: &str) -> Self {
        Self::new(
            "resumed",
            Category::Billing,
            Some(format!("/orders/{order_id}")),
            text(
                format!("Layanan {hostname} aktif kembali"),
                "Perpanjangan sudah dibayar dan server dinyalakan kembali.",
            ),
            text(
                format!("Service {hostname} is back"),
                "The renewal is paid and the server is being powered on.",
            ),
        )
    }

    pub fn terminated(order_id: i64, hostname: &str) -> Self {
        Self::new(
            "terminated",
            Category::Billing,
            Some(format!("/orders/{order_id}")),
            text(
                format!("Layanan {hostname} diakhiri"),
                "Layanan ditangguhkan tanpa pembayaran hingga akhir masa tenggang, jadi servernya dihapus.",
            ),
            text(
                format!("Service {hostname} terminated"),
                "It stayed suspended unpaid until the end of the notice period, so its server was deleted.",
            ),
        )
    }

    pub fn order_cancelled(order_id: i64, hostname: &str, note: &str) -> Self {
        Self::new(
            "order_cancelled",
            Category::Billing,
            Some(format!("/orders/{order_id}")),
            text(
                format!("Pesanan {hostname} dibatalkan"),
                format!("Catatan dari tim kami: {note}"),
            ),
            text(
                format!("Order {hostname} cancelled"),
                format!("A note from our team: {note}"),
            ),
        )
    }

    /// An admin changed something about the order and said why (an extension, a refund).
    pub fn order_updated(order_id: i64, hostname: &str, note: &str) -> Self {
        Self::new(
            "order_updated",
            Category::Billing,
            Some(format!("/orders/{order_id}")),
            text(
                format!("Pembaruan untuk {hostname}"),
                format!("Catatan dari tim kami: {note}"),
            ),
            text(
                format!("An update on {hostname}"),
                format!("A note from our team: {note}"),
            ),
        )
    }

    pub fn admin_new_order(order_id: i64, hostname: &str, customer: &str, total: i64) -> Self {
        let amount = rupiah(total);
        Self::new(
            "admin_new_order",
            Category::Admin,
            Some(format!("/admin/orders/{order_id}")),
            text(
                format!("Pesanan baru: {hostname}"),
                format!("{customer} memesan seharga {amount}."),
            ),
            text(
                format!("New order: {hostname}"),
                format!("{customer} ordered for {amount}."),
            ),
        )
    }

    pub fn admin_payment_received(order_id: i64, invoice: &str, total: i64) -> Self {
        let amount = rupiah(total);
        Self::new(
            "admin_payment_received",
            Category::Admin,
            Some(format!("/admin/orders/{order_id}")),
            text(
                format!("Pembayaran {invoice} masuk"),
                format!("{amount} diterima."),
            ),
            text(
                format!("Payment for {invoice} received"),
                format!("{amount} came in."),
            ),
        )
    }

    pub fn action_done(instance_id: i64, hostname: &str, kind: ActionKind) -> Self {
        let (id_name, en_name) = action_names(kind);
        Self::new(
            "action_done",
            Category::Server,
            Some(format!("/servers/{instance_id}")),
            text(
                format!("{id_name} selesai: {hostname}"),
                format!("{id_name} pada server {hostname} berhasil."),
            ),
            text(
                format!("{en_name} done: {hostname}"),
                format!("{en_name} on server {hostname} succeeded."),
            ),
        )
    }

    pub fn action_failed(instance_id: i64, hostname: &str, kind: ActionKind, reason: &str) -> Self {
        let (id_name, en_name) = action_names(kind);
        Self::new(
            "action_failed",
            Category::Server,
            Some(format!("/servers/{instance_id}")),
            text(
                format!("{id_name} gagal: {hostname}"),
                format!("Alasan: {reason}"),
            ),
            text(
                format!("{en_name} failed: {hostname}"),
                format!("Reason: {reason}"),
            ),
        )
    }

    pub fn admin_job_dead(job_id: i64, kind: &str, error: &str) -> Self {
        Self::new(
            "admin_job_dead",
            Category::Admin,
            Some("/admin/jobs?state=dead".to_owned()),
            text(
                format!("Tugas {kind} #{job_id} berhenti"),
                format!("Semua percobaan gagal: {error}. Periksa lalu jalankan ulang."),
            ),
            text(
                format!("Job {kind} #{job_id} gave up"),
                format!("Every attempt failed: {error}. Look into it and retry it."),
            ),
        )
    }

    pub fn admin_provisioning_failed(order_id: i64, hostname: &str, reason: &str) -> Self {
        Self::new(
            "admin_provisioning_failed",
            Category::Admin,
            Some(format!("/admin/orders/{order_id}")),
            text(
                format!("Provisioning {hostname} gagal"),
                format!("Alasan: {reason}. Coba lagi atau kembalikan dana."),
            ),
            text(
                format!("Provisioning {hostname} failed"),
                format!("Reason: {reason}. Retry it or refund."),
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_groups_thousands_with_dots() {
        assert_eq!(rupiah(0), "Rp 0");
        assert_eq!(rupiah(999), "Rp 999");
        assert_eq!(rupiah(50_000), "Rp 50.000");
        assert_eq!(rupiah(1_250_000), "Rp 1.250.000");
        assert_eq!(rupiah(-5_000), "-Rp 5.000");
    }

    #[test]
    fn every_notice_speaks_both_languages() {
        let notice = Notice::payment_received(7, "INV-202611-00001", 83_250);
        assert_eq!(notice.text(Language::En).title, "Payment received");
        assert_eq!(notice.text(Language::Id).title, "Pembayaran diterima");
        assert!(notice.text(Language::Id).body.contains("Rp 83.250"));
        assert_eq!(notice.link.as_deref(), Some("/invoices/7"));
    }
}
