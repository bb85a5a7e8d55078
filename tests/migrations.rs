//! Upgrading a database made before the partnerships migration, on both
//! stores: the users table is rebuilt on SQLite (a CHECK cannot change in
//! place), so an organization, its listing, its proposal and its token must
//! come through whole, the foreign keys must still hold, and the new role must
//! be accepted afterwards. The schools table is rebuilt too (districts: a
//! school id unique within its district), and a school's attendance area
//! must come through it, still tied to its school.

use std::borrow::Cow;

use assetmap::domain::organization::SignUp;
use assetmap::domain::user::token_hash;
use assetmap::domain::{Role, User};
use chrono::Utc;
use uuid::Uuid;

mod common;
use common::Backend;

on_both_stores!(an_older_database_upgrades_whole);

/// The first migration of this round: everything before it is "older".
const PARTNERSHIPS: i64 = 20261202000005;

async fn migrate_before_partnerships(b: Backend, url: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(match b {
        Backend::Sqlite => "migrations/sqlite",
        Backend::Postgres => "migrations/postgres",
    });
    let all = sqlx::migrate::Migrator::new(dir).await.expect("migrations");
    let older: Vec<_> = all
        .migrations
        .iter()
        .filter(|m| m.version < PARTNERSHIPS)
        .cloned()
        .collect();
    assert!(older.len() >= 4 && older.len() < all.migrations.len());
    let migrator = sqlx::migrate::Migrator {
        migrations: Cow::Owned(older),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    match b {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url).await.expect("sqlite");
            migrator.run(&pool).await.expect("older migrations");
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.expect("postgres");
            migrator.run(&pool).await.expect("older migrations");
            pool.close().await;
        }
    }
}

/// A school and its attendance area, in the older schema's columns.
async fn old_school(b: Backend, url: &str, school: Uuid, area: Uuid) {
    const RING: &str = "[[[[-122.4,47.6],[-122.3,47.6],[-122.3,47.7],[-122.4,47.6]]]]";
    match b {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url).await.expect("sqlite");
            sqlx::query("INSERT INTO schools (id, external_id, name, lon, lat) VALUES (?1, '201', 'Adams Elementary', -122.39, 47.67)")
                .bind(school.to_string())
                .execute(&pool)
                .await
                .expect("school");
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO catchments (id, school_id, year, geometry) VALUES (?1, ?2, '2020-2021', '{{\"type\":\"MultiPolygon\",\"coordinates\":{RING}}}')")))
                .bind(area.to_string())
                .bind(school.to_string())
                .execute(&pool)
                .await
                .expect("area");
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.expect("postgres");
            sqlx::query("INSERT INTO schools (id, external_id, name, geom) VALUES ($1, '201', 'Adams Elementary', ST_SetSRID(ST_MakePoint(-122.39, 47.67), 4326))")
                .bind(school)
                .execute(&pool)
                .await
                .expect("school");
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO catchments (id, school_id, year, geom) VALUES ($1, $2, '2020-2021', ST_SetSRID(ST_GeomFromGeoJSON('{{\"type\":\"MultiPolygon\",\"coordinates\":{RING}}}'), 4326))")))
                .bind(area)
                .bind(school)
                .execute(&pool)
                .await
                .expect("area");
            pool.close().await;
        }
    }
}

/// An organization's pending listing with its owner, its proposal and its
/// history entry, in the older schema's columns.
async fn old_listing(b: Backend, url: &str, asset: Uuid, org: Uuid) {
    let (a, o) = (asset.to_string(), org.to_string());
    match b {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url).await.expect("sqlite");
            for statement in [
                "INSERT INTO assets (id, name, category, status, created_at, updated_at, lon, lat) VALUES (?1, 'Rainier Food Bank', 'food', 'pending', '2026-01-05T10:00:00Z', '2026-01-05T10:00:00Z', -122.39, 47.67)",
                "INSERT INTO asset_owners (asset_id, owner_id) VALUES (?1, ?2)",
                "INSERT INTO asset_revisions (asset_id, submitted_by, feature, submitted_at) VALUES (?1, ?2, '{\"type\":\"Feature\"}', '2026-01-05T10:00:00Z')",
                "INSERT INTO asset_history (asset_id, user_id, at, action, changes) VALUES (?1, ?2, '2026-01-05T10:00:00Z', 'submitted', '[]')",
            ] {
                let q = sqlx::query(statement).bind(&a);
                let q = if statement.contains("?2") {
                    q.bind(&o)
                } else {
                    q
                };
                q.execute(&pool).await.expect(statement);
            }
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.expect("postgres");
            for statement in [
                "INSERT INTO assets (id, name, category, status, created_at, updated_at, geom) VALUES ($1, 'Rainier Food Bank', 'food', 'pending', now(), now(), ST_SetSRID(ST_MakePoint(-122.39, 47.67), 4326))",
                "INSERT INTO asset_owners (asset_id, owner_id) VALUES ($1, $2)",
                "INSERT INTO asset_revisions (asset_id, submitted_by, feature, submitted_at) VALUES ($1, $2, '{\"type\":\"Feature\"}', now())",
                "INSERT INTO asset_history (asset_id, user_id, at, action, changes) VALUES ($1, $2, now(), 'submitted', '[]')",
            ] {
                let q = sqlx::query(statement).bind(asset);
                let q = if statement.contains("$2") {
                    q.bind(org)
                } else {
                    q
                };
                q.execute(&pool).await.expect(statement);
            }
            pool.close().await;
        }
    }
}

async fn an_older_database_upgrades_whole(b: Backend) {
    let db = common::TempDb::new(b).await;
    if b == Backend::Sqlite {
        // The file must exist before a plain pool opens it.
        let path = db.url.trim_start_matches("sqlite://");
        std::fs::File::create(path).expect("create");
    }
    migrate_before_partnerships(b, &db.url).await;

    // An organization with a listing and a proposal, written on the older schema.
    let store = assetmap::store::connect(&db.url).await.expect("store");
    let org = User {
        id: Uuid::new_v4(),
        name: "Rainier Food Bank".into(),
        role: Role::Organization,
        schools: Vec::new(),
        districts: Vec::new(),
        created_at: Utc::now(),
        expires_at: None,
    };
    let details = SignUp {
        name: org.name.clone(),
        contact_name: "Ana".into(),
        email: "ana@example.org".into(),
        phone: None,
        website: None,
    };
    store
        .create_organization(&org, &token_hash("am_old_token"), &details)
        .await
        .expect("organization");
    // Written as the older schema has it (today's code writes today's columns).
    let asset_id = Uuid::new_v4();
    old_listing(b, &db.url, asset_id, org.id).await;
    let (school, area) = (Uuid::new_v4(), Uuid::new_v4());
    old_school(b, &db.url, school, area).await;

    // The upgrade.
    store.migrate().await.expect("upgrade");

    let found = store
        .user_by_token_hash(&token_hash("am_old_token"))
        .await
        .expect("read")
        .expect("the organization's token still works");
    assert_eq!(found.id, org.id);
    assert_eq!(found.role, Role::Organization);
    assert_eq!(store.owner_of(asset_id).await.expect("owner"), Some(org.id));
    assert_eq!(
        store
            .revision(asset_id)
            .await
            .expect("revision")
            .map(|r| r.by),
        Some(org.id)
    );
    assert_eq!(store.history(asset_id).await.expect("history").len(), 1);
    let schools = store.schools().await.expect("schools");
    assert_eq!(schools.len(), 1);
    assert_eq!((schools[0].id, schools[0].district.as_str()), (school, ""));
    let areas = store.catchments().await.expect("areas");
    assert_eq!(
        areas
            .iter()
            .map(|c| (c.id, c.school_id))
            .collect::<Vec<_>>(),
        vec![(area, school)]
    );

    // The foreign keys point at the rebuilt table: a user who owns a listing
    // cannot be deleted, and no row points nowhere.
    match b {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&format!("{}?mode=rw", db.url))
                .await
                .expect("sqlite");
            let dangling: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check")
                .fetch_all(&pool)
                .await
                .expect("check");
            assert!(dangling.is_empty(), "{dangling:?}");
            sqlx::query("PRAGMA foreign_keys = ON")
                .execute(&pool)
                .await
                .expect("fk on");
            let orgs: (i64,) = sqlx::query_as("SELECT count(*) FROM organizations")
                .fetch_one(&pool)
                .await
                .expect("count");
            assert_eq!(orgs.0, 1);
            let refused = sqlx::query("DELETE FROM users WHERE id = ?1")
                .bind(org.id.to_string())
                .execute(&pool)
                .await;
            assert!(refused.is_err(), "the owner's row is still referenced");
            // The area's key points at the rebuilt schools table.
            sqlx::query("DELETE FROM schools WHERE id = ?1")
                .bind(school.to_string())
                .execute(&pool)
                .await
                .expect("delete the school");
            let left: (i64,) = sqlx::query_as("SELECT count(*) FROM catchments")
                .fetch_one(&pool)
                .await
                .expect("count");
            assert_eq!(left.0, 0, "its area went with it");
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.expect("postgres");
            let refused = sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(org.id)
                .execute(&pool)
                .await;
            assert!(refused.is_err(), "the owner's row is still referenced");
        }
    }

    // The new role is accepted now.
    let staff = User {
        id: Uuid::new_v4(),
        name: "Staff".into(),
        role: Role::School,
        schools: Vec::new(),
        districts: Vec::new(),
        created_at: Utc::now(),
        expires_at: None,
    };
    store
        .create_user(&staff, &token_hash("am_staff"))
        .await
        .expect("a school user");
}
