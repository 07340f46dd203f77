//! Sites: the places older residents go to — facilities, cafés, 縁側, parks. Location in EPSG:4326.

use super::{Properties, SiteId};
use geo::Point;

macro_rules! labelled_enum {
    ($(#[$doc:meta])* $name:ident ($what:literal) { $($(#[$vdoc:meta])* $variant:ident = $id:literal / $ja:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The identifier used in the API, the CLI and the store.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $id),+ }
            }

            /// The Japanese label shown to users.
            pub fn label_ja(self) -> &'static str {
                match self { $($name::$variant => $ja),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            /// Accepts the identifier or the Japanese label.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let s = s.trim();
                $name::ALL.iter().copied().find(|v| v.as_str() == s || v.label_ja() == s).ok_or_else(|| {
                    let known: Vec<_> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!("unknown {} {s:?}; expected one of {}", $what, known.join(", "))
                })
            }
        }
    };
}

pub(crate) use labelled_enum;

labelled_enum!(
    /// What kind of place a site is.
    SiteKind ("site kind") {
        /// 地域包括支援センター
        CareCenter = "care_center" / "地域包括支援センター",
        /// 介護サービス事業所
        CareService = "care_service" / "介護サービス事業所",
        /// 医療機関
        Clinic = "clinic" / "医療機関",
        /// 薬局
        Pharmacy = "pharmacy" / "薬局",
        /// コミュニティカフェ・認知症カフェ
        Cafe = "cafe" / "コミュニティカフェ・認知症カフェ",
        /// 地域の縁側: a drop-in spot for anyone
        Engawa = "engawa" / "地域の縁側",
        /// 通いの場
        Kayoinoba = "kayoinoba" / "通いの場",
        /// いこいの家
        Ikoi = "ikoi" / "いこいの家",
        /// 保育所・子育て支援
        Childcare = "childcare" / "保育所・子育て支援",
        /// 公園
        Park = "park" / "公園",
        /// 市民館・こども文化センター
        CommunityCenter = "community_center" / "市民館・こども文化センター",
        /// その他
        Other = "other" / "その他",
    }
);

labelled_enum!(
    /// Who a site is for.
    Audience ("audience") {
        /// 高齢者
        Elderly = "elderly" / "高齢者",
        /// 認知症
        Dementia = "dementia" / "認知症",
        /// 子育て
        Parenting = "parenting" / "子育て",
        /// 障害
        Disability = "disability" / "障害",
        /// 多世代
        AllGenerations = "all_generations" / "多世代",
    }
);

/// A site as written by an import or the API, before it has an id.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteData {
    pub name: String,
    pub kind: SiteKind,
    pub location: Point<f64>,
    pub address: Option<String>,
    /// When it is open, as people write it: 毎週水曜 10–12時, 月1回.
    pub schedule: Option<String>,
    pub audience: Vec<Audience>,
    pub operator: Option<String>,
    pub properties: Properties,
}

/// A stored site.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub id: SiteId,
    pub data: SiteData,
}

/// The property holding the date a site opened, as ISO (`2020-04-01`).
pub const OPENED_KEY: &str = "opened";
/// The property holding the date a site closed, as ISO.
pub const CLOSED_KEY: &str = "closed";

impl SiteData {
    /// The date property `key` ([`OPENED_KEY`], [`CLOSED_KEY`]) as written (ISO), with its year.
    pub fn date(&self, key: &str) -> Option<(&str, i32)> {
        let date = self.properties.get(key)?.as_str()?;
        Some((date, date.get(..4)?.parse().ok()?))
    }

    /// Whether the site is open in `year`: opened (`opened`, ISO date) in that year or before, and not
    /// closed (`closed`) before or during it. A site without dates is always open.
    ///
    /// ```
    /// # use sasaeai::model::{SiteData, SiteKind};
    /// let mut site = SiteData { name: "カフェ".into(), kind: SiteKind::Cafe, location: geo::Point::new(139.0, 35.0),
    ///     address: None, schedule: None, audience: vec![], operator: None, properties: Default::default() };
    /// site.properties.insert("opened".into(), "2020-04-01".into());
    /// site.properties.insert("closed".into(), "2024-03-31".into());
    /// assert!(!site.open_in(2019) && site.open_in(2020) && site.open_in(2023) && !site.open_in(2024));
    /// ```
    pub fn open_in(&self, year: i32) -> bool {
        self.date(OPENED_KEY).is_none_or(|(_, y)| y <= year)
            && self.date(CLOSED_KEY).is_none_or(|(_, y)| y > year)
    }
}
