//! Community organizations sign up: a token shown once and stored only as its
//! hash, every problem of a bad body named, sign-ups limited per address, and
//! the endpoint closed to other origins. On both stores.

use std::net::SocketAddr;

use axum::extract::connect_info::MockConnectInfo;
use axum::http::StatusCode;
use serde_json::{Value, json};

mod common;
use common::{Backend, call_with};

on_both_stores!(organizations_sign_up);

const JSON: (&str, &str) = ("content-type", "application/json");

async fn organizations_sign_up(b: Backend) {
    let db = common::TempDb::new(b).await;
    let (store, _, mut state) = common::app(&db.url, false).await;
    state.shared_mut().expect("not shared yet").signups = std::sync::Arc::new(
        assetmap::http::limit::RateLimit::new(4, std::time::Duration::from_secs(3600)),
    );
    let router = assetmap::http::router(state)
        .layer(MockConnectInfo(SocketAddr::from(([203, 0, 113, 7], 40000))));

    let body = json!({"name": "Rainier Valley Food Bank", "contact_name": "Ana Ruiz", "email": "ana@example.org", "phone": "206-555-0142", "website": "https://example.org/"});
    let (status, _, created) = call_with(
        &router,
        "POST",
        "/organizations",
        &[JSON],
        serde_json::to_vec(&body).expect("json"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&created)
    );
    let created: Value = serde_json::from_slice(&created).expect("json");
    let token = created["token"].as_str().expect("token").to_owned();
    assert_eq!(created["role"], "organization");

    // The token authenticates as that organization, and only its hash is stored.
    let user = store
        .user_by_token_hash(&assetmap::domain::user::token_hash(&token))
        .await
        .expect("lookup")
        .expect("user");
    assert_eq!(user.name, "Rainier Valley Food Bank");
    assert!(
        store
            .user_by_token_hash(&token)
            .await
            .expect("lookup")
            .is_none(),
        "the token itself is not what is stored"
    );

    // Bad bodies: every problem named, nothing created.
    let bad = json!({"name": "", "email": "not-an-address", "website": "javascript:alert(1)", "phone": 5});
    let (status, h, problem) = call_with(
        &router,
        "POST",
        "/organizations",
        &[JSON],
        serde_json::to_vec(&bad).expect("json"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(h["content-type"], "application/problem+json");
    let p: Value = serde_json::from_slice(&problem).expect("problem");
    let names: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    for f in ["name", "contact_name", "email", "website", "phone"] {
        assert!(names.contains(&f), "{f} missing from {names:?}");
    }
    let (status, _, _) = call_with(
        &router,
        "POST",
        "/organizations",
        &[JSON],
        b"{nope".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Four attempts an hour from one address (this test's limit), bad ones included: the fifth is refused.
    let (status, _, _) = call_with(
        &router,
        "POST",
        "/organizations",
        &[JSON],
        serde_json::to_vec(&body).expect("json"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, h, _) = call_with(
        &router,
        "POST",
        "/organizations",
        &[JSON],
        serde_json::to_vec(&body).expect("json"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(h.contains_key("retry-after"));
    // Two accounts were made (the bad bodies counted against the limit but made nothing).
    let pool_count = match b {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.expect("pool");
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM organizations")
                .fetch_one(&pool)
                .await
                .expect("count")
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.expect("pool");
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM organizations")
                .fetch_one(&pool)
                .await
                .expect("count")
        }
    };
    assert_eq!(pool_count, 2);

    // Other origins may read, but not sign up from a browser.
    let (_, h, _) = call_with(
        &router,
        "OPTIONS",
        "/organizations",
        &[
            ("origin", "https://elsewhere.example"),
            ("access-control-request-method", "POST"),
        ],
        Vec::new(),
    )
    .await;
    let allowed = h
        .get("access-control-allow-methods")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(!allowed.contains("POST"), "{allowed}");
}

on_both_stores!(organizations_writes_are_limited_per_address);

async fn organizations_writes_are_limited_per_address(b: Backend) {
    let db = common::TempDb::new(b).await;
    let (store, _, mut state) = common::app(&db.url, false).await;
    state.shared_mut().expect("not shared yet").submissions = std::sync::Arc::new(
        assetmap::http::limit::RateLimit::new(2, std::time::Duration::from_secs(3600)),
    );
    let router = assetmap::http::router(state)
        .layer(MockConnectInfo(SocketAddr::from(([203, 0, 113, 9], 1))));
    let org = format!(
        "Bearer {}",
        common::add_user(&db.url, "organization", "Busy org")
    );
    let editor = format!("Bearer {}", common::add_user(&db.url, "editor", "Editor"));
    let listing = serde_json::to_vec(&common::feature("A listing")).expect("json");
    let post = |auth: String| {
        let (router, listing) = (router.clone(), listing.clone());
        async move {
            call_with(
                &router,
                "POST",
                "/collections/assets/items",
                &[
                    ("content-type", "application/geo+json"),
                    ("authorization", &auth),
                ],
                listing,
            )
            .await
        }
    };
    assert_eq!(post(org.clone()).await.0, StatusCode::CREATED);
    assert_eq!(post(org.clone()).await.0, StatusCode::CREATED);
    let (status, h, _) = post(org.clone()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(h.contains_key("retry-after"));
    assert_eq!(
        store
            .assets_with_status(assetmap::domain::Status::Pending)
            .await
            .expect("pending")
            .len(),
        2
    );
    // Editors are not limited.
    assert_eq!(post(editor).await.0, StatusCode::CREATED);
}
