//! A district's own files: the Seattle schools, elementary attendance areas
//! and community assets turned by GDAL's `ogr2ogr` into every format the
//! importer reads (a Shapefile in State Plane feet, a zipped Shapefile, a
//! GeoPackage in Web Mercator, KML, CSV, Excel, GeoJSON lines), each imported
//! with the CLI as a process, must give the same schools, areas and assets as
//! the GeoJSON import, to 1e-7 degrees. Then what a wrong file gets.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use geo::CoordsIter;

mod common;
use common::{Backend, TempDb, seattle};

fn ok(args: &[&str], url: &str) -> String {
    common::cli_ok(args, url).1
}

use common::cli_refused as refused;

on_both_stores!(
    every_format_gives_the_same_map_as_geojson,
    a_wrong_file_is_refused_naming_the_file_and_the_reason,
    names_match_areas_to_schools_and_never_guess,
    a_reimport_of_the_same_file_changes_nothing,
);

fn ogr2ogr(args: &[&str]) {
    let out = Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr (Debian's gdal-bin; scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "ogr2ogr {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().expect("path")
}

/// What a database holds, keyed so two imports can be compared.
struct Map {
    schools: HashMap<String, (f64, f64)>,
    areas: HashMap<String, Vec<(f64, f64)>>,
    assets: HashMap<String, (f64, f64)>,
}

async fn map_of(url: &str) -> Map {
    let store = assetmap::store::connect(url).await.expect("open");
    let schools = store.schools().await.expect("schools");
    let by_id: HashMap<_, _> = schools
        .iter()
        .map(|s| (s.id, s.external_id.clone()))
        .collect();
    let areas = store
        .catchments()
        .await
        .expect("catchments")
        .into_iter()
        .map(|c| {
            let mut coords: Vec<(f64, f64)> =
                c.geometry.coords_iter().map(|c| (c.x, c.y)).collect();
            coords.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
            (by_id[&c.school_id].clone(), coords)
        })
        .collect();
    let assets = store
        .assets()
        .await
        .expect("assets")
        .into_iter()
        .map(|a| {
            (
                a.fields.source_id.clone().unwrap_or_default(),
                (a.fields.location.lon(), a.fields.location.lat()),
            )
        })
        .collect();
    Map {
        schools: schools
            .into_iter()
            .map(|s| (s.external_id, (s.location.lon(), s.location.lat())))
            .collect(),
        areas,
        assets,
    }
}

fn close(a: (f64, f64), b: (f64, f64)) -> bool {
    (a.0 - b.0).abs() <= 1e-7 && (a.1 - b.1).abs() <= 1e-7
}

fn same(label: &str, want: &Map, got: &Map) {
    assert_eq!(want.schools.len(), got.schools.len(), "{label}: schools");
    for (id, p) in &want.schools {
        let q = got
            .schools
            .get(id)
            .unwrap_or_else(|| panic!("{label}: school {id}"));
        assert!(close(*p, *q), "{label}: school {id} at {q:?}, not {p:?}");
    }
    assert_eq!(want.areas.len(), got.areas.len(), "{label}: areas");
    for (id, coords) in &want.areas {
        let other = got
            .areas
            .get(id)
            .unwrap_or_else(|| panic!("{label}: area {id}"));
        assert_eq!(coords.len(), other.len(), "{label}: area {id} vertices");
        // Every vertex has its counterpart (sorting cannot pair them: two
        // vertices a hair apart in longitude may swap places).
        for p in coords {
            assert!(
                other.iter().any(|q| close(*p, *q)),
                "{label}: area {id} has no vertex within 1e-7 of {p:?}"
            );
        }
    }
    assert_eq!(want.assets.len(), got.assets.len(), "{label}: assets");
    for (id, p) in &want.assets {
        let q = got
            .assets
            .get(id)
            .unwrap_or_else(|| panic!("{label}: asset {id}"));
        assert!(close(*p, *q), "{label}: asset {id} at {q:?}, not {p:?}");
    }
}

/// The three Seattle files, with the import arguments each takes.
struct Files {
    schools: PathBuf,
    areas: PathBuf,
    assets: PathBuf,
}

fn import_all(url: &str, f: &Files, more: &[&str]) {
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .chain(more)
            .chain(&["--allow-partial"])
            .map(|s| (*s).to_owned())
            .collect()
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(&args, url)
    };
    run(with(&[
        "import",
        "schools",
        s(&f.schools),
        "--id-field",
        "SchoolID",
        "--name-field",
        "property_l",
    ]));
    run(with(&[
        "import",
        "catchments",
        s(&f.areas),
        "--school-field",
        "ES_SCH",
        "--year",
        "2020-21",
    ]));
    run(with(&[
        "import",
        "assets",
        s(&f.assets),
        "--id-field",
        "id",
    ]));
}

async fn every_format_gives_the_same_map_as_geojson(b: Backend) {
    let originals = Files {
        schools: seattle("Sites_2020.geojson"),
        areas: seattle("sps_attendance_area_ES_2020_2021.geojson"),
        assets: seattle("seattle_community_assets_combined.geojson"),
    };
    let reference = TempDb::new(b).await;
    import_all(&reference.url, &originals, &[]);
    let want = map_of(&reference.url).await;
    assert!(want.schools.len() > 100 && want.areas.len() > 50 && want.assets.len() > 600);

    let dir = tempfile::tempdir().expect("dir");
    let convert = |ext: &str, extra: &[&str], sql: Option<&dyn Fn(&str) -> String>| -> Files {
        let one = |src: &Path, stem: &str| -> PathBuf {
            let out = dir.path().join(format!("{stem}.{ext}"));
            let layer = src
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("stem")
                .to_owned();
            let mut args: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
            if let Some(sql) = sql {
                args.extend([
                    "-dialect".into(),
                    "SQLite".into(),
                    "-sql".into(),
                    sql(&layer),
                ]);
            }
            args.extend([s(&out).to_owned(), s(src).to_owned()]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            ogr2ogr(&args);
            out
        };
        Files {
            schools: one(
                &originals.schools,
                &format!("schools_{}", ext.replace('.', "_")),
            ),
            areas: one(
                &originals.areas,
                &format!("areas_{}", ext.replace('.', "_")),
            ),
            assets: one(
                &originals.assets,
                &format!("assets_{}", ext.replace('.', "_")),
            ),
        }
    };

    // A Shapefile in Washington State Plane North, US feet, as a GIS office hands it out.
    let shp = convert("shp", &["-t_srs", "EPSG:2926"], None);
    // The same, zipped (only the areas: the three layers must not share a zip).
    let zipped = {
        let zip = dir.path().join("areas_in_a.zip");
        let stem = shp.areas.with_extension("");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&zip).expect("zip"));
        for ext in ["shp", "shx", "dbf", "prj"] {
            let p = stem.with_extension(ext);
            w.start_file(
                format!(
                    "areas/{}",
                    p.file_name().and_then(|n| n.to_str()).expect("name")
                ),
                zip::write::SimpleFileOptions::default(),
            )
            .expect("entry");
            std::io::Write::write_all(&mut w, &std::fs::read(&p).expect("read")).expect("write");
        }
        w.finish().expect("finish");
        Files {
            schools: shp.schools.clone(),
            areas: zip,
            assets: shp.assets.clone(),
        }
    };
    let gpkg = convert("gpkg", &["-f", "GPKG", "-t_srs", "EPSG:3857"], None);
    let kml = convert("kml", &["-f", "KML"], None);
    let csv = convert("csv", &["-f", "CSV", "-lco", "GEOMETRY=AS_WKT"], None);
    let xlsx_sql = |layer: &str| format!("SELECT *, AsWKT(geometry, 12) AS WKT FROM \"{layer}\"");
    let xlsx = convert("xlsx", &["-f", "XLSX"], Some(&xlsx_sql));
    let lines = convert(
        "geojsonl",
        &["-f", "GeoJSONSeq", "-lco", "COORDINATE_PRECISION=15"],
        None,
    );

    for (label, files) in [
        ("Shapefile EPSG:2926", &shp),
        ("zipped Shapefile", &zipped),
        ("GeoPackage EPSG:3857", &gpkg),
        ("KML", &kml),
        ("CSV", &csv),
        ("XLSX", &xlsx),
        ("GeoJSON lines", &lines),
    ] {
        let db = TempDb::new(b).await;
        import_all(&db.url, files, &[]);
        same(label, &want, &map_of(&db.url).await);
    }
}

async fn a_wrong_file_is_refused_naming_the_file_and_the_reason(b: Backend) {
    let db = TempDb::new(b).await;
    let dir = tempfile::tempdir().expect("dir");
    let assets = seattle("seattle_community_assets_combined.geojson");
    let import = |file: &Path, more: &[&str]| -> String {
        let mut args = vec!["import", "assets", s(file), "--id-field", "id"];
        args.extend(more);
        refused(&args, &db.url)
    };

    // A .shp without its .dbf.
    let shp = dir.path().join("alone.shp");
    ogr2ogr(&["-t_srs", "EPSG:2926", s(&shp), s(&assets)]);
    std::fs::remove_file(shp.with_extension("dbf")).expect("rm");
    let e = import(&shp, &[]);
    assert!(e.contains("alone.shp") && e.contains(".dbf"), "{e}");

    // A Shapefile without a .prj: its system cannot be told.
    let bare = dir.path().join("bare.shp");
    ogr2ogr(&["-t_srs", "EPSG:2926", s(&bare), s(&assets)]);
    std::fs::remove_file(bare.with_extension("prj")).expect("rm");
    let e = import(&bare, &[]);
    assert!(e.contains("bare.shp") && e.contains("--source-crs"), "{e}");
    // Named on the command line, it reads.
    ok(
        &[
            "import",
            "assets",
            s(&bare),
            "--id-field",
            "id",
            "--source-crs",
            "EPSG:2926",
            "--dry-run",
        ],
        &db.url,
    );

    // A zip with two layers.
    let two = dir.path().join("two.zip");
    {
        let mut w = zip::ZipWriter::new(std::fs::File::create(&two).expect("zip"));
        for stem in ["bare", "alone"] {
            w.start_file(
                format!("{stem}.shp"),
                zip::write::SimpleFileOptions::default(),
            )
            .expect("entry");
            std::io::Write::write_all(
                &mut w,
                &std::fs::read(dir.path().join(format!("{stem}.shp"))).expect("read"),
            )
            .expect("write");
        }
        w.finish().expect("finish");
    }
    let e = import(&two, &[]);
    assert!(
        e.contains("two.zip") && e.contains("2 layers") && e.contains("--layer"),
        "{e}"
    );

    // A CSV in Latin-1.
    let latin = dir.path().join("latin.csv");
    std::fs::write(
        &latin,
        b"name,category,lon,lat,id\nCaf\xe9 Juvenil,library,-122.3,47.6,x1\n",
    )
    .expect("write");
    let e = import(&latin, &[]);
    assert!(
        e.contains("latin.csv") && e.contains("row 2") && e.contains("--encoding latin1"),
        "{e}"
    );
    let said = ok(
        &[
            "import",
            "assets",
            s(&latin),
            "--id-field",
            "id",
            "--encoding",
            "latin1",
        ],
        &db.url,
    );
    assert!(said.contains("1 inserted"), "{said}");
    let store = assetmap::store::connect(&db.url).await.expect("open");
    let names: Vec<String> = store
        .assets()
        .await
        .expect("assets")
        .into_iter()
        .map(|a| a.fields.name)
        .collect();
    assert_eq!(names, vec!["Café Juvenil".to_owned()]);

    // An unknown system.
    let e = refused(
        &["import", "assets", s(&latin), "--source-crs", "EPSG:999999"],
        &db.url,
    );
    assert!(e.contains("999999"), "{e}");

    // An XLSX with merged header cells: made by hand (two header cells merged).
    let merged = dir.path().join("merged.xlsx");
    write_merged_xlsx(&merged);
    let e = import(&merged, &[]);
    assert!(
        e.contains("merged.xlsx") && e.contains("merged header cells"),
        "{e}"
    );

    // Nothing of those half-imported: still the one asset.
    assert_eq!(store.assets().await.expect("assets").len(), 1);

    // A file where some rows cannot be imported writes nothing without --allow-partial.
    let partial = dir.path().join("partial.csv");
    std::fs::write(
        &partial,
        "name,category,lon,lat,id\nA,library,-122.3,47.6,a\nB,library,,,b\nC,library,abc,47.6,c\n",
    )
    .expect("write");
    let e = import(&partial, &[]);
    assert!(
        e.contains("row 3") && e.contains("row 4") && e.contains("--allow-partial"),
        "{e}"
    );
    assert_eq!(store.assets().await.expect("assets").len(), 1);
}

/// An .xlsx whose header cells A1:B1 are merged, written as the zip of XML
/// it is.
fn write_merged_xlsx(path: &Path) {
    let parts: [(&str, &str); 5] = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Assets" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
        (
            "xl/worksheets/sheet1.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Location</t></is></c><c r="C1" t="inlineStr"><is><t>name</t></is></c></row><row r="2"><c r="A2"><v>-122.3</v></c><c r="B2"><v>47.6</v></c><c r="C2" t="inlineStr"><is><t>A library</t></is></c></row></sheetData><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells></worksheet>"#,
        ),
    ];
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).expect("xlsx"));
    for (name, xml) in parts {
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("entry");
        std::io::Write::write_all(&mut w, xml.as_bytes()).expect("write");
    }
    w.finish().expect("finish");
}

async fn names_match_areas_to_schools_and_never_guess(b: Backend) {
    let db = TempDb::new(b).await;
    let dir = tempfile::tempdir().expect("dir");
    // Three schools, two of them named alike, from a JSON array with lat/lon.
    let schools = dir.path().join("schools.json");
    std::fs::write(
        &schools,
        r#"[{"code":"101","name":"Adams Elementary","lat":47.67,"lon":-122.38},
            {"code":"201","name":"Lincoln High School","lat":47.66,"lon":-122.33},
            {"code":"202","name":"Lincoln HS","lat":47.55,"lon":-122.30}]"#,
    )
    .expect("write");
    ok(
        &[
            "import",
            "schools",
            s(&schools),
            "--id-field",
            "code",
            "--name-field",
            "name",
        ],
        &db.url,
    );
    // A list without ids: a stable id is derived from each name, and said.
    let more = dir.path().join("more.json");
    std::fs::write(
        &more,
        r#"[{"name":"Beacon Hill Int'l School","lat":47.57,"lon":-122.31}]"#,
    )
    .expect("write");
    let said = ok(
        &["import", "schools", s(&more), "--name-field", "name"],
        &db.url,
    );
    assert!(said.contains("derived from the names"), "{said}");
    let square = |x: f64| {
        format!(
            "[[[{x},47.6],[{},47.6],[{},47.7],[{x},47.7],[{x},47.6]]]",
            x + 0.01,
            x + 0.01
        )
    };
    let areas = dir.path().join("areas.geojson");
    std::fs::write(
        &areas,
        format!(
            r#"{{"type":"FeatureCollection","features":[
              {{"type":"Feature","properties":{{"SCHOOL":"ADAMS ES"}},"geometry":{{"type":"Polygon","coordinates":{}}}}},
              {{"type":"Feature","properties":{{"SCHOOL":"Lincoln High"}},"geometry":{{"type":"Polygon","coordinates":{}}}}},
              {{"type":"Feature","properties":{{"SCHOOL":"Adamz Elementary"}},"geometry":{{"type":"Polygon","coordinates":{}}}}}
            ]}}"#,
            square(-122.40),
            square(-122.34),
            square(-122.30)
        ),
    )
    .expect("write");
    let args = |more: &[&'static str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "import",
            "catchments",
            s(&areas),
            "--school-name-field",
            "SCHOOL",
            "--year",
            "2024-25",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        v.extend(more.iter().map(|s| (*s).to_owned()));
        v
    };
    fn strs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    let a = args(&[]);
    let e = refused(&strs(&a), &db.url);
    assert!(
        e.contains("feature 2") && e.contains("several schools") && e.contains("Lincoln HS"),
        "{e}"
    );
    assert!(
        e.contains("feature 3") && e.contains("Adams Elementary"),
        "{e}"
    );
    let store = assetmap::store::connect(&db.url).await.expect("open");
    assert!(
        store.catchments().await.expect("areas").is_empty(),
        "nothing half-imported"
    );

    // The map says which Lincoln; the unknown name stays out, reported.
    let map = dir.path().join("map.csv");
    std::fs::write(&map, "name,school\nLincoln High,201\n").expect("write");
    let a = args(&["--school-map", "MAP", "--allow-partial"]);
    let mut a = a;
    let i = a.iter().position(|x| x == "MAP").expect("map");
    a[i] = s(&map).to_owned();
    let said = ok(&strs(&a), &db.url);
    assert!(
        said.contains("2 inserted") && said.contains("1 skipped"),
        "{said}"
    );
    let schools = store.schools().await.expect("schools");
    assert!(
        schools
            .iter()
            .any(|s| s.external_id == "beacon-hill-international")
    );
    let lincoln_high = schools
        .iter()
        .find(|s| s.name == "Lincoln High School")
        .expect("school");
    let areas = store.catchments().await.expect("areas");
    assert_eq!(areas.len(), 2);
    assert!(areas.iter().all(|c| c.year.as_str() == "2024-2025"));
    assert!(areas.iter().any(|c| c.school_id == lincoln_high.id));
}

async fn a_reimport_of_the_same_file_changes_nothing(b: Backend) {
    let db = TempDb::new(b).await;
    let files = Files {
        schools: seattle("Sites_2020.geojson"),
        areas: seattle("sps_attendance_area_ES_2020_2021.geojson"),
        assets: seattle("seattle_community_assets_combined.geojson"),
    };
    import_all(&db.url, &files, &[]);
    let store = assetmap::store::connect(&db.url).await.expect("open");
    let before: HashMap<_, _> = store
        .assets()
        .await
        .expect("assets")
        .into_iter()
        .map(|a| (a.id, (a.updated_at, a.version)))
        .collect();
    let said = ok(
        &[
            "import",
            "assets",
            s(&files.assets),
            "--id-field",
            "id",
            "--allow-partial",
        ],
        &db.url,
    );
    assert!(
        said.contains("0 inserted, 0 updated") && said.contains(" unchanged"),
        "{said}"
    );
    let said = ok(
        &[
            "import",
            "schools",
            s(&files.schools),
            "--id-field",
            "SchoolID",
            "--name-field",
            "property_l",
            "--allow-partial",
        ],
        &db.url,
    );
    assert!(said.contains("0 inserted, 0 updated"), "{said}");
    let said = ok(
        &[
            "import",
            "catchments",
            s(&files.areas),
            "--school-field",
            "ES_SCH",
            "--year",
            "2020-2021",
            "--allow-partial",
        ],
        &db.url,
    );
    assert!(said.contains("0 inserted, 0 updated"), "{said}");
    let after: HashMap<_, _> = store
        .assets()
        .await
        .expect("assets")
        .into_iter()
        .map(|a| (a.id, (a.updated_at, a.version)))
        .collect();
    assert_eq!(before, after, "no asset rewritten");
}
