//! Indicator figures per area and year. Kept here, not in the GeoPackage, because some are
//! staff-only (認知症高齢者数, 高齢者虐待事例件数): handing out the public file must not hand them out.
//! Who sees which is decided by the application from the catalogue.

use super::audit::{self, AuditEntry};
use super::sql::args;
use super::{PrivateError, PrivateStore};
use crate::model::AreaId;
use crate::model::indicators::{IndicatorFigure, IndicatorValue};
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
        self.write_counted(super::INDICATORS, |sql| {
            let mut removed = 0;
            for (indicator, year) in &replaced {
                removed += sql.execute(
                    "DELETE FROM indicator_values WHERE tenant = :tenant AND indicator = ?1 AND year = ?2",
                    args![*indicator, *year],
                )?;
            }
            for v in values {
                let value = match v.figure {
                    IndicatorFigure::Value(x) => Some(x),
                    IndicatorFigure::Suppressed => None,
                };
                sql.execute(
                    "INSERT INTO indicator_values (tenant, area_id, indicator, year, value) \
                     VALUES (:tenant, ?1, ?2, ?3, ?4)",
                    args![v.area_id.0, &v.indicator, v.year, value],
                )?;
            }
            audit::append(sql, &audit_entry.about(None, Vec::new()))?;
            Ok(removed as usize)
        })
    }

    /// Every stored figure.
    pub fn indicator_values(&self) -> Result<Vec<IndicatorValue>, PrivateError> {
        self.read(|sql| {
            sql.rows(
                "SELECT area_id, indicator, year, value FROM indicator_values WHERE tenant = :tenant \
                 ORDER BY indicator, year, area_id",
                &[],
                |r| {
                    Ok(IndicatorValue {
                        area_id: AreaId(r.get(0)?),
                        indicator: r.get(1)?,
                        year: r.get(2)?,
                        figure: r
                            .get::<Option<f64>>(3)?
                            .map_or(IndicatorFigure::Suppressed, IndicatorFigure::Value),
                    })
                },
            )
        })
    }
}
