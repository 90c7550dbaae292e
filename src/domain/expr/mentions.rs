//! What an expression looks at, for "why was this chosen".

use super::ast::{Func, Node, lit_str, ref_name};

/// Something an expression looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mention {
    /// A question or profile field, by `${id}` or `points('id')`.
    Answer(String),
    Dimension(String),
    Barrier(String),
    Level,
    Overall,
}

pub(super) fn mentions(node: &Node, out: &mut Vec<Mention>) {
    let mut push = |m: Mention| {
        if !out.contains(&m) {
            out.push(m);
        }
    };
    match node {
        Node::Lit(_) => {}
        Node::Ref { name, .. } => push(Mention::Answer(name.clone())),
        Node::Call { func, args, .. } => {
            let first = args
                .first()
                .and_then(|a| lit_str(a).or_else(|| ref_name(a)))
                .map(str::to_string);
            match (func, first) {
                (Func::Points, Some(q)) => push(Mention::Answer(q)),
                (Func::Score, Some(d)) => push(Mention::Dimension(d)),
                (Func::Flag, Some(b)) => push(Mention::Barrier(b)),
                (Func::Level, _) => push(Mention::Level),
                (Func::Overall | Func::MinDimensionScore, _) => push(Mention::Overall),
                _ => {
                    for a in args {
                        mentions(a, out);
                    }
                }
            }
        }
        Node::Not(inner) | Node::Neg(inner) => mentions(inner, out),
        Node::And(items) | Node::Or(items) => items.iter().for_each(|n| mentions(n, out)),
        Node::Cmp { left, right, .. } | Node::Arith { left, right, .. } => {
            mentions(left, out);
            mentions(right, out);
        }
        Node::In { item, .. } => mentions(item, out),
    }
}

#[cfg(test)]
mod tests {
    use super::Mention;
    use crate::domain::expr::Expr;

    #[test]
    fn mentions_list_what_the_rule_looks_at() {
        let e = Expr::parse(
            "points('q1') <= 1 and flag('cost') or score('d1') < 40 and ${trade} != 'none'",
        )
        .unwrap();
        assert_eq!(
            e.mentions(),
            vec![
                Mention::Answer("q1".into()),
                Mention::Barrier("cost".into()),
                Mention::Dimension("d1".into()),
                Mention::Answer("trade".into())
            ]
        );
    }
}
