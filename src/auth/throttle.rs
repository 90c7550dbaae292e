//! Sign-in throttling, kept in the database so it holds across app instances:
//!
//! - per client address: every attempt is counted *before* its password is checked, in one
//!   UPDATE, so a burst of parallel attempts cannot slip past the count; five attempts within
//!   15 minutes and that address is refused for 15 minutes. A good sign-in takes its attempt
//!   back, so an office behind one address is not refused for signing in often.
//! - per account e-mail (typed, whether or not it exists): no lock, which anyone knowing a
//!   staff e-mail could keep closed for ever, but a delay before the password is checked that
//!   grows with the failures of the last 15 minutes, against guesses spread over many
//!   addresses. The person it belongs to still gets in, a few seconds late at worst.
//!
//! A refused attempt is answered before any password is checked, with the same message whether
//! or not the account exists.

use std::net::IpAddr;
use std::time::Duration;

use chrono::Utc;
use sea_orm::DatabaseConnection;

use crate::db::accounts::{self, ThrottleWindow};

const WINDOW: chrono::Duration = chrono::Duration::minutes(15);

/// Attempts one address may make within [`WINDOW`].
pub const ADDRESS_LIMIT: i32 = 5;

fn address_policy() -> ThrottleWindow {
    ThrottleWindow {
        window: WINDOW,
        limit: ADDRESS_LIMIT,
    }
}

/// The throttle keys of one attempt.
#[derive(Debug, Clone)]
pub struct Keys {
    pub address: String,
    pub account: String,
}

impl Keys {
    pub fn new(addr: Option<IpAddr>, normalised_email: &str) -> Keys {
        Keys {
            address: format!(
                "addr:{}",
                addr.map_or_else(|| "unknown".to_string(), |a| a.to_string())
            ),
            account: format!("account:{normalised_email}"),
        }
    }
}

/// Whether an attempt may check its password, and after how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Wait this long, then check the password.
    Admitted { delay: Duration },
    /// Too many attempts from this address: answer without checking.
    Refused,
}

/// Counts the attempt against its address and decides, before any password is checked.
pub async fn admit(db: &DatabaseConnection, keys: &Keys) -> crate::db::Result<Admission> {
    let now = Utc::now();
    let from_address = accounts::count_attempt(db, &keys.address, address_policy(), now).await?;
    if from_address > ADDRESS_LIMIT {
        return Ok(Admission::Refused);
    }
    let against_account = accounts::recent_failures(db, &keys.account, WINDOW, now).await?;
    Ok(Admission::Admitted {
        delay: account_delay(against_account),
    })
}

/// Counts a failed attempt against the account (the address counted it on admission).
/// Returns how long to hold the answer back, which grows with the address's attempts.
pub async fn failed(db: &DatabaseConnection, keys: &Keys) -> crate::db::Result<Duration> {
    let now = Utc::now();
    accounts::record_failure(db, &keys.account, WINDOW, now).await?;
    let from_address = accounts::recent_failures(db, &keys.address, WINDOW, now).await?;
    Ok(address_delay(from_address))
}

/// A good sign-in clears the account's failures and takes its attempt back from the address.
/// The address keeps its failures until the window passes, so one valid account cannot be used
/// to reset guessing at others.
pub async fn succeeded(db: &DatabaseConnection, keys: &Keys) -> crate::db::Result<()> {
    accounts::clear_failures(db, &keys.account).await?;
    accounts::uncount_attempt(db, &keys.address).await?;
    accounts::forget_stale_failures(db, Utc::now() - chrono::Duration::days(1)).await
}

/// After a failure from an address: 0 s after the first, then 0.25 s, 0.5 s, 1 s, 2 s, …
/// capped at 4 s.
pub fn address_delay(failures: i32) -> Duration {
    if failures < 2 {
        return Duration::ZERO;
    }
    let exp = u32::try_from(failures - 2).unwrap_or(0).min(4);
    Duration::from_millis(250 * 2u64.pow(exp)).min(Duration::from_secs(4))
}

/// Before checking a password for an account with `failures` recent failures: nothing for as
/// many as one address may make, then 0.1 s doubling up to 4 s. Capped, so that the person
/// whose account is under attack still signs in.
pub fn account_delay(failures: i32) -> Duration {
    if failures <= ADDRESS_LIMIT {
        return Duration::ZERO;
    }
    let exp = u32::try_from(failures - ADDRESS_LIMIT - 1)
        .unwrap_or(0)
        .min(6);
    Duration::from_millis(100 * 2u64.pow(exp)).min(Duration::from_secs(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_delay_grows_and_is_capped() {
        assert_eq!(address_delay(1), Duration::ZERO);
        assert_eq!(address_delay(2), Duration::from_millis(250));
        assert_eq!(address_delay(3), Duration::from_millis(500));
        assert_eq!(address_delay(4), Duration::from_secs(1));
        assert_eq!(address_delay(50), Duration::from_secs(4));
    }

    #[test]
    fn account_delay_grows_and_is_capped() {
        assert_eq!(account_delay(ADDRESS_LIMIT), Duration::ZERO);
        assert_eq!(account_delay(ADDRESS_LIMIT + 1), Duration::from_millis(100));
        assert_eq!(account_delay(ADDRESS_LIMIT + 2), Duration::from_millis(200));
        assert_eq!(
            account_delay(ADDRESS_LIMIT + 6),
            Duration::from_millis(3200)
        );
        assert_eq!(account_delay(10_000), Duration::from_secs(4));
    }
}
