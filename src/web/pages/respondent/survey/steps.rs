//! The questionnaire's routes: start, each step, save and resume, review, submit.

use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;
use axum_extra::extract::{CookieJar, Form};
use maud::html;

use crate::db::responses;
use crate::db::tokens::looks_like_token;
use crate::usecases::assess::submit_response;
use crate::usecases::drafts::{send_resume_link, start_draft};
use crate::usecases::invitations::{link_is_open, start_from_link};
use crate::web::lang::PageLang;
use crate::web::security::ClientAddr;
use crate::web::views::forms::Errors;
use crate::web::views::layout::{page_with, t};
use crate::web::{AppError, AppResult, AppState};

use super::*;

#[derive(serde::Deserialize)]
pub struct StartQuery {
    /// The token of the earlier result this assessment re-takes.
    previous: Option<String>,
    /// The re-take token of an invitation or reminder e-mail.
    invite: Option<String>,
}

/// `GET /s/{id}`: what to expect, and the start button (`?previous=` re-assesses a result,
/// `?invite=` does so from an invitation or reminder e-mail; an ended link says so).
pub async fn start_page(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    Query(query): Query<StartQuery>,
    jar: CookieJar,
    csrf: CsrfToken,
) -> AppResult<Response> {
    let def = definition(&state, &id)?;
    let previous = query.previous.filter(|t| looks_like_token(t));
    let invite = match query.invite {
        Some(token) if looks_like_token(&token) && link_is_open(&state, &token).await? => {
            Some(token)
        }
        Some(_) => return Ok(link_ended(lang, &id).into_response()),
        None => None,
    };
    let draft = current_draft(&state, &jar, &def)
        .await?
        .filter(|(d, _)| !d.submitted);
    let token = csrf.authenticity_token()?;
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
                a.button href={ "/s/" (id) "/step/" (next_step(&def, draft, state.clock.today())) } { (t(lang, "Tiếp tục", "Continue")) }
            }
            @if previous.is_some() || invite.is_some() {
                p.notice { (t(lang, "Đánh giá lại: thông tin doanh nghiệp được điền sẵn từ lần trước; kết quả mới sẽ so sánh với lần trước.", "Re-assessment: the business details are filled in from last time, and the new result is compared with the last one.")) }
            }
            form method="post" action={ "/s/" (id) "/start" } {
                input type="hidden" name="csrf_token" value=(token);
                @if let Some(previous) = &previous { input type="hidden" name="previous" value=(previous); }
                @if let Some(invite) = &invite { input type="hidden" name="invite" value=(invite); }
                button.button.(if draft.is_some() { "button-secondary" } else { "button-start" }) type="submit" {
                    @if draft.is_some() { (t(lang, "Bắt đầu bài mới", "Start a new one")) } @else { (t(lang, "Bắt đầu", "Start")) " →" }
                }
            }
        },
    );
    Ok((csrf, markup).into_response())
}

/// An invitation or reminder link that was used, expired or never existed: `410 Gone`, and the
/// way to a fresh assessment.
fn link_ended(lang: crate::domain::Lang, id: &str) -> (StatusCode, maud::Markup) {
    let title = t(
        lang,
        "Liên kết đánh giá lại đã hết hạn",
        "This re-assessment link has ended",
    );
    (
        StatusCode::GONE,
        page_with(
            lang,
            title,
            &format!("/s/{id}"),
            None,
            html! {
                h1 { (title) }
                p { (t(lang,
                    "Liên kết chỉ dùng được một lần và có hạn. Nếu bạn đã bắt đầu, hãy tiếp tục trên thiết bị đó; hoặc bắt đầu một bài đánh giá mới, hay làm lại từ trang kết quả của lần trước.",
                    "The link works once and for a limited time. If you already started, continue on that device; or start a new assessment, or re-take it from your last result's page.")) }
                a.button href={ "/s/" (id) } { (t(lang, "Bắt đầu bài đánh giá", "Start the assessment")) }
            },
        ),
    )
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
    let previous = form.previous.as_deref().filter(|t| looks_like_token(t));
    let token = match form.invite.as_deref() {
        Some(invite) if looks_like_token(invite) => {
            match start_from_link(&state, &def, lang, invite).await {
                Ok(token) => token,
                Err(crate::usecases::Error::NotFound) => {
                    return Ok(link_ended(lang, &id).into_response());
                }
                Err(e) => return Err(e.into()),
            }
        }
        Some(_) => return Ok(link_ended(lang, &id).into_response()),
        None => start_draft(&state, &def, lang, previous).await?,
    };
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
    let token = csrf.authenticity_token()?;
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

/// `POST /s/{id}/step/{step}`: save, then continue (or show the errors, or the resume link).
pub async fn save_step(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path((id, step)): Path<(String, String)>,
    ClientAddr(addr): ClientAddr,
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
    let mut errors = step_errors(&def, &draft, &step, state.clock.today());
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
        // E-mail the resume link on "save and finish later", when we know an address and the
        // limits allow it.
        let sent = match (
            &draft.contact.email,
            current_draft(&state, &jar, &def).await?,
        ) {
            (Some(to), Some((_, token))) => {
                send_resume_link(&state, draft.id, to, lang, &token, addr).await?
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
        let token = csrf.authenticity_token()?;
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
            a.button href={ "/s/" (id) "/step/" (next_step(&def, &draft, state.clock.today())) } { (t(lang, "Làm tiếp ngay", "Continue now")) }
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
    let next = next_step(&def, &draft, state.clock.today());
    let url = if next == "review" {
        format!("/s/{}/review", def.id)
    } else {
        format!("/s/{}/step/{next}", def.id)
    };
    // This browser gets a token of its own and the link's token ends: a link that reached
    // someone else (sent to their address by whoever started the draft) reads nothing after.
    let renewed = responses::renew_resume_token(&state.db, draft.id).await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        SET_COOKIE,
        cookie(RESUME_COOKIE, &renewed, 60 * 60 * 24 * 60, state.is_https()),
    );
    Ok((headers, Redirect::to(&url)).into_response())
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
    let token = csrf.authenticity_token()?;
    let markup = render_review(lang, &def, &draft, &token, &Errors::new());
    Ok((csrf, markup).into_response())
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
        if let Some((_, message)) = step_errors(&def, &draft, &step, state.clock.today())
            .into_iter()
            .next()
        {
            errors.insert(step, message);
        }
    }
    if !errors.is_empty() {
        let token = csrf.authenticity_token()?;
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
        None,
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
        Err(crate::usecases::Error::Conflict(_)) => {
            Ok(already_submitted(lang, &jar).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
