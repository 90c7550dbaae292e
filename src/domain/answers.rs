//! What a business gives us: its profile, its answers and its consents. Shapes match the JSON API
//! (`"answers": {"q19": "portal", "q26": ["website"], "q5": 4}`), so pages and API share them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::domain::questionnaire::ConsentPurpose;

/// One answer. Choice and text answers are both strings; the question's type says which.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Many(Vec<String>),
    Number(f64),
    One(String),
}

/// Answers keyed by question id. A BTreeMap keeps stored JSON and snapshots in a stable order.
pub type Answers = BTreeMap<String, Answer>;

/// One profile value (province slug, employees, OCOP yes/no, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ProfileValue {
    Bool(bool),
    Number(f64),
    Text(String),
}

impl ProfileValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ProfileValue::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ProfileValue::Number(n) => Some(*n),
            _ => None,
        }
    }
}

/// The business profile keyed by profile field id (`name`, `province`, `sector`, `employees`, …).
pub type Profile = BTreeMap<String, ProfileValue>;

/// Everything a respondent submits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    pub profile: Profile,
    pub answers: Answers,
    pub consents: BTreeSet<ConsentPurpose>,
}

impl Submission {
    pub fn profile_str(&self, id: &str) -> Option<&str> {
        self.profile.get(id).and_then(ProfileValue::as_str)
    }
}

/// How to reach the business, given only if the owner wants to (kept apart from the answers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Whether `c` has no place in a one-line text field: a control character (NUL among them,
/// which PostgreSQL refuses in text) or a Unicode mark that reorders or hides text (bidi
/// embeddings, overrides and isolates, zero-width characters), which would make a firm's name
/// read differently on a page, in an e-mail or a PDF than it is stored.
pub fn is_hidden_or_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
        )
}

/// Whether `text` holds any character [`is_hidden_or_control`] refuses.
pub fn has_hidden_or_control(text: &str) -> bool {
    text.chars().any(is_hidden_or_control)
}

/// A plausible e-mail address: one `@`, no spaces or angle brackets, a dot in the domain.
/// Delivery is the real test; this catches typos and header tricks early.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| {
            c.is_whitespace() || is_hidden_or_control(c) || "<>()[],;:\\\"@".contains(c) && c != '@'
        })
        && email.matches('@').count() == 1
}

/// Digits, spaces and `+ - . ( )`, 8 to 20 characters: enough for Vietnamese numbers.
pub fn is_plausible_phone(phone: &str) -> bool {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    (8..=15).contains(&digits)
        && phone.len() <= 20
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-.()".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_plausible_email("owner@example.vn"));
        assert!(is_plausible_email("a.b+c@mail.example.com"));
        for bad in [
            "",
            "owner",
            "owner@",
            "@x.vn",
            "a@b",
            "a b@x.vn",
            "a@x.vn\r\nBcc: e@x.vn",
            "a@@x.vn",
            "<a@x.vn>",
        ] {
            assert!(!is_plausible_email(bad), "{bad:?}");
        }
    }

    #[test]
    fn phones() {
        assert!(is_plausible_phone("0912 345 678"));
        assert!(is_plausible_phone("+84 912 345 678"));
        assert!(!is_plausible_phone("12345"));
        assert!(!is_plausible_phone("0912345678\r\nX: y"));
    }
}
