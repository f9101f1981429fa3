//! Typed cells of a download, written as CSV text or as a Parquet column
//! of the matching type (`super::parquet`), so that the two formats of one
//! table or extract always carry the same values.

use bothy_domain::time::Date;

/// What a column holds; every column may be empty (null).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    /// A calendar day (UK).
    Date,
    Float,
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
    Date(Date),
    Float(f64),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// Text, or null when absent.
    pub fn text_or_null(s: Option<&str>) -> Cell {
        s.map_or(Cell::Null, Cell::text)
    }

    pub fn kind(&self) -> Option<Kind> {
        match self {
            Cell::Null => None,
            Cell::Text(_) => Some(Kind::Text),
            Cell::Int(_) => Some(Kind::Int),
            Cell::Date(_) => Some(Kind::Date),
            Cell::Float(_) => Some(Kind::Float),
        }
    }

    /// As a CSV field's text (before quoting): empty for null, a date as
    /// year-month-day.
    pub fn to_text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::Float(v) => format!("{v}"),
        }
    }
}

/// A column's name and kind.
pub type Column = (String, Kind);

/// A dashboard table (cells as shown) typed for Parquet: the first column
/// names the group; a column whose every cell is a whole number, `*`
/// (suppressed) or `-` (nothing to average) is a count, one whose cells
/// are all numbers an average, both with null for `*` and `-`; anything
/// else (a rate with its interval) stays text as shown.
pub fn typed(table: &super::ReportTable) -> (Vec<Column>, Vec<Vec<Cell>>) {
    let empty = |s: &str| s == "*" || s == "-" || s.is_empty();
    let kinds: Vec<Kind> = (0..table.columns.len())
        .map(|i| {
            let cells = || {
                table
                    .rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(String::as_str)
            };
            if i == 0 {
                Kind::Text
            } else if cells().all(|s| empty(s) || s.parse::<i64>().is_ok()) {
                Kind::Int
            } else if cells().all(|s| empty(s) || s.parse::<f64>().is_ok()) {
                Kind::Float
            } else {
                Kind::Text
            }
        })
        .collect();
    let rows = table
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .zip(&kinds)
                .map(|(s, kind)| match kind {
                    Kind::Int => s.parse().map_or(Cell::Null, Cell::Int),
                    Kind::Float => s.parse().map_or(Cell::Null, Cell::Float),
                    _ => Cell::text(s.as_str()),
                })
                .collect()
        })
        .collect();
    let columns = table.columns.iter().cloned().zip(kinds).collect();
    (columns, rows)
}
