//! A two-level lon/lat grid cache in front of the exact point-in-polygon test.
//!
//! Coarse cells (default 0.25°) either hold one answer for every point in them, or point to a block of fine
//! cells (default 32 × 32, ≈ 0.87 km). A fine cell holds an answer, or — where a polygon boundary passes — a
//! **candidate list**: the lowest area containing the whole cell (or none), and the polygons whose boundary
//! touches the cell, sorted by area. A lookup in such a cell tests only those polygons, lowest area first,
//! and stops at the first hit or once the remaining ones cannot beat the cell's own answer.
//!
//! Invariant (why a cached answer is exact): every boundary segment of every polygon, cut into pieces no
//! longer than one fine cell along either axis, marks every fine cell its piece's bounding box (widened by
//! [`PIECE_EPS_DEG`] for the rounding of the cut points) maps to, with the polygon's id. Cell indexes are
//! computed at build and lookup time by the same monotone float function, so the points that map to one cell
//! form a box, neighbouring cells' boxes tile the plane, and every boundary point of a polygon maps to a cell
//! that polygon marked. Membership in a closed polygon changes only across its boundary, so it is constant
//! over the box of a cell the polygon did not mark, and over any 4-connected group of unmarked cells: one
//! exact test decides a group, and one test at a marked cell's centre decides every polygon not in its list.

/// How far a piece's bounding box is widened, degrees: far above the rounding of the interpolated cut points
/// (≈ 1e-14°), far below a fine cell.
const PIECE_EPS_DEG: f64 = 1e-9;

/// The cell value: "run the exact test".
pub(crate) const MISS: u32 = u32::MAX;
/// The cell value: "no area contains any point here".
pub(crate) const NONE: u32 = u32::MAX - 1;
/// Coarse values at or above this point to a fine block (`value - BLOCK_BASE`).
const BLOCK_BASE: u32 = 1 << 31;
/// Fine values in `LIST_BASE..NONE` point to a candidate list (`value - LIST_BASE` indexes `lists`).
pub(crate) const LIST_BASE: u32 = 1 << 31;

/// The grid. Values below [`BLOCK_BASE`] (other than [`NONE`]/[`MISS`]) are area indexes.
#[derive(Debug, Clone)]
pub(crate) struct Grid {
    x0: f64,
    y0: f64,
    inv_fine: f64,
    fine_per_coarse: usize,
    /// Width and height in fine cells.
    nfx: usize,
    nfy: usize,
    ncx: usize,
    coarse: Vec<u32>,
    fine: Vec<u32>,
    /// Candidate lists, each `[default area or NONE, n, polygon × n]` with polygons sorted by area.
    lists: Vec<u32>,
}

impl Grid {
    /// Builds the grid over the box `(min, max)` from the polygons' boundary segments `(a, b, polygon)`, an exact
    /// resolver, an exact resolver that ignores a sorted list of polygons, and each polygon's area.
    pub(crate) fn build(
        (min, max): ([f64; 2], [f64; 2]),
        coarse_deg: f64,
        fine_per_coarse: usize,
        segments: impl Iterator<Item = ([f64; 2], [f64; 2], u32)>,
        resolve: impl Fn(f64, f64) -> Option<u32>,
        resolve_without: impl Fn(f64, f64, &[u32]) -> Option<u32>,
        area_of: impl Fn(u32) -> u32,
    ) -> Grid {
        let f = fine_per_coarse.clamp(1, 256);
        let coarse_deg = if coarse_deg.is_finite() && coarse_deg > 0.0 {
            coarse_deg
        } else {
            0.25
        };
        let inv_fine = f as f64 / coarse_deg;
        // Two spare cells so the margin never leaves the grid, rounded up to whole coarse cells.
        let span = |lo: f64, hi: f64| (((hi - lo).max(0.0) * inv_fine) as usize + 2).div_ceil(f);
        let (ncx, ncy) = (span(min[0], max[0]).max(1), span(min[1], max[1]).max(1));
        let (nfx, nfy) = (ncx * f, ncy * f);
        let mut grid = Grid {
            x0: min[0],
            y0: min[1],
            inv_fine,
            fine_per_coarse: f,
            nfx,
            nfy,
            ncx,
            coarse: vec![MISS; ncx * ncy],
            fine: Vec::new(),
            lists: Vec::new(),
        };

        // Mark fine cells touched by segment boxes (with margin), allocating blocks on first touch.
        let mut blocks: Vec<u32> = vec![u32::MAX; ncx * ncy];
        let mut fine: Vec<u32> = Vec::new();
        // A long segment is cut into pieces no longer than a fine cell along either axis, each marking its own
        // box: the union covers the segment, and a diagonal across a continent marks a band of cells rather than
        // its whole bounding box (which for a world-sized triangle would be ~10⁹ cells).
        let pieces = segments.flat_map(|(a, b, poly)| {
            let steps = ((b[0] - a[0]).abs().max((b[1] - a[1]).abs()) * inv_fine).ceil();
            let n = if steps.is_finite() && steps >= 1.0 {
                steps as usize
            } else {
                1
            };
            let at = move |i: usize| {
                if i == 0 {
                    a
                } else if i == n {
                    b
                } else {
                    // Clamped to the segment's box: rounding must not step outside the grid's extent.
                    let t = i as f64 / n as f64;
                    let lerp =
                        |k: usize| (a[k] + (b[k] - a[k]) * t).clamp(a[k].min(b[k]), a[k].max(b[k]));
                    [lerp(0), lerp(1)]
                }
            };
            (0..n).map(move |i| (at(i), at(i + 1), poly))
        });
        // (fine cell, polygon) for every mark, to build the candidate lists.
        let mut marks: Vec<(u32, u32)> = Vec::new();
        let clamp_x = |x: f64| grid.fine_x_clamped(x);
        let clamp_y = |y: f64| grid.fine_y_clamped(y);
        for (a, b, poly) in pieces {
            let ix0 = clamp_x(a[0].min(b[0]) - PIECE_EPS_DEG);
            let iy0 = clamp_y(a[1].min(b[1]) - PIECE_EPS_DEG);
            let ix1 = clamp_x(a[0].max(b[0]) + PIECE_EPS_DEG);
            let iy1 = clamp_y(a[1].max(b[1]) + PIECE_EPS_DEG);
            for iy in iy0..=iy1 {
                for ix in ix0..=ix1 {
                    let c = (iy / f) * ncx + ix / f;
                    let Some(block) = blocks.get_mut(c) else {
                        continue;
                    };
                    if *block == u32::MAX {
                        *block = u32::try_from(fine.len() / (f * f)).unwrap_or(u32::MAX - 1);
                        fine.resize(fine.len() + f * f, NONE);
                    }
                    let at = *block as usize * f * f + (iy % f) * f + ix % f;
                    if let Some(cell) = fine.get_mut(at) {
                        *cell = MISS;
                        marks.push((u32::try_from(at).unwrap_or(u32::MAX), poly));
                    }
                }
            }
        }

        // Decide untouched coarse cells directly, and groups of unmarked fine cells by one test per group.
        let mut stack = Vec::new();
        for c in 0..ncx * ncy {
            let (cx, cy) = (c % ncx, c / ncx);
            let block = blocks.get(c).copied().unwrap_or(u32::MAX);
            if block == u32::MAX {
                let value = grid.decide(cx * f, cy * f, f, &resolve);
                if let Some(v) = grid.coarse.get_mut(c) {
                    *v = value;
                }
                continue;
            }
            if let Some(v) = grid.coarse.get_mut(c) {
                *v = BLOCK_BASE + block;
            }
            let base = block as usize * f * f;
            // Cells still NONE are unvisited; MISS cells are boundaries. A visited group gets its answer.
            let mut visited = vec![false; f * f];
            for start in 0..f * f {
                if visited[start] || fine.get(base + start) == Some(&MISS) {
                    continue;
                }
                let (sx, sy) = (start % f, start / f);
                let value = grid.decide(cx * f + sx, cy * f + sy, 1, &resolve);
                visited[start] = true;
                stack.push(start);
                while let Some(i) = stack.pop() {
                    if let Some(cell) = fine.get_mut(base + i) {
                        *cell = value;
                    }
                    let (x, y) = (i % f, i / f);
                    let neighbours = [
                        (x > 0).then(|| i - 1),
                        (x + 1 < f).then(|| i + 1),
                        (y > 0).then(|| i - f),
                        (y + 1 < f).then(|| i + f),
                    ];
                    for n in neighbours.into_iter().flatten() {
                        if !visited[n] && fine.get(base + n) != Some(&MISS) {
                            visited[n] = true;
                            stack.push(n);
                        }
                    }
                }
            }
        }
        // Candidate lists for the marked cells: the block → coarse cell map gives each cell's coordinates.
        let mut block_coarse = vec![0usize; fine.len() / (f * f)];
        for (c, b) in blocks.iter().enumerate() {
            if let Some(slot) = block_coarse.get_mut(*b as usize) {
                *slot = c;
            }
        }
        marks.sort_unstable();
        marks.dedup();
        let mut lists: Vec<u32> = Vec::new();
        let mut polys: Vec<u32> = Vec::new();
        for group in marks.chunk_by(|a, b| a.0 == b.0) {
            let Some(&(cell, _)) = group.first() else {
                continue;
            };
            let cell = cell as usize;
            let Some(&c) = block_coarse.get(cell / (f * f)) else {
                continue;
            };
            let local = cell % (f * f);
            let ix = (c % ncx) * f + local % f;
            let iy = (c / ncx) * f + local / f;
            let x = grid.x0 + (ix as f64 + 0.5) / grid.inv_fine;
            let y = grid.y0 + (iy as f64 + 0.5) / grid.inv_fine;
            let offset = u32::try_from(lists.len()).unwrap_or(u32::MAX);
            // A centre that does not map back (rounding at extreme coordinates), or a list table beyond the
            // value range, leaves the cell to the full exact test.
            if grid.fine_x(x) != Some(ix)
                || grid.fine_y(y) != Some(iy)
                || offset >= NONE - LIST_BASE
            {
                continue;
            }
            polys.clear();
            polys.extend(group.iter().map(|m| m.1));
            // `polys` is sorted by polygon id here, as `resolve_without` needs.
            let default = resolve_without(x, y, &polys).unwrap_or(NONE);
            polys.sort_by_key(|p| (area_of(*p), *p));
            lists.push(default);
            lists.push(u32::try_from(polys.len()).unwrap_or(u32::MAX));
            lists.extend_from_slice(&polys);
            if let Some(v) = fine.get_mut(cell) {
                *v = LIST_BASE + offset;
            }
        }
        lists.shrink_to_fit();
        grid.fine = fine;
        grid.lists = lists;
        grid
    }

    /// The exact answer at the centre of the `size`×`size` fine-cell square at (`ix`, `iy`), as a cell value.
    /// If the centre does not map back into the square (rounding at extreme coordinates), the square is MISS.
    fn decide(
        &self,
        ix: usize,
        iy: usize,
        size: usize,
        resolve: &impl Fn(f64, f64) -> Option<u32>,
    ) -> u32 {
        let x = self.x0 + (ix as f64 + size as f64 / 2.0) / self.inv_fine;
        let y = self.y0 + (iy as f64 + size as f64 / 2.0) / self.inv_fine;
        let maps_back = self.fine_x(x).is_some_and(|i| i >= ix && i < ix + size)
            && self.fine_y(y).is_some_and(|i| i >= iy && i < iy + size);
        if !maps_back {
            return MISS;
        }
        resolve(x, y).unwrap_or(NONE)
    }

    /// The fine column of longitude `x`, or `None` outside the grid. Monotone in `x`.
    #[inline]
    fn fine_x(&self, x: f64) -> Option<usize> {
        let g = (x - self.x0) * self.inv_fine;
        (g >= 0.0 && g < self.nfx as f64).then_some(g as usize)
    }

    /// The fine column of longitude `x`, clamped to the grid. Monotone in `x`.
    fn fine_x_clamped(&self, x: f64) -> usize {
        let g = (x - self.x0) * self.inv_fine;
        if g > 0.0 {
            (g as usize).min(self.nfx - 1)
        } else {
            0
        }
    }

    /// The fine row of latitude `y`, clamped to the grid. Monotone in `y`.
    fn fine_y_clamped(&self, y: f64) -> usize {
        let g = (y - self.y0) * self.inv_fine;
        if g > 0.0 {
            (g as usize).min(self.nfy - 1)
        } else {
            0
        }
    }

    /// The candidate list a fine value in `LIST_BASE..NONE` points to: `(default area or NONE, polygons)`.
    #[inline]
    pub(crate) fn list(&self, v: u32) -> (u32, &[u32]) {
        let at = (v - LIST_BASE) as usize;
        let (Some(&default), Some(&n)) = (self.lists.get(at), self.lists.get(at + 1)) else {
            return (NONE, &[]);
        };
        let polys = self.lists.get(at + 2..at + 2 + n as usize).unwrap_or(&[]);
        (default, polys)
    }

    /// The fine row of latitude `y`, or `None` outside the grid. Monotone in `y`.
    #[inline]
    fn fine_y(&self, y: f64) -> Option<usize> {
        let g = (y - self.y0) * self.inv_fine;
        (g >= 0.0 && g < self.nfy as f64).then_some(g as usize)
    }

    /// The cell value for a point: an area index, [`NONE`], or [`MISS`]. Outside the grid is [`NONE`]: the
    /// grid covers every boundary segment, so no area reaches there.
    #[inline]
    pub(crate) fn lookup(&self, x: f64, y: f64) -> u32 {
        let (Some(ix), Some(iy)) = (self.fine_x(x), self.fine_y(y)) else {
            return NONE;
        };
        let f = self.fine_per_coarse;
        let Some(&v) = self.coarse.get((iy / f) * self.ncx + ix / f) else {
            return MISS;
        };
        if v < BLOCK_BASE || v == MISS || v == NONE {
            return v;
        }
        let block = (v - BLOCK_BASE) as usize;
        self.fine
            .get(block * f * f + (iy % f) * f + ix % f)
            .copied()
            .unwrap_or(MISS)
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        (self.coarse.capacity() + self.fine.capacity() + self.lists.capacity()) * 4
    }

    /// `(coarse cells, fine blocks, fine cells that need an exact test)`.
    pub(crate) fn stats(&self) -> (usize, usize, usize) {
        let f2 = self.fine_per_coarse * self.fine_per_coarse;
        (
            self.coarse.len(),
            self.fine.len() / f2.max(1),
            self.fine
                .iter()
                .filter(|v| **v == MISS || (LIST_BASE..NONE).contains(*v))
                .count(),
        )
    }
}
