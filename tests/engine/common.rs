//! Shared helpers: the real questionnaire and reference data (loaded once), a fixed "today",
//! and builders that turn "points per question" into answers so tests read like the brief.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use dxready::domain::questionnaire::{Definition, QuestionKind, load_dir, load_str};
use dxready::domain::reference::Reference;
use dxready::domain::roadmap::Roadmap;
use dxready::domain::scoring::ScoreResult;
use dxready::domain::{Answer, ProfileValue, Submission, roadmap, score};

/// The date every roadmap in this suite is computed on, so programme filtering is stable.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).expect("valid date")
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

pub fn questionnaires_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires")
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The real reference data (`questionnaires/reference`).
pub fn reference() -> Arc<Reference> {
    static REFERENCE: OnceLock<Arc<Reference>> = OnceLock::new();
    REFERENCE
        .get_or_init(|| {
            Arc::new(
                Reference::load(&questionnaires_dir().join("reference"))
                    .unwrap_or_else(|p| panic!("reference data does not load: {p:#?}")),
            )
        })
        .clone()
}

/// The real questionnaire, `dxready-sme@1.0.0`.
pub fn real() -> Arc<Definition> {
    static REAL: OnceLock<Arc<Definition>> = OnceLock::new();
    REAL.get_or_init(|| {
        let loaded = load_dir(&questionnaires_dir()).unwrap_or_else(|problems| {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            panic!("the real questionnaires do not load:\n{}", lines.join("\n"))
        });
        loaded
            .get("dxready-sme", "1.0.0")
            .expect("dxready-sme 1.0.0 is in the folder")
    })
    .clone()
}

/// `def` loaded again with the programmes of `programmes` (a fixture file) added to the real
/// ones.
pub fn with_programmes(def: &Definition, programmes: &Path) -> Definition {
    let reference = reference()
        .with_programmes_file(programmes)
        .unwrap_or_else(|p| panic!("fixture programmes do not load: {p:#?}"));
    load_str(
        Path::new("with-programmes.toml"),
        &def.source,
        Arc::new(reference),
    )
    .unwrap_or_else(|p| panic!("does not load with fixture programmes: {p:#?}"))
}

/// The served questionnaire, `dxready-sme@1.1.0`.
pub fn real_v11() -> Arc<Definition> {
    static REAL: OnceLock<Arc<Definition>> = OnceLock::new();
    REAL.get_or_init(|| {
        load_dir(&questionnaires_dir())
            .unwrap_or_else(|p| panic!("the real questionnaires do not load: {p:#?}"))
            .get("dxready-sme", "1.1.0")
            .expect("dxready-sme 1.1.0 is in the folder")
    })
    .clone()
}

/// Both published versions, oldest first.
pub fn versions() -> [Arc<Definition>; 2] {
    [real(), real_v11()]
}

/// A day after the 2026 programme rounds ended, for results on 1.1.0.
pub fn after_2026() -> NaiveDate {
    date(2027, 1, 5)
}

/// Loads a questionnaire held in a string against the real reference data; panics with every
/// problem when it does not load.
pub fn load_inline(source: &str) -> Definition {
    load_str(Path::new("inline.toml"), source, reference()).unwrap_or_else(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        panic!("inline questionnaire does not load:\n{}", lines.join("\n"))
    })
}

/// The problems of a questionnaire held in a string, as `file:line:col: message` lines.
pub fn problems_of(name: &str, source: &str) -> Vec<String> {
    match load_str(Path::new(name), source, reference()) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

pub fn text(v: &str) -> ProfileValue {
    ProfileValue::Text(v.to_string())
}

pub fn number(n: f64) -> ProfileValue {
    ProfileValue::Number(n)
}

pub fn one(v: &str) -> Answer {
    Answer::One(v.to_string())
}

pub fn many(vs: &[&str]) -> Answer {
    Answer::Many(vs.iter().map(std::string::ToString::to_string).collect())
}

/// The value of the first option of `question` worth exactly `points`.
pub fn option_worth(def: &Definition, question: &str, points: f64) -> String {
    let q = def
        .question(question)
        .unwrap_or_else(|| panic!("no question {question}"));
    q.options
        .iter()
        .find(|o| o.points == Some(points))
        .unwrap_or_else(|| panic!("{question} has no option worth {points}"))
        .value
        .clone()
}

/// An answer to `question` worth `points`: the matching option of a single choice, or the first
/// `points` one-point options of a multiple choice (the exclusive "none" for 0).
pub fn answer_worth(def: &Definition, question: &str, points: f64) -> Answer {
    let q = def
        .question(question)
        .unwrap_or_else(|| panic!("no question {question}"));
    match q.kind {
        QuestionKind::SingleChoice => Answer::One(option_worth(def, question, points)),
        QuestionKind::MultipleChoice if points == 0.0 => Answer::Many(vec![
            q.options
                .iter()
                .find(|o| o.exclusive && o.points == Some(0.0))
                .unwrap_or_else(|| panic!("{question} has no exclusive zero option"))
                .value
                .clone(),
        ]),
        QuestionKind::MultipleChoice => {
            let picked: Vec<String> = q
                .options
                .iter()
                .filter(|o| !o.exclusive && o.points == Some(1.0))
                .take(points as usize)
                .map(|o| o.value.clone())
                .collect();
            assert_eq!(
                picked.len(),
                points as usize,
                "{question} cannot give {points}"
            );
            Answer::Many(picked)
        }
        QuestionKind::Scale => Answer::Number(points),
        other => panic!("{question} is a {} question", other.as_str()),
    }
}

/// Sets the answers of `sub` from `(question, points)` pairs.
pub fn set_points(def: &Definition, sub: &mut Submission, points: &[(&str, f64)]) {
    for (question, p) in points {
        sub.answers
            .insert((*question).to_string(), answer_worth(def, question, *p));
    }
}

/// Scores and builds the roadmap on [`today`].
pub fn evaluate(def: &Definition, sub: &Submission) -> (ScoreResult, Roadmap) {
    let result = score(def, sub);
    let map = roadmap(def, sub, &result, today());
    (result, map)
}

pub fn dimension_score(result: &ScoreResult, id: &str) -> Option<f64> {
    result
        .dimension(id)
        .unwrap_or_else(|| panic!("no dimension {id}"))
        .score
}

pub fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "{what}: expected {expected}, got {actual}"
    );
}
