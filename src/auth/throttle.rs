//! Sign-in throttling, kept in the database so a lock holds across app instances:
//!
//! - per client address: each failure slows the next answer down (growing delay), and five
//!   failures within 15 minutes lock that address out for 15 minutes;
//! - per account e-mail (typed, whether or not it exists): ten failures from anywhere lock it
//!   for 15 minutes, against attempts spread over many addresses.
//!
//! A locked sign-in is refused before any password is checked, with the same message whether
//! or not the account exists.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::db::accounts::{self, ThrottlePolicy};

fn address_policy() -> ThrottlePolicy {
    ThrottlePolicy {
        window: chrono::Duration::minutes(15),
        lock_after: 5,
        lock_for: chrono::Duration::minutes(15),
    }
}

fn account_policy() -> ThrottlePolicy {
    ThrottlePolicy {
        window: chrono::Duration::minutes(15),
        lock_after: 10,
        lock_for: chrono::Duration::minutes(15),
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

    fn both(&self) -> [String; 2] {
        [self.address.clone(), self.account.clone()]
    }
}

/// Until when this attempt is refused, if it is.
pub async fn locked_until(
    db: &DatabaseConnection,
    keys: &Keys,
) -> crate::db::Result<Option<DateTime<Utc>>> {
    accounts::locked_until(db, &keys.both(), Utc::now()).await
}

/// Counts a failed attempt; returns how long to hold the answer back.
pub async fn failed(db: &DatabaseConnection, keys: &Keys) -> crate::db::Result<Duration> {
    let now = Utc::now();
    let from_address = accounts::record_failure(db, &keys.address, address_policy(), now).await?;
    accounts::record_failure(db, &keys.account, account_policy(), now).await?;
    Ok(delay_after(from_address))
}

/// A successful sign-in clears the account's count. The address keeps its count until the
/// window passes, so one valid account cannot be used to reset guessing at others.
pub async fn succeeded(db: &DatabaseConnection, keys: &Keys) -> crate::db::Result<()> {
    accounts::clear_failures(db, &keys.account).await?;
    accounts::forget_stale_failures(db, Utc::now() - chrono::Duration::days(1)).await
}

/// 0 s after the first failure, then 0.25 s, 0.5 s, 1 s, 2 s, … capped at 4 s.
pub fn delay_after(failures: i32) -> Duration {
    if failures < 2 {
        return Duration::ZERO;
    }
    let exp = u32::try_from(failures - 2).unwrap_or(0).min(4);
    Duration::from_millis(250 * 2u64.pow(exp)).min(Duration::from_secs(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_grows_and_is_capped() {
        assert_eq!(delay_after(1), Duration::ZERO);
        assert_eq!(delay_after(2), Duration::from_millis(250));
        assert_eq!(delay_after(3), Duration::from_millis(500));
        assert_eq!(delay_after(4), Duration::from_secs(1));
        assert_eq!(delay_after(50), Duration::from_secs(4));
    }
}
