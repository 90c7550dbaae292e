//! Checking an expression against the questionnaire: every reference resolves, option literals
//! exist, types fit, and each place calls only the functions it may.

use super::ExprError;
use super::ast::{CmpOp, Func, Lit, Node, Value, lit_str, offset_of, ref_name};

/// Where an expression is used; decides which functions it may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Relevance conditions: answers and profile only (scores do not exist yet).
    Relevance,
    /// Level gates and barrier inference: answers, points and scores.
    Scoring,
    /// Roadmap rules: everything, including barrier flags and the level.
    Rule,
}

/// What a reference names, as the checker needs to know it.
#[derive(Debug, Clone, PartialEq)]
pub enum RefKind {
    /// A single choice (or choice profile field) with its option values.
    Choice(Vec<String>),
    /// A multiple choice with its option values.
    Multi(Vec<String>),
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    Text,
    Bool,
}

/// The questionnaire as the checker sees it.
pub trait Schema {
    /// Resolves `${name}` for use at `place`; `Err` explains why it may not be used there.
    fn reference(&self, name: &str, place: Place) -> Result<RefKind, String>;
    /// The points a scored question can give, if `name` is one (for `points('…')`).
    fn point_values(&self, question: &str) -> Option<Vec<f64>>;
    fn has_dimension(&self, id: &str) -> bool;
    fn has_barrier(&self, id: &str) -> bool;
    fn levels(&self) -> Vec<u8>;
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Ty {
    Bool,
    Num,
    Str,
    List,
    /// Unknown after an error; suppresses follow-on errors.
    Any,
}

pub(super) fn check(
    node: &Node,
    schema: &dyn Schema,
    place: Place,
    errors: &mut Vec<ExprError>,
) -> Ty {
    match node {
        Node::Lit(l) => match l.value {
            Value::Bool(_) => Ty::Bool,
            Value::Num(_) => Ty::Num,
            Value::Str(_) => Ty::Str,
            _ => Ty::Any,
        },
        Node::Ref { name, offset } => match schema.reference(name, place) {
            Ok(kind) => ty_of(&kind),
            Err(message) => {
                errors.push(ExprError::new(*offset, message));
                Ty::Any
            }
        },
        Node::Not(inner) => {
            expect_ty(
                inner,
                Ty::Bool,
                schema,
                place,
                errors,
                "`not` needs a condition",
            );
            Ty::Bool
        }
        Node::And(items) | Node::Or(items) => {
            for item in items {
                expect_ty(
                    item,
                    Ty::Bool,
                    schema,
                    place,
                    errors,
                    "`and`/`or` join conditions",
                );
            }
            Ty::Bool
        }
        Node::Cmp { op, left, right } => {
            let lt = check(left, schema, place, errors);
            let rt = check(right, schema, place, errors);
            match (&lt, &rt) {
                (Ty::Any, _) | (_, Ty::Any) => {}
                (Ty::Num, Ty::Num) => {}
                (Ty::Str, Ty::Str) | (Ty::Bool, Ty::Bool)
                    if matches!(op, CmpOp::Eq | CmpOp::Ne) =>
                {
                    check_option_literal(left, right, schema, place, errors);
                    check_option_literal(right, left, schema, place, errors);
                }
                (Ty::List, _) | (_, Ty::List) => errors.push(ExprError::new(
                    offset_of(left),
                    "a multiple-choice answer is tested with selected(${id}, 'option')",
                )),
                _ => errors.push(ExprError::new(
                    offset_of(left),
                    "these two sides cannot be compared (text is compared with = or != only)",
                )),
            }
            Ty::Bool
        }
        Node::In { item, list, .. } => {
            let t = check(item, schema, place, errors);
            if t == Ty::List {
                errors.push(ExprError::new(
                    offset_of(item),
                    "a multiple-choice answer is tested with selected(${id}, 'option')",
                ));
            }
            if let Some(name) = ref_name(item)
                && let Ok(RefKind::Choice(options)) = schema.reference(name, place)
            {
                for lit in list {
                    if let Value::Str(s) = &lit.value
                        && !options.contains(s)
                    {
                        errors.push(ExprError::new(
                            lit.offset,
                            format!(
                                "`{name}` has no option '{s}' (options: {})",
                                options.join(", ")
                            ),
                        ));
                    }
                }
            }
            Ty::Bool
        }
        Node::Arith { left, right, .. } => {
            expect_ty(
                left,
                Ty::Num,
                schema,
                place,
                errors,
                "arithmetic needs numbers",
            );
            expect_ty(
                right,
                Ty::Num,
                schema,
                place,
                errors,
                "arithmetic needs numbers",
            );
            Ty::Num
        }
        Node::Neg(inner) => {
            expect_ty(inner, Ty::Num, schema, place, errors, "`-` needs a number");
            Ty::Num
        }
        Node::Call { func, args, offset } => {
            check_call(*func, args, *offset, schema, place, errors)
        }
    }
}

fn ty_of(kind: &RefKind) -> Ty {
    match kind {
        RefKind::Choice(_) | RefKind::Text => Ty::Str,
        RefKind::Multi(_) => Ty::List,
        RefKind::Number { .. } => Ty::Num,
        RefKind::Bool => Ty::Bool,
    }
}

fn expect_ty(
    node: &Node,
    want: Ty,
    schema: &dyn Schema,
    place: Place,
    errors: &mut Vec<ExprError>,
    msg: &str,
) {
    let got = check(node, schema, place, errors);
    if got != want && got != Ty::Any {
        errors.push(ExprError::new(offset_of(node), msg));
    }
}

/// `${q} = 'x'`: the literal must be one of q's options.
fn check_option_literal(
    reference: &Node,
    literal: &Node,
    schema: &dyn Schema,
    place: Place,
    errors: &mut Vec<ExprError>,
) {
    if let (Some(name), Some(value)) = (ref_name(reference), lit_str(literal))
        && let Ok(RefKind::Choice(options)) = schema.reference(name, place)
        && !options.iter().any(|o| o == value)
    {
        errors.push(ExprError::new(
            offset_of(literal),
            format!(
                "`{name}` has no option '{value}' (options: {})",
                options.join(", ")
            ),
        ));
    }
}

fn check_call(
    func: Func,
    args: &[Node],
    offset: usize,
    schema: &dyn Schema,
    place: Place,
    errors: &mut Vec<ExprError>,
) -> Ty {
    let arity = match func {
        Func::Selected => 2,
        Func::CountSelected | Func::Answered | Func::Points | Func::Score | Func::Flag => 1,
        Func::Overall | Func::MinDimensionScore | Func::Level => 0,
    };
    if args.len() != arity {
        errors.push(ExprError::new(
            offset,
            format!("{}() takes {arity} argument(s)", func.name()),
        ));
        return Ty::Any;
    }
    let needs_scores = matches!(
        func,
        Func::Points | Func::Score | Func::Overall | Func::MinDimensionScore
    );
    let needs_rule = matches!(func, Func::Flag | Func::Level);
    if (needs_scores && place == Place::Relevance) || (needs_rule && place != Place::Rule) {
        errors.push(ExprError::new(
            offset,
            format!(
                "{}() cannot be used here: {}",
                func.name(),
                match place {
                    Place::Relevance =>
                        "relevance conditions may only look at answers and the profile",
                    _ => "flags and levels are known only after scoring; use it in roadmap rules",
                }
            ),
        ));
        return Ty::Any;
    }
    let id_arg = |i: usize, errors: &mut Vec<ExprError>| -> Option<String> {
        match args.get(i) {
            Some(Node::Lit(Lit {
                value: Value::Str(s),
                ..
            })) => Some(s.clone()),
            Some(other) => {
                errors.push(ExprError::new(
                    offset_of(other),
                    format!("{}() takes an id in quotes, e.g. '{}'", func.name(), "q1"),
                ));
                None
            }
            None => None,
        }
    };
    match func {
        Func::Selected | Func::CountSelected | Func::Answered => {
            let Some(Node::Ref {
                name,
                offset: ref_offset,
            }) = args.first()
            else {
                errors.push(ExprError::new(
                    offset,
                    format!("{}() takes a ${{reference}} first", func.name()),
                ));
                return Ty::Any;
            };
            match schema.reference(name, place) {
                Err(message) => errors.push(ExprError::new(*ref_offset, message)),
                Ok(kind) => {
                    if func == Func::Selected {
                        let options = match &kind {
                            RefKind::Multi(o) | RefKind::Choice(o) => Some(o),
                            _ => None,
                        };
                        match (options, args.get(1).and_then(lit_str)) {
                            (None, _) => errors.push(ExprError::new(
                                *ref_offset,
                                format!(
                                    "selected() needs a choice question; `{name}` has no options"
                                ),
                            )),
                            (Some(_), None) => errors.push(ExprError::new(
                                offset_of(&args[1]),
                                "selected() takes an option in quotes second",
                            )),
                            (Some(o), Some(v)) if !o.iter().any(|x| x == v) => {
                                errors.push(ExprError::new(
                                    offset_of(&args[1]),
                                    format!(
                                        "`{name}` has no option '{v}' (options: {})",
                                        o.join(", ")
                                    ),
                                ));
                            }
                            _ => {}
                        }
                    } else if func == Func::CountSelected && !matches!(kind, RefKind::Multi(_)) {
                        errors.push(ExprError::new(
                            *ref_offset,
                            "count_selected() needs a multiple-choice question",
                        ));
                    }
                }
            }
            if func == Func::CountSelected {
                Ty::Num
            } else {
                Ty::Bool
            }
        }
        Func::Points => {
            if let Some(q) = id_arg(0, errors)
                && schema.point_values(&q).is_none()
            {
                errors.push(ExprError::new(
                    offset_of(&args[0]),
                    format!("`{q}` is not a scored question"),
                ));
            }
            Ty::Num
        }
        Func::Score => {
            if let Some(d) = id_arg(0, errors)
                && !schema.has_dimension(&d)
            {
                errors.push(ExprError::new(
                    offset_of(&args[0]),
                    format!("unknown dimension `{d}`"),
                ));
            }
            Ty::Num
        }
        Func::Flag => {
            if let Some(b) = id_arg(0, errors)
                && !schema.has_barrier(&b)
            {
                errors.push(ExprError::new(
                    offset_of(&args[0]),
                    format!("unknown barrier `{b}`"),
                ));
            }
            Ty::Bool
        }
        Func::Overall | Func::MinDimensionScore | Func::Level => Ty::Num,
    }
}

#[cfg(test)]
mod tests {
    use super::Place;
    use crate::domain::expr::Expr;
    use crate::domain::expr::fixtures::TestSchema;

    fn errors(src: &str, place: Place) -> Vec<String> {
        Expr::parse(src)
            .expect("parses")
            .check(&TestSchema, place)
            .into_iter()
            .map(|e| e.message)
            .collect()
    }

    #[test]
    fn check_finds_unknown_ids_and_options() {
        assert_eq!(
            errors("${tarde} = 'none'", Place::Rule),
            vec!["unknown question or profile field `tarde`"]
        );
        assert!(errors("${trade} = 'nothing'", Place::Rule)[0].contains("has no option 'nothing'"));
        assert!(errors("${trade} in ['import', 'exprot']", Place::Rule)[0].contains("'exprot'"));
        assert!(errors("selected(${obstacles}, 'money')", Place::Rule)[0].contains("'money'"));
        assert!(errors("points('q9') > 1", Place::Rule)[0].contains("not a scored question"));
        assert!(errors("score('d9') > 1", Place::Rule)[0].contains("unknown dimension"));
        assert!(errors("flag('fear')", Place::Rule)[0].contains("unknown barrier"));
        assert!(errors("${obstacles} = 'cost'", Place::Rule)[0].contains("selected("));
        assert!(errors("${employees} + 1", Place::Rule)[0].contains("must be a condition"));
        assert!(errors("${trade} and true", Place::Rule)[0].contains("join conditions"));
    }

    #[test]
    fn check_enforces_what_each_place_may_use() {
        assert!(errors("score('d1') > 40", Place::Relevance)[0].contains("cannot be used here"));
        assert!(errors("flag('cost')", Place::Scoring)[0].contains("cannot be used here"));
        assert!(errors("${q1} = 'a'", Place::Relevance)[0].contains("scored"));
        assert!(errors("flag('cost') and level() >= 4", Place::Rule).is_empty());
    }
}
