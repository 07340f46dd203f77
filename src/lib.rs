//! sasaeai (支え合い): geospatial analysis and map tiles for community-based integrated care.
//!
//! Coordinates are WGS84 longitude/latitude (EPSG:4326) at every edge of the crate; each module says
//! which system it works in.

pub mod analysis;
pub mod app;
pub mod config;
pub mod deadline;
pub mod demo;
pub mod export;
pub mod halves;
pub mod http;
pub mod import;
pub mod mapstyle;
pub mod maptiles;
pub mod model;
pub mod network;
pub mod private;
pub mod store;
