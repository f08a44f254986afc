//! The engine, above storage: a DataFusion session ([`session`]) made from a context the caller
//! chooses ([`config`] gives the settings and the local context), with the warehouse's tables
//! ([`catalog`]; a table's files skipped by their values in [`files_table`]), every figure at every level and grain
//! (the table [`figures`], by the rules of [`levels`]), chiso's SQL functions ([`functions`], with
//! the day arithmetic of [`date_trunc`]), the pool behind every memory limit ([`memory`]; distinct keys that spill by hash: [`distinct`]), per-query [`limits`] for shared sessions and the saved queries ([`saved`], callable as table functions: [`saved_tables`]; why an answer is empty: [`empty`]); a statement's
//! collected rows are a [`QueryResult`] ([`result`]).
pub mod catalog;
pub mod config;
pub mod date_floor;
pub mod date_trunc;
pub mod distinct;
pub mod empty;
pub mod figures;
pub mod files_table;
pub mod first_row;
pub mod functions;
pub mod levels;
pub mod limits;
pub mod memory;
pub mod ranges;
pub mod result;
pub mod saved;
pub mod saved_tables;
pub mod session;

pub use result::QueryResult;
pub use session::{Backend, Engine, Local, Tables};
