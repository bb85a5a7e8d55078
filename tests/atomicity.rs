//! A change and its history entry are one transaction: when the store fails
//! while writing the history entry (a real failure, made by a trigger in the
//! database that refuses that entry), nothing of the change is kept: no row, no
//! owner, no proposal, nothing in the index. Once the fault is gone, the same
//! request keeps both. Every kind of write, on both stores.

use std::net::SocketAddr;

use axum::extract::connect_info::MockConnectInfo;
use axum::http::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

mod common;
use common::{Backend, add_user, feature, get_json, send_as as send};

on_both_stores!(a_failed_history_entry_undoes_the_whole_change);

/// Makes the database refuse history entries of one action, for real.
async fn refuse_history(b: Backend, url: &str, action: &str) {
    let statements: Vec<String> = match b {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER inject_failure BEFORE INSERT ON asset_history WHEN NEW.action = '{action}' \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        )],
        Backend::Postgres => vec![
            "CREATE OR REPLACE FUNCTION inject_failure() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$"
                .to_owned(),
            format!(
                "CREATE TRIGGER inject_failure BEFORE INSERT ON asset_history FOR EACH ROW \
                 WHEN (NEW.action = '{action}') EXECUTE FUNCTION inject_failure()"
            ),
        ],
    };
    run_sql(b, url, &statements).await;
}

/// Takes the fault away.
async fn heal(b: Backend, url: &str) {
    let sql = match b {
        Backend::Sqlite => "DROP TRIGGER inject_failure",
        Backend::Postgres => "DROP TRIGGER inject_failure ON asset_history",
    };
    run_sql(b, url, &[sql.to_owned()]).await;
}

async fn run_sql(b: Backend, url: &str, statements: &[String]) {
    match b {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.expect("sqlite");
            for s in statements {
                sqlx::query(sqlx::AssertSqlSafe(s.clone()))
                    .execute(&mut c)
                    .await
                    .expect(s);
            }
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.expect("postgres");
            for s in statements {
                sqlx::query(sqlx::AssertSqlSafe(s.clone()))
                    .execute(&mut c)
                    .await
                    .expect(s);
            }
        }
    }
}

/// Counts rows of a table, straight from the database.
async fn rows(b: Backend, url: &str, table: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {table}");
    match b {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.expect("sqlite");
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut c)
                .await
                .expect("count")
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.expect("postgres");
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut c)
                .await
                .expect("count")
        }
    }
}

/// What the store and the index hold, as one comparable value: every table a
/// write touches, and the public collection.
async fn snapshot(b: Backend, url: &str, router: &axum::Router) -> Value {
    let (_, public) = get_json(router, "/collections/assets/items?limit=1000").await;
    let mut public_names: Vec<String> = public["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap_or("").to_owned())
        .collect();
    public_names.sort();
    json!({
        "assets": rows(b, url, "assets").await,
        "owners": rows(b, url, "asset_owners").await,
        "revisions": rows(b, url, "asset_revisions").await,
        "history": rows(b, url, "asset_history").await,
        "public": public_names,
    })
}

/// Runs `request` with the history entry of `action` refused and checks that
/// nothing changed; then without the fault, and checks that the change and
/// exactly one more history entry are there.
async fn refused_then_kept(
    b: Backend,
    url: &str,
    router: &axum::Router,
    action: &str,
    request: (&str, &str, &str, Option<&Value>),
) -> (StatusCode, Value) {
    let (method, uri, token, body) = request;
    let before = snapshot(b, url, router).await;
    refuse_history(b, url, action).await;
    let (status, problem) = send(router, method, uri, token, body).await;
    assert_eq!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{action}: {problem}"
    );
    assert_eq!(
        problem["detail"], "something went wrong on our side",
        "a 5xx says nothing of its cause"
    );
    assert_eq!(
        snapshot(b, url, router).await,
        before,
        "{action}: nothing of a change whose history entry failed is kept"
    );
    heal(b, url).await;
    let answer = send(router, method, uri, token, body).await;
    assert!(answer.0.is_success(), "{action}: {answer:?}");
    let after = snapshot(b, url, router).await;
    assert_eq!(
        after["history"].as_i64(),
        before["history"].as_i64().map(|h| h + 1),
        "{action}: the change and its history entry are kept together"
    );
    answer
}

async fn a_failed_history_entry_undoes_the_whole_change(b: Backend) {
    let db = common::TempDb::new(b).await;
    let (store, _, state) = common::app(&db.url, false).await;
    let router = assetmap::http::router(state)
        .layer(MockConnectInfo(SocketAddr::from(([198, 51, 100, 7], 1))));
    let editor = add_user(&db.url, "editor", "District editor");
    let org = add_user(&db.url, "organization", "Rainier Food Bank");
    let items = "/collections/assets/items";

    // An editor's new asset.
    let (_, created) = refused_then_kept(
        b,
        &db.url,
        &router,
        "created",
        (
            "POST",
            items,
            &editor,
            Some(&feature("Ballard Youth Counseling")),
        ),
    )
    .await;
    let id = created["id"].as_str().expect("id").to_owned();
    let item = format!("{items}/{id}");

    // An editor's replacement: the old version stays when refused.
    refused_then_kept(
        b,
        &db.url,
        &router,
        "updated",
        (
            "PUT",
            &item,
            &editor,
            Some(&feature("Ballard Youth Counseling Center")),
        ),
    )
    .await;
    let (_, now) = get_json(&router, &item).await;
    assert_eq!(now["properties"]["name"], "Ballard Youth Counseling Center");

    // An organization's new listing: no row and no owner when refused.
    let (_, listing) = refused_then_kept(
        b,
        &db.url,
        &router,
        "submitted",
        ("POST", items, &org, Some(&feature("Rainier Food Bank"))),
    )
    .await;
    let listing_id = listing["id"].as_str().expect("id").to_owned();
    let uuid = uuid::Uuid::parse_str(&listing_id).expect("uuid");
    assert!(store.owner_of(uuid).await.expect("owner").is_some());

    // Approval: publishes and drops nothing when refused.
    refused_then_kept(
        b,
        &db.url,
        &router,
        "approved",
        (
            "POST",
            &format!("/review/{listing_id}/approve"),
            &editor,
            None,
        ),
    )
    .await;

    // An organization's change to its published listing: no proposal when refused.
    let patch = json!({"properties": {"phone": "206-555-0199"}});
    let (status, _) = refused_then_kept(
        b,
        &db.url,
        &router,
        "revision submitted",
        (
            "PATCH",
            &format!("{items}/{listing_id}"),
            &org,
            Some(&patch),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(store.revision(uuid).await.expect("revision").is_some());

    // Rejection of that proposal: the proposal stays when refused.
    refused_then_kept(
        b,
        &db.url,
        &router,
        "rejected",
        (
            "POST",
            &format!("/review/{listing_id}/reject"),
            &editor,
            Some(&json!({"reason": "the number is the county's, not yours"})),
        ),
    )
    .await;
    assert!(store.revision(uuid).await.expect("revision").is_none());

    // Deletion: the asset stays, in the store and in the index, when refused.
    refused_then_kept(
        b,
        &db.url,
        &router,
        "deleted",
        ("DELETE", &item, &editor, None),
    )
    .await;
    let (status, _) = get_json(&router, &item).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
