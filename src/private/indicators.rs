//! Indicator figures per area and year. Kept here, not in the GeoPackage, because some are
//! staff-only (認知症高齢者数, 高齢者虐待事例件数): handing out the public file must not hand them out.
//! Who sees which is decided by the application from the catalogue.

use super::audit::{self, AuditEntry};
use super::{PrivateError, PrivateStore};
use crate::model::AreaId;
use crate::model::indicators::{IndicatorFigure, IndicatorValue};
use rusqlite::params;
use std::collections::BTreeSet;

impl PrivateStore {
    /// Stores `values` in one transaction: every figure of an (indicator, year) they hold is
    /// replaced, so importing a year again replaces that year. Returns how many figures the years
    /// held before.
    pub fn replace_indicator_values(
        &self,
        values: &[IndicatorValue],
        audit_entry: &AuditEntry,
    ) -> Result<usize, PrivateError> {
        let replaced: BTreeSet<(&str, i32)> = values.iter().map(|v| (v.indicator.as_str(), v.year)).collect();
        let removed = self.write(|tx| {
            let mut removed = 0;
            for (indicator, year) in &replaced {
                removed += tx.execute(
                    "DELETE FROM indicator_values WHERE indicator = ?1 AND year = ?2",
                    params![indicator, year],
                )?;
            }
            let mut insert = tx.prepare(
                "INSERT INTO indicator_values (area_id, indicator, year, value) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for v in values {
                let value = match v.figure {
                    IndicatorFigure::Value(x) => Some(x),
                    IndicatorFigure::Suppressed => None,
                };
                insert.execute(params![v.area_id.0, v.indicator, v.year, value])?;
            }
            audit::append(tx, &audit_entry.about(None, Vec::new()))?;
            Ok(removed)
        })?;
        self.indicators_version.fetch_add(1, std::sync::atomic::Ordering::Release);
        Ok(removed)
    }

    /// The version of the indicator figures and site participants in this process: it changes
    /// whenever an import of either commits.
    pub fn indicators_version(&self) -> u64 {
        self.indicators_version.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Every stored figure.
    pub fn indicator_values(&self) -> Result<Vec<IndicatorValue>, PrivateError> {
        self.read(|conn| {
            let mut stmt =
                conn.prepare("SELECT area_id, indicator, year, value FROM indicator_values ORDER BY rowid")?;
            let rows = stmt.query_map([], |r| {
                Ok(IndicatorValue {
                    area_id: AreaId(r.get(0)?),
                    indicator: r.get(1)?,
                    year: r.get(2)?,
                    figure: r
                        .get::<_, Option<f64>>(3)?
                        .map_or(IndicatorFigure::Suppressed, IndicatorFigure::Value),
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}
