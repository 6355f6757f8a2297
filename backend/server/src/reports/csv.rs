//! CSV in long ("tidy") form: one figure per line, `section,key,metric,value`, where `section` is the table,
//! `key` the row key (first column) and `metric` the column. Every table of a report fits this one header,
//! so a spreadsheet pivot or a script can read any report without knowing its layout.
//!
//! Numbers are written as Rust prints them (shortest text that reads back to the same value); empty values
//! (a ratio over zero) are empty fields. Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`)
//! is prefixed with `'`.

use super::table::{Cell, Table};
use std::fmt::Write;

/// Writes `tables` as one CSV document.
pub fn write(tables: &[Table]) -> String {
    let mut out = String::from("section,key,metric,value\n");
    for t in tables {
        for row in &t.rows {
            let key = row.first().map(text).unwrap_or_default();
            for (column, cell) in t.columns.iter().zip(row).skip(1) {
                let _ = writeln!(
                    out,
                    "{},{},{},{}",
                    quote(t.name),
                    quote(&key),
                    quote(column),
                    quote(&text(cell))
                );
            }
        }
    }
    out
}

fn text(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) if s.starts_with(['=', '+', '-', '@']) => format!("'{s}"),
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Real(x) => x.to_string(),
        Cell::Empty => String::new(),
    }
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_become_one_figure_per_line() {
        let t = Table {
            name: "days",
            columns: vec!["date", "offered", "service_level_15s", "note"],
            rows: vec![vec![
                Cell::Text("2026-11-24".into()),
                Cell::Int(7),
                Cell::Real(0.5),
                Cell::Text("=1+1, \"x\"".into()),
            ]],
        };
        assert_eq!(
            write(&[t]),
            "section,key,metric,value\n\
             days,2026-11-24,offered,7\n\
             days,2026-11-24,service_level_15s,0.5\n\
             days,2026-11-24,note,\"'=1+1, \"\"x\"\"\"\n"
        );
    }
}
