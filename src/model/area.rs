//! Areas: the nested units care is managed by — city, ward (区), daily-life sphere (日常生活圏域),
//! district (地区) and block (町丁). Geometry in EPSG:4326.

use super::{AreaId, Properties};
use geo::MultiPolygon;
use serde::{Deserialize, Serialize};

/// The administrative level of an area, from the whole city down to a 町丁.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    /// 市: the whole municipality.
    City,
    /// 区: an administrative ward of a designated city.
    Ward,
    /// 日常生活圏域: a daily-life sphere, about one junior-high-school district.
    Sphere,
    /// 地区: a district, the unit of the 地区カルテ.
    District,
    /// 町丁: a block (町丁目・大字).
    Chome,
}

impl AreaLevel {
    /// All levels, outermost first.
    pub const ALL: [AreaLevel; 5] =
        [AreaLevel::City, AreaLevel::Ward, AreaLevel::Sphere, AreaLevel::District, AreaLevel::Chome];

    /// The identifier used in the API, the CLI and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            AreaLevel::City => "city",
            AreaLevel::Ward => "ward",
            AreaLevel::Sphere => "sphere",
            AreaLevel::District => "district",
            AreaLevel::Chome => "chome",
        }
    }

    /// The Japanese name shown to users.
    pub fn label_ja(self) -> &'static str {
        match self {
            AreaLevel::City => "市",
            AreaLevel::Ward => "区",
            AreaLevel::Sphere => "日常生活圏域",
            AreaLevel::District => "地区",
            AreaLevel::Chome => "町丁",
        }
    }

    /// The levels that may contain this one, nearest first.
    pub fn outer_levels(self) -> impl Iterator<Item = AreaLevel> {
        AreaLevel::ALL.into_iter().rev().filter(move |l| *l < self)
    }
}

impl std::fmt::Display for AreaLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AreaLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AreaLevel::ALL.into_iter().find(|l| l.as_str() == s || l.label_ja() == s).ok_or_else(|| {
            format!("unknown area level {s:?}; expected one of city, ward, sphere, district, chome")
        })
    }
}

/// How the parent of a new area is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParentRef {
    /// From geometry: the area of the nearest outer level that overlaps it most.
    Derive,
    /// The outer-level area with this name or official code.
    Named(String),
}

/// An area as imported, before it has an id.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaData {
    pub name: String,
    pub level: AreaLevel,
    /// Official code, e.g. the 全国地方公共団体コード 14133 of 中原区.
    pub code: Option<String>,
    pub parent: ParentRef,
    pub geometry: MultiPolygon<f64>,
    pub properties: Properties,
}

/// A stored area.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    pub id: AreaId,
    pub name: String,
    pub level: AreaLevel,
    pub code: Option<String>,
    pub parent: Option<AreaId>,
    /// True when `parent` was derived from geometry rather than given; such parents are
    /// recomputed whenever an outer level is imported.
    pub parent_derived: bool,
    pub geometry: MultiPolygon<f64>,
    pub properties: Properties,
}
