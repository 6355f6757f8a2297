use super::*;
use proptest::prelude::*;

fn fc(features: &str) -> String {
    format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#)
}

fn feature(props: &str, geometry: &str) -> String {
    format!(r#"{{"type":"Feature","properties":{{{props}}},"geometry":{geometry}}}"#)
}

const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[106.8,-6.2],[106.9,-6.2],[106.9,-6.1],[106.8,-6.1],[106.8,-6.2]]]}"#;

fn regions(json: &str) -> Result<RegionSet, ImportError> {
    parse_regions(
        json.as_bytes(),
        &RegionImportOptions::new(RegionLevel::Regency),
    )
}

fn only_error(json: &str) -> String {
    match regions(json) {
        Err(ImportError::Records(errs)) => {
            assert_eq!(errs.len(), 1, "{errs:?}");
            errs[0].to_string()
        }
        other => panic!("expected one record error, got {other:?}"),
    }
}

#[test]
fn valid_regions_parse_with_custom_fields() {
    let json = fc(&feature(r#""kode":3171,"nama":"Jakarta Pusat""#, SQUARE));
    let opts = RegionImportOptions {
        level: RegionLevel::Regency,
        code_field: "kode".into(),
        name_field: "nama".into(),
    };
    let set = parse_regions(json.as_bytes(), &opts).unwrap();
    assert_eq!(set.level, RegionLevel::Regency);
    assert_eq!(set.areas[0].id, "3171");
    assert_eq!(set.areas[0].name, "Jakarta Pusat");
}

#[test]
fn every_fault_names_the_feature_and_code() {
    let cases = [
        (
            r#"{"type":"Polygon","coordinates":[[[106.8,-6.2],[106.9,-6.2],[106.9,-6.1],[106.8,-6.1],[106.8,-6.15]]]}"#,
            "feature #0 (code 31.71): ring 0 is not closed",
        ),
        (
            r#"{"type":"Polygon","coordinates":[[[106.8,-6.2],[106.9,-6.2],[106.8,-6.2]]]}"#,
            "feature #0 (code 31.71): ring 0 has 3 positions",
        ),
        (
            r#"{"type":"Polygon","coordinates":[[[-6.2,106.8],[-6.2,106.9],[-6.1,106.9],[-6.2,106.8]]]}"#,
            "feature #0 (code 31.71): ring 0 position 0: latitude 106.8 is outside -90..90",
        ),
        (
            r#"{"type":"Polygon","coordinates":[[[0,0],[2,2],[2,0],[0,2],[0,0]]]}"#,
            "feature #0 (code 31.71): ring 0 intersects itself",
        ),
        (
            r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[4,0],[4,4],[0,4],[0,0]]],[[[1,1],[2,1],[2,2],[1,1]]]]}"#,
            "feature #0 (code 31.71): polygons 0 and 1 overlap",
        ),
        (
            r#"{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[5,5],[6,5],[6,6],[5,5]]]}"#,
            "feature #0 (code 31.71): ring 1 (a hole) is not inside its exterior ring",
        ),
        (
            r#"{"type":"LineString","coordinates":[[0,0],[1,1]]}"#,
            "feature #0 (code 31.71): geometry type LineString is not a Polygon or MultiPolygon",
        ),
        ("null", "feature #0 (code 31.71): has no geometry"),
        (
            r#"{"type":"Polygon","coordinates":[[[0],[1,1],[1,0],[0,0]]]}"#,
            "feature #0 (code 31.71): malformed geometry",
        ),
    ];
    for (geometry, expected) in cases {
        let msg = only_error(&fc(&feature(r#""code":"31.71","name":"X""#, geometry)));
        assert!(
            msg.starts_with(expected),
            "{msg:?} does not start with {expected:?}"
        );
    }
}

#[test]
fn property_faults_and_duplicates_are_all_reported() {
    let json = fc(&[
        feature(r#""code":"31.71","name":"A""#, SQUARE),
        feature(r#""name":"no code""#, SQUARE),
        feature(r#""code":"  ","name":"blank""#, SQUARE),
        feature(r#""code":"31.71","name":"again""#, SQUARE),
        feature(r#""code":true,"name":"bool""#, SQUARE),
        feature(r#""code":"31.72""#, SQUARE),
    ]
    .join(","));
    let Err(ImportError::Records(errs)) = regions(&json) else {
        panic!("expected record errors");
    };
    let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        msgs,
        [
            "feature #1: missing property `code`",
            "feature #2: property `code` is empty",
            "feature #3 (code 31.71): duplicate code 31.71 (first in feature #0)",
            "feature #4: property `code` must be a string or an integer",
            "feature #5 (code 31.72): missing property `name`",
        ]
    );
}

#[test]
fn wrong_crs_and_wrong_documents_are_refused() {
    let utm = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32748"}},"features":[]}"#;
    assert_eq!(
        regions(utm).unwrap_err(),
        ImportError::UnsupportedCrs("urn:ogc:def:crs:EPSG::32748".into())
    );
    let crs84 = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[]}"#;
    assert!(regions(crs84).unwrap().areas.is_empty());
    assert!(matches!(regions("{"), Err(ImportError::Json(_))));
    assert!(matches!(
        regions("[]"),
        Err(ImportError::NotFeatureCollection(_))
    ));
    assert!(matches!(
        regions(r#"{"type":"Feature"}"#),
        Err(ImportError::NotFeatureCollection(_))
    ));
}

#[test]
fn faskes_geojson_maps_types_and_capabilities() {
    let json = fc(&[
        feature(
            r#""id":"R1","name":"RS A","type":"hospital""#,
            r#"{"type":"Point","coordinates":[106.83,-6.19]}"#,
        ),
        feature(
            r#""id":"P1","name":"PKM B","type":"puskesmas","capabilities":"igd_24h;ponek""#,
            r#"{"type":"Point","coordinates":[106.84,-6.2]}"#,
        ),
        feature(
            r#""id":"A1","name":"Apotek","type":"pharmacy""#,
            r#"{"type":"Point","coordinates":[106.85,-6.2]}"#,
        ),
    ]
    .join(","));
    let f = parse_facilities_geojson(json.as_bytes(), FacilityImportOptions::default()).unwrap();
    assert_eq!(f[0].kind, FacilityKind::Hospital);
    assert!(f[0].capabilities.contains(&Capability::Igd24h));
    assert_eq!(
        f[1].capabilities.iter().copied().collect::<Vec<_>>(),
        [Capability::Igd24h, Capability::Ponek]
    );
    assert_eq!(f[2].kind, FacilityKind::Other);
    let strict = parse_facilities_geojson(
        json.as_bytes(),
        FacilityImportOptions {
            hospitals_have_igd_24h: false,
        },
    )
    .unwrap();
    assert!(strict[0].capabilities.is_empty());

    let bad = fc(&feature(
        r#""id":"X","name":"X","type":"spa""#,
        r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#,
    ));
    let err =
        parse_facilities_geojson(bad.as_bytes(), FacilityImportOptions::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("feature #0 (id X): property `type`: unknown facility type `spa`"),
        "{err}"
    );
}

#[test]
fn facility_csv_reads_columns_in_any_order_and_reports_bad_rows() {
    let csv = "name,id,kind,lat,lon,capabilities,extra\n\
               RS Hasan Sadikin,R3273,hospital,-6.8964,107.5988,igd_24h;icu;trauma,x\n\
               Puskesmas Garuda,P3273,puskesmas,-6.91,107.57,,y\n";
    let f = parse_facilities_csv(std::io::Cursor::new(csv.to_owned())).unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].position.lon(), 107.5988);
    assert_eq!(f[0].capabilities.len(), 3);
    assert!(f[1].capabilities.is_empty());

    let bad = "id,name,kind,lon,lat,capabilities\n\
               a,A,hospital,abc,-6.9,\n\
               b,B,hospital,-6.9,107.6,\n\
               c,C,hospital,107.6,-6.9,teleport\n\
               a,A2,clinic,107.6,-6.9,\n";
    let Err(ImportError::Records(errs)) =
        parse_facilities_csv(std::io::Cursor::new(bad.to_owned()))
    else {
        panic!("expected record errors");
    };
    let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        msgs[0],
        "line 2 (id a): column `lon`: `abc` is not a number"
    );
    assert!(
        msgs[1].starts_with("line 3 (id b): point position 0: latitude 107.6"),
        "{}",
        msgs[1]
    );
    assert!(
        msgs[2].starts_with("line 4 (id c): column `capabilities`: unknown capability `teleport`")
    );
    assert_eq!(msgs[3], "line 5 (id a): duplicate id a (first in line 2)");
    assert_eq!(msgs.len(), 4);

    let missing = "id,name,lon,lat\n";
    assert_eq!(
        parse_facilities_csv(std::io::Cursor::new(missing.to_owned())).unwrap_err(),
        ImportError::MissingColumn("kind")
    );
}

#[test]
fn agencies_from_csv_and_geojson() {
    let csv = "id,name,agency_type,region_codes\n\
               damkar-3171,Damkar Jakarta Pusat,fire,31.71\n\
               psc-3273,PSC 119 Bandung,health,32.73;32.77\n";
    let a = parse_agencies_csv(std::io::Cursor::new(csv.to_owned())).unwrap();
    assert_eq!(
        a[1].area,
        AgencyArea::Regions(vec!["32.73".into(), "32.77".into()])
    );
    assert_eq!(a[0].agency_type, AgencyType::Fire);
    let bad = "id,name,agency_type,region_codes\nx,X,army,31.71\ny,Y,fire,\n";
    let err = parse_agencies_csv(std::io::Cursor::new(bad.to_owned()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 2 (id x): column `agency_type`: unknown agency type `army`"),
        "{err}"
    );
    assert!(
        err.contains("line 3 (id y): column `region_codes` is empty"),
        "{err}"
    );

    let json = fc(&[
        feature(r#""id":"bpbd-zone","name":"BPBD","agency_type":"disaster""#, SQUARE),
        feature(
            r#""id":"polres","name":"Polres","agency_type":"police","region_codes":["31.71","31.72"]"#,
            "null",
        ),
        feature(r#""id":"both","name":"B","agency_type":"police","region_codes":"31.71""#, SQUARE),
    ]
    .join(","));
    let Err(ImportError::Records(errs)) = parse_agencies_geojson(json.as_bytes()) else {
        panic!("expected an error for the feature with both");
    };
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].to_string(),
        "feature #2 (id both): give either a geometry or region_codes, not both"
    );
}

proptest! {
    /// No input makes a parser panic: arbitrary bytes, and arbitrary JSON-ish documents.
    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = regions(&String::from_utf8_lossy(&bytes));
        let _ = parse_facilities_csv(std::io::Cursor::new(bytes.clone()));
        let _ = parse_agencies_csv(std::io::Cursor::new(bytes.clone()));
        let _ = parse_agencies_geojson(bytes.as_slice());
    }

    #[test]
    fn parsers_never_panic_on_mangled_polygons(
        coords in prop::collection::vec((-200.0f64..200.0, -100.0f64..100.0), 0..8),
        close in any::<bool>(),
        hole in any::<bool>(),
    ) {
        let mut ring: Vec<String> = coords.iter().map(|(x, y)| format!("[{x},{y}]")).collect();
        if close && let Some(first) = ring.first().cloned() {
            ring.push(first);
        }
        let ring = format!("[{}]", ring.join(","));
        let rings = if hole { format!("[{ring},{ring}]") } else { format!("[{ring}]") };
        let geometry = format!(r#"{{"type":"Polygon","coordinates":{rings}}}"#);
        let json = fc(&feature(r#""code":"1","name":"n","id":"1","agency_type":"fire""#, &geometry));
        let _ = regions(&json);
        let _ = parse_agencies_geojson(json.as_bytes());
    }
}

#[test]
fn village_gazetteer_csv_reads_codes_names_postal_codes_and_optional_centroids() {
    let csv = "code,district_code,regency_code,province_code,name,type,postal_code,lat,lng\n\
               11.01.01.2001,11.01.01,11.01,11,Keude Bakongan,desa,23773,2.931095,97.484584\n\
               21.71.10.1001,21.71.10,21.71,21,Belian,kelurahan,29464,,\n";
    let v = parse_villages_csv(std::io::Cursor::new(csv.to_owned())).unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].name, "Keude Bakongan");
    assert_eq!(v[0].postal_code.as_deref(), Some("23773"));
    assert_eq!(
        v[0].position.map(|p| (p.lon(), p.lat())),
        Some((97.484584, 2.931095))
    );
    assert_eq!((v[1].kind.as_str(), v[1].position), ("kelurahan", None));

    let bad = "code,district_code,name,type,postal_code,lat,lng\n\
               11.01.01.2001,11.01.02,A,desa,23773,2.9,97.4\n\
               11.01.01.2002,11.01.01,B,kampung,23773,2.9,97.4\n\
               11.01.01.2003,11.01.01,C,desa,2377,2.9,97.4\n\
               11.01.01.2004,11.01.01,D,desa,23773,2.9,\n\
               11.01.01.2001,11.01.01,E,desa,23773,2.9,97.4\n";
    let Err(ImportError::Records(errs)) = parse_villages_csv(std::io::Cursor::new(bad.to_owned()))
    else {
        panic!("expected record errors");
    };
    let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(msgs.len(), 5, "{msgs:#?}");
    assert!(
        msgs[0].contains("line 2 (code 11.01.01.2001): column `district_code`"),
        "{}",
        msgs[0]
    );
    assert!(
        msgs[1].contains("unknown village type `kampung`"),
        "{}",
        msgs[1]
    );
    assert!(
        msgs[2].contains("postal code `2377` is not five digits"),
        "{}",
        msgs[2]
    );
    assert!(msgs[3].contains("column `lng`"), "{}", msgs[3]);
    assert!(
        msgs[4].starts_with("line 6 (code 11.01.01.2001)"),
        "{}",
        msgs[4]
    );
}
