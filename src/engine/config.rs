//! The session configuration every chiso context starts from, local or on a cluster, and the
//! local context built from it. The command line calls these and hands the context to
//! [`Engine::new`](super::Engine::new), as datafusion-cli's `main` does.

use std::sync::Arc;

use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use super::distinct::PartitionedDistinct;
use crate::error::Result;

/// DataFusion's settings as chiso uses them. `DATAFUSION_*` variables are read first (e.g.
/// `DATAFUSION_EXECUTION_TARGET_PARTITIONS=4`, as in datafusion-cli); chiso's own choices below
/// apply only where no variable sets them.
pub fn session_config() -> Result<SessionConfig> {
    let mut config = SessionConfig::from_env()?.with_information_schema(true);
    let unset = |name: &str| std::env::var_os(name).is_none();
    // Twice as many partitions as cores (DataFusion's default is one per core): the sorts and
    // hash tables above a repartition come in pieces half as big, and a core that finishes its
    // piece early takes the next one. At 291.8 M rows on 2 cores the suite's window sort (`02`)
    // went from 7.98 to 7.23 s and the distinct count (`08`) from 14.47 to 13.24 s; the other
    // queries did not change beyond noise (benches/README.md).
    // On a cluster and under a small memory limit, one per core again ([`fit_to_memory`]).
    if unset(PARTITIONS_VARIABLE) {
        config = config.with_target_partitions(2 * cores());
    }
    // A table with a declared sort order (a generated warehouse) is read in that order only if
    // each core's files follow each other in it. DataFusion deals files out by their paths, which
    // say nothing of the order of a Delta table's files (`part-00000-<uuid>`); by their
    // statistics, the order holds and a query sorted that way needs no sort.
    if unset("DATAFUSION_EXECUTION_SPLIT_FILE_GROUPS_BY_STATISTICS") {
        config.options_mut().execution.split_file_groups_by_statistics = true;
    }
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
/// sorts, joins and aggregations is capped and they spill to disk beyond it. Its plans make keys
/// distinct with chiso's [`DistinctExec`](super::distinct::DistinctExec), which spills by hash
/// (a cluster's plans keep DataFusion's aggregation, which its executors know).
pub fn local_context(mut config: SessionConfig, memory_limit: Option<usize>) -> Result<SessionContext> {
    let mut runtime = RuntimeEnvBuilder::new();
    if let Some(limit) = memory_limit {
        fit_to_memory(&mut config, limit);
        runtime = runtime.with_memory_pool(super::memory::memory_pool(limit));
    }
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(runtime.build_arc()?)
        .with_default_features()
        .with_physical_optimizer_rule(Arc::new(PartitionedDistinct))
        .build();
    Ok(SessionContext::new_with_state(state))
}

/// Settings that must follow a memory limit of `limit` bytes (for the whole process, or for each
/// query of a shared session).
pub fn fit_to_memory(config: &mut SessionConfig, limit: usize) {
    // Each sort keeps back this much for merging its spill files; the default (10 MB per
    // partition) alone would exhaust a small limit, so scale it to the limit.
    let reserve = &mut config.options_mut().execution.sort_spill_reservation_bytes;
    *reserve = (*reserve).min(limit / 16);
    let reserve = *reserve;
    // Each partition's sort merges its spilled runs in memory that cannot spill, out of the
    // sixteenth of the limit that the pool (`memory`) keeps for such memory. Where that does not
    // hold every partition's reserve (under 640 MB on 2 cores), one partition per core; above,
    // the partitions stay as without a limit: with one per core, under 2G the suite's distinct
    // count (`08`, 291.8 M rows) took 57 s against 26-33 s with four, its two hash tables each
    // a doubling too big for their half of the limit (benches/README.md).
    let partitions = config.options().execution.target_partitions;
    if partitions.saturating_mul(reserve) > limit / 16 {
        one_partition_per_core(config);
    }
}

/// DataFusion's own default, one partition per core, unless its variable says otherwise: for
/// runs under a memory limit, and for a cluster (Ballista 55 planned a sort-merge join of the
/// saved query `rollup_2025` with inputs of 2 and 4 partitions, and failed, with two per core).
pub fn one_partition_per_core(config: &mut SessionConfig) {
    if std::env::var_os(PARTITIONS_VARIABLE).is_none() {
        config.options_mut().execution.target_partitions = cores();
    }
}

/// The variable that sets DataFusion's `target_partitions`; chiso's defaults give way to it.
const PARTITIONS_VARIABLE: &str = "DATAFUSION_EXECUTION_TARGET_PARTITIONS";

/// The cores this process may use.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::util::pretty::pretty_format_batches;

    use super::*;

    #[tokio::test]
    async fn a_limit_above_the_need_does_not_make_the_working_operator_spill() {
        // A distinct count over 400,000 (group, key) pairs, as the suite's `08`: DataFusion plans
        // two levels of grouping with several operators that can spill, of which the one holding
        // the pairs works while the others wait. Under 8 MiB, FairSpillPool gave it its part of
        // the limit only, and it spilled 70 times (the release build, 2026-11-30).
        let sql = "select g, count(distinct k) as n from \
            (select value % 7 as g, value as k from generate_series(1, 400000) as t(value)) \
            group by g order by g";
        let ctx = local_context(SessionConfig::new().with_target_partitions(2), Some(8 << 20)).unwrap();
        let answer = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let answer = pretty_format_batches(&answer).unwrap().to_string();
        let plan = ctx.sql(&format!("explain analyze {sql}")).await.unwrap().collect().await.unwrap();
        let plan = pretty_format_batches(&plan).unwrap().to_string();
        assert!(!crate::engine::memory::spilled(&plan), "{plan}");
        // 400,000 = 7 x 57,142 + 6: the remainders 1 to 6 have one key more than 0.
        assert!(answer.contains("| 0 | 57142 |") && answer.contains("| 6 | 57143 |"), "{answer}");
    }
}
