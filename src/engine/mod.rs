//! The engine: a DataFusion session with chiso's tables ([`catalog`]), saved queries ([`saved`])
//! and the session that runs them ([`session`]).
pub mod catalog;
pub mod saved;
pub mod session;

pub use session::{Engine, EngineOptions, QueryResult};
