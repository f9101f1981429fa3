//! A report table as CSV (RFC 4180): the same suppressed cells as on
//! screen, so a download never shows more than the page.

use super::ReportTable;

fn field(s: &str) -> String {
    // A leading =, +, - or @ would be read as a formula by a spreadsheet.
    let s = if s.starts_with(['=', '+', '-', '@']) && s != "-" {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

pub(crate) fn line(cells: &[String]) -> String {
    let mut l = cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
    l.push_str("\r\n");
    l
}

pub fn table_csv(table: &ReportTable) -> String {
    let mut out = line(&table.columns);
    for row in &table.rows {
        out.push_str(&line(row));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_formulas() {
        let t = ReportTable {
            id: "x",
            title: String::new(),
            note: String::new(),
            columns: vec!["Group".into(), "Rate (95% CI)".into()],
            rows: vec![
                vec!["=SUM(A1)".into(), "50.0% (40.0% to 60.0%)".into()],
                vec!["a,b".into(), "-".into()],
            ],
            chart: None,
        };
        assert_eq!(
            table_csv(&t),
            "Group,Rate (95% CI)\r\n'=SUM(A1),50.0% (40.0% to 60.0%)\r\n\"a,b\",-\r\n"
        );
    }
}
