//! Site edits: staff and coordinators, within their areas when they are limited to some.

use super::{App, Error, Principal, permission::Action};
use crate::model::{Site, SiteData, SiteId};

impl App {
    /// Adds a site.
    pub fn create_site(&self, principal: &Principal, data: SiteData) -> Result<Site, Error> {
        self.authorize(principal, Action::EditSite(data.location))?;
        let id = self.store.insert_sites([data.clone()])?[0];
        Ok(Site { id, data })
    }

    /// Replaces a site; both where it was and where it goes must be the caller's to edit. A site
    /// from an imported source stays of it, now edited by hand (the next import keeps the edit).
    pub fn replace_site(&self, principal: &Principal, id: SiteId, mut data: SiteData) -> Result<Site, Error> {
        if let Some(old) = self.store.read().site(id) {
            self.authorize(principal, Action::EditSite(old.data.location))?;
            super::reimport::carry_bookkeeping(&old.data, &mut data);
        }
        self.authorize(principal, Action::EditSite(data.location))?;
        Ok(self.store.update_site(id, data)?)
    }

    /// Removes a site.
    pub fn delete_site(&self, principal: &Principal, id: SiteId) -> Result<(), Error> {
        let at = self.store.read().site(id).map(|s| s.data.location);
        let at = at.ok_or(crate::store::StoreError::SiteNotFound(id))?;
        self.authorize(principal, Action::EditSite(at))?;
        Ok(self.store.delete_site(id)?)
    }
}
