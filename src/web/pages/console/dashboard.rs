//! `GET /dashboard` and its exports: aggregate results for city and province staff (and
//! admins). Counts, shares and means only, never a firm's identity. Everything shown comes
//! from `usecases::dashboard::figures`, which has already applied the privacy rule: a
//! withheld figure shows as "< 5", a withheld view as a request to widen the filters.
//! A staff account limited to a province sees only that province.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};

use super::{Console, current_definition, error_summary, province_name, reference};
use crate::db::accounts::Account;
use crate::db::aggregates::Dim;
use crate::domain::privacy::{MIN_GROUP, Shown, Withheld};
use crate::domain::reference::{Reference, Target};
use crate::domain::{Definition, Lang, Role};
use crate::usecases::dashboard::{self, Count, Figures, FilterProblem, FilterQuery, ViewFilter};
use crate::web::export::{self, Cell, Table, Workbook};
use crate::web::views::charts::{self, Bar, ChartText, LevelCount, Point, Scale};
use crate::web::views::layout::{number, t};
use crate::web::{AppError, AppResult, AppState};

/// A barrier's title in the questionnaire, else its id.
fn barrier_title(def: Option<&Definition>, lang: Lang, id: &str) -> String {
    def.and_then(|d| d.barrier(id))
        .map_or_else(|| id.to_string(), |b| b.title.get(lang).to_string())
}

/// A dimension's title in the questionnaire, else its id.
fn dimension_title(def: Option<&Definition>, lang: Lang, id: &str) -> String {
    def.and_then(|d| d.dimension(id))
        .map_or_else(|| id.to_string(), |d| d.title.get(lang).to_string())
}

/// A key practice's title, else its id.
fn practice_title(def: Option<&Definition>, lang: Lang, id: &str) -> String {
    def.and_then(|d| d.practices().iter().find(|p| p.id == id))
        .map_or_else(|| id.to_string(), |p| p.title.get(lang).to_string())
}

/// A roadmap item's title, else its id.
fn rule_title(def: Option<&Definition>, lang: Lang, id: &str) -> String {
    def.and_then(|d| d.rules.iter().find(|r| r.id == id))
        .map_or_else(|| id.to_string(), |r| r.title.get(lang).to_string())
}

fn level_name(def: Option<&Definition>, lang: Lang, level: u8) -> String {
    def.and_then(|d| d.level(level)).map_or_else(
        || format!("{} {level}", t(lang, "Mức", "Level")),
        |l| l.name.get(lang).to_string(),
    )
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
        .map_or_else(
            // Above every SME class: the classes' file names no such row.
            || match id {
                crate::domain::reference::LARGE => t(
                    lang,
                    "Doanh nghiệp lớn (không thuộc DNNVV)",
                    "Large (not an SME)",
                )
                .to_string(),
                _ => id.to_string(),
            },
            |c| c.name.get(lang).to_string(),
        )
}

fn former_name(reference: &Reference, slug: &str) -> String {
    reference
        .former_provinces()
        .into_iter()
        .find(|(s, _, _)| *s == slug)
        .map_or_else(|| slug.to_string(), |(_, name, _)| name.to_string())
}

fn group_name(reference: &Reference, lang: Lang, dim: Dim, key: &str) -> String {
    if key.is_empty() {
        return t(lang, "Không rõ", "Not given").into();
    }
    match dim {
        Dim::Province => province_name(reference, lang, key),
        Dim::FormerProvince => former_name(reference, key),
        Dim::Sector => sector_name(reference, lang, key),
        Dim::SizeClass => size_name(reference, lang, key),
        _ => key.to_string(),
    }
}

fn group_title(lang: Lang, dim: Dim) -> &'static str {
    match dim {
        Dim::Province => t(lang, "Theo tỉnh/thành phố", "By province"),
        Dim::FormerProvince => t(
            lang,
            "Theo tỉnh/thành phố cũ (trước 1/7/2025)",
            "By former province (before July 2025)",
        ),
        Dim::Sector => t(lang, "Theo ngành", "By sector"),
        Dim::SizeClass => t(lang, "Theo quy mô", "By size"),
        _ => "",
    }
}

fn month_label(m: i32) -> String {
    format!("{:02}/{}", m % 100, m / 100)
}

fn withheld_text(lang: Lang, w: &Withheld) -> String {
    match w {
        Withheld::Difference { dropped } => format!(
            "{} ({})",
            t(
                lang,
                "Hãy mở rộng bộ lọc: bỏ bớt bộ lọc, kết quả chỉ chênh lệch dưới 5 doanh nghiệp, nên có thể suy ra doanh nghiệp cụ thể",
                "Widen the filters: without some of them the figures would differ by fewer than 5 firms, which could single those firms out",
            ),
            dropped.join(", ")
        ),
        Withheld::Month(m) => format!(
            "{} {}.",
            t(
                lang,
                "Hãy mở rộng bộ lọc: có dưới 5 doanh nghiệp trong tháng",
                "Widen the filters: fewer than 5 of these firms in",
            ),
            month_label(*m)
        ),
    }
}

fn problem_text(lang: Lang, p: &FilterProblem) -> String {
    match p {
        FilterProblem::BadDate => t(
            lang,
            "Ngày phải có dạng 2026-11-22",
            "Dates must look like 2026-11-22",
        )
        .into(),
        FilterProblem::BadValue(field) => format!(
            "{}: {field}",
            t(lang, "Giá trị lọc không hợp lệ", "Unknown filter value")
        ),
        FilterProblem::OutsideScope => t(
            lang,
            "Tài khoản của bạn chỉ xem được tỉnh của mình",
            "Your account can see only its own province",
        )
        .into(),
    }
}

fn questionnaire_id(state: &AppState) -> String {
    current_definition(state).map_or_else(String::new, |d| d.id.clone())
}

// ---------------------------------------------------------------------------------------------
// Exports

fn cell(c: Count) -> Cell {
    match c {
        Shown::Figure(n) => Cell::Number(n as f64),
        Shown::NoFirms => Cell::Number(0.0),
        Shown::Suppressed => Cell::Suppressed,
    }
}

fn mean_cell(v: Option<f64>) -> Cell {
    v.map_or(Cell::Suppressed, |v| {
        Cell::Number((v * 10.0).round() / 10.0)
    })
}

/// A share of `n` in per cent, to 0.1.
fn share_cell(c: Count, n: u64) -> Cell {
    match c {
        Shown::Figure(k) if n > 0 => Cell::Number((1000.0 * k as f64 / n as f64).round() / 10.0),
        Shown::NoFirms => Cell::Number(0.0),
        _ => Cell::Suppressed,
    }
}

/// The dashboard's tables as a file, under the privacy rule: a withheld figure is an empty
/// cell, and a withheld view writes only the notes.
fn figures_workbook(
    lang: Lang,
    reference: &Reference,
    def: Option<&Definition>,
    query: &FilterQuery,
    f: &Figures,
) -> Workbook {
    let filter = |name: &str, v: &Option<String>| {
        (
            name.to_string(),
            v.clone()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| t(lang, "tất cả", "all").into()),
        )
    };
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string());
    let mut notes = vec![
        (
            t(lang, "Bảng", "Tables").into(),
            t(
                lang,
                "Kết quả đánh giá chuyển đổi số (dxready)",
                "Digital-transformation readiness results (dxready)",
            )
            .into(),
        ),
        filter(t(lang, "Tỉnh/thành", "Province"), &f.filter.filter.province),
        filter(
            t(lang, "Tỉnh/thành cũ", "Former province"),
            &query.former_province,
        ),
        filter(t(lang, "Xã/phường", "Commune"), &query.commune),
        filter(t(lang, "Ngành", "Sector"), &query.sector),
        filter(t(lang, "Quy mô", "Size"), &query.size),
        filter("OCOP", &query.ocop),
        filter(t(lang, "Xuất nhập khẩu", "Trade"), &query.trade),
        filter(t(lang, "Phiên bản", "Version"), &f.filter.filter.version),
        filter(t(lang, "Từ ngày", "From"), &day(f.filter.from_day)),
        filter(t(lang, "Đến ngày", "To"), &day(f.filter.to_day)),
        (
            t(lang, "Ô trống", "Empty cells").into(),
            t(
                lang,
                "ít hơn 5 doanh nghiệp, hoặc suy ra được từ các ô khác: không hiển thị để bảo vệ doanh nghiệp",
                "fewer than 5 firms, or derivable from the other cells: withheld to protect the firms",
            )
            .into(),
        ),
    ];
    if let Some(w) = &f.withheld {
        notes.push((
            t(lang, "Không hiển thị", "Withheld").into(),
            withheld_text(lang, w),
        ));
    }
    let mut book = Workbook {
        notes,
        tables: Vec::new(),
    };
    if !f.detailed() {
        return book;
    }
    let n = f.responses.figure().unwrap_or(0);
    let firms = || t(lang, "Số doanh nghiệp", "Firms").to_string();
    book.tables.push(Table {
        title: t(lang, "Tổng quan", "Overview").into(),
        columns: vec![
            t(lang, "Số bài đánh giá", "Assessments").into(),
            t(lang, "Điểm trung bình", "Mean score").into(),
            t(lang, "Điểm trung vị", "Median score").into(),
        ],
        rows: vec![vec![
            cell(f.responses),
            mean_cell(f.mean),
            mean_cell(f.median),
        ]],
    });
    book.tables.push(Table {
        title: t(lang, "Theo tháng", "By month").into(),
        columns: vec![t(lang, "Tháng", "Month").into(), firms()],
        rows: f
            .months
            .iter()
            .map(|(m, c)| vec![Cell::Text(month_label(*m)), cell(*c)])
            .collect(),
    });
    book.tables.push(Table {
        title: t(lang, "Mức", "Levels").into(),
        columns: vec![t(lang, "Mức", "Level").into(), firms()],
        rows: f
            .levels
            .iter()
            .map(|(l, c)| {
                vec![
                    Cell::Text(format!("{l} {}", level_name(def, lang, *l))),
                    cell(*c),
                ]
            })
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
            .map(|(id, m)| vec![Cell::Text(dimension_title(def, lang, id)), mean_cell(*m)])
            .collect(),
    });
    book.tables.push(Table {
        title: t(lang, "Rào cản (% doanh nghiệp)", "Barriers (% of firms)").into(),
        columns: vec![
            t(lang, "Rào cản", "Barrier").into(),
            t(lang, "Tự nêu", "Self-reported").into(),
            t(lang, "Suy ra từ câu trả lời", "Inferred from answers").into(),
        ],
        rows: f
            .barriers
            .iter()
            .map(|b| {
                vec![
                    Cell::Text(barrier_title(def, lang, &b.id)),
                    share_cell(b.self_reported, n),
                    share_cell(b.inferred, n),
                ]
            })
            .collect(),
    });
    book.tables.push(Table {
        title: t(lang, "Thực hành chính", "Key practices").into(),
        columns: vec![
            t(lang, "Thực hành", "Practice").into(),
            t(lang, "Doanh nghiệp được tính", "Firms counted").into(),
            t(lang, "Tỷ lệ áp dụng (%)", "Adoption (%)").into(),
        ],
        rows: f
            .practices
            .iter()
            .map(|p| {
                vec![
                    Cell::Text(practice_title(def, lang, &p.id)),
                    cell(p.counted),
                    share_cell(p.adopted, p.counted.figure().unwrap_or(0)),
                ]
            })
            .collect(),
    });
    book.tables.push(Table {
        title: t(
            lang,
            "Việc được đề xuất nhiều nhất (% doanh nghiệp)",
            "Most recommended actions (% of firms)",
        )
        .into(),
        columns: vec![
            t(lang, "Việc", "Action").into(),
            t(lang, "Tỷ lệ", "Share").into(),
        ],
        rows: f
            .rules
            .iter()
            .map(|(id, c)| vec![Cell::Text(rule_title(def, lang, id)), share_cell(*c, n)])
            .collect(),
    });
    for (dim, groups) in &f.groups {
        book.tables.push(Table {
            title: group_title(lang, *dim).into(),
            columns: vec![
                t(lang, "Nhóm", "Group").into(),
                firms(),
                t(lang, "Điểm trung bình", "Mean score").into(),
            ],
            rows: groups
                .iter()
                .map(|g| {
                    vec![
                        Cell::Text(group_name(reference, lang, *dim, &g.key)),
                        cell(g.count),
                        mean_cell(g.mean),
                    ]
                })
                .collect(),
        });
    }
    book.tables.push(Table {
        title: t(lang, "Doanh nghiệp đánh giá lại", "Re-assessed firms").into(),
        columns: vec![
            firms(),
            t(lang, "Thay đổi điểm trung bình", "Mean change in score").into(),
        ],
        rows: vec![vec![cell(f.reassessed), mean_cell(f.mean_change)]],
    });
    book
}

/// `GET /dashboard/export.csv` and `GET /dashboard/export.xlsx`: the dashboard's tables for the
/// same filters, with the filters written in the file.
pub async fn export(
    State(state): State<AppState>,
    console: Console,
    axum::extract::Path(format): axum::extract::Path<String>,
    Query(query): Query<FilterQuery>,
) -> AppResult<Response> {
    console.require(Role::sees_aggregates)?;
    let filter = dashboard::parse_filter(console.account(), &questionnaire_id(&state), &query)
        .map_err(|p| crate::web::api::stats::filter_error(&p))?;
    let figures = dashboard::figures(&state, console.account(), &filter).await?;
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

// ---------------------------------------------------------------------------------------------
// The page

/// `GET /dashboard`.
pub async fn dashboard(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<FilterQuery>,
) -> AppResult<Response> {
    console.require(Role::sees_aggregates)?;
    let lang = console.lang;
    let mut problems = Vec::new();
    let filter = match dashboard::parse_filter(console.account(), &questionnaire_id(&state), &query)
    {
        Ok(f) => f,
        Err(problem) => {
            problems.push(problem_text(lang, &problem));
            dashboard::parse_filter(
                console.account(),
                &questionnaire_id(&state),
                &FilterQuery::default(),
            )
            .unwrap_or_default()
        }
    };
    let figures = dashboard::figures(&state, console.account(), &filter).await?;
    let reference = reference(&state);
    let def = current_definition(&state);
    let versions: Vec<String> = state
        .questionnaires
        .definitions
        .keys()
        .map(|(_, version)| version.clone())
        .collect();
    let content = html! {
        h1 { (t(lang, "Tổng quan kết quả đánh giá", "Assessment results")) }
        @if let Some(p) = &console.account().province {
            p.notice { (t(lang, "Bạn đang xem số liệu của ", "You are seeing figures for ")) (province_name(&reference, lang, p)) "." }
        }
        (error_summary(lang, &problems))
        (filters(lang, console.account(), &reference, &versions, &filter))
        (figures_view(lang, &reference, def.as_deref(), &figures, &reference.targets_for(filter.filter.province.as_deref(), state.clock.today())))
    };
    Ok(console.page(t(lang, "Tổng quan", "Dashboard"), content))
}

fn select_field(
    lang: Lang,
    id: &str,
    label: &str,
    chosen: Option<&str>,
    options: &[(String, String)],
) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            select id=(id) name=(id) {
                option value="" { (t(lang, "Tất cả", "All")) }
                @for (value, name) in options {
                    option value=(value) selected[chosen == Some(value.as_str())] { (name) }
                }
            }
        }
    }
}

fn filters(
    lang: Lang,
    account: &Account,
    reference: &Reference,
    versions: &[String],
    view: &ViewFilter,
) -> Markup {
    let f = &view.filter;
    let province = f.province.as_deref();
    let provinces: Vec<(String, String)> = reference
        .provinces
        .iter()
        .map(|p| (p.slug.clone(), p.name.get(lang).to_string()))
        .collect();
    // Former provinces and communes of the chosen province only (all former ones otherwise):
    // a province-limited account sees no other province's names.
    let formers: Vec<(String, String)> = reference
        .former_provinces()
        .into_iter()
        .filter(|(_, _, now)| province.is_none_or(|p| p == *now))
        .map(|(slug, name, _)| (slug.to_string(), name.to_string()))
        .collect();
    let communes: Vec<(String, String)> = province.map_or_else(Vec::new, |p| {
        reference
            .communes
            .iter()
            .filter(|c| c.province == p)
            .map(|c| (c.slug.clone(), c.name.clone()))
            .collect()
    });
    let sectors: Vec<(String, String)> = reference
        .sectors
        .iter()
        .map(|s| (s.id.clone(), s.name.get(lang).to_string()))
        .collect();
    let sizes: Vec<(String, String)> = reference
        .size_class_ids()
        .into_iter()
        .map(|id| {
            let name = size_name(reference, lang, &id);
            (id, name)
        })
        .collect();
    let ocop = f.ocop.map(|o| if o { "true" } else { "false" });
    let trades = [
        (
            "any",
            t(lang, "Có xuất hoặc nhập khẩu", "Imports or exports"),
        ),
        ("import", t(lang, "Có nhập khẩu", "Imports")),
        ("export", t(lang, "Có xuất khẩu", "Exports")),
        ("both", t(lang, "Cả xuất và nhập khẩu", "Both")),
        ("none", t(lang, "Không", "Neither")),
    ]
    .map(|(v, n)| (v.to_string(), n.to_string()));
    let version = f
        .version
        .as_deref()
        .and_then(|v| v.split_once('@'))
        .map(|(_, v)| v);
    let version_options: Vec<(String, String)> =
        versions.iter().map(|v| (v.clone(), v.clone())).collect();
    html! {
        form.filters method="get" action="/dashboard" {
            @if account.province.is_none() {
                (select_field(lang, "province", t(lang, "Tỉnh/thành phố", "Province"), province, &provinces))
            }
            (select_field(lang, "former_province", t(lang, "Tỉnh/thành phố cũ", "Former province"), f.former_province.as_deref(), &formers))
            @if communes.is_empty() {
                div.field {
                    label for="commune" { (t(lang, "Xã/phường (mã)", "Commune (slug)")) }
                    input #commune type="text" name="commune" value=(f.commune.clone().unwrap_or_default());
                }
            } @else {
                (select_field(lang, "commune", t(lang, "Xã/phường/đặc khu", "Commune"), f.commune.as_deref(), &communes))
            }
            (select_field(lang, "sector", t(lang, "Ngành", "Sector"), f.sector.as_deref(), &sectors))
            (select_field(lang, "size", t(lang, "Quy mô", "Size"), f.size_class.as_deref(), &sizes))
            (select_field(lang, "ocop", "OCOP", ocop, &[
                ("true".into(), t(lang, "Có sản phẩm OCOP", "OCOP-rated").into()),
                ("false".into(), t(lang, "Không có", "Not OCOP-rated").into()),
            ]))
            (select_field(lang, "trade", t(lang, "Xuất nhập khẩu", "Import/export"), f.trade.as_deref(), &trades))
            (select_field(lang, "version", t(lang, "Phiên bản bảng hỏi", "Questionnaire version"), version, &version_options))
            div.field {
                label for="from" { (t(lang, "Từ ngày", "From")) }
                input #from type="date" name="from" value=(view.from_day.map(|d| d.to_string()).unwrap_or_default());
            }
            div.field {
                label for="to" { (t(lang, "Đến ngày", "To")) }
                input #to type="date" name="to" value=(view.to_day.map(|d| d.to_string()).unwrap_or_default());
            }
            p.hint { (t(lang,
                "Ngày được làm tròn thành cả tháng: từ ngày đầu tháng đến ngày cuối tháng.",
                "Dates are widened to whole months: from the first day of the first month to the last day of the last.")) }
            button.button type="submit" { (t(lang, "Xem", "Apply")) }
            " "
            a href="/dashboard" { (t(lang, "Bỏ lọc", "Clear filters")) }
        }
    }
}

/// A count as shown: "< 5" for a withheld one.
fn count_text(lang: Lang, c: Count) -> String {
    match c {
        Shown::Figure(n) => number(lang, n as f64, 0),
        Shown::NoFirms => "0".into(),
        Shown::Suppressed => format!("< {MIN_GROUP}"),
    }
}

fn share_text(lang: Lang, c: Count, n: u64) -> String {
    match c {
        Shown::Figure(k) if n > 0 => format!("{} %", number(lang, 100.0 * k as f64 / n as f64, 0)),
        Shown::NoFirms => "0 %".into(),
        _ => format!("< {MIN_GROUP}"),
    }
}

fn score_text(lang: Lang, v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), |v| number(lang, v, 1))
}

/// A count as a chart value: `None` when withheld.
fn chart_count(c: Count) -> Option<f64> {
    match c {
        Shown::Figure(n) => Some(n as f64),
        Shown::NoFirms => Some(0.0),
        Shown::Suppressed => None,
    }
}

/// A share in percent of `n` firms as a chart value: `None` when withheld.
fn chart_share(c: Count, n: u64) -> Option<f64> {
    match c {
        Shown::Figure(k) if n > 0 => Some(100.0 * k as f64 / n as f64),
        Shown::NoFirms => Some(0.0),
        _ => None,
    }
}

/// Adoption of the key practices against the province's (or the nation's) targets.
fn practices_view(
    lang: Lang,
    def: Option<&Definition>,
    f: &Figures,
    targets: &[&Target],
) -> Markup {
    let target_of = |id: &str| targets.iter().find(|t| t.practice == id);
    let bars: Vec<Bar> = f
        .practices
        .iter()
        .map(|p| Bar {
            label: format!(
                "{} ({} {})",
                practice_title(def, lang, &p.id),
                count_text(lang, p.counted),
                t(lang, "DN được tính", "firms counted")
            ),
            value: chart_share(p.adopted, p.counted.figure().unwrap_or(0)),
            target: target_of(&p.id).map(|t| 100.0 * t.share),
        })
        .collect();
    html! {
        (charts::bar_chart(lang, ChartText {
            id: "practices",
            caption: t(lang, "Doanh nghiệp đã áp dụng những gì?", "Which key practices have firms adopted?"),
            category: t(lang, "Thực hành", "Practice"),
            value: t(lang, "Tỷ lệ áp dụng", "Adopted by"),
        }, Scale::Percent, &bars))
        @if !targets.is_empty() {
            h3 { (t(lang, "Mục tiêu", "Targets")) }
            ul.targets {
                @for target in targets {
                    li {
                        (target.title.get(lang)) ": "
                        (number(lang, 100.0 * target.share, 0)) " % "
                        (t(lang, "vào năm ", "by ")) (target.year)
                        @if let Some(p) = f.practices.iter().find(|p| p.id == target.practice) {
                            "; " (t(lang, "hiện đạt ", "now ")) (share_text(lang, p.adopted, p.counted.figure().unwrap_or(0)))
                        }
                        " ("
                        @match &target.source.url {
                            Some(url) => { a href=(url) { (target.source.title) } }
                            None => { (target.source.title) }
                        }
                        @if let Some(doc) = &target.source.document { ", " (doc) }
                        @if !target.verified { ", " (t(lang, "chưa đối chiếu văn bản gốc", "not yet checked against the official text")) }
                        ")"
                    }
                }
            }
        }
    }
}

fn figures_view(
    lang: Lang,
    reference: &Reference,
    def: Option<&Definition>,
    f: &Figures,
    targets: &[&Target],
) -> Markup {
    let n = f.responses.figure().unwrap_or(0);
    let low_levels: Option<u64> = f
        .levels
        .iter()
        .filter(|(l, _)| *l <= 1)
        .map(|(_, c)| match c {
            Shown::Figure(n) => Some(*n),
            Shown::NoFirms => Some(0),
            Shown::Suppressed => None,
        })
        .sum();
    let top_barrier = f
        .barriers
        .iter()
        .filter_map(|b| b.any.figure().map(|c| (c, &b.id)))
        .max_by_key(|(c, _)| *c);
    html! {
        section.headline aria-label=(t(lang, "Số liệu chính", "Headline figures")) {
            dl.figures {
                div { dt { (t(lang, "Số bài đánh giá", "Assessments")) } dd { (count_text(lang, f.responses)) } }
                div { dt { (t(lang, "Điểm trung bình", "Mean score")) } dd { (score_text(lang, f.mean)) } }
                div { dt { (t(lang, "Điểm trung vị", "Median score")) } dd { (score_text(lang, f.median)) } }
                div { dt { (t(lang, "Tỷ lệ ở Mức 0–1", "Share at levels 0–1")) } dd {
                    @match low_levels {
                        Some(low) if f.detailed() && n > 0 => { (number(lang, 100.0 * low as f64 / n as f64, 0)) " %" }
                        _ => { "–" }
                    }
                } }
                div { dt { (t(lang, "Rào cản phổ biến nhất", "Most common barrier")) } dd {
                    @match top_barrier {
                        Some((_, id)) => { (barrier_title(def, lang, id)) }
                        None => { "–" }
                    }
                } }
            }
        }
        @if let Some(w) = &f.withheld {
            p.notice role="status" { (withheld_text(lang, w)) }
        } @else if matches!(f.responses, Shown::NoFirms) {
            p { (t(lang, "Chưa có bài đánh giá nào khớp với bộ lọc.", "No assessments match these filters yet.")) }
        } @else if !f.detailed() {
            p { (t(lang,
                "Có ít hơn 5 bài đánh giá khớp với bộ lọc; để bảo vệ doanh nghiệp, số liệu chi tiết không được hiển thị.",
                "Fewer than 5 assessments match these filters; to protect the firms, no detail is shown.")) }
        } @else {
            p.hint { (t(lang,
                "Số liệu của dưới 5 doanh nghiệp, hoặc có thể suy ra từ các số khác, hiện là “< 5”.",
                "Figures of fewer than 5 firms, or that the other figures would give away, show as “< 5”.")) }
            // Each chart carries its own data table for screen readers and print.
            section {
                (charts::trend_chart(lang, ChartText {
                    id: "months",
                    caption: t(lang, "Số bài đánh giá theo tháng", "Assessments by month"),
                    category: t(lang, "Tháng", "Month"),
                    value: t(lang, "Số bài đánh giá", "Assessments"),
                }, Scale::Count, &f.months.iter().map(|(m, c)| Point { label: month_label(*m), value: chart_count(*c) }).collect::<Vec<_>>()))
            }
            section {
                (charts::level_chart(lang, ChartText {
                    id: "levels",
                    caption: t(lang, "Doanh nghiệp đang ở mức nào?", "What level are firms at?"),
                    category: t(lang, "Mức", "Level"),
                    value: t(lang, "Số doanh nghiệp", "Firms"),
                }, &f.levels.iter().map(|(l, c)| LevelCount { level: *l, name: format!("{l} {}", level_name(def, lang, *l)), count: chart_count(*c) }).collect::<Vec<_>>()))
                details {
                    summary { (t(lang, "Bảng số liệu theo mức", "Table of levels")) }
                table.table.table-numbers {
                    thead { tr {
                        th scope="col" { (t(lang, "Mức", "Level")) }
                        th scope="col" { (t(lang, "Số doanh nghiệp", "Firms")) }
                        th scope="col" { (t(lang, "Tỷ lệ", "Share")) }
                    } }
                    tbody {
                        @for (level, c) in &f.levels {
                            tr {
                                th scope="row" { (level) " " (level_name(def, lang, *level)) }
                                td { (count_text(lang, *c)) }
                                td {
                                    @if let Shown::Figure(k) = c {
                                        meter min="0" max=(n) value=(k) { (k) "/" (n) }
                                        " "
                                    }
                                    (share_text(lang, *c, n))
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
                        th scope="col" { (t(lang, "Doanh nghiệp tự nêu", "Named by the firm")) }
                        th scope="col" { (t(lang, "Suy ra từ câu trả lời", "Shown by the answers")) }
                    } }
                    tbody {
                        @for b in &f.barriers {
                            tr {
                                th scope="row" { (barrier_title(def, lang, &b.id)) }
                                td { (share_text(lang, b.self_reported, n)) }
                                td { (share_text(lang, b.inferred, n)) }
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
                            tr { th scope="row" { (dimension_title(def, lang, id)) } td { (score_text(lang, *mean)) } }
                        }
                    }
                }
            }
            section {
                (practices_view(lang, def, f, targets))
            }
            section {
                h2 { (t(lang, "Việc được đề xuất nhiều nhất", "Most recommended actions")) }
                table.table.table-numbers {
                    thead { tr {
                        th scope="col" { (t(lang, "Việc", "Action")) }
                        th scope="col" { (t(lang, "Tỷ lệ doanh nghiệp", "Share of firms")) }
                    } }
                    tbody {
                        @for (id, c) in &f.rules {
                            tr { th scope="row" { (rule_title(def, lang, id)) } td { (share_text(lang, *c, n)) } }
                        }
                    }
                }
            }
            @for (dim, groups) in &f.groups {
                section {
                    h2 { (group_title(lang, *dim)) }
                    table.table.table-numbers {
                        thead { tr {
                            th scope="col" { (t(lang, "Nhóm", "Group")) }
                            th scope="col" { (t(lang, "Số bài đánh giá", "Assessments")) }
                            th scope="col" { (t(lang, "Điểm trung bình", "Mean score")) }
                        } }
                        tbody {
                            @for g in groups {
                                tr {
                                    th scope="row" { (group_name(reference, lang, *dim, &g.key)) }
                                    td { (count_text(lang, g.count)) }
                                    td { (score_text(lang, g.mean)) }
                                }
                            }
                        }
                    }
                }
            }
            section {
                h2 { (t(lang, "Doanh nghiệp đánh giá lại", "Firms that re-took the check")) }
                p {
                    (t(lang, "Số doanh nghiệp: ", "Firms: ")) (count_text(lang, f.reassessed))
                    @if let Some(change) = f.mean_change {
                        "; " (t(lang, "thay đổi điểm trung bình: ", "mean change in score: "))
                        @if change > 0.0 { "+" } (number(lang, change, 1))
                    }
                }
            }
        }
    }
}
