//! Security events as notifications, on both databases: a log-in from a new device, a password
//! change or reset, two-factor turned on or off each become one in-app notification in the
//! user's language and exactly one e-mail through the notification outbox; the user's first
//! session and a device seen before notify nobody; the security e-mail can be turned off, the
//! in-app notification cannot.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::accounts::inputs::Language;
use domain::accounts::{AccountError, IssuedTokens, Login, SignUp, two_factor};
use domain::caller::{Caller, ClientInfo};
use domain::jobs::Registry;
use domain::notifications::{Category, Channel, InAppNotification};
use domain::testing::{TestDb, drain};
use domain::{AppState, DomainConfig, both_backends, db_run, mail, notifications};

const PASSWORD: &str = "kopi-tubruk-pagi-7";
const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

struct Env {
    state: AppState,
    jobs: Registry,
}

async fn env(test: &TestDb) -> Env {
    let config = DomainConfig {
        public_url: "https://panel.webrana.test".into(),
        ..Default::default()
    };
    let state = AppState::new(test.db.clone(), &config).await.unwrap();
    let jobs = notifications::worker::register(Registry::default(), state.notifications.clone());
    Env { state, jobs }
}

fn device(user_agent: &str, ip: &str) -> ClientInfo {
    ClientInfo {
        ip: ip.into(),
        user_agent: user_agent.into(),
    }
}

fn laptop() -> ClientInfo {
    device(FIREFOX_LINUX, "203.0.113.9")
}

async fn sign_up(env: &Env, email: &str, language: Language) {
    let input = SignUp {
        name: "Budi Santoso",
        email,
        password: PASSWORD,
        phone: None,
        language,
    };
    env.state.accounts.sign_up(input, &laptop()).await.unwrap();
}

async fn log_in_with(
    env: &Env,
    email: &str,
    code: Option<&str>,
    client: &ClientInfo,
) -> Result<IssuedTokens, AccountError> {
    let login = Login {
        email,
        password: PASSWORD,
        second_factor: code,
    };
    env.state.accounts.log_in(login, client).await
}

async fn log_in(env: &Env, email: &str, client: &ClientInfo) -> Caller {
    let tokens = log_in_with(env, email, None, client).await.unwrap();
    env.state
        .accounts
        .authenticate(&tokens.access_token)
        .await
        .unwrap()
}

/// The caller's notifications, oldest first.
async fn notifications_of(env: &Env, caller: &Caller) -> Vec<InAppNotification> {
    let page = env
        .state
        .notifications
        .list(caller, false, None, 100)
        .await
        .unwrap();
    page.items.into_iter().rev().collect()
}

async fn events_of(env: &Env, caller: &Caller) -> Vec<String> {
    notifications_of(env, caller)
        .await
        .into_iter()
        .map(|item| item.event)
        .collect()
}

/// Runs the delivery jobs, then answers the subjects of the e-mails to `to`, oldest first,
/// leaving out the sign-up's verification e-mail.
async fn subjects_to(test: &TestDb, env: &Env, to: &str) -> Vec<String> {
    drain(&test.db, &env.jobs).await;
    let emails = mail::list(&test.db, Some(to), 100, 0).await.unwrap();
    emails
        .into_iter()
        .rev()
        .map(|email| email.subject)
        .filter(|subject| {
            !subject.starts_with("Konfirmasi e-mail") && !subject.starts_with("Confirm your")
        })
        .collect()
}

/// Runs every e-mail job again, as after a crash, and answers how many e-mails exist.
async fn rerun_email_jobs(test: &TestDb, env: &Env) -> usize {
    db_run!(&test.db, |pool| {
        sqlx::query(
            "UPDATE jobs SET state = 'queued', run_at = $1 WHERE kind = 'notification_email'",
        )
        .bind(chrono::Utc::now())
        .execute(pool)
        .await
        .map(|_| ())
    })
    .unwrap();
    drain(&test.db, &env.jobs).await;
    mail::list(&test.db, None, 100, 0).await.unwrap().len()
}

both_backends! {
    async fn the_first_session_and_a_known_device_notify_nobody(test: TestDb) {
        let env = env(&test).await;
        sign_up(&env, "budi@example.com", Language::Id).await;
        let me = log_in(&env, "budi@example.com", &laptop()).await;
        assert!(events_of(&env, &me).await.is_empty(), "the first session is no news");
        // The same browser again, from another address and after logging out everywhere: an
        // ended session still counts as a device seen.
        env.state.accounts.log_out_everywhere(&me, &laptop()).await.unwrap();
        let me = log_in(&env, "budi@example.com", &device(FIREFOX_LINUX, "198.51.100.4")).await;
        assert!(events_of(&env, &me).await.is_empty(), "a known device is no news either");
        assert!(subjects_to(&test, &env, "budi@example.com").await.is_empty());
    }

    async fn a_log_in_from_a_new_device_is_told_in_app_and_by_one_email(test: TestDb) {
        let env = env(&test).await;
        sign_up(&env, "sari@example.com", Language::En).await;
        let me = log_in(&env, "sari@example.com", &laptop()).await;

        // A wrong password from a new device opens no session and tells nothing.
        let wrong = Login { email: "sari@example.com", password: "wrong-password-1", second_factor: None };
        assert!(env.state.accounts.log_in(wrong, &device(CHROME_WINDOWS, "198.51.100.4")).await.is_err());
        assert!(events_of(&env, &me).await.is_empty());

        log_in(&env, "sari@example.com", &device(CHROME_WINDOWS, "198.51.100.4")).await;
        let told = notifications_of(&env, &me).await;
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].event, "new_device_login");
        assert_eq!(told[0].category, Category::Security);
        assert_eq!(told[0].title, "New sign-in to your account");
        assert_eq!(
            told[0].body,
            "New sign-in to your account from Chrome on Windows, IP 198.51.100.4. If this wasn't you, change your password."
        );
        assert_eq!(told[0].link.as_deref(), Some("/account"));

        // That device again is known now.
        log_in(&env, "sari@example.com", &device(CHROME_WINDOWS, "198.51.100.5")).await;
        assert_eq!(events_of(&env, &me).await, ["new_device_login"]);

        let subjects = subjects_to(&test, &env, "sari@example.com").await;
        assert_eq!(subjects, ["New sign-in to your account · Webrana Cloud"]);
        let emails = mail::list(&test.db, Some("sari@example.com"), 10, 0).await.unwrap();
        assert!(emails[0].body_text.contains("https://panel.webrana.test/account"), "{}", emails[0].body_text);
        let all = mail::list(&test.db, None, 100, 0).await.unwrap().len();
        assert_eq!(rerun_email_jobs(&test, &env).await, all, "no second copy");
    }

    async fn a_new_device_is_told_in_the_users_language(test: TestDb) {
        let env = env(&test).await;
        sign_up(&env, "wulan@example.com", Language::Id).await;
        let me = log_in(&env, "wulan@example.com", &laptop()).await;
        log_in(&env, "wulan@example.com", &device(CHROME_WINDOWS, "198.51.100.4")).await;
        let told = notifications_of(&env, &me).await;
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].title, "Login baru ke akun Anda");
        assert!(told[0].body.contains("dari Chrome di Windows, IP 198.51.100.4."), "{}", told[0].body);
        assert_eq!(subjects_to(&test, &env, "wulan@example.com").await, ["Login baru ke akun Anda · Webrana Cloud"]);
    }

    async fn a_password_change_and_a_reset_are_each_told_once(test: TestDb) {
        let env = env(&test).await;
        sign_up(&env, "eko@example.com", Language::Id).await;
        let me = log_in(&env, "eko@example.com", &laptop()).await;
        env.state.accounts.change_password(&me, PASSWORD, "es-teler-segar-5", &laptop()).await.unwrap();
        let told = notifications_of(&env, &me).await;
        assert_eq!(told.len(), 1);
        assert_eq!((told[0].event.as_str(), told[0].title.as_str()), ("password_changed", "Kata sandi Anda telah diubah"));
        assert_eq!(subjects_to(&test, &env, "eko@example.com").await, ["Kata sandi Anda telah diubah · Webrana Cloud"], "one e-mail, not two");

        // Through a reset link, with no session at all, likewise.
        env.state.accounts.request_password_reset("eko@example.com", &laptop()).await.unwrap();
        let emails = mail::list(&test.db, Some("eko@example.com"), 50, 0).await.unwrap();
        let body = &emails.iter().find(|email| email.body_text.contains("/reset-password")).unwrap().body_text;
        let token = body[body.find("token=").unwrap() + "token=".len()..].split_whitespace().next().unwrap().to_owned();
        env.state.accounts.reset_password(&token, "teh-manis-dingin-9", &laptop()).await.unwrap();
        assert_eq!(events_of(&env, &me).await, ["password_changed", "password_changed"]);
        let changed = subjects_to(&test, &env, "eko@example.com").await.into_iter().filter(|subject| subject.starts_with("Kata sandi Anda telah diubah")).count();
        assert_eq!(changed, 2);
    }

    async fn two_factor_on_and_off_are_each_told_once(test: TestDb) {
        let env = env(&test).await;
        sign_up(&env, "gita@example.com", Language::En).await;
        let me = log_in(&env, "gita@example.com", &laptop()).await;
        let setup = env.state.accounts.begin_two_factor(&me).await.unwrap();
        let code = two_factor::code_at(&setup.secret_base32, two_factor::unix_now()).unwrap();
        env.state.accounts.confirm_two_factor(&me, &code, &laptop()).await.unwrap();
        assert_eq!(events_of(&env, &me).await, ["two_factor_enabled"]);

        // A new device is told only once the second factor passed, not at the password.
        let phone = device(CHROME_WINDOWS, "198.51.100.4");
        assert!(matches!(log_in_with(&env, "gita@example.com", None, &phone).await, Err(AccountError::TwoFactorRequired)));
        assert_eq!(events_of(&env, &me).await, ["two_factor_enabled"]);
        let next = two_factor::code_at(&setup.secret_base32, two_factor::unix_now() + 30).unwrap();
        log_in_with(&env, "gita@example.com", Some(&next), &phone).await.unwrap();
        assert_eq!(events_of(&env, &me).await, ["two_factor_enabled", "new_device_login"]);

        env.state.accounts.disable_two_factor(&me, PASSWORD, &laptop()).await.unwrap();
        let told = notifications_of(&env, &me).await;
        assert_eq!(told.iter().map(|item| item.event.as_str()).collect::<Vec<_>>(), ["two_factor_enabled", "new_device_login", "two_factor_disabled"]);
        assert_eq!(told[0].title, "Two-factor authentication is on");
        assert_eq!(told[2].title, "Two-factor authentication is off");
        assert_eq!(
            subjects_to(&test, &env, "gita@example.com").await,
            [
                "Two-factor authentication is on · Webrana Cloud",
                "New sign-in to your account · Webrana Cloud",
                "Two-factor authentication is off · Webrana Cloud",
            ]
        );
    }

    async fn security_emails_can_be_turned_off_but_in_app_stays(test: TestDb) {
        let env = env(&test).await;
        sign_up(&env, "rina@example.com", Language::En).await;
        let me = log_in(&env, "rina@example.com", &laptop()).await;
        let preferences = &env.state.notifications;
        preferences.set_preference(&me, Category::Security, Channel::Email, false).await.unwrap();
        preferences.set_preference(&me, Category::Security, Channel::Telegram, false).await.unwrap();
        assert!(preferences.set_preference(&me, Category::Security, Channel::InApp, false).await.is_err());

        log_in(&env, "rina@example.com", &device(CHROME_WINDOWS, "198.51.100.4")).await;
        env.state.accounts.change_password(&me, PASSWORD, "es-teler-segar-5", &laptop()).await.unwrap();
        assert_eq!(events_of(&env, &me).await, ["new_device_login", "password_changed"], "in-app stays");
        assert!(subjects_to(&test, &env, "rina@example.com").await.is_empty(), "no e-mail");
        let queued: i64 = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'notification_email'").fetch_one(pool).await
        })
        .unwrap();
        assert_eq!(queued, 0);
    }
}
