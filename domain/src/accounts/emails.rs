//! The account e-mails, in the recipient's language. User-supplied text is escaped in HTML.

use super::inputs::Language;
use crate::mail::{Letter, OutgoingEmail, compose};

pub enum AccountEmail<'a> {
    VerifyEmail {
        link: &'a str,
    },
    AlreadyRegistered {
        login_link: &'a str,
        reset_link: &'a str,
    },
    ResetPassword {
        link: &'a str,
    },
    FailedLogIns {
        failures: i64,
    },
}

impl AccountEmail<'_> {
    pub fn render(&self, to: &str, name: &str, language: Language) -> OutgoingEmail {
        let en = language == Language::En;
        let pick = |id: &str, en_text: &str| {
            if en {
                en_text.to_owned()
            } else {
                id.to_owned()
            }
        };
        let (subject, paragraph, link) = match self {
            Self::VerifyEmail { link } => (
                pick("Konfirmasi e-mail Anda", "Confirm your e-mail address"),
                pick(
                    "Buka tautan ini untuk mengonfirmasi e-mail Anda. Tautan berlaku 24 jam.",
                    "Open this link to confirm your e-mail address. It is valid for 24 hours.",
                ),
                Some(*link),
            ),
            Self::AlreadyRegistered {
                login_link,
                reset_link,
            } => (
                pick(
                    "Ada yang mencoba mendaftar dengan e-mail Anda",
                    "Someone tried to sign up with your e-mail",
                ),
                pick(
                    &format!(
                        "E-mail ini sudah terdaftar. Masuk di {login_link} atau atur ulang kata sandi Anda:"
                    ),
                    &format!(
                        "This e-mail already has an account. Log in at {login_link} or reset your password:"
                    ),
                ),
                Some(*reset_link),
            ),
            Self::ResetPassword { link } => (
                pick("Atur ulang kata sandi", "Reset your password"),
                pick(
                    "Buka tautan ini untuk memilih kata sandi baru. Tautan berlaku 1 jam dan hanya sekali pakai. Abaikan e-mail ini jika Anda tidak memintanya.",
                    "Open this link to choose a new password. It is valid for 1 hour and works once. Ignore this e-mail if you did not ask for it.",
                ),
                Some(*link),
            ),
            Self::FailedLogIns { failures } => (
                pick(
                    "Percobaan masuk yang gagal ke akun Anda",
                    "Failed attempts to log in to your account",
                ),
                pick(
                    &format!(
                        "Ada {failures} percobaan masuk yang gagal berturut-turut ke akun Anda. Akun tidak dikunci: Anda tetap bisa masuk, dan percobaan dari tempat yang sama diperlambat. Jika ini bukan Anda, segera atur ulang kata sandi dan nyalakan verifikasi dua langkah."
                    ),
                    &format!(
                        "There were {failures} failed attempts in a row to log in to your account. It is not locked: you can still log in, and attempts from the same place are slowed down. If this was not you, reset your password now and turn on two-step verification."
                    ),
                ),
                None,
            ),
        };
        let letter = Letter {
            subject: &subject,
            paragraph: &paragraph,
            link,
            ..Letter::default()
        };
        compose(to, name, language, &letter)
    }
}
