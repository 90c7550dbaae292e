//! `GET /followup` and `GET /followup/{id}`: the leads of a support agency (admins see all).
//! A lead is a submitted response whose owner agreed to be contacted and has not withdrawn;
//! an agency sees those in the provinces it serves. Anything else is "not found", including
//! another agency's lead. Every view of these pages is written to the audit log.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::html;
use uuid::Uuid;

use super::{Console, current_definition, province_name, reference};
use crate::db;
use crate::db::audit::action;
use crate::db::leads::{self, Scope};
use crate::domain::Role;
use crate::web::dates::vn_date;
use crate::web::views::layout::{number, t};
use crate::web::{AppError, AppResult, AppState};

/// Leads listed at once (newest first).
const LIST_LIMIT: u64 = 500;

/// Which leads this account may see.
async fn scope_of(state: &AppState, console: &Console) -> AppResult<Scope> {
    let account = console.account();
    if account.role == Role::Admin {
        return Ok(Scope::All);
    }
    let agency = match account.agency_id {
        Some(id) => db::accounts::find_agency(&state.db, id).await?,
        None => None,
    };
    Ok(Scope::Provinces(
        agency.map(|a| a.provinces).unwrap_or_default(),
    ))
}

/// `GET /followup`.
pub async fn list_leads(State(state): State<AppState>, console: Console) -> AppResult<Response> {
    console.require(Role::sees_leads)?;
    let scope = scope_of(&state, &console).await?;
    let leads = leads::list(&state.db, &scope, LIST_LIMIT).await?;
    console
        .actor()
        .record(
            &state.db,
            action::LEADS_LISTED,
            Some(format!("{} lead(s)", leads.len())),
            None,
        )
        .await?;
    let lang = console.lang;
    let reference = reference(&state);
    let def = current_definition(&state);
    let level_name = |level: Option<i16>| match level {
        Some(l) => def
            .as_deref()
            .and_then(|d| d.level(u8::try_from(l).unwrap_or(0)))
            .map_or_else(|| l.to_string(), |x| x.name.get(lang).to_string()),
        None => "–".to_string(),
    };
    let content = html! {
        h1 { (t(lang, "Doanh nghiệp cần hỗ trợ", "Follow-up leads")) }
        p { (t(lang,
            "Các doanh nghiệp đã đồng ý để đơn vị hỗ trợ liên hệ. Chỉ dùng thông tin này để hỗ trợ họ chuyển đổi số.",
            "Firms that agreed to be contacted by a support agency. Use these details only to help them with digital transformation.")) }
        @if leads.is_empty() {
            p { (t(lang, "Chưa có doanh nghiệp nào.", "There are no leads yet.")) }
        } @else {
            table.table {
                thead { tr {
                    th scope="col" { (t(lang, "Doanh nghiệp", "Firm")) }
                    th scope="col" { (t(lang, "Tỉnh/thành", "Province")) }
                    th scope="col" { (t(lang, "Mức", "Level")) }
                    th scope="col" { (t(lang, "Rào cản", "Barriers")) }
                    th scope="col" { (t(lang, "Ngày gửi", "Submitted")) }
                } }
                tbody {
                    @for lead in &leads {
                        tr {
                            td { a href={ "/followup/" (lead.id) } { (lead.business_name.as_deref().unwrap_or("–")) } }
                            td { (lead.province.as_deref().map(|p| province_name(&reference, lang, p)).unwrap_or_default()) }
                            td { (level_name(lead.level)) }
                            td { (lead.barriers.join(", ")) }
                            td { (lead.submitted_at.map(vn_date).unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    };
    Ok(console.page(t(lang, "Doanh nghiệp cần hỗ trợ", "Follow-up"), content))
}

/// `GET /followup/{id}`: one lead's case file.
pub async fn show_lead(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> AppResult<Response> {
    console.require(Role::sees_leads)?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let scope = scope_of(&state, &console).await?;
    let lead = leads::find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    console
        .actor()
        .record(&state.db, action::LEAD_VIEWED, Some(id.to_string()), None)
        .await?;
    let lang = console.lang;
    let reference = reference(&state);
    let def = current_definition(&state);
    let def = def.as_deref();
    let l = &lead.lead;
    let level = l
        .level
        .and_then(|x| def.and_then(|d| d.level(u8::try_from(x).unwrap_or(0))));
    let name = l.business_name.clone().unwrap_or_else(|| "–".into());
    let invitation = super::invite::invite_form(&state, &console, id).await; // invitation form (task MAIL)
    let content = html! {
        p { a.back-link href="/followup" { (t(lang, "Quay lại danh sách", "Back to the list")) } }
        h1 { (name) }
        h2 { (t(lang, "Doanh nghiệp", "Who")) }
        dl.summary-list {
            div { dt { (t(lang, "Tỉnh/thành", "Province")) } dd { (l.province.as_deref().map(|p| province_name(&reference, lang, p)).unwrap_or_default()) } }
            div { dt { (t(lang, "Ngành", "Sector")) } dd { (l.sector.as_deref().map(|s| reference.sector(s).map_or_else(|| s.to_string(), |x| x.name.get(lang).to_string())).unwrap_or_default()) } }
            div { dt { (t(lang, "Quy mô", "Size")) } dd { (l.size_class.clone().unwrap_or_default()) } }
            div { dt { "E-mail" } dd { @if let Some(e) = &lead.lead.email { a href={ "mailto:" (e) } { (e) } } @else { "–" } } }
            div { dt { (t(lang, "Điện thoại", "Phone")) } dd { (lead.lead.phone.as_deref().unwrap_or("–")) } }
            div { dt { (t(lang, "Đồng ý được liên hệ từ", "Agreed to be contacted on")) } dd { (vn_date(lead.consent_granted_at)) } }
        }
        h2 { (t(lang, "Họ cần gì", "What they need")) }
        dl.summary-list {
            div { dt { (t(lang, "Mức sẵn sàng", "Readiness level")) } dd { (level.map_or_else(|| "–".to_string(), |x| x.name.get(lang).to_string())) } }
            div { dt { (t(lang, "Điểm tổng", "Overall score")) } dd { (l.overall.map_or_else(|| "–".to_string(), |o| number(lang, o, 1))) } }
            div { dt { (t(lang, "Rào cản", "Barriers")) } dd {
                @if l.barriers.is_empty() { "–" } @else {
                    ul { @for b in &l.barriers { li { (def.and_then(|d| d.barrier(b)).map_or_else(|| b.clone(), |x| x.title.get(lang).to_string())) } } }
                }
            } }
        }
        @if !lead.dimensions.is_empty() {
            table.table.table-numbers {
                caption { (t(lang, "Điểm theo lĩnh vực", "Scores by dimension")) }
                thead { tr { th scope="col" { (t(lang, "Lĩnh vực", "Dimension")) } th scope="col" { (t(lang, "Điểm", "Score")) } } }
                tbody {
                    @for (dim, score) in &lead.dimensions {
                        tr {
                            th scope="row" { (def.and_then(|d| d.dimension(dim)).map_or_else(|| dim.clone(), |x| x.title.get(lang).to_string())) }
                            td { (number(lang, *score, 0)) }
                        }
                    }
                }
            }
        }
        @if let Some(submitted) = l.submitted_at {
            p.hint { (t(lang, "Gửi bài đánh giá ngày ", "Assessment submitted on ")) (vn_date(submitted)) }
        }
        (invitation)
    };
    Ok(console.page(&name, content))
}

/// `GET /followup/export.csv`: the agency's own caseload, with the contact details the firms
/// consented to share; every cell safe to open in a spreadsheet. Audited like the list.
pub async fn export_caseload(
    State(state): State<AppState>,
    console: Console,
) -> AppResult<Response> {
    use crate::web::export::{self, Cell, Table, Workbook};
    console.require(Role::sees_leads)?;
    let scope = scope_of(&state, &console).await?;
    let leads = leads::list(&state.db, &scope, LIST_LIMIT).await?;
    console
        .actor()
        .record(
            &state.db,
            action::LEADS_LISTED,
            Some(format!("{} lead(s) exported", leads.len())),
            None,
        )
        .await?;
    let lang = console.lang;
    let text = |v: &Option<String>| v.clone().map_or(Cell::Empty, Cell::Text);
    let table = Table {
        title: t(
            lang,
            "Doanh nghiệp đồng ý được liên hệ",
            "Firms that agreed to be contacted",
        )
        .into(),
        columns: [
            t(lang, "Ngày đánh giá", "Assessed on"),
            t(lang, "Doanh nghiệp", "Business"),
            "E-mail",
            t(lang, "Điện thoại", "Phone"),
            t(lang, "Tỉnh/thành", "Province"),
            t(lang, "Ngành", "Sector"),
            t(lang, "Quy mô", "Size"),
            t(lang, "Mức", "Level"),
            t(lang, "Điểm", "Score"),
            t(lang, "Rào cản", "Barriers"),
        ]
        .map(str::to_string)
        .to_vec(),
        rows: leads
            .iter()
            .map(|l| {
                vec![
                    text(&l.submitted_at.map(|d| d.format("%Y-%m-%d").to_string())),
                    text(&l.business_name),
                    text(&l.email),
                    text(&l.phone),
                    text(&l.province),
                    text(&l.sector),
                    text(&l.size_class),
                    l.level.map_or(Cell::Empty, |v| Cell::Number(f64::from(v))),
                    l.overall
                        .map_or(Cell::Empty, |v| Cell::Number((v * 10.0).round() / 10.0)),
                    Cell::Text(l.barriers.join(", ")),
                ]
            })
            .collect(),
    };
    let book = Workbook {
        notes: Vec::new(),
        tables: vec![table],
    };
    Ok(export::attachment(
        export::CSV,
        "dxready-caseload.csv",
        book.to_csv(),
    ))
}
