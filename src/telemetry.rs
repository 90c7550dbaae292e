//! Structured logs with tracing. `RUST_LOG` picks the level; `DXREADY_LOG_FORMAT=json` switches to
//! one JSON object per line for log shippers.
//!
//! No e-mail address or phone number reaches a log: every formatted line passes through
//! [`redact_personal`] on its way out ([`RedactingStderr`]), whatever wrote it (an SMTP server's
//! reply quoting the recipient, a database error quoting a value, a library's debug line). The
//! e-mail worker also redacts the error texts it stores for the admin's mail queue.

use std::borrow::Cow;
use std::io::Write;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::{EnvFilter, fmt};

pub fn init() {
    init_with_default("info,sqlx=warn,sea_orm=warn,tower_sessions=warn");
}

/// Like [`init`] with another default level (tests keep quiet unless `RUST_LOG` says otherwise).
pub fn init_with_default(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = std::env::var("DXREADY_LOG_FORMAT").is_ok_and(|f| f == "json");
    let builder = fmt().with_env_filter(filter).with_writer(RedactingStderr);
    // try_init: tests call this more than once per process.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Standard error, with e-mail addresses and phone numbers redacted from every log line.
#[derive(Debug, Clone, Copy, Default)]
pub struct RedactingStderr;

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = LineBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        LineBuffer(Vec::with_capacity(256))
    }
}

/// One event's formatted text; redacted and written out whole when dropped (the formatter makes
/// one writer per event), so an address split across two writes is still found.
pub struct LineBuffer(Vec<u8>);

impl Write for LineBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineBuffer {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.0);
        let _ = std::io::stderr()
            .lock()
            .write_all(redact_personal(&text).as_bytes());
    }
}

/// What replaces an e-mail address.
pub const EMAIL_REDACTED: &str = "[email]";
/// What replaces a phone number.
pub const PHONE_REDACTED: &str = "[phone]";

/// `text` with every e-mail address and phone number replaced by [`EMAIL_REDACTED`] and
/// [`PHONE_REDACTED`]. Errs on the side of hiding: anything shaped like `local@domain.tld` is an
/// address (`%40` counts as `@`), and a run of digits and `+ - . ( )` or spaces that starts like
/// a Vietnamese number (`0…` with at least two digits before a separator, `+…`, `84…`) and holds
/// 8 to 15 digits, not glued to a letter, digit or `:` (times, ids, versions), is a number.
pub fn redact_personal(text: &str) -> Cow<'_, str> {
    if !text.contains('@') && !text.contains("%40") && !has_phone_start(text) {
        return Cow::Borrowed(text);
    }
    let emails = redact_emails(text);
    let phones = redact_phones(&emails);
    if phones == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(phones)
    }
}

fn has_phone_start(text: &str) -> bool {
    text.bytes().any(|b| b == b'0' || b == b'+' || b == b'8')
}

fn is_local_char(c: char) -> bool {
    // Not `=` or `/`, which RFC 5321 allows: in a log they join a key to its value.
    c.is_alphanumeric() || "._%+-".contains(c)
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || c == '.' || c == '-'
}

fn redact_emails(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    // Characters of `chars[..i]` not yet copied to `out` start at `copied`.
    let mut copied = 0;
    while i < chars.len() {
        let at_len = if chars[i] == '@' {
            1
        } else if chars[i] == '%'
            && chars.get(i + 1) == Some(&'4')
            && chars.get(i + 2) == Some(&'0')
        {
            3
        } else {
            0
        };
        if at_len == 0 {
            i += 1;
            continue;
        }
        let mut start = i;
        while start > copied && is_local_char(chars[start - 1]) {
            start -= 1;
        }
        let mut end = i + at_len;
        while end < chars.len() && is_domain_char(chars[end]) {
            end += 1;
        }
        // The domain ends before trailing dots or dashes ("write to a@b.vn.").
        while end > i + at_len && matches!(chars[end - 1], '.' | '-') {
            end -= 1;
        }
        let domain: String = chars[i + at_len..end].iter().collect();
        let looks_like_domain = domain.contains('.')
            && !domain.starts_with('.')
            && domain
                .rsplit('.')
                .next()
                .is_some_and(|tld| tld.chars().count() >= 2);
        if start < i && looks_like_domain {
            out.extend(&chars[copied..start]);
            out.push_str(EMAIL_REDACTED);
            copied = end;
            i = end;
        } else {
            i += at_len;
        }
    }
    out.extend(&chars[copied..]);
    out
}

fn is_phone_char(c: char) -> bool {
    c.is_ascii_digit() || " +-.()".contains(c)
}

/// A character that glues a run of digits to a word, a time or an id: the run is not a number.
fn glues(c: char) -> bool {
    c.is_alphanumeric() || c == ':' || c == '_' || c == '/'
}

fn redact_phones(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts = (c == '+' || c == '(' || c.is_ascii_digit())
            && (i == 0 || !glues(chars[i - 1]) && !chars[i - 1].is_ascii_digit());
        if !starts {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < chars.len() && is_phone_char(chars[end]) {
            end += 1;
        }
        // Trailing separators belong to the sentence, not the number.
        while end > i && !chars[end - 1].is_ascii_digit() && chars[end - 1] != ')' {
            end -= 1;
        }
        let run: String = chars[i..end].iter().collect();
        let glued_after = chars.get(end).is_some_and(|&c| glues(c));
        if !glued_after && looks_like_phone(&run) {
            out.extend(&chars[copied..i]);
            out.push_str(PHONE_REDACTED);
            copied = end;
            i = end;
        } else {
            i = end.max(i + 1);
        }
    }
    out.extend(&chars[copied..]);
    out
}

fn looks_like_phone(run: &str) -> bool {
    let digits: String = run.chars().filter(char::is_ascii_digit).collect();
    if !(8..=15).contains(&digits.len()) {
        return false;
    }
    let body = run.trim_start_matches(['(', ' ']);
    if body.starts_with('+') {
        return true;
    }
    // The first group of digits: a float such as 0.123456789 is not a number to call.
    let first_group = body.chars().take_while(char::is_ascii_digit).count();
    (body.starts_with('0') && first_group >= 2) || (digits.starts_with("84") && digits.len() >= 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_redacted() {
        assert_eq!(
            redact_personal(
                "permanent error (550): 5.1.1 <owner@example.vn>: Recipient address rejected"
            ),
            "permanent error (550): 5.1.1 <[email]>: Recipient address rejected"
        );
        assert_eq!(
            redact_personal("to=a.b+c@mail.example.com, cc=x@y.vn."),
            "to=[email], cc=[email]."
        );
        assert_eq!(
            redact_personal("\"recipient\":\"nguyen.van.a@congty.com.vn\""),
            "\"recipient\":\"[email]\""
        );
        assert_eq!(redact_personal("q=owner%40example.vn&x=1"), "q=[email]&x=1");
        // Not addresses: no dot in the domain, nothing before the `@`.
        assert_eq!(redact_personal("no-reply@localhost"), "no-reply@localhost");
        assert_eq!(redact_personal("@ home"), "@ home");
    }

    #[test]
    fn phone_numbers_are_redacted() {
        for (text, shown) in [
            ("phone 0912 345 678 given", "phone [phone] given"),
            ("phone=0912345678", "phone=[phone]"),
            ("(+84) 912-345-678", "[phone]"),
            ("+84 912 345 678.", "[phone]."),
            ("0912.345.678", "[phone]"),
            ("(028) 3823 4567", "[phone]"),
            ("\"phone\":\"84912345678\"", "\"phone\":\"[phone]\""),
        ] {
            assert_eq!(redact_personal(text), shown, "{text}");
        }
    }

    #[test]
    fn other_numbers_stay() {
        for text in [
            "2026-12-08T00:07:01.123456789Z  INFO dxready: listening",
            "programme ends 2026-12-31",
            "latency=0.123456789",
            "id=1b4e28ba-2fa1-11d2-883f-0016d3cca427",
            "outbox id 12345678901 sent",
            "listening on 127.0.0.1:8080",
            "version 1.0.0",
            "worker dxready:4242:0a1b2c3d",
            "n=100000000",
        ] {
            assert_eq!(redact_personal(text), text);
        }
    }
}
