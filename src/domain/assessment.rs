//! The assessment pipeline, once for every channel: drop answers the questionnaire does not ask
//! of this firm, score, choose the roadmap and classify the firm's size, all as of `today`.

use chrono::NaiveDate;

use crate::domain::facts::Derived;
use crate::domain::validate::clean;
use crate::domain::{Definition, Roadmap, ScoreResult, Submission, roadmap, score};

/// A response as assessed: what is stored and shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// The submission without answers to questions that were not relevant.
    pub submission: Submission,
    pub result: ScoreResult,
    pub roadmap: Roadmap,
    pub size_class: Option<String>,
}

/// Assesses an already validated submission.
pub fn assess(def: &Definition, submission: &Submission, today: NaiveDate) -> Assessment {
    let submission = clean(def, submission);
    let result = score(def, &submission);
    let roadmap = roadmap(def, &submission, &result, today);
    let size_class = Derived::compute(def, &submission, today).size_class;
    Assessment {
        submission,
        result,
        roadmap,
        size_class,
    }
}
