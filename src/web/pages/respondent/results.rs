//! `/r/{token}`: the result page for whoever holds the link, and withdrawal of consent/deletion.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum_csrf::CsrfToken;
use axum_extra::extract::Form;
use maud::html;

use crate::db::audit::Actor;
use crate::db::responses::{self, StoredResult};
use crate::db::tokens::looks_like_token;
use crate::domain::questionnaire::ConsentPurpose;
use crate::usecases::consent;
use crate::web::lang::PageLang;
use crate::web::views::layout::{page_with, t};
use crate::web::views::result::result_page;
use crate::web::{AppError, AppResult, AppState};

async fn load(state: &AppState, token: &str) -> AppResult<StoredResult> {
    if !looks_like_token(token) {
        return Err(AppError::NotFound);
    }
    responses::find_result(&state.db, &state.questionnaires, token)
        .await?
        .ok_or(AppError::NotFound)
}

/// The result a withdraw link names: by the result token (true), or by the withdraw token of
/// an invitation or reminder e-mail (false: it never shows the result itself).
async fn load_for_withdraw(state: &AppState, token: &str) -> AppResult<(StoredResult, bool)> {
    if !looks_like_token(token) {
        return Err(AppError::NotFound);
    }
    if let Some(found) = responses::find_result(&state.db, &state.questionnaires, token).await? {
        return Ok((found, true));
    }
    let id = crate::db::reassessment::response_of_withdraw_token(&state.db, token)
        .await?
        .ok_or(AppError::NotFound)?;
    let found = responses::find_result_by_id(&state.db, &state.questionnaires, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((found, false))
}

pub async fn show_result(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let stored = load(&state, &token).await?;
    let def = stored.definition.clone();
    let peers = match (
        stored.profile.get("province").and_then(|v| v.as_str()),
        stored.profile.get("sector").and_then(|v| v.as_str()),
    ) {
        (Some(p), Some(s)) => {
            let peers = responses::peer_comparison(&state.db, &def.id, p, s).await?;
            peers.and_then(|g| crate::domain::privacy::shown(g.count, g).figure())
        }
        _ => None,
    };
    let email_note = match (
        &stored.email,
        stored.consents.contains(&ConsentPurpose::EmailReport),
    ) {
        (Some(email), true) => Some(html! {
            p.notice { (t(lang, "Chúng tôi gửi kết quả và lộ trình này tới ", "We are sending this result and roadmap to ")) strong { (email) } "." }
        }),
        _ => None,
    };
    let history = crate::db::reassessment::earlier_results(&state.db, stored.response_id).await?;
    let title = t(lang, "Kết quả đánh giá", "Your result");
    Ok(page_with(
        lang,
        title,
        &format!("/r/{token}"),
        None,
        result_page(
            lang,
            &def,
            &token,
            &stored,
            peers.as_ref(),
            email_note,
            &history,
        ),
    )
    .into_response())
}

/// `GET /r/{token}/pdf`: the full roadmap as a PDF (the same file the e-mail attaches).
pub async fn download_pdf(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let stored = load(&state, &token).await?;
    let def = stored.definition.clone();
    let report = crate::email::render::Report {
        def: &def,
        result: &stored,
        lang,
        base_url: &state.base_url,
        token: &token,
        sender: &state.settings.mail_from,
    };
    let history = crate::db::reassessment::earlier_results(&state.db, stored.response_id).await?;
    let pdf = crate::email::pdf::roadmap_pdf_with(&report, &history);
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/pdf"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"dxready-lo-trinh.pdf\"",
            ),
        ],
        pdf,
    )
        .into_response())
}

pub async fn withdraw_page(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path(token): Path<String>,
    csrf: CsrfToken,
) -> AppResult<Response> {
    let (stored, shows_result) = load_for_withdraw(&state, &token).await?;
    let def = stored.definition.clone();
    let csrf_value = csrf.authenticity_token()?;
    let markup = page_with(
        lang,
        t(
            lang,
            "Rút lại đồng ý hoặc xóa dữ liệu",
            "Withdraw consent or delete data",
        ),
        &format!("/r/{token}/withdraw"),
        None,
        html! {
            @if shows_result { a.back-link href={ "/r/" (token) } { "← " (t(lang, "Về trang kết quả", "Back to the result")) } }
            h1 { (t(lang, "Rút lại đồng ý hoặc xóa dữ liệu", "Withdraw consent or delete data")) }
            @if let Some(name) = &stored.business_name { p { (name) } }
            form method="post" action={ "/r/" (token) "/withdraw" } {
                input type="hidden" name="csrf_token" value=(csrf_value);
                div.field {
                    h2 { (t(lang, "Rút lại từng đồng ý", "Withdraw a consent")) }
                    p { (t(lang, "Mỗi đồng ý có thể rút lại riêng. Kết quả vẫn được giữ để doanh nghiệp xem lại.", "Each consent can be withdrawn on its own. The result stays so the firm can still see it.")) }
                    @let given: Vec<_> = def.consents.iter().filter(|c| consent::OPTIONAL.contains(&c.purpose) && stored.consents.contains(&c.purpose)).collect();
                    @if given.is_empty() {
                        p { (t(lang, "Không còn đồng ý nào ngoài việc xử lý câu trả lời.", "No consent is in force besides processing the answers.")) }
                    } @else {
                        ul.consent-list {
                            @for c in &given {
                                li {
                                    span { (c.text.get(lang)) } " "
                                    button.button.button-secondary type="submit" name="action" value={ "withdraw:" (c.purpose.as_str()) } { (t(lang, "Rút lại", "Withdraw")) }
                                }
                            }
                        }
                        button.button.button-secondary type="submit" name="action" value="withdraw" { (t(lang, "Rút lại tất cả các đồng ý trên", "Withdraw all of them")) }
                    }
                }
                div.field {
                    h2 { (t(lang, "Xóa toàn bộ dữ liệu", "Delete all data")) }
                    p { (t(lang, "Xóa tên doanh nghiệp, e-mail, số điện thoại, mọi đồng ý và đường dẫn kết quả này. Câu trả lời ẩn danh vẫn được tính vào số liệu tổng hợp. Không thể hoàn tác.", "Deletes the business name, e-mail, phone, every consent and this result link. The anonymised answers stay in the aggregate figures. This cannot be undone.")) }
                    button.button.button-warning type="submit" name="action" value="delete" { (t(lang, "Xóa dữ liệu của tôi", "Delete my data")) }
                }
            }
        },
    );
    Ok((csrf, markup).into_response())
}

/// Whoever holds the result link: the log knows no more of them.
fn holder(addr: Option<std::net::IpAddr>) -> Actor {
    Actor::anonymous("result link", addr)
}

#[derive(serde::Deserialize)]
pub struct WithdrawForm {
    csrf_token: String,
    action: String,
}

pub async fn withdraw(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    crate::web::security::ClientAddr(addr): crate::web::security::ClientAddr,
    Path(token): Path<String>,
    csrf: CsrfToken,
    Form(form): Form<WithdrawForm>,
) -> AppResult<Response> {
    csrf.verify(&form.csrf_token)?;
    let (stored, shows_result) = load_for_withdraw(&state, &token).await?;
    let message = match form.action.as_str() {
        action if action == "withdraw" || action.starts_with("withdraw:") => {
            let purposes: Vec<ConsentPurpose> = match action.strip_prefix("withdraw:") {
                None => consent::OPTIONAL.to_vec(),
                Some(one) => vec![
                    ConsentPurpose::parse(one)
                        .filter(|p| consent::OPTIONAL.contains(p))
                        .ok_or_else(|| AppError::BadRequest("unknown consent".into()))?,
                ],
            };
            consent::withdraw_consents(&state.db, &holder(addr), stored.response_id, &purposes)
                .await?;
            (
                t(lang, "Đã rút lại đồng ý.", "The consent is withdrawn."),
                true,
            )
        }
        "delete" => {
            consent::delete_personal_data(&state.db, &holder(addr), stored.response_id).await?;
            (
                t(
                    lang,
                    "Dữ liệu của bạn đã được xóa.",
                    "Your data has been deleted.",
                ),
                false,
            )
        }
        _ => return Err(AppError::BadRequest("unknown action".into())),
    };
    Ok(page_with(
        lang,
        message.0,
        "",
        None,
        html! {
            div.panel { h1 { (message.0) } }
            @if message.1 && shows_result { p { a href={ "/r/" (token) } { (t(lang, "Về trang kết quả", "Back to the result")) } } }
            p { a href="/" { (t(lang, "Về trang chủ", "Home")) } }
        },
    )
    .into_response())
}
