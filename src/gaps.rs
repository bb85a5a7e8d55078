//! The gap analysis in the community-schools frame: a school's landscape read
//! by pillar and by need domain, with its active partners, and the plain
//! statement of each gap; as JSON for the page and as CSV for the school and
//! the district.
//!
//! Per category: the count inside the area (the attendance area, or the radius
//! around a school without one), the count within the ring (one mile by
//! convention), the school's active partners of that category, and the nearest
//! asset. A category with nothing inside the area is a gap; a pillar with no
//! active partner serving it is a gap too.

use serde::Serialize;
use uuid::Uuid;

use crate::domain::taxonomy::{self, CATEGORIES, Domain, Pillar};
use crate::domain::{Partnership, PartnershipStatus};
use crate::export::csv_cell;
use crate::i18n::Lang;
use crate::index::{AssetBrief, Landscape};

/// Distance for people, in English: metres under 1 km, else km with one decimal.
pub fn human_distance(m: f64) -> String {
    Lang::default().distance(m)
}

/// The plain statement of a category's gap in a language, e.g. "No mental
/// health within the 2024-2025 attendance area; nearest 2.3 km away."
pub fn gap_statement(lang: Lang, label: &str, nearest_m: Option<f64>, area: &str) -> String {
    let what = lowercase_first(label);
    match nearest_m {
        Some(d) => lang.f(
            "gap.none_within",
            &[
                ("what", &what),
                ("area", area),
                ("distance", &lang.distance(d)),
            ],
        ),
        None => lang.f("gap.none_anywhere", &[("what", &what), ("area", area)]),
    }
}

/// A label inside a sentence: lower-cased, as the languages served write it.
fn lowercase_first(label: &str) -> String {
    label.to_lowercase()
}

/// How a landscape's area reads in a sentence, in a language.
pub fn area_words(lang: Lang, l: &Landscape) -> String {
    match (&l.year, l.radius_m) {
        (Some(y), _) => lang.f("area.catchment", &[("year", y.as_str())]),
        (None, Some(r)) => lang.f("area.radius", &[("distance", &lang.distance(r))]),
        (None, None) => lang.t("area.generic").to_owned(),
    }
}

/// A need domain's label in a language.
pub fn domain_label(lang: Lang, d: Domain) -> &'static str {
    let key = format!("domain.{}", d.id());
    if lang.has(&key) {
        lang.t(&key)
    } else {
        d.label()
    }
}

/// A pillar's label in a language.
pub fn pillar_label(lang: Lang, p: Pillar) -> &'static str {
    let key = format!("pillar.{}", p.id());
    if lang.has(&key) {
        lang.t(&key)
    } else {
        p.label()
    }
}

/// An active partner of the school, as the analysis shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Partner {
    pub partnership_id: Uuid,
    pub asset_id: Uuid,
    pub name: String,
    pub category: &'static str,
    pub provides: Option<String>,
    /// The pillars the partnership serves: as recorded, else its category's.
    pub pillars: Vec<Pillar>,
    pub public: bool,
}

/// The nearest asset of a category.
#[derive(Debug, Clone, Serialize)]
pub struct NearestAsset {
    pub id: Uuid,
    pub name: String,
    pub distance_m: f64,
    pub inside_area: bool,
}

/// One category's line.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryGap {
    pub category: &'static str,
    pub label: &'static str,
    pub pillars: &'static [Pillar],
    pub domain: Option<Domain>,
    pub in_area: usize,
    pub within_radius: usize,
    pub active_partners: usize,
    pub nearest: Option<NearestAsset>,
    /// The statement of the gap when nothing of the category is in the area.
    pub gap: Option<String>,
}

/// A pillar's or a domain's totals over its categories.
#[derive(Debug, Clone, Serialize)]
pub struct GroupGap {
    pub id: &'static str,
    pub label: &'static str,
    pub categories: Vec<&'static str>,
    pub in_area: usize,
    pub within_radius: usize,
    pub active_partners: usize,
    /// The categories with nothing in the area.
    pub missing: Vec<&'static str>,
    /// Every gap of the group, in words.
    pub gaps: Vec<String>,
}

/// A school's gap analysis.
#[derive(Debug, Clone, Serialize)]
pub struct GapAnalysis {
    pub area: String,
    pub radius_m: f64,
    pub categories: Vec<CategoryGap>,
    pub pillars: Vec<GroupGap>,
    pub domains: Vec<GroupGap>,
    pub partners: Vec<Partner>,
    /// Every gap in words: the categories missing from the area, then the
    /// pillars without an active partner.
    pub gaps: Vec<String>,
}

/// The pillars a partnership serves: as recorded, else its asset's category's.
fn partner_pillars(p: &Partnership, category: &str) -> Vec<Pillar> {
    if p.fields.pillars.is_empty() {
        taxonomy::by_id(category)
            .map(|c| c.pillars.to_vec())
            .unwrap_or_default()
    } else {
        p.fields.pillars.clone()
    }
}

/// The analysis of one school's landscape (counted with a ring of `radius_m`)
/// and its partnerships, whose assets are described by `briefs`. Partnerships
/// of assets no longer published are left out.
pub fn analyse(
    lang: Lang,
    l: &Landscape,
    radius_m: f64,
    partnerships: &[Partnership],
    briefs: &[AssetBrief],
) -> GapAnalysis {
    let area = area_words(lang, l);
    let partners: Vec<Partner> = partnerships
        .iter()
        .filter(|p| p.fields.status == PartnershipStatus::Active)
        .filter_map(|p| {
            let b = briefs.iter().find(|b| b.id == p.asset_id)?;
            Some(Partner {
                partnership_id: p.id,
                asset_id: b.id,
                name: b.name.clone(),
                category: b.category,
                provides: p.fields.provides.clone(),
                pillars: partner_pillars(p, b.category),
                public: p.fields.public,
            })
        })
        .collect();
    let categories: Vec<CategoryGap> = CATEGORIES
        .iter()
        .zip(&l.categories)
        .map(|(c, cl)| CategoryGap {
            category: c.id,
            label: lang.category(c.id, c.label),
            pillars: c.pillars,
            domain: c.domain,
            in_area: cl.count,
            within_radius: cl.within_ring,
            active_partners: partners.iter().filter(|p| p.category == c.id).count(),
            nearest: cl.nearest.as_ref().map(|n| NearestAsset {
                id: n.id,
                name: n.name.clone(),
                distance_m: (n.distance_m * 10.0).round() / 10.0,
                inside_area: cl.nearest_inside,
            }),
            gap: (cl.count == 0 && c.id != taxonomy::OTHER).then(|| {
                gap_statement(
                    lang,
                    lang.category(c.id, c.label),
                    cl.nearest.as_ref().map(|n| n.distance_m),
                    &area,
                )
            }),
        })
        .collect();
    let group =
        |id, label, members: Vec<&CategoryGap>, partners_n: usize, extra: Option<String>| {
            let mut gaps: Vec<String> = members.iter().filter_map(|c| c.gap.clone()).collect();
            gaps.extend(extra);
            GroupGap {
                id,
                label,
                categories: members.iter().map(|c| c.category).collect(),
                in_area: members.iter().map(|c| c.in_area).sum(),
                within_radius: members.iter().map(|c| c.within_radius).sum(),
                active_partners: partners_n,
                missing: members
                    .iter()
                    .filter(|c| c.gap.is_some())
                    .map(|c| c.category)
                    .collect(),
                gaps,
            }
        };
    let pillars: Vec<GroupGap> = Pillar::ALL
        .iter()
        .map(|&p| {
            let members = categories
                .iter()
                .filter(|c| c.pillars.contains(&p))
                .collect();
            let n = partners.iter().filter(|x| x.pillars.contains(&p)).count();
            let label = pillar_label(lang, p);
            let extra =
                (n == 0).then(|| lang.f("gap.no_partner", &[("pillar", &lowercase_first(label))]));
            group(p.id(), label, members, n, extra)
        })
        .collect();
    let domains: Vec<GroupGap> = Domain::ALL
        .iter()
        .map(|&d| {
            let members: Vec<&CategoryGap> =
                categories.iter().filter(|c| c.domain == Some(d)).collect();
            let n = partners
                .iter()
                .filter(|x| taxonomy::by_id(x.category).and_then(|c| c.domain) == Some(d))
                .count();
            group(d.id(), domain_label(lang, d), members, n, None)
        })
        .collect();
    let mut gaps: Vec<String> = categories.iter().filter_map(|c| c.gap.clone()).collect();
    gaps.extend(
        pillars
            .iter()
            .filter(|p| p.active_partners == 0)
            .filter_map(|p| p.gaps.last().cloned()),
    );
    GapAnalysis {
        area,
        radius_m,
        categories,
        pillars,
        domains,
        partners,
        gaps,
    }
}

/// A number with at most one decimal, for CSV.
fn metres(m: f64) -> String {
    format!("{:.1}", m)
}

/// One school's analysis as CSV: a row per pillar and category (a category
/// serving two pillars appears under both).
pub fn school_csv(g: &GapAnalysis) -> String {
    let mut out = String::from(
        "pillar,domain,category,label,in_area,within_radius,radius_m,active_partners,nearest,nearest_distance_m,gap\r\n",
    );
    for p in Pillar::ALL {
        for c in g.categories.iter().filter(|c| c.pillars.contains(&p)) {
            let cells = [
                p.id().to_owned(),
                c.domain.map(|d| d.id()).unwrap_or("").to_owned(),
                c.category.to_owned(),
                csv_cell(c.label),
                c.in_area.to_string(),
                c.within_radius.to_string(),
                metres(g.radius_m),
                c.active_partners.to_string(),
                csv_cell(c.nearest.as_ref().map(|n| n.name.as_str()).unwrap_or("")),
                c.nearest
                    .as_ref()
                    .map(|n| metres(n.distance_m))
                    .unwrap_or_default(),
                csv_cell(c.gap.as_deref().unwrap_or("")),
            ];
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

/// The header of the district table: school columns, then per pillar its
/// counts, partners, missing categories and gaps.
pub fn district_csv_header() -> String {
    let mut out = String::from("school_id,external_id,name,area,radius_m");
    for p in Pillar::ALL {
        out.push_str(&format!(
            ",{0}_in_area,{0}_within_radius,{0}_active_partners,{0}_missing,{0}_gaps",
            p.id()
        ));
    }
    out.push_str("\r\n");
    out
}

/// One school's row of the district table.
pub fn district_csv_row(
    school_id: Uuid,
    external_id: &str,
    name: &str,
    g: &GapAnalysis,
    out: &mut String,
) {
    out.push_str(&format!(
        "{school_id},{},{},{},{}",
        csv_cell(external_id),
        csv_cell(name),
        csv_cell(&g.area),
        metres(g.radius_m)
    ));
    for p in &g.pillars {
        out.push_str(&format!(
            ",{},{},{},{},{}",
            p.in_area,
            p.within_radius,
            p.active_partners,
            csv_cell(&p.missing.join(";")),
            csv_cell(&p.gaps.join(" "))
        ));
    }
    out.push_str("\r\n");
}
