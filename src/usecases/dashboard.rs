//! The dashboard's figures, once for the page, `/api/v1/stats` and both exports: the filters as
//! given in the query string, checked and held to the account's province, the figures read
//! from the aggregates (`db::aggregates`), and the privacy rule (`domain::privacy`) applied to
//! every one of them before anything leaves this module.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::{App, Result};
use crate::db::accounts::Account;
use crate::db::aggregates::query::{self, GROUPINGS, trade_values};
use crate::db::aggregates::{Dim, Filter, RawFigures, version_key};
use crate::domain::privacy::{self, Shown, ViewCounts, Withheld};

/// The filters as they come in a query string (the page, the API and the exports share them).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct FilterQuery {
    pub province: Option<String>,
    pub former_province: Option<String>,
    pub commune: Option<String>,
    pub sector: Option<String>,
    pub size: Option<String>,
    /// `true` or `false`.
    pub ocop: Option<String>,
    /// `none`, `import`, `export`, `both` or `any`.
    #[serde(alias = "trader")]
    pub trade: Option<String>,
    /// `1.1.0` or `dxready-sme@1.1.0`.
    #[serde(alias = "questionnaire")]
    pub version: Option<String>,
    /// `YYYY-MM-DD`; the view starts on the first day of its month.
    pub from: Option<String>,
    /// `YYYY-MM-DD`; the view ends on the last day of its month.
    pub to: Option<String>,
}

/// Why the filters were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterProblem {
    BadDate,
    /// A filter's value is not one it can take (the field's name).
    BadValue(&'static str),
    /// A province-limited account asked for another province.
    OutsideScope,
}

/// A checked filter, with the whole months its dates were widened to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewFilter {
    pub filter: Filter,
    /// First day of the `from` month.
    pub from_day: Option<NaiveDate>,
    /// Last day of the `to` month.
    pub to_day: Option<NaiveDate>,
}

fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.chars().take(64).collect())
}

fn day(value: &Option<String>) -> std::result::Result<Option<NaiveDate>, FilterProblem> {
    match given(value) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(&v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| FilterProblem::BadDate),
    }
}

fn month(d: NaiveDate) -> i32 {
    d.year() * 100 + d.month() as i32
}

fn first_day(d: NaiveDate) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1)
}

fn last_day(d: NaiveDate) -> Option<NaiveDate> {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt())
}

/// Checks the filters and holds a province-limited account to its province. `questionnaire_id`
/// completes a bare version (`1.1.0`).
pub fn parse_filter(
    account: &Account,
    questionnaire_id: &str,
    q: &FilterQuery,
) -> std::result::Result<ViewFilter, FilterProblem> {
    let province = match (&account.province, given(&q.province)) {
        (Some(own), Some(asked)) if *own != asked => return Err(FilterProblem::OutsideScope),
        (Some(own), _) => Some(own.clone()),
        (None, asked) => asked,
    };
    let ocop = match given(&q.ocop).as_deref() {
        None => None,
        Some("true" | "1" | "yes") => Some(true),
        Some("false" | "0" | "no") => Some(false),
        Some(_) => return Err(FilterProblem::BadValue("ocop")),
    };
    let trade = given(&q.trade);
    if trade.as_deref().is_some_and(|t| trade_values(t).is_none()) {
        return Err(FilterProblem::BadValue("trade"));
    }
    let version = given(&q.version).map(|v| {
        if v.contains('@') {
            v
        } else {
            version_key(questionnaire_id, &v)
        }
    });
    let from_day = day(&q.from)?.and_then(first_day);
    let to_day = day(&q.to)?.and_then(last_day);
    Ok(ViewFilter {
        filter: Filter {
            province,
            former_province: given(&q.former_province),
            commune: given(&q.commune),
            sector: given(&q.sector),
            size_class: given(&q.size),
            ocop,
            trade,
            version,
            from_month: from_day.map(month),
            to_month: to_day.map(month),
        },
        from_day,
        to_day,
    })
}

/// A count as it may be shown.
pub type Count = Shown<u64>;

#[derive(Debug, Clone, PartialEq)]
pub struct BarrierFigure {
    pub id: String,
    pub self_reported: Count,
    pub inferred: Count,
    /// Either (the contract's `barriers` share).
    pub any: Count,
}

/// A key practice: how many firms it counts (its `among` holds), and how many of those adopted
/// it (a share of the counted).
#[derive(Debug, Clone, PartialEq)]
pub struct PracticeFigure {
    pub id: String,
    pub counted: Count,
    pub adopted: Count,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupFigure {
    /// '' for firms that did not say.
    pub key: String,
    pub count: Count,
    pub mean: Option<f64>,
}

/// Everything the dashboard shows for one filter, under the privacy rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub filter: ViewFilter,
    /// The whole view is withheld: another view with fewer filters would single out 1–4 firms.
    pub withheld: Option<Withheld>,
    pub responses: Count,
    /// Responses per month (`yyyymm`), oldest first.
    pub months: Vec<(i32, Count)>,
    pub mean: Option<f64>,
    /// Of the scores taken to 0.1 point.
    pub median: Option<f64>,
    /// Levels 0–5.
    pub levels: Vec<(u8, Count)>,
    /// Mean score per dimension id.
    pub dimensions: Vec<(String, Option<f64>)>,
    pub barriers: Vec<BarrierFigure>,
    pub practices: Vec<PracticeFigure>,
    /// The roadmap items most often recommended (at most [`TOP_RULES`]), most frequent first.
    pub rules: Vec<(String, Count)>,
    /// Provinces, former provinces, sectors and sizes side by side.
    pub groups: Vec<(Dim, Vec<GroupFigure>)>,
    /// Re-assessed firms among the responses, and their mean change in score.
    pub reassessed: Count,
    pub mean_change: Option<f64>,
}

impl Figures {
    /// Whether any figure beyond the count is shown.
    pub fn detailed(&self) -> bool {
        matches!(self.responses, Shown::Figure(_))
    }
}

pub const TOP_RULES: usize = 10;

/// The figures for `filter` as `account` may see them. A province-limited account only ever
/// sees its own province, whatever the filter says.
pub async fn figures(app: &App, account: &Account, filter: &ViewFilter) -> Result<Figures> {
    let mut filter = filter.clone();
    if let Some(own) = &account.province {
        filter.filter.province = Some(own.clone());
    }
    let raw = query::figures(&app.db, &filter.filter).await?;
    let counts = query::match_counts(&app.db, &filter.filter).await?;
    let check = privacy::check_view(&ViewCounts {
        filters: counts.names.iter().map(|n| (*n).to_string()).collect(),
        from: counts.from_month,
        to: counts.to_month,
        rows: counts.rows,
    });
    Ok(apply_privacy(filter, &raw, check.err()))
}

/// The figures as they may be shown (pure: the privacy rule over raw figures).
pub fn apply_privacy(filter: ViewFilter, raw: &RawFigures, withheld: Option<Withheld>) -> Figures {
    let n = raw.responses();
    let mut out = Figures {
        filter,
        withheld: None,
        responses: privacy::shown(n, n),
        months: Vec::new(),
        mean: None,
        median: None,
        levels: Vec::new(),
        dimensions: Vec::new(),
        barriers: Vec::new(),
        practices: Vec::new(),
        rules: Vec::new(),
        groups: Vec::new(),
        reassessed: Shown::NoFirms,
        mean_change: None,
    };
    if let Some(w) = withheld {
        out.withheld = Some(w);
        out.responses = Shown::Suppressed;
        return out;
    }
    if !out.detailed() {
        return out;
    }
    let months: Vec<u64> = raw.months.values().copied().collect();
    out.months = raw
        .months
        .keys()
        .copied()
        .zip(privacy::table(&months))
        .collect();
    out.mean = raw.overall.mean();
    out.median = raw.median;
    out.levels = (0u8..).zip(privacy::table(&raw.levels)).collect();
    out.dimensions = raw
        .dimensions
        .iter()
        .map(|(id, d)| (id.clone(), privacy::shown(d.n, d.mean()).figure().flatten()))
        .collect();
    out.barriers = raw
        .barriers
        .iter()
        .map(|(id, b)| BarrierFigure {
            id: id.clone(),
            self_reported: privacy::share(b.self_reported, n),
            inferred: privacy::share(b.inferred, n),
            any: privacy::share(b.any, n),
        })
        .collect();
    out.practices = raw
        .practices
        .iter()
        .map(|(id, p)| {
            let counted = privacy::share(p.counted, n);
            PracticeFigure {
                id: id.clone(),
                counted,
                // A share of the counted firms: withheld with them.
                adopted: match counted {
                    Shown::Figure(c) => privacy::share(p.adopted, c),
                    other => other,
                },
            }
        })
        .collect();
    let mut rules: Vec<(&String, u64)> = raw.rules.iter().map(|(id, c)| (id, *c)).collect();
    rules.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    out.rules = rules
        .into_iter()
        .take(TOP_RULES)
        .map(|(id, c)| (id.clone(), privacy::share(c, n)))
        .collect();
    for dim in GROUPINGS {
        let Some(groups) = raw.groups.get(&dim) else {
            continue;
        };
        let counts: Vec<u64> = groups.values().map(|g| g.n).collect();
        let mut shown: Vec<GroupFigure> = groups
            .iter()
            .zip(privacy::table(&counts))
            .map(|((key, g), count)| GroupFigure {
                key: key.clone(),
                mean: count.figure().and(g.mean()),
                count,
            })
            .collect();
        // Largest first; withheld groups last, in key order (their size is not shown).
        shown.sort_by(|a, b| {
            b.count
                .figure()
                .cmp(&a.count.figure())
                .then_with(|| a.key.cmp(&b.key))
        });
        out.groups.push((dim, shown));
    }
    out.reassessed = privacy::shown(raw.change.n, raw.change.n);
    out.mean_change = out.reassessed.figure().and(raw.change.mean());
    out
}
