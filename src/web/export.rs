//! Tables as files: CSV and Excel, with every cell safe to open in a spreadsheet (contract): text
//! that a spreadsheet would run as a formula is neutralised, an `.xlsx` holds values only, and a
//! figure withheld under the privacy rule is an empty cell explained by a note.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// Withheld: drawn from fewer than five firms.
    Suppressed,
    Empty,
}

/// A table with a title, its column headings and rows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A file: lines about what it holds (the filters, the privacy note), then tables.
#[derive(Debug, Clone, Default)]
pub struct Workbook {
    pub notes: Vec<(String, String)>,
    pub tables: Vec<Table>,
}

/// Text as a spreadsheet will take it: a leading `=`, `+`, `-`, `@`, tab or carriage return
/// would start a formula, so such text gets a leading apostrophe, which spreadsheets show as text.
pub fn safe_text(text: &str) -> String {
    let clean: String = text.chars().filter(|c| *c != '\0').collect();
    match clean.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{clean}"),
        _ => clean,
    }
}

impl Cell {
    fn as_csv(&self) -> String {
        match self {
            Cell::Text(t) => safe_text(t),
            Cell::Number(n) => format!("{n}"),
            Cell::Suppressed | Cell::Empty => String::new(),
        }
    }
}

/// CSV rows of one table (used for the whole file and for streamed exports).
pub fn csv_record(cells: &[Cell]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(cells.iter().map(Cell::as_csv));
    w.into_inner().unwrap_or_default()
}

/// The header row of a CSV file, every name made safe.
pub fn csv_header(columns: &[&str]) -> Vec<u8> {
    let cells: Vec<Cell> = columns
        .iter()
        .map(|c| Cell::Text((*c).to_string()))
        .collect();
    csv_record(&cells)
}

impl Workbook {
    pub fn to_csv(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // A BOM so that Excel opens the UTF-8 (Vietnamese) text correctly.
        out.extend_from_slice("\u{feff}".as_bytes());
        for (k, v) in &self.notes {
            out.extend(csv_record(&[Cell::Text(k.clone()), Cell::Text(v.clone())]));
        }
        for table in &self.tables {
            out.extend(csv_record(&[]));
            out.extend(csv_record(&[Cell::Text(table.title.clone())]));
            let header: Vec<Cell> = table
                .columns
                .iter()
                .map(|c| Cell::Text(c.clone()))
                .collect();
            out.extend(csv_record(&header));
            for row in &table.rows {
                out.extend(csv_record(row));
            }
        }
        out
    }

    /// One sheet: the notes, then each table under its title. Values only, never formulas.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        let mut r: u32 = 0;
        for (k, v) in &self.notes {
            sheet.write_string_with_format(r, 0, k, &bold)?;
            sheet.write_string(r, 1, v)?;
            r += 1;
        }
        for table in &self.tables {
            r += 1;
            sheet.write_string_with_format(r, 0, &table.title, &bold)?;
            r += 1;
            for (c, name) in table.columns.iter().enumerate() {
                sheet.write_string_with_format(r, col(c), name, &bold)?;
            }
            r += 1;
            for row in &table.rows {
                for (c, cell) in row.iter().enumerate() {
                    match cell {
                        // write_string stores text as text, even when it starts with `=`.
                        Cell::Text(t) => drop(sheet.write_string(r, col(c), safe_text(t))?),
                        Cell::Number(n) => drop(sheet.write_number(r, col(c), *n)?),
                        Cell::Suppressed | Cell::Empty => {}
                    }
                }
                r += 1;
            }
        }
        book.save_to_buffer()
    }
}

fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// A download: the content type and a file name.
pub fn attachment(content_type: &'static str, file_name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

pub const CSV: &str = "text/csv; charset=utf-8";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_would_run_as_a_formula_is_neutralised() {
        for bad in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(safe_text(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(safe_text("Hải Phòng"), "Hải Phòng");
        assert_eq!(safe_text("a=b"), "a=b");
    }

    #[test]
    fn a_withheld_figure_is_an_empty_cell() {
        let row = csv_record(&[Cell::Text("x".into()), Cell::Suppressed, Cell::Number(5.0)]);
        assert_eq!(String::from_utf8(row).unwrap(), "x,,5\n");
    }
}
