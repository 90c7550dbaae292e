//! Loading and checking questionnaire files. Every problem in a file is reported at once as
//! `file:line:col: message`; a file with any problem is refused as a whole, so a typo can never
//! silently drop a question or a rule.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;
use toml::de::DeTable;

use super::format::{self, FileDoc, OptionDoc, QuestionDoc};
use super::model::*;
use crate::domain::answers::{Answer, ProfileValue, Submission};
use crate::domain::expr::{Expr, Place, RefKind, Schema};
use crate::domain::facts::DERIVED_FIELDS;
use crate::domain::problem::{Problem, Problems};
use crate::domain::reference::Reference;
use crate::domain::scoring::score;
use crate::domain::{Lang, Text};

/// Profile fields the JSON API and the pages rely on.
const REQUIRED_PROFILE: [&str; 4] = ["name", "province", "sector", "employees"];

/// The most points one question may give, and the most steps a scale may have. Rule checks
/// list every value a question can score, so these keep that list small; real questionnaires
/// stay far below (0–4 points, 1–5 scales).
const MAX_QUESTION_POINTS: f64 = 1000.0;
const MAX_SCALE_STEPS: f64 = 1000.0;

/// Every questionnaire of a folder, keyed by (id, version).
#[derive(Debug, Clone, Default)]
pub struct LoadedDir {
    pub definitions: BTreeMap<(String, String), Arc<Definition>>,
}

impl LoadedDir {
    /// The newest version of each questionnaire (versions compare numerically part by part).
    pub fn latest(&self) -> Vec<Arc<Definition>> {
        let mut by_id: BTreeMap<&str, &Arc<Definition>> = BTreeMap::new();
        for ((id, _), def) in &self.definitions {
            let newer = by_id
                .get(id.as_str())
                .is_none_or(|cur| version_key(&def.version) > version_key(&cur.version));
            if newer {
                by_id.insert(id, def);
            }
        }
        by_id.into_values().cloned().collect()
    }

    pub fn latest_of(&self, id: &str) -> Option<Arc<Definition>> {
        self.latest().into_iter().find(|d| d.id == id)
    }

    pub fn get(&self, id: &str, version: &str) -> Option<Arc<Definition>> {
        self.definitions
            .get(&(id.to_string(), version.to_string()))
            .cloned()
    }
}

fn version_key(v: &str) -> Vec<u64> {
    v.split(['.', '-'])
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

/// Loads every `*.toml` in `dir` with the reference data in `dir/reference`.
pub fn load_dir(dir: &Path) -> Result<LoadedDir, Vec<Problem>> {
    let reference = Arc::new(Reference::load(&dir.join("reference"))?);
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![Problem {
            file: dir.to_path_buf(),
            line: 1,
            col: 1,
            message: format!("cannot read the folder: {e}"),
        }]
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    let mut problems = Vec::new();
    let mut loaded = LoadedDir::default();
    let mut seen: HashMap<(String, String), PathBuf> = HashMap::new();
    for file in files {
        match load_file(&file, reference.clone()) {
            Ok(def) => {
                let key = (def.id.clone(), def.version.clone());
                if let Some(other) = seen.insert(key.clone(), file.clone()) {
                    problems.push(Problem {
                        file: file.clone(),
                        line: 1,
                        col: 1,
                        message: format!(
                            "{} version {} is also defined in {}",
                            key.0,
                            key.1,
                            other.display()
                        ),
                    });
                }
                loaded.definitions.insert(key, Arc::new(def));
            }
            Err(mut p) => problems.append(&mut p),
        }
    }
    // Targets name practices, which the questionnaire files define: checked once every file has
    // loaded (a file refused for another reason would make its practices look unknown).
    if problems.is_empty() {
        problems.extend(unknown_target_practices(&reference, &loaded));
    }
    if loaded.definitions.is_empty() && problems.is_empty() {
        problems.push(Problem {
            file: dir.to_path_buf(),
            line: 1,
            col: 1,
            message: "no questionnaire (*.toml) in this folder".into(),
        });
    }
    // Files in name order, each file's problems by position as `load_str` sorted them.
    problems.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
    if problems.is_empty() {
        Ok(loaded)
    } else {
        Err(problems)
    }
}

/// A problem for each target whose practice no loaded questionnaire defines.
fn unknown_target_practices(reference: &Reference, loaded: &LoadedDir) -> Vec<Problem> {
    let Some(file) = &reference.targets_path else {
        return Vec::new();
    };
    if loaded.definitions.is_empty() {
        return Vec::new();
    }
    let known: Vec<&str> = loaded
        .definitions
        .values()
        .flat_map(|d| d.practices().iter().map(|p| p.id.as_str()))
        .collect();
    reference
        .targets
        .iter()
        .filter(|t| !known.contains(&t.practice.as_str()))
        .map(|t| {
            let mut ids: Vec<&str> = known.clone();
            ids.sort_unstable();
            ids.dedup();
            Problem {
                file: file.clone(),
                line: t.practice_at.0,
                col: t.practice_at.1,
                message: format!(
                    "target `{}`: unknown practice `{}` (the questionnaires define {})",
                    t.id,
                    t.practice,
                    if ids.is_empty() {
                        "none".to_string()
                    } else {
                        ids.iter()
                            .map(|i| format!("`{i}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            }
        })
        .collect()
}

pub fn load_file(path: &Path, reference: Arc<Reference>) -> Result<Definition, Vec<Problem>> {
    let bytes = std::fs::read(path).map_err(|e| {
        vec![Problem {
            file: path.to_path_buf(),
            line: 1,
            col: 1,
            message: format!("cannot read: {e}"),
        }]
    })?;
    let Ok(source) = String::from_utf8(bytes) else {
        return Err(vec![Problem {
            file: path.to_path_buf(),
            line: 1,
            col: 1,
            message: "the file is not valid UTF-8".into(),
        }]);
    };
    load_str(path, &source, reference)
}

/// Parses and checks one questionnaire held in memory (`path` only names it in messages).
pub fn load_str(
    path: &Path,
    source: &str,
    reference: Arc<Reference>,
) -> Result<Definition, Vec<Problem>> {
    let mut p = Problems::new(path, source);
    let result = check(&mut p, source, reference);
    // By position, keeping the order of the checks among problems at one place (a cause
    // before what follows from it).
    p.list.sort_by_key(|problem| (problem.line, problem.col));
    match result {
        Some(def) if p.is_empty() => Ok(def),
        _ => Err(p.list),
    }
}

fn check(p: &mut Problems, source: &str, reference: Arc<Reference>) -> Option<Definition> {
    // The parser recovers from syntax errors, so one run reports all of them, and the unknown
    // keys of what it could read.
    let (table, syntax_errors) = DeTable::parse_recoverable(source);
    let mut reported = HashSet::new();
    for e in &syntax_errors {
        let at = e.span().map_or(0, |s| s.start);
        let mut message = e.message().trim().to_string();
        // The parser's "duplicate key" does not say which; its span is the key.
        if message == "duplicate key"
            && let Some(key) = e.span().and_then(|s| source.get(s))
            && !key.is_empty()
            && key.len() <= 64
            && !key.contains(char::is_control)
        {
            message = format!("duplicate key `{key}`");
        }
        if reported.insert((at, message.clone())) {
            p.at(at, message);
        }
    }
    for unknown in format::unknown_keys(table.get_ref()) {
        p.at(unknown.at, unknown.message);
    }
    if !p.is_empty() {
        return None;
    }
    // `deny_unknown_fields` stays on the structs as a backstop for a key the walk above would miss.
    let doc = match FileDoc::deserialize(toml::de::Deserializer::from(table.clone())) {
        Ok(doc) => doc,
        Err(e) => {
            // serde stops at the file's first missing key or wrong type: read each table of
            // the file on its own as well, so every table's first one is reported.
            let mut seen = HashSet::new();
            for e in std::iter::once(e).chain(table_errors(table.get_ref())) {
                let at = e.span().map_or(0, |s| s.start);
                let message = e.message().trim().to_string();
                if seen.insert((at, message.clone())) {
                    p.at(at, message);
                }
            }
            return None;
        }
    };
    let content_hash = hex::encode(Sha256::digest(source.as_bytes()));
    let def = Checker {
        p: &mut *p,
        reference: &reference,
    }
    .build(doc, content_hash, Arc::from(source), reference.clone())?;
    if !p.is_empty() {
        return None;
    }
    check_extremes(&def, p);
    Some(def)
}

/// The first serde error of each table in the file's arrays of tables (`[[question]]`, …).
fn table_errors(file: &DeTable<'_>) -> Vec<toml::de::Error> {
    fn first_error<T: serde::de::DeserializeOwned>(
        table: &Spanned<toml::de::DeValue<'_>>,
    ) -> Option<toml::de::Error> {
        T::deserialize(toml::de::ValueDeserializer::from(table.clone())).err()
    }
    let mut errors = Vec::new();
    for (key, value) in file {
        let Some(tables) = value.get_ref().as_array() else {
            continue;
        };
        let read: fn(&Spanned<toml::de::DeValue<'_>>) -> Option<toml::de::Error> =
            match key.get_ref().as_ref() {
                "profile" => first_error::<format::ProfileFieldDoc>,
                "dimension" => first_error::<format::DimensionDoc>,
                "section" => first_error::<format::SectionDoc>,
                "question" => first_error::<format::QuestionDoc>,
                "option_set" => first_error::<format::OptionSetDoc>,
                "consent" => first_error::<format::ConsentDoc>,
                "level" => first_error::<format::LevelDoc>,
                "band" => first_error::<format::BandDoc>,
                "barrier" => first_error::<format::BarrierDoc>,
                "rule" => first_error::<format::RuleDoc>,
                "practice" => first_error::<format::PracticeDoc>,
                _ => continue,
            };
        errors.extend(tables.iter().filter_map(read));
    }
    errors
}

fn is_id(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && s.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

struct Checker<'a, 'p> {
    p: &'a mut Problems<'p>,
    reference: &'a Reference,
}

impl Checker<'_, '_> {
    fn text(&mut self, t: &Text, at: usize, what: &str) {
        for lang in t.missing() {
            let name = match lang {
                Lang::Vi => "Vietnamese (vi)",
                Lang::En => "English (en)",
            };
            self.p.at(at, format!("{what} has no {name} text"));
        }
    }

    fn opt_text(&mut self, t: &Option<Text>, at: usize, what: &str) {
        if let Some(t) = t {
            self.text(t, at, what);
        }
    }

    fn id(
        &mut self,
        id: &Spanned<String>,
        kind: &str,
        seen: &mut HashSet<String>,
        retired: &HashSet<String>,
    ) {
        let s = id.get_ref();
        if !is_id(s) {
            self.p.at(id.span().start, format!("{kind} id `{s}` must start with a lowercase letter and use only a-z, 0-9, _ and -"));
        }
        if !seen.insert(s.to_lowercase()) {
            self.p
                .at(id.span().start, format!("duplicate {kind} id `{s}`"));
        }
        if retired.contains(s) {
            self.p.at(
                id.span().start,
                format!("{kind} id `{s}` was retired by an earlier version and may not be reused"),
            );
        }
    }

    fn expr(&mut self, src: &Spanned<String>, schema: &dyn Schema, place: Place) -> Option<Expr> {
        // +1: the span starts at the opening quote of the TOML string.
        let base = src.span().start + 1;
        match Expr::parse(src.get_ref()) {
            Err(e) => {
                self.p.at(base + e.offset, e.message);
                None
            }
            Ok(expr) => {
                let errors = expr.check(schema, place);
                let ok = errors.is_empty();
                for e in errors {
                    self.p.at(base + e.offset, e.message);
                }
                ok.then_some(expr)
            }
        }
    }

    fn options(&mut self, docs: &[OptionDoc], owner: &str, scored: bool) -> Vec<ChoiceOption> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for o in docs {
            let at = o.value.span().start;
            let value = o.value.get_ref();
            if !is_id(value) {
                self.p.at(at, format!("option value `{value}` must start with a lowercase letter and use only a-z, 0-9, _ and -"));
            }
            if !seen.insert(value.clone()) {
                self.p
                    .at(at, format!("{owner}: duplicate option `{value}`"));
            }
            self.text(&o.label, at, &format!("{owner}: option `{value}` label"));
            self.opt_text(&o.hint, at, &format!("{owner}: option `{value}` hint"));
            let points = o.points.as_ref().map(|p| *p.get_ref());
            if o.not_applicable && points.is_some() {
                self.p.at(at, format!("{owner}: the not-applicable option `{value}` must not have points (it leaves the denominator)"));
            } else if scored && !o.not_applicable && points.is_none() {
                self.p.at(
                    at,
                    format!("{owner}: option `{value}` of a scored question has no points"),
                );
            } else if !scored && points.is_some() {
                self.p.at(at, format!("{owner}: option `{value}` has points but the question is not scored (give it a dimension)"));
            }
            if let Some(p) = &o.points
                && (!p.get_ref().is_finite() || *p.get_ref() < 0.0)
            {
                self.p.at(p.span().start, "points must be zero or more");
            }
            out.push(ChoiceOption {
                value: value.clone(),
                label: o.label.clone(),
                hint: o.hint.clone(),
                points: if o.not_applicable { None } else { points },
                not_applicable: o.not_applicable,
                exclusive: o.exclusive,
            });
        }
        out
    }

    /// Checks the whole file, part by part in file order, and builds the definition when the
    /// parts could be read (problems are collected on the way; the caller refuses any).
    fn build(
        mut self,
        doc: FileDoc,
        content_hash: String,
        source: Arc<str>,
        reference: Arc<Reference>,
    ) -> Option<Definition> {
        let (top, retired) = self.header(&doc);
        let mut answer_ids = HashSet::new();
        let profile = self.profile_fields(&doc, &reference, top, &retired, &mut answer_ids);
        let (dimensions, dim_ids) = self.dimensions(&doc, top, &retired);
        let (sections, section_ids) = self.sections(&doc, &retired);
        let mut schema = LoadSchema::new(&profile, &dimensions);
        let questions = self.questions(
            &doc,
            &mut schema,
            &section_ids,
            &dim_ids,
            &mut answer_ids,
            &retired,
        );
        let consents = self.consents(&doc, top, &retired);
        let levels = self.levels(&doc, top, &mut schema);
        let bands = self.bands(&doc, &retired);
        let barriers = self.barriers(&doc, &retired, &mut schema);
        let rules = self.rules(&doc, &questions, &schema, &retired);
        let practices = self.practices(&doc, &schema, &retired);

        let question_index = questions
            .iter()
            .enumerate()
            .map(|(i, q)| (q.id.clone(), i))
            .collect();
        Some(Definition {
            id: doc.id.into_inner(),
            version: doc.version.into_inner(),
            content_hash,
            source,
            title: doc.title,
            intro: doc.intro,
            estimated_minutes: doc.estimated_minutes.unwrap_or(12),
            profile,
            dimensions,
            sections,
            questions,
            consents,
            levels,
            bands,
            barriers,
            rules,
            practices,
            goals_question: doc.goals_question.map(Spanned::into_inner),
            start_smart_limit: doc.start_smart_limit.map(Spanned::into_inner),
            summary_barrier_slot: doc.summary_barrier_slot,
            reference,
            question_index,
        })
    }

    /// Format, id, version, title and intro; the file's position and retired ids.
    fn header(&mut self, doc: &FileDoc) -> (usize, HashSet<String>) {
        if doc.format.get_ref() != format::FORMAT {
            self.p.at(
                doc.format.span().start,
                format!(
                    "unknown format `{}` (this dxready reads `{}`)",
                    doc.format.get_ref(),
                    format::FORMAT
                ),
            );
        }
        if !is_id(doc.id.get_ref()) {
            self.p.at(doc.id.span().start, "questionnaire id must start with a lowercase letter and use only a-z, 0-9, _ and -");
        }
        let version_ok = !doc.version.get_ref().is_empty()
            && doc
                .version
                .get_ref()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !version_ok {
            self.p
                .at(doc.version.span().start, "version must be like 1.0.0");
        }
        let top = doc.id.span().start;
        self.text(&doc.title, top, "title");
        self.text(&doc.intro, top, "intro");
        let retired: HashSet<String> = doc
            .retired_ids
            .iter()
            .map(|r| r.get_ref().clone())
            .collect();
        (top, retired)
    }

    /// Profile fields, with choice lists from reference data; their ids join `answer_ids`.
    fn profile_fields(
        &mut self,
        doc: &FileDoc,
        reference: &Reference,
        top: usize,
        retired: &HashSet<String>,
        answer_ids: &mut HashSet<String>,
    ) -> Vec<ProfileField> {
        let mut profile = Vec::new();
        for f in &doc.profile {
            let at = f.id.span().start;
            self.id(&f.id, "profile field", answer_ids, retired);
            let owner = format!("profile field `{}`", f.id.get_ref());
            self.text(&f.label, at, &format!("{owner} label"));
            self.opt_text(&f.hint, at, &format!("{owner} hint"));
            let kind = match f.kind.get_ref().as_str() {
                "text" => ProfileKind::Text,
                "choice" => ProfileKind::Choice,
                "number" => ProfileKind::Number,
                "boolean" => ProfileKind::Boolean,
                other => {
                    self.p.at(
                        f.kind.span().start,
                        format!("unknown profile type `{other}` (text, choice, number, boolean)"),
                    );
                    ProfileKind::Text
                }
            };
            let mut options = self.options(&f.options, &owner, false);
            let mut within = None;
            if let Some(from) = &f.values_from {
                if !options.is_empty() {
                    self.p.at(
                        from.span().start,
                        "give either values_from or options, not both",
                    );
                }
                options = match from.get_ref().as_str() {
                    "provinces" => reference
                        .provinces
                        .iter()
                        .map(|p| choice(&p.slug, p.name.clone()))
                        .collect(),
                    "former_provinces" => reference
                        .former_provinces()
                        .into_iter()
                        .map(|(s, n, _)| choice(s, Text::new(n, n)))
                        .collect(),
                    "sectors" => reference
                        .sectors
                        .iter()
                        .map(|s| choice(&s.id, s.name.clone()))
                        .collect(),
                    "revenue_bands" => reference
                        .revenue_bands
                        .iter()
                        .map(|b| choice(&b.id, b.label.clone()))
                        .collect(),
                    "communes" => {
                        let province_name = |slug: &str| {
                            reference
                                .province(slug)
                                .map_or(slug.to_string(), |p| p.name.vi.clone())
                        };
                        within = Some((
                            "province".to_string(),
                            reference
                                .communes
                                .iter()
                                .map(|c| (c.slug.clone(), c.province.clone()))
                                .collect(),
                        ));
                        reference
                            .communes
                            .iter()
                            .map(|c| {
                                let label = format!("{} – {}", c.name, province_name(&c.province));
                                choice(&c.slug, Text::new(&label, &label))
                            })
                            .collect()
                    }
                    other => {
                        self.p.at(from.span().start, format!("unknown list `{other}` (provinces, former_provinces, communes, sectors, revenue_bands)"));
                        Vec::new()
                    }
                };
            }
            if kind == ProfileKind::Choice && options.is_empty() {
                self.p
                    .at(at, format!("{owner} is a choice but has no options"));
            }
            if kind != ProfileKind::Choice && !options.is_empty() {
                self.p
                    .at(at, format!("{owner} has options but is not a choice"));
            }
            let mut bound = |b: &Option<Spanned<format::BoundDoc>>| -> (Option<f64>, Option<i32>) {
                let Some(b) = b else { return (None, None) };
                match b.get_ref().parse() {
                    Ok(Ok(n)) => (Some(n), None),
                    Ok(Err(offset)) => (None, Some(offset)),
                    Err(message) => {
                        self.p.at(b.span().start, message);
                        (None, None)
                    }
                }
            };
            let (min, min_from_this_year) = bound(&f.min);
            let (max, max_from_this_year) = bound(&f.max);
            if kind != ProfileKind::Number && (f.min.is_some() || f.max.is_some()) {
                self.p
                    .at(at, format!("{owner} has bounds but is not a number"));
            }
            profile.push(ProfileField {
                id: f.id.get_ref().clone(),
                kind,
                label: f.label.clone(),
                hint: f.hint.clone(),
                required: f.required,
                options,
                min,
                max,
                min_from_this_year,
                max_from_this_year,
                max_length: f.max_length.unwrap_or(200),
                pii: f.pii,
                within,
            });
        }
        for required in REQUIRED_PROFILE {
            if !profile.iter().any(|f| f.id == required) {
                self.p.at(
                    top,
                    format!(
                        "the profile must have a `{required}` field (the JSON API relies on it)"
                    ),
                );
            }
        }
        for derived in DERIVED_FIELDS {
            if answer_ids.contains(derived) {
                self.p.at(
                    top,
                    format!("`{derived}` is worked out from the profile; use another id"),
                );
            }
        }
        profile
    }

    /// Dimensions and their weights (summing to 1).
    fn dimensions(
        &mut self,
        doc: &FileDoc,
        top: usize,
        retired: &HashSet<String>,
    ) -> (Vec<Dimension>, HashSet<String>) {
        let mut dim_ids = HashSet::new();
        let mut dimensions = Vec::new();
        for d in &doc.dimensions {
            self.id(&d.id, "dimension", &mut dim_ids, retired);
            self.text(
                &d.title,
                d.id.span().start,
                &format!("dimension `{}` title", d.id.get_ref()),
            );
            self.opt_text(
                &d.description,
                d.id.span().start,
                &format!("dimension `{}` description", d.id.get_ref()),
            );
            if !(*d.weight.get_ref() > 0.0 && *d.weight.get_ref() <= 1.0) {
                self.p.at(
                    d.weight.span().start,
                    "a dimension weight must be above 0 and at most 1",
                );
            }
            dimensions.push(Dimension {
                id: d.id.get_ref().clone(),
                weight: *d.weight.get_ref(),
                title: d.title.clone(),
                description: d.description.clone(),
            });
        }
        if dimensions.is_empty() {
            self.p
                .at(top, "a questionnaire needs at least one [[dimension]]");
        }
        let weight_sum: f64 = dimensions.iter().map(|d| d.weight).sum();
        if !dimensions.is_empty() && (weight_sum - 1.0).abs() > 1e-6 {
            let at = doc
                .dimensions
                .first()
                .map_or(top, |d| d.weight.span().start);
            self.p.at(
                at,
                format!("dimension weights must sum to 1, they sum to {weight_sum:.4}"),
            );
        }
        (dimensions, dim_ids)
    }

    /// Sections (pages).
    fn sections(
        &mut self,
        doc: &FileDoc,
        retired: &HashSet<String>,
    ) -> (Vec<Section>, HashSet<String>) {
        let mut section_ids = HashSet::new();
        let mut sections = Vec::new();
        for s in &doc.sections {
            self.id(&s.id, "section", &mut section_ids, retired);
            self.text(
                &s.title,
                s.id.span().start,
                &format!("section `{}` title", s.id.get_ref()),
            );
            self.opt_text(
                &s.intro,
                s.id.span().start,
                &format!("section `{}` intro", s.id.get_ref()),
            );
            sections.push(Section {
                id: s.id.get_ref().clone(),
                title: s.title.clone(),
                intro: s.intro.clone(),
            });
        }
        (sections, section_ids)
    }

    /// Option sets and questions, each added to `schema` once checked, so relevance only looks back.
    fn questions(
        &mut self,
        doc: &FileDoc,
        schema: &mut LoadSchema,
        section_ids: &HashSet<String>,
        dim_ids: &HashSet<String>,
        answer_ids: &mut HashSet<String>,
        retired: &HashSet<String>,
    ) -> Vec<Question> {
        let mut option_sets: HashMap<String, &[OptionDoc]> = HashMap::new();
        let mut set_ids = HashSet::new();
        for set in &doc.option_sets {
            self.id(&set.id, "option set", &mut set_ids, retired);
            option_sets.insert(set.id.get_ref().clone(), &set.options);
        }

        // Questions (relevance is checked against what came before each question).
        let mut questions: Vec<Question> = Vec::new();
        for q in &doc.questions {
            if let Some(question) = self.question(
                q,
                &option_sets,
                section_ids,
                dim_ids,
                answer_ids,
                retired,
                schema,
            ) {
                schema.add_question(&question);
                questions.push(question);
            }
        }
        for s in &doc.sections {
            if !questions.iter().any(|q| &q.section == s.id.get_ref()) {
                self.p.at(
                    s.id.span().start,
                    format!("section `{}` has no questions", s.id.get_ref()),
                );
            }
        }
        for d in &doc.dimensions {
            if !questions
                .iter()
                .any(|q| q.dimension.as_ref() == Some(d.id.get_ref()))
            {
                self.p.at(
                    d.id.span().start,
                    format!("dimension `{}` has no scored question", d.id.get_ref()),
                );
            }
        }
        questions
    }

    /// Consents: one per purpose, only processing required.
    fn consents(&mut self, doc: &FileDoc, top: usize, retired: &HashSet<String>) -> Vec<Consent> {
        let mut consents = Vec::new();
        let mut consent_ids = HashSet::new();
        let mut purposes = HashSet::new();
        for c in &doc.consents {
            self.id(&c.id, "consent", &mut consent_ids, retired);
            self.text(
                &c.text,
                c.id.span().start,
                &format!("consent `{}` text", c.id.get_ref()),
            );
            self.opt_text(
                &c.hint,
                c.id.span().start,
                &format!("consent `{}` hint", c.id.get_ref()),
            );
            let Some(purpose) = ConsentPurpose::parse(c.purpose.get_ref()) else {
                self.p.at(
                    c.purpose.span().start,
                    format!(
                        "unknown consent purpose `{}` ({})",
                        c.purpose.get_ref(),
                        ConsentPurpose::ALL
                            .map(super::model::ConsentPurpose::as_str)
                            .join(", ")
                    ),
                );
                continue;
            };
            if !purposes.insert(purpose) {
                self.p.at(
                    c.purpose.span().start,
                    format!(
                        "purpose `{}` has two consents; each purpose gets exactly one box",
                        purpose.as_str()
                    ),
                );
            }
            if purpose == ConsentPurpose::Processing && !c.required {
                self.p
                    .at(c.id.span().start, "the processing consent must be required");
            }
            if purpose != ConsentPurpose::Processing && c.required {
                self.p.at(
                    c.id.span().start,
                    "only the processing consent may be required; every other purpose is optional",
                );
            }
            consents.push(Consent {
                id: c.id.get_ref().clone(),
                purpose,
                required: c.required,
                text: c.text.clone(),
                hint: c.hint.clone(),
            });
        }
        if !purposes.contains(&ConsentPurpose::Processing) {
            self.p.at(
                top,
                "a questionnaire needs a required [[consent]] with purpose = \"processing\"",
            );
        }
        consents
    }

    /// Levels, numbered and rising, with gates that can pass; their numbers go into `schema`.
    fn levels(&mut self, doc: &FileDoc, top: usize, schema: &mut LoadSchema) -> Vec<Level> {
        let mut levels = Vec::new();
        for l in &doc.levels {
            let at = l.level.span().start;
            let n = *l.level.get_ref();
            self.text(&l.name, at, &format!("level {n} name"));
            self.text(&l.meaning, at, &format!("level {n} meaning"));
            self.opt_text(&l.gate_explained, at, &format!("level {n} gate_explained"));
            let gate = l
                .gate
                .as_ref()
                .and_then(|g| self.expr(g, schema, Place::Scoring));
            if let (Some(expr), Some(src)) = (&gate, &l.gate)
                && !expr.can_hold(schema)
            {
                self.p.at(
                    src.span().start + 1,
                    format!("level {n} is unreachable: its gate can never pass"),
                );
            }
            levels.push(Level {
                level: n,
                min_score: *l.min_score.get_ref(),
                name: l.name.clone(),
                meaning: l.meaning.clone(),
                gate,
                gate_explained: l.gate_explained.clone(),
            });
        }
        if levels.is_empty() {
            self.p.at(top, "a questionnaire needs [[level]] entries");
        }
        for (i, l) in doc.levels.iter().enumerate() {
            let n = *l.level.get_ref();
            let min = *l.min_score.get_ref();
            if usize::from(n) != i {
                self.p.at(
                    l.level.span().start,
                    format!("levels must be numbered 0, 1, 2, … in order; expected {i}, found {n}"),
                );
            }
            if i == 0 && min != 0.0 {
                self.p.at(
                    l.min_score.span().start,
                    "the first level must start at min_score = 0",
                );
            }
            if min > 100.0 {
                self.p.at(
                    l.min_score.span().start,
                    format!("level {n} is unreachable: min_score {min} is above 100"),
                );
            }
            if i > 0 && min <= *doc.levels[i - 1].min_score.get_ref() {
                self.p.at(
                    l.min_score.span().start,
                    format!(
                        "level {n} is unreachable: its min_score must be above the previous level's"
                    ),
                );
            }
        }
        let level_numbers: Vec<u8> = levels.iter().map(|l| l.level).collect();
        schema.levels = level_numbers;
        levels
    }

    /// Comparison bands.
    fn bands(&mut self, doc: &FileDoc, retired: &HashSet<String>) -> Vec<Band> {
        let mut bands = Vec::new();
        let mut band_ids = HashSet::new();
        for (i, b) in doc.bands.iter().enumerate() {
            self.id(&b.id, "band", &mut band_ids, retired);
            self.text(
                &b.name,
                b.id.span().start,
                &format!("band `{}` name", b.id.get_ref()),
            );
            let min = *b.min_score.get_ref();
            if (i == 0 && min != 0.0)
                || (i > 0 && min <= *doc.bands[i - 1].min_score.get_ref())
                || min > 100.0
            {
                self.p.at(
                    b.min_score.span().start,
                    "bands must start at 0 and rise in order up to 100",
                );
            }
            bands.push(Band {
                id: b.id.get_ref().clone(),
                min_score: min,
                name: b.name.clone(),
            });
        }
        bands
    }

    /// Barrier flags; their ids go into `schema` for the rules.
    fn barriers(
        &mut self,
        doc: &FileDoc,
        retired: &HashSet<String>,
        schema: &mut LoadSchema,
    ) -> Vec<Barrier> {
        let mut barriers = Vec::new();
        let mut barrier_ids = HashSet::new();
        for b in &doc.barriers {
            self.id(&b.id, "barrier", &mut barrier_ids, retired);
            self.text(
                &b.title,
                b.id.span().start,
                &format!("barrier `{}` title", b.id.get_ref()),
            );
            self.text(
                &b.description,
                b.id.span().start,
                &format!("barrier `{}` description", b.id.get_ref()),
            );
            let self_reported = self.expr(&b.self_reported, schema, Place::Scoring);
            let inferred = self.expr(&b.inferred, schema, Place::Scoring);
            if let (Some(self_reported), Some(inferred)) = (self_reported, inferred) {
                barriers.push(Barrier {
                    id: b.id.get_ref().clone(),
                    title: b.title.clone(),
                    description: b.description.clone(),
                    self_reported,
                    inferred,
                });
            }
        }
        schema.barriers = barriers.iter().map(|b| b.id.clone()).collect();
        barriers
    }

    /// Key practices: unique ids, both texts, and conditions over known questions that can hold.
    fn practices(
        &mut self,
        doc: &FileDoc,
        schema: &LoadSchema,
        retired: &HashSet<String>,
    ) -> Vec<Practice> {
        let mut practices = Vec::new();
        let mut practice_ids = HashSet::new();
        for d in &doc.practices {
            let at = d.id.span().start;
            let id = d.id.get_ref().clone();
            self.id(&d.id, "practice", &mut practice_ids, retired);
            self.text(&d.title, at, &format!("practice `{id}` title"));
            // Scoring place: answers, points and scores, as a barrier's inference reads them;
            // flags and levels are left out so a practice never depends on the roadmap.
            let adopted = self.expr(&d.adopted, schema, Place::Scoring);
            let among = d
                .among
                .as_ref()
                .map(|src| (src, self.expr(src, schema, Place::Scoring)));
            if let Some(expr) = &adopted
                && !expr.can_hold(schema)
            {
                self.p.at(
                    d.adopted.span().start + 1,
                    format!("practice `{id}` can never be adopted: its condition is never true"),
                );
            }
            if let Some((src, Some(expr))) = &among
                && !expr.can_hold(schema)
            {
                self.p.at(
                    src.span().start + 1,
                    format!("practice `{id}` is measured among no firm: `among` is never true"),
                );
            }
            let among = match among {
                None => Some(None),
                Some((_, Some(expr))) => Some(Some(expr)),
                Some((_, None)) => None,
            };
            if let (Some(adopted), Some(among)) = (adopted, among) {
                practices.push(Practice {
                    id,
                    title: d.title.clone(),
                    adopted,
                    among,
                });
            }
        }
        practices
    }

    /// Roadmap rules: phases, categories, goals, support topics and conditions that can hold.
    fn rules(
        &mut self,
        doc: &FileDoc,
        questions: &[Question],
        schema: &LoadSchema,
        retired: &HashSet<String>,
    ) -> Vec<Rule> {
        let topics: HashSet<&str> = self
            .reference
            .programmes
            .iter()
            .flat_map(|p| p.topics.iter().map(String::as_str))
            .collect();
        let goal_options: Option<Vec<String>> = match &doc.goals_question {
            None => None,
            Some(g) => match questions.iter().find(|q| &q.id == g.get_ref()) {
                Some(q) if q.kind == QuestionKind::MultipleChoice => {
                    Some(q.options.iter().map(|o| o.value.clone()).collect())
                }
                _ => {
                    self.p.at(
                        g.span().start,
                        format!(
                            "goals_question `{}` must be a multiple-choice question",
                            g.get_ref()
                        ),
                    );
                    Some(Vec::new())
                }
            },
        };
        if let Some(limit) = &doc.start_smart_limit
            && *limit.get_ref() == 0
        {
            self.p
                .at(limit.span().start, "start_smart_limit must be 1 or more");
        }
        let mut rules = Vec::new();
        let mut rule_ids = HashSet::new();
        for r in &doc.rules {
            let at = r.id.span().start;
            let rid = r.id.get_ref().clone();
            self.id(&r.id, "rule", &mut rule_ids, retired);
            self.text(&r.title, at, &format!("rule `{rid}` title"));
            self.text(&r.why, at, &format!("rule `{rid}` why"));
            for (i, s) in r.steps.iter().enumerate() {
                self.text(s, at, &format!("rule `{rid}` step {}", i + 1));
            }
            let phase = Phase::parse(r.phase.get_ref());
            if phase.is_none() {
                self.p.at(
                    r.phase.span().start,
                    format!(
                        "unknown phase `{}` (start_smart, start_small, scale)",
                        r.phase.get_ref()
                    ),
                );
            }
            let category = Category::parse(r.category.get_ref());
            if category.is_none() {
                self.p.at(
                    r.category.span().start,
                    format!(
                        "unknown category `{}` (compliance, security, barrier, growth)",
                        r.category.get_ref()
                    ),
                );
            }
            for t in &r.support_topics {
                if !topics.contains(t.get_ref().as_str()) {
                    self.p.at(
                        t.span().start,
                        format!("no support programme has the topic `{}`", t.get_ref()),
                    );
                }
            }
            for g in &r.goals {
                match &goal_options {
                    None => self.p.at(
                        g.span().start,
                        "a rule names goals but the file has no goals_question",
                    ),
                    Some(options) if !options.contains(g.get_ref()) => self.p.at(
                        g.span().start,
                        format!("`{}` is not an option of the goals question", g.get_ref()),
                    ),
                    Some(_) => {}
                }
            }
            let when = self.expr(&r.when, schema, Place::Rule);
            if let Some(w) = &when
                && !w.can_hold(schema)
            {
                self.p.at(
                    r.when.span().start + 1,
                    format!("rule `{rid}` can never fire"),
                );
            }
            let flag_when = r
                .agency_flag_when
                .as_ref()
                .and_then(|w| self.expr(w, schema, Place::Rule));
            if r.agency_flag_when.is_some() && r.agency_flag.is_none() {
                self.p.at(
                    at,
                    format!("rule `{rid}` has agency_flag_when but no agency_flag"),
                );
            }
            if let Some(f) = &r.agency_flag
                && !is_id(f.get_ref())
            {
                self.p.at(
                    f.span().start,
                    "agency flags use lowercase letters, digits and _",
                );
            }
            if let (Some(phase), Some(category), Some(when)) = (phase, category, when) {
                rules.push(Rule {
                    id: rid,
                    phase,
                    category,
                    when,
                    title: r.title.clone(),
                    why: r.why.clone(),
                    steps: r.steps.clone(),
                    support_topics: r
                        .support_topics
                        .iter()
                        .map(|t| t.get_ref().clone())
                        .collect(),
                    goals: r.goals.iter().map(|g| g.get_ref().clone()).collect(),
                    agency_flag: r.agency_flag.as_ref().map(|f| f.get_ref().clone()),
                    agency_flag_when: flag_when,
                });
            }
        }
        rules
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "the checker threads the file's context through each table"
    )]
    fn question(
        &mut self,
        q: &QuestionDoc,
        option_sets: &HashMap<String, &[OptionDoc]>,
        section_ids: &HashSet<String>,
        dim_ids: &HashSet<String>,
        answer_ids: &mut HashSet<String>,
        retired: &HashSet<String>,
        schema: &LoadSchema,
    ) -> Option<Question> {
        let at = q.id.span().start;
        let id = q.id.get_ref().clone();
        let owner = format!("question `{id}`");
        self.id(&q.id, "question", answer_ids, retired);
        self.text(&q.text, at, &format!("{owner} text"));
        for (what, t) in [
            ("hint", &q.hint),
            ("min_label", &q.min_label),
            ("max_label", &q.max_label),
            ("unit", &q.unit),
            ("error", &q.error),
        ] {
            self.opt_text(t, at, &format!("{owner} {what}"));
        }
        if !section_ids.contains(q.section.get_ref()) {
            self.p.at(
                q.section.span().start,
                format!("unknown section `{}`", q.section.get_ref()),
            );
        }
        if let Some(d) = &q.dimension
            && !dim_ids.contains(d.get_ref())
        {
            self.p.at(
                d.span().start,
                format!("unknown dimension `{}`", d.get_ref()),
            );
        }
        let Some(kind) = QuestionKind::parse(q.kind.get_ref()) else {
            self.p.at(q.kind.span().start, format!(
                "unknown question type `{}` (single_choice, multiple_choice, scale, number, text)",
                q.kind.get_ref()
            ));
            return None;
        };
        let scored = q.dimension.is_some();
        let option_docs: &[OptionDoc] = match &q.option_set {
            Some(set) => {
                if !q.options.is_empty() {
                    self.p.at(
                        set.span().start,
                        "give either option_set or [[question.option]] entries, not both",
                    );
                }
                match option_sets.get(set.get_ref()) {
                    Some(docs) => docs,
                    None => {
                        self.p.at(
                            set.span().start,
                            format!("unknown option set `{}`", set.get_ref()),
                        );
                        &[]
                    }
                }
            }
            None => &q.options,
        };
        let options = self.options(option_docs, &owner, scored);
        if kind.has_options() && options.len() < 2 {
            self.p.at(at, format!("{owner} needs at least two options"));
        }
        if !kind.has_options() && !options.is_empty() {
            self.p.at(
                at,
                format!(
                    "{owner} is a {} question and cannot have options",
                    kind.as_str()
                ),
            );
        }
        if kind != QuestionKind::MultipleChoice {
            if let Some(o) = option_docs.iter().find(|o| o.exclusive) {
                self.p.at(
                    o.value.span().start,
                    "`exclusive` only applies to multiple_choice options",
                );
            }
            if let Some(m) = &q.max_choices {
                self.p.at(
                    m.span().start,
                    format!("{owner}: max_choices only applies to multiple_choice"),
                );
            }
        }
        // 0 would refuse every answer, so the question could never be answered.
        let max_choices = match &q.max_choices {
            Some(m) if *m.get_ref() == 0 && kind == QuestionKind::MultipleChoice => {
                self.p.at(
                    m.span().start,
                    format!("{owner}: max_choices must be at least 1"),
                );
                None
            }
            m => m.as_ref().map(|m| *m.get_ref()),
        };
        if scored && matches!(kind, QuestionKind::Number | QuestionKind::Text) {
            self.p.at(
                at,
                format!(
                    "{owner}: {} questions cannot be scored; remove `dimension`",
                    kind.as_str()
                ),
            );
        }
        let (min, max) = (
            q.min.as_ref().map(|m| *m.get_ref()),
            q.max.as_ref().map(|m| *m.get_ref()),
        );
        if let (Some(lo), Some(hi)) = (min, max)
            && lo >= hi
        {
            self.p.at(
                q.min.as_ref().map_or(at, |m| m.span().start),
                format!("{owner}: min must be below max"),
            );
        }
        if kind == QuestionKind::Scale
            && (min.is_none()
                || max.is_none()
                || min.is_some_and(|m| m.fract() != 0.0)
                || max.is_some_and(|m| m.fract() != 0.0))
        {
            self.p.at(
                at,
                format!("{owner}: a scale needs whole-number min and max"),
            );
        } else if let (QuestionKind::Scale, Some(lo), Some(hi)) = (kind, min, max)
            && hi - lo > MAX_SCALE_STEPS
        {
            self.p.at(
                at,
                format!("{owner}: a scale has at most {MAX_SCALE_STEPS} steps from min to max"),
            );
        }
        if q.max_points.is_some()
            && !matches!(kind, QuestionKind::MultipleChoice | QuestionKind::Scale)
        {
            self.p.at(at, format!("{owner}: max_points only applies to multiple_choice (a cap) and scale questions"));
        }
        let max_points = if !scored {
            if q.max_points.is_some() {
                self.p.at(
                    at,
                    format!("{owner}: max_points on an unscored question (give it a dimension)"),
                );
            }
            None
        } else {
            let computed = match kind {
                QuestionKind::SingleChoice => {
                    options.iter().filter_map(|o| o.points).fold(0.0, f64::max)
                }
                QuestionKind::MultipleChoice => {
                    let sum: f64 = best_combination(&options, max_choices)
                        .iter()
                        .filter_map(|o| o.points)
                        .sum();
                    q.max_points.as_ref().map_or(sum, |m| m.get_ref().min(sum))
                }
                QuestionKind::Scale => q
                    .max_points
                    .as_ref()
                    .map_or_else(|| max.unwrap_or(0.0) - min.unwrap_or(0.0), |m| *m.get_ref()),
                _ => 0.0,
            };
            if computed.is_nan() || computed.is_infinite() {
                self.p.at(
                    q.max_points.as_ref().map_or(at, |m| m.span().start),
                    format!("{owner}: max_points must be a number, not {computed}"),
                );
            } else if computed <= 0.0 {
                self.p
                    .at(at, format!("{owner} is scored but can never earn a point"));
            } else if computed > MAX_QUESTION_POINTS {
                self.p.at(
                    at,
                    format!(
                        "{owner} can give {computed} points; a question gives at most {MAX_QUESTION_POINTS} (lower the points or set max_points)"
                    ),
                );
            }
            // check_extremes answers with one profile, under which a conditional question may
            // be hidden, so the worst answer of every choice question is checked here too.
            // (An option without points is reported already.)
            let scored_options: Vec<Option<f64>> = options
                .iter()
                .filter(|o| !o.not_applicable)
                .map(|o| o.points)
                .collect();
            let lowest = scored_options
                .iter()
                .map(|p| p.unwrap_or(0.0))
                .fold(f64::INFINITY, f64::min);
            if kind.has_options()
                && scored_options.iter().all(Option::is_some)
                && lowest > 0.0
                && lowest.is_finite()
            {
                self.p.at(
                    at,
                    format!(
                        "{owner}: its lowest option is worth {lowest}; give it an option worth 0 so the worst answers score 0"
                    ),
                );
            }
            Some(computed)
        };
        let relevant = q
            .relevant
            .as_ref()
            .and_then(|r| self.expr(r, schema, Place::Relevance));
        if let (Some(expr), Some(src)) = (&relevant, &q.relevant)
            && !expr.can_hold(schema)
        {
            self.p.at(
                src.span().start + 1,
                format!("{owner} can never be shown: its relevance condition is never true"),
            );
        }
        Some(Question {
            id,
            section: q.section.get_ref().clone(),
            kind,
            dimension: q.dimension.as_ref().map(|d| d.get_ref().clone()),
            required: q.required,
            text: q.text.clone(),
            hint: q.hint.clone(),
            relevant,
            relevant_source: q.relevant.as_ref().map(|r| r.get_ref().clone()),
            options,
            max_points,
            max_choices,
            min,
            max,
            min_label: q.min_label.clone(),
            max_label: q.max_label.clone(),
            unit: q.unit.clone(),
            max_length: q
                .max_length
                .unwrap_or(crate::domain::validate::DEFAULT_MAX_TEXT),
            pii: q.pii,
            error: q.error.clone(),
        })
    }
}

/// The options of a multiple choice that one valid answer can tick for the most points: the
/// `max_choices` best options that combine, or an exclusive option alone when it gives more.
fn best_combination(options: &[ChoiceOption], max_choices: Option<usize>) -> Vec<&ChoiceOption> {
    let points = |o: &&ChoiceOption| o.points.unwrap_or(0.0);
    let mut combined: Vec<&ChoiceOption> = options
        .iter()
        .filter(|o| !o.exclusive && points(o) > 0.0)
        .collect();
    // Stable: options worth the same keep their file order.
    combined.sort_by(|a, b| points(b).total_cmp(&points(a)));
    combined.truncate(max_choices.unwrap_or(usize::MAX));
    let sum: f64 = combined.iter().map(points).sum();
    match options
        .iter()
        .filter(|o| o.exclusive)
        .max_by(|a, b| points(a).total_cmp(&points(b)))
    {
        Some(alone) if points(&alone) > sum => vec![alone],
        _ => combined,
    }
}

fn choice(value: &str, label: Text) -> ChoiceOption {
    ChoiceOption {
        value: value.to_string(),
        label,
        hint: None,
        points: None,
        not_applicable: false,
        exclusive: false,
    }
}

/// What expressions may refer to, built up while the file is read so relevance conditions can
/// only look backwards.
struct LoadSchema {
    refs: HashMap<String, (RefKind, bool)>,
    points: HashMap<String, Vec<f64>>,
    dimensions: HashSet<String>,
    barriers: HashSet<String>,
    levels: Vec<u8>,
}

impl LoadSchema {
    fn new(profile: &[ProfileField], dimensions: &[Dimension]) -> Self {
        let mut refs = HashMap::new();
        for f in profile {
            let kind = match f.kind {
                ProfileKind::Choice => {
                    RefKind::Choice(f.options.iter().map(|o| o.value.clone()).collect())
                }
                ProfileKind::Number => RefKind::Number {
                    min: f.min,
                    max: f.max,
                },
                ProfileKind::Boolean => RefKind::Bool,
                ProfileKind::Text => RefKind::Text,
            };
            refs.insert(f.id.clone(), (kind, false));
        }
        LoadSchema {
            refs,
            points: HashMap::new(),
            dimensions: dimensions.iter().map(|d| d.id.clone()).collect(),
            barriers: HashSet::new(),
            levels: Vec::new(),
        }
    }

    fn add_question(&mut self, q: &Question) {
        let values: Vec<String> = q.options.iter().map(|o| o.value.clone()).collect();
        let kind = match q.kind {
            QuestionKind::SingleChoice => RefKind::Choice(values),
            QuestionKind::MultipleChoice => RefKind::Multi(values),
            QuestionKind::Scale | QuestionKind::Number => RefKind::Number {
                min: q.min,
                max: q.max,
            },
            QuestionKind::Text => RefKind::Text,
        };
        self.refs.insert(q.id.clone(), (kind, q.is_scored()));
        if let Some(max) = q.max_points {
            let mut values: Vec<f64> = match q.kind {
                QuestionKind::SingleChoice => q.options.iter().filter_map(|o| o.points).collect(),
                // The bounds keep a file that breaks MAX_SCALE_STEPS or MAX_QUESTION_POINTS (an
                // error reported in `question`) from allocating without limit before it is refused.
                QuestionKind::Scale => {
                    let (lo, hi) = (q.min.unwrap_or(0.0), q.max.unwrap_or(0.0));
                    let steps = (hi - lo).clamp(1.0, MAX_SCALE_STEPS) as usize;
                    (0..=steps).map(|s| s as f64 / steps as f64 * max).collect()
                }
                // Sums of subsets are many; 0..=max in whole points covers the usual integer case.
                _ => (0..=(max.min(MAX_QUESTION_POINTS) as usize))
                    .map(|v| v as f64)
                    .chain([max])
                    .collect(),
            };
            values.sort_by(f64::total_cmp);
            values.dedup();
            self.points.insert(q.id.clone(), values);
        }
    }
}

impl Schema for LoadSchema {
    fn reference(&self, name: &str, place: Place) -> Result<RefKind, String> {
        if place == Place::Rule && DERIVED_FIELDS.contains(&name) {
            return Ok(match name {
                "new_business" => RefKind::Bool,
                "firm_age_years" | "firm_age_months" => RefKind::Number {
                    min: Some(0.0),
                    max: None,
                },
                _ => RefKind::Text,
            });
        }
        match self.refs.get(name) {
            None => Err(if place == Place::Relevance {
                format!(
                    "unknown question or profile field `{name}` (a condition may only refer to fields and earlier questions)"
                )
            } else {
                format!("unknown question or profile field `{name}`")
            }),
            Some((_, true)) if place == Place::Relevance => Err(format!(
                "`{name}` is a scored question; relevance may depend only on the profile and unscored questions, so that a better answer can never hide another question and lower a score"
            )),
            Some((kind, _)) => Ok(kind.clone()),
        }
    }

    fn point_values(&self, question: &str) -> Option<Vec<f64>> {
        self.points.get(question).cloned()
    }

    fn has_dimension(&self, id: &str) -> bool {
        self.dimensions.contains(id)
    }

    fn has_barrier(&self, id: &str) -> bool {
        self.barriers.contains(id)
    }

    fn levels(&self) -> Vec<u8> {
        self.levels.clone()
    }
}

/// Profile and answers that make every scored question count: used to prove the best answers
/// reach 100 and the top level, and the worst reach 0 and the bottom level.
pub fn extreme_submission(def: &Definition, best: bool) -> Submission {
    let mut sub = Submission::default();
    for f in &def.profile {
        let value = match f.kind {
            ProfileKind::Choice => f
                .options
                .first()
                .map(|o| ProfileValue::Text(o.value.clone())),
            ProfileKind::Number => Some(ProfileValue::Number(f.min.unwrap_or(1.0).max(1.0))),
            ProfileKind::Boolean => Some(ProfileValue::Bool(true)),
            ProfileKind::Text => Some(ProfileValue::Text("Test".into())),
        };
        if let Some(v) = value {
            sub.profile.insert(f.id.clone(), v);
        }
    }
    for q in def.questions.iter().filter(|q| q.is_scored()) {
        let scored: Vec<_> = q.options.iter().filter(|o| o.points.is_some()).collect();
        let answer = match q.kind {
            QuestionKind::SingleChoice => {
                let pick = if best {
                    scored.iter().max_by(|a, b| {
                        a.points
                            .partial_cmp(&b.points)
                            .unwrap_or(std::cmp::Ordering::Equal)
                    })
                } else {
                    scored.iter().min_by(|a, b| {
                        a.points
                            .partial_cmp(&b.points)
                            .unwrap_or(std::cmp::Ordering::Equal)
                    })
                };
                pick.map(|o| Answer::One(o.value.clone()))
            }
            QuestionKind::MultipleChoice => {
                if best {
                    Some(Answer::Many(
                        best_combination(&q.options, q.max_choices)
                            .iter()
                            .map(|o| o.value.clone())
                            .collect(),
                    ))
                } else {
                    scored
                        .iter()
                        .find(|o| o.points == Some(0.0))
                        .map(|o| Answer::Many(vec![o.value.clone()]))
                }
            }
            QuestionKind::Scale => Some(Answer::Number(if best {
                q.max.unwrap_or(0.0)
            } else {
                q.min.unwrap_or(0.0)
            })),
            _ => None,
        };
        if let Some(a) = answer {
            sub.answers.insert(q.id.clone(), a);
        }
    }
    sub
}

/// The contract's invariants, checked on the file itself: the best answers must score 100 and
/// reach the top level, the worst 0 and the bottom level. A level no answers can reach, or a
/// scored question whose worst option is above 0, is reported here.
fn check_extremes(def: &Definition, p: &mut Problems) {
    let best = score(def, &extreme_submission(def, true));
    if (best.overall - 100.0).abs() > 1e-9 {
        p.at(0, format!("the best answers score {:.2}, not 100: a multiple choice cap (max_points) is above what its options can give", best.overall));
    } else if best.level != def.top_level() {
        p.at(
            0,
            format!(
                "level {} is unreachable: the best possible answers reach only level {}",
                def.top_level(),
                best.level
            ),
        );
    }
    let worst = score(def, &extreme_submission(def, false));
    if worst.overall.abs() > 1e-9 {
        p.at(0, format!("the worst answers score {:.2}, not 0: give every scored question an option worth 0 points", worst.overall));
    }
    if worst.level != def.bottom_level() {
        p.at(
            0,
            format!(
                "the worst answers reach level {}, not the bottom level",
                worst.level
            ),
        );
    }
}
