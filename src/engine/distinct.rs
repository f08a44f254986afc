//! Distinct keys under a memory limit: a grouping with no aggregate function (`SELECT DISTINCT`,
//! and the inner grouping DataFusion plans for `count(DISTINCT x) ... GROUP BY y`) that spills by
//! hash partition rather than by sorted run.
//!
//! Refused memory, DataFusion 55's hash aggregation sorts every group it holds, writes them as a
//! run, starts again empty and at the end merges the runs. The suite's distinct count (`08`,
//! 36.5 M distinct (day, commune) pairs) under `--memory-limit 2G` spilled 21 runs and spent a
//! third of its CPU in those sorts' comparisons. [`DistinctExec`] instead, once refused, writes
//! the keys it holds and every later row to one of [`PIECES`] spill files by a hash of the key, so
//! that equal keys meet in the same file; each file is then read back and made distinct on its
//! own, in a sixteenth of the memory. A file that still does not fit is split again with another
//! hash. Nothing is sorted, and a row is written at most once per level. Until refused, it is
//! DataFusion's own hash table ([`new_group_values`]) and works as the aggregation would; with no
//! memory limit it runs the aggregation it replaced, unchanged.
//!
//! Upstream: apache/datafusion#7858 measured the sort-based spill's costs; DataFusion 55 has no
//! hash-partitioned spilling of aggregations, so chiso carries this one operator.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use datafusion::arrow::compute::take_record_batch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::hash_utils::{create_hashes, RandomState};
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode, TreeNodeRecursion};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryLimit, MemoryReservation};
use datafusion::execution::{SendableRecordBatchStream, SpillFile, TaskContext};
use datafusion::logical_expr::EmitTo;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::group_values::{new_group_values, GroupValues};
use datafusion::physical_plan::aggregates::order::GroupOrdering;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::execution_plan::{ChildrenPropertiesMode, ReplaceChildrenOptions};
use datafusion::physical_plan::metrics::{
    BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet, SpillMetrics,
};
use datafusion::physical_plan::stream::RecordBatchReceiverStream;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, InputDistributionRequirements, InputOrderMode,
    PlanProperties, SpillManager,
};
use futures::{Stream, StreamExt};
use tokio::sync::mpsc::Sender;

/// The spill files the keys are dealt into each time memory runs out.
pub const PIECES: usize = 16;

/// Splits below the first; a piece still too large after them is an error.
const MAX_LEVEL: u64 = 4;

/// Plans every grouping without aggregate functions that reads unordered input (a hash
/// aggregation's final or single step) as a [`DistinctExec`].
#[derive(Debug, Default)]
pub struct PartitionedDistinct;

impl PhysicalOptimizerRule for PartitionedDistinct {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let distinct = node.downcast_ref::<AggregateExec>().and_then(DistinctExec::replacing);
            Ok(match distinct {
                Some(exec) => Transformed::yes(Arc::new(exec) as Arc<dyn ExecutionPlan>),
                None => Transformed::no(node),
            })
        })
        .data()
    }

    fn name(&self) -> &str {
        "chiso_partitioned_distinct"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The distinct values of its keys, one row each, from each input partition on its own: the
/// output and its properties are those of the aggregation it replaces, which runs instead where
/// the memory pool has no limit.
#[derive(Debug)]
pub struct DistinctExec {
    /// The aggregation replaced.
    aggregate: Arc<dyn ExecutionPlan>,
    input: Arc<dyn ExecutionPlan>,
    /// The keys, evaluated on the input, with their output names.
    keys: Vec<(Arc<dyn PhysicalExpr>, String)>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    distribution: InputDistributionRequirements,
    metrics: ExecutionPlanMetricsSet,
}

impl DistinctExec {
    /// The operator for `agg` when it is a plain grouping with no aggregate function, no limit
    /// and no grouping sets, in a step that holds all its groups (final or single) over unordered
    /// input; `None` otherwise.
    pub fn replacing(agg: &AggregateExec) -> Option<Self> {
        Self::replacing_in(agg, Arc::new(agg.clone()))
    }

    fn replacing_in(agg: &AggregateExec, aggregate: Arc<dyn ExecutionPlan>) -> Option<Self> {
        let holds_all = matches!(
            agg.mode(),
            AggregateMode::Final
                | AggregateMode::FinalPartitioned
                | AggregateMode::Single
                | AggregateMode::SinglePartitioned
        );
        let group_by = agg.group_expr();
        let plain = agg.aggr_expr().is_empty() && group_by.is_single() && !group_by.is_empty();
        let unordered = *agg.input_order_mode() == InputOrderMode::Linear && agg.limit_options().is_none();
        if !(holds_all && plain && unordered) {
            return None;
        }
        Some(Self {
            aggregate,
            input: agg.input().clone(),
            keys: group_by.expr().to_vec(),
            schema: agg.schema(),
            properties: agg.properties().clone(),
            distribution: agg.input_distribution_requirements(),
            metrics: ExecutionPlanMetricsSet::new(),
        })
    }
}

impl DisplayAs for DistinctExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let keys: Vec<String> = self.keys.iter().map(|(e, name)| format!("{e} as {name}")).collect();
        write!(f, "DistinctExec: keys=[{}], spill_pieces={PIECES}", keys.join(", "))
    }
}

impl ExecutionPlan for DistinctExec {
    fn name(&self) -> &str {
        "DistinctExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn input_distribution_requirements(&self) -> InputDistributionRequirements {
        self.distribution.clone()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        for (expr, _) in &self.keys {
            if f(expr)? == TreeNodeRecursion::Stop {
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let aggregate = self.aggregate.clone().replace_children(children, options)?;
        let replaced = aggregate
            .downcast_ref::<AggregateExec>()
            .and_then(|agg| Self::replacing_in(agg, aggregate.clone()));
        Ok(match replaced {
            Some(exec) => Arc::new(exec),
            None => aggregate,
        })
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if matches!(context.memory_pool().memory_limit(), MemoryLimit::Infinite) {
            return self.aggregate.execute(partition, context);
        }
        let input = self.input.execute(partition, context.clone())?;
        let keys: Vec<_> = self.keys.iter().map(|(e, _)| e.clone()).collect();
        let schema = self.schema.clone();
        let key_batches = input.map(move |batch| {
            let batch = batch?;
            let columns = keys
                .iter()
                .map(|k| k.evaluate(&batch).and_then(|v| v.into_array(batch.num_rows())))
                .collect::<Result<Vec<ArrayRef>>>()?;
            Ok(RecordBatch::try_new(schema.clone(), columns)?)
        });
        let reservation = MemoryConsumer::new(format!("DistinctExec[{partition}]"))
            .with_can_spill(true)
            .register(context.memory_pool());
        let state = Distinct {
            schema: self.schema.clone(),
            batch_size: context.session_config().batch_size(),
            reservation,
            spills: SpillManager::new(
                context.runtime_env(),
                SpillMetrics::new(&self.metrics, partition),
                self.schema.clone(),
            )
            .with_compression_type(context.session_config().spill_compression()),
            baseline: BaselineMetrics::new(&self.metrics, partition),
        };
        let mut builder = RecordBatchReceiverStream::builder(self.schema.clone(), 2);
        let tx = builder.tx();
        builder.spawn(async move { state.run(key_batches, tx).await });
        Ok(builder.build())
    }

    fn metrics(&self) -> Option<MetricsSet> {
        let mut metrics = self.metrics.clone_inner();
        for metric in self.aggregate.metrics().iter().flat_map(|m| m.iter()) {
            metrics.push(metric.clone());
        }
        Some(metrics)
    }
}

/// One partition's work.
struct Distinct {
    schema: SchemaRef,
    batch_size: usize,
    reservation: MemoryReservation,
    spills: SpillManager,
    baseline: BaselineMetrics,
}

/// What reading a stream of keys left: their distinct values in memory, or the spill files they
/// were dealt into.
enum Absorbed {
    Held(Box<dyn GroupValues>),
    Split(Vec<Arc<dyn SpillFile>>),
}

impl Distinct {
    /// Make `input`'s keys distinct and send them on `tx`: in memory while it lasts, then piece
    /// by piece from spill files (depth first, so that only a few files wait at once).
    async fn run(
        self,
        input: impl Stream<Item = Result<RecordBatch>> + Unpin,
        tx: Sender<Result<RecordBatch>>,
    ) -> Result<()> {
        let mut waiting = match self.absorb(input, 0).await? {
            Absorbed::Held(groups) => return self.send(groups, &tx).await,
            Absorbed::Split(files) => files.into_iter().map(|f| (f, 1)).collect::<Vec<_>>(),
        };
        while let Some((file, level)) = waiting.pop() {
            let piece = self.spills.read_spill_as_stream(file, None)?;
            match self.absorb(piece, level).await? {
                Absorbed::Held(groups) => self.send(groups, &tx).await?,
                Absorbed::Split(files) => waiting.extend(files.into_iter().map(|f| (f, level + 1))),
            }
        }
        Ok(())
    }

    /// Read `input` into a hash table of its distinct keys; if memory is refused, deal the keys
    /// held and all later rows into [`PIECES`] files by a hash seeded with `level`.
    async fn absorb(
        &self,
        mut input: impl Stream<Item = Result<RecordBatch>> + Unpin,
        level: u64,
    ) -> Result<Absorbed> {
        let mut groups = new_group_values(self.schema.clone(), &GroupOrdering::None)?;
        let mut ids = Vec::new();
        // A seed of its own at each level: the repartition above deals rows by the same columns
        // with seed 0, and the pieces of a piece must differ from the piece.
        let hash = RandomState::with_seed(0x0c41_5000 + level);
        let open = || {
            (0..PIECES)
                .map(|_| self.spills.create_in_progress_file("DistinctExec"))
                .collect::<Result<Vec<_>>>()
        };
        let mut files = none_like(&open);
        while let Some(batch) = input.next().await {
            let batch = batch?;
            let _timer = self.baseline.elapsed_compute().timer();
            if let Some(files) = files.as_mut() {
                deal(&batch, &hash, |piece, rows| files[piece].append_batch(&rows).map(drop))?;
                continue;
            }
            groups.intern(batch.columns(), &mut ids)?;
            // Twice what the table holds: its buckets and vectors grow by doubling, and while one
            // grows the old and the new are both allocated. Reserving only what it holds, `08`
            // under 2G at 291.8 M rows peaked at 2.8-3.0 GB; reserving twice, at 2.0 GB, in
            // 15-19 s against 12-14 (benches/README.md).
            let Err(refused) = self.reservation.try_resize(groups.size() * 2) else { continue };
            if level > MAX_LEVEL {
                return Err(
                    refused.context("the distinct keys of one hash piece do not fit the memory limit")
                );
            }
            let mut opened = open()?;
            let held = RecordBatch::try_new(self.schema.clone(), groups.emit(EmitTo::All)?)?;
            groups.clear_shrink(0);
            self.reservation.resize(groups.size());
            deal(&held, &hash, |piece, rows| opened[piece].append_batch(&rows).map(drop))?;
            files = Some(opened);
        }
        let Some(files) = files else { return Ok(Absorbed::Held(groups)) };
        let mut finished = Vec::with_capacity(PIECES);
        for mut file in files {
            finished.extend(file.finish()?);
        }
        Ok(Absorbed::Split(finished))
    }

    /// Send the keys in `groups`, `batch_size` rows at a time, and give their memory back.
    async fn send(&self, mut groups: Box<dyn GroupValues>, tx: &Sender<Result<RecordBatch>>) -> Result<()> {
        let all = RecordBatch::try_new(self.schema.clone(), groups.emit(EmitTo::All)?)?;
        groups.clear_shrink(0);
        let mut start = 0;
        while start < all.num_rows() {
            let batch = all.slice(start, self.batch_size.min(all.num_rows() - start));
            start += batch.num_rows();
            self.baseline.record_output(batch.num_rows());
            if tx.send(Ok(batch)).await.is_err() {
                break; // the consumer is gone
            }
        }
        self.reservation.resize(groups.size());
        Ok(())
    }
}

/// Hand each of [`PIECES`] pieces of `batch` (its rows by `hash` of all columns) to `append`.
fn deal(
    batch: &RecordBatch,
    hash: &RandomState,
    mut append: impl FnMut(usize, RecordBatch) -> Result<()>,
) -> Result<()> {
    let mut hashes = vec![0; batch.num_rows()];
    create_hashes(batch.columns(), hash, &mut hashes)?;
    let mut rows: Vec<Vec<u32>> = vec![Vec::new(); PIECES];
    for (row, h) in hashes.iter().enumerate() {
        rows[(h % PIECES as u64) as usize].push(row as u32);
    }
    for (piece, rows) in rows.into_iter().enumerate().filter(|(_, r)| !r.is_empty()) {
        append(piece, take_record_batch(batch, &UInt32Array::from(rows))?)?;
    }
    Ok(())
}

/// `None`, of the type `open` returns: DataFusion does not export the name of its spill files'
/// writer type.
fn none_like<T>(_open: &impl Fn() -> Result<T>) -> Option<T> {
    None
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::prelude::SessionConfig;

    use crate::engine::config::local_context;

    /// `sql`'s answer and its `EXPLAIN ANALYZE`, under `limit` bytes with `partitions` partitions.
    /// `usize::MAX` for no limit.
    async fn run(sql: &str, partitions: usize, limit: usize) -> datafusion::error::Result<(String, String)> {
        let config = SessionConfig::new().with_target_partitions(partitions);
        let ctx = local_context(config, Some(limit).filter(|&l| l < usize::MAX)).expect("a context");
        let answer = ctx.sql(sql).await?.collect().await?;
        let plan = ctx.sql(&format!("explain analyze {sql}")).await?.collect().await?;
        Ok((pretty_format_batches(&answer)?.to_string(), pretty_format_batches(&plan)?.to_string()))
    }

    /// The metric `name` of `DistinctExec` in an `EXPLAIN ANALYZE`, as DataFusion shows it
    /// (`16`, `4.37 K`, `32.7 MB`) read back as a number.
    fn metric(plan: &str, name: &str) -> f64 {
        let Some(line) = plan.lines().find(|l| l.contains("DistinctExec")) else {
            panic!("no DistinctExec in {plan}")
        };
        let shown = line.split(&format!("{name}=")).nth(1).and_then(|c| c.split([',', ']']).next());
        let shown = shown.unwrap_or_else(|| panic!("no {name} in {line}"));
        let (number, unit) = shown.split_once(' ').unwrap_or((shown, ""));
        let scale = match unit {
            "K" | "KB" => 1e3,
            "M" | "MB" => 1e6,
            "GB" => 1e9,
            _ => 1.0,
        };
        number.parse::<f64>().expect("a number") * scale
    }

    /// The files `DistinctExec` spilled.
    fn pieces_spilled(plan: &str) -> usize {
        metric(plan, "spill_count") as usize
    }

    // 400,000 = 7 x 57,142 + 6: the remainders 1 to 6 have one key more than 0. The keys are the
    // values scrambled (7,919 is prime and does not divide 400,009, so no two values share a
    // key): input in order of its keys would be grouped in order, without a hash table.
    const COUNT_DISTINCT: &str = "select g, count(distinct k) as n from \
        (select value % 7 as g, value * 7919 % 400009 as k from generate_series(1, 400000) as t(value)) \
        group by g order by g";
    const COUNTED: [&str; 7] = [
        "| 0 | 57142 |",
        "| 1 | 57143 |",
        "| 2 | 57143 |",
        "| 3 | 57143 |",
        "| 4 | 57143 |",
        "| 5 | 57143 |",
        "| 6 | 57143 |",
    ];

    #[tokio::test]
    async fn keys_beyond_the_limit_are_dealt_into_pieces_and_counted_once() {
        let (answer, plan) = run(COUNT_DISTINCT, 2, 2 << 20).await.unwrap();
        assert!(COUNTED.iter().all(|row| answer.contains(row)), "{answer}");
        assert!(pieces_spilled(&plan) >= super::PIECES, "{plan}");
    }

    #[tokio::test]
    async fn without_a_limit_the_aggregation_replaced_runs() {
        let (answer, plan) = run(COUNT_DISTINCT, 2, usize::MAX).await.unwrap();
        assert!(COUNTED.iter().all(|row| answer.contains(row)), "{answer}");
        assert_eq!(pieces_spilled(&plan), 0, "{plan}");
        // Metrics only DataFusion's aggregation keeps.
        let line = plan.lines().find(|l| l.contains("DistinctExec")).unwrap_or_default();
        assert!(line.contains("time_calculating_group_ids"), "{plan}");
    }

    #[tokio::test]
    async fn a_piece_still_too_large_is_split_again() {
        let (answer, plan) = run(COUNT_DISTINCT, 1, 1 << 20).await.unwrap();
        assert!(COUNTED.iter().all(|row| answer.contains(row)), "{answer}");
        assert!(pieces_spilled(&plan) > super::PIECES, "{plan}");
    }

    #[tokio::test]
    async fn the_pieces_are_written_with_the_session_spill_compression() {
        let mut spilled = Vec::new();
        for compression in ["uncompressed", "zstd"] {
            let mut config = SessionConfig::new().with_target_partitions(2);
            config.options_mut().execution.spill_compression = compression.parse().unwrap();
            let ctx = local_context(config, Some(2 << 20)).unwrap();
            let plan = ctx.sql(&format!("explain analyze {COUNT_DISTINCT}")).await.unwrap();
            let plan = pretty_format_batches(&plan.collect().await.unwrap()).unwrap().to_string();
            assert!(pieces_spilled(&plan) >= super::PIECES, "{plan}");
            spilled.push(metric(&plan, "spilled_bytes"));
        }
        // The same rows dealt the same way; zstd writes them in fewer bytes.
        assert!(spilled[1] < spilled[0], "{spilled:?}");
    }

    #[tokio::test]
    async fn distinct_rows_with_nulls_and_text_survive_the_pieces() {
        // 300,000 rows of 100,000 keys (k, k's text, NULL for every tenth), each key three times.
        let sql = "select count(*) as n, count(t) as texts, sum(k) as total from (select distinct k, \
            case when k % 10 = 0 then null else concat('c', k) end as t from \
            (select value % 100000 as k from generate_series(1, 300000) as s(value)))";
        let (answer, plan) = run(sql, 2, 1 << 20).await.unwrap();
        // 0..99,999: 100,000 keys, 10,000 of them multiples of ten; their sum 99,999 x 100,000 / 2.
        assert!(answer.contains("| 100000 | 90000 | 4999950000 |"), "{answer}");
        assert!(pieces_spilled(&plan) >= super::PIECES, "{plan}");
    }

    #[tokio::test]
    async fn keys_that_never_fit_get_the_limit_named() {
        let sql = "select count(*) from (select distinct value * 7919 % 100003 \
            from generate_series(1, 100000) as t(value))";
        let err = run(sql, 1, 4 << 10).await.unwrap_err().to_string();
        assert!(err.contains("do not fit the memory limit"), "{err}");
    }

    /// The physical plan of `sql`, without running it.
    async fn planned(sql: &str) -> String {
        let ctx = local_context(SessionConfig::new().with_target_partitions(2), None).unwrap();
        let plan = ctx.sql(sql).await.unwrap().create_physical_plan().await.unwrap();
        let shown = datafusion::physical_plan::displayable(plan.as_ref()).indent(false).to_string();
        shown
    }

    #[tokio::test]
    async fn only_groupings_without_aggregate_functions_are_replaced() {
        let from = "from (select value % 7 as g, value as k from generate_series(1, 1000) as t(value))";
        let distinct = planned(&format!("select distinct g {from}")).await;
        assert!(distinct.contains("DistinctExec"), "{distinct}");
        let summed = planned(&format!("select g, sum(k) {from} group by g")).await;
        assert!(!summed.contains("DistinctExec") && summed.contains("AggregateExec"), "{summed}");
    }
}
