//! The engine: a DataFusion session with chiso's tables ([`catalog`]), SQL functions
//! ([`functions`]), saved queries ([`saved`]) and the session that runs them ([`session`]).
pub mod catalog;
pub mod date_trunc;
pub mod functions;
pub mod manifest_table;
pub mod saved;
pub mod session;

pub use session::{Engine, EngineOptions, QueryResult};
