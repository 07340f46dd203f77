//! Walking profiles and the network settings, configurable in the TOML config. Speeds are metres per
//! minute; the defaults follow the 徒歩1分 = 80 m convention.

use serde::Deserialize;
use std::collections::BTreeMap;

/// How one kind of walker moves.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Walking speed on the flat, in metres per minute.
    pub speed_m_per_min: f64,
    /// How many times longer a metre of steps takes than a metre of street.
    #[serde(default = "one")]
    pub steps_factor: f64,
    /// Whether steps can be used at all (false for wheelchairs).
    #[serde(default = "yes")]
    pub use_steps: bool,
    /// What the page calls it (高齢者); the profile's name when not given.
    #[serde(default)]
    pub label: Option<String>,
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

impl Profile {
    fn labelled(label: &str, speed_m_per_min: f64, steps_factor: f64, use_steps: bool) -> Self {
        Profile { speed_m_per_min, steps_factor, use_steps, label: Some(label.to_owned()) }
    }

    /// Minutes to walk `metres` along an edge.
    pub fn minutes(&self, metres: f64, steps: bool) -> f64 {
        let factor = if steps { self.steps_factor } else { 1.0 };
        metres / self.speed_m_per_min * factor
    }

    /// Whether an edge can be used.
    pub fn can_use(&self, steps: bool) -> bool {
        self.use_steps || !steps
    }
}

/// Everything that shapes a catchment, with the defaults care teams use.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkSettings {
    /// Profiles by name; configured ones are added to (or replace) the defaults.
    #[serde(deserialize_with = "over_default_profiles")]
    pub profiles: BTreeMap<String, Profile>,
    /// Half-width of the walk shed drawn around reached streets, in metres.
    pub walk_shed_m: f64,
    /// Farthest a site or home may be from a walkable way, in metres.
    pub max_snap_m: f64,
    /// Components with fewer nodes than this (other than the largest) are not snapped to.
    pub min_component_nodes: u32,
    /// Largest time budget accepted, in minutes.
    pub max_minutes: f64,
}

fn over_default_profiles<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Profile>, D::Error> {
    let mut profiles = NetworkSettings::default().profiles;
    for (name, mut configured) in BTreeMap::<String, Profile>::deserialize(d)? {
        // A default profile configured anew keeps its label unless given another.
        if configured.label.is_none() {
            configured.label = profiles.get(&name).and_then(|p| p.label.clone());
        }
        profiles.insert(name, configured);
    }
    Ok(profiles)
}

impl Default for NetworkSettings {
    fn default() -> Self {
        let profiles = BTreeMap::from([
            ("standard".to_owned(), Profile::labelled("一般", 80.0, 1.0, true)),
            ("elderly".to_owned(), Profile::labelled("高齢者", 60.0, 2.0, true)),
            ("wheelchair".to_owned(), Profile::labelled("車いす", 50.0, 1.0, false)),
        ]);
        NetworkSettings {
            profiles,
            walk_shed_m: 50.0,
            max_snap_m: 300.0,
            min_component_nodes: 100,
            max_minutes: 60.0,
        }
    }
}

impl NetworkSettings {
    /// The profile called `name`.
    pub fn profile(&self, name: &str) -> Result<&Profile, super::NetworkError> {
        self.profiles.get(name).ok_or_else(|| super::NetworkError::UnknownProfile {
            name: name.to_owned(),
            known: self.profiles.keys().cloned().collect::<Vec<_>>().join(", "),
        })
    }

    /// What the page calls the profile `name`: its label, else its name.
    pub fn label<'a>(&'a self, name: &'a str) -> &'a str {
        self.profiles.get(name).and_then(|p| p.label.as_deref()).unwrap_or(name)
    }

    /// Checks a time budget.
    pub fn check_minutes(&self, minutes: f64) -> Result<f64, super::NetworkError> {
        if minutes.is_finite() && minutes > 0.0 && minutes <= self.max_minutes {
            Ok(minutes)
        } else {
            Err(super::NetworkError::Minutes { minutes, max: self.max_minutes })
        }
    }
}
