//! The checked, ready-to-use questionnaire definition that scoring, roadmap and pages work from.
//! Built only by the loader, so every id referenced here is known to exist.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::domain::Text;
use crate::domain::expr::Expr;
use crate::domain::reference::Reference;

#[derive(Debug, Clone)]
pub struct Definition {
    pub id: String,
    pub version: String,
    /// SHA-256 of the file's bytes; stored with every response so an edited file is detectable.
    pub content_hash: String,
    /// The file as loaded (archived in the database with the first response to this version).
    pub source: Arc<str>,
    pub title: Text,
    pub intro: Text,
    pub estimated_minutes: u32,
    pub profile: Vec<ProfileField>,
    pub dimensions: Vec<Dimension>,
    pub sections: Vec<Section>,
    pub questions: Vec<Question>,
    pub consents: Vec<Consent>,
    /// Sorted by level, lowest first.
    pub levels: Vec<Level>,
    /// Sorted by `min_score`, lowest first.
    pub bands: Vec<Band>,
    pub barriers: Vec<Barrier>,
    pub rules: Vec<Rule>,
    /// Key practices, in file order (the dashboard's adoption figures).
    pub practices: Vec<Practice>,
    /// The question holding the firm's goals (rules' `goals` are its options).
    pub goals_question: Option<String>,
    /// At most this many Start Smart actions; the rest move to Start Small.
    pub start_smart_limit: Option<usize>,
    /// One e-mail summary slot per phase is kept for a barrier the owner named.
    pub summary_barrier_slot: bool,
    pub reference: Arc<Reference>,
    pub(crate) question_index: HashMap<String, usize>,
}

impl Definition {
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.question_index.get(id).map(|&i| &self.questions[i])
    }

    pub fn profile_field(&self, id: &str) -> Option<&ProfileField> {
        self.profile.iter().find(|f| f.id == id)
    }

    pub fn dimension(&self, id: &str) -> Option<&Dimension> {
        self.dimensions.iter().find(|d| d.id == id)
    }

    pub fn level(&self, level: u8) -> Option<&Level> {
        self.levels.iter().find(|l| l.level == level)
    }

    pub fn barrier(&self, id: &str) -> Option<&Barrier> {
        self.barriers.iter().find(|b| b.id == id)
    }

    pub fn section_questions<'a>(&'a self, section: &'a str) -> impl Iterator<Item = &'a Question> {
        self.questions.iter().filter(move |q| q.section == section)
    }

    pub fn practices(&self) -> &[Practice] {
        &self.practices
    }

    pub fn practice(&self, id: &str) -> Option<&Practice> {
        self.practices.iter().find(|p| p.id == id)
    }

    pub fn top_level(&self) -> u8 {
        self.levels.last().map_or(0, |l| l.level)
    }

    pub fn bottom_level(&self) -> u8 {
        self.levels.first().map_or(0, |l| l.level)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileKind {
    Text,
    Choice,
    Number,
    Boolean,
}

#[derive(Debug, Clone)]
pub struct ProfileField {
    pub id: String,
    pub kind: ProfileKind,
    pub label: Text,
    pub hint: Option<Text>,
    pub required: bool,
    /// Allowed values for choice fields (inline or from reference data).
    pub options: Vec<ChoiceOption>,
    /// Fixed bounds of a number field; None when there is none or it is relative to today.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Bounds relative to the day an answer is checked, as years added to that day's year
    /// (`max = "this_year"` is `Some(0)`), so a year field never goes out of date.
    pub min_from_this_year: Option<i32>,
    pub max_from_this_year: Option<i32>,
    pub max_length: usize,
    pub pii: bool,
    /// For a list nested in another field's value (a commune in its province): that field's id
    /// and, for each value of this one, the value of that field it belongs to.
    pub within: Option<(String, HashMap<String, String>)>,
}

impl ProfileField {
    /// The bounds of a number field on `today`, relative ones worked out.
    pub fn bounds_on(&self, today: NaiveDate) -> (Option<f64>, Option<f64>) {
        let year = |offset: i32| f64::from(today.year() + offset);
        (
            self.min_from_this_year.map(year).or(self.min),
            self.max_from_this_year.map(year).or(self.max),
        )
    }
}

#[derive(Debug, Clone)]
pub struct Dimension {
    pub id: String,
    pub weight: f64,
    pub title: Text,
    pub description: Option<Text>,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub id: String,
    pub title: Text,
    pub intro: Option<Text>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    SingleChoice,
    MultipleChoice,
    Scale,
    Number,
    Text,
}

impl QuestionKind {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "single_choice" => Self::SingleChoice,
            "multiple_choice" => Self::MultipleChoice,
            "scale" => Self::Scale,
            "number" => Self::Number,
            "text" => Self::Text,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SingleChoice => "single_choice",
            Self::MultipleChoice => "multiple_choice",
            Self::Scale => "scale",
            Self::Number => "number",
            Self::Text => "text",
        }
    }

    pub fn has_options(self) -> bool {
        matches!(self, Self::SingleChoice | Self::MultipleChoice)
    }
}

#[derive(Debug, Clone)]
pub struct Question {
    pub id: String,
    pub section: String,
    pub kind: QuestionKind,
    /// Scored questions belong to a dimension.
    pub dimension: Option<String>,
    pub required: bool,
    pub text: Text,
    pub hint: Option<Text>,
    pub relevant: Option<Expr>,
    /// Source text of the relevance condition, for the API and the page script.
    pub relevant_source: Option<String>,
    pub options: Vec<ChoiceOption>,
    /// The most points this question can give (None for unscored questions).
    pub max_points: Option<f64>,
    pub max_choices: Option<usize>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub min_label: Option<Text>,
    pub max_label: Option<Text>,
    pub unit: Option<Text>,
    pub max_length: usize,
    pub pii: bool,
    pub error: Option<Text>,
}

impl Question {
    pub fn is_scored(&self) -> bool {
        self.dimension.is_some()
    }

    pub fn option(&self, value: &str) -> Option<&ChoiceOption> {
        self.options.iter().find(|o| o.value == value)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceOption {
    pub value: String,
    pub label: Text,
    pub hint: Option<Text>,
    /// Points for scored questions; None for unscored questions and "not applicable" options.
    pub points: Option<f64>,
    pub not_applicable: bool,
    pub exclusive: bool,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ConsentPurpose {
    /// Process the answers to produce the report (required to submit).
    Processing,
    /// E-mail the report and roadmap.
    EmailReport,
    /// Share results and contact with support agencies so they may follow up.
    Followup,
    /// Let city staff see the firm's name next to its results.
    NamedToStaff,
    /// Remind the owner to re-assess in 6–12 months.
    ReassessReminder,
}

impl ConsentPurpose {
    pub const ALL: [ConsentPurpose; 5] = [
        Self::Processing,
        Self::EmailReport,
        Self::Followup,
        Self::NamedToStaff,
        Self::ReassessReminder,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::EmailReport => "email_report",
            Self::Followup => "followup",
            Self::NamedToStaff => "named_to_staff",
            Self::ReassessReminder => "reassess_reminder",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Consent {
    pub id: String,
    pub purpose: ConsentPurpose,
    pub required: bool,
    pub text: Text,
    pub hint: Option<Text>,
}

#[derive(Debug, Clone)]
pub struct Level {
    pub level: u8,
    pub min_score: f64,
    pub name: Text,
    pub meaning: Text,
    pub gate: Option<Expr>,
    pub gate_explained: Option<Text>,
}

#[derive(Debug, Clone)]
pub struct Band {
    pub id: String,
    pub min_score: f64,
    pub name: Text,
}

#[derive(Debug, Clone)]
pub struct Barrier {
    pub id: String,
    pub title: Text,
    pub description: Text,
    pub self_reported: Expr,
    pub inferred: Expr,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// 0–3 months: awareness, compliance, security basics, priorities.
    StartSmart,
    /// 3–12 months: pilot one or two tools on the top problem.
    StartSmall,
    /// 12–24 months: integrate, extend, automate.
    Scale,
}

impl Phase {
    pub const ALL: [Phase; 3] = [Phase::StartSmart, Phase::StartSmall, Phase::Scale];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::StartSmart => "start_smart",
            Phase::StartSmall => "start_small",
            Phase::Scale => "scale",
        }
    }

    pub fn title(self) -> Text {
        match self {
            Phase::StartSmart => Text::new(
                "Khởi đầu thông minh (0–3 tháng)",
                "Start smart (0–3 months)",
            ),
            Phase::StartSmall => Text::new(
                "Bắt đầu từ việc nhỏ (3–12 tháng)",
                "Start small (3–12 months)",
            ),
            Phase::Scale => Text::new("Mở rộng (12–24 tháng)", "Scale (12–24 months)"),
        }
    }
}

/// Order of roadmap items inside a phase: compliance first, growth last.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Compliance,
    Security,
    Barrier,
    Growth,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Self::Compliance,
        Self::Security,
        Self::Barrier,
        Self::Growth,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compliance => "compliance",
            Self::Security => "security",
            Self::Barrier => "barrier",
            Self::Growth => "growth",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub phase: Phase,
    pub category: Category,
    pub when: Expr,
    pub title: Text,
    pub why: Text,
    pub steps: Vec<Text>,
    pub support_topics: Vec<String>,
    /// Goals (options of the definition's goals question) this action serves.
    pub goals: Vec<String>,
    pub agency_flag: Option<String>,
    pub agency_flag_when: Option<Expr>,
}

/// A key practice (e-invoice, backup, …) as the questionnaire file defines it, so a new version
/// keeps the adoption figures without code naming question ids.
#[derive(Debug, Clone)]
pub struct Practice {
    pub id: String,
    pub title: Text,
    /// True when the answers show the practice in use.
    pub adopted: Expr,
    /// The firms the practice is measured among (None: every firm).
    pub among: Option<Expr>,
}
