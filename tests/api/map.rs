//! The map client's configuration and the offline basemap served with HTTP range requests.

use reqwest::header::{ACCEPT_RANGES, CONTENT_RANGE, RANGE};
use reqwest::{Method, StatusCode};
use siaga_tests::{Engine, Options, TestServer, assert_error, engine_tests};
use std::path::PathBuf;
use std::sync::OnceLock;

engine_tests!(
    basemap_is_served_in_byte_ranges_from_the_siaga_origin,
    without_a_basemap_the_client_is_told_none_and_the_file_is_404,
);

/// Bytes of the fixture archive: a PMTiles v3 magic followed by a counting pattern, so every byte says where
/// it came from.
fn fixture_bytes() -> Vec<u8> {
    let mut bytes = b"PMTiles\x03".to_vec();
    bytes.extend((0..5000u32).map(|i| (i % 251) as u8));
    bytes
}

/// The fixture on disk, written once per test process (both engines' servers read the same file).
fn fixture_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("basemap-fixture-{}.pmtiles", std::process::id()));
        std::fs::write(&path, fixture_bytes()).unwrap();
        path
    })
}

fn with_basemap(config: &mut siaga::Config) {
    config.map.basemap_pmtiles = Some(fixture_path().clone());
}

async fn basemap_is_served_in_byte_ranges_from_the_siaga_origin(engine: Engine) {
    let srv = TestServer::start_with(
        engine,
        Options {
            tweak: Some(with_basemap),
            ..Options::default()
        },
    )
    .await;
    let bytes = fixture_bytes();
    let size = bytes.len();

    // The client learns a same-origin URL, without logging in.
    let (status, config) = srv
        .call(Method::GET, "/api/v1/client-config", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let url = config["basemap_pmtiles_url"].as_str().unwrap().to_owned();
    assert_eq!(url, "/api/v1/basemap.pmtiles");

    let ranged = |range: &str| {
        srv.request(Method::GET, &url, None)
            .header(RANGE, range)
            .send()
    };

    // The PMTiles header read: the first 127 bytes.
    let resp = ranged("bytes=0-126").await.unwrap();
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        resp.headers()[CONTENT_RANGE],
        format!("bytes 0-126/{size}").as_str()
    );
    assert_eq!(resp.bytes().await.unwrap(), &bytes[..127]);

    // A range in the middle.
    let resp = ranged("bytes=1000-1999").await.unwrap();
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.bytes().await.unwrap(), &bytes[1000..2000]);

    // A reader asks for 16 KiB at once; a smaller archive answers what it has, not an error.
    let resp = ranged("bytes=0-16383").await.unwrap();
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        resp.headers()[CONTENT_RANGE],
        format!("bytes 0-{}/{size}", size - 1).as_str()
    );
    assert_eq!(resp.bytes().await.unwrap().len(), size);

    // A range starting past the end is unsatisfiable and says how big the file is.
    for bad in [
        format!("bytes={size}-"),
        format!("bytes={}-{}", size + 10, size + 20),
    ] {
        let resp = ranged(&bad).await.unwrap();
        assert_eq!(resp.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{bad}");
        assert_eq!(
            resp.headers()[CONTENT_RANGE],
            format!("bytes */{size}").as_str(),
            "{bad}"
        );
    }

    // Without a range: the whole file, announcing range support.
    let resp = srv.request(Method::GET, &url, None).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[ACCEPT_RANGES], "bytes");
    assert_eq!(resp.bytes().await.unwrap(), bytes.as_slice());

    // The OpenAPI document describes both endpoints.
    let (_, doc) = srv.call(Method::GET, "/api/openapi.json", None, None).await;
    for path in ["/api/v1/client-config", "/api/v1/basemap.pmtiles"] {
        assert!(doc["paths"].get(path).is_some(), "missing {path}");
    }
}

async fn without_a_basemap_the_client_is_told_none_and_the_file_is_404(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let (status, config) = srv
        .call(Method::GET, "/api/v1/client-config", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(config["basemap_pmtiles_url"].is_null(), "{config}");
    assert_eq!(config["follow_up_lines"], serde_json::json!([]), "{config}");
    assert_eq!(config["tiered_lines"], serde_json::json!([]), "{config}");
    let got = srv
        .call(Method::GET, "/api/v1/basemap.pmtiles", None, None)
        .await;
    assert_error(&got, StatusCode::NOT_FOUND, "not_found");
}
