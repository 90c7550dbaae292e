//! The questionnaire file format as written by people (TOML, `format = "dxready/1"`).
//!
//! These structs mirror the file one to one and reject unknown keys, so a typo such as
//! `[[questoin]]` or `whne = …` is a load error instead of a silently dropped question or rule.
//! Ids and expressions are `Spanned` so every later check can point at `file:line:col`.
//! The loader (`load.rs`) turns this into the checked [`super::Definition`].

use serde::Deserialize;
use toml::Spanned;

use crate::domain::Text;

pub const FORMAT: &str = "dxready/1";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDoc {
    pub format: Spanned<String>,
    pub id: Spanned<String>,
    pub version: Spanned<String>,
    pub title: Text,
    pub intro: Text,
    #[serde(default)]
    pub estimated_minutes: Option<u32>,
    /// Ids used by earlier versions that may never be reused for something else.
    #[serde(default)]
    pub retired_ids: Vec<Spanned<String>>,
    #[serde(default, rename = "profile")]
    pub profile: Vec<ProfileFieldDoc>,
    #[serde(default, rename = "dimension")]
    pub dimensions: Vec<DimensionDoc>,
    #[serde(default, rename = "section")]
    pub sections: Vec<SectionDoc>,
    #[serde(default, rename = "question")]
    pub questions: Vec<QuestionDoc>,
    #[serde(default, rename = "option_set")]
    pub option_sets: Vec<OptionSetDoc>,
    #[serde(default, rename = "consent")]
    pub consents: Vec<ConsentDoc>,
    #[serde(default, rename = "level")]
    pub levels: Vec<LevelDoc>,
    #[serde(default, rename = "band")]
    pub bands: Vec<BandDoc>,
    #[serde(default, rename = "barrier")]
    pub barriers: Vec<BarrierDoc>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleDoc>,
}

/// A profile field: who the business is. Values come from inline options or a reference list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFieldDoc {
    pub id: Spanned<String>,
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    pub label: Text,
    #[serde(default)]
    pub hint: Option<Text>,
    #[serde(default)]
    pub required: bool,
    /// `provinces`, `former_provinces` or `sectors`: take the allowed values from reference data.
    #[serde(default)]
    pub values_from: Option<Spanned<String>>,
    #[serde(default, rename = "option")]
    pub options: Vec<OptionDoc>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub max_length: Option<usize>,
    /// Personal or identifying data: never shown in aggregates or exports.
    #[serde(default)]
    pub pii: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionDoc {
    pub id: Spanned<String>,
    pub weight: Spanned<f64>,
    pub title: Text,
    #[serde(default)]
    pub description: Option<Text>,
}

/// A page of the questionnaire.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionDoc {
    pub id: Spanned<String>,
    pub title: Text,
    #[serde(default)]
    pub intro: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionDoc {
    pub id: Spanned<String>,
    pub section: Spanned<String>,
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    /// Scored questions name their dimension; questions without one are unscored.
    #[serde(default)]
    pub dimension: Option<Spanned<String>>,
    #[serde(default)]
    pub required: bool,
    pub text: Text,
    #[serde(default)]
    pub hint: Option<Text>,
    /// Relevance condition in the expression language; when false the question is hidden,
    /// its answer ignored and it leaves the denominator.
    #[serde(default)]
    pub relevant: Option<Spanned<String>>,
    #[serde(default)]
    pub option_set: Option<Spanned<String>>,
    #[serde(default, rename = "option")]
    pub options: Vec<OptionDoc>,
    /// Multiple choice: cap on the sum of chosen points. Scale: points of the top value.
    #[serde(default)]
    pub max_points: Option<Spanned<f64>>,
    /// Multiple choice: at most this many options may be picked.
    #[serde(default)]
    pub max_choices: Option<usize>,
    #[serde(default)]
    pub min: Option<Spanned<f64>>,
    #[serde(default)]
    pub max: Option<Spanned<f64>>,
    #[serde(default)]
    pub min_label: Option<Text>,
    #[serde(default)]
    pub max_label: Option<Text>,
    #[serde(default)]
    pub unit: Option<Text>,
    #[serde(default)]
    pub max_length: Option<usize>,
    #[serde(default)]
    pub pii: bool,
    /// Error shown when a required question is left empty ("Chọn một phương án …").
    #[serde(default)]
    pub error: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionDoc {
    pub value: Spanned<String>,
    pub label: Text,
    #[serde(default)]
    pub hint: Option<Text>,
    #[serde(default)]
    pub points: Option<Spanned<f64>>,
    /// "Not applicable": answered, but leaves the denominator.
    #[serde(default)]
    pub not_applicable: bool,
    /// Multiple choice: cannot be combined with other options ("none of these").
    #[serde(default)]
    pub exclusive: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionSetDoc {
    pub id: Spanned<String>,
    #[serde(rename = "option")]
    pub options: Vec<OptionDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentDoc {
    pub id: Spanned<String>,
    /// `processing`, `email_report`, `followup`, `named_to_staff` or `reassess_reminder`.
    pub purpose: Spanned<String>,
    #[serde(default)]
    pub required: bool,
    pub text: Text,
    #[serde(default)]
    pub hint: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelDoc {
    pub level: Spanned<u8>,
    pub min_score: Spanned<f64>,
    pub name: Text,
    pub meaning: Text,
    /// Extra condition (expression) that must hold; when it fails the firm drops a level.
    #[serde(default)]
    pub gate: Option<Spanned<String>>,
    #[serde(default)]
    pub gate_explained: Option<Text>,
}

/// A comparison band (e.g. the EU DMA bands) reported beside the level.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandDoc {
    pub id: Spanned<String>,
    pub min_score: Spanned<f64>,
    pub name: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BarrierDoc {
    pub id: Spanned<String>,
    pub title: Text,
    pub description: Text,
    /// Expression true when the owner named this barrier themselves.
    pub self_reported: Spanned<String>,
    /// Expression true when the answers show the barrier.
    pub inferred: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    pub id: Spanned<String>,
    /// `start_smart`, `start_small` or `scale`.
    pub phase: Spanned<String>,
    /// `compliance`, `security`, `barrier` or `growth`: the order inside a phase.
    pub category: Spanned<String>,
    pub when: Spanned<String>,
    pub title: Text,
    pub why: Text,
    #[serde(default, rename = "step")]
    pub steps: Vec<Text>,
    /// Topics matched against support programmes' topics.
    #[serde(default)]
    pub support_topics: Vec<Spanned<String>>,
    /// Flag raised for support agencies when the rule fires.
    #[serde(default)]
    pub agency_flag: Option<Spanned<String>>,
    /// Optional narrower condition for the agency flag (defaults to the rule's condition).
    #[serde(default)]
    pub agency_flag_when: Option<Spanned<String>>,
}
