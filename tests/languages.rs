//! What the server writes comes in the language asked (`lang=` first, then
//! `Accept-Language`, English when there is no catalog), with
//! `Content-Language`: the taxonomy's labels, a school's gap statements (the
//! summary and the gap analysis, JSON and CSV) and problem titles; a request
//! without a preference gets English, as before.

use axum::http::StatusCode;
use serde_json::Value;

mod common;
use common::{Backend, call};

on_both_stores!(the_server_speaks_the_language_asked);

async fn get(
    router: &axum::Router,
    uri: &str,
    accept: Option<&str>,
) -> (StatusCode, Option<String>, Vec<u8>) {
    let headers: Vec<(&str, &str)> = accept.map(|a| ("accept-language", a)).into_iter().collect();
    let (s, h, body) = call(router, "GET", uri, &headers).await;
    let lang = h
        .get("content-language")
        .map(|v| v.to_str().expect("ascii").to_owned());
    (s, lang, body)
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).expect("json")
}

fn food_label(v: &Value) -> String {
    v["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .find(|c| c["id"] == "food")
        .expect("food")["label"]
        .as_str()
        .expect("label")
        .to_owned()
}

async fn the_server_speaks_the_language_asked(b: Backend) {
    let db = common::TempDb::new(b).await;
    let (_, _, state) = common::app(&db.url, true).await;
    let router = assetmap::http::router(state);

    // The taxonomy, every way of asking.
    for (uri, accept, lang, label) in [
        ("/categories", None, "en", "Food"),
        ("/categories?lang=es", None, "es", "Alimentos"),
        (
            "/categories",
            Some("es-MX,es;q=0.9,en;q=0.5"),
            "es",
            "Alimentos",
        ),
        ("/categories?lang=en", Some("es"), "en", "Food"),
        ("/categories", Some("de-DE, fr;q=0.8"), "en", "Food"),
        ("/categories?lang=de", None, "en", "Food"),
    ] {
        let (s, cl, body) = get(&router, uri, accept).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        assert_eq!(cl.as_deref(), Some(lang), "{uri} {accept:?}");
        assert_eq!(food_label(&json(&body)), label, "{uri} {accept:?}");
    }

    // A school's summary: the same gaps, stated in each language.
    let (_, _, body) = get(&router, "/collections/schools/items?limit=1", None).await;
    let school = json(&body)["features"][0]["id"]
        .as_str()
        .expect("school")
        .to_owned();
    let (_, cl, en) = get(&router, &format!("/schools/{school}/summary"), None).await;
    assert_eq!(cl.as_deref(), Some("en"));
    let (_, cl, es) = get(&router, &format!("/schools/{school}/summary?lang=es"), None).await;
    assert_eq!(cl.as_deref(), Some("es"));
    let (en, es) = (json(&en), json(&es));
    let (en_gaps, es_gaps) = (
        en["gaps"].as_array().expect("gaps"),
        es["gaps"].as_array().expect("gaps"),
    );
    assert!(!en_gaps.is_empty(), "the demo school has gaps to state");
    assert_eq!(en_gaps.len(), es_gaps.len());
    for (e, s) in en_gaps.iter().zip(es_gaps) {
        assert_eq!(e["category"], s["category"]);
        let (e, s) = (
            e["statement"].as_str().expect("en"),
            s["statement"].as_str().expect("es"),
        );
        assert!(e.starts_with("No "), "{e}");
        assert!(s.starts_with("Sin "), "{s}");
        assert!(
            s.contains("el área de asistencia") || s.contains("de la escuela"),
            "{s}"
        );
        assert!(!s.contains(" away"), "{s}");
    }

    // The gap analysis, JSON and CSV.
    let (s, cl, body) = get(&router, &format!("/schools/{school}/gaps"), Some("es")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cl.as_deref(), Some("es"));
    let g = json(&body);
    let stated: Vec<&str> = g["analysis"]["gaps"]
        .as_array()
        .expect("gaps")
        .iter()
        .map(|v| v.as_str().expect("text"))
        .collect();
    assert!(!stated.is_empty());
    assert!(
        stated
            .iter()
            .all(|t| t.starts_with("Sin ") || t.starts_with("Ningún socio activo para ")),
        "{stated:?}"
    );
    let (_, cl, csv) = get(
        &router,
        &format!("/schools/{school}/gaps?f=csv&lang=es"),
        None,
    )
    .await;
    assert_eq!(cl.as_deref(), Some("es"));
    assert!(String::from_utf8(csv).expect("utf8").contains("Sin "));

    // Problems: title in the language, the field still named; English by default.
    let (s, cl, body) = get(&router, "/collections/assets/items?bbox=1,2&lang=es", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(cl.as_deref(), Some("es"));
    let p = json(&body);
    assert_eq!(p["title"], "Solicitud no válida");
    assert_eq!(p["errors"][0]["name"], "bbox");
    // A field's fixed words in the language too, and the detail that joins them.
    let (_, _, body) = get(&router, "/collections/assets/items?near=1", Some("es")).await;
    let p = json(&body);
    let details: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["detail"].as_str().expect("detail"))
        .collect();
    assert!(details.contains(&"deben ser dos números: lon,lat"), "{p}");
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("near: deben ser dos números"),
        "{p}"
    );
    // Words with the value in them, too.
    let (_, _, body) = get(&router, "/collections/assets/items?limit=abc&lang=es", None).await;
    let p = json(&body);
    assert_eq!(p["errors"][0]["name"], "limit", "{p}");
    assert_eq!(
        p["errors"][0]["detail"], "\"abc\" no es un número entero",
        "{p}"
    );
    let (_, cl, body) = get(&router, "/collections/assets/items?bbox=1,2", None).await;
    assert_eq!(cl.as_deref(), Some("en"));
    assert_eq!(json(&body)["title"], "Invalid request");
    let (s, _, body) = get(&router, "/review", Some("es")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let p = json(&body);
    assert_eq!(p["title"], "Se requiere autenticación");
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .starts_with("envíe un token")
    );
    // `lang` is taken on every route, and reads without text keep their bytes.
    let (s, cl, _) = get(&router, "/collections/assets/items?limit=1&lang=es", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cl, None, "features are data, not text in a language");
}
