//! What ward staff open sasaeai for: coverage of older residents by walking distance per area, the
//! gaps where nobody reaches a place to go, the 地区カルテ, and where a new café would reach most.
//! Areas and points are EPSG:4326; walking times are minutes.
//!
//! Every figure comes from one [`Coverage`] computation per (site kinds, minutes, profile, data
//! version), cached, so the karte, the table and the map always agree.

mod coverage;
mod gaps;
pub mod indicators;
mod karte;
pub mod overlays;
mod suggest;
pub mod suppression;

pub use coverage::{AreaRow, Coverage, CoverageCache, CoverageKey, SkippedSite, compute};
pub use gaps::{Gap, gaps};
pub use karte::{Karte, karte};
pub use suggest::{MAX_CANDIDATES, Pick, SuggestQuestion, Suggestion, suggest};

/// Candidate places for [`suggest`].
pub mod suggest_candidate {
    pub use super::suggest::Candidate;
}

use crate::network::NetworkError;

/// The site kinds that count as "a place to go" when none are named: cafés, 縁側 and 通いの場.
pub const PLACES_TO_GO: [crate::model::SiteKind; 3] =
    [crate::model::SiteKind::Cafe, crate::model::SiteKind::Engawa, crate::model::SiteKind::Kayoinoba];

/// The walk the care teams ask about when no other is named: 15 minutes at an older person's pace.
pub const DEFAULT_MINUTES: f64 = 15.0;
/// The pace of [`DEFAULT_MINUTES`]: a walking profile's name.
pub const DEFAULT_PROFILE: &str = "elderly";

/// The 日常生活圏域 view: a sphere is the area in which the services a person needs are "about 30
/// minutes" away (the ministry's guide), so each sphere's coverage by these kinds in these minutes.
pub const SPHERE_VIEW_MINUTES: f64 = 30.0;
/// The services of the 日常生活圏域 view.
pub const SPHERE_VIEW_KINDS: [crate::model::SiteKind; 3] =
    [crate::model::SiteKind::CareCenter, crate::model::SiteKind::CareService, crate::model::SiteKind::Clinic];

/// Why an analysis cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// The walking network is missing or the budget or profile is wrong.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// No area has this id.
    #[error("no area with id {0}")]
    NoArea(crate::model::AreaId),
    /// The store holds no areas of the level asked for.
    #[error("the store holds no {0} areas")]
    NoAreas(crate::model::AreaLevel),
    /// The analysis ran past its deadline.
    #[error(transparent)]
    Expired(#[from] crate::deadline::Expired),
    /// A suggestion would weigh more candidate places than one request may.
    #[error("{count} candidate places is more than the {max} one suggestion may weigh; {hint}")]
    TooManyCandidates { count: usize, max: usize, hint: String },
}
