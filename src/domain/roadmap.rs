//! The roadmap: which rules fire for this firm, why, in what order, and what support it can claim.
//!
//! Items are grouped by phase (Start smart → Start small → Scale) and ordered inside a phase by
//! category (compliance → security → barrier → growth), then by file order. The first three of
//! each phase are marked for the e-mail summary.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::Text;
use crate::domain::answers::{Answer, ProfileValue, Submission};
use crate::domain::expr::Mention;
use crate::domain::facts::{Derived, Facts};
use crate::domain::questionnaire::{Category, Definition, Phase};
use crate::domain::scoring::ScoreResult;

/// How many items per phase the e-mail summary shows.
pub const SUMMARY_ITEMS_PER_PHASE: usize = 3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// What was looked at (a question, a barrier, a dimension).
    pub label: Text,
    /// What this firm's answer or result was.
    pub value: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupportItem {
    pub id: String,
    pub title: Text,
    pub description: Text,
    pub provider: Text,
    pub url: Option<String>,
    pub valid_to: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoadmapItem {
    pub id: String,
    pub phase: Phase,
    pub category: Category,
    pub title: Text,
    pub why: Text,
    /// The answers and flags that made the rule fire.
    pub evidence: Vec<Evidence>,
    pub steps: Vec<Text>,
    pub support: Vec<SupportItem>,
    /// One of the first three of its phase: shown in the e-mail summary.
    pub summary: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Roadmap {
    pub items: Vec<RoadmapItem>,
    /// Flags for support agencies (`compliance_risk`, `security_risk`, …), in rule order.
    pub agency_flags: Vec<String>,
}

impl Roadmap {
    pub fn phase(&self, phase: Phase) -> impl Iterator<Item = &RoadmapItem> {
        self.items.iter().filter(move |i| i.phase == phase)
    }
}

/// A roadmap as stored with a result: what was chosen for this firm, without the texts its
/// questionnaire version already holds. Each rule's title, reason and steps come back from that
/// (immutable) version; the firm's evidence and each support programme as offered on the day are
/// kept, a programme once however many items name it. About a quarter of the full roadmap's
/// size, which is most of what a submission writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRoadmap {
    pub items: Vec<StoredItem>,
    pub programmes: Vec<SupportItem>,
    pub agency_flags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredItem {
    /// The rule's id in the questionnaire version the result was computed with.
    pub rule: String,
    pub evidence: Vec<Evidence>,
    /// Ids into [`StoredRoadmap::programmes`].
    pub support: Vec<String>,
    pub summary: bool,
}

impl Roadmap {
    pub fn to_stored(&self) -> StoredRoadmap {
        let mut programmes: Vec<SupportItem> = Vec::new();
        let items = self
            .items
            .iter()
            .map(|item| {
                for p in &item.support {
                    if !programmes.iter().any(|known| known.id == p.id) {
                        programmes.push(p.clone());
                    }
                }
                StoredItem {
                    rule: item.id.clone(),
                    evidence: item.evidence.clone(),
                    support: item.support.iter().map(|p| p.id.clone()).collect(),
                    summary: item.summary,
                }
            })
            .collect();
        StoredRoadmap {
            items,
            programmes,
            agency_flags: self.agency_flags.clone(),
        }
    }
}

impl StoredRoadmap {
    /// The full roadmap again, with the rules' texts from `def` (the version it was made with).
    /// Fails on a rule or programme the stored roadmap does not explain.
    pub fn restore(self, def: &Definition) -> Result<Roadmap, String> {
        let StoredRoadmap {
            items,
            programmes,
            agency_flags,
        } = self;
        let items = items
            .into_iter()
            .map(|stored| {
                let rule = def
                    .rules
                    .iter()
                    .find(|r| r.id == stored.rule)
                    .ok_or_else(|| {
                        format!(
                            "rule `{}` is not in {} {}",
                            stored.rule, def.id, def.version
                        )
                    })?;
                let support = stored
                    .support
                    .iter()
                    .map(|id| {
                        programmes
                            .iter()
                            .find(|p| &p.id == id)
                            .cloned()
                            .ok_or_else(|| format!("programme `{id}` is not stored"))
                    })
                    .collect::<Result<_, _>>()?;
                Ok(RoadmapItem {
                    id: stored.rule,
                    phase: rule.phase,
                    category: rule.category,
                    title: rule.title.clone(),
                    why: rule.why.clone(),
                    evidence: stored.evidence,
                    steps: rule.steps.clone(),
                    support,
                    summary: stored.summary,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Roadmap {
            items,
            agency_flags,
        })
    }
}

/// Chooses the roadmap for a scored submission. `today` decides which support programmes are
/// open; passing it in keeps the function deterministic.
pub fn roadmap(
    def: &Definition,
    sub: &Submission,
    result: &ScoreResult,
    today: NaiveDate,
) -> Roadmap {
    let derived = Derived::compute(def, sub, today);
    let facts = Facts::new(def, sub)
        .with_scores(result)
        .with_derived(&derived);

    let province = sub.profile_str("province");
    let founded = sub
        .profile
        .get("founded_year")
        .and_then(ProfileValue::as_f64)
        .map(|y| y as i32);
    let programmes: Vec<_> = def
        .reference
        .programmes
        .iter()
        .filter(|p| p.applies(province, derived.size_class.as_deref(), founded, today))
        .collect();

    let mut items = Vec::new();
    let mut agency_flags = Vec::new();
    for (order, rule) in def.rules.iter().enumerate() {
        if !rule.when.holds(&facts) {
            continue;
        }
        if let Some(flag) = &rule.agency_flag {
            let raised = rule
                .agency_flag_when
                .as_ref()
                .is_none_or(|w| w.holds(&facts));
            if raised && !agency_flags.contains(flag) {
                agency_flags.push(flag.clone());
            }
        }
        let support = programmes
            .iter()
            .filter(|p| p.topics.iter().any(|t| rule.support_topics.contains(t)))
            .map(|p| SupportItem {
                id: p.id.clone(),
                title: p.title.clone(),
                description: p.description.clone(),
                provider: p.provider.clone(),
                url: p.url.clone(),
                valid_to: p.valid_to,
            })
            .collect();
        let evidence = rule
            .when
            .mentions()
            .into_iter()
            .filter_map(|m| evidence(def, &facts, result, &m))
            .collect();
        items.push((
            order,
            RoadmapItem {
                id: rule.id.clone(),
                phase: rule.phase,
                category: rule.category,
                title: rule.title.clone(),
                why: rule.why.clone(),
                evidence,
                steps: rule.steps.clone(),
                support,
                summary: false,
            },
        ));
    }
    items.sort_by_key(|(order, item)| (item.phase, item.category, *order));
    let mut items: Vec<RoadmapItem> = items.into_iter().map(|(_, i)| i).collect();
    for phase in Phase::ALL {
        for item in items
            .iter_mut()
            .filter(|i| i.phase == phase)
            .take(SUMMARY_ITEMS_PER_PHASE)
        {
            item.summary = true;
        }
    }
    Roadmap {
        items,
        agency_flags,
    }
}

fn evidence(
    def: &Definition,
    facts: &Facts,
    result: &ScoreResult,
    mention: &Mention,
) -> Option<Evidence> {
    match mention {
        Mention::Answer(id) => {
            if let Some(q) = def.question(id) {
                let value = match facts.answer(id)? {
                    Answer::One(v) => q
                        .option(v)
                        .map_or_else(|| Text::new(v, v), |o| o.label.clone()),
                    Answer::Many(vs) => {
                        let labels: Vec<_> = vs
                            .iter()
                            .filter_map(|v| q.option(v))
                            .map(|o| &o.label)
                            .collect();
                        if labels.is_empty() {
                            Text::new("(chưa chọn)", "(none chosen)")
                        } else {
                            Text::new(
                                labels
                                    .iter()
                                    .map(|l| l.vi.as_str())
                                    .collect::<Vec<_>>()
                                    .join("; "),
                                labels
                                    .iter()
                                    .map(|l| l.en.as_str())
                                    .collect::<Vec<_>>()
                                    .join("; "),
                            )
                        }
                    }
                    Answer::Number(n) => Text::new(n.to_string(), n.to_string()),
                };
                return Some(Evidence {
                    label: q.text.clone(),
                    value,
                });
            }
            if id == "new_business" {
                let new = facts.derived.is_some_and(|d| d.new_business);
                return Some(Evidence {
                    label: Text::new("Doanh nghiệp mới thành lập", "Newly founded business"),
                    value: if new {
                        Text::new("Có", "Yes")
                    } else {
                        Text::new("Không", "No")
                    },
                });
            }
            let field = def.profile_field(id)?;
            let value = match facts.sub.profile.get(id)? {
                ProfileValue::Text(v) => field
                    .options
                    .iter()
                    .find(|o| &o.value == v)
                    .map_or_else(|| Text::new(v, v), |o| o.label.clone()),
                ProfileValue::Number(n) => Text::new(n.to_string(), n.to_string()),
                ProfileValue::Bool(true) => Text::new("Có", "Yes"),
                ProfileValue::Bool(false) => Text::new("Không", "No"),
            };
            Some(Evidence {
                label: field.label.clone(),
                value,
            })
        }
        Mention::Barrier(id) => {
            let barrier = def.barrier(id)?;
            let flag = result.barriers.iter().find(|b| &b.id == id)?;
            let value = match (flag.self_reported, flag.inferred) {
                (true, true) => Text::new(
                    "Bạn nêu ra và câu trả lời cũng cho thấy",
                    "You named it and your answers show it",
                ),
                (true, false) => Text::new("Bạn nêu ra", "You named it"),
                _ => Text::new("Câu trả lời cho thấy", "Your answers show it"),
            };
            Some(Evidence {
                label: barrier.title.clone(),
                value,
            })
        }
        Mention::Dimension(id) => {
            let dim = def.dimension(id)?;
            let score = result.dimension(id)?.score?;
            Some(Evidence {
                label: dim.title.clone(),
                value: Text::new(
                    format!("{score:.0}/100 điểm"),
                    format!("{score:.0}/100 points"),
                ),
            })
        }
        Mention::Level => {
            let level = def.level(result.level)?;
            Some(Evidence {
                label: Text::new("Mức sẵn sàng", "Readiness level"),
                value: Text::new(
                    format!("Mức {} – {}", level.level, level.name.vi),
                    format!("Level {} – {}", level.level, level.name.en),
                ),
            })
        }
        Mention::Overall => Some(Evidence {
            label: Text::new("Điểm tổng", "Overall score"),
            value: Text::new(
                format!("{:.0}/100", result.overall),
                format!("{:.0}/100", result.overall),
            ),
        }),
    }
}
