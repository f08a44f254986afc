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
//! hash. No sort, and no key is written more than once per level. Until refused, it is DataFusion's
//! own hash table ([`new_group_values`]) and works as the aggregation would.
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
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::{SendableRecordBatchStream, SpillFile, TaskContext};
use datafusion::logical_expr::EmitTo;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::group_values::{new_group_values, GroupValues};
use datafusion::physical_plan::aggregates::order::GroupOrdering;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
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
/// output and its properties are those of the aggregation it replaces.
#[derive(Debug)]
pub struct DistinctExec {
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

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match (children.pop(), children.is_empty()) {
            (Some(input), true) => {
                let exec = Self {
                    input,
                    keys: self.keys.clone(),
                    schema: self.schema.clone(),
                    properties: self.properties.clone(),
                    distribution: self.distribution.clone(),
                    metrics: ExecutionPlanMetricsSet::new(),
                };
                Ok(Arc::new(exec))
            }
            _ => Err(DataFusionError::Internal("DistinctExec has exactly one input".into())),
        }
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
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
            ),
            baseline: BaselineMetrics::new(&self.metrics, partition),
        };
        let mut builder = RecordBatchReceiverStream::builder(self.schema.clone(), 2);
        let tx = builder.tx();
        builder.spawn(async move { state.run(key_batches, tx).await });
        Ok(builder.build())
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
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
            let Err(refused) = self.reservation.try_resize(groups.size()) else { continue };
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
