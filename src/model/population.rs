//! Population units: counts of residents at a point (a 町丁 representative point or a mesh-cell
//! centre), in EPSG:4326.

use super::{PopulationId, Properties};
use geo::Point;

/// Counts at one point.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationData {
    /// A label such as the 町丁 name or mesh code.
    pub name: Option<String>,
    pub location: Point<f64>,
    pub total: u32,
    /// Residents aged 65 and over (65歳以上).
    pub aged65: u32,
    /// Residents aged 75 and over (75歳以上).
    pub aged75: u32,
    pub source: Option<String>,
    pub year: Option<i32>,
    pub properties: Properties,
}

/// Counts that cannot all be true.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[error("population counts are inconsistent: need aged75 ({aged75}) ≤ aged65 ({aged65}) ≤ total ({total})")]
pub struct PopulationCountError {
    pub total: u32,
    pub aged65: u32,
    pub aged75: u32,
}

impl PopulationData {
    /// Checks that the age groups nest: 75+ within 65+ within the total.
    pub fn check_counts(&self) -> Result<(), PopulationCountError> {
        if self.aged75 <= self.aged65 && self.aged65 <= self.total {
            Ok(())
        } else {
            Err(PopulationCountError { total: self.total, aged65: self.aged65, aged75: self.aged75 })
        }
    }
}

/// A stored population unit.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationUnit {
    pub id: PopulationId,
    pub data: PopulationData,
}
