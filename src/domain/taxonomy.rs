//! The category taxonomy: the one list of asset categories, their labels,
//! aliases, community-schools pillars and need domains.
//!
//! A school's community-asset inventory sorts assets into about twenty top-level
//! categories. Each category carries the aliases that real source files use for it
//! (`park`, `community_centre`, `farmers_market`, ...), the California
//! community-schools pillars it serves and the need domain it belongs to, so that
//! the gap analysis reads by pillar and by domain. Anything that matches no alias
//! becomes [`OTHER`], with the original value kept by the importer.

use serde::Serialize;

/// The four pillars of California's community-schools framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pillar {
    IntegratedStudentSupports,
    FamilyAndCommunityEngagement,
    CollaborativeLeadership,
    ExtendedLearning,
}

impl Pillar {
    /// Every pillar, in the framework's order.
    pub const ALL: [Pillar; 4] = [
        Pillar::IntegratedStudentSupports,
        Pillar::FamilyAndCommunityEngagement,
        Pillar::CollaborativeLeadership,
        Pillar::ExtendedLearning,
    ];

    /// The identifier used in the API and in CSV column names.
    pub fn id(self) -> &'static str {
        match self {
            Pillar::IntegratedStudentSupports => "integrated_student_supports",
            Pillar::FamilyAndCommunityEngagement => "family_and_community_engagement",
            Pillar::CollaborativeLeadership => "collaborative_leadership",
            Pillar::ExtendedLearning => "extended_learning",
        }
    }

    /// The pillar as the framework names it.
    pub fn label(self) -> &'static str {
        match self {
            Pillar::IntegratedStudentSupports => "Integrated student supports",
            Pillar::FamilyAndCommunityEngagement => "Family and community engagement",
            Pillar::CollaborativeLeadership => "Collaborative leadership and practices",
            Pillar::ExtendedLearning => "Extended learning time and opportunities",
        }
    }

    /// The pillar with this identifier.
    pub fn parse(id: &str) -> Option<Pillar> {
        Pillar::ALL.into_iter().find(|p| p.id() == id)
    }
}

/// The need domains a community-schools needs assessment sorts services into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    ChildAndYouthServices,
    HealthAndWellness,
    CommunityActivitiesAndResources,
    FamilyServices,
}

impl Domain {
    /// Every domain, in report order.
    pub const ALL: [Domain; 4] = [
        Domain::ChildAndYouthServices,
        Domain::HealthAndWellness,
        Domain::CommunityActivitiesAndResources,
        Domain::FamilyServices,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Domain::ChildAndYouthServices => "child_and_youth_services",
            Domain::HealthAndWellness => "health_and_wellness",
            Domain::CommunityActivitiesAndResources => "community_activities_and_resources",
            Domain::FamilyServices => "family_services",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Domain::ChildAndYouthServices => "Child and youth services",
            Domain::HealthAndWellness => "Health and wellness",
            Domain::CommunityActivitiesAndResources => "Community activities and resources",
            Domain::FamilyServices => "Family services",
        }
    }
}

/// One top-level category.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Category {
    /// Stable identifier used in the API, the database and exports.
    pub id: &'static str,
    /// Human-readable label for legends and reports.
    pub label: &'static str,
    /// Values found in source files that mean this category (lower case, `_` for spaces).
    pub aliases: &'static [&'static str],
    /// The community-schools pillars this category serves, the main one first.
    pub pillars: &'static [Pillar],
    /// The need domain this category belongs to (`None` only for [`OTHER`]).
    pub domain: Option<Domain>,
    /// Marker colour on the map (hex), so the page and the legend agree.
    pub color: &'static str,
}

use Domain::*;
use Pillar::*;

/// The category every unknown value falls into.
pub const OTHER: &str = "other";

/// The taxonomy, in display order. Index positions are stable within a build and
/// are used as compact category codes in the in-memory index.
pub const CATEGORIES: &[Category] = &[
    Category {
        id: "health",
        label: "Health care",
        pillars: &[IntegratedStudentSupports],
        domain: Some(HealthAndWellness),
        color: "#d62728",
        aliases: &[
            "clinic",
            "hospital",
            "medical",
            "doctor",
            "dentist",
            "dental",
            "pharmacy",
            "health_centre",
            "health_center",
            "healthcare",
            "health_care",
            "public_health",
            "vision",
            "school_based_health_center",
        ],
    },
    Category {
        id: "mental_health",
        label: "Mental health",
        pillars: &[IntegratedStudentSupports],
        domain: Some(HealthAndWellness),
        color: "#9467bd",
        aliases: &[
            "mental_health_provider",
            "counseling",
            "counselling",
            "behavioral_health",
            "behavioural_health",
            "therapy",
            "crisis",
            "substance_use",
            "addiction",
        ],
    },
    Category {
        id: "food",
        label: "Food",
        pillars: &[IntegratedStudentSupports, FamilyAndCommunityEngagement],
        domain: Some(FamilyServices),
        color: "#ff7f0e",
        aliases: &[
            "food_bank",
            "foodbank",
            "food_pantry",
            "pantry",
            "meals",
            "meal_program",
            "soup_kitchen",
            "farmers_market",
            "community_garden",
            "p-patch",
            "p_patch",
            "grocery",
            "nutrition",
        ],
    },
    Category {
        id: "housing",
        label: "Housing and shelter",
        pillars: &[IntegratedStudentSupports],
        domain: Some(FamilyServices),
        color: "#8c564b",
        aliases: &[
            "shelter",
            "homeless",
            "homelessness",
            "housing_assistance",
            "emergency_shelter",
            "transitional_housing",
        ],
    },
    Category {
        id: "youth_programs",
        label: "Youth programs and after-school",
        pillars: &[ExtendedLearning],
        domain: Some(ChildAndYouthServices),
        color: "#e377c2",
        aliases: &[
            "youth",
            "after_school",
            "afterschool",
            "after-school",
            "youth_program",
            "youth_centre",
            "youth_center",
            "summer_program",
            "camp",
            "mentoring",
            "boys_and_girls_club",
            "ymca",
        ],
    },
    Category {
        id: "education",
        label: "Tutoring and education",
        pillars: &[ExtendedLearning],
        domain: Some(ChildAndYouthServices),
        color: "#17becf",
        aliases: &[
            "tutoring",
            "school",
            "college",
            "university",
            "adult_education",
            "literacy",
            "esl",
            "ged",
            "stem",
        ],
    },
    Category {
        id: "early_learning",
        label: "Early learning and child care",
        pillars: &[IntegratedStudentSupports, ExtendedLearning],
        domain: Some(ChildAndYouthServices),
        color: "#bcbd22",
        aliases: &[
            "child_care",
            "childcare",
            "daycare",
            "day_care",
            "preschool",
            "pre-k",
            "head_start",
            "kindergarten",
        ],
    },
    Category {
        id: "library",
        label: "Library",
        pillars: &[ExtendedLearning, FamilyAndCommunityEngagement],
        domain: Some(CommunityActivitiesAndResources),
        color: "#1f77b4",
        aliases: &["libraries", "public_library", "branch_library"],
    },
    Category {
        id: "parks_recreation",
        label: "Parks and recreation",
        pillars: &[ExtendedLearning],
        domain: Some(CommunityActivitiesAndResources),
        color: "#2ca02c",
        aliases: &[
            "park",
            "parks",
            "playground",
            "recreation",
            "sports",
            "sports_centre",
            "sports_center",
            "pool",
            "swimming_pool",
            "green_space",
            "open_space",
            "garden",
            "nature_reserve",
        ],
    },
    Category {
        id: "community_centre",
        label: "Community centre",
        pillars: &[FamilyAndCommunityEngagement, ExtendedLearning],
        domain: Some(CommunityActivitiesAndResources),
        color: "#7f7f7f",
        aliases: &[
            "community_center",
            "community_centre",
            "community_hall",
            "neighborhood_center",
            "neighbourhood_centre",
            "cultural_center",
            "cultural_centre",
            "recreation_center",
            "recreation_centre",
        ],
    },
    Category {
        id: "arts_culture",
        label: "Arts and culture",
        pillars: &[ExtendedLearning],
        domain: Some(CommunityActivitiesAndResources),
        color: "#aec7e8",
        aliases: &[
            "arts",
            "art",
            "culture",
            "museum",
            "theatre",
            "theater",
            "music",
            "gallery",
            "arts_centre",
            "arts_center",
        ],
    },
    Category {
        id: "faith",
        label: "Faith communities",
        pillars: &[FamilyAndCommunityEngagement],
        domain: Some(CommunityActivitiesAndResources),
        color: "#c5b0d5",
        aliases: &[
            "church",
            "mosque",
            "synagogue",
            "temple",
            "place_of_worship",
            "religious",
            "faith_based",
        ],
    },
    Category {
        id: "family_support",
        label: "Family support",
        pillars: &[FamilyAndCommunityEngagement, IntegratedStudentSupports],
        domain: Some(FamilyServices),
        color: "#ff9896",
        aliases: &[
            "family",
            "parenting",
            "family_resource_center",
            "family_resource_centre",
            "social_services",
            "social_facility",
            "case_management",
            "domestic_violence",
            "clothing",
            "basic_needs",
        ],
    },
    Category {
        id: "employment",
        label: "Employment and job training",
        pillars: &[FamilyAndCommunityEngagement],
        domain: Some(FamilyServices),
        color: "#98df8a",
        aliases: &[
            "jobs",
            "job_training",
            "workforce",
            "career",
            "employment_services",
        ],
    },
    Category {
        id: "legal_aid",
        label: "Legal aid and immigration",
        pillars: &[FamilyAndCommunityEngagement],
        domain: Some(FamilyServices),
        color: "#c49c94",
        aliases: &[
            "legal",
            "legal_services",
            "immigration",
            "immigrant_services",
            "refugee_services",
        ],
    },
    Category {
        id: "transportation",
        label: "Transportation",
        pillars: &[IntegratedStudentSupports],
        domain: Some(CommunityActivitiesAndResources),
        color: "#f7b6d2",
        aliases: &["transit", "bus", "transport", "bike_share"],
    },
    Category {
        id: "civic",
        label: "Government and civic services",
        pillars: &[CollaborativeLeadership],
        domain: Some(CommunityActivitiesAndResources),
        color: "#dbdb8d",
        aliases: &[
            "government",
            "city_services",
            "public_services",
            "police",
            "fire_station",
            "townhall",
            "town_hall",
            "community_council",
        ],
    },
    Category {
        id: "business",
        label: "Businesses and partners",
        pillars: &[CollaborativeLeadership],
        domain: Some(CommunityActivitiesAndResources),
        color: "#9edae5",
        aliases: &[
            "businesses",
            "shop",
            "store",
            "retail",
            "company",
            "employer",
            "partner",
            "bank",
        ],
    },
    Category {
        id: OTHER,
        label: "Other",
        pillars: &[],
        domain: None,
        color: "#393b79",
        aliases: &[],
    },
];

/// Normalises a raw category value for matching: lower case, spaces and `-` to `_`, trimmed.
fn normalise(raw: &str) -> String {
    raw.trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' | '/' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Looks a category up by its id (exact).
pub fn by_id(id: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.id == id)
}

/// The compact code of a category id (its position), used by the index.
pub fn code(id: &str) -> Option<u8> {
    CATEGORIES
        .iter()
        .position(|c| c.id == id)
        .and_then(|i| u8::try_from(i).ok())
}

/// The code of [`OTHER`].
pub fn other_code() -> u8 {
    u8::try_from(CATEGORIES.len() - 1).unwrap_or(u8::MAX)
}

/// Resolves a value from a source file to a category id by id, label or alias.
/// Returns `None` when nothing matches; the caller decides to use [`OTHER`] and warn.
pub fn resolve(raw: &str) -> Option<&'static str> {
    let n = normalise(raw);
    if n.is_empty() {
        return None;
    }
    CATEGORIES
        .iter()
        .find(|c| {
            c.id == n || normalise(c.label) == n || c.aliases.iter().any(|a| normalise(a) == n)
        })
        .map(|c| c.id)
}

/// Finds a category named inside free text (a service's name or keywords): the
/// first category one of whose names or aliases appears in it as whole words,
/// so "Redwood City Public Library" is a library but "parking" is no park.
pub fn infer(text: &str) -> Option<&'static str> {
    let words: Vec<String> = normalise(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let contains = |phrase: &str| {
        let p: Vec<&str> = phrase.split('_').filter(|w| !w.is_empty()).collect();
        !p.is_empty()
            && words
                .windows(p.len())
                .any(|w| w.iter().zip(&p).all(|(a, b)| a == b))
    };
    CATEGORIES
        .iter()
        .filter(|c| c.id != OTHER)
        .find(|c| {
            contains(c.id)
                || contains(&normalise(c.label))
                || c.aliases.iter().any(|a| contains(&normalise(a)))
        })
        .map(|c| c.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_file_values_resolve() {
        assert_eq!(resolve("park"), Some("parks_recreation"));
        assert_eq!(resolve("library"), Some("library"));
        assert_eq!(resolve("community_centre"), Some("community_centre"));
        assert_eq!(resolve("Community Center"), Some("community_centre"));
        assert_eq!(resolve("community_garden"), Some("food"));
        assert_eq!(resolve("farmers_market"), Some("food"));
        assert_eq!(resolve("Farmers Market"), Some("food"));
        assert_eq!(resolve("mental_health"), Some("mental_health"));
        assert_eq!(resolve("spaceport"), None);
        assert_eq!(resolve(""), None);
    }

    #[test]
    fn categories_inferred_from_free_text_by_whole_words() {
        assert_eq!(infer("Redwood City Public Library"), Some("library"));
        assert_eq!(infer("Free parking behind the building"), None);
        assert_eq!(infer("Senior Employment Services"), Some("employment"));
        assert_eq!(infer("Emergency food pantry"), Some("food"));
        assert_eq!(infer(""), None);
    }

    #[test]
    fn ids_are_unique_and_aliases_unambiguous() {
        let mut seen = std::collections::HashSet::new();
        for c in CATEGORIES {
            assert!(seen.insert(normalise(c.id)), "duplicate {}", c.id);
        }
        for c in CATEGORIES {
            for a in c.aliases {
                let n = normalise(a);
                let owners: Vec<_> = CATEGORIES
                    .iter()
                    .filter(|o| o.id == n || o.aliases.iter().any(|b| normalise(b) == n))
                    .map(|o| o.id)
                    .collect();
                assert_eq!(owners.len(), 1, "alias {a} is claimed by {owners:?}");
            }
        }
        assert_eq!(CATEGORIES.last().map(|c| c.id), Some(OTHER));
        assert!(CATEGORIES.len() >= 15 && CATEGORIES.len() <= 21);
    }

    #[test]
    fn every_category_but_other_has_pillars_and_a_domain_and_every_pillar_is_served() {
        for c in CATEGORIES.iter().filter(|c| c.id != OTHER) {
            assert!(!c.pillars.is_empty(), "{} has no pillar", c.id);
            assert!(c.domain.is_some(), "{} has no domain", c.id);
        }
        for p in Pillar::ALL {
            assert!(CATEGORIES.iter().any(|c| c.pillars.contains(&p)), "{p:?}");
            assert_eq!(Pillar::parse(p.id()), Some(p));
        }
        for d in Domain::ALL {
            assert!(CATEGORIES.iter().any(|c| c.domain == Some(d)), "{d:?}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for (i, c) in CATEGORIES.iter().enumerate() {
            assert_eq!(code(c.id), Some(i as u8));
        }
        assert_eq!(code(OTHER), Some(other_code()));
    }
}
