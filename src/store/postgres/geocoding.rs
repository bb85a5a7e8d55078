//! PostGIS: address points and the outside geocoder's answers.

use chrono::Utc;

use super::PostgresStore;

use crate::geocode::AddressPoint;
use crate::store::decode::{PointRow, geocoded, point};
use crate::store::{Geocoded, StoreError};

impl PostgresStore {
    pub(super) async fn put_points(&self, points: &[AddressPoint]) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin().await?;
        for p in points {
            sqlx::query(
                "INSERT INTO address_points (street, number, unit, city, postcode, lon, lat) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (street, number, unit, city, postcode) DO UPDATE SET lon = excluded.lon, lat = excluded.lat",
            )
            .bind(&p.street)
            .bind(&p.number)
            .bind(&p.unit)
            .bind(&p.city)
            .bind(&p.postcode)
            .bind(p.lon)
            .bind(p.lat)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(points.len())
    }

    pub(super) async fn points_of(&self, street: &str) -> Result<Vec<AddressPoint>, StoreError> {
        let rows: Vec<PointRow> = sqlx::query_as(
            "SELECT street, number, unit, city, postcode, lon, lat FROM address_points WHERE street = $1",
        )
        .bind(street)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(point).collect())
    }

    pub(super) async fn geocode_of(&self, query: &str) -> Result<Option<Geocoded>, StoreError> {
        let row: Option<(Option<f64>, Option<f64>, String)> =
            sqlx::query_as("SELECT lon, lat, quality FROM geocodes WHERE query = $1")
                .bind(query)
                .fetch_optional(&self.pool)
                .await?;
        row.map(geocoded).transpose()
    }

    pub(super) async fn keep_geocode(&self, query: &str, g: &Geocoded) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO geocodes (query, lon, lat, quality, at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (query) DO UPDATE SET lon = excluded.lon, lat = excluded.lat, quality = excluded.quality, at = excluded.at",
        )
        .bind(query)
        .bind(g.point.map(|p| p.0))
        .bind(g.point.map(|p| p.1))
        .bind(g.quality.as_str())
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
