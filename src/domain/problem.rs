//! A problem found while loading questionnaire or reference files, printed as
//! `file:line:col: message` so editors and CI logs can jump to it.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

/// Collects problems for one file and turns byte offsets into 1-based line and column
/// (columns count characters, so Vietnamese text before an error does not shift it).
pub struct Problems<'a> {
    file: &'a Path,
    source: &'a str,
    pub list: Vec<Problem>,
}

impl<'a> Problems<'a> {
    pub fn new(file: &'a Path, source: &'a str) -> Self {
        Problems {
            file,
            source,
            list: Vec::new(),
        }
    }

    pub fn at(&mut self, offset: usize, message: impl Into<String>) {
        let (line, col) = line_col(self.source, offset);
        self.list.push(Problem {
            file: self.file.to_path_buf(),
            line,
            col,
            message: message.into(),
        });
    }

    pub fn at_line(&mut self, line: usize, message: impl Into<String>) {
        self.list.push(Problem {
            file: self.file.to_path_buf(),
            line,
            col: 1,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..offset].chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::line_col;

    #[test]
    fn counts_lines_and_characters() {
        let src = "a = 1\ntiêu đề = 'x'\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        let x = src.find('x').unwrap();
        assert_eq!(line_col(src, x), (2, 12));
        assert_eq!(line_col(src, 10_000), (3, 1));
    }
}
