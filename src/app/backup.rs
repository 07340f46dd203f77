//! Backups while the server runs: a consistent copy of the GeoPackage and of the private store
//! beside it, into a folder, by admins (and the console). The copies pair up as the originals do
//! (`town.gpkg` with `town.private.sqlite`), so serving a backup is `sasaeai serve --store` on it.

use super::{App, Error, Principal, permission::Action};
use crate::private::PrivateStore;
use crate::store::backup::copy_sqlite;
use std::path::{Path, PathBuf};

impl App {
    /// Copies both stores into `dir` (created when missing); never overwrites a file. Returns the
    /// files written.
    pub fn backup(&self, principal: &Principal, dir: &Path) -> Result<Vec<PathBuf>, Error> {
        self.authorize(principal, Action::Backup)?;
        let copies: Vec<(&Path, PathBuf)> = match (self.store.path(), self.private.path()) {
            (Some(store), Some(private)) => {
                let name = file_name(store)?;
                vec![(store, dir.join(name)), (private, PrivateStore::path_beside(&dir.join(name)))]
            }
            // A PostgreSQL store is backed up by the database's own tools (pg_dump); a private
            // store kept in a file beside it is copied here.
            (None, Some(private)) => vec![(private, dir.join(file_name(private)?))],
            (None, None) => {
                return Err(Error::Invalid(format!(
                    "{} holds the layers and the private store: back it up with pg_dump",
                    self.store.describe()
                )));
            }
            (Some(_), None) => {
                return Err(Error::Invalid("the private store lives in memory: nothing to copy".into()));
            }
        };
        if let Some((_, taken)) = copies.iter().find(|(_, to)| to.exists()) {
            return Err(Error::Conflict(format!(
                "{} already exists; a backup never overwrites",
                taken.display()
            )));
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Invalid(format!("cannot create {}: {e}", dir.display())))?;
        for (from, to) in &copies {
            copy_sqlite(from, to).map_err(crate::store::StoreError::from)?;
        }
        let written: Vec<PathBuf> = copies.into_iter().map(|(_, to)| to).collect();
        self.private.append_audit(&principal.audit("stores.backup", None, Vec::new()))?;
        Ok(written)
    }
}

fn file_name(file: &Path) -> Result<&Path, Error> {
    file.file_name()
        .map(Path::new)
        .ok_or_else(|| Error::Invalid(format!("{} has no file name", file.display())))
}
