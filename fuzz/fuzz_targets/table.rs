//! Delimited text tables (any encoding, delimiter, quoting) through the site and population readers:
//! every input is read or refused with an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sasaeai::import::{self, PopulationOptions, SiteOptions};

fuzz_target!(|data: &[u8]| {
    let _ = import::sites(data, &SiteOptions { kind: Some(sasaeai::model::SiteKind::Other), ..Default::default() });
    let _ = import::sites(data, &SiteOptions::default());
    let _ = import::population(data, &PopulationOptions::default());
    let _ = import::preview::sites(data, &SiteOptions::default());
});
