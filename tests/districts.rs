//! Several districts in one service (a county office hosting its districts),
//! on both stores: the same school ids in two districts, each district's
//! areas matched to its own schools, `school=DISTRICT:ID` and the API's id
//! answer, a plain id two districts share is refused naming both, and an
//! editor limited to one district imports and undoes only that district's.

use serde_json::Value;

mod common;
use common::{Backend, TempDb, call, call_with, seattle};

use common::cli as assetmap;

fn ok(args: &[&str], url: &str) -> String {
    common::cli_ok(args, url).1
}

on_both_stores!(two_districts_with_the_same_school_ids_share_one_service);

async fn get(router: &axum::Router, uri: &str) -> (u16, Value) {
    let (status, _, body) = call(router, "GET", uri, &[]).await;
    (
        status.as_u16(),
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

async fn two_districts_with_the_same_school_ids_share_one_service(b: Backend) {
    let db = TempDb::new(b).await;
    let url = db.url.as_str();
    let sites = seattle("Sites_2020.geojson");
    let sites = sites.to_str().expect("path");
    let areas = seattle("sps_attendance_area_ES_2020_2021.geojson");
    let areas = areas.to_str().expect("path");
    let schools = |district: &str| {
        let args = [
            "import",
            "schools",
            sites,
            "--id-field",
            "SchoolID",
            "--name-field",
            "property_l",
            "--district",
            district,
        ];
        ok(&args, url)
    };
    assert!(schools("SEA").contains("117 inserted"));
    // The same ids again, in another district: a second set, nothing replaced.
    assert!(schools("TAC").contains("117 inserted"));
    let e = ok(
        &[
            "import",
            "catchments",
            areas,
            "--school-field",
            "ES_SCH",
            "--year",
            "2020-21",
            "--district",
            "SEA",
        ],
        url,
    );
    assert!(e.contains("58 inserted"), "{e}");
    let bad = assetmap(
        &[
            "import",
            "schools",
            sites,
            "--name-field",
            "property_l",
            "--district",
            "SEA:1",
        ],
        url,
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a district code"));

    let store = assetmap::store::connect(url).await.expect("open");
    let stored = store.schools().await.expect("schools");
    assert_eq!(stored.len(), 234);
    let sea: Vec<_> = stored.iter().filter(|s| s.district == "SEA").collect();
    let tac: Vec<_> = stored.iter().filter(|s| s.district == "TAC").collect();
    assert_eq!((sea.len(), tac.len()), (117, 117));
    let catchments = store.catchments().await.expect("areas");
    assert_eq!(catchments.len(), 58);
    assert!(
        catchments
            .iter()
            .all(|c| sea.iter().any(|s| s.id == c.school_id)),
        "each district's areas go to its own schools"
    );

    let (_, _, state) = common::app(url, false).await;
    let router = assetmap::http::router(state);
    let (status, page) = get(&router, "/collections/schools/items?limit=1000").await;
    assert_eq!(status, 200);
    let features = page["features"].as_array().expect("features");
    assert_eq!(features.len(), 234);
    assert!(
        features
            .iter()
            .all(|f| ["SEA", "TAC"].contains(&f["properties"]["district"].as_str().unwrap_or("")))
    );

    // A district's area by DISTRICT:ID; the school by the API's id too.
    let adams_sea = sea
        .iter()
        .find(|s| s.external_id == "201")
        .expect("201 in SEA");
    let (status, by_key) = get(&router, "/collections/assets/items?school=SEA:201&limit=1").await;
    assert_eq!(status, 200, "{by_key}");
    let (status, by_id) = get(
        &router,
        &format!("/collections/assets/items?school={}&limit=1", adams_sea.id),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(by_key["numberMatched"], by_id["numberMatched"]);
    let (status, one) = get(&router, "/collections/schools/items/TAC:201").await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["properties"]["district"], "TAC");

    // A plain id that both districts use names neither, and says how to.
    let (status, problem) = get(&router, "/collections/assets/items?school=201").await;
    assert_eq!(status, 400, "{problem}");
    let detail = problem["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains("SEA:201") && detail.contains("TAC:201"),
        "{detail}"
    );
    assert_eq!(problem["errors"][0]["name"], "school");

    // An editor of one district.
    let tacoma = common::add_user_with(url, "editor", "Tacoma editor", &["--district", "TAC"]);
    let auth = format!("Bearer {tacoma}");
    let body = std::fs::read(seattle("Sites_2020.geojson")).expect("read");
    let q =
        "kind=schools&file=Sites_2020.geojson&id_field=SchoolID&name_field=property_l&dry_run=true";
    let (status, _, _) = call_with(
        &router,
        "POST",
        &format!("/imports?{q}&district=SEA"),
        &[("authorization", &auth)],
        body.clone(),
    )
    .await;
    assert_eq!(status.as_u16(), 403, "not their district");
    let (status, _, out) = call_with(
        &router,
        "POST",
        &format!("/imports?{q}&district=TAC"),
        &[("authorization", &auth)],
        body,
    )
    .await;
    assert_eq!(status.as_u16(), 200, "{}", String::from_utf8_lossy(&out));
    let (_, _, out) = call(&router, "GET", "/imports", &[("authorization", &auth)]).await;
    let list: Value = serde_json::from_slice(&out).expect("json");
    let seen: Vec<&str> = list["imports"]
        .as_array()
        .expect("imports")
        .iter()
        .filter_map(|i| i["district"].as_str())
        .collect();
    assert_eq!(seen, vec!["TAC"], "only their district's imports: {list}");
    let sea_import = store
        .imports()
        .await
        .expect("imports")
        .into_iter()
        .find(|i| i.district == "SEA" && i.kind == "schools")
        .expect("the SEA schools import");
    let (status, _, _) = call(
        &router,
        "POST",
        &format!("/imports/{}/undo", sea_import.id),
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(status.as_u16(), 403);
    assert_eq!(
        store.schools().await.expect("schools").len(),
        234,
        "nothing undone"
    );
}
