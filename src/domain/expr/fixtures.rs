//! A small questionnaire and answer set shared by the unit tests of every part of the language.

use std::collections::HashMap;

use super::{Env, Place, RefKind, Schema, Value};

pub(super) struct TestSchema;

impl Schema for TestSchema {
    fn reference(&self, name: &str, place: Place) -> Result<RefKind, String> {
        match name {
            "trade" => Ok(RefKind::Choice(vec![
                "none".into(),
                "import".into(),
                "export".into(),
                "both".into(),
            ])),
            "obstacles" => Ok(RefKind::Multi(vec!["cost".into(), "staff".into()])),
            "employees" => Ok(RefKind::Number {
                min: Some(0.0),
                max: Some(1000.0),
            }),
            "q1" if place == Place::Relevance => {
                Err("`q1` is scored; relevance may not depend on scored answers".into())
            }
            "q1" => Ok(RefKind::Choice(vec!["a".into(), "b".into()])),
            _ => Err(format!("unknown question or profile field `{name}`")),
        }
    }
    fn point_values(&self, q: &str) -> Option<Vec<f64>> {
        (q == "q1").then(|| vec![0.0, 2.0, 4.0])
    }
    fn has_dimension(&self, id: &str) -> bool {
        id == "d1"
    }
    fn has_barrier(&self, id: &str) -> bool {
        id == "cost"
    }
    fn levels(&self) -> Vec<u8> {
        vec![0, 1, 2, 3, 4, 5]
    }
}

#[derive(Default)]
pub(super) struct TestEnv {
    pub(super) values: HashMap<&'static str, Value>,
    pub(super) points: HashMap<&'static str, f64>,
    pub(super) scores: HashMap<&'static str, f64>,
    pub(super) flags: Vec<&'static str>,
    pub(super) level: Option<u8>,
}

impl Env for TestEnv {
    fn value(&self, name: &str) -> Value {
        self.values.get(name).cloned().unwrap_or(Value::Null)
    }
    fn points(&self, q: &str) -> Option<f64> {
        self.points.get(q).copied()
    }
    fn score(&self, d: &str) -> Option<f64> {
        self.scores.get(d).copied()
    }
    fn flag(&self, b: &str) -> bool {
        self.flags.contains(&b)
    }
    fn level(&self) -> Option<u8> {
        self.level
    }
}
