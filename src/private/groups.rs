//! Residents' groups, their members and their support-map features, edition by edition. A feature
//! keeps a `key` across editions (a new edition copies the last one), so what changed can be shown.

use super::audit::{AuditEntry, append};
use super::sql::{Row, Sql, args};
use super::{PrivateError, PrivateStore, now_s};
use crate::model::support::FeatureType;
use serde::Serialize;

/// A member's part in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupRole {
    /// Reads the map.
    Viewer,
    /// Reads and draws.
    Editor,
    /// Also adds and removes members, publishes places and reads the group's audit log.
    Owner,
}

impl GroupRole {
    fn as_str(self) -> &'static str {
        match self {
            GroupRole::Viewer => "viewer",
            GroupRole::Editor => "editor",
            GroupRole::Owner => "owner",
        }
    }

    fn parse(s: &str) -> GroupRole {
        match s {
            "owner" => GroupRole::Owner,
            "editor" => GroupRole::Editor,
            _ => GroupRole::Viewer,
        }
    }
}

/// A group.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRow {
    pub id: i64,
    pub name: String,
    /// The area it covers, or
    pub area_id: Option<i64>,
    /// a polygon drawn for it (GeoJSON geometry text).
    #[serde(skip)]
    pub polygon: Option<String>,
    /// The current edition (its year).
    pub edition: i32,
}

/// A member of a group.
#[derive(Debug, Clone, Serialize)]
pub struct MemberRow {
    pub user_id: i64,
    pub name: String,
    pub role: GroupRole,
}

/// A feature as given by its group.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureInput {
    pub ftype: FeatureType,
    /// Lon/lat (EPSG:4326); `None` for links, whose line runs between their ends.
    pub lon_lat: Option<(f64, f64)>,
    pub label: String,
    pub tags: Vec<String>,
    pub note: String,
    /// For links: the ids of the two features, in the same edition.
    pub ends: Option<(i64, i64)>,
}

/// A stored feature.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureRow {
    pub id: i64,
    pub group_id: i64,
    pub edition: i32,
    /// The same across editions.
    pub key: i64,
    pub ftype: FeatureType,
    pub lon_lat: Option<(f64, f64)>,
    pub label: String,
    pub tags: Vec<String>,
    pub note: String,
    /// For links: the keys of the two ends.
    pub ends: Option<(i64, i64)>,
    /// For a published place: the public site it became.
    pub site_id: Option<i64>,
}

/// Features one edition of one group may hold: a map of about 50 households needs a few hundred.
pub const MAX_FEATURES_PER_EDITION: usize = 2_000;

/// Groups one account may own.
pub const MAX_GROUPS_OWNED: usize = 100;

const GROUP: &str = "SELECT id, name, area_id, polygon, edition FROM groups WHERE tenant = :tenant";
const FEATURE: &str = "SELECT id, group_id, edition, key, type, lon, lat, label, tags, note, from_key, to_key, site_id \
                       FROM features WHERE tenant = :tenant";

fn group(r: &Row) -> Result<GroupRow, PrivateError> {
    Ok(GroupRow {
        id: r.get(0)?,
        name: r.get(1)?,
        area_id: r.get(2)?,
        polygon: r.get(3)?,
        edition: r.get(4)?,
    })
}

fn feature(r: &Row) -> Result<FeatureRow, PrivateError> {
    let (lon, lat): (Option<f64>, Option<f64>) = (r.get(5)?, r.get(6)?);
    let (from, to): (Option<i64>, Option<i64>) = (r.get(10)?, r.get(11)?);
    Ok(FeatureRow {
        id: r.get(0)?,
        group_id: r.get(1)?,
        edition: r.get(2)?,
        key: r.get(3)?,
        ftype: r.get::<String>(4)?.parse().unwrap_or(FeatureType::Note),
        lon_lat: lon.zip(lat),
        label: r.get(7)?,
        tags: serde_json::from_str(&r.get::<String>(8)?).unwrap_or_default(),
        note: r.get(9)?,
        ends: from.zip(to),
        site_id: r.get(12)?,
    })
}

fn features_of(sql: &mut dyn Sql, group_id: i64, edition: i32) -> Result<Vec<FeatureRow>, PrivateError> {
    sql.rows(
        &format!("{FEATURE} AND group_id = ?1 AND edition = ?2 ORDER BY id"),
        args![group_id, edition],
        feature,
    )
}

fn feature_with_id(sql: &mut dyn Sql, group_id: i64, id: i64) -> Result<Option<FeatureRow>, PrivateError> {
    let found = sql.query_opt(&format!("{FEATURE} AND id = ?1 AND group_id = ?2"), args![id, group_id])?;
    found.map(|r| feature(&r)).transpose()
}

fn group_with_id(sql: &mut dyn Sql, group_id: i64) -> Result<Option<GroupRow>, PrivateError> {
    sql.query_opt(&format!("{GROUP} AND id = ?1"), args![group_id])?.map(|r| group(&r)).transpose()
}

fn group_in(sql: &mut dyn Sql, group_id: i64) -> Result<GroupRow, PrivateError> {
    group_with_id(sql, group_id)?.ok_or_else(|| PrivateError::Missing(format!("group {group_id}")))
}

/// The key of feature `id` in the group's `edition`, for a link's end.
fn key_of(sql: &mut dyn Sql, group_id: i64, edition: i32, id: i64) -> Result<i64, PrivateError> {
    sql.query_opt(
        "SELECT key FROM features WHERE tenant = :tenant AND id = ?1 AND group_id = ?2 AND edition = ?3 \
         AND type <> 'link'",
        args![id, group_id, edition],
    )?
    .ok_or_else(|| PrivateError::Missing(format!("feature {id} to link")))?
    .get(0)
}

/// Writes `input` over feature `existing`, or as a new feature of the group's current edition.
fn write_feature(
    sql: &mut dyn Sql,
    existing: Option<i64>,
    g: &GroupRow,
    input: &FeatureInput,
) -> Result<i64, PrivateError> {
    let ends = match input.ends {
        Some((a, b)) => Some((key_of(sql, g.id, g.edition, a)?, key_of(sql, g.id, g.edition, b)?)),
        None => None,
    };
    let (lon, lat) = input.lon_lat.unzip();
    let (from, to) = ends.unzip();
    let tags = serde_json::to_string(&input.tags).expect("tags");
    match existing {
        Some(id) => {
            sql.execute(
                "UPDATE features SET type = ?1, lon = ?2, lat = ?3, label = ?4, tags = ?5, note = ?6, \
                 from_key = ?7, to_key = ?8, updated = ?9 WHERE tenant = :tenant AND id = ?10",
                args![input.ftype.as_str(), lon, lat, &input.label, tags, &input.note, from, to, now_s(), id],
            )?;
            Ok(id)
        }
        None => {
            let count: i64 = sql.value(
                "SELECT count(*) FROM features WHERE tenant = :tenant AND group_id = ?1 AND edition = ?2",
                args![g.id, g.edition],
            )?;
            if count >= MAX_FEATURES_PER_EDITION as i64 {
                return Err(PrivateError::Refused(format!(
                    "an edition holds at most {MAX_FEATURES_PER_EDITION} features (about 50 households need far fewer)"
                )));
            }
            let id: i64 = sql.value(
                "INSERT INTO features (tenant, group_id, edition, key, type, lon, lat, label, tags, note, \
                 from_key, to_key, updated) VALUES (:tenant, ?1, ?2, 0, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
                 RETURNING id",
                args![
                    g.id,
                    g.edition,
                    input.ftype.as_str(),
                    lon,
                    lat,
                    &input.label,
                    tags,
                    &input.note,
                    from,
                    to,
                    now_s()
                ],
            )?;
            sql.execute("UPDATE features SET key = ?1 WHERE tenant = :tenant AND id = ?1", args![id])?;
            Ok(id)
        }
    }
}

impl PrivateStore {
    /// Creates a group with `owner_id` as its owner and `edition` as its first edition.
    pub fn create_group(
        &self,
        name: &str,
        area_id: Option<i64>,
        polygon: Option<&str>,
        owner_id: i64,
        edition: i32,
        audit: &AuditEntry,
    ) -> Result<GroupRow, PrivateError> {
        self.write_map(|sql| {
            let owned: i64 = sql.value(
                "SELECT count(*) FROM members WHERE tenant = :tenant AND user_id = ?1 AND role = 'owner'",
                args![owner_id],
            )?;
            if owned >= MAX_GROUPS_OWNED as i64 {
                return Err(PrivateError::Refused(format!(
                    "one account owns at most {MAX_GROUPS_OWNED} groups"
                )));
            }
            let now = now_s();
            let id: i64 = sql.value(
                "INSERT INTO groups (tenant, name, area_id, polygon, edition, created) \
                 VALUES (:tenant, ?1, ?2, ?3, ?4, ?5) RETURNING id",
                args![name, area_id, polygon, edition, now],
            )?;
            sql.execute(
                "INSERT INTO editions (tenant, group_id, edition, created) VALUES (:tenant, ?1, ?2, ?3)",
                args![id, edition, now],
            )?;
            sql.execute(
                "INSERT INTO members (tenant, group_id, user_id, role) VALUES (:tenant, ?1, ?2, 'owner')",
                args![id, owner_id],
            )?;
            append(sql, &audit.about(Some(id), vec![id, owner_id]))?;
            group_in(sql, id)
        })
    }

    /// Group `id`.
    pub fn group(&self, id: i64) -> Result<Option<GroupRow>, PrivateError> {
        self.read(|sql| group_with_id(sql, id))
    }

    /// The groups `user_id` belongs to, with their part in each.
    pub fn groups_of(&self, user_id: i64) -> Result<Vec<(GroupRow, GroupRole)>, PrivateError> {
        self.read(|sql| {
            sql.rows(
                "SELECT g.id, g.name, g.area_id, g.polygon, g.edition, m.role FROM groups g \
                 JOIN members m ON m.tenant = g.tenant AND m.group_id = g.id \
                 WHERE g.tenant = :tenant AND m.user_id = ?1 ORDER BY g.id",
                args![user_id],
                |r| Ok((group(r)?, GroupRole::parse(&r.get::<String>(5)?))),
            )
        })
    }

    /// `user_id`'s part in `group_id`, if a member.
    pub fn member_role(&self, group_id: i64, user_id: i64) -> Result<Option<GroupRole>, PrivateError> {
        self.read(|sql| {
            let row = sql.query_opt(
                "SELECT role FROM members WHERE tenant = :tenant AND group_id = ?1 AND user_id = ?2",
                args![group_id, user_id],
            )?;
            Ok(row.map(|r| r.get::<String>(0)).transpose()?.as_deref().map(GroupRole::parse))
        })
    }

    /// The members of a group.
    pub fn members(&self, group_id: i64) -> Result<Vec<MemberRow>, PrivateError> {
        self.read(|sql| {
            sql.rows(
                "SELECT u.id, u.name, m.role FROM members m JOIN users u ON u.tenant = m.tenant AND u.id = m.user_id \
                 WHERE m.tenant = :tenant AND m.group_id = ?1 ORDER BY u.name",
                args![group_id],
                |r| Ok(MemberRow { user_id: r.get(0)?, name: r.get(1)?, role: GroupRole::parse(&r.get::<String>(2)?) }),
            )
        })
    }

    /// Adds `user_id` to a group, or changes their part.
    pub fn set_member(
        &self,
        group_id: i64,
        user_id: i64,
        role: GroupRole,
        audit: &AuditEntry,
    ) -> Result<(), PrivateError> {
        self.write(|sql| {
            sql.execute(
                "INSERT INTO members (tenant, group_id, user_id, role) VALUES (:tenant, ?1, ?2, ?3) \
                 ON CONFLICT (group_id, user_id) DO UPDATE SET role = excluded.role",
                args![group_id, user_id, role.as_str()],
            )?;
            append(sql, &audit.about(Some(group_id), vec![user_id]))
        })
    }

    /// Removes `user_id` from a group; the last owner cannot be removed. False when not a member.
    pub fn remove_member(
        &self,
        group_id: i64,
        user_id: i64,
        audit: &AuditEntry,
    ) -> Result<bool, PrivateError> {
        self.write(|sql| {
            let owners: Vec<i64> = sql.rows(
                "SELECT user_id FROM members WHERE tenant = :tenant AND group_id = ?1 AND role = 'owner'",
                args![group_id],
                |r| r.get(0),
            )?;
            if owners == [user_id] {
                return Err(PrivateError::Refused("the group's last owner cannot be removed".into()));
            }
            let n = sql.execute(
                "DELETE FROM members WHERE tenant = :tenant AND group_id = ?1 AND user_id = ?2",
                args![group_id, user_id],
            )?;
            if n > 0 {
                append(sql, &audit.about(Some(group_id), vec![user_id]))?;
            }
            Ok(n > 0)
        })
    }

    /// The features of a group's `edition`.
    pub fn features(&self, group_id: i64, edition: i32) -> Result<Vec<FeatureRow>, PrivateError> {
        self.read(|sql| features_of(sql, group_id, edition))
    }

    /// Feature `id` of group `group_id` (any edition).
    pub fn feature(&self, group_id: i64, id: i64) -> Result<Option<FeatureRow>, PrivateError> {
        self.read(|sql| feature_with_id(sql, group_id, id))
    }

    /// Every group with the features of its current edition: what the overlays count.
    pub fn current_features(&self) -> Result<Vec<(GroupRow, Vec<FeatureRow>)>, PrivateError> {
        self.read(|sql| {
            let groups = sql.rows(&format!("{GROUP} ORDER BY id"), &[], group)?;
            groups
                .into_iter()
                .map(|g| {
                    let features = features_of(sql, g.id, g.edition)?;
                    Ok((g, features))
                })
                .collect()
        })
    }

    /// Adds a feature to the group's current edition.
    pub fn insert_feature(
        &self,
        group_id: i64,
        input: &FeatureInput,
        audit: &AuditEntry,
    ) -> Result<FeatureRow, PrivateError> {
        self.save_feature(group_id, None, input, audit)
    }

    /// Replaces feature `id`, which must be in the group's current edition.
    pub fn update_feature(
        &self,
        group_id: i64,
        id: i64,
        input: &FeatureInput,
        audit: &AuditEntry,
    ) -> Result<FeatureRow, PrivateError> {
        self.save_feature(group_id, Some(id), input, audit)
    }

    /// Writes `input` as a new feature, or over `existing` of the current edition, with its audit row.
    fn save_feature(
        &self,
        group_id: i64,
        existing: Option<i64>,
        input: &FeatureInput,
        audit: &AuditEntry,
    ) -> Result<FeatureRow, PrivateError> {
        self.write_map(|sql| {
            let g = group_in(sql, group_id)?;
            if let Some(id) = existing {
                feature_with_id(sql, group_id, id)?
                    .filter(|f| f.edition == g.edition)
                    .ok_or_else(|| PrivateError::Missing(format!("feature {id} in the current edition")))?;
            }
            let id = write_feature(sql, existing, &g, input)?;
            append(sql, &audit.about(Some(group_id), vec![id]))?;
            feature_with_id(sql, group_id, id)?.ok_or_else(|| PrivateError::Missing(format!("feature {id}")))
        })
    }

    /// Records the public site a place became (`None`: withdrawn).
    pub fn set_feature_site(
        &self,
        group_id: i64,
        id: i64,
        site_id: Option<i64>,
        audit: &AuditEntry,
    ) -> Result<(), PrivateError> {
        self.write(|sql| {
            sql.execute(
                "UPDATE features SET site_id = ?1 WHERE tenant = :tenant AND id = ?2 AND group_id = ?3",
                args![site_id, id, group_id],
            )?;
            append(sql, &audit.about(Some(group_id), vec![id]))
        })
    }

    /// Erases feature `id` — from every edition when `all_editions`, else from its own — with the
    /// links that touch it there. Returns the ids erased. The rows are deleted, then the backend
    /// purges what it can of them (the SQLite file overwrites them and truncates its write-ahead
    /// log), so no copy of what the feature said is left behind.
    pub fn delete_feature(
        &self,
        group_id: i64,
        id: i64,
        all_editions: bool,
        audit: &AuditEntry,
    ) -> Result<Vec<i64>, PrivateError> {
        let erased = self.write_map(|sql| {
            let found =
                feature_with_id(sql, group_id, id)?.ok_or_else(|| PrivateError::Missing(format!("feature {id}")))?;
            let edition = (!all_editions).then_some(found.edition);
            let ids: Vec<i64> = sql.rows(
                "SELECT id FROM features WHERE tenant = :tenant AND group_id = ?1 \
                 AND (key = ?2 OR from_key = ?2 OR to_key = ?2) AND (CAST(?3 AS INTEGER) IS NULL OR edition = ?3) ORDER BY id",
                args![group_id, found.key, edition],
                |r| r.get(0),
            )?;
            for erased in &ids {
                sql.execute("DELETE FROM features WHERE tenant = :tenant AND id = ?1", args![*erased])?;
            }
            append(sql, &audit.about(Some(group_id), ids.clone()))?;
            Ok(ids)
        })?;
        self.backend.purge()?;
        Ok(erased)
    }

    /// Starts edition `edition` of a group as a copy of its current one; returns how many features
    /// were copied.
    pub fn new_edition(
        &self,
        group_id: i64,
        edition: i32,
        audit: &AuditEntry,
    ) -> Result<usize, PrivateError> {
        self.write_map(|sql| {
            let g = group_in(sql, group_id)?;
            if edition <= g.edition {
                return Err(PrivateError::Refused(format!(
                    "edition {edition} is not after the current edition {}",
                    g.edition
                )));
            }
            let copied = sql.execute(
                "INSERT INTO features (tenant, group_id, edition, key, type, lon, lat, label, tags, note, \
                 from_key, to_key, site_id, updated) SELECT tenant, group_id, CAST(?3 AS INTEGER), key, type, lon, \
                 lat, label, tags, note, from_key, to_key, site_id, CAST(?4 AS BIGINT) FROM features \
                 WHERE tenant = :tenant AND group_id = ?1 AND edition = ?2",
                args![group_id, g.edition, edition, now_s()],
            )?;
            sql.execute(
                "INSERT INTO editions (tenant, group_id, edition, created) VALUES (:tenant, ?1, ?2, ?3)",
                args![group_id, edition, now_s()],
            )?;
            sql.execute(
                "UPDATE groups SET edition = ?1 WHERE tenant = :tenant AND id = ?2",
                args![edition, group_id],
            )?;
            append(sql, &audit.about(Some(group_id), vec![group_id]))?;
            Ok(copied as usize)
        })
    }

    /// The editions of a group, oldest first.
    pub fn editions(&self, group_id: i64) -> Result<Vec<i32>, PrivateError> {
        self.read(|sql| {
            sql.rows(
                "SELECT edition FROM editions WHERE tenant = :tenant AND group_id = ?1 ORDER BY edition",
                args![group_id],
                |r| r.get(0),
            )
        })
    }
}
