//! `/reports/coverage`: the district-wide table of which schools have which
//! kinds of support — per school, the count of each category inside its area and
//! the distance from the campus to the nearest of each. The same computation as
//! a school's summary ([`crate::index::Index::landscape`]), once per school —
//! and `/reports/catchment-join.csv`, every (asset, attendance area) pair.
//! Both are streamed, one school or area at a time, off the async workers.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::error::{ApiError, FieldError};
use super::params::Params;
use super::{AppState, stream};
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

/// Every school's landscape for a year (the newest of each school when `None`),
/// worked out one school at a time as the iterator is read. Schools without an
/// area for that year are left out.
pub fn coverage(
    state: &AppState,
    year: Option<SchoolYear>,
) -> impl Iterator<Item = Landscape> + Send + 'static {
    let index = state.index.clone();
    index.schools().into_iter().filter_map(move |s| {
        let sel = AreaSelector {
            school: SchoolRef::Id(s.school.id),
            year: year.clone(),
        };
        index.landscape(&sel).ok()
    })
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
        return Ok(csv_response(&state, year));
    }
    let head = json!({
        "year": year.as_ref().map(|y| y.as_str()),
        "categories": CATEGORIES.iter().map(|c| json!({"id": c.id, "label": c.label})).collect::<Vec<_>>(),
    })
    .to_string();
    // `{"year":…,"categories":[…]` then `,"schools":[` rows `]}`.
    let open = format!("{},\"schools\":[", &head[..head.len() - 1]).into_bytes();
    let rows = coverage(&state, year).enumerate().map(|(i, l)| {
        let mut out = if i == 0 { Vec::new() } else { b",\n".to_vec() };
        // A map of strings and numbers always serializes.
        serde_json::to_writer(&mut out, &coverage_row(&l)).unwrap_or_default();
        out
    });
    let pieces = std::iter::once(open)
        .chain(rows)
        .chain(std::iter::once(b"]}".to_vec()));
    Ok(stream::typed(
        stream::blocking_body(pieces),
        "application/json",
    ))
}

/// One school's row of the coverage report as JSON.
fn coverage_row(l: &Landscape) -> Value {
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
    Ok(csv_response(&state, year))
}

/// Every (asset, attendance area) pair where the area contains the asset, for
/// every school year, written one area at a time.
fn join_response(state: &AppState) -> Response {
    let header = b"asset_id,school_id,external_id,school_name,year\r\n".to_vec();
    let index = state.index.clone();
    let areas = index.schools().into_iter().flat_map(|s| {
        let id = s.school.id;
        s.years.into_iter().map(move |y| AreaSelector {
            school: SchoolRef::Id(id),
            year: Some(y),
        })
    });
    let rows = areas.filter_map(move |sel| {
        let (school, ids) = index.catchment_members(&sel)?;
        let year = sel.year?;
        let tail = format!(
            ",{},{},{},{}\r\n",
            school.id,
            csv_cell(&school.external_id),
            csv_cell(&school.name),
            year.as_str()
        );
        let mut out = Vec::with_capacity(ids.len() * (37 + tail.len()));
        for id in ids {
            out.extend_from_slice(id.to_string().as_bytes());
            out.extend_from_slice(tail.as_bytes());
        }
        Some(out)
    });
    let pieces = std::iter::once(header).chain(rows);
    stream::attachment(
        stream::blocking_body(pieces),
        "text/csv; charset=utf-8",
        "catchment-join.csv",
    )
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

/// The coverage report as CSV: a header, then one row per school as it is
/// worked out.
fn csv_response(state: &AppState, year: Option<SchoolYear>) -> Response {
    let mut header = String::from("school_id,external_id,name,level,area,radius_m,total");
    for c in CATEGORIES {
        header.push_str(&format!(",{0}_count,{0}_nearest_m", c.id));
    }
    header.push_str("\r\n");
    let rows = coverage(state, year).map(|l| csv_row(&l).into_bytes());
    stream::attachment(
        stream::blocking_body(std::iter::once(header.into_bytes()).chain(rows)),
        "text/csv; charset=utf-8",
        "coverage.csv",
    )
}

fn csv_row(l: &Landscape) -> String {
    let mut out = String::new();
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
    out
}
