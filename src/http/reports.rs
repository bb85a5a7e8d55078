//! `/reports/coverage`: the district-wide table of which schools have which
//! kinds of support — per school, the count of each category inside its area and
//! the distance from the campus to the nearest of each. The same computation as
//! a school's summary ([`crate::index::Index::landscape`]), once per school.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::AppState;
use super::error::{ApiError, FieldError};
use super::params::Params;
use crate::domain::SchoolRef;
use crate::domain::SchoolYear;
use crate::domain::taxonomy::CATEGORIES;
use crate::export::csv_cell;
use crate::index::{AreaSelector, Landscape};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports/coverage", get(coverage_json))
        .route("/reports/{file}", get(coverage_file))
}

/// Every school's landscape for a year (the newest of each school when `None`).
/// Schools without an area for that year are left out.
pub fn coverage(state: &AppState, year: Option<&SchoolYear>) -> Vec<Landscape> {
    state
        .index
        .schools()
        .into_iter()
        .filter_map(|s| {
            let sel = AreaSelector {
                school: SchoolRef::Id(s.school.id),
                year: year.cloned(),
            };
            // A school with no area for that year is left out.
            state.index.landscape(&sel).ok()
        })
        .collect()
}

fn area(l: &Landscape) -> (String, Option<f64>) {
    match (&l.year, l.radius_m) {
        (Some(y), _) => (format!("catchment {y}"), None),
        (None, r) => ("radius".to_owned(), r),
    }
}

fn params(raw: Option<&str>) -> Result<(Params, Option<SchoolYear>), ApiError> {
    let p = Params::parse(raw, &["f", "year"])?;
    let mut errors: Vec<FieldError> = Vec::new();
    if let Some(f) = p.get("f")
        && !matches!(f, "json" | "csv")
    {
        errors.push(FieldError::query("f", "use json or csv"));
    }
    let year = p.year(&mut errors);
    if errors.is_empty() {
        Ok((p, year))
    } else {
        Err(ApiError::Invalid(errors))
    }
}

async fn coverage_json(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let (p, year) = params(raw.as_deref())?;
    if p.get("f") == Some("csv") {
        return Ok(csv_response(&coverage(&state, year.as_ref())));
    }
    let rows: Vec<Value> = coverage(&state, year.as_ref())
        .iter()
        .map(|l| {
            let (kind, radius) = area(l);
            let mut counts = Map::new();
            let mut nearest = Map::new();
            for c in &l.categories {
                counts.insert(c.category.into(), json!(c.count));
                nearest.insert(
                    c.category.into(),
                    json!(
                        c.nearest
                            .as_ref()
                            .map(|n| (n.distance_m * 10.0).round() / 10.0)
                    ),
                );
            }
            json!({
                "school_id": l.school.id,
                "external_id": l.school.external_id,
                "name": l.school.name,
                "level": l.school.level,
                "area": kind,
                "radius_m": radius,
                "total": l.total,
                "counts": counts,
                "nearest_m": nearest,
            })
        })
        .collect();
    Ok(axum::Json(json!({
        "year": year.as_ref().map(|y| y.as_str()),
        "categories": CATEGORIES.iter().map(|c| json!({"id": c.id, "label": c.label})).collect::<Vec<_>>(),
        "schools": rows,
    }))
    .into_response())
}

async fn coverage_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    if file == "catchment-join.csv" {
        Params::parse(raw.as_deref(), &[])?;
        return Ok(join_response(&state));
    }
    if file != "coverage.csv" {
        return Err(ApiError::NotFound(format!("no report {file:?}")));
    }
    let (_, year) = params(raw.as_deref())?;
    Ok(csv_response(&coverage(&state, year.as_ref())))
}

/// Every (asset, attendance area) pair where the area contains the asset, for
/// every school year.
fn join_response(state: &AppState) -> Response {
    let mut out = String::from("asset_id,school_id,external_id,school_name,year\r\n");
    for (school, year, ids) in state.index.catchment_members() {
        for id in ids {
            out.push_str(&format!("{id},{},", school.id));
            out.push_str(&csv_cell(&school.external_id));
            out.push(',');
            out.push_str(&csv_cell(&school.name));
            out.push(',');
            out.push_str(year.as_str());
            out.push_str("\r\n");
        }
    }
    csv_file("catchment-join.csv", out)
}

/// A CSV answer to save under `name`.
pub(super) fn csv_file(name: &str, body: String) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

fn csv_response(rows: &[Landscape]) -> Response {
    let mut out = String::from("school_id,external_id,name,level,area,radius_m,total");
    for c in CATEGORIES {
        out.push_str(&format!(",{0}_count,{0}_nearest_m", c.id));
    }
    out.push_str("\r\n");
    for l in rows {
        let (kind, radius) = area(l);
        out.push_str(&l.school.id.to_string());
        for s in [
            &l.school.external_id,
            &l.school.name,
            l.school.level.as_deref().unwrap_or(""),
            &kind,
        ] {
            out.push(',');
            out.push_str(&csv_cell(s));
        }
        out.push_str(&format!(
            ",{},{}",
            radius.map(|r| r.to_string()).unwrap_or_default(),
            l.total
        ));
        for c in &l.categories {
            let d = c
                .nearest
                .as_ref()
                .map(|n| format!("{:.1}", n.distance_m))
                .unwrap_or_default();
            out.push_str(&format!(",{},{}", c.count, d));
        }
        out.push_str("\r\n");
    }
    csv_file("coverage.csv", out)
}
