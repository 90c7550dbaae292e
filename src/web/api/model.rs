//! The JSON shapes of the API (contract.md), built from the domain types. Kept separate from the
//! domain so the engine stays free of web concerns.

use std::collections::BTreeMap;

use crate::db::responses::PreviousResult;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::Text;
use crate::domain::questionnaire::{Definition, ProfileKind};
use crate::domain::roadmap::{Roadmap, RoadmapItem};
use crate::domain::scoring::ScoreResult;

/// Text in Vietnamese and English.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct I18n {
    pub vi: String,
    pub en: String,
}

impl From<&Text> for I18n {
    fn from(t: &Text) -> Self {
        I18n {
            vi: t.vi.clone(),
            en: t.en.clone(),
        }
    }
}

fn opt(t: &Option<Text>) -> Option<I18n> {
    t.as_ref().map(I18n::from)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionnaireSummary {
    pub id: String,
    pub version: String,
    pub title: I18n,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OptionJson {
    pub value: String,
    pub label: I18n,
    /// Present on scored questions only: a number, or null for the not-applicable option.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub points: Option<Value>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub not_applicable: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exclusive: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionJson {
    pub id: String,
    /// single_choice | multiple_choice | scale | number | text
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    pub scored: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    pub text: I18n,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<I18n>,
    /// Relevance condition in dxready's expression language; the question is asked only when true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_points: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_choices: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<OptionJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SectionJson {
    pub id: String,
    pub title: I18n,
    pub questions: Vec<QuestionJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileFieldJson {
    pub id: String,
    /// text | choice | number | boolean
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    pub label: I18n,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<OptionJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentJson {
    pub id: String,
    pub purpose: String,
    pub required: bool,
    pub text: I18n,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DimensionJson {
    pub id: String,
    pub weight: f64,
    pub title: I18n,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LevelJson {
    pub level: u8,
    pub min_score: f64,
    pub name: I18n,
    pub meaning: I18n,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DefinitionJson {
    pub id: String,
    pub version: String,
    pub title: I18n,
    pub intro: I18n,
    pub estimated_minutes: u32,
    /// The business profile the submission's `business` object must give.
    pub profile: Vec<ProfileFieldJson>,
    pub dimensions: Vec<DimensionJson>,
    pub levels: Vec<LevelJson>,
    pub sections: Vec<SectionJson>,
    pub consents: Vec<ConsentJson>,
}

impl DefinitionJson {
    /// `today`: year bounds such as "this year" are given as the year they are today.
    pub fn from_definition(def: &Definition, today: chrono::NaiveDate) -> Self {
        let sections = def
            .sections
            .iter()
            .map(|s| SectionJson {
                id: s.id.clone(),
                title: (&s.title).into(),
                questions: def
                    .section_questions(&s.id)
                    .map(|q| QuestionJson {
                        id: q.id.clone(),
                        kind: q.kind.as_str().into(),
                        required: q.required,
                        scored: q.is_scored(),
                        dimension: q.dimension.clone(),
                        text: (&q.text).into(),
                        hint: opt(&q.hint),
                        relevant: q.relevant_source.clone(),
                        max_points: q.max_points,
                        max_choices: q.max_choices,
                        min: q.min,
                        max: q.max,
                        options: q
                            .options
                            .iter()
                            .map(|o| OptionJson {
                                value: o.value.clone(),
                                label: (&o.label).into(),
                                points: q
                                    .is_scored()
                                    .then(|| o.points.map_or(Value::Null, Value::from)),
                                not_applicable: o.not_applicable,
                                exclusive: o.exclusive,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        DefinitionJson {
            id: def.id.clone(),
            version: def.version.clone(),
            title: (&def.title).into(),
            intro: (&def.intro).into(),
            estimated_minutes: def.estimated_minutes,
            profile: def
                .profile
                .iter()
                .map(|f| ProfileFieldJson {
                    id: f.id.clone(),
                    kind: match f.kind {
                        ProfileKind::Text => "text",
                        ProfileKind::Choice => "choice",
                        ProfileKind::Number => "number",
                        ProfileKind::Boolean => "boolean",
                    }
                    .into(),
                    required: f.required,
                    label: (&f.label).into(),
                    options: f
                        .options
                        .iter()
                        .map(|o| OptionJson {
                            value: o.value.clone(),
                            label: (&o.label).into(),
                            points: None,
                            not_applicable: false,
                            exclusive: false,
                        })
                        .collect(),
                    min: f.bounds_on(today).0,
                    max: f.bounds_on(today).1,
                })
                .collect(),
            dimensions: def
                .dimensions
                .iter()
                .map(|d| DimensionJson {
                    id: d.id.clone(),
                    weight: d.weight,
                    title: (&d.title).into(),
                })
                .collect(),
            levels: def
                .levels
                .iter()
                .map(|l| LevelJson {
                    level: l.level,
                    min_score: l.min_score,
                    name: (&l.name).into(),
                    meaning: (&l.meaning).into(),
                })
                .collect(),
            sections,
            consents: def
                .consents
                .iter()
                .map(|c| ConsentJson {
                    id: c.id.clone(),
                    purpose: c.purpose.as_str().into(),
                    required: c.required,
                    text: (&c.text).into(),
                })
                .collect(),
        }
    }
}

/// The submission body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseRequest {
    /// `vi` (default) or `en`: the language of the e-mail and result.
    #[serde(default)]
    pub lang: Option<String>,
    /// Profile values keyed by the definition's profile field ids.
    #[schema(value_type = Object)]
    pub business: BTreeMap<String, Value>,
    #[serde(default)]
    pub contact: Option<ContactRequest>,
    /// Answers keyed by question id: an option value, a list of option values, or a number.
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, Value>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// E-mail me my report and roadmap.
    #[serde(default)]
    pub consent_email: bool,
    /// Support agencies may contact me.
    #[serde(default)]
    pub consent_followup: bool,
    /// City staff may see my firm's name with my results.
    #[serde(default)]
    pub consent_named: bool,
    /// Remind me to re-assess in 6–12 months.
    #[serde(default)]
    pub consent_reminder: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionnaireRef {
    pub id: String,
    pub version: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DimensionResultJson {
    pub id: String,
    pub title: I18n,
    /// 0–100, one decimal; null when no question of the dimension applied.
    pub score: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BarrierJson {
    pub id: String,
    pub title: I18n,
    /// high (named and shown by answers) | medium (shown by answers) | low (named only)
    pub severity: String,
    pub self_reported: bool,
    pub inferred: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceJson {
    pub label: I18n,
    pub value: I18n,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupportJson {
    pub id: String,
    pub title: I18n,
    pub description: I18n,
    pub provider: I18n,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoadmapItemJson {
    pub id: String,
    /// start_smart | start_small | scale
    pub phase: String,
    /// compliance | security | barrier | growth
    pub category: String,
    pub title: I18n,
    pub why: I18n,
    pub evidence: Vec<EvidenceJson>,
    pub steps: Vec<I18n>,
    pub support: Vec<SupportJson>,
    /// One of the first three items of its phase (shown in the e-mail).
    pub summary: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResultJson {
    pub token: String,
    pub result_url: String,
    pub questionnaire: QuestionnaireRef,
    pub overall: f64,
    pub level: u8,
    pub level_name: I18n,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub band: Option<String>,
    pub dimensions: Vec<DimensionResultJson>,
    pub barriers: Vec<BarrierJson>,
    pub roadmap: Vec<RoadmapItemJson>,
    pub agency_flags: Vec<String>,
    /// The earlier assessment this one re-takes (contract: re-assessment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousJson>,
}

/// `"previous": {"overall", "level", "dimensions": [{"id", "score"}]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviousJson {
    pub overall: f64,
    pub level: u8,
    pub dimensions: Vec<PreviousDimensionJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviousDimensionJson {
    pub id: String,
    pub score: Option<f64>,
}

impl From<&PreviousResult> for PreviousJson {
    fn from(p: &PreviousResult) -> Self {
        PreviousJson {
            overall: one_decimal(p.score.overall),
            level: p.score.level,
            dimensions: p
                .score
                .dimensions
                .iter()
                .map(|d| PreviousDimensionJson {
                    id: d.id.clone(),
                    score: d.score.map(one_decimal),
                })
                .collect(),
        }
    }
}

fn one_decimal(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn item_json(def: &Definition, i: &RoadmapItem) -> RoadmapItemJson {
    RoadmapItemJson {
        id: i.id.clone(),
        phase: i.phase.as_str().into(),
        category: i.category.as_str().into(),
        title: (&i.title).into(),
        why: (&i.why).into(),
        evidence: i
            .evidence
            .iter()
            .map(|e| {
                let e = e.describe(def);
                EvidenceJson {
                    label: (&e.label).into(),
                    value: (&e.value).into(),
                }
            })
            .collect(),
        steps: i.steps.iter().map(I18n::from).collect(),
        support: i
            .support
            .iter()
            .map(|s| SupportJson {
                id: s.id.clone(),
                title: (&s.title).into(),
                description: (&s.description).into(),
                provider: (&s.provider).into(),
                url: s.url.clone(),
                valid_to: s.valid_to.map(|d| d.to_string()),
            })
            .collect(),
        summary: i.summary,
    }
}

impl ResultJson {
    pub fn build(
        def: &Definition,
        token: &str,
        base_url: &str,
        result: &ScoreResult,
        roadmap: &Roadmap,
        previous: Option<&PreviousResult>,
    ) -> Self {
        let level = def.level(result.level);
        ResultJson {
            token: token.to_string(),
            result_url: format!("{base_url}/r/{token}"),
            questionnaire: QuestionnaireRef {
                id: result.questionnaire_id.clone(),
                version: result.questionnaire_version.clone(),
            },
            overall: one_decimal(result.overall),
            level: result.level,
            level_name: level.map(|l| (&l.name).into()).unwrap_or(I18n {
                vi: String::new(),
                en: String::new(),
            }),
            band: result.band.clone(),
            dimensions: result
                .dimensions
                .iter()
                .map(|d| DimensionResultJson {
                    id: d.id.clone(),
                    title: def
                        .dimension(&d.id)
                        .map(|x| (&x.title).into())
                        .unwrap_or(I18n {
                            vi: d.id.clone(),
                            en: d.id.clone(),
                        }),
                    score: d.score.map(one_decimal),
                })
                .collect(),
            barriers: result
                .barriers
                .iter()
                .map(|b| BarrierJson {
                    id: b.id.clone(),
                    title: def
                        .barrier(&b.id)
                        .map(|x| (&x.title).into())
                        .unwrap_or(I18n {
                            vi: b.id.clone(),
                            en: b.id.clone(),
                        }),
                    severity: serde_json::to_value(b.severity)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    self_reported: b.self_reported,
                    inferred: b.inferred,
                })
                .collect(),
            roadmap: roadmap.items.iter().map(|i| item_json(def, i)).collect(),
            agency_flags: roadmap.agency_flags.clone(),
            previous: previous.map(PreviousJson::from),
        }
    }
}

/// Error body: `{"error": "...", "fields": {"answers.q19": "..."}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorJson {
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub fields: Option<BTreeMap<String, String>>,
}
