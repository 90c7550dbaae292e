//! The dashboard's aggregates (issue 12): every figure read from the fact rows and rollups
//! equals a straightforward recomputation from the stored results, over random data sets and
//! filters, before and after `rebuild-aggregates`; and the privacy rule holds against the
//! subtraction attacks, over HTTP, on SQLite and PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use dxready::auth::Role;
use dxready::db::accounts::AccountFields;
use dxready::db::aggregates::query::{self, CountSum, Filter, RawFigures};
use dxready::db::aggregates::{Dim, version_key};
use dxready::db::entities::{assessment_result, response};
use dxready::db::submissions::{self, NewSubmission, SubmissionRows};
use dxready::domain::questionnaire::{ConsentPurpose, extreme_submission};
use dxready::domain::roadmap::StoredRoadmap;
use dxready::domain::score_result::{BarrierFlag, DimensionScore};
use dxready::domain::{Contact, Definition, Lang, ProfileValue, Submission};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Client, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use std::sync::Arc;
use uuid::Uuid;

use crate::db_test;
use crate::helpers::{TestApp, browser, get, sign_in, text};

const PASSWORD: &str = "correct horse battery";

async fn signed_in_as(app: &TestApp, role: Role, province: Option<&str>) -> Client {
    let email = format!("{}@city.vn", Uuid::new_v4().simple());
    let hash = dxready::auth::password::hash(PASSWORD.into())
        .await
        .expect("hash");
    let fields = AccountFields {
        email: email.clone(),
        role,
        agency_id: None,
        province: province.map(str::to_string),
    };
    dxready::db::accounts::create_account(&app.state.db, &fields, &hash)
        .await
        .expect("account");
    let client = browser();
    let res = sign_in(app, &client, &email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    client
}

/// One firm of a data set: what the filters see, when it answered, how well.
#[derive(Debug, Clone)]
struct Firm {
    province: &'static str,
    sector: &'static str,
    size: Option<&'static str>,
    /// `(year, month, day)` in Vietnam.
    day: (i32, u32, u32),
    best: Option<bool>,
}

impl Firm {
    fn new(province: &'static str, sector: &'static str, day: (i32, u32, u32)) -> Firm {
        Firm {
            province,
            sector,
            size: Some("micro"),
            day,
            best: Some(true),
        }
    }
}

fn vn_noon(day: (i32, u32, u32)) -> DateTime<Utc> {
    FixedOffset::east_opt(7 * 3600)
        .unwrap()
        .with_ymd_and_hms(day.0, day.1, day.2, 12, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// The rows of one submission as the app would write them.
fn rows_for(
    def: &Definition,
    mut sub: Submission,
    size: Option<&str>,
    at: DateTime<Utc>,
) -> SubmissionRows {
    sub.consents = BTreeSet::from([ConsentPurpose::Processing]);
    let assessed =
        dxready::domain::assessment::assess(def, &sub, vn_noon((2026, 12, 31)).date_naive());
    submissions::prepare(
        None,
        NewSubmission {
            def,
            lang: Lang::Vi,
            submission: &assessed.submission,
            contact: &Contact::default(),
            result: &assessed.result,
            roadmap: &assessed.roadmap,
            size_class: size.map(str::to_string),
            channel: "web",
            now: at,
            email_report_to: None,
        },
    )
    .0
}

async fn store(app: &TestApp, firms: &[Firm]) {
    let def = app.state.questionnaires.latest()[0].clone();
    let mut batch = Vec::new();
    for (i, f) in firms.iter().enumerate() {
        let mut sub = match f.best {
            Some(best) => extreme_submission(&def, best),
            None => dxready::usecases::demo::synthetic_submission(
                &def,
                &mut StdRng::seed_from_u64(i as u64),
                i as u64,
            ),
        };
        sub.profile
            .insert("province".into(), ProfileValue::Text(f.province.into()));
        sub.profile
            .insert("sector".into(), ProfileValue::Text(f.sector.into()));
        batch.push(rows_for(&def, sub, f.size, vn_noon(f.day)));
    }
    for outcome in submissions::write_batch(&app.state.db, &batch)
        .await
        .expect("stored")
    {
        outcome.expect("stored");
    }
}

async fn stats(app: &TestApp, client: &Client, query: &str) -> Value {
    let res = get(app, client, &format!("/api/v1/stats?{query}")).await;
    assert_eq!(res.status(), StatusCode::OK, "{query}");
    res.json().await.unwrap()
}

// ---------- the figures equal a recomputation from the stored results ----------

/// A stored result with what the filters read, straight from `response` and
/// `assessment_result`.
#[derive(Debug, Clone)]
struct Stored {
    id: Uuid,
    version: String,
    month: i32,
    province: String,
    former_province: String,
    commune: String,
    sector: String,
    size_class: String,
    ocop: Option<bool>,
    trade: String,
    overall: f64,
    level: usize,
    dimensions: Vec<DimensionScore>,
    barriers: Vec<BarrierFlag>,
    /// The barriers its questionnaire version defines.
    version_barriers: Vec<String>,
    /// Its version's key practices, and those the stored answers show it counted for and adopted.
    version_practices: Vec<String>,
    practices: dxready::domain::practices::Adoption,
    rules: Vec<String>,
    previous: Option<Uuid>,
}

async fn stored_results(app: &TestApp) -> Vec<Stored> {
    let db = &app.state.db;
    let results: BTreeMap<Uuid, assessment_result::Model> = assessment_result::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.response_id, r))
        .collect();
    let vn = FixedOffset::east_opt(7 * 3600).unwrap();
    response::Entity::find()
        .filter(response::Column::Status.eq("submitted"))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let result = &results[&r.id];
            let profile: BTreeMap<String, Value> = serde_json::from_str(&r.profile).unwrap();
            let text = |k: &str| {
                profile
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let at = r.submitted_at.unwrap().with_timezone(&vn);
            let roadmap: StoredRoadmap = serde_json::from_str(&result.roadmap).unwrap();
            let def = app
                .state
                .questionnaires
                .get(&r.questionnaire_id, &r.questionnaire_version)
                .unwrap();
            let submission = Submission {
                profile: serde_json::from_str(&r.profile).unwrap(),
                answers: serde_json::from_str(&r.answers).unwrap(),
                consents: BTreeSet::new(),
            };
            Stored {
                version_practices: def.practices().iter().map(|p| p.id.clone()).collect(),
                practices: dxready::domain::practices::practice_adoption(&def, &submission),
                id: r.id,
                version: version_key(&r.questionnaire_id, &r.questionnaire_version),
                month: at.format("%Y%m").to_string().parse().unwrap(),
                province: r.province.clone().unwrap_or_default(),
                former_province: text("former_province"),
                commune: text("commune"),
                sector: r.sector.clone().unwrap_or_default(),
                size_class: r.size_class.clone().unwrap_or_default(),
                ocop: profile.get("ocop").and_then(Value::as_bool),
                trade: text("trade"),
                overall: result.overall,
                level: usize::try_from(result.level).unwrap(),
                dimensions: serde_json::from_str(&result.dimensions).unwrap(),
                barriers: serde_json::from_str(&result.barriers).unwrap(),
                version_barriers: app
                    .state
                    .questionnaires
                    .get(&r.questionnaire_id, &r.questionnaire_version)
                    .unwrap()
                    .barriers
                    .iter()
                    .map(|b| b.id.clone())
                    .collect(),
                rules: roadmap.items.into_iter().map(|i| i.rule).collect(),
                previous: r.previous_response_id,
            }
        })
        .collect()
}

fn matches(s: &Stored, f: &Filter) -> bool {
    let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
    let trade = match f.trade.as_deref() {
        None => true,
        Some("none") => s.trade == "none",
        Some("import") => s.trade == "import" || s.trade == "both",
        Some("export") => s.trade == "export" || s.trade == "both",
        Some("both") => s.trade == "both",
        Some("any") => ["import", "export", "both"].contains(&s.trade.as_str()),
        Some(_) => false,
    };
    eq(&f.province, &s.province)
        && eq(&f.former_province, &s.former_province)
        && eq(&f.commune, &s.commune)
        && eq(&f.sector, &s.sector)
        && eq(&f.size_class, &s.size_class)
        && f.ocop.is_none_or(|o| s.ocop == Some(o))
        && trade
        && eq(&f.version, &s.version)
        && f.from_month.is_none_or(|m| s.month >= m)
        && f.to_month.is_none_or(|m| s.month <= m)
}

/// The figures computed the plain way: every matching stored result, one by one.
fn recompute(all: &[Stored], f: &Filter) -> RawFigures {
    let by_id: BTreeMap<Uuid, &Stored> = all.iter().map(|s| (s.id, s)).collect();
    let mut out = RawFigures::default();
    let mut bins = Vec::new();
    for s in all.iter().filter(|s| matches(s, f)) {
        out.overall.n += 1;
        out.overall.sum += s.overall;
        *out.months.entry(s.month).or_default() += 1;
        out.levels[s.level] += 1;
        bins.push((s.overall * 10.0).round() as i64);
        for d in &s.dimensions {
            if let Some(score) = d.score {
                let e = out.dimensions.entry(d.id.clone()).or_default();
                e.n += 1;
                e.sum += score;
            }
        }
        // Every barrier of the version is a figure, 0 included.
        for id in &s.version_barriers {
            out.barriers.entry(id.clone()).or_default();
        }
        for id in &s.version_practices {
            let e = out.practices.entry(id.clone()).or_default();
            e.counted += u64::from(s.practices.is_counted(id));
            e.adopted += u64::from(s.practices.is_adopted(id));
        }
        for b in &s.barriers {
            let e = out.barriers.entry(b.id.clone()).or_default();
            e.self_reported += u64::from(b.self_reported);
            e.inferred += u64::from(b.inferred);
            e.any += u64::from(b.self_reported || b.inferred);
        }
        for r in &s.rules {
            *out.rules.entry(r.clone()).or_default() += 1;
        }
        for (dim, key) in [
            (Dim::Province, &s.province),
            (Dim::FormerProvince, &s.former_province),
            (Dim::Sector, &s.sector),
            (Dim::SizeClass, &s.size_class),
        ] {
            let g = out
                .groups
                .entry(dim)
                .or_default()
                .entry(key.clone())
                .or_default();
            g.n += 1;
            g.sum += s.overall;
        }
        if let Some(p) = s.previous.and_then(|p| by_id.get(&p)) {
            out.change.n += 1;
            out.change.sum += s.overall - p.overall;
        }
    }
    bins.sort_unstable();
    let n = bins.len();
    out.median = (n > 0).then(|| {
        if n % 2 == 1 {
            bins[n / 2] as f64 / 10.0
        } else {
            (bins[n / 2 - 1] as f64 / 10.0 + bins[n / 2] as f64 / 10.0) / 2.0
        }
    });
    out
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * (1.0 + a.abs().max(b.abs()))
}

fn same_count_sum(a: &CountSum, b: &CountSum) -> bool {
    a.n == b.n && close(a.sum, b.sum)
}

/// Every figure equal (sums of scores to rounding: the rollups add in another order).
fn assert_same(got: &RawFigures, want: &RawFigures, f: &Filter) {
    assert!(
        same_count_sum(&got.overall, &want.overall),
        "overall {got:?} {want:?} {f:?}"
    );
    assert_eq!(got.months, want.months, "{f:?}");
    assert_eq!(got.levels, want.levels, "{f:?}");
    assert_eq!(got.median, want.median, "{f:?}");
    assert_eq!(got.barriers, want.barriers, "{f:?}");
    assert_eq!(got.practices, want.practices, "{f:?}");
    assert_eq!(got.rules, want.rules, "{f:?}");
    assert_eq!(
        got.dimensions.keys().collect::<Vec<_>>(),
        want.dimensions.keys().collect::<Vec<_>>(),
        "{f:?}"
    );
    for (id, d) in &want.dimensions {
        assert!(
            same_count_sum(&got.dimensions[id], d),
            "dimension {id} {f:?}"
        );
    }
    for (dim, groups) in &want.groups {
        let got_groups = got.groups.get(dim).cloned().unwrap_or_default();
        assert_eq!(
            got_groups.keys().collect::<Vec<_>>(),
            groups.keys().collect::<Vec<_>>(),
            "{dim:?} {f:?}"
        );
        for (k, g) in groups {
            assert!(same_count_sum(&got_groups[k], g), "{dim:?} {k} {f:?}");
        }
    }
    assert!(same_count_sum(&got.change, &want.change), "change {f:?}");
}

const PROVINCES: [&str; 3] = ["hai-phong", "da-nang", "hue"];
const SECTORS: [&str; 3] = ["retail", "manufacturing", "agriculture"];
const SIZES: [Option<&str>; 4] = [Some("micro"), Some("small"), Some("medium"), None];
const TRADES: [&str; 4] = ["none", "import", "export", "both"];

/// A random data set: firms of a few provinces, sectors and months, some re-assessing an
/// earlier one, on both questionnaire versions, written in batches of random sizes.
async fn random_data_set(app: &TestApp, rng: &mut StdRng, firms: usize) {
    let defs: Vec<Arc<Definition>> = app
        .state
        .questionnaires
        .definitions
        .values()
        .cloned()
        .collect();
    let mut written: Vec<Uuid> = Vec::new();
    let mut batch = Vec::new();
    for i in 0..firms {
        let def = &defs[rng.random_range(0..defs.len())];
        let mut sub = dxready::usecases::demo::synthetic_submission(def, rng, i as u64);
        let province = PROVINCES[rng.random_range(0..PROVINCES.len())];
        let p = |v: &str| ProfileValue::Text(v.into());
        sub.profile.insert("province".into(), p(province));
        sub.profile.insert(
            "sector".into(),
            p(SECTORS[rng.random_range(0..SECTORS.len())]),
        );
        sub.profile
            .insert("trade".into(), p(TRADES[rng.random_range(0..TRADES.len())]));
        match rng.random_range(0..3) {
            0 => sub.profile.remove("ocop"),
            n => sub
                .profile
                .insert("ocop".into(), ProfileValue::Bool(n == 1)),
        };
        let reference = &def.reference;
        let formers: Vec<&str> = reference
            .former_provinces()
            .into_iter()
            .filter(|(_, _, now)| *now == province)
            .map(|(s, _, _)| s)
            .collect();
        match formers.get(rng.random_range(0..formers.len() + 1)) {
            Some(f) => sub.profile.insert("former_province".into(), p(f)),
            None => sub.profile.remove("former_province"),
        };
        let communes: Vec<&str> = reference
            .communes
            .iter()
            .filter(|c| c.province == province)
            .take(2)
            .map(|c| c.slug.as_str())
            .collect();
        match communes.get(rng.random_range(0..communes.len() + 1)) {
            Some(c) => sub.profile.insert("commune".into(), p(c)),
            None => sub.profile.remove("commune"),
        };
        let at = vn_noon((2026, rng.random_range(1..=6), rng.random_range(1..=28)));
        let rows = rows_for(def, sub, SIZES[rng.random_range(0..SIZES.len())], at);
        let previous = (!written.is_empty() && rng.random_bool(0.2))
            .then(|| written[rng.random_range(0..written.len())]);
        let earlier = match previous {
            Some(id) => dxready::db::responses::find_earlier_by_id(&app.state.db, id)
                .await
                .unwrap(),
            None => None,
        };
        let rows = rows.re_assessing(earlier.as_ref());
        batch.push(rows);
        if batch.len() >= rng.random_range(1..12) || i + 1 == firms {
            for outcome in submissions::write_batch(&app.state.db, &batch)
                .await
                .unwrap()
            {
                outcome.unwrap();
            }
            written.extend(batch.drain(..).map(|r| r.id));
        }
    }
}

fn random_filter(rng: &mut StdRng, app: &TestApp) -> Filter {
    let mut some = |p: f64| rng.random_bool(p);
    let set = [
        some(0.4),
        some(0.2),
        some(0.15),
        some(0.3),
        some(0.2),
        some(0.2),
        some(0.2),
        some(0.15),
        some(0.3),
        some(0.3),
    ];
    let reference = app.state.questionnaires.latest()[0].reference.clone();
    let province = PROVINCES[rng.random_range(0..PROVINCES.len())];
    let formers: Vec<String> = reference
        .former_provinces()
        .into_iter()
        .map(|(s, _, _)| s.to_string())
        .filter(|s| s.starts_with("hai") || s.starts_with("da") || s.starts_with("quang-nam"))
        .collect();
    let communes: Vec<String> = reference
        .communes
        .iter()
        .filter(|c| PROVINCES.contains(&c.province.as_str()))
        .take(6)
        .map(|c| c.slug.clone())
        .collect();
    let versions: Vec<String> = app
        .state
        .questionnaires
        .definitions
        .keys()
        .map(|(id, v)| version_key(id, v))
        .collect();
    let from = rng.random_range(1..=6);
    let to = rng.random_range(from..=6);
    Filter {
        province: set[0].then(|| province.to_string()),
        former_province: set[1].then(|| formers[rng.random_range(0..formers.len())].clone()),
        commune: set[2].then(|| communes[rng.random_range(0..communes.len())].clone()),
        sector: set[3].then(|| SECTORS[rng.random_range(0..SECTORS.len())].to_string()),
        size_class: set[4].then(|| SIZES[rng.random_range(0..3)].unwrap().to_string()),
        ocop: set[5].then(|| rng.random_bool(0.5)),
        trade: set[6].then(|| {
            ["none", "import", "export", "both", "any"][rng.random_range(0..5)].to_string()
        }),
        version: set[7].then(|| versions[rng.random_range(0..versions.len())].clone()),
        from_month: set[8].then_some(202600 + from),
        to_month: set[9].then_some(202600 + to),
    }
}

/// The filter as the API's query string.
fn query_string(f: &Filter) -> String {
    let mut q = Vec::new();
    let mut add = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            q.push(format!("{k}={v}"));
        }
    };
    add("province", f.province.clone());
    add("former_province", f.former_province.clone());
    add("commune", f.commune.clone());
    add("sector", f.sector.clone());
    add("size", f.size_class.clone());
    add("ocop", f.ocop.map(|o| o.to_string()));
    add("trade", f.trade.clone());
    add("version", f.version.clone());
    add(
        "from",
        f.from_month
            .map(|m| format!("{}-{:02}-{:02}", m / 100, m % 100, 9)),
    );
    add(
        "to",
        f.to_month
            .map(|m| format!("{}-{:02}-{:02}", m / 100, m % 100, 3)),
    );
    q.join("&")
}

async fn every_figure_equals_a_recomputation_from_the_stored_results(app: TestApp) {
    let admin = signed_in_as(&app, Role::Admin, None).await;
    let mut rng = StdRng::seed_from_u64(12);
    let mut filters: Vec<Filter> = (0..40).map(|_| random_filter(&mut rng, &app)).collect();
    filters.push(Filter::default());
    for round in 0..2 {
        random_data_set(&app, &mut rng, 40).await;
        let all = stored_results(&app).await;
        assert_eq!(all.len(), 40 * (round + 1));
        for f in &filters {
            let got = query::figures(&app.state.db, f).await.unwrap();
            assert_same(&got, &recompute(&all, f), f);
            // The API shows these same figures (whatever the privacy rule leaves).
            let api = stats(&app, &admin, &query_string(f)).await;
            if let Some(n) = api["responses"].as_u64() {
                assert_eq!(n, got.responses(), "{f:?}");
            }
            if let Some(mean) = api["overall"]["mean"].as_f64() {
                let want = got.overall.mean().unwrap();
                assert!(close(mean, (want * 10.0).round() / 10.0), "{f:?}");
            }
        }
    }
    // Rebuilt from the stored results, twice (it is idempotent): the same figures.
    let all = stored_results(&app).await;
    for _ in 0..2 {
        let rebuilt = dxready::db::aggregates::rebuild::rebuild_aggregates(
            &app.state.db,
            &app.state.questionnaires,
            |_, _| {},
        )
        .await
        .unwrap();
        assert_eq!(rebuilt.facts, all.len() as u64);
        for f in &filters {
            let got = query::figures(&app.state.db, f).await.unwrap();
            assert_same(&got, &recompute(&all, f), f);
        }
    }
    let _ = app.stop().await;
}
db_test!(every_figure_equals_a_recomputation_from_the_stored_results);

// ---------- privacy: the subtraction attacks ----------

/// Issue 12, leak 1: in one table, the total minus the shown cells must not give a small one.
/// The page without its SVG drawings (each chart's data table stays).
fn without_charts(page: &str) -> String {
    let mut kept = String::new();
    let mut rest = page;
    while let Some(start) = rest.find("<svg") {
        kept.push_str(&rest[..start]);
        rest = rest[start..]
            .find("</svg>")
            .map_or("", |end| &rest[start + end + "</svg>".len()..]);
    }
    kept.push_str(rest);
    kept
}

async fn the_total_minus_the_shown_levels_gives_nothing_away(app: TestApp) {
    let staff = signed_in_as(&app, Role::Staff, None).await;
    // Ten firms at the top level and three at the bottom: one "< 5" level.
    let mut firms = vec![Firm::new("hai-phong", "retail", (2026, 3, 2)); 10];
    for _ in 0..3 {
        firms.push(Firm {
            best: Some(false),
            ..Firm::new("hai-phong", "retail", (2026, 3, 2))
        });
    }
    store(&app, &firms).await;
    let s = stats(&app, &staff, "").await;
    assert_eq!(s["responses"], 13);
    let levels = s["levels"].as_object().unwrap();
    let shown: u64 = levels.values().filter_map(Value::as_u64).sum();
    let hidden = 13 - shown;
    assert!(
        hidden == 0 || hidden >= 5,
        "13 minus the shown levels gives {hidden}: {s}"
    );
    assert!(levels.values().any(Value::is_null), "{s}");
    // The same on the page and in the export.
    let (_, page) = text(get(&app, &staff, "/dashboard?lang=en").await).await;
    // The charts' axes carry round numbers (0, 5, 10, …); what they draw is in their tables.
    let figures = without_charts(&page);
    assert!(
        !figures.contains(">10<") && !figures.contains(">3<"),
        "neither level's count"
    );
    assert!(page.contains("<svg"), "the levels are drawn too");
    let csv = text(get(&app, &staff, "/dashboard/export.csv").await)
        .await
        .1;
    assert!(
        !csv.lines().any(|l| l.ends_with(",10") || l.ends_with(",3")),
        "{csv}"
    );
    let _ = app.stop().await;
}
db_test!(the_total_minus_the_shown_levels_gives_nothing_away);

/// Issue 12, leak 2: `responses` is null for 1–4 firms, whatever the filter.
async fn the_count_of_one_to_four_firms_is_null(app: TestApp) {
    let staff = signed_in_as(&app, Role::Staff, None).await;
    let mut firms = vec![Firm::new("hai-phong", "retail", (2026, 3, 2)); 10];
    firms.extend(vec![Firm::new("da-nang", "retail", (2026, 3, 2)); 2]);
    store(&app, &firms).await;
    for query in ["province=da-nang", "province=da-nang&sector=retail"] {
        let s = stats(&app, &staff, query).await;
        assert!(s["responses"].is_null(), "{query}: {s}");
        assert_eq!(s["suppressed"], true);
        assert!(s["overall"]["mean"].is_null() && s["overall"]["median"].is_null());
    }
    let _ = app.stop().await;
}
db_test!(the_count_of_one_to_four_firms_is_null);

/// Issue 12, leak 3: two date filters a month (or a day) apart must not single out the firms
/// of that month.
async fn date_filters_a_month_apart_give_no_firm_away(app: TestApp) {
    let staff = signed_in_as(&app, Role::Staff, None).await;
    let mut firms = vec![Firm::new("hai-phong", "retail", (2026, 10, 5)); 10];
    // Two firms in November, one of them on the 30th.
    firms.push(Firm {
        best: Some(false),
        ..Firm::new("hai-phong", "retail", (2026, 11, 29))
    });
    firms.push(Firm {
        best: Some(false),
        ..Firm::new("hai-phong", "retail", (2026, 11, 30))
    });
    firms.extend(vec![Firm::new("hai-phong", "retail", (2026, 12, 5)); 10]);
    store(&app, &firms).await;

    let october = stats(&app, &staff, "from=2026-10-01&to=2026-10-31").await;
    assert_eq!(october["responses"], 10, "{october}");
    assert_eq!(october["filters"]["to"], "2026-10-31");
    for query in [
        "from=2026-10-01&to=2026-11-30",
        "to=2026-11-30",
        "from=2026-11-01",
        "from=2026-11-01&to=2026-11-30",
    ] {
        let s = stats(&app, &staff, query).await;
        assert!(s["responses"].is_null(), "{query}: {s}");
        assert!(s["overall"]["mean"].is_null(), "{query}");
        assert!(
            s["withheld"]
                .as_str()
                .is_some_and(|w| w.contains("widen the filters")),
            "{query}: {s}"
        );
    }
    // A day apart: the same whole month, the same answer.
    let a = stats(&app, &staff, "from=2026-12-01&to=2026-12-29").await;
    let b = stats(&app, &staff, "from=2026-12-02&to=2026-12-30").await;
    assert_eq!(a, b);
    assert_eq!(a["filters"]["from"], "2026-12-01");
    assert_eq!(a["filters"]["to"], "2026-12-31");
    // Without dates, the months of the trend follow the table rule: November is withheld, and
    // so is the next smallest month, so no total gives it.
    let all = stats(&app, &staff, "").await;
    assert_eq!(all["responses"], 22);
    let months = all["months"].as_object().unwrap();
    let shown: u64 = months.values().filter_map(Value::as_u64).sum();
    assert!(22 - shown == 0 || 22 - shown >= 5, "{all}");
    assert!(months["2026-11"].is_null());
    let (_, page) = text(get(&app, &staff, "/dashboard?lang=en&from=2026-11-01").await).await;
    assert!(page.contains("Widen the filters"), "the page says why");
    assert!(
        page.contains("whole months"),
        "the page says dates snap to months"
    );
    let _ = app.stop().await;
}
db_test!(date_filters_a_month_apart_give_no_firm_away);

/// The contract's example: a province minus the province in one sector.
async fn a_province_minus_one_of_its_sectors_gives_no_firm_away(app: TestApp) {
    let staff = signed_in_as(&app, Role::Staff, None).await;
    let mut firms = vec![Firm::new("hai-phong", "retail", (2026, 3, 2)); 10];
    firms.extend(vec![
        Firm {
            best: Some(false),
            ..Firm::new("hai-phong", "manufacturing", (2026, 3, 2))
        };
        2
    ]);
    firms.extend(vec![Firm::new("hue", "retail", (2026, 3, 2)); 10]);
    store(&app, &firms).await;
    let province = stats(&app, &staff, "province=hai-phong").await;
    assert_eq!(province["responses"], 12, "{province}");
    let in_sector = stats(&app, &staff, "province=hai-phong&sector=retail").await;
    assert!(in_sector["responses"].is_null(), "{in_sector}");
    assert!(in_sector["overall"]["mean"].is_null());
    assert!(
        in_sector["withheld"].as_str().unwrap().contains("sector"),
        "{in_sector}"
    );
    // Inside the province's own answer, the sectors side by side hide the two as well.
    let sectors = province["groups"]["sector"].as_array().unwrap();
    let shown: u64 = sectors.iter().filter_map(|g| g["responses"].as_u64()).sum();
    assert!(12 - shown == 0 || 12 - shown >= 5, "{province}");
    // A province-limited account asking for its sector gets the same refusal.
    let limited = signed_in_as(&app, Role::Staff, Some("hai-phong")).await;
    let limited_sector = stats(&app, &limited, "sector=retail").await;
    assert!(limited_sector["responses"].is_null());
    let (_, page) = text(
        get(
            &app,
            &staff,
            "/dashboard?lang=en&province=hai-phong&sector=retail",
        )
        .await,
    )
    .await;
    assert!(page.contains("Widen the filters"));
    let csv = text(
        get(
            &app,
            &staff,
            "/dashboard/export.csv?province=hai-phong&sector=retail",
        )
        .await,
    )
    .await
    .1;
    assert!(!csv.lines().any(|l| l.starts_with("10,")), "{csv}");
    let _ = app.stop().await;
}
db_test!(a_province_minus_one_of_its_sectors_gives_no_firm_away);

/// The new filters and figures in the API: former province, OCOP, trade, version; barriers
/// self-reported beside inferred; the roadmap items; groups; the mean change of re-assessed
/// firms.
async fn the_api_answers_the_new_filters_and_figures(app: TestApp) {
    let staff = signed_in_as(&app, Role::Staff, None).await;
    let firms: Vec<Firm> = (0..12)
        .map(|_| Firm {
            best: None,
            ..Firm::new("hai-phong", "retail", (2026, 4, 2))
        })
        .collect();
    store(&app, &firms).await;
    let s = stats(&app, &staff, "version=1.1.0").await;
    assert_eq!(s["responses"], 12, "{s}");
    assert!(
        s["barriers_detail"]
            .as_object()
            .unwrap()
            .values()
            .all(|b| b.get("self_reported").is_some() && b.get("inferred").is_some())
    );
    assert!(!s["roadmap"].as_array().unwrap().is_empty());
    let practices = s["practices"].as_object().unwrap();
    assert!(
        practices.contains_key("e_invoice") && practices.contains_key("e_customs"),
        "{s}"
    );
    assert!(s["groups"]["province"].is_array() && s["groups"]["former_province"].is_array());
    let other = stats(&app, &staff, "questionnaire=1.0.0").await;
    assert_eq!(other["responses"], 0);
    for bad in ["ocop=maybe", "trade=smuggling", "from=2026-13-01"] {
        let res = get(&app, &staff, &format!("/api/v1/stats?{bad}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let _ = app.stop().await;
}
db_test!(the_api_answers_the_new_filters_and_figures);

/// The page draws its figures as SVG charts a screen reader can read (role, label, data table),
/// with no script, and sets the key practices against the targets that apply.
async fn the_page_draws_charts_with_tables_and_targets(app: TestApp) {
    let staff = signed_in_as(&app, Role::Staff, None).await;
    let firms: Vec<Firm> = (0..12u32)
        .map(|i| Firm {
            best: Some(i % 2 == 0),
            ..Firm::new("hai-phong", "retail", (2026, 3 + i % 3, 2))
        })
        .chain((0..5).map(|_| Firm {
            size: Some("large"),
            ..Firm::new("hai-phong", "retail", (2026, 3, 2))
        }))
        .collect();
    store(&app, &firms).await;
    let (status, html) = text(get(&app, &staff, "/dashboard?province=hai-phong").await).await;
    assert!(
        html.contains("Doanh nghiệp lớn (không thuộc DNNVV)"),
        "a firm above every SME class is named, not shown as its id"
    );
    assert_eq!(status, StatusCode::OK);
    let charts = html.matches("<svg").count();
    assert!(charts >= 3, "months, levels and practices: {charts} charts");
    assert_eq!(
        html.matches(r#"role="img""#).count(),
        charts,
        "every chart is an image"
    );
    assert!(
        html.matches("aria-labelledby=").count() >= charts,
        "every chart is labelled by its caption"
    );
    assert!(html.contains("<figcaption"), "captions");
    assert!(!html.contains("<script"), "no script");
    // The months 04–05/2026 each hold 4 of the firms: withheld, drawn as "< 5".
    assert!(
        html.contains("03/2026") && html.contains("&lt; 5"),
        "{html}"
    );
    // The e-invoice obligation is national: it is shown with its source beside the measured rate.
    assert!(
        html.contains("123/2020"),
        "the e-invoice target and its source"
    );
    assert!(html.contains("/static/charts.css"));
    let css = app.get("/static/charts.css").await;
    assert_eq!(css.status(), StatusCode::OK);
    let _ = app.stop().await;
}
db_test!(the_page_draws_charts_with_tables_and_targets);
