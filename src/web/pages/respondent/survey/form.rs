//! Reading a posted step into the draft, and what is still missing or wrong in it.

use chrono::NaiveDate;

use crate::db::responses::Draft;
use crate::domain::contact::contact_errors;
use crate::domain::questionnaire::{ConsentPurpose, ProfileKind, QuestionKind};
use crate::domain::validate::{Field, Scope, validate};
use crate::domain::{Answer, Contact, Definition, ProfileValue, Text};
use crate::web::views::forms::Errors;

use super::*;

/// The first step with something required still missing; the review page when none.
/// `today`: the day the firm answers on (year bounds such as "this year" depend on it).
pub(super) fn next_step(def: &Definition, draft: &Draft, today: NaiveDate) -> String {
    for step in steps(def) {
        if !step_errors(def, draft, &step, today).is_empty() {
            return step;
        }
    }
    "review".into()
}

pub(super) fn step_errors(def: &Definition, draft: &Draft, step: &str, today: NaiveDate) -> Errors {
    let scope = match step {
        STEP_BUSINESS => Scope::Profile,
        STEP_CONTACT => Scope::Consents,
        s => Scope::Section(s),
    };
    let mut errors: Errors = validate(def, &draft.submission, scope, today)
        .into_iter()
        .map(|e| (field_name(&e.field), e.message))
        .collect();
    if step == STEP_CONTACT {
        for e in contact_errors(&draft.contact, &draft.submission.consents) {
            // The first problem per field is the one to fix first.
            errors.entry(field_name(&e.field)).or_insert(e.message);
        }
    }
    errors
}

pub(super) fn field_name(field: &Field) -> String {
    match field {
        Field::Profile(id) | Field::Answer(id) => id.clone(),
        Field::Consent(p) => format!("consent-{}", p.as_str()),
        Field::Contact(name) => (*name).to_string(),
        Field::Other(name) => name.clone(),
    }
}

/// Applies a posted step to the draft; returns values that could not be read, kept for re-display.
pub(super) fn apply_step(def: &Definition, draft: &mut Draft, step: &str, pairs: &Pairs) -> Errors {
    let mut errors = Errors::new();
    match step {
        STEP_BUSINESS => {
            for f in &def.profile {
                draft.submission.profile.remove(&f.id);
                let Some(raw) = pair(pairs, &f.id).map(str::trim).filter(|v| !v.is_empty()) else {
                    continue;
                };
                let value = match f.kind {
                    ProfileKind::Text | ProfileKind::Choice => {
                        Some(ProfileValue::Text(raw.to_string()))
                    }
                    ProfileKind::Boolean => Some(ProfileValue::Bool(raw == "yes")),
                    ProfileKind::Number => parse_whole_number(raw).map(ProfileValue::Number),
                };
                match value {
                    Some(v) => drop(draft.submission.profile.insert(f.id.clone(), v)),
                    None => drop(errors.insert(
                        f.id.clone(),
                        Text::new(
                            "Nhập một số nguyên, ví dụ 12",
                            "Enter a whole number, like 12",
                        ),
                    )),
                }
            }
        }
        STEP_CONTACT => {
            let value = |name: &str| {
                pair(pairs, name)
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            };
            draft.contact = Contact {
                email: value("email"),
                phone: value("phone"),
            };
            draft.submission.consents = ConsentPurpose::ALL
                .into_iter()
                .filter(|p| {
                    def.consents.iter().any(|c| c.purpose == *p)
                        && pair(pairs, &format!("consent-{}", p.as_str())) == Some("yes")
                })
                .collect();
        }
        section => {
            for q in def.section_questions(section) {
                draft.submission.answers.remove(&q.id);
                let values: Vec<String> = pairs
                    .iter()
                    .filter(|(k, _)| k == &q.id)
                    .map(|(_, v)| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .collect();
                if values.is_empty() {
                    continue;
                }
                let answer = match q.kind {
                    QuestionKind::MultipleChoice => Some(Answer::Many(values)),
                    QuestionKind::SingleChoice | QuestionKind::Text => {
                        Some(Answer::One(values[0].clone()))
                    }
                    QuestionKind::Scale | QuestionKind::Number => values[0]
                        .replace(',', ".")
                        .parse::<f64>()
                        .ok()
                        .map(Answer::Number),
                };
                match answer {
                    Some(a) => drop(draft.submission.answers.insert(q.id.clone(), a)),
                    None => drop(errors.insert(
                        q.id.clone(),
                        Text::new("Nhập một số, ví dụ 12", "Enter a number, like 12"),
                    )),
                }
            }
        }
    }
    errors
}

/// "1.200" and "1 200" are twelve hundred to a Vietnamese reader; accept both.
pub(super) fn parse_whole_number(raw: &str) -> Option<f64> {
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' '))
        .collect();
    digits.parse::<u64>().ok().map(|n| n as f64)
}
