//! Account server functions (thin calls into `domain::accounts`); what they answer is in
//! [`model::accounts`].

#[cfg(feature = "ssr")]
pub mod server;

use leptos::prelude::*;
use model::accounts::{Session, TwoFactorSetup, User};

use crate::errors::AppError;
#[cfg(feature = "ssr")]
use server::{caller, client, fail, optional_caller, state};

/// The signed-in user, or `None` for a visitor.
#[server]
pub async fn current_user() -> Result<Option<User>, AppError> {
    let Some(caller) = optional_caller() else {
        return Ok(None);
    };
    let user = state()?.accounts.user(caller.user_id).await.map_err(fail)?;
    Ok(Some(user.into()))
}

#[server]
pub async fn sign_up(
    name: String,
    email: String,
    password: String,
    phone: Option<String>,
    language: String,
) -> Result<(), AppError> {
    let input = domain::accounts::SignUp {
        name: &name,
        email: &email,
        password: &password,
        phone: phone.as_deref(),
        language: language_of(&language),
    };
    let state = state()?;
    let client = client();
    // Before anything is hashed or mailed.
    state
        .limits
        .sign_up
        .check(&client.ip, &email)
        .await
        .map_err(fail)?;
    state.accounts.sign_up(input, &client).await.map_err(fail)
}

#[cfg(feature = "ssr")]
fn language_of(code: &str) -> model::Language {
    model::Language::from_code(code).unwrap_or_default()
}

/// Logs in and sets the session cookies. With two-factor on, the first call answers
/// `two_factor_required` and the form asks for the code.
#[server]
pub async fn log_in(
    email: String,
    password: String,
    code: Option<String>,
) -> Result<User, AppError> {
    let state = state()?;
    let client = client();
    state
        .limits
        .login
        .check(&client.ip, &email)
        .await
        .map_err(fail)?;
    let login = domain::accounts::Login {
        email: &email,
        password: &password,
        second_factor: code.as_deref(),
    };
    let tokens = state.accounts.log_in(login, &client).await.map_err(fail)?;
    server::set_session_cookies(&tokens.access_token, &tokens.refresh_token);
    server::remember_time_zone(tokens.user.time_zone);
    Ok(tokens.user.into())
}

#[server]
pub async fn log_out(everywhere: bool) -> Result<(), AppError> {
    let caller = caller()?;
    let accounts = state()?.accounts;
    if everywhere {
        accounts
            .log_out_everywhere(&caller, &client())
            .await
            .map_err(fail)?;
    } else {
        accounts.log_out(&caller, &client()).await.map_err(fail)?;
    }
    server::clear_session_cookies();
    Ok(())
}

#[server]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    state()?.accounts.verify_email(&token).await.map_err(fail)?;
    Ok(())
}

#[server]
pub async fn resend_verification() -> Result<(), AppError> {
    let state = state()?;
    let caller = caller()?;
    let account = caller.user_id.to_string();
    state
        .limits
        .verification_mail
        .check(&client().ip, &account)
        .await
        .map_err(fail)?;
    state
        .accounts
        .resend_verification(&caller)
        .await
        .map_err(fail)
}

#[server]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let state = state()?;
    let client = client();
    state
        .limits
        .password_reset
        .check(&client.ip, &email)
        .await
        .map_err(fail)?;
    state
        .accounts
        .request_password_reset(&email, &client)
        .await
        .map_err(fail)
}

#[server]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    state()?
        .accounts
        .reset_password(&token, &password, &client())
        .await
        .map_err(fail)
}

#[server]
pub async fn change_password(current: String, password: String) -> Result<(), AppError> {
    let state = state()?;
    let (caller, client) = (caller()?, client());
    check_password_attempt(&state, &caller, &client).await?;
    state
        .accounts
        .change_password(&caller, &current, &password, &client)
        .await
        .map_err(fail)
}

/// A check of the signed-in caller's password counts against the same limit as a log-in, so a
/// stolen session cannot be used to guess the password faster than the log-in form allows.
#[cfg(feature = "ssr")]
async fn check_password_attempt(
    state: &domain::AppState,
    caller: &domain::caller::Caller,
    client: &domain::caller::ClientInfo,
) -> Result<(), AppError> {
    let account = format!("user {}", caller.user_id);
    state
        .limits
        .login
        .check(&client.ip, &account)
        .await
        .map_err(fail)
}

#[server]
pub async fn update_profile(
    name: String,
    phone: Option<String>,
    language: String,
    time_zone: String,
) -> Result<User, AppError> {
    let update = domain::accounts::ProfileUpdate {
        name: &name,
        phone: phone.as_deref(),
        language: language_of(&language),
        time_zone: domain::accounts::inputs::time_zone(&time_zone).map_err(fail)?,
    };
    let user = state()?
        .accounts
        .update_profile(&caller()?, update)
        .await
        .map_err(fail)?;
    server::remember_time_zone(user.time_zone);
    Ok(user.into())
}

/// The company, address and NPWP printed on the caller's invoices; empty fields clear them.
#[server]
pub async fn update_billing_details(
    company: Option<String>,
    address: Option<String>,
    npwp: Option<String>,
) -> Result<User, AppError> {
    let update = domain::accounts::BillingDetailsUpdate {
        company: company.as_deref(),
        address: address.as_deref(),
        npwp: npwp.as_deref(),
    };
    Ok(state()?
        .accounts
        .update_billing_details(&caller()?, update)
        .await
        .map_err(fail)?
        .into())
}

#[server]
pub async fn my_sessions() -> Result<Vec<Session>, AppError> {
    let caller = caller()?;
    let sessions = state()?.accounts.sessions(&caller).await.map_err(fail)?;
    Ok(sessions
        .into_iter()
        .map(|session| session.into_view(caller.session_id))
        .collect())
}

#[server]
pub async fn revoke_session(id: i64) -> Result<(), AppError> {
    state()?
        .accounts
        .revoke_session(&caller()?, id, &client())
        .await
        .map_err(fail)
}

#[server]
pub async fn begin_two_factor() -> Result<TwoFactorSetup, AppError> {
    let setup = state()?
        .accounts
        .begin_two_factor(&caller()?)
        .await
        .map_err(fail)?;
    Ok(setup.into())
}

/// Turns two-factor on; answers the recovery codes, shown once.
#[server]
pub async fn confirm_two_factor(code: String) -> Result<Vec<String>, AppError> {
    state()?
        .accounts
        .confirm_two_factor(&caller()?, &code, &client())
        .await
        .map_err(fail)
}

#[server]
pub async fn disable_two_factor(password: String) -> Result<(), AppError> {
    let state = state()?;
    let (caller, client) = (caller()?, client());
    check_password_attempt(&state, &caller, &client).await?;
    state
        .accounts
        .disable_two_factor(&caller, &password, &client)
        .await
        .map_err(fail)
}
