//! Schools' partnerships through the API, on both stores: the authorization
//! matrix of every partnership route × every kind of caller (data unchanged
//! after each refusal), bad input named by its field and changing nothing, the
//! field-level history, the public partner list, and the CLI's `school` role.

use std::net::SocketAddr;

use axum::extract::connect_info::MockConnectInfo;
use axum::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

mod common;
use common::{Backend, add_user, add_user_with, call, call_with, send_as};

on_both_stores!(
    partnership_routes_and_who_may_use_them,
    bad_partnerships_change_nothing
);

struct Fixture {
    router: axum::Router,
    url: String,
    _db: common::TempDb,
    /// School A by the district's id, and by the API's id.
    a_ext: String,
    a_id: Uuid,
    b_id: Uuid,
    /// Published assets near A's campus.
    near_a: Vec<Uuid>,
}

async fn fixture(b: Backend) -> Fixture {
    let db = common::TempDb::new(b).await;
    let (_, index, state) = common::app(&db.url, true).await;
    let router =
        assetmap::http::router(state).layer(MockConnectInfo(SocketAddr::from(([192, 0, 2, 9], 1))));
    let schools = index.schools();
    let a = schools
        .iter()
        .find(|s| s.school.name.contains("Adams"))
        .expect("Adams Elementary in the demo set")
        .school
        .clone();
    let b = schools
        .iter()
        .find(|s| s.school.id != a.id)
        .expect("another school")
        .school
        .clone();
    let q = assetmap::index::AssetQuery {
        near: Some((a.location.lon(), a.location.lat())),
        ..Default::default()
    };
    let (_, near) = index.query_ids(&q, 0, 5).expect("near");
    Fixture {
        router,
        url: db.url.clone(),
        _db: db,
        a_ext: a.external_id.clone(),
        a_id: a.id,
        b_id: b.id,
        near_a: near.iter().map(|n| n.0).collect(),
    }
}

/// Everything about school A's partnerships, as an editor sees it.
async fn snapshot(f: &Fixture, editor: &str) -> Value {
    let (s, list) = send_as(
        &f.router,
        "GET",
        &format!("/schools/{}/partnerships", f.a_id),
        editor,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let mut full = Vec::new();
    for p in list["partnerships"].as_array().expect("list") {
        let (s, one) = send_as(
            &f.router,
            "GET",
            &format!(
                "/schools/{}/partnerships/{}",
                f.a_id,
                p["id"].as_str().expect("id")
            ),
            editor,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        full.push(one);
    }
    json!({"list": list, "full": full})
}

fn details() -> Value {
    json!({
        "status": "active",
        "contact": {"name": "Ana Ruiz", "role": "Program director", "email": "ana@example.org", "phone": "206-555-0142"},
        "agreement_start": "2026-09-01",
        "agreement_end": "2027-06-30",
        "provides": "Weekend food bags for 40 families",
        "pillars": ["integrated_student_supports"],
    })
}

async fn partnership_routes_and_who_may_use_them(b: Backend) {
    let f = fixture(b).await;
    let editor = add_user(&f.url, "editor", "Editor");
    let admin = add_user(&f.url, "admin", "Admin");
    let org = add_user(&f.url, "organization", "An organization");
    let staff_a = add_user_with(&f.url, "school", "Staff of A", &["--school", &f.a_ext]);
    let staff_b = add_user_with(
        &f.url,
        "school",
        "Staff of B",
        &["--school", &f.b_id.to_string()],
    );

    // School staff create a partnership of their school, named by the district's id.
    let mut body = details();
    body["asset_id"] = json!(f.near_a[0]);
    let (s, created) = send_as(
        &f.router,
        "POST",
        &format!("/schools/{}/partnerships", f.a_ext),
        &staff_a,
        Some(&body),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let pid = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["status"], "active");
    assert_eq!(created["asset"]["id"], json!(f.near_a[0]));
    assert!(created["asset"]["name"].is_string());
    assert!(created["asset"]["distance_m"].as_f64().expect("distance") >= 0.0);

    let one = format!("/schools/{}/partnerships/{pid}", f.a_id);
    let patch = json!({"status": "contacted"});
    let log = json!({"date": "2026-10-01", "who": "Principal and director", "note": "Visited the pantry"});
    let mut other = details();
    other["asset_id"] = json!(f.near_a[1]);
    let routes: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/schools/{}/partnerships", f.a_ext), None),
        (
            "POST",
            format!("/schools/{}/partnerships", f.a_id),
            Some(other.clone()),
        ),
        ("GET", one.clone(), None),
        ("PATCH", one.clone(), Some(patch.clone())),
        ("POST", format!("{one}/log"), Some(log.clone())),
        ("DELETE", one.clone(), None),
    ];
    // Refusals: nobody and a bad token 401; an organization and another school's staff 403.
    for (who, token, want) in [
        ("nobody", None, StatusCode::UNAUTHORIZED),
        (
            "a bad token",
            Some("am_0000".to_owned()),
            StatusCode::UNAUTHORIZED,
        ),
        ("an organization", Some(org.clone()), StatusCode::FORBIDDEN),
        (
            "another school's staff",
            Some(staff_b.clone()),
            StatusCode::FORBIDDEN,
        ),
    ] {
        for (method, path, body) in &routes {
            let before = snapshot(&f, &editor).await;
            let mut headers = vec![(
                "content-type",
                if *method == "PATCH" {
                    "application/merge-patch+json"
                } else {
                    "application/json"
                },
            )];
            let auth = token.as_ref().map(|t| format!("Bearer {t}"));
            if let Some(a) = &auth {
                headers.push(("authorization", a.as_str()));
            }
            let bytes = body
                .as_ref()
                .map(|b| serde_json::to_vec(b).expect("json"))
                .unwrap_or_default();
            let (status, h, answer) = call_with(&f.router, method, path, &headers, bytes).await;
            assert_eq!(
                status,
                want,
                "{method} {path} as {who}: {}",
                String::from_utf8_lossy(&answer)
            );
            assert_eq!(h["content-type"], "application/problem+json");
            let text = String::from_utf8_lossy(&answer);
            assert!(!text.contains("ana@example.org"), "{who} saw the contact");
            assert_eq!(
                snapshot(&f, &editor).await,
                before,
                "{method} {path} as {who} changed data"
            );
        }
    }
    // Another school's staff may keep their own school's partnerships, not A's.
    let (s, _) = send_as(
        &f.router,
        "GET",
        &format!("/schools/{}/partnerships", f.b_id),
        &staff_b,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // School staff write no assets.
    let (s, _) = send_as(
        &f.router,
        "POST",
        "/collections/assets/items",
        &staff_a,
        Some(&common::feature("Staff's own asset")),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The school's staff, an editor and an admin may do everything.
    let (s, p) = send_as(
        &f.router,
        "PATCH",
        &one,
        &staff_a,
        Some(&json!({"status": "contacted", "public": true})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["status"], "contacted");
    let (s, entry) = send_as(
        &f.router,
        "POST",
        &format!("{one}/log"),
        &editor,
        Some(&log),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{entry}");
    let (s, p) = send_as(
        &f.router,
        "PATCH",
        &one,
        &admin,
        Some(&json!({"status": "active", "contact": {"phone": null}})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(
        p["contact"]["name"], "Ana Ruiz",
        "a merge patch keeps what it does not name"
    );
    assert_eq!(p["contact"]["phone"], Value::Null);
    let (s, full) = send_as(&f.router, "GET", &one, &staff_a, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(full["log"].as_array().expect("log").len(), 1);
    assert_eq!(full["log"][0]["note"], "Visited the pantry");
    let actions: Vec<&str> = full["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["created", "updated", "logged", "updated"]);
    let status_change = full["history"][1]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["field"] == "status")
        .expect("status changed");
    assert_eq!(status_change["old"], "active");
    assert_eq!(status_change["new"], "contacted");
    let phone = full["history"][3]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["field"] == "contact.phone")
        .expect("phone");
    assert_eq!(phone["old"], "206-555-0142");

    // The public: no list (401), but the active partners marked public, name and provision only.
    let (s, _, _) = call(
        &f.router,
        "GET",
        &format!("/schools/{}/partnerships", f.a_ext),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, body) = call(
        &f.router,
        "GET",
        &format!("/schools/{}/partners", f.a_ext),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let public: Value = serde_json::from_slice(&body).expect("json");
    let partners = public["partners"].as_array().expect("partners");
    assert_eq!(partners.len(), 1);
    assert_eq!(partners[0]["asset_id"], json!(f.near_a[0]));
    assert_eq!(partners[0]["provides"], "Weekend food bags for 40 families");
    let text = String::from_utf8_lossy(&body);
    for secret in [
        "ana@example.org",
        "Ana Ruiz",
        "Visited the pantry",
        "agreement",
    ] {
        assert!(!text.contains(secret), "the public list shows {secret}");
    }
    // A partnership that is not public stays off the public list.
    let (s, _) = send_as(
        &f.router,
        "PATCH",
        &one,
        &staff_a,
        Some(&json!({"public": false})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, body) = call(
        &f.router,
        "GET",
        &format!("/schools/{}/partners", f.a_id),
        &[],
    )
    .await;
    let public: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(public["partners"], json!([]));

    // Deleting removes it with its log; its history stays in the store.
    let (s, _) = send_as(&f.router, "DELETE", &one, &staff_a, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = send_as(&f.router, "GET", &one, &staff_a, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let store = assetmap::store::connect(&f.url).await.expect("store");
    let history = store
        .partnership_history(pid.parse().expect("uuid"))
        .await
        .expect("history");
    assert_eq!(history.last().map(|h| h.action.as_str()), Some("deleted"));

    // The CLI: a school user needs a school that exists; other roles take none.
    for (role, more, why) in [
        ("school", vec![], "at least one --school"),
        (
            "school",
            vec!["--school", "no-such-school"],
            "no such school",
        ),
        (
            "editor",
            vec!["--school", f.a_ext.as_str()],
            "only for --role school",
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_assetmap"))
            .args([
                "user",
                "add",
                "--role",
                role,
                "--name",
                "X",
                "--database-url",
                &f.url,
            ])
            .args(&more)
            .output()
            .expect("run");
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{err}");
    }
}

async fn bad_partnerships_change_nothing(b: Backend) {
    let f = fixture(b).await;
    let editor = add_user(&f.url, "editor", "Editor");
    let staff = add_user_with(
        &f.url,
        "school",
        "Staff",
        &["--school", &f.a_id.to_string()],
    );
    let path = format!("/schools/{}/partnerships", f.a_ext);
    let mut good = details();
    good["asset_id"] = json!(f.near_a[0]);
    let (s, created) = send_as(&f.router, "POST", &path, &staff, Some(&good)).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let one = format!("{path}/{}", created["id"].as_str().expect("id"));

    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let cases: Vec<(&str, String, Value, StatusCode, &str)> = vec![
        (
            "POST",
            path.clone(),
            with("asset_id", json!(Uuid::new_v4())),
            StatusCode::BAD_REQUEST,
            "asset_id",
        ),
        (
            "POST",
            path.clone(),
            with("asset_id", json!("not-a-uuid")),
            StatusCode::BAD_REQUEST,
            "asset_id",
        ),
        (
            "POST",
            path.clone(),
            good.clone(),
            StatusCode::CONFLICT,
            "asset_id",
        ),
        (
            "POST",
            path.clone(),
            {
                let mut b = with("asset_id", json!(f.near_a[1]));
                b["agreement_start"] = json!("2027-06-30");
                b["agreement_end"] = json!("2026-09-01");
                b
            },
            StatusCode::BAD_REQUEST,
            "agreement_end",
        ),
        (
            "POST",
            path.clone(),
            with("status", json!("friends")),
            StatusCode::BAD_REQUEST,
            "status",
        ),
        (
            "PATCH",
            one.clone(),
            json!({"contact": {"email": "not an address"}}),
            StatusCode::BAD_REQUEST,
            "contact.email",
        ),
        (
            "PATCH",
            one.clone(),
            json!({"pillars": ["sports"]}),
            StatusCode::BAD_REQUEST,
            "pillars",
        ),
        (
            "PATCH",
            one.clone(),
            json!({"asset_id": f.near_a[1]}),
            StatusCode::BAD_REQUEST,
            "asset_id",
        ),
        (
            "POST",
            format!("{one}/log"),
            json!({"date": "2026-10-01", "note": "x".repeat(4001)}),
            StatusCode::BAD_REQUEST,
            "note",
        ),
        (
            "POST",
            format!("{one}/log"),
            json!({"date": "2026-10-01", "note": "<script>alert(1)</script>"}),
            StatusCode::BAD_REQUEST,
            "note",
        ),
        (
            "POST",
            format!("{one}/log"),
            json!({"note": "no date"}),
            StatusCode::BAD_REQUEST,
            "date",
        ),
        // 10 MB of note: refused by size before it is read.
        (
            "POST",
            format!("{one}/log"),
            json!({"date": "2026-10-01", "note": "x".repeat(10 << 20)}),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body",
        ),
    ];
    for (method, path, body, want, field) in cases {
        let before = snapshot(&f, &editor).await;
        let (s, problem) = send_as(&f.router, method, &path, &staff, Some(&body)).await;
        assert_eq!(s, want, "{method} {path}: {problem}");
        let named = problem["errors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["name"] == field))
            || problem["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with(&format!("{field}:")));
        assert!(named, "{method} {path}: {field} not named in {problem}");
        assert_eq!(
            snapshot(&f, &editor).await,
            before,
            "{method} {path} changed data"
        );
    }
}
