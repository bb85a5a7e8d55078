//! GeoPackage: an SQLite file, read through sqlx (read-only). Its feature
//! tables are listed in `gpkg_contents`; the geometry column and its system
//! in `gpkg_geometry_columns` and `gpkg_spatial_ref_sys`.

use std::path::Path;

use serde_json::{Map, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{Column, ConnectOptions, Row as _, TypeInfo, ValueRef};

use super::{Declared, Raw, ReadOptions, Row, choose_layer, number, refuse, wkb};
use crate::crs::Crs;
use crate::import::ImportError;

pub(super) async fn read(
    path: &Path,
    file: &str,
    options: &ReadOptions,
) -> Result<Raw, ImportError> {
    if !path.exists() {
        return Err(ImportError::Io {
            path: path.display().to_string(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    let not_gpkg = |e: sqlx::Error| refuse(file, format!("not a readable GeoPackage: {e}"));
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true)
        .connect()
        .await
        .map_err(not_gpkg)?;
    let layers: Vec<String> = sqlx::query_scalar(
        "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name",
    )
    .fetch_all(&mut conn)
    .await
    .map_err(not_gpkg)?;
    let layer = choose_layer(file, options.layer.as_deref(), &layers)?;
    let (column, srs_id): (String, i64) = sqlx::query_as(
        "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
    )
    .bind(&layer)
    .fetch_optional(&mut conn)
    .await
    .map_err(not_gpkg)?
    .ok_or_else(|| refuse(file, format!("layer {layer:?} has no geometry column")))?;
    let srs: Option<(String, Option<i64>, String)> = sqlx::query_as(
        "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
    )
    .bind(srs_id)
    .fetch_optional(&mut conn)
    .await
    .map_err(not_gpkg)?;
    let declared = match srs {
        _ if srs_id <= 0 => Declared::Unknown(format!(
            "layer {layer:?} says its system is undefined (srs_id {srs_id})"
        )),
        None => Declared::Unknown(format!(
            "layer {layer:?} names srs_id {srs_id}, which gpkg_spatial_ref_sys does not hold"
        )),
        Some((org, Some(code), definition)) => {
            let by_code = if org.eq_ignore_ascii_case("EPSG") {
                u32::try_from(code).ok().map(Crs::epsg)
            } else {
                None
            };
            match by_code {
                Some(Ok(crs)) => Declared::Named(Box::new(crs), "from gpkg_spatial_ref_sys".into()),
                _ => match Crs::from_wkt(&definition) {
                    Ok(crs) => Declared::Named(Box::new(crs), "from gpkg_spatial_ref_sys".into()),
                    Err(e) => Declared::Unknown(format!("{org}:{code} is not understood: {e}")),
                },
            }
        }
        Some((org, None, definition)) => match Crs::from_wkt(&definition) {
            Ok(crs) => Declared::Named(Box::new(crs), "from gpkg_spatial_ref_sys".into()),
            Err(e) => Declared::Unknown(format!("{org} system not understood: {e}")),
        },
    };
    let quoted = format!("\"{}\"", layer.replace('"', "\"\""));
    let sql = format!("SELECT * FROM {quoted}");
    let found: Vec<SqliteRow> = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut conn)
        .await
        .map_err(|e| refuse(file, format!("layer {layer:?}: {e}")))?;
    let mut rows = Vec::with_capacity(found.len());
    for (i, r) in found.iter().enumerate() {
        let n = i + 1;
        let mut properties = Map::new();
        let mut geometry = Ok(None);
        let mut id = None;
        for (c, col) in r.columns().iter().enumerate() {
            let name = col.name();
            let raw = r
                .try_get_raw(c)
                .map_err(|e| refuse(file, format!("feature {n}: {e}")))?;
            if raw.is_null() {
                continue;
            }
            let kind = raw.type_info().name().to_ascii_uppercase();
            let bad = |e: sqlx::Error| refuse(file, format!("feature {n}, {name}: {e}"));
            if name == column {
                let blob: Vec<u8> = r.try_get(c).map_err(bad)?;
                geometry = wkb::gpkg(&blob);
                continue;
            }
            let value = match kind.as_str() {
                "INTEGER" => Value::from(r.try_get::<i64, _>(c).map_err(bad)?),
                "REAL" => number(r.try_get::<f64, _>(c).map_err(bad)?),
                "BLOB" => continue,
                _ => {
                    let s: String = r.try_get(c).map_err(bad)?;
                    if s.trim().is_empty() {
                        continue;
                    }
                    Value::String(s.trim().to_owned())
                }
            };
            if name == "fid" && id.is_none() {
                id = Some(value);
                continue;
            }
            properties.insert(name.to_owned(), value);
        }
        rows.push(Row {
            n,
            id,
            geometry,
            properties,
        });
    }
    Ok(Raw {
        unit: "feature",
        declared,
        rows,
        warnings: Vec::new(),
    })
}
