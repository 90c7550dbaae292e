//! Aggregates over submitted results for the dashboard and `GET /api/v1/stats`. Only the
//! non-identifying columns of `response` and the stored results are read; `contact` never is.
//! Suppressing small groups is the caller's job (`crate::domain::privacy`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::Result;
use super::entities::{assessment_result, response, result_barrier, result_dimension};
use super::responses::STATUS_SUBMITTED;

/// Which submitted responses to aggregate; every field is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub province: Option<String>,
    pub sector: Option<String>,
    pub size_class: Option<String>,
    /// Submitted at or after.
    pub from: Option<DateTime<Utc>>,
    /// Submitted before (exclusive).
    pub until: Option<DateTime<Utc>>,
}

/// One submitted result with the columns it can be grouped by.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    pub province: Option<String>,
    pub sector: Option<String>,
    pub size_class: Option<String>,
    pub overall: f64,
    pub level: i16,
}

/// The ids of the submitted responses that match `filter`.
fn matching_ids(filter: &Filter) -> SelectStatement {
    let mut q = Query::select();
    q.column((response::Entity, response::Column::Id))
        .from(response::Entity);
    add_conditions(&mut q, filter);
    q
}

fn add_conditions(q: &mut SelectStatement, filter: &Filter) {
    let col = |c: response::Column| Expr::col((response::Entity, c));
    q.and_where(col(response::Column::Status).eq(STATUS_SUBMITTED));
    if let Some(p) = &filter.province {
        q.and_where(col(response::Column::Province).eq(p.as_str()));
    }
    if let Some(s) = &filter.sector {
        q.and_where(col(response::Column::Sector).eq(s.as_str()));
    }
    if let Some(s) = &filter.size_class {
        q.and_where(col(response::Column::SizeClass).eq(s.as_str()));
    }
    if let Some(from) = filter.from {
        q.and_where(col(response::Column::SubmittedAt).gte(from));
    }
    if let Some(until) = filter.until {
        q.and_where(col(response::Column::SubmittedAt).lt(until));
    }
}

/// Every matching result (a few numbers and slugs each; a city's worth fits in memory).
pub async fn results(db: &DatabaseConnection, filter: &Filter) -> Result<Vec<ResultRow>> {
    let mut q = Query::select();
    q.column((response::Entity, response::Column::Province))
        .column((response::Entity, response::Column::Sector))
        .column((response::Entity, response::Column::SizeClass))
        .column((
            assessment_result::Entity,
            assessment_result::Column::Overall,
        ))
        .column((assessment_result::Entity, assessment_result::Column::Level))
        .from(response::Entity)
        .inner_join(
            assessment_result::Entity,
            Expr::col((
                assessment_result::Entity,
                assessment_result::Column::ResponseId,
            ))
            .equals((response::Entity, response::Column::Id)),
        );
    add_conditions(&mut q, filter);
    let rows = db.query_all(&q).await?;
    rows.iter()
        .map(|r| {
            Ok(ResultRow {
                province: r.try_get("", "province")?,
                sector: r.try_get("", "sector")?,
                size_class: r.try_get("", "size_class")?,
                overall: r.try_get("", "overall")?,
                level: r.try_get("", "level")?,
            })
        })
        .collect()
}

/// Mean score per dimension over the matching responses.
pub async fn dimension_means(
    db: &DatabaseConnection,
    filter: &Filter,
) -> Result<BTreeMap<String, f64>> {
    let mut q = Query::select();
    q.column(result_dimension::Column::DimensionId)
        .expr_as(
            Func::avg(Expr::col(result_dimension::Column::Score)),
            "mean",
        )
        .from(result_dimension::Entity)
        .and_where(
            Expr::col(result_dimension::Column::ResponseId).in_subquery(matching_ids(filter)),
        )
        .group_by_col(result_dimension::Column::DimensionId);
    let rows = db.query_all(&q).await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let id: String = r.try_get("", "dimension_id")?;
        let mean: Option<f64> = r.try_get("", "mean")?;
        if let Some(mean) = mean {
            out.insert(id, mean);
        }
    }
    Ok(out)
}

/// How many matching responses have each barrier.
pub async fn barrier_counts(
    db: &DatabaseConnection,
    filter: &Filter,
) -> Result<BTreeMap<String, u64>> {
    let mut q = Query::select();
    q.column(result_barrier::Column::BarrierId)
        .expr_as(
            Func::count(Expr::col(result_barrier::Column::ResponseId)),
            "n",
        )
        .from(result_barrier::Entity)
        .and_where(Expr::col(result_barrier::Column::ResponseId).in_subquery(matching_ids(filter)))
        .group_by_col(result_barrier::Column::BarrierId);
    let rows = db.query_all(&q).await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let id: String = r.try_get("", "barrier_id")?;
        let n: i64 = r.try_get("", "n")?;
        out.insert(id, u64::try_from(n).unwrap_or(0));
    }
    Ok(out)
}

/// Overall figures of a set of results, before any suppression.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    pub responses: u64,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub levels: BTreeMap<i16, u64>,
}

pub fn summarise(rows: &[ResultRow]) -> Summary {
    let mut scores: Vec<f64> = rows.iter().map(|r| r.overall).collect();
    scores.sort_by(f64::total_cmp);
    let n = scores.len();
    let mean = (n > 0).then(|| scores.iter().sum::<f64>() / n as f64);
    let median = (n > 0).then(|| {
        if n % 2 == 1 {
            scores[n / 2]
        } else {
            (scores[n / 2 - 1] + scores[n / 2]) / 2.0
        }
    });
    let mut levels = BTreeMap::new();
    for r in rows {
        *levels.entry(r.level).or_insert(0) += 1;
    }
    Summary {
        responses: n as u64,
        mean,
        median,
        levels,
    }
}

/// Count and mean overall score of one group (a province, a sector, a size class).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// `None` for responses that did not say.
    pub key: Option<String>,
    pub count: u64,
    pub mean: f64,
}

/// Groups `rows` by `key`, largest group first.
pub fn group_by(rows: &[ResultRow], key: impl Fn(&ResultRow) -> Option<&str>) -> Vec<Group> {
    let mut groups: BTreeMap<Option<String>, (u64, f64)> = BTreeMap::new();
    for r in rows {
        let entry = groups.entry(key(r).map(str::to_string)).or_insert((0, 0.0));
        entry.0 += 1;
        entry.1 += r.overall;
    }
    let mut out: Vec<Group> = groups
        .into_iter()
        .map(|(key, (count, sum))| Group {
            key,
            count,
            mean: sum / count as f64,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(province: &str, overall: f64, level: i16) -> ResultRow {
        ResultRow {
            province: Some(province.into()),
            sector: None,
            size_class: None,
            overall,
            level,
        }
    }

    #[test]
    fn summarises_mean_median_and_levels() {
        let rows = [
            row("a", 10.0, 0),
            row("a", 30.0, 1),
            row("b", 20.0, 1),
            row("b", 80.0, 4),
        ];
        let s = summarise(&rows);
        assert_eq!(s.responses, 4);
        assert_eq!(s.mean, Some(35.0));
        assert_eq!(s.median, Some(25.0));
        assert_eq!(s.levels.get(&1), Some(&2));
        assert_eq!(summarise(&[]).median, None);
    }

    #[test]
    fn groups() {
        let rows = [row("a", 10.0, 0), row("a", 30.0, 1), row("b", 20.0, 1)];
        let groups = group_by(&rows, |r| r.province.as_deref());
        assert_eq!(groups[0].key.as_deref(), Some("a"));
        assert_eq!(groups[0].count, 2);
        assert_eq!(groups[0].mean, 20.0);
    }
}
