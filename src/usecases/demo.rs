//! `dxready seed-demo`: realistic synthetic, submitted responses for demos, dashboards and
//! benchmarks. Each firm gets a hidden "maturity" so its answers hang together (a firm with cloud
//! accounting also tends to issue e-invoices), spread over provinces, sectors, sizes and months.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::DatabaseConnection;
use tokio::sync::mpsc;

use crate::db::submissions::{self, NewSubmission, SubmissionRows};
use crate::domain::assessment::{Assessment, assess};
use crate::domain::questionnaire::{ConsentPurpose, ProfileKind, QuestionKind};
use crate::domain::{Answer, Contact, Definition, Lang, ProfileValue, Submission};
use crate::usecases::clock::vietnam_date;

/// Provinces of the pilot programmes come up more often, as they would in real use.
const FOCUS_PROVINCES: [&str; 2] = ["hai-phong", "hung-yen"];

/// Makes synthetic firms for one questionnaire version; built once, as it indexes the
/// reference data by province.
pub struct Synthesiser<'a> {
    def: &'a Definition,
    /// Communes of each current province, in file order (for the `commune` field).
    communes: HashMap<&'a str, Vec<&'a str>>,
    /// Former (pre-July-2025) provinces merged into each current one, in slug order.
    former: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> Synthesiser<'a> {
    pub fn new(def: &'a Definition) -> Self {
        let mut communes: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut former: HashMap<&str, Vec<&str>> = HashMap::new();
        for f in &def.profile {
            match f.id.as_str() {
                "commune" => {
                    if let Some((_, of)) = &f.within {
                        for o in &f.options {
                            if let Some(province) = of.get(&o.value) {
                                communes
                                    .entry(province.as_str())
                                    .or_default()
                                    .push(o.value.as_str());
                            }
                        }
                    }
                }
                "former_province" => {
                    let offered = |slug: &str| f.options.iter().any(|o| o.value == slug);
                    for p in &def.reference.provinces {
                        // Only provinces merged in 2025 have former units to name.
                        if !p.former.is_empty() {
                            let mut slugs: Vec<&str> = p
                                .former
                                .iter()
                                .map(|(s, _)| s.as_str())
                                .filter(|s| offered(s))
                                .collect();
                            slugs.sort_unstable();
                            former.insert(p.slug.as_str(), slugs);
                        }
                    }
                }
                _ => {}
            }
        }
        Synthesiser {
            def,
            communes,
            former,
        }
    }

    /// One synthetic firm's submission.
    pub fn submission(&self, rng: &mut StdRng, index: u64) -> Submission {
        let def = self.def;
        let maturity: f64 = rng.random::<f64>().powf(1.3); // most small firms are early on
        let mut sub = Submission::default();
        let mut province: Option<String> = None;
        for f in &def.profile {
            let value = match (f.id.as_str(), f.kind) {
                ("name", _) => Some(ProfileValue::Text(format!("Doanh nghiệp mẫu {index}"))),
                ("province", _) => {
                    let slug = if rng.random_bool(0.6) {
                        FOCUS_PROVINCES[rng.random_range(0..FOCUS_PROVINCES.len())].to_string()
                    } else {
                        f.options[rng.random_range(0..f.options.len())]
                            .value
                            .clone()
                    };
                    province = Some(slug.clone());
                    Some(ProfileValue::Text(slug))
                }
                ("employees", _) => {
                    let employees = match rng.random_range(0..100) {
                        0..70 => rng.random_range(1..=10),
                        70..92 => rng.random_range(11..=50),
                        92..98 => rng.random_range(51..=200),
                        _ => rng.random_range(201..=600),
                    };
                    Some(ProfileValue::Number(f64::from(employees)))
                }
                ("founded_year", _) => Some(ProfileValue::Number(f64::from(
                    rng.random_range(1995..=2026),
                ))),
                // Both come after the province in the file, and belong to it.
                ("commune", _) => self.pick_within(&self.communes, province.as_deref(), rng),
                ("former_province", _) => self.pick_within(&self.former, province.as_deref(), rng),
                (_, ProfileKind::Choice) if !f.options.is_empty() => {
                    (f.required || rng.random_bool(0.5)).then(|| {
                        ProfileValue::Text(
                            f.options[rng.random_range(0..f.options.len())]
                                .value
                                .clone(),
                        )
                    })
                }
                (_, ProfileKind::Boolean) => Some(ProfileValue::Bool(rng.random_bool(0.15))),
                _ => None,
            };
            if let Some(v) = value {
                sub.profile.insert(f.id.clone(), v);
            }
        }
        for q in &def.questions {
            let answer = match q.kind {
                QuestionKind::SingleChoice => {
                    let mut scored: Vec<_> =
                        q.options.iter().filter(|o| !o.not_applicable).collect();
                    scored.sort_by(|a, b| {
                        a.points.unwrap_or(0.0).total_cmp(&b.points.unwrap_or(0.0))
                    });
                    let target =
                        maturity * (scored.len() - 1) as f64 + rng.random_range(-1.0..=1.0);
                    let i = target.round().clamp(0.0, (scored.len() - 1) as f64) as usize;
                    scored.get(i).map(|o| Answer::One(o.value.clone()))
                }
                QuestionKind::MultipleChoice => {
                    let limit = q.max_choices.unwrap_or(usize::MAX);
                    let picked: Vec<String> = q
                        .options
                        .iter()
                        .filter(|o| !o.exclusive && !o.not_applicable)
                        .filter(|_| {
                            rng.random_bool(if q.is_scored() {
                                maturity.clamp(0.05, 0.95)
                            } else {
                                0.3
                            })
                        })
                        .take(limit)
                        .map(|o| o.value.clone())
                        .collect();
                    match (picked.is_empty(), q.options.iter().find(|o| o.exclusive)) {
                        (true, Some(none)) => Some(Answer::Many(vec![none.value.clone()])),
                        (true, None) if q.required => q
                            .options
                            .first()
                            .map(|o| Answer::Many(vec![o.value.clone()])),
                        (true, None) => None,
                        (false, _) => Some(Answer::Many(picked)),
                    }
                }
                QuestionKind::Scale => {
                    let (lo, hi) = (q.min.unwrap_or(1.0), q.max.unwrap_or(5.0));
                    Some(Answer::Number((lo + maturity * (hi - lo)).round()))
                }
                QuestionKind::Number | QuestionKind::Text => None,
            };
            if let Some(a) = answer {
                sub.answers.insert(q.id.clone(), a);
            }
        }
        sub.consents.insert(ConsentPurpose::Processing);
        if rng.random_bool(0.4) {
            sub.consents.insert(ConsentPurpose::Followup);
        }
        if rng.random_bool(0.2) {
            sub.consents.insert(ConsentPurpose::NamedToStaff);
        }
        sub
    }

    /// One of the values listed for the firm's province, if it has any.
    fn pick_within(
        &self,
        lists: &HashMap<&str, Vec<&str>>,
        province: Option<&str>,
        rng: &mut StdRng,
    ) -> Option<ProfileValue> {
        let list = lists.get(province?)?;
        (!list.is_empty())
            .then(|| ProfileValue::Text(list[rng.random_range(0..list.len())].to_string()))
    }

    /// Submission `index` assessed as on its day and built into the rows the live service
    /// writes (same `submissions::prepare`), so the demo's results are real ones.
    fn rows(&self, rng: &mut StdRng, index: u64, now: DateTime<Utc>) -> SubmissionRows {
        let def = self.def;
        let sub = self.submission(rng, index);
        let submitted_at = now - Duration::minutes(rng.random_range(0..(365 * 24 * 60)));
        let Assessment {
            submission: sub,
            result,
            roadmap: plan,
            size_class,
        } = assess(def, &sub, vietnam_date(submitted_at));
        // Demo firms never get e-mail: no contact details at all.
        let contact = Contact::default();
        let lang = if rng.random_bool(0.85) {
            Lang::Vi
        } else {
            Lang::En
        };
        submissions::prepare(
            None,
            NewSubmission {
                def,
                lang,
                submission: &sub,
                contact: &contact,
                result: &result,
                roadmap: &plan,
                size_class,
                channel: "demo",
                now: submitted_at,
                email_report_to: None,
            },
        )
        .0
    }
}

/// One synthetic firm's submission (see [`Synthesiser::submission`]).
pub fn synthetic_submission(def: &Definition, rng: &mut StdRng, index: u64) -> Submission {
    Synthesiser::new(def).submission(rng, index)
}

/// Submissions per transaction. Large: a commit per batch, and one multi-row statement per
/// table per few hundred rows.
const DEMO_BATCH: u64 = 2_000;

/// Batches built ahead of the writer, per generating thread.
const AHEAD: usize = 2;

/// Inserts `count` submitted responses; `progress(done, total)` is called after each batch.
///
/// Firms are made, assessed and built into rows on one thread per core while the database
/// writes the batches already built: the writer (one SQLite connection) is then the only limit.
/// Batch `k` always comes from the random generator seeded with (`seed`, `k`), so a seed gives
/// the same firms whatever the number of threads.
pub async fn seed_demo(
    db: &DatabaseConnection,
    def: Arc<Definition>,
    count: u64,
    seed: u64,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<()> {
    let batches = count.div_ceil(DEMO_BATCH);
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .clamp(1, 8) as u64;
    let (built, mut to_write) = mpsc::channel::<Vec<SubmissionRows>>(AHEAD * threads as usize);
    let now = Utc::now();
    let mut makers = Vec::new();
    for thread in 0..threads {
        let (def, built) = (Arc::clone(&def), built.clone());
        makers.push(std::thread::spawn(move || {
            let synth = Synthesiser::new(&def);
            for batch in (thread..batches).step_by(threads as usize) {
                let mut rng =
                    StdRng::seed_from_u64(seed ^ batch.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let first = batch * DEMO_BATCH;
                let last = (first + DEMO_BATCH).min(count);
                let rows = (first..last)
                    .map(|i| synth.rows(&mut rng, i + 1, now))
                    .collect();
                // The writer has stopped (an error): nothing more to build.
                if built.blocking_send(rows).is_err() {
                    return;
                }
            }
        }));
    }
    drop(built);
    let mut done = 0;
    let mut outcome = Ok(());
    while let Some(batch) = to_write.recv().await {
        if let Err(e) = write(db, &batch).await {
            outcome = Err(e);
            break;
        }
        done += batch.len() as u64;
        progress(done, count);
    }
    drop(to_write);
    for maker in makers {
        maker
            .join()
            .map_err(|_| anyhow::anyhow!("a seed-demo thread panicked"))?;
    }
    outcome
}

async fn write(db: &DatabaseConnection, batch: &[SubmissionRows]) -> anyhow::Result<()> {
    for outcome in submissions::write_batch(db, batch).await? {
        outcome?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate::{Scope, validate};

    #[test]
    fn synthetic_submissions_are_valid_and_varied() {
        let loaded = crate::domain::questionnaire::load_dir(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/questionnaires"
        )))
        .expect("loads");
        let def = loaded.latest_of("dxready-sme").expect("v1");
        let mut rng = StdRng::seed_from_u64(42);
        let mut levels = std::collections::BTreeSet::new();
        // Synthetic firms are founded up to 2026.
        let answered_on = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).expect("a date");
        let synth = Synthesiser::new(&def);
        let (mut communes, mut former) = (0, 0);
        for i in 0..300 {
            let sub = synth.submission(&mut rng, i);
            // Also checks that the commune is one of the chosen province's.
            let errors = validate(&def, &sub, Scope::Everything, answered_on);
            assert!(errors.is_empty(), "{errors:?}");
            levels.insert(crate::domain::score(&def, &sub).level);
            communes += usize::from(sub.profile_str("commune").is_some());
            let province = sub.profile_str("province").expect("a province");
            let merged = def
                .reference
                .province(province)
                .is_some_and(|p| !p.former.is_empty());
            match sub.profile_str("former_province") {
                Some(slug) => {
                    former += 1;
                    assert!(merged, "{province} was not merged");
                    assert!(
                        def.reference
                            .former_provinces()
                            .iter()
                            .any(|(s, _, now)| *s == slug && *now == province),
                        "{slug} is not a former part of {province}"
                    );
                }
                None => assert!(
                    !merged,
                    "a firm of merged {province} names no former province"
                ),
            }
        }
        assert!(levels.len() >= 3, "levels {levels:?}");
        assert_eq!(communes, 300, "every firm names its commune");
        assert!(former > 100, "most firms are in merged provinces: {former}");
    }
}
