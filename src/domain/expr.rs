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

use std::fmt;

/// A runtime value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<String>),
}

impl Value {
    pub fn truthy(&self) -> bool {
        matches!(self, Value::Bool(true))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Selected,
    CountSelected,
    Answered,
    Points,
    Score,
    Overall,
    MinDimensionScore,
    Flag,
    Level,
}

impl Func {
    fn parse(name: &str) -> Option<Func> {
        Some(match name {
            "selected" => Func::Selected,
            "count_selected" => Func::CountSelected,
            "answered" => Func::Answered,
            "points" => Func::Points,
            "score" => Func::Score,
            "overall" => Func::Overall,
            "min_dimension_score" => Func::MinDimensionScore,
            "flag" => Func::Flag,
            "level" => Func::Level,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Func::Selected => "selected",
            Func::CountSelected => "count_selected",
            Func::Answered => "answered",
            Func::Points => "points",
            Func::Score => "score",
            Func::Overall => "overall",
            Func::MinDimensionScore => "min_dimension_score",
            Func::Flag => "flag",
            Func::Level => "level",
        }
    }
}

/// A literal or an id argument with its byte offset in the source, for error positions.
#[derive(Debug, Clone, PartialEq)]
pub struct Lit {
    pub value: Value,
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Lit(Lit),
    Ref {
        name: String,
        offset: usize,
    },
    Call {
        func: Func,
        args: Vec<Node>,
        offset: usize,
    },
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Cmp {
        op: CmpOp,
        left: Box<Node>,
        right: Box<Node>,
    },
    In {
        item: Box<Node>,
        list: Vec<Lit>,
        negated: bool,
    },
    Arith {
        op: ArithOp,
        left: Box<Node>,
        right: Box<Node>,
    },
    Neg(Box<Node>),
}

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

// ---------------------------------------------------------------------------------------------
// Lexing and parsing

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ref(String),
    Ident(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Op(&'static str),
    End,
}

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, ExprError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => out.push((Tok::LParen, start)),
            b')' => out.push((Tok::RParen, start)),
            b'[' => out.push((Tok::LBracket, start)),
            b']' => out.push((Tok::RBracket, start)),
            b',' => out.push((Tok::Comma, start)),
            b'+' => out.push((Tok::Op("+"), start)),
            b'-' => out.push((Tok::Op("-"), start)),
            b'*' => out.push((Tok::Op("*"), start)),
            b'/' => out.push((Tok::Op("/"), start)),
            b'=' => {
                if bytes.get(i + 1) == Some(&b'=') {
                    i += 1;
                }
                out.push((Tok::Op("="), start));
            }
            b'!' if bytes.get(i + 1) == Some(&b'=') => {
                i += 1;
                out.push((Tok::Op("!="), start));
            }
            b'<' | b'>' => {
                let eq = bytes.get(i + 1) == Some(&b'=');
                let op = match (c, eq) {
                    (b'<', true) => "<=",
                    (b'<', false) => "<",
                    (_, true) => ">=",
                    (_, false) => ">",
                };
                if eq {
                    i += 1;
                }
                out.push((Tok::Op(op), start));
            }
            b'\'' => {
                let rest = &src[i + 1..];
                let Some(end) = rest.find('\'') else {
                    return Err(ExprError::new(
                        start,
                        "unterminated string: add the closing '",
                    ));
                };
                out.push((Tok::Str(rest[..end].to_string()), start));
                i += end + 1;
            }
            b'$' => {
                if bytes.get(i + 1) != Some(&b'{') {
                    return Err(ExprError::new(start, "a reference is written ${id}"));
                }
                let rest = &src[i + 2..];
                let Some(end) = rest.find('}') else {
                    return Err(ExprError::new(
                        start,
                        "unterminated reference: add the closing }",
                    ));
                };
                let name = rest[..end].trim();
                if !is_ident(name) {
                    return Err(ExprError::new(start, format!("`{name}` is not a valid id")));
                }
                out.push((Tok::Ref(name.to_string()), start));
                i += end + 2;
            }
            b'0'..=b'9' | b'.' => {
                let mut j = i;
                while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b'.') {
                    j += 1;
                }
                let text = &src[i..j];
                let n: f64 = text
                    .parse()
                    .map_err(|_| ExprError::new(start, format!("`{text}` is not a number")))?;
                out.push((Tok::Num(n), start));
                i = j - 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let mut j = i;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
                out.push((Tok::Ident(src[i..j].to_string()), start));
                i = j - 1;
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(ExprError::new(
                    start,
                    format!("unexpected character `{ch}`"),
                ));
            }
        }
        i += 1;
    }
    out.push((Tok::End, src.len()));
    Ok(out)
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Nesting limit: keeps a hostile or broken file from overflowing the stack.
const MAX_DEPTH: usize = 64;

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn offset(&self) -> usize {
        self.toks[self.pos].1
    }

    fn next(&mut self) -> (Tok, usize) {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Ident(w) if w == word)
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<(), ExprError> {
        if *self.peek() == tok {
            self.next();
            Ok(())
        } else {
            Err(ExprError::new(self.offset(), format!("expected {what}")))
        }
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::new(
                self.offset(),
                "expression is nested too deeply",
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Node, ExprError> {
        self.enter()?;
        let mut items = vec![self.and()?];
        while self.is_word("or") {
            self.next();
            items.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Node::Or(vec![]))
        } else {
            Node::Or(items)
        })
    }

    fn and(&mut self) -> Result<Node, ExprError> {
        let mut items = vec![self.not()?];
        while self.is_word("and") {
            self.next();
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Node::And(vec![]))
        } else {
            Node::And(items)
        })
    }

    fn not(&mut self) -> Result<Node, ExprError> {
        if self.is_word("not") {
            self.next();
            self.enter()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Node::Not(Box::new(inner)));
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Result<Node, ExprError> {
        let left = self.add()?;
        let op = match self.peek() {
            Tok::Op("=") => Some(CmpOp::Eq),
            Tok::Op("!=") => Some(CmpOp::Ne),
            Tok::Op("<") => Some(CmpOp::Lt),
            Tok::Op("<=") => Some(CmpOp::Le),
            Tok::Op(">") => Some(CmpOp::Gt),
            Tok::Op(">=") => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.next();
            let right = self.add()?;
            return Ok(Node::Cmp {
                op,
                left: Box::new(left),
                right: Box::new(right),
            });
        }
        let negated = self.is_word("not");
        if negated {
            // `x not in [...]`; a bare `not` here is an error reported by the `in` check below.
            self.next();
        }
        if self.is_word("in") {
            self.next();
            let list = self.list()?;
            return Ok(Node::In {
                item: Box::new(left),
                list,
                negated,
            });
        }
        if negated {
            return Err(ExprError::new(self.offset(), "expected `in` after `not`"));
        }
        Ok(left)
    }

    fn list(&mut self) -> Result<Vec<Lit>, ExprError> {
        self.expect(Tok::LBracket, "`[` to start a list")?;
        let mut items = Vec::new();
        if *self.peek() == Tok::RBracket {
            self.next();
            return Ok(items);
        }
        loop {
            let (tok, offset) = self.next();
            let value = match tok {
                Tok::Num(n) => Value::Num(n),
                Tok::Str(s) => Value::Str(s),
                Tok::Ident(w) if w == "true" => Value::Bool(true),
                Tok::Ident(w) if w == "false" => Value::Bool(false),
                _ => {
                    return Err(ExprError::new(
                        offset,
                        "a list holds only numbers, 'strings', true or false",
                    ));
                }
            };
            items.push(Lit { value, offset });
            match self.next() {
                (Tok::Comma, _) => continue,
                (Tok::RBracket, _) => break,
                (_, offset) => {
                    return Err(ExprError::new(offset, "expected `,` or `]` in the list"));
                }
            }
        }
        Ok(items)
    }

    fn add(&mut self) -> Result<Node, ExprError> {
        let mut left = self.mul()?;
        loop {
            let op = match self.peek() {
                Tok::Op("+") => ArithOp::Add,
                Tok::Op("-") => ArithOp::Sub,
                _ => return Ok(left),
            };
            self.next();
            let right = self.mul()?;
            left = Node::Arith {
                op,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
    }

    fn mul(&mut self) -> Result<Node, ExprError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Op("*") => ArithOp::Mul,
                Tok::Op("/") => ArithOp::Div,
                _ => return Ok(left),
            };
            self.next();
            let right = self.unary()?;
            left = Node::Arith {
                op,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
    }

    fn unary(&mut self) -> Result<Node, ExprError> {
        if *self.peek() == Tok::Op("-") {
            self.next();
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Node::Neg(Box::new(inner)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Node, ExprError> {
        let (tok, offset) = self.next();
        match tok {
            Tok::Num(n) => Ok(Node::Lit(Lit {
                value: Value::Num(n),
                offset,
            })),
            Tok::Str(s) => Ok(Node::Lit(Lit {
                value: Value::Str(s),
                offset,
            })),
            Tok::Ref(name) => Ok(Node::Ref { name, offset }),
            Tok::LParen => {
                let inner = self.or()?;
                self.expect(Tok::RParen, "`)`")?;
                Ok(inner)
            }
            Tok::Ident(word) => match word.as_str() {
                "true" => Ok(Node::Lit(Lit {
                    value: Value::Bool(true),
                    offset,
                })),
                "false" => Ok(Node::Lit(Lit {
                    value: Value::Bool(false),
                    offset,
                })),
                _ => {
                    let Some(func) = Func::parse(&word) else {
                        return Err(ExprError::new(
                            offset,
                            format!(
                                "unknown word `{word}` (refer to answers as ${{id}}, text as 'text')"
                            ),
                        ));
                    };
                    self.expect(Tok::LParen, &format!("`(` after {word}"))?;
                    let mut args = Vec::new();
                    if *self.peek() != Tok::RParen {
                        loop {
                            args.push(self.or()?);
                            if *self.peek() == Tok::Comma {
                                self.next();
                            } else {
                                break;
                            }
                        }
                    }
                    self.expect(Tok::RParen, "`)` to close the call")?;
                    Ok(Node::Call { func, args, offset })
                }
            },
            Tok::End => Err(ExprError::new(offset, "the expression ends too early")),
            _ => Err(ExprError::new(
                offset,
                "expected a value, a ${reference} or a function call",
            )),
        }
    }
}

impl Expr {
    /// Parses an expression; errors carry the byte offset in `src`.
    pub fn parse(src: &str) -> Result<Expr, ExprError> {
        let toks = lex(src)?;
        let mut parser = Parser {
            toks,
            pos: 0,
            depth: 0,
        };
        let root = parser.or()?;
        if *parser.peek() != Tok::End {
            return Err(ExprError::new(
                parser.offset(),
                "unexpected text after the end of the expression",
            ));
        }
        Ok(Expr {
            root,
            source: src.to_string(),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates to a value; the null rule is described in the module docs.
    pub fn eval(&self, env: &dyn Env) -> Value {
        eval(&self.root, env)
    }

    /// Evaluates as a condition: anything but `true` (including null) is false.
    pub fn holds(&self, env: &dyn Env) -> bool {
        self.eval(env).truthy()
    }

    /// What the expression looks at, in source order without repeats: used to explain
    /// why a roadmap rule fired.
    pub fn mentions(&self) -> Vec<Mention> {
        let mut out = Vec::new();
        mentions(&self.root, &mut out);
        out
    }

    /// Checks the expression against a questionnaire; returns every problem found.
    pub fn check(&self, schema: &dyn Schema, place: Place) -> Vec<ExprError> {
        let mut errors = Vec::new();
        let ty = check(&self.root, schema, place, &mut errors);
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
        possible(&self.root, schema).may_true
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

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

fn lit_str(node: &Node) -> Option<&str> {
    match node {
        Node::Lit(Lit {
            value: Value::Str(s),
            ..
        }) => Some(s),
        _ => None,
    }
}

fn ref_name(node: &Node) -> Option<&str> {
    match node {
        Node::Ref { name, .. } => Some(name),
        _ => None,
    }
}

fn eval(node: &Node, env: &dyn Env) -> Value {
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

fn compare(op: CmpOp, a: &Value, b: &Value) -> bool {
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

// ---------------------------------------------------------------------------------------------
// Mentions (for "why was this chosen")

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

fn mentions(node: &Node, out: &mut Vec<Mention>) {
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

// ---------------------------------------------------------------------------------------------
// Checking

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
enum Ty {
    Bool,
    Num,
    Str,
    List,
    /// Unknown after an error; suppresses follow-on errors.
    Any,
}

fn offset_of(node: &Node) -> usize {
    match node {
        Node::Lit(l) => l.offset,
        Node::Ref { offset, .. } | Node::Call { offset, .. } => *offset,
        Node::Not(n) | Node::Neg(n) => offset_of(n),
        Node::And(items) | Node::Or(items) => items.first().map_or(0, offset_of),
        Node::Cmp { left, .. } | Node::Arith { left, .. } => offset_of(left),
        Node::In { item, .. } => offset_of(item),
    }
}

fn check(node: &Node, schema: &dyn Schema, place: Place, errors: &mut Vec<ExprError>) -> Ty {
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
                                ))
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

// ---------------------------------------------------------------------------------------------
// Satisfiability (abstract evaluation)

#[derive(Debug, Clone, Copy)]
struct Possible {
    may_true: bool,
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

fn possible(node: &Node, schema: &dyn Schema) -> Possible {
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
    use super::*;
    use std::collections::HashMap;

    struct TestSchema;

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
    struct TestEnv {
        values: HashMap<&'static str, Value>,
        points: HashMap<&'static str, f64>,
        scores: HashMap<&'static str, f64>,
        flags: Vec<&'static str>,
        level: Option<u8>,
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

    fn holds(src: &str, env: &TestEnv) -> bool {
        Expr::parse(src).expect("parses").holds(env)
    }

    fn errors(src: &str, place: Place) -> Vec<String> {
        Expr::parse(src)
            .expect("parses")
            .check(&TestSchema, place)
            .into_iter()
            .map(|e| e.message)
            .collect()
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

    #[test]
    fn parse_errors_point_at_the_problem() {
        let err = Expr::parse("${trade} = 'none").unwrap_err();
        assert_eq!(err.offset, 11);
        let err = Expr::parse("points('q1') >").unwrap_err();
        assert_eq!(err.offset, 14);
        assert!(
            Expr::parse("foo(1)")
                .unwrap_err()
                .message
                .contains("unknown word `foo`")
        );
        assert!(Expr::parse("1 2").is_err());
        assert!(Expr::parse("$trade").is_err());
        let deep = format!("{}true{}", "(".repeat(200), ")".repeat(200));
        assert!(
            Expr::parse(&deep)
                .unwrap_err()
                .message
                .contains("nested too deeply")
        );
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
