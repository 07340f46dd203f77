//! Residents' groups and their 支え合いマップ: members, features edition by edition, publishing a
//! gathering place, erasing, and the group's audit log. Every read and write of a feature is
//! audited (ids, never content). GeoJSON in and out of a group's map is shaped here too, so the
//! HTTP layer and scripts see one format.

use super::{App, Error, Principal, permission::Action};
use crate::model::limits::{TEXT_CHARS, check_text};
use crate::model::support::{FeatureType, LABEL_CHARS};
use crate::model::{AreaId, SiteData, SiteId, SiteKind, check_lon_lat};
use crate::private::{AuditRow, FeatureInput, FeatureRow, GroupRole, GroupRow, MemberRow, Role};
use geo::InteriorPoint;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// Where a group is.
#[derive(Debug, Clone)]
pub enum GroupArea {
    /// One of the store's areas (a 町丁, a 地区 …).
    Area(AreaId),
    /// A polygon drawn for it (lon/lat).
    Polygon(geo::Polygon<f64>),
}

/// A group as its member sees it in their list.
#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    #[serde(flatten)]
    pub group: GroupRow,
    /// The caller's part in it.
    pub role: GroupRole,
    /// The area's name, when the group covers an area.
    pub area_name: Option<String>,
    /// Its drawn polygon, when it has one (GeoJSON).
    pub polygon: Option<Value>,
}

/// One edition's map, and what changed since the edition before it.
#[derive(Debug, Clone)]
pub struct EditionMap {
    pub group: GroupRow,
    pub edition: i32,
    pub features: Vec<FeatureRow>,
    /// What changed since the edition before (all empty for a group's first edition).
    pub diff: EditionDiff,
}

/// The difference between two editions of a map, feature by feature (by `key`).
#[derive(Debug, Clone, Default)]
pub struct EditionDiff {
    pub added: HashSet<i64>,
    pub changed: HashSet<i64>,
    /// The features of the earlier edition that the later one no longer has.
    pub removed: Vec<FeatureRow>,
}

impl EditionDiff {
    /// What `now` added, changed and removed compared with `before`.
    fn between(before: &[FeatureRow], now: &[FeatureRow]) -> Self {
        let earlier: HashMap<i64, &FeatureRow> = before.iter().map(|f| (f.key, f)).collect();
        let later: HashSet<i64> = now.iter().map(|f| f.key).collect();
        let mut diff = EditionDiff::default();
        for f in now {
            match earlier.get(&f.key) {
                None => diff.added.insert(f.key),
                Some(p) if !same_content(p, f) => diff.changed.insert(f.key),
                Some(_) => false,
            };
        }
        diff.removed = before.iter().filter(|f| !later.contains(&f.key)).cloned().collect();
        diff
    }
}

/// One edition and what changed since the one before.
#[derive(Debug, Clone, Serialize)]
pub struct EditionInfo {
    pub edition: i32,
    pub features: usize,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
}

impl App {
    /// Starts a group with the caller as its owner; its first edition is this year's.
    pub fn create_group(
        &self,
        principal: &Principal,
        name: &str,
        area: GroupArea,
    ) -> Result<GroupRow, Error> {
        let area_id = match &area {
            GroupArea::Area(id) => Some(*id),
            GroupArea::Polygon(_) => None,
        };
        self.authorize(principal, Action::CreateGroup(area_id))?;
        let owner = principal.signed_in().expect("authorised callers are signed in");
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::Invalid("name: a group needs a name".into()));
        }
        check_text(name, 100).map_err(|e| Error::Invalid(format!("name: {e}")))?;
        let polygon = match &area {
            GroupArea::Area(id) => {
                if self.store.read().area(*id).is_none() {
                    return Err(Error::Invalid(format!("area_id: no area {}", id.0)));
                }
                None
            }
            GroupArea::Polygon(p) => Some(polygon_text(p)?),
        };
        let audit = principal.audit("group.create", None, vec![]);
        Ok(self.private.create_group(
            name,
            area_id.map(|a| a.0),
            polygon.as_deref(),
            owner.id,
            super::this_year(),
            &audit,
        )?)
    }

    /// The caller's groups.
    pub fn my_groups(&self, principal: &Principal) -> Result<Vec<GroupView>, Error> {
        self.authorize(principal, Action::OwnAccount)?;
        let Some(account) = principal.signed_in() else { return Ok(Vec::new()) };
        let index = self.store.read();
        let groups = self.private.groups_of(account.id)?;
        Ok(groups
            .into_iter()
            .map(|(group, role)| GroupView {
                area_name: group.area_id.and_then(|id| index.area(AreaId(id))).map(|a| a.name.clone()),
                polygon: group.polygon.as_deref().and_then(|p| serde_json::from_str(p).ok()),
                group,
                role,
            })
            .collect())
    }

    /// The members of a group (its members only).
    pub fn members(&self, principal: &Principal, group_id: i64) -> Result<Vec<MemberRow>, Error> {
        self.authorize(principal, Action::ReadGroup(group_id))?;
        Ok(self.private.members(group_id)?)
    }

    /// Adds the account `name` to a group, or changes its part (owners). Only residents and
    /// coordinators can be members: staff and admins never see a support map.
    pub fn add_member(
        &self,
        principal: &Principal,
        group_id: i64,
        name: &str,
        role: GroupRole,
    ) -> Result<(), Error> {
        self.authorize(principal, Action::OwnGroup(group_id))?;
        let user = self.private.user_by_name(name)?.filter(|u| !u.disabled);
        let user = user.ok_or_else(|| Error::NotFound(format!("no active account {name:?}")))?;
        if !matches!(user.role, Role::Resident | Role::Coordinator) {
            return Err(Error::Forbidden(format!(
                "{name:?} is {}: only residents and coordinators can be members of a group",
                user.role.as_str()
            )));
        }
        let audit = principal.audit("member.add", Some(group_id), vec![]);
        Ok(self.private.set_member(group_id, user.id, role, &audit)?)
    }

    /// Removes the account `name` from a group (owners; anyone may leave). The removed member
    /// loses access with their next request.
    pub fn remove_member(&self, principal: &Principal, group_id: i64, name: &str) -> Result<(), Error> {
        let leaving = principal.signed_in().is_some_and(|a| a.name == name);
        let needed = if leaving { Action::ReadGroup(group_id) } else { Action::OwnGroup(group_id) };
        self.authorize(principal, needed)?;
        let user =
            self.private.user_by_name(name)?.ok_or_else(|| Error::NotFound(format!("no member {name:?}")))?;
        let audit = principal.audit("member.remove", Some(group_id), vec![]);
        match self.private.remove_member(group_id, user.id, &audit)? {
            true => Ok(()),
            false => Err(Error::NotFound(format!("no member {name:?}"))),
        }
    }

    /// A group's map in one of its editions (the current one by default), with what changed since
    /// the edition before. The features of that edition that are gone are read too, and audited.
    pub fn features(
        &self,
        principal: &Principal,
        group_id: i64,
        edition: Option<i32>,
    ) -> Result<EditionMap, Error> {
        self.authorize(principal, Action::ReadGroup(group_id))?;
        let group =
            self.private.group(group_id)?.ok_or_else(|| Error::NotFound(format!("no group {group_id}")))?;
        let edition = edition.unwrap_or(group.edition);
        let editions = self.private.editions(group_id)?;
        if !editions.contains(&edition) {
            return Err(Error::NotFound(format!("group {group_id} has no edition {edition}")));
        }
        let features = self.private.features(group_id, edition)?;
        let diff = match editions.iter().filter(|e| **e < edition).max() {
            Some(before) => EditionDiff::between(&self.private.features(group_id, *before)?, &features),
            None => EditionDiff::default(),
        };
        let ids = features.iter().chain(&diff.removed).map(|f| f.id).collect();
        self.private.append_audit(&principal.audit("feature.read", Some(group_id), ids))?;
        Ok(EditionMap { group, edition, features, diff })
    }

    /// One feature of a group, with the features its link ends are (for its geometry).
    pub fn feature(
        &self,
        principal: &Principal,
        group_id: i64,
        id: i64,
    ) -> Result<(FeatureRow, Vec<FeatureRow>), Error> {
        self.authorize(principal, Action::ReadGroup(group_id))?;
        let feature =
            self.private.feature(group_id, id)?.ok_or_else(|| Error::NotFound(format!("no feature {id}")))?;
        let ends = match feature.ends {
            Some((a, b)) => self
                .private
                .features(group_id, feature.edition)?
                .into_iter()
                .filter(|f| f.key == a || f.key == b)
                .collect(),
            None => Vec::new(),
        };
        self.private.append_audit(&principal.audit("feature.read", Some(group_id), vec![id]))?;
        Ok((feature, ends))
    }

    /// Adds a feature to the group's current edition (editors and owners).
    pub fn add_feature(
        &self,
        principal: &Principal,
        group_id: i64,
        input: FeatureInput,
    ) -> Result<FeatureRow, Error> {
        self.authorize(principal, Action::EditGroup(group_id))?;
        check_feature(&input)?;
        let audit = principal.audit("feature.create", Some(group_id), vec![]);
        Ok(self.private.insert_feature(group_id, &input, &audit)?)
    }

    /// Replaces a feature of the current edition (editors and owners); a published place's site
    /// follows.
    pub fn replace_feature(
        &self,
        principal: &Principal,
        group_id: i64,
        id: i64,
        input: FeatureInput,
    ) -> Result<FeatureRow, Error> {
        self.authorize(principal, Action::EditGroup(group_id))?;
        check_feature(&input)?;
        let before =
            self.private.feature(group_id, id)?.ok_or_else(|| Error::NotFound(format!("no feature {id}")))?;
        if before.ftype != input.ftype {
            return Err(Error::Invalid(format!(
                "type: feature {id} is a {}; draw a new one",
                before.ftype.as_str()
            )));
        }
        let audit = principal.audit("feature.update", Some(group_id), vec![]);
        let after = self.private.update_feature(group_id, id, &input, &audit)?;
        if let (Some(site_id), Some((lon, lat))) = (after.site_id, after.lon_lat) {
            let mut site = self.store.read().site(SiteId(site_id)).map(|s| s.data.clone());
            if let Some(data) = site.as_mut() {
                data.name = after.label.clone();
                data.location = geo::point!(x: lon, y: lat);
                self.store.update_site(SiteId(site_id), data.clone())?;
            }
        }
        Ok(after)
    }

    /// Erases a feature and the links that touch it — from its edition, or (owners) from every
    /// edition. A published place's site is withdrawn. Returns the erased ids.
    pub fn delete_feature(
        &self,
        principal: &Principal,
        group_id: i64,
        id: i64,
        all_editions: bool,
    ) -> Result<Vec<i64>, Error> {
        let needed = if all_editions { Action::OwnGroup(group_id) } else { Action::EditGroup(group_id) };
        self.authorize(principal, needed)?;
        let feature =
            self.private.feature(group_id, id)?.ok_or_else(|| Error::NotFound(format!("no feature {id}")))?;
        let audit = principal.audit("feature.delete", Some(group_id), vec![]);
        let erased = self.private.delete_feature(group_id, id, all_editions, &audit)?;
        if let Some(site_id) = feature.site_id {
            match self.store.delete_site(SiteId(site_id)) {
                Ok(()) | Err(crate::store::StoreError::SiteNotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(erased)
    }

    /// Publishes a gathering place as a public site of `kind` (owners): only then it is public.
    pub fn publish_place(
        &self,
        principal: &Principal,
        group_id: i64,
        id: i64,
        kind: SiteKind,
    ) -> Result<SiteId, Error> {
        self.authorize(principal, Action::OwnGroup(group_id))?;
        let feature =
            self.private.feature(group_id, id)?.ok_or_else(|| Error::NotFound(format!("no feature {id}")))?;
        let (FeatureType::Place, Some((lon, lat)), None) = (feature.ftype, feature.lon_lat, feature.site_id)
        else {
            return Err(Error::Conflict(format!("feature {id} is not an unpublished place")));
        };
        let mut properties = crate::model::Properties::new();
        properties.insert("source".into(), json!("支え合いマップで公開されたたまり場"));
        let site = SiteData {
            name: feature.label.clone(),
            kind,
            location: geo::point!(x: lon, y: lat),
            address: None,
            schedule: None,
            audience: Vec::new(),
            operator: None,
            properties,
        };
        let site_id = self.store.insert_sites([site])?[0];
        let audit = principal.audit("place.publish", Some(group_id), vec![]);
        self.private.set_feature_site(group_id, id, Some(site_id.0), &audit)?;
        Ok(site_id)
    }

    /// Starts a new edition as a copy of the current one (owners); `None`: the next year that is
    /// after the current edition and not before this year.
    pub fn new_edition(
        &self,
        principal: &Principal,
        group_id: i64,
        edition: Option<i32>,
    ) -> Result<(i32, usize), Error> {
        self.authorize(principal, Action::OwnGroup(group_id))?;
        let group =
            self.private.group(group_id)?.ok_or_else(|| Error::NotFound(format!("no group {group_id}")))?;
        let edition = edition.unwrap_or_else(|| (group.edition + 1).max(super::this_year()));
        let audit = principal.audit("edition.create", Some(group_id), vec![]);
        Ok((edition, self.private.new_edition(group_id, edition, &audit)?))
    }

    /// The editions of a group with what changed from each to the next (members).
    pub fn editions(&self, principal: &Principal, group_id: i64) -> Result<Vec<EditionInfo>, Error> {
        self.authorize(principal, Action::ReadGroup(group_id))?;
        let mut previous = Vec::new();
        let mut infos = Vec::new();
        for edition in self.private.editions(group_id)? {
            let now = self.private.features(group_id, edition)?;
            let diff = EditionDiff::between(&previous, &now);
            infos.push(EditionInfo {
                edition,
                features: now.len(),
                added: diff.added.len(),
                removed: diff.removed.len(),
                changed: diff.changed.len(),
            });
            previous = now;
        }
        Ok(infos)
    }

    /// The group's audit log (owners).
    pub fn group_audit(&self, principal: &Principal, group_id: i64) -> Result<Vec<AuditRow>, Error> {
        self.authorize(principal, Action::OwnGroup(group_id))?;
        Ok(self.private.group_audit(group_id)?)
    }
}

fn same_content(a: &FeatureRow, b: &FeatureRow) -> bool {
    (a.lon_lat, &a.label, &a.tags, &a.note, a.ends) == (b.lon_lat, &b.label, &b.tags, &b.note, b.ends)
}

fn polygon_text(p: &geo::Polygon<f64>) -> Result<String, Error> {
    if p.exterior().0.len() < 4 {
        return Err(Error::Invalid("polygon: a group's polygon needs at least three corners".into()));
    }
    for c in p.exterior().0.iter() {
        check_lon_lat(c.x, c.y).map_err(|e| Error::Invalid(format!("polygon: {e}")))?;
    }
    Ok(geojson::Geometry::from(p).to_string())
}

/// Where a group is for the overlays: a point inside its area or polygon.
pub(super) fn group_point(index: &crate::store::Index, group: &GroupRow) -> Option<geo::Point<f64>> {
    if let Some(area) = group.area_id.and_then(|id| index.area(AreaId(id))) {
        return area.geometry.interior_point();
    }
    let geometry: geojson::Geometry = group.polygon.as_deref()?.parse().ok()?;
    let polygon: geo::Polygon<f64> = geometry.try_into().ok()?;
    polygon.interior_point()
}

/// Checks a feature against the fixed lists and limits before anything is written.
fn check_feature(input: &FeatureInput) -> Result<(), Error> {
    let allowed = input.ftype.vocabulary();
    let word = input.ftype.word();
    for tag in &input.tags {
        if !allowed.contains(&tag.as_str()) {
            return Err(Error::Invalid(format!("{word} {tag:?} is not one of {}", allowed.join("、"))));
        }
    }
    if input.ftype.has_one_word() && input.tags.len() != 1 {
        return Err(Error::Invalid(format!("a {} has exactly one {word}", input.ftype.as_str())));
    }
    check_text(&input.label, LABEL_CHARS).map_err(|e| {
        Error::Invalid(format!("label: {e} — initials or a nickname are enough, never a full name"))
    })?;
    check_text(&input.note, TEXT_CHARS).map_err(|e| Error::Invalid(format!("note: {e}")))?;
    match (input.ftype, input.lon_lat, input.ends) {
        (FeatureType::Link, _, Some((a, b))) if a != b => Ok(()),
        (FeatureType::Link, _, _) => {
            Err(Error::Invalid("a link needs `from` and `to`: two different features".into()))
        }
        (_, Some((lon, lat)), None) => {
            check_lon_lat(lon, lat).map_err(|e| Error::Invalid(format!("geometry: {e}")))
        }
        _ => Err(Error::Invalid(format!("a {} is a Point", input.ftype.as_str()))),
    }
}

/// Reads a GeoJSON Feature of a group's map: `type` and the fields of its type in `properties`.
pub fn feature_input(value: &Value) -> Result<FeatureInput, Error> {
    let props = value.get("properties").and_then(Value::as_object).ok_or_else(|| {
        Error::Invalid("send a GeoJSON Feature with `properties` (type, label, tags, note …)".into())
    })?;
    let text = |name: &str| props.get(name).and_then(Value::as_str).unwrap_or_default().trim().to_owned();
    let ftype: FeatureType =
        text("type").parse().map_err(|e: String| Error::Invalid(format!("type: {e}")))?;
    let mut tags: Vec<String> = match props.get("tags") {
        Some(Value::Array(a)) => a.iter().map(|t| t.as_str().map(str::to_owned)).collect::<Option<_>>(),
        None | Some(Value::Null) => Some(Vec::new()),
        _ => None,
    }
    .ok_or_else(|| Error::Invalid("tags: a list of words from the fixed list".into()))?;
    if ftype.has_one_word() && tags.is_empty() && !text(ftype.word()).is_empty() {
        tags.push(text(ftype.word()));
    }
    let mut seen = HashSet::new();
    tags.retain(|t| seen.insert(t.clone()));
    let id = |name: &str| props.get(name).and_then(Value::as_i64);
    let ends = id("from").zip(id("to"));
    let lon_lat = match value.get("geometry") {
        Some(g) if ftype != FeatureType::Link && !g.is_null() => {
            let geometry: geojson::Geometry =
                serde_json::from_value(g.clone()).map_err(|e| Error::Invalid(format!("geometry: {e}")))?;
            match geometry.value {
                geojson::GeometryValue::Point { coordinates: p } if p.len() >= 2 => Some((p[0], p[1])),
                _ => return Err(Error::Invalid("geometry: a Point".into())),
            }
        }
        _ => None,
    };
    Ok(FeatureInput { ftype, lon_lat, label: text("label"), tags, note: text("note"), ends })
}

/// An edition's map as a GeoJSON FeatureCollection; links run between their ends. Each feature
/// new or changed since the edition before says so in `properties.change` (`added`, `changed`),
/// and the features that edition had and this one lost are listed in `removed`.
pub fn features_geojson(map: &EditionMap) -> Value {
    let by_key: HashMap<i64, &FeatureRow> = map.features.iter().map(|f| (f.key, f)).collect();
    let features = map.features.iter().map(|f| {
        let mut j = feature_geojson(f, &by_key);
        let change = if map.diff.added.contains(&f.key) {
            Some("added")
        } else {
            map.diff.changed.contains(&f.key).then_some("changed")
        };
        if let Some(change) = change {
            j["properties"]["change"] = json!(change);
        }
        j
    });
    let removed_ends: HashMap<i64, &FeatureRow> = map.diff.removed.iter().map(|f| (f.key, f)).collect();
    let g = &map.group;
    json!({
        "type": "FeatureCollection",
        "group": { "id": g.id, "name": g.name, "edition": map.edition, "current_edition": g.edition },
        "features": features.collect::<Vec<_>>(),
        "removed": map.diff.removed.iter().map(|f| feature_geojson(f, &removed_ends)).collect::<Vec<_>>(),
    })
}

/// One feature as GeoJSON; `ends` holds the features its link joins (by key).
pub fn feature_geojson(f: &FeatureRow, ends: &HashMap<i64, &FeatureRow>) -> Value {
    let point = |row: &FeatureRow| row.lon_lat.map(|(x, y)| vec![x, y]);
    let geometry = match (f.ftype, f.ends) {
        (FeatureType::Link, Some((a, b))) => {
            match (ends.get(&a).and_then(|r| point(r)), ends.get(&b).and_then(|r| point(r))) {
                (Some(pa), Some(pb)) => json!({ "type": "LineString", "coordinates": [pa, pb] }),
                _ => Value::Null,
            }
        }
        _ => point(f).map_or(Value::Null, |p| json!({ "type": "Point", "coordinates": p })),
    };
    let mut props = json!({
        "type": f.ftype.as_str(), "label": f.label, "tags": f.tags, "note": f.note,
        "key": f.key, "edition": f.edition,
    });
    if let Some((a, b)) = f.ends {
        props["from"] = json!(ends.get(&a).map(|r| r.id));
        props["to"] = json!(ends.get(&b).map(|r| r.id));
    }
    if f.ftype.has_one_word() {
        props[f.ftype.word()] = json!(f.tags.first());
    }
    if f.ftype == FeatureType::Place {
        props["published_site_id"] = json!(f.site_id);
    }
    json!({ "type": "Feature", "id": f.id, "geometry": geometry, "properties": props })
}
