//! The syntax tree and the values it evaluates to.

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
    pub(super) fn parse(name: &str) -> Option<Func> {
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

    pub(super) fn name(self) -> &'static str {
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
/// The syntax tree. Private: callers hold an `Expr`, so the tree can change freely.
pub(super) enum Node {
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

pub(super) fn lit_str(node: &Node) -> Option<&str> {
    match node {
        Node::Lit(Lit {
            value: Value::Str(s),
            ..
        }) => Some(s),
        _ => None,
    }
}

pub(super) fn ref_name(node: &Node) -> Option<&str> {
    match node {
        Node::Ref { name, .. } => Some(name),
        _ => None,
    }
}

/// Where a node starts in the source, for error positions.
pub(super) fn offset_of(node: &Node) -> usize {
    match node {
        Node::Lit(l) => l.offset,
        Node::Ref { offset, .. } | Node::Call { offset, .. } => *offset,
        Node::Not(n) | Node::Neg(n) => offset_of(n),
        Node::And(items) | Node::Or(items) => items.first().map_or(0, offset_of),
        Node::Cmp { left, .. } | Node::Arith { left, .. } => offset_of(left),
        Node::In { item, .. } => offset_of(item),
    }
}
