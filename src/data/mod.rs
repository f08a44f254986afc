//! The data: table schemas ([`schema`]), the curated CSV sources ([`datasets`]) and the
//! build that turns them into Parquet ([`build`]).
pub mod build;
pub mod datasets;
pub mod manifest;
pub mod schema;
pub mod validate;
