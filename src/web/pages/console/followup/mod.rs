//! `GET /followup`, `GET /followup/{id}`, `POST /followup/{id}/case` and the caseload export:
//! the leads of a support agency (admins see all) and its cases. A lead is a firm whose latest
//! assessment carries a standing consent to be contacted; an agency sees those in the provinces
//! it serves having any of the barriers it helps with. Anything else is "not found", including
//! another agency's lead. Every view of these pages is written to the audit log.

mod lead;

pub use lead::{change_case, show_lead};

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::{Console, current_definition, province_name, reference};
use crate::db::audit::action;
use crate::db::leads::{self, Assignee, Filters, Lead, Scope};
use crate::domain::Lang;
use crate::domain::Role;
use crate::domain::case::Status;
use crate::usecases::cases::scope_of;
use crate::web::dates::vn_date;
use crate::web::views::layout::t;
use crate::web::{AppResult, AppState};

/// Leads on one page of the list.
const PAGE_SIZE: u64 = 50;

/// The list's filters as they appear in the URL (empty = not set).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    barrier: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    size: String,
    #[serde(default)]
    province: String,
    #[serde(default)]
    status: String,
    /// `me`, `none` or an account id.
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    page: String,
}

impl ListQuery {
    fn filters(&self, me: i64) -> Filters {
        let text = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_string());
        Filters {
            barrier: text(&self.barrier),
            level: self.level.trim().parse().ok(),
            sector: text(&self.sector),
            size: text(&self.size),
            province: text(&self.province),
            status: Status::parse(self.status.trim()),
            assignee: match self.assignee.trim() {
                "" => None,
                "me" => Some(Assignee::Account(me)),
                "none" => Some(Assignee::Nobody),
                id => id.parse().ok().map(Assignee::Account),
            },
            overdue: matches!(self.overdue.trim(), "1" | "true" | "on"),
        }
    }

    fn page(&self) -> u64 {
        self.page.trim().parse::<u64>().unwrap_or(1).max(1) - 1
    }

    /// This query's URL with `page` instead of its own.
    fn with_page(&self, page: u64) -> String {
        let pairs = [
            ("barrier", &self.barrier),
            ("level", &self.level),
            ("sector", &self.sector),
            ("size", &self.size),
            ("province", &self.province),
            ("status", &self.status),
            ("assignee", &self.assignee),
            ("overdue", &self.overdue),
        ];
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            if !v.trim().is_empty() {
                url.append_pair(k, v.trim());
            }
        }
        url.append_pair("page", &page.to_string());
        format!("/followup?{}", url.finish())
    }
}

pub(super) fn level_name(
    def: Option<&crate::domain::Definition>,
    lang: Lang,
    level: Option<i16>,
) -> String {
    match level {
        Some(l) => def
            .and_then(|d| d.level(u8::try_from(l).unwrap_or(0)))
            .map_or_else(|| l.to_string(), |x| x.name.get(lang).to_string()),
        None => "–".to_string(),
    }
}

fn filter_form(
    lang: Lang,
    q: &ListQuery,
    scope: &Scope,
    def: Option<&crate::domain::Definition>,
) -> Markup {
    let agency = scope.agency_id().is_some();
    html! {
        form.filters method="get" action="/followup" {
            label { (t(lang, "Rào cản", "Barrier")) " "
                select name="barrier" {
                    option value="" { "–" }
                    @for b in def.map(|d| d.barriers.as_slice()).unwrap_or_default() {
                        option value=(b.id) selected[q.barrier == b.id] { (b.title.get(lang)) }
                    }
                }
            }
            " "
            label { (t(lang, "Mức", "Level")) " "
                select name="level" {
                    option value="" { "–" }
                    @for l in 0..=5 {
                        option value=(l) selected[q.level == l.to_string()] { (l) }
                    }
                }
            }
            " "
            label { (t(lang, "Ngành", "Sector")) " " input type="text" name="sector" value=(q.sector) size="12"; }
            " "
            label { (t(lang, "Quy mô", "Size")) " " input type="text" name="size" value=(q.size) size="8"; }
            " "
            label { (t(lang, "Tỉnh/thành", "Province")) " " input type="text" name="province" value=(q.province) size="12"; }
            @if agency {
                " "
                label { (t(lang, "Trạng thái", "Status")) " "
                    select name="status" {
                        option value="" { "–" }
                        @for s in Status::ALL {
                            option value=(s.as_str()) selected[q.status == s.as_str()] { (s.title().get(lang)) }
                        }
                    }
                }
                " "
                label { (t(lang, "Người phụ trách", "Assignee")) " "
                    select name="assignee" {
                        option value="" { "–" }
                        option value="me" selected[q.assignee == "me"] { (t(lang, "Tôi", "Me")) }
                        option value="none" selected[q.assignee == "none"] { (t(lang, "Chưa giao", "Nobody")) }
                    }
                }
                " "
                label { input type="checkbox" name="overdue" value="1" checked[q.overdue == "1"]; " " (t(lang, "Quá hạn", "Overdue")) }
            }
            " "
            button.button.button-secondary type="submit" { (t(lang, "Lọc", "Filter")) }
        }
    }
}

/// `GET /followup`.
pub async fn list_leads(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    console.require(Role::sees_leads)?;
    let scope = scope_of(&state.db, console.account()).await?;
    let filters = q.filters(console.account().id);
    let page = q.page();
    let today = state.clock.today();
    let found = leads::list(&state.db, &scope, &filters, today, page, PAGE_SIZE).await?;
    console
        .actor()
        .record(
            &state.db,
            action::LEADS_LISTED,
            Some(format!("{} of {} lead(s)", found.leads.len(), found.total)),
            None,
        )
        .await?;
    let lang = console.lang;
    let reference = reference(&state);
    let def = current_definition(&state);
    let def = def.as_deref();
    let colleagues = match scope.agency_id() {
        Some(a) => crate::db::cases::colleagues(&state.db, a).await?,
        None => Vec::new(),
    };
    let who = |id: Option<i64>| {
        id.and_then(|id| colleagues.iter().find(|(i, _)| *i == id))
            .map_or_else(|| "–".to_string(), |(_, e)| e.clone())
    };
    let pages = found.total.div_ceil(PAGE_SIZE).max(1);
    let content = html! {
        h1 { (t(lang, "Doanh nghiệp cần hỗ trợ", "Follow-up leads")) }
        p { (t(lang,
            "Các doanh nghiệp đã đồng ý để đơn vị hỗ trợ liên hệ. Chỉ dùng thông tin này để hỗ trợ họ chuyển đổi số.",
            "Firms that agreed to be contacted by a support agency. Use these details only to help them with digital transformation.")) }
        p {
            a href="/followup?overdue=1" { (t(lang, "Việc quá hạn", "Overdue")) } " · "
            a href="/followup?assignee=me" { (t(lang, "Việc của tôi", "Mine")) } " · "
            a href="/followup/export.csv" { (t(lang, "Tải danh sách (CSV)", "Download the caseload (CSV)")) }
        }
        (filter_form(lang, &q, &scope, def))
        p.hint #lead-count { (found.total) (t(lang, " doanh nghiệp", " lead(s)")) }
        @if found.leads.is_empty() {
            p { (t(lang, "Chưa có doanh nghiệp nào.", "There are no leads yet.")) }
        } @else {
            table.table {
                thead { tr {
                    th scope="col" { (t(lang, "Doanh nghiệp", "Firm")) }
                    th scope="col" { (t(lang, "Ưu tiên", "Priority")) }
                    th scope="col" { (t(lang, "Tỉnh/thành", "Province")) }
                    th scope="col" { (t(lang, "Mức", "Level")) }
                    th scope="col" { (t(lang, "Rào cản", "Barriers")) }
                    th scope="col" { (t(lang, "Ngày gửi", "Submitted")) }
                    @if scope.agency_id().is_some() {
                        th scope="col" { (t(lang, "Trạng thái", "Status")) }
                        th scope="col" { (t(lang, "Người phụ trách", "Assignee")) }
                        th scope="col" { (t(lang, "Việc tiếp theo", "Next action")) }
                    }
                } }
                tbody {
                    @for lead in &found.leads {
                        tr.lead {
                            td { a href={ "/followup/" (lead.id) } { (lead.business_name.as_deref().unwrap_or("–")) } }
                            td { (lead.priority.title().get(lang)) }
                            td { (lead.province.as_deref().map(|p| province_name(&reference, lang, p)).unwrap_or_default()) }
                            td { (level_name(def, lang, lead.level)) }
                            td { (lead.barriers.join(", ")) }
                            td { (lead.submitted_at.map(vn_date).unwrap_or_default()) }
                            @if let Some(case) = &lead.case {
                                td { (case.status.title().get(lang)) }
                                td { (who(case.assignee_id)) }
                                td {
                                    @if let Some(d) = case.next_action {
                                        (d.format("%d/%m/%Y"))
                                        @if d < today && case.status.is_open() { " " strong.overdue { (t(lang, "quá hạn", "overdue")) } }
                                    } @else { "–" }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if pages > 1 {
            nav.pagination aria-label=(t(lang, "Trang", "Pages")) {
                @if page > 0 { a rel="prev" href=(q.with_page(page)) { (t(lang, "‹ Trước", "‹ Previous")) } " " }
                span { (t(lang, "Trang ", "Page ")) (page + 1) " / " (pages) }
                @if page + 1 < pages { " " a rel="next" href=(q.with_page(page + 2)) { (t(lang, "Sau ›", "Next ›")) } }
            }
        }
    };
    Ok(console.page(t(lang, "Doanh nghiệp cần hỗ trợ", "Follow-up"), content))
}

/// `GET /followup/export.csv`: the agency's own caseload (the list's filters apply), with the
/// contact details the firms consented to share and each case's status, assignee and next
/// action; every cell safe to open in a spreadsheet. Audited like the list.
pub async fn export_caseload(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    use crate::web::export::{self, Cell, Table, Workbook};
    console.require(Role::sees_leads)?;
    let scope = scope_of(&state.db, console.account()).await?;
    let filters = q.filters(console.account().id);
    let all: Vec<Lead> = leads::all(&state.db, &scope, &filters, state.clock.today()).await?;
    console
        .actor()
        .record(
            &state.db,
            action::LEADS_LISTED,
            Some(format!("{} lead(s) exported", all.len())),
            None,
        )
        .await?;
    let colleagues = match scope.agency_id() {
        Some(a) => crate::db::cases::colleagues(&state.db, a).await?,
        None => Vec::new(),
    };
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
            t(lang, "Trạng thái", "Status"),
            t(lang, "Người phụ trách", "Assignee"),
            t(lang, "Việc tiếp theo", "Next action"),
        ]
        .map(str::to_string)
        .to_vec(),
        rows: all
            .iter()
            .map(|l| {
                let case = l.case.as_ref();
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
                    case.map_or(Cell::Empty, |c| Cell::Text(c.status.as_str().into())),
                    text(&case.and_then(|c| c.assignee_id).and_then(|id| {
                        colleagues
                            .iter()
                            .find(|(i, _)| *i == id)
                            .map(|(_, e)| e.clone())
                    })),
                    text(
                        &case
                            .and_then(|c| c.next_action)
                            .map(|d| d.format("%Y-%m-%d").to_string()),
                    ),
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
