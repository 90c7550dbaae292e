//! Aggregates for the dashboard, `/api/v1/stats` and the exports (issue 12).
//!
//! Why this shape: reading every matching result into memory took seconds at 100,000 responses
//! and gigabytes at a million. Instead every submission also writes, in its own transaction:
//!
//! - one narrow **fact row** (`agg_fact`): the columns filters and figures need and nothing
//!   personal: version, month, province, former province, commune, sector, size, OCOP, trade,
//!   overall score and its 0.1-point bin, level, dimension scores by slot, barriers as two
//!   bitmasks, the recommended roadmap items and the response it re-assesses;
//! - **additive rollups** at five grains ([`GRAINS`]), each keyed by month and version plus the
//!   grain's columns: counts, sums, level counts, per-dimension sums, per-barrier counts
//!   (`agg_rollup`), a sparse score histogram for medians (`agg_rollup_hist`) and roadmap item
//!   counts (`agg_rollup_rule`). Upserts add (`n = n + excluded.n`), on SQLite and PostgreSQL.
//!
//! A dimension's or barrier's slot is its position in its questionnaire version; `agg_slot`
//! keeps which id each slot holds, so every version's figures read back by id.
//!
//! [`query`] plans a filter onto the smallest rollup that covers it, else the fact rows.

pub mod query;
pub mod rebuild;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, FixedOffset, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, Value};
use uuid::Uuid;

use super::Result;
use crate::domain::answers::{Profile, ProfileValue};
use crate::domain::practices::Adoption;
use crate::domain::{Definition, ScoreResult};

pub use query::{Filter, RawFigures};

/// Dimension and barrier slots in the tables (see the migration); a version with more keeps
/// the first ones.
pub const DIMENSION_SLOTS: usize = 10;
pub const BARRIER_SLOTS: usize = 10;
pub const PRACTICE_SLOTS: usize = 16;

/// A column a rollup may be keyed by besides month and version (which every grain has).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dim {
    Province,
    FormerProvince,
    Commune,
    Sector,
    SizeClass,
    Ocop,
    Trade,
}

impl Dim {
    pub fn column(self) -> &'static str {
        match self {
            Dim::Province => "province",
            Dim::FormerProvince => "former_province",
            Dim::Commune => "commune",
            Dim::Sector => "sector",
            Dim::SizeClass => "size_class",
            Dim::Ocop => "ocop",
            Dim::Trade => "trade",
        }
    }
}

/// The rollups' grains, smallest first: what each is keyed by besides month and version.
/// The commune is in none (3,321 of them): filters on it read the fact rows.
pub const GRAINS: [(i16, &[Dim]); 5] = [
    (0, &[]),
    (1, &[Dim::Province]),
    (2, &[Dim::Province, Dim::FormerProvince]),
    (3, &[Dim::Province, Dim::Sector, Dim::SizeClass]),
    (
        4,
        &[
            Dim::Province,
            Dim::FormerProvince,
            Dim::Sector,
            Dim::SizeClass,
            Dim::Ocop,
            Dim::Trade,
        ],
    ),
];

/// Grains that also keep the histogram and roadmap counts (the finest would be as large as
/// the fact rows).
pub const DETAIL_GRAINS: usize = 4;

/// A submitted response as the aggregates see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub response_id: Uuid,
    /// `questionnaire_id@version`.
    pub version: String,
    /// `yyyymm` of the Vietnamese day it was submitted.
    pub month: i32,
    pub province: String,
    pub former_province: String,
    pub commune: String,
    pub sector: String,
    pub size_class: String,
    /// 1 yes, 0 no, -1 not given.
    pub ocop: i16,
    /// `none`, `import`, `export`, `both`, or '' when not given.
    pub trade: String,
    pub overall: f64,
    pub level: i16,
    /// Scores by dimension slot.
    pub dims: [Option<f64>; DIMENSION_SLOTS],
    pub barrier_self: i64,
    pub barrier_inferred: i64,
    /// Key practices by slot: which count the firm (their `among` holds), which it adopted.
    pub practice_counted: i64,
    pub practice_adopted: i64,
    /// Rule ids of the recommended roadmap items.
    pub roadmap: Vec<String>,
    pub previous_response_id: Option<Uuid>,
    /// Which id each slot of its version holds (written with the first fact of a version).
    pub slots: Vec<(&'static str, i16, String)>,
    /// A submitted draft carries its re-assessment link on its own row: copied at write.
    pub from_draft: bool,
}

/// The version key the aggregates use.
pub fn version_key(questionnaire_id: &str, version: &str) -> String {
    format!("{questionnaire_id}@{version}")
}

/// `yyyymm` of the Vietnamese day of `at` (UTC+7, like every date staff see).
pub fn month_of(at: DateTime<Utc>) -> i32 {
    let vn = FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset");
    let d = at.with_timezone(&vn);
    d.year() * 100 + d.month() as i32
}

/// A score's 0.1-point bin: the histogram's key, and the value medians are taken of.
pub fn score_bin(overall: f64) -> i32 {
    (overall * 10.0).round().clamp(0.0, 1000.0) as i32
}

/// What a fact is made of.
pub struct FactInput<'a> {
    pub response_id: Uuid,
    pub def: &'a Definition,
    pub profile: &'a Profile,
    pub size_class: Option<&'a str>,
    pub result: &'a ScoreResult,
    pub rule_ids: Vec<String>,
    pub practices: &'a Adoption,
    pub submitted_at: DateTime<Utc>,
    pub previous_response_id: Option<Uuid>,
}

impl Fact {
    pub fn new(input: FactInput<'_>) -> Fact {
        let FactInput {
            response_id,
            def,
            profile,
            size_class,
            result,
            rule_ids,
            practices,
            submitted_at,
            previous_response_id,
        } = input;
        let text = |key: &str| {
            profile
                .get(key)
                .and_then(ProfileValue::as_str)
                .map(|s| s.chars().take(64).collect())
                .unwrap_or_default()
        };
        let ocop = match profile.get("ocop") {
            Some(ProfileValue::Bool(true)) => 1,
            Some(ProfileValue::Bool(false)) => 0,
            _ => -1,
        };
        let mut dims = [None; DIMENSION_SLOTS];
        let mut slots = Vec::new();
        for (i, d) in def.dimensions.iter().take(DIMENSION_SLOTS).enumerate() {
            dims[i] = result.dimension(&d.id).and_then(|s| s.score);
            slots.push(("dimension", i as i16, d.id.clone()));
        }
        let (mut barrier_self, mut barrier_inferred) = (0i64, 0i64);
        for (i, b) in def.barriers.iter().take(BARRIER_SLOTS).enumerate() {
            slots.push(("barrier", i as i16, b.id.clone()));
            if let Some(flag) = result.barriers.iter().find(|f| f.id == b.id) {
                if flag.self_reported {
                    barrier_self |= 1 << i;
                }
                if flag.inferred {
                    barrier_inferred |= 1 << i;
                }
            }
        }
        let (mut practice_counted, mut practice_adopted) = (0i64, 0i64);
        for (i, p) in def.practices().iter().take(PRACTICE_SLOTS).enumerate() {
            slots.push(("practice", i as i16, p.id.clone()));
            if practices.is_counted(&p.id) {
                practice_counted |= 1 << i;
            }
            if practices.is_adopted(&p.id) {
                practice_adopted |= 1 << i;
            }
        }
        Fact {
            response_id,
            version: version_key(&def.id, &def.version),
            month: month_of(submitted_at),
            province: text("province"),
            former_province: text("former_province"),
            commune: text("commune"),
            sector: text("sector"),
            size_class: size_class.unwrap_or_default().chars().take(64).collect(),
            ocop,
            trade: text("trade").chars().take(16).collect(),
            overall: result.overall,
            level: i16::from(result.level),
            dims,
            barrier_self,
            barrier_inferred,
            practice_counted,
            practice_adopted,
            roadmap: rule_ids,
            previous_response_id,
            slots,
            from_draft: false,
        }
    }

    /// The rollup key of this fact at `grain`: columns outside the grain are '' (or -1).
    fn key(&self, grain: i16, dims: &[Dim]) -> Key {
        let pick = |d: Dim, v: &str| {
            if dims.contains(&d) {
                v.to_string()
            } else {
                String::new()
            }
        };
        Key {
            grain,
            month: self.month,
            version: self.version.clone(),
            province: pick(Dim::Province, &self.province),
            former_province: pick(Dim::FormerProvince, &self.former_province),
            sector: pick(Dim::Sector, &self.sector),
            size_class: pick(Dim::SizeClass, &self.size_class),
            ocop: if dims.contains(&Dim::Ocop) {
                self.ocop
            } else {
                -1
            },
            trade: pick(Dim::Trade, &self.trade),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    grain: i16,
    month: i32,
    version: String,
    province: String,
    former_province: String,
    sector: String,
    size_class: String,
    ocop: i16,
    trade: String,
}

const KEY_COLUMNS: [&str; 9] = [
    "grain",
    "month",
    "version",
    "province",
    "former_province",
    "sector",
    "size_class",
    "ocop",
    "trade",
];

impl Key {
    fn values(&self) -> Vec<Value> {
        vec![
            self.grain.into(),
            self.month.into(),
            self.version.clone().into(),
            self.province.clone().into(),
            self.former_province.clone().into(),
            self.sector.clone().into(),
            self.size_class.clone().into(),
            self.ocop.into(),
            self.trade.clone().into(),
        ]
    }
}

#[derive(Debug, Clone, Default)]
struct Sums {
    n: i32,
    overall_sum: f64,
    levels: [i32; 6],
    d_sum: [f64; DIMENSION_SLOTS],
    d_n: [i32; DIMENSION_SLOTS],
    b_self: [i32; BARRIER_SLOTS],
    b_inf: [i32; BARRIER_SLOTS],
    b_any: [i32; BARRIER_SLOTS],
    p_count: [i32; PRACTICE_SLOTS],
    p_adopt: [i32; PRACTICE_SLOTS],
}

impl Sums {
    fn add(&mut self, f: &Fact) {
        self.n += 1;
        self.overall_sum += f.overall;
        if let Some(l) = self.levels.get_mut(f.level.clamp(0, 5) as usize) {
            *l += 1;
        }
        for (i, d) in f.dims.iter().enumerate() {
            if let Some(d) = d {
                self.d_sum[i] += d;
                self.d_n[i] += 1;
            }
        }
        for i in 0..BARRIER_SLOTS {
            let (s, inf) = ((f.barrier_self >> i) & 1, (f.barrier_inferred >> i) & 1);
            self.b_self[i] += s as i32;
            self.b_inf[i] += inf as i32;
            self.b_any[i] += (s | inf) as i32;
        }
        for i in 0..PRACTICE_SLOTS {
            self.p_count[i] += ((f.practice_counted >> i) & 1) as i32;
            self.p_adopt[i] += ((f.practice_adopted >> i) & 1) as i32;
        }
    }

    fn values(&self) -> Vec<Value> {
        let mut v: Vec<Value> = vec![self.n.into(), self.overall_sum.into()];
        v.extend(self.levels.iter().map(|&l| Value::from(l)));
        for i in 0..DIMENSION_SLOTS {
            v.push(self.d_sum[i].into());
            v.push(self.d_n[i].into());
        }
        for i in 0..BARRIER_SLOTS {
            v.push(self.b_self[i].into());
            v.push(self.b_inf[i].into());
            v.push(self.b_any[i].into());
        }
        for i in 0..PRACTICE_SLOTS {
            v.push(self.p_count[i].into());
            v.push(self.p_adopt[i].into());
        }
        v
    }
}

/// The additive columns of `agg_rollup`, in [`Sums::values`] order.
pub(crate) fn sum_columns() -> Vec<String> {
    let mut c = vec!["n".to_string(), "overall_sum".to_string()];
    c.extend((0..=5).map(|l| format!("level{l}")));
    for i in 0..DIMENSION_SLOTS {
        c.push(format!("d_sum{i}"));
        c.push(format!("d_n{i}"));
    }
    for i in 0..BARRIER_SLOTS {
        c.push(format!("b_self{i}"));
        c.push(format!("b_inf{i}"));
        c.push(format!("b_any{i}"));
    }
    for i in 0..PRACTICE_SLOTS {
        c.push(format!("p_count{i}"));
        c.push(format!("p_adopt{i}"));
    }
    c
}

fn fact_columns() -> Vec<String> {
    let mut c: Vec<String> = [
        "response_id",
        "version",
        "month",
        "province",
        "former_province",
        "commune",
        "sector",
        "size_class",
        "ocop",
        "trade",
        "overall",
        "bin",
        "level",
    ]
    .map(String::from)
    .to_vec();
    c.extend((0..DIMENSION_SLOTS).map(|i| format!("d{i}")));
    c.extend(
        [
            "barrier_self",
            "barrier_inferred",
            "practice_counted",
            "practice_adopted",
            "roadmap",
            "previous_response_id",
        ]
        .map(String::from),
    );
    c
}

fn fact_values(f: &Fact) -> Vec<Value> {
    let mut v: Vec<Value> = vec![
        f.response_id.into(),
        f.version.clone().into(),
        f.month.into(),
        f.province.clone().into(),
        f.former_province.clone().into(),
        f.commune.clone().into(),
        f.sector.clone().into(),
        f.size_class.clone().into(),
        f.ocop.into(),
        f.trade.clone().into(),
        f.overall.into(),
        score_bin(f.overall).into(),
        f.level.into(),
    ];
    v.extend(f.dims.iter().map(|&d| Value::from(d)));
    v.push(f.barrier_self.into());
    v.push(f.barrier_inferred.into());
    v.push(f.practice_counted.into());
    v.push(f.practice_adopted.into());
    v.push(f.roadmap.join(" ").into());
    v.push(f.previous_response_id.into());
    v
}

/// Bound parameters per statement, as for the submission rows.
const MAX_PARAMETERS: usize = 8_000;

/// Inserts `rows` into `table`, adding the `add` columns to an existing row with the same key.
async fn upsert(
    db: &impl ConnectionTrait,
    table: &str,
    key: &[&str],
    add: &[String],
    rows: Vec<Vec<Value>>,
) -> Result<()> {
    let columns: Vec<Alias> = key
        .iter()
        .map(|c| Alias::new(*c))
        .chain(add.iter().map(Alias::new))
        .collect();
    let per_statement = (MAX_PARAMETERS / columns.len()).max(1);
    let mut conflict = OnConflict::columns(key.iter().map(|c| Alias::new(*c)));
    conflict.values(add.iter().map(|c| {
        (
            Alias::new(c),
            Expr::cust(format!("{table}.{c} + excluded.{c}")),
        )
    }));
    for chunk in rows.chunks(per_statement) {
        let mut q = Query::insert();
        q.into_table(Alias::new(table)).columns(columns.clone());
        for row in chunk {
            q.values_panic(row.iter().cloned().map(Expr::val));
        }
        q.on_conflict(conflict.clone());
        db.execute(&q).await?;
    }
    Ok(())
}

/// Writes the facts of a batch of submissions and adds them to every rollup. Runs inside the
/// batch's transaction, so the aggregates hold exactly the committed submissions.
pub async fn write(db: &impl ConnectionTrait, facts: &[&Fact]) -> Result<()> {
    if facts.is_empty() {
        return Ok(());
    }
    // The slot names of each version in the batch (once; later batches find them present).
    let mut slots: Vec<Vec<Value>> = Vec::new();
    let mut versions = BTreeSet::new();
    for f in facts {
        if versions.insert(f.version.as_str()) {
            for (kind, position, item) in &f.slots {
                slots.push(vec![
                    f.version.clone().into(),
                    (*kind).into(),
                    (*position).into(),
                    item.clone().into(),
                ]);
            }
        }
    }
    if !slots.is_empty() {
        let mut q = Query::insert();
        q.into_table(Alias::new("agg_slot"))
            .columns(["version", "kind", "position", "item"].map(Alias::new));
        for row in slots {
            q.values_panic(row.into_iter().map(Expr::val));
        }
        q.on_conflict(
            OnConflict::columns(["version", "kind", "position"].map(Alias::new))
                .do_nothing()
                .to_owned(),
        );
        db.execute(&q).await?;
    }

    let columns = fact_columns();
    let per_statement = (MAX_PARAMETERS / columns.len()).max(1);
    for chunk in facts.chunks(per_statement) {
        let mut q = Query::insert();
        q.into_table(Alias::new("agg_fact"))
            .columns(columns.iter().map(Alias::new));
        for f in chunk {
            q.values_panic(fact_values(f).into_iter().map(Expr::val));
        }
        db.execute(&q).await?;
    }
    let drafts: Vec<Value> = facts
        .iter()
        .filter(|f| f.from_draft)
        .map(|f| f.response_id.into())
        .collect();
    if !drafts.is_empty() {
        let mut q = Query::update();
        q.table(Alias::new("agg_fact"))
            .value(
                Alias::new("previous_response_id"),
                Expr::cust(
                    "(SELECT response.previous_response_id FROM response \
                     WHERE response.id = agg_fact.response_id)",
                ),
            )
            .and_where(Expr::col(Alias::new("response_id")).is_in(drafts));
        db.execute(&q).await?;
    }

    let mut sums: HashMap<Key, Sums> = HashMap::new();
    let mut hist: HashMap<(Key, i32), i32> = HashMap::new();
    let mut rules: HashMap<(Key, String), i32> = HashMap::new();
    for f in facts {
        for (i, (grain, dims)) in GRAINS.iter().enumerate() {
            let key = f.key(*grain, dims);
            if i < DETAIL_GRAINS {
                *hist.entry((key.clone(), score_bin(f.overall))).or_default() += 1;
                for rule in &f.roadmap {
                    *rules.entry((key.clone(), rule.clone())).or_default() += 1;
                }
            }
            sums.entry(key).or_default().add(f);
        }
    }
    let n = ["n".to_string()];
    upsert(
        db,
        "agg_rollup",
        &KEY_COLUMNS,
        &sum_columns(),
        sums.into_iter()
            .map(|(k, s)| {
                let mut v = k.values();
                v.extend(s.values());
                v
            })
            .collect(),
    )
    .await?;
    let mut hist_key = KEY_COLUMNS.to_vec();
    hist_key.push("bin");
    upsert(
        db,
        "agg_rollup_hist",
        &hist_key,
        &n,
        hist.into_iter()
            .map(|((k, bin), count)| {
                let mut v = k.values();
                v.push(bin.into());
                v.push(count.into());
                v
            })
            .collect(),
    )
    .await?;
    let mut rule_key = KEY_COLUMNS.to_vec();
    rule_key.push("rule_id");
    upsert(
        db,
        "agg_rollup_rule",
        &rule_key,
        &n,
        rules
            .into_iter()
            .map(|((k, rule), count)| {
                let mut v = k.values();
                v.push(rule.into());
                v.push(count.into());
                v
            })
            .collect(),
    )
    .await?;
    Ok(())
}

/// Empties every aggregate table (before a rebuild).
pub async fn clear(db: &impl ConnectionTrait) -> Result<()> {
    for table in [
        "agg_rollup_rule",
        "agg_rollup_hist",
        "agg_rollup",
        "agg_slot",
        "agg_fact",
    ] {
        db.execute(&Query::delete().from_table(Alias::new(table)).to_owned())
            .await?;
    }
    Ok(())
}
