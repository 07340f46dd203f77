//! Tables as offices publish them. Text tables in any of the usual delimiters — comma, tab,
//! semicolon — sniffed from the header row (quotes honoured, so a quoted cell holding a tab does
//! not split), and Excel workbooks (.xlsx, old .xls) read by content, whatever the file's name
//! says: an `.xls` named `.xlsx` and an Excel file named `.csv` both open. Anything else is named
//! for what it appears to be, so the user knows what to fetch instead.

use super::ImportError;
use crate::model::calendar::civil_from_days;

/// What a file's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    GeoJson,
    /// A delimited text table, with its delimiter.
    Text(u8),
    /// An Excel workbook (.xlsx or .xls).
    Spreadsheet,
    /// A zip archive holding a Shapefile.
    Shapefile,
}

/// The first bytes of a Shapefile's .shp (file code 9994, big-endian).
const SHP_MAGIC: &[u8] = b"\x00\x00\x27\x0a";

/// The first bytes of an OLE2 compound file: an Excel 97–2003 workbook.
const OLE2: &[u8] = b"\xD0\xCF\x11\xE0";

/// Recognises a file by its first bytes; files that hold no table say what they appear to be.
pub fn content(bytes: &[u8]) -> Result<Content, ImportError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body.iter().position(|b| !b.is_ascii_whitespace()).map_or(body, |i| &body[i..]);
    let lower: Vec<u8> = start.iter().take(64).map(u8::to_ascii_lowercase).collect();
    let not_a_table = |what: &str| Err(ImportError::NotATable(what.to_owned()));
    if bytes.starts_with(OLE2) {
        return Ok(Content::Spreadsheet); // Excel 97–2003 (.xls), whatever it is named
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return if zip_holds(bytes, &["xl/"]) {
            Ok(Content::Spreadsheet)
        } else if zip_holds(bytes, &["content.xml"]) {
            not_a_table("an OpenDocument spreadsheet; save it as .xlsx or CSV")
        } else if zip_holds(bytes, &[".shp", ".SHP"]) {
            Ok(Content::Shapefile)
        } else {
            not_a_table("a zip archive; unpack it and import the file inside")
        };
    }
    if bytes.starts_with(SHP_MAGIC) {
        return not_a_table(
            "the .shp part of a Shapefile alone; give a .zip of its .shp, .shx, .dbf and .prj (on the command line, the .shp with them beside it)",
        );
    }
    if start.starts_with(b"%PDF") {
        return not_a_table("a PDF document; ask for the CSV or Excel version of the list");
    }
    if lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html") {
        return not_a_table(
            "an HTML web page, not data (perhaps the portal's page instead of its download link)",
        );
    }
    if lower.starts_with(b"<?xml") {
        return not_a_table("an XML document; export the list as CSV or Excel");
    }
    match start.first() {
        Some(b'{') => Ok(Content::GeoJson),
        _ => Ok(Content::Text(delimiter(start))),
    }
}

/// Whether a zip archive names an entry containing any of `names` (read from its local headers).
fn zip_holds(bytes: &[u8], names: &[&str]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(1 << 20)]);
    names.iter().any(|n| text.contains(n))
}

/// The delimiter of a text table: of comma, tab and semicolon, the one the header row (up to its
/// first line break outside quotes) uses most, outside quotes; a comma when it uses none.
///
/// ```
/// use sasaeai::import::table::delimiter;
/// assert_eq!(delimiter("名称\t住所\t\"a,b\"\n".as_bytes()), b'\t');
/// assert_eq!(delimiter("名称,住所;x\n".as_bytes()), b',');
/// assert_eq!(delimiter("名称;住所;緯度\n".as_bytes()), b';');
/// ```
pub fn delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [(b',', 0usize), (b'\t', 0), (b';', 0)];
    let mut quoted = false;
    for &b in bytes.iter().take(64 * 1024) {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(c) = counts.iter_mut().find(|(d, _)| *d == b) {
                    c.1 += 1;
                }
            }
            _ => {}
        }
    }
    counts.iter().rev().max_by_key(|(_, n)| *n).filter(|(_, n)| *n > 0).map_or(b',', |(d, _)| *d)
}

/// A row of a sheet: its number as the spreadsheet shows it, and its cells as text.
pub struct SheetRow {
    pub number: u32,
    pub cells: Vec<String>,
}

/// The most cells a sheet may hold (its rows × its header's width): a workbook is compressed, so
/// its size on disk does not bound what it unpacks to.
pub const MAX_SHEET_CELLS: usize = 3_000_000;

/// A cell's (row, column) from the sheet's top left, and its text.
type Cell = ((u32, u32), String);

/// A sheet as read: its name and the rows that hold any value (the first is the header).
pub struct Sheet {
    pub name: String,
    pub rows: Vec<SheetRow>,
}

/// One sheet of a workbook: `sheet` picks it by name; the first sheet otherwise. An .xlsx sheet is
/// streamed cell by cell, never unpacked into a grid spanning its outermost cells (two cells a
/// million rows apart would be a grid of billions); an .xls sheet is at most 65,536 × 256 cells by
/// its format.
pub fn read_sheet(bytes: &[u8], sheet: Option<&str>) -> Result<Sheet, ImportError> {
    let spreadsheet = |e: &dyn std::fmt::Display| ImportError::Spreadsheet(e.to_string());
    let (name, cells): (String, Vec<Cell>) = if bytes.starts_with(OLE2) {
        let mut book: calamine::Xls<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).map_err(|e| spreadsheet(&e))?;
        let name = pick_sheet(calamine::Reader::sheet_names(&book), sheet)?;
        let range = calamine::Reader::worksheet_range(&mut book, &name).map_err(|e| spreadsheet(&e))?;
        // Positions within the range; the range starts where the sheet's first value is.
        let (top, left) = range.start().unwrap_or((0, 0));
        let cells =
            range.used_cells().map(|(r, c, v)| ((top + r as u32, left + c as u32), cell_text(v))).collect();
        (name, cells)
    } else {
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).map_err(|e| spreadsheet(&e))?;
        let name = pick_sheet(calamine::Reader::sheet_names(&book), sheet)?;
        let mut reader = book.worksheet_cells_reader(&name).map_err(|e| spreadsheet(&e))?;
        let mut cells = Vec::new();
        while let Some(cell) = reader.next_cell().map_err(|e| spreadsheet(&e))? {
            let text = cell_text(&calamine::Data::from(cell.get_value().clone()));
            cells.push((cell.get_position(), text));
            if cells.len() > MAX_SHEET_CELLS {
                return Err(too_large());
            }
        }
        drop(reader);
        (name, cells)
    };
    Ok(Sheet { name, rows: rows_of(cells)? })
}

/// Rows from cells, each row as wide as the header (the first row with a value), numbered as the
/// spreadsheet shows them.
fn rows_of(cells: Vec<Cell>) -> Result<Vec<SheetRow>, ImportError> {
    let mut by_row: std::collections::BTreeMap<u32, Vec<(u32, String)>> = Default::default();
    for ((row, col), text) in cells.into_iter().filter(|(_, t)| !t.is_empty()) {
        by_row.entry(row).or_default().push((col, text));
    }
    let first_col = by_row.values().flatten().map(|(c, _)| *c).min().unwrap_or(0);
    let width = by_row.values().next().and_then(|h| h.iter().map(|(c, _)| c + 1 - first_col).max());
    let width = width.unwrap_or(0) as usize;
    if by_row.len().saturating_mul(width) > MAX_SHEET_CELLS {
        return Err(too_large());
    }
    Ok(by_row
        .into_iter()
        .map(|(row, values)| {
            let mut cells = vec![String::new(); width];
            for (col, text) in values {
                if let Some(cell) = cells.get_mut((col - first_col) as usize) {
                    *cell = text;
                }
            }
            SheetRow { number: row + 1, cells }
        })
        .collect())
}

fn too_large() -> ImportError {
    ImportError::Spreadsheet(format!(
        "the sheet holds more than {MAX_SHEET_CELLS} cells; split it, or save it as CSV"
    ))
}

/// `sheet` among a workbook's sheet `names`, or its first sheet.
fn pick_sheet(names: Vec<String>, sheet: Option<&str>) -> Result<String, ImportError> {
    match sheet {
        Some(wanted) => names.iter().find(|n| n.as_str() == wanted).cloned().ok_or_else(|| {
            ImportError::Spreadsheet(format!("no sheet {wanted:?}; the workbook has {}", names.join(", ")))
        }),
        None => {
            names.first().cloned().ok_or_else(|| ImportError::Spreadsheet("the workbook has no sheet".into()))
        }
    }
}

/// A cell as the text a CSV of the same sheet would hold: whole numbers without `.0` (codes typed as
/// numbers), times of day as `H:MM`, dates as `YYYY-MM-DD`.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_serial_text(d.as_f64()),
    }
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`, `H:MM` (below one day) or both.
///
/// ```
/// # use sasaeai::import::table::excel_serial_text;
/// assert_eq!(excel_serial_text(0.3541666666), "8:30");
/// assert_eq!(excel_serial_text(45107.0), "2023-06-30");
/// ```
pub fn excel_serial_text(serial: f64) -> String {
    let total_minutes = (serial * 1440.0).round() as i64;
    let (days, minutes) = (total_minutes.div_euclid(1440), total_minutes.rem_euclid(1440));
    let time = format!("{}:{:02}", minutes / 60, minutes % 60);
    if days == 0 {
        return time;
    }
    // Excel's day 25569 is 1970-01-01.
    let (year, month, day) = civil_from_days(days - 25569);
    let date = format!("{year:04}-{month:02}-{day:02}");
    if minutes == 0 { date } else { format!("{date} {time}") }
}
