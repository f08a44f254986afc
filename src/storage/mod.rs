//! Storage, the bottom layer: what is on disk and how it gets there. Table schemas ([`schema`]),
//! the curated CSV sources ([`datasets`]) and the admin-unit reference read from them
//! ([`reference`]); warehouses and the tables they hold ([`warehouse`]), built from the sources
//! ([`build`]); Delta tables ([`delta`]) on local disk or object storage ([`store`]), and the
//! manifests of the format before them ([`manifest`]); the writer lock ([`lock`]);
//! the one owner of bytes on disk, publishing files and directories atomically and writing Parquet
//! ([`files`]); text columns across Arrow's string types ([`text`]). It imports nothing above it.
pub mod build;
pub mod datasets;
pub mod delta;
pub mod files;
pub mod lock;
pub mod manifest;
pub mod reference;
pub mod schema;
pub mod store;
pub mod text;
pub mod warehouse;
