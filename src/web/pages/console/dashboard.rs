//! `GET /dashboard`: aggregate results for city and province staff (and admins). Counts and
//! means only, never a firm's identity; groups under five are shown as "< 5" without a mean.
//! A staff account limited to a province sees only that province.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::{Console, current_definition, error_summary, province_name, reference};
use crate::db::accounts::Account;
use crate::db::stats::{self, Filter, Group, Summary};
use crate::domain::Lang;
use crate::domain::Role;
use crate::domain::privacy;
use crate::domain::reference::Reference;
use crate::web::dates::{day_range, parse_day};
use crate::web::export::{self, Cell, Table, Workbook};
use crate::web::views::layout::{number, t};
use crate::web::{AppError, AppResult, AppState};

/// The filters of the dashboard and of `GET /api/v1/stats`, as given in the query string.
#[derive(Debug, Default, Deserialize)]
pub struct StatsQuery {
    pub province: Option<String>,
    pub sector: Option<String>,
    pub size: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Why the filters were refused.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterProblem {
    BadDate,
    /// A province-limited account asked for another province.
    OutsideScope,
}

fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.chars().take(64).collect())
}

/// The filter an account may use: a province-limited account is held to its province.
pub fn stats_filter(account: &Account, query: &StatsQuery) -> Result<Filter, FilterProblem> {
    let asked = given(&query.province);
    let province = match (&account.province, asked) {
        (Some(own), Some(asked)) if *own != asked => return Err(FilterProblem::OutsideScope),
        (Some(own), _) => Some(own.clone()),
        (None, asked) => asked,
    };
    let from = parse_day(query.from.as_deref()).map_err(|_| FilterProblem::BadDate)?;
    let to = parse_day(query.to.as_deref()).map_err(|_| FilterProblem::BadDate)?;
    let (from, until) = day_range(from, to);
    Ok(Filter {
        province,
        sector: given(&query.sector),
        size_class: given(&query.size),
        from,
        until,
    })
}

/// Everything the dashboard shows for one filter.
struct Figures {
    summary: Summary,
    by_province: Vec<Group>,
    by_sector: Vec<Group>,
    by_size: Vec<Group>,
    dimensions: std::collections::BTreeMap<String, f64>,
    barriers: std::collections::BTreeMap<String, u64>,
}

async fn load_figures(state: &AppState, filter: &Filter) -> AppResult<Figures> {
    let rows = stats::results(&state.db, filter).await?;
    Ok(Figures {
        summary: stats::summarise(&rows),
        by_province: stats::group_by(&rows, |r| r.province.as_deref()),
        by_sector: stats::group_by(&rows, |r| r.sector.as_deref()),
        by_size: stats::group_by(&rows, |r| r.size_class.as_deref()),
        dimensions: stats::dimension_means(&state.db, filter).await?,
        barriers: stats::barrier_counts(&state.db, filter).await?,
    })
}

/// A barrier's title in the questionnaire, else its id.
fn barrier_title(def: Option<&crate::domain::Definition>, lang: Lang, id: &str) -> String {
    def.and_then(|d| d.barrier(id))
        .map_or_else(|| id.to_string(), |b| b.title.get(lang).to_string())
}

/// A dimension's title in the questionnaire, else its id.
fn dimension_title(def: Option<&crate::domain::Definition>, lang: Lang, id: &str) -> String {
    def.and_then(|d| d.dimension(id))
        .map_or_else(|| id.to_string(), |d| d.title.get(lang).to_string())
}

/// The dashboard's tables as a file, under the privacy rule: a count or mean of 1–4 firms is
/// an empty cell, and with fewer than five firms in all only the notes are written.
fn figures_workbook(
    lang: Lang,
    reference: &Reference,
    def: Option<&crate::domain::Definition>,
    query: &StatsQuery,
    f: &Figures,
) -> Workbook {
    let n = f.summary.responses;
    let count = |c: u64| {
        if privacy::shown(c, ()).is_suppressed() {
            Cell::Suppressed
        } else {
            Cell::Number(c as f64)
        }
    };
    let mean = |c: u64, v: Option<f64>| match (privacy::shown(c, v).figure().flatten(), c) {
        (Some(v), _) => Cell::Number((v * 10.0).round() / 10.0),
        (None, 0) => Cell::Empty,
        (None, _) => Cell::Suppressed,
    };
    let filter = |name: &str, v: &Option<String>| {
        (
            name.to_string(),
            v.clone()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| t(lang, "tất cả", "all").into()),
        )
    };
    let mut book = Workbook {
        notes: vec![
            (
                t(lang, "Bảng", "Tables").into(),
                t(
                    lang,
                    "Kết quả đánh giá chuyển đổi số (dxready)",
                    "Digital-transformation readiness results (dxready)",
                )
                .into(),
            ),
            filter(t(lang, "Tỉnh/thành", "Province"), &query.province),
            filter(t(lang, "Ngành", "Sector"), &query.sector),
            filter(t(lang, "Quy mô", "Size"), &query.size),
            filter(t(lang, "Từ ngày", "From"), &query.from),
            filter(t(lang, "Đến ngày", "To"), &query.to),
            (
                t(lang, "Ô trống", "Empty cells").into(),
                t(
                    lang,
                    "ít hơn 5 doanh nghiệp: không hiển thị để bảo vệ doanh nghiệp",
                    "fewer than 5 firms: withheld to protect the firms",
                )
                .into(),
            ),
        ],
        tables: Vec::new(),
    };
    if privacy::shown(n, ()).figure().is_none() {
        return book;
    }
    book.tables.push(Table {
        title: t(lang, "Tổng quan", "Overview").into(),
        columns: vec![
            t(lang, "Số bài đánh giá", "Assessments").into(),
            t(lang, "Điểm trung bình", "Mean score").into(),
            t(lang, "Điểm trung vị", "Median score").into(),
        ],
        rows: vec![vec![
            count(n),
            mean(n, f.summary.mean),
            mean(n, f.summary.median),
        ]],
    });
    let level_name = |level: i16| {
        def.and_then(|d| d.level(u8::try_from(level).unwrap_or(0)))
            .map_or_else(
                || format!("{level}"),
                |l| format!("{level} {}", l.name.get(lang)),
            )
    };
    book.tables.push(Table {
        title: t(lang, "Mức", "Levels").into(),
        columns: vec![
            t(lang, "Mức", "Level").into(),
            t(lang, "Số doanh nghiệp", "Firms").into(),
        ],
        rows: f
            .summary
            .levels
            .iter()
            .map(|(l, c)| vec![Cell::Text(level_name(*l)), count(*c)])
            .collect(),
    });
    book.tables.push(Table {
        title: t(lang, "Điểm trung bình theo lĩnh vực", "Mean score by area").into(),
        columns: vec![
            t(lang, "Lĩnh vực", "Area").into(),
            t(lang, "Điểm", "Score").into(),
        ],
        rows: f
            .dimensions
            .iter()
            .map(|(id, m)| {
                vec![
                    Cell::Text(dimension_title(def, lang, id)),
                    mean(n, Some(*m)),
                ]
            })
            .collect(),
    });
    book.tables.push(Table {
        title: t(lang, "Rào cản", "Barriers").into(),
        columns: vec![
            t(lang, "Rào cản", "Barrier").into(),
            t(lang, "Số doanh nghiệp", "Firms").into(),
        ],
        rows: f
            .barriers
            .iter()
            .map(|(id, c)| vec![Cell::Text(barrier_title(def, lang, id)), count(*c)])
            .collect(),
    });
    let groups = |title: &str, key: &str, groups: &[Group], name: &dyn Fn(&str) -> String| Table {
        title: title.into(),
        columns: vec![
            key.into(),
            t(lang, "Số doanh nghiệp", "Firms").into(),
            t(lang, "Điểm trung bình", "Mean score").into(),
        ],
        rows: groups
            .iter()
            .map(|g| {
                vec![
                    Cell::Text(
                        g.key
                            .as_deref()
                            .map_or_else(|| t(lang, "không rõ", "not given").into(), name),
                    ),
                    count(g.count),
                    mean(g.count, Some(g.mean)),
                ]
            })
            .collect(),
    };
    book.tables.push(groups(
        t(lang, "Theo tỉnh/thành", "By province"),
        t(lang, "Tỉnh/thành", "Province"),
        &f.by_province,
        &|p| province_name(reference, lang, p),
    ));
    book.tables.push(groups(
        t(lang, "Theo ngành", "By sector"),
        t(lang, "Ngành", "Sector"),
        &f.by_sector,
        &|s| sector_name(reference, lang, s),
    ));
    book.tables.push(groups(
        t(lang, "Theo quy mô", "By size"),
        t(lang, "Quy mô", "Size"),
        &f.by_size,
        &|s| size_name(reference, lang, s),
    ));
    book
}

/// `GET /dashboard/export.csv` and `GET /dashboard/export.xlsx`: the dashboard's tables for the
/// same filters, with the filters written in the file.
pub async fn export(
    State(state): State<AppState>,
    console: Console,
    axum::extract::Path(format): axum::extract::Path<String>,
    Query(query): Query<StatsQuery>,
) -> AppResult<Response> {
    console.require(Role::sees_aggregates)?;
    let filter = stats_filter(console.account(), &query).map_err(|p| match p {
        FilterProblem::BadDate => {
            AppError::BadRequest("from and to must be dates like 2026-11-22".into())
        }
        FilterProblem::OutsideScope => AppError::Forbidden,
    })?;
    let figures = load_figures(&state, &filter).await?;
    let reference = reference(&state);
    let def = current_definition(&state);
    let book = figures_workbook(console.lang, &reference, def.as_deref(), &query, &figures);
    match format.as_str() {
        "export.csv" => Ok(export::attachment(
            export::CSV,
            "dxready-dashboard.csv",
            book.to_csv(),
        )),
        "export.xlsx" => {
            let bytes = book
                .to_xlsx()
                .map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
            Ok(export::attachment(
                export::XLSX,
                "dxready-dashboard.xlsx",
                bytes,
            ))
        }
        _ => Err(AppError::NotFound),
    }
}

/// `GET /dashboard`.
pub async fn dashboard(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<StatsQuery>,
) -> AppResult<Response> {
    console.require(Role::sees_aggregates)?;
    let lang = console.lang;
    let mut problems = Vec::new();
    let filter = match stats_filter(console.account(), &query) {
        Ok(f) => f,
        Err(problem) => {
            problems.push(
                match problem {
                    FilterProblem::BadDate => t(
                        lang,
                        "Ngày phải có dạng 2026-11-22",
                        "Dates must look like 2026-11-22",
                    ),
                    FilterProblem::OutsideScope => t(
                        lang,
                        "Tài khoản của bạn chỉ xem được tỉnh của mình",
                        "Your account can see only its own province",
                    ),
                }
                .to_string(),
            );
            stats_filter(console.account(), &StatsQuery::default()).unwrap_or_default()
        }
    };
    let figures = load_figures(&state, &filter).await?;
    let reference = reference(&state);
    let def = current_definition(&state);
    let content = html! {
        h1 { (t(lang, "Tổng quan kết quả đánh giá", "Assessment results")) }
        @if let Some(p) = &console.account().province {
            p.notice { (t(lang, "Bạn đang xem số liệu của ", "You are seeing figures for ")) (province_name(&reference, lang, p)) "." }
        }
        (error_summary(lang, &problems))
        (filters(lang, console.account(), &reference, &filter, &query))
        (figures_view(lang, &reference, def.as_deref(), &figures))
    };
    Ok(console.page(t(lang, "Tổng quan", "Dashboard"), content))
}

fn filters(
    lang: Lang,
    account: &Account,
    reference: &Reference,
    filter: &Filter,
    query: &StatsQuery,
) -> Markup {
    html! {
        form.filters method="get" action="/dashboard" {
            @if account.province.is_none() {
                div.field {
                    label for="province" { (t(lang, "Tỉnh/thành phố", "Province")) }
                    select #province name="province" {
                        option value="" { (t(lang, "Tất cả", "All")) }
                        @for p in &reference.provinces {
                            option value=(p.slug) selected[filter.province.as_deref() == Some(p.slug.as_str())] { (p.name.get(lang)) }
                        }
                    }
                }
            }
            div.field {
                label for="sector" { (t(lang, "Ngành", "Sector")) }
                select #sector name="sector" {
                    option value="" { (t(lang, "Tất cả", "All")) }
                    @for s in &reference.sectors {
                        option value=(s.id) selected[filter.sector.as_deref() == Some(s.id.as_str())] { (s.name.get(lang)) }
                    }
                }
            }
            div.field {
                label for="size" { (t(lang, "Quy mô", "Size")) }
                select #size name="size" {
                    option value="" { (t(lang, "Tất cả", "All")) }
                    @for id in reference.size_class_ids() {
                        option value=(id) selected[filter.size_class.as_deref() == Some(id.as_str())] { (size_name(reference, lang, &id)) }
                    }
                }
            }
            div.field {
                label for="from" { (t(lang, "Từ ngày", "From")) }
                input #from type="date" name="from" value=(query.from.clone().unwrap_or_default());
            }
            div.field {
                label for="to" { (t(lang, "Đến ngày", "To")) }
                input #to type="date" name="to" value=(query.to.clone().unwrap_or_default());
            }
            button.button type="submit" { (t(lang, "Xem", "Apply")) }
            " "
            a href="/dashboard" { (t(lang, "Bỏ lọc", "Clear filters")) }
        }
    }
}

fn sector_name(reference: &Reference, lang: Lang, id: &str) -> String {
    reference
        .sector(id)
        .map_or_else(|| id.to_string(), |s| s.name.get(lang).to_string())
}

fn size_name(reference: &Reference, lang: Lang, id: &str) -> String {
    reference
        .size_tables
        .iter()
        .flat_map(|table| &table.classes)
        .find(|c| c.id == id)
        .map_or_else(|| id.to_string(), |c| c.name.get(lang).to_string())
}

/// A count of 1–4 firms: withheld under the privacy rule.
fn is_small(count: u64) -> bool {
    privacy::shown(count, ()).is_suppressed()
}

/// A count as shown: "< 5" for a small group.
fn count_cell(lang: Lang, count: u64) -> String {
    if is_small(count) {
        "< 5".to_string()
    } else {
        number(lang, count as f64, 0)
    }
}

fn score_cell(lang: Lang, count: u64, value: Option<f64>) -> String {
    match value {
        Some(v) if !is_small(count) && count > 0 => number(lang, v, 1),
        _ => "–".to_string(),
    }
}

fn figures_view(
    lang: Lang,
    reference: &Reference,
    def: Option<&crate::domain::Definition>,
    f: &Figures,
) -> Markup {
    let n = f.summary.responses;
    let shown = !is_small(n) && n > 0;
    let low_levels: u64 = f
        .summary
        .levels
        .iter()
        .filter(|(l, _)| **l <= 1)
        .map(|(_, c)| *c)
        .sum();
    let top_barrier = f.barriers.iter().max_by_key(|(_, c)| **c);
    let level_name = |level: i16| {
        def.and_then(|d| d.level(u8::try_from(level).unwrap_or(0)))
            .map_or_else(
                || format!("{} {level}", t(lang, "Mức", "Level")),
                |l| l.name.get(lang).to_string(),
            )
    };
    let barrier_name = |id: &str| barrier_title(def, lang, id);
    let dimension_name = |id: &str| dimension_title(def, lang, id);
    let levels: Vec<i16> = match def {
        Some(d) => d.levels.iter().map(|l| i16::from(l.level)).collect(),
        None => f.summary.levels.keys().copied().collect(),
    };
    html! {
        section.headline aria-label=(t(lang, "Số liệu chính", "Headline figures")) {
            dl.figures {
                div { dt { (t(lang, "Số bài đánh giá", "Assessments")) } dd { (count_cell(lang, n)) } }
                div { dt { (t(lang, "Điểm trung vị", "Median score")) } dd { (score_cell(lang, n, f.summary.median)) } }
                div { dt { (t(lang, "Tỷ lệ ở Mức 0–1", "Share at levels 0–1")) } dd {
                    @if shown && !is_small(low_levels) { (number(lang, 100.0 * low_levels as f64 / n as f64, 0)) " %" } @else { "–" }
                } }
                div { dt { (t(lang, "Rào cản phổ biến nhất", "Most common barrier")) } dd {
                    @match top_barrier {
                        Some((id, count)) if shown && !is_small(*count) => { (barrier_name(id)) }
                        _ => { "–" }
                    }
                } }
            }
        }
        @if n == 0 {
            p { (t(lang, "Chưa có bài đánh giá nào khớp với bộ lọc.", "No assessments match these filters yet.")) }
        } @else if !shown {
            p { (t(lang,
                "Có ít hơn 5 bài đánh giá khớp với bộ lọc; để bảo vệ doanh nghiệp, số liệu chi tiết không được hiển thị.",
                "Fewer than 5 assessments match these filters; to protect the firms, no detail is shown.")) }
        } @else {
            section {
                h2 { (t(lang, "Doanh nghiệp đang ở mức nào?", "What level are firms at?")) }
                table.table.table-numbers {
                    thead { tr {
                        th scope="col" { (t(lang, "Mức", "Level")) }
                        th scope="col" { (t(lang, "Số doanh nghiệp", "Firms")) }
                        th scope="col" { (t(lang, "Tỷ lệ", "Share")) }
                    } }
                    tbody {
                        @for level in &levels {
                            @let count = f.summary.levels.get(level).copied().unwrap_or(0);
                            tr {
                                th scope="row" { (level_name(*level)) }
                                td { (count_cell(lang, count)) }
                                td {
                                    @if is_small(count) { "–" } @else {
                                        meter min="0" max=(n) value=(count) { (count) "/" (n) }
                                        " " (number(lang, 100.0 * count as f64 / n as f64, 0)) " %"
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section {
                h2 { (t(lang, "Rào cản nào cản trở doanh nghiệp?", "Which barriers hold firms back?")) }
                table.table.table-numbers {
                    thead { tr {
                        th scope="col" { (t(lang, "Rào cản", "Barrier")) }
                        th scope="col" { (t(lang, "Số doanh nghiệp", "Firms")) }
                        th scope="col" { (t(lang, "Tỷ lệ", "Share")) }
                    } }
                    tbody {
                        @for (id, count) in &f.barriers {
                            tr {
                                th scope="row" { (barrier_name(id)) }
                                td { (count_cell(lang, *count)) }
                                td { @if is_small(*count) { "–" } @else { (number(lang, 100.0 * *count as f64 / n as f64, 0)) " %" } }
                            }
                        }
                    }
                }
            }
            section {
                h2 { (t(lang, "Doanh nghiệp mạnh và yếu ở đâu?", "Where are firms strong and weak?")) }
                table.table.table-numbers {
                    thead { tr {
                        th scope="col" { (t(lang, "Lĩnh vực", "Dimension")) }
                        th scope="col" { (t(lang, "Điểm trung bình", "Mean score")) }
                    } }
                    tbody {
                        @for (id, mean) in &f.dimensions {
                            tr { th scope="row" { (dimension_name(id)) } td { (number(lang, *mean, 1)) } }
                        }
                    }
                }
            }
            (group_table(lang, t(lang, "Theo tỉnh/thành phố", "By province"), &f.by_province, |id| province_name(reference, lang, id)))
            (group_table(lang, t(lang, "Theo ngành", "By sector"), &f.by_sector, |id| sector_name(reference, lang, id)))
            (group_table(lang, t(lang, "Theo quy mô", "By size"), &f.by_size, |id| size_name(reference, lang, id)))
        }
    }
}

fn group_table(lang: Lang, title: &str, groups: &[Group], name: impl Fn(&str) -> String) -> Markup {
    html! {
        section {
            h2 { (title) }
            table.table.table-numbers {
                thead { tr {
                    th scope="col" { (t(lang, "Nhóm", "Group")) }
                    th scope="col" { (t(lang, "Số bài đánh giá", "Assessments")) }
                    th scope="col" { (t(lang, "Điểm trung bình", "Mean score")) }
                } }
                tbody {
                    @for g in groups {
                        tr {
                            th scope="row" { @match &g.key { Some(k) => { (name(k)) } None => { (t(lang, "Không rõ", "Not given")) } } }
                            td { (count_cell(lang, g.count)) }
                            td { (score_cell(lang, g.count, Some(g.mean))) }
                        }
                    }
                }
            }
        }
    }
}
