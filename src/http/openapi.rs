//! `/api`: the OpenAPI 3.0 definition of every endpoint and parameter.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::params::{AREA_MAX_LIMIT, DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Params};
use crate::domain::asset::MAX_NAME_CHARS;
use crate::domain::patterns as P;
use crate::domain::taxonomy::CATEGORIES;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api", get(api))
}

async fn api(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), &["f"])?;
    if let Some(f) = p.get("f")
        && f != "json"
    {
        return Err(ApiError::invalid(
            "f",
            format!("format {f:?} is not offered; use json"),
        ));
    }
    let doc = document(&state.base_url(&headers), &state.crs.uris());
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/vnd.oai.openapi+json;version=3.0"),
        )],
        serde_json::to_vec(&doc).unwrap_or_default(),
    )
        .into_response())
}

/// A text field of a body: its pattern (the server's own rule, see
/// [`crate::domain::patterns`]) and its largest length, as sent.
fn text(pattern: &str, max: usize, nullable: bool) -> Value {
    let mut t = json!({"type": "string", "pattern": pattern, "maxLength": max});
    if nullable {
        t["nullable"] = Value::Bool(true);
    }
    t
}

/// The names a category may be given by: its id and its aliases.
fn category_names() -> Vec<&'static str> {
    CATEGORIES
        .iter()
        .flat_map(|c| std::iter::once(c.id).chain(c.aliases.iter().copied()))
        .collect()
}

/// `year`: as [`crate::domain::SchoolYear::parse_query`] reads it.
fn year_param() -> Value {
    param(
        "year",
        "School year of the attendance area, 2024-2025 or 2024-25 (default: the newest). A year the school has no area for answers 404.",
        json!({"type": "string", "pattern": "^[0-9]{4}-([0-9]{2}|[0-9]{4})$"}),
    )
}

/// The filters of assets, the same on `/collections/assets/items` and the
/// exports (`school` and `year` apart: their descriptions differ).
fn asset_filters(school: Value, year: Value) -> Vec<Value> {
    let categories = category_names();
    let max_radius = (std::f64::consts::PI * crate::domain::sphere::EARTH_RADIUS_M).floor();
    vec![
        json!({"$ref": "#/components/parameters/bbox"}),
        json!({"$ref": "#/components/parameters/bbox-crs"}),
        param(
            "category",
            "Category ids (see /categories) or their aliases, comma-separated: any of them.",
            json!({"type": "array", "items": {"type": "string", "enum": categories}}),
        ),
        school,
        year,
        param(
            "near",
            "lon,lat: sort by great-circle distance from this point and add distance_m to each feature; with limit=k this is the k-nearest query. A latitude beyond ±90 is taken as the pole.",
            json!({"type": "array", "items": {"type": "number", "minimum": -180, "maximum": 180}, "minItems": 2, "maxItems": 2}),
        ),
        param(
            "radius",
            "With near: only assets within this many metres (ignored without near).",
            json!({"type": "number", "minimum": 0, "maximum": max_radius}),
        ),
        param(
            "q",
            "Text the name contains (case-insensitive; surrounding spaces ignored, only spaces: no filter).",
            json!({"type": "string", "maxLength": 200}),
        ),
        param(
            "open",
            "By opening hours (each asset's opening_hours, on the district's clocks, --timezone): now, evening (open after 17:00 on some weekday), weekend (open on Saturday or Sunday), or an RFC 3339 date-time. Assets without opening hours never match.",
            json!({"type": "string", "anyOf": [{"enum": ["now", "evening", "weekend"]}, {"format": "date-time"}]}),
        ),
        param(
            "language",
            "Languages spoken at the asset, any of them: ISO 639-1 codes, comma-separated (at most 50).",
            json!({"type": "string", "pattern": "^[a-z]{2}(,[a-z]{2})*$", "maxLength": 149}),
        ),
    ]
}

/// Every query parameter may be sent empty (`school=`, as a form sends an
/// empty field): it means the same as leaving it out ([`Params::parse`]).
fn allow_empty_values(doc: &mut Value) {
    match doc {
        Value::Object(map) => {
            if map.get("in").and_then(Value::as_str) == Some("query") {
                map.insert("allowEmptyValue".into(), Value::Bool(true));
            }
            map.values_mut().for_each(allow_empty_values);
        }
        Value::Array(list) => list.iter_mut().for_each(allow_empty_values),
        _ => {}
    }
}

fn param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema, "style": "form", "explode": false})
}

/// Like [`ok`], with the answer in several media types (`f=` chooses).
fn ok_as(description: &str, media: &[&str], schema: Value) -> Value {
    let mut r = ok(description, media[0], schema.clone());
    for m in &media[1..] {
        r["200"]["content"][*m] = json!({"schema": schema});
    }
    r
}

fn ok(description: &str, media: &str, schema: Value) -> Value {
    json!({
        "200": {"description": description, "content": {media: {"schema": schema}}},
        "400": {"$ref": "#/components/responses/Problem"},
        "404": {"$ref": "#/components/responses/Problem"},
        "500": {"$ref": "#/components/responses/Problem"},
    })
}

fn writes(code: &str, description: &str) -> Value {
    let problem = json!({"$ref": "#/components/responses/Problem"});
    json!({
        code: {"description": description},
        "400": problem, "401": problem, "403": problem, "404": problem, "405": problem,
        "409": problem, "412": problem, "413": problem, "415": problem, "429": problem,
        "503": problem,
    })
}

/// The community-schools routes: partnerships, public partners, the gap
/// analysis, families' suggestions.
fn community_paths() -> Value {
    let school = json!({"name": "schoolId", "in": "path", "required": true, "schema": {"type": "string"}, "description": "The school's id (a UUID) or the district's school id."});
    let pid = json!({"name": "partnershipId", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}});
    let partnership = json!({"$ref": "#/components/schemas/Partnership"});
    let gaps_params = |school: Option<&Value>| {
        let mut list = vec![
            json!({"name": "f", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}}),
            year_param(),
            param(
                "radius",
                "The ring counted beside the area, in metres (default one mile, 1609.344).",
                json!({"type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 50000}),
            ),
        ];
        if let Some(s) = school {
            list.insert(0, s.clone());
        }
        list
    };
    let mut gap_responses = ok(
        "The gap analysis",
        "application/json",
        json!({"type": "object"}),
    );
    gap_responses["200"]["content"]["text/csv"] = json!({"schema": {"type": "string"}});
    json!({
        "/schools/{schoolId}/partnerships": {
            "get": {"summary": "The school's partnerships with contacts, agreements, provision, pillars and log, each with its asset and distance from the campus (the school's staff, editors, admins)", "operationId": "getPartnerships", "security": [{"bearer": []}],
                    "parameters": [school.clone()], "responses": writes("200", "The partnerships")},
            "post": {"summary": "Record a partnership with a published asset (`asset_id`); one per school and asset", "operationId": "createPartnership", "security": [{"bearer": []}],
                     "parameters": [school.clone()],
                     "requestBody": {"required": true, "content": {"application/json": {"schema": partnership.clone()}}},
                     "responses": writes("201", "Recorded; Location names it")}},
        "/schools/{schoolId}/partnerships/{partnershipId}": {
            "get": {"summary": "One partnership with its log and field-level history", "operationId": "getPartnership", "security": [{"bearer": []}], "parameters": [school.clone(), pid.clone()], "responses": writes("200", "The partnership")},
            "patch": {"summary": "Change some fields (RFC 7396 JSON Merge Patch)", "operationId": "patchPartnership", "security": [{"bearer": []}], "parameters": [school.clone(), pid.clone()],
                      "requestBody": {"required": true, "content": {"application/merge-patch+json": {"schema": {"type": "object"}}}}, "responses": writes("200", "Changed")},
            "delete": {"summary": "Delete the partnership and its log (its history stays)", "operationId": "deletePartnership", "security": [{"bearer": []}], "parameters": [school.clone(), pid.clone()], "responses": writes("204", "Deleted")}},
        "/schools/{schoolId}/partnerships/{partnershipId}/log": {
            "post": {"summary": "Log a contact or visit: date, who, note (plain text)", "operationId": "logContact", "security": [{"bearer": []}], "parameters": [school.clone(), pid],
                     "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["date", "note"], "additionalProperties": false, "properties": {
                         "date": {"type": "string", "format": "date"}, "who": {"type": "string", "maxLength": 200}, "note": {"type": "string", "maxLength": 4000}}}}}},
                     "responses": writes("201", "Logged")}},
        "/schools/{schoolId}/partners": {"get": {"summary": "The active partners the school made public: name, category, what they provide (no contact, no log)", "operationId": "getPublicPartners",
            "parameters": [school.clone()], "responses": ok("The public partners", "application/json", json!({"type": "object"}))}},
        "/schools/{schoolId}/gaps": {"get": {"summary": "Community Asset Mapping and Gap Analysis: per category, pillar and need domain the assets in the area and within the radius, active partners, the nearest asset, and each gap in words", "operationId": "getSchoolGaps",
            "parameters": gaps_params(Some(&school)), "responses": gap_responses.clone()}},
        "/reports/gaps": {"get": {"summary": "The district table: per school and pillar the assets in the area and within the radius, active partners, missing categories and gaps", "operationId": "getDistrictGaps",
            "parameters": gaps_params(None), "responses": gap_responses}},
        "/audit": {"get": {"summary": "The audit log (admins): editors' and admins' actions on assets, and revocations and rotations of tokens, newest first", "operationId": "getAudit", "security": [{"bearer": []}],
            "parameters": [param("limit", "Entries, 1 to 1000 (default 200).", json!({"type": "integer", "minimum": 1, "maximum": 1000}))],
            "responses": writes("200", "The audit log")}},
        "/imports": {
            "get": {"summary": "Every import recorded (editors, admins; an editor limited to districts sees theirs and asset imports): who, when, which file, what it did, when undone", "operationId": "getImports", "security": [{"bearer": []}],
                "responses": writes("200", "The imports, newest first")},
            "post": {"summary": "Import a file (the body is the file itself: GeoJSON, CSV, Excel, a zipped Shapefile, GeoPackage, KML). With dry_run=true, the report (rows read, columns, skipped rows with why, warnings, how addresses were placed) and the first rows as GeoJSON, nothing written; otherwise 201 with the import's record, or 400 when some rows cannot be imported and allow_partial is not true.", "operationId": "importFile", "security": [{"bearer": []}],
                "parameters": [
                    param("kind", "What the file holds.", json!({"type": "string", "enum": ["assets", "schools", "catchments"]})),
                    param("file", "The file's name; its extension tells the format.", json!({"type": "string"})),
                    param("format", "The format, when the name does not say it.", json!({"type": "string", "enum": ["geojson", "geojsonseq", "csv", "xlsx", "shapefile", "gpkg", "kml"]})),
                    param("source_crs", "The coordinate system, when the file does not say (EPSG:2926).", json!({"type": "string"})),
                    param("district", "The district of the schools or areas (letters, digits, - and _).", json!({"type": "string", "pattern": "^[A-Za-z0-9_-]{0,32}$"})),
                    param("dry_run", "Report only; write nothing.", json!({"type": "boolean"})),
                    param("allow_partial", "Import the rows that can be imported when some cannot.", json!({"type": "boolean"})),
                    param("name_field", "Column of the name (schools: required).", json!({"type": "string"})),
                    param("category_field", "Column of the category (assets).", json!({"type": "string"})),
                    param("id_field", "Column of the source's id.", json!({"type": "string"})),
                    param("address_field", "Column of the street address (assets without coordinates).", json!({"type": "string"})),
                    param("lon_field", "Column of the longitude.", json!({"type": "string"})),
                    param("lat_field", "Column of the latitude.", json!({"type": "string"})),
                    param("school_field", "Column of the school's id (areas).", json!({"type": "string"})),
                    param("school_name_field", "Column of the school's name (areas).", json!({"type": "string"})),
                    param("year", "School year of the areas: 2024-2025 or 2024-25.", json!({"type": "string"})),
                ],
                "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                "responses": writes("201", "Imported (200 with the report on a dry run)")},
        },
        "/imports/{importId}/undo": {"post": {"summary": "Undo an import whole: what it added is deleted, what it changed put back; assets changed since are kept and listed. 409 when undone already, or when a later import of the same rows must be undone first.", "operationId": "undoImport", "security": [{"bearer": []}],
            "parameters": [{"name": "importId", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
            "responses": writes("200", "Undone")}},
        "/suggestions": {"post": {"summary": "A family suggests a missing asset (no token). Held for review, never public before approval; the contact is never published. Limited per client address (429 with Retry-After).", "operationId": "suggestAsset",
            "requestBody": {"required": true, "content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/Suggestion"}}, "application/json": {"schema": {"$ref": "#/components/schemas/Suggestion"}}}},
            "responses": writes("202", "Received for review")}},
    })
}

/// Open Referral's HSDS 3.0 API under `/hsds` ([`super::hsds`]).
fn hsds_paths() -> Value {
    use super::hsds::{
        DEFAULT_PER_PAGE, MAX_FULL_ORGANIZATIONS, MAX_NESTED, MAX_PER_PAGE, MAX_SEARCH,
    };
    let max_radius = (std::f64::consts::PI * crate::domain::sphere::EARTH_RADIUS_M).floor();
    let boolean = |name: &str, d: &str| param(name, d, json!({"type": "boolean"}));
    let page = vec![
        param(
            "page",
            "Page number, from 1; a page past the last is empty.",
            json!({"type": "integer", "minimum": 1}),
        ),
        param(
            "per_page",
            &format!(
                "Objects a page (default {DEFAULT_PER_PAGE}); larger sizes are clamped to {MAX_PER_PAGE}."
            ),
            json!({"type": "integer", "minimum": 1}),
        ),
        param(
            "format",
            "Only json is offered.",
            json!({"type": "string", "enum": ["json"]}),
        ),
        param(
            "search",
            "Text the name contains (case-insensitive).",
            json!({"type": "string", "maxLength": MAX_SEARCH}),
        ),
    ];
    let spatial = vec![
        param(
            "school",
            "Only what lies inside this school's attendance area (id or district id; a school without an area: a radius around its campus). An unknown school answers 404.",
            json!({"type": "string"}),
        ),
        year_param(),
        param(
            "near",
            "lon,lat: ordered by great-circle distance from this point. A latitude beyond ±90 is taken as the pole.",
            json!({"type": "array", "items": {"type": "number", "minimum": -180, "maximum": 180}, "minItems": 2, "maxItems": 2}),
        ),
        param(
            "radius",
            "With near: only within this many metres (ignored without near).",
            json!({"type": "number", "minimum": 0, "maximum": max_radius}),
        ),
        json!({"$ref": "#/components/parameters/bbox"}),
    ];
    let taxonomy = vec![
        param(
            "taxonomy_term_id",
            "Only services with this term: a term's id from /hsds/taxonomy_terms, or a category's code. Any other matches nothing.",
            json!({"type": "string"}),
        ),
        param(
            "taxonomy_id",
            "Only services with terms of this taxonomy (assetmap has one; any other id matches nothing).",
            json!({"type": "string"}),
        ),
    ];
    let selection = |extra: Vec<Value>| -> Value {
        let mut v = page.clone();
        v.extend(taxonomy.clone());
        v.push(param(
            "organization_id",
            "Only services of this organization.",
            json!({"type": "string"}),
        ));
        v.push(param("modified_after", "Only what changed at or after this moment: an RFC 3339 date-time, or a date (its midnight, UTC).", json!({"type": "string", "anyOf": [{"format": "date-time"}, {"format": "date"}]})));
        v.extend(spatial.clone());
        v.extend(extra);
        Value::Array(v)
    };
    let page_of = |what: &str| {
        json!({"type": "object",
            "required": ["total_items", "total_pages", "page_number", "page", "per_page", "size", "first_page", "last_page", "empty", "contents"],
            "properties": {
                "total_items": {"type": "integer", "minimum": 0}, "total_pages": {"type": "integer", "minimum": 0},
                "page_number": {"type": "integer", "minimum": 1}, "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1}, "size": {"type": "integer", "minimum": 0},
                "first_page": {"type": "boolean"}, "last_page": {"type": "boolean"}, "empty": {"type": "boolean"},
                "contents": {"type": "array", "description": what, "items": {"$ref": "#/components/schemas/HsdsObject"}}}})
    };
    let object = json!({"$ref": "#/components/schemas/HsdsObject"});
    let id_param = |d: &str| json!([{"name": "id", "in": "path", "required": true, "description": d, "schema": {"type": "string"}}]);
    let one = |op: &str, summary: &str, d: &str, extra: Vec<Value>| {
        let mut params = id_param(d).as_array().cloned().unwrap_or_default();
        params.extend(extra);
        json!({"get": {"summary": summary, "operationId": op, "tags": ["HSDS"], "parameters": params,
            "responses": ok("The object", "application/json", object.clone())}})
    };
    let list = |op: &str, summary: &str, params: Value, what: &str| {
        json!({"get": {"summary": summary, "operationId": op, "tags": ["HSDS"], "parameters": params,
            "responses": ok("A page", "application/json", page_of(what))}})
    };
    let mut org_params = page.clone();
    org_params.extend(taxonomy.clone());
    org_params.extend(spatial.clone());
    org_params.push(boolean("full", &format!("Whole organizations, each with its first {MAX_NESTED} services and locations (pages of at most {MAX_FULL_ORGANIZATIONS}).")));
    org_params.push(boolean("full_service", "With full: the services whole."));
    let mut term_params = page.clone();
    term_params.push(param(
        "taxonomy_id",
        "Only this taxonomy's terms.",
        json!({"type": "string"}),
    ));
    term_params.push(boolean(
        "top_only",
        "Only terms without a parent (all of assetmap's).",
    ));
    term_params.push(param(
        "parent_id",
        "Only the children of this term (assetmap's terms have none).",
        json!({"type": "string"}),
    ));
    json!({
        "/hsds": {"get": {"summary": "This API and its relation to HSDS (the HSDS API reference's /)", "operationId": "getHsdsMeta", "tags": ["HSDS"],
            "responses": ok("About the API", "application/json", json!({"type": "object", "required": ["version"], "properties": {"version": {"type": "string"}, "profile": {"type": "string"}, "openapi_url": {"type": "string"}, "description": {"type": "string"}, "publisher": {"type": "object"}}}))}},
        "/hsds/services": list("getHsdsServices", "HSDS services (one per approved asset): their one-to-one members and organization; whole with full=true; id, name, status and last_modified with minimal=true",
            selection(vec![boolean("full", "Whole services: languages, attributes, organization, service_at_locations with their locations."), boolean("minimal", "Only id, name, status and last_modified.")]), "services"),
        "/hsds/services/{id}": one("getHsdsService", "One whole HSDS service", "The service's id (the asset's).", vec![]),
        "/hsds/service_at_locations": list("getHsdsServiceAtLocations", "HSDS service_at_locations: the link with its service's and location's one-to-one members; whole with full=true",
            selection(vec![boolean("full", "Whole: the service (with its organization) and the location with its addresses, phones, languages and schedules.")]), "service_at_locations"),
        "/hsds/service_at_locations/{id}": one("getHsdsServiceAtLocation", "One whole HSDS service_at_location", "Its id (the asset's).", vec![]),
        "/hsds/locations": list("getHsdsLocations", "HSDS locations, whole", selection(vec![]), "locations"),
        "/hsds/locations/{id}": one("getHsdsLocation", "One whole HSDS location", "Its id (the asset's).", vec![]),
        "/hsds/organizations": list("getHsdsOrganizations", "HSDS organizations offering the assets the filters match, ordered by id", Value::Array(org_params), "organizations"),
        "/hsds/organizations/{id}": one("getHsdsOrganization", &format!("One whole organization with its first {MAX_NESTED} services and locations (page the rest with /hsds/services?organization_id=)"), "The organization's id.", vec![boolean("full_service", "The services whole.")]),
        "/hsds/taxonomies": list("getHsdsTaxonomies", "The taxonomy assetmap's categories form", Value::Array(page.clone()), "taxonomies"),
        "/hsds/taxonomies/{id}": one("getHsdsTaxonomy", "The taxonomy", "Its id.", vec![]),
        "/hsds/taxonomy_terms": list("getHsdsTaxonomyTerms", "The categories as HSDS taxonomy terms", Value::Array(term_params), "taxonomy_terms"),
        "/hsds/taxonomy_terms/{id}": one("getHsdsTaxonomyTerm", "One category as an HSDS taxonomy term", "The term's id.", vec![]),
    })
}

/// The schemas of the community-schools routes.
fn community_schemas() -> Value {
    let pillars = json!({"type": "array", "items": {"type": "string", "enum": crate::domain::taxonomy::Pillar::ALL.map(|p| p.id())}});
    json!({
        "Partnership": {"type": "object", "properties": {
            "asset_id": {"type": "string", "format": "uuid", "description": "On creation only."},
            "status": {"type": "string", "enum": ["prospective", "contacted", "active", "former"], "default": "prospective"},
            "public": {"type": "boolean", "default": false, "description": "Show the asset as a partner on the public map (name and provision only)."},
            "contact": {"type": "object", "additionalProperties": false, "properties": {
                "name": {"type": "string", "maxLength": 200, "nullable": true}, "role": {"type": "string", "maxLength": 200, "nullable": true},
                "email": {"type": "string", "format": "email", "nullable": true}, "phone": {"type": "string", "nullable": true}}},
            "agreement_start": {"type": "string", "format": "date", "nullable": true},
            "agreement_end": {"type": "string", "format": "date", "nullable": true, "description": "Not before agreement_start."},
            "provides": {"type": "string", "maxLength": 4000, "nullable": true},
            "pillars": pillars}},
        "Suggestion": {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "geometry": {"$ref": "#/components/schemas/Point"},
            "properties": {"type": "object", "required": ["name", "category"], "additionalProperties": false, "properties": {
                "name": text(P::PLAIN_REQUIRED, MAX_NAME_CHARS, false),
                "category": {"type": "string", "enum": category_names(), "description": "A category id of /categories, or one of its aliases."},
                "address": text(P::TEXT_OPTIONAL, 500, true),
                "website": text(P::WEBSITE, 2000, true),
                "phone": text(P::PHONE, 40, true),
                "description": text(P::TEXT_OPTIONAL, 4000, true),
                "how_known": text(P::TEXT_OPTIONAL, 1000, true),
                "contact": {"description": "Never published.", "allOf": [text(P::TEXT_OPTIONAL, 200, true)]},
                "nickname": {"description": "Leave empty (a honeypot for bots: a suggestion with text here is dropped without a word)."}}}}},
        "Point": {"type": "object", "required": ["type", "coordinates"], "description": "A GeoJSON Point: [longitude, latitude] in WGS84 (a third number, a height, is ignored). The longitude is within ±180, the latitude within ±90.", "properties": {
            "type": {"type": "string", "enum": ["Point"]},
            "coordinates": {"type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "number"}, "description": "[longitude within ±180, latitude within ±90] or with a height (any number, ignored)."}}},
    })
}

/// The OpenAPI document; `crs`: the coordinate systems offered.
pub fn document(base: &str, crs: &[&str]) -> Value {
    let mut doc = core_document(base);
    doc["components"]["parameters"]["bbox-crs"]["schema"]["enum"] = json!(crs);
    doc["components"]["parameters"]["crs"]["schema"]["enum"] = json!(crs);
    doc["components"]["parameters"]["filter-crs"]["schema"]["enum"] = json!(crs);
    if let (Some(paths), Value::Object(more)) = (doc["paths"].as_object_mut(), community_paths()) {
        paths.extend(more);
    }
    if let (Some(paths), Value::Object(more)) = (doc["paths"].as_object_mut(), hsds_paths()) {
        paths.extend(more);
    }
    doc["components"]["schemas"]["HsdsObject"] = json!({
        "type": "object", "required": ["id"],
        "description": "An Open Referral HSDS 3.0 object (service, service_at_location, location, organization, taxonomy or taxonomy_term) as the HSDS 3.0 schema defines it: no member it does not define, none null.",
        "properties": {"id": {"type": "string"}}});
    if let (Some(schemas), Value::Object(more)) = (
        doc["components"]["schemas"].as_object_mut(),
        community_schemas(),
    ) {
        schemas.extend(more);
    }
    allow_empty_values(&mut doc);
    doc
}

/// The OGC API – Features part of the document, and the asset and review routes.
fn core_document(base: &str) -> Value {
    let f = json!({"$ref": "#/components/parameters/f"});
    let limit = json!({"$ref": "#/components/parameters/limit"});
    let offset = json!({"$ref": "#/components/parameters/offset"});
    let bbox = json!({"$ref": "#/components/parameters/bbox"});
    let bbox_crs = json!({"$ref": "#/components/parameters/bbox-crs"});
    let fc = json!({"$ref": "#/components/schemas/FeatureCollection"});
    let feature = json!({"$ref": "#/components/schemas/Feature"});
    let any = json!({"type": "object"});
    let fid = json!({"name": "featureId", "in": "path", "required": true, "schema": {"type": "string"}, "description": "The feature's id (a UUID; for schools also the district's school id)."});
    let if_match = json!({"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string"}, "description": "The asset's ETag as read (e.g. \"3\"), or *: a change made meanwhile answers 412 with the current ETag."});
    let school_param = param(
        "school",
        "Only assets inside this school's attendance area (id or district id); a school without an area uses a radius around its campus. An unknown school answers 404.",
        json!({"type": "string"}),
    );
    let year_param = year_param();
    let mut export_responses = ok_as(
        "The export (assets.geojsonl: GeoJSON text sequence; assets.csv: CSV; hsds.json: Open Referral HSDS 3.0 JSON, an array of services)",
        &[
            "application/geo+json",
            "application/geo+json-seq",
            "text/csv",
        ],
        fc.clone(),
    );
    export_responses["200"]["content"]["application/geo+json-seq"] =
        json!({"schema": {"type": "string"}});
    export_responses["200"]["content"]["text/csv"] = json!({"schema": {"type": "string"}});
    let mut export_params = vec![
        json!({"name": "file", "in": "path", "required": true, "schema": {"type": "string", "enum": ["assets.geojson", "assets.geojsonl", "assets.csv"]}}),
    ];
    export_params.extend(asset_filters(
        param(
            "school",
            "Only assets inside this school's area (id or district id).",
            json!({"type": "string"}),
        ),
        param(
            "year",
            "School year of that area (ignored without school).",
            year_param["schema"].clone(),
        ),
    ));
    let crs = json!({"$ref": "#/components/parameters/crs"});
    let filters = [
        json!({"$ref": "#/components/parameters/filter"}),
        json!({"$ref": "#/components/parameters/filter-lang"}),
        json!({"$ref": "#/components/parameters/filter-crs"}),
    ];
    export_params.extend(filters.iter().cloned());
    let mut asset_params = vec![f.clone(), limit.clone(), offset.clone(), crs.clone()];
    asset_params.extend(filters.iter().cloned());
    asset_params.extend(asset_filters(
        school_param,
        param("year", "School year of the area (ignored without school), 2024-2025 or 2024-25 (default: the newest). A year the school has no area for answers 404.", year_param["schema"].clone()),
    ));
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "assetmap",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Community asset maps for schools, as OGC API – Features Part 1 Core. All geometry is WGS84 longitude/latitude (CRS84); distances are great-circle metres. Every route takes lang= (the language of what the server writes: category labels, gap statements, problem titles; else Accept-Language; English when there is no catalog); such answers carry Content-Language. Asset features carry opening_hours (OpenStreetMap syntax), hours (a free-text note), open_now (true, false or null, worked out per request on the district's clocks), open_evenings, open_weekends, hours_text (the week in words, by language) and translations ({\"es\": {\"name\", \"description\", \"hours\"}}).",
            "license": {"name": "MIT OR Apache-2.0"},
        },
        "servers": [{"url": base}],
        "paths": {
            "/": {"get": {"summary": "Landing page (JSON), or the map page for browsers", "operationId": "getLandingPage", "parameters": [{"name": "f", "in": "query", "schema": {"type": "string", "enum": ["json", "html"]}}], "responses": ok_as("Links to the API (the map page with f=html)", &["application/json", "text/html"], any.clone())}},
            "/conformance": {"get": {"summary": "Conformance classes", "operationId": "getConformanceDeclaration", "parameters": [f.clone()], "responses": ok("The conformance classes", "application/json", any.clone())}},
            "/api": {"get": {"summary": "This document", "operationId": "getAPI", "parameters": [f.clone()], "responses": ok("OpenAPI 3.0", "application/vnd.oai.openapi+json;version=3.0", any.clone())}},
            "/categories": {"get": {"summary": "The category taxonomy: ids, labels, aliases, pillars, colours", "operationId": "getCategories", "parameters": [f.clone()], "responses": ok("The taxonomy", "application/json", any.clone())}},
            "/collections": {"get": {"summary": "The collections: assets, schools, catchments", "operationId": "getCollections", "parameters": [f.clone()], "responses": ok("Collections", "application/json", any.clone())}},
            "/collections/{collectionId}/queryables": {"get": {"summary": "The properties a collection's items can be filtered by (JSON Schema)", "operationId": "getQueryables", "parameters": [{"$ref": "#/components/parameters/collectionId"}, f.clone()], "responses": ok("Queryables", "application/schema+json", any.clone())}},
            "/export/hsds.json": {"get": {
                "summary": "Every published asset as Open Referral HSDS 3.0 services (each with its organization, location and taxonomy terms), streamed",
                "operationId": "exportHsds",
                "responses": ok("HSDS 3.0 JSON: an array of services", "application/json", json!({"type": "array", "items": {"type": "object"}}))}},
            "/export/{file}": {"get": {
                "summary": "Every asset the filters match, streamed with no page limit: assets.geojson, assets.geojsonl (one Feature per line) or assets.csv",
                "operationId": "exportAssets",
                "parameters": export_params,
                "responses": export_responses}},
            "/reports/coverage": {"get": {
                "summary": "Per school: the count of each category inside its area and the distance to the nearest of each (f=csv for CSV; also /reports/coverage.csv)",
                "operationId": "getCoverage",
                "parameters": [{"name": "f", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}},
                    param("year", "School year (default: each school's newest).", year_param["schema"].clone())],
                "responses": ok_as("The coverage table", &["application/json", "text/csv"], any.clone())}},
            "/organizations": {"post": {
                "summary": "A community organization signs up; the answer holds its token, shown once. Limited per client address (429 with Retry-After).",
                "operationId": "signUp",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name", "contact_name", "email"],
                    "properties": {"name": text(P::PLAIN_REQUIRED, 200, false), "contact_name": text(P::PLAIN_REQUIRED, 200, false),
                                   "email": text(P::EMAIL_REQUIRED, 254, false),
                                   "phone": text(P::PHONE, 40, true), "website": text(P::WEBSITE, 2000, true)}}}}},
                "responses": writes("201", "Signed up; the token is in the answer")}},
            "/review": {"get": {"summary": "The review queue (editors, admins): new listings and changes to published ones, each with a field diff and possible duplicates within 100 m", "operationId": "getReview", "security": [{"bearer": []}], "responses": writes("200", "The queue")}},
            "/review/{assetId}/approve": {"post": {"summary": "Publish the listing or its proposed change (or carry out a requested deletion, 204); sets the date last verified. With {\"version\": N} from the queue, 409 when the listing changed since", "operationId": "approve", "security": [{"bearer": []}],
                "parameters": [{"name": "assetId", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "properties": {"version": {"type": "integer"}}}}}},
                "responses": writes("200", "Published")}},
            "/review/{assetId}/reject": {"post": {"summary": "Refuse the listing or its proposed change, with a reason its organization can read in the history", "operationId": "reject", "security": [{"bearer": []}],
                "parameters": [{"name": "assetId", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}, "version": {"type": "integer", "description": "The version the queue showed: 409 when the listing changed since."}}}}}},
                "responses": writes("204", "Rejected")}},
            "/collections/assets/items/{featureId}/history": {"get": {"summary": "Every change of a listing: who, when, what, old and new values (editors, admins, the owner)", "operationId": "getHistory", "security": [{"bearer": []}], "parameters": [fid.clone()], "responses": writes("200", "The history")}},
            "/healthz": {"get": {"summary": "The process answers", "operationId": "getHealth", "responses": ok("Alive", "application/json", any.clone())}},
            "/readyz": {"get": {"summary": "The database answers too (503 with Retry-After when not)", "operationId": "getReady", "responses": ok("Ready", "application/json", any.clone())}},
            "/collections/{collectionId}": {"get": {"summary": "One collection", "operationId": "describeCollection", "parameters": [{"$ref": "#/components/parameters/collectionId"}, f.clone()], "responses": ok("A collection", "application/json", any.clone())}},
            "/collections/assets/items": {"get": {
                "summary": "Community assets", "operationId": "getAssets",
                "parameters": asset_params,
                "responses": ok("A page of assets", "application/geo+json", fc.clone())},
                "post": {
                    "summary": "Add an asset (editors and admins; published at once)", "operationId": "createAsset",
                    "security": [{"bearer": []}],
                    "requestBody": {"required": true, "content": {"application/geo+json": {"schema": feature.clone()}, "application/json": {"schema": feature.clone()}}},
                    "responses": writes("201", "Created; Location names the new asset")}},
            "/collections/assets/items/{featureId}": {
                "get": {"summary": "One asset", "operationId": "getAsset", "parameters": [fid.clone(), f.clone(), crs.clone()], "responses": ok("An asset", "application/geo+json", feature.clone())},
                "put": {"summary": "Replace an asset with a whole Feature", "operationId": "replaceAsset", "security": [{"bearer": []}], "parameters": [fid.clone(), if_match.clone()],
                        "requestBody": {"required": true, "content": {"application/geo+json": {"schema": feature.clone()}}}, "responses": writes("200", "Replaced")},
                "patch": {"summary": "Change some fields (RFC 7396 JSON Merge Patch of the Feature); committed only onto the version it was merged with (409 otherwise)", "operationId": "patchAsset", "security": [{"bearer": []}], "parameters": [fid.clone(), if_match.clone()],
                          "requestBody": {"required": true, "content": {"application/merge-patch+json": {"schema": {"type": "object"}}}}, "responses": writes("200", "Changed")},
                "delete": {"summary": "Remove an asset (an organization's published listing: a request that waits for review, 202)", "operationId": "deleteAsset", "security": [{"bearer": []}], "parameters": [fid.clone(), if_match], "responses": writes("204", "Removed")}},
            "/collections/schools/items": {"get": {"summary": "Schools", "operationId": "getSchools", "parameters": [f.clone(), limit.clone(), offset.clone(), bbox.clone(), bbox_crs.clone(), crs.clone(), filters[0].clone(), filters[1].clone(), filters[2].clone()], "responses": ok("A page of schools", "application/geo+json", fc.clone())}},
            "/collections/schools/items/{featureId}": {"get": {"summary": "One school", "operationId": "getSchool", "parameters": [fid.clone(), f.clone(), crs.clone()], "responses": ok("A school", "application/geo+json", feature.clone())}},
            "/collections/catchments/items": {"get": {"summary": "Attendance areas", "operationId": "getCatchments", "parameters": [f.clone(), limit.clone(), offset.clone(), bbox.clone(), bbox_crs.clone(), crs.clone(), filters[0].clone(), filters[1].clone(), filters[2].clone(),
                param("school", "Only this school's areas (id or district id).", json!({"type": "string"})), year_param.clone()], "responses": ok("A page of attendance areas", "application/geo+json", fc.clone())}},
            "/collections/catchments/items/{featureId}": {"get": {"summary": "One attendance area", "operationId": "getCatchment", "parameters": [fid, f.clone(), crs], "responses": ok("An attendance area", "application/geo+json", feature)}},
            "/schools/{schoolId}/summary": {"get": {
                "summary": "The landscape of a school's area: count per category, the nearest asset of each category, and the gaps",
                "operationId": "getSchoolSummary",
                "parameters": [{"name": "schoolId", "in": "path", "required": true, "schema": {"type": "string"}}, f.clone(), year_param],
                "responses": ok("The summary", "application/json", any.clone())}},
        },
        "components": {
            "parameters": {
                "f": {"name": "f", "in": "query", "required": false, "schema": {"type": "string", "enum": ["json", "geojson"]}},
                "collectionId": {"name": "collectionId", "in": "path", "required": true, "schema": {"type": "string", "enum": ["assets", "schools", "catchments"]}},
                "limit": {"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
                    "description": format!("Page size; larger values are clamped to {MAX_LIMIT}. With school= (the assets of one area), up to {AREA_MAX_LIMIT}: a whole area in one answer, streamed."),
                    "schema": {"type": "integer", "minimum": 1, "default": DEFAULT_LIMIT}},
                "offset": {"name": "offset", "in": "query", "required": false, "description": format!("Features to skip, at most {MAX_OFFSET} (beyond it, narrow the query or take everything from /export/…)."), "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}},
                "bbox": {"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
                    "description": "minLon,minLat,maxLon,maxLat in CRS84 (or minLon,minLat,minHeight,maxLon,maxLat,maxHeight: heights are ignored); minLon > maxLon crosses the antimeridian. A longitude beyond ±180 is taken as ±180, a latitude beyond ±90 as the pole; minLat > maxLat selects nothing.",
                    "schema": {"type": "array", "oneOf": [{"minItems": 4, "maxItems": 4}, {"minItems": 6, "maxItems": 6}], "items": {"type": "number"}}},
                "bbox-crs": {"name": "bbox-crs", "in": "query", "required": false,
                    "description": "The coordinate system of bbox (OGC API – Features Part 2), one of the collection's crs; default CRS84. EPSG:4326 is latitude first; projected systems are easting, northing. Assets are tested against the box itself; schools and areas against the CRS84 box that holds it.",
                    "schema": {"type": "string", "enum": [super::params::CRS84]}},
                "filter": {"name": "filter", "in": "query", "required": false,
                    "description": format!("A CQL2 filter (OGC API – Features Part 3) on the collection's queryables (/collections/{{collectionId}}/queryables): comparisons, LIKE, IN, BETWEEN, IS NULL, AND, OR, NOT, and the spatial functions S_INTERSECTS, S_WITHIN, S_CONTAINS, S_EQUALS, S_DISJOINT, S_TOUCHES, S_OVERLAPS, S_CROSSES and S_DWITHIN(geometry, POINT(lon lat), metres) (great-circle) with points, lines, polygons and BBOX. At most {} characters and {} levels of parentheses; a bad filter is a 400 naming it.", crate::filter::MAX_FILTER_CHARS, crate::filter::MAX_DEPTH),
                    "schema": {"type": "string", "format": "cql2"}},
                "filter-lang": {"name": "filter-lang", "in": "query", "required": false,
                    "description": "The encoding of filter: cql2-text (the default) or cql2-json (cql-text, the draft's name that GDAL 3.6 sends, is cql2-text). A filter that is a JSON object is read as cql2-json, any other as cql2-text, whichever is named here.",
                    "schema": {"type": "string", "enum": ["cql2-text", "cql2-json", "cql-text"]}},
                "filter-crs": {"name": "filter-crs", "in": "query", "required": false,
                    "description": "The coordinate system of the filter's geometry (one of the collection's crs; default CRS84).",
                    "schema": {"type": "string", "enum": [super::params::CRS84]}},
                "crs": {"name": "crs", "in": "query", "required": false,
                    "description": "The coordinate system of the answer's geometry (OGC API – Features Part 2), one of the collection's crs; default CRS84. The answer's Content-Crs header names it. EPSG:4326 is latitude first; projected coordinates are written to three decimals.",
                    "schema": {"type": "string", "enum": [super::params::CRS84]}},
            },
            "schemas": {
                "FeatureCollection": {"type": "object", "required": ["type", "features"], "properties": {
                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {"type": "array", "items": {"$ref": "#/components/schemas/Feature"}},
                    "numberMatched": {"type": "integer"}, "numberReturned": {"type": "integer"},
                    "timeStamp": {"type": "string", "format": "date-time"},
                    "links": {"type": "array", "items": {"type": "object"}}}},
                "Feature": {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
                    "type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "string"},
                    "geometry": {"type": "object"}, "properties": {"type": "object"}}},
                "Problem": {"type": "object", "description": "RFC 9457 problem details; `errors` names each parameter or field at fault.", "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "in": {"type": "string"}, "detail": {"type": "string"}}}}}},
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "A token from `assetmap user add`."},
            },
            "responses": {
                "Problem": {"description": "A problem", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
            },
        },
    })
}
