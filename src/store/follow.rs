//! Keeping up with other instances on a shared database: layers another instance wrote are loaded
//! again and published as a new snapshot, changed features only (so tiles they do not reach stay
//! cached). A write by this instance is in its own snapshot before the write returns; another
//! instance's write arrives when its notification does (milliseconds), and within
//! [`FOLLOW_POLL`] if a notification is lost.

use super::backend::Layer;
use super::{Index, Store, StoreError};
use crate::network::Graph;
use std::collections::HashSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// The longest an instance goes without checking the shared versions.
pub const FOLLOW_POLL: Duration = Duration::from_secs(1);

impl Store {
    /// Loads again every layer another instance has written since this snapshot; returns them.
    /// A store with one writer has nothing to load.
    pub fn refresh(&self) -> Result<Vec<Layer>, StoreError> {
        let mut known = self.writer.lock();
        let Some(shared) = self.backend.versions()? else { return Ok(Vec::new()) };
        let behind = known.behind(&shared);
        if behind.is_empty() {
            return Ok(behind);
        }
        let mut next = Index::clone(&self.index.load());
        for layer in &behind {
            self.reload(&mut next, *layer)?;
            known.set(*layer, shared.get(*layer));
        }
        self.index.store(Arc::new(next));
        Ok(behind)
    }

    fn reload(&self, next: &mut Index, layer: Layer) -> Result<(), StoreError> {
        match layer {
            Layer::Areas => {
                let changed = differing(self.backend.load_areas()?, |a| next.area(a.id));
                if !changed.is_empty() {
                    next.put_areas(changed);
                }
            }
            Layer::Sites => {
                let stored = self.backend.load_sites()?;
                let kept: HashSet<_> = stored.iter().map(|s| s.id).collect();
                let gone: Vec<_> = next.sites().map(|s| s.id).filter(|id| !kept.contains(id)).collect();
                let changed = differing(stored, |s| next.site(s.id));
                if !changed.is_empty() {
                    next.put_sites(changed);
                }
                for id in gone {
                    next.remove_site(id);
                }
            }
            Layer::Population => {
                let changed = differing(self.backend.load_population()?, |p| next.population_unit(p.id));
                if !changed.is_empty() {
                    next.put_population(changed);
                }
            }
            Layer::Network => {
                if let Some((nodes, edges)) = self.backend.load_network()? {
                    next.put_network(Arc::new(Graph::new(nodes, edges)));
                }
            }
            Layer::Dataset => next.put_dataset(self.backend.load_dataset()?),
        }
        Ok(())
    }

    /// On a shared database, starts a thread that refreshes this store whenever another instance
    /// writes (and at least every [`FOLLOW_POLL`]); it ends when the store is dropped. Nothing to do
    /// for a store with one writer.
    pub fn follow(self: &Arc<Self>) -> Result<(), StoreError> {
        if self.backend.versions()?.is_none() {
            return Ok(());
        }
        let store: Weak<Store> = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("store-follow".into())
            .spawn(move || follow(store))
            .expect("spawning a thread");
        Ok(())
    }
}

/// The features of `loaded` that the snapshot lacks or holds otherwise (`current` finds its copy).
fn differing<'a, T: PartialEq + 'a>(loaded: Vec<T>, current: impl Fn(&T) -> Option<&'a Arc<T>>) -> Vec<T> {
    loaded.into_iter().filter(|f| current(f).is_none_or(|old| **old != *f)).collect()
}

fn follow(store: Weak<Store>) {
    while let Some(store) = store.upgrade() {
        let woken = store.backend.wait_for_change(FOLLOW_POLL);
        let refreshed = woken.and_then(|_| store.refresh());
        match refreshed {
            Ok(layers) if !layers.is_empty() => {
                tracing::debug!(?layers, "layers written by another instance loaded")
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "following the shared store failed; trying again");
                drop(store);
                std::thread::sleep(FOLLOW_POLL);
            }
        }
    }
}
