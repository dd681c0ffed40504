//! What each event says, in Bahasa Indonesia and English. A notice is built where the event
//! happens, with the facts it needs; [`super::notify`] picks the recipient's language.

use chrono::{DateTime, Utc};

use super::Category;
use super::alerts::WINDOW;
use crate::billing::refusals::Refusal;
use crate::orders::reminders::Reminder;
use crate::providers::ActionKind;
use model::time::{Precision, TimeZone, local_text};
use model::{Language, Rupiah};

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
    /// The invoice the e-mail shows: its lines and total, with a pay button while it is unpaid.
    pub invoice: Option<i64>,
    /// The invoice's PDF goes with the e-mail (it says the invoice is paid).
    pub invoice_pdf: bool,
    /// The time the texts' [`MOMENT`] stands for, written on the reader's clock.
    moment: Option<DateTime<Utc>>,
    id: Text,
    en: Text,
}

/// Stands in a notice's text for its moment until the reader, and so their time zone, is known.
const MOMENT: &str = "{moment}";

/// What a paid invoice billed, for the admin notices that link to it.
#[derive(Clone, Copy, Debug)]
pub enum BilledBy {
    Order(i64),
    /// A top-up, which has no order: the link is the invoice.
    Invoice(i64),
}

impl BilledBy {
    pub fn of(order_id: Option<i64>, invoice_id: i64) -> Self {
        order_id.map_or(Self::Invoice(invoice_id), Self::Order)
    }

    fn admin_link(self) -> String {
        match self {
            Self::Order(order_id) => format!("/admin/orders/{order_id}"),
            Self::Invoice(invoice_id) => format!("/invoices/{invoice_id}"),
        }
    }
}

fn text(title: impl Into<String>, body: impl Into<String>) -> Text {
    Text {
        title: title.into(),
        body: body.into(),
    }
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

/// The most of a User-Agent header the fallback shows.
const RAW_DEVICE_CHARS: usize = 60;

/// The browser a User-Agent header names, checked most specific first: Edge, Opera and the
/// others all say "Chrome" and "Safari" too.
fn browser_name(user_agent: &str) -> Option<&'static str> {
    const BROWSERS: [(&str, &str); 13] = [
        ("Edg/", "Edge"),
        ("EdgA/", "Edge"),
        ("EdgiOS/", "Edge"),
        ("Edge/", "Edge"),
        ("OPR/", "Opera"),
        ("Opera", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Vivaldi/", "Vivaldi"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    first_named(user_agent, &BROWSERS)
}

/// The operating system a User-Agent header names; iOS says "like Mac OS X" and Android says
/// "Linux", so they come first.
fn os_name(user_agent: &str) -> Option<&'static str> {
    const SYSTEMS: [(&str, &str); 8] = [
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("iPod", "iOS"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ];
    first_named(user_agent, &SYSTEMS)
}

/// The name paired with the first marker `user_agent` contains.
fn first_named(user_agent: &str, names: &[(&str, &'static str)]) -> Option<&'static str> {
    names
        .iter()
        .find(|(marker, _)| user_agent.contains(marker))
        .map(|(_, name)| *name)
}

/// A device as people name it, from its User-Agent header: "Firefox on Linux" ("Firefox di
/// Linux"). A header naming neither a known browser nor a system (a script, a bot) is shown
/// as it is, cut to 60 characters; an empty one is "an unknown device".
pub fn device_summary(user_agent: &str, language: Language) -> String {
    let user_agent = user_agent.trim();
    match (browser_name(user_agent), os_name(user_agent)) {
        (Some(browser), Some(os)) => match language {
            Language::Id => format!("{browser} di {os}"),
            Language::En => format!("{browser} on {os}"),
        },
        (Some(name), None) | (None, Some(name)) => name.to_owned(),
        (None, None) if user_agent.is_empty() => match language {
            Language::Id => "perangkat tak dikenal".to_owned(),
            Language::En => "an unknown device".to_owned(),
        },
        (None, None) => one_line(user_agent, RAW_DEVICE_CHARS),
    }
}

/// Text a notice quotes but did not write (a header, an error), on one line and cut to `max`
/// characters with an ellipsis: a notice is read in a bell, a subject line and a chat.
fn one_line(text: &str, max: usize) -> String {
    let joined: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if joined.chars().count() <= max {
        return joined;
    }
    let mut cut: String = joined.chars().take(max).collect();
    cut.push('…');
    cut
}

/// The most of a dead job's error its notice quotes; the whole of it is on the jobs page.
const JOB_ERROR_CHARS: usize = 300;

/// Why a recorded payment callback was refused, and what to look at, in Bahasa Indonesia and
/// English.
fn refusal_texts(reason: Refusal) -> ((&'static str, &'static str), (&'static str, &'static str)) {
    match reason {
        Refusal::BadSignature => (
            (
                "tanda tangan tidak valid",
                "Jika pembayaran sungguhan ikut ditolak, periksa kunci privat gateway di setiap server; jika tidak, ada yang mengirim callback palsu.",
            ),
            (
                "bad signature",
                "If real payments are refused too, check the gateway's private key on every server; otherwise someone is posting forged callbacks.",
            ),
        ),
        Refusal::UnknownReference => (
            (
                "pembayaran tidak dikenal",
                "Callback ini ditandatangani gateway, tetapi tidak ada pembayaran dengan referensinya di sini. Cocokkan dengan catatan gateway.",
            ),
            (
                "unknown payment",
                "It was signed by the gateway, but no payment here has its reference. Compare with the gateway's records.",
            ),
        ),
        Refusal::Mismatch => (
            (
                "tagihan atau jumlah tidak cocok",
                "Callback ini ditandatangani gateway, tetapi tagihan atau jumlahnya berbeda dari pembayarannya. Cocokkan dengan catatan gateway.",
            ),
            (
                "invoice or amount mismatch",
                "It was signed by the gateway, but its invoice or amount differs from the payment's. Compare with the gateway's records.",
            ),
        ),
    }
}

/// Where a signed-in user manages their password, two-factor and sessions.
const ACCOUNT_PAGE: &str = "/account";

impl Notice {
    /// What the notice says to a reader of `language` whose clock is in `zone`.
    pub fn text(&self, language: Language, zone: TimeZone) -> Text {
        let text = match language {
            Language::Id => &self.id,
            Language::En => &self.en,
        };
        match self.moment {
            Some(at) => {
                let when = local_text(at, zone, Precision::Minute);
                Text {
                    title: text.title.replace(MOMENT, &when),
                    body: text.body.replace(MOMENT, &when),
                }
            }
            None => text.clone(),
        }
    }

    /// The e-mail shows invoice `invoice_id` as it is when the e-mail is written.
    fn about_invoice(mut self, invoice_id: i64) -> Self {
        self.invoice = Some(invoice_id);
        self
    }

    fn with_invoice_pdf(mut self) -> Self {
        self.invoice_pdf = true;
        self
    }

    /// The texts name `at` where they say [`MOMENT`].
    fn at(mut self, at: DateTime<Utc>) -> Self {
        self.moment = Some(at);
        self
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
            invoice: None,
            invoice_pdf: false,
            moment: None,
            id,
            en,
        }
    }

    pub fn order_placed(
        order_id: i64,
        invoice_id: i64,
        hostname: &str,
        invoice: &str,
        total: i64,
    ) -> Self {
        let amount = Rupiah(total).to_string();
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
        .about_invoice(invoice_id)
    }

    pub fn renewal_invoice(invoice_id: i64, hostname: &str, invoice: &str, total: i64) -> Self {
        let amount = Rupiah(total).to_string();
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
        .about_invoice(invoice_id)
    }

    pub fn payment_received(invoice_id: i64, invoice: &str, total: i64) -> Self {
        let amount = Rupiah(total).to_string();
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
        .about_invoice(invoice_id)
        .with_invoice_pdf()
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

    /// The server moved to the plan it was paid for.
    pub fn resized(order_id: i64, hostname: &str, plan: &str) -> Self {
        Self::new(
            "resized",
            Category::Server,
            Some(format!("/orders/{order_id}")),
            text(
                format!("Server {hostname} pindah paket"),
                format!("Server Anda sekarang memakai paket {plan}."),
            ),
            text(
                format!("Server {hostname} changed plan"),
                format!("Your server now runs on the {plan} plan."),
            ),
        )
    }

    /// The move to another plan failed; what was paid for it (`refunded`) is credit now.
    pub fn resize_failed(order_id: i64, hostname: &str, refunded: i64) -> Self {
        let (id, en) = if refunded > 0 {
            let amount = Rupiah(refunded).to_string();
            (
                format!(
                    "Server tetap pada paket lamanya. {amount} sudah dikembalikan ke kredit Anda."
                ),
                format!("The server stays on its old plan. {amount} is back in your credit."),
            )
        } else {
            (
                "Server tetap pada paket lamanya.".to_owned(),
                "The server stays on its old plan.".to_owned(),
            )
        };
        Self::new(
            "resize_failed",
            Category::Server,
            Some(format!("/orders/{order_id}")),
            text(format!("Server {hostname} gagal pindah paket"), id),
            text(format!("Server {hostname} could not change plan"), en),
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

    /// The customer cancelled the order themselves; `server_deleted` when it ended a service.
    pub fn cancelled_by_you(order_id: i64, hostname: &str, server_deleted: bool) -> Self {
        let (id, en) = if server_deleted {
            (
                "Layanan berakhir sesuai permintaan Anda dan servernya sedang dihapus.",
                "The service ended as you asked, and its server is being deleted.",
            )
        } else {
            (
                "Anda membatalkan pesanan ini; tagihannya dibatalkan dan tidak perlu dibayar.",
                "You cancelled this order; its invoice is cancelled and nothing is due.",
            )
        };
        Self::new(
            "order_cancelled",
            Category::Billing,
            Some(format!("/orders/{order_id}")),
            text(format!("Pesanan {hostname} dibatalkan"), id),
            text(format!("Order {hostname} cancelled"), en),
        )
    }

    /// A reminder before a step of an unpaid renewal (see [`crate::orders::reminders`]): the
    /// invoice to pay, and when the step comes.
    pub fn reminder(
        reminder: Reminder,
        invoice_id: i64,
        hostname: &str,
        invoice: &str,
        total: i64,
        step: DateTime<Utc>,
    ) -> Self {
        let amount = Rupiah(total).to_string();
        let when = MOMENT;
        let (event, id, en) = match reminder {
            Reminder::DueIn3Days | Reminder::DueIn1Day => {
                let days = if reminder == Reminder::DueIn3Days {
                    3
                } else {
                    1
                };
                let en_days = if days == 1 {
                    "1 day".to_owned()
                } else {
                    format!("{days} days")
                };
                (
                    "invoice_reminder",
                    text(
                        format!("Tagihan {invoice} jatuh tempo dalam {days} hari"),
                        format!("Bayar {amount} sebelum {when} agar {hostname} tetap berjalan."),
                    ),
                    text(
                        format!("Invoice {invoice} is due in {en_days}"),
                        format!("Pay {amount} before {when} to keep {hostname} running."),
                    ),
                )
            }
            Reminder::Overdue => (
                "invoice_overdue",
                text(
                    format!("Tagihan {invoice} lewat jatuh tempo"),
                    format!(
                        "{hostname} masih berjalan, tetapi ditangguhkan pada {when} bila {amount} belum dibayar."
                    ),
                ),
                text(
                    format!("Invoice {invoice} is overdue"),
                    format!(
                        "{hostname} still runs, but is suspended on {when} unless {amount} is paid."
                    ),
                ),
            ),
            Reminder::SuspensionTomorrow => (
                "suspension_warning",
                text(
                    format!("{hostname} ditangguhkan besok"),
                    format!(
                        "Bayar {invoice} ({amount}) sebelum {when}; setelah itu servernya dimatikan hingga dibayar."
                    ),
                ),
                text(
                    format!("{hostname} is suspended tomorrow"),
                    format!(
                        "Pay {invoice} ({amount}) before {when}; after that its server is powered off until it is paid."
                    ),
                ),
            ),
            Reminder::TerminationIn3Days | Reminder::TerminationIn1Day => {
                let (id_when, en_when) = if reminder == Reminder::TerminationIn3Days {
                    ("dalam 3 hari", "in 3 days")
                } else {
                    ("besok", "tomorrow")
                };
                (
                    "termination_warning",
                    text(
                        format!("{hostname} dihapus {id_when}"),
                        format!(
                            "Bayar {invoice} ({amount}) sebelum {when}, atau server beserta datanya dihapus untuk selamanya."
                        ),
                    ),
                    text(
                        format!("{hostname} is deleted {en_when}"),
                        format!(
                            "Pay {invoice} ({amount}) before {when}, or the server and its data are deleted for good."
                        ),
                    ),
                )
            }
        };
        Self::new(
            event,
            Category::Billing,
            Some(format!("/invoices/{invoice_id}")),
            id,
            en,
        )
        .at(step)
        .about_invoice(invoice_id)
    }

    /// The payment for a new service went back to the customer through the gateway.
    pub fn refunded(order_id: i64, hostname: &str) -> Self {
        Self::new(
            "order_cancelled",
            Category::Billing,
            Some(format!("/orders/{order_id}")),
            text(
                format!("Pesanan {hostname} dibatalkan"),
                "Pembayarannya dikembalikan kepada Anda, jadi layanannya berakhir dan servernya dihapus.",
            ),
            text(
                format!("Order {hostname} cancelled"),
                "Its payment was refunded to you, so the service ended and its server is deleted.",
            ),
        )
    }

    /// A renewal's payment went back through the gateway: the period it paid for is taken off.
    pub fn renewal_refunded(
        order_id: i64,
        hostname: &str,
        invoice: &str,
        paid_until: DateTime<Utc>,
    ) -> Self {
        let until = MOMENT;
        Self::new(
            "order_updated",
            Category::Billing,
            Some(format!("/orders/{order_id}")),
            text(
                format!("Perpanjangan {hostname} dikembalikan"),
                format!(
                    "Pembayaran {invoice} dikembalikan kepada Anda, jadi layanan dibayar sampai {until}."
                ),
            ),
            text(
                format!("Renewal of {hostname} refunded"),
                format!(
                    "The payment of {invoice} was refunded to you, so the service is paid until {until}."
                ),
            ),
        )
        .at(paid_until)
    }

    /// A service whose owner turned auto-renew off reached the end of its paid period.
    pub fn ended_with_period(order_id: i64, hostname: &str) -> Self {
        Self::new(
            "service_ended",
            Category::Billing,
            Some(format!("/orders/{order_id}")),
            text(
                format!("Layanan {hostname} berakhir"),
                "Perpanjangan otomatis dimatikan, jadi layanan berakhir bersama masa bayarnya dan servernya dihapus.",
            ),
            text(
                format!("Service {hostname} ended"),
                "Auto-renew was off, so the service ended with its paid period and its server was deleted.",
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

    /// The password was changed, by the user or through a reset link.
    pub fn password_changed() -> Self {
        Self::new(
            "password_changed",
            Category::Security,
            Some(ACCOUNT_PAGE.to_owned()),
            text(
                "Kata sandi Anda telah diubah",
                "Kata sandi akun Anda baru saja diubah dan sesi lain telah diakhiri. Jika ini bukan Anda, segera atur ulang kata sandi dan hubungi kami.",
            ),
            text(
                "Your password was changed",
                "Your account password was just changed and other sessions were ended. If this wasn't you, reset your password now and contact us.",
            ),
        )
    }

    pub fn two_factor_enabled() -> Self {
        Self::new(
            "two_factor_enabled",
            Category::Security,
            Some(ACCOUNT_PAGE.to_owned()),
            text(
                "Verifikasi dua langkah aktif",
                "Verifikasi dua langkah telah diaktifkan untuk akun Anda. Simpan kode pemulihan di tempat aman.",
            ),
            text(
                "Two-factor authentication is on",
                "Two-factor authentication was turned on for your account. Keep your recovery codes somewhere safe.",
            ),
        )
    }

    pub fn two_factor_disabled() -> Self {
        Self::new(
            "two_factor_disabled",
            Category::Security,
            Some(ACCOUNT_PAGE.to_owned()),
            text(
                "Verifikasi dua langkah dimatikan",
                "Verifikasi dua langkah telah dimatikan untuk akun Anda. Jika ini bukan Anda, segera ubah kata sandi dan hubungi kami.",
            ),
            text(
                "Two-factor authentication is off",
                "Two-factor authentication was turned off for your account. If this wasn't you, change your password now and contact us.",
            ),
        )
    }

    /// A session opened from a device (User-Agent) the account never used before; `ip` may be
    /// empty when unknown.
    pub fn new_device_login(user_agent: &str, ip: &str) -> Self {
        let ip = ip.trim();
        let (id_from, en_from) = if ip.is_empty() {
            (
                device_summary(user_agent, Language::Id),
                device_summary(user_agent, Language::En),
            )
        } else {
            (
                format!("{}, IP {ip}", device_summary(user_agent, Language::Id)),
                format!("{}, IP {ip}", device_summary(user_agent, Language::En)),
            )
        };
        Self::new(
            "new_device_login",
            Category::Security,
            Some(ACCOUNT_PAGE.to_owned()),
            text(
                "Login baru ke akun Anda",
                format!(
                    "Ada login baru ke akun Anda dari {id_from}. Jika ini bukan Anda, segera ubah kata sandi Anda."
                ),
            ),
            text(
                "New sign-in to your account",
                format!(
                    "New sign-in to your account from {en_from}. If this wasn't you, change your password."
                ),
            ),
        )
    }

    pub fn admin_new_order(order_id: i64, hostname: &str, customer: &str, total: i64) -> Self {
        let amount = Rupiah(total).to_string();
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

    pub fn admin_payment_received(paid: BilledBy, invoice: &str, total: i64) -> Self {
        let amount = Rupiah(total).to_string();
        Self::new(
            "admin_payment_received",
            Category::Admin,
            Some(paid.admin_link()),
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
            Category::Actions,
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
            Category::Actions,
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

    /// A job gave up; the notice quotes the start of its last error and leads to the dead
    /// jobs of its kind, where it can be retried.
    pub fn admin_job_dead(job_id: i64, kind: &str, error: &str) -> Self {
        let error = one_line(error, JOB_ERROR_CHARS);
        Self::new(
            "admin_job_dead",
            Category::Admin,
            Some(format!("/admin/jobs?state=dead&kind={kind}")),
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

    /// `count` callbacks of `gateway` refused for `reason` since the admins were last told.
    /// Nothing of the callbacks themselves: their body and signature are anyone's to make up.
    pub fn admin_callback_refused(gateway: &str, reason: Refusal, count: i64) -> Self {
        let ((id_why, id_advice), (en_why, en_advice)) = refusal_texts(reason);
        let minutes = WINDOW.num_minutes();
        let (id_count, en_count) = if count == 1 {
            (
                format!("Sebuah callback {gateway} ditolak."),
                format!("A {gateway} callback was refused."),
            )
        } else {
            (
                format!("{count} callback {gateway} ditolak sejak pemberitahuan terakhir."),
                format!("{count} {gateway} callbacks were refused since the last notice."),
            )
        };
        Self::new(
            "admin_payment_callback_refused",
            Category::Admin,
            Some(format!("/admin/audit?action={}", reason.action())),
            text(
                format!("Callback pembayaran ditolak: {id_why}"),
                format!(
                    "{id_count} {id_advice} Penolakan berikutnya dirangkum paling sering sekali setiap {minutes} menit."
                ),
            ),
            text(
                format!("Payment callbacks refused: {en_why}"),
                format!(
                    "{en_count} {en_advice} Further refusals are summed up at most once every {minutes} minutes."
                ),
            ),
        )
    }

    /// A new order's payment was refunded at the gateway while its server was being made: an
    /// admin ends the service once the server is there.
    pub fn admin_refunded_while_provisioning(order_id: i64, hostname: &str, invoice: &str) -> Self {
        Self::new(
            "admin_refunded_while_provisioning",
            Category::Admin,
            Some(format!("/admin/orders/{order_id}")),
            text(
                format!("Dana dikembalikan saat server dibuat: {hostname}"),
                format!(
                    "Pembayaran {invoice} dikembalikan lewat gateway saat servernya sedang dibuat. Akhiri layanannya setelah server selesai dibuat."
                ),
            ),
            text(
                format!("Refunded while being made: {hostname}"),
                format!(
                    "The payment of {invoice} was refunded at the gateway while its server was being made. End the service once the server is there."
                ),
            ),
        )
    }

    /// Money came in for an invoice already settled or closed: a person must send it back.
    pub fn admin_payment_needs_refund(
        paid: BilledBy,
        invoice: &str,
        amount: i64,
        gateway: &str,
        channel: &str,
    ) -> Self {
        let amount = Rupiah(amount).to_string();
        Self::new(
            "admin_payment_needs_refund",
            Category::Admin,
            Some(paid.admin_link()),
            text(
                format!("Perlu pengembalian dana: {invoice}"),
                format!(
                    "{amount} masuk lewat {gateway} ({channel}) untuk tagihan {invoice}, yang sudah lunas atau ditutup. Kembalikan dananya ke pelanggan."
                ),
            ),
            text(
                format!("Refund needed: {invoice}"),
                format!(
                    "{amount} came in through {gateway} ({channel}) for invoice {invoice}, which was already settled or closed. Send it back to the customer."
                ),
            ),
        )
    }

    pub fn admin_resize_failed(order_id: i64, hostname: &str, reason: &str) -> Self {
        Self::new(
            "admin_resize_failed",
            Category::Admin,
            Some(format!("/admin/orders/{order_id}")),
            text(
                format!("Pindah paket {hostname} gagal"),
                format!("Alasan: {reason}. Pembayarannya sudah dikembalikan ke kredit pelanggan."),
            ),
            text(
                format!("Changing the plan of {hostname} failed"),
                format!("Reason: {reason}. Its payment went back to the customer's credit."),
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
    fn every_notice_speaks_both_languages() {
        let notice = Notice::payment_received(7, "INV-202611-00001", 83_250);
        assert_eq!(
            notice.text(Language::En, TimeZone::Wib).title,
            "Payment received"
        );
        assert_eq!(
            notice.text(Language::Id, TimeZone::Wib).title,
            "Pembayaran diterima"
        );
        assert!(
            notice
                .text(Language::Id, TimeZone::Wib)
                .body
                .contains("Rp 83.250")
        );
        assert_eq!(notice.link.as_deref(), Some("/invoices/7"));
    }

    #[test]
    fn a_notices_moment_is_written_on_the_readers_clock() {
        let step = DateTime::parse_from_rfc3339("2026-12-10T17:30:00Z")
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default();
        let notice = Notice::reminder(
            Reminder::Overdue,
            7,
            "web-1",
            "INV-202612-00001",
            50_000,
            step,
        );
        let jakarta = notice.text(Language::En, TimeZone::Wib).body;
        assert!(
            jakarta.contains("suspended on 2026-12-11 00:30 WIB"),
            "{jakarta}"
        );
        let papua = notice.text(Language::Id, TimeZone::Wit).body;
        assert!(
            papua.contains("ditangguhkan pada 2026-12-11 02:30 WIT"),
            "{papua}"
        );
        let refunded = Notice::renewal_refunded(3, "web-1", "INV-202612-00002", step);
        let abroad = refunded.text(Language::En, TimeZone::Utc).body;
        assert!(
            abroad.ends_with("paid until 2026-12-10 17:30 UTC."),
            "{abroad}"
        );
        assert!(!abroad.contains(MOMENT));
    }

    #[test]
    fn common_browsers_are_named_with_their_system() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
                "Chrome on Windows",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
                "Chrome on iOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
                "Samsung Internet on Android",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36 OPR/82.0.0.0",
                "Opera on Android",
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
                "Chrome on ChromeOS",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36",
                "Chrome on Linux",
            ),
        ];
        for (user_agent, expected) in cases {
            assert_eq!(
                device_summary(user_agent, Language::En),
                expected,
                "{user_agent}"
            );
        }
        assert_eq!(device_summary(cases[0].0, Language::Id), "Firefox di Linux");
    }

    #[test]
    fn an_unrecognised_device_is_shown_as_it_says_cut_short() {
        assert_eq!(device_summary("curl/8.5.0", Language::En), "curl/8.5.0");
        assert_eq!(
            device_summary("Dalvik/2.1.0 (Linux; U; Android 14)", Language::En),
            "Android"
        );
        let long = format!("bot/\n{}", "x".repeat(100));
        let shown = device_summary(&long, Language::En);
        assert_eq!(shown.chars().count(), 61, "60 characters and an ellipsis");
        assert!(shown.ends_with('…') && !shown.contains('\n'), "{shown}");
        assert_eq!(device_summary("  ", Language::En), "an unknown device");
        assert_eq!(device_summary("", Language::Id), "perangkat tak dikenal");
    }

    #[test]
    fn a_dead_jobs_notice_quotes_its_error_on_one_line_and_short() {
        let error = format!("HTTP 500:\n{}", "<html>".repeat(100));
        let notice = Notice::admin_job_dead(42, "instance_create", &error);
        let body = &notice.text(Language::En, TimeZone::Wib).body;
        assert!(
            body.starts_with("Every attempt failed: HTTP 500: <html><html>"),
            "{body}"
        );
        assert!(
            !body.contains('\n') && body.contains("…. Look into it"),
            "{body}"
        );
        assert!(body.chars().count() < JOB_ERROR_CHARS + 60, "{body}");
        assert_eq!(
            notice.link.as_deref(),
            Some("/admin/jobs?state=dead&kind=instance_create")
        );
        assert_eq!(
            notice.text(Language::Id, TimeZone::Wib).title,
            "Tugas instance_create #42 berhenti"
        );
    }

    #[test]
    fn a_refused_callback_notice_says_why_and_how_many_in_both_languages() {
        let first = Notice::admin_callback_refused("tripay", Refusal::BadSignature, 1);
        assert_eq!(first.category, Category::Admin);
        assert_eq!(
            first.text(Language::En, TimeZone::Wib).title,
            "Payment callbacks refused: bad signature"
        );
        assert!(
            first
                .text(Language::En, TimeZone::Wib)
                .body
                .starts_with("A tripay callback was refused. If real payments")
        );
        assert!(
            first
                .text(Language::Id, TimeZone::Wib)
                .body
                .contains("setiap 30 menit")
        );
        assert_eq!(
            first.link.as_deref(),
            Some("/admin/audit?action=payment_callback_bad_signature")
        );
        let summary = Notice::admin_callback_refused("sandbox", Refusal::Mismatch, 37);
        assert!(
            summary
                .text(Language::En, TimeZone::Wib)
                .body
                .starts_with("37 sandbox callbacks were refused since the last notice.")
        );
        assert!(
            summary
                .text(Language::Id, TimeZone::Wib)
                .title
                .ends_with("tagihan atau jumlah tidak cocok")
        );
    }

    #[test]
    fn a_new_device_login_names_the_device_and_the_address() {
        let notice = Notice::new_device_login(
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "203.0.113.9",
        );
        assert_eq!(notice.category, Category::Security);
        assert_eq!(notice.link.as_deref(), Some("/account"));
        assert_eq!(
            notice.text(Language::En, TimeZone::Wib).body,
            "New sign-in to your account from Firefox on Linux, IP 203.0.113.9. If this wasn't you, change your password."
        );
        assert!(
            notice
                .text(Language::Id, TimeZone::Wib)
                .body
                .contains("dari Firefox di Linux, IP 203.0.113.9.")
        );
        let no_ip = Notice::new_device_login("curl/8.5.0", "");
        assert!(
            no_ip
                .text(Language::En, TimeZone::Wib)
                .body
                .contains("from curl/8.5.0. ")
        );
    }
}
