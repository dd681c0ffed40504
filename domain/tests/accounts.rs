//! Account flows on both databases: sign-up and verification, log-in with lockout and 2FA,
//! refresh-token rotation with theft detection, password reset/change, suspension.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::accounts::inputs::Language;
use domain::accounts::{
    AccountError, Accounts, Login, ProfileUpdate, Role, SignUp, TimeZone, two_factor,
};
use domain::caller::{Caller, ClientInfo};
use domain::error::Code;
use domain::{AppState, Db, DomainConfig, both_backends, db_run, mail};

const PASSWORD: &str = "kopi-tubruk-pagi-7";

async fn accounts(db: &Db) -> Accounts {
    let config = DomainConfig {
        public_url: "http://webrana.test".into(),
        ..Default::default()
    };
    AppState::new(db.clone(), &config).await.unwrap().accounts
}

fn client() -> ClientInfo {
    ClientInfo {
        ip: "203.0.113.7".into(),
        user_agent: "Mozilla/5.0 test".into(),
    }
}

async fn sign_up(accounts: &Accounts, email: &str) {
    accounts
        .sign_up(
            SignUp {
                name: "Budi Santoso",
                email,
                password: PASSWORD,
                phone: Some("0812 3456 7890"),
                language: Language::Id,
            },
            &client(),
        )
        .await
        .unwrap();
}

async fn log_in(
    accounts: &Accounts,
    email: &str,
    password: &str,
    code: Option<&str>,
) -> Result<domain::accounts::IssuedTokens, AccountError> {
    accounts
        .log_in(
            Login {
                email,
                password,
                second_factor: code,
            },
            &client(),
        )
        .await
}

/// The token in the newest e-mail to `to` whose link contains `path`.
async fn token_from_mail(db: &Db, to: &str, path: &str) -> String {
    let emails = mail::list(db, Some(to), 50, 0).await.unwrap();
    let body = emails
        .iter()
        .find(|e| e.body_text.contains(path))
        .map(|e| e.body_text.clone())
        .expect("no such e-mail");
    let start = body.find("token=").unwrap() + "token=".len();
    body[start..].split_whitespace().next().unwrap().to_owned()
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    db_run!(db, |pool| sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await)
    .unwrap()
}

async fn caller(accounts: &Accounts, email: &str) -> Caller {
    let tokens = log_in(accounts, email, PASSWORD, None).await.unwrap();
    accounts.authenticate(&tokens.access_token).await.unwrap()
}

both_backends! {
    async fn sign_up_sends_a_single_use_verification_link(test: TestDb) {
        let accounts = accounts(&test.db).await;
        sign_up(&accounts, "Budi@Example.com").await;
        let tokens = log_in(&accounts, "budi@example.com", PASSWORD, None).await.unwrap();
        assert!(!tokens.user.email_verified, "unverified accounts can log in but are marked");
        assert_eq!(tokens.user.phone.as_deref(), Some("+6281234567890"));

        let token = token_from_mail(&test.db, "budi@example.com", "/verify-email").await;
        let user = accounts.verify_email(&token).await.unwrap();
        assert!(user.email_verified);
        assert!(matches!(accounts.verify_email(&token).await, Err(AccountError::LinkInvalid)));
        assert!(matches!(accounts.verify_email("made-up").await, Err(AccountError::LinkInvalid)));
        let caller = caller(&accounts, "budi@example.com").await;
        assert!(caller.email_verified);
        assert_eq!(caller.role, Role::Customer);
    }

    async fn signing_up_twice_reveals_nothing_and_warns_the_owner(test: TestDb) {
        let accounts = accounts(&test.db).await;
        sign_up(&accounts, "siti@example.com").await;
        sign_up(&accounts, "SITI@example.com").await;
        assert_eq!(count(&test.db, "SELECT COUNT(*) FROM users").await, 1);
        let emails = mail::list(&test.db, Some("siti@example.com"), 10, 0).await.unwrap();
        assert_eq!(emails.len(), 2);
        assert!(emails[0].subject.contains("mencoba mendaftar"), "{}", emails[0].subject);
    }

    async fn bad_input_is_refused_and_changes_nothing(test: TestDb) {
        let accounts = accounts(&test.db).await;
        let cases = [
            ("", "a@example.com", PASSWORD, None, Code::InvalidName),
            ("Budi", "not-an-email", PASSWORD, None, Code::InvalidEmail),
            ("Budi", "a@example.com", "short", None, Code::PasswordTooShort),
            ("Budi", "a@example.com", "password123", None, Code::PasswordTooCommon),
            ("Budi", "a@example.com", PASSWORD, Some("+1 202 555 0100"), Code::InvalidPhone),
        ];
        for (name, email, password, phone, code) in cases {
            let error = accounts
                .sign_up(SignUp { name, email, password, phone, language: Language::En }, &client())
                .await
                .unwrap_err();
            assert_eq!(error.code(), code);
        }
        assert_eq!(count(&test.db, "SELECT COUNT(*) FROM users").await, 0);
        assert_eq!(count(&test.db, "SELECT COUNT(*) FROM emails").await, 0);
    }

    async fn injection_strings_are_stored_as_text_and_log_in_no_one(test: TestDb) {
        let accounts = accounts(&test.db).await;
        let name = "Robert'); DROP TABLE users;--";
        accounts
            .sign_up(SignUp { name, email: "bobby@example.com", password: PASSWORD, phone: None, language: Language::En }, &client())
            .await
            .unwrap();
        for email in ["' OR '1'='1", "bobby@example.com' --", "bobby@example.com"] {
            for password in ["' OR '1'='1", "x' OR 'x'='x' --"] {
                assert!(log_in(&accounts, email, password, None).await.is_err());
            }
        }
        let tokens = log_in(&accounts, "bobby@example.com", PASSWORD, None).await.unwrap();
        assert_eq!(tokens.user.name, name);
        assert_eq!(count(&test.db, "SELECT COUNT(*) FROM users").await, 1);
    }

    async fn failures_all_count_never_lock_the_owner_out_and_are_told_once(test: TestDb) {
        let accounts = accounts(&test.db).await;
        sign_up(&accounts, "rina@example.com").await;
        // Wrong passwords at the same moment all count.
        let mut attempts = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let accounts = accounts.clone();
            attempts.spawn(async move { log_in(&accounts, "rina@example.com", "wrong-password-1", None).await.map(|_| ()) });
        }
        while let Some(attempt) = attempts.join_next().await {
            assert!(matches!(attempt.unwrap(), Err(AccountError::InvalidCredentials)));
        }
        assert_eq!(count(&test.db, "SELECT failed_logins FROM users").await, 8);
        // Whatever the count, a wrong password is answered as for an address nobody has.
        let unknown = log_in(&accounts, "nobody@example.com", "wrong-password-1", None).await;
        assert!(matches!(unknown, Err(AccountError::InvalidCredentials)));
        let told = mail::list(&test.db, Some("rina@example.com"), 10, 0).await.unwrap();
        assert_eq!(told.iter().filter(|e| e.subject.contains("gagal")).count(), 1, "the owner is e-mailed once");
        assert_eq!(count(&test.db, "SELECT COUNT(*) FROM audit_log WHERE action = 'login_failures_noticed'").await, 1);

        // The owner still gets in, and the count starts again.
        assert!(log_in(&accounts, "rina@example.com", PASSWORD, None).await.is_ok());
        assert_eq!(count(&test.db, "SELECT failed_logins FROM users").await, 0);
    }

    async fn a_wrong_current_password_counts_like_a_failed_log_in(test: TestDb) {
        let accounts = accounts(&test.db).await;
        sign_up(&accounts, "tono@example.com").await;
        let tokens = log_in(&accounts, "tono@example.com", PASSWORD, None).await.unwrap();
        let caller = accounts.authenticate(&tokens.access_token).await.unwrap();
        let wrong = accounts.change_password(&caller, "not-my-password-1", "a-brand-new-password-2", &client()).await;
        assert!(matches!(wrong, Err(AccountError::WrongCurrentPassword)));
        let wrong = accounts.disable_two_factor(&caller, "not-my-password-1", &client()).await;
        assert!(matches!(wrong, Err(AccountError::WrongCurrentPassword)));
        assert_eq!(count(&test.db, "SELECT failed_logins FROM users").await, 2);
    }

    async fn refresh_tokens_rotate_and_a_replay_ends_the_session(test: TestDb) {
        let accounts = accounts(&test.db).await;
        sign_up(&accounts, "andi@example.com").await;
        let first = log_in(&accounts, "andi@example.com", PASSWORD, None).await.unwrap();
        let second = accounts.refresh(&first.refresh_token, &client()).await.unwrap();
        assert_ne!(second.refresh_token, first.refresh_token);
        assert_eq!(second.session_id, first.session_id);
        assert!(accounts.authenticate(&second.access_token).await.is_ok());

        // A replay right away is a race between two tabs: refused, session kept.
        assert!(matches!(accounts.refresh(&first.refresh_token, &client()).await, Err(AccountError::Unauthenticated)));
        assert!(accounts.authenticate(&second.access_token).await.is_ok());

        // A replay later is theft: the whole family ends, including the newest token.
        let an_hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
        db_run!(&test.db, |pool| sqlx::query("UPDATE refresh_tokens SET used_at = $1 WHERE used_at IS NOT NULL")
            .bind(an_hour_ago).execute(pool).await.map(|_| ())).unwrap();
        assert!(matches!(accounts.refresh(&first.refresh_token, &client()).await, Err(AccountError::RefreshReuse)));
        assert!(accounts.refresh(&second.refresh_token, &client()).await.is_err());
        assert!(accounts.authenticate(&second.access_token).await.is_err());
    }

    async fn sessions_are_listed_and_revocable(test: TestDb) {
        let accounts = accounts(&test.db).await;
        sign_up(&accounts, "dewi@example.com").await;
        let laptop = caller(&accounts, "dewi@example.com").await;
        let phone = caller(&accounts, "dewi@example.com").await;
        let sessions = accounts.sessions(&laptop).await.unwrap();
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions[0].ip, "203.0.113.7");
        accounts.revoke_session(&laptop, phone.session_id, &client()).await.unwrap();
        assert_eq!(accounts.sessions(&laptop).await.unwrap().len(), 1);

        sign_up(&accounts, "other@example.com").await;
        let other = caller(&accounts, "other@example.com").await;
        assert!(matches!(accounts.revoke_session(&other, laptop.session_id, &client()).await, Err(AccountError::NotFound)));

        accounts.log_out_everywhere(&laptop, &client()).await.unwrap();
        assert!(accounts.sessions(&other).await.unwrap().len() == 1);
        assert!(accounts.sessions(&laptop).await.unwrap().is_empty());
    }

    async fn password_reset_links_work_once_and_within_the_hour(test: TestDb) {
        let accounts = accounts(&test.db).await;
        sign_up(&accounts, "eko@example.com").await;
        let session = log_in(&accounts, "eko@example.com", PASSWORD, None).await.unwrap();
        accounts.request_password_reset("nobody@example.com", &client()).await.unwrap();
        accounts.request_password_reset("EKO@example.com", &client()).await.unwrap();
        let token = token_from_mail(&test.db, "eko@example.com", "/reset-password").await;
        accounts.reset_password(&token, "teh-manis-dingin-9", &client()).await.unwrap();
        assert!(matches!(accounts.reset_password(&token, "teh-manis-dingin-10", &client()).await, Err(AccountError::LinkInvalid)));
        assert!(accounts.authenticate(&session.access_token).await.is_err(), "sessions end on reset");
        assert!(log_in(&accounts, "eko@example.com", "teh-manis-dingin-9", None).await.is_ok());

        accounts.request_password_reset("eko@example.com", &client()).await.unwrap();
        let token = token_from_mail(&test.db, "eko@example.com", "/reset-password").await;
        let past = chrono::Utc::now() - chrono::Duration::minutes(1);
        db_run!(&test.db, |pool| sqlx::query("UPDATE email_tokens SET expires_at = $1").bind(past).execute(pool).await.map(|_| ())).unwrap();
        assert!(matches!(accounts.reset_password(&token, "teh-manis-dingin-11", &client()).await, Err(AccountError::LinkInvalid)));
    }

    async fn changing_the_password_ends_the_other_sessions(test: TestDb) {
        let accounts = accounts(&test.db).await;
        sign_up(&accounts, "fajar@example.com").await;
        let here = caller(&accounts, "fajar@example.com").await;
        let elsewhere = log_in(&accounts, "fajar@example.com", PASSWORD, None).await.unwrap();
        assert!(matches!(accounts.change_password(&here, "wrong-current-1", "es-teler-segar-5", &client()).await, Err(AccountError::WrongCurrentPassword)));
        accounts.change_password(&here, PASSWORD, "es-teler-segar-5", &client()).await.unwrap();
        assert!(accounts.authenticate(&elsewhere.access_token).await.is_err());
        assert_eq!(accounts.sessions(&here).await.unwrap().len(), 1);
    }

    async fn two_factor_is_required_once_on_and_recovery_codes_work_once(test: TestDb) {
        let accounts = accounts(&test.db).await;
        sign_up(&accounts, "gita@example.com").await;
        let me = caller(&accounts, "gita@example.com").await;
        let setup = accounts.begin_two_factor(&me).await.unwrap();
        assert!(matches!(accounts.confirm_two_factor(&me, "000000", &client()).await, Err(AccountError::InvalidTwoFactorCode)));
        let code = two_factor::code_at(&setup.secret_base32, two_factor::unix_now()).unwrap();
        let recovery = accounts.confirm_two_factor(&me, &code, &client()).await.unwrap();
        assert_eq!(recovery.len(), 10);

        assert!(matches!(log_in(&accounts, "gita@example.com", PASSWORD, None).await, Err(AccountError::TwoFactorRequired)));
        assert!(matches!(log_in(&accounts, "gita@example.com", PASSWORD, Some("123456")).await, Err(AccountError::InvalidTwoFactorCode)));
        // The code used to turn two-factor on cannot log in again; the next window's code can,
        // once.
        assert!(matches!(log_in(&accounts, "gita@example.com", PASSWORD, Some(&code)).await, Err(AccountError::InvalidTwoFactorCode)));
        let next = two_factor::code_at(&setup.secret_base32, two_factor::unix_now() + 30).unwrap();
        assert!(log_in(&accounts, "gita@example.com", PASSWORD, Some(&next)).await.is_ok());
        assert!(log_in(&accounts, "gita@example.com", PASSWORD, Some(&next)).await.is_err(), "a code works once");
        let upper = recovery[0].to_uppercase();
        assert!(log_in(&accounts, "gita@example.com", PASSWORD, Some(&upper)).await.is_ok());
        assert!(log_in(&accounts, "gita@example.com", PASSWORD, Some(&recovery[0])).await.is_err(), "single use");

        assert!(accounts.disable_two_factor(&me, "wrong-current-1", &client()).await.is_err());
        accounts.disable_two_factor(&me, PASSWORD, &client()).await.unwrap();
        assert!(log_in(&accounts, "gita@example.com", PASSWORD, None).await.is_ok());
    }

    async fn totp_secrets_are_sealed_for_their_user_and_old_plain_ones_get_sealed(test: TestDb) {
        let accounts = accounts(&test.db).await;
        for email in ["hadi@example.com", "ika@example.com"] {
            sign_up(&accounts, email).await;
            let me = caller(&accounts, email).await;
            let setup = accounts.begin_two_factor(&me).await.unwrap();
            let code = two_factor::code_at(&setup.secret_base32, two_factor::unix_now()).unwrap();
            accounts.confirm_two_factor(&me, &code, &client()).await.unwrap();
        }
        let stored: Vec<(String, String)> = db_run!(&test.db, |pool| {
            sqlx::query_as("SELECT email, totp_secret FROM users ORDER BY email").fetch_all(pool).await
        })
        .unwrap();
        assert!(stored.iter().all(|(_, secret)| secret.starts_with("v2:")), "{stored:?}");
        // Hadi's sealed secret written over Ika's: it does not open there, so no code works.
        db_run!(&test.db, |pool| {
            sqlx::query("UPDATE users SET totp_secret = $1 WHERE email = 'ika@example.com'").bind(&stored[0].1).execute(pool).await.map(|_| ())
        })
        .unwrap();
        assert!(log_in(&accounts, "ika@example.com", PASSWORD, Some("123456")).await.is_err());

        // A secret an earlier version kept in plain text is sealed at start-up and still works.
        let plain = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        db_run!(&test.db, |pool| {
            sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = NULL WHERE email = 'hadi@example.com'").bind(plain).execute(pool).await.map(|_| ())
        })
        .unwrap();
        let restarted = self::accounts(&test.db).await;
        let sealed: String = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT totp_secret FROM users WHERE email = 'hadi@example.com'").fetch_one(pool).await
        })
        .unwrap();
        assert!(sealed.starts_with("v2:") && !sealed.contains(plain), "{sealed}");
        let code = two_factor::code_at(plain, two_factor::unix_now()).unwrap();
        assert!(log_in(&restarted, "hadi@example.com", PASSWORD, Some(&code)).await.is_ok());
    }

    async fn admins_suspend_and_reactivate_and_customers_cannot(test: TestDb) {
        let accounts = accounts(&test.db).await;
        let admin = accounts.create_admin("admin@webrana.test", "Admin", "ruang-server-aman-1").await.unwrap();
        assert_eq!(admin.role, Role::Admin);
        assert!(admin.email_verified);
        assert!(matches!(accounts.create_admin("admin@webrana.test", "Admin", "ruang-server-aman-1").await, Err(AccountError::AlreadyExists)));
        let admin_tokens = log_in(&accounts, "admin@webrana.test", "ruang-server-aman-1", None).await.unwrap();
        let admin = accounts.authenticate(&admin_tokens.access_token).await.unwrap();

        sign_up(&accounts, "hadi@example.com").await;
        let customer_tokens = log_in(&accounts, "hadi@example.com", PASSWORD, None).await.unwrap();
        let customer = accounts.authenticate(&customer_tokens.access_token).await.unwrap();
        assert!(matches!(accounts.set_suspended(&customer, admin.user_id, true, &client()).await, Err(AccountError::Forbidden)));
        assert!(matches!(accounts.list_users(&customer, None, 10, 0).await, Err(AccountError::Forbidden)));

        let users = accounts.list_users(&admin, Some("HADI"), 10, 0).await.unwrap();
        assert_eq!(users.len(), 1);
        // `%` and `_` are characters to look for, not wildcards matching everyone.
        for literal in ["%", "_", "h_di", "\\"] {
            assert!(accounts.list_users(&admin, Some(literal), 10, 0).await.unwrap().is_empty(), "{literal}");
        }
        let suspended = accounts.set_suspended(&admin, users[0].id, true, &client()).await.unwrap();
        assert!(suspended.suspended);
        assert!(accounts.authenticate(&customer_tokens.access_token).await.is_err());
        assert!(matches!(log_in(&accounts, "hadi@example.com", PASSWORD, None).await, Err(AccountError::Suspended)));
        accounts.set_suspended(&admin, users[0].id, false, &client()).await.unwrap();
        assert!(log_in(&accounts, "hadi@example.com", PASSWORD, None).await.is_ok());

        let promoted = accounts.set_role(&admin, users[0].id, Role::Admin, &client()).await.unwrap();
        assert_eq!(promoted.role, Role::Admin);
        let audit = domain::audit::list(&test.db, &domain::audit::AuditFilter { email: Some("hadi@example.com".into()), limit: 50, ..Default::default() }).await.unwrap();
        let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
        for expected in ["signup", "login", "user_suspended", "user_reactivated", "role_changed"] {
            assert!(actions.contains(&expected), "{expected} missing from {actions:?}");
        }
    }

    async fn profiles_update_name_phone_language_and_time_zone(test: TestDb) {
        let accounts = accounts(&test.db).await;
        sign_up(&accounts, "indah@example.com").await;
        let me = caller(&accounts, "indah@example.com").await;
        assert_eq!(accounts.user(me.user_id).await.unwrap().time_zone, TimeZone::Wib, "a new account reads Jakarta time");
        let update = ProfileUpdate { name: "Indah P.", phone: None, language: Language::En, time_zone: TimeZone::Wita };
        let user = accounts.update_profile(&me, update).await.unwrap();
        assert_eq!((user.name.as_str(), user.phone, user.language, user.time_zone), ("Indah P.", None, Language::En, TimeZone::Wita));
        let refused = ProfileUpdate { name: "", phone: None, language: Language::En, time_zone: TimeZone::Utc };
        assert!(accounts.update_profile(&me, refused).await.is_err());
        let stored = accounts.user(me.user_id).await.unwrap();
        assert_eq!((stored.name.as_str(), stored.time_zone), ("Indah P.", TimeZone::Wita), "a refused update changes nothing");
    }
}
