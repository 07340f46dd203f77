//! Turning the bytes of a text file into a string: UTF-8 with or without a BOM, or Shift_JIS (the
//! encoding many Japanese municipal CSVs are still published in), detected from the bytes.

use super::ImportError;
use encoding_rs::SHIFT_JIS;

/// The encoding a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    ShiftJis,
}

/// Decodes `bytes`. Valid UTF-8 wins; anything else must be valid Shift_JIS, and when it is not, the
/// error names the first line that is neither.
pub fn decode(bytes: &[u8]) -> Result<(String, TextEncoding), ImportError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return match std::str::from_utf8(rest) {
            Ok(s) => Ok((s.to_owned(), TextEncoding::Utf8Bom)),
            Err(e) => Err(ImportError::Encoding { line: line_of(rest, e.valid_up_to()) }),
        };
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_owned(), TextEncoding::Utf8));
    }
    match SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(s) => Ok((s.into_owned(), TextEncoding::ShiftJis)),
        None => Err(ImportError::Encoding { line: first_bad_sjis_line(bytes) }),
    }
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1
}

/// In Shift_JIS the byte `\n` is never part of a two-byte character, so lines can be checked alone.
fn first_bad_sjis_line(bytes: &[u8]) -> usize {
    bytes
        .split(|b| *b == b'\n')
        .position(|line| SHIFT_JIS.decode_without_bom_handling_and_without_replacement(line).is_none())
        .map_or(1, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_encoding() {
        let text = "名称,緯度\nカフェ,35.5\n";
        let (sjis, _, _) = SHIFT_JIS.encode(text);
        assert_eq!(decode(text.as_bytes()).unwrap(), (text.to_owned(), TextEncoding::Utf8));
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        assert_eq!(decode(&bom).unwrap(), (text.to_owned(), TextEncoding::Utf8Bom));
        assert_eq!(decode(&sjis).unwrap(), (text.to_owned(), TextEncoding::ShiftJis));
    }

    #[test]
    fn names_the_line_that_is_neither() {
        let mut sjis = SHIFT_JIS.encode("名称\nカフェ\n縁側\n").0.into_owned();
        let second_line_start = sjis.iter().position(|b| *b == b'\n').unwrap() + 1;
        sjis[second_line_start] = 0x81; // a lead byte followed by a lead byte
        sjis[second_line_start + 1] = 0x0A;
        assert!(matches!(decode(&sjis), Err(ImportError::Encoding { line: 2 })));
    }
}
