//! assetmap: community asset mapping for schools.
//!
//! # Floors
//! ```text
//! main.rs ─ config ─┬─ app      build (store → migrate → demo → index → state) and serve
//!                   ├─ cli      import, export, join, user, migrate
//!                   └─ demo     the embedded Seattle set, loaded into an empty database
//! ─────────────────────────────────────────────────────────────────────────────────────
//! http      axum router over AppState: OGC API – Features reads, writes, review,
//!           sign-up, suggestions, partnerships, gaps, summary, reports, exports, the page (one file per route group;
//!           body, geojson, limit, params, error are its helpers)
//! ─────────────────────────────────────────────────────────────────────────────────────
//! service   the one way to write: validate → Store::commit (change + history, one
//!           transaction) → index; used by http, cli and import
//! sync      keeps the index in step with the store: reload, LISTEN/NOTIFY follower
//! import    files into domain values (GeoJSON, CSV, Excel, Shapefile, GeoPackage,
//!           KML; import::read), written through service and store; every import
//!           recorded and undoable (store::journal)
//! geocode   addresses to points: the district's address points, then Nominatim
//! hsds      Open Referral HSDS in and out (json, tables, languages)
//! export    streams what a query matches as GeoJSON, GeoJSON lines or CSV
//! join      tags points with the areas that contain them (the bulk catchment join)
//! gaps      the gap analysis: a landscape by pillar and domain, with the partners
//! ─────────────────────────────────────────────────────────────────────────────────────
//! index     R-trees + each feature's GeoJSON bytes + every school area's members;
//!           the query type and its parsing (index::query) for API and CLI alike
//! store     the system of record behind one trait: SQLite (embedded) or PostGIS,
//!           chosen by URL scheme; one row mapping and column list per backend
//! encode    each feature's GeoJSON bytes, made once per change
//! ─────────────────────────────────────────────────────────────────────────────────────
//! domain    assets (AssetFields), schools and SchoolRef, catchments, taxonomy, users,
//!           partnerships,
//!           validation, bbox, sphere math: plain types and rules, no axum, no sqlx
//! crs       coordinate systems and transforms to and from WGS84 (proj4rs)
//! ```
//!
//! # The rule
//! Dependencies point down the floors, never up and never in a circle: `http`
//! and `cli` build on `service`, `index`, `store` and `domain` and never on each
//! other; `service` builds on `index` and `store`; `index` and `store` build on
//! `domain` and `encode` (the bytes of a feature, an area's GeoJSON) alone;
//! `domain` imports nothing of the service. A write reaches the store first, with its history entry in
//! the same transaction, and the index only after it committed.
//! `ARCHITECTURE.md` follows a read and a write through the files.

pub mod app;
pub mod cli;
pub mod config;
pub mod crs;
pub mod demo;
pub mod domain;
pub mod encode;
pub mod export;
pub mod filter;
pub mod gaps;
pub mod geocode;
pub mod hsds;
pub mod http;
pub mod i18n;
pub mod import;
pub mod index;
pub mod join;
pub mod service;
pub mod store;
pub mod sync;
