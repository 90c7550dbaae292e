//! Checking a submission against its definition: every bad field is named with a message that
//! says how to fix it, in both languages. Pages check one section at a time; the API and the
//! final submit check everything.

use std::collections::HashSet;

use chrono::NaiveDate;

use crate::domain::Text;
use crate::domain::answers::{Answer, ProfileValue, Submission};
use crate::domain::facts::Facts;
use crate::domain::questionnaire::{
    ConsentPurpose, Definition, ProfileKind, Question, QuestionKind,
};

/// Default limit for free text when a question or field sets none.
pub const DEFAULT_MAX_TEXT: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Profile(String),
    Answer(String),
    Consent(ConsentPurpose),
    /// How to reach the firm: `email` or `phone`.
    Contact(&'static str),
    /// A field outside the questionnaire (`contact.email`, `lang`), named as the API names it.
    Other(String),
}

impl Field {
    /// The name used in API error bodies: `business.province`, `answers.q19`, `contact.consent_email`.
    pub fn api_name(&self) -> String {
        match self {
            Field::Profile(id) => format!("business.{id}"),
            Field::Answer(id) => format!("answers.{id}"),
            Field::Consent(p) => format!("consents.{}", p.as_str()),
            Field::Contact(name) => format!("contact.{name}"),
            Field::Other(name) => name.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: Field,
    pub message: Text,
}

/// What to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    Everything,
    Profile,
    Section(&'a str),
    Consents,
}

fn err(field: Field, vi: impl Into<String>, en: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: Text::new(vi, en),
    }
}

/// Checks `sub` within `scope` as of `today` (bounds such as "at most this year" depend on it).
/// An empty list means it is valid.
pub fn validate(
    def: &Definition,
    sub: &Submission,
    scope: Scope,
    today: NaiveDate,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if matches!(scope, Scope::Everything | Scope::Profile) {
        validate_profile(def, sub, today, &mut errors);
    }
    if !matches!(scope, Scope::Profile | Scope::Consents) {
        let facts = Facts::new(def, sub);
        for id in sub.answers.keys() {
            if def.question(id).is_none() {
                errors.push(err(
                    Field::Answer(id.clone()),
                    "Câu hỏi này không có trong bảng hỏi",
                    "There is no such question in this questionnaire",
                ));
            }
        }
        for q in &def.questions {
            if let Scope::Section(s) = scope
                && q.section != s
            {
                continue;
            }
            if !facts.is_relevant(&q.id) {
                continue; // ignored, neither stored nor scored
            }
            match sub.answers.get(&q.id) {
                None => {
                    if q.required {
                        errors.push(missing_answer(q));
                    }
                }
                Some(answer) => {
                    if let Some(e) = check_answer(q, answer) {
                        errors.push(e);
                    }
                }
            }
        }
    }
    if matches!(scope, Scope::Everything | Scope::Consents) {
        for c in def.consents.iter().filter(|c| c.required) {
            if !sub.consents.contains(&c.purpose) {
                errors.push(err(
                    Field::Consent(c.purpose),
                    "Cần đồng ý để chúng tôi xử lý câu trả lời và lập báo cáo cho Anh/Chị",
                    "We need your agreement to process your answers and produce your report",
                ));
            }
        }
    }
    errors
}

/// The submission with answers to irrelevant questions removed and text trimmed: what is stored.
pub fn clean(def: &Definition, sub: &Submission) -> Submission {
    let facts = Facts::new(def, sub);
    let answers = sub
        .answers
        .iter()
        .filter(|(id, _)| facts.is_relevant(id))
        .map(|(id, a)| {
            let a = match a {
                Answer::One(s) => Answer::One(s.trim().to_string()),
                other => other.clone(),
            };
            (id.clone(), a)
        })
        .collect();
    let profile = sub
        .profile
        .iter()
        .map(|(k, v)| {
            let v = match v {
                ProfileValue::Text(s) => ProfileValue::Text(s.trim().to_string()),
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect();
    Submission {
        profile,
        answers,
        consents: sub.consents.clone(),
    }
}

fn missing_answer(q: &Question) -> FieldError {
    let message = q.error.clone().unwrap_or_else(|| match q.kind {
        QuestionKind::SingleChoice | QuestionKind::Scale => {
            Text::new("Hãy chọn một phương án", "Choose one answer")
        }
        QuestionKind::MultipleChoice => Text::new(
            "Hãy chọn ít nhất một phương án",
            "Choose at least one answer",
        ),
        QuestionKind::Number => Text::new("Hãy nhập một số", "Enter a number"),
        QuestionKind::Text => Text::new("Hãy nhập câu trả lời", "Enter an answer"),
    });
    FieldError {
        field: Field::Answer(q.id.clone()),
        message,
    }
}

fn check_answer(q: &Question, answer: &Answer) -> Option<FieldError> {
    let field = Field::Answer(q.id.clone());
    let options: Vec<&str> = q.options.iter().map(|o| o.value.as_str()).collect();
    match (q.kind, answer) {
        (QuestionKind::SingleChoice, Answer::One(v)) => {
            (!options.contains(&v.as_str())).then(|| {
                err(
                    field,
                    format!("'{v}' không phải là một phương án của câu này"),
                    format!("'{v}' is not one of this question's options"),
                )
            })
        }
        (QuestionKind::MultipleChoice, Answer::Many(values)) => {
            if values.is_empty() {
                return q.required.then(|| missing_answer(q));
            }
            if let Some(bad) = values.iter().find(|v| !options.contains(&v.as_str())) {
                return Some(err(
                    field,
                    format!("'{bad}' không phải là một phương án của câu này"),
                    format!("'{bad}' is not one of this question's options"),
                ));
            }
            let distinct: HashSet<_> = values.iter().collect();
            if distinct.len() != values.len() {
                return Some(err(
                    field,
                    "Mỗi phương án chỉ chọn một lần",
                    "Choose each option only once",
                ));
            }
            if values.len() > 1
                && let Some(ex) = values
                    .iter()
                    .filter_map(|v| q.option(v))
                    .find(|o| o.exclusive || o.not_applicable)
            {
                return Some(err(
                    field,
                    format!("“{}” không chọn cùng các phương án khác", ex.label.vi),
                    format!("“{}” cannot be combined with other options", ex.label.en),
                ));
            }
            if let Some(max) = q.max_choices
                && values.len() > max
            {
                return Some(err(
                    field,
                    format!("Chọn tối đa {max} phương án"),
                    format!("Choose at most {max} options"),
                ));
            }
            None
        }
        (QuestionKind::Scale, Answer::Number(n)) => {
            let (min, max) = (q.min.unwrap_or(0.0), q.max.unwrap_or(0.0));
            (n.fract() != 0.0 || *n < min || *n > max).then(|| {
                err(
                    field,
                    format!("Chọn một số nguyên từ {min} đến {max}"),
                    format!("Choose a whole number from {min} to {max}"),
                )
            })
        }
        (QuestionKind::Number, Answer::Number(n)) => {
            let below = q.min.is_some_and(|m| *n < m);
            let above = q.max.is_some_and(|m| *n > m);
            (below || above || !n.is_finite()).then(|| {
                let (lo, hi) = (
                    q.min.map_or("…".into(), |m| m.to_string()),
                    q.max.map_or("…".into(), |m| m.to_string()),
                );
                err(
                    field,
                    format!("Nhập một số từ {lo} đến {hi}"),
                    format!("Enter a number from {lo} to {hi}"),
                )
            })
        }
        (QuestionKind::Text, Answer::One(s)) => {
            if s.trim().is_empty() && q.required {
                Some(missing_answer(q))
            } else if s.chars().any(|c| {
                super::answers::is_hidden_or_control(c) && !matches!(c, '\n' | '\r' | '\t')
            }) {
                // A free answer may run over lines; nothing else hidden.
                Some(err(
                    field,
                    "Xoá các ký tự ẩn hoặc ký tự điều khiển",
                    "Remove hidden or control characters",
                ))
            } else {
                (s.chars().count() > q.max_length).then(|| {
                    err(
                        field,
                        format!("Viết ngắn hơn, tối đa {} ký tự", q.max_length),
                        format!("Keep it under {} characters", q.max_length),
                    )
                })
            }
        }
        (kind, _) => Some(err(
            field,
            "Câu trả lời không đúng dạng của câu hỏi",
            format!(
                "This answer has the wrong shape for a {} question",
                kind.as_str()
            ),
        )),
    }
}

fn validate_profile(
    def: &Definition,
    sub: &Submission,
    today: NaiveDate,
    errors: &mut Vec<FieldError>,
) {
    for id in sub.profile.keys() {
        if def.profile_field(id).is_none() {
            errors.push(err(
                Field::Profile(id.clone()),
                "Mục này không có trong hồ sơ doanh nghiệp",
                "There is no such business profile field",
            ));
        }
    }
    for f in &def.profile {
        let field = Field::Profile(f.id.clone());
        let value = sub.profile.get(&f.id);
        let empty = match value {
            None => true,
            Some(ProfileValue::Text(s)) => s.trim().is_empty(),
            _ => false,
        };
        if empty {
            if f.required {
                let message = match f.kind {
                    ProfileKind::Choice => Text::new(
                        format!("Hãy chọn: {}", f.label.vi),
                        format!("Choose: {}", f.label.en),
                    ),
                    _ => Text::new(
                        format!("Hãy điền: {}", f.label.vi),
                        format!("Enter: {}", f.label.en),
                    ),
                };
                errors.push(FieldError { field, message });
            }
            continue;
        }
        let Some(value) = value else { continue };
        let problem = match (f.kind, value) {
            (ProfileKind::Choice, ProfileValue::Text(v)) => {
                let outside = f.within.as_ref().and_then(|(parent, of)| {
                    let chosen = sub.profile_str(parent)?;
                    let belongs = of.get(v)?;
                    (belongs != chosen).then_some(parent)
                });
                if !f.options.iter().any(|o| &o.value == v) {
                    Some(err(
                        field.clone(),
                        format!("'{v}' không có trong danh sách: {}", f.label.vi),
                        format!("'{v}' is not in the list: {}", f.label.en),
                    ))
                } else if outside.is_some() {
                    Some(err(
                        field.clone(),
                        format!("{} không thuộc tỉnh/thành phố đã chọn", f.label.vi),
                        format!("{}: not in the chosen province", f.label.en),
                    ))
                } else {
                    None
                }
            }
            (ProfileKind::Text, ProfileValue::Text(v))
                if super::answers::has_hidden_or_control(v) =>
            {
                Some(err(
                    field.clone(),
                    format!("Xoá các ký tự ẩn hoặc ký tự điều khiển: {}", f.label.vi),
                    format!("Remove hidden or control characters: {}", f.label.en),
                ))
            }
            (ProfileKind::Text, ProfileValue::Text(v)) => {
                (v.chars().count() > f.max_length).then(|| {
                    err(
                        field.clone(),
                        format!("Viết ngắn hơn, tối đa {} ký tự", f.max_length),
                        format!("Keep it under {} characters", f.max_length),
                    )
                })
            }
            (ProfileKind::Number, ProfileValue::Number(n)) => {
                let (min, max) = f.bounds_on(today);
                let bad = !n.is_finite()
                    || n.fract() != 0.0
                    || min.is_some_and(|m| *n < m)
                    || max.is_some_and(|m| *n > m);
                bad.then(|| {
                    let (lo, hi) = (
                        min.map_or("…".into(), |m| m.to_string()),
                        max.map_or("…".into(), |m| m.to_string()),
                    );
                    err(
                        field.clone(),
                        format!("Nhập một số nguyên từ {lo} đến {hi}"),
                        format!("Enter a whole number from {lo} to {hi}"),
                    )
                })
            }
            (ProfileKind::Boolean, ProfileValue::Bool(_)) => None,
            _ => Some(err(
                field.clone(),
                "Giá trị không đúng dạng",
                "This value has the wrong type",
            )),
        };
        errors.extend(problem);
    }
}
