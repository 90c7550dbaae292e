//! Signing in and out, with throttling and the audit log, so the handlers stay thin.

use std::net::IpAddr;

use chrono::Utc;
use sea_orm::DatabaseConnection;

use super::backend::{AuthSession, Credentials};
use super::throttle::{self, Admission, Keys};
use super::{accounts, session_keys};
use crate::db::accounts::Account;
use crate::db::audit::{Actor, action};
use crate::db::sessions;

/// How a sign-in attempt ended. Refused attempts say nothing about why.
#[derive(Debug)]
pub enum Outcome {
    SignedIn(Account),
    Refused,
    Locked,
}

/// Counts the attempt in the throttle, then checks the password; on success starts a fresh session (new id, so a
/// planted cookie is worthless) holding the account.
pub async fn sign_in(
    db: &DatabaseConnection,
    auth: &mut AuthSession,
    creds: Credentials,
    addr: Option<IpAddr>,
) -> anyhow::Result<Outcome> {
    let email = accounts::normalise_email(&creds.email);
    // What was typed may be anything (even a password in the wrong box): log it only when it
    // looks like an e-mail.
    let actor = if crate::domain::answers::is_plausible_email(&email) {
        email.clone()
    } else {
        "(not an e-mail)".to_string()
    };
    let keys = Keys::new(addr, &email);
    let Admission::Admitted { delay } = throttle::admit(db, &keys).await? else {
        Actor::anonymous(actor, addr)
            .record(db, action::SIGN_IN_LOCKED, None, None)
            .await?;
        return Ok(Outcome::Locked);
    };
    tokio::time::sleep(delay).await;
    let code = creds.code.clone();
    let account = auth.authenticate(creds).await?;
    let account = match account {
        Some(account) if second_factor_holds(db, &account, &code).await? => Some(account),
        _ => None,
    };
    let Some(account) = account else {
        let delay = throttle::failed(db, &keys).await?;
        Actor::anonymous(actor, addr)
            .record(db, action::SIGN_IN_FAILED, None, None)
            .await?;
        tokio::time::sleep(delay).await;
        return Ok(Outcome::Refused);
    };
    throttle::succeeded(db, &keys).await?;
    establish(auth, &account).await?;
    Actor::account(&account, addr)
        .record(db, action::SIGN_IN, None, None)
        .await?;
    Ok(Outcome::SignedIn(account))
}

/// Whether the account's second factor, if it has one, is satisfied by `code`: a code of the
/// current step (or one either side) not used before. A wrong or missing code is refused like a
/// wrong password, so the answer does not tell that the password was right.
async fn second_factor_holds(
    db: &DatabaseConnection,
    account: &Account,
    code: &str,
) -> anyhow::Result<bool> {
    let Some(secret) = &account.totp_secret else {
        return Ok(true);
    };
    let now = u64::try_from(Utc::now().timestamp()).unwrap_or_default();
    match super::totp::matching_step(secret, code, now) {
        Some(step) => Ok(crate::db::accounts::use_totp_step(db, account.id, step).await?),
        None => Ok(false),
    }
}

/// Turns the second factor on for the signed-in account once `code` proves the authenticator
/// holds `secret`. Returns whether it did.
pub async fn enable_second_factor(
    db: &DatabaseConnection,
    account: &Account,
    secret: &str,
    code: &str,
    addr: Option<IpAddr>,
) -> anyhow::Result<bool> {
    let now = u64::try_from(Utc::now().timestamp()).unwrap_or_default();
    let Some(step) = super::totp::matching_step(secret, code, now) else {
        return Ok(false);
    };
    crate::db::accounts::enable_totp(db, account.id, secret, step).await?;
    Actor::account(account, addr)
        .record(db, action::SECOND_FACTOR_ON, None, None)
        .await?;
    Ok(true)
}

/// A new session id holding `account` and the time of sign-in.
pub async fn establish(auth: &mut AuthSession, account: &Account) -> anyhow::Result<()> {
    auth.session.cycle_id().await?;
    auth.login(account).await?;
    auth.session
        .insert(session_keys::USER_ID, account.id)
        .await?;
    auth.session
        .insert(session_keys::SIGNED_IN_AT, Utc::now().timestamp())
        .await?;
    Ok(())
}

/// Ends this session.
pub async fn sign_out(
    db: &DatabaseConnection,
    auth: &mut AuthSession,
    addr: Option<IpAddr>,
) -> anyhow::Result<()> {
    if let Some(account) = auth.logout().await? {
        Actor::account(&account, addr)
            .record(db, action::SIGN_OUT, None, None)
            .await?;
    }
    Ok(())
}

/// Ends every session of the signed-in account, this one included.
pub async fn sign_out_everywhere(
    db: &DatabaseConnection,
    auth: &mut AuthSession,
    addr: Option<IpAddr>,
) -> anyhow::Result<u64> {
    let Some(account) = auth.user.clone() else {
        return Ok(0);
    };
    let ended = sessions::delete_for_user(db, account.id).await?;
    auth.logout().await?;
    Actor::account(&account, addr)
        .record(
            db,
            action::SIGN_OUT_EVERYWHERE,
            None,
            Some(format!("{ended} session(s) ended")),
        )
        .await?;
    Ok(ended)
}

/// Why a password change was refused.
#[derive(Debug)]
pub enum PasswordChange {
    Changed,
    WrongCurrent,
    Unacceptable(accounts::InputError),
}

/// Changes the signed-in account's password after checking the current one. Every other
/// session ends; this one continues under a new id.
pub async fn change_password(
    db: &DatabaseConnection,
    auth: &mut AuthSession,
    current: String,
    new: String,
    addr: Option<IpAddr>,
) -> anyhow::Result<PasswordChange> {
    let Some(account) = auth.user.clone() else {
        return Ok(PasswordChange::WrongCurrent);
    };
    let keys = Keys::new(addr, &account.email);
    let admitted = match throttle::admit(db, &keys).await? {
        Admission::Admitted { delay } => {
            tokio::time::sleep(delay).await;
            super::password::verify(current, Some(account.password_hash.clone())).await
        }
        Admission::Refused => false,
    };
    if !admitted {
        let delay = throttle::failed(db, &keys).await?;
        tokio::time::sleep(delay).await;
        return Ok(PasswordChange::WrongCurrent);
    }
    throttle::succeeded(db, &keys).await?;
    if let Err(e) = accounts::check_password(&new) {
        return Ok(PasswordChange::Unacceptable(e));
    }
    let hash = super::password::hash(new).await?;
    crate::db::accounts::set_password_hash(db, account.id, &hash).await?;
    sessions::delete_for_user(db, account.id).await?;
    let updated = crate::db::accounts::find_account(db, account.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("account vanished"))?;
    establish(auth, &updated).await?;
    Actor::account(&account, addr)
        .record(db, action::PASSWORD_CHANGED, None, None)
        .await?;
    Ok(PasswordChange::Changed)
}
