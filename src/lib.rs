//! assetmap: community asset mapping for schools.
//!
//! # Architecture
//! ```text
//! main.rs ── config ── app ──┬── store   (SQLite or PostGIS, one trait; the system of record)
//!                            ├── index   (R-trees + prebuilt GeoJSON bytes + area members)
//!                            └── http    (axum router: OGC API – Features, summary, web page)
//! import ── reads GeoJSON files into domain types and writes them through the store
//! encode ── each feature's GeoJSON bytes, made once per change
//! domain ── assets, schools, catchments, taxonomy, bbox, sphere math: no axum, no sqlx
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
pub mod http;
pub mod import;
pub mod index;
pub mod join;
pub mod store;
pub mod sync;
