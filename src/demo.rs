//! The Seattle demo set, built into the binary so `assetmap serve` works from
//! any directory; loaded into an empty database on first start.
//! Sources and licences: `data/SOURCES.md`.

use crate::import::run::{self, ImportSummary, Reporter};
use crate::import::{AssetProperties, ImportError, SchoolProperties};
use crate::service::Service;
use crate::store::Store;
use std::sync::Arc;

const ASSETS: &str = include_str!("../data/seattle/seattle_community_assets_combined.geojson");
const SITES: &str = include_str!("../data/seattle/Sites_2020.geojson");
const AREAS: [(&str, &str); 3] = [
    (
        include_str!("../data/seattle/sps_attendance_area_ES_2020_2021.geojson"),
        "ES_SCH",
    ),
    (
        include_str!("../data/seattle/sps_attendance_area_MS_2020_2021.geojson"),
        "MS_SCH",
    ),
    (
        include_str!("../data/seattle/sps_attendance_area_HS_2020_2021.geojson"),
        "HS_SCH",
    ),
];
const YEAR: &str = "2020-2021";

/// Loads the demo set: the 2020-21 school sites and attendance areas of Seattle
/// Public Schools and 643 community assets, with the same field choices as the
/// README's import commands.
pub async fn load(
    store: &Arc<dyn Store>,
    out: &mut dyn Reporter,
) -> Result<ImportSummary, ImportError> {
    let school_fields = SchoolProperties {
        id: Some("SchoolID".into()),
        name: "property_l".into(),
        level: Some("status".into()),
        district: String::new(),
    };
    let table = |name: &str, text: &str| crate::import::read_geojson_text(name, text);
    let mut total = run::schools(
        store.as_ref(),
        table("Sites_2020.geojson", SITES)?,
        &school_fields,
        out,
    )
    .await?;
    for (text, field) in AREAS {
        let key = crate::import::AreaKey::Id((*field).to_owned());
        let areas = table("attendance areas", text)?;
        let s = run::catchments(store.as_ref(), areas, &key, YEAR, out).await?;
        total.inserted += s.inserted;
        total.updated += s.updated;
        total.skipped += s.skipped;
    }
    let asset_fields = AssetProperties {
        id: Some("id".into()),
        source: "seattle-demo".into(),
        ..AssetProperties::default()
    };
    let s = run::assets(
        &Service::without_index(store.clone()),
        table("seattle_community_assets_combined.geojson", ASSETS)?,
        &asset_fields,
        out,
        false,
    )
    .await?;
    total.inserted += s.inserted;
    total.updated += s.updated;
    total.skipped += s.skipped;
    total.warnings += s.warnings;
    Ok(total)
}
