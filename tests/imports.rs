//! Every import is recorded (who, when, which file, what it did) and can be
//! undone whole: what it added is deleted, what it changed put back as it
//! was; an asset changed since is left alone and said; a later import of the
//! same rows, or areas added to a school since, must be undone first. From the
//! command line as a process, and from the import page's API (dry run with the
//! columns and a preview, then import, list and undo), on both stores.

use std::collections::BTreeMap;

use serde_json::{Value, json};

mod common;
use common::{Backend, TempDb, call_with, seattle};

use common::{cli_ok as ok, cli_refused as refused};

on_both_stores!(
    imports_are_recorded_and_undone_whole,
    the_import_page_reads_reports_imports_and_undoes,
);

/// The import id a CLI import printed.
fn import_id(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("recorded as import "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no import id in: {stderr}"))
        .to_owned()
}

/// Every asset as (name, lon, lat, updated_at), by id: what an undo must put back.
async fn assets(url: &str) -> BTreeMap<uuid::Uuid, (String, f64, f64, String)> {
    let store = assetmap::store::connect(url).await.expect("open");
    store
        .assets()
        .await
        .expect("assets")
        .into_iter()
        .map(|a| {
            (
                a.id,
                (
                    a.fields.name.clone(),
                    a.fields.location.lon(),
                    a.fields.location.lat(),
                    a.updated_at.to_rfc3339(),
                ),
            )
        })
        .collect()
}

async fn counts(url: &str) -> (u64, u64, u64) {
    let store = assetmap::store::connect(url).await.expect("open");
    let c = store.counts().await.expect("counts");
    (c.assets, c.schools, c.catchments)
}

async fn imports_are_recorded_and_undone_whole(b: Backend) {
    let db = TempDb::new(b).await;
    let url = db.url.as_str();
    let schools = seattle("Sites_2020.geojson");
    let areas = seattle("sps_attendance_area_ES_2020_2021.geojson");
    let file = seattle("seattle_community_assets_combined.geojson");
    let (_, e) = ok(
        &[
            "import",
            "schools",
            s(&schools),
            "--id-field",
            "SchoolID",
            "--name-field",
            "property_l",
        ],
        url,
    );
    let schools_import = import_id(&e);
    let (_, e) = ok(
        &[
            "import",
            "catchments",
            s(&areas),
            "--school-field",
            "ES_SCH",
            "--year",
            "2020-21",
        ],
        url,
    );
    let areas_import = import_id(&e);
    let (_, e) = ok(&["import", "assets", s(&file), "--id-field", "id"], url);
    let first = import_id(&e);
    let after_first = assets(url).await;
    assert_eq!(after_first.len(), 643);

    // The same file with one name changed and one asset added.
    let mut fc: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
    let features = fc["features"].as_array_mut().expect("features");
    features[0]["properties"]["name"] = json!("Hutchinson Community Center (renamed)");
    let mut added = features[1].clone();
    added["properties"]["id"] = json!("test:added");
    added["properties"]["name"] = json!("A centre added by the second file");
    features.push(added);
    let dir = tempfile::tempdir().expect("dir");
    let second_file = dir.path().join("assets-v2.geojson");
    std::fs::write(&second_file, fc.to_string()).expect("write");
    let (_, e) = ok(
        &[
            "import",
            "assets",
            s(&second_file),
            "--id-field",
            "id",
            "--source",
            "seattle_community_assets_combined",
        ],
        url,
    );
    assert!(e.contains("1 inserted, 1 updated, 642 unchanged"), "{e}");
    let second = import_id(&e);
    let after_second = assets(url).await;
    assert_eq!(after_second.len(), 644);

    // The record: newest first, who, which file, what it did.
    let (list, _) = ok(&["import", "list"], url);
    let lines: Vec<Vec<&str>> = list
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(lines.len(), 4, "{list}");
    assert_eq!(lines[0][0], second);
    assert_eq!(
        &lines[0][2..9],
        [
            "assets",
            "assets-v2.geojson",
            "command line (gis-office)",
            "1",
            "1",
            "642",
            "0"
        ]
    );
    assert_eq!(
        &lines[1][2..6],
        [
            "assets",
            "seattle_community_assets_combined.geojson",
            "command line (gis-office)",
            "643"
        ]
    );
    assert_eq!(
        &lines[3][2..6],
        [
            "schools",
            "Sites_2020.geojson",
            "command line (gis-office)",
            "117"
        ]
    );
    assert!(
        lines.iter().all(|l| l[9].is_empty()),
        "none undone yet: {list}"
    );

    // An earlier import whose rows a later one changed waits for that one.
    let e = refused(&["import", "undo", &first], url);
    assert!(
        e.contains("later import") && e.contains("assets-v2.geojson"),
        "{e}"
    );
    // Schools that have areas since cannot go first.
    let e = refused(&["import", "undo", &schools_import], url);
    assert!(e.contains("attendance areas"), "{e}");
    assert_eq!(
        assets(url).await,
        after_second,
        "a refused undo changes nothing"
    );
    assert_eq!(counts(url).await, (644, 117, 58));

    // Undoing the second file puts everything back as the first left it.
    let (_, e) = ok(&["import", "undo", &second], url);
    assert!(e.contains("1 assets deleted, 1 put back, 0 kept"), "{e}");
    assert_eq!(assets(url).await, after_first);
    let e = refused(&["import", "undo", &second], url);
    assert!(e.contains("undone already"), "{e}");
    let e = refused(&["import", "undo", &uuid::Uuid::new_v4().to_string()], url);
    assert!(e.contains("no import"), "{e}");

    // An asset an editor changed after the import stays, and is named.
    let (&kept, _) = after_first.iter().next().expect("an asset");
    common::sql(
        b,
        url,
        "UPDATE assets SET name = 'Edited by hand', version = version + 1 WHERE id = $1",
        &kept.to_string(),
    )
    .await;
    let (_, e) = ok(&["import", "undo", &first], url);
    assert!(
        e.contains(&format!("kept asset {kept}: changed since the import")),
        "{e}"
    );
    assert!(e.contains("642 assets deleted, 0 put back, 1 kept"), "{e}");
    let left = assets(url).await;
    assert_eq!(left.keys().collect::<Vec<_>>(), vec![&kept]);
    assert_eq!(left[&kept].0, "Edited by hand");

    // Areas, then schools.
    ok(&["import", "undo", &areas_import], url);
    ok(&["import", "undo", &schools_import], url);
    assert_eq!(counts(url).await, (1, 0, 0));
    let (list, _) = ok(&["import", "list"], url);
    assert_eq!(
        list.lines()
            .skip(1)
            .filter(|l| l.split('\t').nth(9).is_some_and(|u| !u.is_empty()))
            .count(),
        4,
        "every import shows when it was undone: {list}"
    );
}

fn s(p: &std::path::Path) -> &str {
    p.to_str().expect("path")
}

async fn post_file(router: &axum::Router, token: &str, query: &str, body: Vec<u8>) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let (status, _, out) = call_with(
        router,
        "POST",
        &format!("/imports?{query}"),
        &[
            ("authorization", &auth),
            ("content-type", "application/octet-stream"),
        ],
        body,
    )
    .await;
    (
        status.as_u16(),
        serde_json::from_slice(&out).unwrap_or(Value::Null),
    )
}

async fn the_import_page_reads_reports_imports_and_undoes(b: Backend) {
    let db = TempDb::new(b).await;
    let (store, _, state) = common::app(&db.url, false).await;
    let router = assetmap::http::router(state);
    let editor = common::add_user(&db.url, "editor", "Dana at the district");
    let org = common::add_user(&db.url, "organization", "A food bank");
    let schools = std::fs::read(seattle("Sites_2020.geojson")).expect("read");
    let q = "kind=schools&file=Sites_2020.geojson&id_field=SchoolID&name_field=property_l";

    // Organizations do not import.
    let (status, _) = post_file(&router, &org, &format!("{q}&dry_run=true"), schools.clone()).await;
    assert_eq!(status, 403);

    // A dry run: what was found, the columns to map, the first rows; nothing written.
    let (status, dry) = post_file(
        &router,
        &editor,
        &format!("{q}&dry_run=true"),
        schools.clone(),
    )
    .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["read"]["rows"], 117);
    assert_eq!(dry["read"]["format"], "GeoJSON");
    assert_eq!(dry["importable"], 117);
    let columns: Vec<&str> = dry["read"]["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        columns.contains(&"property_l") && columns.contains(&"SchoolID"),
        "{columns:?}"
    );
    assert_eq!(
        dry["preview"]["features"].as_array().map(Vec::len),
        Some(117)
    );
    assert!(dry.get("import").is_none());
    assert_eq!(store.counts().await.expect("counts").schools, 0);

    // Bad requests name the parameter, and change nothing.
    let (status, p) = post_file(
        &router,
        &editor,
        "kind=parks&file=x.geojson",
        schools.clone(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(p["errors"][0]["name"], "kind", "{p}");
    let (status, p) = post_file(
        &router,
        &editor,
        "kind=schools&file=x.geojson",
        schools.clone(),
    )
    .await;
    assert_eq!(
        (status, p["errors"][0]["name"].as_str()),
        (400, Some("name_field")),
        "{p}"
    );
    let (status, p) = post_file(&router, &editor, "kind=assets&file=x.dat", schools.clone()).await;
    assert_eq!(
        (status, p["errors"][0]["name"].as_str()),
        (400, Some("body")),
        "{p}"
    );
    assert!(p["detail"].as_str().unwrap_or("").contains("format"), "{p}");

    // The import itself, recorded under the editor's name; the map shows it at once.
    let (status, done) = post_file(&router, &editor, q, schools).await;
    assert_eq!(status, 201, "{done}");
    assert_eq!(done["import"]["inserted"], 117);
    assert_eq!(done["import"]["by"], "Dana at the district");
    let (_, _, body) = call_with(
        &router,
        "GET",
        "/collections/schools/items?limit=1",
        &[],
        vec![],
    )
    .await;
    let page: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(page["numberMatched"], 117, "{page}");

    // A CSV with one row that cannot be placed: refused whole, unless partial is allowed.
    let csv =
        "name,category,lon,lat\nLake City Library,library,-122.2977,47.7193\nNowhere,park,,\n";
    let cq = "kind=assets&file=libraries.csv";
    let (status, p) = post_file(&router, &editor, cq, csv.into()).await;
    assert_eq!(status, 400, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or("")
            .contains("1 rows of libraries.csv cannot be imported"),
        "{p}"
    );
    assert_eq!(store.counts().await.expect("counts").assets, 0);
    let (status, dry) =
        post_file(&router, &editor, &format!("{cq}&dry_run=true"), csv.into()).await;
    assert_eq!(status, 200);
    // Rows are numbered as a spreadsheet numbers them (the header is row 1).
    assert_eq!(dry["skipped"][0]["row"], 3, "{dry}");
    let (status, done) = post_file(
        &router,
        &editor,
        &format!("{cq}&allow_partial=true"),
        csv.into(),
    )
    .await;
    assert_eq!(status, 201, "{done}");
    assert_eq!(
        (
            done["import"]["inserted"].as_i64(),
            done["import"]["skipped"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let asset = store.assets().await.expect("assets")[0].id;
    let (status, _, _) = call_with(
        &router,
        "GET",
        &format!("/collections/assets/items/{asset}"),
        &[],
        vec![],
    )
    .await;
    assert_eq!(status, 200);

    // The record, newest first; undo from the page.
    let auth = format!("Bearer {editor}");
    let (_, _, body) = call_with(
        &router,
        "GET",
        "/imports",
        &[("authorization", &auth)],
        vec![],
    )
    .await;
    let list: Value = serde_json::from_slice(&body).expect("json");
    let imports = list["imports"].as_array().expect("imports");
    assert_eq!(imports.len(), 2, "{list}");
    assert_eq!(imports[0]["file"], "libraries.csv");
    let id = imports[0]["id"].as_str().expect("id").to_owned();
    let (status, _, body) = call_with(
        &router,
        "POST",
        &format!("/imports/{id}/undo"),
        &[("authorization", &auth)],
        vec![],
    )
    .await;
    let undone: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(
        (status.as_u16(), undone["deleted"].as_i64()),
        (200, Some(1)),
        "{undone}"
    );
    let (status, _, _) = call_with(
        &router,
        "GET",
        &format!("/collections/assets/items/{asset}"),
        &[],
        vec![],
    )
    .await;
    assert_eq!(status, 404, "the index follows the undo");
    let (status, _, body) = call_with(
        &router,
        "POST",
        &format!("/imports/{id}/undo"),
        &[("authorization", &auth)],
        vec![],
    )
    .await;
    assert_eq!(status, 409, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("undone already"));

    let schools_import = imports[1]["id"].as_str().expect("id");
    let (status, _, _) = call_with(
        &router,
        "POST",
        &format!("/imports/{schools_import}/undo"),
        &[("authorization", &auth)],
        vec![],
    )
    .await;
    assert_eq!(status, 200);
    let (_, _, body) = call_with(
        &router,
        "GET",
        "/collections/schools/items?limit=1",
        &[],
        vec![],
    )
    .await;
    let page: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(page["numberMatched"], 0, "{page}");
}
