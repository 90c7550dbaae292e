//! Scoring: dimension scores, the overall score, the level (with gates) and barrier flags.
//!
//! For each dimension d: `S_d = 100 × Σ points / Σ max points` over its scored questions that
//! are relevant, answered and not "not applicable" (those leave the denominator). The overall
//! score is `Σ w_d × S_d / Σ w_d` over dimensions with at least one counted question. The level is
//! the highest whose minimum score is reached and whose gate, and every lower level's gate,
//! holds; a failed gate drops one level at a time. Every number comes from the questionnaire file; nothing is hard-coded here.

use crate::domain::answers::Submission;
use crate::domain::facts::Facts;
use crate::domain::questionnaire::Definition;
pub use crate::domain::score_result::{BarrierFlag, DimensionScore, ScoreResult, Severity};

/// Scores a submission. Deterministic: the same definition and submission give the same result.
/// Answers to questions that are not relevant are ignored.
pub fn score(def: &Definition, sub: &Submission) -> ScoreResult {
    let facts = Facts::new(def, sub);

    let mut dimensions: Vec<DimensionScore> = def
        .dimensions
        .iter()
        .map(|d| DimensionScore {
            id: d.id.clone(),
            score: None,
            points: 0.0,
            max_points: 0.0,
            counted: 0,
        })
        .collect();
    for q in def.questions.iter().filter(|q| q.is_scored()) {
        let Some((got, max)) = facts.points(q) else {
            continue;
        };
        if let Some(dim) = dimensions
            .iter_mut()
            .find(|d| Some(&d.id) == q.dimension.as_ref())
        {
            dim.points += got;
            dim.max_points += max;
            dim.counted += 1;
        }
    }
    for dim in &mut dimensions {
        if dim.max_points > 0.0 {
            dim.score = Some(100.0 * dim.points / dim.max_points);
        }
    }

    let (weighted, weights) = def
        .dimensions
        .iter()
        .zip(&dimensions)
        .filter_map(|(d, s)| s.score.map(|score| (d.weight * score, d.weight)))
        .fold((0.0, 0.0), |(a, b), (x, w)| (a + x, b + w));
    let overall = if weights > 0.0 {
        (weighted / weights).clamp(0.0, 100.0)
    } else {
        0.0
    };

    let band = def
        .bands
        .iter()
        .rev()
        .find(|b| overall >= b.min_score)
        .map(|b| b.id.clone());

    let mut result = ScoreResult {
        questionnaire_id: def.id.clone(),
        questionnaire_version: def.version.clone(),
        overall,
        level: def.bottom_level(),
        band,
        dimensions,
        barriers: Vec::new(),
    };

    // Gates and barrier inference read scores (never levels or flags), so evaluate them
    // against the result as it stands.
    let (level, barriers) = {
        let facts = Facts::new(def, sub).with_scores(&result);
        // Levels build on each other: a level needs its score range, its own gate and the gates
        // of every level below it, so e-invoicing (a level 3 gate) is still required at level 5.
        // Counting up and stopping at the first failure is "drop a level until it passes".
        let mut level = def.bottom_level();
        for candidate in &def.levels {
            if overall < candidate.min_score
                || !candidate.gate.as_ref().is_none_or(|g| g.holds(&facts))
            {
                break;
            }
            level = candidate.level;
        }
        let mut barriers: Vec<BarrierFlag> = def
            .barriers
            .iter()
            .filter_map(|b| {
                let self_reported = b.self_reported.holds(&facts);
                let inferred = b.inferred.holds(&facts);
                let severity = match (self_reported, inferred) {
                    (true, true) => Severity::High,
                    (false, true) => Severity::Medium,
                    (true, false) => Severity::Low,
                    (false, false) => return None,
                };
                Some(BarrierFlag {
                    id: b.id.clone(),
                    self_reported,
                    inferred,
                    severity,
                })
            })
            .collect();
        barriers.sort_by_key(|b| b.severity); // stable: file order within a severity
        (level, barriers)
    };
    result.level = level;
    result.barriers = barriers;
    result
}
