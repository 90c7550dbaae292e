//! The invitation to re-assess, on a lead's page: [`invite_form`] shows when the last one went
//! and the button, and `POST /followup/{id}/invite` ([`send_invitation`]) queues the e-mail.
//! A lead outside the account's scope is "not found", as on the lead page.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use maud::{Markup, html};
use uuid::Uuid;

use super::Console;
use crate::db::reassessment::Invitation;
use crate::domain::Role;
use crate::usecases::invitations;
use crate::web::dates::vn_date;
use crate::web::{AppError, AppResult, AppState};

fn action(lead_id: Uuid) -> String {
    format!("/followup/{lead_id}/invite")
}

/// The invitation block of lead `lead_id`'s page: where it would go, when the last one went,
/// and the button (or why there is none). The lead page calls this once it found the lead.
pub async fn invite_form(state: &AppState, console: &Console, lead_id: Uuid) -> Markup {
    let found = invitations::state_of(state, console.account(), lead_id).await;
    if let Err(e) = &found {
        tracing::warn!(error = %e, "cannot read the invitation state");
    }
    html! {
        section.invite aria-labelledby="h-invite" {
            h2 #h-invite { (console.t("Mời đánh giá lại", "Invite to re-assess")) }
            @match found {
                Err(_) => {
                    p { (console.t("Không đọc được thông tin lời mời lúc này.", "The invitation details cannot be read just now.")) }
                }
                Ok(st) => {
                    p { (console.t(
                        "Gửi cho doanh nghiệp một e-mail mời làm lại bài đánh giá: thông tin doanh nghiệp được điền sẵn, kết quả mới so sánh với lần này. Liên kết dùng một lần, có hạn 30 ngày; tối đa một lời mời mỗi 7 ngày.",
                        "Send the firm an e-mail inviting it to re-take the check: its details filled in, the new result compared with this one. The link works once, for 30 days; at most one invitation every 7 days.")) }
                    @if let Some(at) = st.last_sent {
                        p.muted { (console.t("Lời mời gần nhất: ", "Last invitation: ")) (vn_date(at)) }
                    }
                    @match (&st.email, st.next_allowed) {
                        (None, _) => p { (console.t("Doanh nghiệp không chia sẻ e-mail nên không thể gửi lời mời.", "The firm shared no e-mail address, so no invitation can be sent.")) },
                        (Some(_), Some(next)) => p { (console.t("Có thể gửi lời mời tiếp theo từ ", "The next invitation can go from ")) (vn_date(next)) "." },
                        (Some(email), None) => form method="post" action=(action(lead_id)) {
                            input type="hidden" name="csrf_token" value=(console.csrf_value());
                            button.button type="submit" { (console.t("Gửi lời mời tới ", "Send the invitation to ")) (email) }
                        },
                    }
                }
            }
        }
    }
}

#[derive(serde::Deserialize)]
pub struct InviteForm {
    csrf_token: String,
}

/// `POST /followup/{id}/invite`: queues the invitation and goes back to the lead page, or says
/// when the next one may go (`429`), or that the firm has no address (`422`).
pub async fn send_invitation(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(form): Form<InviteForm>,
) -> AppResult<Response> {
    console.require(Role::sees_leads)?;
    console.verify_csrf(&form.csrf_token)?;
    let lead_id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let outcome =
        invitations::send_invitation(&state, &console.actor(), console.account(), lead_id).await?;
    let back = format!("/followup/{lead_id}");
    Ok(match outcome {
        Invitation::Queued { .. } => Redirect::to(&format!("{back}?invited=1")).into_response(),
        Invitation::TooSoon { last_at, next_at } => {
            let title = console.t("Chưa thể gửi lời mời", "The invitation cannot go yet");
            console.page_with_status(
                StatusCode::TOO_MANY_REQUESTS,
                title,
                html! {
                    h1 { (title) }
                    p {
                        (console.t("Một lời mời đã được gửi ngày ", "An invitation was sent on "))
                        (vn_date(last_at))
                        (console.t(". Mỗi doanh nghiệp nhận tối đa một lời mời mỗi 7 ngày; lời mời tiếp theo có thể gửi từ ", ". A firm gets at most one invitation every 7 days; the next one can go from "))
                        (vn_date(next_at)) "."
                    }
                    p { a href=(back) { (console.t("← Về hồ sơ doanh nghiệp", "← Back to the lead")) } }
                },
            )
        }
    })
}
