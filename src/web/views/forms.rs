//! Form pieces following public-service patterns: a fieldset and legend per option group, the
//! whole row as the tap target, hints under labels, the error next to the field and in a summary
//! at the top that links to it.

use std::collections::BTreeMap;

use maud::{Markup, html};

use crate::domain::questionnaire::{
    ChoiceOption, ProfileField, ProfileKind, Question, QuestionKind,
};
use crate::domain::{Answer, Lang, ProfileValue, Text};
use crate::web::views::layout::t;

/// Error messages by form field name.
pub type Errors = BTreeMap<String, Text>;

/// The anchor of a field: the summary links here and focus lands here.
pub fn field_anchor(name: &str) -> String {
    format!("f-{name}")
}

pub fn error_summary(lang: Lang, errors: &Errors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" tabindex="-1" autofocus aria-labelledby="error-summary-title" {
                h2 #error-summary-title { (t(lang, "Có lỗi cần sửa", "There is a problem")) }
                ul {
                    @for (name, message) in errors {
                        li { a href={ "#" (field_anchor(name)) } { (message.get(lang)) } }
                    }
                }
            }
        }
    }
}

fn field_error(lang: Lang, errors: &Errors, name: &str) -> Markup {
    html! {
        @if let Some(message) = errors.get(name) {
            p.field-error id={ "err-" (name) } { span.visually-hidden { (t(lang, "Lỗi: ", "Error: ")) } (message.get(lang)) }
        }
    }
}

fn described_by(errors: &Errors, name: &str, has_hint: bool) -> Option<String> {
    let mut ids = Vec::new();
    if has_hint {
        ids.push(format!("hint-{name}"));
    }
    if errors.contains_key(name) {
        ids.push(format!("err-{name}"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// A group of radios or checkboxes under one legend.
struct Group<'a> {
    name: &'a str,
    legend: &'a Text,
    hint: Option<&'a Text>,
    options: &'a [ChoiceOption],
    multiple: bool,
    chosen: &'a [String],
    required: bool,
}

fn options_group(lang: Lang, g: Group, errors: &Errors) -> Markup {
    let Group {
        name,
        legend,
        hint,
        options,
        multiple,
        chosen,
        required,
    } = g;
    let kind = if multiple { "checkbox" } else { "radio" };
    html! {
        div.field.(if errors.contains_key(name) { "field-invalid" } else { "" }) {
            fieldset aria-describedby=[described_by(errors, name, hint.is_some())] {
                legend { (legend.get(lang)) @if !required { span.optional { (t(lang, " (không bắt buộc)", " (optional)")) } } }
                @if let Some(hint) = hint { p.hint id={ "hint-" (name) } { (hint.get(lang)) } }
                (field_error(lang, errors, name))
                div.choices {
                    @for (i, o) in options.iter().enumerate() {
                        @let id = if i == 0 { field_anchor(name) } else { format!("{}-{}", field_anchor(name), o.value) };
                        div.choice {
                            input type=(kind) id=(id) name=(name) value=(o.value) checked[chosen.contains(&o.value)];
                            label for=(id) {
                                (o.label.get(lang))
                                @if let Some(h) = &o.hint { span.choice-hint { (h.get(lang)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One question, with the current answer (or what was just typed) filled in.
pub fn question(
    lang: Lang,
    q: &Question,
    answer: Option<&Answer>,
    raw: Option<&str>,
    errors: &Errors,
) -> Markup {
    let chosen: Vec<String> = match answer {
        Some(Answer::One(v)) => vec![v.clone()],
        Some(Answer::Many(v)) => v.clone(),
        Some(Answer::Number(n)) => vec![format!("{n}")],
        None => vec![],
    };
    match q.kind {
        QuestionKind::SingleChoice => options_group(
            lang,
            Group {
                name: &q.id,
                legend: &q.text,
                hint: q.hint.as_ref(),
                options: &q.options,
                multiple: false,
                chosen: &chosen,
                required: q.required,
            },
            errors,
        ),
        QuestionKind::MultipleChoice => {
            let hint = match (&q.hint, q.max_choices) {
                (Some(h), _) => Some(h.clone()),
                (None, Some(n)) => Some(Text::new(
                    format!("Chọn tối đa {n} phương án."),
                    format!("Choose up to {n}."),
                )),
                (None, None) => Some(Text::new(
                    "Chọn tất cả phương án phù hợp.",
                    "Choose all that apply.",
                )),
            };
            options_group(
                lang,
                Group {
                    name: &q.id,
                    legend: &q.text,
                    hint: hint.as_ref(),
                    options: &q.options,
                    multiple: true,
                    chosen: &chosen,
                    required: q.required,
                },
                errors,
            )
        }
        QuestionKind::Scale => {
            let (min, max) = (q.min.unwrap_or(1.0) as i64, q.max.unwrap_or(5.0) as i64);
            let options: Vec<ChoiceOption> = (min..=max)
                .map(|v| {
                    let label = if v == min {
                        q.min_label.as_ref().map_or_else(
                            || Text::new(v.to_string(), v.to_string()),
                            |l| Text::new(format!("{v} – {}", l.vi), format!("{v} – {}", l.en)),
                        )
                    } else if v == max {
                        q.max_label.as_ref().map_or_else(
                            || Text::new(v.to_string(), v.to_string()),
                            |l| Text::new(format!("{v} – {}", l.vi), format!("{v} – {}", l.en)),
                        )
                    } else {
                        Text::new(v.to_string(), v.to_string())
                    };
                    ChoiceOption {
                        value: v.to_string(),
                        label,
                        hint: None,
                        points: None,
                        not_applicable: false,
                        exclusive: false,
                    }
                })
                .collect();
            options_group(
                lang,
                Group {
                    name: &q.id,
                    legend: &q.text,
                    hint: q.hint.as_ref(),
                    options: &options,
                    multiple: false,
                    chosen: &chosen,
                    required: q.required,
                },
                errors,
            )
        }
        QuestionKind::Number | QuestionKind::Text => {
            let value = raw
                .map(str::to_string)
                .or_else(|| chosen.first().cloned())
                .unwrap_or_default();
            text_input(
                lang,
                &q.id,
                &q.text,
                q.hint.as_ref(),
                &value,
                q.kind == QuestionKind::Number,
                q.required,
                errors,
                q.max_length,
            )
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "a form field takes its label, hint, error and value; a struct would only rename them"
)]
fn text_input(
    lang: Lang,
    name: &str,
    label: &Text,
    hint: Option<&Text>,
    value: &str,
    numeric: bool,
    required: bool,
    errors: &Errors,
    max_length: usize,
) -> Markup {
    let id = field_anchor(name);
    html! {
        div.field.(if errors.contains_key(name) { "field-invalid" } else { "" }) {
            label.label for=(id) { (label.get(lang)) @if !required { span.optional { (t(lang, " (không bắt buộc)", " (optional)")) } } }
            @if let Some(hint) = hint { p.hint id={ "hint-" (name) } { (hint.get(lang)) } }
            (field_error(lang, errors, name))
            @if numeric {
                input.input.input-short type="text" inputmode="numeric" id=(id) name=(name) value=(value)
                    aria-describedby=[described_by(errors, name, hint.is_some())] autocomplete="off";
            } @else {
                input.input type="text" id=(id) name=(name) value=(value) maxlength=(max_length)
                    aria-describedby=[described_by(errors, name, hint.is_some())];
            }
        }
    }
}

/// A profile field: a select for long lists (provinces), radios for short ones.
pub fn profile_field(
    lang: Lang,
    f: &ProfileField,
    value: Option<&ProfileValue>,
    raw: Option<&str>,
    errors: &Errors,
) -> Markup {
    let current = match value {
        Some(ProfileValue::Text(s)) => s.clone(),
        Some(ProfileValue::Number(n)) => format!("{n}"),
        Some(ProfileValue::Bool(true)) => "yes".into(),
        Some(ProfileValue::Bool(false)) => "no".into(),
        None => String::new(),
    };
    match f.kind {
        ProfileKind::Choice if f.options.len() > 8 => {
            let id = field_anchor(&f.id);
            html! {
                div.field.(if errors.contains_key(&f.id) { "field-invalid" } else { "" }) {
                    label.label for=(id) { (f.label.get(lang)) @if !f.required { span.optional { (t(lang, " (không bắt buộc)", " (optional)")) } } }
                    @if let Some(hint) = &f.hint { p.hint id={ "hint-" (f.id) } { (hint.get(lang)) } }
                    (field_error(lang, errors, &f.id))
                    select.select id=(id) name=(f.id) aria-describedby=[described_by(errors, &f.id, f.hint.is_some())] {
                        option value="" { (t(lang, "— Chọn —", "— Choose —")) }
                        @for o in &f.options {
                            option value=(o.value) selected[o.value == current] { (o.label.get(lang)) }
                        }
                    }
                }
            }
        }
        ProfileKind::Choice => options_group(
            lang,
            Group {
                name: &f.id,
                legend: &f.label,
                hint: f.hint.as_ref(),
                options: &f.options,
                multiple: false,
                chosen: &[current],
                required: f.required,
            },
            errors,
        ),
        ProfileKind::Boolean => {
            let options = [
                ChoiceOption {
                    value: "yes".into(),
                    label: Text::new("Có", "Yes"),
                    hint: None,
                    points: None,
                    not_applicable: false,
                    exclusive: false,
                },
                ChoiceOption {
                    value: "no".into(),
                    label: Text::new("Không", "No"),
                    hint: None,
                    points: None,
                    not_applicable: false,
                    exclusive: false,
                },
            ];
            options_group(
                lang,
                Group {
                    name: &f.id,
                    legend: &f.label,
                    hint: f.hint.as_ref(),
                    options: &options,
                    multiple: false,
                    chosen: &[current],
                    required: f.required,
                },
                errors,
            )
        }
        ProfileKind::Number | ProfileKind::Text => {
            let value = raw.map_or(current, str::to_string);
            text_input(
                lang,
                &f.id,
                &f.label,
                f.hint.as_ref(),
                &value,
                f.kind == ProfileKind::Number,
                f.required,
                errors,
                f.max_length,
            )
        }
    }
}
