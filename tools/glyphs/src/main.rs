//! `siaga-glyphs`: writes the SDF glyph ranges MapLibre asks for (`{fontstack}/{start}-{end}.pbf`, 256
//! codepoints each) from TrueType fonts, so the map client's labels need no glyph server outside the Siaga
//! origin. Rendering is `pbf_font_tools` (FreeType + `sdf_glyph_renderer`) with the parameters node-fontnik
//! and MapLibre's own glyph sets use: 24 px, a 3 px buffer, radius 8, cutoff 0.25.
//!
//! Only the ranges asked for (`--range`, all of the Basic Multilingual Plane by default) in which the font has at
//! least one glyph are written, and any other file in a stack's directory is removed; MapLibre draws any other
//! codepoint with a local font, and the server answers 404 for a range that is not there (never the app
//! shell). A range is written only when its bytes change, so regenerating leaves git clean.
//!
//! Run through `scripts/glyphs`, which names the Debian `fonts-noto-core` files.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Parser;
use pbf_font_tools::prost::Message;
use pbf_font_tools::{Glyphs, freetype, glyph_range_for_face};

/// Font size the SDFs are rendered at (MapLibre scales them; 24 is what its glyph sets use).
const SIZE_PX: usize = 24;
/// Pixels of distance recorded around the outline.
const RADIUS_PX: usize = 8;
/// Share of the byte range given to the inside of the outline.
const CUTOFF: f64 = 0.25;
/// Codepoints per file, as the `{range}` of a MapLibre glyphs URL.
const RANGE_LEN: u32 = 256;

#[derive(Parser)]
#[command(about = "Writes MapLibre SDF glyph ranges from TrueType fonts")]
struct Args {
    /// Output directory; each font stack gets a subdirectory named after it.
    #[arg(long)]
    out: PathBuf,
    /// A font stack and its font file, as `NAME=PATH` (e.g. `Noto Sans Regular=/usr/share/…/NotoSans-Regular.ttf`).
    #[arg(long = "font", required = true, value_parser = parse_font)]
    fonts: Vec<(String, PathBuf)>,
    /// A range to write, as `START-END` aligned to 256 codepoints (e.g. `0-255`); repeatable. Without any,
    /// every range of the Basic Multilingual Plane the font covers.
    #[arg(long = "range", value_parser = parse_range)]
    ranges: Vec<u32>,
}

/// The start of a `START-END` range of 256 codepoints.
fn parse_range(arg: &str) -> Result<u32, String> {
    let parsed = arg
        .split_once('-')
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)));
    match parsed {
        Some((start, end))
            if start % RANGE_LEN == 0 && end == start + RANGE_LEN - 1 && end <= 0xFFFF =>
        {
            Ok(start)
        }
        _ => Err(format!(
            "expected START-END of 256 codepoints in the BMP (e.g. 0-255, 8192-8447), got {arg:?}"
        )),
    }
}

fn parse_font(arg: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = arg
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=PATH, got {arg:?}"))?;
    if name.trim().is_empty() || name.contains(['/', '\\', ',']) {
        return Err(format!(
            "font stack name {name:?} must be non-empty and contain no '/', '\\' or ','"
        ));
    }
    Ok((name.to_owned(), PathBuf::from(path)))
}

/// What one font stack came to.
struct Written {
    ranges: usize,
    glyphs: usize,
    bytes: u64,
    changed: usize,
}

fn main() -> Result<()> {
    let args = Args::parse();
    for (_, path) in &args.fonts {
        if !path.is_file() {
            bail!(
                "font file {} not found (Debian: apt-get install fonts-noto-core)",
                path.display()
            );
        }
    }
    // One thread per font: FreeType handles are per thread, and the fonts are independent.
    let results: Vec<Result<(String, Written)>> = std::thread::scope(|s| {
        let handles: Vec<_> = args
            .fonts
            .iter()
            .map(|(name, path)| {
                let out = args.out.join(name);
                let starts: Vec<u32> = if args.ranges.is_empty() {
                    (0..=0xFFFF).step_by(RANGE_LEN as usize).collect()
                } else {
                    args.ranges.clone()
                };
                s.spawn(move || write_stack(name, path, &out, &starts).map(|w| (name.clone(), w)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("glyph thread panicked")))
            })
            .collect()
    });
    let mut total = 0;
    for result in results {
        let (name, w) = result?;
        total += w.bytes;
        eprintln!(
            "{name}: {} ranges, {} glyphs, {:.1} kB ({} changed)",
            w.ranges,
            w.glyphs,
            w.bytes as f64 / 1024.0,
            w.changed
        );
    }
    eprintln!(
        "total {:.1} kB in {}",
        total as f64 / 1024.0,
        args.out.display()
    );
    Ok(())
}

fn write_stack(name: &str, font: &Path, out: &Path, starts: &[u32]) -> Result<Written> {
    let lib = freetype::Library::init().context("initialising FreeType")?;
    let face = lib
        .new_face(font, 0)
        .with_context(|| format!("reading font {}", font.display()))?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut written = Written {
        ranges: 0,
        glyphs: 0,
        bytes: 0,
        changed: 0,
    };
    let mut kept = std::collections::HashSet::new();
    for &start in starts {
        let end = start + RANGE_LEN - 1;
        let mut stack = glyph_range_for_face(&face, start, end, SIZE_PX, RADIUS_PX, CUTOFF)
            .with_context(|| format!("rendering {name} {start}-{end}"))?;
        let path = out.join(format!("{start}-{end}.pbf"));
        // Freetype reports a missing glyph as an empty bitmap for some codepoints; only real shapes count.
        stack
            .glyphs
            .retain(|g| g.bitmap.as_ref().is_some_and(|b| !b.is_empty()) || is_space(g.id));
        if stack.glyphs.iter().all(|g| is_space(g.id)) {
            // No drawable glyph here: no file, so MapLibre draws these codepoints locally.
            continue;
        }
        kept.insert(path.clone());
        stack.name = name.to_owned();
        written.glyphs += stack.glyphs.len();
        let bytes = Glyphs {
            stacks: vec![stack],
        }
        .encode_to_vec();
        written.ranges += 1;
        written.bytes += bytes.len() as u64;
        if std::fs::read(&path).ok().as_deref() != Some(bytes.as_slice()) {
            std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
            written.changed += 1;
        }
    }
    // Ranges no longer asked for (or no longer covered) go, so the directory is exactly what was generated.
    for entry in std::fs::read_dir(out).with_context(|| format!("listing {}", out.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "pbf") && !kept.contains(&path) {
            std::fs::remove_file(&path)
                .with_context(|| format!("removing stale {}", path.display()))?;
            written.changed += 1;
        }
    }
    Ok(written)
}

/// Whitespace has an advance but no bitmap; it is kept so labels keep their spaces.
fn is_space(codepoint: u32) -> bool {
    char::from_u32(codepoint).is_some_and(char::is_whitespace)
}
