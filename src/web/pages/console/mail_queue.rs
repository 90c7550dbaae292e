//! `/admin/mail`: the e-mail queue for admins: what failed and why, and a retry button.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use maud::html;
use serde::Deserialize;

use super::Console;
use crate::db::outbox::{self, Status};
use crate::domain::Role;
use crate::web::{AppError, AppResult, AppState};

const SHOWN: u64 = 200;

/// `GET /admin/mail`
pub async fn mail_queue(State(state): State<AppState>, console: Console) -> AppResult<Response> {
    console.require(Role::administers)?;
    let failed = outbox::list(&state.db, Some(Status::Failed), SHOWN).await?;
    let pending = outbox::depth(&state.db).await?;
    let csrf = console.csrf_value();
    console
        .actor()
        .record(
            &state.db,
            "mail_queue_viewed",
            None,
            Some(format!("{} failed shown", failed.len())),
        )
        .await?;
    let content = html! {
        h1 { (console.t("Hàng đợi e-mail", "E-mail queue")) }
        p.headline { (console.t("Đang chờ gửi: ", "Waiting to be sent: ")) strong { (pending) } }
        h2 { (console.t("Gửi không thành công", "Failed to send")) }
        @if failed.is_empty() {
            p { (console.t("Không có e-mail nào gửi lỗi.", "No failed e-mail.")) }
        } @else {
            table.table {
                thead { tr {
                    th scope="col" { (console.t("Người nhận", "Recipient")) }
                    th scope="col" { (console.t("Loại", "Kind")) }
                    th scope="col" { (console.t("Số lần thử", "Attempts")) }
                    th scope="col" { (console.t("Lỗi SMTP", "SMTP error")) }
                    th scope="col" { (console.t("Tạo lúc", "Created")) }
                    th scope="col" { span.visually-hidden { (console.t("Thao tác", "Action")) } }
                } }
                tbody {
                    @for m in &failed {
                        tr {
                            td { (m.recipient) }
                            td { (m.kind) }
                            td.num { (m.attempts) }
                            td { (m.last_error.clone().unwrap_or_default()) }
                            td { (m.created_at.format("%d/%m/%Y %H:%M")) }
                            td {
                                form.inline-form method="post" action={ "/admin/mail/" (m.id) "/retry" } {
                                    input type="hidden" name="csrf_token" value=(csrf);
                                    button.button.button-secondary type="submit" { (console.t("Gửi lại", "Retry")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(console.page(console.t("Hàng đợi e-mail", "E-mail queue"), content))
}

#[derive(Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /admin/mail/{id}/retry`: a failed message goes back in the queue, now.
pub async fn retry_mail(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<i64>,
    Form(form): Form<RetryForm>,
) -> AppResult<Response> {
    console.require(Role::administers)?;
    console.verify_csrf(&form.csrf_token)?;
    if !outbox::retry(&state.db, id).await? {
        return Err(AppError::NotFound);
    }
    state.outbox_wakeup.notify_one();
    console
        .actor()
        .record(
            &state.db,
            "mail_retried",
            Some(format!("outbox {id}")),
            None,
        )
        .await?;
    Ok(Redirect::to("/admin/mail").into_response())
}
