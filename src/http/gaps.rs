//! The gap analysis: `GET /schools/{id}/gaps` (`f=json|csv`, `year=`,
//! `radius=` metres, one mile by default) and the district table
//! `GET /reports/gaps` (`f=json|csv`). Counts and gaps are public; the partners'
//! names are listed for the public only where the school made them public,
//! and for those who keep the school's partnerships all of them.

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};
use uuid::Uuid;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, FieldError};
use super::lang::in_language;
use super::params::Params;
use super::partnerships::school_in_path;
use super::reports::csv_file;
use crate::domain::sphere::MILE_M;
use crate::domain::{Partnership, SchoolRef, SchoolYear, User};
use crate::gaps::{self, GapAnalysis};
use crate::i18n::Lang;
use crate::index::AreaSelector;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/schools/{id}/gaps", get(school_gaps))
        .route("/reports/gaps", get(district_gaps))
}

/// Largest ring, in metres (a school's neighbourhood, not a county).
const MAX_RADIUS_M: f64 = 50_000.0;

struct Query {
    csv: bool,
    year: Option<SchoolYear>,
    radius_m: f64,
}

fn query(raw: Option<&str>) -> Result<Query, ApiError> {
    let p = Params::parse(raw, &["f", "year", "radius"])?;
    let mut errors: Vec<FieldError> = Vec::new();
    let csv = match p.get("f") {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            errors.push(FieldError::query("f", "use json or csv"));
            false
        }
    };
    let year = p.year(&mut errors);
    let radius_m = match p.get("radius") {
        None => MILE_M,
        Some(r) => match r.trim().parse::<f64>() {
            Ok(r) if r.is_finite() && r > 0.0 && r <= MAX_RADIUS_M => r,
            _ => {
                errors.push(FieldError::query(
                    "radius",
                    format!("metres, more than 0 and at most {MAX_RADIUS_M}"),
                ));
                MILE_M
            }
        },
    };
    if errors.is_empty() {
        Ok(Query {
            csv,
            year,
            radius_m,
        })
    } else {
        Err(ApiError::Invalid(errors))
    }
}

/// One school's analysis from the index and its partnerships.
fn analyse(
    state: &AppState,
    lang: Lang,
    school: Uuid,
    q: &Query,
    partnerships: &[Partnership],
) -> Result<GapAnalysis, crate::index::IndexError> {
    let sel = AreaSelector {
        school: SchoolRef::Id(school),
        year: q.year.clone(),
    };
    let l = state.index.landscape_with_ring(&sel, Some(q.radius_m))?;
    let briefs = state
        .index
        .briefs(&partnerships.iter().map(|p| p.asset_id).collect::<Vec<_>>());
    Ok(gaps::analyse(lang, &l, q.radius_m, partnerships, &briefs))
}

/// Hides the partners the caller may not see by name.
fn visible(mut g: GapAnalysis, caller: Option<&User>, school: Uuid) -> GapAnalysis {
    if !caller.is_some_and(|u| u.manages_school(school)) {
        g.partners.retain(|p| p.public);
    }
    g
}

async fn school_gaps(
    State(state): State<AppState>,
    lang: Lang,
    caller: Option<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = query(raw.as_deref())?;
    let school = school_in_path(&state, &id)?;
    let partnerships = state.store.partnerships(Some(school.id)).await?;
    let g = analyse(&state, lang, school.id, &q, &partnerships).map_err(ApiError::from)?;
    let g = visible(g, caller.as_ref().map(|c| &c.0), school.id);
    if q.csv {
        let name = format!(
            "gaps-{}.csv",
            school
                .external_id
                .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
        return Ok(in_language(lang, csv_file(&name, gaps::school_csv(&g))));
    }
    Ok(in_language(
        lang,
        Json(json!({
            "school": {
                "id": school.id,
                "external_id": school.external_id,
                "name": school.name,
                "level": school.level,
                "coordinates": [school.location.lon(), school.location.lat()],
            },
            "year": q.year.as_ref().map(|y| y.as_str()),
            "generated_at": chrono::Utc::now().date_naive(),
            "analysis": g,
        })),
    ))
}

async fn district_gaps(
    State(state): State<AppState>,
    lang: Lang,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = query(raw.as_deref())?;
    let all = state.store.partnerships(None).await?;
    let mut rows: Vec<(crate::domain::School, GapAnalysis)> = Vec::new();
    for s in state.index.schools() {
        let mine: Vec<Partnership> = all
            .iter()
            .filter(|p| p.school_id == s.school.id)
            .cloned()
            .collect();
        // A school with no area for that year is left out.
        if let Ok(g) = analyse(&state, lang, s.school.id, &q, &mine) {
            rows.push((s.school, g));
        }
    }
    if q.csv {
        let mut out = gaps::district_csv_header();
        for (s, g) in &rows {
            gaps::district_csv_row(s.id, &s.external_id, &s.name, g, &mut out);
        }
        return Ok(in_language(lang, csv_file("gaps.csv", out)));
    }
    let schools: Vec<Value> = rows
        .iter()
        .map(|(s, g)| {
            json!({
                "school_id": s.id,
                "external_id": s.external_id,
                "name": s.name,
                "area": g.area,
                "pillars": g.pillars.iter().map(|p| json!({
                    "pillar": p.id,
                    "in_area": p.in_area,
                    "within_radius": p.within_radius,
                    "active_partners": p.active_partners,
                    "missing": p.missing,
                    "gaps": p.gaps,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(in_language(
        lang,
        Json(json!({
            "year": q.year.as_ref().map(|y| y.as_str()),
            "radius_m": q.radius_m,
            "schools": schools,
        })),
    ))
}
