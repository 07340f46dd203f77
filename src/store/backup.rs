//! Copies of a SQLite file (the GeoPackage, the private store) taken while the server runs:
//! `VACUUM INTO` from a connection of its own reads one consistent snapshot — a write committed
//! during the copy is either wholly in it or not at all — and never blocks the server's writers
//! (WAL mode), so a backup needs no downtime and no file-system snapshot.

use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// Writes a consistent copy of the SQLite database at `from` to `to`, which must not exist.
pub fn copy_sqlite(from: &Path, to: &Path) -> Result<(), rusqlite::Error> {
    let conn = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(super::BUSY_TIMEOUT)?;
    conn.execute("VACUUM INTO ?1", [to.to_string_lossy()])?;
    Ok(())
}
