//! Excel workbooks: the bytes as an .xlsx (zip) or, behind the OLE2 signature, as an old .xls —
//! read or refused with an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sasaeai::import::{self, SiteOptions};

fuzz_target!(|data: &[u8]| {
    let options = SiteOptions { kind: Some(sasaeai::model::SiteKind::Other), ..Default::default() };
    let _ = import::sites(data, &options);
    let mut xls = b"\xD0\xCF\x11\xE0".to_vec();
    xls.extend_from_slice(data);
    let _ = import::sites(&xls, &options);
});
