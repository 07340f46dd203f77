//! Tables as offices publish them. Text tables in any of the usual delimiters — comma, tab,
//! semicolon — sniffed from the header row (quotes honoured, so a quoted cell holding a tab does
//! not split), and spreadsheets (.xlsx, old .xls, .ods) read by content, whatever the file's name
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
    /// A workbook calamine can read.
    Spreadsheet,
}

/// Recognises a file by its first bytes; files that hold no table say what they appear to be.
pub fn content(bytes: &[u8]) -> Result<Content, ImportError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body.iter().position(|b| !b.is_ascii_whitespace()).map_or(body, |i| &body[i..]);
    let lower: Vec<u8> = start.iter().take(64).map(u8::to_ascii_lowercase).collect();
    let not_a_table = |what: &str| Err(ImportError::NotATable(what.to_owned()));
    if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Ok(Content::Spreadsheet); // OLE2: Excel 97–2003 (.xls), whatever it is named
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return if zip_holds(bytes, &["xl/", "content.xml"]) {
            Ok(Content::Spreadsheet)
        } else if zip_holds(bytes, &[".shp"]) {
            not_a_table("a zip archive holding a Shapefile, which this import does not read")
        } else {
            not_a_table("a zip archive; unpack it and import the file inside")
        };
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

/// The rows of one sheet that hold any value (the first is the header). `sheet` picks a sheet by
/// name; the first sheet otherwise.
pub fn sheet_rows(bytes: &[u8], sheet: Option<&str>) -> Result<Vec<SheetRow>, ImportError> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| ImportError::Spreadsheet(e.to_string()))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(wanted) => names.iter().find(|n| n.as_str() == wanted).cloned().ok_or_else(|| {
            ImportError::Spreadsheet(format!("no sheet {wanted:?}; the workbook has {}", names.join(", ")))
        })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| ImportError::Spreadsheet("the workbook has no sheet".into()))?,
    };
    let range =
        book.worksheet_range(&name).map_err(|e| ImportError::Spreadsheet(format!("sheet {name:?}: {e}")))?;
    let first_row = range.start().map_or(0, |(row, _)| row);
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| SheetRow {
            number: first_row + i as u32 + 1,
            cells: cells.iter().map(cell_text).collect(),
        })
        .filter(|row| row.cells.iter().any(|c| !c.is_empty()))
        .collect();
    Ok(rows)
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
