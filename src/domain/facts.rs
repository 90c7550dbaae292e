//! What the expressions see: a submission read through its definition. Works out which questions
//! are relevant (in file order, since a relevance condition may only look backwards), what each
//! scored question earned, and — once scoring is done — scores, flags and the level.

use chrono::{Datelike, NaiveDate};

use crate::domain::answers::{Answer, ProfileValue, Submission};
use crate::domain::expr::{Env, Value};
use crate::domain::questionnaire::{Definition, Question, QuestionKind};
use crate::domain::score_result::ScoreResult;

/// Values worked out from the profile that rules may use: `${size_class}`, `${firm_age_years}`,
/// `${firm_age_months}`, `${new_business}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    pub size_class: Option<String>,
    pub firm_age_years: Option<f64>,
    /// Whole calendar months from the founding month to this month. Without a founding month
    /// (`founded_month`) the firm is taken as founded in January, the oldest it can be, so a
    /// programme is never offered to a firm that may be past its age limit.
    pub firm_age_months: Option<f64>,
    /// Founded not more than one year ago ("chưa quá 1 năm"): at most 12 months by
    /// [`Derived::firm_age_months`]. Programmes check exact eligibility themselves.
    pub new_business: bool,
}

/// How many months old a firm may be and still count as newly founded.
pub const NEW_BUSINESS_MONTHS: f64 = 12.0;

pub const DERIVED_FIELDS: [&str; 4] = [
    "size_class",
    "firm_age_years",
    "firm_age_months",
    "new_business",
];

impl Derived {
    pub fn compute(def: &Definition, sub: &Submission, today: NaiveDate) -> Derived {
        let employees = sub.profile.get("employees").and_then(ProfileValue::as_f64);
        let size_class = def.reference.size_class(
            sub.profile_str("sector"),
            employees,
            sub.profile_str("revenue_band"),
        );
        let number = |id: &str| sub.profile.get(id).and_then(ProfileValue::as_f64);
        let founded = number("founded_year");
        let founded_month = number("founded_month")
            .filter(|m| (1.0..=12.0).contains(m))
            .unwrap_or(1.0);
        let firm_age_years = founded.map(|y| (f64::from(today.year()) - y).max(0.0));
        let firm_age_months = founded.map(|y| {
            let months =
                (f64::from(today.year()) - y) * 12.0 + f64::from(today.month()) - founded_month;
            months.max(0.0)
        });
        Derived {
            size_class,
            firm_age_years,
            firm_age_months,
            new_business: firm_age_months.is_some_and(|a| a <= NEW_BUSINESS_MONTHS),
        }
    }
}

pub struct Facts<'a> {
    pub def: &'a Definition,
    pub sub: &'a Submission,
    relevant: Vec<bool>,
    pub scores: Option<&'a ScoreResult>,
    pub derived: Option<&'a Derived>,
}

impl<'a> Facts<'a> {
    pub fn new(def: &'a Definition, sub: &'a Submission) -> Facts<'a> {
        let mut facts = Facts {
            def,
            sub,
            relevant: Vec::with_capacity(def.questions.len()),
            scores: None,
            derived: None,
        };
        for q in &def.questions {
            let relevant = q.relevant.as_ref().is_none_or(|cond| cond.holds(&facts));
            facts.relevant.push(relevant);
        }
        facts
    }

    pub fn with_scores(mut self, scores: &'a ScoreResult) -> Self {
        self.scores = Some(scores);
        self
    }

    pub fn with_derived(mut self, derived: &'a Derived) -> Self {
        self.derived = Some(derived);
        self
    }

    pub fn is_relevant(&self, question_id: &str) -> bool {
        self.def
            .question_index
            .get(question_id)
            .is_some_and(|&i| self.relevant.get(i).copied().unwrap_or(false))
    }

    /// The answer if the question is relevant; irrelevant answers are ignored everywhere.
    pub fn answer(&self, question_id: &str) -> Option<&'a Answer> {
        if !self.is_relevant(question_id) {
            return None;
        }
        self.sub.answers.get(question_id)
    }

    /// Points earned and points possible on a scored question, or None when it leaves the
    /// denominator (not relevant, unanswered, or "not applicable").
    pub fn points(&self, q: &Question) -> Option<(f64, f64)> {
        let max = q.max_points?;
        let answer = self.answer(&q.id)?;
        match (q.kind, answer) {
            (QuestionKind::SingleChoice, Answer::One(v)) => {
                let opt = q.option(v)?;
                if opt.not_applicable {
                    None
                } else {
                    Some((opt.points?, max))
                }
            }
            (QuestionKind::MultipleChoice, Answer::Many(values)) => {
                let chosen: Vec<_> = values.iter().filter_map(|v| q.option(v)).collect();
                if chosen.is_empty() || chosen.iter().any(|o| o.not_applicable) {
                    return None;
                }
                let sum: f64 = chosen.iter().filter_map(|o| o.points).sum();
                Some((sum.min(max), max))
            }
            (QuestionKind::MultipleChoice, Answer::One(v)) => {
                let opt = q.option(v)?;
                if opt.not_applicable {
                    None
                } else {
                    Some((opt.points.unwrap_or(0.0).min(max), max))
                }
            }
            (QuestionKind::Scale, Answer::Number(n)) => {
                let (min, top) = (q.min?, q.max?);
                let clamped = n.clamp(min, top);
                Some(((clamped - min) / (top - min) * max, max))
            }
            _ => None,
        }
    }
}

fn answer_value(q: &Question, answer: &Answer) -> Value {
    match (q.kind, answer) {
        (QuestionKind::MultipleChoice, Answer::Many(v)) => Value::List(v.clone()),
        (QuestionKind::MultipleChoice, Answer::One(v)) => Value::List(vec![v.clone()]),
        (_, Answer::One(v)) => Value::Str(v.clone()),
        (_, Answer::Number(n)) => Value::Num(*n),
        (_, Answer::Many(v)) => Value::List(v.clone()),
    }
}

impl Env for Facts<'_> {
    fn value(&self, name: &str) -> Value {
        if let Some(&i) = self.def.question_index.get(name) {
            // While relevance is being worked out, only earlier questions have an entry; the
            // loader guarantees conditions never look forward.
            if !self.relevant.get(i).copied().unwrap_or(false) {
                return Value::Null;
            }
            let q = &self.def.questions[i];
            return self
                .sub
                .answers
                .get(name)
                .map_or(Value::Null, |a| answer_value(q, a));
        }
        if let Some(derived) = self.derived {
            match name {
                "size_class" => return derived.size_class.clone().map_or(Value::Null, Value::Str),
                "firm_age_years" => return derived.firm_age_years.map_or(Value::Null, Value::Num),
                "firm_age_months" => {
                    return derived.firm_age_months.map_or(Value::Null, Value::Num);
                }
                "new_business" => return Value::Bool(derived.new_business),
                _ => {}
            }
        }
        match self.sub.profile.get(name) {
            Some(ProfileValue::Text(s)) => Value::Str(s.clone()),
            Some(ProfileValue::Number(n)) => Value::Num(*n),
            Some(ProfileValue::Bool(b)) => Value::Bool(*b),
            None => Value::Null,
        }
    }

    fn points(&self, question: &str) -> Option<f64> {
        self.def
            .question(question)
            .and_then(|q| Facts::points(self, q))
            .map(|(p, _)| p)
    }

    fn score(&self, dimension: &str) -> Option<f64> {
        self.scores?
            .dimensions
            .iter()
            .find(|d| d.id == dimension)?
            .score
    }

    fn overall(&self) -> Option<f64> {
        self.scores.map(|s| s.overall)
    }

    fn min_dimension_score(&self) -> Option<f64> {
        self.scores?
            .dimensions
            .iter()
            .filter_map(|d| d.score)
            .reduce(f64::min)
    }

    fn flag(&self, barrier: &str) -> bool {
        self.scores
            .is_some_and(|s| s.barriers.iter().any(|b| b.id == barrier))
    }

    fn level(&self) -> Option<u8> {
        self.scores.map(|s| s.level)
    }
}
