//! Bounded memory: features are spilled to one temporary file per "bucket" tile at [`bucket zoom`](Spill::new)
//! (clipped to it when they cross bucket edges), and each bucket is later tiled alone. Only the features shown
//! below the bucket zoom (coastline, sea, main roads, big areas, boundaries, big places), simplified for those
//! zooms, stay in memory for the low-zoom tiles.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use geo::{Coord, Rect};

use crate::BasemapError;
use crate::geom::{BUFFER, EXTENT, clip, simplify, tile_range, tile_rect};
use crate::schema::{Feat, bbox};

/// Files kept open at once; more buckets are closed and reopened for appending.
const MAX_OPEN: usize = 512;

pub struct Spill {
    dir: PathBuf,
    bucket_zoom: u8,
    max_zoom: u8,
    pub low: Vec<Feat>,
    open: HashMap<(u32, u32), BufWriter<File>>,
    known: std::collections::BTreeSet<(u32, u32)>,
    pub spilled_bytes: u64,
}

impl Spill {
    pub fn new(dir: &Path, bucket_zoom: u8, max_zoom: u8) -> Self {
        Spill {
            dir: dir.to_owned(),
            bucket_zoom,
            max_zoom,
            low: Vec::new(),
            open: HashMap::new(),
            known: Default::default(),
            spilled_bytes: 0,
        }
    }

    fn path(&self, (x, y): (u32, u32)) -> PathBuf {
        self.dir.join(format!("{}-{x}-{y}.bin", self.bucket_zoom))
    }

    /// Files a feature: into the low-zoom set when it shows below the bucket zoom, and into every bucket it
    /// touches.
    pub fn route(&mut self, f: Feat) -> Result<(), BasemapError> {
        let Some(b) = bbox(&f.geom) else {
            return Ok(());
        };
        let bz = self.bucket_zoom;
        if bz > 0 && f.min_zoom.min(self.max_zoom) < bz {
            self.low.push(Feat {
                geom: simplify(&f.geom, bz - 1, 1.0),
                ..f.clone()
            });
        }
        let pad = BUFFER / (EXTENT * f64::from(1u32 << bz));
        let grown = Rect::new(
            Coord {
                x: b.min().x - pad,
                y: b.min().y - pad,
            },
            Coord {
                x: b.max().x + pad,
                y: b.max().y + pad,
            },
        );
        let (x0, y0, x1, y1) = tile_range(bz, grown);
        if x0 == x1 && y0 == y1 {
            return self.write((x0, y0), &f);
        }
        for y in y0..=y1 {
            for x in x0..=x1 {
                if let Some(geom) = clip(&f.geom, &tile_rect(bz, x, y, BUFFER)) {
                    let piece = Feat {
                        geom,
                        layer: f.layer,
                        min_zoom: f.min_zoom,
                        order: f.order,
                        attrs: f.attrs.clone(),
                    };
                    self.write((x, y), &piece)?;
                }
            }
        }
        Ok(())
    }

    fn write(&mut self, key: (u32, u32), f: &Feat) -> Result<(), BasemapError> {
        let bytes = postcard::to_stdvec(f).map_err(|e| BasemapError::Encode(e.to_string()))?;
        if !self.open.contains_key(&key) {
            if self.open.len() >= MAX_OPEN {
                self.close_all()?;
            }
            let path = self.path(key);
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| spill_err(&path, e))?;
            self.open
                .insert(key, BufWriter::with_capacity(64 * 1024, file));
            self.known.insert(key);
        }
        let path = self.path(key);
        let Some(w) = self.open.get_mut(&key) else {
            return Ok(());
        };
        let len = u32::try_from(bytes.len())
            .map_err(|_| BasemapError::Encode("a feature over 4 GB".into()))?;
        w.write_all(&len.to_le_bytes())
            .and_then(|()| w.write_all(&bytes))
            .map_err(|e| spill_err(&path, e))?;
        self.spilled_bytes += 4 + bytes.len() as u64;
        Ok(())
    }

    fn close_all(&mut self) -> Result<(), BasemapError> {
        for (key, mut w) in self.open.drain() {
            let path = self
                .dir
                .join(format!("{}-{}-{}.bin", self.bucket_zoom, key.0, key.1));
            w.flush().map_err(|e| spill_err(&path, e))?;
        }
        Ok(())
    }

    /// Closes every bucket file; returns the buckets in row order.
    pub fn finish(&mut self) -> Result<Vec<(u32, u32)>, BasemapError> {
        self.close_all()?;
        Ok(self.known.iter().map(|&(x, y)| (x, y)).collect())
    }

    /// Reads one bucket's features back, sorted by layer and order, and deletes its file.
    pub fn load(&self, key: (u32, u32)) -> Result<Vec<Feat>, BasemapError> {
        let path = self.path(key);
        let file = File::open(&path).map_err(|e| spill_err(&path, e))?;
        let mut r = BufReader::with_capacity(256 * 1024, file);
        let mut feats = Vec::new();
        let mut len = [0u8; 4];
        let mut buf = Vec::new();
        loop {
            match r.read_exact(&mut len) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(spill_err(&path, e)),
            }
            buf.resize(u32::from_le_bytes(len) as usize, 0);
            r.read_exact(&mut buf).map_err(|e| spill_err(&path, e))?;
            feats.push(
                postcard::from_bytes::<Feat>(&buf)
                    .map_err(|e| BasemapError::Encode(e.to_string()))?,
            );
        }
        drop(r);
        let _ = std::fs::remove_file(&path);
        feats.sort_by_key(|f| (f.layer, f.order));
        Ok(feats)
    }
}

fn spill_err(path: &Path, source: std::io::Error) -> BasemapError {
    BasemapError::Io {
        what: format!("spill file {}", path.display()),
        source,
    }
}
