//! Builds the MIME message: UTF-8 text and HTML alternatives, an optional PDF attachment, and
//! headers made only from validated values (no header is built from free text a respondent
//! typed; the business name appears only in bodies).

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{Address, Message};

use super::render::Rendered;

/// Why a message could not be built. Always permanent: the same input fails the same way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("invalid recipient address")]
    Recipient,
    #[error("invalid sender address (DXREADY_MAIL_FROM): {0}")]
    Sender(String),
    #[error("invalid link for List-Unsubscribe")]
    Link,
    #[error("cannot build the message: {0}")]
    Message(String),
}

pub struct AttachedFile {
    pub filename: String,
    pub content: Vec<u8>,
    pub content_type: &'static str,
}

/// Everything a message needs besides its body.
pub struct Envelope<'a> {
    pub from: &'a Mailbox,
    pub to: &'a str,
    /// `<…>` link for List-Unsubscribe (withdraw consent and delete the data).
    pub unsubscribe_url: Option<&'a str>,
}

/// Parses `DXREADY_MAIL_FROM` (`name <addr>` or a bare address).
pub fn parse_sender(from: &str) -> Result<Mailbox, BuildError> {
    if from.contains(['\r', '\n']) {
        return Err(BuildError::Sender("contains a line break".into()));
    }
    from.parse::<Mailbox>()
        .map_err(|e| BuildError::Sender(e.to_string()))
}

/// Parses a recipient address with lettre's own parser, refusing line breaks and anything
/// that is not a bare address (no display names, no angle brackets, no lists).
pub fn parse_recipient(to: &str) -> Result<Address, BuildError> {
    if to.is_empty()
        || to.len() > 254
        || to
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "<>,;\"()".contains(c))
    {
        return Err(BuildError::Recipient);
    }
    to.parse::<Address>().map_err(|_| BuildError::Recipient)
}

/// A link safe to put inside `<…>` in a header: http(s), printable ASCII, no spaces or brackets.
fn header_safe_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 900
        && url
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>' && b != b'"')
}

/// `<uuid@domain>` with the sender's domain, so replies and bounces thread correctly.
pub fn new_message_id(from: &Mailbox) -> String {
    format!(
        "<{}@{}>",
        uuid::Uuid::new_v4().simple(),
        from.email.domain()
    )
}

/// The Message-ID of the outbox row `id` created at `created_at`: the same on every attempt, so
/// a message sent twice (written out just before a crash, then sent again after the restart)
/// is recognised by mail clients as one. A hash, so it tells nothing of how many mails went out.
pub fn outbox_message_id(
    id: i64,
    created_at: chrono::DateTime<chrono::Utc>,
    from: &Mailbox,
) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"dxready outbox message\0")
        .chain_update(id.to_be_bytes())
        .chain_update(created_at.timestamp_micros().to_be_bytes())
        .finalize();
    format!("<{}@{}>", hex::encode(&digest[..16]), from.email.domain())
}

/// Builds the message with a new random Message-ID; returns it with that id.
pub fn build(
    envelope: &Envelope<'_>,
    rendered: &Rendered,
    attachment: Option<AttachedFile>,
) -> Result<(Message, String), BuildError> {
    build_with_id(
        envelope,
        new_message_id(envelope.from),
        rendered,
        attachment,
    )
}

/// Builds the message with the given Message-ID; returns it with that id.
pub fn build_with_id(
    envelope: &Envelope<'_>,
    message_id: String,
    rendered: &Rendered,
    attachment: Option<AttachedFile>,
) -> Result<(Message, String), BuildError> {
    let to = parse_recipient(envelope.to)?;
    let mut builder = Message::builder()
        .from(envelope.from.clone())
        .to(Mailbox::new(None, to))
        .subject(rendered.subject.clone())
        .message_id(Some(message_id.clone()))
        .date_now();
    if let Some(url) = envelope.unsubscribe_url {
        if !header_safe_url(url) {
            return Err(BuildError::Link);
        }
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{url}>"),
        ));
    }
    let alternative =
        MultiPart::alternative_plain_html(rendered.text.clone(), rendered.html.clone());
    let message = match attachment {
        None => builder.multipart(alternative),
        Some(file) => {
            let content_type = ContentType::parse(file.content_type)
                .map_err(|e| BuildError::Message(e.to_string()))?;
            builder.multipart(
                MultiPart::mixed()
                    .multipart(alternative)
                    .singlepart(Attachment::new(file.filename).body(file.content, content_type)),
            )
        }
    }
    .map_err(|e| BuildError::Message(e.to_string()))?;
    Ok((message, message_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered() -> Rendered {
        Rendered {
            subject: "Kết quả đánh giá: Mức 2".into(),
            html: "<p>Xin chào</p>".into(),
            text: "Xin chào".into(),
        }
    }

    fn sender() -> Mailbox {
        parse_sender("dxready <no-reply@dxready.test>").unwrap()
    }

    #[test]
    fn refuses_header_injection_in_the_recipient() {
        for bad in [
            "owner@example.vn\r\nBcc: victim@example.com",
            "owner@example.vn\nSubject: hi",
            "owner@example.vn\r",
            "Owner <owner@example.vn>",
            "a@example.vn, b@example.vn",
            "a@example.vn;b@example.vn",
            "not an address",
            "",
            "\"x\"@example.vn",
        ] {
            assert_eq!(parse_recipient(bad), Err(BuildError::Recipient), "{bad:?}");
            let from = sender();
            let env = Envelope {
                from: &from,
                to: bad,
                unsubscribe_url: None,
            };
            assert!(build(&env, &rendered(), None).is_err(), "{bad:?}");
        }
        assert!(parse_recipient("chu.doanh-nghiep+dx@example.com.vn").is_ok());
    }

    #[test]
    fn refuses_a_sender_or_link_with_line_breaks() {
        assert!(parse_sender("dxready <a@b.vn>\r\nBcc: x@y.vn").is_err());
        let from = sender();
        let env = Envelope {
            from: &from,
            to: "owner@example.vn",
            unsubscribe_url: Some("http://x.vn/r/abc\r\nBcc: x@y.vn"),
        };
        assert_eq!(build(&env, &rendered(), None).err(), Some(BuildError::Link));
    }

    #[test]
    fn has_the_required_headers_and_utf8_parts() {
        let from = sender();
        let env = Envelope {
            from: &from,
            to: "owner@example.vn",
            unsubscribe_url: Some("http://127.0.0.1:8080/r/tok/withdraw"),
        };
        let file = AttachedFile {
            filename: "lo-trinh.pdf".into(),
            content: b"%PDF-1.7 test".to_vec(),
            content_type: "application/pdf",
        };
        let (message, id) = build(&env, &rendered(), Some(file)).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(id.starts_with('<') && id.ends_with("@dxready.test>"));
        assert!(headers.contains(&format!("Message-ID: {id}")), "{headers}");
        assert!(headers.contains("\r\nDate: "), "{headers}");
        assert!(headers.contains("From: dxready <no-reply@dxready.test>"));
        assert!(headers.contains("To: owner@example.vn"));
        assert!(headers.contains("List-Unsubscribe: <http://127.0.0.1:8080/r/tok/withdraw>"));
        // Non-ASCII subject is RFC 2047 encoded UTF-8.
        assert!(headers.contains("Subject: =?utf-8?"), "{headers}");
        assert!(raw.contains("text/plain; charset=utf-8"));
        assert!(raw.contains("text/html; charset=utf-8"));
        assert!(raw.contains("application/pdf"));
        assert!(raw.contains("filename=\"lo-trinh.pdf\""));
    }

    #[test]
    fn an_outbox_row_has_one_message_id_on_every_attempt() {
        let from = sender();
        let created = chrono::DateTime::from_timestamp(1_790_000_000, 123_000).unwrap();
        let id = outbox_message_id(42, created, &from);
        assert_eq!(id, outbox_message_id(42, created, &from));
        assert!(
            id.starts_with('<') && id.ends_with("@dxready.test>"),
            "{id}"
        );
        assert_ne!(id, outbox_message_id(43, created, &from));
        assert_ne!(
            id,
            outbox_message_id(42, created + chrono::Duration::microseconds(1), &from)
        );
    }
}
