//! What the questionnaire pages show: progress, a step's form, the review page.

use axum_extra::extract::CookieJar;
use maud::{Markup, html};

use crate::db::responses::Draft;
use crate::db::tokens::looks_like_token;
use crate::domain::facts::Facts;
use crate::domain::{Answer, Definition, Lang, ProfileValue, Text};
use crate::web::views::forms::{self, Errors};
use crate::web::views::layout::{page_with, t};

use super::*;

pub(super) fn progress(lang: Lang, def: &Definition, index: usize, total: usize) -> Markup {
    let remaining =
        ((total - index) as f64 / total as f64 * f64::from(def.estimated_minutes)).ceil() as u32;
    let percent = index * 100 / total;
    html! {
        div.progress {
            p.progress-text {
                (t(lang, "Phần ", "Part ")) (index + 1) "/" (total + 1)
                " · " (t(lang, "còn khoảng ", "about ")) (remaining.max(1)) (t(lang, " phút", " min left"))
            }
            div.progress-bar role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=(percent)
                aria-label=(t(lang, "Tiến độ", "Progress")) {
                div.progress-fill.(format!("w{}", percent / 5 * 5)) {}
            }
        }
    }
}

pub(super) fn render_step(
    lang: Lang,
    def: &Definition,
    draft: &Draft,
    step: &str,
    csrf: &str,
    errors: &Errors,
    raw: &Pairs,
) -> Markup {
    let all = steps(def);
    let index = all.iter().position(|s| s == step).unwrap_or(0);
    let back = if index == 0 {
        format!("/s/{}", def.id)
    } else {
        format!("/s/{}/step/{}", def.id, all[index - 1])
    };
    let title = step_title(def, step);
    let page_title = if errors.is_empty() {
        title.get(lang).to_string()
    } else {
        format!("{}{}", t(lang, "Lỗi: ", "Error: "), title.get(lang))
    };
    let facts = Facts::new(def, &draft.submission);
    page_with(
        lang,
        &page_title,
        &format!("/s/{}/step/{step}", def.id),
        None,
        html! {
            a.back-link href=(back) { "← " (t(lang, "Quay lại", "Back")) }
            (progress(lang, def, index, all.len()))
            (forms::error_summary(lang, errors))
            h1 { (title.get(lang)) }
            @if let Some(intro) = def.sections.iter().find(|s| s.id == step).and_then(|s| s.intro.as_ref()) { p.lead { (intro.get(lang)) } }
            form method="post" action={ "/s/" (def.id) "/step/" (step) } novalidate {
                input type="hidden" name="csrf_token" value=(csrf);
                @match step {
                    STEP_BUSINESS => {
                        @for f in &def.profile {
                            (forms::profile_field(lang, f, draft.submission.profile.get(&f.id), pair(raw, &f.id), errors))
                        }
                    }
                    STEP_CONTACT => { (contact_fields(lang, def, draft, errors)) }
                    section => {
                        @for q in def.section_questions(section).filter(|q| facts.is_relevant(&q.id)) {
                            (forms::question(lang, q, draft.submission.answers.get(&q.id), pair(raw, &q.id), errors))
                        }
                    }
                }
                div.actions {
                    button.button type="submit" name="action" value="continue" { (t(lang, "Tiếp tục", "Continue")) }
                    button.button-link type="submit" name="action" value="save" { (t(lang, "Lưu và làm tiếp sau", "Save and finish later")) }
                }
            }
        },
    )
}

pub(super) fn contact_fields(
    lang: Lang,
    def: &Definition,
    draft: &Draft,
    errors: &Errors,
) -> Markup {
    let text_field = |name: &str,
                      label: &Text,
                      hint: &Text,
                      value: &Option<String>,
                      kind: &str,
                      autocomplete: &str| {
        let id = forms::field_anchor(name);
        html! {
            div.field.(if errors.contains_key(name) { "field-invalid" } else { "" }) {
                label.label for=(id) { (label.get(lang)) span.optional { (t(lang, " (không bắt buộc)", " (optional)")) } }
                p.hint id={ "hint-" (name) } { (hint.get(lang)) }
                @if let Some(m) = errors.get(name) { p.field-error id={ "err-" (name) } { (m.get(lang)) } }
                input.input type=(kind) id=(id) name=(name) value=(value.clone().unwrap_or_default()) autocomplete=(autocomplete)
                    aria-describedby={ "hint-" (name) @if errors.contains_key(name) { " err-" (name) } };
            }
        }
    };
    html! {
        (text_field("email", &Text::new("E-mail", "E-mail"), &Text::new("Để nhận lộ trình và đường liên kết làm tiếp.", "To receive your roadmap and your resume link."), &draft.contact.email, "email", "email"))
        (text_field("phone", &Text::new("Số điện thoại", "Phone number"), &Text::new("Chỉ dùng nếu bạn đồng ý để tổ chức hỗ trợ liên hệ.", "Used only if you agree that a support agency may contact you."), &draft.contact.phone, "tel", "tel"))
        fieldset.field {
            legend { (t(lang, "Bạn đồng ý cho chúng tôi sử dụng dữ liệu vào những việc nào?", "What may we use your data for?")) }
            p.hint { (t(lang, "Mỗi mục là một lựa chọn riêng. Chỉ mục đầu tiên là bắt buộc để tính kết quả. Bạn có thể rút lại đồng ý bất cứ lúc nào.", "Each box is a separate choice. Only the first is needed to compute your result. You can withdraw any time.")) }
            @for c in &def.consents {
                @let name = format!("consent-{}", c.purpose.as_str());
                @if let Some(m) = errors.get(&name) { p.field-error id={ "err-" (name) } { (m.get(lang)) } }
                div.choice {
                    input type="checkbox" id=(forms::field_anchor(&name)) name=(name) value="yes" checked[draft.submission.consents.contains(&c.purpose)];
                    label for=(forms::field_anchor(&name)) {
                        (c.text.get(lang))
                        @if c.required { span.required-tag { (t(lang, " (bắt buộc)", " (required)")) } }
                        @if let Some(h) = &c.hint { span.choice-hint { (h.get(lang)) } }
                    }
                }
            }
        }
    }
}

pub(super) fn already_submitted(lang: Lang, jar: &CookieJar) -> Markup {
    let result = jar
        .get(RESULT_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|t| looks_like_token(t));
    page_with(
        lang,
        t(lang, "Đã gửi", "Already submitted"),
        "",
        None,
        html! {
            h1 { (t(lang, "Bài đánh giá này đã được gửi", "This assessment was already submitted")) }
            @if let Some(token) = result {
                p { a.button href={ "/r/" (token) } { (t(lang, "Xem kết quả", "See the result")) } }
            } @else {
                p { (t(lang, "Kết quả nằm ở đường liên kết đã hiện sau khi gửi và trong e-mail (nếu bạn đã đồng ý nhận).", "The result is at the link shown after submitting, and in the e-mail if you asked for it.")) }
            }
        },
    )
}

pub(super) fn answer_text(lang: Lang, def: &Definition, draft: &Draft, qid: &str) -> String {
    let Some(q) = def.question(qid) else {
        return String::new();
    };
    match draft.submission.answers.get(qid) {
        None => t(lang, "Chưa trả lời", "Not answered").to_string(),
        Some(Answer::One(v)) => q
            .option(v)
            .map_or_else(|| v.clone(), |o| o.label.get(lang).to_string()),
        Some(Answer::Many(vs)) => vs
            .iter()
            .filter_map(|v| q.option(v))
            .map(|o| o.label.get(lang))
            .collect::<Vec<_>>()
            .join("; "),
        Some(Answer::Number(n)) => format!("{n}"),
    }
}

pub(super) fn profile_text(lang: Lang, def: &Definition, draft: &Draft, fid: &str) -> String {
    let Some(f) = def.profile_field(fid) else {
        return String::new();
    };
    match draft.submission.profile.get(fid) {
        None => "—".into(),
        Some(ProfileValue::Text(v)) => f
            .options
            .iter()
            .find(|o| &o.value == v)
            .map_or_else(|| v.clone(), |o| o.label.get(lang).to_string()),
        Some(ProfileValue::Number(n)) => format!("{n}"),
        Some(ProfileValue::Bool(b)) => (if *b {
            t(lang, "Có", "Yes")
        } else {
            t(lang, "Không", "No")
        })
        .to_string(),
    }
}

pub(super) fn render_review(
    lang: Lang,
    def: &Definition,
    draft: &Draft,
    csrf: &str,
    errors: &Errors,
) -> Markup {
    let facts = Facts::new(def, &draft.submission);
    let change = |step: &str, field: &str| {
        format!("/s/{}/step/{step}#{}", def.id, forms::field_anchor(field))
    };
    let title = t(lang, "Kiểm tra câu trả lời", "Check your answers");
    page_with(
        lang,
        &if errors.is_empty() {
            title.to_string()
        } else {
            format!("{}{title}", t(lang, "Lỗi: ", "Error: "))
        },
        &format!("/s/{}/review", def.id),
        None,
        html! {
            a.back-link href={ "/s/" (def.id) "/step/" (STEP_CONTACT) } { "← " (t(lang, "Quay lại", "Back")) }
            @if !errors.is_empty() {
                div.error-summary role="alert" tabindex="-1" {
                    h2 { (t(lang, "Có lỗi cần sửa", "There is a problem")) }
                    ul { @for (step, message) in errors { li { a href={ "/s/" (def.id) "/step/" (step) } { (message.get(lang)) } } } }
                }
            }
            h1 { (title) }
            h2 { (t(lang, "Thông tin doanh nghiệp", "About your business")) }
            dl.summary-list {
                @for f in &def.profile {
                    div.summary-row {
                        dt { (f.label.get(lang)) }
                        dd { (profile_text(lang, def, draft, &f.id)) }
                        dd.summary-action { a href=(change(STEP_BUSINESS, &f.id)) { (t(lang, "Thay đổi", "Change")) span.visually-hidden { " " (f.label.get(lang)) } } }
                    }
                }
            }
            @for s in &def.sections {
                h2 { (s.title.get(lang)) }
                dl.summary-list {
                    @for q in def.section_questions(&s.id).filter(|q| facts.is_relevant(&q.id)) {
                        div.summary-row {
                            dt { (q.text.get(lang)) }
                            dd { (answer_text(lang, def, draft, &q.id)) }
                            dd.summary-action { a href=(change(&s.id, &q.id)) { (t(lang, "Thay đổi", "Change")) span.visually-hidden { " " (q.text.get(lang)) } } }
                        }
                    }
                }
            }
            h2 { (t(lang, "Liên hệ và đồng ý", "Contact and consent")) }
            dl.summary-list {
                div.summary-row { dt { "E-mail" } dd { (draft.contact.email.clone().unwrap_or_else(|| "—".into())) } dd.summary-action { a href=(change(STEP_CONTACT, "email")) { (t(lang, "Thay đổi", "Change")) } } }
                div.summary-row { dt { (t(lang, "Số điện thoại", "Phone")) } dd { (draft.contact.phone.clone().unwrap_or_else(|| "—".into())) } dd.summary-action { a href=(change(STEP_CONTACT, "phone")) { (t(lang, "Thay đổi", "Change")) } } }
                @for c in &def.consents {
                    div.summary-row {
                        dt { (c.text.get(lang)) }
                        dd { @if draft.submission.consents.contains(&c.purpose) { (t(lang, "Đồng ý", "Yes")) } @else { (t(lang, "Không", "No")) } }
                        dd.summary-action { a href=(change(STEP_CONTACT, &format!("consent-{}", c.purpose.as_str()))) { (t(lang, "Thay đổi", "Change")) } }
                    }
                }
            }
            form method="post" action={ "/s/" (def.id) "/submit" } {
                input type="hidden" name="csrf_token" value=(csrf);
                button.button.button-start type="submit" { (t(lang, "Gửi và xem kết quả", "Submit and see my result")) }
            }
        },
    )
}
