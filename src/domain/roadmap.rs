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
use crate::domain::reference::Claimant;
use crate::domain::score_result::ScoreResult;

/// How many items per phase the e-mail summary shows.
pub const SUMMARY_ITEMS_PER_PHASE: usize = 3;

/// Something a rule looked at, with this firm's value in it. Kept as a reference into the
/// questionnaire version (archived, never changed) rather than as its words: a stored result
/// holds a few bytes per entry instead of a question and an answer in two languages, which was
/// most of what a submission wrote. [`Evidence::describe`] puts it into words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// A question and this firm's answer.
    Answer(String, Answer),
    /// A profile field and its value.
    Profile(String, ProfileValue),
    /// Whether the firm counted as newly founded on the day it answered.
    NewBusiness(bool),
    Barrier {
        id: String,
        self_reported: bool,
        inferred: bool,
    },
    /// A dimension and its score.
    Dimension(String, f64),
    Level(u8),
    Overall(f64),
    /// Evidence already in words: results stored before evidence was kept by reference.
    Described(Described),
}

/// Evidence in words: what was looked at and what this firm's answer or result was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Described {
    pub label: Text,
    pub value: Text,
}

impl Evidence {
    /// The evidence in words, from the questionnaire version the result was made with.
    pub fn describe(&self, def: &Definition) -> Described {
        let said = |label: Text, value: Text| Described { label, value };
        let yes_no = |yes: bool| {
            if yes {
                Text::new("Có", "Yes")
            } else {
                Text::new("Không", "No")
            }
        };
        match self {
            Evidence::Answer(id, answer) => {
                let Some(q) = def.question(id) else {
                    return said(Text::new(id, id), answer_words(answer, |_| None));
                };
                said(
                    q.text.clone(),
                    answer_words(answer, |v| q.option(v).map(|o| &o.label)),
                )
            }
            Evidence::Profile(id, value) => {
                let field = def.profile_field(id);
                let label = field.map_or_else(|| Text::new(id, id), |f| f.label.clone());
                let value = match value {
                    ProfileValue::Text(v) => field
                        .and_then(|f| f.options.iter().find(|o| &o.value == v))
                        .map_or_else(|| Text::new(v, v), |o| o.label.clone()),
                    ProfileValue::Number(n) => Text::new(n.to_string(), n.to_string()),
                    ProfileValue::Bool(b) => yes_no(*b),
                };
                said(label, value)
            }
            Evidence::NewBusiness(new) => said(
                Text::new("Doanh nghiệp mới thành lập", "Newly founded business"),
                yes_no(*new),
            ),
            Evidence::Barrier {
                id,
                self_reported,
                inferred,
            } => said(
                def.barrier(id)
                    .map_or_else(|| Text::new(id, id), |b| b.title.clone()),
                match (self_reported, inferred) {
                    (true, true) => Text::new(
                        "Anh/Chị nêu ra và câu trả lời cũng cho thấy",
                        "You named it and your answers show it",
                    ),
                    (true, false) => Text::new("Anh/Chị nêu ra", "You named it"),
                    _ => Text::new("Câu trả lời cho thấy", "Your answers show it"),
                },
            ),
            Evidence::Dimension(id, score) => said(
                def.dimension(id)
                    .map_or_else(|| Text::new(id, id), |d| d.title.clone()),
                Text::new(
                    format!("{score:.0}/100 điểm"),
                    format!("{score:.0}/100 points"),
                ),
            ),
            Evidence::Level(level) => {
                let name = def.level(*level).map(|l| &l.name);
                said(
                    Text::new("Mức sẵn sàng", "Readiness level"),
                    Text::new(
                        format!("Mức {level} – {}", name.map_or("", |n| n.vi.as_str())),
                        format!("Level {level} – {}", name.map_or("", |n| n.en.as_str())),
                    ),
                )
            }
            Evidence::Overall(score) => said(
                Text::new("Điểm tổng", "Overall score"),
                Text::new(format!("{score:.0}/100"), format!("{score:.0}/100")),
            ),
            Evidence::Described(words) => words.clone(),
        }
    }
}

/// An answer in words: the chosen options' labels, or the value itself.
fn answer_words<'a>(answer: &'a Answer, label: impl Fn(&str) -> Option<&'a Text>) -> Text {
    match answer {
        Answer::One(v) => label(v).cloned().unwrap_or_else(|| Text::new(v, v)),
        Answer::Many(vs) => {
            let labels: Vec<&Text> = vs.iter().filter_map(|v| label(v)).collect();
            if labels.is_empty() {
                return Text::new("(chưa chọn)", "(none chosen)");
            }
            let join = |lang: fn(&Text) -> &str| {
                labels
                    .iter()
                    .map(|l| lang(l))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            Text::new(join(|t| &t.vi), join(|t| &t.en))
        }
        Answer::Number(n) => Text::new(n.to_string(), n.to_string()),
    }
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
    /// Moved out of its rule's phase by the Start Smart limit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub moved: bool,
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
    /// Empty in a result row since the database keeps offers apart (`db::offers`).
    #[serde(default)]
    pub programmes: Vec<SupportItem>,
    pub agency_flags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredItem {
    /// The rule's id in the questionnaire version the result was computed with.
    pub rule: String,
    #[serde(deserialize_with = "evidence_or_words")]
    pub evidence: Vec<Evidence>,
    /// Ids into [`StoredRoadmap::programmes`].
    pub support: Vec<String>,
    pub summary: bool,
    /// The phase when it is not the rule's own (a Start Smart action moved on by the limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
}

/// Reads stored evidence: references, or the words that results stored before them kept.
fn evidence_or_words<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Evidence>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Reference(Evidence),
        Words(Described),
    }
    let stored: Vec<Stored> = Vec::deserialize(d)?;
    Ok(stored
        .into_iter()
        .map(|e| match e {
            Stored::Reference(e) => e,
            Stored::Words(words) => Evidence::Described(words),
        })
        .collect())
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
                    phase: item.moved.then_some(item.phase),
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
                    moved: stored.phase.is_some_and(|p| p != rule.phase),
                    phase: stored.phase.unwrap_or(rule.phase),
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

    let claimant = Claimant {
        province: sub.profile_str("province"),
        former_province: sub.profile_str("former_province"),
        size_class: derived.size_class.as_deref(),
        firm_age_months: derived.firm_age_months.map(|m| m as u32),
    };
    let programmes: Vec<_> = def
        .reference
        .programmes
        .iter()
        .filter(|p| p.applies(&claimant, today))
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
                moved: false,
            },
        ));
    }
    // The firm's own goals put the actions serving them first within their category.
    let goals: Vec<String> = def
        .goals_question
        .as_ref()
        .and_then(|q| facts.answer(q))
        .map(|a| match a {
            Answer::Many(v) => v.clone(),
            Answer::One(v) => vec![v.clone()],
            Answer::Number(_) => Vec::new(),
        })
        .unwrap_or_default();
    let serves_goal = |order: usize| def.rules[order].goals.iter().any(|g| goals.contains(g));
    let key =
        |order: usize, item: &RoadmapItem| (item.phase, item.category, !serves_goal(order), order);
    items.sort_by_key(|(order, item)| key(*order, item));
    // Start small: past the limit, Start Smart actions move to Start Small, keeping their order;
    // with a barrier slot, an action on a barrier the owner named keeps the last place.
    if let Some(limit) = def.start_smart_limit {
        let smart: Vec<usize> = (0..items.len())
            .filter(|&i| items[i].1.phase == Phase::StartSmart)
            .collect();
        let mut kept: Vec<usize> = smart.iter().copied().take(limit).collect();
        if def.summary_barrier_slot
            && !kept.iter().any(|&i| names_a_barrier(&items[i].1))
            && let Some(&named) = smart.iter().find(|&&i| names_a_barrier(&items[i].1))
        {
            kept.pop();
            kept.push(named);
        }
        for &i in &smart {
            if !kept.contains(&i) {
                items[i].1.phase = Phase::StartSmall;
                items[i].1.moved = true;
            }
        }
        items.sort_by_key(|(order, item)| key(*order, item));
    }
    let mut items: Vec<RoadmapItem> = items.into_iter().map(|(_, i)| i).collect();
    for phase in Phase::ALL {
        let in_phase: Vec<usize> = (0..items.len())
            .filter(|&i| items[i].phase == phase)
            .collect();
        let mut chosen: Vec<usize> = in_phase
            .iter()
            .copied()
            .take(SUMMARY_ITEMS_PER_PHASE)
            .collect();
        if def.summary_barrier_slot {
            let named = |i: &usize| names_a_barrier(&items[*i]);
            if !chosen.iter().any(named)
                && let Some(first_named) = in_phase.iter().copied().find(named)
            {
                chosen.pop();
                chosen.push(first_named);
            }
        }
        for i in chosen {
            items[i].summary = true;
        }
    }
    Roadmap {
        items,
        agency_flags,
    }
}

/// Whether the item answers a barrier the owner named themselves.
fn names_a_barrier(item: &RoadmapItem) -> bool {
    item.evidence.iter().any(|e| {
        matches!(
            e,
            Evidence::Barrier {
                self_reported: true,
                ..
            }
        )
    })
}

/// What `mention` looked at for this firm; `None` when the firm has no value for it.
fn evidence(
    def: &Definition,
    facts: &Facts,
    result: &ScoreResult,
    mention: &Mention,
) -> Option<Evidence> {
    match mention {
        Mention::Answer(id) => {
            if def.question(id).is_some() {
                return Some(Evidence::Answer(id.clone(), facts.answer(id)?.clone()));
            }
            if id == "new_business" {
                return Some(Evidence::NewBusiness(
                    facts.derived.is_some_and(|d| d.new_business),
                ));
            }
            def.profile_field(id)?;
            let value = facts.sub.profile.get(id)?;
            Some(Evidence::Profile(id.clone(), value.clone()))
        }
        Mention::Barrier(id) => {
            def.barrier(id)?;
            let flag = result.barriers.iter().find(|b| &b.id == id)?;
            Some(Evidence::Barrier {
                id: id.clone(),
                self_reported: flag.self_reported,
                inferred: flag.inferred,
            })
        }
        Mention::Dimension(id) => {
            def.dimension(id)?;
            Some(Evidence::Dimension(
                id.clone(),
                result.dimension(id)?.score?,
            ))
        }
        Mention::Level => {
            def.level(result.level)?;
            Some(Evidence::Level(result.level))
        }
        Mention::Overall => Some(Evidence::Overall(result.overall)),
    }
}
