//! The data: table schemas ([`schema`]), the curated CSV sources ([`datasets`]) and the
//! build that turns them into Parquet ([`build`]); text columns across Arrow's string types ([`text`]).
pub mod build;
pub mod datasets;
pub mod export;
pub mod ingest;
pub mod input;
pub mod lock;
pub mod manifest;
pub mod reference;
pub mod schema;
pub mod text;
pub mod validate;
