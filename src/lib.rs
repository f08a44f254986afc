//! chiso: an embedded SQL analytics engine for the indicators of Vietnam's Đề án 06.
//!
//! Reported figures are kept as Parquet tables and queried with Apache DataFusion. The library is
//! built in layers, each importing only the ones below it (ARCHITECTURE.md; `tests/layers.rs`
//! checks it):
//!
//! - foundation: [`error`], [`numbers`] (Vietnamese number text), [`progress`] (progress line),
//!   [`alloc`] (the program's allocator);
//! - [`storage`]: schemas, datasets, warehouses, manifests, the writer lock, bytes on disk;
//! - [`engine`]: the DataFusion session, its tables, SQL functions and saved queries;
//!   [`cluster`] (feature `cluster`) sits beside it and gives the engine a Ballista context;
//!   `serve` (feature `serve`) beside it too serves a session over PostgreSQL and Flight SQL;
//! - [`ops`]: ingest, validate, export, extract, generate, chart, report;
//! - [`cli`]: the command line, which chooses the context and calls the rest. The `chiso` binary
//!   is a thin wrapper over [`cli::main`].
pub mod alloc;
pub mod cli;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod engine;
pub mod error;
pub mod numbers;
pub mod ops;
pub mod progress;
#[cfg(feature = "serve")]
pub mod serve;
pub mod storage;

pub use engine::{Engine, QueryResult};
pub use error::{Error, Result};
