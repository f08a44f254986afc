//! `cargo bench`: every saved query and the standard suite (benches/queries) on a small generated
//! warehouse, in process, for catching regressions. Side-by-side numbers against DuckDB at full
//! scale come from benches/compare.sh (see benches/README.md).
use std::path::PathBuf;

use chiso::engine::saved::load_all;
use chiso::ops::generate::{generate, GenerateOptions, Level};
use chiso::Engine;
use criterion::{criterion_group, criterion_main, Criterion};

fn warehouse(rt: &tokio::runtime::Runtime) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-wh-district-1y");
    if !dir.join("observations/_manifest.json").is_file() {
        let opts = GenerateOptions {
            out: dir.clone(),
            years: 1,
            start: chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap(),
            level: Level::District,
            indicators: 8,
            seed: 6,
            row_group_size: 262_144,
            overwrite: true,
        };
        rt.block_on(generate(&opts)).expect("generate the bench warehouse");
    }
    dir
}

fn params(name: &str) -> Vec<(String, String)> {
    let p = |k: &str, v: &str| (k.to_string(), v.to_string());
    match name {
        "province_scorecard" => vec![p("province", "40")],
        "timeseries" => vec![p("province", "40")],
        "growth" => vec![p("from", "2023-03-31"), p("to", "2023-09-30")],
        _ => vec![],
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let wh = warehouse(&rt);
    let engine = rt.block_on(Engine::local(Some(wh))).unwrap();
    let mut group = c.benchmark_group("saved");
    group.sample_size(10);
    for q in load_all(None).unwrap() {
        let given = params(&q.name);
        group.bench_function(&q.name, |b| b.iter(|| rt.block_on(engine.run_saved(&q, &given)).unwrap()));
    }
    group.finish();
    let mut group = c.benchmark_group("suite");
    group.sample_size(10);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/queries");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files {
        let sql = std::fs::read_to_string(&f).unwrap();
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        group.bench_function(&name, |b| b.iter(|| rt.block_on(engine.sql(&sql)).unwrap()));
    }
    group.finish();
    // Extraction of the largest seed report (15 KB), after the reference data is loaded.
    let seed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds/004_cee3a482afddff29.txt");
    if let Ok(text) = std::fs::read_to_string(seed) {
        let hints =
            chiso::ops::extract::ReportHints { source_id: "tb-2023h1".into(), province: None, date: None };
        let _ = chiso::ops::extract::extract(&text, &hints);
        c.bench_function("extract/15KB report", |b| b.iter(|| chiso::ops::extract::extract(&text, &hints)));
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
