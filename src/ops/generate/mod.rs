//! `generate`: a realistic synthetic history — one row per unit, indicator and day over the real
//! admin hierarchy — written as a warehouse laid out for fast queries: one Parquet file per
//! indicator, sorted by (indicator, province, district, commune, day), row groups sized for
//! pruning, page statistics and page index, zstd, committed as one Delta table version with the
//! sort order declared in its properties.
//! The series themselves (growth shapes, calendar effects, seeded randomness) are in [`model`].
pub mod model;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{
    ArrayRef, Date32Builder, Float64Builder, RecordBatch, StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::{Date32Type, SchemaRef};
use datafusion::parquet::file::metadata::SortingColumn;

use self::model::{day_factor, first_day, population, unit_rng, Series, INDICATORS};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::storage::build::{read_table, write_table};
use crate::storage::datasets::Datasets;
use crate::storage::delta::{self, TableWriter, Written};
use crate::storage::files::{check_free, Codec, IfExists, ParquetSettings};
use crate::storage::schema::{builtin, schema, TABLES};
use crate::storage::store::is_remote;
use crate::storage::text::strings;
use crate::storage::warehouse::NewWarehouse;

/// The level of the generated units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Level {
    /// The 10,035 legacy communes.
    Commune,
    /// The 696 legacy districts.
    District,
    /// The 63 legacy provinces.
    Province,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// The warehouse directory to write.
    pub out: PathBuf,
    /// Calendar years of daily figures.
    pub years: u32,
    /// First day.
    pub start: NaiveDate,
    /// Unit level.
    pub level: Level,
    /// How many indicators (1 to 8).
    pub indicators: usize,
    /// Random seed: the same seed gives the same data.
    pub seed: u64,
    /// Rows per Parquet row group.
    pub row_group_size: usize,
    /// Replace an existing warehouse.
    pub overwrite: bool,
}

/// What was generated.
#[derive(Debug, Clone, Copy)]
pub struct GenerateReport {
    /// Rows written.
    pub rows: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// The columns the observations are sorted by, in order (declared to readers of the table).
pub const SORT_ORDER: [&str; 5] =
    ["indicator", "province_code", "district_code", "commune_code", "period_end"];

struct Unit {
    province: String,
    district: Option<String>,
    commune: Option<String>,
    population: f64,
}

impl Unit {
    fn code(&self) -> &str {
        self.commune.as_deref().or(self.district.as_deref()).unwrap_or(&self.province)
    }
}

fn units(level: Level, seed: u64) -> Result<Vec<Unit>> {
    let def = builtin("communes")?;
    let mut communes: Vec<(String, String, String)> = Vec::new();
    for b in read_table(&Datasets::Embedded, def)? {
        let col = |n: &str| strings(&b, n);
        let (Some(code), Some(district), Some(province)) =
            (col("code"), col("district_code"), col("province_code"))
        else {
            continue;
        };
        for i in 0..b.num_rows() {
            communes.push((
                province.value(i).to_string(),
                district.value(i).to_string(),
                code.value(i).to_string(),
            ));
        }
    }
    communes.sort();
    let mut out: Vec<Unit> = Vec::new();
    for (p, d, c) in communes {
        let pop = population(seed, &p, &c);
        let (district, commune) = match level {
            Level::Commune => (Some(d), Some(c)),
            Level::District => (Some(d), None),
            Level::Province => (None, None),
        };
        match out.last_mut() {
            Some(last) if level != Level::Commune && last.province == p && last.district == district => {
                last.population += pop;
            }
            _ => out.push(Unit { province: p, district, commune, population: pop }),
        }
    }
    Ok(out)
}

/// zstd level 1 (fast to write, still small), row groups sized for pruning, the sort recorded.
fn parquet_settings(row_group_size: usize) -> ParquetSettings {
    let sorted_by = SORT_ORDER
        .iter()
        .filter_map(|c| schema("observations").index_of(c).ok())
        .map(|i| SortingColumn { column_idx: i as i32, descending: false, nulls_first: true })
        .collect();
    ParquetSettings { codec: Codec::Zstd(1), row_group_rows: Some(row_group_size), sorted_by }
}

/// Column builders for one batch of generated rows.
struct Batch {
    province: StringBuilder,
    district: StringBuilder,
    commune: StringBuilder,
    start: Date32Builder,
    end: Date32Builder,
    value: Float64Builder,
    numerator: Float64Builder,
    denominator: Float64Builder,
    rows: usize,
}

impl Batch {
    fn new() -> Self {
        Self {
            province: StringBuilder::new(),
            district: StringBuilder::new(),
            commune: StringBuilder::new(),
            start: Date32Builder::new(),
            end: Date32Builder::new(),
            value: Float64Builder::new(),
            numerator: Float64Builder::new(),
            denominator: Float64Builder::new(),
            rows: 0,
        }
    }

    fn finish(
        &mut self,
        schema: &SchemaRef,
        indicator: &str,
        level: &str,
        source: &str,
    ) -> Result<RecordBatch> {
        let n = self.rows;
        let constant =
            |v: &str| -> ArrayRef { Arc::new(StringArray::from_iter_values(std::iter::repeat_n(v, n))) };
        let nulls = || -> ArrayRef { Arc::new(StringArray::new_null(n)) };
        let columns: Vec<ArrayRef> = vec![
            nulls(),
            constant(indicator),
            constant(level),
            Arc::new(self.province.finish()),
            Arc::new(self.district.finish()),
            Arc::new(self.commune.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.end.finish()),
            Arc::new(self.value.finish()),
            Arc::new(self.numerator.finish()),
            Arc::new(self.denominator.finish()),
            Arc::new(datafusion::arrow::array::Float64Array::new_null(n)),
            constant("exact"),
            constant(source),
            nulls(),
            // Each generated figure is dated by the day it is made for.
            constant("stated"),
        ];
        self.rows = 0;
        Ok(RecordBatch::try_new(schema.clone(), columns)?)
    }
}

/// Write one indicator's file: every unit's daily series, in sort order. Runs on a plain thread;
/// the table writer's input and output run on `io`.
#[allow(clippy::too_many_arguments)]
fn write_indicator(
    io: &tokio::runtime::Handle,
    dir: &Path,
    k: usize,
    units: &[Unit],
    opts: &GenerateOptions,
    days: usize,
    level: &str,
    source: &str,
    written: &AtomicU64,
) -> Result<Written> {
    let (code, shape) = INDICATORS[k];
    let schema = schema("observations");
    let mut writer = TableWriter::new(dir, &schema, &parquet_settings(opts.row_group_size), None)?;
    let epoch = Date32Type::from_naive_date(opts.start);
    let stock = Series::is_stock(shape);
    // The calendar is the same for every unit: work out each day's factor once.
    let factors: Vec<f64> = (0..days).map(|t| day_factor(opts.start + chrono::Days::new(t as u64))).collect();
    let mut batch = Batch::new();
    for unit in units {
        let mut series = Series::new(shape, unit_rng(opts.seed, unit.code(), k), unit.population);
        let first = first_day(opts.seed, unit.code(), days);
        for (t, factor) in factors.iter().enumerate().skip(first) {
            let f = series.next(t, days, *factor);
            batch.province.append_value(&unit.province);
            batch.district.append_option(unit.district.as_deref());
            batch.commune.append_option(unit.commune.as_deref());
            batch.start.append_option((!stock).then_some(epoch + t as i32));
            batch.end.append_value(epoch + t as i32);
            batch.value.append_value(f.value);
            batch.numerator.append_option(f.numerator);
            batch.denominator.append_option(f.denominator);
            batch.rows += 1;
            if batch.rows == 65_536 {
                io.block_on(writer.write(&batch.finish(&schema, code, level, source)?))?;
                written.fetch_add(65_536, Ordering::Relaxed);
            }
        }
    }
    let rest = batch.rows as u64;
    if rest > 0 {
        io.block_on(writer.write(&batch.finish(&schema, code, level, source)?))?;
        written.fetch_add(rest, Ordering::Relaxed);
    }
    io.block_on(writer.finish())
}

/// The sources table: the curated reports and a row naming this generator run.
fn sources_batches(source: &str, opts: &GenerateOptions) -> Result<Vec<RecordBatch>> {
    let def = builtin("sources")?;
    let mut batches = read_table(&Datasets::Embedded, def)?;
    let title = format!(
        "chiso generate --years {} --start {} --level {:?} --indicators {} --seed {}",
        opts.years, opts.start, opts.level, opts.indicators, opts.seed
    )
    .to_lowercase();
    let text = |v: Option<&str>| -> ArrayRef { Arc::new(StringArray::from(vec![v])) };
    let row = RecordBatch::try_new(
        schema("sources"),
        vec![
            text(Some(source)),
            text(Some(&title)),
            text(Some("chiso generate (synthetic data)")),
            Arc::new(datafusion::arrow::array::Date32Array::from(vec![None::<i32>])),
            text(None),
            text(None),
            text(None),
            Arc::new(datafusion::arrow::array::BooleanArray::from(vec![None::<bool>])),
            text(None),
        ],
    )?;
    batches.push(row);
    Ok(batches)
}

/// Generate the warehouse `opts.out`; the directory appears complete or not at all.
pub async fn generate(opts: &GenerateOptions) -> Result<GenerateReport> {
    if !(1..=INDICATORS.len()).contains(&opts.indicators) {
        return Err(Error::rule("indicators", format!("must be 1 to {}", INDICATORS.len())));
    }
    if opts.years == 0 || opts.years > 30 {
        return Err(Error::rule("years", "must be 1 to 30"));
    }
    check_free(&opts.out, opts.overwrite)?;
    let started = Instant::now();
    let end =
        NaiveDate::from_ymd_opt(opts.start.year() + opts.years as i32, opts.start.month(), opts.start.day())
            .ok_or_else(|| {
                Error::setting("start", opts.start, format!("plus {} years is not a date", opts.years))
            })?;
    let days = (end - opts.start).num_days() as usize;
    let units = units(opts.level, opts.seed)?;
    let source = format!("generated-s{}", opts.seed);
    let level = match opts.level {
        Level::Commune => "commune",
        Level::District => "district",
        Level::Province => "province",
    };
    let total: u64 = units.iter().map(|u| (days - first_day(opts.seed, u.code(), days)) as u64).sum::<u64>()
        * opts.indicators as u64;

    let new = NewWarehouse::create(&opts.out).await?;
    let tmp = new.path();
    let obs = tmp.join("observations");
    if !is_remote(&obs) {
        std::fs::create_dir_all(&obs).map_err(|e| Error::io(&obs, "create", e))?;
    }
    let result = async {
        for def in TABLES.iter().filter(|d| d.name != "observations") {
            let batches = if def.name == "sources" {
                sources_batches(&source, opts)?
            } else {
                read_table(&Datasets::Embedded, def)?
            };
            write_table(def, batches, &tmp.join(def.name)).await?;
        }
        let written = AtomicU64::new(0);
        let next = AtomicU64::new(0);
        let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).min(opts.indicators);
        let mut files: Vec<(usize, Written)> = Vec::new();
        let io = tokio::runtime::Handle::current();
        // The generator threads block; tell the runtime, so its other workers carry the writes.
        tokio::task::block_in_place(|| {
            std::thread::scope(|scope| -> Result<()> {
                let handles: Vec<_> = (0..workers)
                    .map(|_| {
                        scope.spawn(|| -> Result<Vec<(usize, Written)>> {
                            let mut mine = Vec::new();
                            loop {
                                let k = next.fetch_add(1, Ordering::Relaxed) as usize;
                                if k >= opts.indicators {
                                    return Ok(mine);
                                }
                                mine.push((
                                    k,
                                    write_indicator(
                                        &io, &obs, k, &units, opts, days, level, &source, &written,
                                    )?,
                                ));
                            }
                        })
                    })
                    .collect();
                let mut progress = Progress::new();
                while handles.iter().any(|h| !h.is_finished()) {
                    let done = written.load(Ordering::Relaxed);
                    let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-3);
                    progress.update(format!("{done} of {total} rows ({:.1} M rows/s)", rate / 1e6));
                    std::thread::sleep(Duration::from_millis(100));
                }
                progress.finish();
                for h in handles {
                    files.extend(h.join().map_err(|p| Error::panicked("a generator thread", p.as_ref()))??);
                }
                Ok(())
            })
        })?;
        // In indicator order, as the files are named in the log.
        files.sort_by_key(|(k, _)| *k);
        let all = files.into_iter().map(|(_, w)| w).reduce(Written::join).unwrap_or_default();
        let order: Vec<String> = SORT_ORDER.iter().map(|s| s.to_string()).collect();
        delta::create(&obs, &schema("observations"), &order, all).await?;
        Ok::<u64, Error>(written.load(Ordering::Relaxed))
    }
    .await;
    let rows = result?;
    new.publish(IfExists::Replace)?;
    Ok(GenerateReport { rows, elapsed: started.elapsed() })
}
