//! The allocator of every program built on the library (the `chiso` binary, its tests and
//! benchmarks): mimalloc, as datafusion-cli uses, faster than the system's for DataFusion's many
//! short-lived buffers (benches/README.md, "Start-up, the allocator and dates"). Its defaults are
//! kept: giving freed memory back at once (purge delay 0) lowered the peak of a distinct count
//! over 291.8 M rows from 2.3–2.8 GB to 2.2 GB, but made scans that free and reuse buffers up to
//! 30 % slower, also under a generous `--memory-limit`.

/// mimalloc for the whole program.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
