//! The questionnaire file format as written by people (TOML, `format = "dxready/1"`).
//!
//! These structs mirror the file one to one, so a typo such as `[[questoin]]` or `whne = …` is a
//! load error instead of a silently dropped question or rule: [`unknown_keys`] finds every
//! unknown key of a file before serde reads it, and `deny_unknown_fields` stays as a backstop.
//! Ids and expressions are `Spanned` so every later check can point at `file:line:col`.
//! The loader (`load.rs`) turns this into the checked [`super::Definition`].

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

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
    /// The multiple-choice question holding the firm's own goals; rules naming a chosen goal
    /// (`goals = […]`) come first in their phase and category.
    #[serde(default)]
    pub goals_question: Option<Spanned<String>>,
    /// At most this many Start Smart actions; the rest move to Start Small, in order.
    #[serde(default)]
    pub start_smart_limit: Option<Spanned<usize>>,
    /// Keep one e-mail summary slot per phase for an action about a barrier the owner named.
    #[serde(default)]
    pub summary_barrier_slot: bool,
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
    /// Key practices whose adoption the dashboard reports (e-invoice, backup, …).
    #[serde(default, rename = "practice")]
    pub practices: Vec<PracticeDoc>,
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
    /// A number, or a year relative to the day of answering: `"this_year"`, `"this_year - 120"`.
    #[serde(default)]
    pub min: Option<Spanned<BoundDoc>>,
    #[serde(default)]
    pub max: Option<Spanned<BoundDoc>>,
    #[serde(default)]
    pub max_length: Option<usize>,
    /// Personal or identifying data: never shown in aggregates or exports.
    #[serde(default)]
    pub pii: bool,
}

/// A bound of a number profile field as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum BoundDoc {
    Number(f64),
    Relative(String),
}

impl BoundDoc {
    /// `Ok(Err(offset))` for a bound relative to this year, `Ok(Ok(n))` for a fixed one.
    pub fn parse(&self) -> Result<Result<f64, i32>, String> {
        let text = match self {
            BoundDoc::Number(n) => return Ok(Ok(*n)),
            BoundDoc::Relative(t) => t,
        };
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let bad = || {
            format!(
                "a bound is a number or `this_year`, `this_year - N`, `this_year + N`, not `{text}`"
            )
        };
        let rest = compact.strip_prefix("this_year").ok_or_else(bad)?;
        if rest.is_empty() {
            return Ok(Err(0));
        }
        let (sign, digits) = match rest.split_at(1) {
            ("-", d) => (-1, d),
            ("+", d) => (1, d),
            _ => return Err(bad()),
        };
        let n: i32 = digits.parse().map_err(|_| bad())?;
        if !(0..=1000).contains(&n) {
            return Err(bad());
        }
        Ok(Err(sign * n))
    }
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
    /// Multiple choice: at most this many options may be picked (1 or more).
    #[serde(default)]
    pub max_choices: Option<Spanned<usize>>,
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

/// A key practice: which answers show a firm has adopted it, and optionally which firms it is
/// measured among (e-customs only among importers and exporters).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PracticeDoc {
    pub id: Spanned<String>,
    pub title: Text,
    /// Expression true when the answers show the practice in use.
    pub adopted: Spanned<String>,
    /// Expression true for the firms the practice is measured among; every firm when absent.
    #[serde(default)]
    pub among: Option<Spanned<String>>,
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
    /// Options of the file's `goals_question` this action serves.
    #[serde(default)]
    pub goals: Vec<Spanned<String>>,
    /// Flag raised for support agencies when the rule fires.
    #[serde(default)]
    pub agency_flag: Option<Spanned<String>>,
    /// Optional narrower condition for the agency flag (defaults to the rule's condition).
    #[serde(default)]
    pub agency_flag_when: Option<Spanned<String>>,
}

// ---------------------------------------------------------------------------------------------
// Unknown keys and tables
//
// serde with `deny_unknown_fields` stops at the first unknown key, and a misspelt `[[questoin]]`
// followed by `[[question.option]]` turns into a TOML "duplicate key" far from the typo. So the
// loader first walks the parsed TOML tables against this schema and reports every unknown key at
// once, at the key itself. The keys each table allows are read from the serde structs above, so
// they cannot drift from what serde accepts; only which keys hold sub-tables is written by hand
// in `Shape::child`.

/// The kinds of table a questionnaire file is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    File,
    ProfileField,
    Dimension,
    Section,
    Question,
    Option,
    OptionSet,
    Consent,
    Level,
    Band,
    Barrier,
    Rule,
    Practice,
    /// A bilingual text (`title.vi`, `title.en`).
    Text,
}

impl Shape {
    pub const ALL: [Shape; 14] = [
        Shape::File,
        Shape::ProfileField,
        Shape::Dimension,
        Shape::Section,
        Shape::Question,
        Shape::Option,
        Shape::OptionSet,
        Shape::Consent,
        Shape::Level,
        Shape::Band,
        Shape::Barrier,
        Shape::Rule,
        Shape::Practice,
        Shape::Text,
    ];

    /// The keys this table allows, under their names in the file (`type`, `option`, `step`…),
    /// in the order the struct declares them.
    pub fn keys(self) -> &'static [&'static str] {
        use serde_aux::serde_introspection::serde_introspect;
        match self {
            Shape::File => serde_introspect::<FileDoc>(),
            Shape::ProfileField => serde_introspect::<ProfileFieldDoc>(),
            Shape::Dimension => serde_introspect::<DimensionDoc>(),
            Shape::Section => serde_introspect::<SectionDoc>(),
            Shape::Question => serde_introspect::<QuestionDoc>(),
            Shape::Option => serde_introspect::<OptionDoc>(),
            Shape::OptionSet => serde_introspect::<OptionSetDoc>(),
            Shape::Consent => serde_introspect::<ConsentDoc>(),
            Shape::Level => serde_introspect::<LevelDoc>(),
            Shape::Band => serde_introspect::<BandDoc>(),
            Shape::Barrier => serde_introspect::<BarrierDoc>(),
            Shape::Rule => serde_introspect::<RuleDoc>(),
            Shape::Practice => serde_introspect::<PracticeDoc>(),
            Shape::Text => serde_introspect::<Text>(),
        }
    }

    /// The shape of the table under `key`, or of each table of the array under it; `None` for
    /// keys holding plain values. Nesting only goes down (file → question → option → text, and
    /// texts hold no tables), so a walk is never deeper than the schema.
    pub fn child(self, key: &str) -> Option<Shape> {
        use Shape::*;
        let child = match (self, key) {
            (File, "profile") => ProfileField,
            (File, "dimension") => Dimension,
            (File, "section") => Section,
            (File, "question") => Question,
            (File, "option_set") => OptionSet,
            (File, "consent") => Consent,
            (File, "level") => Level,
            (File, "band") => Band,
            (File, "barrier") => Barrier,
            (File, "rule") => Rule,
            (File, "practice") => Practice,
            (ProfileField | Question | OptionSet, "option") => Option,
            (File | Section, "title" | "intro")
            | (ProfileField | Option, "label" | "hint")
            | (Dimension | Barrier, "title" | "description")
            | (Question, "text" | "hint" | "min_label" | "max_label" | "unit" | "error")
            | (Consent, "text" | "hint")
            | (Level, "name" | "meaning" | "gate_explained")
            | (Band, "name")
            | (Rule, "title" | "why" | "step")
            | (Practice, "title") => Text,
            _ => return None,
        };
        Some(child)
    }

    /// Where a table of this shape is, for messages ("in a rule"); empty for the file itself.
    /// Texts are named by their key instead.
    fn place(self) -> &'static str {
        match self {
            Shape::File => "",
            Shape::ProfileField => " in a profile field",
            Shape::Dimension => " in a dimension",
            Shape::Section => " in a section",
            Shape::Question => " in a question",
            Shape::Option => " in an option",
            Shape::OptionSet => " in an option set",
            Shape::Consent => " in a consent",
            Shape::Level => " in a level",
            Shape::Band => " in a band",
            Shape::Barrier => " in a barrier",
            Shape::Rule => " in a rule",
            Shape::Practice => " in a practice",
            Shape::Text => " in a text",
        }
    }
}

/// A key found where its table does not allow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey {
    /// Byte offset of the key in the file.
    pub at: usize,
    pub message: String,
}

/// Every unknown key and table of a parsed file (possibly recovered from syntax errors),
/// walking only into tables the schema knows, so the depth is that of the schema whatever the
/// input.
pub fn unknown_keys(file: &DeTable<'_>) -> Vec<UnknownKey> {
    let mut found = Vec::new();
    walk(file, Shape::File, Shape::File.place(), &mut found);
    found
}

fn walk(table: &DeTable<'_>, shape: Shape, place: &str, found: &mut Vec<UnknownKey>) {
    let allowed = shape.keys();
    for (key, value) in table {
        let name: &str = key.get_ref();
        if !allowed.contains(&name) {
            found.push(UnknownKey {
                at: key.span().start,
                message: unknown_message(name, value.get_ref(), place, allowed),
            });
            continue;
        }
        let Some(child) = shape.child(name) else {
            continue;
        };
        let text_place;
        let child_place = if child == Shape::Text {
            text_place = format!(" in `{name}`");
            &text_place
        } else {
            child.place()
        };
        match value.get_ref() {
            DeValue::Table(t) => walk(t, child, child_place, found),
            DeValue::Array(items) => {
                for item in items {
                    if let DeValue::Table(t) = item.get_ref() {
                        walk(t, child, child_place, found);
                    }
                }
            }
            // A plain value where a table belongs is serde's to report, once the keys are right.
            _ => {}
        }
    }
}

/// ``unknown key `whne` in a rule (did you mean `when`?); expected one of `id`, `phase`, …``
fn unknown_message(name: &str, value: &DeValue<'_>, place: &str, allowed: &[&str]) -> String {
    let is_table = match value {
        DeValue::Table(_) => true,
        DeValue::Array(items) => !items.is_empty() && items.iter().all(|i| i.get_ref().is_table()),
        _ => false,
    };
    let what = if is_table { "table" } else { "key" };
    // Keep the message on one line whatever a quoted key holds.
    let shown: String = if name.chars().any(char::is_control) {
        name.escape_debug().collect()
    } else {
        name.to_string()
    };
    let suggestion = closest(name, allowed)
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default();
    let expected = match allowed {
        [one] => format!("`{one}`"),
        [a, b] => format!("`{a}` or `{b}`"),
        _ => format!(
            "one of {}",
            allowed
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!("unknown {what} `{shown}`{place}{suggestion}; expected {expected}")
}

/// The allowed key closest to a misspelt one: at most one edit (a swap of two neighbours
/// counts as one) per three characters, ties going to the one sharing the longer start
/// (`vn` → `vi`, not `en`).
fn closest<'k>(name: &str, allowed: &[&'k str]) -> Option<&'k str> {
    let len = name.chars().count();
    if len > 64 {
        return None;
    }
    let lower = name.to_lowercase();
    let limit = (len / 3).max(1);
    allowed
        .iter()
        .map(|k| (strsim::damerau_levenshtein(&lower, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by(|(da, a), (db, b)| {
            da.cmp(db).then_with(|| {
                strsim::jaro_winkler(&lower, b).total_cmp(&strsim::jaro_winkler(&lower, a))
            })
        })
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_allows_its_sub_tables_and_nesting_ends() {
        fn depth(shape: Shape) -> usize {
            shape
                .keys()
                .iter()
                .filter_map(|k| shape.child(k))
                .map(depth)
                .max()
                .map_or(1, |d| d + 1)
        }
        for shape in Shape::ALL {
            assert!(!shape.keys().is_empty(), "{shape:?}");
        }
        // file → question → option → text
        assert_eq!(depth(Shape::File), 4);
        // `child` names only keys the structs have (a renamed field would otherwise go unwalked).
        let candidates = [
            "profile",
            "dimension",
            "section",
            "question",
            "option_set",
            "consent",
            "level",
            "band",
            "barrier",
            "rule",
            "practice",
            "option",
            "title",
            "intro",
            "label",
            "hint",
            "description",
            "text",
            "min_label",
            "max_label",
            "unit",
            "error",
            "name",
            "meaning",
            "gate_explained",
            "why",
            "step",
        ];
        for shape in Shape::ALL {
            for key in candidates {
                if shape.child(key).is_some() {
                    assert!(shape.keys().contains(&key), "{shape:?}.{key}");
                }
            }
        }
    }

    #[test]
    fn keys_come_from_the_structs_under_their_file_names() {
        assert!(Shape::File.keys().contains(&"question"));
        assert!(!Shape::File.keys().contains(&"questions"));
        assert!(Shape::Question.keys().contains(&"type"));
        assert!(Shape::Question.keys().contains(&"option"));
        assert!(Shape::Rule.keys().contains(&"step"));
        assert_eq!(Shape::Text.keys(), ["vi", "en"]);
    }

    #[test]
    fn suggests_the_closest_key() {
        let rule = Shape::Rule.keys();
        assert_eq!(closest("whne", rule), Some("when"));
        assert_eq!(closest("steps", rule), Some("step"));
        assert_eq!(closest("Title", rule), Some("title"));
        assert_eq!(closest("banana", rule), None);
        assert_eq!(closest("vn", Shape::Text.keys()), Some("vi"));
        assert_eq!(closest("em", Shape::Text.keys()), Some("en"));
        assert_eq!(closest("fr", Shape::Text.keys()), None);
        assert_eq!(closest("questoin", Shape::File.keys()), Some("question"));
        assert_eq!(closest("", Shape::File.keys()), None);
    }

    fn messages(source: &str) -> Vec<String> {
        let (table, _) = DeTable::parse_recoverable(source);
        unknown_keys(table.get_ref())
            .into_iter()
            .map(|u| format!("{}: {}", u.at, u.message))
            .collect()
    }

    #[test]
    fn reports_unknown_keys_and_tables_at_every_level() {
        let source = "idd = 'x'\ntitle.vn = 'a'\n[[rule]]\nwhne = 'x'\nstep = [{ vi = 'a', fr = 'b' }]\n[[question]]\n[[question.optoin]]\n[[question.option]]\npoint = 1\n[[questoin]]\n";
        let mut found = messages(source);
        found.sort();
        let at = |s: &str| source.find(s).unwrap();
        let mut expected = vec![
            format!(
                "{}: unknown key `idd` (did you mean `id`?); expected one of {}",
                at("idd"),
                Shape::File
                    .keys()
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "{}: unknown key `vn` in `title` (did you mean `vi`?); expected `vi` or `en`",
                at("vn")
            ),
            format!(
                "{}: unknown key `fr` in `step`; expected `vi` or `en`",
                at("fr")
            ),
        ];
        let mut starts = |s: &str, prefix: &str| {
            let hit = found
                .iter()
                .find(|m| m.starts_with(&format!("{}: ", at(s))))
                .unwrap_or_else(|| panic!("{s}: {found:#?}"))
                .clone();
            assert!(hit.contains(prefix), "{hit}");
            expected.push(hit);
        };
        starts(
            "whne",
            "unknown key `whne` in a rule (did you mean `when`?); expected one of `id`, `phase`",
        );
        starts(
            "optoin",
            "unknown table `optoin` in a question (did you mean `option`?)",
        );
        starts(
            "point =",
            "unknown key `point` in an option (did you mean `points`?)",
        );
        starts(
            "questoin",
            "unknown table `questoin` (did you mean `question`?)",
        );
        expected.sort();
        assert_eq!(found, expected);
    }

    #[test]
    fn odd_keys_stay_on_one_line() {
        let found = messages("\"a\\nb\" = 1\n\"\" = 2\n");
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found.iter().all(|m| !m.contains('\n')), "{found:#?}");
    }
}
