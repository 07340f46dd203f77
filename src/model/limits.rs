//! How long the free text a user may store can be. A record over a limit is refused with the field
//! named, so nobody can make every page, tile and export carry a novel (or 30 KB of attribution).

/// Characters in one text field of a record (a name, an address, a schedule …).
pub const TEXT_CHARS: usize = 1_000;

/// Characters in one attribution line.
pub const ATTRIBUTION_CHARS: usize = 300;

/// Attribution lines a data set keeps.
pub const ATTRIBUTION_LINES: usize = 20;

/// Bytes of a record's free properties, written as JSON.
pub const PROPERTIES_BYTES: usize = 16 * 1024;

/// Why a text cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Longer than its limit.
    #[error("is {chars} characters long; at most {max} are kept")]
    TooLong { chars: usize, max: usize },
    /// Holds control characters (other than tab and line breaks).
    #[error("holds control characters")]
    Control,
}

/// Checks a text against `max` characters.
///
/// ```
/// use sasaeai::model::limits::{check_text, TextError};
/// assert!(check_text("カフェひだまり", 10).is_ok());
/// assert_eq!(check_text("あいう", 2), Err(TextError::TooLong { chars: 3, max: 2 }));
/// assert_eq!(check_text("a\u{7}b", 10), Err(TextError::Control));
/// ```
pub fn check_text(text: &str, max: usize) -> Result<(), TextError> {
    let chars = text.chars().count();
    if chars > max {
        return Err(TextError::TooLong { chars, max });
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(TextError::Control);
    }
    Ok(())
}

/// An attribution line as it is kept: trimmed, within [`ATTRIBUTION_CHARS`]. The store checks every
/// line it adds; the command line and the import endpoint check theirs before an import writes.
///
/// ```
/// use sasaeai::model::limits::attribution;
/// assert_eq!(attribution("  © OpenStreetMap contributors "), Ok("© OpenStreetMap contributors"));
/// assert!(attribution(&"あ".repeat(301)).is_err());
/// ```
pub fn attribution(line: &str) -> Result<&str, TextError> {
    let line = line.trim();
    check_text(line, ATTRIBUTION_CHARS).map(|()| line)
}
