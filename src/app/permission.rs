//! Who may do what: the one place that decides. Every operation of [`super::App`] asks
//! [`App::authorize`](super::App::authorize) before it touches anything.
//!
//! | action | who |
//! | --- | --- |
//! | read public data, overlays (aggregates only) | everyone |
//! | edit sites | staff and coordinators (within their areas, when limited), the console |
//! | import files (statistics per area included) | staff not limited to some wards, the console |
//! | staff-only figures of an area, its notes and issues (the 地域情報シート) | staff and admins whose areas include it, the console |
//! | write those notes and issues | the same |
//! | manage accounts, read account changes | admins, the console |
//! | create a group | residents and coordinators (coordinators within their areas) |
//! | read a group's map | its members |
//! | draw on it | its editors and owners |
//! | members, publishing places, new editions, erasing from every edition, its audit log | its owners |
//!
//! Nobody else — not staff, not admins, not the console — ever reads a support map; for anyone who
//! is not a member a group answers exactly as a group that does not exist.

use super::{App, Error, Principal, Who};
use crate::model::AreaId;
use crate::private::{GroupRole, Role};
use geo::{Contains, Point};

/// What a caller wants to do.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    /// Add, change or remove a site at this point.
    EditSite(Point<f64>),
    /// Import a file (into the public store, or statistics per area).
    Import,
    /// Read the staff-only indicators of this area, its public ones unsuppressed, its notes and issues.
    ReadStaffFigures(AreaId),
    /// Write this area's notes and issues (課題).
    EditSheet(AreaId),
    /// Add, change, disable accounts; read their audit.
    ManageAccounts,
    /// Copy the stores, private data included (a backup).
    Backup,
    /// Make and revoke one's own API tokens, see one's groups.
    OwnAccount,
    /// Create a group covering this area (when it has one).
    CreateGroup(Option<AreaId>),
    /// Read group `id`'s map.
    ReadGroup(i64),
    /// Draw on group `id`'s current edition.
    EditGroup(i64),
    /// Members, publishing, editions, erasing everywhere, the audit log of group `id`.
    OwnGroup(i64),
}

impl App {
    /// Allows `action` for `principal`, or says why not. For group actions it also answers the
    /// caller's part in the group.
    pub fn authorize(&self, principal: &Principal, action: Action) -> Result<Option<GroupRole>, Error> {
        let account = match &principal.who {
            Who::Anonymous => return Err(Error::Unauthenticated),
            Who::Operator => {
                return match action {
                    Action::EditSite(_)
                    | Action::Import
                    | Action::ManageAccounts
                    | Action::Backup
                    | Action::ReadStaffFigures(_)
                    | Action::EditSheet(_) => Ok(None),
                    _ => Err(Error::Forbidden("the console has no account; sign in as a member".into())),
                };
            }
            Who::Account(account) => account,
        };
        let forbidden = |what: &str| Err(Error::Forbidden(format!("{} {what}", role_ja(account.role))));
        match action {
            Action::EditSite(at) => match account.role {
                Role::Staff | Role::Coordinator if self.in_scope(&account.scope, at) => Ok(None),
                Role::Staff | Role::Coordinator => forbidden("may edit sites only in their own areas"),
                _ => forbidden("may not edit sites"),
            },
            Action::Import => match account.role {
                Role::Staff if account.scope.is_empty() => Ok(None),
                Role::Staff => forbidden("limited to some wards may not import whole files"),
                _ => forbidden("may not import"),
            },
            Action::ReadStaffFigures(area) | Action::EditSheet(area) => match account.role {
                Role::Staff | Role::Admin
                    if account.scope.is_empty() || self.area_in_scope(&account.scope, area) =>
                {
                    Ok(None)
                }
                Role::Staff | Role::Admin => forbidden("may see staff-only figures only of their own areas"),
                _ => forbidden("may not see staff-only figures"),
            },
            Action::ManageAccounts => match account.role {
                Role::Admin => Ok(None),
                _ => forbidden("may not manage accounts"),
            },
            Action::Backup => match account.role {
                Role::Admin => Ok(None),
                _ => forbidden("may not copy the stores"),
            },
            Action::OwnAccount => Ok(None),
            Action::CreateGroup(area) => match account.role {
                Role::Resident => Ok(None),
                Role::Coordinator if account.scope.is_empty() => Ok(None),
                Role::Coordinator if area.is_some_and(|a| self.area_in_scope(&account.scope, a)) => Ok(None),
                Role::Coordinator => forbidden("may start groups only in their own areas"),
                _ => forbidden("may not hold support maps (they stay inside the neighbourhood)"),
            },
            Action::ReadGroup(id) => self.group_role(id, account.id, GroupRole::Viewer),
            Action::EditGroup(id) => self.group_role(id, account.id, GroupRole::Editor),
            Action::OwnGroup(id) => self.group_role(id, account.id, GroupRole::Owner),
        }
    }

    /// The caller's part in group `id` when it is at least `needed`. Not a member: the same 404 as
    /// for a group that does not exist.
    fn group_role(&self, id: i64, user_id: i64, needed: GroupRole) -> Result<Option<GroupRole>, Error> {
        match self.private.member_role(id, user_id)? {
            None => Err(Error::NotFound(format!("no group {id}"))),
            Some(role) if role >= needed => Ok(Some(role)),
            Some(_) => Err(Error::Forbidden(format!("this needs the group role {needed:?}").to_lowercase())),
        }
    }

    /// Whether `at` lies in one of the `scope` areas (an empty scope is the whole city).
    fn in_scope(&self, scope: &[i64], at: Point<f64>) -> bool {
        let index = self.store.read();
        scope.is_empty()
            || scope.iter().any(|id| index.area(AreaId(*id)).is_some_and(|a| a.geometry.contains(&at)))
    }

    /// Whether area `id` is one of `scope` or lies inside one.
    fn area_in_scope(&self, scope: &[i64], id: AreaId) -> bool {
        let index = self.store.read();
        let Some(area) = index.area(id) else { return false };
        scope.contains(&id.0) || index.ancestors(area).iter().any(|a| scope.contains(&a.id.0))
    }
}

fn role_ja(role: Role) -> &'static str {
    match role {
        Role::Admin => "an admin",
        Role::Staff => "staff",
        Role::Coordinator => "a coordinator",
        Role::Resident => "a resident",
    }
}
