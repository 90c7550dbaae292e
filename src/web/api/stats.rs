//! `GET /api/v1/stats?province=&sector=&size=&from=&to=`: the dashboard's figures as JSON, for
//! staff and admins (`401` without a session, `403` for other roles or another province).
//!
//! When fewer than five responses match, every figure is `null` (the count too, unless it is 0)
//! and `"suppressed": true`;
//! otherwise a level or barrier held by one to four firms is `null`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Query, State};
use serde_json::{Value, json};

use crate::db::stats;
use crate::domain::Role;
use crate::domain::privacy::{MIN_GROUP, shown};
use crate::web::error::ApiResult;
use crate::web::pages::console::dashboard::{FilterProblem, StatsQuery, stats_filter};
use crate::web::session::ApiUser;
use crate::web::{ApiError, AppError, AppState};

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Aggregate results for staff and admins; groups under the privacy threshold are suppressed.
#[utoipa::path(
    get,
    path = "/stats",
    params(
        ("province" = Option<String>, Query, description = "province slug"),
        ("sector" = Option<String>, Query, description = "sector id"),
        ("size" = Option<String>, Query, description = "size class: micro, small, medium, large"),
        ("from" = Option<String>, Query, description = "first day, YYYY-MM-DD"),
        ("to" = Option<String>, Query, description = "last day, YYYY-MM-DD"),
    ),
    responses(
        (status = 200, description = "{responses, overall {mean, median}, levels, dimensions, barriers}"),
        (status = 401, description = "not signed in as staff or admin"),
    )
)]
pub async fn stats(
    State(state): State<AppState>,
    user: ApiUser,
    Query(query): Query<StatsQuery>,
) -> ApiResult<Json<Value>> {
    user.require(Role::sees_aggregates)?;
    let filter = stats_filter(&user.0, &query).map_err(|p| {
        ApiError(match p {
            FilterProblem::BadDate => {
                AppError::BadRequest("from and to must be dates like 2026-11-22".into())
            }
            FilterProblem::OutsideScope => AppError::Forbidden,
        })
    })?;
    let rows = stats::results(&state.db, &filter).await?;
    let summary = stats::summarise(&rows);
    let n = summary.responses;
    if shown(n, ()).figure().is_none() {
        // The contract's rule reaches the count itself: 1–4 firms is `null` (zero reveals no one).
        let responses = if shown(n, ()).is_suppressed() {
            Value::Null
        } else {
            json!(n)
        };
        return Ok(Json(json!({
            "responses": responses,
            "suppressed": true,
            "privacy_threshold": MIN_GROUP,
            "overall": {"mean": null, "median": null},
            "levels": {},
            "dimensions": {},
            "barriers": {},
        })));
    }
    let levels: BTreeMap<String, Value> = summary
        .levels
        .iter()
        .map(|(level, count)| {
            // Zero firms reveal no one: only 1–4 are withheld.
            let figure = if shown(*count, ()).is_suppressed() {
                Value::Null
            } else {
                json!(count)
            };
            (level.to_string(), figure)
        })
        .collect();
    let dimensions: BTreeMap<String, f64> = stats::dimension_means(&state.db, &filter)
        .await?
        .into_iter()
        .map(|(id, mean)| (id, round1(mean)))
        .collect();
    let barriers: BTreeMap<String, Value> = stats::barrier_counts(&state.db, &filter)
        .await?
        .into_iter()
        .map(|(id, count)| {
            let share = if shown(count, ()).is_suppressed() {
                Value::Null
            } else {
                json!(round1(100.0 * count as f64 / n as f64) / 100.0)
            };
            (id, share)
        })
        .collect();
    Ok(Json(json!({
        "responses": n,
        "suppressed": false,
        "privacy_threshold": MIN_GROUP,
        "overall": {
            "mean": summary.mean.map(round1),
            "median": summary.median.map(round1),
        },
        "levels": levels,
        "dimensions": dimensions,
        "barriers": barriers,
    })))
}
