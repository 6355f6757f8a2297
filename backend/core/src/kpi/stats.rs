//! Order statistics with exact, stated definitions.
//!
//! **Percentiles are nearest-rank** (the definition in NIST's Engineering Statistics Handbook and the one a
//! person can check by hand): for `n` values sorted ascending `v[1] ≤ … ≤ v[n]`, the p-th percentile is
//! `v[⌈p·n/100⌉]` (rank at least 1). It is always one of the observed values; nothing is interpolated. The
//! median is the 50th percentile under this rule, so for an even count it is the *lower* middle value
//! (`[10, 20, 30, 40]` → 20). Means are rounded half away from zero to whole milliseconds.

use serde::Serialize;

/// The `p`-th percentile (1..=100) of values already sorted ascending, by nearest rank; `None` when empty.
///
/// ```
/// use siaga_core::kpi::stats::nearest_rank;
/// let v = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
/// assert_eq!(nearest_rank(&v, 50), Some(50));
/// assert_eq!(nearest_rank(&v, 90), Some(90));
/// assert_eq!(nearest_rank(&[10, 20, 30, 40], 50), Some(20));
/// ```
pub fn nearest_rank(sorted: &[i64], p: u8) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let p = usize::from(p.clamp(1, 100));
    let rank = (p * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// `numerator / denominator`, or `None` when the denominator is zero.
pub fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// Mean of a sum over `count` values, rounded half away from zero; `None` when `count` is zero.
pub fn mean(sum: i128, count: u64) -> Option<i64> {
    if count == 0 {
        return None;
    }
    let c = i128::from(count);
    let q = if sum >= 0 {
        (2 * sum + c) / (2 * c)
    } else {
        -((-2 * sum + c) / (2 * c))
    };
    i64::try_from(q).ok()
}

/// Count, mean, median and 90th percentile of a set of durations in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Summary {
    /// How many durations were measured.
    pub count: u64,
    /// Arithmetic mean.
    pub mean_ms: Option<i64>,
    /// 50th percentile by nearest rank (the lower middle value for an even count).
    pub median_ms: Option<i64>,
    /// 90th percentile by nearest rank.
    pub p90_ms: Option<i64>,
    /// Largest value.
    pub max_ms: Option<i64>,
}

impl Summary {
    /// Summarises `values` (sorted in place).
    pub fn of(values: &mut [i64]) -> Summary {
        values.sort_unstable();
        let sum: i128 = values.iter().map(|&v| i128::from(v)).sum();
        let count = values.len() as u64;
        Summary {
            count,
            mean_ms: mean(sum, count),
            median_ms: nearest_rank(values, 50),
            p90_ms: nearest_rank(values, 90),
            max_ms: values.last().copied(),
        }
    }
}
