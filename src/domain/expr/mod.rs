//! The small expression language used for relevance conditions, level gates, barrier inference
//! and roadmap rules. It is parsed once at load time, checked against the questionnaire (every
//! reference resolves, option literals exist, functions fit the place they are used), and
//! evaluated without loops or user code, so evaluation cost is bounded by the expression's size.
//!
//! ```text
//! expr  := or
//! or    := and ("or" and)*
//! and   := not ("and" not)*
//! not   := "not" not | cmp
//! cmp   := add (("=" | "==" | "!=" | "<" | "<=" | ">" | ">=") add | "not"? "in" list)?
//! add   := mul (("+" | "-") mul)*
//! mul   := unary (("*" | "/") unary)*
//! unary := "-" unary | atom
//! atom  := number | 'string' | true | false | ${id} | call | "(" expr ")"
//! call  := selected(${q}, 'option') | count_selected(${q}) | answered(${q})
//!        | points('question') | score('dimension') | overall() | min_dimension_score()
//!        | flag('barrier') | level()
//! list  := "[" (literal ("," literal)*)? "]"
//! ```
//!
//! Null rule, defined once: an unanswered or irrelevant reference is null; every comparison
//! with null is false (including `!=`), `null in [...]` is false, arithmetic with null is null,
//! and a null condition counts as false.

mod ast;
mod check;
mod eval;
#[cfg(test)]
mod fixtures;
mod lexer;
mod mentions;
mod parser;
mod satisfy;

use std::fmt;

pub use ast::{ArithOp, CmpOp, Func, Lit, Value};
pub use check::{Place, RefKind, Schema};
pub use eval::Env;
pub use mentions::Mention;

use ast::Node;
use check::Ty;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    root: Node,
    source: String,
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// A problem in an expression, at a byte offset of its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub offset: usize,
    pub message: String,
}

impl ExprError {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        ExprError {
            offset,
            message: message.into(),
        }
    }
}

impl Expr {
    /// Parses an expression; errors carry the byte offset in `src`.
    pub fn parse(src: &str) -> Result<Expr, ExprError> {
        Ok(Expr {
            root: parser::parse(src)?,
            source: src.to_string(),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates to a value; the null rule is described in the module docs.
    pub fn eval(&self, env: &dyn Env) -> Value {
        eval::eval(&self.root, env)
    }

    /// Evaluates as a condition: anything but `true` (including null) is false.
    pub fn holds(&self, env: &dyn Env) -> bool {
        self.eval(env).truthy()
    }

    /// What the expression looks at, in source order without repeats: used to explain
    /// why a roadmap rule fired.
    pub fn mentions(&self) -> Vec<Mention> {
        let mut out = Vec::new();
        mentions::mentions(&self.root, &mut out);
        out
    }

    /// Checks the expression against a questionnaire; returns every problem found.
    pub fn check(&self, schema: &dyn Schema, place: Place) -> Vec<ExprError> {
        let mut errors = Vec::new();
        let ty = check::check(&self.root, schema, place, &mut errors);
        if errors.is_empty() && !matches!(ty, Ty::Bool | Ty::Any) {
            errors.push(ExprError::new(
                0,
                "this must be a condition (true or false), not a value",
            ));
        }
        errors
    }

    /// False only when no answers at all can make the condition true (a rule that can never
    /// fire, a gate that can never pass). Sound but not complete: it treats each comparison
    /// independently, so it never calls a satisfiable condition impossible.
    pub fn can_hold(&self, schema: &dyn Schema) -> bool {
        satisfy::possible(&self.root, schema).may_true
    }
}
