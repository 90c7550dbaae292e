//! Warnings about loaded questionnaires as of a given day: things that are not errors today but
//! will silently go wrong soon (a programme about to end, a rule left with nothing to offer, a
//! bound that refuses a plausible answer). They never stop a start or fail a check; `serve` logs
//! them, `check-questionnaires --as-of` prints them and the admin page shows them.

use std::fmt;

use chrono::{Datelike, Days, NaiveDate};

use super::load::LoadedDir;
use super::model::{Definition, ProfileKind};
use crate::domain::Text;
use crate::domain::reference::Programme;

/// How far ahead a programme's end is announced.
pub const ENDING_WITHIN_DAYS: u64 = 90;

/// How old a firm may plausibly be, for a year field's lower bound.
const PLAUSIBLE_FIRM_AGE_YEARS: i32 = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarningKind {
    /// A programme whose last day is within [`ENDING_WITHIN_DAYS`].
    ProgrammeEnding {
        programme: String,
        valid_to: NaiveDate,
    },
    /// A rule naming support topics that no open programme offers (now, or by `from`).
    RuleWithoutProgramme {
        questionnaire: String,
        rule: String,
        from: NaiveDate,
    },
    /// A number field whose bounds refuse an answer a real firm would give.
    BoundRefusesAnswer {
        questionnaire: String,
        field: String,
        refused: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub kind: WarningKind,
    pub message: Text,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "warning: {}", self.message.en)
    }
}

/// Every warning about the newest version of each questionnaire (the ones served) and the
/// reference data, as of `as_of`.
pub fn warnings(loaded: &LoadedDir, as_of: NaiveDate) -> Vec<Warning> {
    let latest = loaded.latest();
    let mut out = Vec::new();
    if let Some(def) = latest.first() {
        programmes_ending(&def.reference.programmes, as_of, &mut out);
    }
    for def in &latest {
        rules_without_programme(def, as_of, &mut out);
        bounds_refusing_answers(def, as_of, &mut out);
    }
    out
}

fn horizon(as_of: NaiveDate) -> NaiveDate {
    as_of
        .checked_add_days(Days::new(ENDING_WITHIN_DAYS))
        .unwrap_or(NaiveDate::MAX)
}

fn programmes_ending(programmes: &[Programme], as_of: NaiveDate, out: &mut Vec<Warning>) {
    let until = horizon(as_of);
    for p in programmes {
        let Some(end) = p.valid_to else { continue };
        if as_of <= end && end <= until && p.open_on(end) {
            let days = (end - as_of).num_days();
            out.push(Warning {
                kind: WarningKind::ProgrammeEnding {
                    programme: p.id.clone(),
                    valid_to: end,
                },
                message: Text::new(
                    format!(
                        "chương trình `{}` kết thúc ngày {end} (còn {days} ngày): gia hạn, thay bằng đợt mới hoặc để hết hạn",
                        p.id
                    ),
                    format!(
                        "programme `{}` ends on {end} (in {days} days): extend it, add its next round or let it end",
                        p.id
                    ),
                ),
            });
        }
    }
}

fn rules_without_programme(def: &Definition, as_of: NaiveDate, out: &mut Vec<Warning>) {
    let name = format!("{}@{}", def.id, def.version);
    let until = horizon(as_of);
    for rule in def.rules.iter().filter(|r| !r.support_topics.is_empty()) {
        let offering: Vec<&Programme> = def
            .reference
            .programmes
            .iter()
            .filter(|p| p.topics.iter().any(|t| rule.support_topics.contains(t)))
            .collect();
        let open_on = |day: NaiveDate| offering.iter().any(|p| p.open_on(day));
        let from = if !open_on(as_of) {
            as_of
        } else {
            // The first day within the horizon that nothing is open: the day after an end.
            let Some(gap) = offering
                .iter()
                .filter_map(|p| p.valid_to?.succ_opt())
                .filter(|day| *day <= until && !open_on(*day))
                .min()
            else {
                continue;
            };
            gap
        };
        let topics = rule.support_topics.join(", ");
        let (vi, en) = if from == as_of {
            (
                format!(
                    "{name}: quy tắc `{}` không còn chương trình hỗ trợ nào đang mở ({topics})",
                    rule.id
                ),
                format!(
                    "{name}: rule `{}` has no open support programme ({topics})",
                    rule.id
                ),
            )
        } else {
            (
                format!(
                    "{name}: từ ngày {from} quy tắc `{}` không còn chương trình hỗ trợ nào ({topics})",
                    rule.id
                ),
                format!(
                    "{name}: from {from} rule `{}` has no support programme left ({topics})",
                    rule.id
                ),
            )
        };
        out.push(Warning {
            kind: WarningKind::RuleWithoutProgramme {
                questionnaire: name.clone(),
                rule: rule.id.clone(),
                from,
            },
            message: Text::new(vi, en),
        });
    }
}

/// Year fields (`…_year`) must accept this year and a firm of [`PLAUSIBLE_FIRM_AGE_YEARS`];
/// month fields (`…_month`) every month.
fn bounds_refusing_answers(def: &Definition, as_of: NaiveDate, out: &mut Vec<Warning>) {
    let name = format!("{}@{}", def.id, def.version);
    for f in def.profile.iter().filter(|f| f.kind == ProfileKind::Number) {
        let year = as_of.year();
        let plausible: Vec<i64> = if f.id.ends_with("_year") {
            vec![i64::from(year - PLAUSIBLE_FIRM_AGE_YEARS), i64::from(year)]
        } else if f.id.ends_with("_month") {
            (1..=12).collect()
        } else {
            continue;
        };
        let (min, max) = f.bounds_on(as_of);
        let refused = plausible.into_iter().find(|v| {
            let v = *v as f64;
            min.is_some_and(|m| v < m) || max.is_some_and(|m| v > m)
        });
        if let Some(refused) = refused {
            let shown = |b: Option<f64>| b.map_or("…".to_string(), |b| b.to_string());
            let range = format!("{}–{}", shown(min), shown(max));
            out.push(Warning {
                kind: WarningKind::BoundRefusesAnswer {
                    questionnaire: name.clone(),
                    field: f.id.clone(),
                    refused,
                },
                message: Text::new(
                    format!(
                        "{name}: mục `{}` chỉ nhận {range} nên từ chối {refused}; dùng giới hạn theo năm hiện tại (\"this_year\")",
                        f.id
                    ),
                    format!(
                        "{name}: field `{}` accepts only {range}, so it refuses {refused}; use a bound relative to today (\"this_year\")",
                        f.id
                    ),
                ),
            });
        }
    }
}
