//! `siaga basemap build`: an OpenStreetMap extract plus Siaga's administrative boundaries → one PMTiles v3
//! archive of vector tiles in the Protomaps basemap schema (v4), which `@protomaps/basemaps` styles (light and
//! dark, with labels). See [`schema`] for the layers and attributes.
//!
//! # Pipeline and memory
//!
//! 1. The PBF is read by [`siaga_osm`] (four streaming passes; 16 bytes per node that a kept way needs). Each
//!    kept element becomes zero or more schema features in Web Mercator, which are *spilled* to one temporary
//!    file per tile of the bucket zoom ([`BUCKET_ZOOM`], z8 ≈ 156 km at the equator), clipped at bucket edges.
//!    Only the features shown below the bucket zoom, simplified for those zooms, stay in memory.
//! 2. Regions give boundary lines and label points; land (`--land`, else the union of the coarsest regions)
//!    gives `earth`, and the archive's extent minus land gives the `ocean`.
//! 3. Low zooms are cut from the in-memory set; then each bucket is read back alone and cut from its own tile
//!    down to the maximum zoom, two buckets at a time (rayon), while the calling thread writes the archive.
//!
//! Peak memory is therefore the node coordinates during the read, then about two buckets' features while
//! tiling, plus the PMTiles directory (a few bytes per tile).
//!
//! The archive is written to a temporary file beside the output and renamed into place only when complete; a
//! refused input or any failure leaves neither a partial archive nor the temporary file.

pub mod geom;
pub mod schema;
mod spill;
mod tiler;

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use geo::{BooleanOps, BoundingRect, Coord, MultiPolygon, Polygon, Rect};
use pmtiles::{Compression, PmTilesWriter, TileCoord, TileType};

pub use schema::Region;
use schema::{Feat, Layer, Val};

/// Zoom of the spill buckets.
pub const BUCKET_ZOOM: u8 = 8;
/// Default and largest maximum zoom. MapLibre overzooms the last level to street level.
pub const DEFAULT_MAX_ZOOM: u8 = 15;
pub const LARGEST_MAX_ZOOM: u8 = 16;

/// What to build.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    pub osm: PathBuf,
    /// Administrative regions for boundaries and place labels (may be empty).
    pub regions: Vec<Region>,
    /// Land polygons (lon/lat), merged into one mask without holes. None: the union of the coarsest regions
    /// given; no regions either: all land.
    pub land: Option<MultiPolygon<f64>>,
    pub out: PathBuf,
    pub max_zoom: u8,
    /// Limit the archive to this box (west, south, east, north, degrees). None: the PBF header's box, else the
    /// box of the data and the given land (so the sea around a city's land is drawn too).
    pub bbox: Option<[f64; 4]>,
    /// Set it (e.g. on Ctrl-C) to stop the build: it then fails with [`BasemapError::Cancelled`] and leaves
    /// nothing behind.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// What a build did.
#[derive(Clone, Debug)]
pub struct BuildReport {
    pub osm: siaga_osm::Stats,
    /// Schema features made from OSM and regions (before cutting into tiles).
    pub features: u64,
    /// Tiles written (counting repeated fill tiles), and distinct tile contents among them.
    pub tiles: u64,
    pub archive_bytes: u64,
    pub spilled_bytes: u64,
    /// Seconds reading OSM, and in total.
    pub read_seconds: f64,
    pub total_seconds: f64,
    /// West, south, east, north.
    pub bounds: [f64; 4],
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BasemapError {
    #[error(transparent)]
    Osm(#[from] siaga_osm::OsmError),
    #[error("{path}: {reason}")]
    Regions { path: PathBuf, reason: String },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("encoding a tile: {0}")]
    Encode(String),
    #[error("writing the archive: {0}")]
    Archive(String),
    #[error("{0}")]
    Invalid(String),
    #[error("interrupted: no archive was written")]
    Cancelled,
}

fn io_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BasemapError {
    let what = what.into();
    move |source| BasemapError::Io { what, source }
}

/// Reads regions in Siaga's region import format: a GeoJSON FeatureCollection whose features have a dotted
/// Kemendagri `code` (its segment count is the level) and a `name`, with Polygon or MultiPolygon geometry.
pub fn read_regions(path: &Path) -> Result<Vec<Region>, BasemapError> {
    let bad = |reason: String| BasemapError::Regions {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let fc: geojson::FeatureCollection = text
        .parse::<geojson::GeoJson>()
        .map_err(|e| bad(format!("not GeoJSON: {e}")))?
        .try_into()
        .map_err(|e: geojson::Error| bad(format!("not a FeatureCollection: {e}")))?;
    let mut regions = Vec::with_capacity(fc.features.len());
    for (n, f) in fc.features.iter().enumerate() {
        let prop = |key: &str| f.property(key).and_then(|v| v.as_str()).map(str::to_owned);
        let code = prop("code").ok_or_else(|| bad(format!("feature {n}: no `code`")))?;
        let name = prop("name").ok_or_else(|| bad(format!("feature {n} ({code}): no `name`")))?;
        let geometry = f
            .geometry
            .as_ref()
            .ok_or_else(|| bad(format!("feature {n} ({code}): no geometry")))?;
        let area = region_area(geometry).map_err(|e| bad(format!("feature {n} ({code}): {e}")))?;
        regions.push(Region { code, name, area });
    }
    Ok(regions)
}

/// A region's Polygon or MultiPolygon GeoJSON geometry.
pub fn region_area(geometry: &geojson::Geometry) -> Result<MultiPolygon<f64>, String> {
    let g: geo::Geometry<f64> = geometry
        .clone()
        .try_into()
        .map_err(|e: geojson::Error| e.to_string())?;
    match g {
        geo::Geometry::Polygon(p) => Ok(MultiPolygon(vec![p])),
        geo::Geometry::MultiPolygon(mp) => Ok(mp),
        other => Err(format!(
            "a region must be a Polygon or MultiPolygon, not {:?}",
            geo_kind(&other)
        )),
    }
}

fn geo_kind(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::LineString(_) => "LineString",
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
        _ => "another geometry",
    }
}

/// Land polygons from a GeoJSON file (any Polygon/MultiPolygon features or geometries in it).
pub fn read_land(path: &Path) -> Result<MultiPolygon<f64>, BasemapError> {
    let bad = |reason: String| BasemapError::Regions {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let gj: geojson::GeoJson = text.parse().map_err(|e| bad(format!("not GeoJSON: {e}")))?;
    let geometries: Vec<geojson::Geometry> = match gj {
        geojson::GeoJson::FeatureCollection(fc) => {
            fc.features.into_iter().filter_map(|f| f.geometry).collect()
        }
        geojson::GeoJson::Feature(f) => f.geometry.into_iter().collect(),
        geojson::GeoJson::Geometry(g) => vec![g],
    };
    let mut polygons = Vec::new();
    for g in &geometries {
        polygons.extend(region_area(g).map_err(&bad)?.0);
    }
    if polygons.is_empty() {
        return Err(bad("no land polygons in it".into()));
    }
    Ok(MultiPolygon(polygons))
}

/// Builds the archive. See the crate documentation.
pub fn build(opts: &BuildOptions) -> Result<BuildReport, BasemapError> {
    let started = Instant::now();
    if opts.max_zoom > LARGEST_MAX_ZOOM {
        return Err(BasemapError::Invalid(format!(
            "--max-zoom {} is too deep: at most {LARGEST_MAX_ZOOM} (MapLibre overzooms the last level)",
            opts.max_zoom
        )));
    }
    if let Some([w, s, e, n]) = opts.bbox
        && !(w < e
            && s < n
            && (-180.0..=180.0).contains(&w)
            && (-180.0..=180.0).contains(&e)
            && s >= -85.0
            && n <= 85.0)
    {
        return Err(BasemapError::Invalid(format!(
            "--bbox {w},{s},{e},{n} is not west,south,east,north in degrees"
        )));
    }
    // Refuse a wrong file before creating anything.
    let header = siaga_osm::header_bbox(&opts.osm)?;
    let out_dir = match opts.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let archive = tempfile::Builder::new()
        .prefix(".siaga-basemap-")
        .suffix(".pmtiles.partial")
        .tempfile_in(&out_dir)
        .map_err(io_err(format!(
            "creating a temporary file in {}",
            out_dir.display()
        )))?;
    let spill_dir = tempfile::Builder::new()
        .prefix(".siaga-basemap-spill-")
        .tempdir_in(&out_dir)
        .map_err(io_err(format!(
            "creating a temporary folder in {}",
            out_dir.display()
        )))?;

    let max_zoom = opts.max_zoom;
    let bucket_zoom = BUCKET_ZOOM.min(max_zoom);
    let mut spill = spill::Spill::new(spill_dir.path(), bucket_zoom, max_zoom);
    let extent_ll: Option<[f64; 4]> = opts
        .bbox
        .or(header.map(|h| [h.west, h.south, h.east, h.north]));
    // Everything is cut to the archive's extent when it is known up front (--bbox, else the PBF header's box).
    let clip_to = extent_ll.map(|[w, s, e, n]| geom::project_rect(w, s, e, n));
    let cancelled = || {
        opts.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    };
    let data_rect: std::cell::Cell<Option<Rect<f64>>> = std::cell::Cell::new(None);
    let features = std::cell::Cell::new(0u64);
    let mut failure: Option<BasemapError> = None;
    let route = |f: Feat, spill: &mut spill::Spill| -> Result<(), BasemapError> {
        let f = match &clip_to {
            Some(r) => match geom::clip(&f.geom, r) {
                Some(geom) => Feat { geom, ..f },
                None => return Ok(()),
            },
            None => f,
        };
        if let Some(b) = schema::bbox(&f.geom) {
            data_rect.set(Some(geom::union_rect(data_rect.get(), b)));
        }
        features.set(features.get() + 1);
        spill.route(f)
    };

    // Region labels win over OSM place nodes of the same name.
    let region_names: HashSet<String> =
        opts.regions.iter().map(|r| r.name.to_lowercase()).collect();
    let mut made = Vec::new();
    let osm_stats = siaga_osm::read(&opts.osm, &schema::wanted, |f| {
        if cancelled() {
            failure = Some(BasemapError::Cancelled);
            return ControlFlow::Break(());
        }
        if schema::is_region_name(&region_names, &f) {
            return ControlFlow::Continue(());
        }
        made.clear();
        schema::from_osm(&f, &mut made);
        for feat in made.drain(..) {
            if let Err(e) = route(feat, &mut spill) {
                failure = Some(e);
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    let read_seconds = started.elapsed().as_secs_f64();

    let mut regions: Vec<&Region> = opts.regions.iter().collect();
    regions.sort_by(|a, b| a.code.cmp(&b.code));
    for (n, r) in regions.iter().enumerate() {
        made.clear();
        schema::from_region(r, n as i64, &mut made);
        for feat in made.drain(..) {
            route(feat, &mut spill)?;
        }
    }

    // Land and sea over the archive's extent.
    let data_rect = data_rect.get().map(|r| {
        let a = geom::unproject(r.min());
        let b = geom::unproject(r.max());
        Rect::new(Coord { x: a.x, y: b.y }, Coord { x: b.x, y: a.y })
    });
    // Without a box given, given land widens the extent: its coast and the sea beyond are part of the map.
    let land_rect = opts.land.as_ref().and_then(|l| l.bounding_rect());
    let extent = match (extent_ll, data_rect, land_rect) {
        (Some([w, s, e, n]), _, _) => Rect::new(Coord { x: w, y: s }, Coord { x: e, y: n }),
        (None, Some(a), Some(b)) => geom::union_rect(Some(a), b),
        (None, Some(r), None) | (None, None, Some(r)) => r,
        (None, None, None) => {
            return Err(BasemapError::Invalid(
                "nothing to draw: the extract and regions are empty".into(),
            ));
        }
    };
    let land = match &opts.land {
        Some(land) => Some(solid_land(&land.0)),
        None => land_from_regions(&opts.regions),
    };
    let extent_poly = MultiPolygon(vec![extent.to_polygon()]);
    let (earth, ocean) = match &land {
        Some(land) => (
            extent_poly.intersection(land),
            Some(extent_poly.difference(land)),
        ),
        None => (extent_poly.clone(), None),
    };
    let fill = |layer, kind: &str, area: &MultiPolygon<f64>| Feat {
        layer,
        min_zoom: 0,
        order: 0,
        attrs: vec![
            ("kind".into(), Val::S(kind.into())),
            ("min_zoom".into(), Val::I(0)),
        ],
        geom: geom::Geom::Polygons(geom::project_polygons(area)),
    };
    if !earth.0.is_empty() {
        route(fill(Layer::Earth, "earth", &earth), &mut spill)?;
    }
    if let Some(ocean) = ocean.filter(|o| !o.0.is_empty()) {
        route(fill(Layer::Water, "ocean", &ocean), &mut spill)?;
    }
    let buckets = spill.finish()?;
    let spilled_bytes = spill.spilled_bytes;

    // Tiles.
    let center = extent.center();
    let metadata = metadata(max_zoom, extent);
    let file = archive
        .reopen()
        .map_err(io_err("opening the temporary archive"))?;
    let mut writer = PmTilesWriter::new(TileType::Mvt)
        .precompressed(Compression::Gzip)
        .min_zoom(0)
        .max_zoom(max_zoom)
        .bounds(
            extent.min().x,
            extent.min().y,
            extent.max().x,
            extent.max().y,
        )
        .center(center.x, center.y)
        .center_zoom(max_zoom.min(12))
        .metadata(metadata)
        .create(file)
        .map_err(|e| BasemapError::Archive(e.to_string()))?;
    let mut tiles = 0u64;
    let mut add = |z: u8, x: u32, y: u32, data: &[u8]| -> Result<(), BasemapError> {
        if cancelled() {
            return Err(BasemapError::Cancelled);
        }
        let coord = TileCoord::new(z, x, y).map_err(|e| BasemapError::Archive(e.to_string()))?;
        writer
            .add_tile(coord, data)
            .map_err(|e| BasemapError::Archive(e.to_string()))?;
        tiles += 1;
        Ok(())
    };

    if bucket_zoom > 0 {
        let mut low = std::mem::take(&mut spill.low);
        low.sort_by_key(|f| (f.layer, f.order));
        tiler::descend(0, 0, 0, &low, bucket_zoom - 1, max_zoom, &mut add)?;
    }
    let (tx, rx) = sync_channel::<(u8, u32, u32, Vec<u8>)>(256);
    let spill = &spill;
    let produced = std::thread::scope(|scope| -> Result<(), BasemapError> {
        let producer = scope.spawn(move || {
            use rayon::prelude::*;
            buckets
                .par_iter()
                .try_for_each_with(tx, |tx, &(x, y)| -> Result<(), BasemapError> {
                    let feats = spill.load((x, y))?;
                    let rect = geom::tile_rect(bucket_zoom, x, y, geom::BUFFER);
                    let feats: Vec<Feat> = feats
                        .into_iter()
                        .filter_map(|f| geom::clip(&f.geom, &rect).map(|geom| Feat { geom, ..f }))
                        .collect();
                    let mut send = |z: u8, x: u32, y: u32, data: &[u8]| {
                        tx.send((z, x, y, data.to_vec()))
                            .map_err(|_| BasemapError::Archive("the archive writer stopped".into()))
                    };
                    tiler::descend(bucket_zoom, x, y, &feats, max_zoom, max_zoom, &mut send)?;
                    Ok(())
                })
        });
        let mut written: Result<(), BasemapError> = Ok(());
        for (z, x, y, data) in rx.iter() {
            if let Err(e) = add(z, x, y, &data) {
                written = Err(e);
                break;
            }
        }
        let produced = producer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        written.and(produced)
    });
    produced?;
    writer
        .finalize()
        .map_err(|e| BasemapError::Archive(e.to_string()))?;
    drop(spill_dir);
    let archive_bytes = archive.as_file().metadata().map(|m| m.len()).unwrap_or(0);
    // The temporary file is private (0600); the archive is an ordinary readable file like any other output.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(archive.path(), std::fs::Permissions::from_mode(0o644))
            .map_err(io_err("setting the archive's permissions"))?;
    }
    archive.persist(&opts.out).map_err(|e| BasemapError::Io {
        what: format!("moving the archive to {}", opts.out.display()),
        source: e.error,
    })?;
    Ok(BuildReport {
        osm: osm_stats,
        features: features.get(),
        tiles,
        archive_bytes,
        spilled_bytes,
        read_seconds,
        total_seconds: started.elapsed().as_secs_f64(),
        bounds: [
            extent.min().x,
            extent.min().y,
            extent.max().x,
            extent.max().y,
        ],
    })
}

/// The union of the coarsest regions given, without holes (the gaps between independently simplified
/// neighbours are not sea).
fn land_from_regions(regions: &[Region]) -> Option<MultiPolygon<f64>> {
    let top = regions.iter().map(Region::level).min()?;
    Some(solid_land(
        regions
            .iter()
            .filter(|r| r.level() == top)
            .flat_map(|r| r.area.0.iter()),
    ))
}

/// One land mask from land polygons: their union without holes. Neighbouring administrative polygons were
/// simplified independently and leave thin gaps between them; inside the union those gaps are holes, which
/// would otherwise be drawn as sea running through a city. Real lakes and rivers come from OSM water.
fn solid_land<'a>(polygons: impl IntoIterator<Item = &'a Polygon<f64>>) -> MultiPolygon<f64> {
    let union = geo::unary_union(polygons);
    MultiPolygon(
        union
            .0
            .into_iter()
            .map(|p| Polygon::new(p.exterior().clone(), vec![]))
            .collect(),
    )
}

/// The archive's metadata: TileJSON-style `vector_layers`, attribution, and the schema it follows.
fn metadata(max_zoom: u8, extent: Rect<f64>) -> String {
    let layers: Vec<serde_json::Value> = Layer::ALL
        .iter()
        .map(|l| {
            let fields: serde_json::Map<String, serde_json::Value> = l
                .fields()
                .iter()
                .map(|(k, t)| ((*k).to_owned(), serde_json::Value::from(*t)))
                .collect();
            serde_json::json!({"id": l.name(), "fields": fields, "minzoom": 0, "maxzoom": max_zoom})
        })
        .collect();
    serde_json::json!({
        "name": "Siaga basemap",
        "description": "OpenStreetMap and administrative boundaries in the Protomaps basemap schema (v4), built by `siaga basemap build`",
        "attribution": "© OpenStreetMap contributors",
        "type": "baselayer",
        "format": "pbf",
        "schema": "protomaps-basemap-v4",
        "generator": concat!("siaga-basemap ", env!("CARGO_PKG_VERSION")),
        "minzoom": 0,
        "maxzoom": max_zoom,
        "bounds": [extent.min().x, extent.min().y, extent.max().x, extent.max().y],
        "vector_layers": layers,
    })
    .to_string()
}
