//! chiso: an embedded SQL analytics engine for the indicators of Vietnam's Đề án 06.
//!
//! Reported figures are kept as Parquet tables and queried with Apache DataFusion. The library
//! holds everything; the `chiso` binary is a thin command line over [`cli::main`].
pub mod chart;
pub mod cli;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod data;
pub mod engine;
pub mod error;
pub mod extract;
pub mod generate;
pub mod numbers;
pub mod output;
pub mod progress;
pub mod report;
mod util;

pub use engine::{Engine, EngineOptions, QueryResult};
pub use error::{Error, Result};
