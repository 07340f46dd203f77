//! GeoJSON through the area, site and population readers (geometry checks, crs members, merging
//! of N03 parts): read or refused with an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sasaeai::import::{self, AreaOptions, PopulationOptions, SiteOptions};

fuzz_target!(|data: &[u8]| {
    let _ = import::areas(data, &AreaOptions { level: Some(sasaeai::model::AreaLevel::Chome), ..Default::default() });
    let _ = import::sites(data, &SiteOptions::default());
    let _ = import::population(data, &PopulationOptions::default());
});
