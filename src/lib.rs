//! assetmap: community asset mapping for schools.
//!
//! # Architecture
//! ```text
//! main.rs ── config ── app ──┬── store   SQLite (embedded) or PostGIS behind one trait; the system of record
//!          └─ cli            ├── sync    LISTEN/NOTIFY follower: keeps the index in step with a shared PostGIS
//!                            ├── index   R-trees + each feature's GeoJSON bytes + the members of every school area
//!                            └── http    axum router: OGC API – Features, writes, summary, reports, exports, the page
//! import ── reads GeoJSON files into domain types and writes them through the store
//! export ── streams every asset a filter matches as GeoJSON, GeoJSON lines or CSV
//! join   ── tags points with the areas that contain them (the bulk catchment join)
//! encode ── each feature's GeoJSON bytes, made once per change
//! domain ── assets, schools, catchments, taxonomy, users, validation, bbox, sphere math: no axum, no sqlx
//! ```
//! Dependencies point one way: `http → index, store, domain`; `index, store → domain`.
//! A write goes to the store first and reaches the index only after it committed.

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod encode;
pub mod export;
pub mod hsds;
pub mod http;
pub mod import;
pub mod index;
pub mod join;
pub mod service;
pub mod store;
pub mod sync;
