//! XLSX workbooks: one sheet per report table, a bold frozen header row, numbers as numbers.

use super::table::{Cell, Table};
use rust_xlsxwriter::{Format, Workbook};

/// Writes `tables` as a workbook and returns its bytes.
pub fn write(tables: &[Table]) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for t in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(t.name)?;
        for (c, name) in t.columns.iter().enumerate() {
            let col = u16::try_from(c)?;
            sheet.write_string_with_format(0, col, *name, &bold)?;
            // Wide enough for the header and typical values; precise autofit would need every cell measured.
            sheet.set_column_width(col, name.len().max(12) as f64 + 2.0)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (r, row) in t.rows.iter().enumerate() {
            let row_no = u32::try_from(r + 1)?;
            for (c, cell) in row.iter().enumerate() {
                let col = u16::try_from(c)?;
                match cell {
                    Cell::Text(s) => {
                        sheet.write_string(row_no, col, s)?;
                    }
                    // Counts and milliseconds are far below 2^53, so f64 holds them exactly.
                    Cell::Int(n) => {
                        sheet.write_number(row_no, col, *n as f64)?;
                    }
                    Cell::Real(x) => {
                        sheet.write_number(row_no, col, *x)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
    }
    Ok(book.save_to_buffer()?)
}
