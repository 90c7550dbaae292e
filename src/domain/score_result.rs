//! What scoring produces: dimension scores, the level and barrier flags. Kept apart from the
//! scoring itself so that `facts` (which reads a result) and `scoring` (which builds one from
//! facts) do not import each other.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DimensionScore {
    pub id: String,
    /// 0–100, or None when no question of the dimension counted.
    pub score: Option<f64>,
    pub points: f64,
    pub max_points: f64,
    /// How many questions counted.
    pub counted: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Named by the owner and shown by the answers.
    High,
    /// Shown by the answers only.
    Medium,
    /// Named by the owner only.
    Low,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BarrierFlag {
    pub id: String,
    pub self_reported: bool,
    pub inferred: bool,
    pub severity: Severity,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreResult {
    pub questionnaire_id: String,
    pub questionnaire_version: String,
    /// 0–100, full precision (display rounds).
    pub overall: f64,
    pub level: u8,
    /// Comparison band (e.g. EU DMA), if the questionnaire defines bands.
    pub band: Option<String>,
    pub dimensions: Vec<DimensionScore>,
    /// Barriers that apply, most severe first.
    pub barriers: Vec<BarrierFlag>,
}

impl ScoreResult {
    pub fn dimension(&self, id: &str) -> Option<&DimensionScore> {
        self.dimensions.iter().find(|d| d.id == id)
    }
}
