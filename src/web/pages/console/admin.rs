//! `/admin`: accounts (create, disable, re-role) and support agencies; `/admin/audit`: the
//! audit log with filters. Admins only; every change is written to the audit log.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form as MultiForm;
use maud::{Markup, html};
use serde::Deserialize;

use super::{Console, current_definition, error_summary, province_name, reference, role_name};
use crate::auth::accounts::{BARRIER_IDS, ScopeInput};
use crate::db;
use crate::db::accounts::{Account, Agency};
use crate::db::audit::{self, action};
use crate::domain::Lang;
use crate::domain::Role;
use crate::domain::questionnaire::Warning;
use crate::domain::reference::Reference;
use crate::usecases::{
    self,
    accounts::{AccountRequest, AgencyRequest, IfExists, save_account},
};
use crate::web::dates::{day_range, parse_day, vn_time};
use crate::web::views::layout::t;
use crate::web::{AppError, AppResult, AppState};

/// Entries shown on the audit page at once.
const AUDIT_PAGE_SIZE: u64 = 200;

/// The admin page again with the reason an input was refused (422), about `whom` if given.
async fn refused(
    state: &AppState,
    console: &Console,
    whom: Option<&String>,
    problem: &crate::domain::Text,
) -> AppResult<Response> {
    let problem = match whom {
        Some(who) => format!("{who}: {}", problem.get(console.lang)),
        None => problem.get(console.lang).to_string(),
    };
    render(state, console, StatusCode::UNPROCESSABLE_ENTITY, &[problem]).await
}

/// `GET /admin`.
pub async fn admin_page(State(state): State<AppState>, console: Console) -> AppResult<Response> {
    console.require(Role::administers)?;
    render(&state, &console, StatusCode::OK, &[]).await
}

async fn render(
    state: &AppState,
    console: &Console,
    status: StatusCode,
    problems: &[String],
) -> AppResult<Response> {
    let accounts = db::accounts::list_accounts(&state.db).await?;
    let agencies = db::accounts::list_agencies(&state.db).await?;
    let reference = reference(state);
    let warnings =
        crate::domain::questionnaire::warnings(&state.questionnaires, state.clock.today());
    let content = html! {
        (admin_view(console, &reference, &accounts, &agencies, problems))
        (questionnaire_warnings(console.lang, &warnings))
    };
    let title = if problems.is_empty() {
        console.t("Quản trị", "Admin").to_string()
    } else {
        format!(
            "{}: {}",
            console.t("Lỗi", "Error"),
            console.t("Quản trị", "Admin")
        )
    };
    Ok(console.page_with_status(status, &title, content))
}

#[derive(Deserialize)]
pub struct NewAccountForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    province: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
}

/// `POST /admin/accounts`.
pub async fn create_account(
    State(state): State<AppState>,
    console: Console,
    MultiForm(form): MultiForm<NewAccountForm>,
) -> AppResult<Response> {
    console.require(Role::administers)?;
    console.verify_csrf(&form.csrf_token)?;
    let reference = reference(&state);
    let request = AccountRequest {
        email: &form.email,
        password: form.password,
        scope: ScopeInput {
            role: &form.role,
            agency: Some(&form.agency),
            province: Some(&form.province),
        },
    };
    match save_account(
        &state.db,
        &reference,
        &console.actor(),
        request,
        IfExists::Refuse,
    )
    .await
    {
        Err(usecases::Error::Refused(problem)) => refused(&state, &console, None, &problem).await,
        done => done
            .map(|_| Redirect::to("/admin#accounts").into_response())
            .map_err(Into::into),
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    province: String,
    #[serde(default)]
    csrf_token: String,
}

async fn other_account(state: &AppState, console: &Console, id: i64) -> AppResult<Account> {
    let account = db::accounts::find_account(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if account.id == console.account().id {
        // So the service can never lose its last admin through this page.
        return Err(AppError::Conflict(
            "you cannot change or disable your own account here; ask another admin".into(),
        ));
    }
    Ok(account)
}

/// `POST /admin/accounts/{id}/role`: role and scope.
pub async fn change_role(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<i64>,
    MultiForm(form): MultiForm<RoleForm>,
) -> AppResult<Response> {
    console.require(Role::administers)?;
    console.verify_csrf(&form.csrf_token)?;
    let account = other_account(&state, &console, id).await?;
    let reference = reference(&state);
    let scope = ScopeInput {
        role: &form.role,
        agency: Some(&form.agency),
        province: Some(&form.province),
    };
    match usecases::accounts::change_role(&state.db, &reference, &console.actor(), &account, &scope)
        .await
    {
        Err(usecases::Error::Refused(problem)) => {
            refused(&state, &console, Some(&account.email), &problem).await
        }
        done => done
            .map(|_| Redirect::to("/admin#accounts").into_response())
            .map_err(Into::into),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /admin/accounts/{id}/disable`: the account can no longer sign in and its sessions end.
pub async fn disable_account(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<i64>,
    MultiForm(form): MultiForm<CsrfOnly>,
) -> AppResult<Response> {
    set_disabled(state, console, id, form, true).await
}

/// `POST /admin/accounts/{id}/enable`.
pub async fn enable_account(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<i64>,
    MultiForm(form): MultiForm<CsrfOnly>,
) -> AppResult<Response> {
    set_disabled(state, console, id, form, false).await
}

async fn set_disabled(
    state: AppState,
    console: Console,
    id: i64,
    form: CsrfOnly,
    disabled: bool,
) -> AppResult<Response> {
    console.require(Role::administers)?;
    console.verify_csrf(&form.csrf_token)?;
    let account = other_account(&state, &console, id).await?;
    usecases::accounts::set_disabled(&state.db, &console.actor(), &account, disabled).await?;
    Ok(Redirect::to("/admin#accounts").into_response())
}

#[derive(Deserialize)]
pub struct AgencyForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    provinces: Vec<String>,
    #[serde(default)]
    barriers: Vec<String>,
    #[serde(default)]
    csrf_token: String,
}

/// `POST /admin/agencies`: creates an agency or updates the one with the same slug.
pub async fn save_agency(
    State(state): State<AppState>,
    console: Console,
    MultiForm(form): MultiForm<AgencyForm>,
) -> AppResult<Response> {
    console.require(Role::administers)?;
    console.verify_csrf(&form.csrf_token)?;
    let reference = reference(&state);
    let request = AgencyRequest {
        slug: &form.slug,
        name: &form.name,
        provinces: &form.provinces,
        barriers: &form.barriers,
    };
    match usecases::accounts::save_agency(&state.db, &reference, &console.actor(), request).await {
        Err(usecases::Error::Refused(problem)) => refused(&state, &console, None, &problem).await,
        done => done
            .map(|_| Redirect::to("/admin#agencies").into_response())
            .map_err(Into::into),
    }
}

fn role_options(lang: Lang, selected: Option<Role>) -> Markup {
    html! {
        @for role in Role::ALL {
            option value=(role.as_str()) selected[selected == Some(role)] { (role_name(lang, role)) }
        }
    }
}

fn agency_options(lang: Lang, agencies: &[Agency], selected: Option<i64>) -> Markup {
    html! {
        option value="" { (t(lang, "— không —", "— none —")) }
        @for a in agencies {
            option value=(a.slug) selected[selected == Some(a.id)] { (a.name) " (" (a.slug) ")" }
        }
    }
}

fn province_options(
    lang: Lang,
    reference: &Reference,
    selected: Option<&str>,
    none_label: (&str, &str),
) -> Markup {
    html! {
        option value="" { (t(lang, none_label.0, none_label.1)) }
        @for p in &reference.provinces {
            option value=(p.slug) selected[selected == Some(p.slug.as_str())] { (p.name.get(lang)) }
        }
    }
}

/// What will go wrong soon in the questionnaires and programmes (see `check-questionnaires`).
fn questionnaire_warnings(lang: Lang, warnings: &[Warning]) -> Markup {
    html! {
        section #questionnaire-warnings {
            h2 { (t(lang, "Cảnh báo về bảng hỏi và chương trình hỗ trợ", "Questionnaire and programme warnings")) }
            @if warnings.is_empty() {
                p { (t(lang, "Không có cảnh báo.", "No warnings.")) }
            } @else {
                ul { @for w in warnings { li { (w.message.get(lang)) } } }
            }
        }
    }
}

fn admin_view(
    console: &Console,
    reference: &Reference,
    accounts: &[Account],
    agencies: &[Agency],
    problems: &[String],
) -> Markup {
    let lang = console.lang;
    let csrf = console.csrf_value();
    let agency_name = |id: Option<i64>| {
        id.and_then(|id| agencies.iter().find(|a| a.id == id))
            .map(|a| a.name.clone())
    };
    html! {
        h1 { (t(lang, "Quản trị", "Admin")) }
        (error_summary(lang, problems))
        p { a href="/admin/audit" { (t(lang, "Xem nhật ký truy cập và thay đổi", "Read the audit log")) } }

        section #accounts {
            h2 { (t(lang, "Tài khoản", "Accounts")) }
            table.table {
                thead { tr {
                    th scope="col" { "E-mail" }
                    th scope="col" { (t(lang, "Vai trò và phạm vi", "Role and scope")) }
                    th scope="col" { (t(lang, "Trạng thái", "Status")) }
                    th scope="col" { (t(lang, "Đổi vai trò", "Change role")) }
                    th scope="col" { span.visually-hidden { (t(lang, "Khóa hoặc mở", "Disable or enable")) } }
                } }
                tbody {
                    @for a in accounts {
                        tr {
                            td { (a.email) }
                            td {
                                (role_name(lang, a.role))
                                @if let Some(name) = agency_name(a.agency_id) { br; (name) }
                                @if let Some(p) = &a.province { br; (province_name(reference, lang, p)) }
                            }
                            td { @if a.disabled { (t(lang, "Đã khóa", "Disabled")) } @else { (t(lang, "Đang hoạt động", "Active")) } }
                            td {
                                @if a.id != console.account().id {
                                    form.inline-form method="post" action={ "/admin/accounts/" (a.id) "/role" } {
                                        input type="hidden" name="csrf_token" value=(csrf);
                                        label.visually-hidden for={ "role-" (a.id) } { (t(lang, "Vai trò", "Role")) }
                                        select id={ "role-" (a.id) } name="role" { (role_options(lang, Some(a.role))) }
                                        label.visually-hidden for={ "agency-" (a.id) } { (t(lang, "Đơn vị", "Agency")) }
                                        select id={ "agency-" (a.id) } name="agency" { (agency_options(lang, agencies, a.agency_id)) }
                                        label.visually-hidden for={ "province-" (a.id) } { (t(lang, "Tỉnh", "Province")) }
                                        select id={ "province-" (a.id) } name="province" { (province_options(lang, reference, a.province.as_deref(), ("Mọi tỉnh", "All provinces"))) }
                                        button.button.button-secondary type="submit" { (t(lang, "Lưu", "Save")) }
                                    }
                                } @else {
                                    (t(lang, "(tài khoản của bạn)", "(your account)"))
                                }
                            }
                            td {
                                @if a.id != console.account().id {
                                    @if a.disabled {
                                        form method="post" action={ "/admin/accounts/" (a.id) "/enable" } {
                                            input type="hidden" name="csrf_token" value=(csrf);
                                            button.button.button-secondary type="submit" { (t(lang, "Mở khóa", "Enable")) }
                                        }
                                    } @else {
                                        form method="post" action={ "/admin/accounts/" (a.id) "/disable" } {
                                            input type="hidden" name="csrf_token" value=(csrf);
                                            button.button.button-warning type="submit" { (t(lang, "Khóa", "Disable")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }

            h3 { (t(lang, "Tạo tài khoản", "Create an account")) }
            form method="post" action="/admin/accounts" novalidate {
                input type="hidden" name="csrf_token" value=(csrf);
                div.field {
                    label for="new-email" { "E-mail" }
                    input #new-email type="email" name="email" maxlength="254" autocomplete="off" spellcheck="false" required;
                }
                div.field {
                    label for="new-role" { (t(lang, "Vai trò", "Role")) }
                    select #new-role name="role" { (role_options(lang, Some(Role::Staff))) }
                }
                div.field {
                    label for="new-agency" { (t(lang, "Đơn vị hỗ trợ (chỉ cho vai trò đơn vị hỗ trợ)", "Support agency (agency role only)")) }
                    select #new-agency name="agency" { (agency_options(lang, agencies, None)) }
                }
                div.field {
                    label for="new-province" { (t(lang, "Giới hạn theo tỉnh (chỉ cho cán bộ)", "Limit to a province (staff only)")) }
                    select #new-province name="province" { (province_options(lang, reference, None, ("Mọi tỉnh", "All provinces"))) }
                }
                div.field {
                    label for="new-password" { (t(lang, "Mật khẩu ban đầu", "First password")) }
                    p.hint { (t(lang, "Ít nhất 10 ký tự. Gửi riêng cho người dùng và nhắc họ đổi ngay.", "At least 10 characters. Give it to the person privately and ask them to change it.")) }
                    input #new-password type="password" name="password" autocomplete="new-password" maxlength="256" required;
                }
                button.button type="submit" { (t(lang, "Tạo tài khoản", "Create account")) }
            }
        }

        section #agencies {
            h2 { (t(lang, "Đơn vị hỗ trợ", "Support agencies")) }
            @if agencies.is_empty() {
                p { (t(lang, "Chưa có đơn vị hỗ trợ nào.", "There are no support agencies yet.")) }
            } @else {
                table.table {
                    thead { tr {
                        th scope="col" { (t(lang, "Mã", "Slug")) }
                        th scope="col" { (t(lang, "Tên", "Name")) }
                        th scope="col" { (t(lang, "Tỉnh/thành phục vụ", "Provinces served")) }
                        th scope="col" { (t(lang, "Rào cản hỗ trợ", "Barriers it helps with")) }
                    } }
                    tbody {
                        @for a in agencies {
                            tr {
                                td { code { (a.slug) } }
                                td { (a.name) }
                                td { (a.provinces.iter().map(|p| province_name(reference, lang, p)).collect::<Vec<_>>().join(", ")) }
                                td { (a.barriers.join(", ")) }
                            }
                        }
                    }
                }
            }
            h3 { (t(lang, "Thêm hoặc cập nhật đơn vị", "Add or update an agency")) }
            p.hint { (t(lang, "Dùng lại một mã đã có để cập nhật đơn vị đó.", "Use an existing slug to update that agency.")) }
            form method="post" action="/admin/agencies" novalidate {
                input type="hidden" name="csrf_token" value=(csrf);
                div.field {
                    label for="agency-slug" { (t(lang, "Mã (chữ thường, số, gạch ngang)", "Slug (lowercase letters, digits, hyphens)")) }
                    input #agency-slug type="text" name="slug" maxlength="64" pattern="[a-z0-9-]+" spellcheck="false" required;
                }
                div.field {
                    label for="agency-name" { (t(lang, "Tên đơn vị", "Name")) }
                    input #agency-name type="text" name="name" maxlength="200" required;
                }
                div.field {
                    label for="agency-provinces" { (t(lang, "Tỉnh/thành phục vụ (giữ Ctrl để chọn nhiều)", "Provinces served (hold Ctrl to pick several)")) }
                    select #agency-provinces name="provinces" multiple size="8" {
                        @for p in &reference.provinces { option value=(p.slug) { (p.name.get(lang)) } }
                    }
                }
                fieldset.field {
                    legend { (t(lang, "Rào cản đơn vị hỗ trợ (để trống là tất cả)", "Barriers it helps with (none ticked means all)")) }
                    @for b in BARRIER_IDS {
                        div.checkbox {
                            input type="checkbox" id={ "barrier-" (b) } name="barriers" value=(b);
                            label for={ "barrier-" (b) } { (b) }
                        }
                    }
                }
                button.button type="submit" { (t(lang, "Lưu đơn vị", "Save agency")) }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// `GET /admin/audit?actor=&action=&from=&to=`.
pub async fn audit_page(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<AuditQuery>,
) -> AppResult<Response> {
    console.require(Role::administers)?;
    let lang = console.lang;
    let mut problems = Vec::new();
    let from = parse_day(query.from.as_deref()).unwrap_or_else(|_| {
        problems.push(
            t(
                lang,
                "Ngày bắt đầu phải có dạng 2026-11-22",
                "The start date must look like 2026-11-22",
            )
            .to_string(),
        );
        None
    });
    let to = parse_day(query.to.as_deref()).unwrap_or_else(|_| {
        problems.push(
            t(
                lang,
                "Ngày kết thúc phải có dạng 2026-11-22",
                "The end date must look like 2026-11-22",
            )
            .to_string(),
        );
        None
    });
    let (from_at, until_at) = day_range(from, to);
    let action_filter = query
        .action
        .as_deref()
        .filter(|a| action::ALL.contains(a))
        .map(str::to_string);
    let actor = query
        .actor
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| a.chars().take(254).collect::<String>());
    let filter = audit::Filter {
        actor: actor.clone(),
        action: action_filter.clone(),
        from: from_at,
        until: until_at,
    };
    let entries = audit::search(&state.db, &filter, AUDIT_PAGE_SIZE).await?;
    let content = html! {
        h1 { (t(lang, "Nhật ký", "Audit log")) }
        (error_summary(lang, &problems))
        form.filters method="get" action="/admin/audit" {
            div.field {
                label for="actor" { (t(lang, "Người thực hiện (e-mail)", "Actor (e-mail)")) }
                input #actor type="text" name="actor" value=(actor.unwrap_or_default()) maxlength="254";
            }
            div.field {
                label for="action" { (t(lang, "Hành động", "Action")) }
                select #action name="action" {
                    option value="" { (t(lang, "Mọi hành động", "Every action")) }
                    @for a in action::ALL {
                        option value=(a) selected[action_filter.as_deref() == Some(a)] { (a) }
                    }
                }
            }
            div.field {
                label for="from" { (t(lang, "Từ ngày", "From")) }
                input #from type="date" name="from" value=(from.map(|d| d.to_string()).unwrap_or_default());
            }
            div.field {
                label for="to" { (t(lang, "Đến ngày", "To")) }
                input #to type="date" name="to" value=(to.map(|d| d.to_string()).unwrap_or_default());
            }
            button.button type="submit" { (t(lang, "Lọc", "Filter")) }
        }
        @if entries.is_empty() {
            p { (t(lang, "Không có mục nào.", "Nothing matches.")) }
        } @else {
            table.table {
                thead { tr {
                    th scope="col" { (t(lang, "Thời điểm", "When")) }
                    th scope="col" { (t(lang, "Người thực hiện", "Actor")) }
                    th scope="col" { (t(lang, "Hành động", "Action")) }
                    th scope="col" { (t(lang, "Đối tượng", "Object")) }
                    th scope="col" { (t(lang, "Chi tiết", "Detail")) }
                    th scope="col" { (t(lang, "Địa chỉ", "Address")) }
                } }
                tbody {
                    @for e in &entries {
                        tr {
                            td { (vn_time(e.at)) }
                            td { (e.actor) }
                            td { code { (e.action) } }
                            td { (e.object.as_deref().unwrap_or("")) }
                            td { (e.detail.as_deref().unwrap_or("")) }
                            td { (e.client_addr.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
            @if entries.len() as u64 == AUDIT_PAGE_SIZE {
                p.hint { (t(lang, "Chỉ hiện 200 mục mới nhất; thu hẹp bộ lọc để xem các mục cũ hơn.", "Only the newest 200 entries are shown; narrow the filter to see older ones.")) }
            }
        }
    };
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(console.page_with_status(status, t(lang, "Nhật ký", "Audit log"), content))
}

/// Rows per database page of the response export.
const EXPORT_PAGE: u64 = 1000;

/// `GET /admin/export/responses.csv`: one row per submitted response, without personal data.
/// Streamed page by page, so a million rows start at once and the server holds one page.
pub async fn export_responses(
    State(state): State<AppState>,
    console: Console,
) -> AppResult<Response> {
    use crate::web::export::{Cell, csv_header, csv_record};
    console.require(Role::administers)?;
    let dimensions: Vec<String> = current_definition(&state)
        .map(|d| d.dimensions.iter().map(|x| x.id.clone()).collect())
        .unwrap_or_default();
    let mut columns = vec![
        "submitted_at",
        "questionnaire_version",
        "province",
        "former_province",
        "sector",
        "size_class",
        "channel",
        "overall",
        "level",
    ];
    columns.extend(dimensions.iter().map(String::as_str));
    let header = axum::body::Bytes::from(csv_header(&columns));
    let db = state.db.clone();
    // (next page starts after this id, finished)
    let pages = futures_util::stream::unfold((None, false), move |(after, done)| {
        let db = db.clone();
        let dimensions = dimensions.clone();
        async move {
            if done {
                return None;
            }
            let rows = match db::export::response_page(&db, after, EXPORT_PAGE).await {
                Ok(rows) => rows,
                Err(e) => return Some((Err(std::io::Error::other(e)), (after, true))),
            };
            let last = rows.last().map(|r| r.id);
            let finished = (rows.len() as u64) < EXPORT_PAGE;
            let text = |v: &Option<String>| v.clone().map_or(Cell::Empty, Cell::Text);
            let number = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Number);
            let mut out = Vec::with_capacity(rows.len() * 120);
            for r in &rows {
                let mut cells = vec![
                    text(&r.submitted_at.map(|t| t.to_rfc3339())),
                    Cell::Text(r.questionnaire_version.clone()),
                    text(&r.province),
                    text(&r.former_province),
                    text(&r.sector),
                    text(&r.size_class),
                    Cell::Text(r.channel.clone()),
                    number(r.overall),
                    number(r.level.map(f64::from)),
                ];
                cells.extend(dimensions.iter().map(|id| {
                    number(
                        r.dimensions
                            .iter()
                            .find(|d| &d.id == id)
                            .and_then(|d| d.score),
                    )
                }));
                out.extend(csv_record(&cells));
            }
            Some((
                Ok(axum::body::Bytes::from(out)),
                (last.or(after), finished || last.is_none()),
            ))
        }
    });
    let body = futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(header) }),
        pages,
    );
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, crate::web::export::CSV),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"dxready-responses.csv\"",
            ),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}
