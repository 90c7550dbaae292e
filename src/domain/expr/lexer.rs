//! Source text to tokens, each with its byte offset.

use super::ExprError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Num(f64),
    Str(String),
    Ref(String),
    Ident(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Op(&'static str),
    End,
}

pub(super) fn lex(src: &str) -> Result<Vec<(Tok, usize)>, ExprError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => out.push((Tok::LParen, start)),
            b')' => out.push((Tok::RParen, start)),
            b'[' => out.push((Tok::LBracket, start)),
            b']' => out.push((Tok::RBracket, start)),
            b',' => out.push((Tok::Comma, start)),
            b'+' => out.push((Tok::Op("+"), start)),
            b'-' => out.push((Tok::Op("-"), start)),
            b'*' => out.push((Tok::Op("*"), start)),
            b'/' => out.push((Tok::Op("/"), start)),
            b'=' => {
                if bytes.get(i + 1) == Some(&b'=') {
                    i += 1;
                }
                out.push((Tok::Op("="), start));
            }
            b'!' if bytes.get(i + 1) == Some(&b'=') => {
                i += 1;
                out.push((Tok::Op("!="), start));
            }
            b'<' | b'>' => {
                let eq = bytes.get(i + 1) == Some(&b'=');
                let op = match (c, eq) {
                    (b'<', true) => "<=",
                    (b'<', false) => "<",
                    (_, true) => ">=",
                    (_, false) => ">",
                };
                if eq {
                    i += 1;
                }
                out.push((Tok::Op(op), start));
            }
            b'\'' => {
                let rest = &src[i + 1..];
                let Some(end) = rest.find('\'') else {
                    return Err(ExprError::new(
                        start,
                        "unterminated string: add the closing '",
                    ));
                };
                out.push((Tok::Str(rest[..end].to_string()), start));
                i += end + 1;
            }
            b'$' => {
                if bytes.get(i + 1) != Some(&b'{') {
                    return Err(ExprError::new(start, "a reference is written ${id}"));
                }
                let rest = &src[i + 2..];
                let Some(end) = rest.find('}') else {
                    return Err(ExprError::new(
                        start,
                        "unterminated reference: add the closing }",
                    ));
                };
                let name = rest[..end].trim();
                if !is_ident(name) {
                    return Err(ExprError::new(start, format!("`{name}` is not a valid id")));
                }
                out.push((Tok::Ref(name.to_string()), start));
                i += end + 2;
            }
            b'0'..=b'9' | b'.' => {
                let mut j = i;
                while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b'.') {
                    j += 1;
                }
                let text = &src[i..j];
                let n: f64 = text
                    .parse()
                    .map_err(|_| ExprError::new(start, format!("`{text}` is not a number")))?;
                out.push((Tok::Num(n), start));
                i = j - 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let mut j = i;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
                out.push((Tok::Ident(src[i..j].to_string()), start));
                i = j - 1;
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(ExprError::new(
                    start,
                    format!("unexpected character `{ch}`"),
                ));
            }
        }
        i += 1;
    }
    out.push((Tok::End, src.len()));
    Ok(out)
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
