//! `GET /followup/{id}`: one lead's case file (profile, contact, scores, barriers, every
//! assessment of the firm with the change between them, the full roadmap, the case with its
//! history and form); `POST /followup/{id}/case`: a change to the case. A change made from a
//! stale form is answered 409 with the case as it is now and the typed note kept.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form as MultiForm;
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::super::{Console, current_definition, province_name, reference};
use super::level_name;
use crate::db;
use crate::db::audit::action;
use crate::db::cases::{Case, Outcome};
use crate::db::leads::{Assessment, LeadDetail};
use crate::domain::case::Status;
use crate::domain::{Definition, Lang, Role};
use crate::usecases::cases::{CaseForm, NOTE_MAX_CHARS, change_case as change, lead, scope_of};
use crate::web::dates::{parse_day, vn_date, vn_time};
use crate::web::views::layout::{number, score_change, t};
use crate::web::views::result::full_roadmap;
use crate::web::{AppError, AppResult, AppState};

/// What the form had when it could not be saved, to show again.
struct Retry {
    message: Markup,
    form: CaseForm,
}

fn parse_id(id: &str) -> AppResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

/// `GET /followup/{id}`.
pub async fn show_lead(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> AppResult<Response> {
    console.require(Role::sees_leads)?;
    let id = parse_id(&id)?;
    render(&state, &console, id, StatusCode::OK, None).await
}

async fn render(
    state: &AppState,
    console: &Console,
    id: Uuid,
    status: StatusCode,
    retry: Option<Retry>,
) -> AppResult<Response> {
    let scope = scope_of(&state.db, console.account()).await?;
    let detail = lead(&state.db, &scope, id).await?;
    console
        .actor()
        .record(
            &state.db,
            action::LEAD_VIEWED,
            Some(detail.lead.id.to_string()),
            None,
        )
        .await?;
    let assessments = db::leads::assessments(&state.db, detail.lead.firm_id).await?;
    let stored =
        db::responses::find_result_by_id(&state.db, &state.questionnaires, detail.lead.id).await?;
    let colleagues = match scope.agency_id() {
        Some(a) => db::cases::colleagues(&state.db, a).await?,
        None => Vec::new(),
    };
    let history = match detail.lead.case.as_ref().and_then(|c| c.id) {
        Some(case) => db::cases::events(&state.db, case).await?,
        None => Vec::new(),
    };
    let other_cases = if scope.agency_id().is_none() {
        db::cases::of_firm(&state.db, detail.lead.firm_id).await?
    } else {
        Vec::new()
    };
    let agencies = if other_cases.is_empty() {
        Vec::new()
    } else {
        db::accounts::list_agencies(&state.db).await?
    };
    let lang = console.lang;
    let def = current_definition(state);
    let def = stored.as_ref().map(|s| s.definition.clone()).or(def);
    let def = def.as_deref();
    let name = detail
        .lead
        .business_name
        .clone()
        .unwrap_or_else(|| "–".into());
    let who = |id: Option<i64>| {
        id.and_then(|id| colleagues.iter().find(|(i, _)| *i == id))
            .map_or_else(|| "–".to_string(), |(_, e)| e.clone())
    };
    let invitation = super::super::invite::invite_form(state, console, detail.lead.id).await;
    let content = html! {
        p { a.back-link href="/followup" { (t(lang, "Quay lại danh sách", "Back to the list")) } }
        h1 { (name) }
        p.tag.priority { (detail.lead.priority.title().get(lang)) }
        @if let Some(case) = &detail.lead.case {
            section #case aria-labelledby="h-case" {
                h2 #h-case { (t(lang, "Hồ sơ hỗ trợ", "Case")) }
                @if let Some(r) = &retry { div.error-summary role="alert" { (r.message) } }
                dl.summary-list {
                    div { dt { (t(lang, "Trạng thái", "Status")) } dd #case-status { (case.status.title().get(lang)) } }
                    div { dt { (t(lang, "Người phụ trách", "Assignee")) } dd #case-assignee { (who(case.assignee_id)) } }
                    div { dt { (t(lang, "Việc tiếp theo", "Next action")) } dd #case-next { (case.next_action.map_or_else(|| "–".to_string(), |d| d.format("%d/%m/%Y").to_string())) } }
                }
                @if case.assignee_id != Some(console.account().id) {
                    form.claim method="post" action={ "/followup/" (detail.lead.id) "/case" } {
                        input type="hidden" name="csrf_token" value=(console.csrf_value());
                        input type="hidden" name="version" value=(case.version);
                        input type="hidden" name="status" value=(case.status.as_str());
                        input type="hidden" name="assignee" value=(console.account().id);
                        input type="hidden" name="next_action" value=(case.next_action.map(|d| d.to_string()).unwrap_or_default());
                        button.button type="submit" { (t(lang, "Nhận hồ sơ này", "Claim this case")) }
                    }
                }
                (case_form(lang, console, detail.lead.id, case, &colleagues, retry.as_ref().map(|r| &r.form)))
                (history_table(lang, &history))
            }
        } @else if !other_cases.is_empty() {
            section aria-labelledby="h-cases" {
                h2 #h-cases { (t(lang, "Hồ sơ của các đơn vị", "Agencies' cases")) }
                ul {
                    @for c in &other_cases {
                        li {
                            (agencies.iter().find(|a| a.id == c.agency_id).map_or_else(|| c.agency_id.to_string(), |a| a.name.clone()))
                            ": " (c.status.title().get(lang))
                        }
                    }
                }
            }
        }
        (profile(lang, state, &detail, def))
        (assessment_table(lang, def, &assessments))
        (invitation)
        @if let (Some(stored), Some(def)) = (&stored, def) {
            (full_roadmap(lang, def, &stored.roadmap))
        }
    };
    Ok(console.page_with_status(status, &name, content))
}

fn profile(lang: Lang, state: &AppState, detail: &LeadDetail, def: Option<&Definition>) -> Markup {
    let reference = reference(state);
    let l = &detail.lead;
    html! {
        h2 { (t(lang, "Doanh nghiệp", "Who")) }
        dl.summary-list {
            div { dt { (t(lang, "Tỉnh/thành", "Province")) } dd { (l.province.as_deref().map(|p| province_name(&reference, lang, p)).unwrap_or_default()) } }
            div { dt { (t(lang, "Ngành", "Sector")) } dd { (l.sector.as_deref().map(|s| reference.sector(s).map_or_else(|| s.to_string(), |x| x.name.get(lang).to_string())).unwrap_or_default()) } }
            div { dt { (t(lang, "Quy mô", "Size")) } dd { (l.size_class.clone().unwrap_or_default()) } }
            div { dt { "E-mail" } dd { @if let Some(e) = &l.email { a href={ "mailto:" (e) } { (e) } } @else { "–" } } }
            div { dt { (t(lang, "Điện thoại", "Phone")) } dd { (l.phone.as_deref().unwrap_or("–")) } }
            div { dt { (t(lang, "Đồng ý được liên hệ từ", "Agreed to be contacted on")) } dd { (vn_date(detail.consent_granted_at)) } }
        }
        h2 { (t(lang, "Họ cần gì", "What they need")) }
        dl.summary-list {
            div { dt { (t(lang, "Mức sẵn sàng", "Readiness level")) } dd { (level_name(def, lang, l.level)) } }
            div { dt { (t(lang, "Điểm tổng", "Overall score")) } dd { (l.overall.map_or_else(|| "–".to_string(), |o| number(lang, o, 1))) } }
            div { dt { (t(lang, "Rào cản", "Barriers")) } dd {
                @if l.barriers.is_empty() { "–" } @else {
                    ul { @for b in &l.barriers { li { (def.and_then(|d| d.barrier(b)).map_or_else(|| b.clone(), |x| x.title.get(lang).to_string())) } } }
                }
            } }
            @if !l.agency_flags.is_empty() {
                div { dt { (t(lang, "Dấu hiệu cho đơn vị hỗ trợ", "Flags for agencies")) } dd { (l.agency_flags.join(", ")) } }
            }
        }
    }
}

/// Every assessment of the firm side by side (T0 → T1 → …), with the change since the one
/// before the latest.
fn assessment_table(lang: Lang, def: Option<&Definition>, all: &[Assessment]) -> Markup {
    let shown = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| number(lang, v, 0));
    let change = |before, now| score_change(lang, before, now);
    let latest = all.last();
    let before = all.len().checked_sub(2).and_then(|i| all.get(i));
    let dimension_ids: Vec<String> = match def {
        Some(d) => d.dimensions.iter().map(|x| x.id.clone()).collect(),
        None => latest
            .map(|a| a.dimensions.keys().cloned().collect())
            .unwrap_or_default(),
    };
    html! {
        section #assessments aria-labelledby="h-assessments" {
            h2 #h-assessments { (t(lang, "Các lần đánh giá", "Assessments")) }
            table.table.table-numbers {
                thead { tr {
                    th scope="col" { (t(lang, "Lĩnh vực", "Dimension")) }
                    @for (i, a) in all.iter().enumerate() {
                        th scope="col" { "T" (i) br; span.muted { (vn_date(a.submitted_at)) } }
                    }
                    @if before.is_some() { th scope="col" { (t(lang, "Thay đổi", "Change")) } }
                } }
                tbody {
                    tr.overall {
                        th scope="row" { (t(lang, "Điểm tổng", "Overall")) }
                        @for a in all { td { (shown(Some(a.overall))) } }
                        @if let (Some(b), Some(l)) = (before, latest) { td { (change(Some(b.overall), Some(l.overall))) } }
                    }
                    tr.level {
                        th scope="row" { (t(lang, "Mức", "Level")) }
                        @for a in all { td { (a.level) } }
                        @if let (Some(b), Some(l)) = (before, latest) { td { (format!("{:+}", l.level - b.level)) } }
                    }
                    @for dim in &dimension_ids {
                        tr {
                            th scope="row" { (def.and_then(|d| d.dimension(dim)).map_or(dim.as_str(), |x| x.title.get(lang))) }
                            @for a in all { td { (shown(a.dimensions.get(dim).copied())) } }
                            @if let (Some(b), Some(l)) = (before, latest) { td { (change(b.dimensions.get(dim).copied(), l.dimensions.get(dim).copied())) } }
                        }
                    }
                }
            }
        }
    }
}

fn case_form(
    lang: Lang,
    console: &Console,
    id: Uuid,
    case: &Case,
    colleagues: &[(i64, String)],
    typed: Option<&CaseForm>,
) -> Markup {
    let status = typed.map_or(case.status, |f| f.status);
    let assignee = typed.map_or(case.assignee_id, |f| f.assignee_id);
    let next = typed.map_or(case.next_action, |f| f.next_action);
    let note = typed.and_then(|f| f.note.clone()).unwrap_or_default();
    let mut choices = case.status.choices();
    if !choices.contains(&status) {
        choices.push(status);
    }
    html! {
        form.case-form method="post" action={ "/followup/" (id) "/case" } {
            input type="hidden" name="csrf_token" value=(console.csrf_value());
            // The case as this form saw it: a colleague's change in between is a conflict.
            input type="hidden" name="version" value=(case.version);
            label { (t(lang, "Trạng thái", "Status")) " "
                select name="status" {
                    @for s in choices {
                        option value=(s.as_str()) selected[s == status] { (s.title().get(lang)) }
                    }
                }
            }
            " "
            label { (t(lang, "Người phụ trách", "Assignee")) " "
                select name="assignee" {
                    option value="" { "–" }
                    @for (uid, email) in colleagues {
                        option value=(uid) selected[assignee == Some(*uid)] { (email) }
                    }
                }
            }
            " "
            label { (t(lang, "Việc tiếp theo (ngày)", "Next action (date)")) " "
                input type="date" name="next_action" value=(next.map(|d| d.to_string()).unwrap_or_default());
            }
            label.block { (t(lang, "Ghi chú", "Note")) br;
                textarea name="note" rows="3" cols="60" maxlength=(NOTE_MAX_CHARS) { (note) }
            }
            button.button type="submit" { (t(lang, "Lưu thay đổi", "Save the change")) }
        }
    }
}

fn history_table(lang: Lang, history: &[db::cases::Event]) -> Markup {
    html! {
        @if !history.is_empty() {
            table.table #case-history {
                caption { (t(lang, "Lịch sử", "History")) }
                thead { tr {
                    th scope="col" { (t(lang, "Lúc", "When")) }
                    th scope="col" { (t(lang, "Ai", "Who")) }
                    th scope="col" { (t(lang, "Trạng thái", "Status")) }
                    th scope="col" { (t(lang, "Thay đổi", "Change")) }
                    th scope="col" { (t(lang, "Ghi chú", "Note")) }
                } }
                tbody {
                    @for e in history {
                        tr {
                            td { (vn_time(e.at)) }
                            td { (e.actor) }
                            td {
                                @if let Some(from) = e.from { @if from != e.to { (from.title().get(lang)) " → " } }
                                (e.to.title().get(lang))
                            }
                            td { (e.change.as_deref().unwrap_or("")) }
                            td { (e.note.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CaseInput {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    next_action: String,
    #[serde(default)]
    note: String,
}

fn bad(vi: &str, en: &str) -> AppError {
    AppError::Refused(crate::domain::Text::new(vi, en))
}

/// `POST /followup/{id}/case`.
pub async fn change_case(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    MultiForm(input): MultiForm<CaseInput>,
) -> AppResult<Response> {
    console.require(Role::sees_leads)?;
    console.verify_csrf(&input.csrf_token)?;
    let id = parse_id(&id)?;
    let lang = console.lang;
    let version: i32 = input
        .version
        .trim()
        .parse()
        .map_err(|_| bad("Thiếu phiên bản hồ sơ.", "The form has no case version."))?;
    let status = Status::parse(input.status.trim())
        .ok_or_else(|| bad("Trạng thái không hợp lệ.", "Unknown status."))?;
    let assignee_id = match input.assignee.trim() {
        "" => None,
        v => Some(
            v.parse::<i64>()
                .map_err(|_| bad("Người phụ trách không hợp lệ.", "Unknown assignee."))?,
        ),
    };
    let next_action = parse_day(Some(input.next_action.as_str()))
        .map_err(|_| bad("Ngày không hợp lệ.", "Not a date (YYYY-MM-DD)."))?;
    let form = CaseForm {
        version,
        status,
        assignee_id,
        next_action,
        note: Some(input.note),
    };
    let typed = form.clone();
    match change(&state, console.account(), &console.actor(), id, form).await? {
        Outcome::Saved(_) => Ok(Redirect::to(&format!("/followup/{id}#case")).into_response()),
        Outcome::Stale(now) => {
            let message = html! {
                h2.error-summary-title { (t(lang, "Hồ sơ vừa được người khác thay đổi", "Someone changed this case meanwhile")) }
                p { (t(lang,
                    "Thay đổi của bạn chưa được lưu. Hồ sơ bây giờ như dưới đây; ghi chú bạn gõ vẫn còn trong ô. Kiểm tra rồi lưu lại.",
                    "Your change was not saved. The case is now as shown below; the note you typed is still in the box. Check it and save again.")) }
                p { (t(lang, "Trạng thái hiện tại: ", "Status now: ")) strong { (now.status.title().get(lang)) } }
            };
            render(
                &state,
                &console,
                id,
                StatusCode::CONFLICT,
                Some(Retry {
                    message,
                    form: typed,
                }),
            )
            .await
        }
        Outcome::NotAllowed(_) => Err(AppError::Conflict("not allowed".into())),
    }
}
