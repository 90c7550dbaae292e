//! Satisfiability by abstract evaluation: can any answers make a condition true?

use super::ast::{CmpOp, Func, Lit, Node, Value, lit_str};
use super::check::{Place, RefKind, Schema};
use super::eval::compare;

#[derive(Debug, Clone, Copy)]
pub(super) struct Possible {
    pub(super) may_true: bool,
    may_false: bool,
}

const UNKNOWN: Possible = Possible {
    may_true: true,
    may_false: true,
};

/// The values a numeric operand can take, as a finite set or a closed interval (plus null).
enum Domain {
    Finite(Vec<f64>),
    Range(f64, f64),
}

fn numeric_domain(node: &Node, schema: &dyn Schema) -> Option<Domain> {
    match node {
        Node::Call {
            func: Func::Points,
            args,
            ..
        } => {
            let q = args.first().and_then(lit_str)?;
            schema.point_values(q).map(Domain::Finite)
        }
        Node::Call {
            func: Func::Score | Func::Overall | Func::MinDimensionScore,
            ..
        } => Some(Domain::Range(0.0, 100.0)),
        Node::Call {
            func: Func::Level, ..
        } => Some(Domain::Finite(
            schema.levels().into_iter().map(f64::from).collect(),
        )),
        Node::Ref { name, .. } => match schema.reference(name, Place::Rule).ok()? {
            RefKind::Number { min, max } => Some(Domain::Range(
                min.unwrap_or(f64::MIN),
                max.unwrap_or(f64::MAX),
            )),
            _ => None,
        },
        _ => None,
    }
}

fn lit_num(node: &Node) -> Option<f64> {
    match node {
        Node::Lit(Lit {
            value: Value::Num(n),
            ..
        }) => Some(*n),
        Node::Neg(inner) => lit_num(inner).map(|n| -n),
        _ => None,
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

pub(super) fn possible(node: &Node, schema: &dyn Schema) -> Possible {
    match node {
        Node::Lit(Lit {
            value: Value::Bool(b),
            ..
        }) => Possible {
            may_true: *b,
            may_false: !*b,
        },
        Node::Not(inner) => {
            let p = possible(inner, schema);
            Possible {
                may_true: p.may_false,
                may_false: p.may_true,
            }
        }
        Node::And(items) => {
            let ps: Vec<_> = items.iter().map(|n| possible(n, schema)).collect();
            Possible {
                may_true: ps.iter().all(|p| p.may_true),
                may_false: ps.iter().any(|p| p.may_false),
            }
        }
        Node::Or(items) => {
            let ps: Vec<_> = items.iter().map(|n| possible(n, schema)).collect();
            Possible {
                may_true: ps.iter().any(|p| p.may_true),
                may_false: ps.iter().all(|p| p.may_false),
            }
        }
        Node::Cmp { op, left, right } => {
            let (domain, op, c) = match (numeric_domain(left, schema), lit_num(right)) {
                (Some(d), Some(c)) => (d, *op, c),
                _ => match (lit_num(left), numeric_domain(right, schema)) {
                    (Some(c), Some(d)) => (d, flip(*op), c),
                    _ => return UNKNOWN,
                },
            };
            let candidates = match domain {
                Domain::Finite(values) => values,
                Domain::Range(lo, hi) => [lo, hi, c, c - 1e-9, c + 1e-9]
                    .into_iter()
                    .filter(|v| *v >= lo && *v <= hi)
                    .collect(),
            };
            let may_true = candidates
                .iter()
                .any(|v| compare(op, &Value::Num(*v), &Value::Num(c)));
            // Null (unanswered, N/A) always makes a comparison false.
            Possible {
                may_true,
                may_false: true,
            }
        }
        _ => UNKNOWN,
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::expr::Expr;
    use crate::domain::expr::fixtures::TestSchema;

    #[test]
    fn impossible_conditions_are_found() {
        let can = |src: &str| Expr::parse(src).unwrap().can_hold(&TestSchema);
        assert!(!can("points('q1') > 4"));
        assert!(!can("points('q1') = 3"));
        assert!(can("points('q1') <= 1"));
        assert!(!can("score('d1') > 100"));
        assert!(can("score('d1') >= 100"));
        assert!(!can("level() >= 6"));
        assert!(!can("false"));
        assert!(!can("true and points('q1') < 0"));
        assert!(can("points('q1') < 0 or flag('cost')"));
        assert!(!can("${employees} > 5000"));
        assert!(can("not (points('q1') > 4)"));
    }
}
