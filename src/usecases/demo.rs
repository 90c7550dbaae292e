//! `dxready seed-demo`: realistic synthetic, submitted responses for demos, dashboards and
//! benchmarks. Each firm gets a hidden "maturity" so its answers hang together (a firm with cloud
//! accounting also tends to issue e-invoices), spread over provinces, sectors, sizes and months.

use chrono::{Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::DatabaseConnection;

use crate::db::submissions::{self, NewSubmission, SubmissionRows};
use crate::domain::assessment::{Assessment, assess};
use crate::domain::questionnaire::{ConsentPurpose, ProfileKind, QuestionKind};
use crate::domain::{Answer, Contact, Definition, Lang, ProfileValue, Submission};
use crate::usecases::clock::vietnam_date;

/// Provinces of the pilot programmes come up more often, as they would in real use.
const FOCUS_PROVINCES: [&str; 2] = ["hai-phong", "hung-yen"];

/// One synthetic firm's submission.
pub fn synthetic_submission(def: &Definition, rng: &mut StdRng, index: u64) -> Submission {
    let maturity: f64 = rng.random::<f64>().powf(1.3); // most small firms are early on
    let mut sub = Submission::default();
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
            ("commune" | "former_province", _) => None,
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
                let mut scored: Vec<_> = q.options.iter().filter(|o| !o.not_applicable).collect();
                scored.sort_by(|a, b| a.points.unwrap_or(0.0).total_cmp(&b.points.unwrap_or(0.0)));
                let target = maturity * (scored.len() - 1) as f64 + rng.random_range(-1.0..=1.0);
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

/// Inserts `count` submitted responses; `progress(done, total)` is called as work proceeds.
pub async fn seed_demo(
    db: &DatabaseConnection,
    def: &Definition,
    count: u64,
    seed: u64,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    let now = Utc::now();
    let mut batch = Vec::with_capacity(DEMO_BATCH);
    for i in 0..count {
        let sub = synthetic_submission(def, &mut rng, i + 1);
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
        let (rows, _token) = submissions::prepare(
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
        );
        batch.push(rows);
        if batch.len() == DEMO_BATCH || i + 1 == count {
            write(db, &mut batch).await?;
        }
        if (i + 1) % 100 == 0 || i + 1 == count {
            progress(i + 1, count);
        }
    }
    Ok(())
}

/// Submissions per transaction: the same group commit as the live queue, in larger batches.
const DEMO_BATCH: usize = 500;

async fn write(db: &DatabaseConnection, batch: &mut Vec<SubmissionRows>) -> anyhow::Result<()> {
    for outcome in submissions::write_batch(db, batch).await? {
        outcome?;
    }
    batch.clear();
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
        for i in 0..300 {
            let sub = synthetic_submission(&def, &mut rng, i);
            let errors = validate(&def, &sub, Scope::Everything, answered_on);
            assert!(errors.is_empty(), "{errors:?}");
            levels.insert(crate::domain::score(&def, &sub).level);
        }
        assert!(levels.len() >= 3, "levels {levels:?}");
    }
}
