//! Tokens to a syntax tree, by recursive descent along the grammar in the module docs.

use super::ExprError;
use super::ast::{ArithOp, CmpOp, Func, Lit, Node, Value};
use super::lexer::{Tok, lex};

/// Parses a whole expression; errors carry the byte offset in `src`.
pub(super) fn parse(src: &str) -> Result<Node, ExprError> {
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
    Ok(root)
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
                (Tok::Comma, _) => {}
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

#[cfg(test)]
mod tests {
    use crate::domain::expr::Expr;

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
}
