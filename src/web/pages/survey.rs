//! The questionnaire as pages: start, one step per page (business profile, each section, contact
//! and consent), check your answers, submit. Every step is saved on the server; the browser keeps
//! only the resume token in a cookie, and the resume link brings the draft to any device.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;
use axum_extra::extract::{CookieJar, Form};
use maud::{Markup, html};

use crate::db::responses::{self, Draft};
use crate::db::tokens::looks_like_token;
use crate::domain::answers::{is_plausible_email, is_plausible_phone};
use crate::domain::facts::Facts;
use crate::domain::questionnaire::{ConsentPurpose, ProfileKind, QuestionKind};
use crate::domain::validate::{Field, Scope, validate};
use crate::domain::{Answer, Contact, Definition, Lang, ProfileValue, Text};
use crate::web::lang::PageLang;
use crate::web::submit::submit_response;
use crate::web::views::forms::{self, Errors};
use crate::web::views::layout::{page_with, t};
use crate::web::{AppError, AppResult, AppState};

pub const RESUME_COOKIE: &str = "dxready_resume";
pub const RESULT_COOKIE: &str = "dxready_result";

pub const STEP_BUSINESS: &str = "business";
pub const STEP_CONTACT: &str = "contact";

type Pairs = Vec<(String, String)>;

/// The pages in order: the business profile, each section, then contact and consent.
pub fn steps(def: &Definition) -> Vec<String> {
    let mut steps = vec![STEP_BUSINESS.to_string()];
    steps.extend(def.sections.iter().map(|s| s.id.clone()));
    steps.push(STEP_CONTACT.to_string());
    steps
}

fn step_title(def: &Definition, step: &str) -> Text {
    match step {
        STEP_BUSINESS => Text::new("Thông tin doanh nghiệp", "About your business"),
        STEP_CONTACT => Text::new("Liên hệ và đồng ý", "Contact and consent"),
        s => def
            .sections
            .iter()
            .find(|x| x.id == s)
            .map(|x| x.title.clone())
            .unwrap_or_default(),
    }
}

fn definition(state: &AppState, id: &str) -> AppResult<Arc<Definition>> {
    state.questionnaires.latest_of(id).ok_or(AppError::NotFound)
}

fn cookie(name: &str, value: &str, max_age: i64, https: bool) -> HeaderValue {
    let secure = if https { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The draft this browser is working on, if its resume cookie points at one of `def`.
async fn current_draft(
    state: &AppState,
    jar: &CookieJar,
    def: &Definition,
) -> AppResult<Option<(Draft, String)>> {
    let Some(token) = jar.get(RESUME_COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    if !looks_like_token(&token) {
        return Ok(None);
    }
    Ok(responses::find_by_resume_token(&state.db, &token)
        .await?
        .filter(|d| d.questionnaire_id == def.id)
        .map(|d| (d, token)))
}

fn progress(lang: Lang, def: &Definition, index: usize, total: usize) -> Markup {
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

/// `GET /s/{id}`: what to expect, and the start button.
pub async fn start_page(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    jar: CookieJar,
    csrf: CsrfToken,
) -> AppResult<Response> {
    let def = definition(&state, &id)?;
    let draft = current_draft(&state, &jar, &def)
        .await?
        .filter(|(d, _)| !d.submitted);
    let token = csrf
        .authenticity_token()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csrf: {e:?}")))?;
    let markup = page_with(
        lang,
        def.title.get(lang),
        &format!("/s/{id}"),
        None,
        html! {
            h1 { (def.title.get(lang)) }
            p.lead { (def.intro.get(lang)) }
            p { (t(lang, "Khoảng ", "About ")) (def.estimated_minutes) (t(lang, " phút · ", " minutes · ")) (steps(&def).len()) (t(lang, " phần ngắn · lưu sau mỗi trang", " short parts · saved after every page")) }
            @if let Some((draft, _)) = &draft {
                p { (t(lang, "Bạn đang làm dở bài đánh giá này.", "You have an assessment in progress.")) }
                a.button href={ "/s/" (id) "/step/" (next_step(&def, draft)) } { (t(lang, "Tiếp tục", "Continue")) }
            }
            form method="post" action={ "/s/" (id) "/start" } {
                input type="hidden" name="csrf_token" value=(token);
                button.button.(if draft.is_some() { "button-secondary" } else { "button-start" }) type="submit" {
                    @if draft.is_some() { (t(lang, "Bắt đầu bài mới", "Start a new one")) } @else { (t(lang, "Bắt đầu", "Start")) " →" }
                }
            }
        },
    );
    Ok((csrf, markup).into_response())
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    csrf_token: String,
}

fn check_csrf(csrf: &CsrfToken, token: Option<&str>) -> AppResult<()> {
    match token {
        Some(t) if csrf.verify(t).is_ok() => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

fn pair<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `POST /s/{id}/start`: a new draft, its resume token in a cookie.
pub async fn start(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    csrf: CsrfToken,
    Form(form): Form<CsrfForm>,
) -> AppResult<Response> {
    check_csrf(&csrf, Some(&form.csrf_token))?;
    let def = definition(&state, &id)?;
    let (_, token) = responses::create_draft(&state.db, &def, lang).await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        SET_COOKIE,
        cookie(RESUME_COOKIE, &token, 60 * 60 * 24 * 60, state.is_https()),
    );
    Ok((
        headers,
        Redirect::to(&format!("/s/{id}/step/{STEP_BUSINESS}")),
    )
        .into_response())
}

/// The first step with something required still missing; the review page when none.
fn next_step(def: &Definition, draft: &Draft) -> String {
    for step in steps(def) {
        if !step_errors(def, draft, &step).is_empty() {
            return step;
        }
    }
    "review".into()
}

fn step_errors(def: &Definition, draft: &Draft, step: &str) -> Errors {
    let scope = match step {
        STEP_BUSINESS => Scope::Profile,
        STEP_CONTACT => Scope::Consents,
        s => Scope::Section(s),
    };
    let today = chrono::Utc::now().date_naive();
    let mut errors: Errors = validate(def, &draft.submission, scope, today)
        .into_iter()
        .map(|e| (field_name(&e.field), e.message))
        .collect();
    if step == STEP_CONTACT {
        errors.extend(contact_errors(&draft.contact, &draft.submission.consents));
    }
    errors
}

fn field_name(field: &Field) -> String {
    match field {
        Field::Profile(id) | Field::Answer(id) => id.clone(),
        Field::Consent(p) => format!("consent-{}", p.as_str()),
        Field::Other(name) => name.clone(),
    }
}

fn contact_errors(
    contact: &Contact,
    consents: &std::collections::BTreeSet<ConsentPurpose>,
) -> Errors {
    let mut errors = Errors::new();
    if let Some(e) = &contact.email
        && !is_plausible_email(e)
    {
        errors.insert(
            "email".into(),
            Text::new(
                "Nhập e-mail đúng dạng, ví dụ ten@congty.vn",
                "Enter an e-mail address in the right format, like name@company.vn",
            ),
        );
    }
    if let Some(p) = &contact.phone
        && !is_plausible_phone(p)
    {
        errors.insert(
            "phone".into(),
            Text::new(
                "Nhập số điện thoại đúng dạng, ví dụ 0912 345 678",
                "Enter a phone number like 0912 345 678",
            ),
        );
    }
    if consents.contains(&ConsentPurpose::EmailReport) && contact.email.is_none() {
        errors.insert(
            "email".into(),
            Text::new(
                "Nhập e-mail để chúng tôi gửi lộ trình cho bạn",
                "Enter your e-mail so we can send you the roadmap",
            ),
        );
    }
    if consents.contains(&ConsentPurpose::Followup)
        && contact.email.is_none()
        && contact.phone.is_none()
    {
        errors.insert(
            "phone".into(),
            Text::new(
                "Nhập e-mail hoặc số điện thoại để tổ chức hỗ trợ liên hệ với bạn",
                "Enter an e-mail or phone number so a support agency can reach you",
            ),
        );
    }
    errors
}

/// `GET /s/{id}/step/{step}`
pub async fn show_step(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path((id, step)): Path<(String, String)>,
    jar: CookieJar,
    csrf: CsrfToken,
) -> AppResult<Response> {
    let def = definition(&state, &id)?;
    let Some((draft, _)) = current_draft(&state, &jar, &def).await? else {
        return Ok(Redirect::to(&format!("/s/{id}")).into_response());
    };
    if draft.submitted {
        return Ok(already_submitted(lang, &jar).into_response());
    }
    if !steps(&def).contains(&step) {
        return Err(AppError::NotFound);
    }
    let token = csrf
        .authenticity_token()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csrf: {e:?}")))?;
    let markup = render_step(
        lang,
        &def,
        &draft,
        &step,
        &token,
        &Errors::new(),
        &Pairs::new(),
    );
    Ok((csrf, markup).into_response())
}

fn render_step(
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

fn contact_fields(lang: Lang, def: &Definition, draft: &Draft, errors: &Errors) -> Markup {
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

/// Applies a posted step to the draft; returns values that could not be read, kept for re-display.
fn apply_step(def: &Definition, draft: &mut Draft, step: &str, pairs: &Pairs) -> Errors {
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
fn parse_whole_number(raw: &str) -> Option<f64> {
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' '))
        .collect();
    digits.parse::<u64>().ok().map(|n| n as f64)
}

/// `POST /s/{id}/step/{step}`: save, then continue (or show the errors, or the resume link).
pub async fn save_step(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path((id, step)): Path<(String, String)>,
    jar: CookieJar,
    csrf: CsrfToken,
    Form(pairs): Form<Pairs>,
) -> AppResult<Response> {
    check_csrf(&csrf, pair(&pairs, "csrf_token"))?;
    let def = definition(&state, &id)?;
    let Some((mut draft, _)) = current_draft(&state, &jar, &def).await? else {
        return Ok(Redirect::to(&format!("/s/{id}")).into_response());
    };
    if draft.submitted {
        return Ok(already_submitted(lang, &jar).into_response());
    }
    let all = steps(&def);
    let Some(index) = all.iter().position(|s| s == &step) else {
        return Err(AppError::NotFound);
    };
    let unreadable = apply_step(&def, &mut draft, &step, &pairs);
    // Keep only what is valid so a tampered value never poisons the draft; what was typed is
    // shown back to the person either way.
    let mut errors = step_errors(&def, &draft, &step);
    for name in errors.keys() {
        draft.submission.answers.remove(name);
        draft.submission.profile.remove(name);
    }
    errors.extend(unreadable);
    if step == STEP_CONTACT {
        if errors.contains_key("email") {
            draft.contact.email = None;
        }
        if errors.contains_key("phone") {
            draft.contact.phone = None;
        }
    }
    responses::save_draft(
        &state.db,
        &def,
        draft.id,
        &draft.submission,
        &draft.contact,
        Some(&step),
    )
    .await?;
    if pair(&pairs, "action") == Some("save") {
        // E-mail the resume link once per "save and finish later", when we know an address.
        let sent = match (
            &draft.contact.email,
            current_draft(&state, &jar, &def).await?,
        ) {
            (Some(to), Some((_, token))) => {
                crate::web::mail::send_resume_link(&state, draft.id, to, lang, &token).await?
            }
            _ => false,
        };
        return Ok(Redirect::to(&format!(
            "/s/{id}/saved{}",
            if sent { "?sent=1" } else { "" }
        ))
        .into_response());
    }
    if !errors.is_empty() {
        let token = csrf
            .authenticity_token()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("csrf: {e:?}")))?;
        let markup = render_step(lang, &def, &draft, &step, &token, &errors, &pairs);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, markup).into_response());
    }
    let next = all
        .get(index + 1)
        .map_or_else(|| "review".to_string(), Clone::clone);
    let url = if next == "review" {
        format!("/s/{id}/review")
    } else {
        format!("/s/{id}/step/{next}")
    };
    Ok(Redirect::to(&url).into_response())
}

#[derive(serde::Deserialize)]
pub struct SavedQuery {
    sent: Option<u8>,
}

/// `GET /s/{id}/saved`: the resume link, to copy or to find in the e-mail.
pub async fn saved(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    Query(query): Query<SavedQuery>,
    jar: CookieJar,
) -> AppResult<Response> {
    let def = definition(&state, &id)?;
    let Some((draft, token)) = current_draft(&state, &jar, &def).await? else {
        return Ok(Redirect::to(&format!("/s/{id}")).into_response());
    };
    let link = format!("{}/s/resume/{token}", state.base_url);
    let emailed = query.sent.is_some() && draft.contact.email.is_some();
    Ok(page_with(
        lang,
        t(lang, "Đã lưu câu trả lời", "Your answers are saved"),
        &format!("/s/{id}/saved"),
        None,
        html! {
            div.panel {
                h1 { (t(lang, "Đã lưu câu trả lời của bạn", "Your answers are saved")) }
            }
            p { (t(lang, "Dùng đường liên kết này để làm tiếp trên bất kỳ thiết bị nào. Hãy giữ kín: ai có đường liên kết đều xem được câu trả lời.", "Use this link to continue on any device. Keep it private: anyone with the link can see your answers.")) }
            p.resume-link { code { (link) } }
            @if emailed {
                p { (t(lang, "Chúng tôi cũng đã gửi đường liên kết này tới ", "We also sent this link to ")) strong { (draft.contact.email.clone().unwrap_or_default()) } "." }
            }
            a.button href={ "/s/" (id) "/step/" (next_step(&def, &draft)) } { (t(lang, "Làm tiếp ngay", "Continue now")) }
        },
    )
    .into_response())
}

/// `GET /s/resume/{token}`: picks the draft up on this device, at the next unanswered step.
pub async fn resume(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path(token): Path<String>,
) -> AppResult<Response> {
    if !looks_like_token(&token) {
        return Err(AppError::NotFound);
    }
    let draft = responses::find_by_resume_token(&state.db, &token)
        .await?
        .ok_or(AppError::NotFound)?;
    if draft.submitted {
        return Ok(already_submitted(lang, &CookieJar::new()).into_response());
    }
    let def = state
        .questionnaires
        .get(&draft.questionnaire_id, &draft.questionnaire_version)
        .ok_or(AppError::NotFound)?;
    let next = next_step(&def, &draft);
    let url = if next == "review" {
        format!("/s/{}/review", def.id)
    } else {
        format!("/s/{}/step/{next}", def.id)
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        SET_COOKIE,
        cookie(RESUME_COOKIE, &token, 60 * 60 * 24 * 60, state.is_https()),
    );
    Ok((headers, Redirect::to(&url)).into_response())
}

fn already_submitted(lang: Lang, jar: &CookieJar) -> Markup {
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

fn answer_text(lang: Lang, def: &Definition, draft: &Draft, qid: &str) -> String {
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

fn profile_text(lang: Lang, def: &Definition, draft: &Draft, fid: &str) -> String {
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

/// `GET /s/{id}/review`
pub async fn review(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    jar: CookieJar,
    csrf: CsrfToken,
) -> AppResult<Response> {
    let def = definition(&state, &id)?;
    let Some((draft, _)) = current_draft(&state, &jar, &def).await? else {
        return Ok(Redirect::to(&format!("/s/{id}")).into_response());
    };
    if draft.submitted {
        return Ok(already_submitted(lang, &jar).into_response());
    }
    let token = csrf
        .authenticity_token()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csrf: {e:?}")))?;
    let markup = render_review(lang, &def, &draft, &token, &Errors::new());
    Ok((csrf, markup).into_response())
}

fn render_review(
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

/// `POST /s/{id}/submit`: one response however often the button is pressed.
pub async fn submit(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    jar: CookieJar,
    csrf: CsrfToken,
    Form(form): Form<CsrfForm>,
) -> AppResult<Response> {
    check_csrf(&csrf, Some(&form.csrf_token))?;
    let def = definition(&state, &id)?;
    let Some((draft, _)) = current_draft(&state, &jar, &def).await? else {
        return Ok(Redirect::to(&format!("/s/{id}")).into_response());
    };
    if draft.submitted {
        return Ok(already_submitted(lang, &jar).into_response());
    }
    // Which step to send the person back to, with the first problem of each.
    let mut errors = Errors::new();
    for step in steps(&def) {
        if let Some((_, message)) = step_errors(&def, &draft, &step).into_iter().next() {
            errors.insert(step, message);
        }
    }
    if !errors.is_empty() {
        let token = csrf
            .authenticity_token()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("csrf: {e:?}")))?;
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            csrf,
            render_review(lang, &def, &draft, &token, &errors),
        )
            .into_response());
    }
    match submit_response(
        &state,
        &def,
        Some(draft.id),
        &draft.submission,
        &draft.contact,
        lang,
        "web",
    )
    .await
    {
        Ok(done) => {
            let mut headers = HeaderMap::new();
            // The draft is finished: forget it on this device, remember the result instead.
            headers.append(SET_COOKIE, cookie(RESUME_COOKIE, "", 0, state.is_https()));
            headers.append(
                SET_COOKIE,
                cookie(
                    RESULT_COOKIE,
                    &done.token,
                    60 * 60 * 24 * 30,
                    state.is_https(),
                ),
            );
            Ok((headers, Redirect::to(&format!("/r/{}", done.token))).into_response())
        }
        Err(AppError::Conflict(_)) => Ok(already_submitted(lang, &jar).into_response()),
        Err(e) => Err(e),
    }
}
