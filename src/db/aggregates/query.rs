//! Reading the aggregates: a filter is planned onto the smallest rollup grain whose key holds
//! every column the filter (and a figure's grouping) needs, else onto the fact rows (commune,
//! or a grouping no grain keeps). One query per figure family.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

use super::{BARRIER_SLOTS, DETAIL_GRAINS, DIMENSION_SLOTS, Dim, GRAINS, PRACTICE_SLOTS};
use crate::db::Result;

/// Which submitted responses to count; every part is optional. Dates are whole months.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub province: Option<String>,
    pub former_province: Option<String>,
    pub commune: Option<String>,
    pub sector: Option<String>,
    pub size_class: Option<String>,
    pub ocop: Option<bool>,
    /// `none`, `import` (importers, also those who export), `export`, `both` or `any`
    /// (importers and exporters).
    pub trade: Option<String>,
    /// `questionnaire_id@version`.
    pub version: Option<String>,
    /// First month (`yyyymm`), inclusive.
    pub from_month: Option<i32>,
    /// Last month (`yyyymm`), inclusive.
    pub to_month: Option<i32>,
}

/// The trade values a `trade` filter matches.
pub fn trade_values(trade: &str) -> Option<&'static [&'static str]> {
    Some(match trade {
        "none" => &["none"],
        "import" => &["import", "both"],
        "export" => &["export", "both"],
        "both" => &["both"],
        "any" => &["import", "export", "both"],
        _ => return None,
    })
}

/// One set filter as SQL over the columns that fact rows and rollups share.
#[derive(Debug, Clone)]
pub struct Condition {
    /// The query-string name (`province`, `from`, …).
    pub name: &'static str,
    /// The column it needs in a rollup's key (month and version are in every grain).
    pub dim: Option<Dim>,
    /// Whether it is `from` or `to` (checked on months in Rust for the privacy counts).
    pub date: Option<DateBound>,
    sql: String,
    values: Vec<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateBound {
    From(i32),
    To(i32),
}

impl Condition {
    fn on(&self, table: &str) -> String {
        self.sql.replace("{t}", table)
    }
}

impl Filter {
    /// The set filters, in query-string order.
    pub fn conditions(&self) -> Vec<Condition> {
        let mut out = Vec::new();
        let mut text = |name: &'static str, dim: Dim, value: &Option<String>| {
            if let Some(v) = value {
                out.push(Condition {
                    name,
                    dim: Some(dim),
                    date: None,
                    sql: format!("{{t}}{} = ?", dim.column()),
                    values: vec![v.clone().into()],
                });
            }
        };
        text("province", Dim::Province, &self.province);
        text(
            "former_province",
            Dim::FormerProvince,
            &self.former_province,
        );
        text("commune", Dim::Commune, &self.commune);
        text("sector", Dim::Sector, &self.sector);
        text("size", Dim::SizeClass, &self.size_class);
        if let Some(ocop) = self.ocop {
            out.push(Condition {
                name: "ocop",
                dim: Some(Dim::Ocop),
                date: None,
                sql: "{t}ocop = ?".into(),
                values: vec![i16::from(ocop).into()],
            });
        }
        if let Some(trade) = &self.trade {
            let values = trade_values(trade).unwrap_or(&[]);
            let marks = vec!["?"; values.len().max(1)].join(", ");
            out.push(Condition {
                name: "trade",
                dim: Some(Dim::Trade),
                date: None,
                sql: format!("{{t}}trade IN ({marks})"),
                values: if values.is_empty() {
                    vec!["".into()]
                } else {
                    values.iter().map(|v| (*v).into()).collect()
                },
            });
        }
        if let Some(v) = &self.version {
            out.push(Condition {
                name: "version",
                dim: None,
                date: None,
                sql: "{t}version = ?".into(),
                values: vec![v.clone().into()],
            });
        }
        if let Some(m) = self.from_month {
            out.push(Condition {
                name: "from",
                dim: None,
                date: Some(DateBound::From(m)),
                sql: "{t}month >= ?".into(),
                values: vec![m.into()],
            });
        }
        if let Some(m) = self.to_month {
            out.push(Condition {
                name: "to",
                dim: None,
                date: Some(DateBound::To(m)),
                sql: "{t}month <= ?".into(),
                values: vec![m.into()],
            });
        }
        out
    }
}

/// Where a figure family is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Rollup(i16),
    Facts,
}

/// The smallest grain whose key holds every column in `needed` (of the first `grains`), else
/// the fact rows.
pub fn plan(needed: &BTreeSet<Dim>, grains: usize) -> Source {
    GRAINS
        .iter()
        .take(grains)
        .find(|(_, dims)| needed.iter().all(|d| dims.contains(d)))
        .map_or(Source::Facts, |(grain, _)| Source::Rollup(*grain))
}

fn needed(conditions: &[Condition], group: Option<Dim>) -> BTreeSet<Dim> {
    conditions
        .iter()
        .filter_map(|c| c.dim)
        .chain(group)
        .collect()
}

/// SQL with `?` placeholders, made for the connection's backend.
struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            values: Vec::new(),
        }
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// ` WHERE …` for `source` (its grain) and the conditions, columns prefixed with `prefix`.
    fn filter(&mut self, source: Source, conditions: &[Condition], prefix: &str) -> &mut Self {
        let mut parts = Vec::new();
        if let Source::Rollup(grain) = source {
            parts.push(format!("{prefix}grain = ?"));
            self.values.push(grain.into());
        }
        for c in conditions {
            parts.push(c.on(prefix));
            self.values.extend(c.values.iter().cloned());
        }
        if !parts.is_empty() {
            self.text.push_str(" WHERE ");
            self.text.push_str(&parts.join(" AND "));
        }
        self
    }

    fn statement(&self, backend: DbBackend) -> Statement {
        let text = if backend == DbBackend::Postgres {
            let mut out = String::with_capacity(self.text.len() + 16);
            let mut n = 0;
            for ch in self.text.chars() {
                if ch == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(ch);
                }
            }
            out
        } else {
            self.text.clone()
        };
        Statement::from_sql_and_values(backend, text, self.values.clone())
    }

    async fn all(&self, db: &impl ConnectionTrait) -> Result<Vec<QueryResult>> {
        Ok(db
            .query_all_raw(self.statement(db.get_database_backend()))
            .await?)
    }
}

fn count(r: &QueryResult, col: &str) -> Result<u64> {
    let v: Option<i64> = r.try_get("", col)?;
    Ok(u64::try_from(v.unwrap_or(0)).unwrap_or(0))
}

fn float(r: &QueryResult, col: &str) -> Result<f64> {
    let v: Option<f64> = r.try_get("", col)?;
    Ok(v.unwrap_or(0.0))
}

/// How many firms have a barrier: named by the owner, shown by the answers, either.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BarrierCounts {
    pub self_reported: u64,
    pub inferred: u64,
    pub any: u64,
}

/// How many firms a key practice counts (its `among` holds) and how many of them adopted it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PracticeCounts {
    pub counted: u64,
    pub adopted: u64,
}

/// A count and a sum (of scores, or of score changes).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CountSum {
    pub n: u64,
    pub sum: f64,
}

impl CountSum {
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
}

/// Every figure for a filter, before the privacy rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawFigures {
    pub overall: CountSum,
    /// Responses per month (`yyyymm`).
    pub months: BTreeMap<i32, u64>,
    /// Firms per level 0–5.
    pub levels: [u64; 6],
    /// Per dimension id: how many firms had a score, and its sum.
    pub dimensions: BTreeMap<String, CountSum>,
    pub barriers: BTreeMap<String, BarrierCounts>,
    pub practices: BTreeMap<String, PracticeCounts>,
    /// The median of the scores taken to 0.1 point (the histogram's bins).
    pub median: Option<f64>,
    /// How many firms were recommended each roadmap item.
    pub rules: BTreeMap<String, u64>,
    /// Count and score sum per value of each side-by-side grouping.
    pub groups: BTreeMap<Dim, BTreeMap<String, CountSum>>,
    /// Re-assessments among the matching responses: how many, and the sum of their change.
    pub change: CountSum,
}

impl RawFigures {
    pub fn responses(&self) -> u64 {
        self.overall.n
    }
}

/// The groupings shown side by side.
pub const GROUPINGS: [Dim; 4] = [
    Dim::Province,
    Dim::FormerProvince,
    Dim::Sector,
    Dim::SizeClass,
];

/// Which id each slot of each version holds.
async fn slots(db: &impl ConnectionTrait) -> Result<HashMap<(String, String, i16), String>> {
    let rows = Sql::new("SELECT version, kind, position, item FROM agg_slot")
        .all(db)
        .await?;
    let mut out = HashMap::new();
    for r in rows {
        out.insert(
            (
                r.try_get("", "version")?,
                r.try_get("", "kind")?,
                r.try_get("", "position")?,
            ),
            r.try_get("", "item")?,
        );
    }
    Ok(out)
}

fn totals_sql(source: Source, conditions: &[Condition]) -> Sql {
    let mut cols = vec!["version".to_string(), "month".to_string()];
    match source {
        Source::Rollup(_) => {
            for c in super::sum_columns() {
                cols.push(format!("SUM({c}) AS {c}"));
            }
        }
        Source::Facts => {
            cols.push("COUNT(*) AS n".into());
            cols.push("SUM(overall) AS overall_sum".into());
            for l in 0..=5 {
                cols.push(format!(
                    "SUM(CASE WHEN level = {l} THEN 1 ELSE 0 END) AS level{l}"
                ));
            }
            for i in 0..DIMENSION_SLOTS {
                cols.push(format!("SUM(d{i}) AS d_sum{i}"));
                cols.push(format!("COUNT(d{i}) AS d_n{i}"));
            }
            for i in 0..BARRIER_SLOTS {
                let bit = 1i64 << i;
                cols.push(format!(
                    "SUM(CASE WHEN (barrier_self & {bit}) <> 0 THEN 1 ELSE 0 END) AS b_self{i}"
                ));
                cols.push(format!(
                    "SUM(CASE WHEN (barrier_inferred & {bit}) <> 0 THEN 1 ELSE 0 END) AS b_inf{i}"
                ));
                cols.push(format!(
                    "SUM(CASE WHEN ((barrier_self | barrier_inferred) & {bit}) <> 0 THEN 1 ELSE 0 END) AS b_any{i}"
                ));
            }
            for i in 0..PRACTICE_SLOTS {
                let bit = 1i64 << i;
                cols.push(format!(
                    "SUM(CASE WHEN (practice_counted & {bit}) <> 0 THEN 1 ELSE 0 END) AS p_count{i}"
                ));
                cols.push(format!(
                    "SUM(CASE WHEN (practice_adopted & {bit}) <> 0 THEN 1 ELSE 0 END) AS p_adopt{i}"
                ));
            }
        }
    }
    let table = match source {
        Source::Rollup(_) => "agg_rollup",
        Source::Facts => "agg_fact",
    };
    let mut sql = Sql::new(format!("SELECT {} FROM {table}", cols.join(", ")));
    sql.filter(source, conditions, "")
        .push(" GROUP BY version, month");
    sql
}

/// Every figure for `filter`, before the privacy rule.
pub async fn figures(db: &impl ConnectionTrait, filter: &Filter) -> Result<RawFigures> {
    let conditions = filter.conditions();
    let slots = slots(db).await?;
    let mut out = RawFigures::default();

    // Counts, sums, levels, dimensions, barriers and the monthly trend.
    let source = plan(&needed(&conditions, None), GRAINS.len());
    for r in totals_sql(source, &conditions).all(db).await? {
        let version: String = r.try_get("", "version")?;
        let month: i32 = r.try_get("", "month")?;
        let n = count(&r, "n")?;
        out.overall.n += n;
        out.overall.sum += float(&r, "overall_sum")?;
        *out.months.entry(month).or_default() += n;
        for (l, slot) in out.levels.iter_mut().enumerate() {
            *slot += count(&r, &format!("level{l}"))?;
        }
        for i in 0..DIMENSION_SLOTS {
            let Some(id) = slots.get(&(version.clone(), "dimension".into(), i as i16)) else {
                continue;
            };
            let d = out.dimensions.entry(id.clone()).or_default();
            d.n += count(&r, &format!("d_n{i}"))?;
            d.sum += float(&r, &format!("d_sum{i}"))?;
        }
        for i in 0..BARRIER_SLOTS {
            let Some(id) = slots.get(&(version.clone(), "barrier".into(), i as i16)) else {
                continue;
            };
            let b = out.barriers.entry(id.clone()).or_default();
            b.self_reported += count(&r, &format!("b_self{i}"))?;
            b.inferred += count(&r, &format!("b_inf{i}"))?;
            b.any += count(&r, &format!("b_any{i}"))?;
        }
        for i in 0..PRACTICE_SLOTS {
            let Some(id) = slots.get(&(version.clone(), "practice".into(), i as i16)) else {
                continue;
            };
            let p = out.practices.entry(id.clone()).or_default();
            p.counted += count(&r, &format!("p_count{i}"))?;
            p.adopted += count(&r, &format!("p_adopt{i}"))?;
        }
    }
    out.dimensions.retain(|_, d| d.n > 0);

    // The median, from the score histogram.
    let source = plan(&needed(&conditions, None), DETAIL_GRAINS);
    let mut sql = match source {
        Source::Rollup(_) => Sql::new("SELECT bin, SUM(n) AS n FROM agg_rollup_hist"),
        Source::Facts => Sql::new("SELECT bin, COUNT(*) AS n FROM agg_fact"),
    };
    sql.filter(source, &conditions, "").push(" GROUP BY bin");
    let mut bins = Vec::new();
    for r in sql.all(db).await? {
        let bin: i32 = r.try_get("", "bin")?;
        bins.push((bin, count(&r, "n")?));
    }
    out.median = median_of_bins(bins);

    // The roadmap items most often recommended.
    match source {
        Source::Rollup(_) => {
            let mut sql = Sql::new("SELECT rule_id, SUM(n) AS n FROM agg_rollup_rule");
            sql.filter(source, &conditions, "")
                .push(" GROUP BY rule_id");
            for r in sql.all(db).await? {
                out.rules.insert(r.try_get("", "rule_id")?, count(&r, "n")?);
            }
        }
        Source::Facts => {
            let mut sql = Sql::new("SELECT roadmap FROM agg_fact");
            sql.filter(source, &conditions, "");
            for r in sql.all(db).await? {
                let roadmap: String = r.try_get("", "roadmap")?;
                for rule in roadmap.split_whitespace() {
                    *out.rules.entry(rule.to_string()).or_default() += 1;
                }
            }
        }
    }

    // Side by side: provinces, former provinces, sectors, sizes.
    for dim in GROUPINGS {
        let source = plan(&needed(&conditions, Some(dim)), GRAINS.len());
        let col = dim.column();
        let mut sql = match source {
            Source::Rollup(_) => Sql::new(format!(
                "SELECT {col} AS g, SUM(n) AS n, SUM(overall_sum) AS s FROM agg_rollup"
            )),
            Source::Facts => Sql::new(format!(
                "SELECT {col} AS g, COUNT(*) AS n, SUM(overall) AS s FROM agg_fact"
            )),
        };
        sql.filter(source, &conditions, "")
            .push(&format!(" GROUP BY {col}"));
        let groups = out.groups.entry(dim).or_default();
        for r in sql.all(db).await? {
            groups.insert(
                r.try_get("", "g")?,
                CountSum {
                    n: count(&r, "n")?,
                    sum: float(&r, "s")?,
                },
            );
        }
    }

    // Re-assessed firms: the change since their previous assessment.
    let mut sql = Sql::new(
        "SELECT COUNT(*) AS n, SUM(f.overall - p.overall) AS s FROM agg_fact f \
         JOIN agg_fact p ON p.response_id = f.previous_response_id",
    );
    sql.filter(Source::Facts, &conditions, "f.");
    sql.push(if conditions.is_empty() {
        " WHERE f.previous_response_id IS NOT NULL"
    } else {
        " AND f.previous_response_id IS NOT NULL"
    });
    if let Some(r) = sql.all(db).await?.first() {
        out.change = CountSum {
            n: count(r, "n")?,
            sum: float(r, "s")?,
        };
    }
    Ok(out)
}

/// The median of binned scores (bin = score × 10): the middle bin, or the mean of the two
/// middle ones, in points.
pub fn median_of_bins(mut bins: Vec<(i32, u64)>) -> Option<f64> {
    bins.sort_unstable();
    let n: u64 = bins.iter().map(|(_, c)| c).sum();
    if n == 0 {
        return None;
    }
    let nth = |k: u64| {
        let mut seen = 0;
        for (bin, c) in &bins {
            seen += c;
            if seen > k {
                return f64::from(*bin) / 10.0;
            }
        }
        f64::from(bins.last().map_or(0, |b| b.0)) / 10.0
    };
    Some(if n % 2 == 1 {
        nth(n / 2)
    } else {
        (nth(n / 2 - 1) + nth(n / 2)) / 2.0
    })
}

/// Firm counts for the privacy check of a view, in one query: for each combination of which
/// non-date filters a firm matches, and each month, how many firms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchCounts {
    /// Names of the non-date conditions, in the order of each row's flags.
    pub names: Vec<&'static str>,
    pub from_month: Option<i32>,
    pub to_month: Option<i32>,
    /// (which of the conditions match, month, firms).
    pub rows: Vec<(Vec<bool>, i32, u64)>,
}

pub async fn match_counts(db: &impl ConnectionTrait, filter: &Filter) -> Result<MatchCounts> {
    let conditions: Vec<Condition> = filter
        .conditions()
        .into_iter()
        .filter(|c| c.date.is_none())
        .collect();
    let source = plan(&needed(&conditions, None), GRAINS.len());
    let mut sql = Sql::new("SELECT ");
    let mut flags = Vec::new();
    for (i, c) in conditions.iter().enumerate() {
        flags.push(format!("m{i}"));
        sql.push(&format!(
            "CASE WHEN {} THEN 1 ELSE 0 END AS m{i}, ",
            c.on("")
        ));
        sql.values.extend(c.values.iter().cloned());
    }
    let (table, n) = match source {
        Source::Rollup(_) => ("agg_rollup", "SUM(n)"),
        Source::Facts => ("agg_fact", "COUNT(*)"),
    };
    sql.push(&format!("month, {n} AS n FROM {table}"));
    sql.filter(source, &[], "");
    flags.push("month".into());
    sql.push(&format!(" GROUP BY {}", flags.join(", ")));
    let mut out = MatchCounts {
        names: conditions.iter().map(|c| c.name).collect(),
        from_month: filter.from_month,
        to_month: filter.to_month,
        rows: Vec::new(),
    };
    for r in sql.all(db).await? {
        let mut matches = Vec::with_capacity(conditions.len());
        for i in 0..conditions.len() {
            // A plain integer (INT4 on PostgreSQL).
            let m: i32 = r.try_get::<Option<i32>>("", &format!("m{i}"))?.unwrap_or(0);
            matches.push(m != 0);
        }
        out.rows
            .push((matches, r.try_get("", "month")?, count(&r, "n")?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_planner_takes_the_smallest_grain_that_covers_the_filter() {
        let set = |dims: &[Dim]| dims.iter().copied().collect::<BTreeSet<_>>();
        let all = GRAINS.len();
        assert_eq!(plan(&set(&[]), all), Source::Rollup(0));
        assert_eq!(plan(&set(&[Dim::Province]), all), Source::Rollup(1));
        assert_eq!(plan(&set(&[Dim::FormerProvince]), all), Source::Rollup(2));
        assert_eq!(plan(&set(&[Dim::Sector]), all), Source::Rollup(3));
        assert_eq!(
            plan(&set(&[Dim::Ocop, Dim::Sector]), all),
            Source::Rollup(4)
        );
        assert_eq!(plan(&set(&[Dim::Ocop]), DETAIL_GRAINS), Source::Facts);
        assert_eq!(plan(&set(&[Dim::Commune]), all), Source::Facts);
    }

    #[test]
    fn medians_of_bins() {
        assert_eq!(median_of_bins(vec![]), None);
        assert_eq!(median_of_bins(vec![(575, 1)]), Some(57.5));
        assert_eq!(median_of_bins(vec![(100, 1), (200, 1)]), Some(15.0));
        assert_eq!(median_of_bins(vec![(300, 2), (100, 1)]), Some(30.0));
    }

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        let mut sql = Sql::new("SELECT 1 FROM agg_fact");
        sql.filter(
            Source::Rollup(1),
            &Filter {
                province: Some("hai-phong".into()),
                trade: Some("import".into()),
                ..Filter::default()
            }
            .conditions(),
            "",
        );
        let s = sql.statement(DbBackend::Postgres);
        assert_eq!(
            s.sql,
            "SELECT 1 FROM agg_fact WHERE grain = $1 AND province = $2 AND trade IN ($3, $4)"
        );
    }
}
