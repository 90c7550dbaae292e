//! Argon2id password hashing (argon2 0.6, default parameters: 19 MiB, 2 passes, 1 lane, the
//! OWASP minimum). Hashing is deliberately slow, so it runs on the blocking thread pool, and
//! at most [`MAX_CONCURRENT`] run at once: each holds 19 MiB, and a burst of sign-ins must not
//! be able to take the machine's memory and cores.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

/// Shortest password accepted (NIST SP 800-63B asks for at least 8; staff accounts see
/// personal data, so a little more).
pub const MIN_LENGTH: usize = 10;
/// Longest accepted, so nobody can make us hash megabytes.
pub const MAX_LENGTH: usize = 256;

/// Argon2 computations running at once; the rest wait their turn.
pub const MAX_CONCURRENT: usize = 4;

static HASHING: Semaphore = Semaphore::const_new(MAX_CONCURRENT);

/// Runs one Argon2 computation on the blocking pool once a permit is free.
async fn bounded<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let permit = HASHING.acquire().await?;
    // The permit goes with the work: a request that is dropped meanwhile cannot free it early.
    Ok(tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await?)
}

/// A hash of a random password, verified against when the e-mail is unknown so that an unknown
/// e-mail costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let random = crate::db::tokens::new_token();
    hash_blocking(&random).unwrap_or_default()
});

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash password: {e}"))
}

fn verify_blocking(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Hashes a password into a PHC string (`$argon2id$v=19$…`).
pub async fn hash(password: String) -> anyhow::Result<String> {
    bounded(move || hash_blocking(&password)).await?
}

/// Whether `password` matches the stored PHC string. With `None` (unknown account) it checks
/// against a dummy hash and answers `false`, taking the same time.
pub async fn verify(password: String, phc: Option<String>) -> bool {
    bounded(move || match phc {
        Some(phc) => verify_blocking(&password, &phc),
        None => {
            let _ = verify_blocking(&password, &DUMMY_HASH);
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// Computes the dummy hash ahead of the first sign-in, so that first unknown e-mail is not
/// slower than a wrong password.
pub async fn warm_up() {
    let _ = tokio::task::spawn_blocking(|| DUMMY_HASH.len()).await;
}

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    TooShort,
    TooLong,
    /// On the list of commonly used passwords, or one character repeated: the first guesses.
    Common,
}

const COMMON: &str = include_str!("common_passwords.txt");

fn is_common(password: &str) -> bool {
    let plain: String = password
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let mut chars = plain.chars();
    let repeated = chars.next().is_some_and(|first| chars.all(|c| c == first));
    repeated
        || COMMON
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .any(|l| l == plain)
}

/// The reason a new password is refused, if it is.
pub fn check_new(password: &str) -> Result<(), Weakness> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        Err(Weakness::TooShort)
    } else if password.len() > MAX_LENGTH {
        Err(Weakness::TooLong)
    } else if is_common(password) {
        Err(Weakness::Common)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash("correct horse battery".into()).await.unwrap();
        let b = hash("correct horse battery".into()).await.unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify("correct horse battery".into(), Some(a.clone())).await);
        assert!(!verify("wrong".into(), Some(a)).await);
        assert!(!verify("anything".into(), None).await);
        assert!(!verify("x".into(), Some("not a hash".into())).await);
    }

    #[test]
    fn new_passwords_need_a_sane_length() {
        assert!(check_new("short").is_err());
        assert!(check_new("long enough pw").is_ok());
        assert!(check_new(&"x".repeat(300)).is_err());
    }

    #[test]
    fn common_passwords_are_refused() {
        assert_eq!(check_new("password123"), Err(Weakness::Common));
        assert_eq!(check_new("Qwerty UIOP"), Err(Weakness::Common));
        assert_eq!(check_new("aaaaaaaaaaaa"), Err(Weakness::Common));
        assert_eq!(check_new("mật khẩu riêng của Lan"), Ok(()));
    }
}
