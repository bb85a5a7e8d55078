//! A school's landscape (`/schools/{id}/summary`) and the taxonomy (`/categories`).

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, FieldError};
use super::lang::in_language;
use super::params::Params;
use crate::domain::SchoolRef;
use crate::domain::taxonomy::{self, CATEGORIES};
use crate::gaps::{area_words, gap_statement};
use crate::i18n::Lang;
use crate::index::{AreaSelector, Landscape};
use axum::response::Response;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/schools/{id}/summary", get(summary))
        .route("/categories", get(categories))
}

/// The JSON summary of a landscape.
pub fn summary_json(lang: Lang, l: &Landscape) -> Value {
    let area_words = area_words(lang, l);
    let mut gaps = Vec::new();
    let categories: Vec<Value> = l
        .categories
        .iter()
        .map(|c| {
            let cat = taxonomy::by_id(c.category);
            let label = cat
                .map(|k| lang.category(k.id, k.label))
                .unwrap_or(c.category);
            if c.count == 0 && c.category != taxonomy::OTHER {
                gaps.push(json!({
                    "category": c.category,
                    "label": label,
                    "nearest_distance_m": c.nearest.as_ref().map(|n| (n.distance_m * 10.0).round() / 10.0),
                    "statement": gap_statement(lang, label, c.nearest.as_ref().map(|n| n.distance_m), &area_words),
                }));
            }
            json!({
                "category": c.category,
                "label": label,
                "pillars": cat.map(|c| c.pillars).unwrap_or_default(),
                "domain": cat.and_then(|c| c.domain),
                "count": c.count,
                "nearest": c.nearest.as_ref().map(|n| json!({
                    "id": n.id,
                    "name": n.name,
                    "distance_m": (n.distance_m * 10.0).round() / 10.0,
                    "inside_area": c.nearest_inside,
                    "coordinates": [n.lon, n.lat],
                })),
            })
        })
        .collect();
    json!({
        "school": {
            "id": l.school.id,
            "external_id": l.school.external_id,
            "name": l.school.name,
            "level": l.school.level,
            "coordinates": [l.school.location.lon(), l.school.location.lat()],
        },
        "area": match (&l.year, l.radius_m) {
            (Some(y), _) => json!({"kind": "catchment", "year": y.as_str()}),
            (None, r) => json!({"kind": "radius", "radius_m": r}),
        },
        "total": l.total,
        "categories": categories,
        "gaps": gaps,
    })
}

async fn summary(
    State(state): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), &["f", "year"])?;
    let mut errors: Vec<FieldError> = Vec::new();
    p.check_format(&mut errors);
    let year = p.year(&mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let school = SchoolRef::parse(&id).map_err(|_| ApiError::no_school(&id))?;
    let landscape = state
        .index
        .landscape(&AreaSelector { school, year })
        .map_err(ApiError::school_in_path)?;
    Ok(in_language(lang, Json(summary_json(lang, &landscape))))
}

async fn categories(lang: Lang, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), &["f"])?;
    let mut errors: Vec<FieldError> = Vec::new();
    p.check_format(&mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let mut list = serde_json::to_value(CATEGORIES).map_err(|e| ApiError::Internal(e.into()))?;
    if let Some(items) = list.as_array_mut() {
        for (item, c) in items.iter_mut().zip(CATEGORIES) {
            item["label"] = json!(lang.category(c.id, c.label));
        }
    }
    Ok(in_language(lang, Json(json!({ "categories": list }))))
}
