//! `GET /api/v1/stats?province=&former_province=&commune=&sector=&size=&ocop=&trade=&version=&from=&to=`:
//! the dashboard's figures as JSON, for staff and admins (`401` without a session, `403` for
//! other roles or another province), from `usecases::dashboard::figures`.
//!
//! Under the privacy rule (`domain::privacy`): a figure of 1–4 firms is `null`, `responses`
//! included, with `"suppressed": true`; cells that would let a total give a small one away are
//! `null` too; a view that differs from a coarser one by 1–4 firms is withheld as a whole,
//! with `"withheld"` saying to widen the filters. `from` and `to` snap to whole months.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Query, State};
use serde_json::{Value, json};

use crate::db::aggregates::Dim;
use crate::domain::Role;
use crate::domain::privacy::{MIN_GROUP, Shown, Withheld};
use crate::usecases::dashboard::{self, Count, Figures, FilterProblem, FilterQuery};
use crate::web::error::ApiResult;
use crate::web::pages::console::current_definition;
use crate::web::session::ApiUser;
use crate::web::{ApiError, AppError, AppState};

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn count(c: Count) -> Value {
    match c {
        Shown::Figure(n) => json!(n),
        Shown::NoFirms => json!(0),
        Shown::Suppressed => Value::Null,
    }
}

/// A share of the view's firms, to 0.1 %.
fn share(c: Count, n: u64) -> Value {
    match c {
        Shown::Figure(k) if n > 0 => json!(round1(100.0 * k as f64 / n as f64) / 100.0),
        Shown::NoFirms => json!(0.0),
        _ => Value::Null,
    }
}

/// The message of a withheld view (English: the API's errors are).
pub fn withheld_message(w: &Withheld) -> String {
    match w {
        Withheld::Difference { dropped } => format!(
            "widen the filters: without {} this view would differ by fewer than {MIN_GROUP} firms",
            dropped.join(", ")
        ),
        Withheld::Month(m) => format!(
            "widen the filters: {}-{:02} holds fewer than {MIN_GROUP} of these firms",
            m / 100,
            m % 100
        ),
    }
}

/// The API's query problems as errors.
pub fn filter_error(p: &FilterProblem) -> AppError {
    match p {
        FilterProblem::BadDate => {
            AppError::BadRequest("from and to must be dates like 2026-11-22".into())
        }
        FilterProblem::BadValue(field) => AppError::BadRequest(format!("{field}: unknown value")),
        FilterProblem::OutsideScope => AppError::Forbidden,
    }
}

pub fn dim_name(d: Dim) -> &'static str {
    match d {
        Dim::Province => "province",
        Dim::FormerProvince => "former_province",
        Dim::Commune => "commune",
        Dim::Sector => "sector",
        Dim::SizeClass => "size",
        Dim::Ocop => "ocop",
        Dim::Trade => "trade",
    }
}

/// The figures as the API's JSON.
pub fn figures_json(f: &Figures) -> Value {
    let n = f.responses.figure().unwrap_or(0);
    let filter = &f.filter.filter;
    let filters = json!({
        "province": filter.province,
        "former_province": filter.former_province,
        "commune": filter.commune,
        "sector": filter.sector,
        "size": filter.size_class,
        "ocop": filter.ocop,
        "trade": filter.trade,
        "version": filter.version,
        "from": f.filter.from_day.map(|d| d.to_string()),
        "to": f.filter.to_day.map(|d| d.to_string()),
    });
    let levels: BTreeMap<String, Value> = f
        .levels
        .iter()
        .map(|(l, c)| (l.to_string(), count(*c)))
        .collect();
    let dimensions: BTreeMap<&str, Value> = f
        .dimensions
        .iter()
        .map(|(id, m)| (id.as_str(), json!(m.map(round1))))
        .collect();
    let barriers: BTreeMap<&str, Value> = f
        .barriers
        .iter()
        .map(|b| (b.id.as_str(), share(b.any, n)))
        .collect();
    let barriers_detail: BTreeMap<&str, Value> = f
        .barriers
        .iter()
        .map(|b| {
            (
                b.id.as_str(),
                json!({"self_reported": share(b.self_reported, n), "inferred": share(b.inferred, n)}),
            )
        })
        .collect();
    let practices: BTreeMap<&str, Value> = f
        .practices
        .iter()
        .map(|p| {
            let counted = p.counted.figure().unwrap_or(0);
            (
                p.id.as_str(),
                json!({"counted": count(p.counted), "share": share(p.adopted, counted)}),
            )
        })
        .collect();
    let months: BTreeMap<String, Value> = f
        .months
        .iter()
        .map(|(m, c)| (format!("{}-{:02}", m / 100, m % 100), count(*c)))
        .collect();
    let groups: BTreeMap<&str, Value> = f
        .groups
        .iter()
        .map(|(dim, groups)| {
            (
                dim_name(*dim),
                Value::Array(
                    groups
                        .iter()
                        .map(|g| {
                            json!({
                                "key": (!g.key.is_empty()).then_some(&g.key),
                                "responses": count(g.count),
                                "mean": g.mean.map(round1),
                            })
                        })
                        .collect(),
                ),
            )
        })
        .collect();
    json!({
        "responses": count(f.responses),
        "suppressed": !f.detailed(),
        "privacy_threshold": MIN_GROUP,
        "withheld": f.withheld.as_ref().map(withheld_message),
        "filters": filters,
        "overall": {
            "mean": f.mean.map(round1),
            "median": f.median.map(round1),
        },
        "levels": levels,
        "dimensions": dimensions,
        "barriers": barriers,
        "barriers_detail": barriers_detail,
        "practices": practices,
        "months": months,
        "roadmap": f.rules.iter().map(|(id, c)| json!({"id": id, "share": share(*c, n)})).collect::<Vec<_>>(),
        "groups": groups,
        "reassessed": {
            "responses": if f.detailed() { count(f.reassessed) } else { Value::Null },
            "mean_change": f.mean_change.map(round1),
        },
    })
}

/// Aggregate results for staff and admins under the privacy rule.
#[utoipa::path(
    get,
    path = "/stats",
    params(
        ("province" = Option<String>, Query, description = "province slug"),
        ("former_province" = Option<String>, Query, description = "former province slug (before July 2025)"),
        ("commune" = Option<String>, Query, description = "commune slug"),
        ("sector" = Option<String>, Query, description = "sector id"),
        ("size" = Option<String>, Query, description = "size class: micro, small, medium, large"),
        ("ocop" = Option<bool>, Query, description = "true or false"),
        ("trade" = Option<String>, Query, description = "none, import, export, both or any"),
        ("version" = Option<String>, Query, description = "questionnaire version, e.g. 1.1.0 (alias: questionnaire)"),
        ("from" = Option<String>, Query, description = "YYYY-MM-DD; from the first day of its month"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD; to the last day of its month"),
    ),
    responses(
        (status = 200, description = "{responses, suppressed, withheld, filters, overall {mean, median}, levels, dimensions, barriers, barriers_detail, practices {id: {counted, share}}, months, roadmap, groups, reassessed}"),
        (status = 401, description = "not signed in as staff or admin"),
    )
)]
pub async fn stats(
    State(state): State<AppState>,
    user: ApiUser,
    Query(query): Query<FilterQuery>,
) -> ApiResult<Json<Value>> {
    user.require(Role::sees_aggregates)?;
    let questionnaire_id = current_definition(&state).map_or_else(String::new, |d| d.id.clone());
    let filter = dashboard::parse_filter(&user.0, &questionnaire_id, &query)
        .map_err(|p| ApiError(filter_error(&p)))?;
    let figures = dashboard::figures(&state, &user.0, &filter).await?;
    Ok(Json(figures_json(&figures)))
}
