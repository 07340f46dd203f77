//! Importing a list again: every imported site remembers its source (a file name or a key the user
//! gives), the row it came from and a fingerprint of what was imported, so that importing the same
//! source again changes exactly the rows that changed — added, changed, removed — in one
//! transaction, instead of adding every site a second time. A site edited by hand since (its
//! fingerprint no longer matches) is kept as edited and reported, never silently overwritten or
//! deleted.

use crate::model::{Properties, SiteData, SiteId};
use crate::store::{Index, SiteChanges};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The property naming the source a site was imported from.
pub const SOURCE_KEY: &str = "import_source";
/// The property naming the row of the source it came from.
pub const ROW_KEY: &str = "import_row";
/// The property holding the fingerprint of the site as imported.
pub const FINGERPRINT_KEY: &str = "import_fingerprint";

/// Columns that identify a row in published lists, when their values are unique in the file.
const ID_COLUMNS: &[&str] = &["ID", "id", "NO", "No", "番号", "施設ID", "事業所番号"];

/// What importing a source again did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SourceSync {
    pub source: String,
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// Sites edited by hand since the last import of the source, kept as edited: their names.
    pub kept_edits: Vec<String>,
}

/// The fingerprint of a site's data, bookkeeping properties left out.
pub fn fingerprint(data: &SiteData) -> String {
    let properties: Properties = data
        .properties
        .iter()
        .filter(|(k, _)| !is_bookkeeping(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let location = (data.location.x(), data.location.y());
    let fields =
        (&data.name, data.kind, location, &data.address, &data.schedule, &data.audience, &data.operator);
    let bytes = serde_json::to_vec(&(fields, properties)).unwrap_or_default();
    Sha256::digest(bytes).iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// Whether a property is the import's own bookkeeping.
pub fn is_bookkeeping(key: &str) -> bool {
    matches!(key, SOURCE_KEY | ROW_KEY | FINGERPRINT_KEY)
}

/// Keeps `old`'s source, row and fingerprint on its replacement `new`, whose own are ignored.
pub fn carry_bookkeeping(old: &SiteData, new: &mut SiteData) {
    new.properties.retain(|k, _| !is_bookkeeping(k));
    for key in [SOURCE_KEY, ROW_KEY, FINGERPRINT_KEY] {
        if let Some(value) = old.properties.get(key) {
            new.properties.insert(key.into(), value.clone());
        }
    }
}

/// The key of each row: its ID column when the file's IDs are all present and unique, else its
/// name and address (a duplicate counted, so two identical rows stay two).
fn row_keys(rows: &[SiteData]) -> Vec<String> {
    let text =
        |d: &SiteData, k: &str| d.properties.get(k).and_then(Value::as_str).map(str::trim).map(str::to_owned);
    let by_id = ID_COLUMNS.iter().find_map(|column| {
        let ids: Option<Vec<String>> =
            rows.iter().map(|d| text(d, column).filter(|v| !v.is_empty())).collect();
        let ids = ids?;
        let unique: std::collections::HashSet<&String> = ids.iter().collect();
        (unique.len() == ids.len()).then(|| ids.into_iter().map(|id| format!("{column}={id}")).collect())
    });
    by_id.unwrap_or_else(|| {
        let mut seen: HashMap<String, usize> = HashMap::new();
        rows.iter()
            .map(|d| {
                let base = format!("{}|{}", d.name, d.address.as_deref().unwrap_or_default());
                let n = seen.entry(base.clone()).or_default();
                *n += 1;
                if *n == 1 { base } else { format!("{base}#{n}") }
            })
            .collect()
    })
}

/// Marks `rows` as coming from `source`, each with its row key and fingerprint.
pub fn stamp(source: &str, rows: Vec<SiteData>) -> Vec<SiteData> {
    let keys = row_keys(&rows);
    rows.into_iter()
        .zip(keys)
        .map(|(mut data, key)| {
            data.properties.retain(|k, _| !is_bookkeeping(k));
            let print = fingerprint(&data);
            data.properties.insert(SOURCE_KEY.into(), Value::String(source.to_owned()));
            data.properties.insert(ROW_KEY.into(), Value::String(key));
            data.properties.insert(FINGERPRINT_KEY.into(), Value::String(print));
            data
        })
        .collect()
}

/// The changes that make the store's sites of `source` the stamped `rows`.
pub fn plan(index: &Index, source: &str, rows: Vec<SiteData>) -> (SiteChanges, SourceSync) {
    let prop = |d: &SiteData, k: &str| d.properties.get(k).and_then(Value::as_str).map(str::to_owned);
    let mut existing: HashMap<String, (SiteId, &SiteData)> = index
        .sites()
        .filter(|s| prop(&s.data, SOURCE_KEY).as_deref() == Some(source))
        .filter_map(|s| Some((prop(&s.data, ROW_KEY)?, (s.id, &s.data))))
        .collect();
    let edited = |d: &SiteData| prop(d, FINGERPRINT_KEY) != Some(fingerprint(d));
    let mut changes = SiteChanges::default();
    let mut sync = SourceSync { source: source.to_owned(), ..Default::default() };
    for row in rows {
        let key = prop(&row, ROW_KEY).unwrap_or_default();
        match existing.remove(&key) {
            None => {
                changes.insert.push(row);
                sync.added += 1;
            }
            Some((_, old)) if edited(old) => sync.kept_edits.push(old.name.clone()),
            Some((_, old)) if prop(old, FINGERPRINT_KEY) == prop(&row, FINGERPRINT_KEY) => {
                sync.unchanged += 1
            }
            Some((id, _)) => {
                changes.update.push((id, row));
                sync.changed += 1;
            }
        }
    }
    let mut gone: Vec<(SiteId, &SiteData)> = existing.into_values().collect();
    gone.sort_by_key(|(id, _)| *id);
    for (id, old) in gone {
        if edited(old) {
            sync.kept_edits.push(old.name.clone());
        } else {
            changes.delete.push(id);
            sync.removed += 1;
        }
    }
    (changes, sync)
}
