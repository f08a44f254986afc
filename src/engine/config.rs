//! The session configuration every chiso context starts from, local or on a cluster, and the
//! local context built from it. The command line calls these and hands the context to
//! [`Engine::new`](super::Engine::new), as datafusion-cli's `main` does.
use std::sync::Arc;

use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::error::Result;

/// DataFusion's settings as chiso uses them. `DATAFUSION_*` variables are read first (e.g.
/// `DATAFUSION_EXECUTION_TARGET_PARTITIONS=4`, as in datafusion-cli); chiso's own choices below
/// apply only where no variable sets them.
pub fn session_config() -> Result<SessionConfig> {
    let mut config = SessionConfig::from_env()?.with_information_schema(true);
    let unset = |name: &str| std::env::var_os(name).is_none();
    let parquet = &mut config.options_mut().execution.parquet;
    // Text is inferred as the files store it (`Utf8`); the catalog then reads code columns as
    // `Utf8View` and other text as `Utf8` (`catalog::codes_as_views`).
    if unset("DATAFUSION_EXECUTION_PARQUET_SCHEMA_FORCE_VIEW_TYPES") {
        parquet.schema_force_view_types = false;
    }
    // Filters are applied while Parquet is decoded (off in DataFusion by default). A join's
    // dynamic filter then reaches the rows of a small table, and through it the big one's row
    // groups: the suite's join by region read 4 of 42 row groups instead of all of them and
    // ran 1.8x faster; the other queries did not change (benches/README.md).
    if unset("DATAFUSION_EXECUTION_PARQUET_PUSHDOWN_FILTERS") {
        parquet.pushdown_filters = true;
    }
    Ok(config)
}

/// A context that runs its plans in this process. With `memory_limit` (bytes), the memory of
/// sorts, joins and aggregations is capped and they spill to disk beyond it.
pub fn local_context(mut config: SessionConfig, memory_limit: Option<usize>) -> Result<SessionContext> {
    let Some(limit) = memory_limit else {
        return Ok(SessionContext::new_with_config(config));
    };
    fit_to_memory(&mut config, limit);
    let runtime =
        RuntimeEnvBuilder::new().with_memory_pool(Arc::new(FairSpillPool::new(limit))).build_arc()?;
    Ok(SessionContext::new_with_config_rt(config, runtime))
}

/// Settings that must follow a memory limit of `limit` bytes (for the whole process, or for each
/// query of a shared session).
pub fn fit_to_memory(config: &mut SessionConfig, limit: usize) {
    // Each sort keeps back this much for merging its spill files; the default (10 MB per
    // partition) alone would exhaust a small limit, so scale it to the limit.
    let reserve = &mut config.options_mut().execution.sort_spill_reservation_bytes;
    *reserve = (*reserve).min(limit / 16);
}
