//! Summaries of repeated measurements: median with min and max, and percentiles.

use serde::Serialize;

/// One measured quantity over several runs.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub runs: usize,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// Only for latency distributions (many samples within a run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99: Option<f64>,
}

fn sorted(samples: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// The value below which `q` (0..=1) of the samples fall (nearest rank).
pub fn percentile(samples: &[f64], q: f64) -> f64 {
    let v = sorted(samples);
    if v.is_empty() {
        return f64::NAN;
    }
    let rank = (q * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

impl Summary {
    /// Median, min and max of per-run values.
    pub fn of(samples: &[f64]) -> Self {
        let v = sorted(samples);
        let (min, max) = match (v.first(), v.last()) {
            (Some(a), Some(b)) => (*a, *b),
            _ => (f64::NAN, f64::NAN),
        };
        Self {
            runs: v.len(),
            median: median(&v),
            min,
            max,
            p99: None,
        }
    }

    /// A latency distribution: median (p50), p99, min and max of every sample.
    pub fn latency(samples: &[f64]) -> Self {
        let mut s = Self::of(samples);
        s.p99 = Some(percentile(samples, 0.99));
        s
    }
}

fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles() {
        let s = Summary::of(&[5.0, 1.0, 3.0]);
        assert_eq!((s.median, s.min, s.max, s.runs), (3.0, 1.0, 5.0, 3));
        assert_eq!(Summary::of(&[1.0, 2.0, 3.0, 10.0]).median, 2.5);
        let many: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&many, 0.99), 99.0);
        assert_eq!(percentile(&many, 0.5), 50.0);
        assert!(Summary::of(&[]).median.is_nan());
    }
}
