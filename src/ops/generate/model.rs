//! How generated figures behave: which indicators, how units differ in size, when they start
//! reporting, and the day-by-day path of each indicator (stocks only grow, flows follow the week
//! and the holidays, rates stay in 0–100 with a numerator and denominator that agree).
use chrono::{Datelike, NaiveDate, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How an indicator's daily figures are made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// A count since the programme began, growing along an S-curve toward a share of the population.
    Stock { share: f64, midpoint: f64 },
    /// Activated e-ID accounts: a growing share of the accounts stock.
    Activated,
    /// Dossiers received per day: size, weekday and holiday pattern, slow growth.
    Received,
    /// Dossiers processed per day: most of what was received.
    Processed,
    /// A daily rate: numerator out of the day's processed dossiers, the share drifting upward.
    DailyRate { from: f64, to: f64 },
    /// A stock rate: matched records out of a slowly growing insured population.
    StockRate,
}

/// The generated indicators, in the order `--indicators K` takes them.
pub const INDICATORS: &[(&str, Shape)] = &[
    ("eid_accounts", Shape::Stock { share: 0.75, midpoint: 0.35 }),
    ("online_dossiers_received", Shape::Received),
    ("online_dossiers_on_time_rate", Shape::DailyRate { from: 90.0, to: 99.5 }),
    ("eid_activated", Shape::Activated),
    ("cccd_cards_issued", Shape::Stock { share: 0.92, midpoint: 0.15 }),
    ("online_dossiers_processed", Shape::Processed),
    ("full_process_online_rate", Shape::DailyRate { from: 20.0, to: 80.0 }),
    ("health_insurance_cccd_synced_rate", Shape::StockRate),
];

/// Vietnamese public holidays (Tết and the fixed national days) over the years chiso generates.
fn holiday(day: NaiveDate) -> bool {
    let (m, d) = (day.month(), day.day());
    let fixed = matches!((m, d), (1, 1) | (4, 30) | (5, 1) | (9, 1) | (9, 2));
    let tet = [
        (2022, 1, 31),
        (2023, 1, 21),
        (2024, 2, 8),
        (2025, 1, 28),
        (2026, 2, 16),
        (2027, 2, 5),
        (2028, 1, 25),
    ]
    .iter()
    .filter_map(|(y, m, d)| NaiveDate::from_ymd_opt(*y, *m, *d))
    .any(|first| (0..7).contains(&(day - first).num_days()));
    fixed || tet
}

/// The working-day factor of a day for flows.
pub fn day_factor(day: NaiveDate) -> f64 {
    if holiday(day) {
        return 0.05;
    }
    match day.weekday() {
        Weekday::Sat => 0.3,
        Weekday::Sun => 0.1,
        _ => 1.0,
    }
}

/// One reporting unit's private random stream, seeded from the run's seed and the unit's code,
/// so each unit's series is the same whatever else is generated.
pub fn unit_rng(seed: u64, code: &str, indicator: usize) -> ChaCha8Rng {
    let mut h: u64 = seed ^ 0x9e37_79b9_7f4a_7c15 ^ ((indicator as u64) << 56);
    for b in code.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    ChaCha8Rng::seed_from_u64(h)
}

/// A unit's population (its size), from its own stream: a province-wide level times local noise.
pub fn population(seed: u64, province: &str, code: &str) -> f64 {
    let mut p = unit_rng(seed, province, 99);
    let province_level: f64 = 0.4 + 1.6 * p.random::<f64>();
    let mut u = unit_rng(seed, code, 98);
    let local: f64 = 0.3 + 1.4 * u.random::<f64>();
    8_000.0 * province_level * local
}

/// Noise with mean 1 and a spread of about `spread`.
fn noise(rng: &mut ChaCha8Rng, spread: f64) -> f64 {
    let t: f64 = rng.random::<f64>() + rng.random::<f64>() - 1.0; // triangular in -1..1
    (1.0 + spread * t).max(0.0)
}

/// One day's figure: value, and numerator and denominator for rates.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figure {
    /// The figure.
    pub value: f64,
    /// Numerator of a rate.
    pub numerator: Option<f64>,
    /// Denominator of a rate.
    pub denominator: Option<f64>,
}

/// The state one unit carries from day to day for one indicator.
#[derive(Debug)]
pub struct Series {
    shape: Shape,
    rng: ChaCha8Rng,
    population: f64,
    last: f64,
    ceiling: f64,
}

impl Series {
    /// A new series for a unit of `population` people.
    pub fn new(shape: Shape, rng: ChaCha8Rng, population: f64) -> Self {
        Self { shape, rng, population, last: 0.0, ceiling: 0.0 }
    }

    /// The figure on day `t` of `days` (0-based), whose working-day factor is `factor` ([`day_factor`]).
    pub fn next(&mut self, t: usize, days: usize, factor: f64) -> Figure {
        let progress = t as f64 / days.max(1) as f64;
        let pop = self.population;
        let plain = |value: f64| Figure { value, numerator: None, denominator: None };
        match self.shape {
            Shape::Stock { share, midpoint } => {
                let curve = 1.0 / (1.0 + (-(progress - midpoint) * 9.0).exp());
                let target = (pop * share * curve * noise(&mut self.rng, 0.01)).round();
                self.last = self.last.max(target); // a stock never falls
                plain(self.last)
            }
            Shape::Activated => {
                let accounts = pop * 0.75 / (1.0 + (-(progress - 0.35) * 9.0).exp());
                let target = (accounts * (0.3 + 0.5 * progress) * noise(&mut self.rng, 0.01)).round();
                self.last = self.last.max(target);
                plain(self.last)
            }
            Shape::Received | Shape::Processed => {
                let growth = 0.5 + progress;
                let base = pop * 0.002 * growth * factor * noise(&mut self.rng, 0.3);
                let share = if self.shape == Shape::Processed { 0.97 } else { 1.0 };
                plain((base * share).round())
            }
            Shape::DailyRate { from, to } => {
                let processed =
                    (pop * 0.002 * (0.5 + progress) * factor * noise(&mut self.rng, 0.3)).round().max(1.0);
                let share = ((from + (to - from) * progress) / 100.0 * noise(&mut self.rng, 0.03)).min(1.0);
                let numerator = (processed * share).round();
                Figure {
                    value: 100.0 * numerator / processed,
                    numerator: Some(numerator),
                    denominator: Some(processed),
                }
            }
            Shape::StockRate => {
                self.ceiling = self.ceiling.max((pop * (0.85 + 0.1 * progress)).round());
                let matched = (self.ceiling * (0.5 + 0.49 * progress) * noise(&mut self.rng, 0.005))
                    .round()
                    .min(self.ceiling);
                self.last = self.last.max(matched).min(self.ceiling);
                Figure {
                    value: 100.0 * self.last / self.ceiling,
                    numerator: Some(self.last),
                    denominator: Some(self.ceiling),
                }
            }
        }
    }

    /// True for indicators counted since the programme began (no period start).
    pub fn is_stock(shape: Shape) -> bool {
        matches!(shape, Shape::Stock { .. } | Shape::Activated | Shape::StockRate)
    }
}

/// The first day (0-based) a unit reports: most from the start, one in ten later in the first year.
pub fn first_day(seed: u64, code: &str, days: usize) -> usize {
    let mut rng = unit_rng(seed, code, 97);
    if rng.random::<f64>() < 0.1 {
        rng.random_range(0..days.clamp(1, 365))
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(shape: Shape) -> Vec<Figure> {
        let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
        let mut s = Series::new(shape, unit_rng(7, "00001", 0), 10_000.0);
        (0..730).map(|t| s.next(t, 730, day_factor(start + chrono::Days::new(t as u64)))).collect()
    }

    #[test]
    fn stocks_only_grow_and_rates_stay_consistent() {
        for (_, shape) in INDICATORS {
            let series = run(*shape);
            if Series::is_stock(*shape) && !matches!(shape, Shape::StockRate) {
                assert!(series.windows(2).all(|w| w[1].value >= w[0].value), "{shape:?} fell");
            }
            for f in &series {
                assert!(f.value >= 0.0);
                if let (Some(n), Some(d)) = (f.numerator, f.denominator) {
                    assert!(n <= d && d > 0.0, "{shape:?}: {n} of {d}");
                    assert!((f.value - 100.0 * n / d).abs() < 1e-9 && f.value <= 100.0);
                }
            }
        }
    }

    #[test]
    fn flows_follow_the_week_and_tet() {
        assert_eq!(day_factor(NaiveDate::from_ymd_opt(2024, 2, 9).unwrap()), 0.05); // Tết 2024
        assert_eq!(day_factor(NaiveDate::from_ymd_opt(2024, 3, 10).unwrap()), 0.1); // a Sunday
        assert_eq!(day_factor(NaiveDate::from_ymd_opt(2024, 3, 11).unwrap()), 1.0); // a Monday
        let same = run(Shape::Received);
        assert_eq!(same, run(Shape::Received), "the same seed gives the same series");
    }
}
