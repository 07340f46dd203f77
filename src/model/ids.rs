//! Typed ids: an area id can never be passed where a site id is meant. Each is the feature's `fid`
//! in its GeoPackage table.

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

id_type!(
    /// Id of an [`Area`](super::Area).
    AreaId
);
id_type!(
    /// Id of a [`Site`](super::Site).
    SiteId
);
id_type!(
    /// Id of a [`PopulationUnit`](super::PopulationUnit).
    PopulationId
);
