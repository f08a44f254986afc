//! Operations, the layer above the engine: the work each command does, independent of the command
//! line. Rendering results ([`output`]); reading input files ([`input`]) and adding them to a
//! warehouse ([`ingest`]) after the checks of [`validate`]; streaming results to files
//! ([`export`]); finding figures in report texts ([`extract`]) kept in the directories of
//! [`reports`]; synthetic history for benchmarks
//! ([`generate`]); charts ([`chart`]) and the HTML report ([`report`]).
pub mod chart;
pub mod export;
pub mod extract;
pub mod generate;
pub mod ingest;
pub mod input;
pub mod output;
pub mod report;
pub mod reports;
pub mod validate;
