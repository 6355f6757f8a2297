//! Cutting features into tiles: a depth-first descent from a tile to its four children, each child getting the
//! parent's features clipped to its own square, so a feature is clipped against ever smaller pieces of itself.
//! A tile wholly covered by fills (sea, land, a forest) has identical descendants, which are emitted without
//! further work.

use std::io::Write;

use flate2::{Compression, write::GzEncoder};
use geozero::mvt::{Message, TagsBuilder, Tile, TileValue, tile};

use crate::BasemapError;
use crate::geom::{BUFFER, clip, covers, tile_rect, to_tile};
use crate::schema::{Feat, Layer, Val};

/// Receives each finished tile: zoom, x, y and its gzip-compressed MVT bytes.
pub type Emit<'a> = dyn FnMut(u8, u32, u32, &[u8]) -> Result<(), BasemapError> + 'a;

/// Tiles zoom `z` .. `stop` under z/x/y from `feats` (already clipped to z/x/y's buffered square and sorted by
/// layer and order). Returns how many tiles were emitted.
pub fn descend(
    z: u8,
    x: u32,
    y: u32,
    feats: &[Feat],
    stop: u8,
    max_zoom: u8,
    emit: &mut Emit<'_>,
) -> Result<u64, BasemapError> {
    let mut tiles = 0;
    let data = encode(z, x, y, feats, max_zoom)?;
    if let Some(data) = &data {
        emit(z, x, y, data)?;
        tiles += 1;
    }
    if z >= stop {
        return Ok(tiles);
    }
    let rect = tile_rect(z, x, y, BUFFER);
    if let Some(data) = &data
        && feats
            .iter()
            .all(|f| f.min_zoom.min(max_zoom) <= z && covers(&f.geom, &rect))
    {
        // Every descendant is the same full square with the same attributes: the same bytes.
        for dz in 1..=(stop - z) {
            let n = 1u32 << dz;
            for dy in 0..n {
                for dx in 0..n {
                    emit(z + dz, x * n + dx, y * n + dy, data)?;
                    tiles += 1;
                }
            }
        }
        return Ok(tiles);
    }
    for (cx, cy) in [
        (2 * x, 2 * y),
        (2 * x + 1, 2 * y),
        (2 * x, 2 * y + 1),
        (2 * x + 1, 2 * y + 1),
    ] {
        let crect = tile_rect(z + 1, cx, cy, BUFFER);
        let child: Vec<Feat> = feats
            .iter()
            .filter_map(|f| {
                clip(&f.geom, &crect).map(|geom| Feat {
                    layer: f.layer,
                    min_zoom: f.min_zoom,
                    order: f.order,
                    attrs: f.attrs.clone(),
                    geom,
                })
            })
            .collect();
        if !child.is_empty() {
            tiles += descend(z + 1, cx, cy, &child, stop, max_zoom, emit)?;
        }
    }
    Ok(tiles)
}

/// One tile as gzip-compressed MVT; None when nothing in it shows at this zoom.
pub fn encode(
    z: u8,
    x: u32,
    y: u32,
    feats: &[Feat],
    max_zoom: u8,
) -> Result<Option<Vec<u8>>, BasemapError> {
    let mut layers = Vec::new();
    let mut current: Option<(Layer, TagsBuilder, Vec<tile::Feature>)> = None;
    // Finer detail at the last zoom, which MapLibre overzooms to street level.
    let tolerance = if z >= max_zoom { 0.5 } else { 2.0 };
    for f in feats.iter().filter(|f| f.min_zoom.min(max_zoom) <= z) {
        let min_area = match f.layer {
            Layer::Earth | Layer::Water => 1.0,
            Layer::Buildings => 2.0,
            _ => 8.0,
        };
        let keep_tiny = matches!(f.layer, Layer::Earth | Layer::Water);
        let Some(geom) = to_tile(&f.geom, z, x, y, tolerance, min_area, keep_tiny) else {
            continue;
        };
        let mut mf = geom
            .to_mvt()
            .map_err(|e| BasemapError::Encode(e.to_string()))?;
        if current.as_ref().is_none_or(|(l, _, _)| *l != f.layer) {
            if let Some(done) = current.take() {
                layers.push(finish(done));
            }
            current = Some((f.layer, TagsBuilder::new(), Vec::new()));
        }
        let Some((_, tags, features)) = current.as_mut() else {
            continue;
        };
        for (key, val) in &f.attrs {
            let value = match val {
                Val::S(s) => TileValue::Str(s.clone()),
                Val::I(i) => TileValue::Int(*i),
                Val::B(b) => TileValue::Bool(*b),
            };
            let (k, v) = tags.insert_ref(key, value);
            mf.tags.push(k);
            mf.tags.push(v);
        }
        features.push(mf);
    }
    if let Some(done) = current.take() {
        layers.push(finish(done));
    }
    if layers.is_empty() {
        return Ok(None);
    }
    let bytes = Tile { layers }.encode_to_vec();
    let mut gz = GzEncoder::new(Vec::with_capacity(bytes.len() / 2), Compression::default());
    gz.write_all(&bytes)
        .map_err(|e| BasemapError::Encode(e.to_string()))?;
    Ok(Some(
        gz.finish()
            .map_err(|e| BasemapError::Encode(e.to_string()))?,
    ))
}

fn finish((layer, tags, features): (Layer, TagsBuilder, Vec<tile::Feature>)) -> tile::Layer {
    let (keys, values) = tags.into_tags();
    tile::Layer {
        version: 2,
        name: layer.name().to_owned(),
        features,
        keys,
        values: values.into_iter().map(Into::into).collect(),
        extent: Some(crate::geom::EXTENT as u32),
    }
}
