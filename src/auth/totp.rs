//! Time-based one-time codes (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, the kind every
//! authenticator app reads) as a second factor that an account, an admin's above all, can turn
//! on. A code is accepted one step early or late (clock drift), and each step only once.

use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;

/// A new secret, 160 bits as RFC 4226 recommends, base32 as authenticator apps take it.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    match Secret::Raw(bytes.to_vec()).to_encoded() {
        Secret::Encoded(text) => text,
        Secret::Raw(_) => unreachable!("to_encoded encodes"),
    }
}

fn totp(secret: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_string()).to_bytes().ok()?;
    TOTP::new(Algorithm::SHA1, DIGITS, 0, STEP_SECONDS, bytes).ok()
}

/// The code for `secret` at `unix_seconds`.
pub fn code_at(secret: &str, unix_seconds: u64) -> Option<String> {
    totp(secret).map(|t| t.generate(unix_seconds))
}

/// The step whose code `code` is, near `unix_seconds` (one step either side), if any. The
/// caller accepts it only when it is later than the last step used, so a code works once.
pub fn matching_step(secret: &str, code: &str, unix_seconds: u64) -> Option<i64> {
    let totp = totp(secret)?;
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let now = unix_seconds / STEP_SECONDS;
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .find(|step| totp.check(&code, step * STEP_SECONDS))
        .and_then(|step| i64::try_from(step).ok())
}

/// What an authenticator app scans or is given: `otpauth://totp/…`.
pub fn otpauth_uri(secret: &str, email: &str) -> String {
    let label: String =
        url::form_urlencoded::byte_serialize(format!("dxready:{email}").as_bytes()).collect();
    format!(
        "otpauth://totp/{label}?secret={secret}&issuer=dxready&digits={DIGITS}&period={STEP_SECONDS}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret "12345678901234567890" at T = 59 s gives
    /// 94287082; six digits are its last six.
    #[test]
    fn matches_the_rfc_test_vector() {
        let secret = match Secret::Raw(b"12345678901234567890".to_vec()).to_encoded() {
            Secret::Encoded(s) => s,
            Secret::Raw(_) => unreachable!(),
        };
        assert_eq!(code_at(&secret, 59).as_deref(), Some("287082"));
        assert_eq!(matching_step(&secret, "287 082", 59), Some(1));
        assert_eq!(
            matching_step(&secret, "287082", 59 + 30),
            Some(1),
            "one step late"
        );
        assert_eq!(matching_step(&secret, "287082", 59 + 90), None, "too late");
        assert_eq!(matching_step(&secret, "000000", 59), None);
    }

    #[test]
    fn new_secrets_are_usable_and_differ() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        let code = code_at(&a, 1_000_000).unwrap();
        assert!(matching_step(&a, &code, 1_000_000).is_some());
    }
}
