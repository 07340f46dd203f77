//! The vocabulary of a 支え合いマップ (mutual-support map): what a feature is, and the fixed lists of
//! tags, link kinds and trouble categories that residents choose from. One place, served to the page
//! by `/api/meta`, so the form and the server never disagree.

use serde::{Deserialize, Serialize};

/// What a feature on a support map is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureType {
    /// Someone of concern (気になる人): a point with a short label, never a full name.
    Person,
    /// Someone who already looks in on others (民生委員, 見守り役, 世話焼きさん …).
    Helper,
    /// A gathering spot (たまり場); public only once the group publishes it.
    Place,
    /// Who helps whom: a line between two features.
    Link,
    /// A trouble (困りごと) at a point.
    Note,
}

impl FeatureType {
    pub const ALL: [FeatureType; 5] =
        [FeatureType::Person, FeatureType::Helper, FeatureType::Place, FeatureType::Link, FeatureType::Note];

    pub fn as_str(self) -> &'static str {
        match self {
            FeatureType::Person => "person",
            FeatureType::Helper => "helper",
            FeatureType::Place => "place",
            FeatureType::Link => "link",
            FeatureType::Note => "note",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            FeatureType::Person => "気になる人",
            FeatureType::Helper => "支える人",
            FeatureType::Place => "たまり場",
            FeatureType::Link => "つながり",
            FeatureType::Note => "困りごと",
        }
    }

    /// What its words from [`FeatureType::vocabulary`] are called: a link has one `kind`, a note
    /// one `category`, the others any number of `tag`s.
    pub fn word(self) -> &'static str {
        match self {
            FeatureType::Link => "kind",
            FeatureType::Note => "category",
            _ => "tag",
        }
    }

    /// Whether it carries exactly one word (a link's kind, a note's category).
    pub fn has_one_word(self) -> bool {
        matches!(self, FeatureType::Link | FeatureType::Note)
    }

    /// The tags (or, for links and notes, the kinds and categories) this type may carry.
    pub fn vocabulary(self) -> &'static [&'static str] {
        match self {
            FeatureType::Person => PERSON_TAGS,
            FeatureType::Helper => HELPER_TAGS,
            FeatureType::Place => PLACE_TAGS,
            FeatureType::Link => LINK_KINDS,
            FeatureType::Note => NOTE_CATEGORIES,
        }
    }
}

impl std::str::FromStr for FeatureType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        FeatureType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a feature type; types: person, helper, place, link, note"))
    }
}

/// Why someone is of concern.
pub const PERSON_TAGS: &[&str] = &[
    "ひとり暮らし",
    "高齢者のみの世帯",
    "認知症の疑い",
    "障害",
    "ひきこもり",
    "日中独居",
    "デイサービス利用",
    "介護に悩む家族",
];

/// Who a helper is.
pub const HELPER_TAGS: &[&str] = &["民生委員", "見守り役", "世話焼きさん", "自治会・町内会", "近所の人"];

/// What a gathering spot is.
pub const PLACE_TAGS: &[&str] = &["お店", "ベンチ", "集会所", "縁側", "その他"];

/// How one person helps another.
pub const LINK_KINDS: &[&str] =
    &["見守り", "声かけ", "買い物", "通院の送迎", "ごみ出し", "おすそ分け", "災害時の避難"];

/// What troubles a neighbourhood.
pub const NOTE_CATEGORIES: &[&str] = &["買い物", "通院", "ごみ出し", "坂・階段", "孤立", "災害"];

/// Longest label: initials or a nickname, not a full name with an address.
pub const LABEL_CHARS: usize = 20;

/// The lists above as one JSON object, for the page.
pub fn vocabulary_json() -> serde_json::Value {
    let mut types = serde_json::Map::new();
    for t in FeatureType::ALL {
        types.insert(
            t.as_str().to_owned(),
            serde_json::json!({ "label": t.label_ja(), "values": t.vocabulary() }),
        );
    }
    serde_json::json!({ "types": types, "label_chars": LABEL_CHARS })
}
