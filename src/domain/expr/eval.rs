//! Evaluation under the null rule described in the module docs.

use super::ast::{ArithOp, CmpOp, Func, Node, Value, lit_str, ref_name};

/// What an expression can read while it is evaluated.
pub trait Env {
    /// The value of a question or profile field; null when unanswered or not relevant.
    fn value(&self, name: &str) -> Value;
    /// Points earned on a scored question; None when unanswered, N/A or not relevant.
    fn points(&self, _question: &str) -> Option<f64> {
        None
    }
    fn score(&self, _dimension: &str) -> Option<f64> {
        None
    }
    fn overall(&self) -> Option<f64> {
        None
    }
    fn min_dimension_score(&self) -> Option<f64> {
        None
    }
    fn flag(&self, _barrier: &str) -> bool {
        false
    }
    fn level(&self) -> Option<u8> {
        None
    }
}

fn num(v: Option<f64>) -> Value {
    v.map_or(Value::Null, Value::Num)
}

pub(super) fn eval(node: &Node, env: &dyn Env) -> Value {
    match node {
        Node::Lit(l) => l.value.clone(),
        Node::Ref { name, .. } => env.value(name),
        Node::Not(inner) => match eval(inner, env) {
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Bool(true),
        },
        Node::And(items) => Value::Bool(items.iter().all(|n| eval(n, env).truthy())),
        Node::Or(items) => Value::Bool(items.iter().any(|n| eval(n, env).truthy())),
        Node::Cmp { op, left, right } => {
            Value::Bool(compare(*op, &eval(left, env), &eval(right, env)))
        }
        Node::In {
            item,
            list,
            negated,
        } => {
            let v = eval(item, env);
            if v == Value::Null {
                return Value::Bool(false);
            }
            let found = list.iter().any(|l| compare(CmpOp::Eq, &v, &l.value));
            Value::Bool(found != *negated)
        }
        Node::Arith { op, left, right } => match (eval(left, env), eval(right, env)) {
            (Value::Num(a), Value::Num(b)) => match op {
                ArithOp::Add => Value::Num(a + b),
                ArithOp::Sub => Value::Num(a - b),
                ArithOp::Mul => Value::Num(a * b),
                ArithOp::Div if b == 0.0 => Value::Null,
                ArithOp::Div => Value::Num(a / b),
            },
            _ => Value::Null,
        },
        Node::Neg(inner) => match eval(inner, env) {
            Value::Num(n) => Value::Num(-n),
            _ => Value::Null,
        },
        Node::Call { func, args, .. } => {
            let arg_str = |i: usize| args.get(i).and_then(|a| lit_str(a).or_else(|| ref_name(a)));
            match func {
                Func::Selected => {
                    let v = args.first().map_or(Value::Null, |a| eval(a, env));
                    let opt = args.get(1).and_then(lit_str);
                    match (v, opt) {
                        (Value::List(items), Some(o)) => Value::Bool(items.iter().any(|i| i == o)),
                        (Value::Str(s), Some(o)) => Value::Bool(s == o),
                        _ => Value::Bool(false),
                    }
                }
                Func::CountSelected => match args.first().map(|a| eval(a, env)) {
                    Some(Value::List(items)) => Value::Num(items.len() as f64),
                    Some(Value::Str(_)) => Value::Num(1.0),
                    _ => Value::Num(0.0),
                },
                Func::Answered => {
                    let v = args.first().map_or(Value::Null, |a| eval(a, env));
                    Value::Bool(!matches!(v, Value::Null) && v != Value::List(vec![]))
                }
                Func::Points => num(arg_str(0).and_then(|q| env.points(q))),
                Func::Score => num(arg_str(0).and_then(|d| env.score(d))),
                Func::Overall => num(env.overall()),
                Func::MinDimensionScore => num(env.min_dimension_score()),
                Func::Flag => Value::Bool(arg_str(0).is_some_and(|b| env.flag(b))),
                Func::Level => num(env.level().map(f64::from)),
            }
        }
    }
}

pub(super) fn compare(op: CmpOp, a: &Value, b: &Value) -> bool {
    use std::cmp::Ordering;
    let ord = match (a, b) {
        (Value::Null, _) | (_, Value::Null) => return false,
        (Value::Num(x), Value::Num(y)) => x.partial_cmp(y),
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    };
    let Some(ord) = ord else { return false };
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    }
}

#[cfg(test)]
mod tests {
    use super::Value;
    use crate::domain::expr::Expr;
    use crate::domain::expr::fixtures::TestEnv;

    fn holds(src: &str, env: &TestEnv) -> bool {
        Expr::parse(src).expect("parses").holds(env)
    }

    #[test]
    fn comparisons_and_logic() {
        let mut env = TestEnv::default();
        env.values.insert("trade", Value::Str("export".into()));
        env.values.insert("employees", Value::Num(12.0));
        assert!(holds("${trade} != 'none'", &env));
        assert!(holds("${trade} in ['import', 'export', 'both']", &env));
        assert!(!holds("${trade} not in ['import', 'export']", &env));
        assert!(holds("${employees} >= 10 and ${employees} < 50", &env));
        assert!(holds("not (${employees} > 100) or false", &env));
        assert!(holds("${employees} * 2 + 1 = 25", &env));
        assert!(holds("-${employees} < 0", &env));
    }

    #[test]
    fn null_makes_every_comparison_false() {
        let env = TestEnv::default();
        assert!(!holds("${trade} = 'none'", &env));
        assert!(!holds("${trade} != 'none'", &env));
        assert!(!holds("${trade} in ['none']", &env));
        assert!(!holds("${trade} not in ['none']", &env));
        assert!(!holds("${employees} + 1 > 0", &env));
        assert!(!holds("points('q1') <= 1", &env));
        assert!(holds("not answered(${trade})", &env));
        assert!(!holds("${employees} / 0 = 1", &env));
    }

    #[test]
    fn functions_read_the_environment() {
        let mut env = TestEnv::default();
        env.values
            .insert("obstacles", Value::List(vec!["cost".into()]));
        env.points.insert("q1", 2.0);
        env.scores.insert("d1", 35.0);
        env.flags.push("cost");
        env.level = Some(4);
        assert!(holds("selected(${obstacles}, 'cost')", &env));
        assert!(!holds("selected(${obstacles}, 'staff')", &env));
        assert!(holds("count_selected(${obstacles}) = 1", &env));
        assert!(holds("points('q1') = 2 and score('d1') < 40", &env));
        assert!(holds("flag('cost') and level() >= 4", &env));
    }
}
